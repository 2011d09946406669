//! The rogue caller: a batch job of the same trust domain, with a valid
//! workload certificate, that calls payments directly on both planes. Its
//! HTTP client retries any failure, a 403 included, up to three attempts,
//! and writes the attempt count header itself, as any caller may.

use crate::sim::node::Cx;
use crate::sim::time::{Duration, NodeId};
use crate::sim::view::{Cell, NodeSummary, Palette};
use crate::traffic::request::{Request, RequestId, RequestIds, TraceContext};

use super::message::{Kind, MeshMessage, MeshTimer, Plane, Status, Version, Workload};
use super::process::MeshProcess;

/// Attempts per call, the first included.
pub const ROGUE_ATTEMPTS: u32 = 3;
/// Time between its calls.
pub const ROGUE_GAP: Duration = Duration::from_millis(300);

/// One of its calls still open on one plane.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Open {
    plane: Plane,
    request: Request,
    attempt: u32,
}

/// What it got on one plane.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RogueTally {
    pub denied: u32,
    pub charged: u32,
    pub failed: u32,
}

#[derive(Clone, Debug)]
pub struct Rogue {
    /// Calls still to make.
    remaining: u32,
    ids: RequestIds,
    open: Vec<Open>,
    tallies: [RogueTally; 2],
}

impl Rogue {
    /// A rogue that makes `calls` calls from the start (0: it waits for the
    /// Rogue caller button).
    pub fn new(calls: u32) -> Self {
        Rogue {
            remaining: calls,
            ids: RequestIds::default(),
            open: Vec::new(),
            tallies: [RogueTally::default(); 2],
        }
    }

    pub fn tally(&self, plane: Plane) -> RogueTally {
        self.tallies[plane.index()]
    }

    pub fn on_start(&mut self, cx: &mut Cx<MeshProcess>) {
        if self.remaining > 0 {
            cx.set_timer(MeshTimer::RogueNext, ROGUE_GAP);
        }
    }

    pub fn on_crash(&mut self) {
        self.open.clear();
    }

    /// The Rogue caller button: `calls` more calls, starting now.
    pub fn start(&mut self, calls: u32, cx: &mut Cx<MeshProcess>) {
        let idle = self.remaining == 0;
        self.remaining = self.remaining.saturating_add(calls);
        cx.note(|| {
            format!(
                "the batch job ({}) starts calling payments",
                Workload::Rogue.spiffe_id()
            )
        });
        if idle {
            cx.set_timer(MeshTimer::RogueNext, Duration::ZERO);
        }
    }

    pub fn on_timer(&mut self, timer: MeshTimer, cx: &mut Cx<MeshProcess>) {
        if timer != MeshTimer::RogueNext || self.remaining == 0 {
            return;
        }
        self.remaining -= 1;
        let id = self.ids.next_id();
        let request = Request::new(id, cx.now(), None, TraceContext::root(cx.rng));
        for plane in Plane::BOTH {
            self.open.push(Open {
                plane,
                request,
                attempt: 1,
            });
            send(plane, request, 1, cx);
        }
        if self.remaining > 0 {
            cx.set_timer(MeshTimer::RogueNext, ROGUE_GAP);
        }
    }

    pub fn on_message(&mut self, from: NodeId, msg: MeshMessage, cx: &mut Cx<MeshProcess>) {
        let MeshMessage::Reply {
            plane, id, status, ..
        } = msg
        else {
            cx.note(|| format!("drops a call from {from}: the batch job serves nothing"));
            return;
        };
        let Some(at) = self
            .open
            .iter()
            .position(|o| o.plane == plane && o.request.id == id)
        else {
            cx.note(|| format!("drops a reply to {id}: not an open call"));
            return;
        };
        let tally = &mut self.tallies[plane.index()];
        match status {
            Status::Ok => {
                tally.charged += 1;
                self.open.swap_remove(at);
            }
            _ if self.open[at].attempt < ROGUE_ATTEMPTS => {
                if status == Status::Denied {
                    tally.denied += 1;
                }
                let open = &mut self.open[at];
                open.attempt += 1;
                let (request, attempt) = (open.request, open.attempt);
                cx.note(|| {
                    format!(
                        "{id} got {}: tries again (attempt {attempt})",
                        status.as_str()
                    )
                });
                send(plane, request, attempt, cx);
            }
            _ => {
                if status == Status::Denied {
                    tally.denied += 1;
                } else {
                    tally.failed += 1;
                }
                self.open.swap_remove(at);
            }
        }
    }

    pub fn summary(&self) -> NodeSummary {
        let mesh = self.tallies[0];
        NodeSummary {
            role: "rogue caller",
            palette: Palette::Faulty,
            badge: format!("{}", self.ids.issued()),
            detail: format!(
                "batch job ({}): {} calls to payments; mesh: {} denied, {} charged",
                Workload::Rogue.spiffe_id(),
                self.ids.issued(),
                mesh.denied,
                mesh.charged
            ),
        }
    }

    pub fn state_row(&self) -> Vec<Cell> {
        let text = |plane: Plane| {
            let t = self.tallies[plane.index()];
            format!(
                "{} denied, {} charged, {} failed",
                t.denied, t.charged, t.failed
            )
        };
        vec![
            Cell::Text(text(Plane::Mesh)),
            Cell::Text(text(Plane::Bare)),
            Cell::Text(format!(
                "{} calls made, {} to go; not in any allow rule",
                self.ids.issued(),
                self.remaining
            )),
        ]
    }

    pub fn open_calls(&self) -> usize {
        self.open.len()
    }

    pub fn last_id(&self) -> RequestId {
        RequestId(self.ids.issued())
    }
}

fn send(plane: Plane, request: Request, attempt: u32, cx: &mut Cx<MeshProcess>) {
    cx.send(
        Workload::Payments.node(),
        MeshMessage::Call {
            plane,
            request,
            source: Workload::Rogue,
            attempt,
            kind: Kind::Checkout,
            version: Version::Stable,
        },
    );
}
