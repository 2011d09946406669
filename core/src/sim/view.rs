//! What the views draw, as plain data: a node's summary (role, badge, palette
//! slot), its row in the state table, and the cluster's shape.
//!
//! Topics describe themselves in these terms and never name a CSS class: a role is
//! text the topic chooses ("leader", "coordinator", "traitor") and a [`Palette`]
//! slot the web maps to a colour, so every topic's nodes are drawn by one view.

use super::time::{NodeId, Time};

/// The colour slots a node can take. A topic picks the slot that fits each role.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Palette {
    /// An ordinary member (follower, acceptor, participant, healthy peer).
    #[default]
    Plain,
    /// The node in charge (leader, primary, coordinator, lock holder).
    Lead,
    /// A node trying to take charge (candidate, proposer preparing).
    Contend,
    /// A node others doubt or that is stuck waiting (suspect, blocked, uncertain).
    Suspect,
    /// A node that misbehaves on purpose (traitor, equivocating primary).
    Faulty,
    /// A node that has finished its part (decided, committed, infected).
    Done,
}

impl Palette {
    pub const ALL: [Palette; 6] = [
        Palette::Plain,
        Palette::Lead,
        Palette::Contend,
        Palette::Suspect,
        Palette::Faulty,
        Palette::Done,
    ];

    /// A stable name for the slot (the web derives its colour class from it).
    pub fn as_str(self) -> &'static str {
        match self {
            Palette::Plain => "plain",
            Palette::Lead => "lead",
            Palette::Contend => "contend",
            Palette::Suspect => "suspect",
            Palette::Faulty => "faulty",
            Palette::Done => "done",
        }
    }
}

/// What the cluster view needs to draw a node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeSummary {
    /// The role in the topic's words: `leader`, `follower`, `coordinator`.
    pub role: &'static str,
    /// The colour slot of that role.
    pub palette: Palette,
    /// Short text drawn inside the node, e.g. `T3`.
    pub badge: String,
    /// A longer description for the tooltip.
    pub detail: String,
}

/// One cell of a node's row in the state table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cell {
    Text(String),
    /// The end of a log drawn as boxes; each entry coloured by `colour` (e.g. its
    /// term).
    Log(LogCell),
}

/// How many entries of a log the state table shows: the last ones, with a count
/// of the rest, so a long run's table stays the same size.
pub const LOG_WINDOW: usize = 16;

/// The last [`LOG_WINDOW`] entries of a log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogCell {
    /// Entries in the whole log.
    pub total: usize,
    /// Entries in the log that are committed (a prefix).
    pub committed: usize,
    /// The position (from 0) of `entries[0]` in the log.
    pub first: usize,
    pub entries: Vec<LogEntryCell>,
}

impl LogCell {
    /// The window of `log`, each entry drawn by `cell(position, entry)`;
    /// `committed` entries from the start are committed.
    pub fn tail<T>(
        log: &[T],
        committed: usize,
        cell: impl Fn(usize, &T) -> LogEntryCell,
    ) -> LogCell {
        let first = log.len().saturating_sub(LOG_WINDOW);
        LogCell {
            total: log.len(),
            committed: committed.min(log.len()),
            first,
            entries: log[first..]
                .iter()
                .enumerate()
                .map(|(i, entry)| cell(first + i, entry))
                .collect(),
        }
    }
}

/// One entry of a log drawn in the state table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogEntryCell {
    /// What the box says (e.g. the term).
    pub text: String,
    /// A palette index (e.g. the term), so the same value has the same colour
    /// across nodes.
    pub colour: u64,
    /// Drawn solid when committed, hollow otherwise.
    pub committed: bool,
    /// Tooltip.
    pub detail: String,
}

/// The partition group of a node the partition leaves out (a topic's client,
/// say): it reaches, and is reached by, every side.
pub const OUTSIDE_PARTITION: u32 = u32::MAX;

/// What the cluster view draws: nodes with their role and the network's shape.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClusterState {
    pub nodes: Vec<NodeState>,
    /// Partition side of each node (all equal when fully connected), or
    /// [`OUTSIDE_PARTITION`] for a node that reaches every side.
    pub groups: Vec<u32>,
    /// One-way cut links.
    pub cuts: Vec<(NodeId, NodeId)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeState {
    pub id: NodeId,
    pub up: bool,
    pub summary: NodeSummary,
    /// A client of the service rather than one of its servers: drawn beside the
    /// cluster, not in it.
    pub client: bool,
}

/// The per-node state table: the topic's columns and one row per node.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StateTable {
    pub columns: Vec<&'static str>,
    pub rows: Vec<Vec<Cell>>,
}

/// An interval drawn along a node's lane of the timeline: a lock held, a lease,
/// a transaction left uncertain. The topic layer decides which topics draw
/// them; the simulator only names the shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Span {
    pub node: NodeId,
    pub from: Time,
    /// `None` while the interval is still open.
    pub to: Option<Time>,
    /// Short text drawn in the bar, e.g. `T3`.
    pub label: String,
    pub palette: Palette,
}

/// An instant marked across the whole timeline: a value chosen, a decision made,
/// even when no node knows it yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mark {
    pub at: Time,
    /// Short text at the top of the mark, e.g. `chosen 7`.
    pub label: String,
}

/// What a topic adds to its timeline.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Annotations {
    pub spans: Vec<Span>,
    pub marks: Vec<Mark>,
}

/// A live bar chart a topic draws under its timeline: a count per outcome
/// (sagas completed, compensated, stuck; effects applied 0, 1, 2+ times) or a
/// measure per node (lock-held time), recomputed at every instant shown.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Chart {
    /// What the bars count, e.g. `Effects applied per message`.
    pub title: String,
    /// The unit after each value (`ms`, `messages`), or empty for a plain count.
    pub unit: &'static str,
    /// One line under the title saying what is counted (may be empty).
    pub caption: String,
    pub bars: Vec<Bar>,
}

/// One bar of a [`Chart`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bar {
    /// The bar's name, e.g. `applied twice or more`.
    pub label: String,
    pub value: u64,
    pub palette: Palette,
}

/// A small table a protocol topic computes from its run, drawn under its
/// charts: a compatibility matrix (which change breaks which readers), say.
/// Each cell is a short text in ink with its palette as a coloured edge.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Matrix {
    /// What the table shows, e.g. `Compatibility of each change`.
    pub title: String,
    /// One line under the title saying how it is computed (may be empty).
    pub caption: String,
    /// The column headings, the row labels' column first.
    pub columns: Vec<String>,
    /// One row each: its label, then one cell per remaining column.
    pub rows: Vec<MatrixRow>,
}

/// One row of a [`Matrix`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatrixRow {
    pub label: String,
    pub cells: Vec<MatrixCell>,
}

/// One cell of a [`Matrix`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatrixCell {
    pub text: String,
    pub palette: Palette,
}

/// A live line chart of a protocol topic: measures over virtual time, one
/// line per series (a pattern and its absence on the same seed, say), drawn
/// under the timeline from zero to the instant shown.
#[derive(Clone, Debug, PartialEq)]
pub struct Plot {
    /// What the lines measure, e.g. `Successes per second`.
    pub title: String,
    /// The unit of the values (`ms`, `%`), or empty for a plain count.
    pub unit: &'static str,
    /// One line under the title saying how it is measured (may be empty).
    pub caption: String,
    pub lines: Vec<Line>,
}

/// One series of a [`Plot`]: its points in time order.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    pub label: String,
    pub palette: Palette,
    pub points: Vec<(Time, u64)>,
}

/// What a topic correlates by trace id (observability): recent log lines
/// and histograms whose buckets keep an exemplar, each of which opens one
/// trace ([`TraceDetail`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Signals {
    /// The newest log lines, oldest first.
    pub logs: Vec<LogRecord>,
    pub histograms: Vec<Histogram>,
}

/// One structured log line, and the trace it was written under.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogRecord {
    pub at: Time,
    pub node: NodeId,
    /// The line as the process wrote it, with its time and process.
    pub text: String,
    /// `Faulty` for an error line, `Plain` otherwise.
    pub palette: Palette,
    pub trace: Option<u64>,
}

/// A histogram drawn as bars, one per bucket, whose buckets may each point
/// at an exemplar trace (OpenMetrics exemplars).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Histogram {
    /// The buckets as bars: the label is the bucket's bound, the value its count.
    pub chart: Chart,
    /// One per bar of `chart`: the bucket's exemplar, if it has one.
    pub exemplars: Vec<Option<ExemplarLink>>,
}

/// A bucket's exemplar: the trace it opens and how it is described.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExemplarLink {
    pub trace: u64,
    /// E.g. `trace 3fa2c1, 42 ms on n3`.
    pub label: String,
}

/// One trace, opened from a log line or an exemplar: its spans (listed, and
/// drawn on their processes' timeline lanes) and what was logged under it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TraceDetail {
    /// E.g. `Trace 3fa2c1: frontend r17`.
    pub title: String,
    /// Parents before their children.
    pub spans: Vec<Span>,
    /// The trace's log lines, and notes on what the buffers no longer hold.
    pub lines: Vec<String>,
}

/// Rows a topic draws under its timeline, over the same window of time: one
/// lane per thing that runs through time across several nodes (a saga: its
/// forward steps, the step that failed, its compensations), so the order of
/// what happened to it reads from left to right.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Swimlanes {
    /// What the lanes show, e.g. `Sagas`.
    pub title: String,
    /// One line under the title saying how to read them (may be empty).
    pub caption: String,
    /// Top to bottom.
    pub lanes: Vec<Swimlane>,
}

/// One row of [`Swimlanes`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Swimlane {
    /// Short text at the row's left, e.g. `S7`.
    pub label: String,
    /// The row's tooltip: what happened along it, in a sentence.
    pub detail: String,
    /// Intervals along the row, in global time.
    pub bars: Vec<LaneBar>,
    /// Instants drawn as a line across the row (a step refused).
    pub marks: Vec<LaneMark>,
    /// Instants drawn as small ticks under the row (a retry sent).
    pub ticks: Vec<Time>,
}

/// An interval along a [`Swimlane`], e.g. step T2 from its request to its
/// booking.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LaneBar {
    pub from: Time,
    /// `None` while it is still going on.
    pub to: Option<Time>,
    /// Short text drawn in the bar, e.g. `C2`.
    pub label: String,
    pub palette: Palette,
}

/// An instant on a [`Swimlane`], e.g. `T3 refused`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LaneMark {
    pub at: Time,
    pub label: String,
    pub palette: Palette,
}
