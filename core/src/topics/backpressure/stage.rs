//! One stage of the pipeline, in the shape of a SEDA stage (Welsh, Culler and
//! Brewer, SOSP 2001, section 3.2): an incoming event queue, a pool of
//! workers ([`crate::traffic::service::Service`], with its service-time
//! distribution and brown-out fault), and an admission policy at the queue's
//! door (section 4.2: when the queue is full the stage must refuse, shed or
//! push back). Items finished by a worker go to the next stage, or, at the
//! last stage (the sink), are delivered.
//!
//! Under block and credit the next stage may say "not now": a finished item
//! then waits in the stage's outbox and keeps its worker (a blocked thread
//! holding its event), so a stalled downstream stalls this stage, which in
//! turn stops granting its own upstream: backpressure travels back to the
//! producer one link at a time.
//!
//! A stage belongs to a chain ([`super::chain`]): the main one, under the
//! run's policy, or the unbounded twin beside it; each talks only to its
//! neighbours in its own chain (the first stage of both to the producer).
//!
//! The stage also measures itself for Little's law (L = λW): the time
//! integral of the items inside it, the items that entered, and the time each
//! one spent before it left.

use std::collections::VecDeque;

use crate::sim::node::{Cx, Labelled};
use crate::sim::rng::PPM;
use crate::sim::time::{Duration, NodeId, Time};
use crate::sim::view::{Cell, NodeSummary, Palette};
use crate::traffic::distribution::ServiceTime;
use crate::traffic::plots::PLOTTED_QUANTILES;
use crate::traffic::service::{Admission, Faults, Service, ServiceConfig, WorkId};
use crate::traffic::sketch::LatencySketch;

use super::chain::Chain;
use super::link::{Arrival, Receiver, Sender};
use super::message::{Item, PipelineMessage, PipelineTimer, Policy, PRODUCER, STAGES};
use super::process::{PipelineConfig, PipelineProcess, TICK};

/// The shape of each stage: workers and mean service time. B, with one
/// worker of 10 ms, serves about 100 items a second and is the bottleneck;
/// A and C serve about 166.
pub const STAGE_SHAPES: [(u32, Duration); STAGES] = [
    (2, Duration::from_millis(12)),
    (1, Duration::from_millis(10)),
    (2, Duration::from_millis(12)),
];

/// An item inside a stage, with the instant it entered (for Little's law).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Held {
    pub item: Item,
    pub entered: Time,
}

/// Counts since the run started (kept across crashes, for the checker and
/// the views).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StageStats {
    /// Items that entered the queue.
    pub entered: u64,
    /// Items the policy refused or evicted.
    pub dropped: u64,
    /// Items inside when the stage crashed.
    pub lost: u64,
    /// Items passed on (or, at the sink, delivered).
    pub passed: u64,
    /// Items that left normally or were evicted, and their summed time inside.
    pub departed: u64,
    pub sojourn_us: u64,
    /// The time integral of the items inside, in item-microseconds.
    pub area_us: u64,
}

/// One second of a stage's life, for the line charts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sample {
    /// The most items waiting in the queue during the second.
    pub depth: u32,
    /// The most items inside (queue, workers, outbox).
    pub held: u32,
    pub dropped: u32,
    pub passed: u32,
    /// End-to-end latency of the items delivered in the second (sink only):
    /// p50, p90, p99 and p99.9, in the order of
    /// [`crate::traffic::plots::PLOTTED_QUANTILES`].
    pub latency_us: [u64; 4],
}

#[derive(Clone, Debug)]
pub struct Stage {
    chain: Chain,
    index: usize,
    config: PipelineConfig,
    queue: VecDeque<Held>,
    service: Service<Held>,
    outbox: VecDeque<Held>,
    receiver: Receiver,
    /// The link to the next stage; `None` at the sink.
    sender: Option<Sender>,
    slow: bool,
    stats: StageStats,
    last_change: Time,
    seconds: Vec<Sample>,
    /// Sink: the latency sketch of the second being filled, and of the run.
    second_latency: LatencySketch,
    latency: LatencySketch,
}

impl Stage {
    pub fn new(chain: Chain, index: usize, config: PipelineConfig) -> Self {
        let (workers, mean) = STAGE_SHAPES[index.min(STAGES - 1)];
        let last = index + 1 == STAGES;
        Stage {
            chain,
            index,
            config,
            queue: VecDeque::new(),
            // The queue in front of the workers is the stage's own (the
            // policies need to evict its oldest item), so the service's is empty.
            service: Service::new(ServiceConfig {
                workers,
                queue_limit: Some(0),
                service_time: ServiceTime::Exponential { mean },
                drop_expired: false,
            }),
            outbox: VecDeque::new(),
            receiver: Receiver::new(),
            sender: (!last).then(|| Sender::new(config.credit_leak)),
            slow: false,
            stats: StageStats::default(),
            last_change: Time::ZERO,
            seconds: Vec::new(),
            second_latency: LatencySketch::default(),
            latency: LatencySketch::default(),
        }
    }

    pub fn index(&self) -> usize {
        self.index
    }

    pub fn chain(&self) -> Chain {
        self.chain
    }

    /// Its name on the page: A, B, C, or A', B', C'.
    pub fn name(&self) -> &'static str {
        self.chain.stage_name(self.index)
    }

    /// Whether its queue has a capacity (the twin's never has).
    pub fn is_bounded(&self) -> bool {
        self.config.policy.is_bounded()
    }

    pub fn is_sink(&self) -> bool {
        self.sender.is_none()
    }

    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    /// Items inside: waiting, being worked on, or finished and held back.
    pub fn inside(&self) -> usize {
        self.queue.len() + self.service.busy() + self.outbox.len()
    }

    pub fn outbox(&self) -> usize {
        self.outbox.len()
    }

    pub fn stats(&self) -> StageStats {
        self.stats
    }

    pub fn receiver(&self) -> &Receiver {
        &self.receiver
    }

    pub fn sender(&self) -> Option<&Sender> {
        self.sender.as_ref()
    }

    pub fn seconds(&self) -> &[Sample] {
        &self.seconds
    }

    /// The sink's end-to-end latency over the run.
    pub fn latency(&self) -> &LatencySketch {
        &self.latency
    }

    /// The second being filled and its latency sketch (sink only).
    pub fn open_second(&self) -> (usize, &LatencySketch) {
        (self.seconds.len().saturating_sub(1), &self.second_latency)
    }

    /// Whether the stage has finished items it may not send.
    pub fn is_blocked(&self) -> bool {
        !self.outbox.is_empty()
    }

    fn upstream(&self) -> NodeId {
        if self.index == 0 {
            PRODUCER
        } else {
            self.chain.stage(self.index - 1)
        }
    }

    fn downstream(&self) -> NodeId {
        self.chain.stage(self.index + 1)
    }

    fn workers(&self) -> usize {
        self.service.config().workers as usize
    }

    /// Adds the items inside since the last change to the time integral.
    fn account(&mut self, now: Time) {
        let inside = self.inside() as u64;
        self.stats.area_us += inside * now.since(self.last_change).as_micros();
        self.last_change = self.last_change.max(now);
    }

    fn sample(&mut self, now: Time) -> &mut Sample {
        let second = (now.as_micros() / 1_000_000) as usize;
        while self.seconds.len() <= second {
            // Close the second being filled: its latency quantiles.
            if let Some(last) = self.seconds.last_mut() {
                for (us, plotted) in last.latency_us.iter_mut().zip(PLOTTED_QUANTILES) {
                    *us =
                        (self.second_latency.quantile(plotted.rank).unwrap_or(0.0) * 1000.0) as u64;
                }
            }
            self.second_latency = LatencySketch::default();
            self.seconds.push(Sample::default());
        }
        let (depth, held) = (self.queue.len() as u32, self.inside() as u32);
        let sample = &mut self.seconds[second];
        sample.depth = sample.depth.max(depth);
        sample.held = sample.held.max(held);
        sample
    }

    pub fn on_start(&mut self, cx: &mut Cx<PipelineProcess>) {
        let now = cx.now();
        self.last_change = self.last_change.max(now);
        cx.set_timer(PipelineTimer::Tick, TICK);
        self.feedback(cx);
        self.sample(now);
    }

    pub fn on_message(&mut self, from: NodeId, msg: PipelineMessage, cx: &mut Cx<PipelineProcess>) {
        let now = cx.now();
        self.account(now);
        match msg {
            PipelineMessage::Item { seq, item } if from == self.upstream() => {
                match self.receiver.on_item(seq, now) {
                    Arrival::Stale => {
                        cx.note(|| format!("drops item {} (#{seq}): a copy already came", item.id))
                    }
                    Arrival::New => self.admit(item, now, cx),
                }
            }
            PipelineMessage::Sent { total } if from == self.upstream() => {
                self.receiver.on_sent(total, now)
            }
            PipelineMessage::Request { n, total, resolved } if from == self.downstream() => {
                if let Some(sender) = &mut self.sender {
                    sender.on_request(n, total, resolved);
                }
            }
            PipelineMessage::Signal {
                open,
                epoch,
                resolved,
            } if from == self.downstream() => {
                if let Some(sender) = &mut self.sender {
                    sender.on_signal(open, epoch, resolved);
                }
            }
            other => {
                cx.note(|| {
                    format!(
                        "drops {} from {from}: not from a neighbour that sends it",
                        other.label()
                    )
                });
                return;
            }
        }
        self.pump(cx);
        self.feedback(cx);
        self.sample(now);
    }

    /// The policy at the queue's door (SEDA section 4.2).
    fn admit(&mut self, item: Item, now: Time, cx: &mut Cx<PipelineProcess>) {
        let capacity = self.config.capacity as usize;
        let full = self.queue.len() >= capacity;
        match self.config.policy {
            Policy::DropNewest | Policy::Block if full => {
                // Block only drops when an item in flight beat its pause
                // (the headroom was too small for the link's delay).
                self.stats.dropped += 1;
                self.sample(now).dropped += 1;
                cx.note(|| format!("queue full: drops item {} (the newest)", item.id));
                return;
            }
            Policy::DropOldest if full => {
                if let Some(oldest) = self.queue.pop_front() {
                    self.depart(oldest, now);
                    self.stats.dropped += 1;
                    self.sample(now).dropped += 1;
                    cx.note(|| format!("queue full: evicts item {} (the oldest)", oldest.item.id));
                }
            }
            // Unbounded never refuses; credit trusts its own grants, so only a
            // broken upstream can overfill it (the invariant's business).
            _ => {}
        }
        self.queue.push_back(Held { item, entered: now });
        self.stats.entered += 1;
    }

    fn depart(&mut self, held: Held, now: Time) {
        self.stats.departed += 1;
        self.stats.sojourn_us += now.since(held.entered).as_micros();
    }

    /// Gives free workers the queue's front and sends what the link allows,
    /// until neither moves.
    fn pump(&mut self, cx: &mut Cx<PipelineProcess>) {
        let now = cx.now();
        loop {
            let mut moved = false;
            while self.service.busy() + self.outbox.len() < self.workers() {
                let Some(held) = self.queue.pop_front() else {
                    break;
                };
                match self.service.on_request(now, held, None, cx.rng) {
                    Admission::Started(work) => {
                        cx.set_timer(PipelineTimer::WorkDone(work.id.0), work.after);
                        moved = true;
                    }
                    Admission::Queued { .. } | Admission::Rejected { .. } => {
                        // A worker was free by the count above; the service
                        // disagrees only if it is stalled: leave the item first.
                        self.queue.push_front(held);
                        break;
                    }
                }
            }
            let policy = self.config.policy;
            let downstream = self.downstream();
            while let Some(sender) = &mut self.sender {
                if self.outbox.is_empty() || !sender.may_send(policy) {
                    break;
                }
                let Some(held) = self.outbox.pop_front() else {
                    break;
                };
                let seq = sender.on_send();
                cx.send(
                    downstream,
                    PipelineMessage::Item {
                        seq,
                        item: held.item,
                    },
                );
                self.stats.passed += 1;
                self.sample(now).passed += 1;
                self.depart(held, now);
                moved = true;
            }
            if !moved {
                break;
            }
        }
    }

    /// Tells the upstream how much room there is: credits or a signal.
    fn feedback(&mut self, cx: &mut Cx<PipelineProcess>) {
        let capacity = u64::from(self.config.capacity);
        let upstream = self.upstream();
        let resolved = self.receiver.resolved();
        match self.config.policy {
            Policy::Credit => {
                // Credits = room in the queue: everything that ever left it,
                // plus its capacity, plus the items lost on the way (they used
                // a credit and will never take a place).
                let left = self.stats.entered - self.queue.len() as u64;
                let target = left + capacity + self.receiver.written_off;
                let batch = (capacity / 4).max(1);
                if self.receiver.granted == 0 || target >= self.receiver.granted + batch {
                    if let Some(n) = self.receiver.grant_up_to(target) {
                        cx.send(
                            upstream,
                            PipelineMessage::Request {
                                n,
                                total: target,
                                resolved,
                            },
                        );
                    }
                }
            }
            Policy::Block => {
                let len = self.queue.len() as u64;
                let headroom = (capacity / 4).max(1);
                let change = if self.receiver.open && len + headroom >= capacity {
                    Some(false)
                } else if !self.receiver.open && len <= capacity / 2 {
                    Some(true)
                } else {
                    None
                };
                if let Some(open) = change {
                    self.receiver.set_open(open);
                    let epoch = self.receiver.epoch;
                    cx.send(
                        upstream,
                        PipelineMessage::Signal {
                            open,
                            epoch,
                            resolved,
                        },
                    );
                }
            }
            Policy::Unbounded | Policy::DropNewest | Policy::DropOldest => {}
        }
    }

    pub fn on_timer(&mut self, timer: PipelineTimer, cx: &mut Cx<PipelineProcess>) {
        let now = cx.now();
        self.account(now);
        match timer {
            PipelineTimer::WorkDone(work) => {
                let Some(done) = self.service.on_work_done(now, WorkId(work), cx.rng) else {
                    cx.note(|| format!("work w{work} was lost in a crash"));
                    return;
                };
                if self.is_sink() {
                    let latency = now.since(done.job.item.born);
                    self.latency.record_duration(latency);
                    self.stats.passed += 1;
                    self.depart(done.job, now);
                    self.sample(now).passed += 1;
                    self.second_latency.record_duration(latency);
                } else {
                    self.outbox.push_back(done.job);
                }
            }
            PipelineTimer::Tick => {
                let lost = self.receiver.on_tick(now);
                if lost > 0 {
                    cx.note(|| format!("writes off {lost} item(s) lost on the way here"));
                }
                self.resend(cx);
                cx.set_timer(PipelineTimer::Tick, TICK);
            }
            PipelineTimer::Produce => {
                cx.note(|| "a stage produces nothing".to_string());
                return;
            }
        }
        self.pump(cx);
        self.feedback(cx);
        self.sample(now);
    }

    /// Every tick: repeat the flow-control state, which the network may have
    /// lost, and tell the next stage how many items were sent.
    fn resend(&mut self, cx: &mut Cx<PipelineProcess>) {
        let upstream = self.upstream();
        let resolved = self.receiver.resolved();
        match self.config.policy {
            Policy::Credit if self.receiver.granted > 0 => cx.send(
                upstream,
                PipelineMessage::Request {
                    n: self.receiver.last_n,
                    total: self.receiver.granted,
                    resolved,
                },
            ),
            Policy::Block => cx.send(
                upstream,
                PipelineMessage::Signal {
                    open: self.receiver.open,
                    epoch: self.receiver.epoch,
                    resolved,
                },
            ),
            _ => {}
        }
        let policy = self.config.policy;
        let downstream = self.downstream();
        if let Some(total) = self.sender.as_mut().and_then(|s| s.notice(policy)) {
            cx.send(downstream, PipelineMessage::Sent { total });
        }
    }

    /// Slow stage: half speed, or back to full.
    pub fn toggle_slow(&mut self, cx: &mut Cx<PipelineProcess>) {
        self.slow = !self.slow;
        let faults = if self.slow {
            Faults {
                capacity_ppm: PPM / 2,
                ..Faults::NONE
            }
        } else {
            Faults::NONE
        };
        self.service.set_faults(faults);
        let slow = self.slow;
        cx.note(|| {
            format!(
                "now serves at {}",
                if slow { "half speed" } else { "full speed" }
            )
        });
    }

    /// A broken stage for the checker's tests: the item at the front of the
    /// queue disappears without being counted anywhere.
    #[cfg(test)]
    pub(crate) fn lose_silently(&mut self) -> bool {
        self.queue.pop_front().is_some()
    }

    /// The process crashed: the items inside are gone; the link state and the
    /// counts are kept (see the topic's liberties).
    pub fn on_crash(&mut self) {
        self.stats.lost += self.inside() as u64;
        self.queue.clear();
        self.outbox.clear();
        self.service.on_crash();
    }

    pub fn summary(&self) -> NodeSummary {
        let capacity = self.config.capacity as usize;
        let (role, palette) = if self.chain == Chain::Twin {
            ("unbounded twin stage", Palette::Plain)
        } else if self.is_blocked() && self.config.policy.holds_back() {
            ("blocked stage", Palette::Suspect)
        } else if self.config.policy.is_bounded() && self.queue.len() >= capacity {
            ("full stage", Palette::Faulty)
        } else if self.slow {
            ("slowed stage", Palette::Contend)
        } else if self.is_sink() {
            ("sink stage", Palette::Done)
        } else {
            ("stage", Palette::Plain)
        };
        NodeSummary {
            role,
            palette,
            badge: format!("{} {}", self.name(), self.queue.len()),
            detail: format!(
                "stage {}: {} waiting, {} at work, {} held back; {} dropped",
                self.name(),
                self.queue.len(),
                self.service.busy(),
                self.outbox.len(),
                self.stats.dropped
            ),
        }
    }

    pub fn state_row(&self) -> Vec<Cell> {
        let capacity = if self.config.policy.is_bounded() {
            self.config.capacity.to_string()
        } else {
            "∞".to_string()
        };
        let flow = match (&self.sender, self.config.policy) {
            (None, _) => format!("sink: {} delivered", self.stats.passed),
            (Some(sender), Policy::Credit) => {
                format!("{} sent, {} credits left", sender.sent, sender.credits())
            }
            (Some(sender), Policy::Block) => format!(
                "{} sent, {}",
                sender.sent,
                if sender.open { "open" } else { "paused" }
            ),
            (Some(sender), _) => format!("{} sent", sender.sent),
        };
        vec![
            Cell::Text(format!(
                "{}/{} queued, {}/{} at work, {} held back",
                self.queue.len(),
                capacity,
                self.service.busy(),
                self.workers(),
                self.outbox.len()
            )),
            Cell::Text(format!(
                "{} in, {} dropped, {} lost",
                self.stats.entered, self.stats.dropped, self.stats.lost
            )),
            Cell::Text(flow),
            Cell::Text(format!(
                "{} written off on the way in",
                self.receiver.written_off
            )),
        ]
    }
}
