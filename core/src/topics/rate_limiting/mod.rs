//! Rate limiting: six algorithms side by side on the same bursty traffic, and
//! three ways a fleet of gateways shares one global limit.
//!
//! **Problem.** A service wants "at most `r` requests a second, with bursts up
//! to `b`" from a client, a tenant or the world, so one caller cannot starve
//! the others or knock the service over. What exactly "at most" means is the
//! algorithm's definition, and the definitions differ most on bursts. Once the
//! service runs on many gateways, the limit is global but each gateway sees
//! only its own traffic.
//!
//! **The algorithms** ([`crate::ratelimit`], one file each, in integer
//! microseconds with `T = 1/r` rounded up to a whole microsecond):
//!
//! - *token bucket*: `b` tokens, one per request, one back every `T`, never
//!   more than `b` (RFC 2697 section 2's committed burst size; the (r, b)
//!   token bucket of RFC 2215 section 3.1): at most `b + t/T` in any interval of
//!   length `t`.
//! - *GCRA*, ITU-T Recommendation I.371's generic cell rate algorithm in its
//!   virtual scheduling form: the theoretical arrival time TAT, the increment
//!   (emission interval) `T` and the limit (tolerance) `τ`. A request at `t`
//!   is non-conforming if `t < TAT - τ`; otherwise TAT becomes `max(t, TAT) +
//!   T`. With `τ = (b - 1)·T` it decides exactly as the token bucket does
//!   (tested on thousands of random sequences), with one number of state.
//!   I.371's other form of the same algorithm, the continuous-state leaky
//!   bucket, is the leaky bucket *as a meter*.
//! - *leaky bucket as a queue*: admitted requests wait in a bucket of `b`
//!   places and leak out one every `T`; it smooths the traffic instead of just
//!   counting it, and admits a little more than the meter (it delays instead).
//! - *fixed window*: `b` per window of `W = b·T` aligned at multiples of `W`;
//!   `2b` pass across a window boundary.
//! - *sliding log*: `b` in any window of length `W`, exactly, at the cost of a
//!   timestamp per admitted request.
//! - *sliding window counter*: the previous aligned window's count weighted by
//!   how much of it the sliding window still covers, plus the current count
//!   (Cloudflare's approximation, 2017).
//!
//! **Distributed limiting** (mode `distributed`, [`gateway`]): 3 to 10
//! gateways share one global limit of `b` per window `W`; every gateway runs
//! three strategies on each request. The *central counter* (one counter
//! process, as Stripe's "Scaling your API with rate limiters" (2017) keeps its
//! token buckets in Redis) is exact and pays a round trip per request, and
//! when the counter cannot be reached it must choose between rejecting
//! (fail closed, here) and admitting (fail open: Stripe's choice, here the
//! `fail-open` bug, since it gives up the exact limit). *Local limits* split
//! the limit, `b / gateways` each: no messages, never over (unless
//! `b < gateways`), but a gateway that gets more than its share rejects while
//! the others sit idle (under-admission). *Local + sync* counts locally and
//! broadcasts running counts every sync period: between syncs every gateway
//! spends the same remaining allowance (over-admission, growing with the
//! period and the number of gateways).
//!
//! **The model.** Side by side: six limiter processes, one per algorithm
//! ([`limiter`]), and a traffic client ([`client`]) sending every request to
//! all six: a seeded stream of bursts (`rate` requests a second on average in
//! bursts of `burstiness` on average), plus the Burst button. Each limiter
//! decides on arrival and writes the decision down; the timeline marks runs of
//! admitted and rejected requests on each lane (the leaky bucket's admitted
//! runs reach to their last departure). Every request also goes to a
//! [`backend`] that runs two identical copies of the guarded service on the
//! same seed: one gets only what the token bucket admits, the other
//! everything, with no limit in front. Plots show both second by second
//! (throughput, 429s and 503s, latency p50 to p99.9 from a DDSketch): what
//! the limit buys the service, and what it costs the client. Distributed: the
//! counter, the gateways and the client, which sends each burst to one
//! gateway.
//!
//! **Invariants** ([`checker`], [`bounds`]): one per algorithm, each its
//! definition checked from the admitted instants alone after every event
//! (`token-bucket-bound`, `leaky-bucket-queue`, `fixed-window-limit`,
//! `sliding-log-limit`, `sliding-window-estimate`, `gcra-bound`), and
//! `central-counter-limit` in distributed mode. Local limits and local + sync
//! are measured against the global limit (over- and under-admission, charted),
//! not claimed.
//!
//! **Bugs**: `refill-past-burst` (the token bucket's refill is not capped at
//! its capacity, so a quiet spell banks more than `b` tokens and a larger burst
//! passes; runs side by side) and `fail-open` (a gateway admits a request when
//! the counter does not answer in time; runs distributed).
//!
//! **Where the model takes liberties.** Limiters and the counter keep their
//! state across a crash (an in-memory limiter that restarts forgets its counts
//! and admits a fresh burst; the counter stands for a Redis with an append-only
//! file); a crash only loses the requests sent while down. Gateways keep their
//! local counts in memory and lose them. Limiters answer nobody (a real one
//! says 429 Too Many Requests, with Retry-After); the leaky bucket computes
//! each request's departure instead of forwarding it. The global limit of the
//! distributed mode is a fixed window (the simplest to share: one counter per
//! window). Each decision is counted at the instant it was made by the clock
//! of whoever made it, and no clock is skewed. The fault plan knows the first
//! four processes (four limiters, or the counter and three gateways); its
//! "crash the focus" crashes the traffic client, so the limiters see quiet
//! spells.
//!
//! **Left out**: per-key limits (one limiter per client or tenant, as real
//! APIs keep), the concurrent-requests limiter and load shedders of Stripe's
//! post, quotas over hours or days, Retry-After, and exhaustive exploration.

pub mod backend;
pub mod bounds;
pub mod checker;
pub mod client;
pub mod gateway;
pub mod limiter;
pub mod message;
pub mod presets;
pub mod process;

use crate::lab::params::{self, LATENCY, REQUEST_RATE};
use crate::lab::protocol::{self, OperationButton, ProtocolTopic, Setup};
use crate::lab::topic::{BugInfo, Category, ParamSpec, TopicInfo, TopicKind};
use crate::ratelimit::emission_interval_us;
use crate::sim::time::{Duration, NodeId, Time};
use crate::sim::view::{Annotations, Bar, Chart, Line, Mark, Palette, Plot, Span};
use crate::sim::world::Simulation;
use crate::traffic::plots::{end_of_second, latency_plot};

use backend::Backend;
use checker::{RateChecker, CENTRAL_COUNTER_LIMIT, TOKEN_BUCKET_BOUND};
use client::TrafficClient;
use gateway::{Central, CentralCounter, Gateway};
use limiter::Limiter;
use message::{Algorithm, Guard, RateOp, Strategy, MAX_BURST};
use process::{Mode, RateConfig, RateProcess, COUNTER};

pub const BUG_REFILL_PAST_BURST: &str = "refill-past-burst";
pub const BUG_FAIL_OPEN: &str = "fail-open";

pub const MODE: &str = "mode";
pub const LIMIT: &str = "limit";
pub const BURST: &str = "burst";
pub const BURSTINESS: &str = "burstiness";
pub const GATEWAYS: &str = "gateways";
pub const SYNC_PERIOD: &str = "sync-ms";

const MODE_PARAM: ParamSpec = ParamSpec {
    name: MODE,
    label: "Mode",
    default: 0,
    min: 0,
    max: 1,
    step: 1,
    help: "Six algorithms side by side on the same traffic, or gateways sharing one global limit three ways.",
    choices: &["six algorithms", "distributed"],
};

const LIMIT_PARAM: ParamSpec = ParamSpec {
    name: LIMIT,
    label: "Limit (requests per second)",
    default: 10,
    min: 1,
    max: 200,
    step: 1,
    help: "The rate r every limiter allows in the long run: one request every T = 1/r.",
    choices: &[],
};

const BURST_PARAM: ParamSpec = ParamSpec {
    name: BURST,
    label: "Burst",
    default: 5,
    min: 1,
    max: 50,
    step: 1,
    help:
        "The bucket capacity; for the window algorithms the limit per window of burst/rate seconds.",
    choices: &[],
};

const RATE_PARAM: ParamSpec = ParamSpec {
    name: REQUEST_RATE,
    label: "Traffic (requests per second)",
    default: 10,
    min: 0,
    max: 200,
    step: 1,
    help: "The client's mean request rate, in bursts.",
    choices: &[],
};

const BURSTINESS_PARAM: ParamSpec = ParamSpec {
    name: BURSTINESS,
    label: "Burstiness (mean burst size)",
    default: 4,
    min: 1,
    max: 20,
    step: 1,
    help: "Requests per burst on average (1 to twice this minus one, sent at once); 1 is a plain random stream.",
    choices: &[],
};

const GATEWAYS_PARAM: ParamSpec = ParamSpec {
    name: GATEWAYS,
    label: "Gateways (distributed)",
    default: 4,
    min: 3,
    max: 10,
    step: 1,
    help: "Gateways sharing the global limit in distributed mode.",
    choices: &[],
};

const SYNC_PARAM: ParamSpec = ParamSpec {
    name: SYNC_PERIOD,
    label: "Sync period (ms, distributed)",
    default: 200,
    min: 20,
    max: 2_000,
    step: 10,
    help: "How often a gateway tells the others its count under local + sync.",
    choices: &[],
};

/// The rate-limiting topic.
pub struct RateLimitingTopic;

pub static INFO: TopicInfo = TopicInfo {
    slug: "rate-limiting",
    title: "Rate limiting",
    category: Category::Resilience,
    kind: TopicKind::Protocol,
    summary: "Token bucket, leaky bucket, fixed window, sliding log, sliding window counter and GCRA side by side on the same bursty traffic, each checked against its definition; then gateways sharing one global limit through a central counter, local limits, or local limits with periodic sync, with the over- and under-admission each one costs.",
    reference: "ITU-T Recommendation I.371 (GCRA, virtual scheduling and continuous-state leaky bucket); RFC 2697 and RFC 2215 (token bucket); Stripe, Scaling your API with rate limiters (2017); Cloudflare, How we built rate limiting capable of scaling to millions of domains (2017)",
    params: &[
        MODE_PARAM,
        LIMIT_PARAM,
        BURST_PARAM,
        RATE_PARAM,
        BURSTINESS_PARAM,
        GATEWAYS_PARAM,
        SYNC_PARAM,
        params::DROP_PERCENT,
        params::latency(10),
    ],
    presets: &presets::PRESETS,
    bugs: &[
        BugInfo {
            name: BUG_REFILL_PAST_BURST,
            summary: "The token bucket's refill is not capped at its capacity: after a quiet spell it holds more than burst tokens and lets a larger burst through. Runs with the six algorithms.",
            caught_by: &[TOKEN_BUCKET_BOUND],
            budget: 20,
        },
        BugInfo {
            name: BUG_FAIL_OPEN,
            summary: "A gateway admits a request when the central counter does not answer in time (Stripe's deliberate choice, to stay up when Redis is down): the central counter's exact limit is lost. Runs distributed.",
            caught_by: &[CENTRAL_COUNTER_LIMIT],
            budget: 20,
        },
    ],
    invariants: checker::INVARIANTS,
    expected: &[],
    columns: &["process", "role", "admitted", "rejected", "state"],
    build: protocol::build::<RateLimitingTopic>,
};

/// The run's configuration from its parameters and bug.
pub fn config(setup: &Setup) -> RateConfig {
    let clamp = |spec: &ParamSpec| setup.param(spec.name).clamp(spec.min, spec.max);
    let mode = if setup.bug(BUG_REFILL_PAST_BURST) {
        Mode::SideBySide
    } else if setup.bug(BUG_FAIL_OPEN) || clamp(&MODE_PARAM) == 1 {
        Mode::Distributed
    } else {
        Mode::SideBySide
    };
    let latency = setup.param(LATENCY).clamp(0, 300) as u64;
    RateConfig {
        mode,
        interval_us: emission_interval_us(clamp(&LIMIT_PARAM) as f64),
        burst: clamp(&BURST_PARAM) as u32,
        gateways: clamp(&GATEWAYS_PARAM) as u32,
        offered_per_second: clamp(&RATE_PARAM) as u32,
        burstiness: clamp(&BURSTINESS_PARAM) as u32,
        sync_period: Duration::from_millis(clamp(&SYNC_PARAM) as u64),
        // A round trip at the highest latency and a margin.
        answer_timeout: Duration::from_millis(2 * latency + 20),
        refill_past_burst: setup.bug(BUG_REFILL_PAST_BURST),
        fail_open: setup.bug(BUG_FAIL_OPEN),
    }
}

/// Decisions closer than this, with the same outcome, share one bar.
const RUN_GAP: Duration = Duration::from_millis(40);

/// Runs of equal outcomes on one lane: (from, to, count, admitted).
fn runs(decisions: impl Iterator<Item = (Time, Time, bool)>) -> Vec<(Time, Time, u32, bool)> {
    let mut runs: Vec<(Time, Time, u32, bool)> = Vec::new();
    for (at, until, admitted) in decisions {
        match runs.last_mut() {
            Some(run) if run.3 == admitted && at.since(run.1) <= RUN_GAP => {
                run.1 = run.1.max(until);
                run.2 += 1;
            }
            _ => runs.push((at, until, 1, admitted)),
        }
    }
    runs
}

impl RateLimitingTopic {
    fn side_by_side_spans(limiter: &Limiter, node: NodeId, spans: &mut Vec<Span>) {
        let decisions = limiter
            .decisions()
            .iter()
            .map(|d| (d.at, d.departure.unwrap_or(d.at), d.admitted));
        for (from, to, count, admitted) in runs(decisions) {
            let queued = limiter.algorithm() == Algorithm::LeakyBucket && admitted;
            spans.push(Span {
                node,
                from,
                to: Some(to),
                label: match (admitted, queued) {
                    (true, true) => format!("{count} queued"),
                    (true, false) => format!("{count} admitted"),
                    (false, _) => format!("{count} rejected"),
                },
                palette: match (admitted, queued) {
                    (true, true) => Palette::Contend,
                    (true, false) => Palette::Done,
                    (false, _) => Palette::Faulty,
                },
            });
        }
    }

    fn gateway_spans(gateway: &Gateway, node: NodeId, spans: &mut Vec<Span>) {
        let mark = |admitted: bool| if admitted { "✓" } else { "✗" };
        for decision in gateway.decisions() {
            let (to, palette, central) = match decision.central {
                Central::Waiting => (None, Palette::Contend, "?"),
                Central::Admitted(at) => (Some(at.max(decision.arrived)), Palette::Done, "✓"),
                Central::Rejected(at) => (Some(at.max(decision.arrived)), Palette::Faulty, "✗"),
                Central::TimedOut(at) => (Some(at), Palette::Suspect, "✗ (timeout)"),
                Central::FailedOpen(at) => (Some(at), Palette::Faulty, "✓ (failed open)"),
                Central::Lost => (Some(decision.arrived), Palette::Suspect, "lost"),
            };
            spans.push(Span {
                node,
                from: decision.arrived,
                to,
                label: format!(
                    "{} C{central} L{} S{}",
                    decision.request,
                    mark(decision.local),
                    mark(decision.synced)
                ),
                palette,
            });
        }
    }

    fn counter_spans(counter: &CentralCounter, spans: &mut Vec<Span>) {
        let window = counter.window_us();
        for &(index, granted, refused) in counter.windows() {
            spans.push(Span {
                node: COUNTER,
                from: Time(index.saturating_mul(window)),
                to: Some(Time((index + 1).saturating_mul(window).saturating_sub(1))),
                label: format!("w{index}: {granted} yes, {refused} no"),
                palette: if refused > 0 {
                    Palette::Lead
                } else {
                    Palette::Plain
                },
            });
        }
    }
}

impl ProtocolTopic for RateLimitingTopic {
    const INFO: &'static TopicInfo = &INFO;
    type Node = RateProcess;
    type Checker = RateChecker;
    const FOCUS_ROLE: &'static str = "traffic client";

    /// The fault plan's processes: four limiters, or the counter and three gateways.
    const FIXED_NODES: usize = 4;

    fn setup(setup: &Setup) -> (Vec<RateProcess>, RateChecker) {
        let config = config(setup);
        let mut processes: Vec<RateProcess> = match config.mode {
            Mode::SideBySide => Algorithm::ALL
                .iter()
                .map(|&algorithm| RateProcess::Limiter(Limiter::new(algorithm, &config)))
                .collect(),
            Mode::Distributed => {
                std::iter::once(RateProcess::Counter(CentralCounter::new(&config)))
                    .chain(
                        config
                            .gateway_ids()
                            .map(|id| RateProcess::Gateway(Gateway::new(id, config))),
                    )
                    .collect()
            }
        };
        processes.push(RateProcess::Client(TrafficClient::new(config)));
        if config.mode == Mode::SideBySide {
            processes.push(RateProcess::Backend(Box::new(Backend::new(&config))));
        }
        (processes, RateChecker::new(config))
    }

    /// The traffic client, while it runs: operations go to it, and the fault
    /// plan's "crash the focus" silences the traffic for a while.
    fn focus(nodes: &[RateProcess], up: &[bool]) -> Option<NodeId> {
        let client = nodes.iter().position(RateProcess::is_client_process)?;
        up.get(client)
            .copied()
            .unwrap_or(false)
            .then_some(NodeId(client as u32))
    }

    /// The Client request button sends one request.
    fn client_request(_index: u64) -> Option<RateOp> {
        Some(RateOp::Burst(1))
    }

    /// The client runs its own traffic.
    fn planned_request(_index: u64) -> Option<RateOp> {
        None
    }

    const OPERATIONS: &'static [OperationButton] = &[OperationButton {
        label: "Burst",
        help: "The client sends twice the burst parameter's requests at once",
        at_node: false,
    }];

    fn operation(button: usize, _at: NodeId, setup: &Setup, _sent: u64) -> Option<RateOp> {
        let burst = setup.param(BURST).clamp(BURST_PARAM.min, BURST_PARAM.max) as u32;
        (button == 0).then_some(RateOp::Burst((2 * burst).min(MAX_BURST)))
    }

    /// Side by side: runs of admitted (queued, for the leaky bucket) and
    /// rejected requests on each limiter's lane. Distributed: each request on
    /// its gateway's lane from arrival to the counter's answer, labelled with
    /// the three decisions; each window on the counter's lane; a mark where a
    /// strategy first goes over the global limit in a window. Bursts asked for
    /// are marked in both.
    const ANNOTATED: bool = true;

    fn annotations(simulation: &Simulation<RateProcess, RateChecker>) -> Annotations {
        let mut spans = Vec::new();
        let mut marks = Vec::new();
        for (i, process) in simulation.nodes().iter().enumerate() {
            let node = NodeId(i as u32);
            match process {
                RateProcess::Limiter(limiter) => {
                    Self::side_by_side_spans(limiter, node, &mut spans)
                }
                RateProcess::Gateway(gateway) => Self::gateway_spans(gateway, node, &mut spans),
                RateProcess::Counter(counter) => Self::counter_spans(counter, &mut spans),
                // Its story is told by the plots.
                RateProcess::Backend(_) => {}
                RateProcess::Client(client) => {
                    marks.extend(client.asked_bursts().iter().map(|burst| Mark {
                        at: burst.at,
                        label: format!("burst of {}", burst.size),
                    }))
                }
            }
        }
        marks.extend(simulation.checker().over_limit().iter().map(|over| Mark {
            at: over.at,
            label: format!(
                "{} over the limit in w{}",
                over.strategy.as_str(),
                over.window
            ),
        }));
        crate::sort::sort_stably_by(&mut marks, |mark| mark.at.as_micros());
        Annotations { spans, marks }
    }

    /// Side by side: requests sent, and admitted and rejected per algorithm.
    /// Distributed: over- and under-admission per strategy against the
    /// global limit, and what each admitted.
    const CHARTED: bool = true;

    /// Side by side: the backend behind the token bucket against its twin
    /// with no limit, second by second: throughput, what was turned away,
    /// and each copy's latency quantiles. Distributed: none.
    const PLOTTED: bool = true;

    fn plots(simulation: &Simulation<RateProcess, RateChecker>) -> Vec<Plot> {
        let nodes = simulation.nodes();
        let Some(backend) = nodes.iter().find_map(RateProcess::backend) else {
            return Vec::new();
        };
        let seconds = |guard: Guard| backend.seconds(guard).iter();
        let mut rejected_per_second: Vec<u32> = Vec::new();
        if let Some(bucket) = nodes.first().and_then(RateProcess::limiter) {
            for decision in bucket.decisions().iter().filter(|d| !d.admitted) {
                let second = (decision.at.as_micros() / 1_000_000) as usize;
                if rejected_per_second.len() <= second {
                    rejected_per_second.resize(second + 1, 0);
                }
                rejected_per_second[second] += 1;
            }
        }
        let mut served = vec![per_second_line(
            "offered",
            Palette::Plain,
            seconds(Guard::NoLimit).map(|second| second.arrived),
        )];
        let mut refused = vec![per_second_line(
            "429 from the token bucket",
            Palette::Lead,
            rejected_per_second.into_iter(),
        )];
        for guard in Guard::BOTH {
            served.push(per_second_line(
                guard.as_str(),
                guard_palette(guard),
                seconds(guard).map(|second| second.served),
            ));
            refused.push(per_second_line(
                &format!("503, {}", guard.as_str()),
                guard_palette(guard),
                seconds(guard).map(|second| second.refused),
            ));
        }
        let mut plots = vec![
            Plot {
                title: "Backend throughput over time".into(),
                unit: "req/s",
                caption: "requests the backend served each second, behind the token bucket and with no limit, against what the client offered".into(),
                lines: served,
            },
            Plot {
                title: "Turned away over time".into(),
                unit: "req/s",
                caption: "the token bucket's 429s, and each backend's 503s when its queue of 32 is full".into(),
                lines: refused,
            },
        ];
        plots.extend(Guard::BOTH.map(|guard| {
            latency_plot(
                format!("Backend latency, {}", guard.as_str()),
                "arrival to end of work at the backend",
                seconds(guard).map(|second| &second.latency),
            )
        }));
        plots
    }

    fn charts(simulation: &Simulation<RateProcess, RateChecker>) -> Vec<Chart> {
        let bar = |label: &str, value: u64, palette: Palette| Bar {
            label: label.to_string(),
            value,
            palette,
        };
        let nodes = simulation.nodes();
        let sent = nodes
            .iter()
            .find_map(RateProcess::client)
            .map_or(0, |client| client.sent() as u64);
        let limiters: Vec<&Limiter> = nodes.iter().filter_map(RateProcess::limiter).collect();
        if !limiters.is_empty() {
            let mut admitted = vec![bar("requests sent", sent, Palette::Plain)];
            let mut rejected = Vec::new();
            for limiter in limiters {
                let (yes, no) = limiter.counts();
                admitted.push(bar(limiter.algorithm().as_str(), yes, Palette::Done));
                rejected.push(bar(limiter.algorithm().as_str(), no, Palette::Faulty));
            }
            return vec![
                Chart {
                    title: "Admitted per algorithm".into(),
                    unit: "",
                    caption: "the same requests, as each limiter received them (the leaky bucket's wait in its queue)".into(),
                    bars: admitted,
                },
                Chart {
                    title: "Rejected per algorithm".into(),
                    unit: "",
                    caption: "requests each limiter answered 429".into(),
                    bars: rejected,
                },
            ];
        }
        let checker = simulation.checker();
        let totals = Strategy::ALL.map(|strategy| (strategy, checker.totals(strategy)));
        let per = |value: fn(&checker::StrategyTotals) -> u64, palette: Palette| {
            totals
                .iter()
                .map(|(strategy, totals)| bar(strategy.as_str(), value(totals), palette))
                .collect::<Vec<_>>()
        };
        let mut admitted = vec![bar("requests sent", sent, Palette::Plain)];
        admitted.extend(per(|t| t.admitted, Palette::Done));
        vec![
            Chart {
                title: "Over-admission against the global limit".into(),
                unit: "",
                caption: "requests admitted beyond burst in a window, summed over windows".into(),
                bars: per(|t| t.over, Palette::Faulty),
            },
            Chart {
                title: "Under-admission".into(),
                unit: "",
                caption: "requests rejected in a window that ended with room for them".into(),
                bars: per(|t| t.under, Palette::Suspect),
            },
            Chart {
                title: "Admitted per strategy".into(),
                unit: "",
                caption: "out of the requests the client sent".into(),
                bars: admitted,
            },
        ]
    }
}

/// A line of one measure per second of both backend copies, or of the
/// token bucket's 429s.
fn per_second_line(label: &str, palette: Palette, values: impl Iterator<Item = u32>) -> Line {
    Line {
        label: label.to_string(),
        palette,
        points: values
            .enumerate()
            .map(|(second, value)| (end_of_second(second), value.into()))
            .collect(),
    }
}

fn guard_palette(guard: Guard) -> Palette {
    match guard {
        Guard::BehindLimit => Palette::Done,
        Guard::NoLimit => Palette::Suspect,
    }
}

impl RateProcess {
    fn is_client_process(&self) -> bool {
        matches!(self, RateProcess::Client(_))
    }
}

#[cfg(test)]
mod tests;
