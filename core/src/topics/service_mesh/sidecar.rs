//! The outbound half of a sidecar proxy, and of a service's plain HTTP
//! client when there is no mesh: the calls a service makes to the next
//! service of a request's path, each attempt with its own timeout.
//!
//! With the mesh it does what Envoy does on the route and cluster the call
//! takes (Envoy docs, "Router filter": `retry_policy` with `num_retries`
//! and `per_try_timeout`, retry on 5xx, reset and per-try timeout, never on
//! a 4xx; "Circuit breaking": `max_requests` outstanding per upstream
//! cluster, beyond which a call fails at once with a 503 marked
//! `x-envoy-overloaded`, and `max_retries` concurrent retries per cluster;
//! "Traffic splitting": a weighted cluster picks `v1` or `v2` of the catalog
//! by the rollout's weights). Retries wait a backoff with full jitter from a
//! 25 ms base (Envoy's default) and carry `x-envoy-attempt-count`.
//!
//! Without the mesh it makes one attempt per call with the same timeouts,
//! no limits, and always the stable version.

use crate::sim::node::Cx;
use crate::sim::time::{Duration, NodeId};
use crate::traffic::request::{Request, RequestId, RequestIds};

use super::message::{Kind, MeshMessage, MeshTimer, Plane, Status, Version, Workload};
use super::process::MeshProcess;
use super::rollout::{Phase, Rollout};

/// What a sidecar (or a plain client) does on its calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutboundConfig {
    /// Retries, circuit breaking and traffic splitting are on.
    pub mesh: bool,
    /// Attempts per call, the first included, on routes that retry.
    pub attempts: u32,
    /// Envoy `max_requests`: outstanding attempts to one upstream.
    pub max_requests: u32,
    /// Envoy `max_retries`: retries waiting or in flight to one upstream.
    pub max_retries: u32,
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
}

/// The route to `destination`: its per-try timeout and whether the mesh
/// retries on it. Only the leaves retry, so attempts do not multiply hop by
/// hop; each caller's timeout covers its callee's retries.
pub fn route(destination: Workload) -> (Duration, bool) {
    match destination {
        Workload::Frontend => (Duration::from_millis(1_500), false),
        Workload::Catalog => (Duration::from_millis(300), true),
        Workload::Cart => (Duration::from_millis(1_200), false),
        Workload::Payments => (Duration::from_millis(250), true),
        _ => (Duration::from_millis(1_000), false),
    }
}

/// The request a service is working on, and whom to answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Job {
    pub from: NodeId,
    /// The caller's attempt, as it arrived.
    pub request: Request,
    pub kind: Kind,
}

/// A call to the next service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutCall {
    pub id: RequestId,
    pub destination: Workload,
    pub parent: Job,
    pub attempts: u32,
    /// The attempt in flight (its id and the version it went to), if any.
    pub in_flight: Option<(RequestId, Version)>,
    /// A retry is waiting for its backoff.
    pub retrying: bool,
}

/// Counts for the view and the checker (kept across crashes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OutboundStats {
    pub attempts: u64,
    pub retries: u64,
    pub timeouts: u64,
    /// Calls failed at once by the circuit breaker.
    pub overflowed: u64,
    /// Attempts routed to the canary.
    pub canary_attempts: u64,
}

/// A call that ended: answer its parent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ended {
    pub parent: Job,
    pub status: Status,
}

#[derive(Clone, Debug)]
pub struct Outbound {
    plane: Plane,
    source: Workload,
    config: OutboundConfig,
    calls: Vec<OutCall>,
    ids: RequestIds,
    stats: OutboundStats,
    /// The catalog's rollout, on the frontend's sidecar.
    rollout: Option<Rollout>,
    /// Attempts to the catalog per second, per version (the canary's share).
    catalog_seconds: Vec<[u32; 2]>,
}

impl Outbound {
    pub fn new(
        plane: Plane,
        source: Workload,
        config: OutboundConfig,
        rollout: Option<Rollout>,
    ) -> Self {
        Outbound {
            plane,
            source,
            config,
            calls: Vec::new(),
            ids: RequestIds::default(),
            stats: OutboundStats::default(),
            rollout,
            catalog_seconds: Vec::new(),
        }
    }

    pub fn config(&self) -> &OutboundConfig {
        &self.config
    }

    pub fn calls(&self) -> &[OutCall] {
        &self.calls
    }

    pub fn stats(&self) -> OutboundStats {
        self.stats
    }

    pub fn rollout(&self) -> Option<&Rollout> {
        self.rollout.as_ref()
    }

    pub fn rollout_mut(&mut self) -> Option<&mut Rollout> {
        self.rollout.as_mut()
    }

    pub fn catalog_seconds(&self) -> &[[u32; 2]] {
        &self.catalog_seconds
    }

    /// Volatile: the calls in progress. The rollout is the control plane's
    /// configuration and survives.
    pub fn on_crash(&mut self) {
        self.calls.clear();
    }

    /// Attempts in flight to `destination`.
    pub fn outstanding(&self, destination: Workload) -> u32 {
        self.calls
            .iter()
            .filter(|c| c.destination == destination && c.in_flight.is_some())
            .count() as u32
    }

    fn retries_active(&self, destination: Workload) -> u32 {
        self.calls
            .iter()
            .filter(|c| c.destination == destination)
            .filter(|c| c.retrying || (c.attempts > 1 && c.in_flight.is_some()))
            .count() as u32
    }

    /// Starts a call to `destination` on behalf of `parent`.
    pub fn call(
        &mut self,
        destination: Workload,
        parent: Job,
        cx: &mut Cx<MeshProcess>,
    ) -> Option<Ended> {
        let id = self.ids.next_id();
        self.calls.push(OutCall {
            id,
            destination,
            parent,
            attempts: 0,
            in_flight: None,
            retrying: false,
        });
        self.try_attempt(self.calls.len() - 1, cx)
    }

    /// Sends the next attempt of call `at`, unless the circuit breaker
    /// refuses it.
    fn try_attempt(&mut self, at: usize, cx: &mut Cx<MeshProcess>) -> Option<Ended> {
        let destination = self.calls[at].destination;
        // Envoy circuit breaking: past `max_requests` outstanding to the
        // cluster, the call fails at once with an overflow 503.
        if self.config.mesh && self.outstanding(destination) >= self.config.max_requests {
            self.stats.overflowed += 1;
            let id = self.calls[at].id;
            let limit = self.config.max_requests;
            cx.note(|| {
                format!(
                    "circuit breaker: {limit} requests outstanding to {}: {id} fails fast (503 overflow)",
                    destination.name()
                )
            });
            return Some(self.end(at, Status::Overloaded, cx));
        }
        let version = self.pick_version(destination, cx);
        let attempt_id = self.ids.next_id();
        let now = cx.now();
        let (timeout, _) = route(destination);
        let call = &mut self.calls[at];
        call.attempts += 1;
        call.retrying = false;
        call.in_flight = Some((attempt_id, version));
        let trace = call.parent.request.trace.child(attempt_id.0);
        let request = Request::new(attempt_id, now, Some(timeout), trace);
        let message = MeshMessage::Call {
            plane: self.plane,
            request,
            source: self.source,
            attempt: call.attempts,
            kind: call.parent.kind,
            version,
        };
        self.stats.attempts += 1;
        if version == Version::Canary {
            self.stats.canary_attempts += 1;
        }
        if destination == Workload::Catalog {
            let second = (now.as_micros() / 1_000_000) as usize;
            if self.catalog_seconds.len() <= second {
                self.catalog_seconds.resize(second + 1, [0, 0]);
            }
            self.catalog_seconds[second][version.index()] += 1;
        }
        cx.send(destination.node(), message);
        cx.set_timer(MeshTimer::TryTimeout(self.plane, attempt_id), timeout);
        None
    }

    /// Envoy weighted clusters: the catalog's version by the rollout's
    /// weight, drawn per attempt (so a retry after a rollback goes to v1).
    fn pick_version(&mut self, destination: Workload, cx: &mut Cx<MeshProcess>) -> Version {
        let weight = match (&self.rollout, destination) {
            (Some(rollout), Workload::Catalog) if self.config.mesh => rollout.weight(),
            _ => 0,
        };
        if weight > 0 && cx.rng.below(100) < u64::from(weight) {
            Version::Canary
        } else {
            Version::Stable
        }
    }

    fn find_attempt(&self, id: RequestId) -> Option<usize> {
        self.calls
            .iter()
            .position(|c| c.in_flight.is_some_and(|(attempt, _)| attempt == id))
    }

    /// The reply to attempt `id` arrived.
    pub fn on_reply(
        &mut self,
        id: RequestId,
        status: Status,
        cx: &mut Cx<MeshProcess>,
    ) -> Option<Ended> {
        let Some(at) = self.find_attempt(id) else {
            cx.note(|| format!("late or duplicate reply to {id}: dropped"));
            return None;
        };
        cx.cancel_timer(MeshTimer::TryTimeout(self.plane, id));
        self.analyse(at, status == Status::Ok, cx);
        match status {
            Status::Ok => Some(self.end(at, Status::Ok, cx)),
            // Envoy retries 5xx, never a 4xx: a denial is final.
            Status::Denied => Some(self.end(at, Status::Error, cx)),
            Status::Error | Status::Overloaded => self.attempt_failed(at, cx),
        }
    }

    /// The per-try timeout of attempt `id` fired.
    pub fn on_timeout(&mut self, id: RequestId, cx: &mut Cx<MeshProcess>) -> Option<Ended> {
        let at = self.find_attempt(id)?;
        self.stats.timeouts += 1;
        cx.note(|| format!("attempt {id} timed out"));
        self.analyse(at, false, cx);
        self.attempt_failed(at, cx)
    }

    /// The backoff of call `id` is over.
    pub fn on_retry(&mut self, id: RequestId, cx: &mut Cx<MeshProcess>) -> Option<Ended> {
        let at = self.calls.iter().position(|c| c.id == id && c.retrying)?;
        self.stats.retries += 1;
        self.try_attempt(at, cx)
    }

    /// Tells the rollout how an attempt to the canary ended.
    fn analyse(&mut self, at: usize, ok: bool, cx: &mut Cx<MeshProcess>) {
        let Some((_, Version::Canary)) = self.calls[at].in_flight else {
            return;
        };
        let now = cx.now();
        let Some(rollout) = &mut self.rollout else {
            return;
        };
        if let Some(rollback) = rollout.on_outcome(now, ok) {
            let threshold = rollout.config().threshold_percent;
            cx.note(|| {
                format!(
                    "{} of the canary's last {} attempts failed (threshold {threshold}%): rolled back to 0%",
                    rollback.failed, rollback.calls
                )
            });
        }
    }

    /// Attempt of call `at` failed: retry after a backoff if the route,
    /// the attempts left and the retry budget allow; else the call fails.
    fn attempt_failed(&mut self, at: usize, cx: &mut Cx<MeshProcess>) -> Option<Ended> {
        let destination = self.calls[at].destination;
        self.calls[at].in_flight = None;
        let (_, retries) = route(destination);
        let may_retry =
            self.config.mesh && retries && self.calls[at].attempts < self.config.attempts;
        if !may_retry {
            return Some(self.end(at, Status::Error, cx));
        }
        if self.retries_active(destination) >= self.config.max_retries {
            let limit = self.config.max_retries;
            cx.note(|| {
                format!(
                    "retry budget: {limit} retries already active to {}: no retry",
                    destination.name()
                )
            });
            self.stats.overflowed += 1;
            return Some(self.end(at, Status::Error, cx));
        }
        let call = &mut self.calls[at];
        call.retrying = true;
        // Full jitter: a uniform wait in [0, min(cap, base · 2^(n-1))).
        let ceiling = self
            .config
            .backoff_base
            .as_micros()
            .saturating_mul(1 << (call.attempts - 1).min(20))
            .min(self.config.backoff_cap.as_micros());
        let backoff = Duration(cx.rng.below(ceiling.max(1)));
        let id = call.id;
        cx.note(|| format!("retries {id} in {backoff}"));
        cx.set_timer(MeshTimer::Retry(self.plane, id), backoff);
        None
    }

    fn end(&mut self, at: usize, status: Status, cx: &mut Cx<MeshProcess>) -> Ended {
        let call = self.calls.swap_remove(at);
        if let Some((attempt, _)) = call.in_flight {
            cx.cancel_timer(MeshTimer::TryTimeout(self.plane, attempt));
        }
        Ended {
            parent: call.parent,
            status,
        }
    }

    /// A short description of the rollout, for the views.
    pub fn rollout_text(&self) -> Option<String> {
        let rollout = self.rollout.as_ref()?;
        let (failed, calls) = rollout.failures();
        Some(match rollout.phase() {
            Phase::Canary { .. } => format!(
                "canary at {}% ({failed}/{calls} failed in the window)",
                rollout.weight()
            ),
            Phase::Promoted => "canary promoted: v2 takes 100%".to_string(),
            Phase::RolledBack { at } => format!("canary rolled back at {at}: 0%"),
        })
    }
}
