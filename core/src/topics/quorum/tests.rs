//! The quorum model's behaviour: preference lists and claims; each preset's
//! story (the inversion without write-back and not with it, the stale read
//! with R + W <= N, the sloppy write and its handoff); each invariant firing;
//! each bug caught and the correct model clean over heavy seeds; the
//! unclaimed checks really failing in their regimes; durability across a
//! crash; duplicates and bad input refused without a panic.

use super::checker::{Claims, QuorumChecker, LINEARIZABLE, REGULAR};
use super::message::{QuorumOp, Versioned};
use super::process::{QuorumConfig, QuorumProcess};
use super::{
    QuorumTopic, BUG_COUNT_HINTS_TOWARD_QUORUM, BUG_NO_READ_REPAIR, BUG_WRITE_BACK_TO_ONE, INFO,
};
use crate::lab::protocol::{simulation, ProtocolTopic, Setup};
use crate::lab::run::{Run, RunOptions};
use crate::lab::scenario::Scenario;
use crate::lab::sweep::{sweep, SweepConfig};
use crate::sim::action::{Action, Operation, RawOperation};
use crate::sim::faults::FaultLevel;
use crate::sim::time::{NodeId, Time};
use crate::sim::world::Simulation;

fn sim(run: &dyn Run) -> &Simulation<QuorumProcess, QuorumChecker> {
    simulation::<QuorumTopic>(run).expect("a quorum run")
}

fn build(scenario: &Scenario, until_ms: u64) -> Box<dyn Run> {
    let mut run = (INFO.build)(scenario, RunOptions::default()).expect("builds");
    run.run_until(Time::from_millis(until_ms));
    run
}

fn preset_run(name: &str, bug: Option<&str>, until_ms: u64) -> Box<dyn Run> {
    let preset = INFO.preset(name).expect("the preset exists");
    let mut scenario = INFO.preset_scenario(preset);
    scenario.bug = bug.map(str::to_string);
    build(&scenario, until_ms)
}

fn scenario(seed: u64, params: &[(&str, i64)]) -> Scenario {
    let mut scenario = Scenario::new(INFO.slug, seed);
    for (name, value) in params {
        scenario.set_param(name, *value);
    }
    scenario
}

fn invariants(run: &dyn Run) -> Vec<&'static str> {
    run.violations().iter().map(|v| v.invariant).collect()
}

fn config_of(scenario: &Scenario) -> QuorumConfig {
    let setup = Setup {
        topic: &INFO,
        scenario,
        nodes: INFO.param(scenario, "nodes") as usize,
    };
    super::config(&setup)
}

fn held(run: &dyn Run, server: usize, key: u32) -> Versioned {
    sim(run).nodes()[server]
        .server()
        .expect("a server")
        .held(key)
}

#[test]
fn preference_lists_put_the_home_replicas_first_in_ring_order() {
    let config = config_of(&scenario(1, &[]));
    let list = |key| config.preference_list(key).map(|n| n.0).collect::<Vec<_>>();
    assert_eq!(list(0), vec![0, 1, 2, 3, 4]);
    assert_eq!(list(1), vec![2, 3, 4, 0, 1]);
    assert!(config.is_home(1, NodeId(4)) && !config.is_home(1, NodeId(0)));
    // N, R and W are clamped to the cluster and to N.
    let small = config_of(&scenario(1, &[("nodes", 3), ("n", 5), ("r", 5), ("w", 4)]));
    assert_eq!((small.n, small.r, small.w), (3, 3, 3));
}

#[test]
fn claims_follow_the_theory() {
    let claims = |params: &[(&str, i64)]| Claims::of(&config_of(&scenario(1, params)));
    let both = Claims {
        regular: true,
        linearizable: true,
    };
    let regular_only = Claims {
        regular: true,
        linearizable: false,
    };
    let none = Claims {
        regular: false,
        linearizable: false,
    };
    assert_eq!(claims(&[]), both);
    assert_eq!(claims(&[("read-repair", 0)]), regular_only);
    assert_eq!(claims(&[("read-repair", 1)]), regular_only);
    assert_eq!(claims(&[("r", 1)]), none);
    assert_eq!(claims(&[("r", 1), ("w", 3)]), both);
    assert_eq!(claims(&[("quorum", 1)]), none);
}

#[test]
fn bugs_keep_the_claims_of_the_parameters() {
    for bug in [
        BUG_NO_READ_REPAIR,
        BUG_COUNT_HINTS_TOWARD_QUORUM,
        BUG_WRITE_BACK_TO_ONE,
    ] {
        let mut with_bug = scenario(1, &[]);
        with_bug.bug = Some(bug.to_string());
        let run = build(&with_bug, 0);
        let claims = sim(run.as_ref()).checker().claims();
        assert!(claims.regular && claims.linearizable, "{bug}");
    }
}

#[test]
fn a_quiet_workload_reads_what_was_written_and_holds_both_checks() {
    let run = build(&scenario(4, &[]), 20_000);
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    let checker = sim(run.as_ref()).checker();
    let (reads, stale) = checker.reads();
    assert!(reads > 30, "{reads} reads");
    assert_eq!(stale, 0);
    assert!(checker.not_linearizable().is_none());
    // Every home replica of each key ends with the same newest version.
    for key in 0..2 {
        let config = config_of(&scenario(4, &[]));
        let homes: Vec<Versioned> = config
            .homes(key)
            .map(|home| held(run.as_ref(), home.index(), key))
            .collect();
        assert!(homes[0].counter > 0, "key {key} was written");
        let newest = homes.iter().max().copied();
        assert!(homes.iter().filter(|&&h| Some(h) == newest).count() >= config.w);
    }
}

#[test]
fn without_write_back_the_inversion_is_regular_but_not_linearizable() {
    let run = preset_run("new-old-inversion", None, 3_000);
    assert!(run.violations().is_empty(), "nothing claimed is broken");
    let checker = sim(run.as_ref()).checker();
    assert_eq!(checker.reads(), (2, 0), "two reads, neither stale");
    let failure = checker.not_linearizable().expect("not linearizable");
    assert_eq!(failure.at, Time::from_millis(460));
    // The first read saw the new value and the second the old one.
    let history = run.history().expect("a history");
    let reads: Vec<_> = history
        .operations()
        .into_iter()
        .filter(|op| op.function == crate::history::Function::Get)
        .map(|op| op.output)
        .collect();
    assert_eq!(
        reads,
        vec![crate::history::Value::Int(11), crate::history::Value::None]
    );
}

#[test]
fn the_same_schedule_with_write_back_is_linearizable() {
    let run = preset_run("write-back", None, 3_000);
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    let checker = sim(run.as_ref()).checker();
    assert_eq!(checker.reads(), (2, 0));
    assert!(checker.not_linearizable().is_none());
    // The write-back left 11 at a write quorum of home replicas.
    let at_quorum = (0..3)
        .filter(|&s| held(run.as_ref(), s, 0).value == 11)
        .count();
    assert_eq!(at_quorum, 3);
}

#[test]
fn r_plus_w_not_above_n_reads_stale_after_a_completed_write() {
    let run = preset_run("r-plus-w-not-above-n", None, 2_000);
    assert!(run.violations().is_empty(), "nothing is claimed");
    let checker = sim(run.as_ref()).checker();
    assert_eq!(checker.reads(), (2, 1));
    let stale = checker.first_stale_read().expect("a stale read");
    assert_eq!((stale.returned, stale.overwritten_by), (None, Some(11)));
    assert!(checker.not_linearizable().is_some());
}

#[test]
fn a_sloppy_write_lands_on_fallbacks_and_is_handed_back_after_the_heal() {
    let run = preset_run("sloppy-handoff", None, 1_400);
    let servers: Vec<_> = sim(run.as_ref())
        .nodes()
        .iter()
        .filter_map(QuorumProcess::server)
        .collect();
    // During the partition: n0 holds 11, n3 and n4 hold hints for n1 and n2.
    assert_eq!(servers[0].held(0).value, 11);
    assert_eq!(servers[1].held(0), Versioned::default());
    let hints: Vec<(u32, u32)> = servers[3..]
        .iter()
        .flat_map(|s| {
            s.hints()
                .iter()
                .map(|h| (h.home.0, h.versioned.counter as u32))
        })
        .collect();
    assert_eq!(hints, vec![(1, 1), (2, 1)]);
    assert_eq!(sim(run.as_ref()).checker().reads(), (1, 1));

    let run = preset_run("sloppy-handoff", None, 3_000);
    let servers: Vec<_> = sim(run.as_ref())
        .nodes()
        .iter()
        .filter_map(QuorumProcess::server)
        .collect();
    assert!(servers.iter().all(|s| s.hints().is_empty()));
    assert_eq!(servers[3].handed_off() + servers[4].handed_off(), 2);
    assert!((0..3).all(|s| servers[s].held(0).value == 11));
    assert!(run.violations().is_empty(), "sloppy claims nothing");
}

#[test]
fn a_strict_quorum_does_not_count_hints() {
    // The bug's schedule without the bug: the write finds no strict quorum.
    let run = preset_run("count-hints-toward-quorum", None, 3_000);
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    let history = run.history().expect("a history");
    let write = &history.operations()[0];
    assert_eq!(write.outcome, crate::history::Outcome::Info);
}

#[test]
fn each_invariant_fires_and_each_bug_is_caught_in_its_preset() {
    let caught = |name: &str, bug: &str| {
        let run = preset_run(name, Some(bug), 3_000);
        invariants(run.as_ref())
    };
    assert_eq!(
        caught("count-hints-toward-quorum", BUG_COUNT_HINTS_TOWARD_QUORUM),
        vec![REGULAR, LINEARIZABLE]
    );
    assert_eq!(
        caught("no-read-repair", BUG_NO_READ_REPAIR),
        vec![LINEARIZABLE]
    );
    assert_eq!(
        caught("write-back-to-one", BUG_WRITE_BACK_TO_ONE),
        vec![LINEARIZABLE]
    );
    // The same schedules are clean without the bugs.
    for name in ["no-read-repair", "write-back-to-one"] {
        assert!(
            preset_run(name, None, 3_000).violations().is_empty(),
            "{name}"
        );
    }
}

#[test]
fn the_correct_model_is_clean_and_each_bug_caught_over_heavy_seeds() {
    let report = |bug: Option<&str>, seeds| {
        let mut config = SweepConfig::new(&INFO, seeds);
        config.bug = bug.map(str::to_string);
        sweep(&config, |_, _| {}).expect("the sweep runs")
    };
    let clean = report(None, 40);
    assert!(clean.failures.is_empty(), "{:?}", clean.failures.first());
    for bug in [
        BUG_NO_READ_REPAIR,
        BUG_COUNT_HINTS_TOWARD_QUORUM,
        BUG_WRITE_BACK_TO_ONE,
    ] {
        let caught = report(Some(bug), 200);
        assert!(!caught.failures.is_empty(), "{bug} not caught in 200 seeds");
    }
}

/// How many of `seeds` heavy-fault runs (30 s each) of `params` end with a
/// stale read, and how many not linearizable.
fn unclaimed_failures(params: &[(&str, i64)], seeds: u64) -> (u64, u64) {
    let (mut stale, mut not_linearizable) = (0, 0);
    for seed in 1..=seeds {
        let mut scenario = scenario(seed, params);
        scenario.faults = FaultLevel::Heavy;
        let options = RunOptions {
            trace: false,
            check: true,
            horizon: Time::from_millis(30_000),
        };
        let mut run = (INFO.build)(&scenario, options).expect("builds");
        run.run_until(Time::from_millis(30_000));
        let checker = sim(run.as_ref()).checker();
        stale += u64::from(checker.reads().1 > 0);
        not_linearizable += u64::from(checker.not_linearizable().is_some());
        assert!(run.violations().iter().all(|v| {
            let claims = checker.claims();
            (v.invariant == REGULAR && claims.regular)
                || (v.invariant == LINEARIZABLE && claims.linearizable)
        }));
    }
    (stale, not_linearizable)
}

#[test]
fn unclaimed_checks_really_fail_in_their_regimes() {
    // Write-back off: regular is claimed and holds; linearizability fails.
    let (stale, not_linearizable) = unclaimed_failures(&[("read-repair", 1)], 40);
    assert_eq!(stale, 0);
    assert!(not_linearizable > 0);
    // R + W <= N and sloppy quorums: both fail somewhere.
    for params in [&[("r", 1)][..], &[("quorum", 1)][..]] {
        let (stale, not_linearizable) = unclaimed_failures(params, 40);
        assert!(stale > 0 && not_linearizable > 0, "{params:?}");
    }
}

/// The figures of the report: `cargo test --release -p distlab-core
/// topics::quorum::tests::measure -- --ignored --nocapture`.
#[test]
#[ignore]
fn measure_unclaimed_failure_rates() {
    for (name, params) in [
        ("defaults", &[][..]),
        ("read-repair off", &[("read-repair", 0)][..]),
        ("read-repair background", &[("read-repair", 1)][..]),
        ("R=1 W=2 (R+W<=N)", &[("r", 1)][..]),
        ("R=1 W=1", &[("r", 1), ("w", 1)][..]),
        ("sloppy", &[("quorum", 1)][..]),
    ] {
        let (stale, not_linearizable) = unclaimed_failures(params, 2_000);
        println!(
            "{name}: stale read in {stale} of 2000 heavy seeds, not linearizable in {not_linearizable}"
        );
    }
}

#[test]
fn replicas_keep_data_and_hints_across_a_crash() {
    let mut scenario = INFO.preset_scenario(INFO.preset("sloppy-handoff").expect("preset"));
    scenario
        .actions
        .push(crate::sim::action::TimedAction::at_ms(
            320,
            Action::Crash(NodeId(3)),
        ));
    scenario
        .actions
        .push(crate::sim::action::TimedAction::at_ms(
            340,
            Action::Crash(NodeId(0)),
        ));
    scenario
        .actions
        .push(crate::sim::action::TimedAction::at_ms(
            600,
            Action::Restart(NodeId(3)),
        ));
    scenario
        .actions
        .push(crate::sim::action::TimedAction::at_ms(
            600,
            Action::Restart(NodeId(0)),
        ));
    let run = build(&scenario, 1_400);
    assert_eq!(held(run.as_ref(), 0, 0).value, 11);
    let n3 = sim(run.as_ref()).nodes()[3].server().expect("n3");
    assert_eq!(n3.hints().len(), 1);
    // After the heal, the restarted n3 hands its hint back.
    let run = build(&scenario, 3_000);
    assert_eq!(held(run.as_ref(), 1, 0).value, 11);
}

#[test]
fn a_duplicated_request_is_not_run_twice() {
    let mut scenario = scenario(2, &[("rate", 0), ("clients", 1)]);
    scenario
        .actions
        .push(crate::sim::action::TimedAction::at_ms(
            0,
            Action::SetDuplicateRate(1_000_000),
        ));
    let op = QuorumOp::Write {
        key: 0,
        coordinator: Some(NodeId(0)),
    };
    for ms in [100, 600] {
        scenario
            .actions
            .push(crate::sim::action::TimedAction::at_ms(
                ms,
                Action::operation(Some(NodeId(5)), &op),
            ));
    }
    let run = build(&scenario, 2_000);
    let coordinator = sim(run.as_ref()).nodes()[0].server().expect("n0");
    assert_eq!(coordinator.coordinator().answered, 2);
    // Two writes, so version 2 is the newest anywhere.
    assert_eq!(held(run.as_ref(), 0, 0).counter, 2);
    assert!(run.violations().is_empty());
}

#[test]
fn bad_operations_and_messages_are_refused_without_a_panic() {
    assert_eq!(QuorumOp::from_raw(&RawOperation::new(1, &[5, 0])), None);
    assert_eq!(QuorumOp::from_raw(&RawOperation::new(9, &[0, 0])), None);
    assert_eq!(QuorumOp::from_raw(&RawOperation::new(1, &[0])), None);
    assert_eq!(
        QuorumOp::from_raw(&RawOperation::new(2, &[0, u64::MAX])),
        None
    );
    for op in [
        QuorumOp::Read {
            key: 1,
            coordinator: None,
        },
        QuorumOp::Write {
            key: 0,
            coordinator: Some(NodeId(3)),
        },
    ] {
        assert_eq!(QuorumOp::from_raw(&op.to_raw()), Some(op));
    }
    // A request for a key that does not exist, an operation to a server and a
    // coordinator that is a client: noted, nothing breaks.
    let mut scenario = scenario(3, &[("rate", 0)]);
    scenario
        .actions
        .push(crate::sim::action::TimedAction::at_ms(
            10,
            Action::operation(
                Some(NodeId(1)),
                &QuorumOp::Read {
                    key: 0,
                    coordinator: None,
                },
            ),
        ));
    scenario
        .actions
        .push(crate::sim::action::TimedAction::at_ms(
            20,
            Action::operation(
                Some(NodeId(5)),
                &QuorumOp::Read {
                    key: 0,
                    coordinator: Some(NodeId(6)),
                },
            ),
        ));
    let run = build(&scenario, 2_000);
    assert!(run.violations().is_empty());
    assert_eq!(sim(run.as_ref()).checker().reads(), (1, 0));
}

#[test]
fn buttons_go_to_clients_only() {
    let scenario = scenario(1, &[]);
    let setup = Setup {
        topic: &INFO,
        scenario: &scenario,
        nodes: 5,
    };
    assert!(QuorumTopic::operation(0, NodeId(5), &setup, 0).is_some());
    assert!(QuorumTopic::operation(1, NodeId(7), &setup, 0).is_some());
    assert!(QuorumTopic::operation(0, NodeId(2), &setup, 0).is_none());
    assert!(QuorumTopic::operation(0, NodeId(8), &setup, 0).is_none());
    assert!(QuorumTopic::operation(2, NodeId(5), &setup, 0).is_none());
}
