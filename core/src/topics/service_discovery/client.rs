//! A client of the service, as a process of its own: it makes requests (its
//! own workload at `rate`, and the page's button) and either picks the
//! instance itself from its cached endpoint list (client-side balancing, as
//! Netflix's Ribbon over the Eureka client's cache) or sends every request to
//! the load balancer (server-side balancing).
//!
//! It measures what the charts show: each request's latency, and each failure
//! by kind (no reply in time, refused by an instance out of service, no
//! endpoint known).

use crate::sim::node::Cx;
use crate::sim::time::{Duration, NodeId, Time};
use crate::sim::view::{Cell, NodeSummary, Palette};

use super::balancer::Chooser;
use super::message::{DiscoveryMessage, DiscoveryTimer, Policy, RequestId};
use super::process::{ignore, DiscoveryConfig, DiscoveryProcess};

/// How the requests of a client ended.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Outcomes {
    pub ok: u64,
    pub timed_out: u64,
    pub refused: u64,
    pub no_endpoint: u64,
}

/// One client process.
#[derive(Clone, Debug)]
pub struct ServiceClient {
    id: NodeId,
    config: DiscoveryConfig,
    policy: Policy,
    chooser: Chooser,
    /// Requests sent to the load balancer and not answered yet.
    via_balancer: Vec<(RequestId, Time)>,
    /// Durable, so request ids never repeat.
    next_request: u64,
    outcomes: Outcomes,
    /// Latencies of the requests that succeeded or timed out (counted at the
    /// timeout), in microseconds.
    latencies: Vec<u32>,
}

impl ServiceClient {
    pub fn new(id: NodeId, config: DiscoveryConfig) -> Self {
        ServiceClient {
            id,
            config,
            policy: config.policy_of(id),
            chooser: Chooser::new(id, config),
            via_balancer: Vec::new(),
            next_request: 0,
            outcomes: Outcomes::default(),
            latencies: Vec::new(),
        }
    }

    pub fn policy(&self) -> Policy {
        self.policy
    }

    pub fn chooser(&self) -> &Chooser {
        &self.chooser
    }

    pub fn outcomes(&self) -> Outcomes {
        self.outcomes
    }

    pub fn latencies(&self) -> &[u32] {
        &self.latencies
    }

    pub fn on_start(&mut self, cx: &mut Cx<DiscoveryProcess>) {
        if !self.config.server_side {
            self.chooser.on_start(cx);
        }
        if let Some(gap) = self.config.request_gap {
            let wait = cx.rng.range_inclusive(0, gap.as_micros());
            cx.set_timer(DiscoveryTimer::Think, Duration(wait));
        }
    }

    pub fn on_crash(&mut self) {
        self.chooser.on_crash();
        self.via_balancer.clear();
    }

    /// Makes one request: to an instance it picks, or to the balancer.
    pub fn request(&mut self, cx: &mut Cx<DiscoveryProcess>) {
        self.next_request += 1;
        let id = RequestId {
            client: self.id,
            number: self.next_request,
        };
        if let Some(balancer) = self.config.load_balancer() {
            self.via_balancer.push((id, cx.now()));
            cx.send(balancer, DiscoveryMessage::Request { id, incarnation: 0 });
        } else {
            let Some(endpoint) = self.chooser.choose(self.policy, cx) else {
                self.outcomes.no_endpoint += 1;
                return cx.note(|| format!("{id} fails at once: no endpoint known"));
            };
            let policy = self.policy;
            cx.note(|| format!("sends {id} to {} ({})", endpoint.instance, policy.as_str()));
            self.chooser.send(id, endpoint, self.policy, self.id, cx);
        }
        cx.set_timer(
            DiscoveryTimer::RequestTimeout(id.number),
            self.config.request_timeout,
        );
    }

    /// Takes request `id` off its outstanding lists: when it was sent.
    fn complete(&mut self, id: RequestId) -> Option<Time> {
        if let Some(pending) = self.chooser.complete(id) {
            return Some(pending.sent_at);
        }
        let at = self.via_balancer.iter().position(|(r, _)| *r == id)?;
        Some(self.via_balancer.remove(at).1)
    }

    pub fn on_timer(&mut self, timer: DiscoveryTimer, cx: &mut Cx<DiscoveryProcess>) {
        match timer {
            DiscoveryTimer::Think => {
                self.request(cx);
                if let Some(gap) = self.config.request_gap {
                    let gap = gap.as_micros();
                    let wait = cx.rng.range_inclusive(gap / 2, gap * 3 / 2).max(1);
                    cx.set_timer(DiscoveryTimer::Think, Duration(wait));
                }
            }
            DiscoveryTimer::RequestTimeout(number) => {
                let id = RequestId {
                    client: self.id,
                    number,
                };
                if self.complete(id).is_some() {
                    self.outcomes.timed_out += 1;
                    // Counted at the timeout, a lower bound of what it took,
                    // so the slow tail is not hidden by leaving it out.
                    let waited = self.config.request_timeout.as_micros();
                    self.latencies.push(waited.min(u32::MAX as u64) as u32);
                    cx.note(|| format!("{id} failed: no reply in time"));
                }
            }
            DiscoveryTimer::Refresh => self.chooser.on_refresh(cx),
            DiscoveryTimer::LookupTimeout(lookup) => self.chooser.on_lookup_timeout(lookup, cx),
            other => ignore(&other, cx),
        }
    }

    pub fn on_message(
        &mut self,
        from: NodeId,
        message: DiscoveryMessage,
        cx: &mut Cx<DiscoveryProcess>,
    ) {
        match message {
            DiscoveryMessage::Endpoints { lookup, records } if self.config.is_replica(from) => {
                self.chooser.on_endpoints(lookup, records, cx)
            }
            DiscoveryMessage::Reply { id, instance } if id.client == self.id => {
                let Some(sent) = self.complete(id) else {
                    return; // late, or a duplicate
                };
                cx.cancel_timer(DiscoveryTimer::RequestTimeout(id.number));
                let took = cx.now().since(sent).as_micros();
                self.outcomes.ok += 1;
                self.latencies.push(took.min(u32::MAX as u64) as u32);
                cx.note(|| format!("{id} served by {instance} in {} ms", took / 1_000));
            }
            DiscoveryMessage::Refused { id } if id.client == self.id => {
                if self.complete(id).is_some() {
                    cx.cancel_timer(DiscoveryTimer::RequestTimeout(id.number));
                    self.outcomes.refused += 1;
                    cx.note(|| format!("{id} refused by {from}"));
                }
            }
            other => ignore(&other, cx),
        }
    }

    fn failed(&self) -> u64 {
        self.outcomes.timed_out + self.outcomes.refused + self.outcomes.no_endpoint
    }

    pub fn summary(&self) -> NodeSummary {
        let failed = self.failed();
        NodeSummary {
            role: "client",
            palette: if failed > 0 {
                Palette::Suspect
            } else {
                Palette::Plain
            },
            badge: format!("{}/{failed}", self.outcomes.ok),
            detail: format!(
                "client {} ({}): {} ok, {} timed out, {} refused, {} with no endpoint",
                self.id,
                self.policy.as_str(),
                self.outcomes.ok,
                self.outcomes.timed_out,
                self.outcomes.refused,
                self.outcomes.no_endpoint
            ),
        }
    }

    pub fn state_row(&self) -> Vec<Cell> {
        let cache = if self.config.server_side {
            "via the load balancer".to_string()
        } else {
            self.chooser
                .describe(self.chooser.sends().1.map(|sent| sent.at))
        };
        let outstanding = self.chooser.pending.len() + self.via_balancer.len();
        vec![
            Cell::Text(format!("{} ({})", cache, self.policy.as_str())),
            Cell::Text(format!("{outstanding} outstanding")),
            Cell::Text(format!(
                "{} ok, {} timed out, {} refused, {} no endpoint",
                self.outcomes.ok,
                self.outcomes.timed_out,
                self.outcomes.refused,
                self.outcomes.no_endpoint
            )),
        ]
    }
}
