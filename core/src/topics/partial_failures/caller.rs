//! The calling half of a tier (and of the client): for each call it makes
//! downstream, it sends attempts with a timeout each, retries failed ones
//! after a backoff ([`super::policy`]) while the budget and the deadline
//! allow, hedges the first attempt after the observed p95 and cancels the
//! loser, and hands the owner a [`Finished`] call to answer upstream.
//!
//! Like the services of [`crate::traffic`], it is a component, not a node:
//! the owner feeds it replies and timers and it sends through the owner's
//! `cx`. One per chain per process.

use crate::sim::node::Cx;
use crate::sim::time::{Duration, NodeId, Time};
use crate::traffic::request::{RequestId, RequestIds, TraceContext};
use crate::traffic::sketch::LatencySketch;

use super::message::{CallId, Chain, PartialMessage, PartialTimer, Reply};
use super::policy::{RetryBudget, RetryPolicy};
use super::process::PartialProcess;

/// Answers observed before the p95 is trusted for hedging.
pub const HEDGE_MIN_SAMPLES: u64 = 20;

/// One attempt on its way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attempt {
    pub id: RequestId,
    pub sent_at: Time,
}

/// A call in progress.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    pub id: CallId,
    /// What the owner answers when it is done: the upstream attempt (or the
    /// client's request).
    pub origin: RequestId,
    pub started_at: Time,
    /// The deadline the upstream propagated, if any.
    pub deadline: Option<Time>,
    /// When the client stops waiting (`None` at the client, where each
    /// attempt is its own root).
    pub root_deadline: Option<Time>,
    pub trace: TraceContext,
    /// Attempts sent, the first included, hedges not.
    pub attempts: u32,
    /// At most two: the attempt and its hedge.
    pub in_flight: Vec<Attempt>,
    pub hedged: bool,
}

/// A call that ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Finished {
    pub origin: RequestId,
    pub started_at: Time,
    pub ok: bool,
    pub attempts: u32,
}

/// Counts since the process was made (kept across crashes, for the checker
/// and the views).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CallerStats {
    pub firsts: u64,
    pub retries: u64,
    pub hedges: u64,
    pub timeouts: u64,
    pub ok: u64,
    pub failed: u64,
    /// Retries the budget refused.
    pub budget_refused: u64,
    /// Calls given up because the propagated deadline passed.
    pub deadline_gave_up: u64,
    /// Crashes survived: the budget window restarts with each.
    pub incarnation: u64,
}

#[derive(Clone, Debug)]
pub struct Caller {
    chain: Chain,
    downstream: NodeId,
    policy: RetryPolicy,
    calls: Vec<Call>,
    next_call: u64,
    attempt_ids: RequestIds,
    budget: RetryBudget,
    /// Latency of successful attempts, for the hedging threshold.
    latency: LatencySketch,
    stats: CallerStats,
}

impl Caller {
    pub fn new(chain: Chain, downstream: NodeId, policy: RetryPolicy) -> Self {
        Caller {
            chain,
            downstream,
            policy,
            calls: Vec::new(),
            next_call: 0,
            attempt_ids: RequestIds::default(),
            budget: RetryBudget::default(),
            latency: LatencySketch::default(),
            stats: CallerStats::default(),
        }
    }

    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }

    pub fn stats(&self) -> CallerStats {
        self.stats
    }

    pub fn calls(&self) -> &[Call] {
        &self.calls
    }

    pub fn budget(&self) -> RetryBudget {
        self.budget
    }

    /// For the checker's tests: claim a budget without keeping one.
    #[cfg(test)]
    pub fn claim_budget(&mut self) {
        self.policy.budget = true;
    }

    /// The hedging delay: the observed p95 of successful attempts, once
    /// there are enough of them.
    pub fn hedge_delay(&self) -> Option<Duration> {
        if self.latency.count() < HEDGE_MIN_SAMPLES {
            return None;
        }
        let ms = self.latency.quantile(0.95)?;
        Some(Duration((ms * 1_000.0).max(1_000.0) as u64))
    }

    /// Volatile: the calls in progress and the budget window.
    pub fn on_crash(&mut self) {
        self.calls.clear();
        self.budget = RetryBudget::default();
        self.stats.incarnation += 1;
    }

    /// Starts a call for `origin` and sends its first attempt.
    pub fn start(
        &mut self,
        origin: RequestId,
        deadline: Option<Time>,
        root_deadline: Option<Time>,
        trace: TraceContext,
        cx: &mut Cx<PartialProcess>,
    ) {
        self.next_call += 1;
        let now = cx.now();
        self.calls.push(Call {
            id: CallId(self.next_call),
            origin,
            started_at: now,
            deadline: if self.policy.deadlines {
                deadline
            } else {
                None
            },
            root_deadline,
            trace,
            attempts: 1,
            in_flight: Vec::new(),
            hedged: false,
        });
        self.stats.firsts += 1;
        self.budget.on_first(now);
        let at = self.calls.len() - 1;
        self.send_attempt(at, cx);
        if self.policy.hedging {
            // Dean & Barroso: "defer sending a secondary request until the
            // first request has been outstanding for more than the
            // 95th-percentile expected latency".
            if let Some(delay) = self.hedge_delay() {
                let id = self.calls[at].id;
                cx.set_timer(PartialTimer::Hedge(self.chain, id), delay);
            }
        }
    }

    /// Sends a new attempt of call `at` (a first attempt, a retry or a hedge).
    fn send_attempt(&mut self, at: usize, cx: &mut Cx<PartialProcess>) {
        let now = cx.now();
        let id = self.attempt_ids.next_id();
        let call = &mut self.calls[at];
        let mut expires = now.after(self.policy.timeout);
        if let Some(deadline) = call.deadline {
            // gRPC: a call's deadline is the earlier of its own timeout and
            // the one it inherited.
            expires = expires.min(deadline);
        }
        let root_deadline = call.root_deadline.unwrap_or(expires);
        let deadline = (self.policy.deadlines && !self.policy.deadline_dropped).then_some(expires);
        call.in_flight.push(Attempt { id, sent_at: now });
        let trace = call.trace.child(id.0);
        cx.send(
            self.downstream,
            PartialMessage::Request {
                chain: self.chain,
                attempt: id,
                deadline,
                root_deadline,
                trace,
            },
        );
        cx.set_timer(
            PartialTimer::AttemptTimeout(self.chain, id),
            expires.since(now),
        );
    }

    fn find_attempt(&self, id: RequestId) -> Option<(usize, usize)> {
        self.calls.iter().enumerate().find_map(|(at, call)| {
            call.in_flight
                .iter()
                .position(|a| a.id == id)
                .map(|slot| (at, slot))
        })
    }

    fn find_call(&self, id: CallId) -> Option<usize> {
        self.calls.iter().position(|c| c.id == id)
    }

    /// The downstream answered attempt `id`.
    pub fn on_reply(
        &mut self,
        id: RequestId,
        reply: Reply,
        cx: &mut Cx<PartialProcess>,
    ) -> Option<Finished> {
        let Some((at, slot)) = self.find_attempt(id) else {
            cx.note(|| format!("late or duplicate reply to a{}: dropped", id.0));
            return None;
        };
        cx.cancel_timer(PartialTimer::AttemptTimeout(self.chain, id));
        let attempt = self.calls[at].in_flight.swap_remove(slot);
        if reply == Reply::Ok {
            self.latency
                .record_duration(cx.now().since(attempt.sent_at));
            // "The client cancels remaining outstanding requests" once one
            // copy answers (The Tail at Scale, hedged requests).
            for loser in std::mem::take(&mut self.calls[at].in_flight) {
                cx.cancel_timer(PartialTimer::AttemptTimeout(self.chain, loser.id));
                cx.send(
                    self.downstream,
                    PartialMessage::Cancel {
                        chain: self.chain,
                        attempt: loser.id,
                    },
                );
            }
            self.stats.ok += 1;
            return Some(self.finish(at, true, cx));
        }
        self.after_failure(at, cx)
    }

    /// Attempt `id` timed out.
    pub fn on_timeout(&mut self, id: RequestId, cx: &mut Cx<PartialProcess>) -> Option<Finished> {
        let (at, slot) = self.find_attempt(id)?;
        self.stats.timeouts += 1;
        self.calls[at].in_flight.swap_remove(slot);
        cx.note(|| format!("a{} timed out", id.0));
        self.after_failure(at, cx)
    }

    /// The downstream restarted: every attempt in flight to it is lost.
    /// Returns the calls that ended for it (out of attempts or past their
    /// deadline); the others retry.
    pub fn on_go_away(&mut self, cx: &mut Cx<PartialProcess>) -> Vec<Finished> {
        let lost: usize = self.calls.iter().map(|c| c.in_flight.len()).sum();
        let chain = self.chain;
        cx.note(|| {
            format!(
                "{lost} {} attempts in flight failed at once",
                chain.as_str()
            )
        });
        let mut finished = Vec::new();
        let mut at = 0;
        while at < self.calls.len() {
            let lost = std::mem::take(&mut self.calls[at].in_flight);
            if lost.is_empty() {
                at += 1;
                continue;
            }
            for attempt in &lost {
                cx.cancel_timer(PartialTimer::AttemptTimeout(self.chain, attempt.id));
            }
            let before = self.calls.len();
            if let Some(done) = self.after_failure(at, cx) {
                finished.push(done);
            }
            // A finished call was swap-removed: look at the same slot again.
            if self.calls.len() == before {
                at += 1;
            }
        }
        finished
    }

    /// An attempt of call `at` failed: wait for its hedge if one is out,
    /// otherwise retry after a backoff or give up.
    fn after_failure(&mut self, at: usize, cx: &mut Cx<PartialProcess>) -> Option<Finished> {
        let call = &self.calls[at];
        if !call.in_flight.is_empty() {
            return None;
        }
        if call.attempts >= self.policy.attempts {
            self.stats.failed += 1;
            return Some(self.finish(at, false, cx));
        }
        if self.deadline_passed(at, cx.now()) {
            self.stats.deadline_gave_up += 1;
            self.stats.failed += 1;
            cx.note(|| "the deadline has passed: no retry".to_string());
            return Some(self.finish(at, false, cx));
        }
        let backoff = self.policy.backoff(call.attempts, cx.rng);
        let id = call.id;
        cx.note(|| format!("retries call {} in {backoff}", id.0));
        cx.set_timer(PartialTimer::Retry(self.chain, id), backoff);
        None
    }

    fn deadline_passed(&self, at: usize, now: Time) -> bool {
        self.calls[at].deadline.is_some_and(|d| now >= d)
    }

    /// The backoff of call `id` is over: retry if the deadline and the
    /// budget allow.
    pub fn on_retry(&mut self, id: CallId, cx: &mut Cx<PartialProcess>) -> Option<Finished> {
        let at = self.find_call(id)?;
        let now = cx.now();
        if self.deadline_passed(at, now) {
            self.stats.deadline_gave_up += 1;
            self.stats.failed += 1;
            cx.note(|| "the deadline passed while backing off: no retry".to_string());
            return Some(self.finish(at, false, cx));
        }
        // AWS: a token bucket (here a per-second budget) caps retries at a
        // share of the calls, so a failing downstream sees little extra load.
        if self.policy.budget && !self.budget.try_retry(now) {
            self.stats.budget_refused += 1;
            self.stats.failed += 1;
            cx.note(|| "retry budget spent: gives up".to_string());
            return Some(self.finish(at, false, cx));
        }
        self.stats.retries += 1;
        self.calls[at].attempts += 1;
        self.send_attempt(at, cx);
        None
    }

    /// Call `id` waited the p95: send a second copy of its first attempt.
    pub fn on_hedge(&mut self, id: CallId, cx: &mut Cx<PartialProcess>) {
        let Some(at) = self.find_call(id) else {
            return;
        };
        let call = &self.calls[at];
        if call.hedged || call.attempts != 1 || call.in_flight.len() != 1 {
            return;
        }
        if self.deadline_passed(at, cx.now()) {
            return;
        }
        self.calls[at].hedged = true;
        self.stats.hedges += 1;
        cx.note(|| format!("call {} outstanding past the p95: hedges it", id.0));
        self.send_attempt(at, cx);
    }

    fn finish(&mut self, at: usize, ok: bool, cx: &mut Cx<PartialProcess>) -> Finished {
        let call = self.calls.swap_remove(at);
        cx.cancel_timer(PartialTimer::Hedge(self.chain, call.id));
        Finished {
            origin: call.origin,
            started_at: call.started_at,
            ok,
            attempts: call.attempts,
        }
    }
}
