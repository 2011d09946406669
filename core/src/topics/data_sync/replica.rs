//! One replica of the to-do list: node 0 is the server, the others are
//! phones. Each edits its own copy at once, offline or not, and syncs when it
//! can reach a peer: phones with the server, the server with every phone.
//!
//! Sync follows Almeida, Shoker & Baquero (JPDC 2018): in state mode a replica
//! sends its whole state every period (§2, the classic state-based CRDT); in
//! delta mode it sends the delta-interval its peer has not acknowledged
//! (§5, Algorithm 2), which the peer joins like a state and answers with its
//! version vector. Acknowledgements are volatile: after a crash a replica
//! knows nothing of its peers and sends whole states again, which is always
//! safe because joins are idempotent.
//!
//! The document and the replica's own updates are durable (a phone keeps its
//! list on disk), so a crash loses only the acknowledgements and the timers.

use crate::sim::node::{Cx, Node};
use crate::sim::time::{Duration, NodeId};
use crate::sim::view::{Cell, NodeSummary, Palette};

use super::document::{Document, Policy, Rules};
use super::message::{
    item_name, title_name, Dot, Edit, SyncMessage, SyncOp, SyncTimer, VersionVector, ITEMS, TITLES,
    TITLE_KEY,
};
use super::register::Overwritten;

/// The server's id: it comes first.
pub const SERVER: NodeId = NodeId(0);

/// How a run is set up, as every replica sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SyncConfig {
    pub rules: Rules,
    /// Delta-based sync (or else state-based).
    pub delta: bool,
    pub sync_period: Duration,
    /// The mean time between one replica's own edits, or `None` for none.
    pub edit_gap: Option<Duration>,
}

/// An update as its replica made it, kept for the checker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Update {
    pub dot: Dot,
    pub edit: Edit,
    /// The replica's version vector just after the update: what it had seen.
    pub context: VersionVector,
}

/// What a replica has sent, in estimated bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Traffic {
    /// Sync messages (states or deltas).
    pub sync_bytes: u64,
    /// What the same syncs would have cost as whole states.
    pub state_bytes: u64,
    pub ack_bytes: u64,
    pub syncs: u64,
}

#[derive(Clone, Debug)]
pub struct Replica {
    id: NodeId,
    config: SyncConfig,
    /// Durable: the replica's copy of the document...
    doc: Document,
    /// ...and every update it made, in order.
    made: Vec<Update>,
    /// Volatile: per peer, a version vector it is known to have reached.
    acked: Vec<VersionVector>,
    /// Bumped whenever `doc` changes (the checker rereads it then).
    revision: u64,
    traffic: Traffic,
    /// Writes this replica's registers threw away although they came later.
    lost_here: u64,
}

impl Replica {
    pub fn new(id: NodeId, replicas: usize, config: SyncConfig) -> Self {
        Replica {
            id,
            config,
            doc: Document::new(config.rules.policy, replicas),
            made: Vec::new(),
            acked: vec![VersionVector::zero(replicas); replicas],
            revision: 0,
            traffic: Traffic::default(),
            lost_here: 0,
        }
    }

    pub fn id(&self) -> NodeId {
        self.id
    }

    pub fn document(&self) -> &Document {
        &self.doc
    }

    pub fn made(&self) -> &[Update] {
        &self.made
    }

    pub fn revision(&self) -> u64 {
        self.revision
    }

    pub fn traffic(&self) -> Traffic {
        self.traffic
    }

    pub fn delta_sync(&self) -> bool {
        self.config.delta
    }

    pub fn is_server(&self) -> bool {
        self.id == SERVER
    }

    /// Whom this replica syncs with: the server with every phone, a phone
    /// with the server.
    fn peers(&self, cx: &Cx<Self>) -> Vec<NodeId> {
        if self.is_server() {
            cx.peers().collect()
        } else {
            vec![SERVER]
        }
    }

    /// Makes `edit` here and now.
    fn edit(&mut self, edit: Edit, cx: &mut Cx<Self>) {
        let wall = cx.now().as_micros();
        let applied = self.doc.apply(self.id.0, edit, wall, self.config.rules);
        if applied.dot.seq == 0 {
            cx.note(|| "not a replica of this document: edit ignored".to_string());
            return;
        }
        self.revision += 1;
        let dot = applied.dot;
        let doc = &self.doc;
        cx.note(|| {
            let stamp = match edit {
                Edit::Set { key, .. } => {
                    match doc.map_versions(key).iter().find(|v| v.dot == dot) {
                        Some(version) => format!(", stamped {}", version.stamp),
                        None => ", and at once overwritten".to_string(),
                    }
                }
                _ => String::new(),
            };
            format!(
                "{edit} as update {dot} (local clock {}ms{stamp}); now shows {}",
                wall / 1_000,
                shows(doc)
            )
        });
        if let Some(overwritten) = applied.overwritten {
            self.report(&overwritten, cx);
        }
        self.made.push(Update {
            dot,
            edit,
            context: applied.context,
        });
    }

    /// Says, in the trace, which write a last-writer-wins register threw away.
    fn report(&mut self, overwritten: &Overwritten, cx: &mut Cx<Self>) {
        if overwritten.causally_later {
            self.lost_here += 1;
        }
        let o = *overwritten;
        cx.note(|| {
            let why = if o.causally_later {
                "LOST UPDATE: it came after the write it lost to, whose clock ran ahead"
            } else {
                "the two were concurrent; one of them had to go"
            };
            format!(
                "last writer wins keeps {} ({}) and drops {} ({}): {why}",
                o.kept, o.kept_stamp, o.lost, o.lost_stamp
            )
        });
    }

    /// A random edit of the seeded workload, of what this replica sees.
    fn random_edit(&self, cx: &mut Cx<Self>) -> Edit {
        let items = self.doc.items();
        let pick = cx.rng.below(100);
        let some_item = |cx: &mut Cx<Self>| cx.rng.pick(&items).copied();
        match pick {
            0..=34 => Edit::Add(cx.rng.below(ITEMS.len() as u64) as u32),
            35..=54 => some_item(cx).map_or(Edit::Increment, Edit::Remove),
            55..=74 => Edit::Increment,
            75..=84 => Edit::Decrement,
            85..=94 => Edit::Set {
                key: TITLE_KEY,
                value: cx.rng.below(TITLES.len() as u64),
            },
            _ => match some_item(cx) {
                Some(item) => {
                    let done = self.doc.map_versions(item + 1).iter().any(|v| v.value != 0);
                    Edit::Set {
                        key: item + 1,
                        value: u64::from(!done),
                    }
                }
                None => Edit::Decrement,
            },
        }
    }

    /// The workload's next edit, half to one and a half mean gaps from now.
    fn schedule_edit(&self, cx: &mut Cx<Self>) {
        if let Some(gap) = self.config.edit_gap {
            let gap = gap.as_micros().max(2);
            let after = cx.rng.range_inclusive(gap / 2, gap * 3 / 2);
            cx.set_timer(SyncTimer::Edit, Duration(after));
        }
    }

    /// Sends each peer what it lacks (delta mode) or the whole state.
    fn sync(&mut self, cx: &mut Cx<Self>) {
        for peer in self.peers(cx) {
            let Some(seen) = self.acked.get(peer.index()) else {
                continue;
            };
            let state_bytes = self.doc.bytes();
            let (payload, full) = if self.config.delta {
                let delta = self.doc.delta(seen);
                if delta.is_empty() && self.doc.vv.dominated_by(seen) {
                    cx.note(|| format!("{peer} has acknowledged everything here: no delta"));
                    continue;
                }
                let full = seen.total() == 0;
                (delta, full)
            } else {
                (self.doc.clone(), true)
            };
            let bytes = payload.bytes();
            self.traffic.sync_bytes += bytes;
            self.traffic.state_bytes += state_bytes;
            self.traffic.syncs += 1;
            cx.send(
                peer,
                SyncMessage::Sync {
                    vv: self.doc.vv.clone(),
                    payload,
                    full,
                    bytes,
                },
            );
        }
    }

    fn on_sync(&mut self, from: NodeId, vv: VersionVector, payload: Document, cx: &mut Cx<Self>) {
        let replicas = self.doc.vv.0.len();
        if vv.0.len() != replicas
            || payload.vv != vv
            || payload.policy != self.doc.policy
            || from.index() >= replicas
        {
            cx.note(|| format!("a sync from {from} that does not fit this document: dropped"));
            return;
        }
        let before = self.doc.vv.clone();
        let overwritten = self.doc.merge(&payload, self.config.rules);
        for o in &overwritten {
            self.report(o, cx);
        }
        if self.doc.vv != before || !overwritten.is_empty() {
            self.revision += 1;
            let doc = &self.doc;
            cx.note(|| {
                format!(
                    "merges {from}'s updates: {before} -> {}; now shows {}",
                    doc.vv,
                    shows(doc)
                )
            });
        } else {
            cx.note(|| format!("nothing new from {from}"));
        }
        self.acked[from.index()].join(&vv);
        let vv = self.doc.vv.clone();
        self.traffic.ack_bytes += 4 + 4 * vv.0.len() as u64;
        cx.send(from, SyncMessage::Ack { vv });
    }
}

/// What a document shows, in a few words, for the trace.
fn shows(doc: &Document) -> String {
    let items: Vec<String> = doc.items().into_iter().map(item_name).collect();
    let counters: Vec<String> = match doc.policy {
        Policy::Crdt => vec![doc.counter().to_string()],
        _ => doc
            .counter
            .versions
            .iter()
            .map(|v| v.value.to_string())
            .collect(),
    };
    let titles: Vec<String> = doc
        .map_versions(TITLE_KEY)
        .iter()
        .map(|v| title_name(v.value))
        .collect();
    let siblings = match doc.siblings() {
        0 => String::new(),
        1 => ", 1 sibling".to_string(),
        n => format!(", {n} siblings"),
    };
    format!(
        "{{{}}}, counter {}, title {}{siblings}",
        items.join(", "),
        if counters.is_empty() {
            "0".to_string()
        } else {
            counters.join(" | ")
        },
        if titles.is_empty() {
            "-".to_string()
        } else {
            titles.join(" | ")
        },
    )
}

impl Node for Replica {
    type Msg = SyncMessage;
    type Timer = SyncTimer;
    type Op = SyncOp;

    fn on_start(&mut self, cx: &mut Cx<Self>) {
        let period = self.config.sync_period.as_micros().max(1);
        let first = cx.rng.range_inclusive(1, period);
        cx.set_timer(SyncTimer::Sync, Duration(first));
        self.schedule_edit(cx);
    }

    fn on_message(&mut self, from: NodeId, msg: SyncMessage, cx: &mut Cx<Self>) {
        match msg {
            SyncMessage::Sync { vv, payload, .. } => self.on_sync(from, vv, payload, cx),
            SyncMessage::Ack { vv } => match self.acked.get_mut(from.index()) {
                // Almeida et al., Algorithm 2: what the peer has, the next
                // delta may leave out.
                Some(seen) if vv.0.len() == seen.0.len() => seen.join(&vv),
                _ => cx.note(|| format!("an ack from {from} that does not fit: dropped")),
            },
        }
    }

    fn on_timer(&mut self, timer: SyncTimer, cx: &mut Cx<Self>) {
        match timer {
            SyncTimer::Sync => {
                self.sync(cx);
                cx.set_timer(SyncTimer::Sync, self.config.sync_period);
            }
            SyncTimer::Edit => {
                let edit = self.random_edit(cx);
                self.edit(edit, cx);
                self.schedule_edit(cx);
            }
        }
    }

    fn on_operation(&mut self, operation: SyncOp, cx: &mut Cx<Self>) {
        let edit = match operation {
            SyncOp::Add { item } => Edit::Add(item),
            SyncOp::Remove { item } => {
                let items = self.doc.items();
                let chosen = match item {
                    Some(item) => items.contains(&item).then_some(item),
                    None => items.first().copied(),
                };
                match chosen {
                    Some(item) => Edit::Remove(item),
                    None => {
                        cx.note(|| format!("cannot {operation}: this replica does not see it"));
                        return;
                    }
                }
            }
            SyncOp::Increment => Edit::Increment,
            SyncOp::Decrement => Edit::Decrement,
            SyncOp::Rename { title } => Edit::Set {
                key: TITLE_KEY,
                value: title as u64,
            },
            SyncOp::SyncNow => return self.sync(cx),
        };
        self.edit(edit, cx);
    }

    fn on_crash(&mut self) {
        // The acknowledgements were in memory: start over with whole states.
        for seen in &mut self.acked {
            *seen = VersionVector::zero(seen.0.len());
        }
    }

    fn summary(&self) -> NodeSummary {
        let role = if self.is_server() { "server" } else { "phone" };
        // Siblings waiting to be merged first, then an update lost here to a
        // timestamp, then the plain roles.
        let palette = match (self.doc.siblings(), self.lost_here, self.is_server()) {
            (1.., _, _) => Palette::Contend,
            (_, 1.., _) => Palette::Suspect,
            (_, _, true) => Palette::Lead,
            _ => Palette::Plain,
        };
        NodeSummary {
            role,
            palette,
            badge: format!("{}", self.doc.items().len()),
            detail: format!(
                "{} items, counter {}, {} {}",
                self.doc.items().len(),
                self.doc.counter(),
                self.config.rules.policy.as_str(),
                self.doc.vv
            ),
        }
    }

    fn state_row(&self) -> Vec<Cell> {
        let items: Vec<String> = self
            .doc
            .items()
            .into_iter()
            .map(|item| {
                let done = self.doc.map_versions(item + 1).iter().any(|v| v.value != 0);
                if done {
                    format!("{} ✓", item_name(item))
                } else {
                    item_name(item)
                }
            })
            .collect();
        let counter = match self.doc.policy {
            Policy::Crdt => self.doc.counter().to_string(),
            _ => {
                let values: Vec<String> = self
                    .doc
                    .counter
                    .versions
                    .iter()
                    .map(|v| v.value.to_string())
                    .collect();
                if values.is_empty() {
                    "0".to_string()
                } else {
                    values.join(" | ")
                }
            }
        };
        let titles: Vec<String> = self
            .doc
            .map_versions(TITLE_KEY)
            .iter()
            .map(|v| title_name(v.value))
            .collect();
        let traffic = self.traffic;
        vec![
            Cell::Text(items.join(", ")),
            Cell::Text(counter),
            Cell::Text(if titles.is_empty() {
                "-".to_string()
            } else {
                titles.join(" | ")
            }),
            Cell::Text(self.doc.vv.to_string()),
            Cell::Text(format!(
                "{} B ({} B as states)",
                traffic.sync_bytes, traffic.state_bytes
            )),
        ]
    }
}
