//! The invariants of the vector clocks topic, checked after every event
//! against the true happened-before relation, which the checker keeps itself.
//!
//! **Ground truth.** Lamport's "happened before" (section 2) is the smallest
//! relation that orders each process's events in program order and each send
//! before its receive, closed under transitivity. The checker builds it from
//! ghost data alone (each process's event log, and the send event each
//! message names), never from the timestamps under test: the causal past of
//! an event is itself, its process's previous event's past, and, for a
//! receive, the send's past. A causal past is downward closed along every
//! process, so the checker stores it as a frontier: for each process `q`, how
//! many of `q`'s events it holds. Then `e → f` exactly when `e` is not `f`
//! and `e`'s sequence number is within `f`'s frontier for `e`'s process.
//!
//! **Invariants**, checked for each new event `f` against every earlier event
//! `e` (a later event is checked when it comes):
//!
//! - **clock-condition** (Lamport, section 2, the Clock Condition; and its
//!   vector form): `e → f` implies `L(e) < L(f)` and `V(e) < V(f)`.
//! - **vector-characterizes-causality** (Mattern, section 4; Fidge): `V(e) <
//!   V(f)` only when `e → f`; concurrent events have incomparable vectors
//!   (equal vectors included: two events never share one).
//! - **no-concurrent-write-lost**, with version vectors only: a replica drops
//!   a version of the register only when it keeps one whose write causally
//!   follows it. With last-writer-wins the loss is the lesson: counted, charted
//!   and marked, not reported.
//!
//! **Cost.** Checking `f` against every earlier event would be quadratic. Both
//! clocks are checked to grow along each process's own order (the first
//! clause of the clock condition, for `f` and its predecessor), so, per other
//! process `q`, the events with `V(e) <= V(f)` form a prefix of `q`'s events
//! and those with `V(f) <= V(e)` a suffix. Three events of `q` then decide for
//! all of them: the last one in `f`'s past (`L` and `V` below `f`'s), the
//! first one outside it (its vector not `<= V(f)`), and `q`'s latest (`V(f)`
//! not `<= ` its vector). That is `O(n^2)` per event, exact, not sampled.

use crate::lab::topic::InvariantInfo;
use crate::sim::checker::{Checker, Violation};
use crate::sim::time::{NodeId, Time};

use super::message::{EventId, WriteName};
use super::process::{ClockProcess, EventKind, EventRecord};

pub const CLOCK_CONDITION: &str = "clock-condition";
pub const VECTOR_CHARACTERIZES_CAUSALITY: &str = "vector-characterizes-causality";
pub const NO_CONCURRENT_WRITE_LOST: &str = "no-concurrent-write-lost";

pub const INVARIANTS: &[InvariantInfo] = &[
    InvariantInfo {
        name: CLOCK_CONDITION,
        summary: "If event e happened before f (program order and messages, by the checker's own record), then L(e) < L(f) and V(e) < V(f).",
    },
    InvariantInfo {
        name: VECTOR_CHARACTERIZES_CAUSALITY,
        summary: "V(e) < V(f) only when e happened before f: concurrent events have incomparable vectors, and no two events share one.",
    },
    InvariantInfo {
        name: NO_CONCURRENT_WRITE_LOST,
        summary: "With version vectors, a replica drops a version of x only when it keeps a version whose write causally follows it: concurrent writes survive as siblings. Not claimed with last-writer-wins, where the loss is the lesson.",
    },
];

/// A write the checker has seen, and what became of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WriteRecord {
    pub write: EventId,
    pub name: WriteName,
    /// It sat in some replica beside a concurrent version.
    pub sibling: bool,
    /// Some replica dropped it while keeping nothing that causally follows it.
    pub lost: bool,
}

/// A write dropped for a concurrent one, where and when.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LostWrite {
    pub at: Time,
    pub name: WriteName,
    pub replica: NodeId,
}

/// The pairs of events seen so far, each counted once, when its later event
/// happens.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PairCounts {
    pub events: u64,
    /// One happened before the other.
    pub ordered: u64,
    /// Neither happened before the other.
    pub concurrent: u64,
    /// Concurrent, yet with different Lamport timestamps: Lamport's order
    /// reads as if one came first.
    pub concurrent_lamport_ordered: u64,
}

/// The writes seen so far: how many, how many were kept as siblings, how
/// many were lost.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WriteCounts {
    pub writes: u64,
    pub siblings: u64,
    pub lost: u64,
}

/// The incremental checker.
#[derive(Clone, Debug)]
pub struct ClockChecker {
    processes: usize,
    /// Whether `no-concurrent-write-lost` is claimed (version vectors).
    claims_no_loss: bool,
    /// Per process, the causal-past frontier of each of its events read so
    /// far, `processes` entries each, flat.
    pasts: Vec<Vec<u32>>,
    /// Per process, the write events its register held after the last check,
    /// sorted.
    held: Vec<Vec<EventId>>,
    /// Every write seen, sorted by its event.
    writes: Vec<WriteRecord>,
    lost: Vec<LostWrite>,
    pairs: PairCounts,
}

impl ClockChecker {
    pub fn new(processes: usize, claims_no_loss: bool) -> Self {
        ClockChecker {
            processes,
            claims_no_loss,
            pasts: vec![Vec::new(); processes],
            held: vec![Vec::new(); processes],
            writes: Vec::new(),
            lost: Vec::new(),
            pairs: PairCounts::default(),
        }
    }

    pub fn pairs(&self) -> PairCounts {
        self.pairs
    }

    pub fn write_counts(&self) -> WriteCounts {
        let mut counts = WriteCounts {
            writes: self.writes.len() as u64,
            ..WriteCounts::default()
        };
        for write in &self.writes {
            counts.siblings += write.sibling as u64;
            counts.lost += write.lost as u64;
        }
        counts
    }

    pub fn writes(&self) -> &[WriteRecord] {
        &self.writes
    }

    /// Every write dropped for a concurrent one, in the order it happened.
    pub fn lost(&self) -> &[LostWrite] {
        &self.lost
    }

    /// The causal-past frontier of `event`, if the checker has read it.
    pub fn past(&self, event: EventId) -> Option<&[u32]> {
        let n = self.processes;
        let index = (event.seq as usize).checked_sub(1)?;
        self.pasts
            .get(event.process.index())?
            .get(index * n..(index + 1) * n)
    }

    /// Whether `e` happened before `f`, by the checker's ground truth.
    pub fn happened_before(&self, e: EventId, f: EventId) -> bool {
        e != f
            && self
                .past(f)
                .and_then(|past| past.get(e.process.index()))
                .is_some_and(|&known| known >= e.seq)
    }

    /// Reads event `index` of process `p` (the next unread one) and checks it.
    fn check_event(
        &mut self,
        nodes: &[ClockProcess],
        p: usize,
        index: usize,
        found: &mut Vec<Violation>,
    ) {
        let n = self.processes;
        let log = nodes[p].events();
        let f = &log[index];
        let me = EventId {
            process: NodeId(p as u32),
            seq: index as u32 + 1,
        };
        // The causal past: the previous event's, this event, and the send's.
        let mut past = match index {
            0 => vec![0; n],
            _ => self.pasts[p][(index - 1) * n..index * n].to_vec(),
        };
        past[p] = index as u32 + 1;
        if let EventKind::Receive { send, .. } = &f.kind {
            if let Some(sent) = self.past(*send) {
                for (mine, theirs) in past.iter_mut().zip(sent) {
                    *mine = (*mine).max(*theirs);
                }
            }
        }
        let mut condition: Option<String> = None;
        let mut characterization: Option<String> = None;
        // Program order: the predecessor happened before f.
        if index > 0 {
            let e = &log[index - 1];
            let before = EventId {
                seq: me.seq - 1,
                ..me
            };
            if let Some(why) = condition_fails(before, e, me, f) {
                condition.get_or_insert(why);
            }
        }
        let (mut ordered, mut concurrent, mut same_lamport) = (0u64, 0u64, 0u64);
        for (q, node) in nodes.iter().enumerate().take(n) {
            if q == p {
                ordered += index as u64;
                continue;
            }
            let theirs = node.events();
            let known = (past[q] as usize).min(theirs.len());
            ordered += known as u64;
            concurrent += (theirs.len() - known) as u64;
            let id = |k: usize| EventId {
                process: NodeId(q as u32),
                seq: k as u32 + 1,
            };
            // The last event of q in f's past happened before f.
            if known > 0 {
                if let Some(why) = condition_fails(id(known - 1), &theirs[known - 1], me, f) {
                    condition.get_or_insert(why);
                }
            }
            // The first event of q outside f's past is concurrent with f.
            if let Some(first) = theirs.get(known) {
                if first.vector.le(&f.vector) {
                    characterization.get_or_insert_with(|| {
                        format!(
                            "{} {} and {me} {} are concurrent, yet {} <= {}",
                            id(known),
                            first.vector,
                            f.vector,
                            first.vector,
                            f.vector
                        )
                    });
                }
            }
            // q's latest event, if outside f's past, is concurrent with f too.
            if theirs.len() > known {
                let last = &theirs[theirs.len() - 1];
                if f.vector.le(&last.vector) {
                    characterization.get_or_insert_with(|| {
                        format!(
                            "{me} {} and {} {} are concurrent, yet {} <= {}",
                            f.vector,
                            id(theirs.len() - 1),
                            last.vector,
                            f.vector,
                            last.vector
                        )
                    });
                }
            }
            // Concurrent events of q with f's Lamport timestamp: at most one
            // when q's clock grows (checked), found by bisection.
            let outside = &theirs[known..];
            let from = outside.partition_point(|e| e.lamport < f.lamport);
            let to = outside.partition_point(|e| e.lamport <= f.lamport);
            same_lamport += to.saturating_sub(from) as u64;
        }
        self.pairs.events += 1;
        self.pairs.ordered += ordered;
        self.pairs.concurrent += concurrent;
        self.pairs.concurrent_lamport_ordered += concurrent.saturating_sub(same_lamport);
        self.pasts[p].extend_from_slice(&past);
        if let Some(message) = condition {
            found.push(Violation {
                invariant: CLOCK_CONDITION,
                message,
            });
        }
        if let Some(message) = characterization {
            found.push(Violation {
                invariant: VECTOR_CHARACTERIZES_CAUSALITY,
                message,
            });
        }
        if let EventKind::Write { name } = f.kind {
            let at = self.writes.partition_point(|w| w.write < me);
            self.writes.insert(
                at,
                WriteRecord {
                    write: me,
                    name,
                    sibling: false,
                    lost: false,
                },
            );
        }
    }

    /// Checks what replica `p`'s register dropped since the last check: the
    /// versions it held then and the ones its new receives brought.
    fn check_register(
        &mut self,
        node: &ClockProcess,
        arrived: Vec<EventId>,
        now: Time,
        found: &mut Vec<Violation>,
    ) {
        let p = node.id().index();
        let mut current: Vec<EventId> = node
            .register()
            .versions()
            .iter()
            .map(|version| version.write)
            .collect();
        current.sort_unstable();
        let mut gone: Vec<EventId> = std::mem::take(&mut self.held[p]);
        gone.extend(arrived);
        gone.sort_unstable();
        gone.dedup();
        gone.retain(|write| current.binary_search(write).is_err());
        for write in gone {
            if current
                .iter()
                .any(|&kept| self.happened_before(write, kept))
            {
                continue; // superseded by a later write: not a loss
            }
            let Ok(at) = self.writes.binary_search_by(|w| w.write.cmp(&write)) else {
                continue;
            };
            let record = &mut self.writes[at];
            if !record.lost {
                record.lost = true;
                self.lost.push(LostWrite {
                    at: now,
                    name: record.name,
                    replica: node.id(),
                });
            }
            if self.claims_no_loss {
                let name = record.name;
                let kept: Vec<String> = node
                    .register()
                    .versions()
                    .iter()
                    .map(|version| version.name.to_string())
                    .collect();
                found.push(Violation {
                    invariant: NO_CONCURRENT_WRITE_LOST,
                    message: format!(
                        "{} dropped {name} keeping only {}, and no write it keeps causally follows {name}",
                        node.id(),
                        kept.join(", ")
                    ),
                });
            }
        }
        if current.len() > 1 {
            for write in &current {
                if let Ok(at) = self.writes.binary_search_by(|w| w.write.cmp(write)) {
                    self.writes[at].sibling = true;
                }
            }
        }
        self.held[p] = current;
    }
}

/// Why `e → f` is not reflected in the timestamps, if it is not.
fn condition_fails(
    e_id: EventId,
    e: &EventRecord,
    f_id: EventId,
    f: &EventRecord,
) -> Option<String> {
    let mut failures = Vec::new();
    if e.lamport >= f.lamport {
        failures.push(format!(
            "L({e_id}) = {} is not below L({f_id}) = {}",
            e.lamport, f.lamport
        ));
    }
    if !e.vector.lt(&f.vector) {
        failures.push(format!(
            "V({e_id}) = {} is not below V({f_id}) = {}",
            e.vector, f.vector
        ));
    }
    (!failures.is_empty()).then(|| {
        format!(
            "{e_id} happened before {f_id}, yet {}",
            failures.join(" and ")
        )
    })
}

impl Checker<ClockProcess> for ClockChecker {
    fn check(
        &mut self,
        nodes: &[ClockProcess],
        _up: &[bool],
        changed: NodeId,
        now: Time,
        found: &mut Vec<Violation>,
    ) {
        let p = changed.index();
        if p >= self.processes || nodes.len() < self.processes {
            return;
        }
        let read = self.pasts[p].len() / self.processes;
        let total = nodes[p].events().len();
        let mut arrived = Vec::new();
        for index in read..total {
            if let EventKind::Receive {
                arrived: brought, ..
            } = &nodes[p].events()[index].kind
            {
                arrived.extend_from_slice(brought);
            }
            self.check_event(nodes, p, index, found);
        }
        self.check_register(&nodes[p], arrived, now, found);
    }
}
