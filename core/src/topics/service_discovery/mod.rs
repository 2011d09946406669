//! Service discovery: how clients find the instances of a service that come,
//! go and crash, and how they spread their requests over them.
//!
//! **Problem.** A service runs as a handful of instances whose addresses
//! change as they are started, moved and restarted. Clients need the current
//! list, and a registry that holds it can only learn that an instance is gone
//! by not hearing from it: a crashed instance sends no goodbye. Until the
//! registry gives up on it and every client has fetched the list again,
//! requests keep going to a dead address and fail: the stale window.
//!
//! **Idea.** Instances hold leases, not entries. Netflix's Eureka (the
//! "Eureka at a glance" and "Understanding eureka client/server
//! communication" pages of its wiki) has each instance register, renew its
//! lease with a heartbeat every 30 s, and cancel it on a graceful shutdown;
//! the server evicts an instance whose lease has gone 90 s without renewal;
//! clients cache the registry and fetch it again every 30 s, and pick an
//! instance from the cache themselves (Ribbon, client-side balancing).
//! Consul's TTL checks (Consul docs, "Checks", TTL) are the same lease seen
//! as a health check: the service must report within the TTL or turn
//! critical, and critical instances leave the answers. The worst-case stale
//! window after a crash is then about one TTL plus one client refresh
//! interval. Balancing is the other half: round robin ignores load; least
//! outstanding requests follows it but needs to know it; the power of two
//! choices (Mitzenmacher, "The Power of Two Choices in Randomized Load
//! Balancing", IEEE TPDS 12(10), 2001, Section 1 and Theorem 1) samples two
//! instances and takes the less loaded, which is nearly as good as knowing
//! every queue and cheap enough for any client.
//!
//! **The model.** Nodes `0..registry-replicas` are the registry (1 or 3
//! replicas, [`registry`]), then `instances` service instances
//! ([`instance`]), then, with `lb-side` at server, a load balancer
//! ([`load_balancer`]), then `clients` clients ([`client`]). An instance
//! sends a heartbeat every `heartbeat-ms`; each is a write with a version
//! (incarnation, number), stamped by the replica with a lease of `ttl-ms`.
//! With three replicas, a write is acknowledged once a majority has applied
//! it, and a lookup reads a majority and merges their records (the higher
//! version says registered or not, the later lease wins), then lists the
//! instances whose lease has not run out: that is eviction. A restarted
//! instance is a new incarnation at a new address (as a rescheduled container
//! is); a request to its old address is refused. Clients and the balancer
//! fetch the list every `refresh-ms` ([`balancer`]) and use it for one
//! refresh plus one lookup timeout at most. Instances serve one request at a
//! time, 8, 12 or 16 ms each in turn (five times that when slowed down), so
//! the policies (`balancer`: round robin, least outstanding, two choices, or
//! one per client to compare them side by side) differ visibly.
//!
//! **Invariants** ([`checker`]): `no-expired-lease-served` (no lookup lists
//! an instance whose lease ran out at every replica), `stale-window-bounded`
//! (no request goes to an endpoint more than a refresh interval plus a lookup
//! timeout after the registry last listed it), `registered-instance-visible`
//! (a write acknowledged to an instance is in every later lookup:
//! registrations listed while their lease runs, deregistrations not undone).
//!
//! **Bugs**: `lease-never-expires` (replicas list every registered instance
//! whatever its lease: a crashed instance is served until it comes back),
//! `cache-never-refreshes` (clients and the balancer fetch the list once and
//! keep it: every restart leaves them sending to a dead address) and
//! `ack-before-majority` (a replica acknowledges a write it alone has: a
//! lookup served by the other two misses it; runs with three replicas).
//!
//! **Where the model takes liberties.** Times are scaled down a hundredfold
//! (a 400 ms TTL for Eureka's 90 s). Clocks are in step, so a lease stamped
//! by one replica is read by another. Replicas write records to disk before
//! acknowledging (Eureka keeps them in memory and refills from peers), and
//! the quorum writes and reads are this topic's own, not Eureka's
//! best-effort peer replication, which favours availability and may serve a
//! deregistered instance for a while. A cache past its age is dropped, not
//! kept (Eureka keeps serving its last list when the registry is down). The
//! fault plan knows the first five processes (the registry, then the
//! instances; with fewer than five of those, the balancer or the first
//! client too) and its "crash the focus" crashes the first running instance.
//!
//! **Left out**: Eureka's self-preservation mode (stop evicting when many
//! leases lapse at once), active health probes (Consul's HTTP and TCP checks;
//! here only the TTL check), retries of failed requests on another instance,
//! DNS-based discovery, and exhaustive exploration (leases need timers that
//! fire in deadline order).

pub mod balancer;
pub mod checker;
pub mod client;
pub mod instance;
pub mod load_balancer;
pub mod message;
pub mod presets;
pub mod process;
pub mod registry;

use crate::lab::params::{self, LATENCY, REQUEST_RATE};
use crate::lab::protocol::{self, OperationButton, ProtocolTopic, Setup};
use crate::lab::topic::{BugInfo, Category, ParamSpec, TopicInfo, TopicKind};
use crate::sim::time::{Duration, NodeId};
use crate::sim::view::{Annotations, Bar, Chart, Mark, Palette, Span};
use crate::sim::world::Simulation;

use checker::{
    DiscoveryChecker, NO_EXPIRED_LEASE_SERVED, REGISTERED_INSTANCE_VISIBLE, STALE_WINDOW_BOUNDED,
};
use client::ServiceClient;
use instance::ServiceInstance;
use load_balancer::LoadBalancer;
use message::{DiscoveryOp, Policy};
use process::{DiscoveryConfig, DiscoveryProcess};
use registry::RegistryReplica;

pub const BUG_LEASE_NEVER_EXPIRES: &str = "lease-never-expires";
pub const BUG_CACHE_NEVER_REFRESHES: &str = "cache-never-refreshes";
pub const BUG_ACK_BEFORE_MAJORITY: &str = "ack-before-majority";

pub const INSTANCES: &str = "instances";
pub const CLIENTS: &str = "clients";
pub const TTL: &str = "ttl-ms";
pub const HEARTBEAT: &str = "heartbeat-ms";
pub const REFRESH: &str = "refresh-ms";
pub const REPLICAS: &str = "registry-replicas";
pub const BALANCER: &str = "balancer";
pub const LB_SIDE: &str = "lb-side";

const INSTANCES_PARAM: ParamSpec = ParamSpec {
    name: INSTANCES,
    label: "Instances",
    default: 4,
    min: 3,
    max: 8,
    step: 1,
    help: "Service instances; they serve in 8, 12 and 16 ms in turn.",
    choices: &[],
};

const CLIENTS_PARAM: ParamSpec = ParamSpec {
    name: CLIENTS,
    label: "Clients",
    default: 3,
    min: 1,
    max: 6,
    step: 1,
    help: "Client processes making requests.",
    choices: &[],
};

const TTL_PARAM: ParamSpec = ParamSpec {
    name: TTL,
    label: "Lease TTL (ms)",
    default: 400,
    min: 100,
    max: 5_000,
    step: 50,
    help: "How long a heartbeat keeps an instance registered (Eureka: 90 s).",
    choices: &[],
};

const HEARTBEAT_PARAM: ParamSpec = ParamSpec {
    name: HEARTBEAT,
    label: "Heartbeat (ms)",
    default: 100,
    min: 20,
    max: 2_000,
    step: 10,
    help: "How often an instance renews its lease (Eureka: 30 s). Keep it well under the TTL.",
    choices: &[],
};

const REFRESH_PARAM: ParamSpec = ParamSpec {
    name: REFRESH,
    label: "Client refresh (ms)",
    default: 250,
    min: 50,
    max: 5_000,
    step: 50,
    help: "How often clients and the balancer fetch the endpoint list (Eureka: 30 s).",
    choices: &[],
};

const REPLICAS_PARAM: ParamSpec = ParamSpec {
    name: REPLICAS,
    label: "Registry replicas",
    default: 3,
    min: 1,
    max: 3,
    step: 2,
    help: "One registry node, or three with majority-quorum writes and reads.",
    choices: &[],
};

const BALANCER_PARAM: ParamSpec = ParamSpec {
    name: BALANCER,
    label: "Balancer",
    default: 3,
    min: 0,
    max: 3,
    step: 1,
    help: "How an instance is picked for a request; 'one per client' gives each client its own, to compare them.",
    choices: &[
        "round robin",
        "least outstanding",
        "two choices",
        "one per client",
    ],
};

const LB_SIDE_PARAM: ParamSpec = ParamSpec {
    name: LB_SIDE,
    label: "Balancing side",
    default: 0,
    min: 0,
    max: 1,
    step: 1,
    help: "Clients pick instances from their own cache, or a load-balancer node picks for them.",
    choices: &["client", "server"],
};

const RATE_PARAM: ParamSpec = ParamSpec {
    name: REQUEST_RATE,
    label: "Requests per second",
    default: 30,
    min: 0,
    max: 200,
    step: 1,
    help: "How often the clients make a request, all together.",
    choices: &[],
};

/// The service discovery topic.
pub struct ServiceDiscoveryTopic;

pub static INFO: TopicInfo = TopicInfo {
    slug: "service-discovery",
    title: "Service discovery",
    category: Category::Replication,
    kind: TopicKind::Protocol,
    summary: "Instances register with a registry and renew TTL leases by heartbeat; clients cache the endpoint list and balance their requests. Crash an instance and count the requests lost in the stale window until its lease expires and clients refresh; replicate the registry with majority quorums; compare round robin, least outstanding and two choices, client-side and server-side.",
    reference: "Netflix Eureka wiki (leases, renewals, eviction, client cache); Consul docs, Checks (TTL checks); Mitzenmacher, The Power of Two Choices in Randomized Load Balancing, IEEE TPDS 2001",
    params: &[
        INSTANCES_PARAM,
        CLIENTS_PARAM,
        TTL_PARAM,
        HEARTBEAT_PARAM,
        REFRESH_PARAM,
        REPLICAS_PARAM,
        BALANCER_PARAM,
        LB_SIDE_PARAM,
        RATE_PARAM,
        params::DROP_PERCENT,
        params::latency(10),
    ],
    presets: &presets::PRESETS,
    bugs: &[
        BugInfo {
            name: BUG_LEASE_NEVER_EXPIRES,
            summary: "Replicas list every registered instance whatever its lease says: an instance that stops heartbeating stays in the answers until it comes back.",
            caught_by: &[NO_EXPIRED_LEASE_SERVED],
            // Measured: 2000 of the first 2000 heavy seeds.
            budget: 20,
        },
        BugInfo {
            name: BUG_CACHE_NEVER_REFRESHES,
            summary: "Clients and the balancer fetch the endpoint list once and use it forever: after an instance restarts at a new address they keep sending to the old one.",
            caught_by: &[STALE_WINDOW_BOUNDED],
            // Measured: 1987 of the first 2000 heavy seeds.
            budget: 20,
        },
        BugInfo {
            name: BUG_ACK_BEFORE_MAJORITY,
            summary: "A replica acknowledges a heartbeat once it has applied it itself, before a majority has: a lookup read from the other two misses it. Runs with three replicas.",
            caught_by: &[REGISTERED_INSTANCE_VISIBLE],
            // Measured: 2000 of the first 2000 heavy seeds.
            budget: 20,
        },
    ],
    invariants: checker::INVARIANTS,
    expected: &[],
    columns: &[
        "process",
        "role",
        "records / lease / endpoints",
        "in progress / queue",
        "totals",
    ],
    build: protocol::build::<ServiceDiscoveryTopic>,
};

fn clamp(setup: &Setup, spec: &ParamSpec) -> i64 {
    setup.param(spec.name).clamp(spec.min, spec.max)
}

/// The run's configuration from its parameters and bug.
pub fn config(setup: &Setup) -> DiscoveryConfig {
    let ack_before_majority = setup.bug(BUG_ACK_BEFORE_MAJORITY);
    let replicas = if ack_before_majority || clamp(setup, &REPLICAS_PARAM) >= 2 {
        3
    } else {
        1
    };
    let clients = clamp(setup, &CLIENTS_PARAM) as u32;
    let latency = setup.param(LATENCY).clamp(0, 300) as u64;
    let rate = clamp(setup, &RATE_PARAM) as u64;
    let policy = match clamp(setup, &BALANCER_PARAM) {
        0 => Some(Policy::RoundRobin),
        1 => Some(Policy::LeastOutstanding),
        2 => Some(Policy::TwoChoices),
        _ => None,
    };
    let ms = |spec: &ParamSpec| Duration::from_millis(clamp(setup, spec) as u64);
    DiscoveryConfig {
        replicas,
        instances: clamp(setup, &INSTANCES_PARAM) as u32,
        clients,
        server_side: clamp(setup, &LB_SIDE_PARAM) == 1,
        policy,
        ttl: ms(&TTL_PARAM),
        heartbeat: ms(&HEARTBEAT_PARAM),
        refresh: ms(&REFRESH_PARAM),
        // Four hops (client, coordinator, replicas and back) at the highest
        // latency, twice over, and a margin.
        lookup_timeout: Duration::from_millis(8 * latency + 20),
        request_timeout: Duration::from_millis(4 * latency + 250),
        request_gap: (rate > 0).then(|| Duration(clients as u64 * 1_000_000 / rate)),
        lease_never_expires: setup.bug(BUG_LEASE_NEVER_EXPIRES),
        cache_never_refreshes: setup.bug(BUG_CACHE_NEVER_REFRESHES),
        ack_before_majority,
    }
}

/// A latency's percentile `p` (0..=100) of `values`, in microseconds.
fn percentile(values: &mut [u32], p: usize) -> u64 {
    if values.is_empty() {
        return 0;
    }
    let at = ((values.len() - 1) * p / 100).min(values.len() - 1);
    let (_, value, _) = values.select_nth_unstable(at);
    *value as u64
}

impl ProtocolTopic for ServiceDiscoveryTopic {
    const INFO: &'static TopicInfo = &INFO;
    type Node = DiscoveryProcess;
    type Checker = DiscoveryChecker;
    const FOCUS_ROLE: &'static str = "first running instance";

    /// The fault plan's processes: the registry, then the instances.
    const FIXED_NODES: usize = 5;

    fn setup(setup: &Setup) -> (Vec<DiscoveryProcess>, DiscoveryChecker) {
        let config = config(setup);
        let mut processes: Vec<DiscoveryProcess> = (0..config.replicas)
            .map(|i| DiscoveryProcess::Registry(RegistryReplica::new(NodeId(i), config)))
            .collect();
        processes.extend(
            config
                .instance_ids()
                .map(|id| DiscoveryProcess::Instance(ServiceInstance::new(id, config))),
        );
        if let Some(id) = config.load_balancer() {
            processes.push(DiscoveryProcess::Balancer(LoadBalancer::new(id, config)));
        }
        let first = config.first_client();
        processes.extend(
            (first..first + config.clients)
                .map(|i| DiscoveryProcess::Client(ServiceClient::new(NodeId(i), config))),
        );
        (processes, DiscoveryChecker::new(config))
    }

    /// The first instance that is up: "crash the focus" crashes an instance.
    fn focus(nodes: &[DiscoveryProcess], up: &[bool]) -> Option<NodeId> {
        nodes
            .iter()
            .zip(up)
            .position(|(node, &up)| up && node.instance().is_some())
            .map(|i| NodeId(i as u32))
    }

    /// The clients run the workload themselves.
    fn planned_request(_index: u64) -> Option<DiscoveryOp> {
        None
    }

    const OPERATIONS: &'static [OperationButton] = &[
        OperationButton {
            label: "Client request",
            help: "The chosen client makes one request now",
            at_node: true,
        },
        OperationButton {
            label: "Deregister",
            help: "The chosen instance shuts down gracefully: it deregisters and refuses new requests (again: it registers back)",
            at_node: true,
        },
        OperationButton {
            label: "Slow down",
            help: "The chosen instance serves five times slower (again: back to its speed)",
            at_node: true,
        },
    ];

    fn operation(button: usize, at: NodeId, setup: &Setup, _sent: u64) -> Option<DiscoveryOp> {
        let config = config(setup);
        match button {
            0 if config.is_client(at) => Some(DiscoveryOp::Request),
            1 if config.is_instance(at) => Some(DiscoveryOp::ToggleService),
            2 if config.is_instance(at) => Some(DiscoveryOp::ToggleSlow),
            _ => None,
        }
    }

    /// Each outage of an instance that requests were sent into, from the
    /// moment it went down to the last request sent to it (the stale window),
    /// and a mark at each.
    const ANNOTATED: bool = true;

    fn annotations(simulation: &Simulation<DiscoveryProcess, DiscoveryChecker>) -> Annotations {
        let checker = simulation.checker();
        let first = simulation
            .nodes()
            .iter()
            .position(|n| n.instance().is_some())
            .unwrap_or(0) as u32;
        let mut annotations = Annotations::default();
        for (k, watch) in checker.instances().iter().enumerate() {
            let node = NodeId(first + k as u32);
            for &(from, to) in &watch.stale_spans {
                annotations.spans.push(Span {
                    node,
                    from,
                    to: Some(to),
                    label: format!("stale: {} ms", to.since(from).as_micros() / 1_000),
                    palette: Palette::Faulty,
                });
                annotations.marks.push(Mark {
                    at: to,
                    label: format!("last request sent to a down {node}"),
                });
            }
        }
        annotations
    }

    /// Failed requests by cause with the stale windows; requests per
    /// instance per policy; latency per policy.
    const CHARTED: bool = true;

    fn charts(simulation: &Simulation<DiscoveryProcess, DiscoveryChecker>) -> Vec<Chart> {
        let checker = simulation.checker();
        let nodes = simulation.nodes();
        let mut ok = 0;
        let mut timed_out = 0;
        let mut refused = 0;
        let mut no_endpoint = 0;
        let mut latencies: [Vec<u32>; 3] = Default::default();
        let mut chosen: Vec<(Policy, NodeId, u64)> = Vec::new();
        let mut add_chosen = |tally: &[(Policy, NodeId, u64)]| {
            for &(policy, instance, count) in tally {
                match chosen.binary_search_by(|(p, i, _)| (*p, *i).cmp(&(policy, instance))) {
                    Ok(at) => chosen[at].2 += count,
                    Err(at) => chosen.insert(at, (policy, instance, count)),
                }
            }
        };
        for node in nodes {
            if let Some(client) = node.client() {
                let outcomes = client.outcomes();
                ok += outcomes.ok;
                timed_out += outcomes.timed_out;
                refused += outcomes.refused;
                no_endpoint += outcomes.no_endpoint;
                let k = Policy::ALL
                    .iter()
                    .position(|&p| p == client.policy())
                    .unwrap_or(0);
                latencies[k].extend_from_slice(client.latencies());
                add_chosen(client.chooser().chosen());
            }
            if let Some(balancer) = node.balancer() {
                add_chosen(balancer.chooser().chosen());
            }
        }
        let bar = |label: String, value: u64, palette: Palette| Bar {
            label,
            value,
            palette,
        };
        let dead_sends: u64 = checker.instances().iter().map(|w| w.dead_sends).sum();
        let outages: u64 = checker.instances().iter().map(|w| w.outages).sum();
        let failed = vec![
            bar("succeeded".into(), ok, Palette::Done),
            bar(
                "sent to a down instance".into(),
                dead_sends,
                Palette::Faulty,
            ),
            bar(
                "failed: no reply in time".into(),
                timed_out,
                Palette::Suspect,
            ),
            bar("failed: refused".into(), refused, Palette::Suspect),
            bar(
                "failed: no endpoint known".into(),
                no_endpoint,
                Palette::Plain,
            ),
        ];
        let first = nodes
            .iter()
            .position(|n| n.instance().is_some())
            .unwrap_or(0) as u32;
        let mut windows = Vec::new();
        for (k, watch) in checker.instances().iter().enumerate() {
            if watch.outages > 0 {
                windows.push(bar(
                    format!("n{} ({} outages)", first + k as u32, watch.outages),
                    watch.stale_window.as_micros() / 1_000,
                    Palette::Faulty,
                ));
            }
        }
        let mut charts = vec![Chart {
            title: "Requests and failures".into(),
            unit: "",
            caption: format!(
                "requests by outcome; requests sent to an instance while it was down or out of service ({outages} outages so far)"
            ),
            bars: failed,
        }];
        if !windows.is_empty() {
            charts.push(Chart {
                title: "Stale window per instance".into(),
                unit: "ms",
                caption: "the longest time from an instance going down to the last request a client or the balancer sent it".into(),
                bars: windows,
            });
        }
        charts.push(Chart {
            title: "Requests per instance, by policy".into(),
            unit: "",
            caption: "where each policy sent its requests".into(),
            bars: chosen
                .iter()
                .map(|&(policy, instance, count)| {
                    bar(
                        format!("{} → {instance}", policy.as_str()),
                        count,
                        Palette::Plain,
                    )
                })
                .collect(),
        });
        let mut latency_bars = Vec::new();
        for (k, values) in latencies.iter_mut().enumerate() {
            if values.is_empty() {
                continue;
            }
            let mean = values.iter().map(|&v| v as u64).sum::<u64>() / values.len() as u64;
            let name = Policy::ALL[k].as_str();
            latency_bars.push(bar(format!("{name}: mean"), mean / 1_000, Palette::Done));
            latency_bars.push(bar(
                format!("{name}: p90"),
                percentile(values, 90) / 1_000,
                Palette::Suspect,
            ));
        }
        charts.push(Chart {
            title: "Latency by policy".into(),
            unit: "ms",
            caption: "mean and 90th percentile of request latency as the clients measured it; a request with no reply in time counts at the timeout".into(),
            bars: latency_bars,
        });
        charts
    }
}

#[cfg(test)]
mod tests;
