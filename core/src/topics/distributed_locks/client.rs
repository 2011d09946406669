//! A client of the lock service, as a process of its own: it takes the lock,
//! works under the lease, writes its result to the storage, and releases.
//!
//! Acquiring follows the Redlock description (redis.io, "Distributed Locks with
//! Redis"), which with one lock server is the plain lease of Gray and Cheriton:
//! note the local time (step 1), ask every lock server for the lock with one
//! random value (step 2), count the grants and the time that passed (step 3),
//! keep the lock only with a majority and time left, the validity being the TTL
//! minus the time elapsed minus a clock-drift allowance (step 4), and otherwise
//! unlock every server that may hold it (step 5) and retry after a random delay
//! ("Retry on failure"). Two liberties: the servers are asked all at once, not
//! one after another (it only shortens the time elapsed), and a server that
//! answered "no" is not sent an unlock (it holds nothing of ours; step 5 unlocks
//! everywhere because an answer may be lost, and a "no" was not).
//!
//! The client checks its lease once, when it gets it, and sizes its work to fit
//! the validity; the write goes out when the work is done, without another
//! look at the clock. That gap between the check and the write is Kleppmann's
//! point ("Protecting a resource with a lock"): a process can stop at any
//! instant, for longer than any lease, and a second check would only move the
//! gap, never close it.
//!
//! **Pauses.** A paused client runs nothing: every message and timer that
//! reaches it waits, in arrival order, until the pause ends, then runs at once
//! on a clock that has moved on, as a process does after a stop-the-world
//! garbage collection. Pauses come from the `pause-ms` parameter (one lease in
//! [`PAUSE_ODDS`], at a random instant of the work) or from the person (the
//! `pause` operation, at once).
//!
//! A client keeps nothing across a crash.

use std::collections::VecDeque;

use crate::sim::node::{Cx, Labelled};
use crate::sim::time::{Duration, NodeId, Time};
use crate::sim::view::{Cell, NodeSummary};

use super::message::{FencingToken, LockMessage, LockTimer, LockValue, Role};
use super::process::{LockConfig, LockProcess};

/// One lease in this many has a random pause in its work (when `pause-ms` is
/// not zero).
pub const PAUSE_ODDS: u64 = 5;
/// How long a client waits for the storage's answer to a write.
const WRITE_WAIT: Duration = Duration::from_millis(200);
/// The pause between one lease and the next attempt, drawn from this range.
const THINK_MS: (u64, u64) = (20, 120);
/// The random delay before trying again after a failed attempt.
const RETRY_MS: (u64, u64) = (10, 50);

/// A lease the client holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeldLease {
    pub value: LockValue,
    /// The fencing token (single-server mode).
    pub token: Option<FencingToken>,
    /// The end of the validity by the client's clock.
    pub until: Time,
    /// Whether the client's clock has not reached `until` yet (as far as the
    /// client has looked: a paused client has not).
    pub valid: bool,
}

/// An acquisition in progress.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Attempt {
    value: LockValue,
    /// When it began, by the client's clock (Redlock step 1).
    started: Time,
    grants: Vec<(NodeId, Option<FencingToken>)>,
    refusals: Vec<NodeId>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Phase {
    Idle,
    Acquiring(Attempt),
    /// Holding the lease, working towards the write.
    Working(HeldLease),
    /// The write is out; waiting for the storage.
    Writing(HeldLease),
}

/// Something that reached a paused client.
#[derive(Clone, Debug)]
enum Deferred {
    Message(NodeId, LockMessage),
    Timer(LockTimer),
}

/// One client process.
#[derive(Clone, Debug)]
pub struct LockClient {
    id: NodeId,
    config: LockConfig,
    phase: Phase,
    paused_until: Option<Time>,
    deferred: VecDeque<Deferred>,
    // Tallies for the view (not protocol state).
    leases: u64,
    applied: u64,
    rejected: u64,
    writes: u64,
}

impl LockClient {
    pub fn new(id: NodeId, config: LockConfig) -> Self {
        LockClient {
            id,
            config,
            phase: Phase::Idle,
            paused_until: None,
            deferred: VecDeque::new(),
            leases: 0,
            applied: 0,
            rejected: 0,
            writes: 0,
        }
    }

    pub fn id(&self) -> NodeId {
        self.id
    }

    /// The lease the client holds (working or writing), valid or not.
    pub fn lease(&self) -> Option<HeldLease> {
        match &self.phase {
            Phase::Working(lease) | Phase::Writing(lease) => Some(*lease),
            Phase::Idle | Phase::Acquiring(_) => None,
        }
    }

    pub fn is_paused(&self) -> bool {
        self.paused_until.is_some()
    }

    /// Whether the client, running, believes by its own clock that it holds the
    /// lock. A paused client believes nothing: it is not running.
    pub fn believes_it_holds(&self) -> bool {
        !self.is_paused() && self.lease().is_some_and(|lease| lease.valid)
    }

    pub fn writes_applied(&self) -> u64 {
        self.applied
    }

    pub fn writes_rejected(&self) -> u64 {
        self.rejected
    }

    pub fn on_start(&mut self, cx: &mut Cx<LockProcess>) {
        // Start at different instants, as independent processes do.
        let wait = cx.rng.range_inclusive(0, THINK_MS.1 * 1_000);
        cx.set_timer(LockTimer::Think, Duration(wait));
    }

    pub fn on_crash(&mut self) {
        self.phase = Phase::Idle;
        self.paused_until = None;
        self.deferred.clear();
    }

    /// Stops the world for `length` from now (or longer, if already paused).
    pub fn pause(&mut self, length: Duration, cx: &mut Cx<LockProcess>) {
        let until = cx.now().after(length);
        let until = self
            .paused_until
            .map_or(until, |current| current.max(until));
        self.paused_until = Some(until);
        cx.set_timer(LockTimer::Resume, until.since(cx.now()));
        let holding = match self.lease() {
            Some(lease) => format!("; its lease ends at {} by its clock", lease.until),
            None => String::new(),
        };
        cx.note(|| format!("stops the world for {length} (until {until} by its clock){holding}"));
    }

    fn resume(&mut self, cx: &mut Cx<LockProcess>) {
        // Extending a pause replaces its Resume timer, so the one that fires is
        // the pause's end (the clock may read a hair short of it: timers are
        // rounded to the microsecond on the way through the clock's drift).
        if self.paused_until.take().is_none() {
            return;
        }
        let waiting = self.deferred.len();
        cx.note(|| format!("wakes up: the {waiting} events that reached it meanwhile run now, on a clock that has moved on"));
        while !self.is_paused() {
            let Some(event) = self.deferred.pop_front() else {
                break;
            };
            match event {
                Deferred::Message(from, message) => self.on_message(from, message, cx),
                Deferred::Timer(timer) => self.on_timer(timer, cx),
            }
        }
    }

    pub fn on_timer(&mut self, timer: LockTimer, cx: &mut Cx<LockProcess>) {
        if timer == LockTimer::Resume {
            return self.resume(cx);
        }
        if self.is_paused() {
            if timer == LockTimer::PauseStart {
                // Already stopped: the pause it was to start is this one.
                return;
            }
            self.deferred.push_back(Deferred::Timer(timer));
            return;
        }
        match timer {
            LockTimer::Think => {
                if self.phase == Phase::Idle {
                    self.start_attempt(cx);
                }
            }
            LockTimer::AcquireWait(value) => {
                if matches!(&self.phase, Phase::Acquiring(a) if a.value == value) {
                    self.give_up_attempt("no majority of grants in time", cx);
                }
            }
            LockTimer::Work(value) => {
                if let Phase::Working(lease) = self.phase {
                    if lease.value == value {
                        self.write(lease, cx);
                    }
                }
            }
            LockTimer::LeaseEnd(value) => self.on_lease_end(value, cx),
            LockTimer::WriteWait(value) => {
                if let Phase::Writing(lease) = self.phase {
                    if lease.value == value {
                        cx.note(|| {
                            "no answer from the storage: releases without knowing".to_string()
                        });
                        self.release(lease, cx);
                    }
                }
            }
            LockTimer::PauseStart => self.pause(self.config.pause, cx),
            LockTimer::Resume => {}
            LockTimer::Expire(_) | LockTimer::Recovered => {
                cx.note(|| format!("a client has no {} timer", timer.kind()))
            }
        }
    }

    pub fn on_message(&mut self, from: NodeId, message: LockMessage, cx: &mut Cx<LockProcess>) {
        if self.is_paused() {
            self.deferred.push_back(Deferred::Message(from, message));
            return;
        }
        match message {
            LockMessage::Granted { value, token } if self.config.is_lock_server(from) => {
                self.on_granted(from, value, token, cx)
            }
            LockMessage::Refused { value, .. } if self.config.is_lock_server(from) => {
                self.on_refused(from, value, cx)
            }
            LockMessage::WriteReply { value, accepted } if from == self.config.storage => {
                self.on_write_reply(value, accepted, cx)
            }
            other => cx.note(|| format!("ignores {} from {from}", other.kind())),
        }
    }

    fn start_attempt(&mut self, cx: &mut Cx<LockProcess>) {
        // Redlock step 1: the current time; step 2: the same random value to
        // every lock server, with a short wait for the answers.
        let value = LockValue(cx.rng.next_u64());
        let started = cx.now();
        let ttl = self.config.ttl;
        for server in 0..self.config.lock_servers as u32 {
            cx.send(NodeId(server), LockMessage::Acquire { value, ttl });
        }
        cx.set_timer(LockTimer::AcquireWait(value), self.config.acquire_wait());
        cx.note(|| format!("asks for the lock with value {value} for {ttl}"));
        self.phase = Phase::Acquiring(Attempt {
            value,
            started,
            grants: Vec::new(),
            refusals: Vec::new(),
        });
    }

    fn on_granted(
        &mut self,
        from: NodeId,
        value: LockValue,
        token: Option<FencingToken>,
        cx: &mut Cx<LockProcess>,
    ) {
        match &mut self.phase {
            Phase::Acquiring(attempt) if attempt.value == value => {
                if !attempt.grants.iter().any(|&(server, _)| server == from) {
                    attempt.grants.push((from, token));
                }
                if attempt.grants.len() >= self.config.majority() {
                    self.on_majority(cx);
                }
            }
            Phase::Working(lease) | Phase::Writing(lease) if lease.value == value => {
                cx.note(|| format!("a late grant from {from} for the lease it already holds"));
            }
            _ => {
                // A grant for an attempt it gave up on: give it back at once, so
                // the server need not wait for the lease to run out.
                cx.note(|| {
                    format!("a grant from {from} for {value}, which it gave up on: releases it")
                });
                cx.send(from, LockMessage::Release { value });
            }
        }
    }

    fn on_refused(&mut self, from: NodeId, value: LockValue, cx: &mut Cx<LockProcess>) {
        let Phase::Acquiring(attempt) = &mut self.phase else {
            return;
        };
        if attempt.value != value {
            return;
        }
        if !attempt.refusals.contains(&from) {
            attempt.refusals.push(from);
        }
        // Once a majority is out of reach, waiting longer cannot help.
        if attempt.refusals.len() > self.config.lock_servers - self.config.majority() {
            self.give_up_attempt("the lock is held", cx);
        }
    }

    fn on_majority(&mut self, cx: &mut Cx<LockProcess>) {
        let Phase::Acquiring(attempt) = &self.phase else {
            return;
        };
        // Redlock steps 3 and 4: the lock counts only if time is left after the
        // time spent acquiring it, and the drift the clocks may have.
        let elapsed = cx.now().since(attempt.started);
        let ttl = self.config.ttl.as_micros();
        let used = elapsed.as_micros() + self.config.client_allowance().as_micros();
        if used >= ttl {
            let elapsed_now = elapsed;
            cx.note(|| format!("a majority, but {elapsed_now} passed: no time left on the lease"));
            return self.give_up_attempt("no validity left", cx);
        }
        let validity = Duration(ttl - used);
        // Single-server mode: the one server's token.
        let token = attempt.grants.iter().find_map(|&(_, token)| token);
        let value = attempt.value;
        let grants = attempt.grants.len();
        let lease = HeldLease {
            value,
            token,
            until: cx.now().after(validity),
            valid: true,
        };
        self.leases += 1;
        cx.cancel_timer(LockTimer::AcquireWait(value));
        cx.set_timer(LockTimer::LeaseEnd(value), validity);
        // The work fits in the validity: the client does its part right.
        let work = cx.rng.range_inclusive(
            validity.as_micros() / 3,
            validity.as_micros().saturating_sub(1).max(1),
        );
        cx.set_timer(LockTimer::Work(value), Duration(work));
        if self.config.pause > Duration::ZERO && cx.rng.below(PAUSE_ODDS) == 0 {
            let at = cx.rng.below(work.max(1));
            cx.set_timer(LockTimer::PauseStart, Duration(at));
        }
        let servers = self.config.lock_servers;
        cx.note(|| match token {
            Some(token) => format!("holds the lock with token {token}, valid for {validity} by its clock (until {})", lease.until),
            None => format!("holds the lock on {grants} of {servers} servers, valid for {validity} by its clock (until {})", lease.until),
        });
        self.phase = Phase::Working(lease);
    }

    fn give_up_attempt(&mut self, why: &'static str, cx: &mut Cx<LockProcess>) {
        let Phase::Acquiring(attempt) = &self.phase else {
            return;
        };
        // Redlock step 5: unlock every instance, even those that did not answer
        // (a grant may be lost on its way). One that said no holds nothing of ours.
        let value = attempt.value;
        let refused = attempt.refusals.clone();
        let mut unlocked = 0;
        for server in (0..self.config.lock_servers as u32).map(NodeId) {
            if !refused.contains(&server) {
                cx.send(server, LockMessage::Release { value });
                unlocked += 1;
            }
        }
        cx.cancel_timer(LockTimer::AcquireWait(value));
        let retry = Duration(
            cx.rng
                .range_inclusive(RETRY_MS.0 * 1_000, RETRY_MS.1 * 1_000),
        );
        cx.set_timer(LockTimer::Think, retry);
        cx.note(|| match unlocked {
            0 => format!("gives up on {value} ({why}), retries in {retry}"),
            n => format!("gives up on {value} ({why}): unlocks the {n} servers that did not refuse, retries in {retry}"),
        });
        self.phase = Phase::Idle;
    }

    fn write(&mut self, lease: HeldLease, cx: &mut Cx<LockProcess>) {
        // Kleppmann, "Making the lock safe with fencing": the write carries the
        // token. No look at the clock here: the lease was checked when the work
        // began, and the write follows the work.
        self.writes += 1;
        let data = u64::from(self.id.0) * 1_000 + self.writes;
        cx.send(
            self.config.storage,
            LockMessage::Write {
                value: lease.value,
                token: lease.token,
                data,
            },
        );
        cx.set_timer(LockTimer::WriteWait(lease.value), WRITE_WAIT);
        let now = cx.now();
        cx.note(|| {
            if now >= lease.until {
                format!(
                    "writes {data} to the storage, though its lease ended at {} by its own clock",
                    lease.until
                )
            } else {
                format!("writes {data} to the storage")
            }
        });
        self.phase = Phase::Writing(lease);
    }

    fn on_lease_end(&mut self, value: LockValue, cx: &mut Cx<LockProcess>) {
        match &mut self.phase {
            Phase::Writing(lease) if lease.value == value => {
                lease.valid = false;
                cx.note(|| "its lease is over by its clock while the write is out".to_string());
            }
            Phase::Working(lease) if lease.value == value => {
                // Only a client whose work overran would see this; the work is
                // sized to the validity, so it is a pause that ran past.
                let lease = *lease;
                cx.note(|| "its lease is over before the work is done: drops the work".to_string());
                self.release(lease, cx);
            }
            _ => {}
        }
    }

    fn on_write_reply(&mut self, value: LockValue, accepted: bool, cx: &mut Cx<LockProcess>) {
        let Phase::Writing(lease) = self.phase else {
            return;
        };
        if lease.value != value {
            return;
        }
        if accepted {
            self.applied += 1;
            cx.note(|| "the storage applied the write: releases the lock".to_string());
        } else {
            self.rejected += 1;
            cx.note(|| "the storage rejected the write: someone holds a newer lease".to_string());
        }
        self.release(lease, cx);
    }

    fn release(&mut self, lease: HeldLease, cx: &mut Cx<LockProcess>) {
        // Redlock, "Releasing the lock": unlock on every instance.
        for server in 0..self.config.lock_servers as u32 {
            cx.send(NodeId(server), LockMessage::Release { value: lease.value });
        }
        for timer in [
            LockTimer::Work(lease.value),
            LockTimer::LeaseEnd(lease.value),
            LockTimer::WriteWait(lease.value),
        ] {
            cx.cancel_timer(timer);
        }
        let think = cx
            .rng
            .range_inclusive(THINK_MS.0 * 1_000, THINK_MS.1 * 1_000);
        cx.set_timer(LockTimer::Think, Duration(think));
        self.phase = Phase::Idle;
    }

    pub fn role(&self) -> Role {
        if self.is_paused() {
            return Role::Paused;
        }
        match &self.phase {
            Phase::Idle => Role::Client,
            Phase::Acquiring(_) => Role::Acquiring,
            Phase::Working(lease) | Phase::Writing(lease) if lease.valid => Role::Holder,
            Phase::Working(_) | Phase::Writing(_) => Role::Expired,
        }
    }

    pub fn summary(&self) -> NodeSummary {
        let role = self.role();
        let badge = match (self.lease(), &self.phase) {
            (
                Some(HeldLease {
                    token: Some(token), ..
                }),
                _,
            ) => format!("t{token}"),
            (Some(_), _) => "lock".to_string(),
            (None, Phase::Acquiring(attempt)) => {
                format!("{}/{}", attempt.grants.len(), self.config.lock_servers)
            }
            _ => "-".to_string(),
        };
        let mut detail = format!(
            "client {}: {} leases, {} writes applied, {} rejected",
            self.id, self.leases, self.applied, self.rejected
        );
        if let Some(until) = self.paused_until {
            detail.push_str(&format!("; paused until {until}"));
        }
        NodeSummary {
            role: role.as_str(),
            palette: role.palette(),
            badge,
            detail,
        }
    }

    pub fn state_row(&self) -> Vec<Cell> {
        let lock = match &self.phase {
            Phase::Idle => "-".to_string(),
            Phase::Acquiring(attempt) => format!(
                "acquiring {}: {}/{} grants",
                attempt.value,
                attempt.grants.len(),
                self.config.lock_servers
            ),
            Phase::Working(lease) => format!("holding {} (working)", lease.value),
            Phase::Writing(lease) => format!("holding {} (writing)", lease.value),
        };
        let lease = self.lease();
        let token = lease
            .and_then(|lease| lease.token)
            .map_or_else(|| "-".to_string(), |token| token.to_string());
        let until = lease.map_or_else(
            || "-".to_string(),
            |lease| {
                let over = if lease.valid { "" } else { " (over)" };
                format!("{}{over}", lease.until)
            },
        );
        let paused = self
            .paused_until
            .map_or_else(|| "no".to_string(), |until| format!("until {until}"));
        vec![
            Cell::Text(lock),
            Cell::Text(token),
            Cell::Text(until),
            Cell::Text(paused),
            Cell::Text(format!(
                "{} applied, {} rejected",
                self.applied, self.rejected
            )),
        ]
    }
}
