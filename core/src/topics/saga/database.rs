//! A service's local database: for each saga, what its step's local
//! transaction left there (booked, refused, cancelled), with a journal of every
//! change in order. Durable: a booking survives a crash, which is what lets a
//! retried request be answered from the database instead of booking twice
//! (each step runs at most once per saga, and so does its compensation).
//!
//! The times are the service's own clock, kept for the timeline (how long a
//! booking was held), never read by the protocol.

use crate::sim::time::Time;

use super::message::{Booking, SagaId};

/// What the database holds for one saga.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Entry {
    pub saga: SagaId,
    pub booking: Booking,
    /// When T_k committed here (for a booked or cancelled entry).
    pub booked_at: Option<Time>,
    /// When C_k committed here.
    pub cancelled_at: Option<Time>,
    /// When T_k failed here for a business reason (the saga's lane marks it).
    pub refused_at: Option<Time>,
}

/// The local database of one service.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Database {
    /// Sorted by saga id.
    entries: Vec<Entry>,
    /// Every change, in the order it committed: what the checker reads.
    journal: Vec<(SagaId, Booking)>,
}

impl Database {
    pub fn get(&self, saga: SagaId) -> Option<Booking> {
        self.entry(saga).map(|e| e.booking)
    }

    pub fn entry(&self, saga: SagaId) -> Option<&Entry> {
        self.entries
            .binary_search_by_key(&saga, |e| e.saga)
            .ok()
            .map(|i| &self.entries[i])
    }

    /// Commits `booking` for `saga` at `at`.
    pub fn set(&mut self, saga: SagaId, booking: Booking, at: Time) {
        let position = match self.entries.binary_search_by_key(&saga, |e| e.saga) {
            Ok(position) => position,
            Err(position) => {
                self.entries.insert(
                    position,
                    Entry {
                        saga,
                        booking,
                        booked_at: None,
                        cancelled_at: None,
                        refused_at: None,
                    },
                );
                position
            }
        };
        let entry = &mut self.entries[position];
        entry.booking = booking;
        match booking {
            Booking::Booked => entry.booked_at = Some(at),
            Booking::Cancelled => entry.cancelled_at = Some(at),
            Booking::Refused => entry.refused_at = Some(at),
            Booking::Voided => {}
        }
        self.journal.push((saga, booking));
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    pub fn journal(&self) -> &[(SagaId, Booking)] {
        &self.journal
    }

    /// The sagas whose entry is `booking`, in id order.
    pub fn sagas_with(&self, booking: Booking) -> impl Iterator<Item = SagaId> + '_ {
        self.entries
            .iter()
            .filter(move |e| e.booking == booking)
            .map(|e| e.saga)
    }
}
