//! Three-phase commit's behaviour: the three phases, the termination protocol
//! after a coordinator crash (no blocking, where two-phase commit blocks on the
//! same seed), the split brain under a partition (the expected violation),
//! each bug caught in its preset and the correct model clean in the same
//! scenario, each invariant able to fire, and handlers that survive nonsense.

use super::checker::{ThreePhaseChecker, ATOMICITY, COMMIT_VALIDITY, DECISION_STABILITY};
use super::coordinator::{Coordinator, Round};
use super::log::RecordKind;
use super::message::{Decision, Reported, ThreePhaseMessage, ThreePhaseOp, TransactionId};
use super::node::{ThreePhaseBugs, ThreePhaseNode, Timing};
use super::participant::{Participant, Phase};
use super::{ThreePhaseCommitTopic, BUG_COMMIT_WITHOUT_PRECOMMIT, BUG_TIMEOUT_DECIDES_ALONE, INFO};
use crate::lab::protocol::{simulation, ProtocolTopic};
use crate::lab::run::{Run, RunOptions};
use crate::lab::scenario::Scenario;
use crate::lab::sweep::{sweep, SweepConfig};
use crate::sim::action::Action;
use crate::sim::checker::Checker;
use crate::sim::faults::FaultLevel;
use crate::sim::node::{Cx, Effects, Node};
use crate::sim::rng::Rng;
use crate::sim::time::{NodeId, Time};
use crate::sim::world::Simulation;

const T1: TransactionId = TransactionId(1);

fn sim(run: &dyn Run) -> &Simulation<ThreePhaseNode, ThreePhaseChecker> {
    simulation::<ThreePhaseCommitTopic>(run).expect("a three-phase commit run")
}

fn outcomes(run: &dyn Run, transaction: TransactionId) -> Vec<Option<Decision>> {
    sim(run)
        .nodes()
        .iter()
        .map(|n| n.log().decision(transaction))
        .collect()
}

fn run_scenario(scenario: &Scenario, until_ms: u64) -> Box<dyn Run> {
    let mut run = (INFO.build)(scenario, RunOptions::default()).unwrap();
    run.run_until(Time::from_millis(until_ms));
    run
}

fn preset_scenario(name: &str) -> Scenario {
    INFO.preset_scenario(INFO.preset(name).expect("preset exists"))
}

fn invariants(run: &dyn Run) -> Vec<&'static str> {
    run.violations().iter().map(|v| v.invariant).collect()
}

#[test]
fn a_transaction_goes_through_three_phases_and_commits_everywhere() {
    let run = run_scenario(&preset_scenario("commit"), 1_000);
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    let nodes = sim(run.as_ref()).nodes();
    let kinds: Vec<RecordKind> = nodes[0].log().records().iter().map(|r| r.kind).collect();
    assert_eq!(
        kinds,
        [
            RecordKind::Begin,
            RecordKind::PreCommitted,
            RecordKind::Decided(Decision::Commit),
            RecordKind::End
        ]
    );
    for node in &nodes[1..] {
        let summary = node.log().summary(T1);
        assert!(summary.prepared && summary.pre_committed);
        assert_eq!(summary.decision, Some(Decision::Commit));
        assert!(node.participant().unwrap().active().is_empty());
    }
}

#[test]
fn where_two_phase_commit_blocks_on_the_same_seed_three_phase_commit_terminates() {
    use crate::topics::two_phase_commit::{self as two_phase, TwoPhaseCommitTopic};
    let mut two = Scenario::new(two_phase::INFO.slug, 3);
    let mut three = preset_scenario("coordinator-crash");
    two.preset = Some("coordinator-crash".to_string());
    two.params = three.params.clone();
    three.seed = 3;
    let mut two = (two_phase::INFO.build)(&two, RunOptions::default()).unwrap();
    two.run_until(Time::from_millis(1_500));
    let two_sim = simulation::<TwoPhaseCommitTopic>(two.as_ref()).unwrap();
    let blocked = two_sim.nodes()[1].participant().unwrap();
    assert!(blocked.is_uncertain(T1), "two-phase commit's n1 is blocked");
    let three = run_scenario(&three, 1_500);
    assert!(three.violations().is_empty());
    assert_eq!(
        outcomes(three.as_ref(), T1),
        [
            None,
            Some(Decision::Abort),
            Some(Decision::Abort),
            Some(Decision::Abort)
        ]
    );
    let n1 = sim(three.as_ref()).nodes()[1].participant().unwrap();
    let held = n1.lock_intervals()[0];
    assert!(
        held.to.is_some_and(|to| to < Time::from_millis(800)),
        "{held:?}"
    );
}

#[test]
fn a_half_sent_pre_commit_is_finished_by_the_elected_participant() {
    let mut run = run_scenario(&preset_scenario("crash-after-pre-commit"), 1_500);
    assert!(run.violations().is_empty());
    assert_eq!(
        outcomes(run.as_ref(), T1),
        [
            None,
            Some(Decision::Commit),
            Some(Decision::Commit),
            Some(Decision::Commit)
        ],
        "committed while the coordinator is down"
    );
    run.run_until(Time::from_millis(2_500));
    assert_eq!(outcomes(run.as_ref(), T1)[0], Some(Decision::Commit));
    assert!(run.violations().is_empty());
}

#[test]
fn a_partition_splits_the_outcome_and_that_violation_is_the_declared_one() {
    let run = run_scenario(&preset_scenario("partition-split-brain"), 3_000);
    assert_eq!(
        outcomes(run.as_ref(), T1),
        [
            Some(Decision::Commit),
            Some(Decision::Commit),
            Some(Decision::Abort),
            Some(Decision::Abort)
        ]
    );
    assert!(invariants(run.as_ref()).iter().all(|&i| i == ATOMICITY));
    assert!(INFO.expected(ATOMICITY).is_some());
    // Without the partition the same seed commits everywhere.
    let mut healed = preset_scenario("commit");
    healed.seed = 5;
    let run = run_scenario(&healed, 3_000);
    assert!(run.violations().is_empty());
    assert!(outcomes(run.as_ref(), T1)
        .iter()
        .all(|&o| o == Some(Decision::Commit)));
}

#[test]
fn each_bug_is_caught_in_its_preset_and_the_correct_model_holds_there() {
    // With the bug off, each story's crashes still happen: the first aborts
    // everywhere (the crash now cuts the PreCommit broadcast short), the
    // second commits everywhere (the elected n1 finishes the pre-commit).
    let stories = [
        (
            "commit-without-precommit-unsafe",
            BUG_COMMIT_WITHOUT_PRECOMMIT,
            Decision::Abort,
        ),
        (
            "timeout-decides-alone-unsafe",
            BUG_TIMEOUT_DECIDES_ALONE,
            Decision::Commit,
        ),
    ];
    for (preset, bug, outcome) in stories {
        let scenario = preset_scenario(preset);
        assert_eq!(scenario.bug.as_deref(), Some(bug));
        let run = run_scenario(&scenario, 4_000);
        assert!(invariants(run.as_ref()).contains(&ATOMICITY), "{preset}");
        let mut correct = scenario.clone();
        correct.bug = None;
        let run = run_scenario(&correct, 4_000);
        assert!(
            run.violations().is_empty(),
            "{preset}: {:?}",
            run.violations()
        );
        assert!(
            outcomes(run.as_ref(), T1)
                .iter()
                .all(|&o| o == Some(outcome)),
            "{preset}: {:?}",
            outcomes(run.as_ref(), T1)
        );
    }
}

#[test]
fn crashes_without_partitions_never_break_atomicity() {
    let mut config = SweepConfig::new(&INFO, 60);
    config.faults = FaultLevel::Crashes;
    config.until = Time::from_millis(10_000);
    let report = sweep(&config, |_, _| {}).unwrap();
    assert!(report.failures.is_empty(), "{:?}", report.failures.first());
    config.faults = FaultLevel::Heavy;
    config.seeds = 200;
    let report = sweep(&config, |_, _| {}).unwrap();
    assert!(!report.failures.is_empty(), "partitions split some outcome");
    assert!(report
        .failures
        .iter()
        .all(|f| f.violation.invariant == ATOMICITY));
}

#[test]
fn no_transaction_blocks_when_the_coordinator_crashes_for_good() {
    for seed in 0..6 {
        let mut scenario = Scenario::new(INFO.slug, seed);
        scenario.set_param("rate", 10);
        scenario.push_action(Time::from_millis(1_000), Action::Crash(NodeId(0)));
        let run = run_scenario(&scenario, 4_000);
        assert!(run.violations().is_empty(), "seed {seed}");
        for node in &sim(run.as_ref()).nodes()[1..] {
            let participant = node.participant().unwrap();
            assert!(
                participant.active().is_empty(),
                "seed {seed}: {:?}",
                participant.active()
            );
        }
    }
}

#[test]
fn vote_no_aborts_everywhere() {
    let mut scenario = preset_scenario("commit");
    let vote_no = ThreePhaseOp::VoteNo {
        participant: NodeId(2),
    };
    scenario.push_action(Time::ZERO, Action::operation(Some(NodeId(2)), &vote_no));
    let run = run_scenario(&scenario, 1_000);
    assert!(run.violations().is_empty());
    let outcomes = outcomes(run.as_ref(), T1);
    assert!(
        outcomes.iter().all(|&o| o == Some(Decision::Abort)),
        "{outcomes:?}"
    );
    assert!(!sim(run.as_ref()).nodes()[2].log().summary(T1).prepared);
}

#[test]
fn the_machine_lights_each_nodes_state() {
    let mut run = (INFO.build)(
        &preset_scenario("crash-after-pre-commit"),
        RunOptions::default(),
    )
    .unwrap();
    run.run_until(Time::from_millis(500));
    let states: Vec<Option<usize>> = sim(run.as_ref())
        .nodes()
        .iter()
        .map(ThreePhaseCommitTopic::machine_state)
        .collect();
    let machine = ThreePhaseCommitTopic::MACHINE.unwrap();
    let names: Vec<&str> = states
        .iter()
        .map(|s| machine.states[s.unwrap()].name)
        .collect();
    assert_eq!(
        names,
        ["pre-committed", "pre-committed", "uncertain", "uncertain"]
    );
    assert!(machine.transitions.iter().any(|t| t.timeout));
}

fn participant(id: u32) -> ThreePhaseNode {
    let bugs = ThreePhaseBugs::default();
    ThreePhaseNode::Participant(Participant::new(NodeId(id), 3, Timing::default(), 0, bugs))
}

fn append(node: &mut ThreePhaseNode, kind: RecordKind) {
    if let ThreePhaseNode::Participant(p) = node {
        p.log.append(T1, kind);
    }
}

fn check(
    checker: &mut ThreePhaseChecker,
    nodes: &[ThreePhaseNode],
    changed: u32,
) -> Vec<&'static str> {
    let mut found = Vec::new();
    let up = vec![true; nodes.len()];
    checker.check(nodes, &up, NodeId(changed), Time::ZERO, &mut found);
    found.iter().map(|v| v.invariant).collect()
}

#[test]
fn each_invariant_can_fire() {
    let coordinator = Coordinator::new(NodeId(0), 3, Timing::default(), ThreePhaseBugs::default());
    let mut nodes = vec![
        ThreePhaseNode::Coordinator(coordinator),
        participant(1),
        participant(2),
    ];
    let mut checker = ThreePhaseChecker::default();
    append(&mut nodes[1], RecordKind::Prepared);
    assert!(check(&mut checker, &nodes, 1).is_empty());
    append(&mut nodes[1], RecordKind::PreCommitted);
    assert_eq!(
        check(&mut checker, &nodes, 1),
        [COMMIT_VALIDITY],
        "n2 has not voted"
    );
    append(&mut nodes[2], RecordKind::Prepared);
    append(&mut nodes[2], RecordKind::Decided(Decision::Commit));
    assert!(check(&mut checker, &nodes, 2).is_empty());
    append(&mut nodes[1], RecordKind::Decided(Decision::Abort));
    assert_eq!(check(&mut checker, &nodes, 1), [ATOMICITY]);
    append(&mut nodes[2], RecordKind::Decided(Decision::Abort));
    assert_eq!(check(&mut checker, &nodes, 2), [DECISION_STABILITY]);
}

#[test]
fn handlers_drop_nonsense_without_panicking() {
    let mut rng = Rng::derive(1, 1);
    let mut effects = Effects::default();
    let mut node = participant(1);
    let nonsense = [
        (NodeId(9), ThreePhaseMessage::PreCommit { transaction: T1 }),
        (
            NodeId(2),
            ThreePhaseMessage::StateReport {
                transaction: T1,
                state: Reported::PreCommitted,
            },
        ),
        (
            NodeId(2),
            ThreePhaseMessage::PreCommitAck { transaction: T1 },
        ),
        (NodeId(0), ThreePhaseMessage::PreCommit { transaction: T1 }),
        (
            NodeId(2),
            ThreePhaseMessage::Decide {
                transaction: T1,
                decision: Decision::Commit,
            },
        ),
        (
            NodeId(0),
            ThreePhaseMessage::VoteReply {
                transaction: T1,
                vote: super::message::Vote::Yes,
            },
        ),
    ];
    for (from, message) in nonsense {
        let mut cx = Cx::new(
            NodeId(1),
            Time::from_millis(5),
            3,
            true,
            &mut rng,
            &mut effects,
        );
        node.on_message(from, message, &mut cx);
    }
    assert!(
        node.log().decision(T1).is_none(),
        "it never prepared, so it cannot commit"
    );
    assert!(node.participant().unwrap().phase(T1).is_none());
}

/// Skeen's nonblocking property: once the crashes stop, no site that stayed up
/// is left waiting. Only sites back from a crash may still wait for an
/// outcome, when every site that took part has crashed since (a total
/// failure, which the theory says blocks three-phase commit too, until the
/// last site to fail recovers).
#[test]
fn once_crashes_stop_no_site_that_stayed_up_waits() {
    let mut blocked_by_total_failure = 0;
    for seed in 0..30 {
        let mut scenario = Scenario::new(INFO.slug, seed);
        scenario.faults = FaultLevel::Crashes;
        let options = RunOptions {
            horizon: Time::from_millis(8_000),
            ..RunOptions::default()
        };
        let mut run = (INFO.build)(&scenario, options).unwrap();
        run.run_until(Time::from_millis(16_000));
        assert!(run.violations().is_empty(), "seed {seed}");
        let nodes = sim(run.as_ref()).nodes();
        let mut waiting = false;
        for node in &nodes[1..] {
            let participant = node.participant().unwrap();
            for &(transaction, phase) in participant.active() {
                assert_eq!(
                    phase,
                    Phase::Recovering,
                    "seed {seed}: {} is {} on {transaction}",
                    participant.id(),
                    phase.as_str()
                );
                waiting = true;
            }
        }
        let coordinator = nodes[0].coordinator().unwrap();
        for (transaction, round) in coordinator.rounds() {
            assert_eq!(round, &Round::Asking, "seed {seed}: n0 on {transaction}");
            waiting = true;
        }
        blocked_by_total_failure += usize::from(waiting);
    }
    assert!(
        blocked_by_total_failure <= 3,
        "{blocked_by_total_failure} of 30"
    );
}
