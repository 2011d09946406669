//! The load balancer of server-side balancing: a process between the clients
//! and the instances (an Amazon ELB, an nginx upstream, Zuul) with its own
//! endpoint cache from the registry. It picks an instance for each request by
//! the requesting client's policy, forwards it, and relays the reply. Unlike
//! a client, it sees every request outstanding, so least outstanding and two
//! choices judge by the whole load, not one client's share of it.

use crate::sim::node::Cx;
use crate::sim::time::NodeId;
use crate::sim::view::{Cell, NodeSummary, Palette};

use super::balancer::Chooser;
use super::message::{DiscoveryMessage, DiscoveryTimer, RequestId};
use super::process::{ignore, DiscoveryConfig, DiscoveryProcess};

/// The load-balancer process.
#[derive(Clone, Debug)]
pub struct LoadBalancer {
    id: NodeId,
    config: DiscoveryConfig,
    chooser: Chooser,
    /// Numbers its forwards (durable), for their timeouts.
    next_forward: u64,
    forwards: Vec<(u64, RequestId)>,
    relayed: u64,
    turned_away: u64,
}

impl LoadBalancer {
    pub fn new(id: NodeId, config: DiscoveryConfig) -> Self {
        LoadBalancer {
            id,
            config,
            chooser: Chooser::new(id, config),
            next_forward: 0,
            forwards: Vec::new(),
            relayed: 0,
            turned_away: 0,
        }
    }

    pub fn chooser(&self) -> &Chooser {
        &self.chooser
    }

    pub fn on_start(&mut self, cx: &mut Cx<DiscoveryProcess>) {
        self.chooser.on_start(cx);
    }

    pub fn on_crash(&mut self) {
        self.chooser.on_crash();
        self.forwards.clear();
    }

    pub fn on_timer(&mut self, timer: DiscoveryTimer, cx: &mut Cx<DiscoveryProcess>) {
        match timer {
            DiscoveryTimer::Refresh => self.chooser.on_refresh(cx),
            DiscoveryTimer::LookupTimeout(lookup) => self.chooser.on_lookup_timeout(lookup, cx),
            DiscoveryTimer::RequestTimeout(forward) => {
                // The client times out on its own; this only stops counting
                // the request as outstanding at its instance.
                if let Some(at) = self.forwards.iter().position(|(f, _)| *f == forward) {
                    let (_, id) = self.forwards.remove(at);
                    self.chooser.complete(id);
                }
            }
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
            DiscoveryMessage::Request { id, .. }
                if self.config.is_client(from) && id.client == from =>
            {
                if self.chooser.pending.iter().any(|p| p.id == id) {
                    return cx.note(|| format!("{id} is already forwarded: a duplicate"));
                }
                let policy = self.config.policy_of(from);
                let Some(endpoint) = self.chooser.choose(policy, cx) else {
                    self.turned_away += 1;
                    cx.note(|| format!("turns {id} away: no endpoint known"));
                    return cx.send(from, DiscoveryMessage::Refused { id });
                };
                cx.note(|| {
                    format!(
                        "forwards {id} to {} ({})",
                        endpoint.instance,
                        policy.as_str()
                    )
                });
                self.chooser.send(id, endpoint, policy, from, cx);
                self.next_forward += 1;
                self.forwards.push((self.next_forward, id));
                cx.set_timer(
                    DiscoveryTimer::RequestTimeout(self.next_forward),
                    self.config.request_timeout,
                );
            }
            DiscoveryMessage::Reply { id, instance } if self.config.is_instance(from) => {
                if let Some(pending) = self.chooser.complete(id) {
                    self.relayed += 1;
                    self.forwards.retain(|(_, r)| *r != id);
                    cx.send(pending.reply_to, DiscoveryMessage::Reply { id, instance });
                }
            }
            DiscoveryMessage::Refused { id } if self.config.is_instance(from) => {
                if let Some(pending) = self.chooser.complete(id) {
                    self.forwards.retain(|(_, r)| *r != id);
                    cx.send(pending.reply_to, DiscoveryMessage::Refused { id });
                }
            }
            other => ignore(&other, cx),
        }
    }

    pub fn summary(&self) -> NodeSummary {
        NodeSummary {
            role: "load balancer",
            palette: Palette::Contend,
            badge: format!("{}", self.chooser.pending.len()),
            detail: format!(
                "load balancer {}: {} outstanding, {} relayed, {} turned away",
                self.id,
                self.chooser.pending.len(),
                self.relayed,
                self.turned_away
            ),
        }
    }

    pub fn state_row(&self) -> Vec<Cell> {
        vec![
            Cell::Text(
                self.chooser
                    .describe(self.chooser.sends().1.map(|sent| sent.at)),
            ),
            Cell::Text(format!("{} outstanding", self.chooser.pending.len())),
            Cell::Text(format!(
                "{} relayed, {} turned away",
                self.relayed, self.turned_away
            )),
        ]
    }
}
