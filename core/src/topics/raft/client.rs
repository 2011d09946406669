//! A client of the Raft key-value service, as a process of its own on the
//! network: it runs one operation at a time, sends it to the server it believes
//! leads, follows `NotLeader` hints, asks again with the same sequence number
//! when no answer comes, and gives up after a while, recording the outcome as
//! unknown (`info`). Every invocation and completion goes into the run's client
//! history ([`crate::history`]), which the linearizability invariant checks.
//!
//! The workload keeps two kinds of key apart so both kinds of anomaly can show:
//! registers (get, put, cas) and one list (get, append). Written values are
//! unique per client and operation, so a value read names the write it came from,
//! and an append applied twice shows as a value appearing twice.

use std::hash::Hash;

use crate::explore::fingerprint::{Fingerprint, Rename};
use crate::history::{EventKind, Function, HistoryEvent, Key, Value};
use crate::sim::node::Cx;
use crate::sim::time::{Duration, NodeId, Time};
use crate::sim::view::{Cell, NodeSummary};

use super::message::{ClientId, KvCommand, RaftMessage, RaftTimer, Reply, Request, Role};
use super::process::RaftProcess;

/// Keys `0..REGISTERS` are registers; key `REGISTERS` is the list.
pub const REGISTERS: Key = 2;
pub const LIST: Key = REGISTERS;

/// How long a client waits for an answer before asking again.
const ATTEMPT_TIMEOUT: Duration = Duration::from_millis(300);
/// How long a client tries one operation before it gives up not knowing whether
/// it took effect.
const GIVE_UP_AFTER: Duration = Duration::from_millis(1_500);
/// The pause before asking another server when nobody knows the leader.
const NO_LEADER_BACKOFF: Duration = Duration::from_millis(40);

/// The operation a client is waiting on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Pending {
    request: Request,
    invoked: Time,
    attempts: u32,
}

/// One client process.
#[derive(Clone, Debug)]
pub struct KvClient {
    id: NodeId,
    process: ClientId,
    servers: usize,
    /// Mean pause between operations; `None` for a client that only acts when
    /// the person asks it to.
    think: Option<Duration>,
    leader_guess: NodeId,
    next_sequence: u64,
    pending: Option<Pending>,
    /// An operation cut short by a crash, to be recorded as unknown on restart.
    abandoned: Option<Pending>,
    completed: u64,
    last_result: Option<(KvCommand, bool)>,
}

impl KvClient {
    pub fn new(id: NodeId, process: ClientId, servers: usize, think: Option<Duration>) -> Self {
        KvClient {
            id,
            process,
            servers: servers.max(1),
            think,
            leader_guess: NodeId(process % servers.max(1) as u32),
            next_sequence: 1,
            pending: None,
            abandoned: None,
            completed: 0,
            last_result: None,
        }
    }

    pub fn id(&self) -> NodeId {
        self.id
    }

    pub fn process(&self) -> ClientId {
        self.process
    }

    /// The request being waited on, if any.
    pub fn pending(&self) -> Option<Request> {
        self.pending.map(|p| p.request)
    }

    fn record(
        &self,
        kind: EventKind,
        function: Function,
        key: Key,
        value: Value,
        cx: &mut Cx<RaftProcess>,
    ) {
        cx.record(HistoryEvent {
            process: self.process,
            kind,
            function,
            key,
            value,
            // The simulator stamps the global virtual time.
            time: Time::ZERO,
        });
    }

    fn schedule_next(&mut self, cx: &mut Cx<RaftProcess>) {
        if let Some(mean) = self.think {
            let mean = mean.as_micros().max(2);
            let wait = cx.rng.range_inclusive(mean / 2, mean + mean / 2);
            cx.set_timer(RaftTimer::Think, Duration(wait));
        }
    }

    /// The next operation of the workload, drawn from the client's stream.
    fn draw_command(&mut self, cx: &mut Cx<RaftProcess>) -> KvCommand {
        // Unique per client and operation: process * 1,000,000 + sequence.
        let unique = self.process as i64 * 1_000_000 + self.next_sequence as i64;
        let key = cx.rng.below(REGISTERS as u64 + 1) as Key;
        if key == LIST {
            if cx.rng.below(100) < 40 {
                KvCommand::Get { key }
            } else {
                KvCommand::Append { key, value: unique }
            }
        } else {
            match cx.rng.below(100) {
                0..=39 => KvCommand::Get { key },
                40..=74 => KvCommand::Put { key, value: unique },
                _ => {
                    // Swap from a value this client may have seen, so some succeed.
                    let expected = match self.last_result {
                        Some((KvCommand::Put { key: k, value }, true)) if k == key => value,
                        _ => unique - 1,
                    };
                    KvCommand::Cas {
                        key,
                        expected,
                        new: unique,
                    }
                }
            }
        }
    }

    /// Starts `command` now (the workload's next one, or one the person asked for).
    pub fn invoke(&mut self, command: KvCommand, cx: &mut Cx<RaftProcess>) {
        if let Some(pending) = self.pending {
            cx.note(|| {
                format!(
                    "is still waiting for {}: {command} is not started",
                    pending.request
                )
            });
            return;
        }
        let request = Request {
            client: self.process,
            sequence: self.next_sequence,
            command,
        };
        self.next_sequence += 1;
        let (function, value) = command.invocation();
        self.record(EventKind::Invoke, function, command.key(), value, cx);
        self.pending = Some(Pending {
            request,
            invoked: cx.now(),
            attempts: 1,
        });
        let to = self.leader_guess;
        cx.note(|| format!("invokes {command} and sends it to {to}"));
        cx.send(to, RaftMessage::ClientRequest(request));
        cx.set_timer(RaftTimer::Attempt, ATTEMPT_TIMEOUT);
    }

    pub fn on_start(&mut self, cx: &mut Cx<RaftProcess>) {
        if let Some(lost) = self.abandoned.take() {
            // The crash cut the wait short: the operation may or may not have
            // taken effect.
            let (function, _) = lost.request.command.invocation();
            self.record(
                EventKind::Info,
                function,
                lost.request.command.key(),
                Value::None,
                cx,
            );
            cx.note(|| {
                format!(
                    "restarted: does not know whether {} took effect",
                    lost.request
                )
            });
        }
        self.schedule_next(cx);
    }

    pub fn on_crash(&mut self) {
        self.abandoned = self.pending.take().or(self.abandoned.take());
    }

    pub fn on_timer(&mut self, timer: RaftTimer, cx: &mut Cx<RaftProcess>) {
        match timer {
            RaftTimer::Think => {
                if self.pending.is_none() {
                    let command = self.draw_command(cx);
                    self.invoke(command, cx);
                }
            }
            RaftTimer::Attempt => self.on_no_answer(cx),
            RaftTimer::Election | RaftTimer::Heartbeat => {}
        }
    }

    fn on_no_answer(&mut self, cx: &mut Cx<RaftProcess>) {
        let Some(mut pending) = self.pending else {
            return;
        };
        if cx.now().as_micros() >= pending.invoked.as_micros() + GIVE_UP_AFTER.as_micros() {
            self.pending = None;
            let (function, _) = pending.request.command.invocation();
            self.record(
                EventKind::Info,
                function,
                pending.request.command.key(),
                Value::None,
                cx,
            );
            let request = pending.request;
            cx.note(|| format!("gives up on {request}: it may or may not have taken effect"));
            self.schedule_next(cx);
            return;
        }
        // Ask the next server, with the same sequence number: the service
        // applies a request once however often it is asked.
        self.leader_guess = NodeId((self.leader_guess.0 + 1) % self.servers as u32);
        pending.attempts += 1;
        self.pending = Some(pending);
        let (to, request) = (self.leader_guess, pending.request);
        cx.note(|| format!("no answer for {request}: asks {to} instead"));
        cx.send(to, RaftMessage::ClientRequest(request));
        cx.set_timer(RaftTimer::Attempt, ATTEMPT_TIMEOUT);
    }

    pub fn on_message(&mut self, from: NodeId, message: RaftMessage, cx: &mut Cx<RaftProcess>) {
        let Some(pending) = self.pending else {
            return;
        };
        match message {
            RaftMessage::ClientReply { sequence, reply }
                if sequence == pending.request.sequence =>
            {
                self.complete(pending, reply, cx);
                self.leader_guess = from;
            }
            RaftMessage::NotLeader { sequence, hint } if sequence == pending.request.sequence => {
                match hint.filter(|&h| h != from && h.index() < self.servers) {
                    Some(leader) => {
                        self.leader_guess = leader;
                        cx.send(leader, RaftMessage::ClientRequest(pending.request));
                        cx.set_timer(RaftTimer::Attempt, ATTEMPT_TIMEOUT);
                    }
                    None => {
                        // The backoff's timer moves on to the next server.
                        self.leader_guess = from;
                        cx.set_timer(RaftTimer::Attempt, NO_LEADER_BACKOFF);
                    }
                }
            }
            _ => {}
        }
    }

    fn complete(&mut self, pending: Pending, reply: Reply, cx: &mut Cx<RaftProcess>) {
        let command = pending.request.command;
        let (function, _) = command.invocation();
        let kind = if reply.ok {
            EventKind::Ok
        } else {
            EventKind::Fail
        };
        let value = match command {
            KvCommand::Get { .. } => reply.value.clone(),
            // A completed write repeats what it wrote, as Jepsen's histories do.
            _ => command.invocation().1,
        };
        self.record(kind, function, command.key(), value, cx);
        self.pending = None;
        self.completed += 1;
        self.last_result = Some((command, reply.ok));
        cx.cancel_timer(RaftTimer::Attempt);
        let outcome = if reply.ok { "ok" } else { "fail" };
        let seen = reply.value.clone();
        cx.note(|| match command {
            KvCommand::Get { .. } => format!("{command} returns {seen}"),
            _ => format!("{command}: {outcome}"),
        });
        self.schedule_next(cx);
    }

    /// Feeds what decides the client's behaviour into an explored state's
    /// fingerprint. Left out: when the pending operation was invoked (it only
    /// matters after `GIVE_UP_AFTER`, 1,500 steps, beyond any explored path),
    /// the attempts and the completed count (shown, never read).
    pub(crate) fn hash_explored(&self, rename: &Rename, hasher: &mut Fingerprint) {
        self.process.hash(hasher);
        rename.write(Some(self.leader_guess), hasher);
        self.next_sequence.hash(hasher);
        self.pending.map(|p| p.request).hash(hasher);
        self.abandoned.map(|p| p.request).hash(hasher);
        self.last_result.hash(hasher);
    }

    pub fn summary(&self) -> NodeSummary {
        NodeSummary {
            role: Role::Client.as_str(),
            palette: Role::Client.palette(),
            badge: format!("c{}", self.process),
            detail: match self.pending {
                Some(p) => format!("client c{}: waiting for {}", self.process, p.request),
                None => format!(
                    "client c{}: {} operations done",
                    self.process, self.completed
                ),
            },
        }
    }

    pub fn state_row(&self) -> Vec<Cell> {
        vec![
            Cell::Text("-".to_string()),
            Cell::Text(format!("asks {}", self.leader_guess)),
            Cell::Text(format!("{} done", self.completed)),
            Cell::Text(match self.pending {
                Some(p) => format!("waiting: {}", p.request.command),
                None => String::new(),
            }),
        ]
    }
}
