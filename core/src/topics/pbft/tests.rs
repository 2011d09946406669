//! Unit tests of the PBFT model: the three phases, view changes after a silent
//! or equivocating primary, a lying backup outvoted, both bugs caught in their
//! presets and the correct model safe in the same scenarios, safety with up to
//! f traitors under heavy faults, and the operations' codec.

use super::certificates::{held, matrix};
use super::checker::{PbftChecker, COMMIT_AGREEMENT, EXECUTION_AGREEMENT};
use super::message::{Behaviour, PbftOp};
use super::presets::traitor;
use super::process::PbftProcess;
use super::replica::Replica;
use super::{PbftTopic, BUG_QUORUM_2F, BUG_THREE_F_REPLICAS, INFO};
use crate::lab::protocol::simulation;
use crate::lab::run::{Run, RunOptions};
use crate::lab::scenario::Scenario;
use crate::sim::action::{Action, Operation, RawOperation};
use crate::sim::faults::FaultLevel;
use crate::sim::time::{NodeId, Time};
use crate::sim::view::Palette;
use crate::sim::world::Simulation;

fn sim(run: &dyn Run) -> &Simulation<PbftProcess, PbftChecker> {
    simulation::<PbftTopic>(run).expect("a pbft run")
}

fn preset_run(name: &str, until_ms: u64) -> Box<dyn Run> {
    let preset = INFO.preset(name).expect("the preset exists");
    let mut run =
        (INFO.build)(&INFO.preset_scenario(preset), RunOptions::default()).expect("builds");
    run.run_until(Time::from_millis(until_ms));
    run
}

fn run_scenario(scenario: &Scenario, until_ms: u64) -> Box<dyn Run> {
    let mut run = (INFO.build)(scenario, RunOptions::default()).expect("builds");
    run.run_until(Time::from_millis(until_ms));
    run
}

fn replica(run: &dyn Run, id: u32) -> &Replica {
    sim(run).nodes()[id as usize].replica().expect("a replica")
}

fn accepted(run: &dyn Run, client: u32) -> usize {
    sim(run).nodes()[client as usize]
        .client()
        .expect("a client")
        .accepted
        .len()
}

fn invariants(run: &dyn Run) -> Vec<&'static str> {
    run.violations().iter().map(|v| v.invariant).collect()
}

#[test]
fn a_request_goes_through_three_phases_and_f_plus_one_replies_convince_the_client() {
    let run = preset_run("normal-case", 200);
    assert!(run.violations().is_empty());
    assert_eq!(accepted(&*run, 4), 1);
    let digest = replica(&*run, 0).executed[0].1;
    for id in 0..4 {
        let replica = replica(&*run, id);
        assert_eq!(replica.executed, vec![(1, digest)], "n{id}");
        assert_eq!(replica.commit_log, vec![(0, 1, digest)], "n{id}");
        let slot = replica.slot(0, 1).expect("the slot of n1");
        assert!(slot.prepared && slot.committed);
    }
    // The checker marks the commit at 2f+1 honest replicas.
    assert_eq!(sim(&*run).checker().marks.len(), 1);
}

#[test]
fn the_certificate_view_names_the_messages_of_each_certificate() {
    let run = preset_run("normal-case", 200);
    let f = 1;
    let digest = replica(&*run, 0).executed[0].1;
    for id in 0..4 {
        let held = held(replica(&*run, id), 0, 1).expect("n1 is logged");
        assert_eq!(held.digest, Some(digest), "n{id}");
        // Prepared: the pre-prepare and 2f PREPAREs, from backups only.
        assert!(held.prepared, "n{id}");
        assert_eq!(held.prepares.len(), 2 * f, "n{id}: {held:?}");
        assert!(!held.prepares.contains(&0), "the primary sends no PREPARE");
        // Committed-local: 2f+1 COMMITs named, more may have come later.
        assert!(held.committed, "n{id}");
        assert_eq!(held.commits.len(), 2 * f + 1, "n{id}: {held:?}");
        assert!(held.dissent.is_empty());
    }
    let table = matrix(sim(&*run).nodes());
    assert_eq!(
        table.columns.len(),
        1 + 4,
        "the label, then one per replica"
    );
    assert_eq!(table.columns[1], "n0 primary");
    let row = table.rows.last().expect("a row");
    assert!(row.label.starts_with("n1: n4 t1 #"), "{}", row.label);
    for cell in &row.cells {
        assert_eq!(cell.palette, Palette::Done, "{}", cell.text);
        assert!(cell.text.starts_with(&format!("{digest} PP n0 | P n")));
        assert_eq!(cell.text.matches('✓').count(), 2, "{}", cell.text);
    }
}

#[test]
fn under_quorum_2f_a_backup_is_prepared_on_its_own_prepare() {
    // The bug's preset: quorums of 2f = 2, so a backup is prepared with the
    // pre-prepare and 2f - 1 = 1 PREPARE (its own), and committed-local with
    // 2f = 2 COMMITs: its own and the equivocating primary's for its digest.
    let run = preset_run("quorum-2f-unsafe", 200);
    let mut digests = Vec::new();
    for id in 1..4 {
        let Some(held) = held(replica(&*run, id), 0, 1) else {
            continue;
        };
        if !held.committed {
            continue;
        }
        assert_eq!(held.prepares, vec![id], "n{id}: {held:?}");
        assert_eq!(held.commits, vec![0, id], "n{id}: {held:?}");
        digests.extend(held.digest);
    }
    digests.sort_unstable();
    digests.dedup();
    assert!(
        digests.len() >= 2,
        "two honest backups committed different requests at n1: {digests:?}"
    );
    // The table shows the equivocation: different digests in the row of n1.
    let table = matrix(sim(&*run).nodes());
    let row = table
        .rows
        .iter()
        .find(|row| row.label.starts_with("n1:"))
        .expect("n1's row");
    let mut shown: Vec<&str> = row.cells[1..]
        .iter()
        .map(|cell| cell.text.split(' ').next().unwrap_or(""))
        .collect();
    shown.sort_unstable();
    shown.dedup();
    assert_eq!(shown.len(), 3, "each backup its own digest: {shown:?}");
}

#[test]
fn checkpoints_become_stable_and_move_the_low_watermark() {
    let run = preset_run("normal-case", 3_000);
    assert!(run.violations().is_empty());
    for id in 0..4 {
        let replica = replica(&*run, id);
        assert!(replica.stable >= 8, "n{id} stable at n{}", replica.stable);
        assert!(replica.log.iter().all(|s| s.seq > replica.stable));
    }
}

#[test]
fn a_silent_primary_is_replaced_by_a_view_change() {
    let run = preset_run("silent-primary", 2_000);
    assert!(run.violations().is_empty());
    for id in 1..4 {
        let replica = replica(&*run, id);
        assert_eq!(replica.view, 1, "n{id}");
        assert!(!replica.changing);
        assert!(replica.last_executed >= 1);
    }
    assert!(accepted(&*run, 4) >= 1);
    let spans = &sim(&*run).checker().spans;
    assert!(spans.iter().any(|s| s.changing && s.view == 1));
    assert!(spans
        .iter()
        .any(|s| !s.changing && s.view == 1 && s.node == NodeId(1)));
}

#[test]
fn an_equivocating_primary_gets_no_certificate_and_is_replaced() {
    let run = preset_run("equivocating-primary", 2_000);
    assert!(run.violations().is_empty());
    for id in 1..4 {
        let replica = replica(&*run, id);
        // Nothing was prepared, let alone committed, in view 0.
        assert!(replica.commit_log.iter().all(|&(view, _, _)| view >= 1));
        assert!(replica.view >= 1);
        assert!(replica.last_executed >= 1);
    }
    assert!(accepted(&*run, 4) >= 1);
}

#[test]
fn a_lying_backup_is_outvoted_in_view_zero() {
    let run = preset_run("lying-backup", 2_000);
    assert!(run.violations().is_empty());
    for id in 0..3 {
        let replica = replica(&*run, id);
        assert_eq!(replica.view, 0);
        assert!(replica.last_executed >= 5, "n{id}");
    }
    assert!(accepted(&*run, 4) >= 5);
}

#[test]
fn each_bug_is_caught_in_its_preset_by_both_invariants() {
    for name in ["quorum-2f-unsafe", "three-f-replicas-unsafe"] {
        let run = preset_run(name, 1_000);
        let found = invariants(&*run);
        assert!(found.contains(&COMMIT_AGREEMENT), "{name}: {found:?}");
        assert!(found.contains(&EXECUTION_AGREEMENT), "{name}: {found:?}");
    }
}

#[test]
fn the_correct_model_holds_in_the_bugs_scenario() {
    // The quorum-2f story without the bug: the same equivocating primary.
    let mut scenario = Scenario::new(INFO.slug, 5);
    scenario.push_action(Time::ZERO, traitor(0, Behaviour::Equivocate));
    let run = run_scenario(&scenario, 3_000);
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    assert!(accepted(&*run, 4) >= 1);
}

#[test]
fn three_f_replicas_as_a_parameter_breaks_agreement_with_a_traitor() {
    let mut scenario = Scenario::new(INFO.slug, 6);
    scenario.set_param("replicas", 1);
    scenario.push_action(Time::ZERO, traitor(0, Behaviour::Equivocate));
    let run = run_scenario(&scenario, 1_000);
    assert!(invariants(&*run).contains(&COMMIT_AGREEMENT));
    // Without a traitor, n = 3f is still safe (crashes are not lies).
    let run = run_scenario(&Scenario::new(INFO.slug, 6), 1_000);
    assert!(run.violations().is_empty());
}

/// Traitor scripts of at most f replicas each, for `f`.
fn traitor_sets(f: u32) -> Vec<Vec<(u32, Behaviour)>> {
    use Behaviour::*;
    match f {
        1 => vec![
            vec![(0, Equivocate)],
            vec![(0, Silent)],
            vec![(0, Lie)],
            vec![(2, Lie)],
            vec![(1, Equivocate)],
        ],
        _ => vec![
            vec![(0, Equivocate), (3, Lie)],
            vec![(0, Equivocate), (1, Equivocate)],
            vec![(0, Silent), (1, Lie)],
        ],
    }
}

/// Heavy-fault seeds with up to f traitors: no violation. The number of seeds
/// per traitor set can be raised with `DISTLAB_PBFT_SEEDS` for a longer run.
#[test]
fn up_to_f_traitors_under_heavy_faults_never_break_agreement() {
    let seeds: u64 = std::env::var("DISTLAB_PBFT_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(8);
    for f in [1, 2] {
        for traitors in traitor_sets(f) {
            for seed in 0..seeds {
                let mut scenario = Scenario::new(INFO.slug, seed);
                scenario.set_param("f", f as i64);
                scenario.faults = FaultLevel::Heavy;
                for &(id, behaviour) in &traitors {
                    scenario.push_action(Time::ZERO, traitor(id, behaviour));
                }
                let run = run_scenario(&scenario, 10_000);
                assert!(
                    run.violations().is_empty(),
                    "f {f}, traitors {traitors:?}, seed {seed}: {}",
                    run.violations()[0]
                );
            }
        }
    }
}

#[test]
fn the_bugs_are_caught_under_heavy_faults_within_a_few_seeds() {
    for bug in [BUG_QUORUM_2F, BUG_THREE_F_REPLICAS] {
        let caught = (0..10)
            .filter(|&seed| {
                let mut scenario = Scenario::new(INFO.slug, seed);
                scenario.bug = Some(bug.to_string());
                scenario.faults = FaultLevel::Heavy;
                !run_scenario(&scenario, 5_000).violations().is_empty()
            })
            .count();
        assert!(caught >= 5, "{bug}: {caught} of 10");
    }
}

#[test]
fn operations_round_trip_and_malformed_ones_are_refused() {
    for behaviour in Behaviour::ALL {
        let op = PbftOp::Traitor(behaviour);
        assert_eq!(PbftOp::from_raw(&op.to_raw()), Some(op));
    }
    for raw in [
        RawOperation::new(1, &[]),
        RawOperation::new(1, &[3]),
        RawOperation::new(1, &[u64::MAX]),
        RawOperation::new(1, &[0, 0]),
        RawOperation::new(2, &[0]),
    ] {
        assert_eq!(PbftOp::from_raw(&raw), None, "{raw}");
    }
}

#[test]
fn a_client_only_falls_silent_and_notes_the_other_behaviours() {
    let mut scenario = Scenario::new(INFO.slug, 1);
    scenario.push_action(
        Time::ZERO,
        Action::operation(Some(NodeId(4)), &PbftOp::Traitor(Behaviour::Lie)),
    );
    scenario.push_action(
        Time::from_millis(500),
        Action::operation(Some(NodeId(4)), &PbftOp::Traitor(Behaviour::Silent)),
    );
    let run = run_scenario(&scenario, 2_000);
    assert!(run.violations().is_empty());
    // Three requests before it fell silent, none after.
    assert_eq!(accepted(&*run, 4), 3);
    assert!((0..4).all(|id| replica(&*run, id).traitor.is_none()));
    assert!((0..4).all(|id| replica(&*run, id).last_executed == 3));
}

#[test]
fn new_view_reissues_the_highest_view_certificate_and_fills_gaps_with_null() {
    use super::message::{Certificate, Proposal, Request, ViewChangeVote};
    use super::view_change::new_view_pre_prepares;
    let request = |operation| Request {
        client: NodeId(4),
        timestamp: 1,
        operation,
    };
    let certificate = |seq, view, operation| Certificate {
        seq,
        view,
        proposal: Proposal(Some(request(operation))),
    };
    let vote = |replica, checkpoint, prepared| ViewChangeVote {
        replica: NodeId(replica),
        checkpoint,
        checkpoint_state: checkpoint * 10,
        prepared,
    };
    let votes = [
        vote(1, 4, vec![certificate(5, 0, 1), certificate(7, 1, 2)]),
        vote(2, 0, vec![certificate(3, 0, 3), certificate(5, 2, 4)]),
        vote(3, 4, vec![]),
    ];
    let (min_s, state, pre_prepares) = new_view_pre_prepares(&votes);
    assert_eq!((min_s, state), (4, 40));
    assert_eq!(
        pre_prepares,
        vec![
            (5, Proposal(Some(request(4)))),
            (6, Proposal(None)),
            (7, Proposal(Some(request(2)))),
        ]
    );
}

#[test]
fn a_forced_view_change_reissues_what_was_prepared_at_the_same_sequence_numbers() {
    let mut scenario = Scenario::new(INFO.slug, 1);
    for id in 1..4 {
        scenario.push_action(Time::from_millis(600), Action::Timeout(NodeId(id)));
    }
    let run = run_scenario(&scenario, 2_000);
    assert!(run.violations().is_empty());
    let n1 = replica(&*run, 1);
    assert!(n1.view >= 1 && !n1.changing);
    // Sequence numbers committed in view 0 and again (re-issued) in view 1
    // carry the same digests.
    let in_view = |view| -> Vec<_> {
        n1.commit_log
            .iter()
            .filter(|c| c.0 == view)
            .map(|c| (c.1, c.2))
            .collect()
    };
    let (old, new) = (in_view(0), in_view(1));
    assert!(new.iter().any(|(seq, _)| old.iter().any(|(s, _)| s == seq)));
    for (seq, digest) in &new {
        if let Some((_, before)) = old.iter().find(|(s, _)| s == seq) {
            assert_eq!(before, digest, "n{seq}");
        }
    }
    assert!(accepted(&*run, 4) > old.len());
}
