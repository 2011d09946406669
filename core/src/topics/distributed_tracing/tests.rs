//! The tracing model's behaviour: one request's span tree and its critical
//! path; a retry as a new child span; a malformed header refused and a new
//! trace started; each invariant firing through its bug and on its own; the
//! collector's two samplers; heavy-fault sweeps; bad operations refused.

use super::checker::{TracingChecker, HEAD_SAMPLING_ALL_OR_NOTHING, PARENT_EXISTS};
use super::collector::{Collector, DECISION_WAIT_MS, WARM_UP_TRACES};
use super::message::{SpanRecord, TraceOp, GATEWAY, INVENTORY, ORDERS, PAYMENTS, QUEUE, SHIPPING};
use super::process::TraceProcess;
use super::waterfall::{all_spans, annotations, critical_path};
use super::{
    DistributedTracingTopic, BUG_CONTEXT_DROPPED_AT_QUEUE, BUG_RESAMPLE_AT_EACH_HOP, INFO,
};
use crate::lab::protocol::{simulation, ProtocolTopic};
use crate::lab::run::{Run, RunOptions};
use crate::lab::scenario::Scenario;
use crate::sim::action::{Operation, RawOperation};
use crate::sim::checker::Violation;
use crate::sim::faults::FaultLevel;
use crate::sim::time::{NodeId, Time};
use crate::sim::trace::EventKind;
use crate::sim::view::Palette;
use crate::sim::world::Simulation;

fn ms(ms: u64) -> Time {
    Time::from_millis(ms)
}

fn sim(run: &dyn Run) -> &Simulation<TraceProcess, TracingChecker> {
    simulation::<DistributedTracingTopic>(run).expect("a tracing run")
}

fn preset_run(name: &str, until_ms: u64) -> Box<dyn Run> {
    let preset = INFO.preset(name).expect("the preset exists");
    let scenario = INFO.preset_scenario(preset);
    let mut run = (INFO.build)(&scenario, RunOptions::default()).expect("builds");
    run.run_until(ms(until_ms));
    run
}

fn spans_of(run: &dyn Run, node: NodeId) -> Vec<SpanRecord> {
    sim(run).nodes()[node.index()]
        .service()
        .expect("a service")
        .spans()
        .to_vec()
}

#[test]
fn one_request_makes_one_tree_of_five_spans() {
    let run = preset_run("one-trace", 3_000);
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    let spans = all_spans(sim(run.as_ref()).nodes());
    assert_eq!(spans.len(), 5);
    let trace = spans[0].trace;
    assert!(spans.iter().all(|s| s.trace == trace && s.end.is_some()));
    let of = |node: NodeId| spans.iter().find(|s| s.service == node).unwrap();
    let (gateway, orders) = (of(GATEWAY), of(ORDERS));
    assert_eq!(gateway.parent, None);
    assert_eq!(orders.parent, Some(gateway.span));
    for leaf in [INVENTORY, PAYMENTS, SHIPPING] {
        assert_eq!(of(leaf).parent, Some(orders.span), "n{}", leaf.0);
    }
    // The shipping span starts after its parent ended: nobody waits for it.
    assert!(of(SHIPPING).start > orders.end.unwrap());
    assert!(spans.iter().all(|s| s.sampled));
    // The critical path: gateway, orders and the later of its two calls.
    let critical = critical_path(&spans);
    let on_path: Vec<NodeId> = spans
        .iter()
        .zip(&critical)
        .filter(|(_, c)| **c)
        .map(|(s, _)| s.service)
        .collect();
    let later = if of(PAYMENTS).end > of(INVENTORY).end {
        PAYMENTS
    } else {
        INVENTORY
    };
    let mut expected = vec![GATEWAY, ORDERS, later];
    expected.sort();
    let mut on_path = on_path;
    on_path.sort();
    assert_eq!(on_path, expected);
    // The waterfall draws a bar per span, the critical ones lit.
    let drawn = annotations(sim(run.as_ref()).nodes());
    assert_eq!(drawn.spans.len(), 5);
    let lit = drawn
        .spans
        .iter()
        .filter(|s| s.palette == Palette::Lead && s.label.starts_with("critical"))
        .count();
    assert_eq!(lit, 3);
    assert!(drawn.marks.is_empty());
}

#[test]
fn the_critical_path_walks_back_through_sequential_children() {
    let span = |id: u64, parent: Option<u64>, from: u64, to: u64| SpanRecord {
        trace: 1,
        span: id,
        parent,
        name: "s",
        service: NodeId(0),
        start: ms(from),
        end: Some(ms(to)),
        error: false,
        sampled: true,
    };
    let spans = [
        span(1, None, 0, 100),
        // Two sequential calls and one in parallel with the first.
        span(2, Some(1), 5, 40),
        span(3, Some(1), 45, 95),
        span(4, Some(1), 6, 30),
        // A grandchild inside the second call.
        span(5, Some(3), 50, 90),
        // An asynchronous child that outlives the root.
        span(6, Some(1), 60, 150),
    ];
    assert_eq!(
        critical_path(&spans),
        vec![true, true, true, false, true, false]
    );
    // No finished root, no path.
    let mut open = spans;
    open[0].end = None;
    assert!(critical_path(&open).iter().all(|c| !c));
}

#[test]
fn a_failed_call_is_retried_as_a_new_child_span() {
    let run = preset_run("retry-child-span", 3_000);
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    let charges = spans_of(run.as_ref(), PAYMENTS);
    assert_eq!(charges.len(), 2);
    let orders = spans_of(run.as_ref(), ORDERS);
    assert_eq!(orders.len(), 1);
    assert!(charges[0].error && !charges[1].error);
    assert_ne!(charges[0].span, charges[1].span);
    assert!(charges
        .iter()
        .all(|c| c.parent == Some(orders[0].span) && c.trace == orders[0].trace));
    assert!(charges[1].start > charges[0].end.unwrap());
    let service = sim(run.as_ref()).nodes()[ORDERS.index()].service().unwrap();
    assert_eq!(service.stats().retries, 1);
    // The checkout succeeded after the retry.
    assert!(!orders[0].error);
    // Both charges lie on the critical path, one after the other.
    let spans = all_spans(sim(run.as_ref()).nodes());
    let critical = critical_path(&spans);
    let charges_on_path = spans
        .iter()
        .zip(&critical)
        .filter(|(s, c)| **c && s.service == PAYMENTS)
        .count();
    assert_eq!(charges_on_path, 2);
    // The collector's tail sampler keeps it for its failed span.
    let collector = sim(run.as_ref()).nodes()[6].collector().unwrap();
    assert_eq!(collector.sampling().error_traces, 1);
    assert_eq!(collector.sampling().tail_kept_error, 1);
}

#[test]
fn a_malformed_traceparent_is_refused_and_a_new_trace_starts() {
    let run = preset_run("bad-traceparent", 4_000);
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    let gateway = sim(run.as_ref()).nodes()[GATEWAY.index()]
        .service()
        .unwrap();
    assert_eq!(gateway.stats().refused, 1);
    let roots = spans_of(run.as_ref(), GATEWAY);
    assert_eq!(roots.len(), 2);
    assert!(roots.iter().all(|s| s.parent.is_none()));
    // The refused header's trace id is not reused.
    assert!(roots
        .iter()
        .all(|s| s.trace != 0x4bf92f3577b34da6a3ce929d0e0e4736));
    let notes: Vec<&str> = run
        .trace()
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Note { text } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert!(
        notes.iter().any(|n| n.contains("refused")),
        "no note says why"
    );
}

#[test]
fn the_context_dropped_at_the_queue_is_caught_by_parent_exists() {
    let run = preset_run("context-lost-at-queue", 3_000);
    let first = run.violations().first().expect("caught");
    assert_eq!(first.invariant, PARENT_EXISTS);
    let shipping = spans_of(run.as_ref(), SHIPPING);
    assert_eq!(shipping[0].parent, None);
    let orders = spans_of(run.as_ref(), ORDERS);
    assert_ne!(shipping[0].trace, orders[0].trace);
    // The waterfall marks the broken trace.
    let drawn = annotations(sim(run.as_ref()).nodes());
    assert_eq!(drawn.marks.len(), 1);
    assert_eq!(drawn.marks[0].at, shipping[0].start);
}

#[test]
fn resampling_at_each_hop_is_caught_by_all_or_nothing() {
    let run = preset_run("resample-at-each-hop", 3_000);
    let first = run.violations().first().expect("caught");
    assert_eq!(first.invariant, HEAD_SAMPLING_ALL_OR_NOTHING);
}

#[test]
fn each_invariant_fires_on_its_own() {
    let span = |id: u64, parent: Option<u64>, service: NodeId, sampled: bool| SpanRecord {
        trace: 9,
        span: id,
        parent,
        name: "s",
        service,
        start: ms(0),
        end: None,
        error: false,
        sampled,
    };
    let mut checker = TracingChecker::new();
    let mut found: Vec<Violation> = Vec::new();
    checker.observe(&span(1, None, GATEWAY, true), &mut found);
    checker.observe(&span(2, Some(1), ORDERS, true), &mut found);
    assert!(found.is_empty());
    // A parent the trace does not have.
    checker.observe(&span(3, Some(77), PAYMENTS, true), &mut found);
    assert_eq!(found.pop().map(|v| v.invariant), Some(PARENT_EXISTS));
    // A root anywhere but at the gateway.
    let mut orphan = span(4, None, SHIPPING, true);
    orphan.trace = 10;
    checker.observe(&orphan, &mut found);
    assert_eq!(found.pop().map(|v| v.invariant), Some(PARENT_EXISTS));
    // A span that disagrees with its root's decision.
    checker.observe(&span(5, Some(2), INVENTORY, false), &mut found);
    assert_eq!(
        found.pop().map(|v| v.invariant),
        Some(HEAD_SAMPLING_ALL_OR_NOTHING)
    );
    assert!(found.is_empty());
    assert_eq!(checker.traces(), 2);
    assert_eq!(checker.spans_seen(), 5);
}

#[test]
fn tail_sampling_keeps_every_error_trace_and_head_sampling_a_share() {
    let run = preset_run("head-vs-tail", 14_000);
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    let collector = sim(run.as_ref()).nodes()[6].collector().unwrap();
    let s = *collector.sampling();
    assert!(s.error_traces >= 10, "{s:?}");
    assert_eq!(s.tail_kept_error, s.error_traces);
    assert_eq!(s.tail_kept_slow, s.slow_traces);
    assert!(s.slow_traces > 0 && s.traces > WARM_UP_TRACES, "{s:?}");
    // Head sampling at 20% is blind to errors: well under all of them.
    assert!(s.head_kept_error * 2 < s.error_traces, "{s:?}");
    assert!(
        s.head_kept * 10 > s.traces && s.head_kept * 10 < s.traces * 4,
        "{s:?}"
    );
    // Tail sampling receives every span; each exports only what it keeps.
    assert!(s.tail_spans < s.spans_received && s.head_spans < s.spans_received);
    assert!(s.tail_bytes < s.bytes_received && s.head_bytes < s.bytes_received);
    let charts = DistributedTracingTopic::charts(sim(run.as_ref()));
    assert_eq!(charts.len(), 5);
    assert_eq!(
        charts[0].bars.iter().map(|b| b.value).collect::<Vec<_>>(),
        [s.error_traces, s.head_kept_error, s.tail_kept_error]
    );
}

#[test]
fn the_collector_waits_then_decides_and_late_spans_follow_the_decision() {
    let mut collector = Collector::default();
    let span = |trace: u128, id: u64, parent: Option<u64>, error: bool| SpanRecord {
        trace,
        span: id,
        parent,
        name: "s",
        service: GATEWAY,
        start: ms(0),
        end: Some(ms(10)),
        error,
        sampled: false,
    };
    collector.receive(span(1, 1, None, false), ms(10));
    collector.receive(span(2, 2, None, false), ms(20));
    collector.receive(span(2, 3, Some(2), true), ms(20));
    assert_eq!(collector.decide(ms(10 + DECISION_WAIT_MS - 1)), 0);
    assert_eq!(collector.decide(ms(20 + DECISION_WAIT_MS)), 2);
    let s = *collector.sampling();
    assert_eq!((s.traces, s.error_traces, s.tail_kept), (2, 1, 1));
    assert_eq!((s.tail_spans, s.head_spans, s.spans_received), (2, 0, 3));
    // A late span of the kept trace is exported; one of the dropped is not.
    collector.receive(span(2, 4, Some(2), false), ms(5_000));
    collector.receive(span(1, 5, Some(1), false), ms(5_000));
    let s = *collector.sampling();
    assert_eq!((s.late_spans, s.tail_spans, s.traces), (2, 3, 2));
    assert_eq!(collector.buffered_traces(), 0);
}

#[test]
fn heavy_faults_never_break_the_correct_model_and_always_catch_the_bugs() {
    let mut caught = [0; 2];
    for seed in 1..=30 {
        let mut scenario = Scenario::new(INFO.slug, seed);
        scenario.faults = FaultLevel::Heavy;
        let mut clean = (INFO.build)(&scenario, RunOptions::default()).expect("builds");
        clean.run_until(ms(15_000));
        assert!(
            clean.violations().is_empty(),
            "seed {seed}: {:?}",
            clean.violations()
        );
        for (i, bug) in [BUG_CONTEXT_DROPPED_AT_QUEUE, BUG_RESAMPLE_AT_EACH_HOP]
            .into_iter()
            .enumerate()
        {
            scenario.bug = Some(bug.to_string());
            let mut buggy = (INFO.build)(&scenario, RunOptions::default()).expect("builds");
            if buggy.run_until_violation(ms(15_000)).is_some() {
                caught[i] += 1;
            }
        }
    }
    assert!(caught.iter().all(|&c| c >= 28), "{caught:?}");
}

#[test]
fn operations_round_trip_and_refuse_bad_input() {
    for op in [
        TraceOp::Request { malformed: false },
        TraceOp::Request { malformed: true },
        TraceOp::Errors,
        TraceOp::Slow,
        TraceOp::FailNext,
    ] {
        assert_eq!(TraceOp::from_raw(&op.to_raw()), Some(op));
    }
    assert_eq!(TraceOp::from_raw(&RawOperation::new(0, &[2])), None);
    assert_eq!(TraceOp::from_raw(&RawOperation::new(0, &[])), None);
    assert_eq!(TraceOp::from_raw(&RawOperation::new(1, &[1])), None);
    assert_eq!(TraceOp::from_raw(&RawOperation::new(9, &[])), None);
    // Fault buttons only at the services that do work.
    let scenario = Scenario::new(INFO.slug, 1);
    let setup = crate::lab::protocol::Setup {
        topic: &INFO,
        scenario: &scenario,
        nodes: 7,
    };
    assert_eq!(
        DistributedTracingTopic::operation(1, PAYMENTS, &setup, 0),
        Some(TraceOp::Errors)
    );
    assert_eq!(
        DistributedTracingTopic::operation(1, QUEUE, &setup, 0),
        None
    );
    assert_eq!(
        DistributedTracingTopic::operation(3, GATEWAY, &setup, 0),
        None
    );
}

/// The figure for the README: spans simulated per second natively
/// ([`super::benchmark_spans`], which the wasm test `traffic_speed` also
/// runs). `cargo test --release -p distlab-core
/// topics::distributed_tracing::tests::spans_per_second -- --ignored --nocapture`
#[test]
#[ignore]
fn spans_per_second() {
    let started = std::time::Instant::now();
    let spans = super::benchmark_spans(1..201);
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{spans} spans in {seconds:.2} s: {:.0} spans per second",
        spans as f64 / seconds
    );
    assert!(spans > 0);
}
