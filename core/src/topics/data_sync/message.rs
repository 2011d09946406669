//! The vocabulary of the data-sync topic: update ids (dots), version vectors,
//! timestamps, the edits a person or the workload makes, the sync messages and
//! the timers.
//!
//! Dots and version vectors follow Shapiro et al., INRIA RR-7506, §2.5 and the
//! OR-set's unique tags (§3.3.5): a dot `(origin, seq)` names the `seq`-th update
//! made at replica `origin`, and a version vector summarises a set of dots that
//! is closed downwards per origin.

use std::fmt;

use crate::sim::action::{Operation, RawOperation};
use crate::sim::node::Labelled;

use super::document::Document;

/// What the items of the to-do list are called (an item is its index here).
pub const ITEMS: &[&str] = &[
    "milk", "eggs", "bread", "apples", "rice", "tea", "soap", "pasta", "beans", "cheese", "lemons",
    "coffee",
];

/// What the list can be called (the title is its index here).
pub const TITLES: &[&str] = &[
    "Groceries",
    "Shopping",
    "Weekend",
    "Party",
    "Camping",
    "Chores",
    "Errands",
    "Picnic",
];

/// The name of item `item`, or its number if it has none.
pub fn item_name(item: u32) -> String {
    ITEMS
        .get(item as usize)
        .map_or_else(|| format!("item {item}"), |name| name.to_string())
}

/// The name of title `title`, or its number if it has none.
pub fn title_name(title: u64) -> String {
    TITLES
        .get(title as usize)
        .map_or_else(|| format!("title {title}"), |name| name.to_string())
}

/// The LWW map's key of the list's title; key `1 + item` is item's done flag.
pub const TITLE_KEY: u32 = 0;

/// The name of map key `key`.
pub fn key_name(key: u32) -> String {
    match key {
        TITLE_KEY => "title".to_string(),
        item => format!("done({})", item_name(item - 1)),
    }
}

/// The id of one update: the `seq`-th (from 1) made at replica `origin`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Dot {
    pub origin: u32,
    pub seq: u32,
}

impl fmt::Display for Dot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "n{}:{}", self.origin, self.seq)
    }
}

/// A version vector: entry `i` is how many of replica i's updates are in.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct VersionVector(pub Vec<u32>);

impl VersionVector {
    pub fn zero(replicas: usize) -> Self {
        VersionVector(vec![0; replicas])
    }

    /// Whether update `dot` is in the set this vector summarises.
    pub fn covers(&self, dot: Dot) -> bool {
        self.0
            .get(dot.origin as usize)
            .is_some_and(|&seen| dot.seq <= seen)
    }

    /// The entry-wise maximum (the union of the two sets).
    pub fn join(&mut self, other: &VersionVector) {
        if self.0.len() < other.0.len() {
            self.0.resize(other.0.len(), 0);
        }
        for (mine, theirs) in self.0.iter_mut().zip(&other.0) {
            *mine = (*mine).max(*theirs);
        }
    }

    /// Whether every update of `self` is in `other`.
    pub fn dominated_by(&self, other: &VersionVector) -> bool {
        self.0
            .iter()
            .enumerate()
            .all(|(i, &n)| n <= other.0.get(i).copied().unwrap_or(0))
    }

    pub fn total(&self) -> u64 {
        self.0.iter().map(|&n| n as u64).sum()
    }
}

impl fmt::Display for VersionVector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[")?;
        for (i, n) in self.0.iter().enumerate() {
            if i > 0 {
                write!(f, ",")?;
            }
            write!(f, "{n}")?;
        }
        write!(f, "]")
    }
}

/// A write's timestamp in the LWW registers: microseconds, then the writing
/// replica to break ties (RR-7506 §3.2.1: timestamps must be unique and totally
/// ordered).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Stamp {
    pub micros: u64,
    pub node: u32,
}

impl fmt::Display for Stamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.{:03}s@n{}",
            self.micros / 1_000_000,
            self.micros / 1_000 % 1_000,
            self.node
        )
    }
}

/// One edit of the shared document, as the replica that makes it sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Edit {
    Add(u32),
    Remove(u32),
    Increment,
    Decrement,
    /// Set map key `key` to `value` (the title, or an item's done flag).
    Set {
        key: u32,
        value: u64,
    },
}

impl fmt::Display for Edit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Edit::Add(item) => write!(f, "add {}", item_name(item)),
            Edit::Remove(item) => write!(f, "remove {}", item_name(item)),
            Edit::Increment => write!(f, "increment"),
            Edit::Decrement => write!(f, "decrement"),
            Edit::Set {
                key: TITLE_KEY,
                value,
            } => write!(f, "rename to {}", title_name(value)),
            Edit::Set { key, value } => write!(f, "set {} = {}", key_name(key), value != 0),
        }
    }
}

/// What a person (or a preset) can ask of a replica.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncOp {
    /// Add item `item` to the list.
    Add {
        item: u32,
    },
    /// Remove item `item`, or, with `None`, the first item the replica sees.
    Remove {
        item: Option<u32>,
    },
    Increment,
    Decrement,
    /// Rename the list to title `title`.
    Rename {
        title: u32,
    },
    /// Sync with the peers now, whatever the period says.
    SyncNow,
}

const ADD_CODE: u32 = 1;
const REMOVE_CODE: u32 = 2;
const INCREMENT_CODE: u32 = 3;
const DECREMENT_CODE: u32 = 4;
const RENAME_CODE: u32 = 5;
const SYNC_NOW_CODE: u32 = 6;

impl fmt::Display for SyncOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            SyncOp::Add { item } => write!(f, "add {}", item_name(item)),
            SyncOp::Remove { item: Some(item) } => write!(f, "remove {}", item_name(item)),
            SyncOp::Remove { item: None } => write!(f, "remove an item"),
            SyncOp::Increment => write!(f, "increment"),
            SyncOp::Decrement => write!(f, "decrement"),
            SyncOp::Rename { title } => write!(f, "rename to {}", title_name(title as u64)),
            SyncOp::SyncNow => write!(f, "sync now"),
        }
    }
}

impl Operation for SyncOp {
    fn to_raw(&self) -> RawOperation {
        match *self {
            SyncOp::Add { item } => RawOperation::new(ADD_CODE, &[item as u64]),
            SyncOp::Remove { item: Some(item) } => RawOperation::new(REMOVE_CODE, &[item as u64]),
            SyncOp::Remove { item: None } => RawOperation::new(REMOVE_CODE, &[]),
            SyncOp::Increment => RawOperation::new(INCREMENT_CODE, &[]),
            SyncOp::Decrement => RawOperation::new(DECREMENT_CODE, &[]),
            SyncOp::Rename { title } => RawOperation::new(RENAME_CODE, &[title as u64]),
            SyncOp::SyncNow => RawOperation::new(SYNC_NOW_CODE, &[]),
        }
    }

    fn from_raw(raw: &RawOperation) -> Option<Self> {
        let item = |index: usize| {
            raw.arg(index)
                .filter(|&item| item < ITEMS.len() as u64)
                .map(|item| item as u32)
        };
        match (raw.code, raw.args.len()) {
            (ADD_CODE, 1) => Some(SyncOp::Add { item: item(0)? }),
            (REMOVE_CODE, 1) => Some(SyncOp::Remove {
                item: Some(item(0)?),
            }),
            (REMOVE_CODE, 0) => Some(SyncOp::Remove { item: None }),
            (INCREMENT_CODE, 0) => Some(SyncOp::Increment),
            (DECREMENT_CODE, 0) => Some(SyncOp::Decrement),
            (RENAME_CODE, 1) => {
                raw.arg(0)
                    .filter(|&title| title < TITLES.len() as u64)
                    .map(|title| SyncOp::Rename {
                        title: title as u32,
                    })
            }
            (SYNC_NOW_CODE, 0) => Some(SyncOp::SyncNow),
            _ => None,
        }
    }
}

/// Everything that travels on the network.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SyncMessage {
    /// The sender's whole state (state-based sync) or the part of it the
    /// receiver has not acknowledged (a delta-interval, Almeida et al. §5),
    /// with the sender's version vector. `bytes` is its estimated size.
    Sync {
        vv: VersionVector,
        payload: Document,
        full: bool,
        bytes: u64,
    },
    /// The receiver's version vector after merging: what the sender may leave
    /// out of its next delta (Almeida et al., Algorithm 2's acknowledgements).
    Ack { vv: VersionVector },
}

impl Labelled for SyncMessage {
    fn kind(&self) -> &'static str {
        match self {
            SyncMessage::Sync { full: true, .. } => "State",
            SyncMessage::Sync { full: false, .. } => "Delta",
            SyncMessage::Ack { .. } => "Ack",
        }
    }

    fn label(&self) -> String {
        match self {
            SyncMessage::Sync {
                vv, full, bytes, ..
            } => {
                let what = if *full { "state" } else { "delta" };
                format!("{what} {vv}, {bytes} B")
            }
            SyncMessage::Ack { vv } => format!("ack {vv}"),
        }
    }
}

/// Every timer of a replica.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SyncTimer {
    /// Time for the periodic sync with the peers.
    Sync,
    /// Time for the next edit of the seeded workload.
    Edit,
}

impl Labelled for SyncTimer {
    fn kind(&self) -> &'static str {
        match self {
            SyncTimer::Sync => "sync",
            SyncTimer::Edit => "edit",
        }
    }

    fn label(&self) -> String {
        match self {
            SyncTimer::Sync => "periodic sync".to_string(),
            SyncTimer::Edit => "the person edits the list".to_string(),
        }
    }
}
