//! The traffic client: a seeded, bursty stream of requests, the same for
//! every limiter. Bursts start at random instants (gaps uniform between zero
//! and twice the mean, so bursts come `rate / burstiness` times a second on
//! average) and hold 1 to `2 · burstiness - 1` requests sent at once, so the
//! mean rate is `rate` and a burstiness of 1 is a plain random stream. The
//! page's Burst button and the presets add bursts of their own.
//!
//! Side by side, every request goes to all six limiters and to the
//! backend's unguarded copy; distributed, each
//! burst goes to one gateway picked at random (a load balancer with sticky
//! connections), which is what makes local limits turn requests away.

use crate::sim::node::{Cx, Labelled};
use crate::sim::time::{Duration, NodeId, Time};
use crate::sim::view::{Cell, NodeSummary, Palette};

use super::message::{RateMessage, RateOp, RateTimer, RequestId};
use super::process::{Mode, RateConfig, RateProcess, BACKEND};

/// A burst a person or a preset asked for: when it went out and how big.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AskedBurst {
    pub at: Time,
    pub size: u32,
}

/// The traffic client.
#[derive(Clone, Debug)]
pub struct TrafficClient {
    config: RateConfig,
    /// Requests sent so far (the next one is numbered `sent + 1`).
    sent: u32,
    asked: Vec<AskedBurst>,
}

impl TrafficClient {
    pub fn new(config: RateConfig) -> Self {
        TrafficClient {
            config,
            sent: 0,
            asked: Vec::new(),
        }
    }

    pub fn sent(&self) -> u32 {
        self.sent
    }

    /// The bursts asked for from the page or a preset, in order.
    pub fn asked_bursts(&self) -> &[AskedBurst] {
        &self.asked
    }

    /// The mean gap between bursts, if there is traffic.
    fn mean_gap(&self) -> Option<Duration> {
        let per_second = self.config.offered_per_second as u64;
        (per_second > 0)
            .then(|| Duration(self.config.burstiness.max(1) as u64 * 1_000_000 / per_second))
    }

    pub fn on_start(&mut self, cx: &mut Cx<RateProcess>) {
        self.schedule_next(cx);
    }

    fn schedule_next(&mut self, cx: &mut Cx<RateProcess>) {
        if let Some(gap) = self.mean_gap() {
            let wait = cx.rng.range_inclusive(1, 2 * gap.as_micros().max(1));
            cx.set_timer(RateTimer::NextBurst, Duration(wait));
        }
    }

    pub fn on_timer(&mut self, timer: RateTimer, cx: &mut Cx<RateProcess>) {
        if timer != RateTimer::NextBurst {
            cx.note(|| format!("the client ignores timer {}", timer.label()));
            return;
        }
        let mean = self.config.burstiness.max(1) as u64;
        let size = cx.rng.range_inclusive(1, 2 * mean - 1) as u32;
        self.send_burst(size, cx);
        self.schedule_next(cx);
    }

    pub fn on_operation(&mut self, operation: RateOp, cx: &mut Cx<RateProcess>) {
        let RateOp::Burst(size) = operation;
        self.asked.push(AskedBurst { at: cx.now(), size });
        self.send_burst(size, cx);
    }

    fn send_burst(&mut self, size: u32, cx: &mut Cx<RateProcess>) {
        let first = self.sent + 1;
        match self.config.mode {
            Mode::SideBySide => {
                for _ in 0..size {
                    self.sent += 1;
                    let id = RequestId(self.sent);
                    for limiter in 0..6 {
                        cx.send(NodeId(limiter), RateMessage::Request { id });
                    }
                    cx.send(BACKEND, RateMessage::Request { id });
                }
                cx.note(|| {
                    format!(
                        "sends requests #{first} to #{} to all six limiters and to the backend with no limit",
                        first + size - 1
                    )
                });
            }
            Mode::Distributed => {
                let gateway = NodeId(1 + cx.rng.below(self.config.gateways.max(1) as u64) as u32);
                for _ in 0..size {
                    self.sent += 1;
                    let id = RequestId(self.sent);
                    cx.send(gateway, RateMessage::Request { id });
                }
                cx.note(|| {
                    format!(
                        "sends requests #{first} to #{} to gateway {gateway}",
                        first + size - 1
                    )
                });
            }
        }
    }

    pub fn summary(&self) -> NodeSummary {
        NodeSummary {
            role: "traffic client",
            palette: Palette::Plain,
            badge: self.sent.to_string(),
            detail: format!(
                "{} requests sent; {} per second on average in bursts of {} on average",
                self.sent, self.config.offered_per_second, self.config.burstiness
            ),
        }
    }

    pub fn state_row(&self) -> Vec<Cell> {
        vec![
            Cell::Text(format!("{} sent", self.sent)),
            Cell::Text(String::new()),
            Cell::Text(format!(
                "{}/s, bursts of {} on average",
                self.config.offered_per_second, self.config.burstiness
            )),
        ]
    }
}
