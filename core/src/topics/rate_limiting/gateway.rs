//! Distributed limiting: gateways that share one global limit of `burst`
//! requests per window `W = burst · T`, and the central counter some of them
//! ask. Every gateway runs the three strategies on every request it gets, as
//! if three fleets saw the same traffic:
//!
//! - **central counter**: ask the counter (one process, like a Redis `INCR`
//!   on a key per window, as Stripe's limiters keep their buckets in Redis)
//!   and admit only on its yes, paying a round trip per request. When no
//!   answer comes within the timeout the gateway rejects (fails closed); with
//!   the `fail-open` bug it admits.
//! - **local limits**: each gateway admits `burst / gateways` (at least one)
//!   per window on its own: no messages, but a gateway that gets more than its
//!   share turns requests away while the others sit idle.
//! - **local + sync**: each gateway counts what it admits in the window and
//!   every sync period tells the others its running count; it admits while its
//!   own count plus the last counts it heard stay under the limit. Between two
//!   syncs every gateway spends the same remaining allowance.

use crate::ratelimit::FixedWindow;
use crate::sim::node::{Cx, Labelled};
use crate::sim::time::{Duration, NodeId, Time};
use crate::sim::view::{Cell, NodeSummary, Palette};

use super::message::{RateMessage, RateTimer, RequestId};
use super::process::{RateConfig, RateProcess, COUNTER};

/// The central counter: a fixed window of `burst` per `W`, by its own clock.
/// Its state is durable (a Redis with an append-only file): a restart does not
/// give the fleet a fresh window.
#[derive(Clone, Debug)]
pub struct CentralCounter {
    window: FixedWindow,
    granted: u64,
    refused: u64,
    /// Per window that saw an ask: (window, granted, refused), in order.
    windows: Vec<(u64, u32, u32)>,
}

impl CentralCounter {
    pub fn new(config: &RateConfig) -> Self {
        CentralCounter {
            window: FixedWindow::with_window(config.burst, config.window_us()),
            granted: 0,
            refused: 0,
            windows: Vec::new(),
        }
    }

    pub fn windows(&self) -> &[(u64, u32, u32)] {
        &self.windows
    }

    pub fn window_us(&self) -> u64 {
        self.window.window_us()
    }

    pub fn on_message(&mut self, from: NodeId, msg: RateMessage, cx: &mut Cx<RateProcess>) {
        let RateMessage::Ask { ticket } = msg else {
            cx.note(|| format!("the counter takes asks only; drops {}", msg.label()));
            return;
        };
        let at_us = cx.now().as_micros();
        let admitted = self.window.try_acquire(at_us);
        let (index, count) = self.window.count(at_us);
        match self.windows.last_mut() {
            Some((window, granted, refused)) if *window == index => {
                *granted += admitted as u32;
                *refused += !admitted as u32;
            }
            _ => self
                .windows
                .push((index, admitted as u32, !admitted as u32)),
        }
        if admitted {
            self.granted += 1;
        } else {
            self.refused += 1;
        }
        cx.note(|| {
            let verdict = if admitted {
                "yes"
            } else {
                "no: the window is full"
            };
            format!("window w{index} holds {count}; {from}'s t{ticket}: {verdict}")
        });
        cx.send(
            from,
            RateMessage::Answer {
                ticket,
                admitted,
                at_us,
            },
        );
    }

    pub fn summary(&self) -> NodeSummary {
        NodeSummary {
            role: "central counter",
            palette: Palette::Lead,
            badge: self.granted.to_string(),
            detail: format!("{} granted, {} refused", self.granted, self.refused),
        }
    }

    pub fn state_row(&self) -> Vec<Cell> {
        let last = self
            .windows
            .last()
            .map_or(String::new(), |(w, g, _)| format!("w{w}: {g} granted"));
        vec![
            Cell::Text(self.granted.to_string()),
            Cell::Text(self.refused.to_string()),
            Cell::Text(last),
        ]
    }
}

/// What the central counter strategy decided for a request, and when.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Central {
    /// Asked, no answer yet.
    Waiting,
    /// The counter said yes at this instant (its clock).
    Admitted(Time),
    /// The counter said no at this instant.
    Rejected(Time),
    /// No answer in time: rejected at this instant (fail closed).
    TimedOut(Time),
    /// No answer in time: admitted anyway (the `fail-open` bug).
    FailedOpen(Time),
    /// The gateway crashed while it waited.
    Lost,
}

impl Central {
    /// Whether it was admitted, and the instant the global limit counts it at.
    pub fn decided(self) -> Option<(bool, Time)> {
        match self {
            Central::Admitted(at) | Central::FailedOpen(at) => Some((true, at)),
            Central::Rejected(at) | Central::TimedOut(at) => Some((false, at)),
            Central::Waiting | Central::Lost => None,
        }
    }
}

/// A request as a gateway decided it under the three strategies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GatewayDecision {
    pub request: RequestId,
    pub arrived: Time,
    pub local: bool,
    pub synced: bool,
    pub central: Central,
}

/// One gateway.
#[derive(Clone, Debug)]
pub struct Gateway {
    id: NodeId,
    config: RateConfig,
    /// Local limits: this gateway's share per window (volatile).
    local: FixedWindow,
    /// Local + sync: this window's own count, and each gateway's last count
    /// heard as (window, count), indexed by gateway id (volatile).
    own: (u64, u32),
    heard: Vec<(u64, u32)>,
    /// Central: asks in flight as (ticket, index into `decisions`).
    pending: Vec<(u32, usize)>,
    next_ticket: u32,
    /// Every request it got, in order (the record of what was served).
    decisions: Vec<GatewayDecision>,
    /// Central decisions in the order they were made: (index into `decisions`).
    central_order: Vec<usize>,
}

impl Gateway {
    pub fn new(id: NodeId, config: RateConfig) -> Self {
        Gateway {
            id,
            config,
            local: FixedWindow::with_window(config.local_share(), config.window_us()),
            own: (0, 0),
            heard: vec![(0, 0); config.gateways as usize + 1],
            pending: Vec::new(),
            next_ticket: 0,
            decisions: Vec::new(),
            central_order: Vec::new(),
        }
    }

    pub fn decisions(&self) -> &[GatewayDecision] {
        &self.decisions
    }

    /// Indexes into [`Gateway::decisions`] of the central decisions, in the
    /// order they were made.
    pub fn central_order(&self) -> &[usize] {
        &self.central_order
    }

    pub fn on_start(&mut self, cx: &mut Cx<RateProcess>) {
        // Gateways sync at their own phase, not all at once.
        let period = self.config.sync_period.as_micros().max(1);
        let first = cx.rng.range_inclusive(1, period);
        cx.set_timer(RateTimer::Sync, Duration(first));
    }

    pub fn on_crash(&mut self) {
        // Counts and asks in flight live in memory; the decisions are the record.
        self.local = FixedWindow::with_window(self.config.local_share(), self.config.window_us());
        self.own = (0, 0);
        self.heard.iter_mut().for_each(|heard| *heard = (0, 0));
        for &(_, index) in &self.pending {
            self.decisions[index].central = Central::Lost;
        }
        self.pending.clear();
    }

    pub fn on_message(&mut self, from: NodeId, msg: RateMessage, cx: &mut Cx<RateProcess>) {
        match msg {
            RateMessage::Request { id } => self.on_request(id, cx),
            RateMessage::Answer {
                ticket,
                admitted,
                at_us,
            } if from == COUNTER => self.on_answer(ticket, admitted, Time(at_us), cx),
            RateMessage::Sync { window, count } => self.on_sync(from, window, count, cx),
            other => cx.note(|| format!("a gateway drops {} from {from}", other.label())),
        }
    }

    fn on_request(&mut self, request: RequestId, cx: &mut Cx<RateProcess>) {
        let now = cx.now();
        let t = now.as_micros();
        let local = self.local.try_acquire(t);
        let synced = self.try_synced(t);
        let ticket = self.next_ticket;
        self.next_ticket = self.next_ticket.wrapping_add(1);
        self.pending.push((ticket, self.decisions.len()));
        self.decisions.push(GatewayDecision {
            request,
            arrived: now,
            local,
            synced,
            central: Central::Waiting,
        });
        cx.send(COUNTER, RateMessage::Ask { ticket });
        cx.set_timer(RateTimer::AnswerTimeout(ticket), self.config.answer_timeout);
        let word = |admitted: bool| if admitted { "admits" } else { "rejects" };
        cx.note(|| {
            format!(
                "{request}: local limit {}, local + sync {}; asks the counter (t{ticket})",
                word(local),
                word(synced)
            )
        });
    }

    /// Local + sync: admit while the own count plus the counts heard for this
    /// window stay under the limit.
    fn try_synced(&mut self, t: u64) -> bool {
        let window = t / self.config.window_us();
        if self.own.0 != window {
            self.own = (window, 0);
        }
        let others: u32 = self
            .heard
            .iter()
            .enumerate()
            .filter(|&(gateway, &(heard_window, _))| {
                gateway != self.id.index() && heard_window == window
            })
            .map(|(_, &(_, count))| count)
            .sum();
        if self.own.1.saturating_add(others) < self.config.burst {
            self.own.1 += 1;
            true
        } else {
            false
        }
    }

    fn on_answer(&mut self, ticket: u32, admitted: bool, at: Time, cx: &mut Cx<RateProcess>) {
        let Some(slot) = self.pending.iter().position(|&(t, _)| t == ticket) else {
            cx.note(|| format!("an answer to t{ticket} that is no longer awaited: dropped"));
            return;
        };
        let (_, index) = self.pending.remove(slot);
        cx.cancel_timer(RateTimer::AnswerTimeout(ticket));
        let decision = &mut self.decisions[index];
        decision.central = if admitted {
            Central::Admitted(at)
        } else {
            Central::Rejected(at)
        };
        self.central_order.push(index);
        let request = decision.request;
        cx.note(|| {
            let verdict = if admitted { "admits" } else { "rejects" };
            format!("the counter's answer: central counter {verdict} {request}")
        });
    }

    fn on_sync(&mut self, from: NodeId, window: u64, count: u32, cx: &mut Cx<RateProcess>) {
        let Some(heard) = self.heard.get_mut(from.index()) else {
            cx.note(|| format!("a sync from {from}, who is no gateway: dropped"));
            return;
        };
        // Running counts: a newer window replaces, the same window keeps the max.
        if window > heard.0 || (window == heard.0 && count > heard.1) {
            *heard = (window, count);
        }
    }

    pub fn on_timer(&mut self, timer: RateTimer, cx: &mut Cx<RateProcess>) {
        match timer {
            RateTimer::Sync => {
                let window = cx.now().as_micros() / self.config.window_us();
                let count = if self.own.0 == window { self.own.1 } else { 0 };
                for gateway in self.config.gateway_ids() {
                    if gateway != self.id {
                        cx.send(gateway, RateMessage::Sync { window, count });
                    }
                }
                cx.set_timer(RateTimer::Sync, self.config.sync_period);
            }
            RateTimer::AnswerTimeout(ticket) => {
                let Some(slot) = self.pending.iter().position(|&(t, _)| t == ticket) else {
                    return;
                };
                let (_, index) = self.pending.remove(slot);
                let now = cx.now();
                let fail_open = self.config.fail_open;
                let decision = &mut self.decisions[index];
                decision.central = if fail_open {
                    Central::FailedOpen(now)
                } else {
                    Central::TimedOut(now)
                };
                self.central_order.push(index);
                let request = decision.request;
                cx.note(|| {
                    if fail_open {
                        format!("no answer for {request}: admitted anyway (fail open)")
                    } else {
                        format!("no answer for {request}: rejected (fail closed)")
                    }
                });
            }
            RateTimer::NextBurst | RateTimer::WorkDone(..) => {
                cx.note(|| format!("a gateway ignores timer {}", timer.label()))
            }
        }
    }

    fn tally(&self) -> [u32; 3] {
        let mut admitted = [0; 3];
        for decision in &self.decisions {
            admitted[0] += decision.central.decided().is_some_and(|(a, _)| a) as u32;
            admitted[1] += decision.local as u32;
            admitted[2] += decision.synced as u32;
        }
        admitted
    }

    pub fn summary(&self) -> NodeSummary {
        let [central, local, synced] = self.tally();
        NodeSummary {
            role: "gateway",
            palette: if self.pending.is_empty() {
                Palette::Plain
            } else {
                Palette::Contend
            },
            badge: self.decisions.len().to_string(),
            detail: format!(
                "{} requests; admitted: central {central}, local {local}, local + sync {synced}",
                self.decisions.len()
            ),
        }
    }

    pub fn state_row(&self) -> Vec<Cell> {
        let [central, local, synced] = self.tally();
        let total = self.decisions.len() as u32;
        vec![
            Cell::Text(format!("C {central} / L {local} / S {synced}")),
            Cell::Text(format!(
                "C {} / L {} / S {}",
                total - central - self.pending.len() as u32,
                total - local,
                total - synced
            )),
            Cell::Text(format!(
                "own w{}: {}; {} asks in flight",
                self.own.0,
                self.own.1,
                self.pending.len()
            )),
        ]
    }
}
