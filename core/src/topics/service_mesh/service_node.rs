//! A service of the shop and its sidecar, one node, both planes: for each
//! plane an application (a [`crate::traffic::service::Service`] per version:
//! only the catalog runs a canary) and an outbound side ([`super::sidecar`]).
//!
//! On the mesh plane every call first meets the sidecar's inbound side
//! (the sidecar pattern: Burns & Oppenheimer, HotCloud 2016, §3.1): mTLS
//! gives the caller's SPIFFE id, and the authorization policy
//! ([`super::policy`]) decides whether the application sees the call at all.
//! On the bare plane the application gets whatever arrives.

use crate::sim::node::{Cx, Labelled};
use crate::sim::rng::PPM;
use crate::sim::time::{Duration, NodeId, Time};
use crate::sim::view::{Cell, NodeSummary, Palette};
use crate::traffic::distribution::ServiceTime;
use crate::traffic::request::Request;
use crate::traffic::service::{Admission, Faults, Next, Outcome, Service, ServiceConfig};

use super::message::{
    Kind, MeshMessage, MeshOp, MeshTimer, Plane, Status, Version, Workload, WORKLOADS,
};
use super::policy;
use super::process::MeshProcess;
use super::sidecar::{Ended, Job, Outbound};

/// Each application: 2 workers, a bounded queue, log-normal service times
/// with the service's median.
pub fn service_config(workload: Workload) -> ServiceConfig {
    let median = match workload {
        Workload::Gateway | Workload::Frontend => 4,
        Workload::Catalog => 15,
        Workload::Cart => 10,
        _ => 25,
    };
    ServiceConfig {
        workers: 2,
        queue_limit: Some(64),
        service_time: ServiceTime::LogNormal {
            median: Duration::from_millis(median),
            sigma_milli: 400,
        },
        drop_expired: false,
    }
}

/// The next service on a request's path after `workload`, if any.
pub fn next_hop(workload: Workload, kind: Kind) -> Option<Workload> {
    match (workload, kind) {
        (Workload::Gateway, _) => Some(Workload::Frontend),
        (Workload::Frontend, Kind::Browse) => Some(Workload::Catalog),
        (Workload::Frontend, Kind::Checkout) => Some(Workload::Cart),
        (Workload::Cart, _) => Some(Workload::Payments),
        _ => None,
    }
}

/// What the inbound side saw on one plane (kept across crashes, for the
/// checker and the charts).
#[derive(Clone, Debug, Default)]
pub struct Inbound {
    /// Calls handed to the application, by the caller's workload.
    pub admitted: [u64; WORKLOADS],
    /// Calls the policy denied.
    pub denied: u64,
    /// Per second of the run: calls denied, and calls from a workload the
    /// policy does not allow that reached the application anyway.
    pub denied_seconds: Vec<u32>,
    pub forbidden_seconds: Vec<u32>,
    /// The last forbidden call that reached the application: who, which
    /// attempt.
    pub last_forbidden: Option<(Workload, u32)>,
}

fn bump(seconds: &mut Vec<u32>, now: Time) {
    let second = (now.as_micros() / 1_000_000) as usize;
    if seconds.len() <= second {
        seconds.resize(second + 1, 0);
    }
    seconds[second] += 1;
}

#[derive(Clone, Debug)]
pub struct ServiceNode {
    workload: Workload,
    /// Plane × version.
    apps: [[Service<Job>; 2]; 2],
    /// Injected faults per version: the environment's, so they outlive a crash.
    faults: [Faults; 2],
    outbound: [Outbound; 2],
    inbound: [Inbound; 2],
    /// The `policy-not-enforced-on-retry` bug.
    skip_check_on_retry: bool,
}

impl ServiceNode {
    pub fn new(workload: Workload, outbound: [Outbound; 2], skip_check_on_retry: bool) -> Self {
        let app = || Service::new(service_config(workload));
        ServiceNode {
            workload,
            apps: [[app(), app()], [app(), app()]],
            faults: [Faults::NONE; 2],
            outbound,
            inbound: [Inbound::default(), Inbound::default()],
            skip_check_on_retry,
        }
    }

    pub fn workload(&self) -> Workload {
        self.workload
    }

    pub fn outbound(&self, plane: Plane) -> &Outbound {
        &self.outbound[plane.index()]
    }

    pub fn inbound(&self, plane: Plane) -> &Inbound {
        &self.inbound[plane.index()]
    }

    pub fn app(&self, plane: Plane, version: Version) -> &Service<Job> {
        &self.apps[plane.index()][version.index()]
    }

    /// Gives the mesh sidecar another rollout (for the tests that show the
    /// checker catching a broken one).
    #[cfg(test)]
    pub fn replace_rollout(&mut self, rollout: super::rollout::Rollout) {
        if let Some(current) = self.outbound[Plane::Mesh.index()].rollout_mut() {
            *current = rollout;
        }
    }

    pub fn on_start(&mut self, cx: &mut Cx<MeshProcess>) {
        self.schedule_rollout_step(cx);
    }

    fn schedule_rollout_step(&mut self, cx: &mut Cx<MeshProcess>) {
        if let Some(rollout) = self.outbound[Plane::Mesh.index()].rollout() {
            if let Some(step) = rollout.next_step() {
                cx.set_timer(MeshTimer::RolloutStep(step), rollout.config().step);
            }
        }
    }

    pub fn on_crash(&mut self) {
        for plane in &mut self.apps {
            for app in plane {
                app.on_crash();
            }
        }
        for outbound in &mut self.outbound {
            outbound.on_crash();
        }
    }

    pub fn on_message(&mut self, from: NodeId, msg: MeshMessage, cx: &mut Cx<MeshProcess>) {
        match msg {
            MeshMessage::Call {
                plane,
                request,
                source,
                attempt,
                kind,
                version,
            } => self.on_call(from, plane, request, source, attempt, kind, version, cx),
            MeshMessage::Reply {
                plane, id, status, ..
            } => {
                let ended = self.outbound[plane.index()].on_reply(id, status, cx);
                self.answer(plane, ended, cx);
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn on_call(
        &mut self,
        from: NodeId,
        plane: Plane,
        request: Request,
        source: Workload,
        attempt: u32,
        kind: Kind,
        version: Version,
        cx: &mut Cx<MeshProcess>,
    ) {
        // mTLS: the identity is the peer's certificate, not a claim in the
        // request; a message whose claim does not match its sender fails the
        // handshake.
        if Workload::of_node(from) != Some(source) {
            cx.note(|| {
                format!(
                    "drops a call from {from} claiming to be {}: the mTLS handshake fails",
                    source.name()
                )
            });
            return;
        }
        let now = cx.now();
        let allowed = policy::allows(source, self.workload);
        if plane == Plane::Mesh {
            // The bug: a retry is taken to have been authorized on its first
            // attempt, and the attempt count is a header the caller writes.
            let skip = self.skip_check_on_retry && attempt > 1;
            if !allowed && !skip {
                let inbound = &mut self.inbound[plane.index()];
                inbound.denied += 1;
                bump(&mut inbound.denied_seconds, now);
                cx.note(|| {
                    format!(
                        "denies {}: no rule lets {} call {} (403)",
                        request.id,
                        source.spiffe_id(),
                        self.workload.name()
                    )
                });
                cx.send(from, reply(plane, &request, Status::Denied));
                return;
            }
            if !allowed {
                cx.note(|| {
                    format!(
                        "attempt {attempt} of {}: a retry, so the policy check is skipped",
                        request.id
                    )
                });
            }
        }
        let inbound = &mut self.inbound[plane.index()];
        inbound.admitted[source.index()] += 1;
        if !allowed {
            bump(&mut inbound.forbidden_seconds, now);
            inbound.last_forbidden = Some((source, attempt));
        }
        // Only the catalog runs a canary; a call for v2 anywhere else goes to v1.
        let version = if self.workload == Workload::Catalog {
            version
        } else {
            Version::Stable
        };
        let job = Job {
            from,
            request,
            kind,
        };
        let app = &mut self.apps[plane.index()][version.index()];
        match app.on_request(now, job, request.deadline, cx.rng) {
            Admission::Started(work) => {
                cx.set_timer(MeshTimer::WorkDone(plane, version, work.id), work.after)
            }
            Admission::Queued { position } => {
                cx.note(|| format!("{} waits, {position} in the queue", request.id))
            }
            Admission::Rejected { .. } => {
                cx.note(|| format!("queue full: {} refused (503)", request.id));
                cx.send(from, reply(plane, &request, Status::Overloaded));
            }
        }
    }

    pub fn on_timer(&mut self, timer: MeshTimer, cx: &mut Cx<MeshProcess>) {
        match timer {
            MeshTimer::WorkDone(plane, version, work) => {
                self.on_work_done(plane, version, work, cx)
            }
            MeshTimer::TryTimeout(plane, id) => {
                let ended = self.outbound[plane.index()].on_timeout(id, cx);
                self.answer(plane, ended, cx);
            }
            MeshTimer::Retry(plane, id) => {
                let ended = self.outbound[plane.index()].on_retry(id, cx);
                self.answer(plane, ended, cx);
            }
            MeshTimer::RolloutStep(step) => {
                let Some(rollout) = self.outbound[Plane::Mesh.index()].rollout_mut() else {
                    cx.note(|| "ignores a rollout step: no rollout here".to_string());
                    return;
                };
                if rollout.on_step(step) {
                    let weight = rollout.weight();
                    cx.note(|| match weight {
                        100 if step as usize >= super::rollout::WEIGHTS.len() => {
                            "the canary held 100% for a whole step: promoted".to_string()
                        }
                        _ => format!("rollout step {step}: the canary now gets {weight}% of the catalog's traffic"),
                    });
                    self.schedule_rollout_step(cx);
                }
            }
            other => cx.note(|| format!("ignores timer {}", other.label())),
        }
    }

    fn on_work_done(
        &mut self,
        plane: Plane,
        version: Version,
        work: crate::traffic::service::WorkId,
        cx: &mut Cx<MeshProcess>,
    ) {
        let now = cx.now();
        let app = &mut self.apps[plane.index()][version.index()];
        if let Some(done) = app.on_work_done(now, work, cx.rng) {
            let job = done.job;
            match (done.outcome, next_hop(self.workload, job.kind)) {
                (Outcome::Error, _) => cx.send(job.from, reply(plane, &job.request, Status::Error)),
                (Outcome::Ok, None) => cx.send(job.from, reply(plane, &job.request, Status::Ok)),
                (Outcome::Ok, Some(next)) => {
                    let ended = self.outbound[plane.index()].call(next, job, cx);
                    self.answer(plane, ended, cx);
                }
            }
        }
        loop {
            match self.apps[plane.index()][version.index()].next(now, cx.rng) {
                Next::Started(work) => {
                    cx.set_timer(MeshTimer::WorkDone(plane, version, work.id), work.after)
                }
                Next::Expired(_) => continue,
                Next::Idle => break,
            }
        }
    }

    /// A call to the next service ended: answer the request it was for (a
    /// failure upstream is a 502 here).
    fn answer(&mut self, plane: Plane, ended: Option<Ended>, cx: &mut Cx<MeshProcess>) {
        let Some(ended) = ended else {
            return;
        };
        let status = match ended.status {
            Status::Ok => Status::Ok,
            _ => Status::Error,
        };
        cx.send(
            ended.parent.from,
            reply(plane, &ended.parent.request, status),
        );
    }

    /// A fault from the page or a preset, on both planes at once.
    pub fn on_operation(&mut self, op: MeshOp, cx: &mut Cx<MeshProcess>) {
        match op {
            MeshOp::BadCanary { percent } if self.workload == Workload::Catalog => {
                self.faults[Version::Canary.index()].error_ppm =
                    u32::from(percent.min(100)) * (PPM / 100);
            }
            MeshOp::BrownOut { capacity_percent } => {
                self.faults[Version::Stable.index()].capacity_ppm =
                    u32::from(capacity_percent.clamp(1, 100)) * (PPM / 100);
            }
            MeshOp::Recover => self.faults = [Faults::NONE; 2],
            _ => {
                cx.note(|| format!("{} cannot take \"{op}\"", self.workload.name()));
                return;
            }
        }
        for plane in &mut self.apps {
            for (version, app) in plane.iter_mut().enumerate() {
                app.set_faults(self.faults[version]);
            }
        }
        cx.note(|| format!("{}: {op}", self.workload.name()));
    }

    fn fault_text(&self) -> String {
        let mut parts = Vec::new();
        let stable = self.faults[0];
        if stable.capacity_ppm < PPM {
            parts.push(format!(
                "brown-out to {}%",
                stable.capacity_ppm / (PPM / 100)
            ));
        }
        if self.faults[1].error_ppm > 0 {
            parts.push(format!(
                "canary fails {}%",
                self.faults[1].error_ppm / (PPM / 100)
            ));
        }
        parts.join(", ")
    }

    pub fn summary(&self) -> NodeSummary {
        let faults = self.fault_text();
        let mesh = &self.outbound[0];
        let (role, palette) = if !faults.is_empty() {
            (self.workload.name(), Palette::Suspect)
        } else if mesh
            .rollout()
            .is_some_and(|r| matches!(r.phase(), super::rollout::Phase::RolledBack { .. }))
        {
            (self.workload.name(), Palette::Faulty)
        } else if mesh.rollout().is_some() {
            (self.workload.name(), Palette::Contend)
        } else {
            (self.workload.name(), Palette::Plain)
        };
        let queued = |plane: Plane| {
            self.apps[plane.index()]
                .iter()
                .map(Service::in_system)
                .sum::<usize>()
        };
        NodeSummary {
            role,
            palette,
            badge: format!("{}|{}", queued(Plane::Mesh), queued(Plane::Bare)),
            detail: format!(
                "{} ({}): {} requests in the mesh copy, {} in the copy without{}{}",
                self.workload.name(),
                self.workload.spiffe_id(),
                queued(Plane::Mesh),
                queued(Plane::Bare),
                if faults.is_empty() {
                    String::new()
                } else {
                    format!("; {faults}")
                },
                mesh.rollout_text()
                    .map(|t| format!("; {t}"))
                    .unwrap_or_default()
            ),
        }
    }

    pub fn state_row(&self) -> Vec<Cell> {
        let plane = |plane: Plane| {
            let out = self.outbound[plane.index()].stats();
            let inbound = &self.inbound[plane.index()];
            let app = &self.apps[plane.index()];
            let mut text = format!(
                "{} busy, {} queued; {} calls out, {} retries, {} timeouts",
                app[0].busy() + app[1].busy(),
                app[0].queued() + app[1].queued(),
                out.attempts,
                out.retries,
                out.timeouts
            );
            if plane == Plane::Mesh {
                text.push_str(&format!(
                    "; {} overflowed, {} denied",
                    out.overflowed, inbound.denied
                ));
            }
            let forbidden: u64 = inbound
                .admitted
                .iter()
                .enumerate()
                .filter(|(i, _)| !policy::allows(workload_of_index(*i), self.workload))
                .map(|(_, n)| n)
                .sum();
            if forbidden > 0 {
                text.push_str(&format!("; {forbidden} forbidden calls reached the app"));
            }
            text
        };
        let allowed: Vec<&str> = policy::callers_of(self.workload)
            .map(Workload::name)
            .collect();
        let mut sidecar = format!("allows {}", allowed.join(", "));
        if let Some(rollout) = self.outbound[0].rollout_text() {
            sidecar.push_str("; ");
            sidecar.push_str(&rollout);
        }
        let faults = self.fault_text();
        if !faults.is_empty() {
            sidecar.push_str("; ");
            sidecar.push_str(&faults);
        }
        vec![
            Cell::Text(plane(Plane::Mesh)),
            Cell::Text(plane(Plane::Bare)),
            Cell::Text(sidecar),
        ]
    }
}

/// The workload with index `i`.
pub fn workload_of_index(i: usize) -> Workload {
    [
        Workload::Gateway,
        Workload::Frontend,
        Workload::Catalog,
        Workload::Cart,
        Workload::Payments,
        Workload::Client,
        Workload::Rogue,
    ][i.min(WORKLOADS - 1)]
}

fn reply(plane: Plane, request: &Request, status: Status) -> MeshMessage {
    MeshMessage::Reply {
        plane,
        id: request.id,
        sent_at: request.sent_at,
        status,
    }
}
