//! Consistent hashing: which node owns a key, and which keys move when nodes come
//! and go.
//!
//! **Problem.** A cache or a store spreads keys over `n` nodes. Placing key `k` on
//! node `hash(k) mod n` balances well, but adding or removing one node changes `n`
//! and moves almost every key (about `n / (n + 1)` of them), so one new cache server
//! empties every cache. The least any scheme can move is the changed node's fair
//! share, `K / n` of `K` keys: the "K/n ideal".
//!
//! **Idea.** Hash nodes and keys onto the same circle; a key belongs to the first
//! node point clockwise from it. A new node takes only the keys on the arcs it lands
//! in; a leaving node's keys go to the next points clockwise; nothing else moves.
//! One point per node makes the arcs very uneven, so each node is placed at many
//! *virtual nodes*: the relative standard deviation of load falls like `1/sqrt(v)`.
//!
//! **Follows** Karger, Lehman, Leighton, Panigrahy, Levine and Lewin, "Consistent
//! Hashing and Random Trees" (STOC 1997), section 4 (the ring, with each node at
//! several points), through [`crate::hashing::HashRing`]. For contrast the same keys
//! are placed by mod-N, by jump consistent hash (Lamping and Veach, 2014) and by
//! rendezvous hashing (Thaler and Ravishankar, 1996) with
//! [`crate::hashing::compare_strategies`] after every node change.
//!
//! **What a run shows.** Nodes are named `node-0`, `node-1`, ... in the order they
//! join (names are never reused); keys are `key-<number>` with numbers drawn from the
//! scenario's seed. [`ConsistentHashingState`] exposes the ring (points, arcs, shares),
//! every key's position and owner, load per node with its standard deviation, the
//! same keys under mod-N, the last change's movement against the K/n ideal with the
//! four-way comparison, and a balance series (measured spread of load against the
//! theory, [`ring_load_theory`]) for the chart.
//!
//! **Invariants** (checked after every operation):
//! - `minimal-movement`: the last change moved only keys that had to move: after
//!   adding a node every moved key went to it; after removing a node every moved key
//!   came from it; after changing the virtual-node count a key moved only off a point
//!   that left the ring or onto a point that joined it; adding keys moved no key.
//! - `every-key-owned`: every key is recorded on exactly the node (and point) the
//!   placement rule gives for its position, and that node is on the ring.
//!
//! **Operations** ([`crate::scenario::Action::Operation`] codes; the argument is
//! ignored where none is listed):
//! - [`OP_ADD_NODE`] (1): a new node joins with the current virtual-node count
//!   (refused at [`MAX_NODES`]).
//! - [`OP_REMOVE_NODE`] (2), arg = the node's index in [`HashRing::nodes`] (join
//!   order): that node leaves (refused for a bad index or the last node).
//! - [`OP_SET_VNODES`] (3), arg = 1..=[`MAX_VNODES`]: every node gets that many
//!   virtual nodes.
//! - [`OP_ADD_KEYS`] (4), arg = 1..=[`MAX_KEYS_PER_OP`]: that many new keys (refused
//!   beyond [`MAX_KEYS`] keys in all).
//!
//! **Bug** `mod-n-placement`: keys are placed by `hash mod N` while the ring is still
//! drawn; the first node change reshuffles keys between nodes that did not change,
//! and `minimal-movement` catches it.

pub mod presets;

use std::collections::BTreeSet;
use std::fmt;

use crate::hashing::{
    compare_strategies, hash64, position_fraction, HashRing, LoadStats, Movement, NodeChange,
    Strategy, StrategyReport,
};
use crate::lab::run::RunOptions;
use crate::lab::scenario::Scenario;
use crate::lab::structure::{self, Plan, StructureTopic};
use crate::lab::topic::{
    BugInfo, BuildError, Category, InvariantInfo, ParamSpec, TopicInfo, TopicKind,
};
use crate::sim::action::{Operation, RawOperation};
use crate::sim::checker::Violation;
use crate::sim::ops::{Notes, Structure};
use crate::sim::rng::Rng;
use crate::sim::time::Time;
use crate::sim::view::{Cell, StateTable};

/// A new node joins (argument ignored).
pub const OP_ADD_NODE: u32 = 1;
/// The node at index `arg` of [`HashRing::nodes`] leaves.
pub const OP_REMOVE_NODE: u32 = 2;
/// Every node gets `arg` virtual nodes (1..=[`MAX_VNODES`]).
pub const OP_SET_VNODES: u32 = 3;
/// `arg` new keys (1..=[`MAX_KEYS_PER_OP`]).
pub const OP_ADD_KEYS: u32 = 4;

/// The most nodes on the ring at once.
pub const MAX_NODES: usize = 32;
/// The most virtual nodes per node (the slider's range is 1..=500).
pub const MAX_VNODES: u32 = 500;
/// The most keys in a run. Bounds the cost of a node change, which places every key
/// four ways (rendezvous hashing costs one hash per node per key).
pub const MAX_KEYS: usize = 3000;
/// The most keys one [`OP_ADD_KEYS`] adds.
pub const MAX_KEYS_PER_OP: u64 = 1000;

/// Invariant: a change moved only the keys that had to move.
pub const MINIMAL_MOVEMENT: &str = "minimal-movement";
/// Invariant: every key has exactly the owner the placement rule gives, a live node.
pub const EVERY_KEY_OWNED: &str = "every-key-owned";

/// Bug: place keys by `hash mod N` instead of on the ring.
pub const BUG_MOD_N_PLACEMENT: &str = "mod-n-placement";

/// Key numbers are drawn below this, so key names stay short.
const KEY_NUMBER_RANGE: u64 = 1_000_000;
/// RNG stream of the key names (independent of the plan's stream).
const KEY_STREAM: u64 = 0x6b65_7973; // "keys"

pub static INVARIANTS: &[InvariantInfo] = &[
    InvariantInfo {
        name: MINIMAL_MOVEMENT,
        summary: "A change moves only keys that must move: to a node that joined, from a node that left, off a removed point or onto a new one.",
    },
    InvariantInfo {
        name: EVERY_KEY_OWNED,
        summary: "Every key is recorded on exactly the node the placement rule gives for its position, and that node is on the ring.",
    },
];

/// The consistent hashing topic.
pub struct ConsistentHashingTopic;

pub static INFO: TopicInfo = TopicInfo {
    slug: "consistent-hashing",
    title: "Consistent hashing",
    category: Category::DataStructures,
    kind: TopicKind::DataStructure,
    summary: "Nodes and keys hashed onto one ring: a key belongs to the next node point clockwise. Add or remove a node and see exactly which keys move, against the K/n ideal and against mod-N hashing; turn up virtual nodes and watch the load even out; compare jump and rendezvous hashing side by side.",
    reference: "Karger et al., Consistent Hashing and Random Trees, STOC 1997 (section 4); Lamping & Veach, A Fast, Minimal Memory, Consistent Hash Algorithm, 2014; Thaler & Ravishankar, rendezvous hashing, 1996",
    params: &[
        ParamSpec {
            name: "nodes",
            label: "Nodes",
            default: 4,
            min: 2,
            max: 20,
            step: 1,
            help: "Physical nodes on the ring at the start.",
            choices: &[],
        },
        ParamSpec {
            name: "vnodes",
            label: "Virtual nodes per node",
            default: 50,
            min: 1,
            max: MAX_VNODES as i64,
            step: 1,
            help: "Points each node occupies on the ring; more points, more even load.",
            choices: &[],
        },
        ParamSpec {
            name: "keys",
            label: "Keys",
            default: 200,
            min: 10,
            max: 2000,
            step: 1,
            help: "Keys placed on the ring at the start.",
            choices: &[],
        },
    ],
    presets: &presets::PRESETS,
    bugs: &[BugInfo {
        name: BUG_MOD_N_PLACEMENT,
        summary: "Place keys by hash(key) mod N instead of on the ring: every change of N reshuffles keys between nodes that did not change.",
        caught_by: &[MINIMAL_MOVEMENT],
        budget: 5,
    }],
    invariants: INVARIANTS,
    expected: &[],
    columns: &["node", "vnodes", "ring share", "keys", "mod-N keys"],
    build: structure::build::<ConsistentHashingTopic>,
};

impl StructureTopic for ConsistentHashingTopic {
    const INFO: &'static TopicInfo = &INFO;
    type State = ConsistentHashingState;
    type Script = presets::Script;

    fn setup(
        scenario: &Scenario,
        script: Option<&presets::Script>,
        _options: RunOptions,
    ) -> Result<(ConsistentHashingState, Plan<ConsistentHashingState>), BuildError> {
        let placement = if scenario.bug.as_deref() == Some(BUG_MOD_N_PLACEMENT) {
            Placement::ModN
        } else {
            Placement::Ring
        };
        // Validation keeps every parameter inside its (non-negative) range.
        let state = ConsistentHashingState::new(
            INFO.param(scenario, "nodes").max(1) as usize,
            INFO.param(scenario, "vnodes").max(1) as u32,
            INFO.param(scenario, "keys").max(0) as usize,
            scenario.seed,
            placement,
        );
        let plan = match script {
            Some(script) => script(),
            None => presets::default_plan(&state, scenario.seed),
        };
        Ok((state, plan))
    }
}

/// What a person asks of the ring from the page or a link.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RingRequest {
    AddNode,
    /// The node at this index of [`HashRing::nodes`] leaves.
    RemoveNode {
        index: u64,
    },
    SetVnodes {
        count: u64,
    },
    AddKeys {
        count: u64,
    },
}

impl fmt::Display for RingRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RingRequest::AddNode => write!(f, "add a node"),
            RingRequest::RemoveNode { index } => write!(f, "remove node number {index}"),
            RingRequest::SetVnodes { count } => write!(f, "set {count} virtual nodes per node"),
            RingRequest::AddKeys { count } => write!(f, "add {count} keys"),
        }
    }
}

impl Operation for RingRequest {
    fn to_raw(&self) -> RawOperation {
        match *self {
            RingRequest::AddNode => RawOperation::new(OP_ADD_NODE, &[]),
            RingRequest::RemoveNode { index } => RawOperation::new(OP_REMOVE_NODE, &[index]),
            RingRequest::SetVnodes { count } => RawOperation::new(OP_SET_VNODES, &[count]),
            RingRequest::AddKeys { count } => RawOperation::new(OP_ADD_KEYS, &[count]),
        }
    }

    /// Also reads links from before typed operations, which gave "add a node" an
    /// ignored argument.
    fn from_raw(raw: &RawOperation) -> Option<Self> {
        let one = raw.args.len() == 1;
        let arg = raw.arg(0);
        Some(match raw.code {
            OP_ADD_NODE if raw.args.len() <= 1 => RingRequest::AddNode,
            OP_REMOVE_NODE if one => RingRequest::RemoveNode { index: arg? },
            OP_SET_VNODES if one => RingRequest::SetVnodes { count: arg? },
            OP_ADD_KEYS if one => RingRequest::AddKeys { count: arg? },
            _ => return None,
        })
    }
}

/// How keys are assigned to nodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// The first ring point clockwise from the key (the topic's subject).
    Ring,
    /// `hash(key) mod N` over the nodes in join order (the `mod-n-placement` bug).
    ModN,
}

/// One key's place: where it sits on the ring and who owns it.
#[derive(Clone, Debug, PartialEq)]
pub struct KeyOwner {
    /// The key's ring position, [`hash64`] of its name.
    pub position: u64,
    /// The position as a fraction of the circle, for drawing.
    pub fraction: f64,
    /// The owning node (`None` only on an empty ring).
    pub node: Option<String>,
    /// The owning virtual node (its index among the node's points); `None` under
    /// mod-N placement, which has no points.
    pub vnode: Option<u32>,
}

/// An operation of the plan or of the person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RingOp {
    /// A new node joins, named when it does (`node-<next number>`).
    AddNode,
    /// The named node leaves (nothing happens if it is gone or is the last node).
    RemoveNode { name: String },
    /// Every node gets `count` virtual nodes.
    SetVnodes { count: u32 },
    /// `count` new keys.
    AddKeys { count: u32 },
}

impl fmt::Display for RingOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RingOp::AddNode => write!(f, "add a node"),
            RingOp::RemoveNode { name } => write!(f, "remove {name}"),
            RingOp::SetVnodes { count } => {
                write!(
                    f,
                    "set {} per node",
                    counted(*count as usize, "virtual node")
                )
            }
            RingOp::AddKeys { count } => write!(f, "add {}", counted(*count as usize, "key")),
        }
    }
}

/// What the last change was.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RingChangeKind {
    AddNode { name: String },
    RemoveNode { name: String },
    SetVnodes { from: u32, to: u32 },
    AddKeys { count: usize },
}

/// The last change and what it did to the keys.
#[derive(Clone, Debug, PartialEq)]
pub struct RingChange {
    pub kind: RingChangeKind,
    /// Nodes before and after, in join order.
    pub nodes_before: Vec<String>,
    pub nodes_after: Vec<String>,
    /// The owner of every key that existed before the change, before it (indices
    /// match [`ConsistentHashingState::keys`]).
    pub owners_before: Vec<KeyOwner>,
    /// Keys (of those that existed before) whose owner changed, from where to where,
    /// with the K/n ideal.
    pub movement: Movement,
    /// Ring, jump, rendezvous and mod-N over the same keys and the same change of
    /// nodes, in that order. Empty unless a node was added or removed.
    pub comparison: Vec<StrategyReport>,
}

impl RingChange {
    /// The comparison row of one strategy by name (`ring`, `jump`, `rendezvous`,
    /// `mod-N`).
    pub fn report(&self, strategy: &str) -> Option<&StrategyReport> {
        self.comparison
            .iter()
            .find(|r| r.strategy.name() == strategy)
    }

    /// What mod-N hashing would have moved for the same change of nodes.
    pub fn mod_n_movement(&self) -> Option<&Movement> {
        self.report("mod-N").map(|r| &r.movement)
    }
}

/// The spread of load after one operation, for the balance chart.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BalanceSample {
    pub nodes: usize,
    pub vnodes: u32,
    pub keys: usize,
    /// Measured standard deviation of keys per node over the mean, for the keys as
    /// placed (on the ring, or mod-N under the bug).
    pub relative_std_dev: f64,
    /// [`ring_load_theory`] for these nodes, vnodes and keys.
    pub theory: f64,
    /// The same measure for the same keys under mod-N.
    pub mod_n_relative_std_dev: f64,
    /// [`mod_n_load_theory`].
    pub mod_n_theory: f64,
}

/// The expected relative standard deviation of keys per node on a ring of `nodes`
/// nodes with `vnodes` points each and `keys` random keys.
///
/// The `N = nodes·vnodes` points cut the circle into `N` arcs distributed like the
/// spacings of `N` uniform points (Dirichlet(1, ..., 1)), so a node's share `s` of the
/// circle is Beta(v, N − v): relative variance `(n − 1)/(n·v + 1)`. Each key then lands
/// on the node with probability `s`, which adds binomial noise; together the relative
/// variance of a node's load is `r + (n − 1 − r)/K` with `r = (n − 1)/(n·v + 1)`. The
/// square root of that is what the measured population standard deviation over the
/// mean scatters around. 0 for fewer than 2 nodes, no vnodes or no keys.
pub fn ring_load_theory(nodes: usize, vnodes: u32, keys: usize) -> f64 {
    if nodes < 2 || vnodes == 0 || keys == 0 {
        return 0.0;
    }
    let n = nodes as f64;
    let spread = (n - 1.0) / (n * f64::from(vnodes) + 1.0);
    (spread + (n - 1.0 - spread) / keys as f64).sqrt()
}

/// The expected relative standard deviation of keys per node under mod-N: loads are
/// multinomial, relative variance `(n − 1)/K`. 0 for fewer than 2 nodes or no keys.
pub fn mod_n_load_theory(nodes: usize, keys: usize) -> f64 {
    if nodes < 2 || keys == 0 {
        return 0.0;
    }
    ((nodes as f64 - 1.0) / keys as f64).sqrt()
}

/// The state of a consistent-hashing run: the ring, the keys and what the last
/// change did. Pages downcast the run to [`ConsistentHashingRun`] and read this.
#[derive(Clone, Debug)]
pub struct ConsistentHashingState {
    ring: HashRing,
    vnodes: u32,
    placement: Placement,
    /// The number in the next joining node's name.
    next_node: u32,
    keys: Vec<String>,
    key_numbers: BTreeSet<u64>,
    key_rng: Rng,
    /// One per key, same order as `keys`.
    owners: Vec<KeyOwner>,
    load: LoadStats,
    mod_n_load: LoadStats,
    last_change: Option<RingChange>,
    balance: Vec<BalanceSample>,
}

impl ConsistentHashingState {
    /// `nodes` nodes (`node-0` ...) with `vnodes` virtual nodes each and `keys` keys
    /// named from `seed`. Counts are clamped to the topic's limits.
    pub fn new(nodes: usize, vnodes: u32, keys: usize, seed: u64, placement: Placement) -> Self {
        let vnodes = vnodes.clamp(1, MAX_VNODES);
        let mut state = ConsistentHashingState {
            ring: HashRing::new(),
            vnodes,
            placement,
            next_node: 0,
            keys: Vec::new(),
            key_numbers: BTreeSet::new(),
            key_rng: Rng::derive(seed, KEY_STREAM),
            owners: Vec::new(),
            load: LoadStats::from_loads(Vec::new(), 0),
            mod_n_load: LoadStats::from_loads(Vec::new(), 0),
            last_change: None,
            balance: Vec::new(),
        };
        for _ in 0..nodes.clamp(1, MAX_NODES) {
            let name = state.next_node_name();
            // A fresh name and a clamped count: adding cannot fail.
            let _ = state.ring.add_node(name, vnodes);
        }
        state.new_keys(keys.min(MAX_KEYS));
        state.refresh();
        state.record_balance();
        state
    }

    /// The ring: nodes, points ([`HashRing::points`]), arcs coloured by owner
    /// ([`HashRing::arcs`]) and each node's share of the circle ([`HashRing::shares`]).
    pub fn ring(&self) -> &HashRing {
        &self.ring
    }

    /// Virtual nodes per node (the slider's value).
    pub fn vnodes(&self) -> u32 {
        self.vnodes
    }

    /// How keys are placed (mod-N only with the bug on).
    pub fn placement(&self) -> Placement {
        self.placement
    }

    /// The keys, in the order they were created.
    pub fn keys(&self) -> &[String] {
        &self.keys
    }

    /// Each key's position and owner, in the order of [`Self::keys`].
    pub fn owners(&self) -> &[KeyOwner] {
        &self.owners
    }

    /// Keys per node (in join order), with mean, standard deviation, min and max.
    pub fn load(&self) -> &LoadStats {
        &self.load
    }

    /// The same keys placed by `hash mod N` over the same nodes, for contrast.
    pub fn mod_n_load(&self) -> &LoadStats {
        &self.mod_n_load
    }

    /// The node key `index` would have under mod-N hashing.
    pub fn mod_n_owner(&self, index: usize) -> Option<&str> {
        let position = self.owners.get(index)?.position;
        let nodes = self.ring.nodes();
        if nodes.is_empty() {
            return None;
        }
        nodes
            .get((position % nodes.len() as u64) as usize)
            .map(|n| n.name.as_str())
    }

    /// The last change (node added or removed, virtual nodes changed, keys added).
    pub fn last_change(&self) -> Option<&RingChange> {
        self.last_change.as_ref()
    }

    /// Load spread after the start and after every change, for the chart.
    pub fn balance(&self) -> &[BalanceSample] {
        &self.balance
    }

    /// Load per node of the current keys on the current nodes under each of the four
    /// schemes (the ring with the current virtual-node count, jump, rendezvous and
    /// mod-N), in [`Strategy::all`] order, so a side-by-side table has figures at
    /// every instant ([`RingChange::comparison`] exists only right after a node
    /// change). The ring row is the true ring even under the `mod-n-placement` bug.
    ///
    /// Computed on every call: rendezvous hashing hashes every node for every key (up
    /// to [`MAX_NODES`] × [`MAX_KEYS`] hashes), so a page should cache it per step.
    pub fn strategy_loads(&self) -> Vec<(Strategy, LoadStats)> {
        let names = self.ring.node_names();
        Strategy::all(self.vnodes)
            .iter()
            .map(|&strategy| (strategy, strategy.load(&names, &self.keys)))
            .collect()
    }

    fn next_node_name(&mut self) -> String {
        let name = format!("node-{}", self.next_node);
        self.next_node = self.next_node.saturating_add(1);
        name
    }

    /// Appends `count` keys with fresh seeded names (no owners yet).
    fn new_keys(&mut self, count: usize) {
        let count = count.min(MAX_KEYS.saturating_sub(self.keys.len()));
        for _ in 0..count {
            // Fewer than MAX_KEYS of a million numbers are taken, so a free one is
            // found within a few draws.
            let number = loop {
                let candidate = self.key_rng.below(KEY_NUMBER_RANGE);
                if self.key_numbers.insert(candidate) {
                    break candidate;
                }
            };
            self.keys.push(format!("key-{number}"));
        }
    }

    /// The owner the placement rule gives `position`: node name and point.
    fn expected_owner(&self, position: u64) -> Option<(&str, Option<u32>)> {
        match self.placement {
            Placement::Ring => self
                .ring
                .locate_position(position)
                .map(|p| (p.owner.node, Some(p.owner.vnode))),
            Placement::ModN => {
                let nodes = self.ring.nodes();
                if nodes.is_empty() {
                    return None;
                }
                let index = (position % nodes.len() as u64) as usize;
                nodes.get(index).map(|n| (n.name.as_str(), None))
            }
        }
    }

    /// Places every key again and recomputes both loads.
    fn refresh(&mut self) {
        let mut owners = Vec::with_capacity(self.keys.len());
        for (i, key) in self.keys.iter().enumerate() {
            // Keys keep their positions; only new keys are hashed.
            let position = match self.owners.get(i) {
                Some(owner) => owner.position,
                None => hash64(key),
            };
            let (node, vnode) = match self.expected_owner(position) {
                Some((node, vnode)) => (Some(node.to_string()), vnode),
                None => (None, None),
            };
            owners.push(KeyOwner {
                position,
                fraction: position_fraction(position),
                node,
                vnode,
            });
        }
        self.owners = owners;
        let names = self.ring.node_names();
        let index_of = |name: &str| names.iter().position(|n| *n == name);
        let placed: Vec<Option<usize>> = self
            .owners
            .iter()
            .map(|o| o.node.as_deref().and_then(index_of))
            .collect();
        let by_mod_n: Vec<Option<usize>> = self
            .owners
            .iter()
            .map(|o| (!names.is_empty()).then(|| (o.position % names.len() as u64) as usize))
            .collect();
        self.load = LoadStats::from_owners(&names, &placed);
        self.mod_n_load = LoadStats::from_owners(&names, &by_mod_n);
    }

    fn record_balance(&mut self) {
        let nodes = self.ring.node_count();
        let keys = self.keys.len();
        self.balance.push(BalanceSample {
            nodes,
            vnodes: self.vnodes,
            keys,
            relative_std_dev: self.load.relative_std_dev(),
            theory: ring_load_theory(nodes, self.vnodes, keys),
            mod_n_relative_std_dev: self.mod_n_load.relative_std_dev(),
            mod_n_theory: mod_n_load_theory(nodes, keys),
        });
    }

    /// Re-places the keys after a change to the ring or the keys and records what
    /// moved. `owners_before` are the owners of the keys that existed before.
    fn finish_change(
        &mut self,
        kind: RingChangeKind,
        nodes_before: Vec<String>,
        owners_before: Vec<KeyOwner>,
        comparison: Vec<StrategyReport>,
    ) {
        self.refresh();
        let nodes_after: Vec<String> = self.ring.nodes().iter().map(|n| n.name.clone()).collect();
        let before: Vec<Option<&str>> = owners_before.iter().map(|o| o.node.as_deref()).collect();
        let after: Vec<Option<&str>> = self
            .owners
            .iter()
            .take(before.len())
            .map(|o| o.node.as_deref())
            .collect();
        let movement = Movement::between(&nodes_before, &nodes_after, &before, &after);
        self.last_change = Some(RingChange {
            kind,
            nodes_before,
            nodes_after,
            owners_before,
            movement,
            comparison,
        });
        self.record_balance();
    }

    fn node_names_owned(&self) -> Vec<String> {
        self.ring.nodes().iter().map(|n| n.name.clone()).collect()
    }

    /// Performs `op`. `Err` says why nothing changed (a planned operation that no
    /// longer fits, such as removing a node that already left).
    pub fn perform(&mut self, op: &RingOp) -> Result<(), String> {
        match op {
            RingOp::AddNode => self.add_node(),
            RingOp::RemoveNode { name } => self.remove_node(name),
            RingOp::SetVnodes { count } => self.set_vnodes(*count),
            RingOp::AddKeys { count } => self.add_keys(*count),
        }
    }

    fn add_node(&mut self) -> Result<(), String> {
        if self.ring.node_count() >= MAX_NODES {
            return Err(format!(
                "the ring already has {MAX_NODES} nodes; no node added"
            ));
        }
        let name = self.next_node_name();
        let nodes_before = self.node_names_owned();
        let owners_before = self.owners.clone();
        self.ring
            .add_node(name.clone(), self.vnodes)
            .map_err(|error| format!("{name} cannot join: {error}"))?;
        let comparison = compare_strategies(
            &Strategy::all(self.vnodes),
            &nodes_before,
            &NodeChange::Add(name.clone()),
            &self.keys,
        );
        self.finish_change(
            RingChangeKind::AddNode { name },
            nodes_before,
            owners_before,
            comparison,
        );
        Ok(())
    }

    fn remove_node(&mut self, name: &str) -> Result<(), String> {
        if !self.ring.contains_node(name) {
            return Err(format!("{name} is not on the ring; nothing changes"));
        }
        if self.ring.node_count() <= 1 {
            return Err(format!(
                "{name} is the last node; a ring needs at least one"
            ));
        }
        let nodes_before = self.node_names_owned();
        let owners_before = self.owners.clone();
        self.ring.remove_node(name);
        let comparison = compare_strategies(
            &Strategy::all(self.vnodes),
            &nodes_before,
            &NodeChange::Remove(name.to_string()),
            &self.keys,
        );
        self.finish_change(
            RingChangeKind::RemoveNode {
                name: name.to_string(),
            },
            nodes_before,
            owners_before,
            comparison,
        );
        Ok(())
    }

    fn set_vnodes(&mut self, count: u32) -> Result<(), String> {
        let count = count.clamp(1, MAX_VNODES);
        let from = self.vnodes;
        if count == from {
            return Err(format!("every node already has {count} virtual nodes"));
        }
        let nodes_before = self.node_names_owned();
        let owners_before = self.owners.clone();
        for name in &nodes_before {
            // Known names and a clamped count: this cannot fail.
            let _ = self.ring.set_vnodes(name, count);
        }
        self.vnodes = count;
        self.finish_change(
            RingChangeKind::SetVnodes { from, to: count },
            nodes_before,
            owners_before,
            Vec::new(),
        );
        Ok(())
    }

    fn add_keys(&mut self, count: u32) -> Result<(), String> {
        let room = MAX_KEYS.saturating_sub(self.keys.len());
        let count = (count as usize).min(room);
        if count == 0 {
            return Err(format!("the run already has {MAX_KEYS} keys; none added"));
        }
        let nodes_before = self.node_names_owned();
        let owners_before = self.owners.clone();
        self.new_keys(count);
        self.finish_change(
            RingChangeKind::AddKeys { count },
            nodes_before,
            owners_before,
            Vec::new(),
        );
        Ok(())
    }

    /// One sentence on the last change: what happened and how many keys moved.
    fn change_headline(&self) -> String {
        let Some(change) = &self.last_change else {
            return String::new();
        };
        let moved = change.movement.moved;
        match &change.kind {
            RingChangeKind::AddNode { name } => format!(
                "{name} joins with {} virtual nodes. {}",
                self.vnodes,
                self.movement_summary()
            ),
            RingChangeKind::RemoveNode { name } => {
                format!("{name} leaves. {}", self.movement_summary())
            }
            RingChangeKind::SetVnodes { from, to } => {
                let why = if to > from {
                    "each can only have gone to one of the new points"
                } else {
                    "each can only have left one of the removed points"
                };
                format!(
                    "every node now has {to} virtual nodes (was {from}): {moved} of {} keys change owner; {why}",
                    self.keys.len()
                )
            }
            RingChangeKind::AddKeys { count } => format!(
                "{} land on the ring, {} in all; {moved} existing keys move",
                counted(*count, "new key"),
                self.keys.len()
            ),
        }
    }

    fn movement_summary(&self) -> String {
        let Some(change) = &self.last_change else {
            return String::new();
        };
        let m = &change.movement;
        let mut text = format!(
            "{} of {} keys change owner (the K/n ideal is {:.1})",
            m.moved, m.total, m.ideal
        );
        if let Some(mod_n) = change.mod_n_movement() {
            text.push_str(&format!("; mod-N would move {}", mod_n.moved));
        }
        text
    }

    fn flows_summary(&self) -> String {
        let Some(change) = &self.last_change else {
            return String::new();
        };
        if change.movement.flows.is_empty() {
            return "no key moves".to_string();
        }
        let flows: Vec<String> = change
            .movement
            .flows
            .iter()
            .map(|f| {
                format!(
                    "{} -> {}: {}",
                    f.from.as_deref().unwrap_or("none"),
                    f.to.as_deref().unwrap_or("none"),
                    f.keys
                )
            })
            .collect();
        format!("moves {}", flows.join(", "))
    }

    fn balance_summary(&self) -> String {
        let sample = self.balance.last().copied();
        let (theory, mod_n) = sample.map_or((0.0, 0.0), |s| (s.theory, s.mod_n_relative_std_dev));
        format!(
            "keys per node: min {}, max {}, std-dev {:.1} ({:.3} of the mean; theory {:.3}); mod-N: {:.3} of the mean",
            self.load.min,
            self.load.max,
            self.load.std_dev,
            self.load.relative_std_dev(),
            theory,
            mod_n
        )
    }

    /// `every-key-owned`: pushes a violation for the first key whose recorded owner
    /// is missing, not on the ring, or not what the placement rule gives.
    fn check_every_key_owned(&self, found: &mut Vec<Violation>) {
        if self.owners.len() != self.keys.len() {
            found.push(Violation {
                invariant: EVERY_KEY_OWNED,
                message: format!(
                    "{} keys but {} recorded owners",
                    self.keys.len(),
                    self.owners.len()
                ),
            });
            return;
        }
        let mut wrong = 0usize;
        let mut first: Option<String> = None;
        for (key, owner) in self.keys.iter().zip(&self.owners) {
            let problem = match (owner.node.as_deref(), self.expected_owner(owner.position)) {
                (None, _) => Some(format!("{key} has no owner")),
                (Some(node), _) if !self.ring.contains_node(node) => Some(format!(
                    "{key} is recorded on {node}, which is not on the ring"
                )),
                (Some(node), Some((expected, vnode)))
                    if node != expected || owner.vnode != vnode =>
                {
                    Some(format!(
                        "{key} is recorded on {node}{} but the placement rule gives {expected}{}",
                        point_suffix(owner.vnode),
                        point_suffix(vnode)
                    ))
                }
                (Some(node), None) => {
                    Some(format!("{key} is recorded on {node} but the ring is empty"))
                }
                _ => None,
            };
            if let Some(problem) = problem {
                wrong += 1;
                first.get_or_insert(problem);
            }
        }
        if let Some(first) = first {
            found.push(Violation {
                invariant: EVERY_KEY_OWNED,
                message: format!("{first} ({wrong} keys wrong)"),
            });
        }
    }

    /// `minimal-movement`: pushes a violation if the last change moved a key it did
    /// not have to move.
    fn check_minimal_movement(&self, found: &mut Vec<Violation>) {
        let Some(change) = &self.last_change else {
            return;
        };
        let mut needless = 0usize;
        let mut first: Option<String> = None;
        for mv in &change.movement.moves {
            let allowed = match &change.kind {
                RingChangeKind::AddNode { name } => mv.to.as_deref() == Some(name.as_str()),
                RingChangeKind::RemoveNode { name } => mv.from.as_deref() == Some(name.as_str()),
                RingChangeKind::SetVnodes { from, to } => {
                    let old_point = change.owners_before.get(mv.key).and_then(|o| o.vnode);
                    let new_point = self.owners.get(mv.key).and_then(|o| o.vnode);
                    // Growing adds points >= from; shrinking removes points >= to.
                    (to > from && new_point.is_some_and(|v| v >= *from))
                        || (to < from && old_point.is_some_and(|v| v >= *to))
                }
                RingChangeKind::AddKeys { .. } => false,
            };
            if !allowed {
                needless += 1;
                first.get_or_insert_with(|| {
                    format!(
                        "{} moved from {} to {}",
                        self.keys.get(mv.key).map_or("a key", String::as_str),
                        mv.from.as_deref().unwrap_or("no node"),
                        mv.to.as_deref().unwrap_or("no node")
                    )
                });
            }
        }
        if let Some(first) = first {
            let what = match &change.kind {
                RingChangeKind::AddNode { name } => format!("adding {name}"),
                RingChangeKind::RemoveNode { name } => format!("removing {name}"),
                RingChangeKind::SetVnodes { from, to } => {
                    format!("changing virtual nodes from {from} to {to}")
                }
                RingChangeKind::AddKeys { count } => format!("adding {count} keys"),
            };
            found.push(Violation {
                invariant: MINIMAL_MOVEMENT,
                message: format!(
                    "after {what}, {first}, which did not have to move ({needless} such keys of {} moved; the ideal is {:.1})",
                    change.movement.moved, change.movement.ideal
                ),
            });
        }
    }
}

/// "1 key", "2 keys".
fn counted(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

fn point_suffix(vnode: Option<u32>) -> String {
    vnode.map_or(String::new(), |v| format!("#{v}"))
}

impl Structure for ConsistentHashingState {
    type Op = RingOp;
    type Request = RingRequest;

    fn apply(&mut self, op: &RingOp, _now: Time, notes: &mut Notes) {
        match self.perform(op) {
            Err(reason) => notes.note(|| reason),
            Ok(()) => {
                notes.note(|| self.change_headline());
                if self
                    .last_change
                    .as_ref()
                    .is_some_and(|c| !c.movement.flows.is_empty())
                {
                    notes.note(|| self.flows_summary());
                }
                notes.note(|| self.balance_summary());
            }
        }
    }

    fn check(&self, found: &mut Vec<Violation>) {
        self.check_every_key_owned(found);
        self.check_minimal_movement(found);
    }

    fn resolve(&self, request: &RingRequest) -> Option<RingOp> {
        match *request {
            RingRequest::AddNode => (self.ring.node_count() < MAX_NODES).then_some(RingOp::AddNode),
            RingRequest::RemoveNode { index } => {
                if self.ring.node_count() <= 1 {
                    return None;
                }
                let index = usize::try_from(index).ok()?;
                let node = self.ring.nodes().get(index)?;
                Some(RingOp::RemoveNode {
                    name: node.name.clone(),
                })
            }
            RingRequest::SetVnodes { count } => {
                let count = u32::try_from(count)
                    .ok()
                    .filter(|c| (1..=MAX_VNODES).contains(c))?;
                Some(RingOp::SetVnodes { count })
            }
            RingRequest::AddKeys { count } => {
                if count == 0 || count > MAX_KEYS_PER_OP {
                    return None;
                }
                let count = count as usize;
                (self.keys.len() + count <= MAX_KEYS).then_some(RingOp::AddKeys {
                    count: count as u32,
                })
            }
        }
    }

    fn state_table(&self) -> StateTable {
        let shares = self.ring.shares();
        let rows = self
            .ring
            .nodes()
            .iter()
            .zip(&shares)
            .map(|(node, share)| {
                vec![
                    Cell::Text(node.name.clone()),
                    Cell::Text(node.vnodes.to_string()),
                    Cell::Text(format!("{:.1}%", share.fraction * 100.0)),
                    Cell::Text(self.load.load_of(&node.name).unwrap_or(0).to_string()),
                    Cell::Text(self.mod_n_load.load_of(&node.name).unwrap_or(0).to_string()),
                ]
            })
            .collect();
        StateTable {
            columns: INFO.columns.to_vec(),
            rows,
        }
    }
}

#[cfg(test)]
mod tests;
