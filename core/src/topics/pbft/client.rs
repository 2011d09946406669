//! A PBFT client (Castro and Liskov, section 4.1): it sends its request to the
//! primary it believes in, waits for f+1 replies from different replicas with
//! the same result (at least one of them from an honest replica), and on a
//! timeout multicasts the request to every replica. One request at a time, as
//! the paper's clients do.

use crate::sim::node::Cx;
use crate::sim::time::{Duration, NodeId};
use crate::sim::view::{Cell, NodeSummary, Palette};

use super::message::{mix, PbftMessage, PbftTimer, Request, View};
use super::process::{PbftConfig, PbftProcess};

/// When the first request goes out.
pub const FIRST_REQUEST: Duration = Duration::from_millis(100);
/// The pause between an accepted result and the next request.
pub const THINK: Duration = Duration::from_millis(100);
/// How long the client waits for f+1 matching replies before it multicasts.
pub const RETRY: Duration = Duration::from_millis(400);

#[derive(Clone, Debug)]
pub struct Client {
    pub id: NodeId,
    pub config: PbftConfig,
    /// The request waiting for f+1 matching replies.
    pub outstanding: Option<Request>,
    /// The replies to it so far: (replica, result).
    pub replies: Vec<(NodeId, u64)>,
    /// The view of the last accepted reply: where the primary is believed to be.
    pub view: View,
    /// Accepted results: (timestamp, result).
    pub accepted: Vec<(u64, u64)>,
    /// The last timestamp used.
    pub timestamp: u64,
    /// Stopped by a Silent operation: sends nothing more.
    pub silent: bool,
}

impl Client {
    pub fn new(id: NodeId, config: PbftConfig) -> Self {
        Client {
            id,
            config,
            outstanding: None,
            replies: Vec::new(),
            view: 0,
            accepted: Vec::new(),
            timestamp: 0,
            silent: false,
        }
    }

    pub fn on_start(&mut self, cx: &mut Cx<PbftProcess>) {
        match self.outstanding {
            Some(request) => {
                cx.set_timer(
                    PbftTimer::Retry {
                        timestamp: request.timestamp,
                    },
                    Duration::ZERO,
                );
            }
            None => {
                let stagger =
                    Duration::from_millis(10 * (self.id.index() - self.config.replicas) as u64);
                cx.set_timer(
                    PbftTimer::Send,
                    Duration(FIRST_REQUEST.as_micros() + stagger.as_micros()),
                );
            }
        }
    }

    pub fn on_timer(&mut self, timer: PbftTimer, cx: &mut Cx<PbftProcess>) {
        if self.silent {
            cx.note(|| "a silent client sends nothing".to_string());
            return;
        }
        match timer {
            PbftTimer::Send if self.outstanding.is_none() => {
                self.timestamp += 1;
                let request = Request {
                    client: self.id,
                    timestamp: self.timestamp,
                    operation: mix(self.id.0 as u64, self.timestamp) & 0xffff,
                };
                self.outstanding = Some(request);
                self.replies.clear();
                // 4.1: send the request to the primary it believes in.
                cx.send(
                    self.config.primary(self.view),
                    PbftMessage::Request(request),
                );
                cx.set_timer(
                    PbftTimer::Retry {
                        timestamp: request.timestamp,
                    },
                    RETRY,
                );
            }
            PbftTimer::Retry { timestamp } => {
                let Some(request) = self.outstanding.filter(|r| r.timestamp == timestamp) else {
                    return;
                };
                // 4.1: no answer in time: multicast the request to every replica.
                cx.note(|| {
                    format!("no f+1 matching replies to t{timestamp}: multicast the request")
                });
                for replica in 0..self.config.replicas as u32 {
                    cx.send(NodeId(replica), PbftMessage::Request(request));
                }
                cx.set_timer(PbftTimer::Retry { timestamp }, RETRY);
            }
            _ => {}
        }
    }

    pub fn on_reply(
        &mut self,
        from: NodeId,
        view: View,
        timestamp: u64,
        result: u64,
        cx: &mut Cx<PbftProcess>,
    ) {
        if !self.config.is_replica(from) {
            return;
        }
        let Some(request) = self.outstanding.filter(|r| r.timestamp == timestamp) else {
            return;
        };
        if self.replies.iter().any(|&(replica, _)| replica == from) {
            return;
        }
        self.replies.push((from, result));
        let matching = self.replies.iter().filter(|&&(_, r)| r == result).count();
        // 4.1: f+1 replies with the same result, from different replicas.
        if matching > self.config.f {
            self.accepted.push((timestamp, result));
            self.outstanding = None;
            self.view = self.view.max(view);
            cx.note(|| {
                format!(
                    "{matching} matching replies: t{} accepts result {:04x}",
                    request.timestamp,
                    result & 0xffff
                )
            });
            cx.cancel_timer(PbftTimer::Retry { timestamp });
            cx.set_timer(PbftTimer::Send, THINK);
        }
    }

    pub fn summary(&self) -> NodeSummary {
        NodeSummary {
            role: match (self.silent, self.outstanding) {
                (true, _) => "silent client",
                (false, Some(_)) => "client waiting",
                (false, None) => "client",
            },
            palette: if self.outstanding.is_some() {
                Palette::Contend
            } else {
                Palette::Plain
            },
            badge: format!("{}", self.accepted.len()),
            detail: format!(
                "client {}: {} results accepted, believes the view is {}",
                self.id,
                self.accepted.len(),
                self.view
            ),
        }
    }

    pub fn state_row(&self) -> Vec<Cell> {
        let waiting = match self.outstanding {
            Some(request) => {
                let mut from: Vec<u32> = self.replies.iter().map(|r| r.0 .0).collect();
                from.sort_unstable();
                format!("t{}: replies from {}", request.timestamp, set(&from))
            }
            None => "idle".to_string(),
        };
        vec![
            Cell::Text(self.view.to_string()),
            Cell::Text(format!("{} accepted", self.accepted.len())),
            Cell::Text(String::new()),
            Cell::Text(waiting),
        ]
    }
}

/// `{0,1,3}`.
pub fn set(members: &[u32]) -> String {
    let names: Vec<String> = members.iter().map(u32::to_string).collect();
    format!("{{{}}}", names.join(","))
}
