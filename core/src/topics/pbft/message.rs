//! PBFT's vocabulary: requests and their digests, the messages of the normal
//! case, checkpoints and view changes (Castro and Liskov, sections 4.1 to 4.4),
//! timers, traitor behaviours and the topic's operations.

use std::fmt;

use crate::sim::action::{Operation, RawOperation};
use crate::sim::node::Labelled;
use crate::sim::time::NodeId;

/// A view number: view `v` is led by replica `v mod n` (section 4).
pub type View = u64;

/// A sequence number the primary assigns to a request (section 4.2).
pub type Seq = u64;

/// A stand-in for a cryptographic digest: a deterministic 64-bit hash. Nobody in
/// the model can make two requests with one digest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Digest(pub u64);

impl Digest {
    /// The digest of the null request, which a new primary assigns to the gaps
    /// of its NEW-VIEW (section 4.4).
    pub const NULL: Digest = Digest(0);
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == Digest::NULL {
            write!(f, "null")
        } else {
            write!(f, "#{:04x}", self.0 & 0xffff)
        }
    }
}

/// One step of a 64-bit mixing function (SplitMix64's finaliser).
pub fn mix(state: u64, value: u64) -> u64 {
    let mut z = state ^ value.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A client's request `<REQUEST, o, t, c>` (section 4.1): operation `o`,
/// timestamp `t` (one higher for each request of the client), client `c`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Request {
    pub client: NodeId,
    pub timestamp: u64,
    pub operation: u64,
}

impl Request {
    pub fn digest(&self) -> Digest {
        let hash = mix(
            mix(mix(1, self.client.0 as u64), self.timestamp),
            self.operation,
        );
        // Never the null request's digest.
        Digest(hash.max(1))
    }
}

impl fmt::Display for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} t{} op {}",
            self.client,
            self.timestamp,
            self.operation & 0xffff
        )
    }
}

/// What a pre-prepare proposes for a sequence number: a request, or the null
/// request (`None`) that fills a gap after a view change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Proposal(pub Option<Request>);

impl Proposal {
    pub fn digest(&self) -> Digest {
        self.0.map_or(Digest::NULL, |request| request.digest())
    }
}

/// A prepared certificate as a VIEW-CHANGE carries it in its set P (section
/// 4.4): the request prepared at `seq` in `view`. The paper's certificate holds
/// the signed pre-prepare and 2f prepares; here signatures are not modelled, and
/// traitors never claim certificates they do not hold (they may only leave them
/// out), which is what signatures guarantee.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Certificate {
    pub seq: Seq,
    pub view: View,
    pub proposal: Proposal,
}

/// The body of a `<VIEW-CHANGE, v+1, n, C, P, i>` (section 4.4): the last
/// stable checkpoint `n` (its proof `C` is taken as given) and the prepared set.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ViewChangeVote {
    pub replica: NodeId,
    pub checkpoint: Seq,
    pub checkpoint_state: u64,
    pub prepared: Vec<Certificate>,
}

/// Everything that travels on the network.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PbftMessage {
    /// Client to primary, or to every replica after a timeout; a backup relays
    /// it to the primary (section 4.1).
    Request(Request),
    /// `<PRE-PREPARE, v, n, d>` with the request (section 4.2).
    PrePrepare {
        view: View,
        seq: Seq,
        proposal: Proposal,
    },
    /// `<PREPARE, v, n, d, i>` (section 4.2).
    Prepare {
        view: View,
        seq: Seq,
        digest: Digest,
    },
    /// `<COMMIT, v, n, D(m), i>` (section 4.2).
    Commit {
        view: View,
        seq: Seq,
        digest: Digest,
    },
    /// `<REPLY, v, t, c, i, r>` (section 4.1).
    Reply {
        view: View,
        timestamp: u64,
        result: u64,
    },
    /// `<CHECKPOINT, n, d, i>` (section 4.3): the state after executing `seq`.
    Checkpoint { seq: Seq, state: u64 },
    /// `<VIEW-CHANGE, v+1, n, C, P, i>` (section 4.4).
    ViewChange { view: View, vote: ViewChangeVote },
    /// `<NEW-VIEW, v+1, V, O>` (section 4.4).
    NewView {
        view: View,
        votes: Vec<ViewChangeVote>,
        pre_prepares: Vec<(Seq, Proposal)>,
    },
}

impl Labelled for PbftMessage {
    fn kind(&self) -> &'static str {
        match self {
            PbftMessage::Request(_) => "Request",
            PbftMessage::PrePrepare { .. } => "PrePrepare",
            PbftMessage::Prepare { .. } => "Prepare",
            PbftMessage::Commit { .. } => "Commit",
            PbftMessage::Reply { .. } => "Reply",
            PbftMessage::Checkpoint { .. } => "Checkpoint",
            PbftMessage::ViewChange { .. } => "ViewChange",
            PbftMessage::NewView { .. } => "NewView",
        }
    }

    fn label(&self) -> String {
        match self {
            PbftMessage::Request(request) => format!("Request {request}"),
            PbftMessage::PrePrepare {
                view,
                seq,
                proposal,
            } => format!("PrePrepare v{view} n{seq} {}", proposal.digest()),
            PbftMessage::Prepare { view, seq, digest } => {
                format!("Prepare v{view} n{seq} {digest}")
            }
            PbftMessage::Commit { view, seq, digest } => format!("Commit v{view} n{seq} {digest}"),
            PbftMessage::Reply {
                view,
                timestamp,
                result,
            } => format!("Reply v{view} t{timestamp} result {:04x}", result & 0xffff),
            PbftMessage::Checkpoint { seq, state } => {
                format!("Checkpoint n{seq} state {:04x}", state & 0xffff)
            }
            PbftMessage::ViewChange { view, vote } => format!(
                "ViewChange v{view} checkpoint n{} prepared {}",
                vote.checkpoint,
                vote.prepared.len()
            ),
            PbftMessage::NewView {
                view, pre_prepares, ..
            } => format!("NewView v{view} with {} pre-prepares", pre_prepares.len()),
        }
    }
}

/// Every timer of every process.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PbftTimer {
    /// Replica: the request timer of view `view` (section 4.4), or in a view
    /// change the wait for NEW-VIEW of `view`.
    Progress { view: View },
    /// Client: time to send the next request.
    Send,
    /// Client: no f+1 matching replies to request `timestamp` yet.
    Retry { timestamp: u64 },
}

impl Labelled for PbftTimer {
    fn kind(&self) -> &'static str {
        match self {
            PbftTimer::Progress { .. } => "progress",
            PbftTimer::Send => "send",
            PbftTimer::Retry { .. } => "retry",
        }
    }

    fn label(&self) -> String {
        match self {
            PbftTimer::Progress { view } => format!("no progress in view {view}"),
            PbftTimer::Send => "send the next request".to_string(),
            PbftTimer::Retry { timestamp } => format!("no f+1 replies to t{timestamp}"),
        }
    }
}

/// How a traitor misbehaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Behaviour {
    /// Sends nothing at all.
    Silent,
    /// As primary, sends different pre-prepares (different requests, so
    /// different digests) to different groups of f backups, and votes PREPARE
    /// and COMMIT with each group for its own digest.
    Equivocate,
    /// Prepares, commits and checkpoints carry a wrong digest; and it agrees
    /// with whoever asks: to each PREPARE it receives it answers with a matching
    /// PREPARE and COMMIT.
    Lie,
}

impl Behaviour {
    pub const ALL: [Behaviour; 3] = [Behaviour::Silent, Behaviour::Equivocate, Behaviour::Lie];

    pub fn as_str(self) -> &'static str {
        match self {
            Behaviour::Silent => "silent traitor",
            Behaviour::Equivocate => "equivocating traitor",
            Behaviour::Lie => "lying traitor",
        }
    }
}

/// What a person (or a preset) can ask of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PbftOp {
    /// The replica turns traitor with this behaviour.
    Traitor(Behaviour),
}

const TRAITOR_CODE: u32 = 1;

impl fmt::Display for PbftOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PbftOp::Traitor(behaviour) => write!(f, "become a {}", behaviour.as_str()),
        }
    }
}

impl Operation for PbftOp {
    fn to_raw(&self) -> RawOperation {
        match self {
            PbftOp::Traitor(behaviour) => {
                let index = Behaviour::ALL.iter().position(|b| b == behaviour);
                RawOperation::new(TRAITOR_CODE, &[index.unwrap_or(0) as u64])
            }
        }
    }

    fn from_raw(raw: &RawOperation) -> Option<Self> {
        match (raw.code, raw.args.as_slice()) {
            (TRAITOR_CODE, &[index]) => Behaviour::ALL
                .get(usize::try_from(index).ok()?)
                .map(|&behaviour| PbftOp::Traitor(behaviour)),
            _ => None,
        }
    }
}
