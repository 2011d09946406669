//! Backpressure: what a pipeline does when work arrives faster than it can be
//! done, and why "queue it" is not an answer.
//!
//! **Problem.** A producer feeds a chain of stages, each with its own queue
//! and workers. When the producer outpaces the slowest stage, the items that
//! cannot be served must go somewhere. An unbounded queue takes them all: its
//! length, its memory and every item's wait grow without limit for as long as
//! the overload lasts (Little's law, `L = λW`: with the queue's length growing
//! by the excess arrival rate, the wait grows with it), until the process
//! runs out of memory. Every real system bounds its queues; the question is
//! what happens at the bound.
//!
//! **Idea.** Welsh, Culler and Brewer, "SEDA: An Architecture for
//! Well-Conditioned, Scalable Internet Services" (SOSP 2001), build a service
//! as stages connected by explicit event queues (section 3.2) and make each
//! queue's admission controller the place where overload is handled
//! (section 4.2: a full queue rejects, and the upstream stage must decide
//! what to do: drop, degrade, or hold back). The alternative is to push back:
//! the downstream tells the upstream how much it may send. The Reactive
//! Streams specification (reactive-streams.org, 1.0, 2015) makes that demand
//! explicit: a subscriber calls `Subscription.request(n)`, the publisher may
//! signal at most the total demand requested (rule 1.1), and demand
//! accumulates (rule 3.17 caps it at 2^63 - 1, "effectively unbounded").
//!
//! **The model** ([`process`]): a producer (node 0, open-loop Poisson
//! arrivals at `rate`, [`producer`]) and three stages A, B, C (nodes 1 to 3,
//! [`stage`]), each a [`crate::traffic::service::Service`] of workers with
//! exponential service times behind a queue; B is the bottleneck (one worker,
//! about 100 items a second), C is the sink. Items and flow-control signals
//! are messages, so loss, duplication, partitions and crashes reach them.
//! Policies (parameter `policy`), applied at every queue:
//!
//! - *unbounded*: no limit: memory per stage = items inside × item size grows
//!   as long as the overload lasts;
//! - *drop newest* (tail drop) and *drop oldest* (evict the head): the queue
//!   stays within capacity, and the policy picks which items survive; drop
//!   oldest keeps the freshest, at the cost of work already spent waiting;
//! - *block*: pause/resume signals (XON/XOFF) with a headroom of a quarter of
//!   the queue, for the items in flight when the pause is sent; the
//!   upstream's finished items wait in its outbox and keep their workers, so
//!   B's pause stalls A, which pauses the producer: backpressure travels back
//!   to the source, which makes fewer items (throttled);
//! - *credit*: Reactive Streams demand: each stage grants its upstream
//!   credits for the room in its queue (`request(n)` in batches of a quarter
//!   of the capacity) and the upstream sends at most what was granted.
//!
//! Flow control survives the network ([`link`]): items carry a sequence
//! number per link (duplicates and late copies are dropped), a gap that
//! stays open 400 ms is written off as lost in transit (and its credit given
//! back), credits travel as cumulative totals and signals with epochs, and
//! both are repeated every 100 ms.
//!
//! **Measures.** Line charts over virtual time, second by second: queue depth
//! per stage, memory per stage, end-to-end latency p50 and p99 (a DDSketch
//! per second at the sink, [`crate::traffic::sketch`]), and throughput
//! against drops and throttling. Little's law per stage: the time average of
//! the items inside (measured, the ground truth) against λW from the
//! arrivals and the time each item spent inside; a test holds them within 3%
//! over a long run.
//!
//! **Invariants** ([`checker`]): `bounded-queue-within-capacity`,
//! `nothing-vanishes` (conservation of items after every event) and
//! `demand-respected` (credit: sent ≤ granted on every link).
//!
//! **Bug**: `credit-leak`: senders keep a running `demand += n` and count a
//! repeated request again, so every re-sent (or duplicated) request grants
//! its credits twice; the upstream sends beyond the demand and the queue
//! overflows. Runs with credit.
//!
//! **Where the model takes liberties.** A crash loses the items inside a
//! process (counted as lost) but keeps its counters and each link's
//! sequence and credit state, as if written to disk; a real subscriber that
//! restarts subscribes again. Items written off as lost on the wire are gone
//! (no retransmission: an at-most-once pipeline). Block's headroom is fixed
//! at a quarter of the queue; when an item in flight still meets a full
//! queue (a long delay, a reordered signal) it is dropped and counted, so
//! block is not strictly lossless here. The producer's outbox under block
//! and credit holds a quarter of the queue capacity, and an arrival that finds it
//! full is not made at all (a blocked caller); crash time is not counted in
//! Little's law.
//!
//! **Left out**: SEDA's dynamic controllers (thread pool sizing, batching,
//! the adaptive admission rate of section 4.2), priorities and
//! degradation, fan-out and fan-in, TCP's sliding window and retransmission,
//! and exhaustive exploration.

pub mod checker;
pub mod link;
pub mod message;
pub mod presets;
pub mod process;
pub mod producer;
pub mod stage;

use crate::lab::machine::{MachineState, StateMachine, Transition};
use crate::lab::params::{self, REQUEST_RATE};
use crate::lab::protocol::{self, OperationButton, ProtocolTopic, Setup};
use crate::lab::topic::{BugInfo, Category, ParamSpec, TopicInfo, TopicKind};
use crate::sim::time::{NodeId, Time};
use crate::sim::view::{Bar, Chart, Line, Palette, Plot};
use crate::sim::world::Simulation;

use checker::{PipelineChecker, BOUNDED_QUEUE_WITHIN_CAPACITY, DEMAND_RESPECTED};
use message::{stage_name, PipelineOp, Policy, PRODUCER, STAGES};
use process::{PipelineConfig, PipelineProcess};
use producer::Producer;
use stage::Stage;

pub const BUG_CREDIT_LEAK: &str = "credit-leak";

pub const POLICY: &str = "policy";
pub const CAPACITY: &str = "capacity";
pub const ITEM_KB: &str = "item-kb";

const POLICY_PARAM: ParamSpec = ParamSpec {
    name: POLICY,
    label: "Policy",
    default: 4,
    min: 0,
    max: 4,
    step: 1,
    help: "What a stage does when its upstream outpaces it: queue without limit, drop the newest or the oldest item, pause its upstream, or grant it credits.",
    choices: &["unbounded", "drop newest", "drop oldest", "block", "credit"],
};

const RATE_PARAM: ParamSpec = ParamSpec {
    name: REQUEST_RATE,
    label: "Producer rate (items per second)",
    default: 120,
    min: 0,
    max: 400,
    step: 5,
    help: "Poisson arrivals at the producer; stage B serves about 100 a second.",
    choices: &[],
};

const CAPACITY_PARAM: ParamSpec = ParamSpec {
    name: CAPACITY,
    label: "Queue capacity (items)",
    default: 20,
    min: 2,
    max: 200,
    step: 1,
    help: "Each stage's queue under the bounded policies.",
    choices: &[],
};

const ITEM_KB_PARAM: ParamSpec = ParamSpec {
    name: ITEM_KB,
    label: "Item size (KB)",
    default: 64,
    min: 1,
    max: 1024,
    step: 1,
    help: "What one item weighs in memory, for the memory chart.",
    choices: &[],
};

/// The backpressure topic.
pub struct BackpressureTopic;

pub static INFO: TopicInfo = TopicInfo {
    slug: "backpressure",
    title: "Backpressure",
    category: Category::Resilience,
    kind: TopicKind::Protocol,
    summary: "A producer and three stages with bounded queues, overloaded at the middle one. Queue without limit and watch memory and latency climb; drop the newest or the oldest; pause the upstream; or grant it credits as Reactive Streams' request(n) does, and watch the pressure travel back to the producer. Queue depth, memory, latency and Little's law charted over time.",
    reference: "Welsh, Culler & Brewer, SEDA: An Architecture for Well-Conditioned, Scalable Internet Services, SOSP 2001 (sections 3.2 and 4.2); Reactive Streams 1.0 specification (2015), Subscription.request(n), rules 1.1 and 3.17; Little, A Proof for the Queuing Formula L = λW (1961)",
    params: &[
        POLICY_PARAM,
        RATE_PARAM,
        CAPACITY_PARAM,
        ITEM_KB_PARAM,
        params::DROP_PERCENT,
        params::latency(10),
    ],
    presets: &presets::PRESETS,
    bugs: &[BugInfo {
        name: BUG_CREDIT_LEAK,
        summary: "Senders count credits as a running demand += n and add a repeated request's n again, so each re-sent or duplicated request grants its credits twice: the upstream sends beyond the demand and the queue overflows. Runs with credit.",
        caught_by: &[DEMAND_RESPECTED, BOUNDED_QUEUE_WITHIN_CAPACITY],
        budget: 20,
    }],
    invariants: checker::INVARIANTS,
    expected: &[],
    columns: &["process", "role", "inside", "counts", "flow", "link in"],
    build: protocol::build::<BackpressureTopic>,
};

/// The run's configuration from its parameters and bug.
pub fn config(setup: &Setup) -> PipelineConfig {
    let clamp = |spec: &ParamSpec| setup.param(spec.name).clamp(spec.min, spec.max);
    let credit_leak = setup.bug(BUG_CREDIT_LEAK);
    PipelineConfig {
        policy: if credit_leak {
            Policy::Credit
        } else {
            Policy::from_index(clamp(&POLICY_PARAM))
        },
        capacity: clamp(&CAPACITY_PARAM) as u32,
        rate: clamp(&RATE_PARAM) as u32,
        item_bytes: clamp(&ITEM_KB_PARAM) as u32 * 1024,
        credit_leak,
    }
}

/// Little's law at one stage after `elapsed`: the measured time average of
/// the items inside, and λW from its arrivals and their times inside.
pub fn littles_law(stage: &Stage, elapsed: Time) -> (f64, f64) {
    let stats = stage.stats();
    let seconds = elapsed.as_micros() as f64 / 1e6;
    if seconds <= 0.0 || stats.departed == 0 {
        return (0.0, 0.0);
    }
    let measured = stats.area_us as f64 / 1e6 / seconds;
    let lambda = stats.entered as f64 / seconds;
    let wait = stats.sojourn_us as f64 / 1e6 / stats.departed as f64;
    (
        measured,
        crate::traffic::queueing::littles_law(lambda, wait),
    )
}

const FLOWING: usize = 0;
const HELD_BACK: usize = 1;

pub static MACHINE: StateMachine = StateMachine {
    title: "an upstream's link to its downstream",
    states: &[
        MachineState {
            name: "sending",
            x: 0,
            y: 0,
        },
        MachineState {
            name: "held back",
            x: 2,
            y: 0,
        },
    ],
    transitions: &[
        Transition {
            from: FLOWING,
            to: HELD_BACK,
            label: "no credit left / pause",
            timeout: false,
        },
        Transition {
            from: HELD_BACK,
            to: FLOWING,
            label: "request(n) / resume",
            timeout: false,
        },
    ],
};

fn stages(simulation: &Simulation<PipelineProcess, PipelineChecker>) -> Vec<&Stage> {
    simulation
        .nodes()
        .iter()
        .filter_map(PipelineProcess::stage)
        .collect()
}

fn stage_palette(index: usize) -> Palette {
    [Palette::Lead, Palette::Suspect, Palette::Done][index.min(2)]
}

/// Each complete second's point at its end.
fn per_second<T>(samples: &[T], now: Time, value: impl Fn(&T) -> u64) -> Vec<(Time, u64)> {
    let complete = (now.as_micros() / 1_000_000) as usize;
    samples
        .iter()
        .take(complete)
        .enumerate()
        .map(|(i, s)| (Time::from_millis(1000 * (i as u64 + 1)), value(s)))
        .collect()
}

impl ProtocolTopic for BackpressureTopic {
    const INFO: &'static TopicInfo = &INFO;
    type Node = PipelineProcess;
    type Checker = PipelineChecker;
    const FOCUS_ROLE: &'static str = "producer";

    /// The producer and the three stages.
    const FIXED_NODES: usize = 4;

    fn setup(setup: &Setup) -> (Vec<PipelineProcess>, PipelineChecker) {
        let config = config(setup);
        let mut processes = vec![PipelineProcess::Producer(Box::new(Producer::new(config)))];
        processes
            .extend((0..STAGES).map(|i| PipelineProcess::Stage(Box::new(Stage::new(i, config)))));
        (processes, PipelineChecker::new(config))
    }

    /// The producer, while it runs: Burst goes to it.
    fn focus(_nodes: &[PipelineProcess], up: &[bool]) -> Option<NodeId> {
        up.get(PRODUCER.index())
            .copied()
            .unwrap_or(false)
            .then_some(PRODUCER)
    }

    /// The producer makes its own items.
    fn planned_request(_index: u64) -> Option<PipelineOp> {
        None
    }

    const OPERATIONS: &'static [OperationButton] = &[
        OperationButton {
            label: "Burst",
            help: "The producer doubles its rate for 3 seconds",
            at_node: false,
        },
        OperationButton {
            label: "Slow stage",
            help: "The chosen stage serves at half speed; again: back to full speed",
            at_node: true,
        },
    ];

    fn operation(button: usize, _at: NodeId, _setup: &Setup, _sent: u64) -> Option<PipelineOp> {
        match button {
            0 => Some(PipelineOp::Burst),
            1 => Some(PipelineOp::SlowStage),
            _ => None,
        }
    }

    const MACHINE: Option<&'static StateMachine> = Some(&MACHINE);

    fn machine_state(node: &PipelineProcess) -> Option<usize> {
        let held_back = match node {
            PipelineProcess::Producer(producer) => producer.is_blocked(),
            PipelineProcess::Stage(stage) if !stage.is_sink() => stage.is_blocked(),
            PipelineProcess::Stage(_) => return None,
        };
        Some(if held_back { HELD_BACK } else { FLOWING })
    }

    /// Second by second: queue depth and memory per stage, end-to-end
    /// latency, and throughput against drops.
    const PLOTTED: bool = true;

    fn plots(simulation: &Simulation<PipelineProcess, PipelineChecker>) -> Vec<Plot> {
        let now = simulation.now();
        let stages = stages(simulation);
        let item_bytes = u64::from(simulation.checker().config().item_bytes);
        let per_stage = |value: &dyn Fn(&stage::Sample) -> u64| {
            stages
                .iter()
                .map(|stage| Line {
                    label: format!("stage {}", stage_name(stage.index())),
                    palette: stage_palette(stage.index()),
                    points: per_second(stage.seconds(), now, value),
                })
                .collect::<Vec<_>>()
        };
        let sink = stages.iter().find(|stage| stage.is_sink());
        let latency = |label: &str, palette: Palette, value: fn(&stage::Sample) -> u64| Line {
            label: label.to_string(),
            palette,
            points: sink.map_or_else(Vec::new, |sink| per_second(sink.seconds(), now, value)),
        };
        let mut dropped = vec![0u64; (now.as_micros() / 1_000_000) as usize];
        for stage in &stages {
            for (total, sample) in dropped.iter_mut().zip(stage.seconds()) {
                *total += u64::from(sample.dropped);
            }
        }
        let producer = simulation
            .nodes()
            .first()
            .and_then(PipelineProcess::producer);
        let produced = producer.map_or(&[][..], Producer::seconds);
        vec![
            Plot {
                title: "Queue depth".into(),
                unit: "items",
                caption: "the most items waiting in each stage's queue, each second".into(),
                lines: per_stage(&|s| s.depth.into()),
            },
            Plot {
                title: "Memory per stage".into(),
                unit: "KB",
                caption: "items inside (waiting, at work, held back) × item size, the most each second".into(),
                lines: per_stage(&|s| u64::from(s.held) * item_bytes / 1024),
            },
            Plot {
                title: "End-to-end latency".into(),
                unit: "ms",
                caption: "from the producer to the sink, for the items delivered each second (DDSketch, 1%)".into(),
                lines: vec![
                    latency("p50", Palette::Done, |s| (s.p50_us + 500) / 1000),
                    latency("p99", Palette::Faulty, |s| (s.p99_us + 500) / 1000),
                ],
            },
            Plot {
                title: "Throughput and drops".into(),
                unit: "items/s",
                caption: "made by the producer, delivered by the sink, dropped by the stages, and not made (throttled) each second".into(),
                lines: vec![
                    Line {
                        label: "made".into(),
                        palette: Palette::Plain,
                        points: per_second(produced, now, |s| s.produced.into()),
                    },
                    Line {
                        label: "delivered".into(),
                        palette: Palette::Done,
                        points: sink.map_or_else(Vec::new, |sink| {
                            per_second(sink.seconds(), now, |s| s.passed.into())
                        }),
                    },
                    Line {
                        label: "dropped".into(),
                        palette: Palette::Faulty,
                        points: per_second(&dropped, now, |&d| d),
                    },
                    Line {
                        label: "throttled".into(),
                        palette: Palette::Suspect,
                        points: per_second(produced, now, |s| s.throttled.into()),
                    },
                ],
            },
        ]
    }

    /// Little's law per stage, and where the items went.
    const CHARTED: bool = true;

    fn charts(simulation: &Simulation<PipelineProcess, PipelineChecker>) -> Vec<Chart> {
        let now = simulation.now();
        let stages = stages(simulation);
        let bar = |label: String, value: u64, palette: Palette| Bar {
            label,
            value,
            palette,
        };
        let mut little = Vec::new();
        for stage in &stages {
            let (measured, formula) = littles_law(stage, now);
            let name = stage_name(stage.index());
            little.push(bar(
                format!("{name}: L measured"),
                (measured * 100.0).round() as u64,
                stage_palette(stage.index()),
            ));
            little.push(bar(
                format!("{name}: λ·W"),
                (formula * 100.0).round() as u64,
                Palette::Plain,
            ));
        }
        let producer = simulation
            .nodes()
            .first()
            .and_then(PipelineProcess::producer);
        let mut outcomes = vec![bar(
            "made".into(),
            producer.map_or(0, Producer::produced),
            Palette::Plain,
        )];
        let mut latency = Vec::new();
        for stage in &stages {
            let name = stage_name(stage.index());
            let stats = stage.stats();
            if stage.is_sink() {
                outcomes.push(bar("delivered".into(), stats.passed, Palette::Done));
                for (label, q) in [("p50", 0.5), ("p99", 0.99)] {
                    let ms = stage.latency().quantile(q).unwrap_or(0.0).round() as u64;
                    latency.push(bar(label.into(), ms, Palette::Done));
                }
            }
            outcomes.push(bar(
                format!("dropped at {name}"),
                stats.dropped,
                Palette::Faulty,
            ));
            outcomes.push(bar(
                format!("lost at {name} (crash, wire)"),
                stats.lost + stage.receiver().written_off,
                Palette::Suspect,
            ));
        }
        outcomes.push(bar(
            "throttled (not made)".into(),
            producer.map_or(0, Producer::throttled),
            Palette::Suspect,
        ));
        vec![
            Chart {
                title: "Little's law per stage".into(),
                unit: "hundredths of an item",
                caption: "the time average of the items inside each stage, measured, against arrival rate × mean time inside".into(),
                bars: little,
            },
            Chart {
                title: "Where the items went".into(),
                unit: "",
                caption: "since the start of the run".into(),
                bars: outcomes,
            },
            Chart {
                title: "End-to-end latency so far".into(),
                unit: "ms",
                caption: "of every delivered item (DDSketch, 1% relative error)".into(),
                bars: latency,
            },
        ]
    }
}

#[cfg(test)]
mod tests;
