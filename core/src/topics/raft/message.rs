//! Raft's vocabulary: terms, log indexes, entries, the four RPC messages and the two
//! timers (Ongaro and Ousterhout, "In Search of an Understandable Consensus
//! Algorithm", 2014, Figure 2).

use std::fmt;

use crate::lab::scenario::CLIENT_REQUEST_CODE;
use crate::sim::action::{Operation, RawOperation};
use crate::sim::node::Labelled;
use crate::sim::time::NodeId;
use crate::sim::view::Palette;

/// A Raft term: a logical clock that numbers elections.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Term(pub u64);

/// A 1-based position in the log; `LogIndex(0)` means "before the first entry".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LogIndex(pub u64);

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Display for LogIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl LogIndex {
    pub fn next(self) -> LogIndex {
        LogIndex(self.0 + 1)
    }
}

/// One log entry: the term it was created in and the client's command.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Entry {
    pub term: Term,
    /// The client's command, a number for display (`v7`).
    pub value: u64,
}

impl fmt::Display for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "t{}:v{}", self.term, self.value)
    }
}

/// The messages of Figure 2. Replies carry the responder's term, as in the paper.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RaftMessage {
    RequestVote {
        term: Term,
        last_log_index: LogIndex,
        last_log_term: Term,
    },
    VoteReply {
        term: Term,
        granted: bool,
    },
    AppendEntries {
        term: Term,
        prev_log_index: LogIndex,
        prev_log_term: Term,
        entries: Vec<Entry>,
        leader_commit: LogIndex,
    },
    /// `match_index` is the last index known to match the leader's log on success;
    /// on failure it is the follower's hint for where to retry (its last index, or
    /// just before the conflict), which saves the one-step-back probing of §5.3.
    AppendReply {
        term: Term,
        success: bool,
        match_index: LogIndex,
    },
}

impl Labelled for RaftMessage {
    fn kind(&self) -> &'static str {
        match self {
            RaftMessage::RequestVote { .. } => "RequestVote",
            RaftMessage::VoteReply { .. } => "VoteReply",
            RaftMessage::AppendEntries { .. } => "AppendEntries",
            RaftMessage::AppendReply { .. } => "AppendReply",
        }
    }

    fn label(&self) -> String {
        match self {
            RaftMessage::RequestVote {
                term,
                last_log_index,
                last_log_term,
            } => format!("RequestVote t{term} last={last_log_index}@t{last_log_term}"),
            RaftMessage::VoteReply { term, granted } => {
                format!("VoteReply t{term} {}", if *granted { "yes" } else { "no" })
            }
            RaftMessage::AppendEntries {
                term,
                prev_log_index,
                prev_log_term,
                entries,
                leader_commit,
            } => {
                if entries.is_empty() {
                    format!("AppendEntries t{term} heartbeat prev={prev_log_index}@t{prev_log_term} commit={leader_commit}")
                } else {
                    format!(
                        "AppendEntries t{term} [{}..{}] prev={prev_log_index}@t{prev_log_term} commit={leader_commit}",
                        prev_log_index.0 + 1,
                        prev_log_index.0 + entries.len() as u64
                    )
                }
            }
            RaftMessage::AppendReply {
                term,
                success,
                match_index,
            } => format!(
                "AppendReply t{term} {} match={match_index}",
                if *success { "ok" } else { "reject" }
            ),
        }
    }
}

/// Raft's two timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RaftTimer {
    /// Fires when a follower or candidate has heard from no leader for a randomised
    /// election timeout.
    Election,
    /// The leader's heartbeat period.
    Heartbeat,
}

impl Labelled for RaftTimer {
    fn kind(&self) -> &'static str {
        match self {
            RaftTimer::Election => "election",
            RaftTimer::Heartbeat => "heartbeat",
        }
    }

    fn label(&self) -> String {
        match self {
            RaftTimer::Election => "election timeout".to_string(),
            RaftTimer::Heartbeat => "heartbeat".to_string(),
        }
    }
}

/// A node's role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Follower,
    Candidate,
    Leader,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Follower => "follower",
            Role::Candidate => "candidate",
            Role::Leader => "leader",
        }
    }

    /// The colour slot the cluster view draws this role in.
    pub fn palette(self) -> Palette {
        match self {
            Role::Follower => Palette::Plain,
            Role::Candidate => Palette::Contend,
            Role::Leader => Palette::Lead,
        }
    }
}

/// What a client asks of the cluster: append a command to the replicated log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RaftOp {
    /// A command carrying `value`, sent to the leader (followers refuse it with a
    /// hint).
    Request { value: u64 },
}

impl fmt::Display for RaftOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RaftOp::Request { value } => write!(f, "client request {value}"),
        }
    }
}

impl Operation for RaftOp {
    fn to_raw(&self) -> RawOperation {
        match self {
            RaftOp::Request { value } => RawOperation::new(CLIENT_REQUEST_CODE, &[*value]),
        }
    }

    fn from_raw(raw: &RawOperation) -> Option<Self> {
        match (raw.code, raw.args.as_slice()) {
            (CLIENT_REQUEST_CODE, &[value]) => Some(RaftOp::Request { value }),
            _ => None,
        }
    }
}

/// Who a node voted for, for display.
pub fn vote_text(vote: Option<NodeId>) -> String {
    vote.map_or_else(|| "-".to_string(), |n| n.to_string())
}
