//! A caller service: it takes the client's requests and calls the downstream
//! for each, with a timeout per attempt and retries with capped exponential
//! backoff and full jitter (AWS Builders' Library, "Timeouts, retries, and
//! backoff with jitter"). One caller also has a circuit breaker
//! ([`super::breaker`]) in front of every attempt, retries included; the
//! other has none, which is the comparison the topic draws.

use crate::sim::node::{Cx, Labelled};
use crate::sim::time::{Duration, NodeId};
use crate::sim::view::{Cell, NodeSummary, Palette};
use crate::traffic::request::{Request, RequestId, RequestIds, TraceContext};

use super::breaker::{Breaker, BreakerConfig, Change, Permit, State};
use super::message::{BreakerMessage, BreakerTimer, Chain, Reply, Verdict, CLIENT, DOWNSTREAM};
use super::process::BreakerProcess;

/// How a caller behaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallerConfig {
    /// How long an attempt may take before it counts as failed.
    pub attempt_timeout: Duration,
    /// Attempts per request, the first included.
    pub attempts: u32,
    /// The first backoff's cap; each further one doubles, up to `backoff_cap`.
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
    /// The breaker, for the caller that has one.
    pub breaker: Option<BreakerConfig>,
    /// The `retries-bypass-breaker` bug: retries go to the downstream without
    /// asking the breaker.
    pub retries_bypass_breaker: bool,
}

/// An attempt on its way to the downstream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attempt {
    pub id: RequestId,
    /// What the breaker let it through as (`None` without a breaker or when
    /// a bug bypassed it).
    pub permit: Option<Permit>,
}

/// A client request the caller is working on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Call {
    /// The client's request.
    pub request: Request,
    pub attempts: u32,
    /// The attempt in flight, if any (none while backing off).
    pub in_flight: Option<Attempt>,
}

/// Counts for the view and the checker (kept across crashes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CallerStats {
    /// Attempts sent to the downstream.
    pub attempts_sent: u64,
    pub retries: u64,
    pub timeouts: u64,
    pub rejected_fast: u64,
    pub ok: u64,
    pub failed: u64,
}

#[derive(Clone, Debug)]
pub struct Caller {
    chain: Chain,
    config: CallerConfig,
    breaker: Option<Breaker>,
    calls: Vec<Call>,
    attempt_ids: RequestIds,
    stats: CallerStats,
}

impl Caller {
    pub fn new(chain: Chain, config: CallerConfig) -> Self {
        Caller {
            chain,
            config,
            breaker: config.breaker.map(Breaker::new),
            calls: Vec::new(),
            attempt_ids: RequestIds::default(),
            stats: CallerStats::default(),
        }
    }

    pub fn chain(&self) -> Chain {
        self.chain
    }

    pub fn breaker(&self) -> Option<&Breaker> {
        self.breaker.as_ref()
    }

    pub fn calls(&self) -> &[Call] {
        &self.calls
    }

    pub fn stats(&self) -> CallerStats {
        self.stats
    }

    pub fn config(&self) -> &CallerConfig {
        &self.config
    }

    pub fn on_start(&mut self, _cx: &mut Cx<BreakerProcess>) {}

    /// Volatile: the calls in progress and the breaker's state (a restarted
    /// caller starts closed with an empty window, as an in-memory breaker does).
    pub fn on_crash(&mut self) {
        self.calls.clear();
        if let Some(breaker) = &mut self.breaker {
            breaker.reset();
        }
    }

    pub fn on_message(&mut self, from: NodeId, msg: BreakerMessage, cx: &mut Cx<BreakerProcess>) {
        match msg {
            BreakerMessage::Call(request) if from == CLIENT => self.on_call(request, cx),
            BreakerMessage::Result { id, reply } if from == DOWNSTREAM => {
                self.on_result(id, reply, cx)
            }
            other => {
                cx.note(|| format!("drops {} from {from}: not for a caller", other_kind(&other)))
            }
        }
    }

    pub fn on_timer(&mut self, timer: BreakerTimer, cx: &mut Cx<BreakerProcess>) {
        match timer {
            BreakerTimer::AttemptTimeout(id) => {
                let Some(at) = self.find_attempt(id) else {
                    return;
                };
                self.stats.timeouts += 1;
                cx.note(|| format!("attempt a{} timed out", id.0));
                self.attempt_failed(at, cx);
            }
            BreakerTimer::Retry(id) => {
                let Some(at) = self.calls.iter().position(|c| c.request.id == id) else {
                    return;
                };
                self.stats.retries += 1;
                self.try_attempt(at, true, cx);
            }
            BreakerTimer::CoolDown(opening) => {
                if let Some(breaker) = &mut self.breaker {
                    if breaker.on_cool_down(opening) {
                        let probes = breaker.config().probes;
                        cx.note(|| {
                            format!("cool-down over: half-open, letting {probes} probe(s) through")
                        });
                    }
                }
            }
            other => cx.note(|| format!("ignores timer {}", other.label())),
        }
    }

    /// A client request arrives: a network duplicate of one in progress is
    /// dropped; otherwise its first attempt.
    fn on_call(&mut self, request: Request, cx: &mut Cx<BreakerProcess>) {
        if self.calls.iter().any(|c| c.request.id == request.id) {
            cx.note(|| format!("{} is already in progress: duplicate dropped", request.id));
            return;
        }
        self.calls.push(Call {
            request,
            attempts: 0,
            in_flight: None,
        });
        self.try_attempt(self.calls.len() - 1, false, cx);
    }

    /// Asks the breaker (if any), then sends an attempt of call `at`.
    fn try_attempt(&mut self, at: usize, retry: bool, cx: &mut Cx<BreakerProcess>) {
        let bypass = retry && self.config.retries_bypass_breaker;
        let permit = match &mut self.breaker {
            Some(breaker) if !bypass => match breaker.acquire() {
                Some(permit) => Some(permit),
                None => {
                    // Nygard: an open breaker fails the call at once; AWS:
                    // retrying into an open breaker only adds load.
                    let state = breaker.state().name();
                    let id = self.calls[at].request.id;
                    cx.note(|| format!("breaker {state}: fails {id} fast"));
                    self.stats.rejected_fast += 1;
                    self.finish(at, Verdict::Rejected, cx);
                    return;
                }
            },
            _ => None,
        };
        let id = self.attempt_ids.next_id();
        let now = cx.now();
        let call = &mut self.calls[at];
        call.attempts += 1;
        call.in_flight = Some(Attempt { id, permit });
        let trace = TraceContext::child(call.request.trace, id.0);
        let attempt = Request::new(id, now, Some(self.config.attempt_timeout), trace);
        self.stats.attempts_sent += 1;
        let probe = permit.is_some_and(|p| p.probe);
        cx.send(
            DOWNSTREAM,
            BreakerMessage::Attempt {
                request: attempt,
                probe,
            },
        );
        cx.set_timer(
            BreakerTimer::AttemptTimeout(id),
            self.config.attempt_timeout,
        );
    }

    fn on_result(&mut self, id: RequestId, reply: Reply, cx: &mut Cx<BreakerProcess>) {
        let Some(at) = self.find_attempt(id) else {
            cx.note(|| format!("late or duplicate result of a{}: dropped", id.0));
            return;
        };
        cx.cancel_timer(BreakerTimer::AttemptTimeout(id));
        if reply == Reply::Ok {
            self.report(at, true, cx);
            self.stats.ok += 1;
            self.finish(at, Verdict::Ok, cx);
        } else {
            self.attempt_failed(at, cx);
        }
    }

    /// Attempt of call `at` failed: tell the breaker, then retry after a
    /// backoff or give up.
    fn attempt_failed(&mut self, at: usize, cx: &mut Cx<BreakerProcess>) {
        self.report(at, false, cx);
        let call = &mut self.calls[at];
        call.in_flight = None;
        if call.attempts >= self.config.attempts {
            self.stats.failed += 1;
            self.finish(at, Verdict::Failed, cx);
            return;
        }
        // AWS "full jitter": sleep a uniform time in [0, min(cap, base * 2^n)).
        let ceiling = self
            .config
            .backoff_base
            .as_micros()
            .saturating_mul(1 << (call.attempts - 1).min(20))
            .min(self.config.backoff_cap.as_micros());
        let backoff = Duration(cx.rng.below(ceiling.max(1)));
        let id = call.request.id;
        cx.note(|| format!("retries {id} in {backoff}"));
        cx.set_timer(BreakerTimer::Retry(id), backoff);
    }

    /// Reports the outcome of call `at`'s attempt in flight to the breaker.
    fn report(&mut self, at: usize, ok: bool, cx: &mut Cx<BreakerProcess>) {
        let (Some(breaker), Some(permit)) = (
            &mut self.breaker,
            self.calls[at].in_flight.and_then(|a| a.permit),
        ) else {
            return;
        };
        let now = cx.now();
        match breaker.on_result(now, permit, ok) {
            Some(Change::Tripped { failed, calls }) => {
                let cool_down = breaker.config().cool_down;
                cx.note(|| format!("{failed} of the last {calls} calls failed: the breaker trips open for {cool_down}"));
                cx.set_timer(BreakerTimer::CoolDown(breaker.openings()), cool_down);
            }
            Some(Change::Reopened) => {
                let cool_down = breaker.config().cool_down;
                cx.note(|| format!("a probe failed: the breaker opens again for {cool_down}"));
                cx.set_timer(BreakerTimer::CoolDown(breaker.openings()), cool_down);
            }
            Some(Change::Closed) => {
                cx.note(|| "every probe succeeded: the breaker closes".to_string());
            }
            None => {}
        }
    }

    /// Answers the client and forgets call `at`.
    fn finish(&mut self, at: usize, verdict: Verdict, cx: &mut Cx<BreakerProcess>) {
        let call = self.calls.swap_remove(at);
        if let Some(attempt) = call.in_flight {
            cx.cancel_timer(BreakerTimer::AttemptTimeout(attempt.id));
        }
        cx.send(
            CLIENT,
            BreakerMessage::Answer {
                id: call.request.id,
                sent_at: call.request.sent_at,
                verdict,
                attempts: call.attempts,
            },
        );
    }

    fn find_attempt(&self, id: RequestId) -> Option<usize> {
        self.calls
            .iter()
            .position(|c| c.in_flight.is_some_and(|a| a.id == id))
    }

    /// Trial calls of the current half-open state still in flight, counted
    /// from the calls themselves.
    pub fn probes_in_flight(&self) -> u32 {
        let Some(breaker) = &self.breaker else {
            return 0;
        };
        let epoch = breaker.epoch();
        self.calls
            .iter()
            .filter_map(|c| c.in_flight?.permit)
            .filter(|p| p.probe && p.epoch == epoch)
            .count() as u32
    }

    pub fn summary(&self) -> NodeSummary {
        let (role, palette) = match self.breaker.as_ref().map(Breaker::state) {
            None => ("caller, retries only", Palette::Plain),
            Some(State::Closed) => ("breaker closed", Palette::Done),
            Some(State::Open { .. }) => ("breaker open", Palette::Faulty),
            Some(State::HalfOpen { .. }) => ("breaker half-open", Palette::Contend),
        };
        NodeSummary {
            role,
            palette,
            badge: format!("{}", self.calls.len()),
            detail: format!(
                "caller {}: {} calls in progress, {} attempts sent, {} retries, {} rejected fast",
                self.chain.as_str(),
                self.calls.len(),
                self.stats.attempts_sent,
                self.stats.retries,
                self.stats.rejected_fast
            ),
        }
    }

    pub fn state_row(&self) -> Vec<Cell> {
        let (breaker, window) = match &self.breaker {
            None => ("none: retries only".to_string(), "-".to_string()),
            Some(breaker) => {
                let config = breaker.config();
                let state = match breaker.state() {
                    State::Closed => "closed".to_string(),
                    State::Open { since } => format!("open since {since}"),
                    State::HalfOpen {
                        admitted,
                        succeeded,
                    } => format!(
                        "half-open: {admitted}/{} probes sent, {succeeded} succeeded",
                        config.probes
                    ),
                };
                let marks: String = breaker
                    .window()
                    .outcomes()
                    .map(|ok| if ok { '✓' } else { '✗' })
                    .collect();
                let (failed, calls) = breaker.window().failures();
                let rate = (failed * 100).checked_div(calls).unwrap_or(0);
                (
                    format!("{state}; opened {} times", breaker.openings()),
                    format!(
                        "{} {marks} {failed}/{calls} failed = {rate}% (trips at {}%, {} calls min)",
                        config.window, config.threshold_percent, config.minimum_calls
                    ),
                )
            }
        };
        let stats = self.stats;
        vec![
            Cell::Text(breaker),
            Cell::Text(window),
            Cell::Text(format!(
                "{} calls, {} attempts, {} probes",
                self.calls.len(),
                self.calls.iter().filter(|c| c.in_flight.is_some()).count(),
                self.probes_in_flight()
            )),
            Cell::Text(format!(
                "{} attempts sent ({} retries, {} timeouts); {} ok, {} failed, {} rejected fast",
                stats.attempts_sent,
                stats.retries,
                stats.timeouts,
                stats.ok,
                stats.failed,
                stats.rejected_fast
            )),
        ]
    }
}

fn other_kind(msg: &BreakerMessage) -> &'static str {
    msg.kind()
}
