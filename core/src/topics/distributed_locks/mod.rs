//! Distributed locks: leases, fencing tokens, the process-pause problem, and
//! Redlock.
//!
//! **Problem.** Several clients share a storage service and must take turns
//! writing to it. A lock server hands out the right to write, but a client can
//! crash while holding it, so the right must run out by itself: it is a lease
//! (Gray and Cheriton, "Leases: An Efficient Fault-Tolerant Mechanism for
//! Distributed File Cache Consistency", SOSP 1989, section 2), valid for a term
//! and judged on clocks. And a client can stop at any instant (a garbage
//! collector's stop-the-world pause, a page fault, a stopped VM) for longer than
//! its lease, wake up, and write as if it still held the lock (Kleppmann, "How
//! to do distributed locking", 2016, "Protecting a resource with a lock").
//!
//! **Idea.** Let the storage decide. The lock service gives every grant a
//! fencing token, one higher than the last; each write carries its token; the
//! storage remembers the highest token it has applied and rejects anything
//! lower (Kleppmann, "Making the lock safe with fencing"). Then a paused
//! client's late write is refused once a newer holder has written, whatever the
//! clocks and pauses did. Leases still give liveness (a crashed holder's lock
//! frees itself) and, while the clock assumptions hold, exclusion among running
//! clients.
//!
//! **Modes** (the `mode` parameter):
//! - *Single lock server*: one lock server with a durable token counter, as
//!   Kleppmann's fencing section assumes (ZooKeeper's zxid, Chubby's
//!   sequencer).
//! - *Redlock*: Antirez's algorithm over five independent Redis instances
//!   (redis.io, "Distributed Locks with Redis", "The Redlock algorithm" steps
//!   1-5): one random value, a majority of grants within the lease, validity =
//!   TTL - elapsed - clock-drift allowance, unlock everywhere on failure,
//!   delayed restarts. There is no token: five independent servers have no one
//!   counter, which is Kleppmann's first objection (end of "Making the lock safe
//!   with fencing"), so the storage has nothing to check and a pause breaks
//!   Redlock with no bug switched on. His second, that its safety rests on
//!   timing assumptions such as bounded clock drift ("Using time to solve
//!   consensus", "Breaking Redlock with bad timings"), is the `redlock-drift`
//!   bug.
//!
//! **Clocks.** Every expiry is judged on the judging process's own clock
//! (`cx.now()`). The `drift-ppm` parameter makes lock servers' clocks run that
//! much fast and clients' that much slow (the worst case for a lease), and the
//! service is configured with that bound: clients count their lease from
//! before they asked, subtract the time acquiring took and a drift allowance
//! of twice the bound over the lease plus 2 ms (the reference Redlock adds the
//! 2 ms), and a restarted lock server refuses every lock for a lease plus that
//! allowance.
//!
//! **Processes.** Lock servers first (one or five), then the storage, then the
//! clients (`clients`), which loop: acquire, work for part of the validity,
//! write the result carrying the token, release. One lease in five has a
//! stop-the-world pause of `pause-ms` at a random instant of the work, and the
//! person can pause any client (the `pause` operation). A paused client defers
//! every message and timer until the pause ends; see [`client`].
//!
//! **Invariants** ([`checker`]): `effective-mutual-exclusion` (the storage
//! never applies a write under a lease older than one it already applied a
//! write under: writes land one holder at a time, in grant order),
//! `fenced-order` (applied tokens never decrease), and `single-holder` (no two
//! running clients believe they hold the lock at once). The first is the one
//! that matters and the one fencing guarantees; the checker explains why the
//! literal "never apply a write whose lease had expired" cannot be promised.
//!
//! **Bugs**: `no-fencing` (the storage applies every write: a paused client
//! overwrites the newer holder's data) and `redlock-drift` (Redlock clients
//! leave the drift allowance out of the validity, so with fast server clocks two
//! clients hold the lock at once). `redlock-drift` runs in Redlock mode
//! whatever `mode` says, and with random pauses off, since a pause breaks
//! Redlock anyway and the bug's catch should be the drift's.
//!
//! **Where the model takes liberties.** Clients ask the lock servers in
//! parallel (Redlock step 2 goes in turn); the drift allowance is twice the
//! configured bound over the lease plus 2 ms, where the reference Redlock uses
//! 1% of the TTL plus 2 ms, because here the bound is a parameter and both
//! clocks may drift against each other; the lock server grants exclusive
//! leases (Gray and Cheriton's are read leases on cached files, with the same
//! timing rules); the storage accepts a write whose token equals the highest
//! (the same lease writing again, or a duplicate); each lease does one write.
//! The fault plan touches only the first two processes and its "crash the
//! focus" crashes a lock server that holds a lease, so clients are never
//! crashed by it and a recovering server is left to recover.
//!
//! **Left out**: lock renewal (extending a lease), Redis replication and
//! fsync policies (a Redlock server here keeps its lock in memory and relies on
//! the delayed restart), a lock service replicated by consensus, fencing on
//! reads, and exhaustive exploration (the explorer has no clock and fires
//! timers in any order, which is not the world leases are made for).

pub mod checker;
pub mod client;
pub mod message;
pub mod presets;
pub mod process;
pub mod server;
pub mod storage;

use crate::lab::params;
use crate::lab::protocol::{self, OperationButton, ProtocolTopic, Setup};
use crate::lab::topic::{BugInfo, Category, ParamSpec, TopicInfo, TopicKind};
use crate::sim::action::{Action, TimedAction};
use crate::sim::time::{Duration, NodeId};
use crate::sim::view::{Annotations, Palette, Span};
use crate::sim::world::Simulation;

use checker::{LocksChecker, EFFECTIVE_MUTUAL_EXCLUSION, FENCED_ORDER, SINGLE_HOLDER};
use client::LockClient;
use message::{LockOp, MAX_PAUSE_MS};
use process::{LockConfig, LockProcess};
use server::LockServer;
use storage::Storage;

pub const BUG_NO_FENCING: &str = "no-fencing";
pub const BUG_REDLOCK_DRIFT: &str = "redlock-drift";

pub const MODE: &str = "mode";
pub const CLIENTS: &str = "clients";
pub const LEASE: &str = "lease-ms";
pub const PAUSE: &str = "pause-ms";
pub const DRIFT: &str = "drift-ppm";

/// The value of `mode` that picks Redlock.
pub const REDLOCK: i64 = 1;
/// Redlock's number of independent lock servers.
pub const REDLOCK_SERVERS: usize = 5;

const MODE_PARAM: ParamSpec = ParamSpec {
    name: MODE,
    label: "Lock service",
    default: 0,
    min: 0,
    max: 1,
    step: 1,
    help:
        "One lock server with fencing tokens, or Redlock over five independent servers (no tokens).",
    choices: &["Single lock server", "Redlock"],
};

const CLIENTS_PARAM: ParamSpec = ParamSpec {
    name: CLIENTS,
    label: "Clients",
    default: 2,
    min: 2,
    max: 5,
    step: 1,
    help: "Client processes taking turns with the lock.",
    choices: &[],
};

const LEASE_PARAM: ParamSpec = ParamSpec {
    name: LEASE,
    label: "Lease (ms)",
    default: 500,
    min: 100,
    max: 3_000,
    step: 50,
    help: "How long a lock is granted for (Redlock's TTL).",
    choices: &[],
};

const PAUSE_PARAM: ParamSpec = ParamSpec {
    name: PAUSE,
    label: "GC pause (ms)",
    default: 1_000,
    min: 0,
    max: 5_000,
    step: 50,
    help: "One lease in five has a stop-the-world pause this long at a random instant of the client's work; 0 for none.",
    choices: &[],
};

const DRIFT_PARAM: ParamSpec = ParamSpec {
    name: DRIFT,
    label: "Clock drift (ppm)",
    default: 50_000,
    min: 0,
    max: 100_000,
    step: 1_000,
    help: "Lock servers' clocks run this fast and clients' this slow, in parts per million (10,000 is 1%), and the service is configured for that bound. Far above real quartz, so the effect shows within one lease.",
    choices: &[],
};

/// The distributed-locks topic.
pub struct DistributedLocksTopic;

pub static INFO: TopicInfo = TopicInfo {
    slug: "distributed-locks",
    title: "Distributed locks",
    category: Category::Consensus,
    kind: TopicKind::Protocol,
    summary: "Clients take turns writing to a storage service under a lock with leases. Pause a client past its lease and watch its late write: fencing tokens let the storage refuse it; without them it overwrites the newer holder's data. Switch to Redlock (a majority of five servers, no tokens) and see what its clock-drift allowance is for.",
    reference: "Kleppmann, How to do distributed locking (2016); the Redlock algorithm (redis.io, Distributed Locks with Redis, steps 1-5); Gray & Cheriton, Leases, SOSP 1989 (section 2)",
    params: &[
        MODE_PARAM,
        CLIENTS_PARAM,
        LEASE_PARAM,
        PAUSE_PARAM,
        DRIFT_PARAM,
        params::DROP_PERCENT,
        params::latency(20),
    ],
    presets: &presets::PRESETS,
    bugs: &[
        BugInfo {
            name: BUG_NO_FENCING,
            summary: "The storage applies every write, whatever its fencing token: a client that paused past its lease overwrites the newer holder's data (Kleppmann's first figure).",
            caught_by: &[EFFECTIVE_MUTUAL_EXCLUSION, FENCED_ORDER],
            budget: 2000,
        },
        BugInfo {
            name: BUG_REDLOCK_DRIFT,
            summary: "Redlock clients compute the validity as TTL minus the time spent acquiring, with no clock-drift allowance, so when the servers' clocks run fast their keys expire while the holder still counts on them and a second client takes a majority. Runs in Redlock mode with random pauses off (Redlock has no token, so a pause breaks it with or without this bug; the pause operation still works).",
            caught_by: &[SINGLE_HOLDER],
            budget: 2000,
        },
    ],
    invariants: checker::INVARIANTS,
    expected: &[],
    columns: &["process", "role", "lock", "token", "lease until (own clock)", "paused", "writes"],
    build: protocol::build::<DistributedLocksTopic>,
};

/// The run's configuration from its parameters and bug.
fn config(setup: &Setup) -> LockConfig {
    let redlock = setup.param(MODE) == REDLOCK || setup.bug(BUG_REDLOCK_DRIFT);
    let lock_servers = if redlock { REDLOCK_SERVERS } else { 1 };
    LockConfig {
        lock_servers,
        storage: NodeId(lock_servers as u32),
        ttl: Duration::from_millis(setup.param(LEASE).max(1) as u64),
        drift_bound_ppm: setup.param(DRIFT).clamp(0, DRIFT_PARAM.max) as u64,
        // Redlock fails under pauses with or without the drift bug (it has no
        // token to fence with), so the bug's runs keep random pauses off and
        // what the checker finds is the drift.
        pause: if setup.bug(BUG_REDLOCK_DRIFT) {
            Duration::ZERO
        } else {
            Duration::from_millis(setup.param(PAUSE).max(0) as u64)
        },
        fencing: !redlock,
        ignore_drift: setup.bug(BUG_REDLOCK_DRIFT),
    }
}

fn clients(setup: &Setup) -> u32 {
    setup
        .param(CLIENTS)
        .clamp(CLIENTS_PARAM.min, CLIENTS_PARAM.max) as u32
}

impl ProtocolTopic for DistributedLocksTopic {
    const INFO: &'static TopicInfo = &INFO;
    type Node = LockProcess;
    type Checker = LocksChecker;
    const FOCUS_ROLE: &'static str = "lock server holding a lease";

    /// The fault plan's processes: the first two (the lock server and the
    /// storage, or two of Redlock's servers). Clients are never among them.
    const FIXED_NODES: usize = 2;

    fn setup(setup: &Setup) -> (Vec<LockProcess>, LocksChecker) {
        let config = config(setup);
        let mut processes: Vec<LockProcess> = (0..config.lock_servers as u32)
            .map(|i| LockProcess::Server(LockServer::new(NodeId(i), config)))
            .collect();
        let checks_tokens = config.fencing && !setup.bug(BUG_NO_FENCING);
        processes.push(LockProcess::Storage(Storage::new(
            config.storage,
            config,
            checks_tokens,
        )));
        let first_client = config.storage.0 + 1;
        processes.extend(
            (0..clients(setup))
                .map(|i| LockProcess::Client(LockClient::new(NodeId(first_client + i), config))),
        );
        (processes, LocksChecker::default())
    }

    /// The running lock server that holds a lease (the lowest such), or none:
    /// crashing a server that holds nothing shows nothing, and a server that
    /// just restarted holds nothing until its recovery wait is over, so the
    /// fault plan's "crash the focus" lets it recover.
    fn focus(nodes: &[LockProcess], up: &[bool]) -> Option<NodeId> {
        nodes
            .iter()
            .zip(up)
            .filter_map(|(node, &up)| node.server().filter(|_| up))
            .find(|server| server.grant().is_some())
            .map(LockServer::id)
    }

    /// The clients run the workload themselves.
    fn planned_request(_index: u64) -> Option<LockOp> {
        None
    }

    /// Stop a client's world for the GC-pause parameter's length (a second if
    /// it is zero), as Kleppmann's story does.
    /// Leases are safe only within their drift bound: a person skews one
    /// node's clock from the page to see it.
    const CLOCKED: bool = true;

    const OPERATIONS: &'static [OperationButton] = &[OperationButton {
        label: "Pause",
        help: "The chosen client stops for the GC pause's length (a second if that is zero), then carries on as if no time had passed",
        at_node: true,
    }];

    fn operation(button: usize, at: NodeId, setup: &Setup, _sent: u64) -> Option<LockOp> {
        let millis = match setup.param(PAUSE) {
            0 => 1_000,
            millis => millis.clamp(1, MAX_PAUSE_MS as i64) as u64,
        };
        (button == 0 && config(setup).is_client(at)).then_some(LockOp::Pause { millis })
    }

    /// Each lease as its client believed in it, in real time: two bars at once
    /// on two client lanes are two holders.
    const ANNOTATED: bool = true;

    fn annotations(simulation: &Simulation<LockProcess, LocksChecker>) -> Annotations {
        let spans = simulation
            .checker()
            .leases()
            .iter()
            .map(|lease| Span {
                node: lease.client,
                from: lease.acquired_at,
                to: lease.ended_at,
                label: match lease.token {
                    Some(token) => format!("lease, token {token}"),
                    None => format!("lease {}", lease.value),
                },
                palette: Palette::Lead,
            })
            .collect();
        Annotations {
            spans,
            marks: Vec::new(),
        }
    }

    /// The clock drift: lock servers fast, clients slow, from the start.
    fn parameter_actions(setup: &Setup) -> Vec<TimedAction> {
        let config = config(setup);
        let drift = config.drift_bound_ppm as i32;
        if drift == 0 {
            return Vec::new();
        }
        let clock = |node: u32, drift_ppm: i32| {
            TimedAction::at_ms(
                0,
                Action::SetClock {
                    node: NodeId(node),
                    offset_us: 0,
                    drift_ppm,
                },
            )
        };
        let first_client = config.storage.0 + 1;
        (0..config.lock_servers as u32)
            .map(|server| clock(server, drift))
            .chain((0..clients(setup)).map(|i| clock(first_client + i, -drift)))
            .collect()
    }
}

#[cfg(test)]
mod tests;
