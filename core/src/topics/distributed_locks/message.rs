//! The vocabulary of the distributed-locks topic: lock values and fencing tokens,
//! the messages between clients, lock servers and the storage, the timers, and
//! the one operation a person can send (pause a client).
//!
//! Follows Kleppmann, "How to do distributed locking" (2016), for fencing tokens
//! and the storage's check, and the Redlock description on redis.io ("Distributed
//! Locks with Redis") for the random lock value and the compare-and-delete
//! release.

use std::fmt;

use crate::sim::action::{Operation, RawOperation};
use crate::sim::node::Labelled;
use crate::sim::time::Duration;
use crate::sim::view::Palette;

/// A number the lock service hands out with each grant, one higher every time
/// (Kleppmann, "Making the lock safe with fencing"). The storage remembers the
/// highest it has seen and refuses anything lower.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FencingToken(pub u64);

impl fmt::Display for FencingToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FencingToken {
    pub fn next(self) -> FencingToken {
        FencingToken(self.0 + 1)
    }
}

/// The random value a client puts in the lock (Redlock step 2: "the same key
/// name and random value in all the instances"), so that only it can release
/// the lock and its replies can be told from those of an earlier attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LockValue(pub u64);

impl fmt::Display for LockValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Four hex digits are plenty to tell attempts apart on screen.
        write!(f, "{:04x}", self.0 & 0xffff)
    }
}

/// Why a lock server refuses a lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Refusal {
    /// Another value holds an unexpired lease.
    Held,
    /// The server restarted and waits out every lease it may have granted
    /// before the crash (Redlock's delayed restart; Gray and Cheriton's
    /// recovery rule).
    Recovering,
}

/// Everything that travels on the network.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum LockMessage {
    /// Client to lock server: lock with `value` for `ttl` (Redis `SET key value
    /// NX PX ttl`).
    Acquire { value: LockValue, ttl: Duration },
    /// Lock server to client: the lease is yours. `token` is the fencing token
    /// in single-server mode; Redlock's servers have none to give.
    Granted {
        value: LockValue,
        token: Option<FencingToken>,
    },
    /// Lock server to client: not now.
    Refused { value: LockValue, why: Refusal },
    /// Client to lock server: delete the lock if it still holds `value`.
    Release { value: LockValue },
    /// Client to storage: write `data`, under the lease of `value`, carrying the
    /// fencing token if the client has one.
    Write {
        value: LockValue,
        token: Option<FencingToken>,
        data: u64,
    },
    /// Storage to client: whether the write was applied.
    WriteReply { value: LockValue, accepted: bool },
}

impl Labelled for LockMessage {
    fn kind(&self) -> &'static str {
        match self {
            LockMessage::Acquire { .. } => "Acquire",
            LockMessage::Granted { .. } => "Granted",
            LockMessage::Refused { .. } => "Refused",
            LockMessage::Release { .. } => "Release",
            LockMessage::Write { .. } => "Write",
            LockMessage::WriteReply { .. } => "WriteReply",
        }
    }

    fn label(&self) -> String {
        match self {
            LockMessage::Acquire { value, ttl } => format!("Acquire {value} for {ttl}"),
            LockMessage::Granted { value, token } => match token {
                Some(token) => format!("Granted {value} token {token}"),
                None => format!("Granted {value}"),
            },
            LockMessage::Refused { value, why } => match why {
                Refusal::Held => format!("Refused {value}: held"),
                Refusal::Recovering => format!("Refused {value}: recovering"),
            },
            LockMessage::Release { value } => format!("Release {value}"),
            LockMessage::Write { value, token, data } => match token {
                Some(token) => format!("Write {data} token {token}"),
                None => format!("Write {data} under {value}"),
            },
            LockMessage::WriteReply { value, accepted } => format!(
                "WriteReply {value} {}",
                if *accepted { "applied" } else { "rejected" }
            ),
        }
    }
}

/// Every timer of every process. Timers about one attempt carry its value, so a
/// timer that outlived its attempt is recognised and ignored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LockTimer {
    /// Lock server: the lease of `value` ends by the server's clock.
    Expire(LockValue),
    /// Lock server: the wait after a restart is over.
    Recovered,
    /// Client: time to try for the lock again.
    Think,
    /// Client: stop waiting for answers to the acquisition of `value`.
    AcquireWait(LockValue),
    /// Client: the work under the lease of `value` is done; write the result.
    Work(LockValue),
    /// Client: the lease of `value` ends by the client's clock.
    LeaseEnd(LockValue),
    /// Client: stop waiting for the storage's answer to the write of `value`.
    WriteWait(LockValue),
    /// Client: a stop-the-world pause begins now.
    PauseStart,
    /// Client: the pause is over.
    Resume,
}

impl Labelled for LockTimer {
    fn kind(&self) -> &'static str {
        match self {
            LockTimer::Expire(_) => "expire",
            LockTimer::Recovered => "recovered",
            LockTimer::Think => "think",
            LockTimer::AcquireWait(_) => "acquire-wait",
            LockTimer::Work(_) => "work",
            LockTimer::LeaseEnd(_) => "lease-end",
            LockTimer::WriteWait(_) => "write-wait",
            LockTimer::PauseStart => "pause",
            LockTimer::Resume => "resume",
        }
    }

    fn label(&self) -> String {
        match self {
            LockTimer::Expire(value) => format!("lease {value} expires"),
            LockTimer::Recovered => "recovery wait over".to_string(),
            LockTimer::Think => "try for the lock".to_string(),
            LockTimer::AcquireWait(value) => format!("stop waiting for grants of {value}"),
            LockTimer::Work(value) => format!("work under {value} done"),
            LockTimer::LeaseEnd(value) => format!("lease {value} over by the client's clock"),
            LockTimer::WriteWait(value) => format!("no answer to the write under {value}"),
            LockTimer::PauseStart => "stop-the-world pause".to_string(),
            LockTimer::Resume => "pause over".to_string(),
        }
    }
}

/// What a process is doing, as the cluster view names and colours it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    LockServer,
    Storage,
    /// A client between attempts.
    Client,
    Acquiring,
    /// A client that holds a lease it believes valid.
    Holder,
    /// A client whose lease ran out by its clock while it was still at work
    /// (waiting for the storage's answer).
    Expired,
    Paused,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::LockServer => "lock server",
            Role::Storage => "storage",
            Role::Client => "client",
            Role::Acquiring => "acquiring",
            Role::Holder => "holder",
            Role::Expired => "lease over",
            Role::Paused => "paused",
        }
    }

    pub fn palette(self) -> Palette {
        match self {
            Role::LockServer | Role::Storage | Role::Client => Palette::Plain,
            Role::Acquiring => Palette::Contend,
            Role::Holder => Palette::Lead,
            Role::Expired => Palette::Suspect,
            Role::Paused => Palette::Faulty,
        }
    }
}

/// What a person (or a preset) can ask of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockOp {
    /// The client stops the world (a garbage-collection pause, a swapped-out
    /// page, a stopped VM) for this many milliseconds.
    Pause { millis: u64 },
}

/// The longest pause an operation may ask for.
pub const MAX_PAUSE_MS: u64 = 60_000;

/// The scenario code of [`LockOp::Pause`]; its one argument is the length in
/// milliseconds.
const PAUSE_CODE: u32 = 1;

impl fmt::Display for LockOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LockOp::Pause { millis } => write!(f, "pause for {millis} ms"),
        }
    }
}

impl Operation for LockOp {
    fn to_raw(&self) -> RawOperation {
        match self {
            LockOp::Pause { millis } => RawOperation::new(PAUSE_CODE, &[*millis]),
        }
    }

    fn from_raw(raw: &RawOperation) -> Option<Self> {
        match (raw.code, raw.args.as_slice()) {
            (PAUSE_CODE, &[millis]) if (1..=MAX_PAUSE_MS).contains(&millis) => {
                Some(LockOp::Pause { millis })
            }
            _ => None,
        }
    }
}
