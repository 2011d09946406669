//! The processes of a quorum run and the configuration they share: the
//! storage servers first (`0..servers`, so the fault plan, which knows only
//! the servers, never crashes a client), then the clients, all on one network
//! so that partitions, loss and delay reach every request and every answer.

use crate::history::Key;
use crate::sim::node::{Cx, Labelled, Node};
use crate::sim::time::{Duration, NodeId};
use crate::sim::view::{Cell, NodeSummary};

use super::client::QuorumClient;
use super::message::{QuorumMessage, QuorumOp, QuorumTimer};
use super::server::QuorumServer;

/// What a read does about the stale replicas it met.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadRepair {
    /// Nothing: stale replicas stay stale until a write reaches them.
    Off,
    /// Dynamo §4.7: after answering, send the newest version to the replicas
    /// that answered with an older one, without waiting.
    Background,
    /// ABD's write-back: before answering, store the newest version at a
    /// write quorum and wait for its acknowledgements.
    WriteBack,
}

/// How a run is set up, as every process sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuorumConfig {
    /// Storage servers, `0..servers`; each key's preference list is all of
    /// them, its `n` home replicas first.
    pub servers: usize,
    /// Replicas per key (N), reads' quorum (R), writes' quorum (W).
    pub n: usize,
    pub r: usize,
    pub w: usize,
    /// Sloppy quorums (Dynamo §4.6): the first N reachable nodes of the
    /// preference list count, fallbacks included. Strict: home replicas only.
    pub sloppy: bool,
    pub read_repair: ReadRepair,
    /// Acknowledgements a write-back waits for: W, or 1 with the
    /// `write-back-to-one` bug.
    pub write_back_acks: usize,
    /// The `count-hints-toward-quorum` bug: a fallback's acknowledgement of a
    /// hinted write counts toward a strict write quorum.
    pub count_hints: bool,
    /// How long a coordinator waits before resending a phase and bringing in
    /// fallbacks for silent home replicas.
    pub resend: Duration,
    /// How long a coordinator tries an operation before it answers "no quorum".
    pub deadline: Duration,
    /// How long a client waits for an answer before it gives up not knowing.
    pub client_timeout: Duration,
    /// How often a server tries to hand its hints back.
    pub handoff_period: Duration,
    /// The mean pause between a client's operations, or `None` for no workload.
    pub think: Option<Duration>,
}

impl QuorumConfig {
    /// Key `key`'s preference list: its `n` home replicas, then the fallbacks,
    /// in ring order from the key's position (keys sit two servers apart).
    pub fn preference_list(&self, key: Key) -> impl Iterator<Item = NodeId> {
        let servers = self.servers.max(1);
        let start = key as usize * 2;
        (0..servers).map(move |i| NodeId(((start + i) % servers) as u32))
    }

    /// Key `key`'s home replicas.
    pub fn homes(&self, key: Key) -> impl Iterator<Item = NodeId> {
        self.preference_list(key).take(self.n)
    }

    pub fn is_home(&self, key: Key, node: NodeId) -> bool {
        self.homes(key).any(|home| home == node)
    }

    pub fn is_server(&self, node: NodeId) -> bool {
        node.index() < self.servers
    }
}

/// A storage server or a client.
#[derive(Clone, Debug)]
pub enum QuorumProcess {
    Server(QuorumServer),
    Client(QuorumClient),
}

impl QuorumProcess {
    pub fn server(&self) -> Option<&QuorumServer> {
        match self {
            QuorumProcess::Server(server) => Some(server),
            QuorumProcess::Client(_) => None,
        }
    }

    pub fn client(&self) -> Option<&QuorumClient> {
        match self {
            QuorumProcess::Client(client) => Some(client),
            QuorumProcess::Server(_) => None,
        }
    }
}

impl Node for QuorumProcess {
    type Msg = QuorumMessage;
    type Timer = QuorumTimer;
    type Op = QuorumOp;

    fn on_start(&mut self, cx: &mut Cx<Self>) {
        match self {
            QuorumProcess::Server(server) => server.on_start(cx),
            QuorumProcess::Client(client) => client.on_start(cx),
        }
    }

    fn on_message(&mut self, from: NodeId, msg: QuorumMessage, cx: &mut Cx<Self>) {
        match self {
            QuorumProcess::Server(server) => server.on_message(from, msg, cx),
            QuorumProcess::Client(client) => client.on_message(from, msg, cx),
        }
    }

    fn on_timer(&mut self, timer: QuorumTimer, cx: &mut Cx<Self>) {
        match self {
            QuorumProcess::Server(server) => server.on_timer(timer, cx),
            QuorumProcess::Client(client) => client.on_timer(timer, cx),
        }
    }

    fn on_operation(&mut self, operation: QuorumOp, cx: &mut Cx<Self>) {
        match self {
            QuorumProcess::Client(client) => client.on_operation(operation, cx),
            QuorumProcess::Server(_) => {
                cx.note(|| format!("is a server: a client must {operation}"))
            }
        }
    }

    fn on_crash(&mut self) {
        match self {
            QuorumProcess::Server(server) => server.on_crash(),
            QuorumProcess::Client(client) => client.on_crash(),
        }
    }

    fn summary(&self) -> NodeSummary {
        match self {
            QuorumProcess::Server(server) => server.summary(),
            QuorumProcess::Client(client) => client.summary(),
        }
    }

    fn is_client(&self) -> bool {
        matches!(self, QuorumProcess::Client(_))
    }

    fn state_row(&self) -> Vec<Cell> {
        match self {
            QuorumProcess::Server(server) => server.state_row(),
            QuorumProcess::Client(client) => client.state_row(),
        }
    }
}

/// Notes that `what` came to a process that takes no such thing.
pub fn ignore<T: Labelled>(what: &T, cx: &mut Cx<QuorumProcess>) {
    cx.note(|| format!("ignores {}: not for this process", what.kind()));
}
