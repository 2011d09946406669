//! Service mesh: the same small shop run with and without sidecar proxies,
//! on one seed, to see what the mesh does for retries, timeouts, circuit
//! breaking, canary releases and who may call whom.
//!
//! **Problem.** A request to a shop crosses several services: a gateway, a
//! frontend, a catalog, a cart, payments. Every call between them needs the
//! same care: a timeout, retries for transient failures (but not so many
//! that they pile onto a struggling service), a limit on what is
//! outstanding, a way to send a share of the traffic to a new version and
//! take it back if it fails, and proof of who is calling, so that payments
//! can refuse anything but the cart. Written into every service, in every
//! language, that care is uneven and hard to change.
//!
//! **Idea.** Take it out of the services and put it next to each of them
//! in a proxy that shares its network: the sidecar pattern (Burns &
//! Oppenheimer, "Design patterns for container-based distributed systems",
//! HotCloud 2016, §3.1 sidecars, §3.2 ambassadors). Every call leaves
//! through the caller's sidecar and enters through the callee's, and a
//! control plane configures them all. Envoy is the usual sidecar; its
//! documentation describes the behaviour this model follows:
//!
//! - *Router: retries and timeouts* ([`sidecar`]): a per-try timeout, retry
//!   on 5xx, reset and per-try timeout but never on a 4xx, a bounded number
//!   of retries with jittered exponential backoff from 25 ms, and the
//!   `x-envoy-attempt-count` header on each attempt.
//! - *Circuit breaking* ([`sidecar`]): `max_requests` outstanding to an
//!   upstream cluster, past which a call fails at once with a 503
//!   (`x-envoy-overloaded`), and `max_retries` concurrent retries, past
//!   which a failure is not retried.
//! - *Traffic splitting* ([`rollout`]): a route to weighted clusters, here
//!   the catalog's `v1` and its canary `v2`, with weights a progressive
//!   delivery controller (Flagger, Argo Rollouts) steps 5% → 50% → 100% and
//!   sets back to 0% when the canary's error rate over a window reaches a
//!   threshold.
//! - *Identity* ([`policy`], [`service_node`]): each workload holds an X.509
//!   certificate carrying its SPIFFE id (`spiffe://trust-domain/path`, here
//!   `spiffe://shop.example/ns/shop/sa/cart`); sidecars talk mutual TLS, so
//!   the callee's sidecar knows the caller's identity from the handshake,
//!   and an Istio-style `AuthorizationPolicy` of ALLOW rules (source
//!   principal → destination service) decides whether the call reaches the
//!   application. With any ALLOW rule on a service, what no rule matches is
//!   denied with a 403.
//!
//! **The model.** Seven processes: the five services (n0 gateway, n1
//! frontend, n2 catalog, n3 cart, n4 payments; [`service_node`]), the
//! client n5 ([`client`]) and a rogue batch job n6 ([`rogue`]). Each
//! service node holds two copies of its service, one per *plane*: on the
//! mesh plane its sidecar does all of the above; on the bare plane the
//! services call each other directly, one attempt with the same timeouts,
//! no limits, always `v1`, no identity check. The client sends the same
//! open-loop traffic (Poisson, `rate` per second; 70% browse: gateway →
//! frontend → catalog; 30% checkout: gateway → frontend → cart →
//! payments) to both planes, so the plots compare them on one seed. Each
//! application is a [`crate::traffic::service::Service`] (2 workers,
//! log-normal service time, a queue of 64). Only the calls to the leaves
//! (catalog, payments) are retried, and each caller's timeout covers its
//! callee's retries, so attempts do not multiply hop by hop.
//!
//! **Invariants** ([`checker`]): `policy-enforced` (on the mesh, no call
//! reaches an application from an identity the policy does not allow,
//! checked on every delivery, retries included) and `canary-rollback` (once
//! the canary's error rate over the window reaches the threshold, no further
//! attempt goes to it).
//!
//! **Bug**: `policy-not-enforced-on-retry`: the inbound sidecar authorizes a
//! call's first attempt and lets any attempt whose `x-envoy-attempt-count`
//! is above 1 through, taking it to be a retry of an authorized call. The
//! header is written by the caller, so a rogue caller that retries after its
//! 403 reaches payments. With the bug on, the batch job calls payments from
//! the start.
//!
//! **Where the model takes liberties.** Sidecar and application share a
//! node, so they crash together; the rollout controller lives in the
//! frontend's sidecar and reads its outcomes directly rather than the
//! mesh's metrics, acts in the same step (a rollback delay of zero) and,
//! being control-plane configuration, survives a crash; the canary's
//! version is drawn per attempt, so a retry after a rollback goes to `v1`;
//! certificates are never rotated or revoked; a failure upstream becomes a
//! 502, not retried again by the caller; the client has no timeout of its
//! own.
//!
//! **Left out**: outlier detection and load balancing over several
//! instances, retry budgets as a share of active requests, locality,
//! request hedging, rate limiting, header-based routing, mirroring, the
//! certificate authority and SPIRE's attestation, and exhaustive
//! exploration.

pub mod checker;
pub mod client;
pub mod message;
pub mod policy;
pub mod presets;
pub mod process;
pub mod rogue;
pub mod rollout;
pub mod service_node;
pub mod sidecar;

use crate::lab::machine::{MachineState, StateMachine, Transition};
use crate::lab::params::{self, REQUEST_RATE};
use crate::lab::protocol::{self, OperationButton, ProtocolTopic, Setup};
use crate::lab::topic::{BugInfo, Category, ParamSpec, TopicInfo, TopicKind};
use crate::sim::time::{Duration, NodeId};
use crate::sim::view::{Line, Palette, Plot};
use crate::sim::world::Simulation;
use crate::traffic::plots::{end_of_second, latency_plot};

use checker::{MeshChecker, POLICY_ENFORCED};
use client::{Client, Interval};
use message::{MeshOp, Plane, Workload, ROGUE, SERVICES};
use process::MeshProcess;
use rogue::Rogue;
use rollout::{Phase, Rollout, RolloutConfig};
use service_node::ServiceNode;
use sidecar::{Outbound, OutboundConfig};

pub const BUG_POLICY_NOT_ENFORCED_ON_RETRY: &str = "policy-not-enforced-on-retry";

pub const STEP_MS: &str = "step-ms";
pub const WINDOW_MS: &str = "window-ms";
pub const THRESHOLD: &str = "threshold";
pub const ATTEMPTS: &str = "attempts";
pub const MAX_REQUESTS: &str = "max-requests";

/// Outcomes the rollout's window must hold before it may roll back.
pub const MINIMUM_CALLS: u32 = 5;

const RATE_PARAM: ParamSpec = ParamSpec {
    name: REQUEST_RATE,
    label: "Requests per second",
    default: 30,
    min: 0,
    max: 100,
    step: 1,
    help: "Open-loop traffic from the client, sent to both copies of the shop (70% browse, 30% checkout).",
    choices: &[],
};

const STEP_PARAM: ParamSpec = ParamSpec {
    name: STEP_MS,
    label: "Rollout step (ms)",
    default: 5_000,
    min: 1_000,
    max: 20_000,
    step: 500,
    help: "How long the canary stays at 5%, then 50%, then 100% before it is promoted.",
    choices: &[],
};

const WINDOW_PARAM: ParamSpec = ParamSpec {
    name: WINDOW_MS,
    label: "Analysis window (ms)",
    default: 2_000,
    min: 200,
    max: 10_000,
    step: 100,
    help:
        "The canary's error rate is measured over the attempts of the last this many milliseconds.",
    choices: &[],
};

const THRESHOLD_PARAM: ParamSpec = ParamSpec {
    name: THRESHOLD,
    label: "Rollback threshold (%)",
    default: 20,
    min: 5,
    max: 100,
    step: 5,
    help: "The canary is rolled back when at least this share of its attempts in the window failed (5 at least).",
    choices: &[],
};

const ATTEMPTS_PARAM: ParamSpec = ParamSpec {
    name: ATTEMPTS,
    label: "Attempts per call (mesh)",
    default: 3,
    min: 1,
    max: 5,
    step: 1,
    help: "Tries per call to the catalog and to payments on the mesh, the first included.",
    choices: &[],
};

const MAX_REQUESTS_PARAM: ParamSpec = ParamSpec {
    name: MAX_REQUESTS,
    label: "Circuit breaker: max requests",
    default: 8,
    min: 1,
    max: 64,
    step: 1,
    help: "Envoy max_requests: attempts outstanding from one sidecar to one service, beyond which calls fail fast (503).",
    choices: &[],
};

/// The service-mesh topic.
pub struct ServiceMeshTopic;

pub static INFO: TopicInfo = TopicInfo {
    slug: "service-mesh",
    title: "Service mesh",
    category: Category::Resilience,
    kind: TopicKind::Protocol,
    summary: "Five services with sidecar proxies, and the same five without, on the same traffic and seed. The sidecars retry, time out, cap what is outstanding, split the catalog's traffic to a canary 5% → 50% → 100% and roll it back when it fails, and check each caller's mTLS identity (a SPIFFE id) against an authorization policy. Brown out payments, break the canary or let a rogue workload call payments, and compare.",
    reference: "Burns & Oppenheimer, Design patterns for container-based distributed systems (HotCloud 2016), §3.1 sidecars; Envoy docs: router retries and timeouts, circuit breaking, traffic splitting; SPIFFE ids and X.509-SVIDs; Istio AuthorizationPolicy (ALLOW rules)",
    params: &[
        RATE_PARAM,
        STEP_PARAM,
        WINDOW_PARAM,
        THRESHOLD_PARAM,
        ATTEMPTS_PARAM,
        MAX_REQUESTS_PARAM,
        params::latency(5),
    ],
    presets: &presets::PRESETS,
    bugs: &[BugInfo {
        name: BUG_POLICY_NOT_ENFORCED_ON_RETRY,
        summary: "The inbound sidecar checks the policy on a call's first attempt only: an attempt whose x-envoy-attempt-count is above 1 goes through. A rogue caller that retries after its 403 reaches payments. (With the bug on, the rogue calls payments from the start.)",
        caught_by: &[POLICY_ENFORCED],
        budget: 20,
    }],
    invariants: checker::INVARIANTS,
    expected: &[],
    columns: &["process", "role", "mesh", "no mesh", "sidecar"],
    build: protocol::build::<ServiceMeshTopic>,
};

fn clamp(setup: &Setup, spec: &ParamSpec) -> u64 {
    setup.param(spec.name).clamp(spec.min, spec.max) as u64
}

/// The rollout's configuration from the scenario's parameters.
pub fn rollout_config(setup: &Setup) -> RolloutConfig {
    RolloutConfig {
        step: Duration::from_millis(clamp(setup, &STEP_PARAM)),
        window: Duration::from_millis(clamp(setup, &WINDOW_PARAM)),
        threshold_percent: clamp(setup, &THRESHOLD_PARAM) as u32,
        minimum_calls: MINIMUM_CALLS,
        rollback: true,
    }
}

/// A sidecar's (or, without the mesh, a plain client's) configuration.
pub fn outbound_config(setup: &Setup, plane: Plane) -> OutboundConfig {
    OutboundConfig {
        mesh: plane == Plane::Mesh,
        attempts: clamp(setup, &ATTEMPTS_PARAM) as u32,
        max_requests: clamp(setup, &MAX_REQUESTS_PARAM) as u32,
        max_retries: 3,
        backoff_base: Duration::from_millis(25),
        backoff_cap: Duration::from_millis(250),
    }
}

/// The shop's processes and the checker for `setup`.
pub fn processes(setup: &Setup) -> (Vec<MeshProcess>, MeshChecker) {
    let rate = setup
        .param(REQUEST_RATE)
        .clamp(RATE_PARAM.min, RATE_PARAM.max) as u32;
    let bug = setup.bug(BUG_POLICY_NOT_ENFORCED_ON_RETRY);
    let rollout = rollout_config(setup);
    let mut processes: Vec<MeshProcess> = SERVICES
        .iter()
        .map(|&workload| {
            let outbound = Plane::BOTH.map(|plane| {
                let rollout = (workload == Workload::Frontend && plane == Plane::Mesh)
                    .then(|| Rollout::new(rollout));
                Outbound::new(plane, workload, outbound_config(setup, plane), rollout)
            });
            MeshProcess::Service(Box::new(ServiceNode::new(workload, outbound, bug)))
        })
        .collect();
    processes.push(MeshProcess::Client(Box::new(Client::new(rate))));
    // With the bug on, the batch job calls payments all run long, so a
    // sweep meets it; otherwise it waits for the button.
    let rogue_calls = if bug { u32::MAX } else { 0 };
    processes.push(MeshProcess::Rogue(Box::new(Rogue::new(rogue_calls))));
    (processes, MeshChecker::new(rollout))
}

const CANARY_5: usize = 0;
const CANARY_50: usize = 1;
const CANARY_100: usize = 2;
const PROMOTED: usize = 3;
const ROLLED_BACK: usize = 4;

pub static MACHINE: StateMachine = StateMachine {
    title: "the catalog's canary rollout (frontend's sidecar)",
    states: &[
        MachineState {
            name: "5%",
            x: 0,
            y: 0,
        },
        MachineState {
            name: "50%",
            x: 1,
            y: 0,
        },
        MachineState {
            name: "100%",
            x: 2,
            y: 0,
        },
        MachineState {
            name: "promoted",
            x: 3,
            y: 0,
        },
        MachineState {
            name: "rolled back (0%)",
            x: 1,
            y: 1,
        },
    ],
    transitions: &[
        Transition {
            from: CANARY_5,
            to: CANARY_50,
            label: "step over",
            timeout: true,
        },
        Transition {
            from: CANARY_50,
            to: CANARY_100,
            label: "step over",
            timeout: true,
        },
        Transition {
            from: CANARY_100,
            to: PROMOTED,
            label: "step over",
            timeout: true,
        },
        Transition {
            from: CANARY_5,
            to: ROLLED_BACK,
            label: "error rate ≥ threshold",
            timeout: false,
        },
        Transition {
            from: CANARY_50,
            to: ROLLED_BACK,
            label: "error rate ≥ threshold",
            timeout: false,
        },
        Transition {
            from: CANARY_100,
            to: ROLLED_BACK,
            label: "error rate ≥ threshold",
            timeout: false,
        },
    ],
};

fn client_of(simulation: &Simulation<MeshProcess, MeshChecker>) -> Option<&Client> {
    simulation
        .nodes()
        .get(message::CLIENT.index())
        .and_then(MeshProcess::client)
}

fn line(label: &str, palette: Palette, values: impl Iterator<Item = u64>) -> Line {
    Line {
        label: label.to_string(),
        palette,
        points: values
            .enumerate()
            .map(|(i, v)| (end_of_second(i), v))
            .collect(),
    }
}

fn palette(plane: Plane) -> Palette {
    match plane {
        Plane::Mesh => Palette::Done,
        Plane::Bare => Palette::Suspect,
    }
}

impl ProtocolTopic for ServiceMeshTopic {
    const INFO: &'static TopicInfo = &INFO;
    type Node = MeshProcess;
    type Checker = MeshChecker;
    const FOCUS_ROLE: &'static str = "frontend";

    /// The fault plan's processes: the five services.
    const FIXED_NODES: usize = 5;

    fn setup(setup: &Setup) -> (Vec<MeshProcess>, MeshChecker) {
        processes(setup)
    }

    /// The frontend, while it runs: its sidecar holds the canary's rollout.
    fn focus(_nodes: &[MeshProcess], up: &[bool]) -> Option<NodeId> {
        let frontend = Workload::Frontend.node();
        up.get(frontend.index())
            .copied()
            .unwrap_or(false)
            .then_some(frontend)
    }

    /// The client runs the workload itself.
    fn planned_request(_index: u64) -> Option<MeshOp> {
        None
    }

    const OPERATIONS: &'static [OperationButton] = &[
        OperationButton {
            label: "Bad canary",
            help: "At the catalog (n2): its canary v2 fails 80% of its requests, on both planes (only the mesh sends it traffic)",
            at_node: true,
        },
        OperationButton {
            label: "Rogue caller",
            help: "At the batch job (n6): it calls payments 10 times on both planes, retrying each refusal",
            at_node: true,
        },
        OperationButton {
            label: "Brown-out",
            help: "At a service (n0 to n4): it runs at 25% of its capacity, on both planes",
            at_node: true,
        },
        OperationButton {
            label: "Recover",
            help: "At a service (n0 to n4): its injected faults are lifted",
            at_node: true,
        },
    ];

    fn operation(button: usize, at: NodeId, _setup: &Setup, _sent: u64) -> Option<MeshOp> {
        let service = at.index() < SERVICES.len();
        match button {
            0 if at == Workload::Catalog.node() => Some(MeshOp::BadCanary { percent: 80 }),
            1 if at == ROGUE => Some(MeshOp::Rogue { calls: 10 }),
            2 if service => Some(MeshOp::BrownOut {
                capacity_percent: 25,
            }),
            3 if service => Some(MeshOp::Recover),
            _ => None,
        }
    }

    const MACHINE: Option<&'static StateMachine> = Some(&MACHINE);

    fn machine_state(node: &MeshProcess) -> Option<usize> {
        let rollout = node.service()?.outbound(Plane::Mesh).rollout()?;
        Some(match rollout.phase() {
            Phase::Canary { step: 0 } => CANARY_5,
            Phase::Canary { step: 1 } => CANARY_50,
            Phase::Canary { .. } => CANARY_100,
            Phase::Promoted => PROMOTED,
            Phase::RolledBack { .. } => ROLLED_BACK,
        })
    }

    /// Error rate, latency, calls the policy forbids and the canary's share,
    /// second by second, both planes on each plot.
    const PLOTTED: bool = true;

    fn plots(simulation: &Simulation<MeshProcess, MeshChecker>) -> Vec<Plot> {
        let mut plots = Vec::new();
        if let Some(client) = client_of(simulation) {
            let seconds = |plane: Plane| client.measure(plane).seconds.iter();
            let per_plane = |value: fn(&Interval) -> u64| {
                Plane::BOTH
                    .iter()
                    .map(|&plane| line(plane.as_str(), palette(plane), seconds(plane).map(value)))
                    .collect::<Vec<_>>()
            };
            plots.push(Plot {
                title: "Error rate over time".into(),
                unit: "%",
                caption: "failed answers to the client, each second".into(),
                lines: per_plane(|i| i.error_percent().into()),
            });
            plots.push(Plot {
                title: "Throughput over time".into(),
                unit: "ok/s",
                caption: "successful answers to the client, each second".into(),
                lines: per_plane(|i| i.ok.into()),
            });
            for plane in Plane::BOTH {
                plots.push(latency_plot(
                    format!("Latency over time, {}", plane.as_str()),
                    "the successful answers",
                    seconds(plane).map(|interval| &interval.latency),
                ));
            }
        }
        let services: Vec<&ServiceNode> = simulation
            .nodes()
            .iter()
            .filter_map(MeshProcess::service)
            .collect();
        let sum = |pick: &dyn Fn(&ServiceNode) -> &Vec<u32>| {
            let mut total: Vec<u64> = Vec::new();
            for service in &services {
                let values = pick(service);
                if total.len() < values.len() {
                    total.resize(values.len(), 0);
                }
                for (t, v) in total.iter_mut().zip(values) {
                    *t += u64::from(*v);
                }
            }
            total
        };
        let denied = sum(&|s| &s.inbound(Plane::Mesh).denied_seconds);
        let mesh_forbidden = sum(&|s| &s.inbound(Plane::Mesh).forbidden_seconds);
        let bare_forbidden = sum(&|s| &s.inbound(Plane::Bare).forbidden_seconds);
        plots.push(Plot {
            title: "Calls the policy forbids".into(),
            unit: "calls/s",
            caption: "denied by a sidecar, and reaching an application anyway, each second".into(),
            lines: vec![
                line("mesh: denied (403)", Palette::Done, denied.into_iter()),
                line(
                    "mesh: reached the app",
                    Palette::Faulty,
                    mesh_forbidden.into_iter(),
                ),
                line(
                    "no mesh: reached the app",
                    Palette::Suspect,
                    bare_forbidden.into_iter(),
                ),
            ],
        });
        if let Some(frontend) = services.iter().find(|s| s.workload() == Workload::Frontend) {
            let catalog = frontend.outbound(Plane::Mesh).catalog_seconds();
            plots.push(Plot {
                title: "Canary share over time".into(),
                unit: "%",
                caption: "of the mesh's attempts to the catalog that went to v2, each second"
                    .into(),
                lines: vec![line(
                    "canary v2",
                    Palette::Contend,
                    catalog.iter().map(|[stable, canary]| {
                        (u64::from(*canary) * 100)
                            .checked_div(u64::from(stable + canary))
                            .unwrap_or(0)
                    }),
                )],
            });
        }
        plots
    }
}

#[cfg(test)]
mod tests;
