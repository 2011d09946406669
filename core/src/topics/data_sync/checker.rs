//! The invariants of the data-sync topic, checked against a registry of every
//! update the replicas made, independent of how the replicas store them.
//!
//! The checker registers each update when its replica makes it, with the
//! replica's version vector just after it (what the writer had seen). A
//! replica's version vector says which updates it has delivered. From the
//! delivered updates alone the checker works out what the replica should
//! show, by the specifications of RR-7506 (Shapiro et al.):
//!
//! - an item is on the list if some delivered add of it was observed by no
//!   delivered remove (the OR-set, Specification 15: add wins);
//! - the counter is the delivered increments minus the delivered decrements;
//! - a map key shows a write that no delivered write causally follows.
//!
//! Whatever a replica shows against that is a lost update, counted for the
//! chart and marked on the timeline under every policy. Under the CRDT policy
//! three invariants are claimed (under the others the losses are the lesson):
//!
//! - **strong convergence** (Shapiro et al., SSS 2011, Definition 2.3): any
//!   two replicas that have delivered the same updates show the same state;
//! - **OR-set add wins**: an add no delivered remove observed is on the list;
//! - **causal overwrite**: in the LWW map, a write never loses to one it
//!   causally follows.
//!
//! Each replica is rechecked only when its document changed, in one pass
//! over the registry.

use crate::lab::topic::InvariantInfo;
use crate::sim::checker::{Checker, Violation};
use crate::sim::time::{NodeId, Time};

use super::document::{Document, Policy};
use super::message::{key_name, Dot, Edit};
use super::replica::{Replica, Update};

pub const STRONG_CONVERGENCE: &str = "strong-convergence";
pub const OR_SET_ADD_WINS: &str = "or-set-add-wins";
pub const CAUSAL_OVERWRITE: &str = "causal-overwrite";

pub const INVARIANTS: &[InvariantInfo] = &[
    InvariantInfo {
        name: STRONG_CONVERGENCE,
        summary: "Under the CRDT policy, any two replicas that have delivered the same updates (equal version vectors) show the same list, counter and map.",
    },
    InvariantInfo {
        name: OR_SET_ADD_WINS,
        summary: "Under the CRDT policy, an add that no delivered remove observed keeps its item on the list, even if a concurrent remove of the same item arrived.",
    },
    InvariantInfo {
        name: CAUSAL_OVERWRITE,
        summary: "Under the CRDT policy, a map write (a rename, a done flag) never loses to a write it causally follows, whatever the clocks say.",
    },
];

/// What kind of update a replica lost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LostKind {
    /// An add whose item is missing although no remove observed it.
    Add,
    /// A remove whose item is back although every add it could see is removed.
    Remove,
    /// A map write that lost to one it causally follows.
    Write,
}

/// An update the checker found lost, the first time it found it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LostUpdate {
    pub at: Time,
    pub dot: Dot,
    pub kind: LostKind,
    /// The replica where it was found.
    pub replica: NodeId,
}

/// The incremental checker.
#[derive(Clone, Debug)]
pub struct DataSyncChecker {
    /// Whether the invariants are claimed (the CRDT policy).
    claimed: bool,
    /// Every update, sorted by dot.
    updates: Vec<Update>,
    /// Per replica: updates of it registered, and the revision last checked.
    registered: Vec<usize>,
    checked: Vec<Option<u64>>,
    /// Every update found lost somewhere, sorted by dot, and the findings in
    /// the order found.
    lost_dots: Vec<Dot>,
    lost: Vec<LostUpdate>,
    /// The most counter steps any replica was missing at once.
    counter_steps_lost: u64,
    /// Pairs of replicas reported diverged and not yet equal again.
    diverged: Vec<(u32, u32)>,
}

impl DataSyncChecker {
    pub fn new(claimed: bool) -> Self {
        DataSyncChecker {
            claimed,
            updates: Vec::new(),
            registered: Vec::new(),
            checked: Vec::new(),
            lost_dots: Vec::new(),
            lost: Vec::new(),
            counter_steps_lost: 0,
            diverged: Vec::new(),
        }
    }

    pub fn updates(&self) -> &[Update] {
        &self.updates
    }

    pub fn lost(&self) -> &[LostUpdate] {
        &self.lost
    }

    pub fn lost_count(&self, kind: LostKind) -> u64 {
        self.lost.iter().filter(|l| l.kind == kind).count() as u64
    }

    pub fn counter_steps_lost(&self) -> u64 {
        self.counter_steps_lost
    }

    fn register(&mut self, replica: &Replica) {
        let me = replica.id().index();
        let made = replica.made();
        for update in made.get(self.registered[me]..).unwrap_or_default() {
            if let Err(at) = self.updates.binary_search_by_key(&update.dot, |u| u.dot) {
                self.updates.insert(at, update.clone());
            }
        }
        self.registered[me] = self.registered[me].max(made.len());
    }

    /// Records `dot` lost at `replica` if it is new; whether it was.
    fn lose(&mut self, dot: Dot, kind: LostKind, replica: NodeId, now: Time) -> bool {
        match self.lost_dots.binary_search(&dot) {
            Ok(_) => false,
            Err(at) => {
                self.lost_dots.insert(at, dot);
                self.lost.push(LostUpdate {
                    at: now,
                    dot,
                    kind,
                    replica,
                });
                true
            }
        }
    }

    /// Compares what `replica` shows with what its delivered updates say.
    fn check_replica(&mut self, replica: &Replica, now: Time, found: &mut Vec<Violation>) {
        let doc = replica.document();
        let id = replica.id();
        let delivered: Vec<&Update> = self
            .updates
            .iter()
            .filter(|u| doc.vv.covers(u.dot))
            .collect();
        // Sorted by item, so each add looks only at the removes of its item.
        let mut removes: Vec<(u32, &Update)> = delivered
            .iter()
            .filter_map(|u| match u.edit {
                Edit::Remove(item) => Some((item, *u)),
                _ => None,
            })
            .collect();
        removes.sort_by_key(|&(item, remove)| (item, remove.dot));
        let observed_by_a_remove = |item: u32, add: Dot| {
            let from = removes.partition_point(|&(i, _)| i < item);
            removes[from..]
                .iter()
                .take_while(|&&(i, _)| i == item)
                .any(|(_, r)| r.context.covers(add))
        };
        let items = doc.items();
        let mut findings: Vec<(Dot, LostKind, String)> = Vec::new();
        let mut should_show: Vec<u32> = Vec::new();
        let mut expected_counter = 0i64;
        for update in &delivered {
            match update.edit {
                Edit::Add(item) if !observed_by_a_remove(item, update.dot) => {
                    should_show.push(item);
                    if items.binary_search(&item).is_err() {
                        findings.push((update.dot, LostKind::Add, format!("{}", update.edit)));
                    }
                }
                Edit::Increment => expected_counter += 1,
                Edit::Decrement => expected_counter -= 1,
                _ => {}
            }
        }
        for (item, remove) in &removes {
            if items.binary_search(item).is_ok() && !should_show.contains(item) {
                findings.push((remove.dot, LostKind::Remove, format!("{}", remove.edit)));
            }
        }
        self.check_map(doc, &delivered, &mut findings);
        let steps = expected_counter.abs_diff(doc.counter());
        self.counter_steps_lost = self.counter_steps_lost.max(steps);

        for (dot, kind, what) in findings {
            if !self.lose(dot, kind, id, now) || !self.claimed {
                continue;
            }
            match kind {
                LostKind::Add => found.push(Violation {
                    invariant: OR_SET_ADD_WINS,
                    message: format!(
                        "{id} has delivered update {dot} ({what}) and no remove that observed it, yet the item is not on its list"
                    ),
                }),
                LostKind::Write => found.push(Violation {
                    invariant: CAUSAL_OVERWRITE,
                    message: format!(
                        "{id} has delivered update {dot} ({what}), which causally follows the write it shows instead"
                    ),
                }),
                LostKind::Remove => {}
            }
        }
    }

    /// Map writes the replica lost to a write they causally follow.
    fn check_map(
        &self,
        doc: &Document,
        delivered: &[&Update],
        findings: &mut Vec<(Dot, LostKind, String)>,
    ) {
        for entry in &doc.map {
            let writes: Vec<&Update> = delivered
                .iter()
                .copied()
                .filter(|u| matches!(u.edit, Edit::Set { key, .. } if key == entry.key))
                .collect();
            // The causally latest delivered writes of the key.
            let latest = writes.iter().filter(|w| {
                !writes
                    .iter()
                    .any(|later| later.dot != w.dot && later.context.covers(w.dot))
            });
            for write in latest {
                let shown_before = entry
                    .register
                    .versions
                    .iter()
                    .any(|v| v.dot != write.dot && write.context.covers(v.dot));
                if shown_before {
                    let what = format!("{} of {}", write.edit, key_name(entry.key));
                    findings.push((write.dot, LostKind::Write, what));
                }
            }
        }
    }

    /// Any two replicas with the same version vector show the same state.
    fn check_convergence(&mut self, nodes: &[Replica], me: usize, found: &mut Vec<Violation>) {
        let mine = nodes[me].document();
        let observed = mine.observed();
        for (other, replica) in nodes.iter().enumerate() {
            if other == me {
                continue;
            }
            let pair = (me.min(other) as u32, me.max(other) as u32);
            let theirs = replica.document();
            let differ = theirs.vv == mine.vv && theirs.observed() != observed;
            let reported = self.diverged.iter().position(|&p| p == pair);
            match (differ, reported) {
                (true, None) => {
                    self.diverged.push(pair);
                    found.push(Violation {
                        invariant: STRONG_CONVERGENCE,
                        message: format!(
                            "n{me} and n{other} have both delivered {} but show different states: {}",
                            mine.vv,
                            describe(mine, theirs)
                        ),
                    });
                }
                (false, Some(at)) if theirs.vv == mine.vv => {
                    self.diverged.swap_remove(at);
                }
                _ => {}
            }
        }
    }
}

/// The first difference between two documents, in words.
fn describe(a: &Document, b: &Document) -> String {
    let names = |items: Vec<u32>| -> String {
        let names: Vec<String> = items.into_iter().map(super::message::item_name).collect();
        format!("{{{}}}", names.join(", "))
    };
    if a.items() != b.items() {
        format!("lists {} and {}", names(a.items()), names(b.items()))
    } else if a.counter() != b.counter() {
        format!("counters {} and {}", a.counter(), b.counter())
    } else {
        "different map values".to_string()
    }
}

impl Checker<Replica> for DataSyncChecker {
    fn check(
        &mut self,
        nodes: &[Replica],
        _up: &[bool],
        changed: NodeId,
        now: Time,
        found: &mut Vec<Violation>,
    ) {
        if self.registered.len() < nodes.len() {
            self.registered.resize(nodes.len(), 0);
            self.checked.resize(nodes.len(), None);
        }
        let me = changed.index();
        let Some(replica) = nodes.get(me) else {
            return;
        };
        self.register(replica);
        if self.checked[me] == Some(replica.revision()) {
            return;
        }
        self.checked[me] = Some(replica.revision());
        self.check_replica(replica, now, found);
        if self.claimed && replica.document().policy == Policy::Crdt {
            self.check_convergence(nodes, me, found);
        }
    }
}
