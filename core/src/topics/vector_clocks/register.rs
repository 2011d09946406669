//! The replicated register `x` every process holds, and the two ways its
//! replicas reconcile what they exchange.
//!
//! With version vectors (Parker et al., "Detection of Mutual Inconsistency in
//! Distributed Systems", IEEE TSE 1983; DeCandia et al., "Dynamo", SOSP 2007,
//! section 4.4) a replica keeps every version no other version it holds
//! dominates: a dominated version is replaced, concurrent ones are kept side
//! by side as siblings, and a write supersedes all the siblings its writer
//! holds. With Lamport timestamps the register keeps one version, the one with
//! the greatest (timestamp, writer): last writer wins, and of two concurrent
//! writes one is dropped without anyone noticing.

use crate::sim::time::NodeId;

use super::clock::{Causality, VectorClock};
use super::message::Version;

/// How a replica decides between versions: the `clock` parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resolution {
    /// Last writer wins by Lamport timestamp, then writer id.
    LastWriterWins,
    /// Version vectors: dominated versions go, concurrent ones stay as siblings.
    VersionVectors,
}

/// What a replica did with one version it received (or held), for the notes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// The incoming version is new and nothing it met is concurrent with it.
    Adopted(Version),
    /// The held version `old` gave way to the incoming `by`.
    Replaced { old: Version, by: Version },
    /// The incoming version lost to the held `by`.
    Ignored { incoming: Version, by: Version },
    /// The incoming version is concurrent with the held ones: kept beside them.
    Sibling(Version),
    /// The `siblings-overwritten` bug: the held `old`, concurrent with the
    /// incoming `by`, was replaced by it instead of kept beside it.
    Overwritten { old: Version, by: Version },
}

/// One replica of the register.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Register {
    /// The versions held, sorted by writer: one at most with last-writer-wins,
    /// pairwise concurrent siblings with version vectors.
    versions: Vec<Version>,
}

impl Register {
    pub fn versions(&self) -> &[Version] {
        &self.versions
    }

    /// The version vector of a new write at `writer` (Dynamo, section 4.4):
    /// the entry-by-entry maximum of every sibling it supersedes, then the
    /// writer's own entry plus one.
    pub fn next_version(&self, writer: NodeId, processes: usize) -> VectorClock {
        let mut next = VectorClock::zero(processes);
        for version in &self.versions {
            next.merge(&version.version);
        }
        next.tick(writer.index());
        next
    }

    /// A local write: the new version supersedes everything held, since its
    /// writer has seen all of it. Returns what it replaced.
    pub fn write(&mut self, version: Version) -> Vec<Version> {
        std::mem::replace(&mut self.versions, vec![version])
    }

    /// Reconciles the versions a message brought with the ones held, one by
    /// one. `overwrite_siblings` is the bug of that name.
    pub fn merge(
        &mut self,
        incoming: &[Version],
        resolution: Resolution,
        overwrite_siblings: bool,
    ) -> Vec<Decision> {
        let mut decisions = Vec::new();
        for version in incoming {
            if self.versions.iter().any(|held| held.name == version.name) {
                continue; // already held: nothing to decide
            }
            match resolution {
                Resolution::LastWriterWins => self.merge_by_lamport(version, &mut decisions),
                Resolution::VersionVectors => {
                    self.merge_by_vectors(version, overwrite_siblings, &mut decisions)
                }
            }
        }
        decisions
    }

    fn merge_by_lamport(&mut self, incoming: &Version, decisions: &mut Vec<Decision>) {
        let Some(best) = self
            .versions
            .iter()
            .max_by_key(|v| v.lamport_key())
            .cloned()
        else {
            self.versions.push(incoming.clone());
            decisions.push(Decision::Adopted(incoming.clone()));
            return;
        };
        if incoming.lamport_key() > best.lamport_key() {
            for old in std::mem::replace(&mut self.versions, vec![incoming.clone()]) {
                decisions.push(Decision::Replaced {
                    old,
                    by: incoming.clone(),
                });
            }
        } else {
            decisions.push(Decision::Ignored {
                incoming: incoming.clone(),
                by: best,
            });
        }
    }

    fn merge_by_vectors(
        &mut self,
        incoming: &Version,
        overwrite_siblings: bool,
        decisions: &mut Vec<Decision>,
    ) {
        // Dominated by something held: the replica already has a later version.
        if let Some(by) = self
            .versions
            .iter()
            .find(|held| incoming.version.lt(&held.version))
        {
            decisions.push(Decision::Ignored {
                incoming: incoming.clone(),
                by: by.clone(),
            });
            return;
        }
        let mut concurrent = false;
        let decided = decisions.len();
        let mut kept = Vec::with_capacity(self.versions.len() + 1);
        for held in std::mem::take(&mut self.versions) {
            match held.version.compare(&incoming.version) {
                Causality::Before => decisions.push(Decision::Replaced {
                    old: held,
                    by: incoming.clone(),
                }),
                Causality::Concurrent if overwrite_siblings => {
                    decisions.push(Decision::Overwritten {
                        old: held,
                        by: incoming.clone(),
                    })
                }
                // Concurrent (or, from a faulty peer, an equal vector under
                // another name): keep both, the safe choice.
                _ => {
                    concurrent = true;
                    kept.push(held);
                }
            }
        }
        let at = kept.partition_point(|held| held.name.writer <= incoming.name.writer);
        kept.insert(at, incoming.clone());
        self.versions = kept;
        if concurrent {
            decisions.push(Decision::Sibling(incoming.clone()));
        } else if decisions.len() == decided {
            // Nothing replaced (or overwritten) says it already.
            decisions.push(Decision::Adopted(incoming.clone()));
        }
    }
}
