//! The events a process of a choreographed saga has published and not yet seen
//! acknowledged. It is written in the same local transaction as the change that
//! produced the event (the transactional outbox of Richardson, "Microservices
//! Patterns", section 3.3.7, "Transactional messaging"), so it survives a crash, and every event in it is
//! sent again, with exponential backoff, until its subscriber acknowledges it:
//! an event is delivered at least once, and its subscriber handles a duplicate
//! idempotently.

use crate::sim::time::NodeId;

use super::message::{Event, SagaId};

/// One event waiting for its acknowledgement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Pending {
    pub saga: SagaId,
    pub to: NodeId,
    pub event: Event,
}

/// The durable outbox of one process.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Outbox {
    pending: Vec<Pending>,
}

impl Outbox {
    pub fn push(&mut self, saga: SagaId, to: NodeId, event: Event) {
        let pending = Pending { saga, to, event };
        if !self.pending.contains(&pending) {
            self.pending.push(pending);
        }
    }

    /// `from` acknowledged `event` of `saga`: whether it was waiting.
    pub fn acknowledge(&mut self, saga: SagaId, event: Event, from: NodeId) -> bool {
        let before = self.pending.len();
        self.pending
            .retain(|p| !(p.saga == saga && p.event == event && p.to == from));
        self.pending.len() < before
    }

    /// Drops every event of `saga` (its outcome proves they arrived).
    pub fn forget(&mut self, saga: SagaId) {
        self.pending.retain(|p| p.saga != saga);
    }

    pub fn has(&self, saga: SagaId) -> bool {
        self.pending.iter().any(|p| p.saga == saga)
    }

    pub fn of(&self, saga: SagaId) -> impl Iterator<Item = &Pending> {
        self.pending.iter().filter(move |p| p.saga == saga)
    }

    pub fn pending(&self) -> &[Pending] {
        &self.pending
    }

    /// The sagas with events waiting, each once, in id order.
    pub fn sagas(&self) -> Vec<SagaId> {
        let mut sagas: Vec<SagaId> = self.pending.iter().map(|p| p.saga).collect();
        sagas.sort_unstable();
        sagas.dedup();
        sagas
    }
}
