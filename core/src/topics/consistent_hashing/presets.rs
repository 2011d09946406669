//! Consistent hashing's guided scenarios and the plan of operations of every run.
//!
//! A preset's plan is fixed (its seed only names the keys); a run without a preset
//! gets a seeded plan: a node joins, a random initial node leaves, keys are added,
//! the virtual-node count changes and one more node joins.

use crate::lab::topic::say;
use crate::lab::topic::{Preset, PresetInfo};
use crate::sim::rng::Rng;
use crate::sim::time::Time;

use super::{ConsistentHashingState, RingOp, BUG_MOD_N_PLACEMENT, MAX_VNODES};

/// RNG stream of the default plan.
const PLAN_STREAM: u64 = 0x7269_6e67_706c_616e; // "ringplan"

pub const PRESETS: &[Preset<Script>] = &[
    Preset {
        info: PresetInfo {
            name: "add-a-node",
            title: "Add a node",
            summary: "A fifth node joins a ring of four: only the keys on its new arcs move, all of them to it.",
            seed: 1,
            params: &[("nodes", 4), ("vnodes", 50), ("keys", 200)],
            bug: None,
            narration: &[
                say(0, "Four nodes, each placed on the ring at 50 points (virtual nodes), and 200 keys. A key belongs to the first point clockwise from it, so each arc is coloured by the node that owns it."),
                say(1000, "node-4 joins. Its 50 points land inside other nodes' arcs; each takes over only the keys between itself and the point before it. Every key that moves, moves to node-4: no key changes hands between the old nodes."),
                say(1500, "Compare the count with the K/n ideal: 200 keys over 5 nodes is 40 keys, the new node's fair share. Under mod-N hashing the same change moves about 4 keys in 5, because hash mod 4 and hash mod 5 rarely agree."),
                say(3000, "node-5 joins: again only keys that now belong to it move. The other nodes keep their keys, so caches on them stay warm."),
            ],
        },
        script: add_two_nodes,
    },
    Preset {
        info: PresetInfo {
            name: "remove-a-node",
            title: "Remove a node",
            summary: "One of five nodes leaves: only its keys move, spread over the survivors by its virtual nodes.",
            seed: 2,
            params: &[("nodes", 5), ("vnodes", 50), ("keys", 200)],
            bug: None,
            narration: &[
                say(0, "Five nodes with 50 virtual nodes each and 200 keys on the ring."),
                say(1000, "node-2 leaves. Each of its keys goes to the next point clockwise, and only its keys move: the count equals node-2's load."),
                say(1500, "Because node-2 had 50 points scattered around the ring, its keys are spread over all the survivors instead of landing on a single neighbour, which one point per node would do."),
                say(3000, "A new node joins as node-5 (names are never reused) and takes a fair share back, again only from the arcs it lands in."),
            ],
        },
        script: remove_a_node,
    },
    Preset {
        info: PresetInfo {
            name: "virtual-nodes-balance",
            title: "Virtual nodes balance the load",
            summary: "From 1 to 500 points per node: the spread of keys per node falls like 1/sqrt(v), as the theory says.",
            seed: 3,
            params: &[("nodes", 5), ("vnodes", 1), ("keys", 1000)],
            bug: None,
            narration: &[
                say(0, "Five nodes with one point each: the arcs between points are very uneven, so one node may own half the ring and another almost nothing. Look at the load histogram."),
                say(1000, "Every step raises the number of virtual nodes per node (2, 5, 10, 20, 50, 100, 200, 500). Growing only adds points, so each key that moves goes to a new point."),
                say(4000, "The chart plots the standard deviation of keys per node over the mean against the theory sqrt((n-1)/(n*v+1) + (n-1)/K): with v points per node a node's share of the circle varies like 1/sqrt(v)."),
                say(8000, "At 500 points per node the ring balances about as well as mod-N hashing, whose spread is pure sampling noise, sqrt((n-1)/K), yet it keeps the property that a node change moves only about K/n keys."),
            ],
        },
        script: virtual_nodes_balance,
    },
    Preset {
        info: PresetInfo {
            name: "mod-n-vs-ring",
            title: "Mod-N, ring, jump and rendezvous",
            summary: "The same node changes under four schemes: which keys move and how even the load is.",
            seed: 4,
            params: &[("nodes", 4), ("vnodes", 100), ("keys", 1000)],
            bug: None,
            narration: &[
                say(0, "Four nodes, 1000 keys. The comparison table places the same keys four ways: on the ring, by jump consistent hash, by rendezvous (highest random weight) hashing and by hash mod N."),
                say(1000, "node-4 joins. Ring, jump and rendezvous each move close to the ideal K/5 = 200 keys, all to the new node. Mod-N moves about 800: nearly every key whose hash mod 4 differs from its hash mod 5."),
                say(1500, "Jump hash needs no memory and its load varies only by sampling noise, like mod-N, but its buckets are numbered; rendezvous hashing balances as well but hashes every node for every key; the ring keeps a table of points and balances as evenly as its virtual nodes allow."),
                say(3000, "node-0 leaves. Ring and rendezvous move only node-0's keys. Jump and mod-N renumber the nodes after node-0, so they move far more: jump hash can only remove the last bucket cheaply."),
            ],
        },
        script: add_then_remove_first,
    },
    Preset {
        info: PresetInfo {
            name: "mod-n-bug",
            title: "Mod-N placement caught",
            summary: "With keys placed by hash mod N, one new node reshuffles keys between old nodes and the checker flags it.",
            seed: 5,
            params: &[("nodes", 4), ("vnodes", 50), ("keys", 200)],
            bug: Some(BUG_MOD_N_PLACEMENT),
            narration: &[
                say(0, "The bug is on: keys are placed by hash mod N over the nodes, while the ring is still drawn. Key colours no longer match the arcs they sit on."),
                say(1000, "node-4 joins and N goes from 4 to 5. About 4 keys in 5 change owner, most of them between nodes that were there before: the checker flags minimal-movement."),
                say(1500, "Switch the bug off and replay: the ring moves only the keys node-4 takes over, and every invariant holds."),
            ],
        },
        script: add_two_nodes,
    },
];

fn at(ms: u64, op: RingOp) -> (Time, RingOp) {
    (Time::from_millis(ms), op)
}

fn remove(name: &str) -> RingOp {
    RingOp::RemoveNode {
        name: name.to_string(),
    }
}

/// What a consistent hashing preset's script is: its fixed plan.
pub type Script = fn() -> Vec<(Time, RingOp)>;

fn add_two_nodes() -> Vec<(Time, RingOp)> {
    vec![at(1000, RingOp::AddNode), at(3000, RingOp::AddNode)]
}

fn remove_a_node() -> Vec<(Time, RingOp)> {
    vec![at(1000, remove("node-2")), at(3000, RingOp::AddNode)]
}

fn virtual_nodes_balance() -> Vec<(Time, RingOp)> {
    [2, 5, 10, 20, 50, 100, 200, 500]
        .iter()
        .enumerate()
        .map(|(i, &count)| at(1000 * (i as u64 + 1), RingOp::SetVnodes { count }))
        .collect()
}

fn add_then_remove_first() -> Vec<(Time, RingOp)> {
    vec![at(1000, RingOp::AddNode), at(3000, remove("node-0"))]
}

/// A node joins, a random initial node leaves, keys are added, the virtual-node
/// count changes and one more node joins.
pub(super) fn default_plan(state: &ConsistentHashingState, seed: u64) -> Vec<(Time, RingOp)> {
    let mut rng = Rng::derive(seed, PLAN_STREAM);
    let initial: Vec<String> = state
        .ring()
        .node_names()
        .iter()
        .map(|n| n.to_string())
        .collect();
    let leaving = rng.pick(&initial).cloned().unwrap_or_default();
    let vnodes = state.vnodes();
    let other_vnodes = if vnodes * 2 <= MAX_VNODES {
        vnodes * 2
    } else {
        vnodes / 2
    };
    let new_keys = (state.keys().len() / 2).clamp(1, super::MAX_KEYS_PER_OP as usize) as u32;
    vec![
        at(1000, RingOp::AddNode),
        at(2500, RingOp::RemoveNode { name: leaving }),
        at(4000, RingOp::AddKeys { count: new_keys }),
        at(
            5500,
            RingOp::SetVnodes {
                count: other_vnodes.max(1),
            },
        ),
        at(7000, RingOp::AddNode),
    ]
}
