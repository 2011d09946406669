//! The vector clocks model's behaviour: the comparison and merge of vectors;
//! the register's two resolutions; the update rules with their numbers in
//! the presets; the checker's ground truth and pair counts; each invariant
//! firing and each bug caught in its preset, with the correct model clean in
//! the same scenario; clocks across a crash; heavy-fault sweeps in both
//! modes; the charts; bad input refused without a panic.

use super::checker::{
    ClockChecker, PairCounts, WriteCounts, CLOCK_CONDITION, NO_CONCURRENT_WRITE_LOST,
    VECTOR_CHARACTERIZES_CAUSALITY,
};
use super::clock::{Causality, VectorClock};
use super::message::{ClockMessage, ClockOp, EventId, Version, WriteName};
use super::process::{ClockProcess, EventKind};
use super::register::{Decision, Register, Resolution};
use super::{
    VectorClocksTopic, BUG_RECEIVE_WITHOUT_MERGE, BUG_SEND_WITHOUT_INCREMENT,
    BUG_SIBLINGS_OVERWRITTEN, INFO,
};
use crate::lab::protocol::{simulation, ProtocolTopic};
use crate::lab::run::{Run, RunOptions};
use crate::lab::scenario::Scenario;
use crate::sim::action::{Action, Operation, RawOperation};
use crate::sim::faults::FaultLevel;
use crate::sim::node::{Cx, Effects, Node};
use crate::sim::rng::Rng;
use crate::sim::time::{NodeId, Time};
use crate::sim::trace::EventKind as TraceKind;
use crate::sim::world::Simulation;

fn sim(run: &dyn Run) -> &Simulation<ClockProcess, ClockChecker> {
    simulation::<VectorClocksTopic>(run).expect("a vector clocks run")
}

fn build(scenario: &Scenario, until_ms: u64) -> Box<dyn Run> {
    let mut run = (INFO.build)(scenario, RunOptions::default()).expect("builds");
    run.run_until(Time::from_millis(until_ms));
    run
}

/// Preset `name`'s scenario, with `bug` in place of the preset's own.
fn preset_scenario(name: &str, bug: Option<&str>) -> Scenario {
    let preset = INFO.preset(name).expect("the preset exists");
    let mut scenario = INFO.preset_scenario(preset);
    scenario.bug = bug.map(str::to_string);
    scenario
}

fn preset_run(name: &str, until_ms: u64) -> Box<dyn Run> {
    let preset = INFO.preset(name).expect("the preset exists");
    build(&preset_scenario(name, preset.bug), until_ms)
}

/// Three processes, no workload, `clock` as given, and `bug`.
fn quiet(clock: i64, bug: Option<&str>) -> Scenario {
    let mut scenario = Scenario::new(INFO.slug, 1);
    scenario.set_param("nodes", 3);
    scenario.set_param("rate", 0);
    scenario.set_param("clock", clock);
    scenario.bug = bug.map(str::to_string);
    scenario
}

fn does(scenario: &mut Scenario, ms: u64, process: u32, operation: ClockOp) {
    scenario.push_action(
        Time::from_millis(ms),
        Action::operation(Some(NodeId(process)), &operation),
    );
}

fn process(run: &dyn Run, id: u32) -> &ClockProcess {
    &sim(run).nodes()[id as usize]
}

fn vector(entries: &[u32]) -> VectorClock {
    VectorClock::from_entries(entries)
}

fn notes(run: &dyn Run, node: u32) -> Vec<String> {
    run.trace()
        .events
        .iter()
        .filter(|event| event.node == Some(NodeId(node)))
        .filter_map(|event| match &event.kind {
            TraceKind::Note { text } => Some(text.clone()),
            _ => None,
        })
        .collect()
}

fn invariants(run: &dyn Run) -> Vec<&'static str> {
    run.violations().iter().map(|v| v.invariant).collect()
}

fn register_names(run: &dyn Run, id: u32) -> Vec<String> {
    process(run, id)
        .register()
        .versions()
        .iter()
        .map(|version| version.name.to_string())
        .collect()
}

fn version(writer: u32, number: u32, lamport: u64, entries: &[u32]) -> Version {
    Version {
        name: WriteName {
            writer: NodeId(writer),
            number,
        },
        lamport,
        version: vector(entries),
        write: EventId {
            process: NodeId(writer),
            seq: number,
        },
    }
}

#[test]
fn vectors_compare_entry_by_entry_and_merge_by_maximum() {
    let a = vector(&[2, 0, 1]);
    assert_eq!(a.compare(&vector(&[2, 1, 1])), Causality::Before);
    assert_eq!(vector(&[2, 1, 1]).compare(&a), Causality::After);
    assert_eq!(a.compare(&vector(&[1, 3, 0])), Causality::Concurrent);
    assert_eq!(a.compare(&a.clone()), Causality::Same);
    assert!(!a.lt(&a) && a.le(&a));
    // Vectors of different sizes are never ordered.
    assert!(!a.le(&vector(&[2, 0])));
    let mut own = vector(&[1, 3, 0]);
    own.merge(&a);
    assert_eq!(own, vector(&[2, 3, 1]));
    own.tick(1);
    own.tick(7); // past the end: ignored, not a panic
    assert_eq!(own.to_string(), "[2,4,1]");
}

#[test]
fn version_vectors_keep_concurrent_versions_and_replace_dominated_ones() {
    let mut register = Register::default();
    let a1 = version(0, 1, 4, &[1, 0, 0]);
    let b1 = version(1, 1, 1, &[0, 1, 0]);
    register.write(a1.clone());
    let decisions = register.merge(std::slice::from_ref(&b1), Resolution::VersionVectors, false);
    assert_eq!(decisions, vec![Decision::Sibling(b1.clone())]);
    assert_eq!(register.versions(), &[a1.clone(), b1.clone()]);
    // A write supersedes both, with the maximum of their vectors plus its own tick.
    assert_eq!(register.next_version(NodeId(2), 3), vector(&[1, 1, 1]));
    // An incoming dominated version is ignored; a dominating one replaces.
    let old = version(0, 0, 1, &[0, 0, 0]);
    let ignored = register.merge(
        std::slice::from_ref(&old),
        Resolution::VersionVectors,
        false,
    );
    assert!(matches!(&ignored[..], [Decision::Ignored { incoming, .. }] if *incoming == old));
    let c1 = version(2, 1, 9, &[1, 1, 1]);
    let replaced = register.merge(std::slice::from_ref(&c1), Resolution::VersionVectors, false);
    assert_eq!(replaced.len(), 2);
    assert_eq!(register.versions(), &[c1]);
}

#[test]
fn last_writer_wins_keeps_the_greater_lamport_timestamp_and_the_bug_overwrites() {
    let a1 = version(0, 1, 4, &[1, 0, 0]);
    let b1 = version(1, 1, 1, &[0, 1, 0]);
    let mut lww = Register::default();
    lww.write(b1.clone());
    let decisions = lww.merge(std::slice::from_ref(&a1), Resolution::LastWriterWins, false);
    assert_eq!(
        decisions,
        vec![Decision::Replaced {
            old: b1.clone(),
            by: a1.clone()
        }]
    );
    assert_eq!(lww.versions(), std::slice::from_ref(&a1));
    let mut buggy = Register::default();
    buggy.write(a1.clone());
    let decisions = buggy.merge(std::slice::from_ref(&b1), Resolution::VersionVectors, true);
    assert_eq!(
        decisions,
        vec![Decision::Overwritten {
            old: a1,
            by: b1.clone()
        }]
    );
    assert_eq!(buggy.versions(), &[b1]);
}

#[test]
fn operations_round_trip_and_bad_ones_are_refused() {
    for op in [
        ClockOp::LocalEvent,
        ClockOp::Send { to: None },
        ClockOp::Send {
            to: Some(NodeId(2)),
        },
        ClockOp::Write,
    ] {
        assert_eq!(ClockOp::from_raw(&op.to_raw()), Some(op));
    }
    assert_eq!(ClockOp::from_raw(&RawOperation::new(1, &[3])), None);
    assert_eq!(ClockOp::from_raw(&RawOperation::new(2, &[1, 2])), None);
    assert_eq!(ClockOp::from_raw(&RawOperation::new(2, &[1 << 40])), None);
    assert_eq!(ClockOp::from_raw(&RawOperation::new(9, &[])), None);
    // The buttons: a node outside the run gets nothing.
    let scenario = quiet(1, None);
    let setup = crate::lab::protocol::Setup {
        topic: &INFO,
        scenario: &scenario,
        nodes: 3,
    };
    assert_eq!(
        VectorClocksTopic::operation(2, NodeId(1), &setup, 0),
        Some(ClockOp::Write)
    );
    assert_eq!(VectorClocksTopic::operation(0, NodeId(3), &setup, 0), None);
}

#[test]
fn the_happened_before_preset_stamps_by_the_rules_and_counts_its_pairs() {
    let run = preset_run("happened-before", 2_000);
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    let stamps = |id: u32| -> Vec<(u64, VectorClock)> {
        process(run.as_ref(), id)
            .events()
            .iter()
            .map(|event| (event.lamport, event.vector.clone()))
            .collect()
    };
    assert_eq!(
        stamps(0),
        vec![(1, vector(&[1, 0, 0])), (2, vector(&[2, 0, 0]))]
    );
    assert_eq!(
        stamps(1),
        vec![(3, vector(&[2, 1, 0])), (4, vector(&[2, 2, 0]))]
    );
    assert_eq!(
        stamps(2),
        vec![
            (1, vector(&[0, 0, 1])),
            (5, vector(&[2, 2, 2])),
            (6, vector(&[2, 2, 3]))
        ]
    );
    assert!(notes(run.as_ref(), 1).contains(
        &"receive n1.1 from n0 (sent as n0.2): vector: max of own [0,0,0] and the message's [2,0,0] = [2,0,0], then own entry + 1 → [2,1,0]; Lamport (IR2) max(0, 2) + 1 = 3".to_string()
    ));
    // 7 events, 21 pairs: n2.1 is concurrent with n0.1, n0.2, n1.1 and
    // n1.2; Lamport ties it only with n0.1 (both 1).
    assert_eq!(
        sim(run.as_ref()).checker().pairs(),
        PairCounts {
            events: 7,
            ordered: 17,
            concurrent: 4,
            concurrent_lamport_ordered: 3,
        }
    );
}

#[test]
fn the_checker_knows_happened_before_from_ghost_data() {
    let run = preset_run("happened-before", 2_000);
    let checker = sim(run.as_ref()).checker();
    let event = |process: u32, seq: u32| EventId {
        process: NodeId(process),
        seq,
    };
    assert!(checker.happened_before(event(0, 1), event(1, 1)));
    assert!(checker.happened_before(event(0, 2), event(2, 2)));
    assert!(checker.happened_before(event(2, 1), event(2, 3)));
    assert!(!checker.happened_before(event(2, 1), event(1, 2)));
    assert!(!checker.happened_before(event(1, 2), event(2, 1)));
    assert!(!checker.happened_before(event(1, 1), event(1, 1)));
    assert_eq!(checker.past(event(2, 2)), Some(&[2, 2, 2][..]));
    assert_eq!(checker.past(event(2, 4)), None);
}

#[test]
fn last_writer_wins_drops_the_later_concurrent_write_and_version_vectors_keep_it() {
    let lamport = preset_run("lamport-drops-a-write", 3_000);
    assert!(
        lamport.violations().is_empty(),
        "{:?}",
        lamport.violations()
    );
    let checker = sim(lamport.as_ref()).checker();
    assert_eq!(
        checker.write_counts(),
        WriteCounts {
            writes: 3,
            siblings: 0,
            lost: 1
        }
    );
    let lost = checker.lost();
    assert_eq!(lost.len(), 1);
    assert_eq!(
        (lost[0].name.to_string(), lost[0].replica),
        ("b1".into(), NodeId(0))
    );
    assert!(notes(lamport.as_ref(), 0)
        .iter()
        .any(|n| n.contains("b1 (L1) is earlier than a1 (L4)")));
    let annotations = VectorClocksTopic::annotations(sim(lamport.as_ref()));
    assert_eq!(annotations.marks.len(), 1);
    assert_eq!(annotations.marks[0].label, "n0 drops b1");

    // The same script with version vectors: siblings, then c1 over both.
    let mid = preset_run("siblings-kept", 900);
    for id in [0, 1, 2] {
        assert_eq!(register_names(mid.as_ref(), id), vec!["a1", "b1"], "n{id}");
    }
    let vectors = build(&preset_scenario("siblings-kept", None), 3_000);
    assert!(
        vectors.violations().is_empty(),
        "{:?}",
        vectors.violations()
    );
    assert_eq!(
        sim(vectors.as_ref()).checker().write_counts(),
        WriteCounts {
            writes: 3,
            siblings: 2,
            lost: 0
        }
    );
    for id in [0, 1, 2] {
        let versions = process(vectors.as_ref(), id).register().versions();
        assert_eq!(versions.len(), 1);
        assert_eq!(versions[0].name.to_string(), "c1");
        assert_eq!(versions[0].version, vector(&[1, 1, 1]));
    }
    let charts = VectorClocksTopic::charts(sim(vectors.as_ref()));
    let writes = &charts[1];
    let values: Vec<u64> = writes.bars.iter().map(|bar| bar.value).collect();
    assert_eq!(values, vec![3, 2, 0]);
}

#[test]
fn each_bug_is_caught_in_its_preset_and_the_correct_model_is_not() {
    for (preset, bug, invariant) in [
        (
            "receive-without-merge",
            BUG_RECEIVE_WITHOUT_MERGE,
            CLOCK_CONDITION,
        ),
        (
            "send-without-increment",
            BUG_SEND_WITHOUT_INCREMENT,
            CLOCK_CONDITION,
        ),
        (
            "siblings-overwritten",
            BUG_SIBLINGS_OVERWRITTEN,
            NO_CONCURRENT_WRITE_LOST,
        ),
    ] {
        let run = build(&preset_scenario(preset, Some(bug)), 2_000);
        assert_eq!(invariants(run.as_ref()), vec![invariant], "{preset}");
        let correct = build(&preset_scenario(preset, None), 2_000);
        assert!(
            correct.violations().is_empty(),
            "{preset}: {:?}",
            correct.violations()
        );
    }
}

#[test]
fn a_shared_vector_between_concurrent_events_breaks_the_characterization() {
    // n0's first event is a send that does not tick: it is stamped
    // [0,0,0], which sits below n2's concurrent local event.
    let mut scenario = quiet(1, Some(BUG_SEND_WITHOUT_INCREMENT));
    does(
        &mut scenario,
        100,
        0,
        ClockOp::Send {
            to: Some(NodeId(1)),
        },
    );
    does(&mut scenario, 200, 2, ClockOp::LocalEvent);
    let run = build(&scenario, 1_000);
    assert_eq!(
        invariants(run.as_ref()),
        vec![VECTOR_CHARACTERIZES_CAUSALITY]
    );
    assert!(run.violations()[0]
        .message
        .contains("n0.1 [0,0,0] and n2.1 [0,0,1] are concurrent"));
}

#[test]
fn last_writer_wins_loses_writes_without_a_violation_and_vectors_never_do() {
    let (mut lost, mut siblings) = (0, 0);
    for seed in 1..=20 {
        for clock in [0, 1] {
            let mut scenario = Scenario::new(INFO.slug, seed);
            scenario.set_param("clock", clock);
            scenario.faults = FaultLevel::Heavy;
            let run = build(&scenario, 20_000);
            assert!(
                run.violations().is_empty(),
                "seed {seed} clock {clock}: {:?}",
                run.violations()
            );
            let counts = sim(run.as_ref()).checker().write_counts();
            assert!(counts.writes > 0, "seed {seed}");
            if clock == 0 {
                assert_eq!(counts.siblings, 0, "seed {seed}");
                lost += counts.lost;
            } else {
                assert_eq!(counts.lost, 0, "seed {seed}");
                siblings += counts.siblings;
            }
        }
    }
    assert!(lost >= 20, "only {lost} writes lost over 20 seeds");
    assert!(siblings >= 20, "only {siblings} siblings over 20 seeds");
}

#[test]
fn clocks_and_register_survive_a_crash() {
    let mut scenario = quiet(1, None);
    does(&mut scenario, 100, 0, ClockOp::Write);
    does(&mut scenario, 150, 0, ClockOp::LocalEvent);
    scenario.push_action(Time::from_millis(200), Action::Crash(NodeId(0)));
    scenario.push_action(Time::from_millis(300), Action::Restart(NodeId(0)));
    does(&mut scenario, 400, 0, ClockOp::Write);
    let run = build(&scenario, 1_000);
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    let n0 = process(run.as_ref(), 0);
    assert_eq!(n0.lamport(), 3);
    assert_eq!(n0.vector(), &vector(&[3, 0, 0]));
    assert_eq!(register_names(run.as_ref(), 0), vec!["a2"]);
    assert_eq!(n0.register().versions()[0].version, vector(&[2, 0, 0]));
}

#[test]
fn malformed_messages_and_sends_to_nobody_are_dropped_with_a_note() {
    // A send to itself, from a link: noted, no event.
    let mut scenario = quiet(1, None);
    does(
        &mut scenario,
        100,
        1,
        ClockOp::Send {
            to: Some(NodeId(1)),
        },
    );
    does(
        &mut scenario,
        200,
        1,
        ClockOp::Send {
            to: Some(NodeId(9)),
        },
    );
    let run = build(&scenario, 1_000);
    assert!(process(run.as_ref(), 1).events().is_empty());
    assert!(notes(run.as_ref(), 1)
        .iter()
        .any(|n| n == "cannot send to n9: not a peer"));

    // A message whose vector has the wrong size: dropped before any rule.
    let scenario = quiet(1, None);
    let setup = crate::lab::protocol::Setup {
        topic: &INFO,
        scenario: &scenario,
        nodes: 3,
    };
    let (mut nodes, _) = VectorClocksTopic::setup(&setup);
    let mut rng = Rng::new(1);
    let mut effects = Effects::default();
    let mut cx = Cx::new(NodeId(1), Time::ZERO, 3, true, &mut rng, &mut effects);
    let bad = ClockMessage {
        lamport: 7,
        vector: vector(&[1, 2]),
        versions: Vec::new(),
        send: EventId {
            process: NodeId(0),
            seq: 1,
        },
    };
    nodes[1].on_message(NodeId(0), bad, &mut cx);
    assert!(nodes[1].events().is_empty());
    assert_eq!(nodes[1].lamport(), 0);
    assert_eq!(
        effects.notes,
        vec!["drops a message from n0: its vectors are not of size 3".to_string()]
    );
}

#[test]
fn the_workload_sends_writes_and_does_local_events() {
    let run = build(&Scenario::new(INFO.slug, 3), 10_000);
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    let (mut local, mut sends, mut receives, mut writes) = (0, 0, 0, 0);
    for node in sim(run.as_ref()).nodes() {
        for event in node.events() {
            match event.kind {
                EventKind::Local => local += 1,
                EventKind::Send { .. } => sends += 1,
                EventKind::Receive { .. } => receives += 1,
                EventKind::Write { .. } => writes += 1,
            }
        }
    }
    // About 4 events a second for 10 s, half of them sends.
    assert!(
        (25..=60).contains(&(local + sends + writes)),
        "{local} {sends} {writes}"
    );
    assert!(sends > local && sends > writes, "{local} {sends} {writes}");
    assert!(receives > 0 && receives <= sends);
    let pairs = sim(run.as_ref()).checker().pairs();
    assert_eq!(
        pairs.ordered + pairs.concurrent,
        pairs.events * (pairs.events - 1) / 2
    );
    assert!(pairs.concurrent_lamport_ordered <= pairs.concurrent);
    assert!(pairs.concurrent_lamport_ordered > 0);
}

#[test]
fn the_busy_preset_tells_its_numbers_and_vectors_keep_what_lamport_loses() {
    let counts = |clock: i64, until: u64| {
        let mut scenario = preset_scenario("busy-last-writer-wins", None);
        scenario.set_param("clock", clock);
        let run = build(&scenario, until);
        assert!(run.violations().is_empty(), "{:?}", run.violations());
        let checker = sim(run.as_ref()).checker();
        (checker.pairs(), checker.write_counts())
    };
    let pairs = |events, ordered, concurrent, concurrent_lamport_ordered| PairCounts {
        events,
        ordered,
        concurrent,
        concurrent_lamport_ordered,
    };
    let writes = |writes, siblings, lost| WriteCounts {
        writes,
        siblings,
        lost,
    };
    assert_eq!(
        counts(0, 5_000),
        (pairs(66, 1741, 404, 354), writes(6, 0, 0))
    );
    assert_eq!(
        counts(0, 10_000),
        (pairs(139, 8018, 1573, 1447), writes(19, 0, 7))
    );
    // The same events with the other clock: only the register differs.
    assert_eq!(
        counts(1, 10_000),
        (pairs(139, 8018, 1573, 1447), writes(19, 11, 0))
    );
}
