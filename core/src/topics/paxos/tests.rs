//! Paxos's behaviour: both phases, learning, every preset's story, each bug,
//! durable state across a crash, bad input, and that each invariant of the
//! checker can fire.

use super::checker::{PaxosChecker, AT_MOST_ONE_CHOSEN, LEARN_ONLY_CHOSEN};
use super::message::{Accepted, Ballot, PaxosMessage, PaxosOp, PaxosTimer, Slot, Value};
use super::node::{Backoff, Mode, PaxosBugs, PaxosConfig, PaxosNode, PaxosTiming, Phase};
use super::{PaxosTopic, BUG_FORGET_PROMISE_ON_RESTART, INFO};
use crate::lab::protocol::simulation;
use crate::lab::run::{Run, RunOptions};
use crate::lab::scenario::Scenario;
use crate::lab::sweep::{sweep, SweepConfig};
use crate::sim::action::{Action, Operation, RawOperation};
use crate::sim::checker::{Checker, Violation};
use crate::sim::node::{Cx, Effects, Node};
use crate::sim::rng::Rng;
use crate::sim::time::{NodeId, Time};
use crate::sim::world::Simulation;

fn sim(run: &dyn Run) -> &Simulation<PaxosNode, PaxosChecker> {
    simulation::<PaxosTopic>(run).expect("a paxos run")
}

fn build(scenario: &Scenario) -> Box<dyn Run> {
    (INFO.build)(scenario, RunOptions::default()).expect("builds")
}

fn preset_scenario(name: &str) -> Scenario {
    INFO.preset_scenario(INFO.preset(name).expect("preset exists"))
}

fn preset_run(name: &str, until_ms: u64) -> Box<dyn Run> {
    let mut run = build(&preset_scenario(name));
    run.run_until(Time::from_millis(until_ms));
    run
}

fn learned(run: &dyn Run, node: u32) -> Vec<(u64, Value)> {
    sim(run).nodes()[node as usize]
        .learned()
        .iter()
        .map(|(slot, value)| (slot.0, *value))
        .collect()
}

fn ballot(round: u64, proposer: u32) -> Ballot {
    Ballot {
        round,
        proposer: NodeId(proposer),
    }
}

fn config(mode: Mode, nodes: usize, bugs: PaxosBugs) -> PaxosConfig {
    PaxosConfig {
        mode,
        backoff: Backoff::Randomized,
        cluster_size: nodes,
        proposers: 2,
        timing: PaxosTiming::default(),
        bugs,
    }
}

/// Runs one handler on `node` outside a simulation and returns what it sent.
fn handle(
    node: &mut PaxosNode,
    handler: impl FnOnce(&mut PaxosNode, &mut Cx<PaxosNode>),
) -> Vec<(NodeId, PaxosMessage)> {
    let mut rng = Rng::new(1);
    let mut effects = Effects::default();
    let mut cx = Cx::new(node.id(), Time::ZERO, 3, false, &mut rng, &mut effects);
    handler(node, &mut cx);
    effects.sends
}

#[test]
fn one_proposer_gets_its_value_chosen_then_every_learner_learns_it() {
    let run = preset_run("one-proposer", 1_000);
    let choices = sim(run.as_ref()).checker().choices();
    assert_eq!(choices.len(), 1, "{choices:?}");
    let choice = choices[0];
    assert_eq!(
        (choice.slot, choice.ballot, choice.value),
        (Slot(0), ballot(1, 0), Value::Client(7))
    );
    // Chosen when the second acceptor accepted, before any learner knew.
    let first_learned = run
        .trace()
        .events
        .iter()
        .find(|event| format!("{:?}", event.kind).contains("learns v7"))
        .map(|event| event.time)
        .expect("someone learns");
    assert!(choice.time < first_learned, "{choice:?} vs {first_learned}");
    for node in 0..3 {
        assert_eq!(learned(run.as_ref(), node), vec![(0, Value::Client(7))]);
    }
    assert!(run.violations().is_empty());
}

#[test]
fn a_later_proposer_proposes_the_value_its_promises_report() {
    let run = preset_run("acceptor-crash", 2_000);
    let sim = sim(run.as_ref());
    // n1 asked for v2 but phase 2(a) made it propose v1 under its own ballot.
    let n1 = &sim.nodes()[1];
    assert_eq!(n1.round(), 1);
    assert_eq!(
        n1.accepted().get(&Slot(0)),
        Some(&Accepted {
            ballot: ballot(1, 1),
            value: Value::Client(1)
        })
    );
    for node in 0..5 {
        assert_eq!(learned(run.as_ref(), node), vec![(0, Value::Client(1))]);
    }
    let values: Vec<Value> = sim.checker().choices().iter().map(|c| c.value).collect();
    assert_eq!(values, vec![Value::Client(1), Value::Client(1)]);
    assert!(run.violations().is_empty());
}

#[test]
fn proposers_that_retry_at_once_duel_and_backoff_ends_the_duel() {
    let duel = preset_run("dueling-proposers", 1_500);
    let sim = sim(duel.as_ref());
    assert!(sim.nodes().iter().all(|node| node.learned().is_empty()));
    assert!(
        sim.nodes()[0].round() >= 8,
        "round {}",
        sim.nodes()[0].round()
    );
    assert!(sim.nodes()[1].round() >= 8);
    assert!(sim.checker().choices().is_empty());

    let calm = preset_run("dueling-with-backoff", 500);
    for node in 0..5 {
        assert_eq!(learned(calm.as_ref(), node), vec![(0, Value::Client(2))]);
    }
    assert!(calm.violations().is_empty() && duel.violations().is_empty());
}

#[test]
fn multi_paxos_leader_skips_phase_one_and_its_successor_fills_the_gap() {
    let run = preset_run("multi-paxos", 2_000);
    let sim = sim(run.as_ref());
    let expected: Vec<(u64, Value)> = vec![
        (0, Value::Client(1)),
        (1, Value::Client(2)),
        (2, Value::Client(3)),
        (3, Value::NoOp),
        (4, Value::Client(5)),
        (5, Value::Client(6)),
    ];
    for node in 0..5 {
        assert_eq!(learned(run.as_ref(), node), expected, "n{node}");
    }
    // One phase 1 per leader: n0 for slots 0.., n1 for slots 3.., then phase 2 only.
    assert_eq!(sim.nodes()[0].round(), 1);
    assert_eq!(sim.nodes()[1].round(), 2);
    let prepares = run
        .trace()
        .events
        .iter()
        .filter(|event| format!("{:?}", event.kind).contains("Phase 1(a)"))
        .count();
    assert_eq!(prepares, 2);
    assert!(sim.nodes()[1].leads());
    // n0's acceptor still holds v4, which was never chosen.
    assert_eq!(
        sim.nodes()[0].accepted().get(&Slot(3)).map(|a| a.value),
        Some(Value::Client(4))
    );
    assert!(run.violations().is_empty());
}

#[test]
fn the_acceptors_state_survives_a_crash_unless_the_bug_forgets_it() {
    for bug in [None, Some(BUG_FORGET_PROMISE_ON_RESTART)] {
        let mut scenario = preset_scenario("one-proposer");
        scenario.preset = None;
        scenario.bug = bug.map(str::to_string);
        scenario.push_action(
            Time::from_millis(100),
            Action::operation(Some(NodeId(0)), &PaxosOp::Propose { value: 7 }),
        );
        scenario.push_action(Time::from_millis(400), Action::Crash(NodeId(1)));
        scenario.push_action(Time::from_millis(450), Action::Restart(NodeId(1)));
        let mut run = build(&scenario);
        run.run_until(Time::from_millis(1_000));
        let n1 = &sim(run.as_ref()).nodes()[1];
        // Learned values are durable either way.
        assert_eq!(n1.learned().get(&Slot(0)), Some(&Value::Client(7)));
        if bug.is_none() {
            assert_eq!(n1.promised(), ballot(1, 0));
            assert_eq!(
                n1.accepted().get(&Slot(0)).map(|a| a.value),
                Some(Value::Client(7))
            );
        } else {
            assert_eq!(n1.promised(), Ballot::NONE);
            assert!(n1.accepted().is_empty());
        }
    }
}

#[test]
fn a_proposer_never_reuses_a_round_after_a_restart() {
    let mut node = PaxosNode::new(NodeId(0), config(Mode::Basic, 3, PaxosBugs::default()));
    handle(&mut node, |n, cx| {
        n.on_operation(PaxosOp::Propose { value: 1 }, cx)
    });
    assert_eq!(node.round(), 1);
    node.on_crash();
    assert_eq!(node.phase(), &Phase::Idle);
    handle(&mut node, |n, cx| {
        n.on_operation(PaxosOp::Propose { value: 2 }, cx)
    });
    assert_eq!(node.ballot(), Some(ballot(2, 0)));
}

#[test]
fn acceptors_promise_only_higher_ballots_and_report_what_they_accepted() {
    let mut acceptor = PaxosNode::new(NodeId(2), config(Mode::Basic, 3, PaxosBugs::default()));
    let sent = handle(&mut acceptor, |n, cx| {
        n.on_message(
            NodeId(1),
            PaxosMessage::Prepare {
                ballot: ballot(2, 1),
                from_slot: Slot(0),
            },
            cx,
        )
    });
    assert_eq!(
        sent,
        vec![(
            NodeId(1),
            PaxosMessage::Promise {
                ballot: ballot(2, 1),
                accepted: vec![]
            }
        )]
    );
    // Phase 2(b): accept at the promised ballot and tell every learner.
    let sent = handle(&mut acceptor, |n, cx| {
        n.on_message(
            NodeId(1),
            PaxosMessage::Accept {
                ballot: ballot(2, 1),
                slot: Slot(0),
                value: Value::Client(5),
            },
            cx,
        )
    });
    assert_eq!(sent.len(), 2);
    assert!(sent.iter().all(|(_, m)| matches!(
        m,
        PaxosMessage::Accepted {
            value: Value::Client(5),
            ..
        }
    )));
    // A lower ballot is refused, in phase 1 and in phase 2.
    let sent = handle(&mut acceptor, |n, cx| {
        n.on_message(
            NodeId(0),
            PaxosMessage::Prepare {
                ballot: ballot(2, 0),
                from_slot: Slot(0),
            },
            cx,
        )
    });
    assert_eq!(
        sent,
        vec![(
            NodeId(0),
            PaxosMessage::Preempted {
                ballot: ballot(2, 0),
                promised: ballot(2, 1)
            }
        )]
    );
    let sent = handle(&mut acceptor, |n, cx| {
        n.on_message(
            NodeId(0),
            PaxosMessage::Accept {
                ballot: ballot(1, 0),
                slot: Slot(0),
                value: Value::Client(9),
            },
            cx,
        )
    });
    assert!(matches!(sent[..], [(_, PaxosMessage::Preempted { .. })]));
    // A higher prepare gets the accepted proposal reported.
    let sent = handle(&mut acceptor, |n, cx| {
        n.on_message(
            NodeId(0),
            PaxosMessage::Prepare {
                ballot: ballot(3, 0),
                from_slot: Slot(0),
            },
            cx,
        )
    });
    assert_eq!(
        sent,
        vec![(
            NodeId(0),
            PaxosMessage::Promise {
                ballot: ballot(3, 0),
                accepted: vec![(
                    Slot(0),
                    Accepted {
                        ballot: ballot(2, 1),
                        value: Value::Client(5)
                    }
                )]
            }
        )]
    );
}

#[test]
fn handlers_drop_nonsense_without_panicking() {
    for mode in [Mode::Basic, Mode::Multi] {
        let mut node = PaxosNode::new(NodeId(2), config(mode, 3, PaxosBugs::default()));
        let nonsense = [
            (
                NodeId(9),
                PaxosMessage::Prepare {
                    ballot: ballot(1, 0),
                    from_slot: Slot(0),
                },
            ),
            (
                NodeId(2),
                PaxosMessage::Chosen {
                    slot: Slot(0),
                    value: Value::Client(1),
                },
            ),
            (
                NodeId(0),
                PaxosMessage::Promise {
                    ballot: ballot(1, 0),
                    accepted: vec![],
                },
            ),
            (
                NodeId(0),
                PaxosMessage::Preempted {
                    ballot: ballot(5, 2),
                    promised: ballot(1, 0),
                },
            ),
            (
                NodeId(0),
                PaxosMessage::Accept {
                    ballot: ballot(1, 1),
                    slot: Slot(0),
                    value: Value::NoOp,
                },
            ),
            (
                NodeId(0),
                PaxosMessage::Heartbeat {
                    ballot: ballot(1, 1),
                    learned_below: Slot(u64::MAX),
                },
            ),
            (
                NodeId(0),
                PaxosMessage::CatchUp {
                    from_slot: Slot(u64::MAX),
                },
            ),
            (NodeId(0), PaxosMessage::Forward { value: 3 }),
        ];
        for (from, message) in nonsense {
            handle(&mut node, |n, cx| n.on_message(from, message, cx));
        }
        handle(&mut node, |n, cx| n.on_timer(PaxosTimer::Heartbeat, cx));
        handle(&mut node, |n, cx| {
            n.on_operation(PaxosOp::Propose { value: 1 }, cx)
        });
        handle(&mut node, |n, cx| n.on_timeout_now(cx));
        assert!(node.learned().is_empty());
        assert!(node.accepted().is_empty());
        assert_eq!(node.round(), 0, "n2 is not a proposer");
    }
    // Basic Paxos has one slot only.
    let mut node = PaxosNode::new(NodeId(2), config(Mode::Basic, 3, PaxosBugs::default()));
    handle(&mut node, |n, cx| {
        n.on_message(
            NodeId(0),
            PaxosMessage::Accept {
                ballot: ballot(1, 0),
                slot: Slot(4),
                value: Value::Client(1),
            },
            cx,
        )
    });
    assert!(node.accepted().is_empty());
}

#[test]
fn proposals_round_trip_and_malformed_ones_are_refused() {
    let op = PaxosOp::Propose { value: 42 };
    assert_eq!(PaxosOp::from_raw(&op.to_raw()), Some(op));
    assert_eq!(PaxosOp::from_raw(&RawOperation::new(0, &[])), None);
    assert_eq!(PaxosOp::from_raw(&RawOperation::new(0, &[1, 2])), None);
    assert_eq!(PaxosOp::from_raw(&RawOperation::new(7, &[1])), None);
}

#[test]
fn the_checker_flags_two_values_chosen_in_one_slot_and_remembers_when() {
    let config = config(Mode::Basic, 3, PaxosBugs::default());
    let mut nodes: Vec<PaxosNode> = (0..3).map(|i| PaxosNode::new(NodeId(i), config)).collect();
    let mut checker = PaxosChecker::default();
    let up = [true; 3];
    let mut found: Vec<Violation> = Vec::new();
    let mut accept = |nodes: &mut Vec<PaxosNode>,
                      node: u32,
                      b: Ballot,
                      value: u64,
                      ms: u64,
                      found: &mut Vec<Violation>| {
        nodes[node as usize].force_accept(Slot(0), b, Value::Client(value));
        checker.check(nodes, &up, NodeId(node), Time::from_millis(ms), found);
    };
    accept(&mut nodes, 0, ballot(1, 0), 1, 10, &mut found);
    assert!(found.is_empty());
    accept(&mut nodes, 1, ballot(1, 0), 1, 20, &mut found);
    assert!(found.is_empty());
    // Acceptors overwrite their pair; the registry does not forget.
    accept(&mut nodes, 1, ballot(2, 1), 2, 30, &mut found);
    assert!(found.is_empty());
    accept(&mut nodes, 2, ballot(2, 1), 2, 40, &mut found);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].invariant, AT_MOST_ONE_CHOSEN);
    let choices = checker.choices();
    assert_eq!(choices.len(), 2);
    assert_eq!(
        (choices[0].time, choices[0].value),
        (Time::from_millis(20), Value::Client(1))
    );
    assert_eq!(
        (choices[1].time, choices[1].ballot),
        (Time::from_millis(40), ballot(2, 1))
    );
    assert_eq!(
        checker.chosen(Slot(0)).map(|c| c.value),
        Some(Value::Client(1))
    );
}

#[test]
fn the_checker_flags_a_learner_that_learns_what_was_not_chosen() {
    let config = config(Mode::Multi, 3, PaxosBugs::default());
    let mut nodes: Vec<PaxosNode> = (0..3).map(|i| PaxosNode::new(NodeId(i), config)).collect();
    let mut checker = PaxosChecker::default();
    let up = [true; 3];
    let mut found = Vec::new();
    nodes[0].force_accept(Slot(3), ballot(1, 0), Value::Client(8));
    checker.check(&nodes, &up, NodeId(0), Time::from_millis(5), &mut found);
    // One acceptance is not a choice.
    nodes[2].force_learn(Slot(3), Value::Client(8));
    checker.check(&nodes, &up, NodeId(2), Time::from_millis(6), &mut found);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].invariant, LEARN_ONLY_CHOSEN);
    // Once a majority accepted it, learning it is fine.
    nodes[1].force_accept(Slot(3), ballot(1, 0), Value::Client(8));
    checker.check(&nodes, &up, NodeId(1), Time::from_millis(7), &mut found);
    nodes[1].force_learn(Slot(3), Value::Client(8));
    checker.check(&nodes, &up, NodeId(1), Time::from_millis(8), &mut found);
    assert_eq!(found.len(), 1);
}

#[test]
fn every_bug_preset_is_caught_by_its_invariant() {
    for (preset, invariant) in [
        ("forget-promise-unsafe", AT_MOST_ONE_CHOSEN),
        ("ignore-accepted-unsafe", AT_MOST_ONE_CHOSEN),
        ("minority-quorum-unsafe", LEARN_ONLY_CHOSEN),
    ] {
        let run = preset_run(preset, 3_000);
        assert!(
            run.violations().iter().any(|v| v.invariant == invariant),
            "{preset}: {:?}",
            run.violations()
        );
        // The same script without the bug holds every invariant.
        let mut scenario = preset_scenario(preset);
        scenario.bug = None;
        let mut clean = build(&scenario);
        clean.run_until(Time::from_millis(3_000));
        assert!(
            clean.violations().is_empty(),
            "{preset}: {:?}",
            clean.violations()
        );
    }
}

#[test]
fn both_modes_are_clean_under_heavy_faults_and_every_bug_is_caught() {
    for mode in [0, 1] {
        let mut config = SweepConfig::new(&INFO, 100);
        config.params = vec![("mode".to_string(), mode)];
        let report = sweep(&config, |_, _| {}).expect("runs");
        assert!(
            report.failures.is_empty(),
            "mode {mode}: {:?}",
            report.failures.first()
        );
        for bug in INFO.bugs {
            config.bug = Some(bug.name.to_string());
            let report = sweep(&config, |_, _| {}).expect("runs");
            assert!(
                report
                    .failures
                    .iter()
                    .any(|f| bug.caught_by.contains(&f.violation.invariant)),
                "mode {mode}: {} not caught in 100 seeds",
                bug.name
            );
            config.bug = None;
        }
    }
}

#[test]
fn the_workload_takes_turns_between_basic_proposers() {
    let mut scenario = Scenario::new("paxos", 3);
    scenario.set_param("rate", 20);
    let mut run = build(&scenario);
    run.run_until(Time::from_millis(2_000));
    let sim = sim(run.as_ref());
    assert!(sim.nodes()[0].requests() > 0 && sim.nodes()[1].requests() > 0);
    assert_eq!(sim.nodes()[2].requests(), 0);
    let learned: Vec<_> = (0..3).map(|n| learned(run.as_ref(), n)).collect();
    assert_eq!(learned[0].len(), 1);
    assert!(learned.iter().all(|l| l == &learned[0]));
}

/// The page marks the instant a value is chosen, which comes before any server
/// learns it, and its Propose button sends a fresh value to the chosen server.
#[test]
fn the_page_marks_each_choice_and_proposes_at_the_chosen_server() {
    use crate::lab::protocol::{ProtocolTopic, Setup};
    let run = preset_run("one-proposer", 1_000);
    let simulation = sim(run.as_ref());
    let marks = PaxosTopic::annotations(simulation).marks;
    let first = simulation.checker().choices()[0];
    assert_eq!(marks[0].at, first.time);
    assert!(marks[0]
        .label
        .starts_with(&format!("{} chosen", first.value)));
    let learned_at = run
        .trace()
        .events
        .iter()
        .filter(|e| run.trace().event_json(e).contains("learn"))
        .map(|e| e.time)
        .min();
    assert!(learned_at.is_none_or(|t| t >= first.time));

    let scenario = Scenario::new("paxos", 1);
    let setup = Setup {
        topic: &INFO,
        scenario: &scenario,
        nodes: 3,
    };
    let operation = PaxosTopic::operation(0, NodeId(1), &setup, 4).expect("a proposal");
    assert_eq!(operation, PaxosOp::Propose { value: 104 });
    assert_eq!(PaxosOp::from_raw(&operation.to_raw()), Some(operation));
    assert!(PaxosTopic::operation(1, NodeId(1), &setup, 4).is_none());
}
