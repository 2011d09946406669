//! The shop's client: open-loop traffic (a Poisson process at the `rate`
//! parameter), 70% browsing and 30% checkouts, each request sent to the
//! gateway of both planes with the same id, so the two copies of the shop
//! see the same load. It measures what each plane gave it: successes and
//! failures per second, and the latency of successes per second and overall
//! in DDSketches.

use crate::sim::node::{Cx, Labelled};
use crate::sim::time::{NodeId, Time};
use crate::sim::view::{Cell, NodeSummary, Palette};
use crate::traffic::clients::{Arrivals, OpenLoop};
use crate::traffic::request::{Request, RequestIds, TraceContext};
use crate::traffic::sketch::LatencySketch;

use super::message::{Kind, MeshMessage, MeshTimer, Plane, Status, Version, Workload};
use super::process::MeshProcess;

/// Percentage of requests that are checkouts.
pub const CHECKOUT_PERCENT: u64 = 30;

/// What one plane gave the client in one second (or overall).
#[derive(Clone, Debug, Default)]
pub struct Interval {
    pub ok: u32,
    pub failed: u32,
    /// Latency of the successes, in milliseconds.
    pub latency: LatencySketch,
}

impl Interval {
    /// Failures as a percentage of the answers (0 with none).
    pub fn error_percent(&self) -> u32 {
        let answered = self.ok + self.failed;
        (u64::from(self.failed) * 100)
            .checked_div(u64::from(answered))
            .unwrap_or(0) as u32
    }

    /// A latency quantile of the successes, in whole milliseconds.
    pub fn latency_ms(&self, q: f64) -> u64 {
        self.latency.quantile(q).unwrap_or(0.0).round() as u64
    }

    fn add(&mut self, ok: bool, latency: crate::sim::time::Duration) {
        if ok {
            self.ok += 1;
            self.latency.record_duration(latency);
        } else {
            self.failed += 1;
        }
    }
}

/// What the client measured of one plane.
#[derive(Clone, Debug, Default)]
pub struct PlaneMeasure {
    pub total: Interval,
    pub seconds: Vec<Interval>,
    /// Request ids answered, as a bitmap (a duplicated answer counts once).
    answered: Vec<u64>,
}

impl PlaneMeasure {
    fn answer(&mut self, id: u64, now: Time, sent_at: Time, ok: bool) -> bool {
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
        self.seconds[second].add(ok, latency);
        self.total.add(ok, latency);
        true
    }
}

#[derive(Clone, Debug)]
pub struct Client {
    source: OpenLoop,
    ids: RequestIds,
    measures: [PlaneMeasure; 2],
}

impl Client {
    pub fn new(per_second: u32) -> Self {
        Client {
            source: OpenLoop::new(Arrivals::Poisson { per_second }),
            ids: RequestIds::default(),
            measures: [PlaneMeasure::default(), PlaneMeasure::default()],
        }
    }

    pub fn measure(&self, plane: Plane) -> &PlaneMeasure {
        &self.measures[plane.index()]
    }

    pub fn sent(&self) -> u64 {
        self.ids.issued()
    }

    pub fn on_start(&mut self, cx: &mut Cx<MeshProcess>) {
        self.schedule_next(cx);
    }

    pub fn on_timer(&mut self, timer: MeshTimer, cx: &mut Cx<MeshProcess>) {
        if timer != MeshTimer::NextRequest {
            cx.note(|| format!("ignores timer {}", timer.label()));
            return;
        }
        let id = self.ids.next_id();
        let kind = if cx.rng.below(100) < CHECKOUT_PERCENT {
            Kind::Checkout
        } else {
            Kind::Browse
        };
        let request = Request::new(id, cx.now(), None, TraceContext::root(cx.rng));
        for plane in Plane::BOTH {
            cx.send(
                Workload::Gateway.node(),
                MeshMessage::Call {
                    plane,
                    request,
                    source: Workload::Client,
                    attempt: 1,
                    kind,
                    version: Version::Stable,
                },
            );
        }
        self.schedule_next(cx);
    }

    pub fn on_message(&mut self, from: NodeId, msg: MeshMessage, cx: &mut Cx<MeshProcess>) {
        let MeshMessage::Reply {
            plane,
            id,
            sent_at,
            status,
        } = msg
        else {
            cx.note(|| format!("drops a call from {from}: the client serves nothing"));
            return;
        };
        if from != Workload::Gateway.node() || id.0 == 0 || id.0 > self.ids.issued() {
            cx.note(|| format!("drops a reply to {id} from {from}: not one of its requests"));
            return;
        }
        let now = cx.now();
        if !self.measures[plane.index()].answer(id.0, now, sent_at, status == Status::Ok) {
            cx.note(|| {
                format!(
                    "{id} was already answered ({}): duplicate dropped",
                    plane.as_str()
                )
            });
        }
    }

    fn schedule_next(&mut self, cx: &mut Cx<MeshProcess>) {
        let now = cx.now();
        if let Some(next) = self.source.next_arrival(now, cx.rng) {
            cx.set_timer(MeshTimer::NextRequest, next.since(now));
        }
    }

    pub fn summary(&self) -> NodeSummary {
        NodeSummary {
            role: "client",
            palette: Palette::Plain,
            badge: format!("{}", self.ids.issued()),
            detail: format!(
                "client: {} requests sent to both copies of the shop",
                self.ids.issued()
            ),
        }
    }

    pub fn state_row(&self) -> Vec<Cell> {
        let text = |plane: Plane| {
            let total = &self.measures[plane.index()].total;
            format!(
                "{} ok, {} failed; p50 {} ms, p99 {} ms",
                total.ok,
                total.failed,
                total.latency_ms(0.5),
                total.latency_ms(0.99)
            )
        };
        vec![
            Cell::Text(text(Plane::Mesh)),
            Cell::Text(text(Plane::Bare)),
            Cell::Text(format!("{} requests sent to both", self.ids.issued())),
        ]
    }
}
