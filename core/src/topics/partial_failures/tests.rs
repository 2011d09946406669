//! The partial-failures model's behaviour: the backoff and the budget on
//! their own; the retry storm's amplification against `(1 + r)^3` and the
//! budget capping it; hedging cutting the p99 on a slow tail; deadlines
//! dropping expired work; each invariant firing (two through their bugs, in
//! their presets, with the same scenario clean without them); heavy-fault
//! sweeps; the plots; bad operations refused without a panic.

use super::checker::{
    PartialChecker, NO_SYNCHRONISED_RETRIES, NO_WORK_PAST_DEADLINE, RETRIES_WITHIN_BUDGET,
};
use super::message::{BackendOp, Chain, BACKEND, CLIENT};
use super::policy::{budget_allowance, Backoff, RetryBudget, RetryPolicy, BACKOFF_CAP};
use super::process::PartialProcess;
use super::{PartialFailuresTopic, BUG_NO_DEADLINE_PROPAGATION, BUG_RETRY_WITHOUT_JITTER, INFO};
use crate::lab::protocol::{simulation, ProtocolTopic};
use crate::lab::run::{Run, RunOptions};
use crate::lab::scenario::Scenario;
use crate::sim::action::{Action, Operation, RawOperation};
use crate::sim::checker::Checker;
use crate::sim::rng::Rng;
use crate::sim::time::{Duration, Time};
use crate::sim::world::Simulation;
use crate::topics::testing;

fn ms(ms: u64) -> Time {
    Time::from_millis(ms)
}

fn sim(run: &dyn Run) -> &Simulation<PartialProcess, PartialChecker> {
    simulation::<PartialFailuresTopic>(run).expect("a partial-failures run")
}

fn preset_scenario(name: &str, bug: Option<&str>) -> Scenario {
    let preset = INFO.preset(name).expect("the preset exists");
    let mut scenario = INFO.preset_scenario(preset);
    scenario.bug = bug.map(str::to_string);
    scenario
}

fn run(scenario: &Scenario, until_ms: u64) -> Box<dyn Run> {
    let mut run = (INFO.build)(scenario, RunOptions::default()).expect("builds");
    run.run_until(ms(until_ms));
    run
}

fn policy(backoff: Backoff, jitter_dropped: bool) -> RetryPolicy {
    RetryPolicy {
        attempts: 3,
        timeout: Duration::from_millis(100),
        backoff,
        budget: false,
        hedging: false,
        deadlines: false,
        jitter_dropped,
        deadline_dropped: false,
    }
}

/// Backend arrivals over client requests in seconds `from..to`, per chain.
fn amplification(
    simulation: &Simulation<PartialProcess, PartialChecker>,
    from: usize,
    to: usize,
) -> [f64; 2] {
    let client = simulation.nodes()[CLIENT.index()].client().unwrap();
    let backend = simulation.nodes()[BACKEND.index()].tier().unwrap();
    Chain::BOTH.map(|chain| {
        let requests: u32 = client.measure(chain).seconds[from..to]
            .iter()
            .map(|s| s.requests)
            .sum();
        let attempts: u32 = backend.load()[from..to]
            .iter()
            .map(|l| l[chain.index()])
            .sum();
        f64::from(attempts) / f64::from(requests.max(1))
    })
}

#[test]
fn backoff_is_exponential_capped_and_jittered_below_the_ceiling() {
    let mut rng = Rng::new(5);
    let exponential = policy(Backoff::Exponential, false);
    let ceilings: Vec<u64> = (1..=6)
        .map(|n| exponential.backoff(n, &mut rng).as_micros() / 1_000)
        .collect();
    assert_eq!(ceilings, [50, 100, 200, 400, 800, 800]);
    assert_eq!(
        policy(Backoff::None, false).backoff(3, &mut rng),
        Duration::ZERO
    );
    let jittered = policy(Backoff::FullJitter, false);
    let draws: Vec<u64> = (0..200)
        .map(|_| jittered.backoff(2, &mut rng).as_micros())
        .collect();
    assert!(draws.iter().all(|&d| d < 100_000));
    // Spread over the whole range, not bunched.
    assert!(draws.iter().any(|&d| d < 20_000) && draws.iter().any(|&d| d > 80_000));
    // The bug: full jitter configured, the ceiling waited.
    let buggy = policy(Backoff::FullJitter, true);
    assert_eq!(buggy.backoff(9, &mut rng), BACKOFF_CAP);
}

#[test]
fn the_budget_allows_a_tenth_of_the_calls_plus_a_reserve_per_second() {
    assert_eq!(budget_allowance(0), 10);
    assert_eq!(budget_allowance(40), 14);
    let mut budget = RetryBudget::default();
    for _ in 0..40 {
        budget.on_first(ms(1_100));
    }
    let granted = (0..30).filter(|_| budget.try_retry(ms(1_500))).count();
    assert_eq!(granted, 14);
    assert_eq!(budget.window(), (40, 14));
    // A new second, a new window.
    assert!(budget.try_retry(ms(2_000)));
    assert_eq!(budget.window(), (0, 1));
}

#[test]
fn a_retry_storm_approaches_the_estimate_and_the_budget_caps_it() {
    // An outage that refuses everything at once: every attempt at every
    // layer fails, so the naive chain makes exactly 3 × 3 × 3 backend
    // attempts per request.
    let mut scenario = Scenario::new(INFO.slug, 5);
    scenario.push_action(
        ms(2_000),
        Action::operation(Some(BACKEND), &BackendOp::Outage),
    );
    let outage = run(&scenario, 9_000);
    assert!(outage.violations().is_empty(), "{:?}", outage.violations());
    let [guarded, naive] = amplification(sim(outage.as_ref()), 3, 8);
    assert!(naive > 25.0 && naive <= 27.5, "naive amplification {naive}");
    // The budget: at most 10% + 10 a second per layer, about 40 first
    // attempts a second, so well under (1.1 + 10/40)^3 ≈ 2.5.
    assert!(guarded < 2.5, "guarded amplification {guarded}");

    // The brown-out of the retry-storm preset: the naive chain storms and
    // stays down after the backend recovered; the guarded one never storms.
    let storm = run(&preset_scenario("retry-storm", None), 10_000);
    assert!(storm.violations().is_empty(), "{:?}", storm.violations());
    let simulation = sim(storm.as_ref());
    let [guarded, naive] = amplification(simulation, 5, 10);
    assert!(naive > 20.0 && naive < 30.0, "naive amplification {naive}");
    assert!(guarded < 1.5, "guarded amplification {guarded}");
    let client = simulation.nodes()[CLIENT.index()].client().unwrap();
    for second in 7..10 {
        assert_eq!(
            client.measure(Chain::Naive).seconds[second].ok,
            0,
            "second {second}"
        );
        assert!(
            client.measure(Chain::Guarded).seconds[second].ok >= 25,
            "second {second}"
        );
    }
}

#[test]
fn hedging_cuts_the_p99_on_a_slow_tail() {
    let hedged = run(&preset_scenario("hedging-cuts-the-tail", None), 20_000);
    assert!(hedged.violations().is_empty(), "{:?}", hedged.violations());
    let simulation = sim(hedged.as_ref());
    let client = simulation.nodes()[CLIENT.index()].client().unwrap();
    let quantile = |chain: Chain, q: f64| client.measure(chain).latency.quantile(q).unwrap();
    let (guarded, naive) = (quantile(Chain::Guarded, 0.99), quantile(Chain::Naive, 0.99));
    assert!(
        guarded * 1.5 < naive,
        "p99 {guarded} hedged against {naive}"
    );
    let medians = (quantile(Chain::Guarded, 0.5), quantile(Chain::Naive, 0.5));
    assert!((medians.0 - medians.1).abs() < 10.0, "{medians:?}");
    let middle = simulation.nodes()[1].tier().unwrap();
    let hedges = middle
        .lane(Chain::Guarded)
        .caller
        .as_ref()
        .unwrap()
        .stats()
        .hedges;
    let requests = client.sent();
    // A hedge for the slow few, not for everything.
    assert!(
        hedges > 10 && hedges * 5 < requests,
        "{hedges} hedges, {requests} requests"
    );
    assert_eq!(
        middle
            .lane(Chain::Naive)
            .caller
            .as_ref()
            .unwrap()
            .stats()
            .hedges,
        0
    );

    // Without hedging the two chains have the same tail.
    let mut scenario = preset_scenario("hedging-cuts-the-tail", None);
    scenario.set_param("hedging", 0);
    let plain = run(&scenario, 20_000);
    let client = sim(plain.as_ref()).nodes()[CLIENT.index()]
        .client()
        .unwrap();
    let p99 = |chain: Chain| client.measure(chain).latency.quantile(0.99).unwrap();
    assert!(
        p99(Chain::Guarded) * 1.5 > p99(Chain::Naive),
        "{} {}",
        p99(Chain::Guarded),
        p99(Chain::Naive)
    );
}

#[test]
fn deadlines_drop_expired_work_and_let_the_chain_recover() {
    let run = run(&preset_scenario("deadlines-stop-wasted-work", None), 10_000);
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    let simulation = sim(run.as_ref());
    let backend = simulation.nodes()[BACKEND.index()].tier().unwrap();
    assert!(backend.lane(Chain::Guarded).expired > 100);
    assert_eq!(backend.lane(Chain::Naive).expired, 0);
    let client = simulation.nodes()[CLIENT.index()].client().unwrap();
    for second in 7..10 {
        assert!(
            client.measure(Chain::Guarded).seconds[second].ok >= 25,
            "second {second}"
        );
        assert_eq!(
            client.measure(Chain::Naive).seconds[second].ok,
            0,
            "second {second}"
        );
    }
}

#[test]
fn the_jitter_story_has_synchronised_naive_retries_and_spread_guarded_ones() {
    let run = run(&preset_scenario("jitter-calms-it", None), 3_000);
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    // The guarded middle never fired more than the limit at one instant.
    let checker = sim(run.as_ref()).checker();
    let most = checker.most_retries_at_once();
    assert!((1..=3).contains(&most), "{most}");
}

#[test]
fn each_bug_is_caught_in_its_preset_and_the_correct_model_is_clean() {
    let cases = [
        (
            "retry-without-jitter",
            BUG_RETRY_WITHOUT_JITTER,
            NO_SYNCHRONISED_RETRIES,
        ),
        (
            "no-deadline-propagation",
            BUG_NO_DEADLINE_PROPAGATION,
            NO_WORK_PAST_DEADLINE,
        ),
    ];
    for caught in testing::assert_caught_in_presets(&INFO, &cases, ms(8_000)) {
        assert!(caught < ms(3_000), "{caught}");
    }
}

#[test]
fn the_budget_invariant_fires_on_a_caller_that_retries_past_it() {
    // A storm without a budget, then the checker is told the client has one.
    let mut scenario = Scenario::new(INFO.slug, 5);
    scenario.set_param("budget", 0);
    scenario.push_action(
        ms(1_000),
        Action::operation(Some(BACKEND), &BackendOp::Outage),
    );
    // By 2.9 s the client has retried most requests of the outage twice.
    let storm = run(&scenario, 2_900);
    let simulation = sim(storm.as_ref());
    let mut nodes: Vec<PartialProcess> = simulation.nodes().to_vec();
    let PartialProcess::Client(client) = &mut nodes[CLIENT.index()] else {
        panic!("the client is n3");
    };
    let retries = client.caller(Chain::Guarded).stats().retries;
    assert!(retries > 40, "{retries}");
    client.caller_mut(Chain::Guarded).claim_budget();
    let mut checker = PartialChecker::new();
    let mut found = Vec::new();
    checker.check(&nodes, &[true; 4], CLIENT, simulation.now(), &mut found);
    assert!(
        found.iter().any(|v| v.invariant == RETRIES_WITHIN_BUDGET),
        "{found:?}"
    );
    // With its real budget the same storm stays within it.
    let mut scenario = Scenario::new(INFO.slug, 5);
    scenario.push_action(
        ms(1_000),
        Action::operation(Some(BACKEND), &BackendOp::Outage),
    );
    assert!(run(&scenario, 6_000).violations().is_empty());
}

#[test]
fn heavy_faults_never_break_the_correct_model_and_catch_the_bugs() {
    let bugs = [BUG_RETRY_WITHOUT_JITTER, BUG_NO_DEADLINE_PROPAGATION];
    let caught = testing::heavy_sweep(&INFO, 1..=8, ms(15_000), &bugs);
    assert!(caught[0] >= 6 && caught[1] >= 2, "{caught:?}");
}

#[test]
fn plots_and_charts_draw_each_second_of_both_chains() {
    let run = run(&preset_scenario("retry-storm", None), 8_000);
    let simulation = sim(run.as_ref());
    let plots = PartialFailuresTopic::plots(simulation);
    let titles: Vec<&str> = plots.iter().map(|p| p.title.as_str()).collect();
    assert_eq!(
        titles,
        [
            "Client latency, guarded chain",
            "Client latency, naive chain",
            "Goodput over time",
            "Error rate over time",
            "Backend load over time",
            "Amplification over time"
        ]
    );
    for line in &plots[0].lines {
        // A point per second, at the second's end.
        assert!(line
            .points
            .iter()
            .enumerate()
            .all(|(i, p)| p.0 == Time::from_millis(1000 * (i as u64 + 1))));
    }
    // p50 ≤ p90 ≤ p99 ≤ p99.9 in every second that had answers.
    let latency = &plots[0].lines;
    assert_eq!(latency.len(), 4);
    for i in 0..latency[0].points.len() {
        for q in 0..3 {
            assert!(latency[q].points[i].1 <= latency[q + 1].points[i].1);
        }
    }
    // The storm fails more of the naive chain's answers than the guarded one's.
    let errors = &plots[3].lines;
    let failed = |chain: usize| errors[chain].points.iter().map(|p| p.1).sum::<u64>();
    assert!(failed(1) > failed(0), "{} against {}", failed(1), failed(0));
    assert!(errors.iter().all(|l| l.points.iter().all(|p| p.1 <= 100)));
    let amplification = &plots[5].lines;
    assert_eq!(amplification.len(), 3);
    assert!(amplification[2].points.iter().all(|p| p.1 == 2_700));
    assert!(amplification[1].points.last().unwrap().1 > 1_500);
    assert!(amplification[0].points.last().unwrap().1 < 200);
    let charts = PartialFailuresTopic::charts(simulation);
    assert_eq!(charts.len(), 2);
    assert_eq!(charts[0].bars.len(), 8);
    assert_eq!(charts[1].bars[2].value, 2_700);
    assert!(charts[1].bars[1].value > charts[1].bars[0].value * 5);
}

#[test]
fn operations_round_trip_and_bad_ones_are_refused() {
    for op in [
        BackendOp::BrownOut {
            capacity_percent: 20,
        },
        BackendOp::Outage,
        BackendOp::SlowTail,
        BackendOp::Recover,
    ] {
        assert_eq!(BackendOp::from_raw(&op.to_raw()), Some(op));
    }
    for raw in [
        RawOperation::new(1, &[0]),
        RawOperation::new(1, &[101]),
        RawOperation::new(1, &[]),
        RawOperation::new(2, &[5]),
        RawOperation::new(9, &[]),
    ] {
        assert_eq!(BackendOp::from_raw(&raw), None, "{raw}");
    }
}
