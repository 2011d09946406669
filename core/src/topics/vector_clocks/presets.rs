//! The guided scenarios of the vector clocks topic: each preset's metadata,
//! narration and script side by side.
//!
//! Every preset switches the workload off and drives the processes from its
//! script, so each story follows a handful of events whose timestamps the
//! narration can name. Two presets run the same script with each `clock`:
//! last-writer-wins by Lamport timestamp drops a write that version vectors
//! keep as a sibling.

use crate::lab::protocol::{at, node, ProtocolPreset, Setup};
use crate::lab::topic::{say, PresetInfo};
use crate::sim::action::{Action, TimedAction};

use super::message::ClockOp;
use super::{BUG_RECEIVE_WITHOUT_MERGE, BUG_SEND_WITHOUT_INCREMENT, BUG_SIBLINGS_OVERWRITTEN};

pub const PRESETS: &[ProtocolPreset] = &[
    ProtocolPreset {
        info: PresetInfo {
            name: "happened-before",
            title: "Happened before, or concurrent",
            summary: "Seven events on three processes: the update rules step by step, and two events Lamport numbers in an order that vectors show is no order at all.",
            seed: 1,
            params: &[("nodes", 3), ("rate", 0), ("clock", 1)],
            bug: None,
            narration: &[
                say(0, "Three processes and no workload: the script makes seven events happen, and each event's note in the log shows the rule that stamped it. Every process keeps a Lamport clock (L) and a vector clock with one entry per process; the vectors lead here (clock = vector)."),
                say(100, "n0's local event n0.1: IR1 adds one to its Lamport clock (L1), and the vector rule adds one to its own entry: [0,0,0] becomes [1,0,0]."),
                say(200, "n0 sends to n1 (event n0.2): a send ticks like any event, L2 and [2,0,0], and the message carries both timestamps."),
                say(239, "n1 receives it (n1.1). Lamport's IR2: max(0, 2) + 1 = 3. The vector takes the entry-by-entry maximum of its own [0,0,0] and the message's [2,0,0], then ticks its own entry: [2,1,0]. n0.1 happened before n0.2, which happened before n1.1, and each vector is below the next."),
                say(300, "n2's local event n2.1: L1 and [0,0,1]. No chain of messages links it to n0's or n1's events: it is concurrent with them. Lamport numbers it 1, below n0.2's 2 and n1.1's 3, as if it came first; the vectors [0,0,1] and [2,1,0] are incomparable, each larger somewhere, which is what concurrent means."),
                say(458, "n1 sends L4 [2,2,0]; n2 receives it as n2.2: max(1, 4) + 1 = 5, and max([0,0,1], [2,2,0]) = [2,2,1], then its own entry: [2,2,2]. Every event so far happened before n2.2, and every vector is below [2,2,2]."),
                say(500, "A last local event at n2, n2.3: L6 [2,2,3]. Of the 21 pairs of these seven events, 17 are ordered and 4 concurrent (n2.1 with n0.1, n0.2, n1.1 and n1.2); Lamport's numbers differ on 3 of the 4 and so read as an order that is not there. The charts count them."),
            ],
        },
        script: happened_before,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "lamport-drops-a-write",
            title: "Last writer wins by Lamport time",
            summary: "Two concurrent writes; the register keeps the one with the larger Lamport timestamp, which is the earlier one, and silently drops the other.",
            seed: 1,
            params: &[("nodes", 3), ("rate", 0), ("clock", 0)],
            bug: None,
            narration: &[
                say(0, "A register x on three processes, resolved by last-writer-wins on Lamport timestamps (clock = lamport): a replica keeps the version with the greater (timestamp, writer) and drops the other. Every message carries the sender's copy of x."),
                say(300, "n0 does three local events, then writes a1: its Lamport clock reaches 4 while n1's is still 0, so a1 is stamped L4."),
                say(500, "200 ms later n1 writes b1, knowing nothing of a1: the two writes are concurrent. b1 is stamped L1, because n1 has seen no event before it."),
                say(639, "n1's copy of x reaches n0. b1 (L1) is earlier than a1 (L4) by Lamport's order, so last writer wins drops b1, although b1 was written later in real time and neither write saw the other. The timeline marks the drop; nobody is told."),
                say(758, "n0's reply reaches n1: a1 (L4) beats n1's own b1 (L1), which is replaced. b1 is gone from every replica, and no replica ever held it beside a1."),
                say(1174, "n2 took a1 from n0, wrote c1 (L9) over it and sent c1 to both, which replace a1 by it: c1 saw a1, so that is no loss. The chart: 3 writes, none kept as siblings, 1 lost. The next preset runs the same script with version vectors."),
            ],
        },
        script: two_concurrent_writes,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "siblings-kept",
            title: "Version vectors keep siblings",
            summary: "The same two concurrent writes with version vectors: both are kept as siblings until a later write reconciles them.",
            seed: 1,
            params: &[("nodes", 3), ("rate", 0), ("clock", 1)],
            bug: None,
            narration: &[
                say(0, "The same script with version vectors (clock = vector). Each version of x carries a version vector whose entry i counts the writes of replica i it has seen; a replica drops a version only when another version it holds dominates it."),
                say(300, "n0 writes a1 with version vector [1,0,0] (its event vector is [4,0,0]: version vectors count writes, vector clocks count every event)."),
                say(500, "n1 writes b1 with [0,1,0], knowing nothing of a1."),
                say(639, "n1's copy of x reaches n0: [0,1,0] and [1,0,0] are incomparable, so b1 and a1 are concurrent, and n0 keeps both as siblings. The Lamport timestamps (1 and 4) would have ordered them; the vectors do not."),
                say(1000, "n1 has a1 beside b1 too, and n0 passed both to n2. n2 writes c1: its version vector is the maximum of the siblings it holds, plus one in its own entry, [1,1,1]. c1 dominates both: like a Dynamo client's put with the context of its read, it reconciles them."),
                say(1174, "n0 and n1 receive c1, which dominates a1 and b1: every replica holds c1 alone. No replica dropped a write without keeping one that saw it, so no-concurrent-write-lost holds; the chart shows 2 writes kept as siblings and none lost."),
            ],
        },
        script: two_concurrent_writes,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "busy-last-writer-wins",
            title: "A busy run, last writer wins",
            summary: "Four processes run their own workload with last-writer-wins by Lamport time: the charts count concurrent pairs Lamport orders anyway and writes lost.",
            seed: 1,
            params: &[("nodes", 4), ("rate", 8), ("clock", 0)],
            bug: None,
            narration: &[
                say(0, "Four processes run their own workload, 8 events a second between them (half sends, a quarter local events, a quarter writes), and x is resolved by last-writer-wins on Lamport timestamps. Watch the two charts under the timeline grow."),
                say(5_000, "By 5 s: 66 events, so 2145 pairs, 1741 ordered and 404 concurrent; Lamport's numbers differ on 354 of the 404 concurrent pairs, reading as an order that is not there. 6 writes so far, none lost yet."),
                say(10_000, "By 10 s: 139 events, 1573 concurrent pairs (1447 with different Lamport timestamps), 19 writes, and 7 of them lost: each dropped by a replica for a concurrent write with a greater (timestamp, writer), and marked on the timeline. Set clock to vector and replay the same seed: the same events, and version vectors keep 11 writes as siblings and lose none."),
            ],
        },
        script: no_script,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "receive-without-merge",
            title: "Receive without the maximum",
            summary: "A receive ticks its own entry but skips the maximum with the message's vector: the receive no longer follows the send.",
            seed: 1,
            params: &[("nodes", 3), ("rate", 0), ("clock", 1)],
            bug: Some(BUG_RECEIVE_WITHOUT_MERGE),
            narration: &[
                say(0, "The bug: a receive ticks its own entry but skips the entry-by-entry maximum with the message's vector. First n1 does a local event, [0,1,0], then n0 one, [1,0,0]."),
                say(300, "n0 sends to n1, stamped [2,0,0] and L2."),
                say(339, "n1 receives it. Its own entry goes up, [0,2,0], but the message's [2,0,0] is not taken in: the vectors now call the send and its receive concurrent. The checker knows the send happened before the receive, and clock-condition fires. Lamport's IR2 did take the maximum: max(1, 2) + 1 = 3, above the send's 2."),
            ],
        },
        script: receive_without_merge,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "send-without-increment",
            title: "Send without a tick",
            summary: "A send does not tick the clocks, so it shares its timestamps with the event before it.",
            seed: 1,
            params: &[("nodes", 3), ("rate", 0), ("clock", 1)],
            bug: Some(BUG_SEND_WITHOUT_INCREMENT),
            narration: &[
                say(0, "The bug: a send does not tick the clocks. n0 does a local event: L1 and [1,0,0]."),
                say(200, "n0 sends to n1 without ticking: the send is stamped L1 [1,0,0], the timestamps of the local event before it. That event happened before the send, yet neither timestamp grew: clock-condition fires. IR1 says a process ticks between any two of its events."),
                say(239, "n1 receives the message and stamps its receive L2 [1,1,0] correctly; the damage is done at n0, where two distinct events share one vector and cannot be told apart."),
            ],
        },
        script: send_without_increment,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "siblings-overwritten",
            title: "Siblings overwritten",
            summary: "An incoming version concurrent with the held one replaces it instead of joining it: a concurrent write is lost.",
            seed: 1,
            params: &[("nodes", 3), ("rate", 0), ("clock", 1)],
            bug: Some(BUG_SIBLINGS_OVERWRITTEN),
            narration: &[
                say(0, "The bug: an incoming version concurrent with the held ones replaces them instead of joining them as a sibling. n0 writes a1 with version vector [1,0,0]."),
                say(200, "n1 writes b1, [0,1,0], concurrently: neither has seen the other."),
                say(300, "n1 sends its copy of x to n0."),
                say(339, "n0 finds b1 concurrent with a1 and, with the bug, replaces a1 by it. Nothing n0 keeps causally follows a1, as the checker knows from its own record of happened-before: no-concurrent-write-lost fires. The correct rule keeps both as siblings (the siblings-kept preset)."),
            ],
        },
        script: siblings_overwritten,
    },
];

fn no_script(_: &Setup) -> Vec<TimedAction> {
    Vec::new()
}

/// Process `i` does `operation` at `ms`.
fn does(ms: u64, i: u32, operation: ClockOp) -> TimedAction {
    at(ms, Action::operation(Some(node(i)), &operation))
}

fn send(ms: u64, from: u32, to: u32) -> TimedAction {
    does(ms, from, ClockOp::Send { to: Some(node(to)) })
}

/// n0 ticks and sends to n1, n2 ticks on its own, n1 passes on to n2.
fn happened_before(_: &Setup) -> Vec<TimedAction> {
    vec![
        does(100, 0, ClockOp::LocalEvent),
        send(200, 0, 1),
        does(300, 2, ClockOp::LocalEvent),
        send(400, 1, 2),
        does(500, 2, ClockOp::LocalEvent),
    ]
}

/// n0 does three local events and writes a1; later n1 writes b1; they
/// exchange registers; n0 passes its register to n2, which writes c1 and
/// sends it to both.
fn two_concurrent_writes(_: &Setup) -> Vec<TimedAction> {
    vec![
        does(100, 0, ClockOp::LocalEvent),
        does(150, 0, ClockOp::LocalEvent),
        does(200, 0, ClockOp::LocalEvent),
        does(300, 0, ClockOp::Write),
        does(500, 1, ClockOp::Write),
        send(600, 1, 0),
        send(700, 0, 1),
        send(800, 0, 2),
        does(1_000, 2, ClockOp::Write),
        send(1_100, 2, 0),
        send(1_150, 2, 1),
    ]
}

/// n1 ticks once, n0 twice, then n0 sends to n1.
fn receive_without_merge(_: &Setup) -> Vec<TimedAction> {
    vec![
        does(100, 1, ClockOp::LocalEvent),
        does(200, 0, ClockOp::LocalEvent),
        send(300, 0, 1),
    ]
}

/// n0 ticks, then sends to n1.
fn send_without_increment(_: &Setup) -> Vec<TimedAction> {
    vec![does(100, 0, ClockOp::LocalEvent), send(200, 0, 1)]
}

/// n0 writes a1, n1 writes b1, n1 sends its register to n0.
fn siblings_overwritten(_: &Setup) -> Vec<TimedAction> {
    vec![
        does(100, 0, ClockOp::Write),
        does(200, 1, ClockOp::Write),
        send(300, 1, 0),
    ]
}
