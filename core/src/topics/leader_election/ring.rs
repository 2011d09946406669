//! The ring algorithm's rules, after Chang and Roberts, "An improved algorithm
//! for decentralized extrema-finding in circular configurations of processes"
//! (CACM 22(5), 1979): ids travel one way round the ring, each node passes on
//! only ids larger than its own, and the id that comes back to its owner is the
//! largest. Two additions the paper leaves out, because its ring never fails:
//! each hop is acknowledged and an unacknowledged successor is skipped (the
//! ring closes over a crashed node), and the leader sends heartbeats so the
//! others notice when it is gone.

use crate::sim::node::Cx;

use super::message::{name, ElectionMessage, ElectionTimer};
use super::node::{ElectionNode, PendingHop};

impl ElectionNode {
    /// A start, cold or after a crash: every process may start an election
    /// (the paper's setting, in which all of them do), and a recovering node
    /// must, or it would never outrank a lower leader.
    pub(super) fn ring_start(&mut self, cx: &mut Cx<Self>) {
        self.ring_start_election(cx);
    }

    /// Chang and Roberts, step 1: a process that starts marks itself a
    /// participant and sends its own id to its successor.
    pub(super) fn ring_start_election(&mut self, cx: &mut Cx<Self>) {
        self.participant = true;
        self.leader = None;
        cx.cancel_timer(ElectionTimer::Heartbeat);
        cx.set_timer(
            ElectionTimer::ElectionWait,
            self.config.timing.election_wait,
        );
        let own = ElectionMessage::RingElection {
            candidate: self.id,
            hop: 0,
            travelled: 1,
        };
        self.pass_on(own, cx);
    }

    /// Chang and Roberts, step 2, on receiving an id: larger, pass it on (and
    /// take part); smaller, swallow it if already taking part, else replace it
    /// with my own; equal, my id went all the way round, so mine is the largest
    /// and I am elected.
    pub(super) fn ring_on_election(
        &mut self,
        from: u32,
        candidate: u32,
        (hop, travelled): (u64, u32),
        cx: &mut Cx<Self>,
    ) {
        self.acknowledge(from, hop, cx);
        if candidate as usize >= self.config.nodes {
            cx.note(|| format!("dropped an ELECTION for unknown node {candidate}"));
            return;
        }
        if travelled as usize > self.config.nodes {
            cx.note(|| {
                format!(
                    "dropped {}'s id: it has gone round the ring without finding its owner",
                    name(candidate)
                )
            });
            return;
        }
        let me = self.id;
        if candidate == me {
            // Chang and Roberts, step 3: my own id came back.
            cx.note(|| "my id came back round the ring: I am elected".to_string());
            self.participant = false;
            self.leader = Some(me);
            cx.cancel_timer(ElectionTimer::ElectionWait);
            cx.cancel_timer(ElectionTimer::CoordinatorSilent);
            cx.set_timer(ElectionTimer::Heartbeat, self.config.timing.heartbeat);
            let elected = ElectionMessage::Elected {
                leader: me,
                hop: 0,
                travelled: 1,
            };
            return self.pass_on(elected, cx);
        }
        if candidate > me || self.config.bugs.forward_smaller {
            if candidate < me {
                cx.note(|| format!("(bug) passing on {}, though I outrank it", name(candidate)));
            }
            if !self.participant {
                self.participant = true;
                self.leader = None;
                cx.set_timer(
                    ElectionTimer::ElectionWait,
                    self.config.timing.election_wait,
                );
            }
            self.forwards += 1;
            self.last_forwarded = candidate;
            let onward = ElectionMessage::RingElection {
                candidate,
                hop: 0,
                travelled: travelled + 1,
            };
            return self.pass_on(onward, cx);
        }
        if self.participant {
            cx.note(|| {
                format!(
                    "swallowed {}: I outrank it and my own id is already out",
                    name(candidate)
                )
            });
        } else {
            cx.note(|| {
                format!(
                    "{} is smaller than me: sending my own id instead",
                    name(candidate)
                )
            });
            self.ring_start_election(cx);
        }
    }

    /// Chang and Roberts, step 3: the winner's ELECTED message goes round once;
    /// each node records the leader and stops taking part. A node that
    /// outranks the announced leader refuses it and starts an election, which
    /// it will win (it was skipped while the winner's id went round).
    pub(super) fn ring_on_elected(
        &mut self,
        from: u32,
        leader: u32,
        (hop, travelled): (u64, u32),
        cx: &mut Cx<Self>,
    ) {
        self.acknowledge(from, hop, cx);
        if leader as usize >= self.config.nodes {
            cx.note(|| format!("dropped an ELECTED for unknown node {leader}"));
            return;
        }
        if travelled as usize > self.config.nodes {
            cx.note(|| {
                format!(
                    "dropped ELECTED({}): it has gone round the ring without finding its owner",
                    name(leader)
                )
            });
            return;
        }
        if leader == self.id {
            cx.note(|| "my ELECTED message went all the way round: everyone knows".to_string());
            return;
        }
        if leader < self.id {
            cx.note(|| format!("refusing {} as leader: I outrank it", name(leader)));
            if !self.participant {
                self.ring_start_election(cx);
            }
            return;
        }
        self.participant = false;
        self.leader = Some(leader);
        cx.cancel_timer(ElectionTimer::ElectionWait);
        cx.cancel_timer(ElectionTimer::Heartbeat);
        self.arm_silence(cx);
        let onward = ElectionMessage::Elected {
            leader,
            hop: 0,
            travelled: travelled + 1,
        };
        self.pass_on(onward, cx);
    }

    /// The leader's heartbeat: follow a leader that outranks me; a lower one I
    /// refuse by electing (I would win).
    pub(super) fn ring_on_heartbeat(&mut self, from: u32, cx: &mut Cx<Self>) {
        self.suspected &= !(1u64 << from);
        if from > self.id {
            if !self.participant && self.leader.is_none_or(|leader| leader <= from) {
                if self.leader != Some(from) {
                    cx.note(|| format!("{} leads and outranks me: following it", name(from)));
                }
                self.leader = Some(from);
                cx.cancel_timer(ElectionTimer::Heartbeat);
                self.arm_silence(cx);
            }
        } else if !self.participant && !self.believes_it_leads() {
            cx.note(|| format!("{} claims to lead, but I outrank it: electing", name(from)));
            self.ring_start_election(cx);
        }
    }

    /// The leader has been silent too long: start an election.
    pub(super) fn ring_on_silence(&mut self, cx: &mut Cx<Self>) {
        if self.believes_it_leads() || self.participant {
            return;
        }
        cx.note(|| "the leader has been silent too long: electing".to_string());
        self.ring_start_election(cx);
    }

    /// The election I took part in never finished (its message died with a
    /// crashed node): start again.
    pub(super) fn ring_on_election_wait(&mut self, cx: &mut Cx<Self>) {
        if !self.participant {
            return;
        }
        cx.note(|| "the election did not finish in time: starting again".to_string());
        self.ring_start_election(cx);
    }

    pub(super) fn ring_on_ack(&mut self, from: u32, hop: u64, cx: &mut Cx<Self>) {
        self.suspected &= !(1u64 << from);
        match self
            .pending
            .iter()
            .position(|p| p.hop == hop && p.to == from)
        {
            Some(at) => {
                self.pending.swap_remove(at);
                cx.cancel_timer(ElectionTimer::HopAck { hop });
            }
            None => cx.note(|| format!("acknowledgement #{hop} matches nothing I sent")),
        }
    }

    /// The successor did not acknowledge: skip it, and send the same message
    /// to the next node round the ring.
    pub(super) fn ring_on_hop_timeout(&mut self, hop: u64, cx: &mut Cx<Self>) {
        let Some(at) = self.pending.iter().position(|p| p.hop == hop) else {
            return;
        };
        let lost = self.pending.swap_remove(at);
        self.suspected |= 1u64 << lost.to;
        cx.note(|| format!("{} did not acknowledge: skipping it", name(lost.to)));
        self.pass_on(lost.message, cx);
    }

    /// Sends `message` to the successor (the next node not suspected), as a
    /// fresh hop waiting for its acknowledgement. A node with no successor left
    /// is alone: its own id has, in effect, come back to it.
    fn pass_on(&mut self, message: ElectionMessage, cx: &mut Cx<Self>) {
        let Some(to) = self.successor() else {
            if let ElectionMessage::RingElection { candidate, .. } = message {
                if candidate == self.id && !self.believes_it_leads() {
                    cx.note(|| "no other node acknowledges: alone, I lead myself".to_string());
                    self.participant = false;
                    self.leader = Some(self.id);
                    cx.cancel_timer(ElectionTimer::ElectionWait);
                    cx.set_timer(ElectionTimer::Heartbeat, self.config.timing.heartbeat);
                }
            }
            return;
        };
        self.hops += 1;
        let hop = self.hops;
        let message = match message {
            ElectionMessage::RingElection {
                candidate,
                travelled,
                ..
            } => ElectionMessage::RingElection {
                candidate,
                hop,
                travelled,
            },
            ElectionMessage::Elected {
                leader, travelled, ..
            } => ElectionMessage::Elected {
                leader,
                hop,
                travelled,
            },
            other => other,
        };
        self.pending.push(PendingHop {
            hop,
            to,
            message: message.clone(),
        });
        self.send(cx, to, message);
        cx.set_timer(ElectionTimer::HopAck { hop }, self.config.timing.hop_ack);
    }

    fn acknowledge(&mut self, from: u32, hop: u64, cx: &mut Cx<Self>) {
        self.suspected &= !(1u64 << from);
        self.send(cx, from, ElectionMessage::HopAck { hop });
    }
}
