//! The gossip node: a replica of a small key-value store that spreads writes
//! by rumour mongering (push, pull or push-pull, Demers et al. §1.3),
//! repairs what rumours miss by anti-entropy with digests (§1.2), and, when
//! SWIM is on, detects failed members (`swim.rs`). Sans-IO: everything it
//! does leaves as sends, timers and notes.

use crate::sim::node::{Cx, Node};
use crate::sim::time::{Duration, NodeId, Time};
use crate::sim::view::{Cell, NodeSummary, Palette};

use super::message::{
    GossipMessage, GossipTimer, StartRumour, Update, Version, ENTRY_BYTES, KEYS, VERSION_BYTES,
};
use super::swim::{Swim, SwimConfig};

/// How rumours travel (Demers §1.3, "push, pull, push-pull").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Push,
    Pull,
    PushPull,
}

impl Mode {
    pub const ALL: [Mode; 3] = [Mode::Push, Mode::Pull, Mode::PushPull];

    pub fn from_param(value: i64) -> Option<Mode> {
        Mode::ALL.get(usize::try_from(value).ok()?).copied()
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Push => "push",
            Mode::Pull => "pull",
            Mode::PushPull => "push-pull",
        }
    }

    fn pushes(self) -> bool {
        self != Mode::Pull
    }

    fn pulls(self) -> bool {
        self != Mode::Push
    }
}

/// What every node of a run is configured with (copied into each: a few
/// words, cheaper than a shared pointer at 10,000 nodes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    pub mode: Mode,
    /// Peers contacted per round.
    pub fanout: u32,
    /// The rumour-mongering round.
    pub round: Duration,
    /// Rounds a node keeps an update hot after learning it (Demers' "blind
    /// counter" loss of interest).
    pub hot_rounds: u32,
    /// The anti-entropy period, if anti-entropy runs.
    pub anti_entropy: Option<Duration>,
    /// SWIM's failure detector, if it runs.
    pub swim: Option<SwimConfig>,
}

/// One key of the store.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Entry {
    pub version: Version,
    pub value: u32,
    /// When this node learned the version (its own clock; the topic skews
    /// no clocks, so it is the global time).
    pub learned_at: Time,
}

/// Counters the charts and the measurements read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub rumour_messages: u64,
    /// Bytes anti-entropy sent with digests.
    pub digest_bytes: u64,
    /// Bytes the same exchanges would have sent as whole stores.
    pub full_state_bytes: u64,
}

#[derive(Clone, Debug)]
pub struct GossipNode {
    pub(super) config: Config,
    pub(super) id: NodeId,
    pub(super) cluster: u32,
    // Durable: the store, and what the checker reads of its history.
    store: [Entry; KEYS],
    originations: u32,
    last_origination: Option<(u8, Version, Time)>,
    /// How many times this node started (the checker dates its restarts).
    boots: u32,
    pub(super) stats: Stats,
    /// The SWIM state (the incarnation in it survives a crash).
    pub(super) swim: Swim,
    // Volatile.
    /// Keys this node is still spreading, with the rounds left.
    hot: Vec<(u8, u32)>,
}

impl GossipNode {
    pub fn new(id: NodeId, cluster: usize, config: Config) -> Self {
        GossipNode {
            config,
            id,
            cluster: cluster as u32,
            store: [Entry::default(); KEYS],
            originations: 0,
            last_origination: None,
            boots: 0,
            stats: Stats::default(),
            swim: Swim::default(),
            hot: Vec::new(),
        }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn entry(&self, key: u8) -> Entry {
        self.store
            .get(usize::from(key))
            .copied()
            .unwrap_or_default()
    }

    pub fn store(&self) -> &[Entry; KEYS] {
        &self.store
    }

    /// How many rumours this node started, and the last one (key, version,
    /// when).
    pub fn originations(&self) -> (u32, Option<(u8, Version, Time)>) {
        (self.originations, self.last_origination)
    }

    pub fn boots(&self) -> u32 {
        self.boots
    }

    pub fn stats(&self) -> Stats {
        self.stats
    }

    pub fn swim(&self) -> &Swim {
        &self.swim
    }

    pub fn is_hot(&self) -> bool {
        !self.hot.is_empty()
    }

    /// Puts `update` in the store as if learned, for the checker's tests.
    #[cfg(test)]
    pub(super) fn forge_update(&mut self, update: Update) {
        self.store[usize::from(update.key)].version = update.version;
    }

    #[cfg(test)]
    pub(super) fn forge_incarnation(&mut self, incarnation: u32) {
        self.swim.forge_incarnation(incarnation);
    }

    fn versions(&self) -> [Version; KEYS] {
        self.store.map(|entry| entry.version)
    }

    fn update(&self, key: u8) -> Update {
        let entry = self.entry(key);
        Update {
            key,
            version: entry.version,
            value: entry.value,
        }
    }

    /// Up to `count` distinct peers other than this node, uniformly (Demers
    /// §1: partners chosen uniformly at random).
    pub(super) fn random_peers(&self, count: u32, cx: &mut Cx<Self>) -> Vec<NodeId> {
        let others = self.cluster.saturating_sub(1);
        let count = count.min(others);
        let mut peers: Vec<NodeId> = Vec::with_capacity(count as usize);
        while (peers.len() as u32) < count {
            let pick = cx.rng.below(u64::from(others)) as u32;
            // Skip over this node's own id: uniform over the others.
            let peer = NodeId(if pick >= self.id.0 { pick + 1 } else { pick });
            if !peers.contains(&peer) {
                peers.push(peer);
            }
        }
        peers
    }

    /// Takes `update` if it is newer than what this node holds; `hot` makes
    /// it a rumour this node spreads in turn (§1.3: a susceptible site that
    /// learns a rumour becomes infective).
    fn learn(&mut self, update: Update, hot: bool, now: Time) -> bool {
        let Some(entry) = self.store.get_mut(usize::from(update.key)) else {
            return false;
        };
        if update.version <= entry.version {
            return false;
        }
        *entry = Entry {
            version: update.version,
            value: update.value,
            learned_at: now,
        };
        if hot && self.config.hot_rounds > 0 {
            let rounds = self.config.hot_rounds;
            match self.hot.iter_mut().find(|(key, _)| *key == update.key) {
                Some(slot) => slot.1 = rounds,
                None => self.hot.push((update.key, rounds)),
            }
        }
        true
    }

    fn learn_all(&mut self, updates: &[Update], hot: bool, cx: &mut Cx<Self>) {
        for &update in updates {
            if usize::from(update.key) >= KEYS {
                cx.note(|| format!("dropped an update of key {}: no such key", update.key));
                continue;
            }
            if self.learn(update, hot, cx.now()) {
                cx.note(|| format!("learned k{}={}", update.key, update.version));
            }
        }
    }

    /// One rumour-mongering round (§1.3): push the hot updates to `fanout`
    /// peers, and/or ask `fanout` peers for theirs.
    fn on_round(&mut self, cx: &mut Cx<Self>) {
        cx.set_timer(GossipTimer::Round, self.config.round);
        if self.config.mode.pushes() && !self.hot.is_empty() {
            let updates: Vec<Update> = self.hot.iter().map(|&(key, _)| self.update(key)).collect();
            for peer in self.random_peers(self.config.fanout, cx) {
                self.stats.rumour_messages += 1;
                cx.send(
                    peer,
                    GossipMessage::Push {
                        updates: updates.clone(),
                    },
                );
            }
        }
        if self.config.mode.pulls() {
            let versions = self.versions();
            for peer in self.random_peers(self.config.fanout, cx) {
                self.stats.rumour_messages += 1;
                cx.send(peer, GossipMessage::PullRequest { versions });
            }
        }
        // Blind counter: each hot update loses one round of interest.
        self.hot.retain_mut(|(_, left)| {
            *left = left.saturating_sub(1);
            *left > 0
        });
    }

    /// Pull (§1.3): answer with the hot updates the asker lacks; nothing if
    /// none, so a pull costs one message when there is no news.
    fn on_pull_request(&mut self, from: NodeId, versions: &[Version; KEYS], cx: &mut Cx<Self>) {
        let updates: Vec<Update> = self
            .hot
            .iter()
            .map(|&(key, _)| self.update(key))
            .filter(|u| u.version > versions[usize::from(u.key)])
            .collect();
        if !updates.is_empty() {
            self.stats.rumour_messages += 1;
            cx.send(from, GossipMessage::PullReply { updates });
        }
    }

    /// The entries whose version here is newer than `theirs`.
    fn newer_than(&self, theirs: &[Version; KEYS]) -> Vec<Update> {
        (0..KEYS as u8)
            .filter(|&key| self.store[usize::from(key)].version > theirs[usize::from(key)])
            .map(|key| self.update(key))
            .collect()
    }

    /// Anti-entropy (§1.2), push-pull with a digest: send only the versions;
    /// the partner answers with what this node lacks and its own versions.
    fn on_anti_entropy(&mut self, cx: &mut Cx<Self>) {
        if let Some(period) = self.config.anti_entropy {
            cx.set_timer(GossipTimer::AntiEntropy, period);
        }
        let Some(&partner) = self.random_peers(1, cx).first() else {
            return;
        };
        self.stats.digest_bytes += KEYS as u64 * VERSION_BYTES;
        self.stats.full_state_bytes += KEYS as u64 * ENTRY_BYTES;
        cx.send(
            partner,
            GossipMessage::Digest {
                versions: self.versions(),
            },
        );
    }

    fn on_digest(&mut self, from: NodeId, theirs: &[Version; KEYS], cx: &mut Cx<Self>) {
        let entries = self.newer_than(theirs);
        self.stats.digest_bytes += KEYS as u64 * VERSION_BYTES + entries.len() as u64 * ENTRY_BYTES;
        self.stats.full_state_bytes += KEYS as u64 * ENTRY_BYTES;
        cx.send(
            from,
            GossipMessage::DigestReply {
                versions: self.versions(),
                entries,
            },
        );
    }

    fn on_digest_reply(
        &mut self,
        from: NodeId,
        theirs: &[Version; KEYS],
        entries: &[Update],
        cx: &mut Cx<Self>,
    ) {
        self.learn_all(entries, false, cx);
        let missing = self.newer_than(theirs);
        if !missing.is_empty() {
            self.stats.digest_bytes += missing.len() as u64 * ENTRY_BYTES;
            cx.send(from, GossipMessage::Entries { entries: missing });
        }
    }

    /// Writes a fresh version of `key` here: a new rumour.
    fn start_rumour(&mut self, key: u8, cx: &mut Cx<Self>) {
        let version = Version {
            counter: self.entry(key).version.counter + 1,
            origin: self.id.0,
        };
        let update = Update {
            key,
            version,
            value: self.originations + 1,
        };
        self.learn(update, true, cx.now());
        self.originations += 1;
        self.last_origination = Some((key, version, cx.now()));
        cx.note(|| format!("new rumour: k{key}={version}"));
    }

    /// Aligns a periodic timer to the next multiple of `period`, so rounds of
    /// all nodes start together and "rounds" mean what the theory counts.
    fn aligned(now: Time, period: Duration) -> Duration {
        let period = period.as_micros().max(1);
        Duration(period - now.as_micros() % period)
    }
}

impl Node for GossipNode {
    type Msg = GossipMessage;
    type Timer = GossipTimer;
    type Op = StartRumour;

    fn on_start(&mut self, cx: &mut Cx<Self>) {
        self.boots += 1;
        cx.set_timer(
            GossipTimer::Round,
            Self::aligned(cx.now(), self.config.round),
        );
        if let Some(period) = self.config.anti_entropy {
            // Spread the exchanges over the period rather than all at once.
            let offset = cx.rng.range_inclusive(1, period.as_micros().max(1));
            cx.set_timer(GossipTimer::AntiEntropy, Duration(offset));
        }
        self.swim_start(cx);
    }

    fn on_message(&mut self, from: NodeId, msg: GossipMessage, cx: &mut Cx<Self>) {
        if from.0 >= self.cluster {
            cx.note(|| format!("dropped a message from {from}: not a member"));
            return;
        }
        match msg {
            GossipMessage::Push { updates } | GossipMessage::PullReply { updates } => {
                self.learn_all(&updates, true, cx);
            }
            GossipMessage::PullRequest { versions } => self.on_pull_request(from, &versions, cx),
            GossipMessage::Digest { versions } => self.on_digest(from, &versions, cx),
            GossipMessage::DigestReply { versions, entries } => {
                self.on_digest_reply(from, &versions, &entries, cx)
            }
            GossipMessage::Entries { entries } => self.learn_all(&entries, false, cx),
            swim => self.on_swim_message(from, swim, cx),
        }
    }

    fn on_timer(&mut self, timer: GossipTimer, cx: &mut Cx<Self>) {
        match timer {
            GossipTimer::Round => self.on_round(cx),
            GossipTimer::AntiEntropy => self.on_anti_entropy(cx),
            swim => self.on_swim_timer(swim, cx),
        }
    }

    fn on_operation(&mut self, operation: StartRumour, cx: &mut Cx<Self>) {
        self.start_rumour(operation.key, cx);
    }

    fn on_crash(&mut self) {
        self.hot.clear();
        self.swim.crash();
    }

    fn summary(&self) -> NodeSummary {
        let newest = self
            .store
            .iter()
            .map(|e| e.version)
            .max()
            .unwrap_or_default();
        let (role, palette) = if self.swim.suspecting() {
            ("suspecting", Palette::Suspect)
        } else if !self.hot.is_empty() {
            ("spreading", Palette::Contend)
        } else if !newest.is_none() {
            ("informed", Palette::Done)
        } else {
            ("waiting", Palette::Plain)
        };
        NodeSummary {
            role,
            palette,
            badge: if newest.is_none() {
                String::new()
            } else {
                newest.counter.to_string()
            },
            detail: format!(
                "{role}; newest {newest}; incarnation {}; {} suspect, {} dead in its view",
                self.swim.incarnation(),
                self.swim.count(super::message::Status::Suspect),
                self.swim.count(super::message::Status::Dead),
            ),
        }
    }

    fn state_row(&self) -> Vec<Cell> {
        let store: Vec<String> = self
            .store
            .iter()
            .enumerate()
            .filter(|(_, e)| !e.version.is_none())
            .map(|(key, e)| format!("k{key}={}", e.version))
            .collect();
        let hot: Vec<String> = self
            .hot
            .iter()
            .map(|(key, left)| format!("k{key}({left})"))
            .collect();
        vec![
            Cell::Text(self.id.to_string()),
            Cell::Text(self.summary().role.to_string()),
            Cell::Text(store.join(" ")),
            Cell::Text(hot.join(" ")),
            Cell::Text(self.swim.incarnation().to_string()),
            Cell::Text(self.swim.view_text()),
            Cell::Text(self.swim.probe_text()),
        ]
    }
}
