//! The flaky downstream: one service ([`crate::traffic::service`]) per
//! chain, identical in shape and hit by the same faults at the same instant,
//! so the two chains differ only in their callers. Each copy has two workers,
//! log-normal service times and a bounded queue, and, like most services,
//! works on a request whatever its caller's deadline: that is what lets a
//! retry storm keep it useless after it recovered.

use crate::sim::node::{Cx, Labelled};
use crate::sim::rng::PPM;
use crate::sim::time::{Duration, NodeId, Time};
use crate::sim::view::{Cell, NodeSummary, Palette};
use crate::traffic::distribution::ServiceTime;
use crate::traffic::request::RequestId;
use crate::traffic::service::{
    Admission, Faults, Next, Outcome, Rejection, Service, ServiceConfig, Work,
};

use super::message::{BreakerMessage, BreakerTimer, Chain, DownstreamOp, Reply};
use super::process::BreakerProcess;

/// Each copy of the downstream: 2 workers, a median of 25 ms per request
/// (mean 28 ms, so about 70 requests per second at most), 64 waiting at most.
pub const SERVICE: ServiceConfig = ServiceConfig {
    workers: 2,
    queue_limit: Some(64),
    service_time: ServiceTime::LogNormal {
        median: Duration::from_millis(25),
        sigma_milli: 500,
    },
    drop_expired: false,
};

/// Who to answer when a request's work is done.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Job {
    pub caller: NodeId,
    pub attempt: RequestId,
}

/// Requests that arrived in one second of the downstream's clock, per chain.
pub type LoadSecond = [u32; 2];

#[derive(Clone, Debug)]
pub struct Downstream {
    copies: [Service<Job>; 2],
    /// Injected faults: the environment's, so they outlive a crash.
    faults: Faults,
    /// Arrivals per second, per chain (index: second of the run).
    load: Vec<LoadSecond>,
}

impl Default for Downstream {
    fn default() -> Self {
        Downstream::new()
    }
}

impl Downstream {
    pub fn new() -> Self {
        Downstream {
            copies: [Service::new(SERVICE), Service::new(SERVICE)],
            faults: Faults::NONE,
            load: Vec::new(),
        }
    }

    pub fn copy(&self, chain: Chain) -> &Service<Job> {
        &self.copies[chain.index()]
    }

    pub fn faults(&self) -> Faults {
        self.faults
    }

    /// Arrivals per second of the run, per chain.
    pub fn load(&self) -> &[LoadSecond] {
        &self.load
    }

    pub fn on_start(&mut self, _cx: &mut Cx<BreakerProcess>) {}

    pub fn on_crash(&mut self) {
        for copy in &mut self.copies {
            copy.on_crash();
        }
    }

    pub fn on_message(&mut self, from: NodeId, msg: BreakerMessage, cx: &mut Cx<BreakerProcess>) {
        let (BreakerMessage::Attempt { request, .. }, Some(chain)) = (msg, Chain::of_caller(from))
        else {
            cx.note(|| format!("drops a message from {from}: only callers' attempts come here"));
            return;
        };
        let now = cx.now();
        self.count_arrival(now, chain);
        let job = Job {
            caller: from,
            attempt: request.id,
        };
        let copy = &mut self.copies[chain.index()];
        match copy.on_request(now, job, request.deadline, cx.rng) {
            Admission::Started(work) => start(chain, work, cx),
            Admission::Queued { position } => {
                cx.note(|| format!("a{} waits, {position} in the queue", request.id.0))
            }
            Admission::Rejected {
                reason: Rejection::QueueFull,
                ..
            } => {
                cx.note(|| format!("queue full: a{} refused (503)", request.id.0));
                cx.send(
                    from,
                    BreakerMessage::Result {
                        id: request.id,
                        reply: Reply::Overloaded,
                    },
                );
            }
            Admission::Rejected {
                reason: Rejection::Outage,
                ..
            } => cx.note(|| format!("down: a{} gets no answer", request.id.0)),
        }
    }

    pub fn on_timer(&mut self, timer: BreakerTimer, cx: &mut Cx<BreakerProcess>) {
        let BreakerTimer::WorkDone(chain, work) = timer else {
            cx.note(|| format!("ignores timer {}", timer.label()));
            return;
        };
        let now = cx.now();
        let copy = &mut self.copies[chain.index()];
        if let Some(done) = copy.on_work_done(now, work, cx.rng) {
            let reply = match done.outcome {
                Outcome::Ok => Reply::Ok,
                Outcome::Error => Reply::Error,
            };
            cx.send(
                done.job.caller,
                BreakerMessage::Result {
                    id: done.job.attempt,
                    reply,
                },
            );
        }
        loop {
            match self.copies[chain.index()].next(now, cx.rng) {
                Next::Started(work) => start(chain, work, cx),
                Next::Expired(_) => continue,
                Next::Idle => break,
            }
        }
    }

    /// A fault from the page or a preset: both copies at once.
    pub fn on_operation(&mut self, op: DownstreamOp, cx: &mut Cx<BreakerProcess>) {
        self.faults = match op {
            // A hung service rather than a refusing one: what callers meet
            // when its own dependency stops answering, and what their
            // timeouts are for.
            DownstreamOp::Outage => Faults {
                stalled: true,
                ..self.faults
            },
            DownstreamOp::Recover => Faults::NONE,
            DownstreamOp::BrownOut { capacity_percent } => Faults {
                capacity_ppm: u32::from(capacity_percent.clamp(1, 100)) * (PPM / 100),
                ..self.faults
            },
            DownstreamOp::Errors { percent } => Faults {
                error_ppm: u32::from(percent.min(100)) * (PPM / 100),
                ..self.faults
            },
        };
        for chain in Chain::BOTH {
            self.copies[chain.index()].set_faults(self.faults);
            // Lifting a stall frees the workers for what waited.
            let now = cx.now();
            while let Next::Started(work) = self.copies[chain.index()].next(now, cx.rng) {
                start(chain, work, cx);
            }
        }
        let queued = [self.copies[0].queued(), self.copies[1].queued()];
        cx.note(|| format!("{op}; {} and {} requests wait", queued[0], queued[1]));
    }

    fn count_arrival(&mut self, now: Time, chain: Chain) {
        let second = (now.as_micros() / 1_000_000) as usize;
        if self.load.len() <= second {
            self.load.resize(second + 1, [0, 0]);
        }
        self.load[second][chain.index()] += 1;
    }

    fn fault_text(&self) -> String {
        let faults = self.faults;
        if faults.outage || faults.stalled {
            return "down: hangs, answers nothing".to_string();
        }
        let mut parts = Vec::new();
        if faults.capacity_ppm < PPM {
            parts.push(format!(
                "brown-out to {}%",
                faults.capacity_ppm / (PPM / 100)
            ));
        }
        if faults.error_ppm > 0 {
            parts.push(format!("{}% errors", faults.error_ppm / (PPM / 100)));
        }
        if parts.is_empty() {
            "healthy".to_string()
        } else {
            parts.join(", ")
        }
    }

    pub fn summary(&self) -> NodeSummary {
        let saturated = self
            .copies
            .iter()
            .any(|copy| copy.queued() * 2 >= SERVICE.queue_limit.unwrap_or(64) as usize);
        let (role, palette) = if self.faults.outage || self.faults.stalled {
            ("downstream down", Palette::Faulty)
        } else if !self.faults.is_healthy() {
            ("downstream degraded", Palette::Suspect)
        } else if saturated {
            ("downstream saturated", Palette::Suspect)
        } else {
            ("downstream", Palette::Plain)
        };
        NodeSummary {
            role,
            palette,
            badge: format!("{}|{}", self.copies[0].queued(), self.copies[1].queued()),
            detail: format!(
                "downstream ({}), one copy per chain: queues {} (with breaker) and {} (without)",
                self.fault_text(),
                self.copies[0].queued(),
                self.copies[1].queued()
            ),
        }
    }

    pub fn state_row(&self) -> Vec<Cell> {
        let copy = |chain: Chain| {
            let service = &self.copies[chain.index()];
            format!(
                "{}: {}/{} busy, {}/{} queued",
                chain.as_str(),
                service.busy(),
                SERVICE.workers,
                service.queued(),
                SERVICE.queue_limit.unwrap_or(0)
            )
        };
        let last = self.load.len().checked_sub(2).map(|s| self.load[s]);
        vec![
            Cell::Text(self.fault_text()),
            Cell::Text(copy(Chain::WithBreaker)),
            Cell::Text(copy(Chain::WithoutBreaker)),
            Cell::Text(match last {
                Some([with, without]) => {
                    format!(
                        "load in the last full second: {with}/s with breaker, {without}/s without"
                    )
                }
                None => "-".to_string(),
            }),
        ]
    }
}

fn start(chain: Chain, work: Work, cx: &mut Cx<BreakerProcess>) {
    cx.set_timer(BreakerTimer::WorkDone(chain, work.id), work.after);
}
