//! The client: open-loop traffic (a Poisson process at the `rate`
//! parameter), each request sent down both chains with the same id, so the
//! two see the same load. It is the first retrying layer: it calls the
//! frontend through a [`Caller`] per chain. It measures what each chain gave
//! it: successes and failures per second, and the latency of successes in a
//! DDSketch, per second and overall.

use crate::decimal::decimal;
use crate::sim::node::Cx;
use crate::sim::time::{NodeId, Time};
use crate::sim::view::{Cell, NodeSummary, Palette};
use crate::traffic::clients::{Arrivals, OpenLoop};
use crate::traffic::request::{RequestIds, TraceContext};
use crate::traffic::sketch::LatencySketch;

use super::caller::{Caller, Finished};
use super::message::{Chain, PartialMessage, PartialTimer, FRONTEND};
use super::policy::RetryPolicy;
use super::process::PartialProcess;

/// What one chain gave the client in one second of the run.
#[derive(Clone, Debug, Default)]
pub struct Second {
    /// Requests sent in this second.
    pub requests: u32,
    /// Answers received in this second.
    pub ok: u32,
    pub failed: u32,
    /// Latency of this second's successes, in milliseconds.
    pub latency: LatencySketch,
}

/// What the client measured of one chain.
#[derive(Clone, Debug, Default)]
pub struct ChainMeasure {
    pub seconds: Vec<Second>,
    pub latency: LatencySketch,
    pub ok: u64,
    pub failed: u64,
}

impl ChainMeasure {
    fn second(&mut self, now: Time) -> &mut Second {
        let second = (now.as_micros() / 1_000_000) as usize;
        if self.seconds.len() <= second {
            self.seconds.resize(second + 1, Second::default());
        }
        &mut self.seconds[second]
    }

    fn record(&mut self, now: Time, done: Finished) {
        let latency = now.since(done.started_at);
        let second = self.second(now);
        if done.ok {
            second.ok += 1;
            second.latency.record_duration(latency);
            self.latency.record_duration(latency);
            self.ok += 1;
        } else {
            second.failed += 1;
            self.failed += 1;
        }
    }
}

#[derive(Clone, Debug)]
pub struct Client {
    source: OpenLoop,
    ids: RequestIds,
    callers: [Caller; 2],
    measures: [ChainMeasure; 2],
}

impl Client {
    pub fn new(per_second: u32, policies: [RetryPolicy; 2]) -> Self {
        Client {
            source: OpenLoop::new(Arrivals::Poisson { per_second }),
            ids: RequestIds::default(),
            callers: Chain::BOTH.map(|chain| Caller::new(chain, FRONTEND, policies[chain.index()])),
            measures: [ChainMeasure::default(), ChainMeasure::default()],
        }
    }

    pub fn measure(&self, chain: Chain) -> &ChainMeasure {
        &self.measures[chain.index()]
    }

    pub fn caller(&self, chain: Chain) -> &Caller {
        &self.callers[chain.index()]
    }

    #[cfg(test)]
    pub fn caller_mut(&mut self, chain: Chain) -> &mut Caller {
        &mut self.callers[chain.index()]
    }

    pub fn sent(&self) -> u64 {
        self.ids.issued()
    }

    pub fn on_start(&mut self, cx: &mut Cx<PartialProcess>) {
        self.schedule_next(cx);
    }

    /// The workload stops with the client; what it measured is kept.
    pub fn on_crash(&mut self) {
        for caller in &mut self.callers {
            caller.on_crash();
        }
    }

    pub fn on_timer(&mut self, timer: PartialTimer, cx: &mut Cx<PartialProcess>) {
        let done = match timer {
            PartialTimer::NextRequest => {
                let id = self.ids.next_id();
                let trace = TraceContext::root(cx.rng);
                let now = cx.now();
                for chain in Chain::BOTH {
                    self.measures[chain.index()].second(now).requests += 1;
                    self.callers[chain.index()].start(id, None, None, trace, cx);
                }
                self.schedule_next(cx);
                None
            }
            PartialTimer::AttemptTimeout(chain, id) => self.callers[chain.index()]
                .on_timeout(id, cx)
                .map(|done| (chain, done)),
            PartialTimer::Retry(chain, call) => self.callers[chain.index()]
                .on_retry(call, cx)
                .map(|done| (chain, done)),
            PartialTimer::Hedge(chain, call) => {
                self.callers[chain.index()].on_hedge(call, cx);
                None
            }
            PartialTimer::WorkDone(..) => {
                cx.note(|| "ignores a tier's timer".to_string());
                None
            }
        };
        if let Some((chain, done)) = done {
            let now = cx.now();
            self.measures[chain.index()].record(now, done);
        }
    }

    pub fn on_message(&mut self, from: NodeId, msg: PartialMessage, cx: &mut Cx<PartialProcess>) {
        if from != FRONTEND {
            cx.note(|| format!("drops a message from {from}: only the frontend answers here"));
            return;
        }
        match msg {
            PartialMessage::Reply {
                chain,
                attempt,
                reply,
            } => {
                if let Some(done) = self.callers[chain.index()].on_reply(attempt, reply, cx) {
                    let now = cx.now();
                    self.measures[chain.index()].record(now, done);
                }
            }
            PartialMessage::GoAway => {
                let now = cx.now();
                for chain in Chain::BOTH {
                    for done in self.callers[chain.index()].on_go_away(cx) {
                        self.measures[chain.index()].record(now, done);
                    }
                }
            }
            _ => cx.note(|| "drops a message that is not a reply".to_string()),
        }
    }

    fn schedule_next(&mut self, cx: &mut Cx<PartialProcess>) {
        let now = cx.now();
        if let Some(next) = self.source.next_arrival(now, cx.rng) {
            cx.set_timer(PartialTimer::NextRequest, next.since(now));
        }
    }

    pub fn summary(&self) -> NodeSummary {
        NodeSummary {
            role: "client",
            palette: Palette::Plain,
            badge: format!("{}", self.ids.issued()),
            detail: format!(
                "client: {} requests sent down both chains",
                self.ids.issued()
            ),
        }
    }

    pub fn state_row(&self) -> Vec<Cell> {
        let text = |chain: Chain| {
            let measure = &self.measures[chain.index()];
            let caller = &self.callers[chain.index()];
            let p99 = measure.latency.quantile(0.99).unwrap_or(0.0);
            format!(
                "{}: {} ok, {} failed, p99 {} ms; {} retries",
                chain.as_str(),
                measure.ok,
                measure.failed,
                decimal(p99, 0),
                caller.stats().retries
            )
        };
        vec![
            Cell::Text("-".to_string()),
            Cell::Text(text(Chain::Guarded)),
            Cell::Text(text(Chain::Naive)),
            Cell::Text(format!("{} requests sent to both", self.ids.issued())),
        ]
    }
}
