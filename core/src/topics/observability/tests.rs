//! The observability model's behaviour: each story end to end (the incident
//! pages and resolves, the slow burn opens only a ticket, the slow host shows
//! in the p99 and its exemplar), each invariant firing (two through their
//! bugs, the alert one through a monitor that forgot its alerts), the sketch's
//! measured error against the exact fleet percentiles, heavy-fault sweeps,
//! the plots, and bad input refused without a panic.

use super::checker::{
    ObservabilityChecker, ALERT_FIRES_ON_FAST_BURN, COUNTERS_MONOTONIC, SKETCH_WITHIN_BOUND,
};
use super::host::Host;
use super::message::{
    HostOp, ObservabilityMessage, ObservabilityTimer, Report, ServiceName, MONITOR,
};
use super::process::ObservabilityProcess;
use super::slo::AlertKind;
use super::{ObservabilityTopic, BUG_AVERAGE_OF_PERCENTILES, BUG_COUNTER_RESET_IGNORED, INFO};
use crate::lab::protocol::{simulation, ProtocolTopic};
use crate::lab::run::{Run, RunOptions};
use crate::lab::scenario::Scenario;
use crate::sim::action::{Operation, RawOperation};
use crate::sim::checker::{Checker, Violation};
use crate::sim::node::{Cx, Effects};
use crate::sim::rng::Rng;
use crate::sim::time::{NodeId, Time};
use crate::sim::world::Simulation;
use crate::topics::testing;

use crate::traffic::request::{Request, RequestId, TraceContext};
use crate::traffic::sketch::LatencySketch;

type Sim = Simulation<ObservabilityProcess, ObservabilityChecker>;

fn sim(run: &dyn Run) -> &Sim {
    simulation::<ObservabilityTopic>(run).expect("an observability run")
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

fn monitor(run: &dyn Run) -> &super::monitor::Monitor {
    sim(run).nodes()[MONITOR.index()]
        .monitor()
        .expect("n6 is the monitor")
}

/// (from, to) of each `kind` alert of `service`, in ms.
fn firings(run: &dyn Run, service: ServiceName, kind: AlertKind) -> Vec<(u64, Option<u64>)> {
    monitor(run)
        .firings()
        .iter()
        .filter(|f| f.service == service && f.kind == kind)
        .map(|f| (f.from.as_millis(), f.to.map(Time::as_millis)))
        .collect()
}

/// The users never stop, so presets are replayed to a horizon: past their
/// last narration line, twice to the same trace.
#[test]
fn presets_replay_to_the_same_trace() {
    for preset in INFO.presets() {
        assert!((3..=6).contains(&preset.narration.len()), "{}", preset.name);
        let until = preset.narration.last().unwrap().at.as_millis() + 1_000;
        let scenario = INFO.preset_scenario(preset);
        let hash = |scenario: &Scenario| run(scenario, until).trace().hash();
        assert_eq!(hash(&scenario), hash(&scenario), "{}", preset.name);
    }
    let (five, six) = (Scenario::new(INFO.slug, 5), Scenario::new(INFO.slug, 6));
    assert_ne!(
        run(&five, 2_000).trace().hash(),
        run(&six, 2_000).trace().hash()
    );
}

#[test]
fn the_incident_pages_within_two_evaluations_and_resolves_after_recovery() {
    let run = run(&preset_scenario("incident-pages", None), 17_000);
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    let pages = firings(run.as_ref(), ServiceName::Payments, AlertKind::Page);
    assert_eq!(pages.len(), 1, "{pages:?}");
    let (from, to) = pages[0];
    assert!((3_000..=3_300).contains(&from), "{pages:?}");
    // The 5-minute window forgets the incident one evaluation after it ends.
    let to = to.expect("the page resolved");
    assert!((8_000..=8_800).contains(&to), "{pages:?}");
    // The ticket fires too, and lasts until the 6-hour window (7.2 s) is clean.
    let tickets = firings(run.as_ref(), ServiceName::Payments, AlertKind::Ticket);
    assert_eq!(tickets.len(), 1, "{tickets:?}");
    assert!(
        tickets[0].0 < 5_000 && tickets[0].1.is_some_and(|to| to > 14_000),
        "{tickets:?}"
    );
    // Nothing else ever alerted.
    assert_eq!(monitor(run.as_ref()).firings().len(), 2);
    // A fifth of n4's requests failed during the incident, 5 s of it.
    let budget = monitor(run.as_ref())
        .board(ServiceName::Payments)
        .last()
        .unwrap()
        .burn[super::slo::W30D];
    assert!((0.3..0.9).contains(&budget), "spent {budget}");
}

#[test]
fn the_slow_burn_opens_a_ticket_and_never_pages() {
    let run = run(&preset_scenario("slow-burn-ticket", None), 26_000);
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    assert!(firings(run.as_ref(), ServiceName::Search, AlertKind::Page).is_empty());
    let tickets = firings(run.as_ref(), ServiceName::Search, AlertKind::Ticket);
    assert_eq!(tickets.len(), 1, "{tickets:?}");
    assert!((15_000..=25_000).contains(&tickets[0].0), "{tickets:?}");
    assert_eq!(monitor(run.as_ref()).firings().len(), 1);
}

#[test]
fn a_slow_host_shows_in_the_p99_and_its_exemplar_points_at_it() {
    let scenario = preset_scenario("red-finds-the-slow-service", None);
    let p99_at = |ms: u64| {
        let run = run(&scenario, ms);
        let evaluation = monitor(run.as_ref())
            .board(ServiceName::Frontend)
            .last()
            .cloned()
            .unwrap();
        (evaluation.p99.unwrap(), evaluation.exemplar.unwrap())
    };
    let (before, _) = p99_at(1_900);
    let (after, exemplar) = p99_at(4_000);
    assert!(before < 40.0, "{before}");
    assert!(after > 60.0, "{after}");
    assert_eq!(exemplar.host, NodeId(1));
    let run = run(&scenario, 5_000);
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    // The slow host's log lines carry the exemplar's kind of duration and a trace id.
    let host = sim(run.as_ref()).nodes()[1].host().unwrap();
    assert!(
        host.logs().iter().all(|line| line.micros >= 60_000),
        "{:?}",
        host.logs()
    );
    // Only the slow host serves frontend requests that take 50-100 ms.
    let board = monitor(run.as_ref()).board(ServiceName::Frontend);
    let exemplar = board.exemplars()[super::message::bucket_of(70_000)].unwrap();
    assert_eq!(exemplar.host, NodeId(1));
    assert!(board.histogram()[super::message::bucket_of(70_000)] > 100);
}

#[test]
fn the_merged_sketch_stays_within_alpha_of_the_exact_fleet_percentiles() {
    for alpha in [5, 10, 50] {
        let mut scenario = Scenario::new(INFO.slug, 11);
        scenario.params.push((super::ALPHA.to_string(), alpha));
        let run = run(&scenario, 10_000);
        assert!(run.violations().is_empty(), "{:?}", run.violations());
        let checker = sim(run.as_ref()).checker();
        assert!(checker.compared() > 500, "{}", checker.compared());
        let worst = checker.worst_relative_error();
        assert!(worst <= alpha as f64 / 1_000.0 * (1.0 + 1e-9), "{worst}");
        // The bound is nearly reached: some percentile lands near a bucket's edge.
        assert!(worst > alpha as f64 / 1_000.0 / 2.0, "{worst}");
    }
}

#[test]
fn each_bug_is_caught_in_its_preset_and_the_correct_model_is_clean() {
    let cases = [
        (
            "averaging-percentiles",
            BUG_AVERAGE_OF_PERCENTILES,
            SKETCH_WITHIN_BOUND,
        ),
        (
            "restart-resets-counters",
            BUG_COUNTER_RESET_IGNORED,
            COUNTERS_MONOTONIC,
        ),
    ];
    testing::assert_caught_in_presets(&INFO, &cases, Time::from_millis(6_000));
}

#[test]
fn a_monitor_that_forgets_its_page_breaks_alert_fires_on_fast_burn() {
    let run = run(&preset_scenario("incident-pages", None), 3_500);
    let mut nodes = sim(run.as_ref()).nodes().to_vec();
    assert!(monitor(run.as_ref()).firing(ServiceName::Payments, AlertKind::Page));
    let up = vec![true; nodes.len()];
    let check = |nodes: &[ObservabilityProcess]| {
        let mut found: Vec<Violation> = Vec::new();
        ObservabilityChecker::new().check(nodes, &up, MONITOR, Time::ZERO, &mut found);
        found
    };
    assert!(check(&nodes).is_empty());
    if let ObservabilityProcess::Monitor(monitor) = &mut nodes[MONITOR.index()] {
        monitor.forget_alerts();
    }
    let found = check(&nodes);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].invariant, ALERT_FIRES_ON_FAST_BURN);
    assert!(
        found[0].message.contains("payments"),
        "{}",
        found[0].message
    );
}

#[test]
fn heavy_faults_never_break_the_correct_model_and_catch_the_bugs() {
    let bugs = [BUG_AVERAGE_OF_PERCENTILES, BUG_COUNTER_RESET_IGNORED];
    let caught = testing::heavy_sweep(&INFO, 1..=12, Time::from_millis(12_000), &bugs);
    assert_eq!(caught[0], 12, "{caught:?}");
    assert!(caught[1] >= 3, "{caught:?}");
}

#[test]
fn plots_follow_the_monitor_series() {
    let run = run(&preset_scenario("incident-pages", None), 10_000);
    let plots = ObservabilityTopic::plots(sim(run.as_ref()));
    assert_eq!(plots.len(), 7);
    assert!(plots[3].title.contains("gauge"), "{}", plots[3].title);
    let errors = &plots[1];
    let payments = &errors.lines[ServiceName::Payments.index()];
    let at = |ms: u64| {
        payments
            .points
            .iter()
            .find(|(t, _)| *t == Time::from_millis(ms))
            .map(|p| p.1)
            .unwrap()
    };
    // About 10% of payments' requests fail during the incident, almost none before.
    assert!(at(2_000) <= 20, "{}", at(2_000));
    assert!((40..=200).contains(&at(5_000)), "{}", at(5_000));
    // The burn-rate plot is the burning service's, with the three thresholds.
    assert!(plots[6].title.contains("payments"), "{}", plots[6].title);
    assert_eq!(plots[6].lines.len(), 8);
    let annotations = ObservabilityTopic::annotations(sim(run.as_ref()));
    assert!(annotations
        .spans
        .iter()
        .any(|s| s.node == MONITOR && s.label.contains("page")));
    assert!(annotations.spans.iter().any(|s| s.node == NodeId(4)));
    assert!(annotations.marks.is_empty());
}

#[test]
fn operations_round_trip_and_bad_ones_are_refused() {
    for op in [
        HostOp::Errors { ppm: 200_000 },
        HostOp::Slow { added_ms: 60 },
        HostOp::Recover,
    ] {
        assert_eq!(HostOp::from_raw(&op.to_raw()), Some(op));
    }
    for raw in [
        RawOperation::new(1, &[]),
        RawOperation::new(1, &[1_000_001]),
        RawOperation::new(2, &[10_001]),
        RawOperation::new(3, &[1]),
        RawOperation::new(9, &[]),
    ] {
        assert_eq!(HostOp::from_raw(&raw), None, "{raw}");
    }
    let setup_scenario = Scenario::new(INFO.slug, 1);
    let setup = crate::lab::protocol::Setup {
        topic: &INFO,
        scenario: &setup_scenario,
        nodes: 8,
    };
    assert!(ObservabilityTopic::operation(0, NodeId(5), &setup, 0).is_some());
    assert!(ObservabilityTopic::operation(0, MONITOR, &setup, 0).is_none());
    assert!(ObservabilityTopic::operation(1, NodeId(7), &setup, 0).is_none());
}

/// Runs `handler` on `node` as node `id` of eight; returns what it sent and noted.
fn call(
    node: &mut ObservabilityProcess,
    id: NodeId,
    handler: impl FnOnce(&mut ObservabilityProcess, &mut Cx<ObservabilityProcess>),
) -> Effects<ObservabilityMessage, ObservabilityTimer> {
    let mut rng = Rng::new(1);
    let mut effects = Effects::default();
    let mut cx = Cx::new(id, Time::from_millis(500), 8, true, &mut rng, &mut effects);
    handler(node, &mut cx);
    effects
}

#[test]
fn bad_input_is_dropped_with_a_note() {
    use crate::sim::node::Node;
    let mut host =
        ObservabilityProcess::Host(Box::new(Host::new(NodeId(0), ServiceName::Frontend, 0.01)));
    let request = Request::new(
        RequestId(1),
        Time::ZERO,
        None,
        TraceContext::root(&mut Rng::new(2)),
    );
    // A payments call at a frontend host.
    let effects = call(&mut host, NodeId(0), |n, cx| {
        n.on_message(
            NodeId(7),
            ObservabilityMessage::Call {
                service: ServiceName::Payments,
                request,
            },
            cx,
        )
    });
    assert!(effects.sends.is_empty() && !effects.notes.is_empty());
    // The right call is served.
    let effects = call(&mut host, NodeId(0), |n, cx| {
        n.on_message(
            NodeId(7),
            ObservabilityMessage::Call {
                service: ServiceName::Frontend,
                request,
            },
            cx,
        )
    });
    assert_eq!(effects.timers.len(), 1);

    let mut monitor =
        ObservabilityProcess::Monitor(Box::new(super::monitor::Monitor::new(0.01, false, false)));
    let report = |service, sample: Vec<u64>| {
        ObservabilityMessage::Report(Box::new(Report {
            service,
            boots: 1,
            seq: 1,
            interval: 3,
            requests_total: 5,
            errors_total: 0,
            in_flight: 0,
            sketch: LatencySketch::new(0.01),
            sample,
            truncated: false,
            buckets: [0; super::message::BUCKETS],
            bucket_exemplars: [None; super::message::BUCKETS],
        }))
    };
    // From a host of another service, unsorted, or with another α: dropped.
    for (from, message) in [
        (NodeId(0), report(ServiceName::Search, vec![1, 2])),
        (NodeId(7), report(ServiceName::Frontend, vec![1, 2])),
        (NodeId(0), report(ServiceName::Frontend, vec![3, 2])),
    ] {
        let effects = call(&mut monitor, MONITOR, |n, cx| {
            n.on_message(from, message, cx)
        });
        assert!(!effects.notes.is_empty());
    }
    let mut other_alpha = report(ServiceName::Frontend, vec![1]);
    if let ObservabilityMessage::Report(r) = &mut other_alpha {
        r.sketch = LatencySketch::new(0.05);
    }
    call(&mut monitor, MONITOR, |n, cx| {
        n.on_message(NodeId(0), other_alpha, cx)
    });
    assert_eq!(
        monitor
            .monitor()
            .unwrap()
            .board(ServiceName::Frontend)
            .totals(),
        (0, 0)
    );
    // A good one counts; the same one again is stale.
    for _ in 0..2 {
        call(&mut monitor, MONITOR, |n, cx| {
            n.on_message(NodeId(0), report(ServiceName::Frontend, vec![1, 2]), cx)
        });
    }
    assert_eq!(
        monitor
            .monitor()
            .unwrap()
            .board(ServiceName::Frontend)
            .totals(),
        (5, 0)
    );
    // Operations at the monitor are refused with a note.
    let effects = call(&mut monitor, MONITOR, |n, cx| {
        n.on_operation(HostOp::Recover, cx)
    });
    assert!(!effects.notes.is_empty());
}

#[test]
fn log_lines_and_exemplars_open_their_traces() {
    use super::correlation::{signals, trace_detail, LOGS_SHOWN};
    use super::message::{bucket_of, CLIENT};
    // The slow host (n1, +60 ms from 2 s) fills the 50-100 ms bucket of frontend.
    let run = run(&preset_scenario("red-finds-the-slow-service", None), 4_000);
    let nodes = sim(run.as_ref()).nodes();
    let shown = signals(nodes);
    assert_eq!(shown.logs.len(), LOGS_SHOWN);
    assert!(shown.logs.windows(2).all(|w| w[0].at <= w[1].at));
    assert!(shown.logs.iter().all(|l| l.at <= run.now()));
    // Every listed line opens a trace whose host span is the line's and
    // whose root span (the users') encloses it.
    for line in &shown.logs {
        let detail = trace_detail(nodes, line.trace.unwrap()).expect("a listed line's trace");
        assert_eq!(detail.spans.len(), 2, "{detail:?}");
        let (root, child) = (&detail.spans[0], &detail.spans[1]);
        assert_eq!(root.node, CLIENT);
        assert_eq!(child.node, line.node);
        assert!(root.from <= child.from, "{detail:?}");
        assert!(
            child.to.unwrap() <= root.to.unwrap_or(run.now()),
            "{detail:?}"
        );
        assert!(detail.lines.contains(&line.text), "{detail:?}");
    }
    // The histograms count every answered request once, and each bucket's
    // exemplar fell in that bucket.
    assert_eq!(shown.histograms.len(), 3);
    for (service, histogram) in ServiceName::ALL.iter().zip(&shown.histograms) {
        let counted: u64 = histogram.chart.bars.iter().map(|b| b.value).sum();
        let board = monitor(run.as_ref()).board(*service);
        assert_eq!(counted as i64, board.totals().0, "{}", service.as_str());
        for (bucket, exemplar) in board.exemplars().iter().enumerate() {
            if let Some(exemplar) = exemplar {
                assert_eq!(bucket_of(exemplar.micros), bucket);
                assert!(histogram.chart.bars[bucket].value > 0);
            }
        }
    }
    // Frontend's slow bucket points at the slow host, and its trace opens.
    let slow = bucket_of(65_000);
    let link = shown.histograms[0].exemplars[slow]
        .clone()
        .expect("a slow exemplar");
    let detail = trace_detail(nodes, link.trace).expect("the exemplar's trace");
    let child = detail.spans.last().unwrap();
    assert_eq!(child.node, NodeId(1), "{detail:?}");
    assert!(child.to.unwrap().since(child.from).as_micros() >= 60_000);
    // A trace id nobody keeps opens nothing.
    assert_eq!(trace_detail(nodes, 2), None);
}

/// The in-flight gauge rises during the slowdown in the RED preset, where
/// requests wait longer at the slowed service, and falls back after it.
#[test]
fn the_in_flight_gauge_follows_the_load() {
    let preset = INFO
        .preset("red-finds-the-slow-service")
        .expect("the preset exists");
    let scenario = INFO.preset_scenario(preset);
    let mut run = (INFO.build)(&scenario, RunOptions::default()).expect("builds");
    run.run_until(Time::from_millis(10_000));
    let simulation = simulation::<ObservabilityTopic>(run.as_ref()).expect("an observability run");
    let monitor = ObservabilityTopic::monitor(simulation).expect("a monitor");
    let peaks: Vec<u32> = ServiceName::ALL
        .iter()
        .map(|&s| {
            monitor
                .board(s)
                .points()
                .iter()
                .map(|p| p.in_flight)
                .max()
                .unwrap_or(0)
        })
        .collect();
    assert!(peaks.iter().all(|&peak| peak > 0), "{peaks:?}");
    let slowest = peaks.iter().copied().max().unwrap_or(0);
    let quietest = peaks.iter().copied().min().unwrap_or(0);
    assert!(slowest >= 2 * quietest, "{peaks:?}");
}
