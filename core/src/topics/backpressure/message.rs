//! The vocabulary of the backpressure topic: the flow-control policies, the
//! items that travel down the pipeline, the messages between neighbouring
//! stages, the timers, and the operations a person can send from the page.

use std::fmt;

use crate::sim::action::{Operation, RawOperation};
use crate::sim::node::Labelled;
use crate::sim::time::{NodeId, Time};

/// How a stage keeps its upstream from overrunning its queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    /// The queue has no limit: memory grows as long as arrivals outpace service.
    Unbounded,
    /// A full queue refuses the arriving item (tail drop).
    DropNewest,
    /// A full queue evicts its oldest item to make room for the arriving one.
    DropOldest,
    /// The stage tells its upstream "pause" near full and "resume" once drained
    /// (XON/XOFF); the upstream holds finished items meanwhile.
    Block,
    /// Reactive Streams demand: the stage grants credits (`request(n)`) and the
    /// upstream sends at most what was granted.
    Credit,
}

impl Policy {
    pub const ALL: [Policy; 5] = [
        Policy::Unbounded,
        Policy::DropNewest,
        Policy::DropOldest,
        Policy::Block,
        Policy::Credit,
    ];

    pub fn from_index(index: i64) -> Policy {
        Policy::ALL[index.clamp(0, 4) as usize]
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Policy::Unbounded => "unbounded",
            Policy::DropNewest => "drop newest",
            Policy::DropOldest => "drop oldest",
            Policy::Block => "block",
            Policy::Credit => "credit",
        }
    }

    /// Whether the queues have a capacity at all.
    pub fn is_bounded(self) -> bool {
        self != Policy::Unbounded
    }

    /// Whether the upstream waits for the downstream's permission to send
    /// (so finished items wait in the upstream's outbox).
    pub fn holds_back(self) -> bool {
        matches!(self, Policy::Block | Policy::Credit)
    }
}

/// One item of work, named by the arrival that made it, so item 7 of the
/// main chain and item 7 of the twin are the same arrival.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Item {
    /// 1 for the producer's first arrival (throttled arrivals use a number
    /// too: the twin gets them).
    pub id: u64,
    /// When the producer made it (the start of its end-to-end latency).
    pub born: Time,
}

/// Everything that travels between neighbouring processes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PipelineMessage {
    /// Upstream to downstream: an item, `seq` its number on this link (from 1),
    /// so the downstream can tell a duplicate, a late copy and a gap.
    Item { seq: u64, item: Item },
    /// Upstream to downstream: "I have sent `total` items on this link", so a
    /// lost last item is noticed too.
    Sent { total: u64 },
    /// Downstream to upstream, credit policy: `request(n)`; `total` is every
    /// credit granted so far (the cumulative demand), `resolved` how many of
    /// the link's items the downstream has accounted for.
    Request { n: u64, total: u64, resolved: u64 },
    /// Downstream to upstream, block policy: stop (`open` false) or go on
    /// sending; `epoch` orders the signals, `resolved` as in `Request`.
    Signal {
        open: bool,
        epoch: u64,
        resolved: u64,
    },
}

impl Labelled for PipelineMessage {
    fn kind(&self) -> &'static str {
        match self {
            PipelineMessage::Item { .. } => "Item",
            PipelineMessage::Sent { .. } => "Sent",
            PipelineMessage::Request { .. } => "Request",
            PipelineMessage::Signal { open: true, .. } => "Resume",
            PipelineMessage::Signal { open: false, .. } => "Pause",
        }
    }

    fn label(&self) -> String {
        match self {
            PipelineMessage::Item { seq, item } => format!("item {} (#{seq})", item.id),
            PipelineMessage::Sent { total } => format!("sent {total} so far"),
            PipelineMessage::Request { n, total, .. } => format!("request({n}), {total} in all"),
            PipelineMessage::Signal { open: true, .. } => "resume".to_string(),
            PipelineMessage::Signal { open: false, .. } => "pause".to_string(),
        }
    }
}

/// Every timer of every process.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PipelineTimer {
    /// Producer: make the next item.
    Produce,
    /// Stage: a worker finished the work of this id.
    WorkDone(u64),
    /// Everyone: re-announce flow control and look for lost items.
    Tick,
}

impl Labelled for PipelineTimer {
    fn kind(&self) -> &'static str {
        match self {
            PipelineTimer::Produce => "produce",
            PipelineTimer::WorkDone(_) => "work-done",
            PipelineTimer::Tick => "tick",
        }
    }

    fn label(&self) -> String {
        match self {
            PipelineTimer::Produce => "make the next item".to_string(),
            PipelineTimer::WorkDone(work) => format!("work w{work} done"),
            PipelineTimer::Tick => "flow-control tick".to_string(),
        }
    }
}

/// What a person (or a preset) can ask of the pipeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PipelineOp {
    /// Producer: twice the rate for [`BURST_MS`] milliseconds.
    Burst,
    /// Stage: serve at half speed; sent again, back to full speed.
    SlowStage,
}

/// How long a burst lasts.
pub const BURST_MS: u64 = 3_000;

const BURST_CODE: u32 = 1;
const SLOW_CODE: u32 = 2;

impl fmt::Display for PipelineOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PipelineOp::Burst => f.write_str("burst: twice the rate for 3 s"),
            PipelineOp::SlowStage => f.write_str("slow the stage down (or back up)"),
        }
    }
}

impl Operation for PipelineOp {
    fn to_raw(&self) -> RawOperation {
        match self {
            PipelineOp::Burst => RawOperation::new(BURST_CODE, &[]),
            PipelineOp::SlowStage => RawOperation::new(SLOW_CODE, &[]),
        }
    }

    fn from_raw(raw: &RawOperation) -> Option<Self> {
        match (raw.code, raw.args.as_slice()) {
            (BURST_CODE, []) => Some(PipelineOp::Burst),
            (SLOW_CODE, []) => Some(PipelineOp::SlowStage),
            _ => None,
        }
    }
}

/// The producer's id; the stages follow it in pipeline order.
pub const PRODUCER: NodeId = NodeId(0);

/// Stages per chain: A, B and C (and A', B' and C' in the twin).
pub const STAGES: usize = 3;

/// Stage `index`'s id in the main chain (0 is A).
pub const fn stage_id(index: usize) -> NodeId {
    super::chain::Chain::Main.stage(index)
}
