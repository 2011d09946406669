//! Two-phase commit's behaviour: the happy path, each rule (votes, timeouts,
//! the termination protocols, recovery), every preset's story, that each
//! invariant can fire, that each bug is caught, and that handlers survive
//! nonsense (the handler-level tests are in `handlers`).

use super::checker::{TwoPhaseChecker, ATOMICITY, COMMIT_VALIDITY, DECISION_STABILITY};
use super::coordinator::{Coordinator, Round};
use super::lock_view::HoldsLocks;
use super::log::RecordKind;
use super::message::{Decision, TransactionId, TwoPhaseOp};
use super::node::TwoPhaseNode;
use super::participant::{Participant, Phase};
use super::{
    TwoPhaseCommitTopic, BUG_COMMIT_BEFORE_ALL_VOTES, BUG_FORGET_DECISION_ON_RESTART, INFO,
};
use crate::lab::protocol::simulation;
use crate::lab::protocol::ProtocolTopic;
use crate::lab::run::{Run, RunOptions};
use crate::lab::scenario::Scenario;
use crate::lab::sweep::{sweep, SweepConfig};
use crate::sim::action::{Action, RawOperation, TimedAction};
use crate::sim::faults::FaultLevel;
use crate::sim::time::{Duration, NodeId, Time};
use crate::sim::view::{Cell, Palette};
use crate::sim::world::Simulation;

mod handlers;

const T1: TransactionId = TransactionId(1);

fn sim(run: &dyn Run) -> &Simulation<TwoPhaseNode, TwoPhaseChecker> {
    simulation::<TwoPhaseCommitTopic>(run).expect("a two-phase commit run")
}

fn coordinator(run: &dyn Run) -> &Coordinator {
    sim(run).nodes()[0].coordinator().expect("n0 coordinates")
}

fn participants(run: &dyn Run) -> Vec<&Participant> {
    sim(run).nodes()[1..]
        .iter()
        .map(|n| n.participant().expect("a participant"))
        .collect()
}

fn preset_run(name: &str, until_ms: u64) -> Box<dyn Run> {
    let preset = INFO.preset(name).expect("preset exists");
    let mut run = (INFO.build)(&INFO.preset_scenario(preset), RunOptions::default()).unwrap();
    run.run_until(Time::from_millis(until_ms));
    run
}

fn quiet(seed: u64) -> Scenario {
    let mut scenario = Scenario::new(INFO.slug, seed);
    scenario.set_param("rate", 0);
    scenario.set_param("abort-percent", 0);
    scenario
}

fn invariants(run: &dyn Run) -> Vec<&'static str> {
    run.violations().iter().map(|v| v.invariant).collect()
}

fn outcome(participant: &Participant, transaction: TransactionId) -> Option<Decision> {
    participant.log().decision(transaction)
}

#[test]
fn a_transaction_commits_everywhere_and_the_coordinator_writes_its_end() {
    let run = preset_run("commit", 1_000);
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    let log = coordinator(run.as_ref()).log();
    let kinds: Vec<RecordKind> = log.records().iter().map(|r| r.kind).collect();
    assert_eq!(
        kinds,
        [
            RecordKind::Begin,
            RecordKind::Decided(Decision::Commit),
            RecordKind::End
        ]
    );
    assert!(coordinator(run.as_ref()).rounds().is_empty());
    for participant in participants(run.as_ref()) {
        let summary = participant.log().summary(T1);
        assert!(summary.begun && summary.prepared, "{}", participant.id());
        assert_eq!(summary.decision, Some(Decision::Commit));
        assert!(participant.active().is_empty());
        let intervals = participant.lock_intervals();
        assert_eq!(intervals.len(), 1);
        let held = intervals[0].held(Time::ZERO).as_micros();
        assert!(
            intervals[0].to.is_some() && held > 10_000 && held < 150_000,
            "{held}"
        );
    }
}

#[test]
fn a_steady_workload_commits_most_transactions_and_every_site_agrees() {
    for seed in 0..10 {
        let mut scenario = Scenario::new(INFO.slug, seed);
        scenario.set_param("rate", 10);
        let mut run = (INFO.build)(&scenario, RunOptions::default()).unwrap();
        run.run_until(Time::from_millis(5_000));
        assert!(
            run.violations().is_empty(),
            "seed {seed}: {:?}",
            run.violations()
        );
        let log = coordinator(run.as_ref()).log();
        let (mut commits, mut aborts) = (0, 0);
        for (transaction, summary) in log.transactions() {
            match summary.decision {
                Some(Decision::Commit) => commits += 1,
                Some(Decision::Abort) => aborts += 1,
                None => continue,
            }
            for participant in participants(run.as_ref()) {
                let theirs = outcome(participant, transaction);
                assert!(
                    theirs.is_none() || theirs == summary.decision,
                    "seed {seed}: {transaction} at {}",
                    participant.id()
                );
            }
        }
        // 10% NO per participant and three participants: about 27% abort.
        assert!(
            commits > 25 && aborts > 5,
            "seed {seed}: {commits} commits, {aborts} aborts"
        );
    }
}

#[test]
fn every_cluster_size_commits() {
    for nodes in 3..=7 {
        let mut scenario = quiet(1);
        scenario.set_param("nodes", nodes);
        scenario.push_action(Time::from_millis(10), begin_action(1));
        let mut run = (INFO.build)(&scenario, RunOptions::default()).unwrap();
        run.run_until(Time::from_millis(1_000));
        let committed = participants(run.as_ref())
            .iter()
            .filter(|p| outcome(p, T1) == Some(Decision::Commit))
            .count();
        assert_eq!(committed, nodes as usize - 1, "{nodes} nodes");
    }
}

fn begin_action(transaction: u64) -> Action {
    Action::operation(
        None,
        &TwoPhaseOp::Begin {
            transaction: TransactionId(transaction),
        },
    )
}

#[test]
fn one_no_vote_aborts_everywhere_and_the_no_voter_never_prepared() {
    let run = preset_run("vote-no", 1_000);
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    assert_eq!(
        coordinator(run.as_ref()).log().decision(T1),
        Some(Decision::Abort)
    );
    let participants = participants(run.as_ref());
    for participant in &participants {
        assert_eq!(outcome(participant, T1), Some(Decision::Abort));
    }
    assert!(!participants[1].log().summary(T1).prepared, "n2 voted NO");
    assert!(participants[0].log().summary(T1).prepared, "n1 voted YES");
    assert!(!participants[1].refuse_next(), "the switch is used up");
}

#[test]
fn a_lost_prepare_makes_the_coordinator_time_out_and_abort() {
    let mut scenario = quiet(3);
    scenario.push_action(
        Time::ZERO,
        Action::Cut {
            from: NodeId(0),
            to: NodeId(2),
        },
    );
    scenario.push_action(Time::from_millis(10), begin_action(1));
    let mut run = (INFO.build)(&scenario, RunOptions::default()).unwrap();
    run.run_until(Time::from_millis(200));
    assert!(matches!(
        coordinator(run.as_ref()).rounds().get(&T1),
        Some(Round::Collecting { .. })
    ));
    run.run_until(Time::from_millis(300));
    assert_eq!(
        coordinator(run.as_ref()).log().decision(T1),
        Some(Decision::Abort)
    );
    let participants = participants(run.as_ref());
    assert_eq!(outcome(participants[0], T1), Some(Decision::Abort));
    assert_eq!(outcome(participants[1], T1), None, "n2 never heard of T1");
    assert!(run.violations().is_empty());
}

#[test]
fn an_uncertain_participant_blocks_until_the_coordinator_recovers_and_aborts() {
    let run = preset_run("coordinator-crash", 2_000);
    assert!(!sim(run.as_ref()).is_up(NodeId(0)));
    for participant in participants(run.as_ref()) {
        assert!(participant.is_uncertain(T1), "{}", participant.id());
        assert_eq!(outcome(participant, T1), None);
        let open = participant.lock_intervals()[0];
        assert!(open.to.is_none(), "still holding T1's locks");
    }
    let run = preset_run("coordinator-crash", 3_000);
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    assert!(sim(run.as_ref()).nodes()[0].lock_intervals().is_empty());
    assert_eq!(sim(run.as_ref()).nodes()[1].lock_intervals().len(), 1);
    assert_eq!(
        coordinator(run.as_ref()).log().summary(T1).decision,
        Some(Decision::Abort)
    );
    assert!(coordinator(run.as_ref()).log().summary(T1).ended);
    for participant in participants(run.as_ref()) {
        assert_eq!(outcome(participant, T1), Some(Decision::Abort));
        let held = participant.lock_intervals()[0].held(Time::ZERO);
        assert!(
            held.as_micros() > 1_900_000,
            "{} held {held}",
            participant.id()
        );
    }
}

#[test]
fn the_lock_held_chart_measures_the_blocking_window() {
    let bars = |name: &str, until_ms: u64| {
        let run = preset_run(name, until_ms);
        TwoPhaseCommitTopic::charts(sim(run.as_ref()))
            .remove(0)
            .bars
    };
    // A committed transaction holds its locks for about one round trip.
    let committed = bars("commit", 1_000);
    assert_eq!(committed.len(), 3, "one bar per participant");
    assert!(
        committed.iter().all(|b| b.value > 0 && b.value < 500),
        "{committed:?}"
    );
    assert!(committed.iter().all(|b| b.palette == Palette::Plain));
    // With the coordinator down the uncertain participants keep counting.
    let blocked = bars("coordinator-crash", 2_000);
    assert!(blocked.iter().all(|b| b.value > 1_500), "{blocked:?}");
    assert!(blocked.iter().all(|b| b.palette == Palette::Suspect));
    let later = bars("coordinator-crash", 2_500);
    assert!(later.iter().zip(&blocked).all(|(l, b)| l.value > b.value));
}

#[test]
fn cooperative_termination_learns_the_outcome_from_a_peer_while_the_coordinator_is_down() {
    let run = preset_run("cooperative-termination", 1_000);
    assert!(!sim(run.as_ref()).is_up(NodeId(0)));
    for participant in participants(run.as_ref()) {
        assert_eq!(
            outcome(participant, T1),
            Some(Decision::Commit),
            "{}",
            participant.id()
        );
        assert!(participant.active().is_empty());
    }
    let run = preset_run("cooperative-termination", 3_000);
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    assert!(coordinator(run.as_ref()).log().summary(T1).ended);
}

#[test]
fn without_cooperation_the_same_story_blocks() {
    let preset = INFO.preset("cooperative-termination").unwrap();
    let mut scenario = INFO.preset_scenario(preset);
    scenario.set_param("cooperative", 0);
    let mut run = (INFO.build)(&scenario, RunOptions::default()).unwrap();
    run.run_until(Time::from_millis(1_000));
    let participants = participants(run.as_ref());
    assert_eq!(outcome(participants[0], T1), Some(Decision::Commit));
    assert!(participants[1].is_uncertain(T1) && participants[2].is_uncertain(T1));
    run.run_until(Time::from_millis(3_000));
    assert!(run.violations().is_empty());
    for participant in self::participants(run.as_ref()) {
        assert_eq!(outcome(participant, T1), Some(Decision::Commit));
    }
}

#[test]
fn a_participant_recovers_from_its_log_alone() {
    // A moment when n1 has prepared T1 and n2 is still working on it: then
    // both crash.
    let mut run = (0..100)
        .find_map(|seed| {
            let mut scenario = quiet(seed);
            scenario.push_action(Time::from_millis(10), begin_action(1));
            let mut run = (INFO.build)(&scenario, RunOptions::default()).unwrap();
            while run.now() < Time::from_millis(200) && run.step() {
                let participants = participants(run.as_ref());
                let working = participants[1].active().get(&T1) == Some(&Phase::Working);
                if participants[0].is_uncertain(T1) && working {
                    return Some(run);
                }
            }
            None
        })
        .expect("some seed gives n1 a head start");
    let now = run.now();
    for node in [1, 2] {
        run.schedule(
            TimedAction {
                at: now,
                action: Action::Crash(NodeId(node)),
            },
            1_000,
        );
    }
    run.run_until(now.after(Duration::from_millis(1)));
    let participants_now = participants(run.as_ref());
    assert!(
        participants_now[0].active().is_empty(),
        "volatile state is gone"
    );
    assert!(
        participants_now[0].log().summary(T1).prepared,
        "the prepared record is not"
    );
    for node in [1, 2] {
        run.schedule(
            TimedAction {
                at: now.after(Duration::from_millis(5)),
                action: Action::Restart(NodeId(node)),
            },
            1_000,
        );
    }
    run.run_until(now.after(Duration::from_millis(6)));
    let participants_now = participants(run.as_ref());
    assert!(
        participants_now[0].is_uncertain(T1),
        "prepared: uncertain again"
    );
    assert_eq!(
        outcome(participants_now[1], T1),
        Some(Decision::Abort),
        "never prepared: aborted by recovery"
    );
    run.run_until(Time::from_millis(2_000));
    assert!(run.violations().is_empty());
    for participant in participants(run.as_ref()) {
        assert_eq!(outcome(participant, T1), Some(Decision::Abort));
    }
}

#[test]
fn forget_decision_on_restart_is_caught_by_decision_stability_then_atomicity() {
    let run = preset_run("forget-decision-unsafe", 1_000);
    let found = invariants(run.as_ref());
    assert_eq!(found.first(), Some(&DECISION_STABILITY), "{found:?}");
    assert!(found.contains(&ATOMICITY), "{found:?}");
    // The same script without the bug: the decision is logged and resent.
    let preset = INFO.preset("forget-decision-unsafe").unwrap();
    let mut scenario = INFO.preset_scenario(preset);
    scenario.bug = None;
    let mut run = (INFO.build)(&scenario, RunOptions::default()).unwrap();
    run.run_until(Time::from_millis(2_000));
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    for participant in participants(run.as_ref()) {
        assert_eq!(outcome(participant, T1), Some(Decision::Commit));
    }
}

#[test]
fn commit_before_all_votes_is_caught_by_commit_validity_then_atomicity() {
    let run = preset_run("commit-before-all-votes-unsafe", 1_000);
    let found = invariants(run.as_ref());
    assert_eq!(found.first(), Some(&COMMIT_VALIDITY), "{found:?}");
    assert!(found.contains(&ATOMICITY), "{found:?}");
    let preset = INFO.preset("commit-before-all-votes-unsafe").unwrap();
    let mut scenario = INFO.preset_scenario(preset);
    scenario.bug = None;
    let mut run = (INFO.build)(&scenario, RunOptions::default()).unwrap();
    run.run_until(Time::from_millis(1_000));
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    for participant in participants(run.as_ref()) {
        assert_eq!(outcome(participant, T1), Some(Decision::Abort));
    }
}

#[test]
fn each_bug_is_caught_by_a_short_heavy_sweep() {
    for (bug, seeds) in [
        (BUG_COMMIT_BEFORE_ALL_VOTES, 5),
        (BUG_FORGET_DECISION_ON_RESTART, 30),
    ] {
        let mut config = SweepConfig::new(&INFO, seeds);
        config.faults = FaultLevel::Heavy;
        config.bug = Some(bug.to_string());
        let report = sweep(&config, |_, _| {}).unwrap();
        let caught_by = INFO.bug(bug).unwrap().caught_by;
        assert!(
            !report.failures.is_empty(),
            "{bug} not caught in {seeds} seeds"
        );
        for failure in &report.failures {
            assert!(
                caught_by.contains(&failure.violation.invariant),
                "{bug}: {}",
                failure.violation
            );
        }
    }
}

#[test]
fn the_correct_protocol_survives_heavy_faults() {
    let mut config = SweepConfig::new(&INFO, 100);
    config.params = vec![("cooperative".to_string(), 1)];
    let report = sweep(&config, |_, _| {}).unwrap();
    assert!(report.failures.is_empty(), "{:?}", report.failures.first());
}

#[test]
fn bad_actions_are_ignored_not_fatal() {
    let mut scenario = quiet(1);
    for action in [
        Action::operation(Some(NodeId(2)), &TwoPhaseOp::Begin { transaction: T1 }),
        Action::operation(
            Some(NodeId(0)),
            &TwoPhaseOp::VoteNo {
                participant: NodeId(1),
            },
        ),
        Action::operation(Some(NodeId(40)), &TwoPhaseOp::Begin { transaction: T1 }),
        Action::Operation {
            node: None,
            operation: RawOperation::new(9, &[1]),
        },
        Action::Timeout(NodeId(1)),
        begin_action(1),
        begin_action(1),
    ] {
        scenario.push_action(Time::from_millis(50), action);
    }
    let mut run = (INFO.build)(&scenario, RunOptions::default()).unwrap();
    run.run_until(Time::from_millis(1_000));
    assert!(run.violations().is_empty());
    for participant in participants(run.as_ref()) {
        assert_eq!(outcome(participant, T1), Some(Decision::Commit));
    }
}

#[test]
fn every_preset_tells_its_story_to_the_end() {
    for preset in INFO.presets() {
        let last = preset.narration.last().unwrap().at;
        let run = preset_run(preset.name, last.as_millis() + 1_000);
        let found = invariants(run.as_ref());
        match preset.bug {
            None => assert!(found.is_empty(), "{}: {found:?}", preset.name),
            Some(bug) => {
                let caught_by = INFO.bug(bug).unwrap().caught_by;
                let first = run.violations().first().expect("the bug is caught");
                assert!(caught_by.contains(&first.invariant), "{}", preset.name);
                assert!(
                    first.time <= last,
                    "{}: caught at {}, after the story",
                    preset.name,
                    first.time
                );
            }
        }
    }
}

fn texts(row: &[Cell]) -> Vec<String> {
    row.iter()
        .map(|cell| match cell {
            Cell::Text(text) => text.clone(),
            Cell::Log(_) => "log".to_string(),
        })
        .collect()
}

#[test]
fn the_state_table_shows_logs_locks_and_uncertainty() {
    let run = preset_run("coordinator-crash", 1_000);
    let table = run.state_table();
    assert_eq!(table.columns.len(), table.rows[0].len());
    let coordinator = texts(&table.rows[0]);
    assert_eq!(coordinator[..3], ["n0", "crashed", "T1 begin"]);
    let n1 = texts(&table.rows[1]);
    assert_eq!(
        n1[..6],
        [
            "n1",
            "uncertain",
            "T1 begin, T1 prepared",
            "T1 uncertain",
            "T1 since 115 ms",
            "T1"
        ]
    );
    assert_eq!(n1[6], "-", "no lock released yet");
    let run = preset_run("coordinator-crash", 3_000);
    let n1 = texts(&run.state_table().rows[1]);
    assert_eq!(
        n1[1..6],
        [
            "participant",
            "T1 begin, T1 prepared, T1 abort",
            "-",
            "-",
            "-"
        ]
    );
    assert_eq!(n1[6], "1 released, mean 2006 ms, longest 2006 ms (T1)");
    let coordinator = texts(&run.state_table().rows[0]);
    assert_eq!(coordinator[2], "T1 begin, T1 abort, T1 end");
}

/// The page's lock lanes: while the coordinator is down after PREPARE, every
/// participant's lane shows its locks held and uncertain; once the decision
/// arrives they close. The Vote no button names the participant it goes to.
#[test]
fn the_page_draws_uncertain_lock_lanes_while_the_coordinator_is_down() {
    use crate::lab::protocol::{ProtocolTopic, Setup};
    use crate::sim::view::Palette;
    let preset = INFO.preset("coordinator-crash").expect("preset exists");
    let mut run = (INFO.build)(&INFO.preset_scenario(preset), RunOptions::default()).unwrap();
    run.run_until(Time::from_millis(1_500));
    let spans = TwoPhaseCommitTopic::annotations(sim(run.as_ref())).spans;
    let participants = sim(run.as_ref()).nodes().len() - 1;
    let open: Vec<_> = spans.iter().filter(|s| s.to.is_none()).collect();
    assert_eq!(open.len(), participants, "{spans:?}");
    assert!(open
        .iter()
        .all(|s| s.palette == Palette::Suspect && s.node != NodeId(0)));
    assert!(open.iter().all(|s| s.label == "T1 uncertain"));
    run.run_until(Time::from_millis(4_000));
    let spans = TwoPhaseCommitTopic::annotations(sim(run.as_ref())).spans;
    assert!(spans.iter().all(|s| s.to.is_some()), "{spans:?}");

    let scenario = Scenario::new("two-phase-commit", 1);
    let setup = Setup {
        topic: &INFO,
        scenario: &scenario,
        nodes: 4,
    };
    assert_eq!(
        TwoPhaseCommitTopic::operation(0, NodeId(2), &setup, 0),
        Some(TwoPhaseOp::VoteNo {
            participant: NodeId(2)
        })
    );
    assert_eq!(
        TwoPhaseCommitTopic::operation(0, NodeId(0), &setup, 0),
        None
    );
}
