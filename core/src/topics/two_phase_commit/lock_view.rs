//! The lock-held view shared by the commit protocols: a lane of lock intervals
//! per participant on the timeline and a chart of lock-held time.
//!
//! Two-phase and three-phase commit draw the same thing (how long each
//! participant's locks stay held, which is what blocking costs) and differ only
//! in what an interval still open is waiting on, which each says through
//! [`HoldsLocks::open_lock`].

use crate::sim::time::{NodeId, Time};
use crate::sim::view::{Annotations, Bar, Chart, Palette, Span};

use super::message::TransactionId;
use super::participant::LockInterval;

/// A node of a commit protocol as the lock view sees it.
pub trait HoldsLocks {
    /// When this node held which transaction's locks (open ones still held).
    fn lock_intervals(&self) -> &[LockInterval];

    /// Whether the node is a participant: the chart has a bar per participant,
    /// and the coordinator, which holds no data, has none.
    fn is_participant(&self) -> bool;

    /// What a still-open interval of `transaction` is waiting on: the word on
    /// its bar and its colour. A waiting participant (uncertain, recovering)
    /// takes `Suspect` or `Faulty`, which the chart shows as blocked.
    fn open_lock(&self, transaction: TransactionId) -> (&'static str, Palette);
}

/// A span per lock interval, above its participant's lane.
pub fn lock_annotations<N: HoldsLocks>(nodes: &[N]) -> Annotations {
    let mut spans = Vec::new();
    for (index, node) in nodes.iter().enumerate() {
        for interval in node.lock_intervals() {
            let (what, palette) = match interval.to {
                None => node.open_lock(interval.transaction),
                Some(_) => ("locked", Palette::Plain),
            };
            spans.push(Span {
                node: NodeId(index as u32),
                from: interval.from,
                to: interval.to,
                label: format!("{} {what}", interval.transaction),
                palette,
            });
        }
    }
    Annotations {
        spans,
        marks: Vec::new(),
    }
}

/// Lock-held time per participant, all transactions so far: a blocked
/// participant's bar outgrows the others and is drawn as waiting.
pub fn lock_held_chart<N: HoldsLocks>(nodes: &[N], now: Time) -> Chart {
    let bars = nodes
        .iter()
        .enumerate()
        .filter(|(_, node)| node.is_participant())
        .map(|(index, node)| {
            let intervals = node.lock_intervals();
            let held: u64 = intervals.iter().map(|i| i.held(now).as_micros()).sum();
            let open: Vec<Palette> = intervals
                .iter()
                .filter(|i| i.to.is_none())
                .map(|i| node.open_lock(i.transaction).1)
                .collect();
            let palette = if open
                .iter()
                .any(|p| matches!(p, Palette::Suspect | Palette::Faulty))
            {
                Palette::Suspect
            } else if !open.is_empty() {
                Palette::Contend
            } else {
                Palette::Plain
            };
            Bar {
                label: format!("n{index}"),
                value: held / 1000,
                palette,
            }
        })
        .collect();
    Chart {
        title: "Lock-held time".into(),
        unit: "ms",
        caption: "all transactions so far; a held lock counts up to now".into(),
        bars,
    }
}
