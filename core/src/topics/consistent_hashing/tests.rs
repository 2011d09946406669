//! Consistent hashing topic: presets tell their story, invariants hold and can fail,
//! a person's operations work or are refused, runs are deterministic.

use super::super::testing;
use super::*;
use crate::hashing::KeyMove;
use crate::lab::run::Run;
use crate::sim::action::Action;
use testing::ByCode;

const END: Time = Time::from_millis(60_000);

fn state(run: &dyn Run) -> &ConsistentHashingState {
    testing::state::<ConsistentHashingTopic>(run)
}

fn run_scenario(scenario: &Scenario) -> Box<dyn Run> {
    testing::run(&INFO, scenario, END)
}

fn preset_run(name: &str) -> Box<dyn Run> {
    testing::preset_run(&INFO, name, END)
}

fn remove(name: &str) -> RingOp {
    RingOp::RemoveNode {
        name: name.to_string(),
    }
}

use super::super::testing::violations_of;

#[test]
fn every_preset_runs_to_the_end_with_its_invariants() {
    testing::assert_every_preset_finishes(&INFO, Some(MINIMAL_MOVEMENT));
}

#[test]
fn a_plain_scenario_runs_clean_for_many_seeds() {
    for seed in 0..8 {
        let run = run_scenario(&Scenario::new(INFO.slug, seed));
        assert!(
            run.violations().is_empty(),
            "seed {seed}: {:?}",
            run.violations()
        );
        assert_eq!(run.steps(), 5);
    }
}

#[test]
fn adding_a_node_moves_keys_only_to_it_and_far_fewer_than_mod_n() {
    let preset = INFO.preset("add-a-node").unwrap();
    let mut run = (INFO.build)(&INFO.preset_scenario(preset), RunOptions::default()).unwrap();
    run.run_until(Time::from_millis(1000));
    let s = state(run.as_ref());
    let change = s.last_change().expect("a change");
    assert_eq!(
        change.kind,
        RingChangeKind::AddNode {
            name: "node-4".into()
        }
    );
    let m = &change.movement;
    assert!(m.moved > 0);
    assert!(m.moves.iter().all(|mv| mv.to.as_deref() == Some("node-4")));
    assert_eq!(m.ideal, 40.0);
    assert_eq!(s.load().load_of("node-4"), Some(m.moved));
    let mod_n = change.mod_n_movement().unwrap();
    assert!(
        mod_n.moved > 2 * m.moved,
        "mod-N {} ring {}",
        mod_n.moved,
        m.moved
    );
    assert_eq!(change.comparison.len(), 4);
    assert_eq!(change.report("ring").unwrap().movement.moved, m.moved);
    assert_eq!(s.owners().len(), 200);
    assert_eq!(s.ring().point_count(), 250);
}

#[test]
fn removing_a_node_moves_exactly_its_keys() {
    let preset = INFO.preset("remove-a-node").unwrap();
    let mut run = (INFO.build)(&INFO.preset_scenario(preset), RunOptions::default()).unwrap();
    let before = state(run.as_ref()).load().load_of("node-2").unwrap();
    run.run_until(Time::from_millis(1000));
    let s = state(run.as_ref());
    let m = &s.last_change().unwrap().movement;
    assert_eq!(m.moved, before);
    assert!(m
        .moves
        .iter()
        .all(|mv| mv.from.as_deref() == Some("node-2")));
    assert!(!s.ring().contains_node("node-2"));
    // Fifty points spread node-2's keys over several survivors.
    assert!(m.flows.len() >= 3, "{:?}", m.flows);
    run.run_until(END);
    assert!(state(run.as_ref()).ring().contains_node("node-5"));
}

#[test]
fn more_virtual_nodes_even_out_the_load_as_the_theory_says() {
    let run = preset_run("virtual-nodes-balance");
    let s = state(run.as_ref());
    let samples = s.balance();
    assert_eq!(samples.len(), 9);
    assert_eq!(samples[0].vnodes, 1);
    assert_eq!(samples[8].vnodes, 500);
    assert!(samples[8].relative_std_dev < samples[0].relative_std_dev / 3.0);
    for sample in samples {
        // The measured spread of five nodes scatters widely around the expectation;
        // a factor of three either way is a loose but meaningful bound.
        assert!(
            sample.relative_std_dev < 3.0 * sample.theory
                && sample.relative_std_dev > sample.theory / 3.0,
            "{sample:?}"
        );
    }
    assert_eq!(s.vnodes(), 500);
    assert!(s.ring().nodes().iter().all(|n| n.vnodes == 500));
}

#[test]
fn jump_and_mod_n_renumber_on_removal_while_rendezvous_moves_only_its_keys() {
    let run = preset_run("mod-n-vs-ring");
    let s = state(run.as_ref());
    let change = s.last_change().unwrap();
    let moved = |name: &str| change.report(name).unwrap().movement.moved;
    let removed_load = change
        .report("rendezvous")
        .unwrap()
        .before
        .load_of("node-0")
        .unwrap();
    assert_eq!(moved("rendezvous"), removed_load);
    assert!(moved("jump") > moved("rendezvous"));
    assert!(moved("mod-N") > moved("ring"));
}

#[test]
fn the_mod_n_bug_is_caught_for_every_seed() {
    for seed in 0..10 {
        let mut scenario = Scenario::new(INFO.slug, seed);
        scenario.bug = Some(BUG_MOD_N_PLACEMENT.into());
        let mut run = (INFO.build)(&scenario, RunOptions::default()).unwrap();
        let violation = run.run_until_violation(END).expect("caught");
        assert_eq!(violation.invariant, MINIMAL_MOVEMENT, "seed {seed}");
    }
}

#[test]
fn every_key_owned_fails_for_a_wrong_or_dead_owner() {
    let mut s = ConsistentHashingState::new(4, 20, 100, 7, Placement::Ring);
    assert!(violations_of(&s).is_empty());
    let right = s.owners[3].node.clone().unwrap();
    let wrong = s
        .ring
        .node_names()
        .into_iter()
        .find(|n| *n != right)
        .unwrap()
        .to_string();
    s.owners[3].node = Some(wrong);
    let found = violations_of(&s);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].invariant, EVERY_KEY_OWNED);
    assert!(
        found[0].message.contains(&s.keys[3]),
        "{}",
        found[0].message
    );

    let mut s = ConsistentHashingState::new(4, 20, 100, 7, Placement::Ring);
    s.owners[0].node = Some("node-99".into());
    assert_eq!(violations_of(&s)[0].invariant, EVERY_KEY_OWNED);

    let mut s = ConsistentHashingState::new(4, 20, 100, 7, Placement::Ring);
    s.owners.pop();
    assert_eq!(violations_of(&s)[0].invariant, EVERY_KEY_OWNED);
}

#[test]
fn minimal_movement_fails_for_a_needless_move() {
    // A correct change passes.
    let mut s = ConsistentHashingState::new(4, 20, 300, 3, Placement::Ring);
    s.perform(&RingOp::AddNode).unwrap();
    assert!(violations_of(&s).is_empty());
    // A recorded move between two old nodes is needless.
    let change = s.last_change.as_mut().unwrap();
    change.movement.moves.push(KeyMove {
        key: 0,
        from: Some("node-0".into()),
        to: Some("node-1".into()),
    });
    let found = violations_of(&s);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].invariant, MINIMAL_MOVEMENT);

    // The same on removal: a key that did not live on the leaving node moved.
    let mut s = ConsistentHashingState::new(4, 20, 300, 3, Placement::Ring);
    s.perform(&remove("node-1")).unwrap();
    assert!(violations_of(&s).is_empty());
    s.last_change
        .as_mut()
        .unwrap()
        .movement
        .moves
        .push(KeyMove {
            key: 1,
            from: Some("node-0".into()),
            to: Some("node-2".into()),
        });
    assert_eq!(violations_of(&s)[0].invariant, MINIMAL_MOVEMENT);

    // Adding keys must move nothing.
    let mut s = ConsistentHashingState::new(4, 20, 300, 3, Placement::Ring);
    s.perform(&RingOp::AddKeys { count: 10 }).unwrap();
    assert!(violations_of(&s).is_empty());
    s.last_change
        .as_mut()
        .unwrap()
        .movement
        .moves
        .push(KeyMove {
            key: 2,
            from: Some("node-0".into()),
            to: Some("node-2".into()),
        });
    assert_eq!(violations_of(&s)[0].invariant, MINIMAL_MOVEMENT);
}

#[test]
fn minimal_movement_checks_points_when_virtual_nodes_change() {
    for (from, to) in [(10, 40), (40, 10)] {
        let mut s = ConsistentHashingState::new(5, from, 400, 11, Placement::Ring);
        s.perform(&RingOp::SetVnodes { count: to }).unwrap();
        let change = s.last_change().unwrap();
        assert!(change.movement.moved > 0, "{from} -> {to}");
        assert!(violations_of(&s).is_empty(), "{from} -> {to}");
        // Pretend a moved key went from a surviving point to an old point.
        let key = s.last_change().unwrap().movement.moves[0].key;
        let change = s.last_change.as_mut().unwrap();
        change.owners_before[key].vnode = Some(0);
        s.owners[key].vnode = Some(0);
        let found = violations_of(&s);
        assert!(
            found.iter().any(|v| v.invariant == MINIMAL_MOVEMENT),
            "{from} -> {to}: {found:?}"
        );
    }
}

#[test]
fn mod_n_placement_breaks_minimal_movement_directly() {
    let mut s = ConsistentHashingState::new(4, 20, 300, 3, Placement::ModN);
    assert!(violations_of(&s).is_empty());
    s.perform(&RingOp::AddNode).unwrap();
    let found = violations_of(&s);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].invariant, MINIMAL_MOVEMENT);
    assert!(
        found[0].message.contains("after adding node-4"),
        "{}",
        found[0].message
    );
}

#[test]
fn operations_of_a_person_work() {
    let mut scenario = Scenario::new(INFO.slug, 9);
    scenario.set_param("nodes", 3);
    scenario.set_param("keys", 50);
    let op = |code, arg| testing::operation(code, arg);
    scenario.push_action(Time::from_millis(100), op(OP_ADD_NODE, 0));
    scenario.push_action(Time::from_millis(200), op(OP_REMOVE_NODE, 0));
    scenario.push_action(Time::from_millis(300), op(OP_SET_VNODES, 7));
    scenario.push_action(Time::from_millis(400), op(OP_ADD_KEYS, 25));
    let mut run = (INFO.build)(&scenario, RunOptions::default()).unwrap();
    run.run_until(Time::from_millis(400));
    let s = state(run.as_ref());
    assert_eq!(s.ring().node_names(), ["node-1", "node-2", "node-3"]);
    assert_eq!(s.vnodes(), 7);
    assert_eq!(s.ring().point_count(), 21);
    assert_eq!(s.keys().len(), 75);
    assert_eq!(
        s.last_change().unwrap().kind,
        RingChangeKind::AddKeys { count: 25 }
    );
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    let table = run.state_table();
    assert_eq!(table.columns, INFO.columns);
    assert_eq!(table.rows.len(), 3);
}

#[test]
fn bad_codes_and_arguments_are_refused_without_panicking() {
    let s = ConsistentHashingState::new(3, 10, 50, 1, Placement::Ring);
    let args = [
        0,
        1,
        2,
        3,
        499,
        500,
        501,
        1000,
        1001,
        3000,
        u32::MAX as u64,
        u64::MAX,
    ];
    for code in 0..10 {
        for &arg in &args {
            let op = s.operation(code, arg);
            match code {
                OP_ADD_NODE => assert_eq!(op, Some(RingOp::AddNode)),
                OP_REMOVE_NODE => assert_eq!(op.is_some(), arg < 3, "{arg}"),
                OP_SET_VNODES => assert_eq!(op.is_some(), (1..=500).contains(&arg), "{arg}"),
                OP_ADD_KEYS => assert_eq!(op.is_some(), (1..=1000).contains(&arg), "{arg}"),
                _ => assert_eq!(op, None, "code {code}"),
            }
        }
    }
    for &code in &[u32::MAX, 1 << 31] {
        assert_eq!(s.operation(code, 1), None);
    }
    // The last node cannot leave; keys stop at the limit.
    let mut lone = ConsistentHashingState::new(1, 10, 2000, 1, Placement::Ring);
    assert_eq!(lone.operation(OP_REMOVE_NODE, 0), None);
    assert!(lone.operation(OP_ADD_KEYS, 1000).is_some());
    assert_eq!(lone.operation(OP_ADD_KEYS, 1001), None);
    lone.perform(&RingOp::AddKeys { count: 1000 }).unwrap();
    assert_eq!(lone.keys().len(), MAX_KEYS);
    assert_eq!(lone.operation(OP_ADD_KEYS, 1), None);
    // Planned operations that no longer make sense change nothing.
    assert!(lone.perform(&remove("node-0")).is_err());
    assert!(lone.perform(&remove("node-42")).is_err());
    assert!(lone.perform(&RingOp::AddKeys { count: 5 }).is_err());
    assert_eq!(lone.ring().node_count(), 1);
    assert_eq!(lone.keys().len(), MAX_KEYS);
    assert!(violations_of(&lone).is_empty());
}

#[test]
fn a_run_with_junk_actions_still_checks_clean() {
    let mut scenario = Scenario::new(INFO.slug, 4);
    for (i, (code, arg)) in [
        (2, u64::MAX),
        (3, 0),
        (4, 0),
        (77, 1),
        (1, u64::MAX),
        (2, 1),
    ]
    .into_iter()
    .enumerate()
    {
        scenario.push_action(
            Time::from_millis(10 * i as u64),
            testing::operation(code, arg),
        );
    }
    scenario.push_action(Time::from_millis(90), Action::Heal);
    let run = run_scenario(&scenario);
    assert!(run.violations().is_empty(), "{:?}", run.violations());
}

#[test]
fn the_same_scenario_gives_the_same_trace() {
    testing::assert_deterministic(&INFO);
}

#[test]
fn the_theory_has_the_right_limits() {
    assert_eq!(ring_load_theory(1, 10, 100), 0.0);
    assert_eq!(ring_load_theory(5, 10, 0), 0.0);
    // Many points: only the sampling noise of mod-N is left.
    let many = ring_load_theory(5, 1_000_000, 1000);
    assert!((many - mod_n_load_theory(5, 1000)).abs() < 1e-3);
    // One point per node on a ring of two: share ~ Beta(1, 1), relative sd 1/sqrt(3).
    let one = ring_load_theory(2, 1, 1_000_000_000);
    assert!((one - (1.0f64 / 3.0).sqrt()).abs() < 1e-3);
}

#[test]
fn strategy_loads_place_every_key_four_ways_at_any_instant() {
    let run = preset_run("add-a-node");
    let s = state(run.as_ref());
    let loads = s.strategy_loads();
    let names: Vec<&str> = loads.iter().map(|(st, _)| st.name()).collect();
    assert_eq!(names, ["ring", "jump", "rendezvous", "mod-N"]);
    for (_, load) in &loads {
        assert_eq!(load.total, s.keys().len());
        assert_eq!(load.per_node.len(), s.ring().node_count());
    }
    // The ring row is the state's own placement; the mod-N row its contrast.
    assert_eq!(&loads[0].1, s.load());
    assert_eq!(&loads[3].1, s.mod_n_load());
}
