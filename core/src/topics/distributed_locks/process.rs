//! The processes of a distributed-locks run and what they share: lock servers
//! first (one, or Redlock's five), then the storage, then the clients, all on
//! one network, so loss and delay reach every conversation. The fault plan,
//! which knows only the first processes, never crashes a client.

use crate::sim::node::{Cx, Labelled, Node};
use crate::sim::time::{Duration, NodeId};
use crate::sim::view::{Cell, NodeSummary};

use super::client::LockClient;
use super::message::{LockMessage, LockOp, LockTimer};
use super::server::LockServer;
use super::storage::Storage;

/// How a run is set up, as every process sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LockConfig {
    /// Lock servers `0..lock_servers`: one, or Redlock's five.
    pub lock_servers: usize,
    /// The storage's id; clients follow it.
    pub storage: NodeId,
    /// The lease every client asks for (Redlock's TTL).
    pub ttl: Duration,
    /// The clock drift the service is configured to tolerate, in parts per
    /// million (lock servers may run this much fast and clients this much slow).
    pub drift_bound_ppm: u64,
    /// The length of a client's random stop-the-world pause (zero: none).
    pub pause: Duration,
    /// Single-server mode: grants carry fencing tokens.
    pub fencing: bool,
    /// The `redlock-drift` bug: clients leave the drift allowance out of the
    /// validity time.
    pub ignore_drift: bool,
}

impl LockConfig {
    /// Grants a client needs: a majority of the lock servers (Redlock step 3;
    /// one of one in single-server mode).
    pub fn majority(&self) -> usize {
        self.lock_servers / 2 + 1
    }

    pub fn is_lock_server(&self, node: NodeId) -> bool {
        node.index() < self.lock_servers
    }

    pub fn is_client(&self, node: NodeId) -> bool {
        node.0 > self.storage.0
    }

    /// How much shorter than its lease a client must consider itself the
    /// holder: twice the drift bound over the lease (a server running fast and
    /// a client running slow each eat into it), plus 2 ms, as the Redlock
    /// reference implementation adds for the servers' expiry precision
    /// (`drift = ttl * CLOCK_DRIFT_FACTOR + 2`).
    pub fn drift_allowance(&self) -> Duration {
        let drift = self.ttl.as_micros() * 2 * self.drift_bound_ppm / 1_000_000;
        Duration(drift + 2_000)
    }

    /// The allowance clients subtract: none with the `redlock-drift` bug.
    pub fn client_allowance(&self) -> Duration {
        if self.ignore_drift {
            Duration::ZERO
        } else {
            self.drift_allowance()
        }
    }

    /// How long a restarted lock server refuses every lock: a lease it granted
    /// just before the crash, with the allowance for clocks on top.
    pub fn recovery_wait(&self) -> Duration {
        Duration(self.ttl.as_micros() + self.drift_allowance().as_micros())
    }

    /// How long a client waits for the lock servers' answers before it counts
    /// what it has (Redlock step 2 wants this small next to the TTL).
    pub fn acquire_wait(&self) -> Duration {
        Duration(self.ttl.as_micros() / 4)
    }
}

/// A lock server, the storage, or a client.
#[derive(Clone, Debug)]
pub enum LockProcess {
    Server(LockServer),
    Storage(Storage),
    Client(LockClient),
}

impl LockProcess {
    pub fn server(&self) -> Option<&LockServer> {
        match self {
            LockProcess::Server(server) => Some(server),
            _ => None,
        }
    }

    pub fn storage(&self) -> Option<&Storage> {
        match self {
            LockProcess::Storage(storage) => Some(storage),
            _ => None,
        }
    }

    pub fn client(&self) -> Option<&LockClient> {
        match self {
            LockProcess::Client(client) => Some(client),
            _ => None,
        }
    }
}

impl Node for LockProcess {
    type Msg = LockMessage;
    type Timer = LockTimer;
    type Op = LockOp;

    fn on_start(&mut self, cx: &mut Cx<Self>) {
        match self {
            LockProcess::Server(server) => server.on_start(cx),
            LockProcess::Storage(_) => {}
            LockProcess::Client(client) => client.on_start(cx),
        }
    }

    fn on_message(&mut self, from: NodeId, msg: LockMessage, cx: &mut Cx<Self>) {
        match self {
            LockProcess::Server(server) => server.on_message(from, msg, cx),
            LockProcess::Storage(storage) => storage.on_message(from, msg, cx),
            LockProcess::Client(client) => client.on_message(from, msg, cx),
        }
    }

    fn on_timer(&mut self, timer: LockTimer, cx: &mut Cx<Self>) {
        match self {
            LockProcess::Server(server) => server.on_timer(timer, cx),
            LockProcess::Storage(_) => {
                cx.note(|| format!("the storage has no {} timer", timer.kind()))
            }
            LockProcess::Client(client) => client.on_timer(timer, cx),
        }
    }

    fn on_operation(&mut self, operation: LockOp, cx: &mut Cx<Self>) {
        match (self, operation) {
            (LockProcess::Client(client), LockOp::Pause { millis }) => {
                client.pause(Duration::from_millis(millis), cx)
            }
            (_, LockOp::Pause { .. }) => {
                cx.note(|| "only clients pause here: address the pause to a client".to_string())
            }
        }
    }

    fn on_crash(&mut self) {
        match self {
            LockProcess::Server(server) => server.on_crash(),
            LockProcess::Storage(storage) => storage.on_crash(),
            LockProcess::Client(client) => client.on_crash(),
        }
    }

    fn summary(&self) -> NodeSummary {
        match self {
            LockProcess::Server(server) => server.summary(),
            LockProcess::Storage(storage) => storage.summary(),
            LockProcess::Client(client) => client.summary(),
        }
    }

    fn is_client(&self) -> bool {
        matches!(self, LockProcess::Client(_))
    }

    fn state_row(&self) -> Vec<Cell> {
        match self {
            LockProcess::Server(server) => server.state_row(),
            LockProcess::Storage(storage) => storage.state_row(),
            LockProcess::Client(client) => client.state_row(),
        }
    }
}
