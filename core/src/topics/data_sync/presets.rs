//! The guided scenarios of the data-sync topic: each preset's metadata,
//! narration and script side by side.
//!
//! Three presets run the same offline edits (a rename after seeing a rename
//! from a phone whose clock runs ahead, then a partition in which one phone
//! removes an item while the other adds one and both increment) under each
//! policy. Two compare state and delta sync on the same seeded workload. The
//! last two switch a bug on and end with the checker catching it.

use crate::lab::protocol::{at, node, ProtocolPreset, Setup};
use crate::lab::topic::{say, PresetInfo};
use crate::sim::action::{Action, TimedAction};

use super::message::SyncOp;
use super::{BUG_LWW_WITH_SKEWED_CLOCKS, BUG_OR_SET_WITHOUT_TAGS};

/// Item numbers of the stories (see `message::ITEMS`).
const MILK: u32 = 0;
const BREAD: u32 = 2;
/// Title numbers of the stories (see `message::TITLES`).
const WEEKEND: u32 = 2;
const PARTY: u32 = 3;

pub const PRESETS: &[ProtocolPreset] = &[
    ProtocolPreset {
        info: PresetInfo {
            name: "offline-add-remove",
            title: "Two phones, one item, offline",
            summary: "Offline, one phone removes milk while the other adds it again; after the partition heals the OR-set keeps the add, and both increments count.",
            seed: 1,
            params: &[("rate", 0), ("policy", 2)],
            bug: None,
            narration: &[
                say(0, "Three replicas of one to-do list under CRDTs: the server n0 and two phones, n1 and n2. n1 adds milk and syncs; by 200 ms every replica holds milk with n1's unique tag n1:1."),
                say(700, "The network splits every replica from the others: the phones are offline."),
                say(800, "Offline, n1 removes milk: its remove names the one tag it has seen, n1:1. At the same moment n2 adds milk again, with a fresh tag n2:1, and both phones increment the counter."),
                say(2000, "The partition heals and the replicas sync through the server (phones every 500 ms, the server to each phone)."),
                say(3000, "Every replica shows milk: n2's add carried a tag n1's remove never observed, so the add wins (RR-7506, Specification 15). The counter is 2 everywhere: each phone counts its own increments in the PN-counter. Same updates delivered, same state: strong convergence holds."),
            ],
        },
        script: offline_add_remove,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "lww-loses-updates",
            title: "Last writer wins loses updates",
            summary: "n1's clock runs a second ahead. A later rename loses to an earlier one, and of two concurrent adds and increments only one survives.",
            seed: 1,
            params: &[("rate", 0), ("policy", 0), ("skew-ms", 1000)],
            bug: None,
            narration: &[
                say(0, "The same edits under last writer wins: every value (the whole list, the counter, the title) is one register that keeps the write with the highest wall-clock timestamp. n1's clock runs one second ahead."),
                say(300, "n1 renames the list Weekend. Its clock says 1.3 s, so that is the write's timestamp. n1 syncs, and by 450 ms n2 has Weekend too."),
                say(600, "n2, having seen Weekend, renames the list Party. Its clock says 0.6 s, earlier than Weekend's 1.3 s, so its own register keeps Weekend: the rename is lost the moment it is made. The timeline marks it, and the chart counts a write lost to an earlier write."),
                say(800, "Offline, n1 removes milk and n2 adds bread, each writing a whole new list. n2's clock says 0.8 s, below the 1.05 s of the list it holds (n1's add of milk, stamped by the fast clock), so bread is lost at once. Both phones increment the counter."),
                say(2600, "After the heal the registers meet and the highest timestamps win, n1's: the list without milk, and n1's counter. n2's increment was concurrent with n1's and one had to go: the counter says 1 after two increments. Nothing here is a violation: last writer wins promises only to converge, and it does."),
            ],
        },
        script: concurrent_edits,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "multi-value-siblings",
            title: "Multi-value registers keep siblings",
            summary: "The same edits keep concurrent versions as siblings; the next edit merges them and a remove comes undone.",
            seed: 1,
            params: &[("rate", 0), ("policy", 1), ("skew-ms", 1000)],
            bug: None,
            narration: &[
                say(0, "The same edits with multi-value registers: a write carries its writer's version vector, and a register keeps every write no other write has seen (RR-7506, Specification 9; Dynamo's siblings)."),
                say(600, "n2's rename to Party carries a vector that covers Weekend, so it replaces Weekend whatever the clocks say: nothing is lost to skew."),
                say(800, "Offline, n1 writes the list without milk and the counter 1, n2 writes the list with milk and bread and the counter 1. Neither vector covers the other."),
                say(2600, "After the heal every replica holds two siblings of the list and two of the counter, side by side in the table and counted in the Siblings chart. Read merged as Dynamo's cart does (the union of the lists, the higher counter), they already bring milk back and count one increment of two: the chart shows a remove undone and a counter step missing."),
                say(3200, "n2 increments. To write, it reads the siblings merged and writes the result back, replacing them: the loss is now for good. The list holds milk and bread, and the counter says 2 after three increments."),
            ],
        },
        script: siblings_then_edit,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "crdt-keeps-updates",
            title: "CRDTs keep every update",
            summary: "The same edits and the same skewed clock under CRDTs: nothing is lost.",
            seed: 1,
            params: &[("rate", 0), ("policy", 2), ("skew-ms", 1000)],
            bug: None,
            narration: &[
                say(0, "The same edits and the same skewed clock under CRDTs: an OR-set for the list, a PN-counter, and an LWW map whose timestamps are hybrid logical clocks."),
                say(600, "n2 renames the list Party after seeing Weekend stamped 1.3 s. Its hybrid clock never goes below a timestamp it has seen, so the rename is stamped just after 1.3 s and wins: causal-overwrite holds."),
                say(800, "Offline, n1 removes milk while n2 adds bread, and both increment: an add and a remove of different items, and two counter entries, one per phone."),
                say(2600, "After the heal every replica shows bread without milk, the title Party, and the counter 2. Every update is kept, and the chart of lost updates stays at zero."),
            ],
        },
        script: concurrent_edits,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "state-sync-bytes",
            title: "State-based sync: bytes",
            summary: "Four replicas edit the list for ten seconds and send their whole state every sync.",
            seed: 5,
            params: &[("nodes", 4), ("rate", 4), ("sync", 0)],
            bug: None,
            narration: &[
                say(0, "Four replicas and four edits a second, under CRDTs. Every 500 ms each phone sends the server its whole state, and the server sends its whole state to each phone: the classic state-based CRDT (SSS 2011, §2.2)."),
                say(5000, "The state only grows (tags, tombstones, counter entries, map writes), so every sync costs more than the one before, even when nothing changed. The Bytes chart counts it."),
                say(10000, "After ten seconds the syncs have sent about 31 kB (the Bytes chart has the exact count). The next preset runs the same seed with delta sync."),
            ],
        },
        script: no_script,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "delta-sync-bytes",
            title: "Delta-based sync: bytes",
            summary: "The same run sending only what each peer has not acknowledged.",
            seed: 5,
            params: &[("nodes", 4), ("rate", 4), ("sync", 1)],
            bug: None,
            narration: &[
                say(0, "The same replicas, edits and seed, with delta sync: a replica sends a peer only the updates that peer has not acknowledged, and the peer answers with its version vector (Almeida, Shoker & Baquero, §5)."),
                say(5000, "A delta holds the few updates made since the last acknowledgement; when there are none, nothing is sent. The Bytes chart compares what was sent with what the same syncs would have cost as whole states."),
                say(10000, "After ten seconds the syncs have sent about 4 kB, against about 31 kB with whole states: an eighth, and the gap grows with the state while deltas stay the size of the recent edits."),
            ],
        },
        script: no_script,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "or-set-without-tags",
            title: "OR-set without tags",
            summary: "The remove names milk instead of the tag it saw: the server drops a concurrent add of milk that n1 keeps.",
            seed: 1,
            params: &[("rate", 0), ("sync-period-ms", 5000)],
            bug: Some(BUG_OR_SET_WITHOUT_TAGS),
            narration: &[
                say(0, "The bug: a remove of an item kills every tag of that item the receiving replica holds when the remove arrives, not the tags its writer observed. The offline story again, with syncs only when a replica is told to."),
                say(800, "Offline, n1 removes milk (it has seen the tag n1:1) while n2 adds milk again with the tag n2:1."),
                say(2010, "After the heal n2 syncs first: the server now holds milk under both tags."),
                say(2130, "Then n1's remove reaches the server, which kills both tags, n2's too: milk vanishes at the server although no remove observed n2:1. or-set-add-wins fires."),
                say(2230, "The server sends n2:1 to n1, which already holds the remove and so keeps milk: n1 and the server have delivered the same updates and show different lists. strong-convergence fires as well."),
            ],
        },
        script: or_set_without_tags,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "lww-with-skewed-clocks",
            title: "LWW map on raw clocks",
            summary: "The CRDT's map stamps with raw wall clocks: n2's rename, made after seeing n1's, loses to it.",
            seed: 1,
            params: &[("rate", 0), ("skew-ms", 1000)],
            bug: Some(BUG_LWW_WITH_SKEWED_CLOCKS),
            narration: &[
                say(0, "The bug: the CRDT's LWW map stamps a write with the replica's raw wall clock, not a hybrid logical clock. n1's clock runs one second ahead."),
                say(300, "n1 renames the list Weekend, stamped 1.3 s by its fast clock, and syncs: n2 has Weekend by 450 ms."),
                say(600, "n2 renames the list Party. It has seen Weekend, so this write causally follows it, but its raw clock says 0.6 s: its own map keeps Weekend. causal-overwrite fires. A hybrid logical clock would have stamped it just after 1.3 s."),
            ],
        },
        script: skewed_rename,
    },
];

/// Replica `replica` does `operation` at `ms`.
fn does(ms: u64, replica: u32, operation: SyncOp) -> TimedAction {
    at(ms, Action::operation(Some(node(replica)), &operation))
}

fn no_script(_: &Setup) -> Vec<TimedAction> {
    Vec::new()
}

/// n1 adds milk and it reaches every replica through the server.
fn milk_everywhere() -> Vec<TimedAction> {
    vec![
        does(50, 1, SyncOp::Add { item: MILK }),
        does(60, 1, SyncOp::SyncNow),
        does(150, 0, SyncOp::SyncNow),
    ]
}

/// Every replica on its own side from 700 ms to 2 s.
fn offline() -> Vec<TimedAction> {
    vec![
        at(700, Action::Partition(vec![0, 1, 2])),
        at(2_000, Action::Heal),
    ]
}

fn offline_add_remove(_: &Setup) -> Vec<TimedAction> {
    let mut script = milk_everywhere();
    script.extend(offline());
    script.extend([
        does(800, 1, SyncOp::Remove { item: Some(MILK) }),
        does(800, 2, SyncOp::Add { item: MILK }),
        does(810, 1, SyncOp::Increment),
        does(810, 2, SyncOp::Increment),
    ]);
    script
}

/// n1 renames and syncs; n2 renames after seeing it.
fn renames() -> Vec<TimedAction> {
    vec![
        does(300, 1, SyncOp::Rename { title: WEEKEND }),
        does(310, 1, SyncOp::SyncNow),
        does(400, 0, SyncOp::SyncNow),
        does(600, 2, SyncOp::Rename { title: PARTY }),
    ]
}

/// Milk everywhere, the renames, then offline: n1 removes milk, n2 adds
/// bread, both increment.
fn concurrent_edits(_: &Setup) -> Vec<TimedAction> {
    let mut script = milk_everywhere();
    script.extend(renames());
    script.extend(offline());
    script.extend([
        does(800, 1, SyncOp::Remove { item: Some(MILK) }),
        does(800, 2, SyncOp::Add { item: BREAD }),
        does(810, 1, SyncOp::Increment),
        does(810, 2, SyncOp::Increment),
    ]);
    script
}

/// The concurrent edits, then n2 increments once every replica holds the
/// siblings.
fn siblings_then_edit(setup: &Setup) -> Vec<TimedAction> {
    let mut script = concurrent_edits(setup);
    script.push(does(3_200, 2, SyncOp::Increment));
    script
}

/// Milk everywhere; offline, n1 removes it and n2 adds it again; after the
/// heal n2 syncs first, then n1, then the server.
fn or_set_without_tags(_: &Setup) -> Vec<TimedAction> {
    let mut script = milk_everywhere();
    script.extend(offline());
    script.extend([
        does(800, 1, SyncOp::Remove { item: Some(MILK) }),
        does(800, 2, SyncOp::Add { item: MILK }),
        does(2_010, 2, SyncOp::SyncNow),
        does(2_100, 1, SyncOp::SyncNow),
        does(2_200, 0, SyncOp::SyncNow),
    ]);
    script
}

fn skewed_rename(_: &Setup) -> Vec<TimedAction> {
    renames()
}
