//! The rate-limiting model's behaviour: each invariant fires on a sequence
//! that breaks its definition and holds on the library's own decisions; the
//! presets tell their stories (the boundary burst, the refill bug caught, the
//! fail-open bug caught, the strategies' over- and under-admission); bad
//! operations are refused without a panic.

use super::bounds::Bound;
use super::checker::{
    invariant_of, RateChecker, CENTRAL_COUNTER_LIMIT, FIXED_WINDOW_LIMIT, GCRA_BOUND,
    LEAKY_BUCKET_QUEUE, SLIDING_LOG_LIMIT, SLIDING_WINDOW_ESTIMATE, TOKEN_BUCKET_BOUND,
};
use super::message::{Algorithm, RateOp, Strategy};
use super::process::RateProcess;
use super::{RateLimitingTopic, BUG_FAIL_OPEN, BUG_REFILL_PAST_BURST, INFO};
use crate::lab::protocol::simulation;
use crate::lab::run::{Run, RunOptions};
use crate::lab::scenario::Scenario;
use crate::ratelimit::{
    FixedWindow, Gcra, LeakyBucket, SlidingLog, SlidingWindowCounter, TokenBucket,
};
use crate::sim::action::{Action, Operation, RawOperation};
use crate::sim::rng::Rng;
use crate::sim::time::{NodeId, Time};
use crate::sim::trace::EventKind;
use crate::sim::world::Simulation;

const MS: u64 = 1_000;

fn sim(run: &dyn Run) -> &Simulation<RateProcess, RateChecker> {
    simulation::<RateLimitingTopic>(run).expect("a rate-limiting run")
}

fn preset_scenario(name: &str, bug: Option<&str>) -> Scenario {
    let preset = INFO.preset(name).expect("the preset exists");
    let mut scenario = INFO.preset_scenario(preset);
    scenario.bug = bug.map(str::to_string);
    scenario
}

fn run(scenario: &Scenario, until_ms: u64) -> Box<dyn Run> {
    let mut run = (INFO.build)(scenario, RunOptions::default()).expect("builds");
    run.run_until(Time::from_millis(until_ms));
    run
}

fn invariants_broken(run: &dyn Run) -> Vec<&'static str> {
    run.violations().iter().map(|v| v.invariant).collect()
}

/// Each limiter's (admitted, rejected), in lane order.
fn counts(run: &dyn Run) -> Vec<(u64, u64)> {
    sim(run)
        .nodes()
        .iter()
        .filter_map(RateProcess::limiter)
        .map(|limiter| limiter.counts())
        .collect()
}

/// Feeds admissions `(ms, departure ms)` to a fresh bound of `algorithm`
/// (10 a second, burst 3: T = 100 ms, W = 300 ms) and returns the first
/// complaint.
fn first_complaint(algorithm: Algorithm, admissions: &[(u64, Option<u64>)]) -> Option<String> {
    let mut bound = Bound::new(algorithm, 100 * MS, 3, 300 * MS);
    admissions
        .iter()
        .find_map(|&(at, departure)| bound.admit(Time(at * MS), departure.map(|d| Time(d * MS))))
}

#[test]
fn each_bound_fires_on_a_sequence_that_breaks_its_definition() {
    let at = |instants: &[u64]| instants.iter().map(|&t| (t, None)).collect::<Vec<_>>();
    // Buckets: 3 at once then one 100 ms later is fine; a 4th at once is not,
    // nor 5 within 150 ms.
    for algorithm in [Algorithm::TokenBucket, Algorithm::Gcra] {
        assert_eq!(first_complaint(algorithm, &at(&[0, 0, 0, 100, 200])), None);
        assert!(first_complaint(algorithm, &at(&[0, 0, 0, 0])).is_some());
        assert!(first_complaint(algorithm, &at(&[500, 500, 500, 600, 650])).is_some());
    }
    // Fixed window: 3 at 299 and 3 at 300 are fine (the boundary burst); 4 in one window not.
    let boundary = at(&[299, 299, 299, 300, 300, 300]);
    assert_eq!(first_complaint(Algorithm::FixedWindow, &boundary), None);
    assert!(first_complaint(Algorithm::FixedWindow, &at(&[300, 400, 500, 599])).is_some());
    // Sliding log: the boundary burst breaks it; 4 spanning a whole window do not.
    assert!(first_complaint(Algorithm::SlidingLog, &boundary).is_some());
    assert_eq!(
        first_complaint(Algorithm::SlidingLog, &at(&[0, 1, 2, 300])),
        None
    );
    // Sliding window counter: previous 3, at 100 ms into the next window the
    // estimate is 3·200/300 + 1 = 3 (fine); a second is 4.
    assert_eq!(
        first_complaint(Algorithm::SlidingWindowCounter, &at(&[0, 0, 0, 400])),
        None
    );
    assert!(first_complaint(Algorithm::SlidingWindowCounter, &at(&[0, 0, 0, 400, 400])).is_some());
    // Leaky bucket: departures 100 ms apart, at most 3 waiting.
    let queue = [
        (0, Some(0)),
        (0, Some(100)),
        (0, Some(200)),
        (150, Some(300)),
    ];
    assert_eq!(first_complaint(Algorithm::LeakyBucket, &queue), None);
    let too_close = [(0, Some(0)), (0, Some(50))];
    assert!(first_complaint(Algorithm::LeakyBucket, &too_close).is_some());
    let overfull = [(0, Some(0)), (0, Some(100)), (0, Some(200)), (0, Some(300))];
    assert!(first_complaint(Algorithm::LeakyBucket, &overfull).is_some());
    let early = [(100, Some(50))];
    assert!(first_complaint(Algorithm::LeakyBucket, &early).is_some());
    // Each algorithm has its own invariant.
    let names: Vec<_> = Algorithm::ALL.iter().map(|&a| invariant_of(a)).collect();
    assert_eq!(
        names,
        [
            TOKEN_BUCKET_BOUND,
            LEAKY_BUCKET_QUEUE,
            FIXED_WINDOW_LIMIT,
            SLIDING_LOG_LIMIT,
            SLIDING_WINDOW_ESTIMATE,
            GCRA_BOUND
        ]
    );
}

#[test]
fn the_library_keeps_every_bound_on_random_bursty_sequences() {
    let mut rng = Rng::new(77);
    for case in 0..300 {
        let interval = rng.range_inclusive(1, 200) * MS;
        let burst = rng.range_inclusive(1, 8) as u32;
        let window = interval * burst as u64;
        let mut bounds: Vec<Bound> = Algorithm::ALL
            .iter()
            .map(|&a| Bound::new(a, interval, burst, window))
            .collect();
        let mut token = TokenBucket::with_interval(interval, burst);
        let mut leaky = LeakyBucket::with_interval(interval, burst);
        let mut fixed = FixedWindow::with_window(burst, window);
        let mut log = SlidingLog::with_window(burst, window);
        let mut counter = SlidingWindowCounter::with_window(burst, window);
        let mut gcra = Gcra::with_interval(interval, burst);
        let mut now = 0;
        let mut admitted = [0u32; 6];
        for _ in 0..400 {
            now += match rng.below(4) {
                0 => 0,
                1 | 2 => rng.below(interval),
                _ => rng.below(6 * interval),
            };
            let t = Time(now);
            let departure = leaky.try_enqueue(now);
            let decisions = [
                (token.try_acquire(now), None),
                (departure.is_some(), departure.map(Time)),
                (fixed.try_acquire(now), None),
                (log.try_acquire(now), None),
                (counter.try_acquire(now), None),
                (gcra.try_acquire(now), None),
            ];
            for (i, (yes, departure)) in decisions.into_iter().enumerate() {
                if yes {
                    admitted[i] += 1;
                    let complaint = bounds[i].admit(t, departure);
                    assert_eq!(complaint, None, "case {case}, {:?}", Algorithm::ALL[i]);
                }
            }
        }
        assert!(admitted.iter().all(|&a| a > 0));
    }
}

#[test]
fn the_fixed_window_admits_both_bursts_across_the_boundary() {
    let run = run(&preset_scenario("fixed-window-boundary", None), 1_000);
    assert!(
        invariants_broken(&*run).is_empty(),
        "{:?}",
        run.violations()
    );
    let admitted: Vec<u64> = counts(&*run).iter().map(|c| c.0).collect();
    // token, leaky, fixed, log, counter, GCRA. The leaky bucket let its first
    // request out at once, so one place is free for the second burst.
    assert_eq!(admitted, [5, 6, 10, 5, 5, 5]);
}

#[test]
fn side_by_side_holds_every_definition_and_the_algorithms_differ() {
    let run = run(&preset_scenario("side-by-side", None), 9_000);
    assert!(
        invariants_broken(&*run).is_empty(),
        "{:?}",
        run.violations()
    );
    let counts = counts(&*run);
    println!("side-by-side admitted/rejected: {counts:?}");
    assert!(
        counts.iter().all(|&(yes, no)| yes > 20 && no > 0),
        "{counts:?}"
    );
    // The fixed window, which forgets at each boundary, admits the most of the
    // three windows; the buckets admit within a few of each other.
    assert!(counts[2].0 >= counts[3].0, "{counts:?}");
    assert!(counts[0].0.abs_diff(counts[5].0) <= 3, "{counts:?}");
}

#[test]
fn refill_past_burst_is_caught_and_the_capped_bucket_is_not() {
    let broken = run(
        &preset_scenario("refill-past-burst", Some(BUG_REFILL_PAST_BURST)),
        3_000,
    );
    assert!(invariants_broken(&*broken).contains(&TOKEN_BUCKET_BOUND));
    assert_eq!(counts(&*broken)[0].0, 10);
    let fixed = run(&preset_scenario("refill-past-burst", None), 3_000);
    assert!(invariants_broken(&*fixed).is_empty());
    assert_eq!(counts(&*fixed)[0].0, 5);
}

#[test]
fn fail_open_is_caught_and_failing_closed_holds_the_limit() {
    let broken = run(&preset_scenario("fail-open", Some(BUG_FAIL_OPEN)), 3_000);
    assert!(invariants_broken(&*broken).contains(&CENTRAL_COUNTER_LIMIT));
    let closed = run(&preset_scenario("fail-open", None), 3_000);
    assert!(
        invariants_broken(&*closed).is_empty(),
        "{:?}",
        closed.violations()
    );
    let totals = sim(&*closed).checker().totals(Strategy::Central);
    assert_eq!(totals.over, 0);
    // The partition turns requests away that the limit had room for.
    assert!(totals.under > 0, "{totals:?}");
}

#[test]
fn the_strategies_over_and_under_admit_as_the_theory_says() {
    let run = run(&preset_scenario("distributed-strategies", None), 10_000);
    assert!(
        invariants_broken(&*run).is_empty(),
        "{:?}",
        run.violations()
    );
    let checker = sim(&*run).checker();
    let [central, local, synced] = Strategy::ALL.map(|s| checker.totals(s));
    println!("distributed-strategies over 10 s: central {central:?}, local {local:?}, local + sync {synced:?}");
    assert_eq!(central.over, 0);
    // Shares of 5 / 4 = 1 per gateway per window never add up past 5.
    assert_eq!(local.over, 0);
    assert!(local.under > central.under, "{local:?} vs {central:?}");
    assert!(synced.over > 0, "{synced:?}");
    assert!(checker
        .over_limit()
        .iter()
        .all(|o| o.strategy == Strategy::Synced));
}

#[test]
fn bad_operations_are_refused_and_stray_messages_dropped() {
    assert_eq!(RateOp::from_raw(&RawOperation::new(1, &[0])), None);
    assert_eq!(RateOp::from_raw(&RawOperation::new(1, &[101])), None);
    assert_eq!(RateOp::from_raw(&RawOperation::new(1, &[])), None);
    assert_eq!(RateOp::from_raw(&RawOperation::new(9, &[3])), None);
    assert_eq!(
        RateOp::from_raw(&RateOp::Burst(7).to_raw()),
        Some(RateOp::Burst(7))
    );
    // A burst addressed to a limiter is noted, not sent; one to the client is.
    let mut scenario = Scenario::new(INFO.slug, 1);
    scenario.set_param("rate", 0);
    let burst = RateOp::Burst(3);
    scenario.push_action(
        Time::from_millis(10),
        Action::operation(Some(NodeId(2)), &burst),
    );
    scenario.push_action(Time::from_millis(20), Action::operation(None, &burst));
    let run = run(&scenario, 500);
    let notes: Vec<&str> = run
        .trace()
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Note { text } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert!(notes.iter().any(|n| n.contains("only the traffic client")));
    assert_eq!(counts(&*run).iter().map(|c| c.0 + c.1).sum::<u64>(), 18);
}

#[test]
fn the_backend_behind_the_token_bucket_stays_fast_while_its_unlimited_twin_drowns() {
    use super::message::Guard;
    use crate::traffic::plots::quantile_rounded;
    use crate::traffic::sketch::LatencySketch;
    // Three times the limit, in bursts: the twin with no limit is offered
    // 1.5 times what it can serve.
    let run = run(&preset_scenario("protect-the-backend", None), 20_000);
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    let simulation = sim(&*run);
    let backend = simulation
        .nodes()
        .iter()
        .find_map(RateProcess::backend)
        .expect("side by side has a backend");
    let total = |guard: Guard| {
        let mut latency = LatencySketch::default();
        let (mut arrived, mut served, mut refused) = (0, 0, 0);
        for second in backend.seconds(guard) {
            latency.merge(&second.latency);
            arrived += second.arrived;
            served += second.served;
            refused += second.refused;
        }
        (arrived, served, refused, latency)
    };
    let (behind_arrived, behind_served, behind_refused, behind_latency) = total(Guard::BehindLimit);
    let (open_arrived, open_served, open_refused, open_latency) = total(Guard::NoLimit);
    // The guarded copy gets exactly what the token bucket admitted (all of it
    // has arrived: the last hop takes milliseconds), the other everything sent.
    let (admitted, _) = counts(&*run)[0];
    let sent = simulation
        .nodes()
        .iter()
        .find_map(RateProcess::client)
        .map(|client| client.sent())
        .expect("a client");
    assert!(
        admitted.abs_diff(behind_arrived.into()) <= 10,
        "{admitted} vs {behind_arrived}"
    );
    assert!(
        sent.abs_diff(open_arrived) <= 10,
        "{sent} vs {open_arrived}"
    );
    // Every arrival is served, refused or still inside.
    for (guard, arrived, served, refused) in [
        (
            Guard::BehindLimit,
            behind_arrived,
            behind_served,
            behind_refused,
        ),
        (Guard::NoLimit, open_arrived, open_served, open_refused),
    ] {
        let inside = backend.service(guard).in_system() as u32;
        assert_eq!(arrived, served + refused + inside, "{}", guard.as_str());
    }
    // The limit keeps the queue short: nothing refused behind it, its median
    // a fraction of the twin's and its tail well under it; the twin refuses
    // a share of everything and serves at its capacity (2 workers of 100 ms:
    // 20 a second).
    let quantile = |sketch: &LatencySketch, rank| quantile_rounded(sketch, rank).expect("served");
    let p99 = |sketch: &LatencySketch| quantile(sketch, 0.99);
    assert_eq!(behind_refused, 0);
    assert!(
        open_refused > open_arrived / 5,
        "{open_refused} of {open_arrived}"
    );
    assert!(
        quantile(&open_latency, 0.5) > 5 * quantile(&behind_latency, 0.5),
        "{} vs {}",
        quantile(&open_latency, 0.5),
        quantile(&behind_latency, 0.5)
    );
    assert!(
        p99(&open_latency) > 3 * p99(&behind_latency),
        "{} vs {}",
        p99(&open_latency),
        p99(&behind_latency)
    );
    let open_rate = f64::from(open_served) / 20.0;
    assert!((17.0..=21.0).contains(&open_rate), "{open_rate}/s");
    // The plots: throughput, turned away, and a latency plot per copy.
    let plots = <RateLimitingTopic as crate::lab::protocol::ProtocolTopic>::plots(simulation);
    let titles: Vec<&str> = plots.iter().map(|plot| plot.title.as_str()).collect();
    assert_eq!(
        titles,
        [
            "Backend throughput over time",
            "Turned away over time",
            "Backend latency, behind the token bucket",
            "Backend latency, no limit",
        ]
    );
    let labels: Vec<&str> = plots[1].lines.iter().map(|l| l.label.as_str()).collect();
    assert_eq!(
        labels,
        [
            "429 from the token bucket",
            "503, behind the token bucket",
            "503, no limit"
        ]
    );
    let rejected_429: u64 = plots[1].lines[0].points.iter().map(|p| p.1).sum();
    assert_eq!(rejected_429, counts(&*run)[0].1);
    eprintln!(
        "behind: {behind_arrived} arrived, {behind_served} served, p50 {:?} p99 {} ms; no limit: {open_arrived} arrived, {open_served} served, {open_refused} refused, p50 {:?} p99 {} ms",
        quantile_rounded(&behind_latency, 0.5),
        p99(&behind_latency),
        quantile_rounded(&open_latency, 0.5),
        p99(&open_latency)
    );
}

#[test]
fn distributed_runs_have_no_backend_and_no_plots() {
    let run = run(&preset_scenario("distributed-strategies", None), 2_000);
    let simulation = sim(&*run);
    assert!(simulation
        .nodes()
        .iter()
        .all(|node| node.backend().is_none()));
    assert!(
        <RateLimitingTopic as crate::lab::protocol::ProtocolTopic>::plots(simulation).is_empty()
    );
}
