//! The data-sync model's behaviour: the CRDTs merge in any order to the same
//! state, deltas give what whole states give, multi-value keeps siblings,
//! the hybrid clock respects causality; each preset's story (last writer
//! wins losing updates, siblings, the CRDT keeping everything, delta sync
//! sending fewer bytes); each invariant firing, each bug caught in its preset
//! and in sweeps while the correct model stays clean; bad input refused.

use super::checker::{
    DataSyncChecker, LostKind, CAUSAL_OVERWRITE, OR_SET_ADD_WINS, STRONG_CONVERGENCE,
};
use super::document::{Document, Policy, Rules};
use super::message::{Dot, Edit, SyncMessage, SyncOp, SyncTimer, VersionVector, TITLE_KEY};
use super::replica::Replica;
use super::{DataSyncTopic, BUG_LWW_WITH_SKEWED_CLOCKS, BUG_OR_SET_WITHOUT_TAGS, INFO};
use crate::lab::protocol::{simulation, ProtocolTopic};
use crate::lab::run::{Run, RunOptions};
use crate::lab::scenario::Scenario;
use crate::lab::sweep::{sweep, SweepConfig};
use crate::sim::action::{Operation, RawOperation};
use crate::sim::node::{Cx, Effects, Node};
use crate::sim::rng::Rng;
use crate::sim::time::{NodeId, Time};
use crate::sim::world::Simulation;

const MILK: u32 = 0;
const BREAD: u32 = 2;
const PARTY: u64 = 3;
const WEEKEND: u64 = 2;

fn rules(policy: Policy) -> Rules {
    Rules {
        policy,
        wall_clock_map: false,
        remove_by_value: false,
    }
}

fn sim(run: &dyn Run) -> &Simulation<Replica, DataSyncChecker> {
    simulation::<DataSyncTopic>(run).expect("a data-sync run")
}

fn build(scenario: &Scenario, until_ms: u64) -> Box<dyn Run> {
    let mut run = (INFO.build)(scenario, RunOptions::default()).expect("builds");
    run.run_until(Time::from_millis(until_ms));
    run
}

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

fn invariants(run: &dyn Run) -> Vec<&'static str> {
    run.violations().iter().map(|v| v.invariant).collect()
}

fn title(doc: &Document) -> Vec<u64> {
    doc.map_versions(TITLE_KEY)
        .iter()
        .map(|v| v.value)
        .collect()
}

/// Every replica shows `items`, `counter` and `titles`, with one version vector.
fn all_show(run: &dyn Run, items: &[u32], counter: i64, titles: &[u64]) {
    let nodes = sim(run).nodes();
    for replica in nodes {
        let doc = replica.document();
        assert_eq!(doc.items(), items, "{}", replica.id());
        assert_eq!(doc.counter(), counter, "{}", replica.id());
        assert_eq!(title(doc), titles, "{}", replica.id());
        assert_eq!(doc.vv, nodes[0].document().vv, "{}", replica.id());
    }
}

#[test]
fn or_set_merges_to_the_same_state_in_any_order_and_the_add_wins() {
    let mut a = Document::new(Policy::Crdt, 3);
    a.apply(1, Edit::Add(MILK), 10, rules(Policy::Crdt));
    let mut b = a.clone();
    b.vv = a.vv.clone();
    // Concurrently: a removes milk (observing tag n1:1), b adds milk again.
    a.apply(1, Edit::Remove(MILK), 20, rules(Policy::Crdt));
    let mut c = Document::new(Policy::Crdt, 3);
    c.merge(&b, rules(Policy::Crdt));
    c.apply(2, Edit::Add(MILK), 20, rules(Policy::Crdt));
    assert_eq!(a.items(), Vec::<u32>::new());
    let mut ac = a.clone();
    ac.merge(&c, rules(Policy::Crdt));
    let mut ca = c.clone();
    ca.merge(&a, rules(Policy::Crdt));
    assert_eq!(ac.items(), vec![MILK], "the add n2:1 was not observed");
    assert_eq!(ac.observed(), ca.observed());
    // Idempotent: merging again changes nothing.
    let again = ac.clone();
    ac.merge(&ca, rules(Policy::Crdt));
    assert_eq!(ac, again);
}

#[test]
fn removing_by_value_diverges() {
    let bug = Rules {
        remove_by_value: true,
        ..rules(Policy::Crdt)
    };
    let mut a = Document::new(Policy::Crdt, 3);
    a.apply(1, Edit::Add(MILK), 10, bug);
    let mut c = Document::new(Policy::Crdt, 3);
    c.merge(&a, bug);
    a.apply(1, Edit::Remove(MILK), 20, bug);
    c.apply(2, Edit::Add(MILK), 20, bug);
    // c gets the remove after its own add: it kills both tags.
    let mut c_then_a = c.clone();
    c_then_a.merge(&a, bug);
    // a gets the add after its own remove: it keeps the new tag.
    let mut a_then_c = a.clone();
    a_then_c.merge(&c, bug);
    assert_eq!(c_then_a.vv, a_then_c.vv);
    assert_eq!(c_then_a.items(), Vec::<u32>::new());
    assert_eq!(a_then_c.items(), vec![MILK]);
}

#[test]
fn pn_counter_counts_every_replica_and_deltas_give_what_states_give() {
    let mut a = Document::new(Policy::Crdt, 2);
    let mut b = Document::new(Policy::Crdt, 2);
    a.apply(0, Edit::Add(MILK), 1, rules(Policy::Crdt));
    for _ in 0..3 {
        a.apply(0, Edit::Increment, 1, rules(Policy::Crdt));
    }
    b.apply(1, Edit::Decrement, 1, rules(Policy::Crdt));
    b.apply(1, Edit::Add(BREAD), 1, rules(Policy::Crdt));
    let mut whole = b.clone();
    whole.merge(&a, rules(Policy::Crdt));
    assert_eq!(whole.counter(), 2);
    // b has acknowledged a's first update, the add: the delta leaves it out.
    let seen = VersionVector(vec![1, 0]);
    let delta = a.delta(&seen);
    assert!(delta.adds.is_empty() && delta.counts.len() == 1);
    assert!(delta.bytes() < a.bytes());
    let mut from_delta = b.clone();
    from_delta.merge(&a.delta(&VersionVector(vec![0, 0])), rules(Policy::Crdt));
    assert_eq!(from_delta.observed(), whole.observed());
    assert!(a.delta(&a.vv).is_empty());
}

#[test]
fn multi_value_keeps_concurrent_writes_and_the_next_write_replaces_them() {
    let mv = rules(Policy::MultiValue);
    let mut a = Document::new(Policy::MultiValue, 2);
    let mut b = Document::new(Policy::MultiValue, 2);
    a.apply(0, Edit::Add(MILK), 5, mv);
    b.apply(1, Edit::Add(BREAD), 1, mv);
    a.merge(&b, mv);
    assert_eq!(a.siblings(), 1);
    assert_eq!(a.items(), vec![MILK, BREAD]);
    a.apply(0, Edit::Remove(MILK), 6, mv);
    assert_eq!(a.siblings(), 0);
    assert_eq!(a.items(), vec![BREAD]);
}

#[test]
fn the_hybrid_clock_orders_a_causally_later_write_after_a_fast_clock() {
    let mut fast = Document::new(Policy::Crdt, 2);
    fast.apply(
        0,
        Edit::Set {
            key: TITLE_KEY,
            value: WEEKEND,
        },
        9_000_000,
        rules(Policy::Crdt),
    );
    for (bug, kept) in [(false, PARTY), (true, WEEKEND)] {
        let rules = Rules {
            wall_clock_map: bug,
            ..rules(Policy::Crdt)
        };
        let mut slow = Document::new(Policy::Crdt, 2);
        slow.merge(&fast, rules);
        let applied = slow.apply(
            1,
            Edit::Set {
                key: TITLE_KEY,
                value: PARTY,
            },
            1_000,
            rules,
        );
        assert_eq!(title(&slow), vec![kept], "wall clock map: {bug}");
        assert_eq!(applied.overwritten.is_some_and(|o| o.causally_later), bug);
    }
}

#[test]
fn offline_add_and_remove_of_one_item_keeps_the_add() {
    let run = preset_run("offline-add-remove", 4_000);
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    all_show(run.as_ref(), &[MILK], 2, &[]);
    assert!(sim(run.as_ref()).checker().lost().is_empty());
}

#[test]
fn last_writer_wins_loses_a_later_rename_an_add_and_an_increment() {
    let run = preset_run("lww-loses-updates", 4_000);
    // Nothing is claimed under last writer wins; it converges all the same.
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    all_show(run.as_ref(), &[], 1, &[WEEKEND]);
    let checker = sim(run.as_ref()).checker();
    let lost: Vec<(Dot, LostKind)> = checker.lost().iter().map(|l| (l.dot, l.kind)).collect();
    let n2 = |seq| Dot { origin: 2, seq };
    assert!(lost.contains(&(n2(1), LostKind::Write)), "{lost:?}");
    assert!(lost.contains(&(n2(2), LostKind::Add)), "{lost:?}");
    assert_eq!(checker.counter_steps_lost(), 1);
}

#[test]
fn multi_value_shows_siblings_then_undoes_a_remove_when_merged() {
    let run = preset_run("multi-value-siblings", 2_700);
    for replica in sim(run.as_ref()).nodes() {
        assert_eq!(replica.document().siblings(), 2, "{}", replica.id());
    }
    // Read merged (union, highest), the siblings already undo the remove and
    // drop an increment.
    let checker = sim(run.as_ref()).checker();
    assert_eq!(checker.lost_count(LostKind::Remove), 1);
    assert_eq!(checker.counter_steps_lost(), 1);
    let run = preset_run("multi-value-siblings", 4_500);
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    all_show(run.as_ref(), &[MILK, BREAD], 2, &[PARTY]);
    let checker = sim(run.as_ref()).checker();
    assert_eq!(checker.lost_count(LostKind::Remove), 1);
    assert_eq!(checker.lost_count(LostKind::Write), 0);
    assert_eq!(checker.counter_steps_lost(), 1);
}

#[test]
fn crdts_keep_every_update_of_the_same_edits() {
    let run = preset_run("crdt-keeps-updates", 4_000);
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    all_show(run.as_ref(), &[BREAD], 2, &[PARTY]);
    let checker = sim(run.as_ref()).checker();
    assert!(checker.lost().is_empty());
    assert_eq!(checker.counter_steps_lost(), 0);
}

#[test]
fn delta_sync_sends_a_fraction_of_the_bytes_of_state_sync() {
    let bytes = |name| {
        let run = preset_run(name, 10_000);
        assert!(run.violations().is_empty(), "{:?}", run.violations());
        sim(run.as_ref())
            .nodes()
            .iter()
            .map(|replica| replica.traffic().sync_bytes)
            .sum::<u64>()
    };
    let state = bytes("state-sync-bytes");
    let delta = bytes("delta-sync-bytes");
    println!("state sync {state} B, delta sync {delta} B over 10 s");
    assert!(delta * 3 < state, "state {state} B, delta {delta} B");
}

/// Runs `handler` on `replica` as node `id` of three, at time zero; returns
/// what it sent and noted.
fn call(
    replica: &mut Replica,
    handler: impl FnOnce(&mut Replica, &mut Cx<Replica>),
) -> Effects<SyncMessage, SyncTimer> {
    let mut rng = Rng::new(1);
    let mut effects = Effects::default();
    let mut cx = Cx::new(replica.id(), Time::ZERO, 3, true, &mut rng, &mut effects);
    handler(replica, &mut cx);
    effects
}

#[test]
fn a_crash_forgets_the_acknowledgements_and_sends_the_whole_state_again() {
    let run = preset_run("offline-add-remove", 4_000);
    let mut server = sim(run.as_ref()).nodes()[0].clone();
    // Both phones have acknowledged everything: nothing to send.
    let quiet = call(&mut server, |r, cx| r.on_timer(SyncTimer::Sync, cx));
    assert!(quiet.sends.is_empty());
    let before = server.document().clone();
    server.on_crash();
    // The document is durable; the acknowledgements were not.
    assert_eq!(server.document(), &before);
    let after = call(&mut server, |r, cx| r.on_timer(SyncTimer::Sync, cx));
    assert_eq!(after.sends.len(), 2);
    for (_, message) in &after.sends {
        match message {
            SyncMessage::Sync {
                payload,
                full,
                bytes,
                ..
            } => {
                assert!(full);
                assert_eq!(payload, &before);
                assert_eq!(*bytes, before.bytes());
            }
            SyncMessage::Ack { .. } => panic!("a sync, not an ack"),
        }
    }
}

#[test]
fn each_invariant_fires_in_its_bug_preset_and_not_without_the_bug() {
    let run = preset_run("or-set-without-tags", 4_000);
    let found = invariants(run.as_ref());
    assert_eq!(found.first(), Some(&OR_SET_ADD_WINS), "{found:?}");
    assert!(found.contains(&STRONG_CONVERGENCE), "{found:?}");
    let clean = build(&preset_scenario("or-set-without-tags", None), 4_000);
    assert!(clean.violations().is_empty(), "{:?}", clean.violations());
    all_show(clean.as_ref(), &[MILK], 0, &[]);

    let run = preset_run("lww-with-skewed-clocks", 4_000);
    assert_eq!(invariants(run.as_ref()), vec![CAUSAL_OVERWRITE]);
    let clean = build(&preset_scenario("lww-with-skewed-clocks", None), 4_000);
    assert!(clean.violations().is_empty(), "{:?}", clean.violations());
    all_show(clean.as_ref(), &[], 0, &[PARTY]);
}

#[test]
fn sweeps_are_clean_without_a_bug_and_catch_each_bug() {
    let report = |bug: Option<&str>, policy: Option<i64>, seeds| {
        let mut config = SweepConfig::new(&INFO, seeds);
        config.bug = bug.map(str::to_string);
        if let Some(policy) = policy {
            config.params.push(("policy".to_string(), policy));
        }
        sweep(&config, |_, _| {}).expect("the sweep runs")
    };
    for policy in [None, Some(0), Some(1)] {
        let clean = report(None, policy, 60);
        assert!(clean.failures.is_empty(), "{:?}", clean.failures.first());
    }
    for bug in [BUG_OR_SET_WITHOUT_TAGS, BUG_LWW_WITH_SKEWED_CLOCKS] {
        let caught = report(Some(bug), None, 40);
        assert!(
            caught.failures.len() >= 5,
            "{bug}: {}",
            caught.failures.len()
        );
    }
}

#[test]
fn operations_round_trip_and_bad_input_is_refused() {
    let ops = [
        SyncOp::Add { item: 3 },
        SyncOp::Remove { item: None },
        SyncOp::Remove { item: Some(1) },
        SyncOp::Increment,
        SyncOp::Decrement,
        SyncOp::Rename { title: 4 },
        SyncOp::SyncNow,
    ];
    for op in ops {
        assert_eq!(SyncOp::from_raw(&op.to_raw()), Some(op));
    }
    for raw in [
        RawOperation::new(1, &[]),
        RawOperation::new(1, &[999]),
        RawOperation::new(5, &[99]),
        RawOperation::new(3, &[1]),
        RawOperation::new(77, &[]),
    ] {
        assert_eq!(SyncOp::from_raw(&raw), None, "{raw}");
    }
}

#[test]
fn a_sync_that_does_not_fit_is_dropped_with_a_note() {
    let mut scenario = Scenario::new(INFO.slug, 1);
    scenario.set_param("rate", 0);
    let run = build(&scenario, 100);
    let mut replica = sim(run.as_ref()).nodes()[1].clone();
    let before = replica.document().clone();
    let wrong = Document::new(Policy::Crdt, 7);
    let message = SyncMessage::Sync {
        vv: wrong.vv.clone(),
        payload: wrong,
        full: true,
        bytes: 0,
    };
    let effects = call(&mut replica, |r, cx| r.on_message(NodeId(0), message, cx));
    assert_eq!(replica.document(), &before);
    assert!(effects.sends.is_empty());
    assert!(effects.notes[0].contains("dropped"), "{:?}", effects.notes);
}

#[test]
fn buttons_make_their_operations_at_the_chosen_replica() {
    let scenario = Scenario::new(INFO.slug, 1);
    let setup = crate::lab::protocol::Setup {
        topic: &INFO,
        scenario: &scenario,
        nodes: 3,
    };
    let node = NodeId;
    assert_eq!(
        DataSyncTopic::operation(0, node(2), &setup, 1),
        Some(SyncOp::Add { item: 1 })
    );
    assert_eq!(
        DataSyncTopic::operation(5, node(0), &setup, 0),
        Some(SyncOp::SyncNow)
    );
    assert_eq!(DataSyncTopic::operation(0, node(3), &setup, 0), None);
    assert_eq!(DataSyncTopic::operation(9, node(1), &setup, 0), None);
}
