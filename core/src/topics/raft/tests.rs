//! Raft's behaviour: elections, replication, every preset's story, and that each
//! invariant of the checker can fire.

use super::checker::{
    RaftChecker, ELECTION_SAFETY, LEADER_COMPLETENESS, LOG_MATCHING, STATE_MACHINE_SAFETY,
};
use super::message::{Command, Entry, LogIndex, RaftOp, Role, Term};
use super::node::{RaftBugs, RaftNode, RaftTiming};
use super::process::RaftProcess;
use super::{RaftTopic, INFO};
use crate::lab::protocol::simulation;
use crate::lab::run::{Run, RunOptions};
use crate::lab::scenario::Scenario;
use crate::sim::action::Action;
use crate::sim::checker::{Checker, Violation};
use crate::sim::faults::FaultLevel;
use crate::sim::time::{NodeId, Time};
use crate::sim::world::Simulation;

fn sim(run: &dyn Run) -> &Simulation<RaftProcess, RaftChecker> {
    simulation::<RaftTopic>(run).expect("a raft run")
}

/// The servers of a run, in id order (clients follow them).
fn servers(run: &dyn Run) -> Vec<&RaftNode> {
    sim(run)
        .nodes()
        .iter()
        .filter_map(RaftProcess::server)
        .collect()
}

fn preset_run(name: &str) -> Box<dyn Run> {
    let preset = INFO.preset(name).expect("preset exists");
    (INFO.build)(&INFO.preset_scenario(preset), RunOptions::default()).expect("builds")
}

fn leaders(run: &dyn Run) -> Vec<(NodeId, Term)> {
    let sim = sim(run);
    servers(run)
        .into_iter()
        .filter(|n| sim.is_up(n.id()) && n.role() == Role::Leader)
        .map(|n| (n.id(), n.term()))
        .collect()
}

fn values(node: &RaftNode) -> Vec<u64> {
    node.log()
        .iter()
        .filter_map(|e| match e.command {
            Command::Value(value) => Some(value),
            Command::Kv(_) => None,
        })
        .collect()
}

#[test]
fn a_quiet_cluster_elects_exactly_one_leader_and_commits_requests() {
    for seed in 0..20 {
        let mut run = (INFO.build)(&Scenario::new("raft", seed), RunOptions::default()).unwrap();
        run.run_until(Time::from_millis(5_000));
        let leaders = leaders(run.as_ref());
        assert_eq!(leaders.len(), 1, "seed {seed}: {leaders:?}");
        let servers = servers(run.as_ref());
        let leader = servers[leaders[0].0.index()];
        assert!(
            leader.commit_index() >= LogIndex(5),
            "seed {seed}: only {} committed",
            leader.commit_index()
        );
        for node in &servers {
            let committed = node.commit_index().0 as usize;
            assert_eq!(
                node.log()[..committed],
                leader.log()[..committed],
                "seed {seed}"
            );
        }
        assert!(
            run.violations().is_empty(),
            "seed {seed}: {:?}",
            run.violations()
        );
    }
}

#[test]
fn every_cluster_size_works() {
    for nodes in [3, 5, 7] {
        let mut scenario = Scenario::new("raft", 11);
        scenario.set_param("nodes", nodes);
        let mut run = (INFO.build)(&scenario, RunOptions::default()).unwrap();
        run.run_until(Time::from_millis(3_000));
        assert_eq!(servers(run.as_ref()).len(), nodes as usize);
        assert_eq!(leaders(run.as_ref()).len(), 1);
    }
}

#[test]
fn leader_crash_elects_a_new_leader_and_the_old_one_rejoins() {
    let mut run = preset_run("leader-crash");
    run.run_until(Time::from_millis(1_100));
    assert_eq!(leaders(run.as_ref()), vec![(NodeId(0), Term(1))]);
    run.run_until(Time::from_millis(2_400));
    let after = leaders(run.as_ref());
    assert_eq!(after.len(), 1);
    assert_ne!(after[0].0, NodeId(0));
    assert!(after[0].1 >= Term(2));
    run.run_until(Time::from_millis(4_000));
    let old = servers(run.as_ref())[0];
    assert_eq!(old.role(), Role::Follower);
    assert_eq!(old.term(), leaders(run.as_ref())[0].1);
    assert!(
        old.commit_index() > LogIndex(0),
        "the restarted leader catches up"
    );
    assert!(run.violations().is_empty());
}

#[test]
fn split_vote_has_no_winner_in_term_one_then_randomness_breaks_the_tie() {
    let mut run = preset_run("split-vote");
    run.run_until(Time::from_millis(220));
    let candidates = servers(run.as_ref())
        .into_iter()
        .filter(|n| n.role() == Role::Candidate && n.term() == Term(1))
        .count();
    assert_eq!(candidates, 4);
    assert!(leaders(run.as_ref()).is_empty());
    run.run_until(Time::from_millis(1_500));
    let after = leaders(run.as_ref());
    assert_eq!(after.len(), 1);
    assert!(after[0].1 >= Term(2));
    assert!(run.violations().is_empty());
}

#[test]
fn minority_partition_keeps_committing_and_disrupts_on_heal() {
    let mut run = preset_run("minority-partition");
    run.run_until(Time::from_millis(990));
    let commit_before = servers(run.as_ref())[0].commit_index();
    run.run_until(Time::from_millis(2_900));
    let sim_mid = servers(run.as_ref());
    assert_eq!(leaders(run.as_ref()), vec![(NodeId(0), Term(1))]);
    assert!(
        sim_mid[0].commit_index() > commit_before,
        "the majority side commits"
    );
    assert!(
        sim_mid[3].term() > Term(2),
        "the cut-off side inflates its term"
    );
    run.run_until(Time::from_millis(5_000));
    let after = leaders(run.as_ref());
    assert_eq!(after.len(), 1);
    assert!(after[0].1 > Term(2), "healing forced a new election");
    assert!(
        [0, 1, 2].contains(&after[0].0 .0),
        "an up-to-date server wins: {after:?}"
    );
    assert!(run.violations().is_empty());
}

#[test]
fn majority_partition_discards_the_old_leaders_uncommitted_entries() {
    let mut run = preset_run("majority-partition");
    run.run_until(Time::from_millis(3_400));
    let old = servers(run.as_ref())[0];
    assert!(values(old).contains(&100) && values(old).contains(&101));
    assert!(
        old.commit_index().0 < old.log().len() as u64,
        "v100/v101 never commit"
    );
    let majority_leaders: Vec<_> = leaders(run.as_ref())
        .into_iter()
        .filter(|(id, _)| id.0 >= 2)
        .collect();
    assert_eq!(majority_leaders.len(), 1);
    run.run_until(Time::from_millis(5_000));
    for node in servers(run.as_ref()) {
        assert!(
            !values(node).contains(&100),
            "{} still holds v100",
            node.id()
        );
        assert!(!values(node).contains(&101));
    }
    assert!(run.violations().is_empty());
}

#[test]
fn figure_8_with_the_safe_rule_overwrites_only_uncommitted_entries() {
    let mut run = preset_run("figure-8");
    run.run_until(Time::from_millis(590));
    let before = servers(run.as_ref());
    let n0 = before[0];
    assert_eq!(n0.role(), Role::Leader);
    assert_eq!(n0.term(), Term(3));
    let holders = before
        .iter()
        .filter(|n| n.entry(LogIndex(2)) == Some(&Entry::value(Term(1), 2)))
        .count();
    assert!(holders >= 3, "v2 reached a majority ({holders})");
    assert!(
        n0.commit_index() < LogIndex(2),
        "but is not committed by counting"
    );
    run.run_until(Time::from_millis(1_500));
    let after = servers(run.as_ref());
    assert_eq!(leaders(run.as_ref()), vec![(NodeId(4), Term(4))]);
    for (id, node) in after.iter().enumerate().take(5).skip(1) {
        assert_eq!(
            node.entry(LogIndex(2)),
            Some(&Entry::value(Term(2), 3)),
            "n{id}"
        );
        assert!(node.commit_index() >= LogIndex(3), "n{id}");
    }
    assert!(run.violations().is_empty(), "{:?}", run.violations());
}

#[test]
fn figure_8_with_the_bug_is_caught() {
    let mut run = preset_run("figure-8-unsafe");
    run.run_until(Time::from_millis(1_500));
    let caught: Vec<_> = run.violations().iter().map(|v| v.invariant).collect();
    assert!(caught.contains(&LEADER_COMPLETENESS), "{caught:?}");
    assert!(caught.contains(&STATE_MACHINE_SAFETY), "{caught:?}");
}

#[test]
fn same_scenario_same_trace_and_trace_off_changes_nothing() {
    let mut scenario = Scenario::new("raft", 77);
    scenario.faults = FaultLevel::Heavy;
    let run_it = |options: RunOptions| {
        let mut run = (INFO.build)(&scenario, options).unwrap();
        run.run_until(Time::from_millis(5_000));
        let logs: Vec<Vec<Entry>> = servers(run.as_ref())
            .into_iter()
            .map(|n| n.log().to_vec())
            .collect();
        (run.steps(), run.trace().hash(), logs)
    };
    let a = run_it(RunOptions::default());
    let b = run_it(RunOptions::default());
    let quiet = run_it(RunOptions {
        trace: false,
        check: false,
        ..RunOptions::default()
    });
    assert_eq!(a, b);
    assert_eq!(a.0, quiet.0, "the trace must not change the run");
    assert_eq!(a.2, quiet.2);
}

#[test]
fn a_live_action_equals_the_same_action_in_the_scenario() {
    // What the player does when a person clicks "crash" at 1.2 s, then shares.
    let base = Scenario::new("raft", 5);
    let mut live = (INFO.build)(&base, RunOptions::default()).unwrap();
    live.run_until(Time::from_millis(1_200));
    let at = live.now().after(crate::sim::time::Duration(1));
    let action = Action::Crash(NodeId(1));
    live.schedule(
        crate::sim::action::TimedAction {
            at,
            action: action.clone(),
        },
        crate::lab::run::USER_ACTION_RANK,
    );
    live.run_until(Time::from_millis(3_000));
    let mut shared = base.clone();
    shared.push_action(at, action);
    let mut replay = (INFO.build)(&shared, RunOptions::default()).unwrap();
    replay.run_until(Time::from_millis(3_000));
    assert_eq!(live.trace().hash(), replay.trace().hash());
}

#[test]
fn crash_keeps_durable_state_only() {
    let mut node = RaftNode::new(NodeId(0), 3, RaftTiming::default(), RaftBugs::default());
    let log = vec![Entry::value(Term(2), 9)];
    node.force_state(Term(3), Role::Leader, log.clone(), LogIndex(1));
    node.on_crash();
    assert_eq!(node.term(), Term(3));
    assert_eq!(node.log(), &log[..]);
    assert_eq!(node.role(), Role::Follower);
    assert_eq!(node.commit_index(), LogIndex(0));
}

/// Checks `nodes` after a step on `changed`, from a fresh checker.
fn check(nodes: &[RaftNode], changed: u32) -> Vec<Violation> {
    let nodes: Vec<RaftProcess> = nodes.iter().cloned().map(RaftProcess::Server).collect();
    let nodes = &nodes[..];
    let mut checker = RaftChecker::default();
    let mut found = Vec::new();
    let up = vec![true; nodes.len()];
    for i in 0..nodes.len() as u32 {
        if i != changed {
            checker.check(nodes, &up, NodeId(i), Time::ZERO, &mut found);
        }
    }
    found.clear();
    checker.check(nodes, &up, NodeId(changed), Time::ZERO, &mut found);
    found
}

fn node(id: u32, term: u64, role: Role, log: &[(u64, u64)], commit: u64) -> RaftNode {
    let mut node = RaftNode::new(NodeId(id), 3, RaftTiming::default(), RaftBugs::default());
    let log = log.iter().map(|&(t, v)| Entry::value(Term(t), v)).collect();
    node.force_state(Term(term), role, log, LogIndex(commit));
    node
}

#[test]
fn each_invariant_can_fail() {
    let names = |found: Vec<Violation>| found.into_iter().map(|v| v.invariant).collect::<Vec<_>>();

    let two_leaders = [
        node(0, 2, Role::Leader, &[], 0),
        node(1, 2, Role::Leader, &[], 0),
        node(2, 2, Role::Follower, &[], 0),
    ];
    assert_eq!(names(check(&two_leaders, 1)), [ELECTION_SAFETY]);

    let forked = [
        node(0, 3, Role::Follower, &[(1, 1), (3, 5)], 0),
        node(1, 3, Role::Follower, &[(1, 2), (3, 5)], 0),
        node(2, 3, Role::Follower, &[], 0),
    ];
    assert_eq!(names(check(&forked, 1)), [LOG_MATCHING]);

    let diverged_commits = [
        node(0, 2, Role::Follower, &[(1, 1)], 1),
        node(1, 2, Role::Follower, &[(2, 7)], 1),
        node(2, 2, Role::Follower, &[], 0),
    ];
    assert_eq!(names(check(&diverged_commits, 1)), [STATE_MACHINE_SAFETY]);

    let forgetful_leader = [
        node(0, 2, Role::Follower, &[(1, 1)], 1),
        node(1, 3, Role::Leader, &[], 0),
        node(2, 2, Role::Follower, &[(1, 1)], 0),
    ];
    assert_eq!(names(check(&forgetful_leader, 1)), [LEADER_COMPLETENESS]);

    let healthy = [
        node(0, 2, Role::Leader, &[(1, 1), (2, 2)], 2),
        node(1, 2, Role::Follower, &[(1, 1), (2, 2)], 1),
        node(2, 2, Role::Follower, &[(1, 1)], 1),
    ];
    assert!(check(&healthy, 0).is_empty());
}

#[test]
fn bad_actions_are_ignored_not_fatal() {
    let mut scenario = Scenario::new("raft", 1);
    scenario.set_param("nodes", 3);
    for action in [
        Action::Crash(NodeId(9)),
        Action::Restart(NodeId(0)),
        Action::Cut {
            from: NodeId(0),
            to: NodeId(40),
        },
        Action::Partition(vec![0; 100]),
        Action::operation(Some(NodeId(77)), &RaftOp::Request { value: 1 }),
        Action::Timeout(NodeId(30)),
    ] {
        scenario.push_action(Time::from_millis(500), action);
    }
    let mut run = (INFO.build)(&scenario, RunOptions::default()).unwrap();
    run.run_until(Time::from_millis(2_000));
    let ignored = run
        .trace()
        .events
        .iter()
        .filter(|e| matches!(&e.kind, crate::sim::trace::EventKind::Network { label } if label.starts_with("ignored")))
        .count();
    assert_eq!(
        ignored, 5,
        "the 100-node partition is truncated, the rest ignored"
    );
    assert_eq!(leaders(run.as_ref()).len(), 1);
}

/// The player seeks by stepping while `next_time` is before the target, so a step
/// must never happen later than `next_time` said (a stale timer left at the head
/// of the queue once made it jump past the target).
#[test]
fn every_step_happens_when_next_time_said() {
    let mut scenario = Scenario::new("raft", 1);
    scenario.set_param("rate", 50);
    scenario.set_param("nodes", 7);
    scenario.faults = FaultLevel::Heavy;
    let mut run = (INFO.build)(&scenario, RunOptions::default()).unwrap();
    for _ in 0..50_000 {
        let next = run.next_time().unwrap();
        assert!(run.step());
        assert_eq!(run.now(), next, "step {}", run.steps());
    }
}

#[test]
fn a_held_run_does_only_what_its_script_says() {
    use crate::sim::action::Release;
    use crate::sim::network::{DropReason, Fate};
    use crate::sim::trace::EventKind;
    let mut scenario = Scenario::new("raft", 3);
    scenario.set_param("nodes", 3);
    scenario.set_param("clients", 0);
    scenario.push_action(Time::ZERO, Action::Hold);
    let fire = |slot| Action::Fire {
        node: NodeId(0),
        slot,
    };
    let release = |message, fate| Action::Release { message, fate };
    scenario.push_action(Time::from_millis(5_000), fire(7));
    scenario.push_action(Time::from_millis(5_001), fire(0));
    scenario.push_action(Time::from_millis(5_002), release(99, Release::Deliver));
    scenario.push_action(Time::from_millis(5_003), release(0, Release::Duplicate));
    scenario.push_action(Time::from_millis(5_004), release(0, Release::Deliver));
    scenario.push_action(Time::from_millis(5_005), release(1, Release::Lose));
    let mut run = (INFO.build)(&scenario, RunOptions::default()).unwrap();
    // Seconds of nothing: no timer fires and no election starts by itself.
    run.run_until(Time::from_millis(4_999));
    assert!(run.trace().messages.is_empty());
    assert!(run
        .cluster()
        .nodes
        .iter()
        .all(|n| n.summary.role == "follower"));
    run.run_until(Time::from_millis(6_000));
    let notes: Vec<String> = run
        .trace()
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Network { label } => Some(label.clone()),
            _ => None,
        })
        .collect();
    assert!(
        notes.iter().any(|n| n.contains("no such held timer")),
        "{notes:?}"
    );
    assert!(
        notes.iter().any(|n| n.contains("no such held message")),
        "{notes:?}"
    );
    // n0's election sent a RequestVote to n1 (#0) and n2 (#1); n1 got #0
    // twice (a copy first), and #1 was lost.
    let trace = run.trace();
    let fate = |id| trace.message(id).map(|m| m.fate);
    assert!(matches!(fate(0), Some(Fate::Deliver { at }) if at == Time::from_millis(5_004)));
    assert!(matches!(
        fate(1),
        Some(Fate::Drop {
            reason: DropReason::Loss,
            ..
        })
    ));
    let arrivals = trace
        .events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Deliver { message: 0 }))
        .count();
    assert_eq!(arrivals, 2);
    // n1 answered twice; the answers wait, held.
    let held: Vec<_> = held_simulation(&*run)
        .held_messages()
        .map(|h| h.0)
        .collect();
    assert_eq!(held.len(), 2);
}

/// The typed simulation of a Raft run.
fn held_simulation(run: &dyn Run) -> &Simulation<RaftProcess, super::checker::RaftChecker> {
    simulation::<RaftTopic>(run).unwrap()
}
