//! `Simulation`: runs a cluster of sans-IO nodes over the simulated network.
//!
//! Each [`Simulation::step`] pops the earliest queue entry (a node start, a message
//! arrival or loss, a timer, a scheduled action), runs the matching handler, turns the
//! handler's effects into new queue entries, records the trace and runs the checker.
//! Nothing depends on anything but the seed and the scheduled actions, so the same
//! scenario gives the same trace on every platform.
//!
//! Volatile and durable state: a crash calls [`Node::on_crash`] and forgets every
//! pending timer; messages already in flight still arrive (a restarted node receives
//! them), and messages arriving while the node is down are lost.
//!
//! When to call what: build with [`Simulation::new`] (and [`Simulation::with_focus`]
//! if the topic has a node that matters most), [`Simulation::schedule`] every
//! action, then [`Simulation::step`] until [`Simulation::next_time`] is past the
//! instant wanted.

use std::rc::Rc;

use super::action::{Action, Operation, Release, TimedAction};
use super::checker::{Checker, Violation, ViolationReport};
use super::network::{DropReason, Fate, Network, NetworkConfig};
use super::node::{Cx, Effects, Labelled, Node, TimerOp};
use super::queue::{Class, EventQueue, USER_ACTION_RANK};
use super::rng::Rng;
use super::time::{Duration, NodeId, Time};
use super::trace::{
    EventKind, MessageId, MessageRecord, Trace, TraceEvent, VECTOR_CLOCK_MAX_NODES,
};
use super::view::{Cell, ClusterState, NodeState, NodeSummary};
use crate::history::{EventKind as HistoryKind, History};

/// The most violations a run keeps; past this the run is broken enough.
pub const MAX_VIOLATIONS: usize = 64;

/// The rank of the restart a [`Action::CrashFocus`] schedules: just before a
/// person's actions of the same instant.
const RESTART_RANK: u32 = USER_ACTION_RANK - 1;

/// The RNG stream of the network (node streams are `0..n`).
const NETWORK_STREAM: u64 = 0xFFFF_0001;

/// What a run records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Recording {
    /// Record the trace (events, messages, notes). Off for benchmarks and sweeps.
    pub trace: bool,
    /// Check the invariants after every step.
    pub check: bool,
}

/// Picks the node the topic considers most interesting right now: the one that
/// takes operations nobody addressed and that [`Action::CrashFocus`] crashes.
pub type Focus<N> = fn(&[N], &[bool]) -> Option<NodeId>;

enum Entry<N: Node> {
    Start(NodeId),
    Deliver {
        from: NodeId,
        to: NodeId,
        message: MessageId,
        lamport: u64,
        clock: Option<Box<[u32]>>,
        msg: N::Msg,
    },
    Lose {
        to: NodeId,
        message: MessageId,
        reason: DropReason,
    },
    Timer {
        node: NodeId,
        timer: N::Timer,
        generation: u64,
    },
    /// An action of the plan (see [`Simulation::set_plan`]), by its index.
    Planned(usize),
    /// Any other scheduled action.
    Action(TimedAction),
}

impl<N: Node> Clone for Entry<N> {
    fn clone(&self) -> Self {
        match self {
            Entry::Start(node) => Entry::Start(*node),
            Entry::Deliver {
                from,
                to,
                message,
                lamport,
                clock,
                msg,
            } => Entry::Deliver {
                from: *from,
                to: *to,
                message: *message,
                lamport: *lamport,
                clock: clock.clone(),
                msg: msg.clone(),
            },
            Entry::Lose {
                to,
                message,
                reason,
            } => Entry::Lose {
                to: *to,
                message: *message,
                reason: *reason,
            },
            Entry::Timer {
                node,
                timer,
                generation,
            } => Entry::Timer {
                node: *node,
                timer: timer.clone(),
                generation: *generation,
            },
            Entry::Planned(index) => Entry::Planned(*index),
            Entry::Action(action) => Entry::Action(action.clone()),
        }
    }
}

/// A node's clock: `local = global + offset + global * drift / 10^6`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct ClockSkew {
    offset_us: i64,
    drift_ppm: i32,
}

// Both conversions divide in 64 bits, splitting the dividend by the divisor
// first: a 128-bit division would link compiler-builtins' `__divti3` (about
// 1 KB) into every protocol page, and the split gives the same quotients.
impl ClockSkew {
    fn local(self, global: Time) -> Time {
        let g = global.as_micros();
        let drift = i128::from(self.drift_ppm);
        // g·drift / 10^6 rounded toward zero, as (q·10^6 + r)·drift / 10^6
        // = q·drift + r·drift / 10^6 (both parts share drift's sign).
        let whole = i128::from(g / 1_000_000) * drift;
        let part = (g % 1_000_000) as i64 * i64::from(self.drift_ppm) / 1_000_000;
        let local = i128::from(g) + i128::from(self.offset_us) + whole + i128::from(part);
        Time(local.clamp(0, i128::from(u64::MAX)) as u64)
    }

    /// How much global time passes while the local clock advances `span`.
    fn global_span(self, span: Duration) -> Duration {
        let rate = (1_000_000 + i64::from(self.drift_ppm)).max(1) as u64;
        let span = span.as_micros();
        // ⌊span·10^6 / rate⌋ = ⌊span / rate⌋·10^6 + ⌊(span mod rate)·10^6 / rate⌋.
        let whole = (span / rate).saturating_mul(1_000_000);
        Duration(whole.saturating_add(span % rate * 1_000_000 / rate))
    }
}

/// A cluster of nodes `N` checked by `C`.
pub struct Simulation<N: Node, C: Checker<N>> {
    nodes: Vec<N>,
    up: Vec<bool>,
    rngs: Vec<Rng>,
    lamport: Vec<u64>,
    vector_clocks: Option<Vec<Vec<u32>>>,
    timers: Vec<Vec<(N::Timer, u64)>>,
    clocks: Vec<ClockSkew>,
    network: Network,
    network_rng: Rng,
    queue: EventQueue<Entry<N>>,
    now: Time,
    steps: u64,
    next_message: MessageId,
    next_generation: u64,
    options: Recording,
    trace: Trace,
    checker: C,
    violations: Vec<ViolationReport>,
    /// The planned actions (preset script, fault plan, workload), sorted by time;
    /// only the next one waits in the queue, so a long plan costs one queue entry
    /// and snapshots share it.
    plan: Rc<[TimedAction]>,
    focus: Focus<N>,
    /// What the topic calls its focus node ("leader"), for the trace.
    focus_role: &'static str,
    effects: Effects<N::Msg, N::Timer>,
    fates: Vec<Fate>,
    found: Vec<Violation>,
    /// Every client invocation and completion so far (kept whole: the
    /// linearizability check needs all of it, and it is small next to the trace).
    history: History,
    /// Whether an operation completed in the current step (the history check
    /// runs then).
    history_completed: bool,
    /// Set by [`Action::Hold`]: the messages in flight (as their arrivals),
    /// in the order they were sent, waiting for the script to release them.
    held: Option<Vec<Entry<N>>>,
    /// How many times each node has been handed to a handler or crashed: a
    /// node's summary changes only when this does ([`Simulation::changes`]).
    changes: Vec<u32>,
}

fn first_up<N>(_nodes: &[N], up: &[bool]) -> Option<NodeId> {
    up.iter().position(|&u| u).map(|i| NodeId(i as u32))
}

impl<N: Node, C: Checker<N>> Simulation<N, C> {
    /// A simulation of `nodes`, each started at time zero. Node i draws from RNG
    /// stream i of `seed`; the network from its own stream.
    pub fn new(
        nodes: Vec<N>,
        checker: C,
        seed: u64,
        network: NetworkConfig,
        options: Recording,
    ) -> Self {
        let count = nodes.len();
        let mut queue = EventQueue::default();
        for i in 0..count {
            queue.push(Time::ZERO, Class::Event, Entry::Start(NodeId(i as u32)));
        }
        let vector_clocks = (options.trace && count <= VECTOR_CLOCK_MAX_NODES)
            .then(|| vec![vec![0u32; count]; count]);
        Simulation {
            up: vec![true; count],
            rngs: (0..count as u64).map(|i| Rng::derive(seed, i)).collect(),
            lamport: vec![0; count],
            vector_clocks,
            timers: (0..count).map(|_| Vec::new()).collect(),
            clocks: vec![ClockSkew::default(); count],
            network: Network::new(network),
            network_rng: Rng::derive(seed, NETWORK_STREAM),
            queue,
            now: Time::ZERO,
            steps: 0,
            next_message: 0,
            next_generation: 0,
            options,
            trace: Trace::default(),
            checker,
            violations: Vec::new(),
            plan: Rc::from(Vec::new()),
            focus: first_up::<N>,
            focus_role: "first running node",
            effects: Effects::default(),
            fates: Vec::with_capacity(2),
            found: Vec::new(),
            history: History::new(),
            history_completed: false,
            held: None,
            changes: vec![0; count],
            nodes,
        }
    }

    /// Sets the topic's focus node (default: the first node that is up) and what
    /// the topic calls it.
    pub fn with_focus(mut self, focus: Focus<N>, role: &'static str) -> Self {
        self.focus = focus;
        self.focus_role = role;
        self
    }

    /// The focus node right now, if any.
    pub fn focus(&self) -> Option<NodeId> {
        (self.focus)(&self.nodes, &self.up)
    }

    pub fn nodes(&self) -> &[N] {
        &self.nodes
    }

    pub fn is_up(&self, node: NodeId) -> bool {
        self.up.get(node.index()).copied().unwrap_or(false)
    }

    pub fn network(&self) -> &Network {
        &self.network
    }

    pub fn checker(&self) -> &C {
        &self.checker
    }

    fn record(&mut self, node: Option<NodeId>, kind: EventKind) {
        if !self.options.trace {
            return;
        }
        let (lamport, clock) = match node {
            Some(node) => (
                self.lamport.get(node.index()).copied().unwrap_or(0),
                self.vector_clocks
                    .as_ref()
                    .and_then(|clocks| clocks.get(node.index()))
                    .map(|clock| clock.clone().into_boxed_slice()),
            ),
            None => (0, None),
        };
        self.trace.events.push(TraceEvent {
            step: self.steps,
            time: self.now,
            node,
            lamport,
            clock,
            kind,
        });
    }

    /// Advances `node`'s Lamport and vector clocks for a local event (or a receive,
    /// when `received` carries the message's stamps).
    fn tick(&mut self, node: NodeId, received: Option<(u64, Option<&[u32]>)>) {
        let i = node.index();
        if let Some(lamport) = self.lamport.get_mut(i) {
            let seen = received.map_or(0, |(stamp, _)| stamp);
            *lamport = (*lamport).max(seen) + 1;
        }
        if let Some(clock) = self
            .vector_clocks
            .as_mut()
            .and_then(|clocks| clocks.get_mut(i))
        {
            if let Some((_, Some(theirs))) = received {
                for (mine, &other) in clock.iter_mut().zip(theirs) {
                    *mine = (*mine).max(other);
                }
            }
            if let Some(own) = clock.get_mut(i) {
                *own += 1;
            }
        }
    }

    /// Runs one handler on `node` and applies its effects.
    fn dispatch(&mut self, node: NodeId, handler: impl FnOnce(&mut N, &mut Cx<N>)) {
        let i = node.index();
        let local_now = self.clocks[i].local(self.now);
        let count = self.nodes.len();
        {
            let mut cx = Cx::new(
                node,
                local_now,
                count,
                self.options.trace,
                &mut self.rngs[i],
                &mut self.effects,
            );
            handler(&mut self.nodes[i], &mut cx);
        }
        self.changes[i] = self.changes[i].wrapping_add(1);
        self.apply_effects(node);
    }

    fn apply_effects(&mut self, node: NodeId) {
        let i = node.index();
        let mut effects = std::mem::take(&mut self.effects);
        for text in effects.notes.drain(..) {
            self.record(Some(node), EventKind::Note { text });
        }
        for mut event in effects.history.drain(..) {
            event.time = self.now;
            self.history_completed |= event.kind != HistoryKind::Invoke;
            if self.options.trace {
                self.record(
                    Some(node),
                    EventKind::Client {
                        event: event.clone(),
                    },
                );
            }
            self.history.push(event);
        }
        for op in effects.timers.drain(..) {
            match op {
                TimerOp::Set(timer, after) => {
                    let generation = self.next_generation;
                    self.next_generation += 1;
                    let pending = &mut self.timers[i];
                    match pending.iter_mut().find(|(t, _)| *t == timer) {
                        Some(slot) => slot.1 = generation,
                        None => pending.push((timer.clone(), generation)),
                    }
                    if self.held.is_some() {
                        continue;
                    }
                    let at = self.now.after(self.clocks[i].global_span(after));
                    self.queue.push(
                        at,
                        Class::Event,
                        Entry::Timer {
                            node,
                            timer,
                            generation,
                        },
                    );
                }
                TimerOp::Cancel(timer) => self.timers[i].retain(|(t, _)| *t != timer),
            }
        }
        for (to, msg) in effects.sends.drain(..) {
            self.send(node, to, msg);
        }
        self.effects = effects;
    }

    fn send(&mut self, from: NodeId, to: NodeId, msg: N::Msg) {
        if to.index() >= self.nodes.len() {
            self.record(
                Some(from),
                EventKind::Note {
                    text: format!("dropped a message to unknown node {to}"),
                },
            );
            return;
        }
        let mut fates = std::mem::take(&mut self.fates);
        if self.held.is_some() {
            // Held messages arrive when the script says; until then the trace
            // shows them leaving and never arriving.
            fates.push(Fate::Deliver { at: Time::NEVER });
        } else {
            self.network
                .plan(from, to, self.now, &mut self.network_rng, &mut fates);
        }
        self.tick(from, None);
        let lamport = self.lamport[from.index()];
        let first = self.next_message;
        let copies = fates.len();
        let mut msg = Some(msg);
        for (copy, &fate) in fates.iter().enumerate() {
            let message = self.next_message;
            self.next_message += 1;
            let this_msg = if copy + 1 == copies {
                msg.take()
            } else {
                msg.clone()
            };
            let Some(this_msg) = this_msg else { break };
            if self.options.trace {
                let mut label = this_msg.label();
                if copy > 0 {
                    label.push_str(" (duplicate)");
                }
                self.trace.push_message(MessageRecord {
                    id: message,
                    from,
                    to,
                    kind: this_msg.kind(),
                    label,
                    sent_at: self.now,
                    fate,
                    copy_of: (copy > 0).then_some(first),
                    lamport,
                });
                self.record(Some(from), EventKind::Send { message });
            }
            match fate {
                Fate::Deliver { at } => {
                    let clock = self
                        .vector_clocks
                        .as_ref()
                        .map(|clocks| clocks[from.index()].clone().into_boxed_slice());
                    let arrival = Entry::Deliver {
                        from,
                        to,
                        message,
                        lamport,
                        clock,
                        msg: this_msg,
                    };
                    match self.held.as_mut() {
                        Some(held) => held.push(arrival),
                        None => self.queue.push(at, Class::Event, arrival),
                    }
                }
                Fate::Drop { at, reason } => {
                    self.queue.push(
                        at,
                        Class::Event,
                        Entry::Lose {
                            to,
                            message,
                            reason,
                        },
                    );
                }
            }
        }
        fates.clear();
        self.fates = fates;
    }

    fn check(&mut self, changed: NodeId) {
        if !self.options.check || self.violations.len() >= MAX_VIOLATIONS {
            return;
        }
        let mut found = std::mem::take(&mut self.found);
        self.checker
            .check(&self.nodes, &self.up, changed, self.now, &mut found);
        if std::mem::take(&mut self.history_completed) {
            self.checker
                .check_history(&self.history, self.now, &mut found);
        }
        for violation in found.drain(..) {
            let repeated = self.violations.iter().any(|seen| {
                seen.invariant == violation.invariant && seen.message == violation.message
            });
            if repeated || self.violations.len() >= MAX_VIOLATIONS {
                continue;
            }
            self.violations.push(ViolationReport {
                invariant: violation.invariant,
                message: violation.message.clone(),
                step: self.steps,
                time: self.now,
            });
            self.record(
                Some(changed),
                EventKind::Violation {
                    invariant: violation.invariant,
                    message: violation.message,
                },
            );
        }
        self.found = found;
    }

    fn crash(&mut self, node: NodeId) {
        self.up[node.index()] = false;
        self.timers[node.index()].clear();
        self.nodes[node.index()].on_crash();
        self.changes[node.index()] = self.changes[node.index()].wrapping_add(1);
        self.tick(node, None);
        self.record(Some(node), EventKind::Crash);
        self.check(node);
    }

    fn valid(&self, node: NodeId) -> bool {
        node.index() < self.nodes.len()
    }

    fn ignore(&mut self, action: &Action, why: &str) {
        self.ignore_described(&action.to_string(), why);
    }

    fn ignore_described(&mut self, action: &str, why: &str) {
        self.record(
            None,
            EventKind::Network {
                label: format!("ignored '{action}': {why}"),
            },
        );
    }

    fn apply_action(&mut self, action: Action) {
        if let Some(node) = action.node() {
            if !self.valid(node) {
                self.ignore(&action, "no such node");
                return;
            }
        }
        match action {
            Action::Crash(node) => {
                if !self.up[node.index()] {
                    return self.ignore(&action, "already down");
                }
                self.crash(node);
            }
            Action::Restart(node) => {
                if self.up[node.index()] {
                    return self.ignore(&action, "already up");
                }
                self.up[node.index()] = true;
                self.tick(node, None);
                self.record(Some(node), EventKind::Restart);
                self.dispatch(node, |n, cx| n.on_start(cx));
                self.check(node);
            }
            Action::Operation {
                node,
                operation: ref raw,
            } => {
                let Some(operation) = N::Op::from_raw(raw) else {
                    return self.ignore(&action, "this topic has no such operation");
                };
                // Described with the typed operation, the way a person would say it.
                let described = match node {
                    Some(node) => format!("{operation} to {node}"),
                    None => operation.to_string(),
                };
                match node.or_else(|| self.focus()) {
                    Some(target) if self.is_up(target) => {
                        self.tick(target, None);
                        if self.options.trace {
                            let label = operation.to_string();
                            self.record(Some(target), EventKind::Input { label });
                        }
                        self.dispatch(target, |n, cx| n.on_operation(operation, cx));
                        self.check(target);
                    }
                    Some(_) => self.ignore_described(&described, "the node is down"),
                    None => self.ignore_described(&described, "no node can take it"),
                }
            }
            Action::Timeout(node) => {
                if !self.up[node.index()] {
                    return self.ignore(&action, "the node is down");
                }
                self.tick(node, None);
                self.record(
                    Some(node),
                    EventKind::Input {
                        label: "forced timeout".to_string(),
                    },
                );
                self.dispatch(node, |n, cx| n.on_timeout_now(cx));
                self.check(node);
            }
            Action::CrashFocus { downtime } => {
                let role = self.focus_role;
                let Some(focus) = self.focus() else {
                    let described = format!("crash the {role} for {downtime}");
                    return self.ignore_described(&described, &format!("there is no {role}"));
                };
                self.record(
                    None,
                    EventKind::Network {
                        label: format!("crash the {role} ({focus}) for {downtime}"),
                    },
                );
                self.crash(focus);
                // The restart belongs to this action. It is scheduled while the run
                // executes, live or replayed alike, so its rank only has to be fixed.
                let restart = TimedAction {
                    at: self.now.after(downtime),
                    action: Action::Restart(focus),
                };
                self.schedule(restart, RESTART_RANK);
            }
            Action::SetClock {
                node,
                offset_us,
                drift_ppm,
            } => {
                self.clocks[node.index()] = ClockSkew {
                    offset_us,
                    drift_ppm,
                };
                self.record(
                    None,
                    EventKind::Network {
                        label: action.to_string(),
                    },
                );
            }
            Action::Hold => {
                self.held.get_or_insert_with(Vec::new);
                self.record_network(&action);
            }
            Action::Release { message, fate } => self.release(message, fate),
            Action::Fire { node, slot } => {
                let pending = &mut self.timers[node.index()];
                if self.held.is_none() || !self.up[node.index()] || slot as usize >= pending.len() {
                    return self.ignore(&action, "no such held timer");
                }
                let (timer, _) = pending.remove(slot as usize);
                self.fire(node, timer);
            }
            Action::Partition(ref groups) => {
                // Nodes past the end of the list stay outside the partition.
                let mut groups = groups.clone();
                groups.truncate(self.nodes.len());
                self.network.partition(groups);
                self.record_network(&action);
            }
            Action::Heal => {
                self.network.heal();
                self.record_network(&action);
            }
            Action::Cut { from, to } => {
                if !self.valid(from) || !self.valid(to) {
                    return self.ignore(&action, "no such node");
                }
                self.network.cut(from, to);
                self.record_network(&action);
            }
            Action::Restore { from, to } => {
                self.network.restore(from, to);
                self.record_network(&action);
            }
            Action::SetDropRate(ppm) => {
                self.network.config.drop_ppm = ppm;
                self.record_network(&action);
            }
            Action::SetDuplicateRate(ppm) => {
                self.network.config.duplicate_ppm = ppm;
                self.record_network(&action);
            }
            Action::SetReorderRate(ppm) => {
                self.network.config.reorder_ppm = ppm;
                self.record_network(&action);
            }
            Action::SetLinkLatency { from, to, min, max } => {
                if !self.valid(from) || !self.valid(to) {
                    return self.ignore(&action, "no such node");
                }
                self.network.set_link_latency(from, to, Some((min, max)));
                self.record_network(&action);
            }
            Action::SetLatency { min, max } => {
                self.network.config.latency_min = min.min(max);
                self.network.config.latency_max = max.max(min);
                self.record_network(&action);
            }
        }
    }

    /// Runs `node`'s timer, already taken from its pending timers.
    fn fire(&mut self, node: NodeId, timer: N::Timer) {
        self.tick(node, None);
        if self.options.trace {
            let kind = EventKind::Timer {
                name: timer.kind(),
                label: timer.label(),
            };
            self.record(Some(node), kind);
        }
        self.dispatch(node, |n, cx| n.on_timer(timer, cx));
        self.check(node);
    }

    /// What the script does with held message `message` (see [`Action::Hold`]).
    fn release(&mut self, message: MessageId, fate: Release) {
        let arrival = self.held.as_mut().and_then(|held| {
            let at = held
                .iter()
                .position(|e| matches!(e, Entry::Deliver { message: m, .. } if *m == message))?;
            Some(match fate {
                Release::Duplicate => held[at].clone(),
                _ => held.remove(at),
            })
        });
        let Some(arrival) = arrival else {
            return self.ignore_described(&format!("message #{message}"), "no such held message");
        };
        let at = self.now;
        if fate == Release::Lose {
            let reason = DropReason::Loss;
            self.trace.set_fate(message, Fate::Drop { at, reason });
            self.record(None, EventKind::Drop { message, reason });
        } else {
            // A copy keeps the original's record: the trace shows it arriving twice.
            self.trace.set_fate(message, Fate::Deliver { at });
            self.process(arrival);
        }
    }

    /// While the run is held ([`Action::Hold`]): the messages waiting, in the
    /// order they were sent, as (id, from, to, message).
    pub fn held_messages(&self) -> impl Iterator<Item = (MessageId, NodeId, NodeId, &N::Msg)> {
        self.held.iter().flatten().filter_map(|entry| match entry {
            Entry::Deliver {
                from,
                to,
                message,
                msg,
                ..
            } => Some((*message, *from, *to, msg)),
            _ => None,
        })
    }

    /// `node`'s pending timers, in the order [`Action::Fire`] numbers them.
    pub fn pending_timers(&self, node: NodeId) -> impl Iterator<Item = &N::Timer> {
        self.timers
            .get(node.index())
            .into_iter()
            .flatten()
            .map(|(timer, _)| timer)
    }

    fn is_pending(&self, node: NodeId, timer: &N::Timer, generation: u64) -> bool {
        // While the run is held, timers fire only when the script says.
        self.held.is_none()
            && self.timers[node.index()]
                .iter()
                .any(|(t, g)| *g == generation && t == timer)
    }

    /// Drops cancelled, replaced and crash-orphaned timers from the head of the
    /// queue, so [`Run::next_time`] is the time of a real event and every step does
    /// something.
    fn skip_stale_timers(&mut self) {
        while let Some((
            _,
            Entry::Timer {
                node,
                timer,
                generation,
            },
        )) = self.queue.peek()
        {
            if self.is_pending(*node, timer, *generation) {
                break;
            }
            self.queue.pop();
        }
    }

    fn record_network(&mut self, action: &Action) {
        if self.options.trace {
            self.record(
                None,
                EventKind::Network {
                    label: action.to_string(),
                },
            );
        }
    }

    /// Schedules every action of `actions`, ranked by their position (plus `base`).
    pub fn schedule_all(&mut self, actions: &[TimedAction], base: u32) {
        for (i, action) in actions.iter().enumerate() {
            self.schedule(action.clone(), base.saturating_add(i as u32));
        }
    }

    /// Sets the plan: actions sorted by time, ranked by their position, ahead of
    /// every action scheduled with a rank from [`USER_ACTION_RANK`] on.
    pub fn set_plan(&mut self, plan: Vec<TimedAction>) {
        debug_assert!(plan.windows(2).all(|w| w[0].at <= w[1].at));
        self.plan = Rc::from(plan);
        self.push_planned(0);
    }

    fn push_planned(&mut self, index: usize) {
        if let Some(action) = self.plan.get(index) {
            self.queue.push(
                action.at,
                Class::Action { rank: index as u32 },
                Entry::Planned(index),
            );
        }
    }

    /// A copy of the simulation as it is now, with an empty trace: a snapshot to
    /// go back to (the trace is kept apart, see [`super::trace::Trace::mark`]).
    pub fn fork(&self) -> Self
    where
        N: Clone,
        C: Clone,
    {
        Simulation {
            nodes: self.nodes.clone(),
            up: self.up.clone(),
            rngs: self.rngs.clone(),
            lamport: self.lamport.clone(),
            vector_clocks: self.vector_clocks.clone(),
            timers: self.timers.clone(),
            clocks: self.clocks.clone(),
            network: self.network.clone(),
            network_rng: self.network_rng.clone(),
            queue: self.queue.clone(),
            now: self.now,
            steps: self.steps,
            next_message: self.next_message,
            next_generation: self.next_generation,
            options: self.options,
            trace: Trace::default(),
            checker: self.checker.clone(),
            violations: self.violations.clone(),
            plan: self.plan.clone(),
            focus: self.focus,
            focus_role: self.focus_role,
            effects: Effects::default(),
            fates: Vec::with_capacity(2),
            found: Vec::new(),
            history: self.history.clone(),
            history_completed: false,
            held: self.held.clone(),
            changes: self.changes.clone(),
        }
    }

    /// The trace, to keep apart from a snapshot or to window.
    pub fn trace_mut(&mut self) -> &mut Trace {
        &mut self.trace
    }

    /// The id the next message will take.
    pub fn next_message(&self) -> MessageId {
        self.next_message
    }

    /// Processes the next queue entry. Returns false when nothing is left.
    pub fn step(&mut self) -> bool {
        let Some((time, entry)) = self.queue.pop() else {
            return false;
        };
        self.now = self.now.max(time);
        self.process(entry)
    }

    /// Processes one queue entry (or a released held message) as a step.
    fn process(&mut self, entry: Entry<N>) -> bool {
        self.steps += 1;
        match entry {
            Entry::Start(node) => {
                self.tick(node, None);
                self.record(Some(node), EventKind::Start);
                self.dispatch(node, |n, cx| n.on_start(cx));
                self.check(node);
            }
            Entry::Deliver {
                from,
                to,
                message,
                lamport,
                clock,
                msg,
            } => {
                if !self.up[to.index()] {
                    let reason = DropReason::ReceiverDown;
                    if self.options.trace {
                        let fate = Fate::Drop {
                            at: self.now,
                            reason,
                        };
                        self.trace.set_fate(message, fate);
                    }
                    self.record(Some(to), EventKind::Drop { message, reason });
                    // A stale timer may be next in the queue now, as after any step.
                    self.skip_stale_timers();
                    return true;
                }
                self.tick(to, Some((lamport, clock.as_deref())));
                self.record(Some(to), EventKind::Deliver { message });
                self.dispatch(to, |n, cx| n.on_message(from, msg, cx));
                self.check(to);
            }
            Entry::Lose {
                to,
                message,
                reason,
            } => {
                self.record(Some(to), EventKind::Drop { message, reason });
            }
            Entry::Timer {
                node,
                timer,
                generation,
            } => {
                let pending = &mut self.timers[node.index()];
                let Some(at) = pending
                    .iter()
                    .position(|(t, g)| *g == generation && *t == timer)
                else {
                    // Only reachable if a stale timer slipped past the purge: it is
                    // not an event, so it does not count as a step.
                    self.steps -= 1;
                    self.skip_stale_timers();
                    return self.step();
                };
                pending.swap_remove(at);
                self.fire(node, timer);
            }
            Entry::Planned(index) => {
                self.push_planned(index + 1);
                if let Some(action) = self.plan.get(index) {
                    self.apply_action(action.action.clone());
                }
            }
            Entry::Action(TimedAction { action, .. }) => self.apply_action(action),
        }
        self.skip_stale_timers();
        true
    }

    /// The time of the next queue entry.
    pub fn next_time(&self) -> Option<Time> {
        self.queue.peek_time()
    }

    /// The time of the last processed step.
    pub fn now(&self) -> Time {
        self.now
    }

    /// Steps processed so far.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    pub fn trace(&self) -> &Trace {
        &self.trace
    }

    /// The clients' history: every invocation and completion so far.
    pub fn history(&self) -> &History {
        &self.history
    }

    /// Every invariant violation found so far.
    pub fn violations(&self) -> &[ViolationReport] {
        &self.violations
    }

    /// Schedules an action. `rank` orders it among actions of the same time (see
    /// [`Class`]); times before [`Simulation::now`] run next.
    pub fn schedule(&mut self, action: TimedAction, rank: u32) {
        self.queue
            .push(action.at, Class::Action { rank }, Entry::Action(action));
    }

    /// The nodes with their roles, and the network's shape.
    pub fn cluster(&self) -> ClusterState {
        self.cluster_with(|_, node| node.summary())
    }

    /// [`Simulation::cluster`] with each node's summary from `summary`
    /// (given the node's index and the node), for a caller that keeps them.
    pub fn cluster_with(&self, mut summary: impl FnMut(usize, &N) -> NodeSummary) -> ClusterState {
        ClusterState {
            nodes: self
                .nodes
                .iter()
                .enumerate()
                .map(|(i, node)| NodeState {
                    id: NodeId(i as u32),
                    up: self.up[i],
                    summary: summary(i, node),
                    client: node.is_client(),
                })
                .collect(),
            groups: self.network.groups(self.nodes.len()),
            cuts: self.network.cuts().collect(),
        }
    }

    /// For each node, a count that moves whenever its state may have changed
    /// (a handler ran on it, or it crashed): a summary kept with its node's
    /// count is current while the count is the same.
    pub fn changes(&self) -> &[u32] {
        &self.changes
    }

    /// The first `limit` nodes' rows of the state table (`usize::MAX` for
    /// all): its id, its role ("crashed" while it is down: a crashed node has
    /// no role), then the topic's cells.
    pub fn rows(&self, limit: usize) -> Vec<Vec<Cell>> {
        self.nodes
            .iter()
            .zip(&self.up)
            .take(limit)
            .enumerate()
            .map(|(i, (node, &up))| {
                let role = if up { node.summary().role } else { "crashed" };
                let mut row = vec![
                    Cell::Text(NodeId(i as u32).to_string()),
                    Cell::Text(role.to_string()),
                ];
                row.extend(node.state_row());
                row
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {

    /// The 64-bit clock arithmetic gives exactly what 128-bit arithmetic
    /// gives, over the whole range of offsets and drifts.
    #[test]
    fn clock_skew_matches_wide_arithmetic() {
        let wide_local = |skew: ClockSkew, g: u64| {
            let g = g as i128;
            let local = g + skew.offset_us as i128 + g * skew.drift_ppm as i128 / 1_000_000;
            local.clamp(0, u64::MAX as i128) as u64
        };
        let wide_span = |skew: ClockSkew, span: u64| {
            let rate = (1_000_000i128 + skew.drift_ppm as i128).max(1);
            (span as i128 * 1_000_000 / rate).clamp(0, u64::MAX as i128) as u64
        };
        let mut rng = crate::sim::rng::Rng::new(11);
        let drifts = [
            0,
            1,
            -1,
            999_999,
            -999_999,
            -1_000_000,
            -2_000_000,
            i32::MAX,
            i32::MIN,
        ];
        for round in 0..20_000u64 {
            let drift_ppm = if round < drifts.len() as u64 {
                drifts[round as usize]
            } else {
                rng.below(4_000_001) as i32 - 2_000_000
            };
            let skew = ClockSkew {
                offset_us: rng.below(20_000_001) as i64 - 10_000_000,
                drift_ppm,
            };
            for g in [
                0,
                1,
                999_999,
                1_000_000,
                rng.below(1 << 40),
                rng.next_u64(),
                u64::MAX,
            ] {
                assert_eq!(
                    skew.local(Time(g)).0,
                    wide_local(skew, g),
                    "{skew:?} at {g}"
                );
                assert_eq!(
                    skew.global_span(Duration(g)).0,
                    wide_span(skew, g),
                    "{skew:?} over {g}"
                );
            }
        }
    }
    use super::*;

    #[test]
    fn clock_skew_maps_local_and_global_time() {
        let fast = ClockSkew {
            offset_us: 1_000,
            drift_ppm: 100_000,
        };
        assert_eq!(fast.local(Time(10_000)), Time(12_000));
        // A 10% fast clock reaches a local 110ms in 100ms of real time.
        assert_eq!(fast.global_span(Duration(110_000)), Duration(100_000));
        let behind = ClockSkew {
            offset_us: -5_000,
            drift_ppm: 0,
        };
        assert_eq!(behind.local(Time(1_000)), Time(0));
    }
}
