//! The invariants of the distributed-locks topic, checked after every step
//! against registries the checker keeps in real (global) time, not against what
//! the processes believe.
//!
//! The checker registers every lease when its client starts to hold it (the
//! instant in global time, so leases are ordered as they really happened) and
//! every write the storage applies. Against them:
//!
//! - **effective mutual exclusion**: once the storage has applied a write made
//!   under a lease, it never applies a write made under an older lease. The
//!   writes the storage keeps then come from one holder at a time, in the order
//!   the lock was granted, as if every holder had had the storage to itself.
//!   The stronger-sounding "never apply a write whose lease had expired" cannot
//!   hold for any lock service: after a pause the old holder's write may reach
//!   the storage before the new holder has written anything, and then nothing
//!   the storage has seen tells it the write is stale (no token above it has
//!   arrived yet). Kleppmann's fencing promises exactly this ordering, and a
//!   stale write that lands before every newer write is ordered as if it had
//!   come in time. (For read-modify-write the storage would have to check
//!   tokens on reads too; these clients only write.)
//! - **fenced order**: the fencing tokens of the writes the storage applies
//!   never decrease. This is the storage's own rule seen from outside; it needs
//!   tokens, so it says nothing in Redlock mode.
//! - **single holder**: no two running clients believe, each by its own clock,
//!   that they hold the lock at the same instant. This is what the lease
//!   service itself promises when its clock assumptions hold; a paused client
//!   believes nothing (it is not running), which is why this alone does not
//!   make the storage safe.

use std::collections::BTreeMap;

use crate::lab::topic::InvariantInfo;
use crate::sim::checker::{Checker, Violation};
use crate::sim::time::{NodeId, Time};

use super::message::{FencingToken, LockValue};
use super::process::LockProcess;

pub const EFFECTIVE_MUTUAL_EXCLUSION: &str = "effective-mutual-exclusion";
pub const FENCED_ORDER: &str = "fenced-order";
pub const SINGLE_HOLDER: &str = "single-holder";

pub const INVARIANTS: &[InvariantInfo] = &[
    InvariantInfo {
        name: EFFECTIVE_MUTUAL_EXCLUSION,
        summary: "Once the storage has applied a write made under a lease, it never applies one made under an older lease (leases ordered by when their holders got them, in real time): a stale holder's write lands before every newer holder's or not at all.",
    },
    InvariantInfo {
        name: FENCED_ORDER,
        summary: "The fencing tokens of the writes the storage applies never decrease.",
    },
    InvariantInfo {
        name: SINGLE_HOLDER,
        summary: "No two running clients believe at the same instant, each by its own clock, that they hold the lock.",
    },
];

/// A lease as the checker registered it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LeaseRecord {
    pub client: NodeId,
    pub value: LockValue,
    pub token: Option<FencingToken>,
    /// When the client started to hold it, in global time.
    pub acquired_at: Time,
    /// When the client last stopped believing in it, in global time.
    pub ended_at: Option<Time>,
}

/// The incremental checker.
#[derive(Clone, Debug, Default)]
pub struct LocksChecker {
    /// Every lease, in the order their holders got them.
    leases: Vec<LeaseRecord>,
    by_value: BTreeMap<(NodeId, LockValue), usize>,
    /// The storage's applied-write count already looked at.
    applied_seen: u64,
    /// The newest lease (by position in `leases`) with an applied write.
    newest_written: Option<usize>,
    /// The highest token of an applied write.
    highest_applied: Option<FencingToken>,
    /// Per process: the lease it believed in after its last step.
    believing: Vec<Option<usize>>,
}

impl LocksChecker {
    /// Every lease registered so far, in the order their holders got them.
    pub fn leases(&self) -> &[LeaseRecord] {
        &self.leases
    }

    fn lease_text(&self, index: usize) -> String {
        let lease = &self.leases[index];
        let token = lease
            .token
            .map_or_else(String::new, |token| format!(", token {token}"));
        format!(
            "{}'s lease ({}{token}, from {})",
            lease.client, lease.value, lease.acquired_at
        )
    }

    fn check_client(
        &mut self,
        nodes: &[LockProcess],
        up: &[bool],
        me: usize,
        now: Time,
        found: &mut Vec<Violation>,
    ) {
        let Some(client) = nodes[me].client() else {
            return;
        };
        let id = NodeId(me as u32);
        let lease = client.lease().filter(|_| up[me]);
        let current = lease.map(|lease| match self.by_value.get(&(id, lease.value)) {
            Some(&index) => index,
            None => {
                self.leases.push(LeaseRecord {
                    client: id,
                    value: lease.value,
                    token: lease.token,
                    acquired_at: now,
                    ended_at: None,
                });
                self.by_value
                    .insert((id, lease.value), self.leases.len() - 1);
                self.leases.len() - 1
            }
        });
        let believes = up[me] && client.believes_it_holds();
        let now_believing = current.filter(|_| believes);
        if let Some(before) = self.believing[me].filter(|&b| Some(b) != now_believing) {
            self.leases[before].ended_at = Some(now);
        }
        self.believing[me] = now_believing;
        let Some(mine) = now_believing else {
            return;
        };
        for (other, believed) in self.believing.iter().enumerate() {
            let Some(theirs) = *believed else { continue };
            if other == me {
                continue;
            }
            found.push(Violation {
                invariant: SINGLE_HOLDER,
                message: format!(
                    "{} and {} both believe they hold the lock now: {} and {}",
                    id,
                    NodeId(other as u32),
                    self.lease_text(mine),
                    self.lease_text(theirs)
                ),
            });
        }
    }

    fn check_storage(
        &mut self,
        nodes: &[LockProcess],
        me: usize,
        now: Time,
        found: &mut Vec<Violation>,
    ) {
        let Some(storage) = nodes[me].storage() else {
            return;
        };
        if storage.applied() == self.applied_seen {
            return;
        }
        self.applied_seen = storage.applied();
        let Some(write) = storage.last_write() else {
            return;
        };
        let Some(&index) = self.by_value.get(&(write.client, write.value)) else {
            found.push(Violation {
                invariant: EFFECTIVE_MUTUAL_EXCLUSION,
                message: format!(
                    "the storage applied {} from {} under {}, a lease no client ever held",
                    write.data, write.client, write.value
                ),
            });
            return;
        };
        match self.newest_written {
            Some(newest) if newest > index => {
                let ended = match self.leases[index].ended_at {
                    Some(ended) => {
                        format!(", whose holder last counted on it, running, at {ended}")
                    }
                    None => String::new(),
                };
                found.push(Violation {
                    invariant: EFFECTIVE_MUTUAL_EXCLUSION,
                    message: format!(
                        "at {now} the storage applied {} under {}{ended}, after a write under the newer {}",
                        write.data,
                        self.lease_text(index),
                        self.lease_text(newest)
                    ),
                });
            }
            _ => self.newest_written = Some(index),
        }
        if let Some(token) = write.token {
            match self.highest_applied {
                Some(highest) if token < highest => found.push(Violation {
                    invariant: FENCED_ORDER,
                    message: format!(
                        "the storage applied {} with token {token} after a write with token {highest}",
                        write.data
                    ),
                }),
                _ => self.highest_applied = Some(token),
            }
        }
    }
}

impl Checker<LockProcess> for LocksChecker {
    fn check(
        &mut self,
        nodes: &[LockProcess],
        up: &[bool],
        changed: NodeId,
        now: Time,
        found: &mut Vec<Violation>,
    ) {
        if self.believing.len() < nodes.len() {
            self.believing.resize(nodes.len(), None);
        }
        let me = changed.index();
        if me >= nodes.len() {
            return;
        }
        self.check_client(nodes, up, me, now, found);
        self.check_storage(nodes, me, now, found);
    }
}
