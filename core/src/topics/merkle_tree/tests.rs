//! The Merkle tree topic: every preset's story, every invariant's ability to fail,
//! a person's operations (and refusals), and determinism.

use super::super::testing;
use super::presets::{ANTI_ENTROPY, CONSISTENCY_PROOF, EDIT_AND_REHASH, INCLUSION_PROOF};
use super::*;
use crate::lab::run::Run;
use crate::sim::trace::EventKind;
use testing::ByCode;

fn replicas(run: &dyn Run) -> &MerkleReplicas {
    testing::state::<MerkleTreeTopic>(run)
}

fn build_run(scenario: &Scenario) -> Box<dyn Run> {
    testing::build(&INFO, scenario)
}

fn preset_run(name: &str) -> Box<dyn Run> {
    let preset = INFO.preset(name).expect("preset exists");
    build_run(&INFO.preset_scenario(preset))
}

/// Steps `run` until just after virtual time `ms`.
fn run_to(run: &mut dyn Run, ms: u64) -> &MerkleReplicas {
    run.run_until(Time::from_millis(ms));
    replicas(run)
}

use super::super::testing::{notes_of, violations_of};

#[test]
fn every_preset_runs_to_the_end_with_its_invariants_holding() {
    testing::assert_every_preset_finishes(&INFO, None);
}

#[test]
fn the_plain_tour_runs_clean_for_many_seeds_and_every_size() {
    for leaves in 1..=64 {
        for diffs in [0, 2, 16] {
            let mut scenario = Scenario::new("merkle-tree", leaves as u64 * 31 + diffs);
            scenario.set_param("leaves", leaves);
            scenario.set_param("diffs", diffs as i64);
            let mut run = build_run(&scenario);
            run.run_until(Time::NEVER);
            assert_eq!(run.steps(), 10, "leaves {leaves}");
            assert!(
                run.violations().is_empty(),
                "leaves {leaves} diffs {diffs}: {:?}",
                run.violations()
            );
            // The tour ends with a repair and a comparison of equal replicas.
            let end = replicas(run.as_ref());
            assert_eq!(end.len(), leaves as usize + 2);
            let comparison = end.highlights().comparison.as_ref().expect("compared");
            assert_eq!(comparison.hash_comparisons, 1);
        }
    }
}

#[test]
fn inclusion_proof_story_matches_its_narration() {
    let mut run = preset_run(INCLUSION_PROOF);
    let proof_len = |s: &MerkleReplicas| {
        let check = s.highlights().inclusion.as_ref().expect("a proof");
        assert!(check.verified);
        assert_eq!(check.proof_nodes.len(), check.proof.len());
        (check.leaf, check.proof.len())
    };
    assert_eq!(proof_len(run_to(run.as_mut(), 600)), (5, 4));
    assert_eq!(proof_len(run_to(run.as_mut(), 1200)), (12, 2));
    assert_eq!(proof_len(run_to(run.as_mut(), 1800)), (0, 4));
    let before = replicas(run.as_ref()).primary().inclusion_proof(5);
    let old_root = replicas(run.as_ref()).primary().root();
    let edited = run_to(run.as_mut(), 2400);
    assert_ne!(edited.primary().root(), old_root);
    assert_eq!(edited.highlights().rehashed.len(), 5); // leaf 5 is at depth 4
    let after = run_to(run.as_mut(), 3000);
    let check = after.highlights().inclusion.as_ref().expect("a proof");
    assert_eq!((check.leaf, check.proof.clone()), (5, before));
    assert!(check.verified);
    assert!(!merkle::verify_inclusion(
        b"k5=not-the-record",
        5,
        13,
        &check.proof,
        &check.root
    ));
}

#[test]
fn edit_and_rehash_story_matches_its_narration() {
    let mut run = preset_run(EDIT_AND_REHASH);
    let s = run_to(run.as_mut(), 600);
    assert_eq!(s.highlights().rehashed.len(), 4);
    assert_eq!(s.highlights().rehashed[0], NodeId::leaf(3));
    assert_ne!(s.primary().root(), s.replica().root());
    let s = run_to(run.as_mut(), 1200);
    assert_eq!(s.differing_leaves(), vec![3, 6]);
    let s = run_to(run.as_mut(), 1800);
    let proof = s.highlights().inclusion.as_ref().expect("a proof");
    assert_eq!(
        (proof.leaf, proof.proof.len(), proof.verified),
        (3, 3, true)
    );
    let s = run_to(run.as_mut(), 2400);
    assert_eq!(s.len(), 9);
    assert_eq!(s.primary().height(), 4);
    assert_eq!(s.highlights().rehashed.len(), 2); // the new leaf and the new root
    let s = run_to(run.as_mut(), 3000);
    let comparison = s.highlights().comparison.as_ref().expect("compared");
    assert_eq!(comparison.differing_leaves, vec![3, 6]);
    let s = run_to(run.as_mut(), 3600);
    let repair = s.highlights().repair.as_ref().expect("repaired");
    assert_eq!(repair.copied, vec![3, 6]);
    assert_eq!(s.primary().root(), s.replica().root());
    assert!(run.violations().is_empty());
}

#[test]
fn anti_entropy_story_walks_only_differing_subtrees() {
    let mut run = preset_run(ANTI_ENTROPY);
    let s = run_to(run.as_mut(), 600);
    assert_eq!(
        s.highlights()
            .comparison
            .as_ref()
            .map(|c| c.hash_comparisons),
        Some(1)
    );
    let s = run_to(run.as_mut(), 1200);
    assert_eq!(s.highlights().diverged.len(), 3);
    let diverged = s.highlights().diverged.clone();
    let s = run_to(run.as_mut(), 1800);
    let comparison = s.highlights().comparison.as_ref().expect("compared");
    assert_eq!(comparison.differing_leaves, diverged);
    assert_eq!(comparison.full_scan_comparisons, 32);
    assert!(comparison.hash_comparisons <= 2 * 3 * 5 + 1);
    assert!(comparison.hash_comparisons < 32);
    assert_eq!(comparison.visited.len(), comparison.hash_comparisons);
    let s = run_to(run.as_mut(), 2400);
    assert_eq!(
        s.highlights().repair.as_ref().map(|r| r.copied.clone()),
        Some(diverged)
    );
    let s = run_to(run.as_mut(), 3000);
    assert_eq!(
        s.highlights()
            .comparison
            .as_ref()
            .map(|c| c.hash_comparisons),
        Some(1)
    );
}

#[test]
fn consistency_story_matches_its_narration() {
    let mut run = preset_run(CONSISTENCY_PROOF);
    let proof = |s: &MerkleReplicas| {
        let check = s.highlights().consistency.as_ref().expect("a proof");
        assert!(check.verified);
        (check.old_size, check.new_size, check.proof.len())
    };
    assert_eq!(run_to(run.as_mut(), 1800).len(), 8);
    assert_eq!(proof(run_to(run.as_mut(), 2400)), (5, 8, 4));
    assert_eq!(proof(run_to(run.as_mut(), 4200)), (8, 10, 1));
    assert_eq!(proof(run_to(run.as_mut(), 4800)), (5, 10, 5));
    let s = replicas(run.as_ref());
    let nodes = &s.highlights().consistency.as_ref().unwrap().proof_nodes;
    assert_eq!(nodes[0], NodeId::leaf(4));
    assert!(run.violations().is_empty());
}

#[test]
fn trees_of_any_size_have_the_rfc_root() {
    for n in [1usize, 2, 3, 5, 7, 13, 33, 64] {
        let values: Vec<u64> = (0..n as u64).collect();
        let s = MerkleReplicas::new(values.clone());
        assert_eq!(s.primary().root(), root_of(&values), "n = {n}");
        assert_eq!(s.primary().nodes().len(), 2 * n - 1);
        assert!(violations_of(&s).is_empty());
    }
}

fn scenario_with(operations: &[(u64, u32, u64)]) -> Scenario {
    let mut scenario = Scenario::new("merkle-tree", 9);
    scenario.set_param("leaves", 5);
    testing::with_operations(scenario, operations)
}

#[test]
fn a_persons_operations_work() {
    // All before the first planned operation at 600 ms.
    let scenario = scenario_with(&[
        (10, OP_APPEND, 42),
        (20, OP_EDIT_LEAF, 5),
        (30, OP_PROVE_INCLUSION, 5),
        (40, OP_PROVE_CONSISTENCY, 3),
        (50, OP_DIVERGE, 1),
        (60, OP_COMPARE, 0),
        (70, OP_REPAIR, 0),
    ]);
    let mut run = build_run(&scenario);
    let s = run_to(run.as_mut(), 10);
    assert_eq!(s.len(), 6);
    assert_eq!(s.primary_record(5).as_deref(), Some("k5=42"));
    assert_eq!(s.replica_record(5).as_deref(), Some("k5=42"));
    let s = run_to(run.as_mut(), 20);
    assert_eq!(s.primary_record(5).as_deref(), Some("k5=43"));
    assert_eq!(s.differing_leaves(), vec![5]);
    let s = run_to(run.as_mut(), 30);
    assert!(s.highlights().inclusion.as_ref().unwrap().verified);
    let s = run_to(run.as_mut(), 40);
    let consistency = s.highlights().consistency.as_ref().unwrap();
    assert_eq!((consistency.old_size, consistency.new_size), (3, 6));
    let s = run_to(run.as_mut(), 50);
    assert_eq!(s.differing_leaves(), vec![1, 5]);
    assert_eq!(s.replica_values()[1], s.values()[1] + DIVERGENCE);
    let s = run_to(run.as_mut(), 60);
    assert_eq!(
        s.highlights().comparison.as_ref().unwrap().differing_leaves,
        vec![1, 5]
    );
    let s = run_to(run.as_mut(), 70);
    assert!(s.differing_leaves().is_empty());
    assert!(run.violations().is_empty());
    let labels: Vec<String> = run
        .trace()
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Input { label } => Some(label.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(labels[0], "append a record with value 42");
    assert_eq!(labels[1], "edit leaf 5 to 43");
    assert!(notes_of(run.trace())
        .iter()
        .any(|n| n.contains("hash comparisons")));
}

#[test]
fn bad_codes_and_arguments_are_refused_without_panicking() {
    let scenario = scenario_with(&[
        (10, OP_EDIT_LEAF, 5),
        (11, OP_PROVE_INCLUSION, u64::MAX),
        (12, OP_PROVE_CONSISTENCY, 0),
        (13, OP_PROVE_CONSISTENCY, 6),
        (14, OP_DIVERGE, 1 << 40),
        (15, 7, 0),
        (16, u32::MAX, u64::MAX),
    ]);
    let mut run = build_run(&scenario);
    let s = run_to(run.as_mut(), 100);
    assert_eq!(s.len(), 5);
    assert!(s.differing_leaves().is_empty());
    let ignored = notes_of(run.trace())
        .iter()
        .filter(|n| n.starts_with("ignored operation"))
        .count();
    assert_eq!(ignored, 7);
    assert!(run.violations().is_empty());

    // Applied directly (as a stale planned operation could be), out-of-range
    // operations change nothing and explain why.
    let s = MerkleReplicas::new(vec![1, 2, 3]);
    for op in [
        MerkleOp::Edit { leaf: 3, value: 9 },
        MerkleOp::ProveInclusion { leaf: 99 },
        MerkleOp::ProveConsistency { old_size: 0 },
        MerkleOp::ProveConsistency { old_size: 4 },
        MerkleOp::Diverge { leaves: vec![3, 7] },
    ] {
        let run = testing::applied(s.clone(), vec![(Time(1), op.clone())]);
        let after = run.structure();
        assert_eq!(after.values(), s.values(), "{op}");
        assert_eq!(after.highlights(), &Highlights::default(), "{op}");
        assert_eq!(notes_of(run.trace()).len(), 1, "{op}");
    }
}

#[test]
fn appends_stop_at_the_maximum() {
    let full = MerkleReplicas::new(vec![7; MAX_LEAVES + 10]);
    assert_eq!(full.len(), MAX_LEAVES);
    assert_eq!(full.operation(OP_APPEND, 1), None);
    let run = testing::applied(full, vec![(Time(1), MerkleOp::Append { value: 1 })]);
    assert_eq!(run.structure().len(), MAX_LEAVES);
    assert!(run.violations().is_empty());
}

#[test]
fn root_matches_leaves_can_fail() {
    let mut s = MerkleReplicas::new(vec![1, 2, 3, 4, 5]);
    assert!(violations_of(&s).is_empty());
    // The tree changes but the records do not: the incremental root is now wrong.
    s.replica.set_leaf(2, b"k2=999");
    let found = violations_of(&s);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].invariant, ROOT_MATCHES_LEAVES);
    assert!(found[0].message.contains("replica"));
    // A record changes without its tree.
    let mut s = MerkleReplicas::new(vec![1, 2, 3]);
    s.values.push(4);
    assert_eq!(violations_of(&s)[0].invariant, ROOT_MATCHES_LEAVES);
}

/// `s` after `op`, applied through a run (the only way to get a `Notes`).
fn applied(s: MerkleReplicas, op: MerkleOp) -> MerkleReplicas {
    let run = testing::applied(s, vec![(Time(1), op)]);
    assert!(run.violations().is_empty());
    run.structure().clone()
}

#[test]
fn proofs_verify_can_fail() {
    let s = MerkleReplicas::new((0..13).collect());
    let mut s = applied(s, MerkleOp::ProveInclusion { leaf: 6 });
    assert!(violations_of(&s).is_empty());
    let check = s.highlights.inclusion.as_mut().unwrap();
    check.proof[1][0] ^= 1;
    let found = violations_of(&s);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].invariant, PROOFS_VERIFY);
    assert!(found[0].message.contains("inclusion proof of leaf 6"));

    // A proof that verified once but no longer matches the records.
    let s = MerkleReplicas::new((0..13).collect());
    let mut s = applied(s, MerkleOp::ProveInclusion { leaf: 6 });
    // (Changing leaf 6 itself would not do: its proof holds only sibling hashes.)
    s.values[0] = 1000;
    s.primary.set_leaf(0, b"k0=1000");
    assert_eq!(violations_of(&s)[0].invariant, PROOFS_VERIFY);

    let s = MerkleReplicas::new((0..13).collect());
    let mut s = applied(s, MerkleOp::ProveConsistency { old_size: 6 });
    assert!(violations_of(&s).is_empty());
    let check = s.highlights.consistency.as_mut().unwrap();
    check.proof.pop();
    let found = violations_of(&s);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].invariant, PROOFS_VERIFY);
    assert!(found[0].message.contains("consistency proof from size 6"));
    // The topic's own verdict counts too.
    let s = MerkleReplicas::new((0..13).collect());
    let mut s = applied(s, MerkleOp::ProveConsistency { old_size: 6 });
    s.highlights.consistency.as_mut().unwrap().verified = false;
    assert_eq!(violations_of(&s)[0].invariant, PROOFS_VERIFY);
}

#[test]
fn diff_is_exact_can_fail() {
    let s = MerkleReplicas::new((0..16).collect());
    let s = applied(s, MerkleOp::Diverge { leaves: vec![4, 9] });
    let mut s = applied(s, MerkleOp::Compare);
    assert!(violations_of(&s).is_empty());
    s.highlights
        .comparison
        .as_mut()
        .unwrap()
        .differing_leaves
        .retain(|&leaf| leaf != 9);
    let found = violations_of(&s);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].invariant, DIFF_IS_EXACT);
    assert!(found[0].message.contains("[4]") && found[0].message.contains("[4, 9]"));
}

#[test]
fn repair_converges_can_fail() {
    let s = MerkleReplicas::new((0..16).collect());
    let s = applied(
        s,
        MerkleOp::Diverge {
            leaves: vec![0, 15],
        },
    );
    let mut s = applied(s, MerkleOp::Repair);
    assert!(violations_of(&s).is_empty());
    assert_eq!(s.highlights.repair.as_ref().unwrap().copied, vec![0, 15]);
    // A repair that forgot a leaf: records and tree agree, but the replicas do not.
    s.replica_values[15] = 1234;
    s.replica.set_leaf(15, b"k15=1234");
    let found = violations_of(&s);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].invariant, REPAIR_CONVERGES);
    assert!(found[0].message.contains("[15]"));
}

#[test]
fn the_checker_reports_violations_through_the_run() {
    // A structure already broken before the first operation: every step reports.
    let mut broken = MerkleReplicas::new(vec![1, 2, 3]);
    broken.primary.set_leaf(0, b"tampered");
    let run = testing::applied(broken, vec![(Time(1), MerkleOp::Compare)]);
    let invariants: Vec<&str> = run.violations().iter().map(|v| v.invariant).collect();
    assert!(invariants.contains(&ROOT_MATCHES_LEAVES));
}

#[test]
fn same_scenario_same_trace() {
    testing::assert_deterministic(&INFO);
}

#[test]
fn the_state_table_shows_both_replicas() {
    let s = MerkleReplicas::new(vec![1, 2, 3]);
    let s = applied(s, MerkleOp::Diverge { leaves: vec![2] });
    let table = s.state_table();
    assert_eq!(table.columns, INFO.columns);
    assert_eq!(table.rows.len(), 2);
    assert_eq!(table.rows[1][3], Cell::Text("2".into()));
}

#[test]
fn validation_refuses_out_of_range_params() {
    let mut scenario = Scenario::new("merkle-tree", 1);
    scenario.set_param("leaves", 0);
    assert!((INFO.build)(&scenario, RunOptions::default()).is_err());
    scenario.set_param("leaves", 65);
    assert!((INFO.build)(&scenario, RunOptions::default()).is_err());
    let mut scenario = Scenario::new("merkle-tree", 1);
    scenario.set_param("diffs", -1);
    assert!((INFO.build)(&scenario, RunOptions::default()).is_err());
}
