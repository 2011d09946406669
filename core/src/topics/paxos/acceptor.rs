//! The acceptor's rules (Lamport, "Paxos Made Simple", 2001, section 2.2):
//! phase 1(b), the promise, and phase 2(b), the acceptance, which it reports
//! to every learner (section 2.3).

use crate::sim::node::Cx;
use crate::sim::time::NodeId;

use super::message::{Accepted, Ballot, PaxosMessage, Slot, Value};
use super::node::PaxosNode;

impl PaxosNode {
    /// Phase 1(b): promise never to accept a ballot below `ballot`, unless a
    /// higher one was promised already, and report what was accepted.
    pub(super) fn acceptor_prepare(
        &mut self,
        ballot: Ballot,
        from_slot: Slot,
        cx: &mut Cx<PaxosNode>,
    ) -> PaxosMessage {
        self.observe(ballot);
        if ballot < self.promised {
            let promised = self.promised;
            cx.note(|| format!("refuses Prepare {ballot}: promised {promised}"));
            return PaxosMessage::Preempted { ballot, promised };
        }
        self.promised = ballot;
        let accepted: Vec<(Slot, Accepted)> = self
            .accepted
            .range(from_slot..)
            .map(|(slot, accepted)| (*slot, *accepted))
            .collect();
        cx.note(|| format!("Phase 1(b): promises {ballot}"));
        PaxosMessage::Promise { ballot, accepted }
    }

    /// Phase 2(b): accept unless a higher ballot was promised, and tell every
    /// learner (section 2.3).
    pub(super) fn acceptor_accept(
        &mut self,
        proposer: NodeId,
        ballot: Ballot,
        slot: Slot,
        value: Value,
        cx: &mut Cx<PaxosNode>,
    ) {
        self.observe(ballot);
        if ballot < self.promised {
            let promised = self.promised;
            cx.note(|| format!("refuses Accept {ballot}: promised {promised}"));
            let reply = PaxosMessage::Preempted { ballot, promised };
            if proposer == self.id {
                self.on_reply(proposer, reply, cx);
            } else {
                cx.send(proposer, reply);
            }
            return;
        }
        self.promised = ballot;
        self.accepted.insert(slot, Accepted { ballot, value });
        self.accepted_now.push(slot);
        cx.note(|| format!("Phase 2(b): accepts {value} in slot {slot} under {ballot}"));
        cx.broadcast(PaxosMessage::Accepted {
            ballot,
            slot,
            value,
        });
        self.on_accepted(self.id, ballot, slot, value, cx);
    }
}
