//! Flow control on one link between neighbours: the upstream's [`Sender`]
//! and the downstream's [`Receiver`], plain state machines the processes own.
//!
//! Items carry a sequence number per link, so the receiver can drop
//! duplicates and late copies and notice gaps. A gap that stays open for
//! [`LOSS_TIMEOUT`] is written off as lost in transit: the network lost it (or
//! the receiver was down when it came). That matters for credits: an item
//! lost on the wire still used a credit, and without the write-off every loss
//! would shrink the window until the link stalled.
//!
//! Credits (Reactive Streams 1.0.3, `Subscription.request(n)`, rules 1.1 and
//! 3.17) are carried cumulatively: `Request { n, total }` says "n more, total
//! so far", and a sender holds `total - sent`, so a duplicated, re-sent or
//! reordered request grants nothing twice. The `credit-leak` bug adds `n`
//! instead, as a naive `demand += n` does, and every repeat of a request is
//! a credit granted twice.
//!
//! Block signals (pause/resume, XON/XOFF) carry an epoch, so an old signal
//! arriving late does not undo a newer one. Both are re-sent on every tick,
//! since the network may lose any of them.

use crate::sim::time::{Duration, Time};

/// How long a gap in the sequence may stay open before it is written off.
pub const LOSS_TIMEOUT: Duration = Duration::from_millis(400);

/// What became of an arriving item.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arrival {
    /// First arrival of an item not written off: the stage takes it.
    New,
    /// A second copy of an item that already arrived (or was written off).
    Stale,
}

/// The downstream end of a link.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Receiver {
    /// The lowest sequence number not yet accounted for (arrived or written off).
    next: u64,
    /// Numbers above `next` that arrived, sorted.
    ahead: Vec<u64>,
    /// The highest number the sender is known to have sent.
    known_sent: u64,
    /// Since when `next` has been missing while something later is known.
    gap_since: Option<Time>,
    /// Items that arrived (first copies of items not written off).
    pub received: u64,
    /// Items written off as lost in transit.
    pub written_off: u64,
    /// Copies dropped as duplicates or late.
    pub stale: u64,
    /// Credit policy: every credit granted so far.
    pub granted: u64,
    /// The `n` of the last request sent (re-sent as is on each tick).
    pub last_n: u64,
    /// Block policy: whether the upstream may send, and the signal's epoch.
    pub open: bool,
    pub epoch: u64,
}

impl Receiver {
    pub fn new() -> Self {
        Receiver {
            next: 1,
            open: true,
            ..Receiver::default()
        }
    }

    /// How many of the link's items are accounted for, in order.
    pub fn resolved(&self) -> u64 {
        self.next - 1
    }

    pub fn on_item(&mut self, seq: u64, now: Time) -> Arrival {
        if seq < self.next || self.ahead.binary_search(&seq).is_ok() || seq == 0 {
            self.stale += 1;
            return Arrival::Stale;
        }
        self.known_sent = self.known_sent.max(seq);
        let at = self.ahead.partition_point(|&s| s < seq);
        self.ahead.insert(at, seq);
        self.received += 1;
        self.advance(now);
        Arrival::New
    }

    /// The sender says it has sent `total` items.
    pub fn on_sent(&mut self, total: u64, now: Time) {
        if total > self.known_sent {
            self.known_sent = total;
            self.advance(now);
        }
    }

    /// Writes off a gap that has been open for [`LOSS_TIMEOUT`]; returns how
    /// many items it wrote off.
    pub fn on_tick(&mut self, now: Time) -> u64 {
        let Some(since) = self.gap_since else {
            return 0;
        };
        if now.since(since) < LOSS_TIMEOUT {
            return 0;
        }
        // The whole run of missing numbers up to the next arrival.
        let end = self
            .ahead
            .first()
            .map_or(self.known_sent, |&first| first - 1);
        let lost = end + 1 - self.next;
        self.written_off += lost;
        self.next = end + 1;
        self.gap_since = None;
        self.advance(now);
        lost
    }

    fn advance(&mut self, now: Time) {
        let before = self.next;
        let mut taken = 0;
        while self.ahead.get(taken) == Some(&self.next) {
            taken += 1;
            self.next += 1;
        }
        self.ahead.drain(..taken);
        if self.next > self.known_sent {
            self.gap_since = None;
        } else if self.gap_since.is_none() || self.next != before {
            self.gap_since = Some(now);
        }
    }

    /// Credit policy: raises the grant to `total`; returns `n`, the credits
    /// added, if any.
    pub fn grant_up_to(&mut self, total: u64) -> Option<u64> {
        if total <= self.granted {
            return None;
        }
        let n = total - self.granted;
        self.granted = total;
        self.last_n = n;
        Some(n)
    }

    /// Block policy: switches the signal; `true` if it changed.
    pub fn set_open(&mut self, open: bool) -> bool {
        if open == self.open {
            return false;
        }
        self.open = open;
        self.epoch += 1;
        true
    }
}

/// The upstream end of a link.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sender {
    /// Items sent on the link (the last sequence number used).
    pub sent: u64,
    /// Credit policy: the highest cumulative grant heard.
    pub granted: u64,
    /// Credit policy with the `credit-leak` bug: a running `demand += n`.
    leaky_demand: u64,
    /// Block policy: the last signal heard, and its epoch.
    pub open: bool,
    epoch: u64,
    /// How many of its items the receiver says it accounted for.
    pub resolved: u64,
    /// The `sent` of the last `Sent` notice.
    announced: u64,
    /// Bug `credit-leak`.
    credit_leak: bool,
}

impl Sender {
    pub fn new(credit_leak: bool) -> Self {
        Sender {
            open: true,
            credit_leak,
            ..Sender::default()
        }
    }

    /// Credits left, as this sender counts them.
    pub fn credits(&self) -> u64 {
        if self.credit_leak {
            self.leaky_demand
        } else {
            self.granted.saturating_sub(self.sent)
        }
    }

    /// Whether the policy lets it send one more item now.
    pub fn may_send(&self, policy: super::message::Policy) -> bool {
        use super::message::Policy;
        match policy {
            Policy::Block => self.open,
            Policy::Credit => self.credits() > 0,
            Policy::Unbounded | Policy::DropNewest | Policy::DropOldest => true,
        }
    }

    /// Uses the next sequence number (and a credit).
    pub fn on_send(&mut self) -> u64 {
        self.sent += 1;
        self.leaky_demand = self.leaky_demand.saturating_sub(1);
        self.sent
    }

    /// Reactive Streams 3.17: demand accumulates. The correct sender keeps
    /// the highest cumulative total, so a repeated request adds nothing.
    pub fn on_request(&mut self, n: u64, total: u64, resolved: u64) {
        self.resolved = self.resolved.max(resolved);
        if self.credit_leak {
            // The bug: every copy of a request adds its n again.
            self.leaky_demand = self.leaky_demand.saturating_add(n);
        }
        self.granted = self.granted.max(total);
    }

    pub fn on_signal(&mut self, open: bool, epoch: u64, resolved: u64) {
        self.resolved = self.resolved.max(resolved);
        if epoch > self.epoch || (epoch == self.epoch && epoch == 0) {
            self.epoch = epoch;
            self.open = open;
        }
    }

    /// The `Sent` notice a tick should send, if the receiver may not know
    /// everything that was sent.
    pub fn notice(&mut self, policy: super::message::Policy) -> Option<u64> {
        let due = if policy.holds_back() {
            self.sent > self.resolved
        } else {
            self.sent > self.announced
        };
        self.announced = self.sent;
        due.then_some(self.sent)
    }
}
