//! The learner's rules (Lamport, "Paxos Made Simple", 2001, section 2.3): count
//! the acceptances each proposal gets and learn its value once a majority of
//! acceptors accepted it; learn from another learner that knows; answer a
//! learner that asks to catch up.

use crate::sim::node::Cx;
use crate::sim::time::NodeId;

use super::message::{Ballot, PaxosMessage, PaxosTimer, Slot, Value};
use super::node::{Mode, PaxosNode, Phase, Tally};

impl PaxosNode {
    /// Section 2.3: a value is chosen once a majority of acceptors accepted it
    /// under one ballot; the learner counts the acceptances it is told about.
    pub(super) fn on_accepted(
        &mut self,
        from: NodeId,
        ballot: Ballot,
        slot: Slot,
        value: Value,
        cx: &mut Cx<PaxosNode>,
    ) {
        self.observe(ballot);
        if self.learned.contains_key(&slot) {
            return;
        }
        let tally = self.tallies.entry((slot, ballot)).or_insert(Tally {
            value,
            acceptors: Vec::new(),
        });
        if tally.value != value {
            cx.note(|| format!("ignores Accepted {ballot}: another value was accepted under it"));
            return;
        }
        if !tally.acceptors.contains(&from) {
            tally.acceptors.push(from);
        }
        let count = tally.acceptors.len();
        if count >= self.majority() {
            cx.note(|| {
                format!(
                    "learns {value} in slot {slot}: {count} acceptors accepted it under {ballot}"
                )
            });
            self.learn(slot, value, cx);
            if self.config.mode == Mode::Basic && ballot.proposer == self.id {
                cx.broadcast(PaxosMessage::Chosen { slot, value });
            }
            return;
        }
        // The proposer's own count, which the minority bug cuts short.
        let mine = matches!(&self.phase, Phase::Proposing { ballot: b, proposals, .. }
            if *b == ballot && proposals.get(&slot) == Some(&value));
        if mine && count >= self.quorum() {
            cx.note(|| format!("counts {value} chosen in slot {slot} with {count} acceptances"));
            self.learn(slot, value, cx);
            cx.broadcast(PaxosMessage::Chosen { slot, value });
        }
    }

    pub(super) fn learn(&mut self, slot: Slot, value: Value, cx: &mut Cx<PaxosNode>) {
        if self.learned.contains_key(&slot) {
            return;
        }
        self.learned.insert(slot, value);
        self.learned_now.push(slot);
        self.tallies.retain(|(s, _), _| *s != slot);
        if let Phase::Proposing { proposals, .. } = &mut self.phase {
            proposals.remove(&slot);
        }
        if self.config.mode == Mode::Basic {
            self.own_value = None;
            self.failures = 0;
            if self.phase != Phase::Idle {
                self.phase = Phase::Idle;
            }
            cx.cancel_timer(PaxosTimer::Retry);
        }
    }

    /// Another learner says `value` was chosen in `slot`.
    pub(super) fn on_chosen(
        &mut self,
        from: NodeId,
        slot: Slot,
        value: Value,
        cx: &mut Cx<PaxosNode>,
    ) {
        if let Some(known) = self.learned.get(&slot) {
            if *known != value {
                let known = *known;
                cx.note(|| {
                    format!("{from} says {value} was chosen in slot {slot}, but it learned {known}")
                });
            }
            return;
        }
        cx.note(|| format!("learns {value} in slot {slot} from {from}"));
        self.learn(slot, value, cx);
    }

    /// Section 2.3: a learner that missed acceptances asks one that knows.
    pub(super) fn on_catch_up(&mut self, from: NodeId, from_slot: Slot, cx: &mut Cx<PaxosNode>) {
        const MOST: usize = 16;
        for (&slot, &value) in self.learned.range(from_slot..).take(MOST) {
            cx.send(from, PaxosMessage::Chosen { slot, value });
        }
    }
}
