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
//! **The twin** ([`chain`]). Under every policy but unbounded the run also
//! has a second, identical pipeline with unbounded queues, A', B' and C'
//! (nodes 4 to 6, after the producer and the main chain, so those keep
//! their ids), so every chart can show "with the pattern" and "without it"
//! on the same seed. The producer sends each arrival of its open-loop
//! source to A' as well, at once and on a link of its own: the twin gets
//! every arrival the source makes, including those the main chain's block
//! or credit throttled, and pushes back on nothing. Its stages draw their
//! service times from their own random streams (same distribution, not the
//! same draws). The fault plan crashes and partitions only the first four
//! processes (a crash of the producer stops both chains' arrivals); the
//! twin's messages meet the same loss, duplication and delay as any
//! others, and the page can crash its stages. Burst reaches both chains
//! (it is the source's); Slow stage slows the stage it is sent to, and the
//! presets that slow B slow B' too. Under unbounded there is no twin: the
//! main chain is already the pipeline without the pattern.
//!
//! Flow control survives the network ([`link`]): items carry a sequence
//! number per link (duplicates and late copies are dropped), a gap that
//! stays open 400 ms is written off as lost in transit (and its credit given
//! back), credits travel as cumulative totals and signals with epochs, and
//! both are repeated every 100 ms.
//!
//! **Measures** ([`charts`]). Line charts over virtual time, second by
//! second: queue depth and memory per stage of the main chain; with the
//! twin, queue depth and memory at the bottleneck, B against B'; end-to-end
//! latency p50, p90, p99 and p99.9 per chain (a DDSketch per second at each
//! sink, [`crate::traffic::sketch`]); items delivered per chain against the
//! source's arrivals; and the main chain's throughput against drops and
//! throttling. Bars: Little's law per stage (the time average of the items
//! inside, measured, the ground truth, against λW from the arrivals and the
//! time each item spent inside; a test holds them within 3% over a long
//! run, at the twin's stages too when they are not overloaded), where the
//! items went, latency quantiles so far per chain, and the chains compared:
//! p99, peak memory at B and B', delivered and dropped. Under overload the
//! twin's memory and latency grow without limit beside a main chain that
//! stays at its bound.
//!
//! **Invariants** ([`checker`]): `bounded-queue-within-capacity` (the main
//! chain's queues), `nothing-vanishes` (conservation of items after every
//! event, in each chain: the twin's against every arrival) and
//! `demand-respected` (credit: sent ≤ granted on every link of the main
//! chain).
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

pub mod chain;
pub mod charts;
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
use crate::sim::view::{Chart, Plot};
use crate::sim::world::Simulation;

use chain::Chain;
use checker::{PipelineChecker, BOUNDED_QUEUE_WITHIN_CAPACITY, DEMAND_RESPECTED};
use message::{PipelineOp, Policy, PRODUCER, STAGES};
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
    summary: "A producer and three stages with bounded queues, overloaded at the middle one. Queue without limit and watch memory and latency climb; drop the newest or the oldest; pause the upstream; or grant it credits as Reactive Streams' request(n) does, and watch the pressure travel back to the producer. An unbounded twin pipeline on the same arrivals shows what each policy saves: queue depth, memory, latency quantiles and Little's law charted over time.",
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

impl ProtocolTopic for BackpressureTopic {
    const INFO: &'static TopicInfo = &INFO;
    type Node = PipelineProcess;
    type Checker = PipelineChecker;
    const FOCUS_ROLE: &'static str = "producer";

    /// The producer and the main chain's three stages: the fault plan
    /// crashes and partitions these. The twin's stages, appended after them,
    /// stand outside the plan's crashes and partitions (a partition that does
    /// not list a node lets it reach every side), but their messages meet
    /// the same loss, duplication and delay, and the page can crash them.
    const FIXED_NODES: usize = 4;

    fn setup(setup: &Setup) -> (Vec<PipelineProcess>, PipelineChecker) {
        let config = config(setup);
        let mut processes = vec![PipelineProcess::Producer(Box::new(Producer::new(config)))];
        let stage =
            |chain, i, config| PipelineProcess::Stage(Box::new(Stage::new(chain, i, config)));
        processes.extend((0..STAGES).map(|i| stage(Chain::Main, i, config)));
        if config.has_twin() {
            processes.extend((0..STAGES).map(|i| stage(Chain::Twin, i, config.twin())));
        }
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
            // The twin never holds back: its lanes would only say so.
            PipelineProcess::Stage(stage) if !stage.is_sink() && stage.chain() == Chain::Main => {
                stage.is_blocked()
            }
            PipelineProcess::Stage(_) => return None,
        };
        Some(if held_back { HELD_BACK } else { FLOWING })
    }

    /// Second by second: queue depth and memory per stage, both chains at the
    /// bottleneck, end-to-end latency quantiles per chain, and throughput.
    const PLOTTED: bool = true;

    fn plots(simulation: &Simulation<PipelineProcess, PipelineChecker>) -> Vec<Plot> {
        charts::plots(simulation)
    }

    /// Little's law per stage, where the items went, latency so far, and the
    /// two chains compared.
    const CHARTED: bool = true;

    fn charts(simulation: &Simulation<PipelineProcess, PipelineChecker>) -> Vec<Chart> {
        charts::charts(simulation)
    }
}

#[cfg(test)]
mod tests;
