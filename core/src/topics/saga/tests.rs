//! The saga's behaviour: every preset's story, both modes under a steady
//! workload, that each invariant can fire, that each bug is caught in its
//! preset and that the correct model holds in the same scenario, the timeline
//! and the counts, and (in `handlers`) the rules one handler at a time.

use super::checker::{ALL_OR_NOTHING, COMPENSATIONS_IN_REVERSE_ORDER};
use super::message::{Booking, SagaId, SagaOp, Step};
use super::node::SagaNode;
use super::saga_log::{Outcome, RecordKind, SagaLog};
use super::service::Service;
use super::{saga_counts, SagaTopic, INFO};
use crate::lab::protocol::simulation;
use crate::lab::run::{Run, RunOptions};
use crate::lab::scenario::Scenario;
use crate::lab::sweep::{sweep, SweepConfig};
use crate::sim::action::Action;
use crate::sim::faults::FaultLevel;
use crate::sim::time::{NodeId, Time};
use crate::sim::view::Palette;
use crate::sim::world::Simulation;

mod handlers;

const S1: SagaId = SagaId(1);

fn sim(run: &dyn Run) -> &Simulation<SagaNode, super::checker::SagaChecker> {
    simulation::<SagaTopic>(run).expect("a saga run")
}

fn log(run: &dyn Run) -> &SagaLog {
    sim(run).nodes()[0]
        .saga_log()
        .expect("node 0 keeps the saga log")
}

fn services(run: &dyn Run) -> Vec<&Service> {
    sim(run).nodes()[1..]
        .iter()
        .map(|n| n.service().expect("a service"))
        .collect()
}

fn outcome(run: &dyn Run, saga: SagaId) -> Option<Outcome> {
    log(run).saga(saga).and_then(|s| s.outcome)
}

fn preset_scenario(name: &str) -> Scenario {
    let preset = INFO.preset(name).expect("preset exists");
    INFO.preset_scenario(preset)
}

fn run_scenario(scenario: &Scenario, until_ms: u64) -> Box<dyn Run> {
    let mut run = (INFO.build)(scenario, RunOptions::default()).unwrap();
    run.run_until(Time::from_millis(until_ms));
    run
}

fn preset_run(name: &str, until_ms: u64) -> Box<dyn Run> {
    run_scenario(&preset_scenario(name), until_ms)
}

fn invariants(run: &dyn Run) -> Vec<&'static str> {
    run.violations().iter().map(|v| v.invariant).collect()
}

/// How `saga` stands at each service, in step order.
fn bookings(run: &dyn Run, saga: SagaId) -> Vec<Option<Booking>> {
    services(run)
        .iter()
        .map(|s| s.database().get(saga))
        .collect()
}

/// When each service cancelled `saga`, in step order.
fn cancelled_at(run: &dyn Run, saga: SagaId) -> Vec<Option<Time>> {
    services(run)
        .iter()
        .map(|s| s.database().entry(saga).and_then(|e| e.cancelled_at))
        .collect()
}

#[test]
fn a_trip_is_booked_step_by_step_and_the_saga_completes() {
    let run = preset_run("happy-path", 2_000);
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    assert_eq!(outcome(run.as_ref(), S1), Some(Outcome::Completed));
    assert_eq!(bookings(run.as_ref(), S1), vec![Some(Booking::Booked); 4]);
    let kinds: Vec<RecordKind> = log(run.as_ref()).records().iter().map(|r| r.kind).collect();
    let mut expected = vec![RecordKind::Begin];
    expected.extend((1..=4).map(|k| RecordKind::StepEnded(Step(k), Booking::Booked)));
    expected.push(RecordKind::End(Outcome::Completed));
    assert_eq!(kinds, expected);
    // Each booking is made after the one before it.
    let booked: Vec<Time> = services(run.as_ref())
        .iter()
        .map(|s| s.database().entry(S1).unwrap().booked_at.unwrap())
        .collect();
    assert!(booked.windows(2).all(|w| w[0] < w[1]), "{booked:?}");
}

#[test]
fn a_refused_step_makes_the_orchestrator_cancel_the_booked_steps_last_first() {
    let run = preset_run("compensate-halfway", 2_000);
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    assert_eq!(outcome(run.as_ref(), S1), Some(Outcome::Compensated));
    assert_eq!(
        bookings(run.as_ref(), S1),
        vec![
            Some(Booking::Cancelled),
            Some(Booking::Cancelled),
            Some(Booking::Refused),
            None
        ],
        "the payment is never asked for"
    );
    let cancelled = cancelled_at(run.as_ref(), S1);
    assert!(
        cancelled[1].unwrap() < cancelled[0].unwrap(),
        "hotel before flight"
    );
    assert!(
        !services(run.as_ref())[2].fails_next(),
        "the switch is used up"
    );
}

#[test]
fn a_restarted_orchestrator_resumes_from_its_log_and_the_car_is_booked_once() {
    let run = preset_run("orchestrator-crash", 3_000);
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    assert_eq!(outcome(run.as_ref(), S1), Some(Outcome::Completed));
    let car = services(run.as_ref())[2].database();
    assert_eq!(car.journal(), &[(S1, Booking::Booked)], "booked once");
    let finished = log(run.as_ref()).saga(S1).unwrap().finished_at.unwrap();
    assert!(finished > Time::from_millis(1_000), "after the restart");
    // The car was booked while the orchestrator was down.
    let booked = car.entry(S1).unwrap().booked_at.unwrap();
    assert!(booked > Time::from_millis(180) && booked < Time::from_millis(1_000));
}

#[test]
fn a_choreographed_refusal_travels_back_through_a_crashed_service() {
    let run = preset_run("choreographed-failure", 3_000);
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    assert!(sim(run.as_ref()).nodes()[0].initiator().is_some());
    assert_eq!(outcome(run.as_ref(), S1), Some(Outcome::Compensated));
    assert_eq!(
        bookings(run.as_ref(), S1),
        vec![
            Some(Booking::Cancelled),
            Some(Booking::Cancelled),
            Some(Booking::Cancelled),
            Some(Booking::Refused)
        ]
    );
    let cancelled = cancelled_at(run.as_ref(), S1);
    let (flight, hotel, car) = (
        cancelled[0].unwrap(),
        cancelled[1].unwrap(),
        cancelled[2].unwrap(),
    );
    assert!(car < hotel && hotel < flight);
    assert!(hotel > Time::from_millis(450), "after the hotel restarted");
    for service in services(run.as_ref()) {
        assert!(service.outbox().pending().is_empty(), "{}", service.id());
    }
}

#[test]
fn compensating_in_forward_order_is_caught_and_the_correct_model_reverses() {
    let run = preset_run("forward-order-unsafe", 2_000);
    assert_eq!(
        run.violations().first().map(|v| v.invariant),
        Some(COMPENSATIONS_IN_REVERSE_ORDER)
    );
    let cancelled = cancelled_at(run.as_ref(), S1);
    assert!(
        cancelled[0].unwrap() < cancelled[2].unwrap(),
        "flight first"
    );

    let mut correct = preset_scenario("forward-order-unsafe");
    correct.bug = None;
    let run = run_scenario(&correct, 2_000);
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    let cancelled = cancelled_at(run.as_ref(), S1);
    assert!(cancelled[2].unwrap() < cancelled[1].unwrap());
    assert!(cancelled[1].unwrap() < cancelled[0].unwrap());
    assert_eq!(outcome(run.as_ref(), S1), Some(Outcome::Compensated));
}

#[test]
fn a_lost_compensation_never_retried_is_caught_and_the_correct_model_retries_it() {
    let run = preset_run("lost-compensation-unsafe", 3_000);
    let found = invariants(run.as_ref());
    assert!(found.contains(&ALL_OR_NOTHING), "{found:?}");
    assert_eq!(outcome(run.as_ref(), S1), Some(Outcome::Compensated));
    assert_eq!(
        bookings(run.as_ref(), S1)[1],
        Some(Booking::Booked),
        "the hotel stays booked"
    );

    let mut correct = preset_scenario("lost-compensation-unsafe");
    correct.bug = None;
    let mut run = run_scenario(&correct, 1_400);
    assert_eq!(outcome(run.as_ref(), S1), None, "waits for the hotel");
    run.run_until(Time::from_millis(4_000));
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    assert_eq!(outcome(run.as_ref(), S1), Some(Outcome::Compensated));
    let cancelled = cancelled_at(run.as_ref(), S1);
    assert!(
        cancelled[1].unwrap() > Time::from_millis(1_500),
        "after the link heals"
    );
    assert!(cancelled[1].unwrap() < cancelled[0].unwrap());
}

fn workload(seed: u64, mode: i64, services: i64) -> Scenario {
    let mut scenario = Scenario::new(INFO.slug, seed);
    scenario.set_param("rate", 10);
    scenario.set_param("mode", mode);
    scenario.set_param("services", services);
    scenario
}

#[test]
fn a_steady_workload_finishes_every_saga_all_booked_or_all_undone_in_both_modes() {
    for mode in [0, 1] {
        for services_count in [3, 4, 5] {
            let scenario = workload(services_count as u64, mode, services_count);
            let mut run = run_scenario(&scenario, 5_000);
            // No new sagas after 5 s: let the last ones finish.
            let last = log(run.as_ref()).sagas().len();
            run.run_until(Time::from_millis(5_300));
            assert!(run.violations().is_empty(), "{:?}", run.violations());
            let counts = saga_counts(log(run.as_ref()), run.now());
            assert!(
                counts.completed > 20 && counts.compensated > 3,
                "mode {mode}, {services_count} services: {counts:?}"
            );
            assert_eq!(counts.stuck, 0);
            for state in &log(run.as_ref()).sagas()[..last.saturating_sub(3)] {
                let expected = match state.outcome {
                    Some(Outcome::Completed) => Booking::Booked,
                    Some(Outcome::Compensated) => continue,
                    None => panic!("mode {mode}: {} unfinished", state.saga),
                };
                assert_eq!(
                    bookings(run.as_ref(), state.saga),
                    vec![Some(expected); services_count as usize]
                );
            }
        }
    }
}

#[test]
fn heavy_faults_break_no_invariant_in_either_mode() {
    for mode in [0, 1] {
        let mut config = SweepConfig::new(&INFO, 100);
        config.faults = FaultLevel::Heavy;
        config.params = vec![("mode".to_string(), mode), ("fail-percent".to_string(), 30)];
        let report = sweep(&config, |_, _| {}).unwrap();
        assert_eq!(report.seeds, 100);
        assert!(
            report.failures.is_empty(),
            "mode {mode}: {:?}",
            report.failures[0]
        );
    }
}

#[test]
fn under_heavy_faults_every_saga_still_finishes_within_the_stuck_window() {
    // Retries with backoff (commands, and events through the outbox) outlast
    // every crash, partition and cut of the heavy fault plan.
    for mode in [0, 1] {
        for seed in 0..20 {
            let mut scenario = workload(seed, mode, 4);
            scenario.set_param("fail-percent", 30);
            scenario.faults = FaultLevel::Heavy;
            let run = run_scenario(&scenario, 20_000);
            assert!(run.violations().is_empty(), "{:?}", run.violations());
            let counts = saga_counts(log(run.as_ref()), Time::from_millis(20_000));
            assert_eq!(counts.stuck, 0, "mode {mode}, seed {seed}: {counts:?}");
            assert!(counts.completed + counts.compensated > 50, "{counts:?}");
        }
    }
}

#[test]
fn each_bug_is_caught_by_a_short_heavy_sweep() {
    for bug in INFO.bugs {
        let mut config = SweepConfig::new(&INFO, 20);
        config.bug = Some(bug.name.to_string());
        let report = sweep(&config, |_, _| {}).unwrap();
        assert!(
            report.failures.len() >= 10,
            "{}: {}",
            bug.name,
            report.failures.len()
        );
        for failure in &report.failures {
            assert!(bug.caught_by.contains(&failure.violation.invariant));
        }
    }
}

#[test]
fn the_timeline_shows_each_booking_until_its_saga_ends_coloured_by_outcome() {
    use crate::lab::protocol::ProtocolTopic;
    let run = preset_run("happy-path", 2_000);
    let annotations = SagaTopic::annotations(sim(run.as_ref()));
    let finished = log(run.as_ref()).saga(S1).unwrap().finished_at;
    assert_eq!(annotations.spans.len(), 4);
    for span in &annotations.spans {
        assert_eq!((span.palette, span.to), (Palette::Done, finished));
    }
    assert_eq!(annotations.marks.len(), 1);
    assert_eq!(annotations.marks[0].label, "S1 completed");

    let run = preset_run("compensate-halfway", 2_000);
    let annotations = SagaTopic::annotations(sim(run.as_ref()));
    let nodes: Vec<NodeId> = annotations.spans.iter().map(|s| s.node).collect();
    assert_eq!(nodes, [NodeId(1), NodeId(2)], "only booked steps hold");
    assert!(annotations
        .spans
        .iter()
        .all(|s| s.palette == Palette::Faulty && s.to.is_some()));
    assert_eq!(annotations.marks[0].label, "S1 compensated");
}

#[test]
fn a_saga_that_cannot_reach_a_service_counts_as_stuck_after_the_window() {
    let mut scenario = Scenario::new(INFO.slug, 9);
    scenario.set_param("rate", 0);
    scenario.set_param("fail-percent", 0);
    scenario.push_action(
        Time::ZERO,
        Action::Cut {
            from: NodeId(0),
            to: NodeId(3),
        },
    );
    scenario.push_action(
        Time::from_millis(10),
        Action::operation(None, &SagaOp::Start { saga: S1 }),
    );
    let mut run = run_scenario(&scenario, 1_000);
    let counts = saga_counts(log(run.as_ref()), run.now());
    assert_eq!((counts.running, counts.stuck), (1, 0));
    run.run_until(Time::from_millis(6_000));
    let counts = saga_counts(log(run.as_ref()), Time::from_millis(6_000));
    assert_eq!((counts.running, counts.stuck, counts.completed), (0, 1, 0));
    assert_eq!(bookings(run.as_ref(), S1)[..2], [Some(Booking::Booked); 2]);
    assert!(run.violations().is_empty());
}

#[test]
fn the_chart_counts_sagas_by_outcome() {
    use crate::lab::protocol::ProtocolTopic;
    let mut scenario = workload(11, 0, 4);
    scenario.set_param("fail-percent", 20);
    let run = run_scenario(&scenario, 3_000);
    let charts = SagaTopic::charts(sim(run.as_ref()));
    assert_eq!(charts.len(), 1);
    let bars: Vec<(&str, u64)> = charts[0]
        .bars
        .iter()
        .map(|b| (b.label.as_str(), b.value))
        .collect();
    let log = log(run.as_ref());
    let completed = log.count(Outcome::Completed) as u64;
    let compensated = log.count(Outcome::Compensated) as u64;
    let unfinished = log.unfinished().count() as u64;
    assert!(
        completed > 3 && compensated > 3 && unfinished > 0,
        "{bars:?}"
    );
    assert_eq!(
        bars,
        [
            ("completed", completed),
            ("compensated", compensated),
            ("in progress", unfinished),
            ("stuck", 0)
        ]
    );
    // The chart believes the saga log: the bug's saga counts as compensated.
    let run = preset_run("lost-compensation-unsafe", 500);
    let charts = SagaTopic::charts(sim(run.as_ref()));
    assert_eq!(charts[0].bars[1].value, 1, "compensated, wrongly");
}

#[test]
fn the_fail_step_button_goes_to_services_only_and_start_saga_numbers_sagas() {
    use crate::lab::protocol::{ProtocolTopic, Setup};
    let scenario = Scenario::new(INFO.slug, 1);
    let setup = Setup {
        topic: &INFO,
        scenario: &scenario,
        nodes: 5,
    };
    assert_eq!(
        SagaTopic::operation(0, NodeId(3), &setup, 4),
        Some(SagaOp::Start {
            saga: SagaId(crate::lab::protocol::PAGE_REQUESTS_FROM + 4)
        })
    );
    assert_eq!(
        SagaTopic::operation(1, NodeId(2), &setup, 0),
        Some(SagaOp::FailNext { service: NodeId(2) })
    );
    assert_eq!(SagaTopic::operation(1, NodeId(0), &setup, 0), None);
    assert_eq!(
        SagaTopic::operation(1, NodeId(5), &setup, 0),
        None,
        "4 services"
    );
    assert_eq!(SagaTopic::operation(2, NodeId(1), &setup, 0), None);
}

/// The labels of the bars on `saga`'s lane, left to right, and its lane.
fn lane_of(run: &dyn Run, saga: SagaId) -> crate::sim::view::Swimlane {
    use crate::lab::protocol::ProtocolTopic;
    let lanes = SagaTopic::lanes(sim(run), Time::ZERO).expect("a saga ran");
    lanes
        .lanes
        .into_iter()
        .find(|lane| lane.label == saga.to_string())
        .expect("the saga has a lane")
}

fn bar_labels(lane: &crate::sim::view::Swimlane) -> Vec<&str> {
    lane.bars.iter().map(|b| b.label.as_str()).collect()
}

#[test]
fn a_saga_lane_reads_forward_steps_then_the_refusal_then_compensations_last_first() {
    let run = preset_run("compensate-halfway", 2_000);
    let lane = lane_of(run.as_ref(), S1);
    assert_eq!(bar_labels(&lane), ["T1", "T2", "C2", "C1"]);
    let palettes: Vec<Palette> = lane.bars.iter().map(|b| b.palette).collect();
    assert_eq!(
        palettes,
        [
            Palette::Done,
            Palette::Done,
            Palette::Suspect,
            Palette::Suspect
        ]
    );
    // One line of time: each bar starts where the one before it ended.
    for pair in lane.bars.windows(2) {
        assert!(pair[0].to.is_some_and(|to| to <= pair[1].from), "{pair:?}");
    }
    let refusal = &lane.marks[0];
    assert_eq!(
        (refusal.label.as_str(), refusal.palette),
        ("T3 refused", Palette::Faulty)
    );
    assert!(lane.bars[1].to.is_some_and(|t| t <= refusal.at));
    assert!(refusal.at <= lane.bars[2].from);
    assert_eq!(lane.marks[1].label, "compensated");
    assert!(lane.ticks.is_empty(), "no message was lost");
    assert!(
        lane.detail.contains("T1 T2 T3 refused C2 C1"),
        "{}",
        lane.detail
    );

    // Choreographed, the compensations travel back service by service: the
    // same order on the lane.
    let run = preset_run("choreographed-failure", 3_000);
    let lane = lane_of(run.as_ref(), S1);
    assert_eq!(bar_labels(&lane), ["T1", "T2", "T3", "C3", "C2", "C1"]);
    assert_eq!(lane.marks[0].label, "T4 refused");
}

#[test]
fn with_compensation_in_forward_order_the_lane_shows_the_first_step_undone_first() {
    let run = preset_run("forward-order-unsafe", 2_000);
    let lane = lane_of(run.as_ref(), S1);
    assert_eq!(bar_labels(&lane), ["T1", "T2", "T3", "C1", "C2", "C3"]);
    assert_eq!(lane.marks[0].label, "T4 refused");

    let mut correct = preset_scenario("forward-order-unsafe");
    correct.bug = None;
    let run = run_scenario(&correct, 2_000);
    let lane = lane_of(run.as_ref(), S1);
    assert_eq!(bar_labels(&lane), ["T1", "T2", "T3", "C3", "C2", "C1"]);
}

#[test]
fn a_compensation_sent_again_is_a_tick_on_its_lane_and_an_open_saga_an_open_bar() {
    let mut correct = preset_scenario("lost-compensation-unsafe");
    correct.bug = None;
    let mut run = run_scenario(&correct, 1_400);
    let lane = lane_of(run.as_ref(), S1);
    assert!(!lane.ticks.is_empty(), "CANCEL hotel is sent again");
    let last = lane.bars.last().expect("bars");
    assert_eq!((last.label.as_str(), last.to), ("C…", None));
    run.run_until(Time::from_millis(4_000));
    let lane = lane_of(run.as_ref(), S1);
    assert_eq!(bar_labels(&lane), ["T1", "T2", "T3", "C3", "C2", "C1"]);
    assert!(lane.ticks.len() >= 3, "{:?}", lane.ticks);
}

#[test]
fn the_lanes_keep_the_latest_sagas_of_the_window() {
    use super::lanes::SAGA_LANES;
    use crate::lab::protocol::ProtocolTopic;
    let run = run_scenario(&workload(3, 0, 4), 20_000);
    let simulation = sim(run.as_ref());
    let lanes = SagaTopic::lanes(simulation, Time::from_millis(15_000)).expect("sagas ran");
    assert_eq!(lanes.lanes.len(), SAGA_LANES);
    // The latest by start, oldest on top (a saga whose first step was
    // refused has no bar, only its mark).
    let mut overlapping: Vec<_> = log(run.as_ref())
        .sagas()
        .iter()
        .filter(|s| s.finished_at.is_none_or(|t| t >= Time::from_millis(15_000)))
        .map(|s| (s.started_at, s.saga.0, s.saga.to_string()))
        .collect();
    overlapping.sort();
    let expected: Vec<String> = overlapping[overlapping.len() - SAGA_LANES..]
        .iter()
        .map(|(_, _, label)| label.clone())
        .collect();
    let labels: Vec<String> = lanes.lanes.iter().map(|l| l.label.clone()).collect();
    assert_eq!(labels, expected);
    assert!(SagaTopic::lanes(simulation, Time::from_millis(30_000))
        .is_some_and(|l| l.lanes.len() <= SAGA_LANES));
}
