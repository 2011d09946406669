//! Lease-based leadership, after Gray and Cheriton, "Leases: An Efficient
//! Fault-Tolerant Mechanism for Distributed File Cache Consistency" (SOSP 1989),
//! with the lease granted by a majority of the nodes instead of one server (as
//! leader leases in Paxos and Raft systems do). Gray and Cheriton's §2: a lease
//! is a promise for a term, honoured by the grantor until the term runs out;
//! their §3.1 and §4: clocks need not agree, only run at nearly the same rate,
//! so the holder and the grantor each pad the term by the drift bound ε (the
//! holder stops early, the grantor promises late), and a grantor that crashed
//! grants nothing until a whole term has passed.
//!
//! Offsets do not matter here, by design: every sum is a duration measured on
//! one clock (a request's send time plus the term, a grant's time plus the
//! term), never one node's time read on another's clock.

use crate::sim::node::Cx;
use crate::sim::time::{Duration, Time};

use super::message::{name, Attempt, ElectionMessage, ElectionTimer};
use super::node::{ElectionNode, Lease, Promise, Request};

impl ElectionNode {
    /// A start. A cold start campaigns after a short random delay; a restart
    /// first waits out any promise it may have given before the crash, which it
    /// no longer remembers (Gray and Cheriton §2: after a crash, wait one term).
    pub(super) fn lease_start(&mut self, recovering: bool, cx: &mut Cx<Self>) {
        if recovering {
            let wait = self.promise_term();
            self.recovering_until = Some(cx.now() + wait);
            cx.note(|| format!("recovering: granting nothing for {wait} (a whole term)"));
            cx.set_timer(ElectionTimer::Campaign, wait);
        } else {
            let delay = cx.rng.range_inclusive(20_000, 200_000);
            cx.set_timer(ElectionTimer::Campaign, Duration(delay));
        }
    }

    /// How long a grantor's promise lasts on its own clock: the term plus ε
    /// (the bug: the bare term).
    fn promise_term(&self) -> Duration {
        let timing = &self.config.timing;
        if self.config.bugs.ignore_drift {
            timing.lease
        } else {
            Duration(timing.lease.as_micros() + timing.drift_bound.as_micros())
        }
    }

    /// How long the holder believes its lease, from the request's send time, on
    /// its own clock: the term minus ε (the bug: the bare term).
    fn holding_term(&self) -> Duration {
        let timing = &self.config.timing;
        if self.config.bugs.ignore_drift {
            timing.lease
        } else {
            Duration(timing.lease.as_micros() - timing.drift_bound.as_micros().min(timing.lease.as_micros()))
        }
    }

    fn promised_elsewhere(&self, now: Time) -> Option<Promise> {
        self.promise.filter(|p| p.to != self.id && now < p.until)
    }

    /// Gray and Cheriton §2, acquiring: ask every node for a lease; count my
    /// own promise first. Refused while recovering or while I have promised
    /// another node.
    pub(super) fn lease_request(&mut self, cx: &mut Cx<Self>) {
        let now = cx.now();
        if let Some(until) = self.recovering_until.filter(|&until| now < until) {
            cx.note(|| format!("cannot ask for a lease while recovering (until {until})"));
            return;
        }
        self.recovering_until = None;
        if let Some(promise) = self.promised_elsewhere(now) {
            cx.note(|| format!("cannot ask for a lease: I promised {} until {}", name(promise.to), promise.until));
            return;
        }
        self.attempts += 1;
        let attempt = self.attempts;
        self.promise = Some(Promise {
            to: self.id,
            until: now + self.promise_term(),
        });
        self.request = Some(Request {
            attempt,
            sent_at: now,
            grants: 1u64 << self.id,
        });
        for peer in 0..self.config.nodes as u32 {
            if peer != self.id {
                self.send(cx, peer, ElectionMessage::RequestLease { attempt });
            }
        }
        cx.set_timer(ElectionTimer::GrantWait { attempt }, self.config.timing.grant_wait);
        self.lease_count_grants(cx);
    }

    /// Gray and Cheriton §2, granting: promise the requester not to grant
    /// anyone else a lease for a term (plus ε, Gray and Cheriton §3.1), unless
    /// I already promised someone else, or I am recovering.
    pub(super) fn lease_on_request(&mut self, from: u32, attempt: Attempt, cx: &mut Cx<Self>) {
        let now = cx.now();
        if self.recovering_until.is_some_and(|until| now < until) {
            cx.note(|| format!("refusing {}: recovering", name(from)));
            return self.send(cx, from, ElectionMessage::Refuse { attempt });
        }
        if let Some(promise) = self.promise.filter(|p| p.to != from && now < p.until) {
            cx.note(|| format!("refusing {}: I promised {} until {}", name(from), name(promise.to), promise.until));
            return self.send(cx, from, ElectionMessage::Refuse { attempt });
        }
        let until = now + self.promise_term();
        self.promise = Some(Promise { to: from, until });
        self.leader = Some(from);
        self.send(cx, from, ElectionMessage::Grant { attempt });
        // Campaign only once the promise is over (plus a random pause, so
        // grantors do not all ask at once).
        let pause = cx.rng.range_inclusive(0, 100_000);
        cx.set_timer(ElectionTimer::Campaign, Duration(until.since(now).as_micros() + pause));
    }

    pub(super) fn lease_on_grant(&mut self, from: u32, attempt: Attempt, cx: &mut Cx<Self>) {
        match self.request.as_mut() {
            Some(request) if request.attempt == attempt => {
                request.grants |= 1u64 << from;
                self.lease_count_grants(cx);
            }
            _ => cx.note(|| format!("grant #{attempt} from {} answers no open request", name(from))),
        }
    }

    /// With grants from a majority, the lease is mine until the request's send
    /// time plus the term minus ε, by my clock: every grantor's promise, begun
    /// after my request left, outlasts it in real time (Gray and Cheriton §3.1).
    fn lease_count_grants(&mut self, cx: &mut Cx<Self>) {
        let Some(request) = self.request else {
            return;
        };
        if (request.grants.count_ones() as usize) < self.config.majority() {
            return;
        }
        self.request = None;
        cx.cancel_timer(ElectionTimer::GrantWait {
            attempt: request.attempt,
        });
        let now = cx.now();
        let until = request.sent_at + self.holding_term();
        if until <= now {
            cx.note(|| "the grants came too late: the lease would already be over".to_string());
            return self.lease_retry_later(cx);
        }
        let renewal = self.lease.is_some();
        self.lease = Some(Lease {
            attempt: request.attempt,
            until,
        });
        self.leader = Some(self.id);
        cx.note(|| {
            let verb = if renewal { "renewed" } else { "holds" };
            format!("{verb} the lease (#{}) until {until} by its own clock", request.attempt)
        });
        cx.set_timer(ElectionTimer::LeaseEnd, until.since(now));
        // Renew halfway through the term, so a lost round leaves time for more.
        let renew_at = request.sent_at + Duration(self.config.timing.lease.as_micros() / 2);
        cx.set_timer(ElectionTimer::Renew, renew_at.since(now));
    }

    pub(super) fn lease_on_grant_wait(&mut self, attempt: Attempt, cx: &mut Cx<Self>) {
        if self.request.is_none_or(|request| request.attempt != attempt) {
            return;
        }
        self.request = None;
        cx.note(|| format!("attempt #{attempt} did not gather a majority in time"));
        self.lease_retry_later(cx);
    }

    fn lease_retry_later(&mut self, cx: &mut Cx<Self>) {
        if self.lease.is_some() {
            cx.set_timer(ElectionTimer::Renew, Duration::from_millis(30));
        } else {
            let pause = cx.rng.range_inclusive(50_000, 300_000);
            cx.set_timer(ElectionTimer::Campaign, Duration(pause));
        }
    }

    /// Ask for a lease when nobody holds my promise (else wait for it to end).
    pub(super) fn lease_on_campaign(&mut self, cx: &mut Cx<Self>) {
        let now = cx.now();
        if self.lease.is_some() || self.request.is_some() {
            return;
        }
        if let Some(promise) = self.promised_elsewhere(now) {
            let pause = cx.rng.range_inclusive(0, 100_000);
            cx.set_timer(ElectionTimer::Campaign, Duration(promise.until.since(now).as_micros() + pause));
            return;
        }
        self.lease_request(cx);
    }

    /// Gray and Cheriton §2, extending: the holder asks again before its lease
    /// runs out.
    pub(super) fn lease_on_renew(&mut self, cx: &mut Cx<Self>) {
        if self.lease.is_some_and(|lease| cx.now() < lease.until) && self.request.is_none() {
            self.lease_request(cx);
        }
    }

    /// The lease ran out by my clock: I no longer lead.
    pub(super) fn lease_on_end(&mut self, cx: &mut Cx<Self>) {
        let now = cx.now();
        if let Some(lease) = self.lease.filter(|lease| now >= lease.until) {
            cx.note(|| format!("lease #{} is over", lease.attempt));
            self.lease = None;
            if self.leader == Some(self.id) {
                self.leader = None;
            }
            let pause = cx.rng.range_inclusive(0, 100_000);
            cx.set_timer(ElectionTimer::Campaign, Duration(pause));
        }
    }
}
