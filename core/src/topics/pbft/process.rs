//! The processes of a PBFT run: replicas first (`0..n`), then the clients, on
//! one network. A replica's traitor behaviour is set by an operation and is
//! checked here, before any handler: a silent traitor hears and says nothing.

use crate::sim::node::{Cx, Labelled, Node};
use crate::sim::time::NodeId;
use crate::sim::view::{Cell, NodeSummary, Palette};

use super::client::Client;
use super::message::{Behaviour, PbftMessage, PbftOp, PbftTimer, View};
use super::replica::Replica;

/// How a run is set up, as every process sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PbftConfig {
    /// The faults tolerated.
    pub f: usize,
    /// Replicas `0..replicas`: 3f+1, or 3f.
    pub replicas: usize,
    pub clients: usize,
    /// Matching messages that make a certificate: 2f+1 (with n = 3f+1), or 2f
    /// (with n = 3f, where 2f+1 would be every replica, or with the
    /// `quorum-2f` bug).
    pub quorum: usize,
}

impl PbftConfig {
    /// The primary of view `view`: `v mod n` (section 4).
    pub fn primary(&self, view: View) -> NodeId {
        NodeId((view % self.replicas.max(1) as u64) as u32)
    }

    pub fn is_replica(&self, node: NodeId) -> bool {
        node.index() < self.replicas
    }

    pub fn is_client(&self, node: NodeId) -> bool {
        node.index() >= self.replicas && node.index() < self.replicas + self.clients
    }
}

/// A replica or a client. Replicas outnumber clients, so the enum keeps them
/// inline rather than boxed.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum PbftProcess {
    Replica(Replica),
    Client(Client),
}

impl PbftProcess {
    pub fn replica(&self) -> Option<&Replica> {
        match self {
            PbftProcess::Replica(replica) => Some(replica),
            PbftProcess::Client(_) => None,
        }
    }

    pub fn client(&self) -> Option<&Client> {
        match self {
            PbftProcess::Client(client) => Some(client),
            PbftProcess::Replica(_) => None,
        }
    }
}

impl Node for PbftProcess {
    type Msg = PbftMessage;
    type Timer = PbftTimer;
    type Op = PbftOp;

    fn on_start(&mut self, cx: &mut Cx<Self>) {
        match self {
            PbftProcess::Replica(replica) => replica.on_start(cx),
            PbftProcess::Client(client) => client.on_start(cx),
        }
    }

    fn on_message(&mut self, from: NodeId, msg: PbftMessage, cx: &mut Cx<Self>) {
        let replica = match self {
            PbftProcess::Client(client) => {
                if let PbftMessage::Reply {
                    view,
                    timestamp,
                    result,
                } = msg
                {
                    client.on_reply(from, view, timestamp, result, cx);
                }
                return;
            }
            PbftProcess::Replica(replica) => replica,
        };
        if replica.is(Behaviour::Silent) {
            cx.note(|| "a silent traitor ignores everything".to_string());
            return;
        }
        let from_replica = replica.config.is_replica(from);
        match msg {
            PbftMessage::Request(request) => replica.on_request(from, request, cx),
            _ if !from_replica => {
                cx.note(|| format!("{} from {from}, not a replica: dropped", msg.kind()))
            }
            PbftMessage::PrePrepare {
                view,
                seq,
                proposal,
            } => replica.on_pre_prepare(from, view, seq, proposal, cx),
            PbftMessage::Prepare { view, seq, digest } => {
                replica.on_prepare(from, view, seq, digest, cx)
            }
            PbftMessage::Commit { view, seq, digest } => {
                replica.on_commit(from, view, seq, digest, cx)
            }
            PbftMessage::Checkpoint { seq, state } => replica.on_checkpoint(from, seq, state, cx),
            PbftMessage::ViewChange { view, vote } => replica.on_view_change(from, view, vote, cx),
            PbftMessage::NewView {
                view,
                votes,
                pre_prepares,
            } => replica.on_new_view(from, view, votes, pre_prepares, cx),
            PbftMessage::Reply { .. } => cx.note(|| "a replica takes no replies".to_string()),
        }
    }

    fn on_timer(&mut self, timer: PbftTimer, cx: &mut Cx<Self>) {
        match (self, timer) {
            (PbftProcess::Replica(replica), PbftTimer::Progress { view }) => {
                if !replica.is(Behaviour::Silent) {
                    replica.on_progress_timer(view, cx);
                }
            }
            (PbftProcess::Client(client), timer) => client.on_timer(timer, cx),
            (PbftProcess::Replica(_), _) => {}
        }
    }

    fn on_operation(&mut self, operation: PbftOp, cx: &mut Cx<Self>) {
        match (self, operation) {
            (PbftProcess::Replica(replica), PbftOp::Traitor(behaviour)) => {
                replica.traitor = Some(behaviour);
                cx.note(|| format!("{} turns {}", replica.id, behaviour.as_str()));
            }
            (PbftProcess::Client(client), PbftOp::Traitor(Behaviour::Silent)) => {
                client.silent = true;
                cx.note(|| format!("{} falls silent: no more requests", client.id));
            }
            (PbftProcess::Client(_), PbftOp::Traitor(behaviour)) => cx.note(|| {
                format!(
                    "only replicas turn {} here: a client can only fall silent",
                    behaviour.as_str()
                )
            }),
        }
    }

    /// A forced timeout: the replica starts a view change now.
    fn on_timeout_now(&mut self, cx: &mut Cx<Self>) {
        if let PbftProcess::Replica(replica) = self {
            let next = replica.view + 1;
            replica.start_view_change(next, cx);
        }
    }

    fn on_crash(&mut self) {
        if let PbftProcess::Replica(replica) = self {
            replica.on_crash();
        }
    }

    fn summary(&self) -> NodeSummary {
        match self {
            PbftProcess::Replica(replica) => replica.summary(),
            PbftProcess::Client(client) => client.summary(),
        }
    }

    fn is_client(&self) -> bool {
        matches!(self, PbftProcess::Client(_))
    }

    fn state_row(&self) -> Vec<Cell> {
        match self {
            PbftProcess::Replica(replica) => replica.state_row(),
            PbftProcess::Client(client) => client.state_row(),
        }
    }
}

impl Replica {
    pub fn role(&self) -> &'static str {
        match self.traitor {
            Some(behaviour) => behaviour.as_str(),
            None if self.changing => "view change",
            None if self.is_primary() => "primary",
            None => "backup",
        }
    }

    pub fn summary(&self) -> NodeSummary {
        let palette = match self.traitor {
            Some(_) => Palette::Faulty,
            None if self.changing => Palette::Contend,
            None if self.is_primary() => Palette::Lead,
            None => Palette::Plain,
        };
        NodeSummary {
            role: self.role(),
            palette,
            badge: format!("v{}", self.view),
            detail: format!(
                "replica {}: {} in view {}, executed up to n{}, stable checkpoint n{}",
                self.id,
                self.role(),
                self.view,
                self.last_executed,
                self.stable
            ),
        }
    }

    pub fn state_row(&self) -> Vec<Cell> {
        let changing = if self.changing { " (changing)" } else { "" };
        vec![
            Cell::Text(format!("{}{changing}", self.view)),
            Cell::Text(format!("n{}", self.last_executed)),
            Cell::Text(format!("n{}", self.stable)),
            Cell::Text(format!("requests: {}", self.pending.len())),
        ]
    }
}
