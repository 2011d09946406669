//! PBFT's safety properties (Castro and Liskov, section 4.2's invariant and
//! the safety argument of section 4.5.1), checked after every step over the
//! honest replicas only: a traitor's own log says nothing.
//!
//! - **commit-agreement**: honest replicas never commit locally different
//!   requests (digests) at one sequence number, in one view or in different
//!   views;
//! - **execution-agreement**: honest replicas never execute different requests
//!   at one sequence number.
//!
//! The checker keeps its own registry per sequence number (the first honest
//! commit and execution, who committed it) and reads only what the changed
//! replica appended to its commit and execution lists since the last step. It
//! also records what the timeline draws: the instant a request is committed at
//! a quorum of honest replicas, and each replica's view changes and the views
//! each primary leads.

use crate::lab::topic::InvariantInfo;
use crate::sim::checker::{Checker, Violation};
use crate::sim::time::{NodeId, Time};

use super::message::{Digest, Seq, View};
use super::process::PbftProcess;

pub const COMMIT_AGREEMENT: &str = "commit-agreement";
pub const EXECUTION_AGREEMENT: &str = "execution-agreement";

pub const INVARIANTS: &[InvariantInfo] = &[
    InvariantInfo {
        name: COMMIT_AGREEMENT,
        summary: "Honest replicas never commit different requests at the same sequence number (in one view or across views).",
    },
    InvariantInfo {
        name: EXECUTION_AGREEMENT,
        summary: "Honest replicas never execute different requests at the same sequence number.",
    },
];

/// The first honest commit of a sequence number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Committed {
    digest: Digest,
    view: View,
    by: NodeId,
    /// Bit i: honest replica i committed it.
    committers: u64,
    marked: bool,
}

/// A stretch of one replica's life drawn on its lane: a view change, or a view
/// it leads as primary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ViewSpan {
    pub node: NodeId,
    pub from: Time,
    pub to: Option<Time>,
    pub view: View,
    /// A view change to `view` (else: leading `view` as primary).
    pub changing: bool,
}

#[derive(Clone, Debug, Default)]
pub struct PbftChecker {
    quorum: usize,
    committed: Vec<Option<Committed>>,
    executed: Vec<Option<(Digest, NodeId)>>,
    read_commits: Vec<usize>,
    read_executed: Vec<usize>,
    /// Per replica: its (view, changing, leading) at the last step, and its
    /// open span.
    status: Vec<Option<(View, bool, bool)>>,
    open: Vec<Option<usize>>,
    /// Instants a sequence number became committed at a quorum of honest
    /// replicas.
    pub marks: Vec<(Time, Seq, View, Digest)>,
    pub spans: Vec<ViewSpan>,
}

impl PbftChecker {
    pub fn new(replicas: usize, quorum: usize) -> Self {
        PbftChecker {
            quorum,
            read_commits: vec![0; replicas],
            read_executed: vec![0; replicas],
            status: vec![None; replicas],
            open: vec![None; replicas],
            ..PbftChecker::default()
        }
    }

    fn slot<T>(registry: &mut Vec<Option<T>>, seq: Seq) -> &mut Option<T> {
        let index = seq as usize;
        if registry.len() <= index {
            registry.resize_with(index + 1, || None);
        }
        &mut registry[index]
    }

    fn track_view(&mut self, node: NodeId, status: (View, bool, bool), now: Time) {
        let index = node.index();
        if self.status[index] == Some(status) {
            return;
        }
        self.status[index] = Some(status);
        if let Some(open) = self.open[index].take() {
            self.spans[open].to = Some(now);
        }
        let (view, changing, leading) = status;
        if changing || leading {
            self.open[index] = Some(self.spans.len());
            self.spans.push(ViewSpan {
                node,
                from: now,
                to: None,
                view,
                changing,
            });
        }
    }
}

impl Checker<PbftProcess> for PbftChecker {
    fn check(
        &mut self,
        nodes: &[PbftProcess],
        _up: &[bool],
        changed: NodeId,
        now: Time,
        found: &mut Vec<Violation>,
    ) {
        let Some(replica) = nodes.get(changed.index()).and_then(PbftProcess::replica) else {
            return;
        };
        let index = changed.index();
        if index >= self.read_commits.len() {
            return;
        }
        let leading = !replica.changing && replica.is_primary();
        self.track_view(changed, (replica.view, replica.changing, leading), now);
        let honest = replica.traitor.is_none();
        let new_commits =
            &replica.commit_log[self.read_commits[index].min(replica.commit_log.len())..];
        self.read_commits[index] = replica.commit_log.len();
        for &(view, seq, digest) in new_commits {
            if !honest {
                continue;
            }
            let quorum = self.quorum;
            let entry = Self::slot(&mut self.committed, seq);
            match entry {
                None => {
                    *entry = Some(Committed {
                        digest,
                        view,
                        by: changed,
                        committers: 1 << (index % 64),
                        marked: false,
                    })
                }
                Some(first) if first.digest != digest => found.push(Violation {
                    invariant: COMMIT_AGREEMENT,
                    message: format!(
                        "at n{seq} honest {} committed {} in view {} and honest {changed} committed {digest} in view {view}",
                        first.by, first.digest, first.view
                    ),
                }),
                Some(first) => first.committers |= 1 << (index % 64),
            }
            if let Some(first) = entry {
                if !first.marked && first.committers.count_ones() as usize >= quorum {
                    first.marked = true;
                    self.marks.push((now, seq, view, first.digest));
                }
            }
        }
        let new_executed =
            &replica.executed[self.read_executed[index].min(replica.executed.len())..];
        self.read_executed[index] = replica.executed.len();
        for &(seq, digest) in new_executed {
            if !honest {
                continue;
            }
            let entry = Self::slot(&mut self.executed, seq);
            match *entry {
                None => *entry = Some((digest, changed)),
                Some((first, by)) if first != digest => found.push(Violation {
                    invariant: EXECUTION_AGREEMENT,
                    message: format!(
                        "at n{seq} honest {by} executed {first} and honest {changed} executed {digest}"
                    ),
                }),
                Some(_) => {}
            }
        }
    }
}
