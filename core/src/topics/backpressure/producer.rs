//! The producer: an open-loop source ([`crate::traffic::clients::OpenLoop`],
//! Poisson arrivals at the `rate` parameter, twice that during a burst) at the
//! head of the pipeline.
//!
//! Open loop means it does not wait for anything: under unbounded and drop
//! policies every arrival becomes an item and goes straight to stage A.
//! Under block and credit the link to A may say "not now"; items then wait
//! in the producer's outbox, bounded by a quarter of the queue capacity, and an arrival
//! that finds the outbox full is not produced at all (throttled): the
//! producer is slowed to what the pipeline can take, which is the point of
//! backpressure (a real producer would block its caller, or read its socket
//! less often).
//!
//! Beside a bounded policy the producer also feeds the unbounded twin
//! ([`super::chain`]): every arrival of the open-loop source, made or
//! throttled for the main chain, is sent at once to the twin's first stage
//! A' on a link of its own, which pushes back on nothing. So on one seed the
//! twin gets exactly the arrivals the source makes, and the main chain gets
//! those of them its flow control lets in.

use std::collections::VecDeque;

use crate::sim::node::{Cx, Labelled};
use crate::sim::time::{Duration, NodeId, Time};
use crate::sim::view::{Cell, NodeSummary, Palette};
use crate::traffic::clients::{Arrivals, OpenLoop};

use super::chain::Chain;
use super::link::Sender;
use super::message::{
    stage_id, Item, PipelineMessage, PipelineOp, PipelineTimer, Policy, BURST_MS,
};
use super::process::{PipelineConfig, PipelineProcess, TICK};

/// One second of the producer's life, for the line charts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProducerSample {
    pub produced: u32,
    pub throttled: u32,
}

#[derive(Clone, Debug)]
pub struct Producer {
    config: PipelineConfig,
    sender: Sender,
    /// The link to the twin's A', if the run has a twin.
    twin: Option<Sender>,
    outbox: VecDeque<Item>,
    /// Arrivals of the open-loop source (item ids 1 to `arrivals`).
    arrivals: u64,
    /// Items made for the main chain.
    produced: u64,
    /// Arrivals not produced because the outbox was full.
    throttled: u64,
    /// Items in the outbox when the producer crashed.
    lost: u64,
    burst_until: Time,
    seconds: Vec<ProducerSample>,
}

impl Producer {
    pub fn new(config: PipelineConfig) -> Self {
        Producer {
            config,
            sender: Sender::new(config.credit_leak),
            twin: config.has_twin().then(|| Sender::new(false)),
            outbox: VecDeque::new(),
            arrivals: 0,
            produced: 0,
            throttled: 0,
            lost: 0,
            burst_until: Time::ZERO,
            seconds: Vec::new(),
        }
    }

    /// Items made for the main chain.
    pub fn produced(&self) -> u64 {
        self.produced
    }

    /// Every arrival of the source, made or throttled: what the twin gets.
    pub fn arrivals(&self) -> u64 {
        self.arrivals
    }

    pub fn throttled(&self) -> u64 {
        self.throttled
    }

    pub fn lost(&self) -> u64 {
        self.lost
    }

    pub fn outbox(&self) -> usize {
        self.outbox.len()
    }

    pub fn sender(&self) -> &Sender {
        &self.sender
    }

    /// The link to `chain`'s first stage (`None` for a twin the run lacks).
    pub fn sender_to(&self, chain: Chain) -> Option<&Sender> {
        match chain {
            Chain::Main => Some(&self.sender),
            Chain::Twin => self.twin.as_ref(),
        }
    }

    pub fn seconds(&self) -> &[ProducerSample] {
        &self.seconds
    }

    /// Under block and credit, how many made items may wait to be sent: a
    /// quarter of the queue capacity, so that a resume (which lets all of them
    /// go at once) fits in the headroom stage A keeps for it.
    pub fn outbox_limit(&self) -> usize {
        (self.config.capacity as usize / 4).max(1)
    }

    fn sample(&mut self, now: Time) -> &mut ProducerSample {
        let second = (now.as_micros() / 1_000_000) as usize;
        if self.seconds.len() <= second {
            self.seconds.resize(second + 1, ProducerSample::default());
        }
        &mut self.seconds[second]
    }

    fn source(&self, now: Time) -> OpenLoop {
        let boost = if now < self.burst_until { 2 } else { 1 };
        OpenLoop::new(Arrivals::Poisson {
            per_second: self.config.rate * boost,
        })
    }

    fn schedule_next(&mut self, cx: &mut Cx<PipelineProcess>) {
        let now = cx.now();
        if let Some(at) = self.source(now).next_arrival(now, cx.rng) {
            cx.set_timer(PipelineTimer::Produce, at.since(now));
        }
    }

    pub fn on_start(&mut self, cx: &mut Cx<PipelineProcess>) {
        self.schedule_next(cx);
        cx.set_timer(PipelineTimer::Tick, TICK);
    }

    pub fn on_timer(&mut self, timer: PipelineTimer, cx: &mut Cx<PipelineProcess>) {
        let now = cx.now();
        match timer {
            PipelineTimer::Produce => {
                self.arrivals += 1;
                let item = Item {
                    id: self.arrivals,
                    born: now,
                };
                // The twin pushes back on nothing: it gets every arrival,
                // whatever the main chain's flow control says.
                if let Some(twin) = &mut self.twin {
                    let seq = twin.on_send();
                    cx.send(Chain::Twin.stage(0), PipelineMessage::Item { seq, item });
                }
                if self.config.policy.holds_back() && self.outbox.len() >= self.outbox_limit() {
                    self.throttled += 1;
                    self.sample(now).throttled += 1;
                    cx.note(|| "outbox full: the arrival is not produced (throttled)".to_string());
                } else {
                    self.produced += 1;
                    self.sample(now).produced += 1;
                    self.outbox.push_back(item);
                    self.flush(cx);
                }
                self.schedule_next(cx);
            }
            PipelineTimer::Tick => {
                if let Some(total) = self.sender.notice(self.config.policy) {
                    cx.send(stage_id(0), PipelineMessage::Sent { total });
                }
                let twin = self.twin.as_mut().and_then(|s| s.notice(Policy::Unbounded));
                if let Some(total) = twin {
                    cx.send(Chain::Twin.stage(0), PipelineMessage::Sent { total });
                }
                cx.set_timer(PipelineTimer::Tick, TICK);
            }
            PipelineTimer::WorkDone(_) => cx.note(|| "the producer does no work".to_string()),
        }
    }

    pub fn on_message(&mut self, from: NodeId, msg: PipelineMessage, cx: &mut Cx<PipelineProcess>) {
        match msg {
            PipelineMessage::Request { n, total, resolved } if from == stage_id(0) => {
                self.sender.on_request(n, total, resolved)
            }
            PipelineMessage::Signal {
                open,
                epoch,
                resolved,
            } if from == stage_id(0) => self.sender.on_signal(open, epoch, resolved),
            other => {
                cx.note(|| {
                    format!(
                        "drops {} from {from}: only stage A answers the producer",
                        other.label()
                    )
                });
                return;
            }
        }
        self.flush(cx);
    }

    /// Sends what the link to A allows.
    fn flush(&mut self, cx: &mut Cx<PipelineProcess>) {
        while !self.outbox.is_empty() && self.sender.may_send(self.config.policy) {
            let Some(item) = self.outbox.pop_front() else {
                break;
            };
            let seq = self.sender.on_send();
            cx.send(stage_id(0), PipelineMessage::Item { seq, item });
        }
    }

    pub fn on_operation(&mut self, op: PipelineOp, cx: &mut Cx<PipelineProcess>) {
        match op {
            PipelineOp::Burst => {
                let now = cx.now();
                self.burst_until = now.after(Duration::from_millis(BURST_MS));
                // The next arrival comes at the new rate.
                cx.cancel_timer(PipelineTimer::Produce);
                self.schedule_next(cx);
                cx.note(|| "burst: twice the rate for 3 s".to_string());
            }
            PipelineOp::SlowStage => cx.note(|| "the producer is not a stage".to_string()),
        }
    }

    /// The outbox is volatile; the counts and the link's sequence are kept.
    pub fn on_crash(&mut self) {
        self.lost += self.outbox.len() as u64;
        self.outbox.clear();
    }

    pub fn is_blocked(&self) -> bool {
        !self.outbox.is_empty()
    }

    pub fn summary(&self) -> NodeSummary {
        let (role, palette) = if self.is_blocked() && self.config.policy.holds_back() {
            ("producer (held back)", Palette::Suspect)
        } else {
            ("producer", Palette::Lead)
        };
        NodeSummary {
            role,
            palette,
            badge: format!("P {}", self.outbox.len()),
            detail: format!(
                "producer: {} made, {} throttled, {} waiting to be sent",
                self.produced,
                self.throttled,
                self.outbox.len()
            ),
        }
    }

    pub fn state_row(&self) -> Vec<Cell> {
        vec![
            Cell::Text(format!("{} waiting to be sent", self.outbox.len())),
            Cell::Text(format!(
                "{} made, {} throttled, {} lost",
                self.produced, self.throttled, self.lost
            )),
            Cell::Text(format!(
                "{} sent, {} credits left, {}{}",
                self.sender.sent,
                self.sender.credits(),
                if self.sender.open { "open" } else { "paused" },
                // The twin's link, where the run has one.
                self.twin
                    .as_ref()
                    .map_or(String::new(), |twin| format!("; {} sent to A'", twin.sent))
            )),
            Cell::Text("-".to_string()),
        ]
    }
}
