//! Multi-tenancy: tenants sharing one service, a noisy neighbour, and what
//! keeps the others' latency where it was: isolation, fair scheduling,
//! quotas and rate limits.
//!
//! **Problem.** A platform serves many tenants from the same workers. When
//! one tenant's traffic jumps (a batch job, a retry storm, a customer's own
//! success), everyone who shares a queue or a worker with it waits behind its
//! requests: the noisy neighbour. The platform wants each tenant to get its
//! share of the capacity (by weight, as it pays) whatever the others send, and
//! a tenant's excess to hurt only itself.
//!
//! **The idea.** Separate what can be separated and schedule fairly what
//! cannot. Isolation models, from least to most separate: a *shared pool* (one
//! FIFO queue, one pool: whoever sends most waits least unfairly in front of
//! everyone), *per-tenant queues* (one pool; a scheduler picks the queue a
//! free worker serves next), *per-tenant pools* (workers partitioned by
//! weight: perfect isolation, but idle workers of a quiet tenant cannot help a
//! busy one) and *cells* (AWS's cell-based architecture, in the Well-Architected
//! "Reducing the scope of impact with cell-based architecture" paper and the
//! Builders' Library's shuffle-sharding article: tenants are mapped to cells,
//! each cell a complete copy of the service with its own pool, so a noisy
//! tenant, or a crash, only hurts its cell).
//!
//! **The papers.** Demers, Keshav & Shenker, "Analysis and Simulation of a
//! Fair Queueing Algorithm" (SIGCOMM 1989): emulate bit-by-bit round robin by
//! stamping each packet with the virtual time at which it would finish there,
//! `F = max(V, F_prev) + size / weight` (section 2.2), and send the smallest
//! stamp first: weighted fair queuing (WFQ), max-min fair, with `O(log n)`
//! work per packet. Shreedhar & Varghese, "Efficient Fair Queuing Using
//! Deficit Round Robin" (SIGCOMM 1995): the same fairness within a bounded
//! error for `O(1)` work: queues take turns, each turn adds a quantum to the
//! queue's deficit counter, which the queue spends on the sizes of the
//! requests it sends (section 3, Figure 3); the deficit counter stays below
//! the largest request between turns (section 4's lemma), which is what
//! bounds the unfairness. Jain, Chiu & Hawe, "A Quantitative Measure of
//! Fairness and Discrimination for Resource Allocation in Shared Computer
//! Systems" (DEC-TR-301, 1984): the fairness index `J = (Σx)² / (n·Σx²)` of
//! allocations `x_i`, 1 when all are equal, `1/n` when one gets everything.
//!
//! **The model** ([`server`], [`scheduler`], [`tenant`]). Three to eight
//! tenants ([`tenant`]) send open-loop Poisson requests
//! ([`crate::traffic::clients`]) of 1 to 4 work units each; a request holds
//! a worker for a log-normal service time of median `size × unit-ms` and σ =
//! 0.25 ([`crate::traffic::distribution`]). Tenant 0 can turn noisy: its rate is
//! multiplied by `noise` (the Noisy neighbour buttons, or from the start). The
//! server ([`server`]), or one server per cell, admits each request through
//! the tenant's token bucket ([`crate::ratelimit::TokenBucket`], `rate-limit
//! × weight` a second), then its quota (`quota × weight` admitted per
//! 1-second window), then room in its queue (`queue-limit` per queue), and
//! answers 429 or 503 otherwise; admitted requests wait in the pool's
//! [`scheduler::Scheduler`] (FIFO, WFQ or DRR) until a worker takes them.
//! Each tenant measures, second by second of its clock, its served and
//! refused requests and a DDSketch ([`crate::traffic::sketch`]) of latencies;
//! the page plots p99 and throughput per tenant and Jain's index over the
//! normalised throughputs `served / weight`.
//!
//! **Invariants** ([`checker`]): `quota-respected` (per tenant per window,
//! admitted ≤ quota × weight), `drr-deficit-bounded` (DRR's deficit counters
//! within the lemma's bound) and `work-conserving` (no free worker beside a
//! waiting request).
//!
//! **Bug**: `quota-checked-after-enqueue`: the quota is compared with the
//! requests the tenant had *started* in the window (dequeued by a worker)
//! instead of those admitted, so requests still waiting are invisible to it:
//! a burst that arrives while the workers are busy is admitted whole, past
//! the quota. Runs with quotas on (20 per unit of weight if the parameter is
//! 0).
//!
//! **Where the model takes liberties.** WFQ's virtual time is the finish
//! stamp of the request that last started (self-clocked fair queuing,
//! Golestani 1994), not a simulation of bit-by-bit round robin. Requests are
//! not preempted, and several workers serve one set of queues (the papers
//! schedule one link). A server's token buckets and quota counters survive
//! its crash (they stand for a store that does; a quota forgotten on every
//! restart is no quota), its queues and work in progress do not. Quota
//! windows are aligned on the server's clock, which is never skewed here.
//! Tenants keep their workload and measures across a crash and never retry;
//! an answer lost on the network is a request the tenant never hears of.
//! Jain's index measures equality: with quiet tenants that want less than
//! their share, max-min fairness gives unequal throughputs and `J < 1` by
//! design; it is near 1 when every tenant is backlogged.
//!
//! **Left out**: shuffle sharding proper (each tenant on a random pair of
//! workers or cells), autoscaling, priorities, preemption, per-tenant
//! concurrency limits, retries and their backoff (the circuit breaker and
//! backpressure topics), and exhaustive exploration.

pub mod checker;
pub mod message;
pub mod presets;
pub mod process;
pub mod scheduler;
pub mod server;
pub mod tenant;

use crate::lab::params::{self};
use crate::lab::protocol::{self, OperationButton, ProtocolTopic, Setup};
use crate::lab::topic::{BugInfo, Category, ParamSpec, TopicInfo, TopicKind};
use crate::sim::time::{Duration, NodeId, Time};
use crate::sim::view::{Line, Palette, Plot};
use crate::sim::world::Simulation;

use checker::{TenancyChecker, QUOTA_RESPECTED};
use message::{Discipline, Isolation, TenancyOp, TenantId, MAX_BURST};
use process::{TenancyConfig, TenancyProcess, MAX_TENANTS};
use server::Server;
use tenant::{end_of_second, Tenant};

pub const BUG_QUOTA_CHECKED_AFTER_ENQUEUE: &str = "quota-checked-after-enqueue";

pub const ISOLATION: &str = "isolation";
pub const SCHEDULING: &str = "scheduling";
pub const TENANTS: &str = "tenants";
pub const WEIGHTS: &str = "weights";
pub const WORKERS: &str = "workers";
pub const CELLS: &str = "cells";
pub const UNIT_MS: &str = "unit-ms";
pub const TENANT_RATE: &str = "tenant-rate";
pub const NOISE: &str = "noise";
pub const NOISY: &str = "noisy";
pub const QUOTA: &str = "quota";
pub const RATE_LIMIT: &str = "rate-limit";
pub const QUEUE_LIMIT: &str = "queue-limit";
pub const QUANTUM: &str = "quantum";

/// The quota a bug run uses when the parameter leaves quotas off.
const BUG_QUOTA: u32 = 20;

const fn spec(
    name: &'static str,
    label: &'static str,
    default: i64,
    (min, max): (i64, i64),
    help: &'static str,
    choices: &'static [&'static str],
) -> ParamSpec {
    ParamSpec {
        name,
        label,
        default,
        min,
        max,
        step: 1,
        help,
        choices,
    }
}

const PARAMS: [ParamSpec; 16] = [
    spec(ISOLATION, "Isolation", 1, (0, 3), "How tenants share the workers.", &["shared pool", "per-tenant queues", "per-tenant pools", "cells"]),
    spec(SCHEDULING, "Scheduling", 2, (0, 2), "Which queue a free worker serves (per-tenant queues and cells).", &["FIFO", "weighted fair queuing", "deficit round robin"]),
    spec(TENANTS, "Tenants", 4, (3, 8), "Tenants sharing the service; tenant 0 is the one that turns noisy.", &[]),
    spec(WEIGHTS, "Weights", 0, (0, 2), "Each tenant's share of the service.", &["all 1", "rising: tenant i has weight i + 1", "noisy 1, the others 2"]),
    spec(WORKERS, "Workers", 4, (1, 16), "Workers in all (split among cells, or among tenants by weight, at least one each).", &[]),
    spec(CELLS, "Cells", 2, (2, 4), "Cells, for the cells model; tenant i lives in cell i mod cells.", &[]),
    spec(UNIT_MS, "Work unit (ms)", 20, (1, 100), "Mean service time of one work unit; requests are 1 to 4 units.", &[]),
    spec(TENANT_RATE, "Tenant rate (requests/s)", 6, (1, 50), "Each tenant's usual rate.", &[]),
    spec(NOISE, "Noise (×)", 15, (1, 40), "The noisy tenant's rate is multiplied by this.", &[]),
    spec(NOISY, "Noisy neighbour at start", 1, (0, 1), "Whether tenant 0 is noisy from the start (the buttons switch it).", &["off", "on"]),
    spec(QUOTA, "Quota (per second per weight)", 0, (0, 200), "Requests a tenant may have admitted per 1-second window, times its weight; 0 for none.", &[]),
    spec(RATE_LIMIT, "Rate limit (per second per weight)", 0, (0, 200), "A token bucket per tenant at this rate times its weight, a second's worth of burst; 0 for none.", &[]),
    spec(QUEUE_LIMIT, "Queue limit", 50, (1, 500), "Requests one queue may hold.", &[]),
    spec(QUANTUM, "DRR quantum (units)", 4, (1, 16), "Work units a DRR turn adds per unit of weight (at least the largest request, 4, for O(1) work).", &[]),
    params::DROP_PERCENT,
    params::latency(5),
];

/// The multi-tenancy topic.
pub struct MultiTenancyTopic;

pub static INFO: TopicInfo = TopicInfo {
    slug: "multi-tenancy",
    title: "Multi-tenancy",
    category: Category::Platform,
    kind: TopicKind::Protocol,
    summary: "Tenants sharing a service and a noisy neighbour: a shared pool, per-tenant queues scheduled FIFO, by weighted fair queuing or by deficit round robin, per-tenant pools and cells; quotas and token-bucket rate limits; p99 and throughput per tenant and Jain's fairness index over time.",
    reference: "Shreedhar & Varghese, Efficient Fair Queuing Using Deficit Round Robin (SIGCOMM 1995, sections 3 and 4); Demers, Keshav & Shenker, Analysis and Simulation of a Fair Queueing Algorithm (SIGCOMM 1989, section 2.2); Jain, Chiu & Hawe, A Quantitative Measure of Fairness (DEC-TR-301, 1984); AWS, Reducing the Scope of Impact with Cell-Based Architecture, and the Builders' Library on shuffle sharding",
    params: &PARAMS,
    presets: &presets::PRESETS,
    bugs: &[BugInfo {
        name: BUG_QUOTA_CHECKED_AFTER_ENQUEUE,
        summary: "The quota is compared with the requests the tenant had started in the window, not those admitted: requests waiting in the queue do not count, so a burst that arrives while the workers are busy is admitted past the quota. Runs with quotas on (20 per unit of weight if the parameter is 0).",
        caught_by: &[QUOTA_RESPECTED],
        budget: 20,
    }],
    invariants: checker::INVARIANTS,
    expected: &[],
    columns: &["process", "role", "waiting / sent", "busy / rate", "admitted / served", "refused", "state"],
    build: protocol::build::<MultiTenancyTopic>,
};

/// Weights by the `weights` choice.
fn weights(choice: i64, tenants: u8) -> [u8; MAX_TENANTS] {
    let mut weights = [1u8; MAX_TENANTS];
    for (i, weight) in weights.iter_mut().enumerate().take(usize::from(tenants)) {
        *weight = match choice {
            1 => i as u8 + 1,
            2 if i > 0 => 2,
            _ => 1,
        };
    }
    weights
}

/// The run's configuration from its parameters and bug.
pub fn config(setup: &Setup) -> TenancyConfig {
    let value = |name: &str| {
        let spec = PARAMS.iter().find(|spec| spec.name == name);
        let (min, max) = spec.map_or((0, 0), |spec| (spec.min, spec.max));
        setup.param(name).clamp(min, max)
    };
    let bug = setup.bug(BUG_QUOTA_CHECKED_AFTER_ENQUEUE);
    let tenants = value(TENANTS) as u8;
    let quota = value(QUOTA) as u32;
    TenancyConfig {
        isolation: Isolation::ALL[value(ISOLATION) as usize],
        discipline: Discipline::ALL[value(SCHEDULING) as usize],
        tenants,
        weights: weights(value(WEIGHTS), tenants),
        workers: value(WORKERS) as u32,
        cells: value(CELLS) as u8,
        unit: Duration::from_millis(value(UNIT_MS) as u64),
        rate: value(TENANT_RATE) as u32,
        noise: value(NOISE) as u32,
        noisy_at_start: value(NOISY) == 1,
        quota: if bug && quota == 0 { BUG_QUOTA } else { quota },
        rate_limit: value(RATE_LIMIT) as u32,
        queue_limit: value(QUEUE_LIMIT) as u32,
        quantum: value(QUANTUM) as u32,
        quota_counts_started: bug,
    }
}

/// Jain's fairness index `(Σx)² / (n·Σx²)`, or `None` if every `x` is zero.
pub fn jain_index(values: &[f64]) -> Option<f64> {
    let sum: f64 = values.iter().sum();
    let squares: f64 = values.iter().map(|x| x * x).sum();
    (squares > 0.0).then(|| sum * sum / (values.len() as f64 * squares))
}

/// The palette of tenant `i`'s lines: the noisy tenant in the fault colour.
fn tenant_palette(tenant: TenantId) -> Palette {
    const QUIET: [Palette; 4] = [
        Palette::Done,
        Palette::Lead,
        Palette::Contend,
        Palette::Plain,
    ];
    match tenant.0 {
        0 => Palette::Faulty,
        i => QUIET[usize::from(i - 1) % QUIET.len()],
    }
}

fn tenants(simulation: &Simulation<TenancyProcess, TenancyChecker>) -> Vec<&Tenant> {
    simulation
        .nodes()
        .iter()
        .filter_map(TenancyProcess::tenant)
        .collect()
}

/// Per second, Jain's index (× 100) over the tenants' served / weight.
pub fn jain_per_second(tenants: &[&Tenant], config: &TenancyConfig) -> Vec<(Time, u64)> {
    let seconds = tenants.iter().map(|t| t.seconds().len()).max().unwrap_or(0);
    (0..seconds)
        .filter_map(|second| {
            let normalised: Vec<f64> = tenants
                .iter()
                .map(|t| {
                    let served = t.seconds().get(second).map_or(0, |s| s.served);
                    f64::from(served) / f64::from(config.weight(t.id()))
                })
                .collect();
            let index = jain_index(&normalised)?;
            Some((end_of_second(second), (index * 100.0).round() as u64))
        })
        .collect()
}

impl ProtocolTopic for MultiTenancyTopic {
    const INFO: &'static TopicInfo = &INFO;
    type Node = TenancyProcess;
    type Checker = TenancyChecker;
    const FOCUS_ROLE: &'static str = "tenant 0 (the noisy one)";

    /// The fault plan's processes: the server and tenants 0 and 1, or two
    /// cells and tenant 0.
    const FIXED_NODES: usize = 3;

    fn setup(setup: &Setup) -> (Vec<TenancyProcess>, TenancyChecker) {
        let config = config(setup);
        let mut processes: Vec<TenancyProcess> = (0..config.servers())
            .map(|cell| TenancyProcess::Server(Box::new(Server::new(config, cell))))
            .collect();
        processes.extend(
            config
                .tenant_ids()
                .map(|tenant| TenancyProcess::Tenant(Box::new(Tenant::new(tenant, config)))),
        );
        (processes, TenancyChecker::new(config))
    }

    /// Tenant 0, while it runs: the buttons make it noisy or quiet.
    fn focus(nodes: &[TenancyProcess], up: &[bool]) -> Option<NodeId> {
        let at = nodes.iter().position(|process| {
            process
                .tenant()
                .is_some_and(|tenant| tenant.id() == TenantId(0))
        })?;
        up.get(at)
            .copied()
            .unwrap_or(false)
            .then_some(NodeId(at as u32))
    }

    /// The Client request button: tenant 0 sends one request.
    fn client_request(_index: u64) -> Option<TenancyOp> {
        Some(TenancyOp::Burst(1))
    }

    /// Tenants run their own workload.
    fn planned_request(_index: u64) -> Option<TenancyOp> {
        None
    }

    const OPERATIONS: &'static [OperationButton] = &[
        OperationButton {
            label: "Noisy neighbour on",
            help: "Tenant 0's rate jumps by the noise factor",
            at_node: false,
        },
        OperationButton {
            label: "Noisy neighbour off",
            help: "Tenant 0 goes back to its usual rate",
            at_node: false,
        },
        OperationButton {
            label: "Burst",
            help: "Tenant 0 sends 40 requests at once",
            at_node: false,
        },
    ];

    fn operation(button: usize, _at: NodeId, _setup: &Setup, _sent: u64) -> Option<TenancyOp> {
        match button {
            0 => Some(TenancyOp::NoisyOn),
            1 => Some(TenancyOp::NoisyOff),
            2 => Some(TenancyOp::Burst(40.min(MAX_BURST))),
            _ => None,
        }
    }

    /// p99 latency and throughput per tenant, and Jain's index, each second.
    const PLOTTED: bool = true;

    fn plots(simulation: &Simulation<TenancyProcess, TenancyChecker>) -> Vec<Plot> {
        let tenants = tenants(simulation);
        let per_tenant = |value: &dyn Fn(&tenant::Second) -> Option<u64>| {
            tenants
                .iter()
                .map(|tenant| Line {
                    label: format!(
                        "{}{}",
                        tenant.id(),
                        if tenant.is_noisy() { " (noisy)" } else { "" }
                    ),
                    palette: tenant_palette(tenant.id()),
                    points: tenant
                        .seconds()
                        .iter()
                        .enumerate()
                        .filter_map(|(i, second)| Some((end_of_second(i), value(second)?)))
                        .collect(),
                })
                .collect::<Vec<_>>()
        };
        let config = simulation.checker().config();
        vec![
            Plot {
                title: "p99 latency per tenant".into(),
                unit: "ms",
                caption: "of the requests served each second, from a DDSketch".into(),
                lines: per_tenant(&|second| Some(second.latency.quantile(0.99)?.round() as u64)),
            },
            Plot {
                title: "Throughput per tenant".into(),
                unit: "/s",
                caption: "requests served each second".into(),
                lines: per_tenant(&|second| Some(u64::from(second.served))),
            },
            Plot {
                title: "Jain's fairness index".into(),
                unit: "%",
                caption: "(Σx)² / (n·Σx²) over served / weight each second; 100 is equal shares"
                    .into(),
                lines: vec![Line {
                    label: "all tenants".into(),
                    palette: Palette::Lead,
                    points: jain_per_second(&tenants, config),
                }],
            },
        ]
    }
}

#[cfg(test)]
mod tests;
