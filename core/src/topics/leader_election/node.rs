//! The sans-IO election node: what every mode shares (identity, the cluster's
//! configuration, the believed leader, counters the checker and the message
//! counts read) and the [`Node`] implementation, which hands each event to the
//! mode's rules in `bully.rs`, `ring.rs` or `lease.rs`.

use std::rc::Rc;

use crate::sim::node::{Cx, Labelled, Node};
use crate::sim::time::{Duration, NodeId, Time};
use crate::sim::view::{Cell, NodeSummary, Palette};

use super::message::{name, Attempt, ElectionMessage, ElectionOp, ElectionTimer, Mode};

/// The timeouts, all in the node's local time. Derived from the network's
/// latency bound, so a correct node never gives up on a message that is merely
/// slow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timing {
    /// The longest one-way delay of the network.
    pub latency: Duration,
    pub heartbeat: Duration,
    /// The coordinator-silence timeout is drawn from this range at each reset.
    pub silence_min: Duration,
    pub silence_max: Duration,
    /// Bully: how long an ELECTION waits for ANSWERs (a round trip and slack).
    pub answer_wait: Duration,
    /// Bully: how long an answered node waits for the COORDINATOR message.
    pub coordinator_wait: Duration,
    /// Ring: how long a hop waits for its acknowledgement before skipping.
    pub hop_ack: Duration,
    /// Ring: how long a participant waits for the ELECTED message.
    pub election_wait: Duration,
    /// Leases: the lease term.
    pub lease: Duration,
    /// Leases: the drift bound ε: the most two clocks can disagree on how
    /// long a lease term lasts (the term times the drift rate, plus a
    /// millisecond for rounding).
    pub drift_bound: Duration,
    /// Leases: how long a request waits for its grants.
    pub grant_wait: Duration,
}

impl Timing {
    /// The timing of a cluster of `nodes` over a network whose one-way latency
    /// is at most `latency`, with lease term `lease` and clock drift at most
    /// `drift_ppm` parts per million.
    pub fn new(nodes: usize, latency: Duration, lease: Duration, drift_ppm: u64) -> Timing {
        let ms = Duration::from_millis;
        let round_trip = Duration(2 * latency.as_micros());
        let answer_wait = Duration(round_trip.as_micros() + ms(10).as_micros());
        let hop_ack = answer_wait;
        let per_hop = latency.as_micros() + hop_ack.as_micros();
        Timing {
            latency,
            heartbeat: ms(100),
            silence_min: Duration(ms(300).as_micros() + 2 * round_trip.as_micros()),
            silence_max: Duration(ms(450).as_micros() + 2 * round_trip.as_micros()),
            answer_wait,
            coordinator_wait: Duration(2 * answer_wait.as_micros() + round_trip.as_micros()),
            hop_ack,
            election_wait: Duration(ms(200).as_micros() + 2 * nodes as u64 * per_hop),
            lease,
            drift_bound: Duration(lease.as_micros() * drift_ppm / 1_000_000 + ms(1).as_micros()),
            grant_wait: Duration(round_trip.as_micros() + ms(20).as_micros()),
        }
    }
}

/// The deliberate mistakes a node can make.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Bugs {
    /// Ring: forward every ELECTION, even one smaller than my own id.
    pub forward_smaller: bool,
    /// Leases: leave the drift bound out of the holder's and the grantors' sums.
    pub ignore_drift: bool,
}

/// What every node of a run shares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub mode: Mode,
    pub nodes: usize,
    /// Ring mode: the ring, clockwise from position 0 (node ids).
    pub ring: Vec<u32>,
    pub timing: Timing,
    pub bugs: Bugs,
    /// Each node's clock skew as the parameters set it (offset in microseconds,
    /// drift in parts per million), for the state table.
    pub clocks: Vec<(i64, i32)>,
}

impl Config {
    pub fn majority(&self) -> usize {
        self.nodes / 2 + 1
    }
}

/// Bully: where a node is in an election (Garcia-Molina's states, simplified).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BullyState {
    /// Not in an election (Garcia-Molina's Normal state).
    #[default]
    Idle,
    /// Sent ELECTION to the higher nodes; waiting for an ANSWER.
    Electing,
    /// A higher node answered; waiting for its COORDINATOR message.
    AwaitingCoordinator,
}

/// Ring: a transmission to the successor not yet acknowledged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingHop {
    pub hop: u64,
    pub to: u32,
    pub message: ElectionMessage,
}

/// Leases: a lease this node holds, by its own clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lease {
    pub attempt: Attempt,
    /// When the node stops believing in it: the request's send time plus the
    /// term, minus the drift bound (local time).
    pub until: Time,
}

/// Leases: a grantor's promise not to grant anyone else a lease.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Promise {
    pub to: u32,
    /// The request it answered.
    pub attempt: Attempt,
    /// Local time until which the promise holds: the grant's time plus the
    /// term, plus the drift bound.
    pub until: Time,
}

/// Leases: a request (first or renewal) collecting grants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Request {
    pub attempt: Attempt,
    /// Local time the request was sent: the lease counts from here, before any
    /// grantor's promise started, so the holder's lease ends first.
    pub sent_at: Time,
    /// Bit i: node i granted.
    pub grants: u64,
    /// How long the refusers' promises still run (up to the few a majority
    /// needs), so a failed candidate asks again when enough are free.
    pub refusals: [u64; 4],
    pub refused: usize,
}

/// One node of the election.
#[derive(Clone, Debug)]
pub struct ElectionNode {
    pub(super) id: u32,
    pub(super) config: Rc<Config>,

    // Durable: kept across a crash.
    /// Whether the node has run before (a start after a crash is a recovery).
    pub(super) started_before: bool,
    /// Lease attempts so far (durable, so a grant from before a crash never
    /// counts for a request made after it).
    pub(super) attempts: Attempt,
    /// Ring hops sent so far (durable, so an acknowledgement from before a
    /// crash never matches a hop made after it).
    pub(super) hops: u64,
    /// Election messages this node has sent (ELECTION, ANSWER, COORDINATOR,
    /// ELECTED): what the message counts add up. A counter, not protocol state.
    pub(super) election_messages_sent: u64,
    /// Ring: how many ELECTION messages this node has passed on, and the
    /// candidate of the last one. Read by the checker, which registers each
    /// forward; a counter of what happened, not protocol state.
    pub(super) forwards: u64,
    pub(super) last_forwarded: u32,
    /// Leases: my promise not to grant anyone else a lease (on stable
    /// storage, so a restarted grantor still honours it).
    pub(super) promise: Option<Promise>,

    // Volatile: lost in a crash.
    /// Who this node believes leads (itself included).
    pub(super) leader: Option<u32>,
    pub(super) bully: BullyState,
    /// Ring: taking part in an election (Chang and Roberts' "participant").
    pub(super) participant: bool,
    /// Ring: successors skipped because they did not acknowledge.
    pub(super) suspected: u64,
    pub(super) pending: Vec<PendingHop>,
    pub(super) lease: Option<Lease>,
    pub(super) request: Option<Request>,
}

impl ElectionNode {
    pub fn new(id: NodeId, config: Rc<Config>) -> ElectionNode {
        ElectionNode {
            id: id.0,
            config,
            started_before: false,
            attempts: 0,
            hops: 0,
            election_messages_sent: 0,
            forwards: 0,
            last_forwarded: 0,
            leader: None,
            bully: BullyState::Idle,
            participant: false,
            suspected: 0,
            pending: Vec::new(),
            lease: None,
            promise: None,
            request: None,
        }
    }

    pub fn id(&self) -> NodeId {
        NodeId(self.id)
    }

    pub fn mode(&self) -> Mode {
        self.config.mode
    }

    /// Who this node believes leads.
    pub fn leader(&self) -> Option<NodeId> {
        self.leader.map(NodeId)
    }

    /// Whether this node believes it leads (bully and ring).
    pub fn believes_it_leads(&self) -> bool {
        self.leader == Some(self.id)
    }

    pub fn bully_state(&self) -> BullyState {
        self.bully
    }

    /// The lease this node believes it holds (valid while its clock reads less
    /// than `until`).
    pub fn lease(&self) -> Option<Lease> {
        self.lease
    }

    pub fn promise(&self) -> Option<Promise> {
        self.promise
    }

    /// Ring: ELECTION messages passed on so far, and the last one's candidate.
    pub fn forwards(&self) -> (u64, u32) {
        (self.forwards, self.last_forwarded)
    }

    /// Election messages this node has sent.
    pub fn election_messages_sent(&self) -> u64 {
        self.election_messages_sent
    }

    /// Ring: the node this node sends to now (skipping suspected ones).
    pub fn successor(&self) -> Option<u32> {
        let ring = &self.config.ring;
        let at = ring.iter().position(|&id| id == self.id)?;
        (1..ring.len())
            .map(|step| ring[(at + step) % ring.len()])
            .find(|&id| id != self.id && self.suspected & (1u64 << id) == 0)
    }

    /// Sends `message`, counting it if it belongs to an election.
    pub(super) fn send(&mut self, cx: &mut Cx<Self>, to: u32, message: ElectionMessage) {
        if message.is_election_traffic() {
            self.election_messages_sent += 1;
        }
        cx.send(NodeId(to), message);
    }

    /// The coordinator-silence timeout, drawn afresh.
    pub(super) fn arm_silence(&mut self, cx: &mut Cx<Self>) {
        let timing = &self.config.timing;
        let wait = cx.rng.range_inclusive(
            timing.silence_min.as_micros(),
            timing.silence_max.as_micros(),
        );
        cx.set_timer(ElectionTimer::CoordinatorSilent, Duration(wait));
    }

    /// Starts an election the mode's way (also the page's button and a forced
    /// timeout).
    pub(super) fn start_election(&mut self, cx: &mut Cx<Self>) {
        match self.config.mode {
            Mode::Bully => self.bully_start_election(cx),
            Mode::Ring => self.ring_start_election(cx),
            Mode::Leases => self.lease_request(cx),
        }
    }

    fn clock_text(&self) -> String {
        let (offset, drift) = self
            .config
            .clocks
            .get(self.id as usize)
            .copied()
            .unwrap_or((0, 0));
        if offset == 0 && drift == 0 {
            "exact".to_string()
        } else {
            format!("{:+}ms, {:+}ppm", offset / 1000, drift)
        }
    }
}

impl Node for ElectionNode {
    type Msg = ElectionMessage;
    type Timer = ElectionTimer;
    type Op = ElectionOp;

    fn on_start(&mut self, cx: &mut Cx<Self>) {
        let recovering = self.started_before;
        self.started_before = true;
        match self.config.mode {
            Mode::Bully => self.bully_start(recovering, cx),
            Mode::Ring => self.ring_start(cx),
            Mode::Leases => self.lease_start(recovering, cx),
        }
    }

    fn on_message(&mut self, from: NodeId, msg: ElectionMessage, cx: &mut Cx<Self>) {
        if from.index() >= self.config.nodes || from.0 == self.id {
            cx.note(|| format!("dropped {}: it claims to come from {from}", msg.label()));
            return;
        }
        match (self.config.mode, msg) {
            (Mode::Bully, ElectionMessage::Election) => self.bully_on_election(from.0, cx),
            (Mode::Bully, ElectionMessage::Answer) => self.bully_on_answer(from.0, cx),
            (Mode::Bully, ElectionMessage::Coordinator) => self.bully_on_coordinator(from.0, cx),
            (Mode::Bully, ElectionMessage::Heartbeat) => self.bully_on_heartbeat(from.0, cx),
            (
                Mode::Ring,
                ElectionMessage::RingElection {
                    candidate,
                    hop,
                    travelled,
                },
            ) => self.ring_on_election(from.0, candidate, (hop, travelled), cx),
            (
                Mode::Ring,
                ElectionMessage::Elected {
                    leader,
                    hop,
                    travelled,
                },
            ) => self.ring_on_elected(from.0, leader, (hop, travelled), cx),
            (Mode::Ring, ElectionMessage::HopAck { hop }) => self.ring_on_ack(from.0, hop, cx),
            (Mode::Ring, ElectionMessage::Heartbeat) => self.ring_on_heartbeat(from.0, cx),
            (Mode::Leases, ElectionMessage::RequestLease { attempt }) => {
                self.lease_on_request(from.0, attempt, cx)
            }
            (Mode::Leases, ElectionMessage::Grant { attempt }) => {
                self.lease_on_grant(from.0, attempt, cx)
            }
            (Mode::Leases, ElectionMessage::Release { attempt }) => {
                self.lease_on_release(from.0, attempt, cx)
            }
            (Mode::Leases, ElectionMessage::Refuse { attempt, remaining }) => {
                self.lease_on_refuse(attempt, remaining, cx)
            }
            (mode, msg) => {
                cx.note(|| format!("dropped {}: not a message of {mode:?} mode", msg.label()));
            }
        }
    }

    fn on_timer(&mut self, timer: ElectionTimer, cx: &mut Cx<Self>) {
        match (self.config.mode, timer) {
            (Mode::Bully, ElectionTimer::CoordinatorSilent) => self.bully_on_silence(cx),
            (Mode::Bully, ElectionTimer::AnswerWait) => self.bully_on_answer_wait(cx),
            (Mode::Bully, ElectionTimer::CoordinatorWait) => self.bully_on_coordinator_wait(cx),
            (Mode::Bully | Mode::Ring, ElectionTimer::Heartbeat) => self.on_heartbeat_timer(cx),
            (Mode::Ring, ElectionTimer::CoordinatorSilent) => self.ring_on_silence(cx),
            (Mode::Ring, ElectionTimer::HopAck { hop }) => self.ring_on_hop_timeout(hop, cx),
            (Mode::Ring, ElectionTimer::ElectionWait) => self.ring_on_election_wait(cx),
            (Mode::Leases, ElectionTimer::Campaign) => self.lease_on_campaign(cx),
            (Mode::Leases, ElectionTimer::GrantWait { attempt }) => {
                self.lease_on_grant_wait(attempt, cx)
            }
            (Mode::Leases, ElectionTimer::Renew) => self.lease_on_renew(cx),
            (Mode::Leases, ElectionTimer::LeaseEnd) => self.lease_on_end(cx),
            (mode, timer) => {
                cx.note(|| {
                    format!(
                        "ignored timer {}: not a timer of {mode:?} mode",
                        timer.kind()
                    )
                });
            }
        }
    }

    fn on_operation(&mut self, operation: ElectionOp, cx: &mut Cx<Self>) {
        match operation {
            ElectionOp::StartElection => {
                cx.note(|| "asked to start an election".to_string());
                self.start_election(cx);
            }
        }
    }

    fn on_timeout_now(&mut self, cx: &mut Cx<Self>) {
        self.start_election(cx);
    }

    /// Everything but the counters, the attempt and hop numbers, the lease
    /// promise and whether the node ran before: an election's state, the
    /// believed leader, a held lease and open requests are all in memory.
    fn on_crash(&mut self) {
        self.leader = None;
        self.bully = BullyState::Idle;
        self.participant = false;
        self.suspected = 0;
        self.pending.clear();
        self.lease = None;
        self.request = None;
    }

    fn summary(&self) -> NodeSummary {
        let (role, palette) = self.role();
        let badge = match self.leader {
            Some(leader) if leader == self.id => "★".to_string(),
            Some(leader) => format!("→{leader}"),
            None => "?".to_string(),
        };
        let detail = match self.leader {
            Some(leader) => format!("{} believes {} leads", name(self.id), name(leader)),
            None => format!("{} knows no leader", name(self.id)),
        };
        NodeSummary {
            role,
            palette,
            badge,
            detail,
        }
    }

    fn state_row(&self) -> Vec<Cell> {
        let text = |s: String| Cell::Text(s);
        let leader = self.leader.map_or("-".to_string(), name);
        let election = match self.config.mode {
            Mode::Bully => match self.bully {
                BullyState::Idle => "idle",
                BullyState::Electing => "electing",
                BullyState::AwaitingCoordinator => "waiting for coordinator",
            }
            .to_string(),
            Mode::Ring => if self.participant { "electing" } else { "idle" }.to_string(),
            Mode::Leases => match self.request {
                Some(request) => format!("requesting #{}", request.attempt),
                None => "idle".to_string(),
            },
        };
        let successor = match self.config.mode {
            Mode::Ring => self.successor().map_or("-".to_string(), name),
            _ => "-".to_string(),
        };
        let lease = self.lease.map_or("-".to_string(), |lease| {
            format!("{} (#{})", lease.until, lease.attempt)
        });
        let promised = self.promise.map_or("-".to_string(), |promise| {
            format!("{} until {}", name(promise.to), promise.until)
        });
        vec![
            text(leader),
            text(election),
            text(successor),
            text(lease),
            text(promised),
            text(self.clock_text()),
        ]
    }
}

impl ElectionNode {
    fn role(&self) -> (&'static str, Palette) {
        match self.config.mode {
            Mode::Leases => match (self.lease, self.request) {
                (Some(_), _) => ("lease holder", Palette::Lead),
                (None, Some(_)) => ("requesting", Palette::Contend),
                (None, None) => ("grantor", Palette::Plain),
            },
            Mode::Bully | Mode::Ring => {
                if self.believes_it_leads() {
                    ("leader", Palette::Lead)
                } else if self.bully == BullyState::AwaitingCoordinator {
                    ("waiting", Palette::Suspect)
                } else if self.bully == BullyState::Electing || self.participant {
                    ("electing", Palette::Contend)
                } else if self.leader.is_some() {
                    ("follower", Palette::Plain)
                } else {
                    ("no leader", Palette::Suspect)
                }
            }
        }
    }

    /// Bully and ring: the leader tells everyone it is still there.
    fn on_heartbeat_timer(&mut self, cx: &mut Cx<Self>) {
        if !self.believes_it_leads() {
            return;
        }
        for peer in 0..self.config.nodes as u32 {
            if peer != self.id {
                self.send(cx, peer, ElectionMessage::Heartbeat);
            }
        }
        cx.set_timer(ElectionTimer::Heartbeat, self.config.timing.heartbeat);
    }
}
