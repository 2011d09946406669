//! A client of the replicated store, as a process of its own on the network:
//! it runs one read or write at a time through a coordinator (one of the key's
//! home replicas, picked at random unless told), waits for the answer, and
//! gives up after a while, recording the outcome as unknown (`info`). Every
//! invocation and completion goes into the run's client history, which the
//! regular-register and linearizability checks read.
//!
//! Written values are unique (request number * 10 + client number + 1), so a
//! value read names the write it came from. Operations a person or a preset
//! asks for while one is running wait their turn, so a script can say "then
//! read again" without knowing when the first read ends.

use crate::history::{EventKind, Function, HistoryEvent, Key, ProcessId, Value};
use crate::sim::node::Cx;
use crate::sim::time::{Duration, NodeId, Time};
use crate::sim::view::{Cell, NodeSummary};

use super::message::{Command, Outcome, QuorumMessage, QuorumOp, QuorumTimer, Role, KEYS};
use super::process::{ignore, QuorumConfig, QuorumProcess};

/// How many asked-for operations a client keeps waiting.
const QUEUE: usize = 8;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Pending {
    request: u64,
    command: Command,
    coordinator: NodeId,
}

/// One client process.
#[derive(Clone, Debug)]
pub struct QuorumClient {
    id: NodeId,
    process: ProcessId,
    config: QuorumConfig,
    next_request: u64,
    pending: Option<Pending>,
    /// An operation cut short by a crash, recorded as unknown on restart.
    abandoned: Option<Pending>,
    queued: Vec<QuorumOp>,
    completed: u64,
    last: Option<String>,
}

impl QuorumClient {
    pub fn new(id: NodeId, process: ProcessId, config: QuorumConfig) -> Self {
        QuorumClient {
            id,
            process,
            config,
            next_request: 1,
            pending: None,
            abandoned: None,
            queued: Vec::new(),
            completed: 0,
            last: None,
        }
    }

    pub fn id(&self) -> NodeId {
        self.id
    }

    pub fn is_waiting(&self) -> bool {
        self.pending.is_some()
    }

    fn record(&self, kind: EventKind, command: Command, value: Value, cx: &mut Cx<QuorumProcess>) {
        let function = match command {
            Command::Read { .. } => Function::Get,
            Command::Write { .. } => Function::Put,
        };
        cx.record(HistoryEvent {
            process: self.process,
            kind,
            function,
            key: command.key(),
            value,
            // The simulator stamps the global virtual time.
            time: Time::ZERO,
        });
    }

    pub fn on_start(&mut self, cx: &mut Cx<QuorumProcess>) {
        if let Some(lost) = self.abandoned.take() {
            self.record(EventKind::Info, lost.command, Value::None, cx);
            cx.note(|| format!("restarted: does not know how {} ended", lost.command));
        }
        self.schedule_next(cx);
    }

    pub fn on_crash(&mut self) {
        self.abandoned = self.pending.take().or(self.abandoned.take());
        self.queued.clear();
    }

    fn schedule_next(&mut self, cx: &mut Cx<QuorumProcess>) {
        if let Some(mean) = self.config.think {
            let mean = mean.as_micros().max(2);
            let wait = cx.rng.range_inclusive(mean / 2, mean + mean / 2);
            cx.set_timer(QuorumTimer::Think, Duration(wait));
        }
    }

    pub fn on_operation(&mut self, operation: QuorumOp, cx: &mut Cx<QuorumProcess>) {
        if self.pending.is_none() {
            self.invoke(operation, cx);
        } else if self.queued.len() < QUEUE {
            cx.note(|| format!("will {operation} after the operation it waits for"));
            self.queued.push(operation);
        } else {
            cx.note(|| format!("has {QUEUE} operations waiting: drops {operation}"));
        }
    }

    /// Starts `operation` now.
    fn invoke(&mut self, operation: QuorumOp, cx: &mut Cx<QuorumProcess>) {
        let request = self.next_request;
        self.next_request += 1;
        let (command, coordinator) = match operation {
            QuorumOp::Read { key, coordinator } => (Command::Read { key }, coordinator),
            QuorumOp::Write { key, coordinator } => (
                Command::Write {
                    key,
                    value: request as i64 * 10 + self.process as i64 + 1,
                },
                coordinator,
            ),
        };
        let coordinator = match coordinator.filter(|&c| self.config.is_server(c)) {
            Some(coordinator) => coordinator,
            None => {
                let homes = self.config.n.max(1) as u64;
                let pick = cx.rng.below(homes) as usize;
                self.config
                    .homes(command.key())
                    .nth(pick)
                    .unwrap_or(NodeId(0))
            }
        };
        let value = match command {
            Command::Write { value, .. } => Value::Int(value),
            Command::Read { .. } => Value::None,
        };
        self.record(EventKind::Invoke, command, value, cx);
        self.pending = Some(Pending {
            request,
            command,
            coordinator,
        });
        cx.note(|| format!("invokes {command} through {coordinator}"));
        cx.send(coordinator, QuorumMessage::Request { request, command });
        cx.set_timer(QuorumTimer::GiveUp(request), self.config.client_timeout);
    }

    pub fn on_timer(&mut self, timer: QuorumTimer, cx: &mut Cx<QuorumProcess>) {
        match timer {
            QuorumTimer::Think => {
                if self.pending.is_none() {
                    let key = cx.rng.below(KEYS as u64) as Key;
                    let operation = if cx.rng.coin() {
                        QuorumOp::Read {
                            key,
                            coordinator: None,
                        }
                    } else {
                        QuorumOp::Write {
                            key,
                            coordinator: None,
                        }
                    };
                    self.invoke(operation, cx);
                }
                self.schedule_next(cx);
            }
            QuorumTimer::GiveUp(request) => {
                let Some(pending) = self.pending.filter(|p| p.request == request) else {
                    return;
                };
                self.record(EventKind::Info, pending.command, Value::None, cx);
                cx.note(|| {
                    format!(
                        "gives up on {}: it may or may not take effect",
                        pending.command
                    )
                });
                self.last = Some(format!("{}: no answer", pending.command));
                self.done(cx);
            }
            QuorumTimer::Resend(_) | QuorumTimer::Deadline(_) | QuorumTimer::HandOff => {
                ignore(&timer, cx)
            }
        }
    }

    pub fn on_message(
        &mut self,
        _from: NodeId,
        message: QuorumMessage,
        cx: &mut Cx<QuorumProcess>,
    ) {
        let QuorumMessage::Reply { request, outcome } = message else {
            ignore(&message, cx);
            return;
        };
        let Some(pending) = self.pending.filter(|p| p.request == request) else {
            cx.note(|| format!("an answer to #{request}, which it no longer waits for"));
            return;
        };
        let command = pending.command;
        match (command, outcome) {
            (Command::Read { .. }, Outcome::Read(held)) => {
                let value = if held.is_initial() {
                    Value::None
                } else {
                    Value::Int(held.value)
                };
                self.record(EventKind::Ok, command, value, cx);
                self.last = Some(format!("{command} = {held}"));
            }
            (Command::Write { value, .. }, Outcome::Written(held)) => {
                self.record(EventKind::Ok, command, Value::Int(value), cx);
                self.last = Some(format!("{command} as {held}"));
            }
            (Command::Read { .. }, Outcome::NoQuorum) => {
                // A read that found no quorum changed nothing it can answer for.
                self.record(EventKind::Fail, command, Value::None, cx);
                self.last = Some(format!("{command}: no quorum"));
            }
            (Command::Write { .. }, _) => {
                // Some replicas may hold it: its fate is unknown.
                self.record(EventKind::Info, command, Value::None, cx);
                self.last = Some(format!("{command}: no quorum, may be stored"));
            }
            (Command::Read { .. }, Outcome::Written(_)) => {
                cx.note(|| "a write's answer to a read: ignored".to_string());
                return;
            }
        }
        let last = self.last.clone().unwrap_or_default();
        cx.note(|| last);
        self.completed += 1;
        self.done(cx);
    }

    /// The current operation is over: start the next asked-for one, if any.
    fn done(&mut self, cx: &mut Cx<QuorumProcess>) {
        if let Some(pending) = self.pending.take() {
            cx.cancel_timer(QuorumTimer::GiveUp(pending.request));
        }
        if !self.queued.is_empty() {
            let next = self.queued.remove(0);
            self.invoke(next, cx);
        }
    }

    pub fn summary(&self) -> NodeSummary {
        let role = if self.pending.is_some() {
            Role::Waiting
        } else {
            Role::Client
        };
        NodeSummary {
            role: role.as_str(),
            palette: role.palette(),
            badge: format!("c{}", self.process),
            detail: match self.pending {
                Some(p) => format!(
                    "client c{}: waiting for {} through {}",
                    self.process, p.command, p.coordinator
                ),
                None => format!(
                    "client c{}: {} operations done",
                    self.process, self.completed
                ),
            },
        }
    }

    pub fn state_row(&self) -> Vec<Cell> {
        vec![
            Cell::Text(format!("c{}", self.process)),
            Cell::Text(self.last.clone().unwrap_or_default()),
            Cell::Text(format!("{} done", self.completed)),
            Cell::Text(match self.pending {
                Some(p) => format!("{} through {}", p.command, p.coordinator),
                None => String::new(),
            }),
        ]
    }
}
