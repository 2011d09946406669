//! The storage service the lock protects: one register that clients write while
//! they believe they hold the lock.
//!
//! With fencing on it follows Kleppmann's "Making the lock safe with fencing":
//! it remembers the highest fencing token of any write it has applied and
//! rejects a write with a lower one. That check is the storage's, not the
//! lock's: it holds whatever the clocks, pauses and networks do. With the
//! `no-fencing` bug, or in Redlock mode (where no token exists), it applies
//! every write it receives.
//!
//! Everything here is durable: it is the storage.

use crate::sim::node::{Cx, Labelled};
use crate::sim::time::NodeId;
use crate::sim::view::{Cell, NodeSummary};

use super::message::{FencingToken, LockMessage, LockValue, Role};
use super::process::{LockConfig, LockProcess};

/// A write the storage applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AppliedWrite {
    pub client: NodeId,
    /// The lease it was made under (the client's lock value).
    pub value: LockValue,
    pub token: Option<FencingToken>,
    pub data: u64,
}

/// The storage service.
#[derive(Clone, Debug)]
pub struct Storage {
    id: NodeId,
    config: LockConfig,
    /// Whether it checks fencing tokens.
    checks_tokens: bool,
    highest: Option<FencingToken>,
    last_write: Option<AppliedWrite>,
    applied: u64,
    rejected: u64,
}

impl Storage {
    pub fn new(id: NodeId, config: LockConfig, checks_tokens: bool) -> Self {
        Storage {
            id,
            config,
            checks_tokens,
            highest: None,
            last_write: None,
            applied: 0,
            rejected: 0,
        }
    }

    pub fn id(&self) -> NodeId {
        self.id
    }

    /// The highest fencing token of an applied write.
    pub fn highest(&self) -> Option<FencingToken> {
        self.highest
    }

    pub fn last_write(&self) -> Option<AppliedWrite> {
        self.last_write
    }

    /// How many writes it has applied (a counter the checker follows).
    pub fn applied(&self) -> u64 {
        self.applied
    }

    pub fn rejected(&self) -> u64 {
        self.rejected
    }

    pub fn on_crash(&mut self) {
        // Nothing to lose: the register and the highest token are on disk.
    }

    pub fn on_message(&mut self, from: NodeId, message: LockMessage, cx: &mut Cx<LockProcess>) {
        let LockMessage::Write { value, token, data } = message else {
            cx.note(|| format!("the storage does not take {}", message.kind()));
            return;
        };
        if !self.config.is_client(from) {
            cx.note(|| format!("ignores a write from {from}, which is not a client"));
            return;
        }
        if self.checks_tokens {
            // Kleppmann, "Making the lock safe with fencing": the storage
            // remembers the highest token it has processed and rejects any write
            // with a lower one. An equal token is the same lease writing again.
            let stale = match (token, self.highest) {
                (None, _) => Some("it carries no fencing token".to_string()),
                (Some(token), Some(highest)) if token < highest => Some(format!(
                    "its token {token} is lower than {highest}, already written"
                )),
                _ => None,
            };
            if let Some(why) = stale {
                self.rejected += 1;
                cx.note(|| format!("rejects {data} from {from}: {why}"));
                cx.send(
                    from,
                    LockMessage::WriteReply {
                        value,
                        accepted: false,
                    },
                );
                return;
            }
        }
        if let Some(token) = token {
            self.highest = Some(self.highest.map_or(token, |highest| highest.max(token)));
        }
        self.last_write = Some(AppliedWrite {
            client: from,
            value,
            token,
            data,
        });
        self.applied += 1;
        cx.note(|| match token {
            Some(token) => format!("applies {data} from {from} (token {token})"),
            None => format!("applies {data} from {from} (no token to check)"),
        });
        cx.send(
            from,
            LockMessage::WriteReply {
                value,
                accepted: true,
            },
        );
    }

    pub fn summary(&self) -> NodeSummary {
        NodeSummary {
            role: Role::Storage.as_str(),
            palette: Role::Storage.palette(),
            badge: self
                .highest
                .map_or_else(|| "db".to_string(), |token| format!("max {token}")),
            detail: format!(
                "storage: {} writes applied, {} rejected{}",
                self.applied,
                self.rejected,
                if self.checks_tokens {
                    ", checks fencing tokens"
                } else {
                    ", checks nothing"
                }
            ),
        }
    }

    pub fn state_row(&self) -> Vec<Cell> {
        let last = self.last_write.map_or_else(
            || "no write yet".to_string(),
            |write| match write.token {
                Some(token) => format!("last {} from {} (token {token})", write.data, write.client),
                None => format!("last {} from {}", write.data, write.client),
            },
        );
        vec![
            Cell::Text(
                if self.checks_tokens {
                    "fencing on"
                } else {
                    "fencing off"
                }
                .to_string(),
            ),
            Cell::Text(self.highest.map_or_else(
                || "highest -".to_string(),
                |token| format!("highest {token}"),
            )),
            Cell::Text("-".to_string()),
            Cell::Text("-".to_string()),
            Cell::Text(format!(
                "{last}; {} applied, {} rejected",
                self.applied, self.rejected
            )),
        ]
    }
}
