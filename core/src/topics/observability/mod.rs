//! Observability: metrics, logs and traces of one small system, correlated by
//! trace id; a RED dashboard per service; an SLO with multiwindow,
//! multi-burn-rate alerts; fleet percentiles from mergeable sketches.
//!
//! **Problem.** A service runs on several hosts and you must know, from the
//! outside, whether its users are being served: how many requests, how many
//! fail, how slow they are, and whether that is bad enough to wake someone.
//! Each host sees only its own share. Averages hide the slow tail, per-host
//! percentiles cannot be combined, and an alert on an error threshold either
//! pages for every blip or notices a real incident an hour late.
//!
//! **The ideas.**
//!
//! - *RED* (Tom Wilkie, "The RED Method: key metrics for microservices
//!   architecture", 2015): for every service, its request **R**ate, its
//!   **E**rrors and the **D**uration of its requests as a distribution, not
//!   a mean. Each host keeps two monotonic counters (requests, errors), a
//!   latency histogram per interval and a gauge (requests in flight), and
//!   pushes them to the monitor. The three metric kinds are read
//!   differently: a counter by its increase (corrected for resets), a
//!   histogram by merging, a gauge as sampled (summed over hosts).
//! - *DDSketch* (Masson, Rim & Lee, "DDSketch: A Fast and Fully-Mergeable
//!   Quantile Sketch with Relative-Error Guarantees", VLDB 2019): a histogram
//!   with logarithmic buckets, γ = (1 + α)/(1 − α), whose every quantile is
//!   within relative error α of the exact one (§2.1, Proposition 2), and
//!   whose merge is the sketch of the union (§2.2). So the fleet p99 is the
//!   p99 of the merged sketches, still within α. The mean of the hosts' p99s
//!   is no percentile of anything: the `average-of-percentiles` bug.
//!   (The sketch is [`crate::traffic::sketch`]; its own test measures the
//!   bound over 10⁶ values of five distributions.)
//! - *SLOs and burn-rate alerts* (Google, The Site Reliability Workbook,
//!   chapter 5 "Alerting on SLOs"): an objective (99.9% of requests succeed
//!   over 30 days) leaves an error budget (0.1%); a burn rate is how fast it
//!   is spent. Its recommended alerts are multiwindow, multi-burn-rate: page
//!   when the burn over 1 hour and over 5 minutes both exceed 14.4, or over 6
//!   hours and 30 minutes both exceed 6; ticket when over 3 days and 6 hours
//!   both exceed 1. The long window gives significance, the short one makes
//!   the alert resolve soon after the burning stops ([`slo`], which states
//!   the scale: 100 ms of virtual time is 5 minutes, 1.2 s an hour).
//! - *Correlation by trace id* (W3C Trace Context; OpenMetrics exemplars):
//!   every request is the root of a trace, each host's handling of it is a
//!   span, each log line carries both ids, and each bucket of a service's
//!   duration histogram keeps as exemplar the trace id of its newest
//!   request. A log line or a bucket opens its trace ([`correlation`]): the
//!   users' root span and the host's span, drawn on the timeline, with what
//!   was logged under it.
//!
//! **The model.** Six hosts, two per service ([`host`]): `frontend`
//! (log-normal, median 6 ms), `search` (mostly 4 ms, 3% on a 60 ms slow
//! path) and `payments` (log-normal, median 15 ms), each a queue and four
//! workers, failing 0.02% of requests when healthy. The users ([`client`])
//! send `rate` requests a second to each service, to a host picked at
//! random. Every 100 ms each host pushes a report: its counters, the
//! interval's sketch, its exact durations (at most 256) and its exemplar.
//! The monitor ([`monitor`]) turns counters into increases, merges sketches,
//! evaluates each interval 40 ms after it closed and fires and resolves
//! alerts. The buttons inject a host's incident (20% errors), slow it down
//! (+60 ms) or recover it.
//!
//! **Invariants** ([`checker`]): `sketch-within-bound`,
//! `alert-fires-on-fast-burn` and `counters-monotonic`.
//!
//! **Bugs**: `average-of-percentiles` (the fleet p50 and p99 are the means of
//! the hosts' own, caught by `sketch-within-bound` against the exact fleet
//! values) and `counter-reset-ignored` (the monitor takes a counter's
//! increase as the plain difference, so a host's restart makes the service's
//! totals go down; caught by `counters-monotonic`).
//!
//! **Where the model takes liberties.** Time is scaled (see [`slo`]), and a
//! window longer than the run assumes a clean past at the same request
//! rate. The monitor is one process that never crashes (the fault plan knows
//! the hosts only) and keeps its series on durable storage; reports are
//! pushed, not scraped, and an interval is evaluated once, so a report later
//! than the 40 ms grace counts in the counters but not in that interval's
//! percentiles. Exact durations are kept for the checker's sake: a real
//! system keeps only the sketch. Durations are measured at the host, from
//! arrival to answer, so a call lost on the network is an error nobody
//! counts (as with server-side metrics). Hosts' faults are injected per
//! host: an incident on one of two hosts is half the service's requests.
//!
//! **Left out**: scraping and staleness, label cardinality, log sampling and
//! tail-based trace sampling, spans across services (each trace has the
//! user's span and one host's), SLOs on latency, alert routing and
//! silencing, and exhaustive exploration.

pub mod checker;
pub mod client;
pub mod correlation;
pub mod host;
pub mod message;
pub mod monitor;
pub mod presets;
pub mod process;
pub mod slo;

use crate::decimal::decimal;
use crate::lab::params::{self, REQUEST_RATE};
use crate::lab::protocol::{self, OperationButton, ProtocolTopic, Setup};
use crate::lab::topic::{BugInfo, Category, ParamSpec, TopicInfo, TopicKind};
use crate::sim::time::{NodeId, Time};
use crate::sim::view::{Annotations, Line, Palette, Plot, Signals, Span, TraceDetail};
use crate::sim::world::Simulation;

use checker::{ObservabilityChecker, COUNTERS_MONOTONIC, SKETCH_WITHIN_BOUND};
use client::Client;
use host::Host;
use message::{HostOp, ServiceName, HOSTS, MONITOR};
use monitor::{Monitor, Point};
use process::ObservabilityProcess;
use slo::{AlertKind, FAST_BURN, INTERVAL, MEDIUM_BURN, SLOW_BURN, W1H, W30D, WINDOWS};

pub const BUG_AVERAGE_OF_PERCENTILES: &str = "average-of-percentiles";
pub const BUG_COUNTER_RESET_IGNORED: &str = "counter-reset-ignored";

pub const ALPHA: &str = "alpha";

/// The Incident button's error rate: 20% of the host's requests.
pub const INCIDENT_PPM: u32 = 200_000;
/// The Slow down button's added latency.
pub const SLOW_DOWN_MS: u32 = 60;

const RATE_PARAM: ParamSpec = ParamSpec {
    name: REQUEST_RATE,
    label: "Requests per second (each service)",
    default: 80,
    min: 0,
    max: 300,
    step: 10,
    help: "The users' requests to each service, a Poisson stream spread over its two hosts.",
    choices: &[],
};

const ALPHA_PARAM: ParamSpec = ParamSpec {
    name: ALPHA,
    label: "Sketch accuracy α (per mille)",
    default: 10,
    min: 1,
    max: 50,
    step: 1,
    help: "The DDSketch's relative accuracy: every percentile is within α of the exact one (10 is 1%).",
    choices: &[],
};

/// The observability topic.
pub struct ObservabilityTopic;

pub static INFO: TopicInfo = TopicInfo {
    slug: "observability",
    title: "Observability",
    category: Category::Platform,
    kind: TopicKind::Protocol,
    summary: "Metrics, logs and traces of three services on six hosts, correlated by trace id: a RED dashboard per service (rate, errors, p50/p99 from merged DDSketches, shown beside the exact values they stay within α of), a 99.9% SLO with the SRE Workbook's multiwindow, multi-burn-rate alerts paging during an injected incident and resolving after it, log lines and histogram buckets opening the traces they were written under.",
    reference: "Google, The Site Reliability Workbook, ch. 5 Alerting on SLOs (multiwindow, multi-burn-rate alerts); Masson, Rim & Lee, DDSketch, VLDB 2019 (§2.1 Proposition 2, §2.2 merging); Wilkie, The RED Method (2015); W3C Trace Context; OpenMetrics exemplars",
    params: &[
        RATE_PARAM,
        ALPHA_PARAM,
        params::DROP_PERCENT,
        params::latency(10),
    ],
    presets: &presets::PRESETS,
    bugs: &[
        BugInfo {
            name: BUG_AVERAGE_OF_PERCENTILES,
            summary: "The monitor reports a service's p50 and p99 as the mean of its hosts' own percentiles instead of the percentiles of the merged sketch: a number no request took.",
            caught_by: &[SKETCH_WITHIN_BOUND],
            budget: 20,
        },
        BugInfo {
            name: BUG_COUNTER_RESET_IGNORED,
            summary: "The monitor takes a counter's increase as the plain difference from the last report, so a host that restarts (its counters back at zero) makes its service's totals fall.",
            caught_by: &[COUNTERS_MONOTONIC],
            budget: 200,
        },
    ],
    invariants: checker::INVARIANTS,
    expected: &[],
    columns: &[
        "process",
        "role",
        "rate",
        "errors",
        "duration p99: sketch (exact), within α",
        "last log line / alerts",
    ],
    build: protocol::build::<ObservabilityTopic>,
};

/// The sketch accuracy of a run.
pub fn alpha(setup: &Setup) -> f64 {
    setup.param(ALPHA).clamp(ALPHA_PARAM.min, ALPHA_PARAM.max) as f64 / 1_000.0
}

/// A point's instant: the end of its interval.
fn point_time(point: &Point) -> Time {
    Time((point.interval + 1).saturating_mul(INTERVAL.as_micros()))
}

fn service_palette(service: ServiceName) -> Palette {
    match service {
        ServiceName::Frontend => Palette::Lead,
        ServiceName::Search => Palette::Contend,
        ServiceName::Payments => Palette::Faulty,
    }
}

impl ObservabilityTopic {
    fn monitor(
        simulation: &Simulation<ObservabilityProcess, ObservabilityChecker>,
    ) -> Option<&Monitor> {
        simulation
            .nodes()
            .get(MONITOR.index())
            .and_then(ObservabilityProcess::monitor)
    }
}

/// A plot with a line per service of `value` at each evaluated interval.
fn per_service(
    monitor: &Monitor,
    title: &str,
    unit: &'static str,
    caption: &str,
    value: fn(&Point) -> Option<u64>,
) -> Plot {
    Plot {
        title: title.into(),
        unit,
        caption: caption.into(),
        lines: ServiceName::ALL
            .iter()
            .map(|&service| Line {
                label: service.as_str().to_string(),
                palette: service_palette(service),
                points: monitor
                    .board(service)
                    .points()
                    .iter()
                    .filter_map(|p| Some((point_time(p), value(p)?)))
                    .collect(),
            })
            .collect(),
    }
}

/// A flat line at `value` over `points`' span.
fn threshold(label: &str, value: u64, points: &[Point]) -> Line {
    Line {
        label: label.to_string(),
        palette: Palette::Plain,
        points: points.iter().map(|p| (point_time(p), value)).collect(),
    }
}

impl ProtocolTopic for ObservabilityTopic {
    const INFO: &'static TopicInfo = &INFO;
    type Node = ObservabilityProcess;
    type Checker = ObservabilityChecker;

    /// The fault plan's processes: the six hosts.
    const FIXED_NODES: usize = HOSTS as usize;

    fn setup(setup: &Setup) -> (Vec<ObservabilityProcess>, ObservabilityChecker) {
        let alpha = alpha(setup);
        let rate = setup
            .param(REQUEST_RATE)
            .clamp(RATE_PARAM.min, RATE_PARAM.max) as u32;
        let mut processes: Vec<ObservabilityProcess> = (0..HOSTS)
            .filter_map(|i| {
                let id = NodeId(i);
                let service = ServiceName::of_host(id)?;
                Some(ObservabilityProcess::Host(Box::new(Host::new(
                    id, service, alpha,
                ))))
            })
            .collect();
        processes.push(ObservabilityProcess::Monitor(Box::new(Monitor::new(
            alpha,
            setup.bug(BUG_AVERAGE_OF_PERCENTILES),
            setup.bug(BUG_COUNTER_RESET_IGNORED),
        ))));
        processes.push(ObservabilityProcess::Client(Client::new(rate)));
        (processes, ObservabilityChecker::new())
    }

    /// The users run their own traffic.
    fn planned_request(_index: u64) -> Option<HostOp> {
        None
    }

    const OPERATIONS: &'static [OperationButton] = &[
        OperationButton {
            label: "Incident",
            help: "The chosen host fails 20% of its requests (a bad deploy): its service burns its error budget about 100 times too fast",
            at_node: true,
        },
        OperationButton {
            label: "Slow down",
            help: "Every request on the chosen host takes 60 ms longer",
            at_node: true,
        },
        OperationButton {
            label: "Recover",
            help: "The chosen host is healthy again",
            at_node: true,
        },
    ];

    fn operation(button: usize, at: NodeId, _setup: &Setup, _sent: u64) -> Option<HostOp> {
        ServiceName::of_host(at)?;
        match button {
            0 => Some(HostOp::Errors { ppm: INCIDENT_PPM }),
            1 => Some(HostOp::Slow {
                added_ms: SLOW_DOWN_MS,
            }),
            2 => Some(HostOp::Recover),
            _ => None,
        }
    }

    /// Alerts firing on the monitor's lane and injected faults on the hosts'
    /// lanes (an opened trace adds its spans: [`correlation`]).
    const ANNOTATED: bool = true;

    fn annotations(
        simulation: &Simulation<ObservabilityProcess, ObservabilityChecker>,
    ) -> Annotations {
        let mut spans = Vec::new();
        for (i, process) in simulation.nodes().iter().enumerate() {
            let Some(host) = process.host() else {
                continue;
            };
            for &(from, to, op) in host.incidents() {
                spans.push(Span {
                    node: NodeId(i as u32),
                    from,
                    to,
                    label: op.to_string(),
                    palette: match op {
                        HostOp::Errors { .. } => Palette::Faulty,
                        _ => Palette::Suspect,
                    },
                });
            }
        }
        if let Some(monitor) = Self::monitor(simulation) {
            for firing in monitor.firings() {
                spans.push(Span {
                    node: MONITOR,
                    from: firing.from,
                    to: firing.to,
                    label: format!(
                        "{} {} ({}×)",
                        firing.service.as_str(),
                        firing.kind.as_str(),
                        decimal(firing.burn, 1)
                    ),
                    palette: match firing.kind {
                        AlertKind::Page => Palette::Faulty,
                        AlertKind::Ticket => Palette::Suspect,
                    },
                });
            }
        }
        Annotations {
            spans,
            marks: Vec::new(),
        }
    }

    /// The hosts' newest log lines and each service's duration histogram
    /// with an exemplar per bucket; a click on either opens its trace.
    const CORRELATED: bool = true;

    fn signals(simulation: &Simulation<ObservabilityProcess, ObservabilityChecker>) -> Signals {
        correlation::signals(simulation.nodes())
    }

    fn trace_detail(
        simulation: &Simulation<ObservabilityProcess, ObservabilityChecker>,
        trace: u64,
    ) -> Option<TraceDetail> {
        correlation::trace_detail(simulation.nodes(), trace)
    }

    /// The RED dashboard over time, the sketch against the exact fleet p99,
    /// the error budget, and the burn rates of the service burning fastest
    /// with the alerts' thresholds.
    const PLOTTED: bool = true;

    fn plots(simulation: &Simulation<ObservabilityProcess, ObservabilityChecker>) -> Vec<Plot> {
        let Some(monitor) = Self::monitor(simulation) else {
            return Vec::new();
        };
        let per_second = 1_000_000 / INTERVAL.as_micros() as i64;
        let alpha_per_mille = (monitor.alpha() * 1_000.0).round() as u64;
        let mut sketch = per_service(
            monitor,
            "Fleet p99: reported against exact",
            "‰ off",
            "relative error of the reported p99 against the exact p99 of every host's durations; the merged sketch stays under α",
            |p| {
                let (reported, exact) = (p.p99?, p.exact_p99?);
                (exact > 0.0).then(|| ((reported - exact).abs() / exact * 1_000.0).round() as u64)
            },
        );
        let points = monitor.board(ServiceName::Frontend).points();
        sketch.lines.push(threshold("α", alpha_per_mille, points));
        // The service whose 1-hour burn rate peaked highest.
        let peak = |service: ServiceName| {
            monitor
                .board(service)
                .points()
                .iter()
                .map(|p| p.burn[W1H])
                .fold(0.0, f64::max)
        };
        let burning = ServiceName::ALL
            .iter()
            .copied()
            .fold(ServiceName::Frontend, |best, s| {
                if peak(s) > peak(best) {
                    s
                } else {
                    best
                }
            });
        let burning_points = monitor.board(burning).points();
        let window_palettes = [
            Palette::Faulty,
            Palette::Suspect,
            Palette::Lead,
            Palette::Contend,
            Palette::Done,
        ];
        let mut burn_lines: Vec<Line> = WINDOWS
            .iter()
            .zip(window_palettes)
            .enumerate()
            .filter(|(i, _)| *i != W30D)
            .map(|(i, (window, palette))| Line {
                label: window.name.to_string(),
                palette,
                points: burning_points
                    .iter()
                    .map(|p| (point_time(p), (p.burn[i] * 100.0).round() as u64))
                    .collect(),
            })
            .collect();
        for (label, rate) in [
            ("page 14.4×", FAST_BURN),
            ("page 6×", MEDIUM_BURN),
            ("ticket 1×", SLOW_BURN),
        ] {
            burn_lines.push(threshold(label, (rate * 100.0) as u64, burning_points));
        }
        vec![
            per_service(
                monitor,
                "Rate",
                "req/s",
                "requests answered, per evaluation interval (100 ms, 5 minutes of the scaled month)",
                |p| Some((p.requests * 1_000_000 / INTERVAL.as_micros() as i64).max(0) as u64),
            ),
            per_service(
                monitor,
                "Errors",
                "‰",
                "of the requests answered in each interval (the SLO allows 1‰)",
                |p| (p.requests > 0).then(|| (p.errors.max(0) * 1_000 / p.requests) as u64),
            ),
            per_service(
                monitor,
                "Duration p99",
                "ms",
                "the fleet p99 the monitor reports for each interval",
                |p| p.p99.map(|v| v.round() as u64),
            ),
            per_service(
                monitor,
                "In flight (gauge)",
                "",
                "queued or in service at each host's report, summed: read as sampled, not differenced",
                |p| Some(u64::from(p.in_flight)),
            ),
            sketch,
            per_service(
                monitor,
                "Error budget remaining",
                "%",
                "of the 30-day budget (0.1% of requests), the run taken as the end of a clean month",
                |p| Some(((1.0 - p.burn[W30D]) * 100.0).max(0.0).round() as u64),
            ),
            Plot {
                title: format!("Burn rates of {}", burning.as_str()),
                unit: "%",
                caption: format!(
                    "100% spends the budget in exactly 30 days; a page needs both its windows over its line ({} req/s)",
                    points.last().map_or(0, |p| p.requests * per_second)
                ),
                lines: burn_lines,
            },
        ]
    }
}

#[cfg(test)]
mod tests;
