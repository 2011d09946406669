//! The bully algorithm's rules, after Garcia-Molina, "Elections in a Distributed
//! Computing System" (IEEE Trans. Computers C-31(1), 1982), in the form the
//! textbooks teach it (ELECTION / ANSWER / COORDINATOR, as in Coulouris et al.):
//! the paper's AreYouThere is our ELECTION, its answer our ANSWER, and its
//! Halt + NewCoordinator + Ready exchange collapses into one COORDINATOR message.
//! Labels name the paper's procedures (Check, Timeout, Election, Recovery).

use crate::sim::node::Cx;

use super::message::{name, ElectionMessage, ElectionTimer};
use super::node::{BullyState, ElectionNode};

impl ElectionNode {
    /// A start. A cold start waits for a coordinator to speak (none does, so
    /// the silence timeout starts the first election at a random node); a
    /// restart is a recovery.
    pub(super) fn bully_start(&mut self, recovering: bool, cx: &mut Cx<Self>) {
        if recovering {
            // Garcia-Molina, procedure Recovery: a node that comes back holds an
            // election at once; if it outranks the coordinator it takes over
            // (it "bullies").
            cx.note(|| "recovering: a node that comes back holds an election".to_string());
            self.bully_start_election(cx);
        } else {
            self.arm_silence(cx);
        }
    }

    /// Garcia-Molina, procedure Election, first step: ask every higher node
    /// whether it is up; with no higher node, win at once.
    pub(super) fn bully_start_election(&mut self, cx: &mut Cx<Self>) {
        self.leader = None;
        self.bully = BullyState::Electing;
        cx.cancel_timer(ElectionTimer::CoordinatorWait);
        cx.cancel_timer(ElectionTimer::Heartbeat);
        let higher: Vec<u32> = (self.id + 1..self.config.nodes as u32).collect();
        if higher.is_empty() {
            cx.note(|| "no node outranks me: I am the coordinator".to_string());
            return self.bully_become_coordinator(cx);
        }
        cx.note(|| {
            format!(
                "holding an election: asking the {} higher nodes",
                higher.len()
            )
        });
        for peer in higher {
            self.send(cx, peer, ElectionMessage::Election);
        }
        cx.set_timer(ElectionTimer::AnswerWait, self.config.timing.answer_wait);
    }

    /// Garcia-Molina, procedure Election, last step: nobody higher answered, so
    /// this node is the coordinator and tells every node.
    fn bully_become_coordinator(&mut self, cx: &mut Cx<Self>) {
        self.leader = Some(self.id);
        self.bully = BullyState::Idle;
        cx.cancel_timer(ElectionTimer::AnswerWait);
        cx.cancel_timer(ElectionTimer::CoordinatorWait);
        cx.cancel_timer(ElectionTimer::CoordinatorSilent);
        for peer in 0..self.config.nodes as u32 {
            if peer != self.id {
                self.send(cx, peer, ElectionMessage::Coordinator);
            }
        }
        cx.set_timer(ElectionTimer::Heartbeat, self.config.timing.heartbeat);
    }

    /// Garcia-Molina, the AreYouThere handler: a lower node is electing. Answer
    /// it (I am up and outrank it), then hold my own election, unless I am in
    /// one already or know a coordinator (myself, or one that outranks me: the
    /// asker will hear its COORDINATOR or its next heartbeat, and if it is in
    /// fact gone my own silence timeout will tell me soon).
    pub(super) fn bully_on_election(&mut self, from: u32, cx: &mut Cx<Self>) {
        if from > self.id {
            cx.note(|| {
                format!(
                    "dropped ELECTION from {}: it goes only to higher nodes",
                    name(from)
                )
            });
            return;
        }
        self.send(cx, from, ElectionMessage::Answer);
        if self.bully == BullyState::Idle && self.leader.is_none() {
            self.bully_start_election(cx);
        }
    }

    /// Garcia-Molina, procedure Election: a higher node is up and will take
    /// over; wait for its COORDINATOR message instead of winning.
    pub(super) fn bully_on_answer(&mut self, from: u32, cx: &mut Cx<Self>) {
        if from < self.id {
            cx.note(|| {
                format!(
                    "dropped ANSWER from {}: only higher nodes answer",
                    name(from)
                )
            });
            return;
        }
        if self.bully != BullyState::Electing {
            cx.note(|| match self.bully {
                BullyState::AwaitingCoordinator => format!(
                    "ANSWER from {}: already waiting for a coordinator",
                    name(from)
                ),
                _ => format!("ANSWER from {} comes after my election ended", name(from)),
            });
            return;
        }
        self.bully = BullyState::AwaitingCoordinator;
        cx.cancel_timer(ElectionTimer::AnswerWait);
        cx.set_timer(
            ElectionTimer::CoordinatorWait,
            self.config.timing.coordinator_wait,
        );
    }

    /// Garcia-Molina, NewCoordinator: accept a coordinator that outranks me. A
    /// lower one is refused and bullied: I hold an election, which I (or a node
    /// above me) will win. No node ever follows a node it outranks.
    pub(super) fn bully_on_coordinator(&mut self, from: u32, cx: &mut Cx<Self>) {
        if from > self.id {
            self.follow(from, cx);
        } else {
            cx.note(|| format!("refusing {} as coordinator: I outrank it", name(from)));
            if self.bully == BullyState::Idle {
                self.bully_start_election(cx);
            }
        }
    }

    /// The coordinator's heartbeat (Garcia-Molina's procedure Check, turned
    /// around: the coordinator says it is there instead of being asked).
    pub(super) fn bully_on_heartbeat(&mut self, from: u32, cx: &mut Cx<Self>) {
        if from > self.id {
            // Never trade a coordinator for a lower one: the lower one will
            // hear the higher one's heartbeats and follow it too.
            if self.leader.is_some_and(|leader| leader > from) {
                return;
            }
            if self.leader != Some(from) {
                cx.note(|| format!("{} leads and outranks me: following it", name(from)));
            }
            self.follow(from, cx);
        } else if self.believes_it_leads() {
            // Two coordinators: remind the lower one who outranks it.
            self.send(cx, from, ElectionMessage::Coordinator);
        } else if self.bully == BullyState::Idle {
            cx.note(|| {
                format!(
                    "{} claims to lead, but I outrank it: holding an election",
                    name(from)
                )
            });
            self.bully_start_election(cx);
        }
    }

    /// Garcia-Molina, procedure Timeout: the coordinator is gone; elect anew.
    pub(super) fn bully_on_silence(&mut self, cx: &mut Cx<Self>) {
        if self.believes_it_leads() || self.bully != BullyState::Idle {
            return;
        }
        cx.note(|| match self.leader {
            Some(leader) => format!(
                "{} has been silent too long: holding an election",
                name(leader)
            ),
            None => "no coordinator has spoken: holding an election".to_string(),
        });
        self.bully_start_election(cx);
    }

    /// Garcia-Molina, procedure Election: no higher node answered in time, so
    /// every higher node is down and this node wins.
    pub(super) fn bully_on_answer_wait(&mut self, cx: &mut Cx<Self>) {
        if self.bully != BullyState::Electing {
            return;
        }
        cx.note(|| "no higher node answered: I am the coordinator".to_string());
        self.bully_become_coordinator(cx);
    }

    /// Garcia-Molina, procedure Timeout: the node that answered never became
    /// coordinator (it crashed meanwhile); start over.
    pub(super) fn bully_on_coordinator_wait(&mut self, cx: &mut Cx<Self>) {
        if self.bully != BullyState::AwaitingCoordinator {
            return;
        }
        cx.note(|| "the node that answered never announced itself: electing again".to_string());
        self.bully_start_election(cx);
    }

    /// Follows `leader` (which outranks this node): the election, if any, is
    /// over, and the silence timeout restarts.
    fn follow(&mut self, leader: u32, cx: &mut Cx<Self>) {
        self.leader = Some(leader);
        self.bully = BullyState::Idle;
        cx.cancel_timer(ElectionTimer::AnswerWait);
        cx.cancel_timer(ElectionTimer::CoordinatorWait);
        cx.cancel_timer(ElectionTimer::Heartbeat);
        self.arm_silence(cx);
    }
}
