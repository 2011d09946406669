//! The service a limit guards, run twice on the same seed: one copy gets only
//! the requests the token bucket admits, the other every request the client
//! sends. Same workers, same service times, same queue; the copies differ only
//! in whether a limit stands in front, so the plots show what the limit buys
//! the service (a short queue, a low tail) and what it costs the client (429s).
//!
//! Each copy is a [`crate::traffic::service`] station sized from the limit:
//! two workers with exponential service times of mean `T`, so it can serve
//! `2·r` a second at most and the limit keeps it at most half busy (a limit
//! is set below what the service can take), with at most [`QUEUE_LIMIT`]
//! waiting (beyond that it answers 503). Its
//! latency is measured from arrival to the end of the work, by its own clock.

use crate::sim::node::{Cx, Labelled};
use crate::sim::time::{Duration, NodeId, Time};
use crate::sim::view::{Cell, NodeSummary, Palette};
use crate::traffic::distribution::ServiceTime;
use crate::traffic::service::{Admission, Next, Service, ServiceConfig, Work};
use crate::traffic::sketch::LatencySketch;

use super::message::{Guard, RateMessage, RateTimer, RequestId};
use super::process::{RateConfig, RateProcess};

/// Requests a copy lets wait before it answers 503.
pub const QUEUE_LIMIT: u32 = 32;

/// The node of the token bucket, whose admitted requests the guarded copy gets.
pub const TOKEN_BUCKET: NodeId = NodeId(0);

/// The service's shape for a limit of one request every `interval_us`.
pub fn service_config(interval_us: u64) -> ServiceConfig {
    ServiceConfig {
        workers: 2,
        queue_limit: Some(QUEUE_LIMIT),
        service_time: ServiceTime::Exponential {
            mean: Duration(interval_us),
        },
        drop_expired: false,
    }
}

/// What one copy saw in one second of the run (by the backend's clock).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BackendSecond {
    pub arrived: u32,
    pub served: u32,
    /// Answered 503: the queue was full.
    pub refused: u32,
    /// Arrival to end of work of the requests served in this second, in ms.
    pub latency: LatencySketch,
}

/// One copy: its station and its seconds.
#[derive(Clone, Debug)]
struct Station {
    service: Service<RequestId>,
    seconds: Vec<BackendSecond>,
}

impl Station {
    fn second(&mut self, now: Time) -> &mut BackendSecond {
        let index = (now.as_micros() / 1_000_000) as usize;
        if self.seconds.len() <= index {
            self.seconds.resize(index + 1, BackendSecond::default());
        }
        &mut self.seconds[index]
    }
}

/// The backend process holding both copies.
#[derive(Clone, Debug)]
pub struct Backend {
    /// The traffic client, whose requests go to the unguarded copy.
    client: NodeId,
    copies: [Station; 2],
}

impl Backend {
    pub fn new(config: &RateConfig) -> Self {
        let copy = || Station {
            service: Service::new(service_config(config.interval_us)),
            seconds: Vec::new(),
        };
        Backend {
            client: config.client(),
            copies: [copy(), copy()],
        }
    }

    /// The copy's station (queue, workers, totals).
    pub fn service(&self, guard: Guard) -> &Service<RequestId> {
        &self.copies[guard.index()].service
    }

    /// The copy's seconds, from second 0 of the run.
    pub fn seconds(&self, guard: Guard) -> &[BackendSecond] {
        &self.copies[guard.index()].seconds
    }

    /// The guarded copy gets what the token bucket forwards; the other what
    /// the client sends. Anything else is not traffic for it.
    pub fn on_message(&mut self, from: NodeId, msg: RateMessage, cx: &mut Cx<RateProcess>) {
        let guard = match (&msg, from) {
            (RateMessage::Request { .. }, TOKEN_BUCKET) => Guard::BehindLimit,
            (RateMessage::Request { .. }, from) if from == self.client => Guard::NoLimit,
            _ => {
                cx.note(|| format!("the backend drops {} from {from}", msg.label()));
                return;
            }
        };
        let RateMessage::Request { id } = msg else {
            return;
        };
        let now = cx.now();
        let copy = &mut self.copies[guard.index()];
        copy.second(now).arrived += 1;
        match copy.service.on_request(now, id, None, cx.rng) {
            Admission::Started(work) => start(guard, work, cx),
            Admission::Queued { .. } => {}
            Admission::Rejected { .. } => {
                copy.second(now).refused += 1;
                cx.note(|| format!("{}: queue full, {id} refused (503)", guard.as_str()));
            }
        }
    }

    pub fn on_timer(&mut self, timer: RateTimer, cx: &mut Cx<RateProcess>) {
        let RateTimer::WorkDone(guard, work) = timer else {
            cx.note(|| format!("the backend ignores timer {}", timer.label()));
            return;
        };
        let now = cx.now();
        let copy = &mut self.copies[guard.index()];
        if let Some(done) = copy.service.on_work_done(now, work, cx.rng) {
            let second = copy.second(now);
            second.served += 1;
            second
                .latency
                .record(now.since(done.arrived_at).as_micros() as f64 / 1_000.0);
        }
        loop {
            match self.copies[guard.index()].service.next(now, cx.rng) {
                Next::Started(work) => start(guard, work, cx),
                Next::Expired(_) => continue,
                Next::Idle => break,
            }
        }
    }

    pub fn on_crash(&mut self) {
        for copy in &mut self.copies {
            copy.service.on_crash();
        }
    }

    pub fn summary(&self) -> NodeSummary {
        let [behind, open] = Guard::BOTH.map(|guard| self.service(guard).in_system());
        NodeSummary {
            role: "backend",
            palette: if open > behind {
                Palette::Suspect
            } else {
                Palette::Plain
            },
            badge: format!("{behind}|{open}"),
            detail: format!(
                "requests inside: {behind} behind the token bucket, {open} with no limit"
            ),
        }
    }

    pub fn state_row(&self) -> Vec<Cell> {
        let both = |value: &dyn Fn(Guard) -> String| {
            Cell::Text(format!(
                "{} | {}",
                value(Guard::BehindLimit),
                value(Guard::NoLimit)
            ))
        };
        vec![
            both(&|guard| self.service(guard).stats().finished.to_string()),
            both(&|guard| self.service(guard).stats().rejected.to_string()),
            both(&|guard| format!("{} queued", self.service(guard).queued())),
        ]
    }
}

fn start(guard: Guard, work: Work, cx: &mut Cx<RateProcess>) {
    cx.set_timer(RateTimer::WorkDone(guard, work.id), work.after);
}
