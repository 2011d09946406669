//! The processes of an API-versioning run and the configuration they share:
//! the server (node 0), then the clients.

use crate::sim::node::{Cx, Node};
use crate::sim::time::{Duration, NodeId};
use crate::sim::view::{Cell, NodeSummary};

use super::client::Client;
use super::message::{ApiMessage, ApiOp, ApiTimer};
use super::server::Server;

/// The server's id.
pub const SERVER: NodeId = NodeId(0);

/// How a run is set up, as every process sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ApiConfig {
    pub clients: u32,
    /// 0: the three pinnings in turn; 1 to 3: every client uses that one.
    pub pinning: u32,
    /// Of every ten clients, this many read strictly.
    pub strict_per_ten: u32,
    /// Of every ten clients, this many never migrate on their own.
    pub laggards_per_ten: u32,
    /// Requests a second per client.
    pub rate: u32,
    /// Time between releases (zero: only by the button or a preset).
    pub release_every: Duration,
    /// Time from a deprecation to the sunset.
    pub notice: Duration,
    /// Bug `breaking-change-in-minor-version`.
    pub breaking_in_minor: bool,
}

impl ApiConfig {
    /// Index into `Pinning::ALL` of client `index`.
    pub fn pinning_of(&self, index: u32) -> usize {
        match self.pinning {
            1..=3 => self.pinning as usize - 1,
            _ => index as usize % 3,
        }
    }

    /// Spreads the strict readers over the clients: client `index` is strict
    /// when the running count of strict ones steps up at it.
    pub fn is_strict(&self, index: u32) -> bool {
        spread(index, self.strict_per_ten)
    }

    /// Spreads the laggards the same way, from the other end, so a laggard is
    /// not always also strict.
    pub fn is_laggard(&self, index: u32) -> bool {
        spread(
            self.clients.saturating_sub(1 + index),
            self.laggards_per_ten,
        )
    }

    /// The mean time between a client's requests.
    pub fn mean_gap(&self) -> Option<Duration> {
        (self.rate > 0).then(|| Duration(1_000_000 / self.rate as u64))
    }
}

/// Whether item `index` is among `per_ten` of every ten, evenly spread.
fn spread(index: u32, per_ten: u32) -> bool {
    let per_ten = per_ten.min(10);
    (index + 1) * per_ten / 10 > index * per_ten / 10
}

/// One process of a run.
#[derive(Clone, Debug)]
pub enum ApiProcess {
    Server(Server),
    Client(Client),
}

impl ApiProcess {
    pub fn server(&self) -> Option<&Server> {
        match self {
            ApiProcess::Server(server) => Some(server),
            ApiProcess::Client(_) => None,
        }
    }

    pub fn client(&self) -> Option<&Client> {
        match self {
            ApiProcess::Client(client) => Some(client),
            ApiProcess::Server(_) => None,
        }
    }
}

impl Node for ApiProcess {
    type Msg = ApiMessage;
    type Timer = ApiTimer;
    type Op = ApiOp;

    fn on_start(&mut self, cx: &mut Cx<Self>) {
        match self {
            ApiProcess::Server(server) => server.on_start(cx),
            ApiProcess::Client(client) => client.on_start(cx),
        }
    }

    fn on_message(&mut self, from: NodeId, msg: ApiMessage, cx: &mut Cx<Self>) {
        match self {
            ApiProcess::Server(server) => server.on_message(from, msg, cx),
            ApiProcess::Client(client) => client.on_message(from, msg, cx),
        }
    }

    fn on_timer(&mut self, timer: ApiTimer, cx: &mut Cx<Self>) {
        match self {
            ApiProcess::Server(server) => server.on_timer(timer, cx),
            ApiProcess::Client(client) => client.on_timer(timer, cx),
        }
    }

    fn on_operation(&mut self, operation: ApiOp, cx: &mut Cx<Self>) {
        match (self, operation) {
            (ApiProcess::Server(server), ApiOp::Release) => server.release(cx),
            (ApiProcess::Client(client), operation) => client.on_operation(operation, cx),
            (ApiProcess::Server(_), ApiOp::Upgrade) => {
                cx.note(|| "the server has nothing to upgrade to".to_string())
            }
        }
    }

    fn on_crash(&mut self) {
        match self {
            // Releases are deployed code: a restart keeps them.
            ApiProcess::Server(_) => {}
            ApiProcess::Client(client) => client.on_crash(),
        }
    }

    fn summary(&self) -> NodeSummary {
        match self {
            ApiProcess::Server(server) => server.summary(),
            ApiProcess::Client(client) => client.summary(),
        }
    }

    fn is_client(&self) -> bool {
        matches!(self, ApiProcess::Client(_))
    }

    fn state_row(&self) -> Vec<Cell> {
        match self {
            ApiProcess::Server(server) => server.state_row(),
            ApiProcess::Client(client) => client.state_row(),
        }
    }
}
