//! The processes of a service discovery run and what they share: the registry
//! replicas first, then the service instances, then (on the server side) the
//! load balancer, then the clients, all on one network, so loss, duplication,
//! delay and partitions reach heartbeats, lookups and requests alike.

use crate::sim::node::{Cx, Labelled, Node};
use crate::sim::time::{Duration, NodeId};
use crate::sim::view::{Cell, NodeSummary};

use super::client::ServiceClient;
use super::instance::ServiceInstance;
use super::load_balancer::LoadBalancer;
use super::message::{DiscoveryMessage, DiscoveryOp, DiscoveryTimer, Policy};
use super::registry::RegistryReplica;

/// How a run is set up, as every process sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DiscoveryConfig {
    /// Registry replicas (1 or 3): nodes `0..replicas`.
    pub replicas: u32,
    /// Service instances: the next `instances` nodes.
    pub instances: u32,
    pub clients: u32,
    /// Whether a load-balancer node picks the instance (else each client does).
    pub server_side: bool,
    /// The policy of every client, or `None` for one policy per client in
    /// turn (round robin, least outstanding, two choices), to compare them.
    pub policy: Option<Policy>,
    /// How long a heartbeat's lease lasts.
    pub ttl: Duration,
    pub heartbeat: Duration,
    /// How often clients and the balancer fetch the endpoint list.
    pub refresh: Duration,
    /// How long a lookup may take before it is sent to another replica.
    pub lookup_timeout: Duration,
    /// How long a client waits for a reply before it counts the request failed.
    pub request_timeout: Duration,
    /// The mean time between a client's requests, or `None` for no workload.
    pub request_gap: Option<Duration>,
    /// Bug: replicas list registered instances whatever their lease says.
    pub lease_never_expires: bool,
    /// Bug: clients and the balancer fetch the list once and keep it forever.
    pub cache_never_refreshes: bool,
    /// Bug: a replica acknowledges a write once it has applied it itself.
    pub ack_before_majority: bool,
}

impl DiscoveryConfig {
    pub fn majority(&self) -> usize {
        self.replicas as usize / 2 + 1
    }

    pub fn is_replica(&self, node: NodeId) -> bool {
        node.0 < self.replicas
    }

    pub fn is_instance(&self, node: NodeId) -> bool {
        node.0 >= self.replicas && node.0 < self.replicas + self.instances
    }

    /// The instances, in order.
    pub fn instance_ids(&self) -> impl Iterator<Item = NodeId> {
        (self.replicas..self.replicas + self.instances).map(NodeId)
    }

    /// The load balancer's id, on the server side.
    pub fn load_balancer(&self) -> Option<NodeId> {
        self.server_side
            .then_some(NodeId(self.replicas + self.instances))
    }

    pub fn first_client(&self) -> u32 {
        self.replicas + self.instances + u32::from(self.server_side)
    }

    pub fn is_client(&self, node: NodeId) -> bool {
        node.0 >= self.first_client() && node.0 < self.first_client() + self.clients
    }

    /// The policy the requests of `client` are balanced with.
    pub fn policy_of(&self, client: NodeId) -> Policy {
        self.policy.unwrap_or_else(|| {
            let k = client.0.saturating_sub(self.first_client()) as usize;
            Policy::ALL[k % Policy::ALL.len()]
        })
    }

    /// The oldest endpoint list a client or the balancer still uses: one
    /// refresh interval plus one lookup timeout after it asked for it.
    pub fn max_cache_age(&self) -> Duration {
        Duration(self.refresh.as_micros() + self.lookup_timeout.as_micros())
    }

    /// The mean service time of `instance`, in milliseconds: instances differ
    /// (8, 12 and 16 ms in turn), so balancing policies differ visibly.
    pub fn service_ms(&self, instance: NodeId) -> u64 {
        8 + 4 * (instance.0.saturating_sub(self.replicas) as u64 % 3)
    }
}

/// A registry replica, a service instance, the load balancer or a client.
#[derive(Clone, Debug)]
pub enum DiscoveryProcess {
    Registry(RegistryReplica),
    Instance(ServiceInstance),
    Balancer(LoadBalancer),
    Client(ServiceClient),
}

impl DiscoveryProcess {
    pub fn registry(&self) -> Option<&RegistryReplica> {
        match self {
            DiscoveryProcess::Registry(replica) => Some(replica),
            _ => None,
        }
    }

    pub fn instance(&self) -> Option<&ServiceInstance> {
        match self {
            DiscoveryProcess::Instance(instance) => Some(instance),
            _ => None,
        }
    }

    pub fn balancer(&self) -> Option<&LoadBalancer> {
        match self {
            DiscoveryProcess::Balancer(balancer) => Some(balancer),
            _ => None,
        }
    }

    pub fn client(&self) -> Option<&ServiceClient> {
        match self {
            DiscoveryProcess::Client(client) => Some(client),
            _ => None,
        }
    }
}

impl Node for DiscoveryProcess {
    type Msg = DiscoveryMessage;
    type Timer = DiscoveryTimer;
    type Op = DiscoveryOp;

    fn on_start(&mut self, cx: &mut Cx<Self>) {
        match self {
            DiscoveryProcess::Registry(replica) => replica.on_start(cx),
            DiscoveryProcess::Instance(instance) => instance.on_start(cx),
            DiscoveryProcess::Balancer(balancer) => balancer.on_start(cx),
            DiscoveryProcess::Client(client) => client.on_start(cx),
        }
    }

    fn on_message(&mut self, from: NodeId, msg: DiscoveryMessage, cx: &mut Cx<Self>) {
        match self {
            DiscoveryProcess::Registry(replica) => replica.on_message(from, msg, cx),
            DiscoveryProcess::Instance(instance) => instance.on_message(from, msg, cx),
            DiscoveryProcess::Balancer(balancer) => balancer.on_message(from, msg, cx),
            DiscoveryProcess::Client(client) => client.on_message(from, msg, cx),
        }
    }

    fn on_timer(&mut self, timer: DiscoveryTimer, cx: &mut Cx<Self>) {
        match self {
            DiscoveryProcess::Registry(_) => ignore(&timer, cx),
            DiscoveryProcess::Instance(instance) => instance.on_timer(timer, cx),
            DiscoveryProcess::Balancer(balancer) => balancer.on_timer(timer, cx),
            DiscoveryProcess::Client(client) => client.on_timer(timer, cx),
        }
    }

    fn on_operation(&mut self, operation: DiscoveryOp, cx: &mut Cx<Self>) {
        match (self, operation) {
            (DiscoveryProcess::Client(client), DiscoveryOp::Request) => client.request(cx),
            (DiscoveryProcess::Instance(instance), DiscoveryOp::ToggleService) => {
                instance.toggle_service(cx)
            }
            (DiscoveryProcess::Instance(instance), DiscoveryOp::ToggleSlow) => {
                instance.toggle_slow(cx)
            }
            (_, operation) => cx.note(|| format!("cannot {operation}: not for this process")),
        }
    }

    fn on_crash(&mut self) {
        match self {
            DiscoveryProcess::Registry(replica) => replica.on_crash(),
            DiscoveryProcess::Instance(instance) => instance.on_crash(),
            DiscoveryProcess::Balancer(balancer) => balancer.on_crash(),
            DiscoveryProcess::Client(client) => client.on_crash(),
        }
    }

    fn summary(&self) -> NodeSummary {
        match self {
            DiscoveryProcess::Registry(replica) => replica.summary(),
            DiscoveryProcess::Instance(instance) => instance.summary(),
            DiscoveryProcess::Balancer(balancer) => balancer.summary(),
            DiscoveryProcess::Client(client) => client.summary(),
        }
    }

    fn is_client(&self) -> bool {
        matches!(self, DiscoveryProcess::Client(_))
    }

    fn state_row(&self) -> Vec<Cell> {
        match self {
            DiscoveryProcess::Registry(replica) => replica.state_row(),
            DiscoveryProcess::Instance(instance) => instance.state_row(),
            DiscoveryProcess::Balancer(balancer) => balancer.state_row(),
            DiscoveryProcess::Client(client) => client.state_row(),
        }
    }
}

/// Notes that `what` came to a process that takes no such thing.
pub fn ignore<T: Labelled>(what: &T, cx: &mut Cx<DiscoveryProcess>) {
    cx.note(|| format!("ignores {}: not for this process", what.kind()));
}
