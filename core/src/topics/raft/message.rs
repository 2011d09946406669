//! Raft's vocabulary: terms, log indexes, entries, the four RPC messages and the two
//! timers (Ongaro and Ousterhout, "In Search of an Understandable Consensus
//! Algorithm", 2014, Figure 2), and the key-value service on top: clients'
//! commands, their requests and replies (Ongaro's thesis, chapter 6).

use std::fmt;

use crate::history::{Function, Key, Value};
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

/// A client process of the key-value service.
pub type ClientId = u32;

/// What a key-value client asks for (the model of [`crate::history`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KvCommand {
    Get { key: Key },
    Put { key: Key, value: i64 },
    Cas { key: Key, expected: i64, new: i64 },
    Append { key: Key, value: i64 },
}

impl KvCommand {
    pub fn key(self) -> Key {
        match self {
            KvCommand::Get { key }
            | KvCommand::Put { key, .. }
            | KvCommand::Cas { key, .. }
            | KvCommand::Append { key, .. } => key,
        }
    }

    /// The history's function and invocation value of this command.
    pub fn invocation(self) -> (Function, Value) {
        match self {
            KvCommand::Get { .. } => (Function::Get, Value::None),
            KvCommand::Put { value, .. } => (Function::Put, Value::Int(value)),
            KvCommand::Cas { expected, new, .. } => (Function::Cas, Value::Pair(expected, new)),
            KvCommand::Append { value, .. } => (Function::Append, Value::Int(value)),
        }
    }
}

impl fmt::Display for KvCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KvCommand::Get { key } => write!(f, "get k{key}"),
            KvCommand::Put { key, value } => write!(f, "put k{key}={value}"),
            KvCommand::Cas { key, expected, new } => write!(f, "cas k{key} {expected}->{new}"),
            KvCommand::Append { key, value } => write!(f, "append k{key}+{value}"),
        }
    }
}

/// One client request: the client, its sequence number (a retry of the same
/// request keeps it, so the service can apply it once), and the command.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Request {
    pub client: ClientId,
    pub sequence: u64,
    pub command: KvCommand,
}

impl fmt::Display for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (c{}#{})", self.command, self.client, self.sequence)
    }
}

/// What the service answers a request: whether it took effect, and the value
/// (the value read, for a get).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Reply {
    pub ok: bool,
    pub value: Value,
}

/// What a log entry carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Command {
    /// A bare value from the page's Client request button (no client waits).
    Value(u64),
    /// A key-value client's request.
    Kv(Request),
}

/// One log entry: the term it was created in and the command.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Entry {
    pub term: Term,
    pub command: Command,
}

impl Entry {
    /// An entry carrying a bare value, as the Client request button makes.
    pub fn value(term: Term, value: u64) -> Entry {
        Entry {
            term,
            command: Command::Value(value),
        }
    }
}

impl fmt::Display for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.command {
            Command::Value(value) => write!(f, "t{}:v{value}", self.term),
            Command::Kv(request) => write!(f, "t{}:{request}", self.term),
        }
    }
}

/// The messages of Figure 2. Replies carry the responder's term, as in the paper.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
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
    /// A client's request to the server it believes leads.
    ClientRequest(Request),
    /// The leader's answer, once the request's entry is applied.
    ClientReply {
        sequence: u64,
        reply: Reply,
    },
    /// "I do not lead; try `hint`", from a server that is not the leader.
    NotLeader {
        sequence: u64,
        hint: Option<NodeId>,
    },
}

impl Labelled for RaftMessage {
    fn kind(&self) -> &'static str {
        match self {
            RaftMessage::RequestVote { .. } => "RequestVote",
            RaftMessage::VoteReply { .. } => "VoteReply",
            RaftMessage::AppendEntries { .. } => "AppendEntries",
            RaftMessage::AppendReply { .. } => "AppendReply",
            RaftMessage::ClientRequest(_) => "ClientRequest",
            RaftMessage::ClientReply { .. } => "ClientReply",
            RaftMessage::NotLeader { .. } => "NotLeader",
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
            RaftMessage::ClientRequest(request) => format!("ClientRequest {request}"),
            RaftMessage::ClientReply { sequence, reply } => format!(
                "ClientReply #{sequence} {} {}",
                if reply.ok { "ok" } else { "fail" },
                reply.value
            ),
            RaftMessage::NotLeader { sequence, hint } => {
                format!("NotLeader #{sequence} try {}", vote_text(*hint))
            }
        }
    }
}

/// Raft's two timers, and a client's two.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RaftTimer {
    /// Fires when a follower or candidate has heard from no leader for a randomised
    /// election timeout.
    Election,
    /// The leader's heartbeat period.
    Heartbeat,
    /// A client's pause between operations.
    Think,
    /// A client's wait for an answer before it asks again (or gives up).
    Attempt,
}

impl Labelled for RaftTimer {
    fn kind(&self) -> &'static str {
        match self {
            RaftTimer::Election => "election",
            RaftTimer::Heartbeat => "heartbeat",
            RaftTimer::Think => "think",
            RaftTimer::Attempt => "attempt",
        }
    }

    fn label(&self) -> String {
        match self {
            RaftTimer::Election => "election timeout".to_string(),
            RaftTimer::Heartbeat => "heartbeat".to_string(),
            RaftTimer::Think => "next operation".to_string(),
            RaftTimer::Attempt => "no answer yet".to_string(),
        }
    }
}

/// A node's role (clients are processes of their own, drawn as `client`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    Follower,
    Candidate,
    Leader,
    Client,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Follower => "follower",
            Role::Candidate => "candidate",
            Role::Leader => "leader",
            Role::Client => "client",
        }
    }

    /// The colour slot the cluster view draws this role in.
    pub fn palette(self) -> Palette {
        match self {
            Role::Follower => Palette::Plain,
            Role::Candidate => Palette::Contend,
            Role::Leader => Palette::Lead,
            Role::Client => Palette::Done,
        }
    }
}

/// What a person (or a preset) can ask of a Raft run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RaftOp {
    /// A bare value for the leader to log (followers refuse it with a hint); no
    /// client waits for it.
    Request { value: u64 },
    /// A client process starts this key-value operation now.
    Invoke(KvCommand),
}

impl fmt::Display for RaftOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RaftOp::Request { value } => write!(f, "client request {value}"),
            RaftOp::Invoke(command) => write!(f, "invoke {command}"),
        }
    }
}

/// The scenario code of [`RaftOp::Invoke`]; its arguments are the command's
/// function (0 get, 1 put, 2 cas, 3 append), key and values (as two's
/// complement).
const INVOKE_CODE: u32 = 1;

impl Operation for RaftOp {
    fn to_raw(&self) -> RawOperation {
        match self {
            RaftOp::Request { value } => RawOperation::new(CLIENT_REQUEST_CODE, &[*value]),
            RaftOp::Invoke(command) => {
                let args = match *command {
                    KvCommand::Get { key } => [0, key as u64, 0, 0],
                    KvCommand::Put { key, value } => [1, key as u64, value as u64, 0],
                    KvCommand::Cas { key, expected, new } => {
                        [2, key as u64, expected as u64, new as u64]
                    }
                    KvCommand::Append { key, value } => [3, key as u64, value as u64, 0],
                };
                RawOperation::new(INVOKE_CODE, &args)
            }
        }
    }

    fn from_raw(raw: &RawOperation) -> Option<Self> {
        match (raw.code, raw.args.as_slice()) {
            (CLIENT_REQUEST_CODE, &[value]) => Some(RaftOp::Request { value }),
            (INVOKE_CODE, &[function, key, a, b]) => {
                let key = Key::try_from(key).ok()?;
                let (a, b) = (a as i64, b as i64);
                Some(RaftOp::Invoke(match function {
                    0 => KvCommand::Get { key },
                    1 => KvCommand::Put { key, value: a },
                    2 => KvCommand::Cas {
                        key,
                        expected: a,
                        new: b,
                    },
                    3 => KvCommand::Append { key, value: a },
                    _ => return None,
                }))
            }
            _ => None,
        }
    }
}

/// Who a node voted for, for display.
pub fn vote_text(vote: Option<NodeId>) -> String {
    vote.map_or_else(|| "-".to_string(), |n| n.to_string())
}
