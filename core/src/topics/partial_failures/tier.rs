//! A tier: the frontend, the middle or the backend. Each keeps one copy of
//! its service ([`crate::traffic::service`]: a queue and a pool of workers)
//! per chain, hit by the same faults at the same instant, so the chains
//! differ only in how they call and retry. The frontend and the middle do a
//! little work on each request, then call the tier below through their
//! [`Caller`] and answer upstream when that call ends; the backend does the
//! real work and answers.
//!
//! With deadlines on (gRPC deadline propagation), a tier drops a request
//! whose propagated deadline has passed, on arrival and when its turn in the
//! queue comes ([`crate::traffic::service::ServiceConfig::drop_expired`]).
//! A restarted tier tells its caller with a `GoAway` that the calls it had
//! are gone, as a reset connection would.

use std::collections::VecDeque;

use crate::sim::node::Cx;
use crate::sim::rng::PPM;
use crate::sim::time::{Duration, NodeId, Time};
use crate::sim::view::{Cell, NodeSummary, Palette};
use crate::traffic::distribution::{exponential, ServiceTime};
use crate::traffic::request::{RequestId, TraceContext};
use crate::traffic::service::{
    Admission, Faults, Next, Outcome, Service, ServiceConfig, Work, WorkId,
};

use super::caller::{Caller, Finished};
use super::message::{BackendOp, Chain, PartialMessage, PartialTimer, Reply, Tier};
use super::policy::RetryPolicy;
use super::process::PartialProcess;

/// The frontend's and the middle's own work per request: about 2 ms on one
/// of 8 workers.
pub const RELAY_SERVICE: ServiceConfig = ServiceConfig {
    workers: 8,
    queue_limit: Some(256),
    service_time: ServiceTime::Exponential {
        mean: Duration::from_millis(2),
    },
    drop_expired: false,
};

/// The backend: 4 workers, a median of 12 ms per request (mean 13.6 ms, so
/// about 290 requests per second at most), 64 waiting at most.
pub const BACKEND_SERVICE: ServiceConfig = ServiceConfig {
    workers: 4,
    queue_limit: Some(64),
    service_time: ServiceTime::LogNormal {
        median: Duration::from_millis(12),
        sigma_milli: 500,
    },
    drop_expired: false,
};

/// The slow tail: this share of the backend's requests (per million) take a
/// slow path...
pub const SLOW_PPM: u32 = 30_000;
/// ... of this much more, on average (exponential).
pub const SLOW_MEAN: Duration = Duration::from_millis(300);

/// Who to answer when a request's work is done, and its deadlines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Job {
    pub from: NodeId,
    pub attempt: RequestId,
    pub deadline: Option<Time>,
    pub root_deadline: Time,
    pub trace: TraceContext,
}

/// One chain's half of a tier.
#[derive(Clone, Debug)]
pub struct Lane {
    pub service: Service<Job>,
    /// The frontend's and the middle's calls below (none at the backend).
    pub caller: Option<Caller>,
    /// Whether this chain propagates and honours deadlines.
    pub deadlines: bool,
    /// Requests dropped because their deadline had passed.
    pub expired: u64,
    /// Hedges' losers dropped before they started.
    pub cancelled: u64,
    /// Attempts cancelled while they waited (the most recent few).
    cancels: Vec<RequestId>,
    /// The jobs in the service's queue, in its order: the service says
    /// only that its front started.
    waiting: VecDeque<Job>,
}

/// Most cancellations a lane remembers: older ones have started or gone.
const CANCELS_KEPT: usize = 64;

#[derive(Clone, Debug)]
pub struct TierNode {
    tier: Tier,
    lanes: [Lane; 2],
    /// The backend's injected faults: the environment's, so they outlive a
    /// crash.
    faults: Faults,
    slow_tail: bool,
    /// Arrivals per second of the run, per chain.
    load: Vec<[u32; 2]>,
    starts: u32,
    /// Work started in the current step: the chain and the instant the
    /// client stops waiting for it, for the checker.
    started_now: Vec<(Chain, Time)>,
}

impl TierNode {
    /// A tier; `policies` are the chains' callers' policies (used by the
    /// frontend and the middle), `deadlines` whether each chain honours them.
    pub fn new(tier: Tier, policies: [RetryPolicy; 2]) -> Self {
        let lane = |chain: Chain| {
            let policy = policies[chain.index()];
            let config = match tier {
                Tier::Backend => BACKEND_SERVICE,
                _ => RELAY_SERVICE,
            };
            Lane {
                service: Service::new(ServiceConfig {
                    drop_expired: policy.deadlines,
                    ..config
                }),
                caller: tier
                    .downstream()
                    .map(|downstream| Caller::new(chain, downstream, policy)),
                deadlines: policy.deadlines,
                expired: 0,
                cancelled: 0,
                cancels: Vec::new(),
                waiting: VecDeque::new(),
            }
        };
        TierNode {
            tier,
            lanes: [lane(Chain::Guarded), lane(Chain::Naive)],
            faults: Faults::NONE,
            slow_tail: false,
            load: Vec::new(),
            starts: 0,
            started_now: Vec::new(),
        }
    }

    pub fn tier(&self) -> Tier {
        self.tier
    }

    pub fn lane(&self, chain: Chain) -> &Lane {
        &self.lanes[chain.index()]
    }

    pub fn faults(&self) -> Faults {
        self.faults
    }

    pub fn slow_tail(&self) -> bool {
        self.slow_tail
    }

    /// Arrivals per second of the run, per chain.
    pub fn load(&self) -> &[[u32; 2]] {
        &self.load
    }

    pub fn started_now(&self) -> &[(Chain, Time)] {
        &self.started_now
    }

    /// A new step begins: forget the previous one's starts.
    pub fn begin_step(&mut self) {
        self.started_now.clear();
    }

    /// After a restart, tell the caller its calls here are gone.
    pub fn on_start(&mut self, cx: &mut Cx<PartialProcess>) {
        self.starts += 1;
        if self.starts > 1 {
            cx.send(self.tier.upstream(), PartialMessage::GoAway);
        }
    }

    /// Volatile: the queues, the work and the calls in progress.
    pub fn on_crash(&mut self) {
        for lane in &mut self.lanes {
            lane.service.on_crash();
            lane.cancels.clear();
            lane.waiting.clear();
            if let Some(caller) = &mut lane.caller {
                caller.on_crash();
            }
        }
    }

    pub fn on_message(&mut self, from: NodeId, msg: PartialMessage, cx: &mut Cx<PartialProcess>) {
        let downstream = self.tier.downstream();
        match msg {
            PartialMessage::Request {
                chain,
                attempt,
                deadline,
                root_deadline,
                trace,
            } if from == self.tier.upstream() => {
                let job = Job {
                    from,
                    attempt,
                    deadline,
                    root_deadline,
                    trace,
                };
                self.on_request(chain, job, cx);
            }
            PartialMessage::Cancel { chain, attempt } if from == self.tier.upstream() => {
                let cancels = &mut self.lanes[chain.index()].cancels;
                if cancels.len() >= CANCELS_KEPT {
                    cancels.remove(0);
                }
                cancels.push(attempt);
            }
            PartialMessage::Reply {
                chain,
                attempt,
                reply,
            } if Some(from) == downstream => {
                let finished = self.lanes[chain.index()]
                    .caller
                    .as_mut()
                    .and_then(|caller| caller.on_reply(attempt, reply, cx));
                if let Some(done) = finished {
                    self.answer(chain, done, cx);
                }
            }
            PartialMessage::GoAway if Some(from) == downstream => {
                for chain in Chain::BOTH {
                    let finished = match &mut self.lanes[chain.index()].caller {
                        Some(caller) => caller.on_go_away(cx),
                        None => Vec::new(),
                    };
                    for done in finished {
                        self.answer(chain, done, cx);
                    }
                }
            }
            other => {
                use crate::sim::node::Labelled;
                let kind = other.kind();
                cx.note(|| {
                    format!(
                        "drops {kind} from {from}: not for the {}",
                        self.tier.as_str()
                    )
                });
            }
        }
    }

    fn on_request(&mut self, chain: Chain, job: Job, cx: &mut Cx<PartialProcess>) {
        let now = cx.now();
        let second = (now.as_micros() / 1_000_000) as usize;
        if self.load.len() <= second {
            self.load.resize(second + 1, [0, 0]);
        }
        self.load[second][chain.index()] += 1;
        let lane = &mut self.lanes[chain.index()];
        // gRPC: a server does not start work whose deadline has passed.
        if lane.deadlines && job.deadline.is_some_and(|d| now >= d) {
            lane.expired += 1;
            cx.note(|| format!("a{}: deadline already passed, dropped", job.attempt.0));
            return;
        }
        let attempt = job.attempt;
        let deadline = job.deadline;
        match lane.service.on_request(now, job, deadline, cx.rng) {
            Admission::Started(work) => {
                if !self.start(chain, work, job, cx) {
                    self.start_waiting(chain, cx);
                }
            }
            Admission::Queued { position } => {
                lane.waiting.push_back(job);
                cx.note(|| format!("a{} waits, {position} in the queue", attempt.0))
            }
            Admission::Rejected { job, reason } => {
                cx.note(|| format!("a{} refused ({reason:?}): 503", attempt.0));
                cx.send(
                    job.from,
                    PartialMessage::Reply {
                        chain,
                        attempt,
                        reply: Reply::Unavailable,
                    },
                );
            }
        }
    }

    /// A worker took `job`: time its work, or free the worker at once if it
    /// is a hedge's loser cancelled while it waited.
    fn start(&mut self, chain: Chain, work: Work, job: Job, cx: &mut Cx<PartialProcess>) -> bool {
        let lane = &mut self.lanes[chain.index()];
        if let Some(at) = lane.cancels.iter().position(|&a| a == job.attempt) {
            lane.cancels.swap_remove(at);
            lane.cancelled += 1;
            let now = cx.now();
            lane.service.on_work_done(now, work.id, cx.rng);
            cx.note(|| format!("a{} was cancelled: skipped", job.attempt.0));
            return false;
        }
        self.started_now.push((chain, job.root_deadline));
        let mut after = work.after;
        if self.tier == Tier::Backend && self.slow_tail && cx.rng.chance_ppm(SLOW_PPM) {
            let slow = exponential(cx.rng, SLOW_MEAN.as_micros() as f64) as u64;
            after = Duration(after.as_micros().saturating_add(slow));
        }
        cx.set_timer(PartialTimer::WorkDone(chain, work.id), after);
        true
    }

    pub fn on_timer(&mut self, timer: PartialTimer, cx: &mut Cx<PartialProcess>) {
        match timer {
            PartialTimer::WorkDone(chain, work) => self.on_work_done(chain, work, cx),
            PartialTimer::AttemptTimeout(chain, id) => {
                let finished = self.lanes[chain.index()]
                    .caller
                    .as_mut()
                    .and_then(|caller| caller.on_timeout(id, cx));
                if let Some(done) = finished {
                    self.answer(chain, done, cx);
                }
            }
            PartialTimer::Retry(chain, call) => {
                let finished = self.lanes[chain.index()]
                    .caller
                    .as_mut()
                    .and_then(|caller| caller.on_retry(call, cx));
                if let Some(done) = finished {
                    self.answer(chain, done, cx);
                }
            }
            PartialTimer::Hedge(chain, call) => {
                if let Some(caller) = self.lanes[chain.index()].caller.as_mut() {
                    caller.on_hedge(call, cx);
                }
            }
            PartialTimer::NextRequest => cx.note(|| "ignores the client's timer".to_string()),
        }
    }

    fn on_work_done(&mut self, chain: Chain, work: WorkId, cx: &mut Cx<PartialProcess>) {
        let now = cx.now();
        let done = self.lanes[chain.index()]
            .service
            .on_work_done(now, work, cx.rng);
        if let Some(done) = done {
            let job = done.job;
            match &mut self.lanes[chain.index()].caller {
                // The frontend and the middle: their part is done, now the
                // call below.
                Some(caller) if done.outcome == Outcome::Ok => {
                    caller.start(
                        job.attempt,
                        job.deadline,
                        Some(job.root_deadline),
                        job.trace,
                        cx,
                    );
                }
                _ => {
                    let reply = match done.outcome {
                        Outcome::Ok => Reply::Ok,
                        Outcome::Error => Reply::Error,
                    };
                    cx.send(
                        job.from,
                        PartialMessage::Reply {
                            chain,
                            attempt: job.attempt,
                            reply,
                        },
                    );
                }
            }
        }
        self.start_waiting(chain, cx);
    }

    /// Gives free workers what waits, skipping expired and cancelled requests.
    fn start_waiting(&mut self, chain: Chain, cx: &mut Cx<PartialProcess>) {
        let now = cx.now();
        loop {
            let lane = &mut self.lanes[chain.index()];
            match lane.service.next(now, cx.rng) {
                Next::Started(work) => {
                    // The service's queue is FIFO: its front is ours.
                    let Some(job) = lane.waiting.pop_front() else {
                        break;
                    };
                    self.start(chain, work, job, cx);
                }
                Next::Expired(job) => {
                    lane.waiting.pop_front();
                    lane.expired += 1;
                    cx.note(|| {
                        format!("a{}: deadline passed in the queue, dropped", job.attempt.0)
                    });
                }
                Next::Idle => break,
            }
        }
    }

    /// A call below ended: answer the attempt it served.
    fn answer(&mut self, chain: Chain, done: Finished, cx: &mut Cx<PartialProcess>) {
        cx.send(
            self.tier.upstream(),
            PartialMessage::Reply {
                chain,
                attempt: done.origin,
                reply: if done.ok { Reply::Ok } else { Reply::Error },
            },
        );
    }

    /// A fault from the page or a preset: both copies at once.
    pub fn on_operation(&mut self, op: BackendOp, cx: &mut Cx<PartialProcess>) {
        if self.tier != Tier::Backend {
            cx.note(|| format!("only the backend takes \"{op}\""));
            return;
        }
        match op {
            BackendOp::BrownOut { capacity_percent } => {
                self.faults.capacity_ppm = u32::from(capacity_percent.clamp(1, 100)) * (PPM / 100);
            }
            BackendOp::Outage => self.faults.outage = true,
            BackendOp::SlowTail => self.slow_tail = true,
            BackendOp::Recover => {
                self.faults = Faults::NONE;
                self.slow_tail = false;
            }
        }
        for chain in Chain::BOTH {
            let lane = &mut self.lanes[chain.index()];
            if lane.service.set_faults(self.faults) > 0 {
                // An outage lost what was inside.
                lane.waiting.clear();
            }
            self.start_waiting(chain, cx);
        }
        cx.note(|| format!("{op}"));
    }
}

impl TierNode {
    fn fault_text(&self) -> String {
        if self.tier != Tier::Backend {
            return "-".to_string();
        }
        let mut parts = Vec::new();
        if self.faults.outage {
            parts.push("outage: 503 to everything".to_string());
        }
        if self.faults.capacity_ppm < PPM {
            parts.push(format!(
                "brown-out to {}%",
                self.faults.capacity_ppm / (PPM / 100)
            ));
        }
        if self.slow_tail {
            parts.push("slow tail".to_string());
        }
        if parts.is_empty() {
            "healthy".to_string()
        } else {
            parts.join(", ")
        }
    }

    pub fn summary(&self) -> NodeSummary {
        let queued = |chain: Chain| self.lanes[chain.index()].service.queued();
        let limit = self.lanes[0].service.config().queue_limit.unwrap_or(64) as usize;
        let (role, palette) = if self.faults.outage {
            ("backend down", Palette::Faulty)
        } else if !self.faults.is_healthy() || self.slow_tail {
            ("backend degraded", Palette::Suspect)
        } else if Chain::BOTH.iter().any(|&c| queued(c) * 2 >= limit) {
            ("saturated", Palette::Suspect)
        } else {
            (self.tier.as_str(), Palette::Plain)
        };
        NodeSummary {
            role,
            palette,
            badge: format!("{}|{}", queued(Chain::Guarded), queued(Chain::Naive)),
            detail: format!(
                "{} ({}): queues {} (guarded) and {} (naive)",
                self.tier.as_str(),
                self.fault_text(),
                queued(Chain::Guarded),
                queued(Chain::Naive)
            ),
        }
    }

    pub fn state_row(&self) -> Vec<Cell> {
        let lane = |chain: Chain| {
            let lane = &self.lanes[chain.index()];
            let service = &lane.service;
            let mut text = format!(
                "{}/{} busy, {} queued, {} expired dropped",
                service.busy(),
                service.config().workers,
                service.queued(),
                lane.expired
            );
            if let Some(caller) = &lane.caller {
                let stats = caller.stats();
                text.push_str(&format!(
                    "; {} calls out, {} retries, {} hedges, {} refused by budget",
                    caller.calls().len(),
                    stats.retries,
                    stats.hedges,
                    stats.budget_refused
                ));
            }
            if lane.cancelled > 0 {
                text.push_str(&format!("; {} cancelled hedges skipped", lane.cancelled));
            }
            text
        };
        let last = self.load.len().checked_sub(2).map(|s| self.load[s]);
        vec![
            Cell::Text(self.fault_text()),
            Cell::Text(lane(Chain::Guarded)),
            Cell::Text(lane(Chain::Naive)),
            Cell::Text(match last {
                Some([guarded, naive]) => {
                    format!(
                        "arrivals in the last full second: {guarded}/s guarded, {naive}/s naive"
                    )
                }
                None => "-".to_string(),
            }),
        ]
    }
}
