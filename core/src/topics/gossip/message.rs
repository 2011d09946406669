//! The vocabulary of the gossip topic: versions and updates of the replicated
//! store, the rumour-mongering and anti-entropy messages of Demers et al.
//! (PODC 1987, §1.2 and §1.3), SWIM's probe messages and membership updates
//! (Das, Gupta & Motivala, DSN 2002, §3 and §4), the timers, and the topic's
//! one operation.

use std::fmt;

use crate::sim::action::{Operation, RawOperation};
use crate::sim::node::Labelled;
use crate::sim::time::NodeId;

/// How many keys the replicated store holds: small, so a node's whole store
/// and a digest of it stay a few hundred bytes even at 10,000 nodes.
pub const KEYS: usize = 8;

/// Bytes of a version on the wire (a counter and the originating node).
pub const VERSION_BYTES: u64 = 8;
/// Bytes of a stored value on the wire: the record itself, which is what a
/// digest saves sending again.
pub const VALUE_BYTES: u64 = 64;
/// Bytes of one entry (key, version, value).
pub const ENTRY_BYTES: u64 = 1 + VERSION_BYTES + VALUE_BYTES;

/// The version of a key: a counter, ties broken by the node that wrote it
/// (Demers §1: the timestamp that orders updates of one key). Zero is "never
/// written".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    pub counter: u32,
    pub origin: u32,
}

impl Version {
    pub const NONE: Version = Version {
        counter: 0,
        origin: 0,
    };

    pub fn is_none(self) -> bool {
        self.counter == 0
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}@n{}", self.counter, self.origin)
    }
}

/// One write to the store, as rumours and anti-entropy carry it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Update {
    pub key: u8,
    pub version: Version,
    pub value: u32,
}

/// What a SWIM member believes of another (§4.2: alive, suspected,
/// confirmed faulty), ordered so that at one incarnation suspect overrides
/// alive and dead overrides both.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    Alive,
    Suspect,
    Dead,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Alive => "alive",
            Status::Suspect => "suspect",
            Status::Dead => "dead",
        }
    }
}

/// A membership update piggybacked on SWIM's messages (§4.1
/// infection-style dissemination): `Alive`, `Suspect` or `Confirm` of
/// `member` at `incarnation`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemberUpdate {
    pub member: NodeId,
    pub status: Status,
    pub incarnation: u32,
}

impl MemberUpdate {
    /// Whether this update overrides what is known at `status`/`incarnation`
    /// (§4.2's precedence: a higher incarnation wins; at one incarnation,
    /// suspect beats alive and confirm beats both).
    pub fn overrides(&self, status: Status, incarnation: u32) -> bool {
        match self.status {
            // A dead member rejoins only with a higher incarnation.
            Status::Alive => self.incarnation > incarnation,
            Status::Suspect => {
                status != Status::Dead
                    && (self.incarnation > incarnation
                        || (self.incarnation == incarnation && status == Status::Alive))
            }
            Status::Dead => status != Status::Dead || self.incarnation > incarnation,
        }
    }
}

impl fmt::Display for MemberUpdate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}#{}",
            self.status.as_str(),
            self.member,
            self.incarnation
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GossipMessage {
    /// Rumour mongering, push (Demers §1.3): the sender's hot updates.
    Push {
        updates: Vec<Update>,
    },
    /// Rumour mongering, pull: the asker's versions; answered with the hot
    /// updates it lacks.
    PullRequest {
        versions: [Version; KEYS],
    },
    PullReply {
        updates: Vec<Update>,
    },
    /// Anti-entropy with a digest (Demers §1.2, push-pull): the initiator's
    /// versions only.
    Digest {
        versions: [Version; KEYS],
    },
    /// The partner's answer: the entries the initiator lacks, and the
    /// partner's versions, so the initiator can send back what the partner
    /// lacks.
    DigestReply {
        versions: [Version; KEYS],
        entries: Vec<Update>,
    },
    /// The initiator's entries the partner lacked.
    Entries {
        entries: Vec<Update>,
    },
    /// SWIM §3.1: a probe (directly, or on behalf of `requester` after a
    /// ping-req), with membership updates piggybacked (§4.1).
    Ping {
        sequence: u32,
        requester: Option<NodeId>,
        gossip: Vec<MemberUpdate>,
    },
    /// The answer to a ping. `target` is who answered, `requester` who asked
    /// through a ping-req (the relay forwards it there).
    Ack {
        sequence: u32,
        target: NodeId,
        requester: Option<NodeId>,
        gossip: Vec<MemberUpdate>,
    },
    /// SWIM §3.1: "ping `target` for me", sent to k members.
    PingRequest {
        sequence: u32,
        target: NodeId,
        gossip: Vec<MemberUpdate>,
    },
    /// Membership updates sent directly: the suspicion to the suspect and its
    /// refutation back to the suspecter (Lifeguard's "buddy system").
    Notify {
        gossip: Vec<MemberUpdate>,
    },
}

impl Labelled for GossipMessage {
    fn kind(&self) -> &'static str {
        match self {
            GossipMessage::Push { .. } => "push",
            GossipMessage::PullRequest { .. } => "pull",
            GossipMessage::PullReply { .. } => "pull-reply",
            GossipMessage::Digest { .. } => "digest",
            GossipMessage::DigestReply { .. } => "digest-reply",
            GossipMessage::Entries { .. } => "entries",
            GossipMessage::Ping { .. } => "ping",
            GossipMessage::Ack { .. } => "ack",
            GossipMessage::PingRequest { .. } => "ping-req",
            GossipMessage::Notify { .. } => "notify",
        }
    }

    fn label(&self) -> String {
        let updates = |updates: &[Update]| {
            updates
                .iter()
                .map(|u| format!("k{}={}", u.key, u.version))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let gossip = |gossip: &[MemberUpdate]| {
            if gossip.is_empty() {
                String::new()
            } else {
                let text: Vec<String> = gossip.iter().map(|g| g.to_string()).collect();
                format!(" +{}", text.join(", "))
            }
        };
        match self {
            GossipMessage::Push { updates: u } => format!("push {}", updates(u)),
            GossipMessage::PullRequest { .. } => "pull".to_string(),
            GossipMessage::PullReply { updates: u } => format!("pull-reply {}", updates(u)),
            GossipMessage::Digest { .. } => "digest".to_string(),
            GossipMessage::DigestReply { entries, .. } => {
                format!("digest-reply {}", updates(entries))
            }
            GossipMessage::Entries { entries } => format!("entries {}", updates(entries)),
            GossipMessage::Ping {
                sequence,
                requester,
                gossip: g,
            } => match requester {
                Some(r) => format!("ping #{sequence} for {r}{}", gossip(g)),
                None => format!("ping #{sequence}{}", gossip(g)),
            },
            GossipMessage::Ack {
                sequence,
                gossip: g,
                ..
            } => format!("ack #{sequence}{}", gossip(g)),
            GossipMessage::PingRequest {
                sequence,
                target,
                gossip: g,
            } => format!("ping-req #{sequence} {target}{}", gossip(g)),
            GossipMessage::Notify { gossip: g } => format!("notify{}", gossip(g)),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GossipTimer {
    /// A rumour-mongering round: push and/or pull.
    Round,
    /// An anti-entropy exchange with one random partner.
    AntiEntropy,
    /// SWIM's protocol period: probe the next member.
    Probe,
    /// The direct ping of probe `sequence` went unanswered (§3.1).
    PingTimeout { sequence: u32 },
    /// The ping-reqs of probe `sequence` went unanswered by the end of the
    /// protocol period.
    IndirectTimeout { sequence: u32 },
    /// The suspicion of `member` at `incarnation` was not refuted in time
    /// (§4.2).
    Suspicion { member: NodeId, incarnation: u32 },
}

impl Labelled for GossipTimer {
    fn kind(&self) -> &'static str {
        match self {
            GossipTimer::Round => "round",
            GossipTimer::AntiEntropy => "anti-entropy",
            GossipTimer::Probe => "probe",
            GossipTimer::PingTimeout { .. } => "ping-timeout",
            GossipTimer::IndirectTimeout { .. } => "indirect-timeout",
            GossipTimer::Suspicion { .. } => "suspicion-timeout",
        }
    }

    fn label(&self) -> String {
        match self {
            GossipTimer::PingTimeout { sequence } => format!("ping #{sequence} timed out"),
            GossipTimer::IndirectTimeout { sequence } => {
                format!("ping-req #{sequence} timed out")
            }
            GossipTimer::Suspicion {
                member,
                incarnation,
            } => format!("suspicion of {member}#{incarnation} expired"),
            other => other.kind().to_string(),
        }
    }
}

/// The topic's operation: write a fresh value of `key` at the node, a new
/// rumour for the cluster to spread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StartRumour {
    pub key: u8,
}

const START_RUMOUR: u32 = 1;

impl Operation for StartRumour {
    fn to_raw(&self) -> RawOperation {
        RawOperation::new(START_RUMOUR, &[u64::from(self.key)])
    }

    fn from_raw(raw: &RawOperation) -> Option<Self> {
        if raw.code != START_RUMOUR || raw.args.len() != 1 {
            return None;
        }
        let key = raw.arg(0)?;
        (key < KEYS as u64).then_some(StartRumour { key: key as u8 })
    }
}

impl fmt::Display for StartRumour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "start a rumour on key {}", self.key)
    }
}
