//! Partial failures: timeouts, retries, backoff with jitter, retry budgets,
//! hedged requests and deadline propagation through three tiers, and what
//! each does to the load on a struggling backend and to the latency the
//! client sees.
//!
//! **Problem.** A request crosses several services: a client calls a
//! frontend, which calls a middle tier, which calls a backend. Any of them
//! can be slow or gone for a while without being down for good: a partial
//! failure. Each caller protects itself with a timeout and retries what
//! failed, and each of those well-meant retries is new work below. When
//! every layer retries `r` times and the backend browns out, one client
//! request becomes up to `(1 + r)^depth` backend attempts (27 for three
//! tries at each of three layers): a retry storm that keeps the backend
//! overloaded long after whatever slowed it is gone. Retries also
//! synchronise: callers that failed together retry together. And a
//! service deep in the chain keeps working on requests its callers gave up
//! on long ago.
//!
//! **Ideas**, and where they come from:
//!
//! - *Exponential backoff with full jitter* (Marc Brooker, "Timeouts,
//!   retries, and backoff with jitter", Amazon Builders' Library; and
//!   "Exponential Backoff And Jitter", AWS Architecture Blog, 2015): wait
//!   a uniform draw in `[0, min(cap, base · 2^n))` before retry `n`, so
//!   callers that failed together spread their retries out instead of
//!   coming back in a wave.
//! - *Retry budgets* (the same article: "retry at one layer", and a token
//!   bucket that allows retries only while they are a small share of the
//!   calls; Finagle's `RetryBudget`, gRPC's retry throttling): retries in a
//!   window are capped at a percentage of the first attempts plus a small
//!   reserve, so a failing backend sees little more than the real load.
//! - *Hedged requests* (Jeffrey Dean and Luiz André Barroso, "The Tail at
//!   Scale", CACM 56(2), 2013, section "Within-request short-term
//!   adaptations"): if an attempt has been outstanding for longer than the
//!   95th-percentile latency, send a second copy and use whichever answers
//!   first, cancelling the other; a few percent more load cuts the tail
//!   that slow requests cause. (Their *tied requests*, which cancel the
//!   copy still queued when the other starts, are left out.)
//! - *Deadline propagation* (gRPC, "Deadlines" in its documentation and
//!   the `grpc-timeout` header): each hop's deadline is the earlier of its
//!   own timeout and the one it inherited, sent along with the call; a
//!   server does not start work whose deadline has passed, and a caller
//!   does not retry past it.
//!
//! **The model.** Two identical chains in one run, as the circuit breaker
//! draws them, so the page compares them on the same seed: the client
//! ([`client`], n3) sends open-loop Poisson traffic at `rate` per second
//! down both. The *guarded* chain retries as the parameters say (backoff,
//! budget, hedging, deadlines); the *naive* chain has the same timeouts and
//! attempts, retried after plain exponential backoff, with no budget, no
//! hedging and no deadlines. Each tier ([`tier`]: frontend n0, middle n1,
//! backend n2) keeps one copy of its service per chain
//! ([`crate::traffic::service::Service`]), and every fault hits both
//! copies at the same instant. The frontend and the middle do about 2 ms
//! of work on 8 workers, then call the tier below through a [`caller`];
//! the backend has 4 workers, log-normal service times (median 12 ms, so
//! about 290 requests a second) and a queue of 64, and refuses the rest
//! with a 503. The client, the frontend and the middle each retry: that is
//! the depth of three in `(1 + r)^3`. Hedging is the middle's (the caller
//! next to the backend's slow tail). Faults come from the page's buttons
//! (brown-out, outage, slow tail, recover), the presets' scripts and the
//! seeded fault plan, which crashes the tiers and loses, duplicates and
//! delays messages. A restarted tier sends its caller a `GoAway`, and the
//! caller fails every attempt it had in flight there at once, as gRPC does
//! when a connection drops.
//!
//! **Measures.** The client's latency quantiles (p50, p99, p99.9) per
//! second and overall from a DDSketch; goodput per second; backend
//! arrivals per second; and the amplification, backend arrivals per client
//! request, per second against the estimate `(1 + r)^3`.
//!
//! **Invariants** ([`checker`]): `no-work-past-deadline` (with deadlines
//! on, no tier starts work after the client stopped waiting for it),
//! `retries-within-budget` (with a budget, retries in a second stay within
//! 10% of that second's first attempts plus 10), and
//! `no-synchronised-retries` (with full jitter, no caller fires more than 3
//! retries at the same instant: full jitter makes four on one microsecond
//! all but impossible, while a backoff without jitter fires every call a
//! `GoAway` failed together at the same instant again).
//!
//! **Bugs**: `retry-without-jitter` (full jitter is configured, but every
//! guarded caller waits the whole ceiling: synchronised retries) and
//! `no-deadline-propagation` (the frontend calls the middle without the
//! deadline, so the middle retries and the backend works past the moment
//! the client gave up).
//!
//! **Where the model takes liberties.** Deadlines travel as instants, as
//! if clocks agreed (gRPC sends the time left, which each hop turns into a
//! deadline by its own clock, so transit time is not counted); the budget
//! is a per-second window, not a token bucket; the frontend and the middle
//! hold no worker while they wait for the tier below (asynchronous
//! servers), so their queues fill only with their own work; a hedge's
//! loser is cancelled only while it waits in the backend's queue; a crash
//! loses a tier's queues and calls, and the `GoAway` is an ordinary
//! message the network may lose.
//!
//! **Left out**: tied requests, adaptive timeouts, circuit breakers (their
//! own topic), load shedding by priority, and exhaustive exploration.

pub mod caller;
pub mod checker;
pub mod client;
pub mod message;
pub mod policy;
pub mod presets;
pub mod process;
pub mod tier;

use crate::lab::params::{self, REQUEST_RATE};
use crate::lab::protocol::{self, OperationButton, ProtocolTopic, Setup};
use crate::lab::topic::{BugInfo, Category, ParamSpec, TopicInfo, TopicKind};
use crate::sim::time::{Duration, NodeId, Time};
use crate::sim::view::{Bar, Chart, Line, Palette, Plot};
use crate::sim::world::Simulation;
use crate::traffic::plots::{end_of_second, latency_plot, quantile_rounded, PLOTTED_QUANTILES};

use checker::{PartialChecker, NO_SYNCHRONISED_RETRIES, NO_WORK_PAST_DEADLINE};
use client::Client;
use message::{BackendOp, Chain, Tier, BACKEND, CLIENT, RETRYING_LAYERS};
use policy::{Backoff, RetryPolicy};
use process::PartialProcess;
use tier::TierNode;

pub const BUG_RETRY_WITHOUT_JITTER: &str = "retry-without-jitter";
pub const BUG_NO_DEADLINE_PROPAGATION: &str = "no-deadline-propagation";

pub const CLIENT_TIMEOUT: &str = "client-timeout-ms";
pub const FRONTEND_TIMEOUT: &str = "frontend-timeout-ms";
pub const MIDDLE_TIMEOUT: &str = "middle-timeout-ms";
pub const ATTEMPTS: &str = "attempts";
pub const BACKOFF: &str = "backoff";
pub const BUDGET: &str = "budget";
pub const HEDGING: &str = "hedging";
pub const DEADLINES: &str = "deadlines";

const RATE_PARAM: ParamSpec = ParamSpec {
    name: REQUEST_RATE,
    label: "Requests per second",
    default: 40,
    min: 0,
    max: 200,
    step: 1,
    help: "Open-loop traffic from the client, sent down both chains (the backend serves about 290 per second).",
    choices: &[],
};

const fn timeout(
    name: &'static str,
    label: &'static str,
    default: i64,
    help: &'static str,
) -> ParamSpec {
    ParamSpec {
        name,
        label,
        default,
        min: 20,
        max: 5_000,
        step: 10,
        help,
        choices: &[],
    }
}

const CLIENT_TIMEOUT_PARAM: ParamSpec = timeout(
    CLIENT_TIMEOUT,
    "Client timeout (ms)",
    1_000,
    "How long the client waits for each attempt.",
);
const FRONTEND_TIMEOUT_PARAM: ParamSpec = timeout(
    FRONTEND_TIMEOUT,
    "Frontend timeout (ms)",
    400,
    "How long the frontend waits for each attempt at the middle.",
);
const MIDDLE_TIMEOUT_PARAM: ParamSpec = timeout(
    MIDDLE_TIMEOUT,
    "Middle timeout (ms)",
    150,
    "How long the middle waits for each attempt at the backend.",
);

const ATTEMPTS_PARAM: ParamSpec = ParamSpec {
    name: ATTEMPTS,
    label: "Attempts per call",
    default: 3,
    min: 1,
    max: 5,
    step: 1,
    help: "Tries per call at each of the three retrying layers (client, frontend, middle), the first included, on both chains.",
    choices: &[],
};

const BACKOFF_PARAM: ParamSpec = ParamSpec {
    name: BACKOFF,
    label: "Backoff",
    default: 2,
    min: 0,
    max: 2,
    step: 1,
    help: "The guarded chain's wait before a retry: none, exponential (50 ms doubling to 800 ms), or exponential with full jitter. The naive chain always waits plain exponential.",
    choices: &["none", "exponential", "full jitter"],
};

const fn switch(
    name: &'static str,
    label: &'static str,
    default: i64,
    help: &'static str,
) -> ParamSpec {
    ParamSpec {
        name,
        label,
        default,
        min: 0,
        max: 1,
        step: 1,
        help,
        choices: &["off", "on"],
    }
}

const BUDGET_PARAM: ParamSpec = switch(
    BUDGET,
    "Retry budget",
    1,
    "The guarded chain's callers retry at most 10% of each second's first attempts, plus 10.",
);
const HEDGING_PARAM: ParamSpec = switch(
    HEDGING,
    "Hedging",
    0,
    "The guarded chain's middle sends a second copy of an attempt outstanding past the observed p95, and cancels the loser.",
);
const DEADLINES_PARAM: ParamSpec = switch(
    DEADLINES,
    "Deadline propagation",
    1,
    "The guarded chain sends each call's deadline along; tiers drop work past it and callers stop retrying.",
);

/// The partial-failures topic.
pub struct PartialFailuresTopic;

pub static INFO: TopicInfo = TopicInfo {
    slug: "partial-failures",
    title: "Partial failures",
    category: Category::Resilience,
    kind: TopicKind::Protocol,
    summary: "A client, a frontend, a middle tier and a backend, each retrying the one below: brown the backend out and watch retries multiply its load toward (1 + r)^3, then see backoff with jitter, retry budgets, hedged requests and deadline propagation tame the storm and the tail, side by side with a naive chain on the same seed.",
    reference: "Dean & Barroso, The Tail at Scale, CACM 2013 (hedged requests); Brooker, Timeouts, retries, and backoff with jitter (Amazon Builders' Library); gRPC deadlines",
    params: &[
        RATE_PARAM,
        CLIENT_TIMEOUT_PARAM,
        FRONTEND_TIMEOUT_PARAM,
        MIDDLE_TIMEOUT_PARAM,
        ATTEMPTS_PARAM,
        BACKOFF_PARAM,
        BUDGET_PARAM,
        HEDGING_PARAM,
        DEADLINES_PARAM,
        params::latency(10),
    ],
    presets: &presets::PRESETS,
    bugs: &[
        BugInfo {
            name: BUG_RETRY_WITHOUT_JITTER,
            summary: "Full jitter is configured but the guarded callers wait the whole backoff ceiling: calls failed together retry together (this bug forces the backoff to full jitter).",
            caught_by: &[NO_SYNCHRONISED_RETRIES],
            budget: 20,
        },
        BugInfo {
            name: BUG_NO_DEADLINE_PROPAGATION,
            summary: "The frontend calls the middle without the deadline: the middle keeps retrying and the backend keeps working after the client gave up (this bug forces deadline propagation on).",
            caught_by: &[NO_WORK_PAST_DEADLINE],
            budget: 20,
        },
    ],
    invariants: checker::INVARIANTS,
    expected: &[],
    columns: &[
        "process",
        "role",
        "faults",
        "guarded chain",
        "naive chain",
        "traffic",
    ],
    build: protocol::build::<PartialFailuresTopic>,
};

fn param(setup: &Setup, spec: &ParamSpec) -> i64 {
    setup.param(spec.name).clamp(spec.min, spec.max)
}

/// The policies of the callers at `layer` (client, frontend or middle,
/// named by the tier they call from; `None` for the client), guarded first.
pub fn policies(setup: &Setup, layer: Option<Tier>) -> [RetryPolicy; 2] {
    let timeout = Duration::from_millis(match layer {
        None => param(setup, &CLIENT_TIMEOUT_PARAM),
        Some(Tier::Frontend) => param(setup, &FRONTEND_TIMEOUT_PARAM),
        _ => param(setup, &MIDDLE_TIMEOUT_PARAM),
    } as u64);
    let attempts = param(setup, &ATTEMPTS_PARAM) as u32;
    let jitter_bug = setup.bug(BUG_RETRY_WITHOUT_JITTER);
    let deadline_bug = setup.bug(BUG_NO_DEADLINE_PROPAGATION);
    let backoff = match param(setup, &BACKOFF_PARAM) {
        _ if jitter_bug => Backoff::FullJitter,
        0 => Backoff::None,
        1 => Backoff::Exponential,
        _ => Backoff::FullJitter,
    };
    let guarded = RetryPolicy {
        attempts,
        timeout,
        backoff,
        budget: param(setup, &BUDGET_PARAM) == 1,
        hedging: layer == Some(Tier::Middle) && param(setup, &HEDGING_PARAM) == 1,
        deadlines: deadline_bug || param(setup, &DEADLINES_PARAM) == 1,
        jitter_dropped: jitter_bug,
        deadline_dropped: deadline_bug && layer == Some(Tier::Frontend),
    };
    let naive = RetryPolicy {
        attempts,
        timeout,
        backoff: Backoff::Exponential,
        budget: false,
        hedging: false,
        deadlines: false,
        jitter_dropped: false,
        deadline_dropped: false,
    };
    [guarded, naive]
}

/// The estimate of the worst amplification: `attempts^3`.
pub fn amplification_estimate(setup_attempts: u32) -> u64 {
    u64::from(setup_attempts).pow(RETRYING_LAYERS)
}

fn client_of(simulation: &Simulation<PartialProcess, PartialChecker>) -> Option<&Client> {
    simulation
        .nodes()
        .get(CLIENT.index())
        .and_then(PartialProcess::client)
}

fn backend_of(simulation: &Simulation<PartialProcess, PartialChecker>) -> Option<&TierNode> {
    simulation
        .nodes()
        .get(BACKEND.index())
        .and_then(PartialProcess::tier)
}

fn palette(chain: Chain) -> Palette {
    match chain {
        Chain::Guarded => Palette::Done,
        Chain::Naive => Palette::Suspect,
    }
}

/// Backend arrivals per 100 client requests, in each second of the run
/// (up to the last second with both), per chain.
pub fn amplification_series(
    simulation: &Simulation<PartialProcess, PartialChecker>,
) -> [Vec<u64>; 2] {
    let (Some(client), Some(backend)) = (client_of(simulation), backend_of(simulation)) else {
        return [Vec::new(), Vec::new()];
    };
    Chain::BOTH.map(|chain| {
        let seconds = &client.measure(chain).seconds;
        backend
            .load()
            .iter()
            .zip(seconds)
            .map(|(load, second)| {
                u64::from(load[chain.index()]) * 100 / u64::from(second.requests.max(1))
            })
            .collect()
    })
}

/// Each second's point at its end, when it is complete.
fn points(values: impl Iterator<Item = u64>) -> Vec<(Time, u64)> {
    values
        .enumerate()
        .map(|(i, value)| (end_of_second(i), value))
        .collect()
}

impl ProtocolTopic for PartialFailuresTopic {
    const INFO: &'static TopicInfo = &INFO;
    type Node = PartialProcess;
    type Checker = PartialChecker;
    const FOCUS_ROLE: &'static str = "backend";

    /// The fault plan's processes: the three tiers.
    const FIXED_NODES: usize = 3;

    fn setup(setup: &Setup) -> (Vec<PartialProcess>, PartialChecker) {
        let rate = param(setup, &RATE_PARAM) as u32;
        let processes = vec![
            PartialProcess::Tier(Box::new(TierNode::new(
                Tier::Frontend,
                policies(setup, Some(Tier::Frontend)),
            ))),
            PartialProcess::Tier(Box::new(TierNode::new(
                Tier::Middle,
                policies(setup, Some(Tier::Middle)),
            ))),
            PartialProcess::Tier(Box::new(TierNode::new(
                Tier::Backend,
                policies(setup, Some(Tier::Backend)),
            ))),
            PartialProcess::Client(Box::new(Client::new(rate, policies(setup, None)))),
        ];
        (processes, PartialChecker::new())
    }

    /// The backend, while it runs: the faults go to it.
    fn focus(_nodes: &[PartialProcess], up: &[bool]) -> Option<NodeId> {
        up.get(BACKEND.index())
            .copied()
            .unwrap_or(false)
            .then_some(BACKEND)
    }

    /// The client runs the workload itself.
    fn planned_request(_index: u64) -> Option<BackendOp> {
        None
    }

    const OPERATIONS: &'static [OperationButton] = &[
        OperationButton {
            label: "Backend brown-out",
            help: "The backend runs at 20% of its capacity (both copies)",
            at_node: false,
        },
        OperationButton {
            label: "Backend outage",
            help: "The backend refuses everything with a 503 at once (both copies)",
            at_node: false,
        },
        OperationButton {
            label: "Slow tail",
            help: "3% of the backend's requests take a slow path of about 300 ms more",
            at_node: false,
        },
        OperationButton {
            label: "Recover",
            help: "Every fault of the backend is lifted",
            at_node: false,
        },
    ];

    fn operation(button: usize, _at: NodeId, _setup: &Setup, _sent: u64) -> Option<BackendOp> {
        match button {
            0 => Some(BackendOp::BrownOut {
                capacity_percent: 20,
            }),
            1 => Some(BackendOp::Outage),
            2 => Some(BackendOp::SlowTail),
            3 => Some(BackendOp::Recover),
            _ => None,
        }
    }

    /// Latency quantiles and amplification so far, against the estimate.
    const CHARTED: bool = true;

    fn charts(simulation: &Simulation<PartialProcess, PartialChecker>) -> Vec<Chart> {
        let Some(client) = client_of(simulation) else {
            return Vec::new();
        };
        let mut latency = Vec::new();
        for chain in Chain::BOTH {
            let sketch = &client.measure(chain).latency;
            for quantile in PLOTTED_QUANTILES {
                latency.push(Bar {
                    label: format!("{} {}", chain.as_str(), quantile.name),
                    value: quantile_rounded(sketch, quantile.rank).unwrap_or(0),
                    palette: palette(chain),
                });
            }
        }
        let series = amplification_series(simulation);
        let attempts = client.caller(Chain::Naive).policy().attempts;
        let mut amplification: Vec<Bar> = Chain::BOTH
            .iter()
            .zip(&series)
            .map(|(&chain, seconds)| Bar {
                label: format!("{}: worst second", chain.as_str()),
                value: seconds.iter().copied().max().unwrap_or(0),
                palette: palette(chain),
            })
            .collect();
        amplification.push(Bar {
            label: format!("estimate ({attempts} attempts)^3"),
            value: amplification_estimate(attempts) * 100,
            palette: Palette::Plain,
        });
        vec![
            Chart {
                title: "Client latency".into(),
                unit: "ms",
                caption: "successful requests so far, from a DDSketch (1% relative error)".into(),
                bars: latency,
            },
            Chart {
                title: "Amplification".into(),
                unit: "%",
                caption: "backend attempts per 100 client requests in the worst second so far, against (1 + r)^3".into(),
                bars: amplification,
            },
        ]
    }

    /// Latency quantiles, goodput, error rate, backend load and
    /// amplification, second by second, both chains.
    const PLOTTED: bool = true;

    fn plots(simulation: &Simulation<PartialProcess, PartialChecker>) -> Vec<Plot> {
        let (Some(client), Some(backend)) = (client_of(simulation), backend_of(simulation)) else {
            return Vec::new();
        };
        let mut plots: Vec<Plot> = Chain::BOTH
            .iter()
            .map(|&chain| {
                latency_plot(
                    format!("Client latency, {} chain", chain.as_str()),
                    "the successful requests",
                    client
                        .measure(chain)
                        .seconds
                        .iter()
                        .map(|second| &second.latency),
                )
            })
            .collect();
        let per_chain = |values: &dyn Fn(Chain) -> Vec<u64>| {
            Chain::BOTH
                .iter()
                .map(|&chain| Line {
                    label: chain.as_str().to_string(),
                    palette: palette(chain),
                    points: points(values(chain).into_iter()),
                })
                .collect::<Vec<_>>()
        };
        plots.push(Plot {
            title: "Goodput over time".into(),
            unit: "ok/s",
            caption: "successful answers to the client, each second".into(),
            lines: per_chain(&|chain| {
                client
                    .measure(chain)
                    .seconds
                    .iter()
                    .map(|s| u64::from(s.ok))
                    .collect()
            }),
        });
        plots.push(Plot {
            title: "Error rate over time".into(),
            unit: "%",
            caption:
                "of the answers each second that were failures (timeouts, 503s, a deadline passed)"
                    .into(),
            lines: per_chain(&|chain| {
                client
                    .measure(chain)
                    .seconds
                    .iter()
                    .map(|s| {
                        let answered = u64::from(s.ok) + u64::from(s.failed);
                        u64::from(s.failed) * 100 / answered.max(1)
                    })
                    .collect()
            }),
        });
        plots.push(Plot {
            title: "Backend load over time".into(),
            unit: "req/s",
            caption: "attempts arriving at each chain's copy of the backend, each second (it serves about 290)".into(),
            lines: per_chain(&|chain| {
                backend
                    .load()
                    .iter()
                    .map(|load| u64::from(load[chain.index()]))
                    .collect()
            }),
        });
        let series = amplification_series(simulation);
        let mut lines = per_chain(&|chain| series[chain.index()].clone());
        let attempts = client.caller(Chain::Naive).policy().attempts;
        let estimate = amplification_estimate(attempts) * 100;
        lines.push(Line {
            label: format!("estimate {attempts}^3"),
            palette: Palette::Plain,
            points: points(series[1].iter().map(|_| estimate)),
        });
        plots.push(Plot {
            title: "Amplification over time".into(),
            unit: "%",
            caption: "backend attempts per 100 client requests, each second, against (1 + r)^3"
                .into(),
            lines,
        });
        plots
    }
}

#[cfg(test)]
mod tests;
