//! A tenant: an open-loop Poisson source of requests of random sizes (1 to
//! [`MAX_SIZE`] work units) to its server, and what it measures of the
//! answers, second by second of its clock: requests served and refused, and
//! a DDSketch of the served requests' latencies.
//!
//! Tenant 0 can turn noisy: its rate is multiplied by the noise factor until
//! it is told to calm down.

use crate::decimal::decimal;
use crate::sim::node::Cx;
use crate::sim::time::{Duration, NodeId, Time};
use crate::sim::view::{Cell, NodeSummary, Palette};
use crate::traffic::clients::{Arrivals, OpenLoop};
use crate::traffic::request::{Request, RequestIds, TraceContext};
use crate::traffic::sketch::LatencySketch;

use super::message::{TenancyMessage, TenancyOp, TenancyTimer, TenantId, MAX_BURST, MAX_SIZE};
use super::process::{TenancyConfig, TenancyProcess};

/// Relative accuracy of the latency sketches (2%: fewer buckets than the
/// lab's default, one sketch per tenant per second).
const SKETCH_ALPHA: f64 = 0.02;

/// One second of a tenant's answers.
#[derive(Clone, Debug, Default)]
pub struct Second {
    pub served: u32,
    pub refused: u32,
    /// Served requests' latencies, in milliseconds.
    pub latency: LatencySketch,
}

#[derive(Clone, Debug)]
pub struct Tenant {
    id: TenantId,
    server: NodeId,
    config: TenancyConfig,
    noisy: bool,
    ids: RequestIds,
    seconds: Vec<Second>,
    /// Every served request's latency, in milliseconds.
    latency: LatencySketch,
    served: u64,
    refused: u64,
}

impl Tenant {
    pub fn new(id: TenantId, config: TenancyConfig) -> Self {
        Tenant {
            id,
            server: config.server_of(id),
            config,
            noisy: id.0 == 0 && config.noisy_at_start,
            ids: RequestIds::default(),
            seconds: Vec::new(),
            latency: LatencySketch::new(SKETCH_ALPHA),
            served: 0,
            refused: 0,
        }
    }

    pub fn id(&self) -> TenantId {
        self.id
    }

    pub fn is_noisy(&self) -> bool {
        self.noisy
    }

    pub fn seconds(&self) -> &[Second] {
        &self.seconds
    }

    /// Latencies of every served request so far.
    pub fn latency(&self) -> &LatencySketch {
        &self.latency
    }

    pub fn sent(&self) -> u64 {
        self.ids.issued()
    }

    pub fn served(&self) -> u64 {
        self.served
    }

    pub fn refused(&self) -> u64 {
        self.refused
    }

    /// Requests a second right now.
    pub fn rate(&self) -> u32 {
        if self.noisy {
            self.config.rate.saturating_mul(self.config.noise.max(1))
        } else {
            self.config.rate
        }
    }

    fn source(&self) -> OpenLoop {
        OpenLoop::new(Arrivals::Poisson {
            per_second: self.rate(),
        })
    }

    fn arm(&mut self, cx: &mut Cx<TenancyProcess>) {
        cx.cancel_timer(TenancyTimer::NextRequest);
        let now = cx.now();
        if let Some(next) = self.source().next_arrival(now, cx.rng) {
            cx.set_timer(TenancyTimer::NextRequest, next.since(now));
        }
    }

    pub fn on_start(&mut self, cx: &mut Cx<TenancyProcess>) {
        self.arm(cx);
    }

    fn send_one(&mut self, cx: &mut Cx<TenancyProcess>) {
        let request = Request::new(
            self.ids.next_id(),
            cx.now(),
            None,
            TraceContext::root(cx.rng),
        );
        let size = cx.rng.range_inclusive(1, u64::from(MAX_SIZE)) as u8;
        cx.send(
            self.server,
            TenancyMessage::Call {
                tenant: self.id,
                request,
                size,
            },
        );
    }

    pub fn on_timer(&mut self, timer: TenancyTimer, cx: &mut Cx<TenancyProcess>) {
        if timer != TenancyTimer::NextRequest {
            return;
        }
        self.send_one(cx);
        self.arm(cx);
    }

    pub fn on_operation(&mut self, op: TenancyOp, cx: &mut Cx<TenancyProcess>) {
        match op {
            TenancyOp::NoisyOn | TenancyOp::NoisyOff => {
                self.noisy = op == TenancyOp::NoisyOn;
                let rate = self.rate();
                let id = self.id;
                cx.note(|| format!("{id} now sends {rate} requests a second"));
                self.arm(cx);
            }
            TenancyOp::Burst(count) => {
                for _ in 0..count.min(MAX_BURST) {
                    self.send_one(cx);
                }
            }
        }
    }

    pub fn on_message(&mut self, msg: TenancyMessage, cx: &mut Cx<TenancyProcess>) {
        let TenancyMessage::Answer {
            id,
            sent_at,
            refused,
        } = msg
        else {
            cx.note(|| "a tenant takes answers, not calls: dropped".to_string());
            return;
        };
        let now = cx.now();
        if sent_at > now || id.0 > self.ids.issued() {
            cx.note(|| format!("an answer to {id}, which this tenant never sent: dropped"));
            return;
        }
        let second = (now.as_micros() / 1_000_000) as usize;
        if self.seconds.len() <= second {
            self.seconds.resize_with(second + 1, || Second {
                latency: LatencySketch::new(SKETCH_ALPHA),
                ..Second::default()
            });
        }
        let slot = &mut self.seconds[second];
        if refused.is_some() {
            slot.refused += 1;
            self.refused += 1;
            return;
        }
        let ms = now.since(sent_at).as_micros() as f64 / 1000.0;
        slot.served += 1;
        slot.latency.record(ms);
        self.latency.record(ms);
        self.served += 1;
    }

    /// The workload and the measures are the tenant's, not its memory: a
    /// restart resumes them (its timer died with it; `on_start` re-arms it).
    pub fn on_crash(&mut self) {}

    pub fn summary(&self) -> NodeSummary {
        NodeSummary {
            role: "tenant",
            palette: if self.noisy {
                Palette::Faulty
            } else {
                Palette::Done
            },
            badge: format!("{} w{}", self.id, self.config.weight(self.id)),
            detail: format!(
                "{} requests a second{}, weight {}",
                self.rate(),
                if self.noisy { " (noisy)" } else { "" },
                self.config.weight(self.id)
            ),
        }
    }

    pub fn state_row(&self) -> Vec<Cell> {
        let p99 = self
            .latency
            .quantile(0.99)
            .map_or("-".to_string(), |ms| format!("p99 {} ms", decimal(ms, 0)));
        vec![
            Cell::Text(format!("{} sent", self.sent())),
            Cell::Text(format!("{}/s", self.rate())),
            Cell::Text(format!("{} served", self.served)),
            Cell::Text(format!("{} refused", self.refused)),
            Cell::Text(p99),
        ]
    }
}

/// Time of the end of second `index`, where its point is drawn.
pub fn end_of_second(index: usize) -> Time {
    Time::ZERO.after(Duration::from_millis(1000 * (index as u64 + 1)))
}
