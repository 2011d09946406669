//! The processes of a multi-tenancy run and the run's configuration: the
//! servers first (one, or one per cell), then one process per tenant, all on
//! one network. The fault plan knows the first three processes (the server
//! and the first two tenants, or two cells and the noisy tenant).

use crate::sim::node::{Cx, Node};
use crate::sim::time::{Duration, NodeId};
use crate::sim::view::{Cell, NodeSummary};

use super::message::{Discipline, Isolation, TenancyMessage, TenancyOp, TenancyTimer, TenantId};
use super::server::Server;
use super::tenant::Tenant;

/// The most tenants.
pub const MAX_TENANTS: usize = 8;

/// Quotas are counted per window of this length, aligned at multiples of it
/// on the server's clock.
pub const QUOTA_WINDOW: Duration = Duration::from_millis(1_000);

/// Everything a run's processes and checker need to know, from its
/// parameters and bug.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TenancyConfig {
    pub isolation: Isolation,
    /// Among a pool's queues (per-tenant queues and cells).
    pub discipline: Discipline,
    pub tenants: u8,
    /// Each tenant's weight (1 to 8), by tenant number.
    pub weights: [u8; MAX_TENANTS],
    /// Workers in all (per-tenant pools give each tenant at least one).
    pub workers: u32,
    pub cells: u8,
    /// Mean service time of one work unit.
    pub unit: Duration,
    /// Each tenant's usual rate, requests a second.
    pub rate: u32,
    /// The noisy tenant's rate is multiplied by this.
    pub noise: u32,
    pub noisy_at_start: bool,
    /// Requests per quota window per unit of weight (0: no quota).
    pub quota: u32,
    /// Token bucket rate per unit of weight, a second (0: no rate limit).
    pub rate_limit: u32,
    /// The most requests one queue may hold.
    pub queue_limit: u32,
    /// DRR's base quantum, in work units.
    pub quantum: u32,
    /// The bug: the quota is checked against the requests started in the
    /// window, not those admitted.
    pub quota_counts_started: bool,
}

impl TenancyConfig {
    pub fn servers(&self) -> usize {
        match self.isolation {
            Isolation::Cells => usize::from(self.cells.max(1)),
            _ => 1,
        }
    }

    pub fn tenant_ids(&self) -> impl Iterator<Item = TenantId> {
        (0..self.tenants).map(TenantId)
    }

    pub fn weight(&self, tenant: TenantId) -> u32 {
        u32::from(
            self.weights
                .get(tenant.index())
                .copied()
                .unwrap_or(1)
                .max(1),
        )
    }

    /// The cell (server number) a tenant is mapped to: round robin, so the
    /// noisy tenant 0 shares cell 0 with tenants `cells`, `2·cells`, ...
    pub fn cell_of(&self, tenant: TenantId) -> usize {
        tenant.index() % self.servers()
    }

    pub fn server_of(&self, tenant: TenantId) -> NodeId {
        NodeId(self.cell_of(tenant) as u32)
    }

    pub fn tenant_node(&self, tenant: TenantId) -> NodeId {
        NodeId((self.servers() + tenant.index()) as u32)
    }

    /// The tenant whose process is `node`, if it is one.
    pub fn tenant_at(&self, node: NodeId) -> Option<TenantId> {
        let index = node.index().checked_sub(self.servers())?;
        (index < usize::from(self.tenants)).then_some(TenantId(index as u8))
    }

    /// The tenants of server `cell`, with their weights.
    pub fn tenants_of(&self, cell: usize) -> Vec<(TenantId, u32)> {
        self.tenant_ids()
            .filter(|&tenant| self.cell_of(tenant) == cell)
            .map(|tenant| (tenant, self.weight(tenant)))
            .collect()
    }

    /// A tenant's quota per window, if quotas are on.
    pub fn quota_of(&self, tenant: TenantId) -> Option<u32> {
        (self.quota > 0).then(|| self.quota * self.weight(tenant))
    }
}

#[derive(Clone, Debug)]
pub enum TenancyProcess {
    Server(Box<Server>),
    Tenant(Box<Tenant>),
}

impl TenancyProcess {
    pub fn server(&self) -> Option<&Server> {
        match self {
            TenancyProcess::Server(server) => Some(server),
            _ => None,
        }
    }

    pub fn tenant(&self) -> Option<&Tenant> {
        match self {
            TenancyProcess::Tenant(tenant) => Some(tenant),
            _ => None,
        }
    }
}

impl Node for TenancyProcess {
    type Msg = TenancyMessage;
    type Timer = TenancyTimer;
    type Op = TenancyOp;

    fn on_start(&mut self, cx: &mut Cx<Self>) {
        match self {
            TenancyProcess::Server(_) => {}
            TenancyProcess::Tenant(tenant) => tenant.on_start(cx),
        }
    }

    fn on_message(&mut self, from: NodeId, msg: TenancyMessage, cx: &mut Cx<Self>) {
        match self {
            TenancyProcess::Server(server) => server.on_message(from, msg, cx),
            TenancyProcess::Tenant(tenant) => tenant.on_message(msg, cx),
        }
    }

    fn on_timer(&mut self, timer: TenancyTimer, cx: &mut Cx<Self>) {
        match self {
            TenancyProcess::Server(server) => server.on_timer(timer, cx),
            TenancyProcess::Tenant(tenant) => tenant.on_timer(timer, cx),
        }
    }

    fn on_operation(&mut self, operation: TenancyOp, cx: &mut Cx<Self>) {
        match self {
            TenancyProcess::Tenant(tenant) => tenant.on_operation(operation, cx),
            TenancyProcess::Server(_) => cx.note(|| format!("only a tenant takes \"{operation}\"")),
        }
    }

    fn on_crash(&mut self) {
        match self {
            TenancyProcess::Server(server) => server.on_crash(),
            TenancyProcess::Tenant(tenant) => tenant.on_crash(),
        }
    }

    fn summary(&self) -> NodeSummary {
        match self {
            TenancyProcess::Server(server) => server.summary(),
            TenancyProcess::Tenant(tenant) => tenant.summary(),
        }
    }

    fn is_client(&self) -> bool {
        matches!(self, TenancyProcess::Tenant(_))
    }

    fn state_row(&self) -> Vec<Cell> {
        match self {
            TenancyProcess::Server(server) => server.state_row(),
            TenancyProcess::Tenant(tenant) => tenant.state_row(),
        }
    }
}
