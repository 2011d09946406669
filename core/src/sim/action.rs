//! What can be done to a running simulation from outside: faults, restarts,
//! network changes, and the topic's own operations.
//!
//! The simulator knows the fault and network actions itself. A topic's operations
//! (a client `put`, a Paxos `propose(v)`, a Bloom filter insert) reach it as one
//! generic [`Action::Operation`] carrying a [`RawOperation`], which the topic's
//! typed [`Operation`] converts to and from; so adding an operation never touches
//! the simulator, the scenario codec or the command line.

use std::fmt;

use super::time::{Duration, NodeId, Time};
use super::trace::MessageId;

/// A topic operation as a scenario stores it: a code and numeric arguments. Every
/// topic encodes its typed operations this way (see [`Operation`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct RawOperation {
    pub code: u32,
    pub args: Vec<u64>,
}

impl RawOperation {
    pub fn new(code: u32, args: &[u64]) -> Self {
        RawOperation {
            code,
            args: args.to_vec(),
        }
    }

    /// Argument `index`, if present.
    pub fn arg(&self, index: usize) -> Option<u64> {
        self.args.get(index).copied()
    }
}

impl fmt::Display for RawOperation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "operation {}(", self.code)?;
        for (i, arg) in self.args.iter().enumerate() {
            if i > 0 {
                write!(f, ", ")?;
            }
            write!(f, "{arg}")?;
        }
        write!(f, ")")
    }
}

/// A topic's typed operation. `from_raw` is the only decoder: it must accept
/// exactly what `to_raw` produces, and refuse anything else with `None` (input
/// from a link is untrusted), never panic.
pub trait Operation: Clone + fmt::Debug + fmt::Display + PartialEq + 'static {
    fn to_raw(&self) -> RawOperation;
    fn from_raw(raw: &RawOperation) -> Option<Self>;
}

/// The operation type of a topic that takes none.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoOperation {}

impl fmt::Display for NoOperation {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {}
    }
}

impl Operation for NoOperation {
    fn to_raw(&self) -> RawOperation {
        match *self {}
    }

    fn from_raw(_: &RawOperation) -> Option<Self> {
        None
    }
}

/// Something a person (or a preset, or the fault plan) does to a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// The node stops; its volatile state is lost.
    Crash(NodeId),
    /// The node comes back from its durable state.
    Restart(NodeId),
    /// `groups[i]` is node i's side; only nodes on the same side can talk.
    Partition(Vec<u32>),
    /// Removes the partition and every cut link.
    Heal,
    /// Messages from `from` to `to` are lost (one way).
    Cut {
        from: NodeId,
        to: NodeId,
    },
    /// Undoes a [`Action::Cut`].
    Restore {
        from: NodeId,
        to: NodeId,
    },
    /// Probability of losing each message, in parts per million.
    SetDropRate(u32),
    SetDuplicateRate(u32),
    SetReorderRate(u32),
    SetLatency {
        min: Duration,
        max: Duration,
    },
    /// The one-way link `from -> to` gets its own latency range (a slow link).
    SetLinkLatency {
        from: NodeId,
        to: NodeId,
        min: Duration,
        max: Duration,
    },
    /// The node's clock runs `offset_us` ahead and drifts `drift_ppm` per million.
    SetClock {
        node: NodeId,
        offset_us: i64,
        drift_ppm: i32,
    },
    /// The node acts now as if its main timeout fired.
    Timeout(NodeId),
    /// Crashes the node the topic considers most interesting right now (Raft: the
    /// leader; two-phase commit: the coordinator), then restarts it `downtime`
    /// later. Resolved when it runs, so a plan can target it without knowing who it
    /// will be; a topic with no such node ignores it.
    CrashFocus {
        downtime: Duration,
    },
    /// One of the topic's own operations; `node: None` lets the topic route it (to
    /// the leader, say).
    Operation {
        node: Option<NodeId>,
        operation: RawOperation,
    },
    /// From now on every message is held in flight and every timer waits, until a
    /// [`Action::Release`] or [`Action::Fire`] says what happens next: the run
    /// follows a script step by step, as a model checker's counterexample does.
    Hold,
    /// What happens to a held message.
    Release {
        message: MessageId,
        fate: Release,
    },
    /// Fires pending timer number `slot` of `node` (in the order the node's
    /// pending timers are kept) while the run is held.
    Fire {
        node: NodeId,
        slot: u32,
    },
}

/// What happens to a held message (see [`Action::Hold`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Release {
    /// It arrives and leaves the network.
    Deliver,
    /// A copy arrives; the message stays held and may arrive again.
    Duplicate,
    /// It is lost.
    Lose,
}

impl Action {
    /// The action carrying the typed operation `operation`.
    pub fn operation<O: Operation>(node: Option<NodeId>, operation: &O) -> Action {
        Action::Operation {
            node,
            operation: operation.to_raw(),
        }
    }

    /// The node this action targets, if it targets one.
    pub fn node(&self) -> Option<NodeId> {
        match self {
            Action::Crash(node)
            | Action::Restart(node)
            | Action::Timeout(node)
            | Action::SetClock { node, .. }
            | Action::Fire { node, .. } => Some(*node),
            Action::Operation { node, .. } => *node,
            _ => None,
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::Crash(node) => write!(f, "crash {node}"),
            Action::Restart(node) => write!(f, "restart {node}"),
            Action::Partition(groups) => {
                write!(f, "partition")?;
                let sides = groups.iter().copied().max().unwrap_or(0);
                for side in 0..=sides {
                    let members: Vec<String> = groups
                        .iter()
                        .enumerate()
                        .filter(|(_, &g)| g == side)
                        .map(|(i, _)| format!("n{i}"))
                        .collect();
                    if !members.is_empty() {
                        write!(f, " {{{}}}", members.join(","))?;
                    }
                }
                Ok(())
            }
            Action::Heal => write!(f, "heal the network"),
            Action::Cut { from, to } => write!(f, "cut {from} -> {to}"),
            Action::Restore { from, to } => write!(f, "restore {from} -> {to}"),
            Action::SetDropRate(ppm) => write!(f, "drop rate {}%", Percent(*ppm)),
            Action::SetDuplicateRate(ppm) => write!(f, "duplicate rate {}%", Percent(*ppm)),
            Action::SetReorderRate(ppm) => write!(f, "reorder rate {}%", Percent(*ppm)),
            Action::SetLatency { min, max } => write!(f, "latency {min}..{max}"),
            Action::SetLinkLatency { from, to, min, max } => {
                write!(f, "latency of {from} -> {to}: {min}..{max}")
            }
            Action::SetClock {
                node,
                offset_us,
                drift_ppm,
            } => write!(
                f,
                "clock of {node}: offset {offset_us}us, drift {drift_ppm}ppm"
            ),
            Action::Timeout(node) => write!(f, "force timeout on {node}"),
            Action::CrashFocus { downtime } => write!(f, "crash the focus node for {downtime}"),
            Action::Operation {
                node: Some(node),
                operation,
            } => write!(f, "{operation} to {node}"),
            Action::Operation {
                node: None,
                operation,
            } => write!(f, "{operation}"),
            Action::Hold => write!(f, "hold messages and timers for the script"),
            Action::Release { message, fate } => {
                let verb = match fate {
                    Release::Deliver => "deliver",
                    Release::Duplicate => "deliver a copy of",
                    Release::Lose => "lose",
                };
                write!(f, "{verb} message #{message}")
            }
            Action::Fire { node, slot } => write!(f, "fire timer {slot} of {node}"),
        }
    }
}

/// Parts per million shown as a percentage with up to two decimals.
struct Percent(u32);

impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hundredths = self.0 / 100;
        if hundredths.is_multiple_of(100) {
            write!(f, "{}", hundredths / 100)
        } else {
            write!(f, "{}.{:02}", hundredths / 100, hundredths % 100)
        }
    }
}

/// An action at a virtual time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimedAction {
    pub at: Time,
    pub action: Action,
}

impl TimedAction {
    /// `action` at `ms` milliseconds: what scripts write.
    pub fn at_ms(ms: u64, action: Action) -> TimedAction {
        TimedAction {
            at: Time::from_millis(ms),
            action,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_read_well() {
        assert_eq!(
            Action::Partition(vec![0, 1, 0, 1]).to_string(),
            "partition {n0,n2} {n1,n3}"
        );
        assert_eq!(Action::SetDropRate(125_000).to_string(), "drop rate 12.50%");
        assert_eq!(Action::SetDropRate(100_000).to_string(), "drop rate 10%");
        assert_eq!(
            RawOperation::new(4, &[7, 9]).to_string(),
            "operation 4(7, 9)"
        );
    }
}
