//! Lease-based leadership, after Gray and Cheriton, "Leases: An Efficient
//! Fault-Tolerant Mechanism for Distributed File Cache Consistency" (SOSP 1989),
//! with the lease granted by a majority of the nodes instead of one server (as
//! leader leases in Paxos and Raft systems do). Gray and Cheriton's §2: a lease
//! is a promise for a term, honoured by the grantor until the term runs out;
//! their §3.1 and §4: clocks need not agree, only run at nearly the same rate,
//! so the holder and the grantor each pad the term by the drift bound ε (the
//! holder stops early, the grantor promises late). A grantor keeps its
//! promise on stable storage, so a crash cannot make it forget one.
//!
//! Offsets do not matter here, by design: every sum is a duration measured on
//! one clock (a request's send time plus the term, a grant's time plus the
//! term), never one node's time read on another's clock.

use crate::sim::node::Cx;
use crate::sim::time::{Duration, Time};

use super::message::{name, Attempt, ElectionMessage, ElectionTimer};
use super::node::{ElectionNode, Lease, Promise, Request};

impl ElectionNode {
    /// A start. A cold start campaigns after a short random delay. A restart
    /// still has its promise (kept on stable storage: Gray and Cheriton §2's
    /// alternative to waiting a whole term after a crash), so it campaigns only
    /// once that is over.
    pub(super) fn lease_start(&mut self, recovering: bool, cx: &mut Cx<Self>) {
        let delay = cx.rng.range_inclusive(20_000, 200_000);
        let wait = match self.promise.filter(|_| recovering) {
            Some(promise) if cx.now() < promise.until => promise.until.since(cx.now()),
            _ => Duration::ZERO,
        };
        cx.set_timer(ElectionTimer::Campaign, Duration(wait.as_micros() + delay));
    }

    /// The pause before asking for a lease once nothing stops me: higher ids
    /// ask first (25 ms apart, with a little jitter), so candidates seldom
    /// split the grantors between them, as Raft's randomised timeouts avoid
    /// split votes.
    fn campaign_pause(&self, cx: &mut Cx<Self>) -> u64 {
        let rank = (self.config.nodes as u64).saturating_sub(1 + self.id as u64);
        rank * 25_000 + cx.rng.range_inclusive(0, 10_000)
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
            Duration(
                timing.lease.as_micros()
                    - timing.drift_bound.as_micros().min(timing.lease.as_micros()),
            )
        }
    }

    fn promised_elsewhere(&self, now: Time) -> Option<Promise> {
        self.promise.filter(|p| p.to != self.id && now < p.until)
    }

    /// Gray and Cheriton §2, acquiring: ask every node for a lease; count my
    /// own promise first. Not while I have promised another node.
    pub(super) fn lease_request(&mut self, cx: &mut Cx<Self>) {
        let now = cx.now();
        if let Some(promise) = self.promised_elsewhere(now) {
            cx.note(|| {
                format!(
                    "cannot ask for a lease: I promised {} until {}",
                    name(promise.to),
                    promise.until
                )
            });
            return;
        }
        self.attempts += 1;
        let attempt = self.attempts;
        self.promise = Some(Promise {
            to: self.id,
            attempt,
            until: now + self.promise_term(),
        });
        self.request = Some(Request {
            attempt,
            sent_at: now,
            grants: 1u64 << self.id,
            refusals: [0; 4],
            refused: 0,
        });
        for peer in 0..self.config.nodes as u32 {
            if peer != self.id {
                self.send(cx, peer, ElectionMessage::RequestLease { attempt });
            }
        }
        cx.set_timer(
            ElectionTimer::GrantWait { attempt },
            self.config.timing.grant_wait,
        );
        self.lease_count_grants(cx);
    }

    /// Gray and Cheriton §2, granting: promise the requester not to grant
    /// anyone else a lease for a term (plus ε, Gray and Cheriton §3.1), unless
    /// I already promised someone else.
    pub(super) fn lease_on_request(&mut self, from: u32, attempt: Attempt, cx: &mut Cx<Self>) {
        let now = cx.now();
        // A candidate yields to a higher one (no lease of mine depends on my
        // promise yet): it gives its own attempt up, as if it had failed, and
        // grants. Candidates that split the grantors would both fail.
        if let Some(request) = self
            .request
            .filter(|_| self.lease.is_none() && from > self.id)
        {
            cx.note(|| {
                format!(
                    "{} outranks me: giving up my attempt #{} for it",
                    name(from),
                    request.attempt
                )
            });
            self.request = None;
            cx.cancel_timer(ElectionTimer::GrantWait {
                attempt: request.attempt,
            });
            self.lease_give_up(request, cx);
        }
        if let Some(promise) = self.promise.filter(|p| p.to != from && now < p.until) {
            cx.note(|| {
                format!(
                    "refusing {}: I promised {} until {}",
                    name(from),
                    name(promise.to),
                    promise.until
                )
            });
            let remaining = promise.until.since(now).as_micros();
            return self.send(cx, from, ElectionMessage::Refuse { attempt, remaining });
        }
        let until = now + self.promise_term();
        self.promise = Some(Promise {
            to: from,
            attempt,
            until,
        });
        self.leader = Some(from);
        self.send(cx, from, ElectionMessage::Grant { attempt });
        // Campaign only once the promise is over (plus a random pause, so
        // grantors do not all ask at once).
        let pause = self.campaign_pause(cx);
        cx.set_timer(
            ElectionTimer::Campaign,
            Duration(until.since(now).as_micros() + pause),
        );
    }

    pub(super) fn lease_on_grant(&mut self, from: u32, attempt: Attempt, cx: &mut Cx<Self>) {
        match self.request.as_mut() {
            Some(request) if request.attempt == attempt => {
                request.grants |= 1u64 << from;
                self.lease_count_grants(cx);
            }
            _ => cx.note(|| {
                format!(
                    "grant #{attempt} from {} answers no open request",
                    name(from)
                )
            }),
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
            return self.lease_give_up(request, cx);
        }
        let renewal = self.lease.is_some();
        self.lease = Some(Lease {
            attempt: request.attempt,
            until,
        });
        self.leader = Some(self.id);
        cx.note(|| {
            let verb = if renewal { "renewed" } else { "holds" };
            format!(
                "{verb} the lease (#{}) until {until} by its own clock",
                request.attempt
            )
        });
        cx.set_timer(ElectionTimer::LeaseEnd, until.since(now));
        // Renew halfway through the term, so a lost round leaves time for more.
        let renew_at = request.sent_at + Duration(self.config.timing.lease.as_micros() / 2);
        cx.set_timer(ElectionTimer::Renew, renew_at.since(now));
    }

    pub(super) fn lease_on_grant_wait(&mut self, attempt: Attempt, cx: &mut Cx<Self>) {
        if self
            .request
            .is_none_or(|request| request.attempt != attempt)
        {
            return;
        }
        let Some(request) = self.request.take() else {
            return;
        };
        cx.note(|| format!("attempt #{attempt} did not gather a majority in time"));
        self.lease_give_up(request, cx);
    }

    /// A failed attempt. A candidate (not a holder renewing) will never hold a
    /// lease through it, since it ignores its late grants: it frees its own
    /// promise and asks its grantors to free theirs, so a failed candidate does
    /// not block everyone for a whole term. A holder keeps every promise: they
    /// protect the lease it still holds. Then try again later.
    fn lease_give_up(&mut self, request: Request, cx: &mut Cx<Self>) {
        if self.lease.is_none() {
            if self
                .promise
                .is_some_and(|p| p.to == self.id && p.attempt == request.attempt)
            {
                self.promise = None;
            }
            for peer in 0..self.config.nodes as u32 {
                if peer != self.id && request.grants & (1u64 << peer) != 0 {
                    let attempt = request.attempt;
                    self.send(cx, peer, ElectionMessage::Release { attempt });
                }
            }
        }
        if self.lease.is_some() {
            cx.set_timer(ElectionTimer::Renew, Duration::from_millis(30));
            return;
        }
        // Ask again when enough promises are free for a majority, by the
        // refusers' own accounts (their clocks' durations, close enough to
        // plan by), or after a short random pause.
        let needed = self
            .config
            .majority()
            .saturating_sub(request.grants.count_ones() as usize);
        let mut known = request.refusals;
        let known = &mut known[..request.refused];
        known.sort_unstable();
        let wait = match needed.checked_sub(1).and_then(|k| known.get(k)) {
            Some(&remaining) => remaining,
            None => 0,
        };
        let pause = self.campaign_pause(cx);
        cx.set_timer(ElectionTimer::Campaign, Duration(wait + pause));
    }

    pub(super) fn lease_on_refuse(&mut self, attempt: Attempt, remaining: u64, cx: &mut Cx<Self>) {
        match self.request.as_mut() {
            Some(request) if request.attempt == attempt => {
                if request.refused < request.refusals.len() {
                    request.refusals[request.refused] = remaining;
                    request.refused += 1;
                }
            }
            _ => cx.note(|| format!("refusal of #{attempt} answers no open request")),
        }
    }

    /// A failed candidate frees my promise to it, if that promise answered the
    /// failed attempt (a later one may still become a lease).
    pub(super) fn lease_on_release(&mut self, from: u32, attempt: Attempt, cx: &mut Cx<Self>) {
        if self
            .promise
            .is_some_and(|p| p.to == from && p.attempt == attempt)
        {
            cx.note(|| {
                format!(
                    "{}'s attempt #{attempt} failed: my promise is free",
                    name(from)
                )
            });
            self.promise = None;
            if self.leader == Some(from) {
                self.leader = None;
            }
            let pause = self.campaign_pause(cx);
            cx.set_timer(ElectionTimer::Campaign, Duration(pause));
        } else {
            cx.note(|| {
                format!(
                    "release #{attempt} from {} matches no promise of mine",
                    name(from)
                )
            });
        }
    }

    /// Ask for a lease when nobody holds my promise (else wait for it to end).
    pub(super) fn lease_on_campaign(&mut self, cx: &mut Cx<Self>) {
        let now = cx.now();
        if self.lease.is_some() || self.request.is_some() {
            return;
        }
        if let Some(promise) = self.promised_elsewhere(now) {
            let pause = self.campaign_pause(cx);
            cx.set_timer(
                ElectionTimer::Campaign,
                Duration(promise.until.since(now).as_micros() + pause),
            );
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
        if let Some(lease) = self.lease.filter(|lease| now < lease.until) {
            // The simulator rounds a timer's real span down, so it may fire a
            // microsecond early by this clock: wait out the rest (at least 10 us,
            // which no allowed drift rounds down to nothing).
            let rest = Duration(lease.until.since(now).as_micros().max(10));
            return cx.set_timer(ElectionTimer::LeaseEnd, rest);
        }
        if let Some(lease) = self.lease {
            cx.note(|| format!("lease #{} is over", lease.attempt));
            self.lease = None;
            if self.leader == Some(self.id) {
                self.leader = None;
            }
            let pause = self.campaign_pause(cx);
            cx.set_timer(ElectionTimer::Campaign, Duration(pause));
        }
    }
}
