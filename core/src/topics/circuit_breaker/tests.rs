//! The circuit-breaker model's behaviour: the breaker's state machine and
//! windows on their own; the outage story end to end (the breaker trips,
//! probes and closes, and the chain without it stays down after the
//! downstream recovered); each invariant firing through its bug, and the
//! same scenario clean without it; heavy-fault sweeps; the charts; bad input
//! refused without a panic.

use super::breaker::{Breaker, BreakerConfig, Change, OutcomeWindow, Permit, State, WindowKind};
use super::checker::{BreakerChecker, HALF_OPEN_PROBE_LIMIT, OPEN_BLOCKS_DOWNSTREAM};
use super::message::{Chain, DownstreamOp, CLIENT, DOWNSTREAM};
use super::process::BreakerProcess;
use super::{
    CircuitBreakerTopic, BUG_HALF_OPEN_LETS_ALL_THROUGH, BUG_RETRIES_BYPASS_BREAKER, INFO,
};
use crate::lab::protocol::{simulation, ProtocolTopic};
use crate::lab::run::{Run, RunOptions};
use crate::lab::scenario::Scenario;
use crate::sim::action::{Operation, RawOperation};
use crate::sim::time::{Duration, Time};
use crate::sim::view::Plot;
use crate::sim::world::Simulation;
use crate::topics::testing;

fn config(window: WindowKind, probes: u32) -> BreakerConfig {
    BreakerConfig {
        window,
        threshold_percent: 50,
        minimum_calls: 5,
        cool_down: Duration::from_millis(1_000),
        probes,
        half_open_lets_all_through: false,
    }
}

fn ms(ms: u64) -> Time {
    Time::from_millis(ms)
}

/// Records `outcomes` (true = success) through permits, as a caller would.
fn feed(breaker: &mut Breaker, at: Time, outcomes: &[bool]) -> Vec<Change> {
    let mut changes = Vec::new();
    for &ok in outcomes {
        if let Some(permit) = breaker.acquire() {
            changes.extend(breaker.on_result(at, permit, ok));
        }
    }
    changes
}

#[test]
fn closed_trips_at_the_threshold_once_the_window_has_enough_calls() {
    let mut breaker = Breaker::new(config(WindowKind::Count(10), 2));
    // Four failures are 100%, but fewer than the minimum of five calls.
    assert!(feed(&mut breaker, ms(0), &[false; 4]).is_empty());
    assert_eq!(breaker.state(), State::Closed);
    let changes = feed(&mut breaker, ms(1), &[false]);
    assert_eq!(
        changes,
        vec![Change::Tripped {
            failed: 5,
            calls: 5
        }]
    );
    assert_eq!(breaker.state(), State::Open { since: ms(1) });
    assert_eq!(breaker.acquire(), None);

    // Below the threshold it stays closed: 4 failures in the last 10.
    let mut breaker = Breaker::new(config(WindowKind::Count(10), 2));
    let mut outcomes = vec![true; 6];
    outcomes.extend([false; 4]);
    assert!(feed(&mut breaker, ms(0), &outcomes).is_empty());
    assert_eq!(breaker.window().failures(), (4, 10));
    // One more failure pushes the oldest success out: 5 of 10 is 50%.
    assert_eq!(
        feed(&mut breaker, ms(0), &[false]),
        vec![Change::Tripped {
            failed: 5,
            calls: 10
        }]
    );
}

#[test]
fn half_open_lets_the_configured_probes_through_then_closes_or_reopens() {
    let mut breaker = Breaker::new(config(WindowKind::Count(10), 2));
    feed(&mut breaker, ms(0), &[false; 5]);
    // A stale cool-down (an earlier opening) does nothing.
    assert!(!breaker.on_cool_down(0));
    assert!(breaker.on_cool_down(breaker.openings()));
    let first = breaker.acquire().expect("first probe");
    let second = breaker.acquire().expect("second probe");
    assert!(first.probe && second.probe);
    assert_eq!(breaker.acquire(), None, "only two probes");
    assert_eq!(breaker.on_result(ms(5), first, true), None);
    assert_eq!(breaker.on_result(ms(6), second, true), Some(Change::Closed));
    assert_eq!(breaker.state(), State::Closed);
    assert_eq!(breaker.window().failures(), (0, 0), "a fresh window");

    // A failed probe opens it again at once.
    feed(&mut breaker, ms(10), &[false; 5]);
    assert!(breaker.on_cool_down(breaker.openings()));
    let probe = breaker.acquire().unwrap();
    assert_eq!(
        breaker.on_result(ms(11), probe, false),
        Some(Change::Reopened)
    );
    assert_eq!(breaker.state(), State::Open { since: ms(11) });
    assert_eq!(breaker.openings(), 3);
}

#[test]
fn outcomes_from_an_earlier_state_are_ignored() {
    let mut breaker = Breaker::new(config(WindowKind::Count(10), 1));
    let early: Permit = breaker.acquire().unwrap();
    feed(&mut breaker, ms(0), &[false; 5]);
    breaker.on_cool_down(breaker.openings());
    // A call let through while closed fails during half-open: not a probe.
    assert_eq!(breaker.on_result(ms(1), early, false), None);
    assert!(matches!(breaker.state(), State::HalfOpen { .. }));
    // A reset (the caller restarted) closes it and keeps the old cool-down stale.
    let opening = breaker.openings();
    breaker.reset();
    assert_eq!(breaker.state(), State::Closed);
    assert!(!breaker.on_cool_down(opening));
}

#[test]
fn the_bug_admits_every_call_in_half_open() {
    let mut buggy = config(WindowKind::Count(10), 2);
    buggy.half_open_lets_all_through = true;
    let mut breaker = Breaker::new(buggy);
    feed(&mut breaker, ms(0), &[false; 5]);
    breaker.on_cool_down(breaker.openings());
    assert!((0..10).all(|_| breaker.acquire().is_some()));
}

#[test]
fn time_window_forgets_old_outcomes() {
    let mut window = OutcomeWindow::new(WindowKind::Time(Duration::from_millis(1_000)));
    window.record(ms(0), false);
    window.record(ms(500), false);
    window.record(ms(1_200), true);
    // The failure at 0 ms fell out; the one at 500 ms is still in.
    assert_eq!(window.failures(), (1, 2));
    window.expire(ms(1_600));
    assert_eq!(window.failures(), (0, 1));
    let mut counted = OutcomeWindow::new(WindowKind::Count(3));
    for ok in [false, false, true, true] {
        counted.record(ms(0), ok);
    }
    assert_eq!(
        counted.outcomes().collect::<Vec<_>>(),
        vec![false, true, true]
    );
}

fn sim(run: &dyn Run) -> &Simulation<BreakerProcess, BreakerChecker> {
    simulation::<CircuitBreakerTopic>(run).expect("a circuit-breaker run")
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

/// The breaker's state after each step, with the steps where it changed.
fn breaker_states(scenario: &Scenario, until_ms: u64) -> Vec<(Time, &'static str)> {
    let mut run = (INFO.build)(scenario, RunOptions::default()).expect("builds");
    let mut states: Vec<(Time, &'static str)> = Vec::new();
    while run.next_time().is_some_and(|t| t <= ms(until_ms)) {
        run.step();
        let simulation = sim(run.as_ref());
        let node = &simulation.nodes()[0];
        let state = CircuitBreakerTopic::machine_state(node).map(|s| super::MACHINE.states[s].name);
        if let Some(state) = state {
            if states.last().map(|s| s.1) != Some(state) {
                states.push((run.now(), state));
            }
        }
    }
    states
}

#[test]
fn the_outage_trips_the_breaker_which_probes_and_closes() {
    let states = breaker_states(&preset_scenario("outage-and-recovery", None), 9_000);
    let names: Vec<&str> = states.iter().map(|s| s.1).collect();
    assert_eq!(
        names,
        [
            "closed",
            "open",
            "half-open",
            "open",
            "half-open",
            "open",
            "half-open",
            "closed"
        ]
    );
    // It trips during the outage (2 s to 5 s) and closes only after it.
    assert!(
        states[1].0 > ms(2_000) && states[1].0 < ms(3_000),
        "{states:?}"
    );
    assert!(states[7].0 > ms(5_000), "{states:?}");
}

#[test]
fn retries_without_a_breaker_keep_the_recovered_downstream_useless() {
    let run = run(&preset_scenario("outage-and-recovery", None), 14_000);
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    let simulation = sim(run.as_ref());
    let client = simulation.nodes()[CLIENT.index()].client().unwrap();
    let downstream = simulation.nodes()[DOWNSTREAM.index()].downstream().unwrap();
    let with = &client.measure(Chain::WithBreaker).seconds;
    let without = &client.measure(Chain::WithoutBreaker).seconds;
    // Before the outage both chains serve everything.
    assert!(with[1].ok >= 20 && without[1].ok >= 20);
    for second in 8..13 {
        // The breaker's chain is back to its load; the other serves nothing,
        // while putting more than the ~70/s the downstream can take on it.
        assert!(with[second].ok >= 20, "second {second}: {:?}", with[second]);
        assert_eq!(without[second].ok, 0, "second {second}");
        assert_eq!(without[second].error_percent(), 100);
        let [load_with, load_without] = downstream.load()[second];
        assert!(load_without > 70, "second {second}: {load_without}");
        assert!(load_with < 45, "second {second}: {load_with}");
    }
    // During the outage the breaker failed calls fast instead of waiting.
    let rejected: u32 = with[2..5].iter().map(|s| s.rejected).sum();
    assert!(rejected > 60, "{rejected}");
}

#[test]
fn a_time_based_window_trips_too() {
    let mut scenario = preset_scenario("outage-and-recovery", None);
    scenario.set_param("window", 1);
    let states = breaker_states(&scenario, 9_000);
    assert_eq!(states.get(1).map(|s| s.1), Some("open"), "{states:?}");
    assert_eq!(states.last().map(|s| s.1), Some("closed"), "{states:?}");
}

#[test]
fn each_bug_is_caught_in_its_preset_and_the_correct_model_is_clean() {
    let cases = [
        (
            "half-open-lets-all-through",
            BUG_HALF_OPEN_LETS_ALL_THROUGH,
            HALF_OPEN_PROBE_LIMIT,
        ),
        (
            "retries-bypass-breaker",
            BUG_RETRIES_BYPASS_BREAKER,
            OPEN_BLOCKS_DOWNSTREAM,
        ),
    ];
    for caught in testing::assert_caught_in_presets(&INFO, &cases, ms(8_000)) {
        assert!(caught < ms(4_000), "{caught}");
    }
}

#[test]
fn heavy_faults_never_break_the_correct_breaker_and_always_catch_the_bugs() {
    let bugs = [BUG_HALF_OPEN_LETS_ALL_THROUGH, BUG_RETRIES_BYPASS_BREAKER];
    let caught = testing::heavy_sweep(&INFO, 1..=20, ms(15_000), &bugs);
    assert!(caught.iter().all(|&c| c >= 18), "{caught:?}");
}

#[test]
fn charts_compare_the_chains_and_agree_with_the_client() {
    let run = run(&preset_scenario("outage-and-recovery", None), 10_000);
    let simulation = sim(run.as_ref());
    let charts = CircuitBreakerTopic::charts(simulation);
    let titles: Vec<&str> = charts.iter().map(|c| c.title.as_str()).collect();
    assert_eq!(
        titles,
        [
            "Throughput",
            "Error rate",
            "Latency of successful requests",
            "Load on the downstream",
            "Answers so far"
        ]
    );
    let latency: Vec<u64> = charts[2].bars.iter().map(|b| b.value).collect();
    assert_eq!(latency.len(), 8);
    for chain in latency.chunks(4) {
        assert!(chain.windows(2).all(|w| w[0] <= w[1]), "{latency:?}");
        assert!(chain[0] >= 20 && chain[0] < 250, "{latency:?}");
    }
    // The error rate of the last full second: none with the breaker, all without.
    assert_eq!(charts[1].bars[0].value, 0);
    assert_eq!(charts[1].bars[1].value, 100);
    let client = simulation.nodes()[CLIENT.index()].client().unwrap();
    let total = &client.measure(Chain::WithBreaker).total;
    assert_eq!(charts[4].bars[0].value, u64::from(total.ok));
    assert_eq!(charts[4].bars[2].value, u64::from(total.rejected));
    let series = super::series(simulation);
    let summed: u32 = series[0].iter().map(|s| s.ok).sum();
    assert_eq!(summed, total.ok);
}

#[test]
fn plots_draw_each_second_of_both_chains() {
    let run = run(&preset_scenario("outage-and-recovery", None), 10_000);
    let simulation = sim(run.as_ref());
    let plots = CircuitBreakerTopic::plots(simulation);
    assert_eq!(plots.len(), 4);
    let series = super::series(simulation);
    for plot in &plots[..2] {
        assert_eq!(plot.lines.len(), 2, "{}", plot.title);
        for (line, seconds) in plot.lines.iter().zip(&series) {
            assert_eq!(line.points.len(), seconds.len());
            // A point per second, at the second's end.
            assert!(line
                .points
                .iter()
                .enumerate()
                .all(|(i, p)| p.0 == Time::from_millis(1000 * (i as u64 + 1))));
        }
    }
    let throughput = &plots[0].lines;
    for (line, seconds) in throughput.iter().zip(&series) {
        let values: Vec<u64> = line.points.iter().map(|p| p.1).collect();
        let ok: Vec<u64> = seconds.iter().map(|s| u64::from(s.ok)).collect();
        assert_eq!(values, ok);
    }
    // At the end the breaker's chain serves again and the other does not.
    let last = |line: usize| throughput[line].points.last().unwrap().1;
    assert!(last(0) > 0 && last(1) == 0, "{} {}", last(0), last(1));
    // Error rate is a percentage.
    assert!(plots[1]
        .lines
        .iter()
        .flat_map(|l| &l.points)
        .all(|p| p.1 <= 100));
    // Latency: four quantile lines per chain, a point for each second with a
    // success, in order p50 <= p90 <= p99 <= p99.9.
    for (plot, seconds) in plots[2..].iter().zip(&series) {
        assert_eq!(plot.unit, "ms");
        let names: Vec<&str> = plot.lines.iter().map(|l| l.label.as_str()).collect();
        assert_eq!(names, ["p50", "p90", "p99", "p99.9"]);
        let with_successes = seconds.iter().filter(|s| s.ok > 0).count();
        for line in &plot.lines {
            assert_eq!(line.points.len(), with_successes, "{}", plot.title);
        }
        for i in 0..with_successes {
            let at: Vec<u64> = plot.lines.iter().map(|l| l.points[i].1).collect();
            assert!(at.windows(2).all(|w| w[0] <= w[1]), "{at:?}");
        }
    }
    // The chain without a breaker answers nothing successfully at the end, so
    // its latency lines stop before the breaker chain's.
    let end = |plot: &Plot| plot.lines[0].points.last().unwrap().0;
    assert!(end(&plots[2]) > end(&plots[3]));
}

#[test]
fn operations_round_trip_and_bad_ones_are_refused() {
    for op in [
        DownstreamOp::Outage,
        DownstreamOp::Recover,
        DownstreamOp::BrownOut {
            capacity_percent: 30,
        },
        DownstreamOp::Errors { percent: 50 },
    ] {
        assert_eq!(DownstreamOp::from_raw(&op.to_raw()), Some(op));
    }
    for raw in [
        RawOperation::new(1, &[5]),
        RawOperation::new(3, &[0]),
        RawOperation::new(3, &[101]),
        RawOperation::new(4, &[]),
        RawOperation::new(9, &[]),
    ] {
        assert_eq!(DownstreamOp::from_raw(&raw), None, "{raw}");
    }
}

#[test]
fn brown_out_and_errors_from_the_buttons_reach_both_copies() {
    let setup_scenario = Scenario::new(INFO.slug, 3);
    let mut scenario = setup_scenario.clone();
    let brown_out = super::CircuitBreakerTopic::operation(
        1,
        DOWNSTREAM,
        &crate::lab::protocol::Setup {
            topic: &INFO,
            scenario: &setup_scenario,
            nodes: 3,
        },
        0,
    )
    .unwrap();
    scenario.push_action(
        ms(1_000),
        crate::sim::action::Action::operation(None, &brown_out),
    );
    scenario.push_action(
        ms(1_000),
        crate::sim::action::Action::operation(None, &DownstreamOp::Errors { percent: 100 }),
    );
    let run = run(&scenario, 4_000);
    let simulation = sim(run.as_ref());
    let downstream = simulation.nodes()[DOWNSTREAM.index()].downstream().unwrap();
    assert_eq!(downstream.faults().capacity_ppm, 300_000);
    for chain in Chain::BOTH {
        assert!(downstream.copy(chain).stats().errors > 10, "{chain:?}");
    }
    // Every answer fails now, so the breaker opened.
    let caller = simulation.nodes()[0].caller().unwrap();
    assert!(caller.breaker().unwrap().openings() >= 1);
}

#[test]
fn a_brown_out_trips_the_breaker_and_retries_keep_the_other_chain_down() {
    let scenario = preset_scenario("brown-out", None);
    let states = breaker_states(&scenario, 9_000);
    let opened = states.iter().filter(|s| s.1 == "open").count();
    assert!(opened >= 2, "{states:?}");
    assert_eq!(states.last().map(|s| s.1), Some("closed"), "{states:?}");
    let run = run(&scenario, 12_000);
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    let client = sim(run.as_ref()).nodes()[CLIENT.index()].client().unwrap();
    let with = &client.measure(Chain::WithBreaker).seconds;
    let without = &client.measure(Chain::WithoutBreaker).seconds;
    for second in 7..11 {
        assert!(with[second].ok >= 15, "second {second}: {:?}", with[second]);
        assert_eq!(without[second].ok, 0, "second {second}");
    }
}
