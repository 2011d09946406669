//! Two-phase commit's handlers called one at a time, outside a simulation: the
//! rules a run rarely isolates (a vote only after the prepared record, an
//! answer to a peer, recovery), that each invariant can fire on states built by
//! the handlers, and that nonsense is dropped, never a panic.

use super::T1;
use crate::sim::action::{Operation, RawOperation};
use crate::sim::checker::Checker;
use crate::sim::node::{Cx, Effects, Node, TimerOp};
use crate::sim::rng::Rng;
use crate::sim::time::{NodeId, Time};
use crate::topics::two_phase_commit::checker::{
    TwoPhaseChecker, ATOMICITY, COMMIT_VALIDITY, DECISION_STABILITY,
};
use crate::topics::two_phase_commit::coordinator::Coordinator;
use crate::topics::two_phase_commit::message::{
    Decision, TransactionId, TwoPhaseMessage, TwoPhaseOp, TwoPhaseTimer, Vote,
};
use crate::topics::two_phase_commit::node::{Timing, TwoPhaseBugs, TwoPhaseNode};
use crate::topics::two_phase_commit::participant::Participant;

#[test]
fn a_coordinator_that_logged_its_decision_sends_it_again_after_a_restart() {
    let coordinator = Coordinator::new(NodeId(0), 3, Timing::default(), TwoPhaseBugs::default());
    let mut node = TwoPhaseNode::Coordinator(coordinator);
    let mut harness = Harness::new();
    harness.call(&mut node, |n, cx| {
        n.on_operation(TwoPhaseOp::Begin { transaction: T1 }, cx)
    });
    for from in [1, 2] {
        harness.call(&mut node, |n, cx| {
            n.on_message(
                NodeId(from),
                TwoPhaseMessage::VoteReply {
                    transaction: T1,
                    vote: Vote::Yes,
                },
                cx,
            )
        });
    }
    node.on_crash();
    let TwoPhaseNode::Coordinator(c) = &node else {
        unreachable!()
    };
    assert!(c.rounds().is_empty());
    assert_eq!(c.log().decision(T1), Some(Decision::Commit));
    let sent = harness.call(&mut node, |n, cx| n.on_start(cx));
    assert_eq!(
        sent.sends,
        [1, 2].map(|p| (
            NodeId(p),
            TwoPhaseMessage::Decide {
                transaction: T1,
                decision: Decision::Commit
            }
        ))
    );
}

/// Runs handlers outside a simulation and keeps what they asked for.
struct Harness {
    rng: Rng,
    effects: Effects<TwoPhaseMessage, TwoPhaseTimer>,
}

struct Called {
    sends: Vec<(NodeId, TwoPhaseMessage)>,
    timers: Vec<TimerOp<TwoPhaseTimer>>,
    notes: Vec<String>,
}

impl Harness {
    fn new() -> Self {
        Harness {
            rng: Rng::derive(1, 1),
            effects: Effects::default(),
        }
    }

    fn call(
        &mut self,
        node: &mut TwoPhaseNode,
        handler: impl FnOnce(&mut TwoPhaseNode, &mut Cx<TwoPhaseNode>),
    ) -> Called {
        {
            let mut cx = Cx::new(
                node.id(),
                Time::from_millis(5),
                3,
                true,
                &mut self.rng,
                &mut self.effects,
            );
            handler(node, &mut cx);
        }
        Called {
            sends: self.effects.sends.drain(..).collect(),
            timers: self.effects.timers.drain(..).collect(),
            notes: self.effects.notes.drain(..).collect(),
        }
    }
}

#[test]
fn a_participant_votes_yes_only_after_its_prepared_record_and_keeps_it_through_a_crash() {
    let mut harness = Harness::new();
    let mut node =
        TwoPhaseNode::Participant(Participant::new(NodeId(1), 3, Timing::default(), 0, false));
    let called = harness.call(&mut node, |n, cx| {
        n.on_message(NodeId(0), TwoPhaseMessage::Prepare { transaction: T1 }, cx)
    });
    assert!(called.sends.is_empty(), "it works before it votes");
    assert!(matches!(
        called.timers[..],
        [TimerOp::Set(TwoPhaseTimer::WorkDone(T1), _)]
    ));
    let called = harness.call(&mut node, |n, cx| {
        n.on_timer(TwoPhaseTimer::WorkDone(T1), cx)
    });
    assert_eq!(
        called.sends,
        [(
            NodeId(0),
            TwoPhaseMessage::VoteReply {
                transaction: T1,
                vote: Vote::Yes
            }
        )]
    );
    let participant = node.participant().unwrap();
    assert!(participant.log().summary(T1).prepared);
    assert!(participant.is_uncertain(T1));
    node.on_crash();
    assert!(node.participant().unwrap().active().is_empty());
    assert!(node.participant().unwrap().log().summary(T1).prepared);
    let called = harness.call(&mut node, |n, cx| n.on_start(cx));
    assert!(node.participant().unwrap().is_uncertain(T1));
    assert_eq!(
        called.sends,
        [(
            NodeId(0),
            TwoPhaseMessage::DecisionRequest { transaction: T1 }
        )],
        "recovery asks the coordinator at once"
    );
    // An uncertain participant never aborts on its own: a peer's question
    // finds it uncertain, and it stays so.
    let called = harness.call(&mut node, |n, cx| {
        n.on_message(
            NodeId(2),
            TwoPhaseMessage::DecisionRequest { transaction: T1 },
            cx,
        )
    });
    assert!(called.sends.is_empty());
    assert!(node.participant().unwrap().is_uncertain(T1));
}

#[test]
fn a_participant_that_has_not_voted_answers_a_peer_with_abort_and_aborts() {
    let mut harness = Harness::new();
    let mut node =
        TwoPhaseNode::Participant(Participant::new(NodeId(2), 3, Timing::default(), 0, true));
    harness.call(&mut node, |n, cx| {
        n.on_message(NodeId(0), TwoPhaseMessage::Prepare { transaction: T1 }, cx)
    });
    let called = harness.call(&mut node, |n, cx| {
        n.on_message(
            NodeId(1),
            TwoPhaseMessage::DecisionRequest { transaction: T1 },
            cx,
        )
    });
    assert!(called.sends.contains(&(
        NodeId(1),
        TwoPhaseMessage::PeerAnswer {
            transaction: T1,
            decision: Decision::Abort
        }
    )));
    assert!(called.sends.contains(&(
        NodeId(0),
        TwoPhaseMessage::VoteReply {
            transaction: T1,
            vote: Vote::No
        }
    )));
    assert_eq!(
        node.participant().unwrap().log().decision(T1),
        Some(Decision::Abort)
    );
    // A later PREPARE gets the NO again; a COMMIT is refused.
    let called = harness.call(&mut node, |n, cx| {
        n.on_message(NodeId(0), TwoPhaseMessage::Prepare { transaction: T1 }, cx)
    });
    assert_eq!(
        called.sends,
        [(
            NodeId(0),
            TwoPhaseMessage::VoteReply {
                transaction: T1,
                vote: Vote::No
            }
        )]
    );
    let called = harness.call(&mut node, |n, cx| {
        n.on_message(
            NodeId(0),
            TwoPhaseMessage::Decide {
                transaction: T1,
                decision: Decision::Commit,
            },
            cx,
        )
    });
    assert!(
        called.sends.is_empty(),
        "no ack for a decision it cannot apply"
    );
    assert_eq!(
        node.participant().unwrap().log().decision(T1),
        Some(Decision::Abort)
    );
}

#[test]
fn nonsense_is_dropped_with_a_note_never_a_panic() {
    let mut harness = Harness::new();
    let timing = Timing::default();
    let mut nodes = [
        TwoPhaseNode::Coordinator(Coordinator::new(
            NodeId(0),
            3,
            timing,
            TwoPhaseBugs::default(),
        )),
        TwoPhaseNode::Participant(Participant::new(NodeId(1), 3, timing, 0, true)),
    ];
    let junk = [
        (NodeId(0), TwoPhaseMessage::Prepare { transaction: T1 }),
        (
            NodeId(9),
            TwoPhaseMessage::VoteReply {
                transaction: T1,
                vote: Vote::Yes,
            },
        ),
        (
            NodeId(1),
            TwoPhaseMessage::Ack {
                transaction: TransactionId(77),
            },
        ),
        (
            NodeId(2),
            TwoPhaseMessage::Decide {
                transaction: T1,
                decision: Decision::Commit,
            },
        ),
        (
            NodeId(0),
            TwoPhaseMessage::PeerAnswer {
                transaction: T1,
                decision: Decision::Abort,
            },
        ),
        (
            NodeId(5),
            TwoPhaseMessage::DecisionRequest { transaction: T1 },
        ),
        (
            NodeId(1),
            TwoPhaseMessage::DecisionRequest { transaction: T1 },
        ),
    ];
    for node in nodes.iter_mut() {
        for (from, message) in junk.iter().cloned() {
            if from == node.id() {
                continue;
            }
            harness.call(node, |n, cx| n.on_message(from, message, cx));
        }
        let called = harness.call(node, |n, cx| {
            n.on_operation(
                TwoPhaseOp::VoteNo {
                    participant: NodeId(6),
                },
                cx,
            )
        });
        assert!(!called.notes.is_empty());
        harness.call(node, |n, cx| {
            n.on_timer(TwoPhaseTimer::AskDecision(TransactionId(3)), cx)
        });
        harness.call(node, |n, cx| {
            n.on_timer(TwoPhaseTimer::ResendDecision(TransactionId(3)), cx)
        });
        harness.call(node, |n, cx| n.on_timeout_now(cx));
    }
    // The coordinator answers an unknown transaction with presumed abort and
    // refuses to begin the same transaction twice.
    let called = harness.call(&mut nodes[0], |n, cx| {
        n.on_message(
            NodeId(1),
            TwoPhaseMessage::DecisionRequest {
                transaction: TransactionId(42),
            },
            cx,
        )
    });
    assert_eq!(
        called.sends,
        [(
            NodeId(1),
            TwoPhaseMessage::Decide {
                transaction: TransactionId(42),
                decision: Decision::Abort
            }
        )]
    );
    let begin = TwoPhaseOp::Begin { transaction: T1 };
    assert_eq!(
        harness
            .call(&mut nodes[0], |n, cx| n.on_operation(begin, cx))
            .sends
            .len(),
        2
    );
    let again = harness.call(&mut nodes[0], |n, cx| n.on_operation(begin, cx));
    assert!(again.sends.is_empty() && !again.notes.is_empty());
}

#[test]
fn operations_round_trip_and_malformed_ones_are_refused() {
    for op in [
        TwoPhaseOp::Begin {
            transaction: TransactionId(0),
        },
        TwoPhaseOp::Begin {
            transaction: TransactionId(u64::MAX),
        },
        TwoPhaseOp::VoteNo {
            participant: NodeId(3),
        },
    ] {
        assert_eq!(TwoPhaseOp::from_raw(&op.to_raw()), Some(op));
    }
    for raw in [
        RawOperation::new(0, &[]),
        RawOperation::new(0, &[1, 2]),
        RawOperation::new(1, &[]),
        RawOperation::new(1, &[u64::from(u32::MAX) + 1]),
        RawOperation::new(2, &[1]),
    ] {
        assert_eq!(TwoPhaseOp::from_raw(&raw), None, "{raw}");
    }
}

/// Checks `nodes` after a step on `changed`, with a checker that has seen the
/// other nodes first.
fn check(nodes: &[TwoPhaseNode], changed: u32) -> Vec<&'static str> {
    let mut checker = TwoPhaseChecker::default();
    let mut found = Vec::new();
    let up = vec![true; nodes.len()];
    for i in 0..nodes.len() as u32 {
        if i != changed {
            checker.check(nodes, &up, NodeId(i), Time::ZERO, &mut found);
        }
    }
    found.clear();
    checker.check(nodes, &up, NodeId(changed), Time::ZERO, &mut found);
    found.into_iter().map(|v| v.invariant).collect()
}

/// A participant whose log has been driven through `steps` by its handlers.
fn participant_after(id: u32, steps: &[TwoPhaseMessage], work: bool) -> TwoPhaseNode {
    let mut harness = Harness::new();
    let mut node =
        TwoPhaseNode::Participant(Participant::new(NodeId(id), 3, Timing::default(), 0, false));
    for (k, message) in steps.iter().enumerate() {
        harness.call(&mut node, |n, cx| {
            n.on_message(NodeId(0), message.clone(), cx)
        });
        if k == 0 && work {
            harness.call(&mut node, |n, cx| {
                n.on_timer(TwoPhaseTimer::WorkDone(T1), cx)
            });
        }
    }
    node
}

#[test]
fn each_invariant_can_fire() {
    let prepare = TwoPhaseMessage::Prepare { transaction: T1 };
    let commit = TwoPhaseMessage::Decide {
        transaction: T1,
        decision: Decision::Commit,
    };
    let abort = TwoPhaseMessage::Decide {
        transaction: T1,
        decision: Decision::Abort,
    };
    let idle = TwoPhaseNode::Coordinator(Coordinator::new(
        NodeId(0),
        3,
        Timing::default(),
        TwoPhaseBugs::default(),
    ));

    let split = [
        idle.clone(),
        participant_after(1, &[prepare.clone(), commit.clone()], true),
        participant_after(2, &[prepare.clone(), abort.clone()], true),
    ];
    assert_eq!(check(&split, 2), [ATOMICITY]);

    // n2 never voted: a commit at n1 is one no vote could have prevented.
    let unvoted = [
        idle.clone(),
        participant_after(1, &[prepare.clone(), commit.clone()], true),
        participant_after(2, &[], false),
    ];
    assert_eq!(check(&unvoted, 1), [COMMIT_VALIDITY]);

    let agreed = [
        idle.clone(),
        participant_after(1, &[prepare.clone(), commit.clone()], true),
        participant_after(2, &[prepare.clone(), commit.clone()], true),
    ];
    assert!(check(&agreed, 1).is_empty());

    // The coordinator with the bug: commit, crash, restart, abort.
    let mut harness = Harness::new();
    let bugs = TwoPhaseBugs {
        forget_decision_on_restart: true,
        commit_before_all_votes: false,
    };
    let mut coordinator =
        TwoPhaseNode::Coordinator(Coordinator::new(NodeId(0), 3, Timing::default(), bugs));
    harness.call(&mut coordinator, |n, cx| {
        n.on_operation(TwoPhaseOp::Begin { transaction: T1 }, cx)
    });
    for from in [1, 2] {
        harness.call(&mut coordinator, |n, cx| {
            let vote = TwoPhaseMessage::VoteReply {
                transaction: T1,
                vote: Vote::Yes,
            };
            n.on_message(NodeId(from), vote, cx)
        });
    }
    let mut checker = TwoPhaseChecker::default();
    let mut found = Vec::new();
    let voters = [
        coordinator.clone(),
        participant_after(1, std::slice::from_ref(&prepare), true),
        participant_after(2, std::slice::from_ref(&prepare), true),
    ];
    let up = [true; 3];
    for i in [1, 2, 0] {
        checker.check(&voters, &up, NodeId(i), Time::ZERO, &mut found);
    }
    assert!(found.is_empty(), "{found:?}");
    coordinator.on_crash();
    harness.call(&mut coordinator, |n, cx| n.on_start(cx));
    let after = [coordinator, voters[1].clone(), voters[2].clone()];
    checker.check(&after, &up, NodeId(0), Time::ZERO, &mut found);
    let names: Vec<&str> = found.iter().map(|v| v.invariant).collect();
    assert_eq!(names, [DECISION_STABILITY]);
}
