//! The client: open-loop traffic (a Poisson process at the `rate`
//! parameter) sent down both chains at once, each request to both callers
//! with the same id, so the two chains see the same load. It measures what
//! each chain gave it: successes, failures, fast rejections, and the latency
//! of successes in a DDSketch, overall and per second of the run (the
//! second by the client's clock).

use crate::sim::node::{Cx, Labelled};
use crate::sim::time::{Duration, NodeId, Time};
use crate::sim::view::{Cell, NodeSummary, Palette};
use crate::traffic::clients::{Arrivals, OpenLoop};
use crate::traffic::request::{Request, RequestIds, TraceContext};
use crate::traffic::sketch::LatencySketch;

use super::message::{BreakerMessage, BreakerTimer, Chain, Verdict};
use super::process::BreakerProcess;

/// What one chain gave the client in one second of the run (or overall).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Interval {
    pub ok: u32,
    pub failed: u32,
    pub rejected: u32,
    /// Latency of the successes, in milliseconds.
    pub latency: LatencySketch,
}

impl Interval {
    pub fn answered(&self) -> u32 {
        self.ok + self.failed + self.rejected
    }

    /// Failed and rejected, as a percentage of the answers (0 with none).
    pub fn error_percent(&self) -> u32 {
        let answered = self.answered();
        if answered == 0 {
            0
        } else {
            (u64::from(self.failed + self.rejected) * 100 / u64::from(answered)) as u32
        }
    }

    fn add(&mut self, verdict: Verdict, latency: Duration) {
        match verdict {
            Verdict::Ok => {
                self.ok += 1;
                self.latency.record_duration(latency);
            }
            Verdict::Failed => self.failed += 1,
            Verdict::Rejected => self.rejected += 1,
        }
    }
}

/// What the client measured of one chain.
#[derive(Clone, Debug, Default)]
pub struct ChainMeasure {
    pub total: Interval,
    /// Per second of the run, by the client's clock.
    pub seconds: Vec<Interval>,
    /// Request ids answered, as a bitmap (a duplicated answer counts once).
    answered: Vec<u64>,
}

impl ChainMeasure {
    /// Records an answer to `id`; false if it was answered before.
    fn answer(&mut self, id: u64, now: Time, sent_at: Time, verdict: Verdict) -> bool {
        let (word, bit) = ((id / 64) as usize, id % 64);
        if self.answered.len() <= word {
            self.answered.resize(word + 1, 0);
        }
        if self.answered[word] & (1 << bit) != 0 {
            return false;
        }
        self.answered[word] |= 1 << bit;
        let latency = now.since(sent_at);
        let second = (now.as_micros() / 1_000_000) as usize;
        if self.seconds.len() <= second {
            self.seconds.resize(second + 1, Interval::default());
        }
        self.seconds[second].add(verdict, latency);
        self.total.add(verdict, latency);
        true
    }
}

#[derive(Clone, Debug)]
pub struct Client {
    source: OpenLoop,
    ids: RequestIds,
    measures: [ChainMeasure; 2],
}

impl Client {
    pub fn new(per_second: u32) -> Self {
        Client {
            source: OpenLoop::new(Arrivals::Poisson { per_second }),
            ids: RequestIds::default(),
            measures: [ChainMeasure::default(), ChainMeasure::default()],
        }
    }

    pub fn measure(&self, chain: Chain) -> &ChainMeasure {
        &self.measures[chain.index()]
    }

    pub fn sent(&self) -> u64 {
        self.ids.issued()
    }

    pub fn on_start(&mut self, cx: &mut Cx<BreakerProcess>) {
        self.schedule_next(cx);
    }

    /// The workload stops with the client; what it measured is kept.
    pub fn on_crash(&mut self) {}

    pub fn on_timer(&mut self, timer: BreakerTimer, cx: &mut Cx<BreakerProcess>) {
        if timer != BreakerTimer::NextRequest {
            cx.note(|| format!("ignores timer {}", timer.label()));
            return;
        }
        let id = self.ids.next_id();
        let request = Request::new(id, cx.now(), None, TraceContext::root(cx.rng));
        for chain in Chain::BOTH {
            cx.send(chain.caller(), BreakerMessage::Call(request));
        }
        self.schedule_next(cx);
    }

    pub fn on_message(&mut self, from: NodeId, msg: BreakerMessage, cx: &mut Cx<BreakerProcess>) {
        let (
            BreakerMessage::Answer {
                id,
                sent_at,
                verdict,
                ..
            },
            Some(chain),
        ) = (msg, Chain::of_caller(from))
        else {
            cx.note(|| format!("drops a message from {from}: only callers' answers come here"));
            return;
        };
        if id.0 == 0 || id.0 > self.ids.issued() {
            cx.note(|| format!("drops an answer to {id}, which it never sent"));
            return;
        }
        let now = cx.now();
        if !self.measures[chain.index()].answer(id.0, now, sent_at, verdict) {
            cx.note(|| {
                format!(
                    "{id} was already answered ({}): duplicate dropped",
                    chain.as_str()
                )
            });
        }
    }

    fn schedule_next(&mut self, cx: &mut Cx<BreakerProcess>) {
        let now = cx.now();
        if let Some(next) = self.source.next_arrival(now, cx.rng) {
            cx.set_timer(BreakerTimer::NextRequest, next.since(now));
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
            let total = &self.measures[chain.index()].total;
            format!(
                "{}: {} ok, {} failed, {} rejected fast",
                chain.as_str(),
                total.ok,
                total.failed,
                total.rejected
            )
        };
        vec![
            Cell::Text("-".to_string()),
            Cell::Text(text(Chain::WithBreaker)),
            Cell::Text(text(Chain::WithoutBreaker)),
            Cell::Text(format!("{} requests sent to both", self.ids.issued())),
        ]
    }
}
