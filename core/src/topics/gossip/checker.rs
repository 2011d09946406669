//! The invariants of the gossip topic, checked after every step of the node
//! that changed, from what the checker remembers of each node (a few words
//! per node, so a step costs the same at 10 or 10,000 nodes):
//!
//! - **no alive member declared dead**: a member that was up when it was
//!   suspected and stayed up until its confirmation is never confirmed dead
//!   (without suspicion, "suspected" is the confirmation itself: a member up
//!   then is declared dead while alive). SWIM's suspicion sub-protocol
//!   (§4.2) is what makes this hold when the network only delays messages:
//!   the suspect hears of the suspicion and refutes it long before the
//!   timeout. Under loss and partitions the suspicion or its refutation can
//!   be lost for the whole timeout, so the theory expects violations there
//!   (`TopicInfo::expected`).
//! - **rumour only from source**: every version a node holds was written by
//!   some node (Demers' updates are only ever copied, never made up).
//! - **incarnation only grows**: a member's own incarnation never goes back,
//!   across crashes too, or a refutation could lose to an old suspicion.

use crate::lab::topic::InvariantInfo;
use crate::sim::checker::{Checker, Violation};
use crate::sim::time::{NodeId, Time};

use super::message::Version;
use super::node::GossipNode;
use super::theory::Band;

pub const NO_ALIVE_MEMBER_DECLARED_DEAD: &str = "no-alive-member-declared-dead";
pub const RUMOUR_ONLY_FROM_SOURCE: &str = "rumour-only-from-source";
pub const INCARNATION_ONLY_GROWS: &str = "incarnation-only-grows";

pub const INVARIANTS: &[InvariantInfo] = &[
    InvariantInfo {
        name: NO_ALIVE_MEMBER_DECLARED_DEAD,
        summary: "A member that was up when it was suspected and stayed up is never confirmed dead: a live suspect refutes in time.",
    },
    InvariantInfo {
        name: RUMOUR_ONLY_FROM_SOURCE,
        summary: "Every version a node holds was written by some node: gossip copies updates, never invents them.",
    },
    InvariantInfo {
        name: INCARNATION_ONLY_GROWS,
        summary: "A member's own incarnation number never decreases, not even across a crash.",
    },
];

/// What the checker remembers of one node after its last step.
#[derive(Clone, Copy, Debug, Default)]
struct Seen {
    boots: u32,
    up_since: Time,
    originations: u32,
    confirmations: u32,
    incarnation: u32,
}

#[derive(Clone, Debug, Default)]
pub struct GossipChecker {
    /// The band of infection curves over seeds for this run's mode, fanout
    /// and size, measured the first time the page asks for it (see
    /// [`super::GossipTopic::plots`]); `None` inside when the cluster is too
    /// big to measure in a page.
    pub(super) band: std::cell::OnceCell<Option<Band>>,
    seen: Vec<Seen>,
    /// Every (key, version) some node wrote, sorted.
    originated: Vec<(u8, Version)>,
    /// Confirmations of members that were down at some point since their
    /// suspicion (true detections), and of members up throughout (false
    /// positives).
    detections: u64,
    false_positives: u64,
}

impl GossipChecker {
    pub fn new(nodes: usize) -> Self {
        GossipChecker {
            seen: vec![Seen::default(); nodes],
            ..GossipChecker::default()
        }
    }

    /// Confirmations so far: (of members that really went down, of members
    /// that stayed up).
    pub fn confirmations(&self) -> (u64, u64) {
        (self.detections, self.false_positives)
    }
}

impl Checker<GossipNode> for GossipChecker {
    fn check(
        &mut self,
        nodes: &[GossipNode],
        up: &[bool],
        changed: NodeId,
        now: Time,
        found: &mut Vec<Violation>,
    ) {
        let (Some(node), Some(seen)) = (nodes.get(changed.index()), self.seen.get(changed.index()))
        else {
            return;
        };
        let mut seen = *seen;
        if node.boots() != seen.boots {
            seen.boots = node.boots();
            seen.up_since = now;
        }
        let (originations, last) = node.originations();
        if originations != seen.originations {
            seen.originations = originations;
            if let Some((key, version, _)) = last {
                if let Err(at) = self.originated.binary_search(&(key, version)) {
                    self.originated.insert(at, (key, version));
                }
            }
        }
        for (key, entry) in node.store().iter().enumerate() {
            let key = key as u8;
            if !entry.version.is_none()
                && self
                    .originated
                    .binary_search(&(key, entry.version))
                    .is_err()
            {
                found.push(Violation {
                    invariant: RUMOUR_ONLY_FROM_SOURCE,
                    message: format!(
                        "{changed} holds k{key}={}, a version no node ever wrote",
                        entry.version
                    ),
                });
            }
        }
        let incarnation = node.swim().incarnation();
        if incarnation < seen.incarnation {
            found.push(Violation {
                invariant: INCARNATION_ONLY_GROWS,
                message: format!(
                    "{changed}'s incarnation went back from {} to {incarnation}",
                    seen.incarnation
                ),
            });
        }
        seen.incarnation = incarnation;
        let (confirmations, last) = node.swim().confirmations();
        if confirmations != seen.confirmations {
            seen.confirmations = confirmations;
            if let Some(confirmation) = last {
                let member = confirmation.member;
                let member_up = up.get(member.index()).copied().unwrap_or(false);
                let up_since = self
                    .seen
                    .get(member.index())
                    .map_or(Time::NEVER, |s| s.up_since);
                if member_up && up_since <= confirmation.suspected_at {
                    self.false_positives += 1;
                    found.push(Violation {
                        invariant: NO_ALIVE_MEMBER_DECLARED_DEAD,
                        message: format!(
                            "{changed} confirmed {member} dead (incarnation {}) at {}, but {member} has been up since {up_since}, since before it was suspected at {}",
                            confirmation.incarnation, confirmation.at, confirmation.suspected_at
                        ),
                    });
                } else {
                    self.detections += 1;
                }
            }
        }
        self.seen[changed.index()] = seen;
    }
}
