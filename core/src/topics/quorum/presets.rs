//! The guided scenarios of the quorum topic: each preset's metadata,
//! narration and script side by side.
//!
//! Every story runs five servers (key k0's home replicas n0, n1, n2; fallbacks
//! n3, n4), two clients (c0 is n5, c1 is n6), no workload and no random loss,
//! and forces its moves with timed actions: a slow link, a one-way cut, a
//! crash, a partition. Links are "slow" at 400-600 ms, against 10-30 ms
//! normally.

use crate::lab::protocol::{at, node, ProtocolPreset, Setup};
use crate::lab::topic::{say, PresetInfo};
use crate::sim::action::{Action, TimedAction};
use crate::sim::time::{Duration, NodeId};

use super::message::QuorumOp;
use super::{BUG_COUNT_HINTS_TOWARD_QUORUM, BUG_NO_READ_REPAIR, BUG_WRITE_BACK_TO_ONE};

pub const PRESETS: &[ProtocolPreset] = &[
    ProtocolPreset {
        info: PresetInfo {
            name: "new-old-inversion",
            title: "New/old inversion without write-back",
            summary: "A write's coordinator crashes halfway; one read sees the new value, the next read the old: regular, not linearizable.",
            seed: 1,
            params: &[("rate", 0), ("clients", 2), ("read-repair", 1)],
            bug: None,
            narration: &[
                say(0, "N=3, R=2, W=2, strict quorums, and Dynamo's read repair in the background (no write-back). Key k0 lives on n0, n1, n2; every link takes 20 ms but a few slow ones (300 ms). c0 (n5) writes k0 through n3, which is not a replica but may coordinate."),
                say(120, "n3 queries the home replicas for their versions (ABD's first round). Then its links to n1 and n2 are cut."),
                say(160, "All answer v0, so n3 stores 11@v1 at the three home replicas; only the copy to n0 gets through."),
                say(190, "n3 crashes before any resend: the write stays on n0 alone, and c0 will never hear how it ended."),
                say(300, "c1 (n6) reads k0 through n4. n2's answer is slow, so the first two are n0 (11@v1) and n1 (nothing): at 360 ms the read returns the newest, 11, and sends n1 a background repair over a link that has just turned slow."),
                say(380, "c1 reads k0 again, now through n2, whose answer from n0 is slow. n1 and n2 both hold nothing yet, so at 460 ms the second read returns nothing: after seeing 11, c1 sees the value from before it."),
                say(460, "The regular check passes: the write of 11 has not completed, so either value may be read. Linearizability fails: 11 cannot take effect both before the first read and after the second. The history view shows the two reads; with write-back off only regular is claimed, so nothing is reported. The next story runs the same schedule with write-back."),
                say(800, "The repair reached n1 at 660 ms, too late; c0 gives up on its write, not knowing whether it took effect."),
            ],
        },
        script: inversion,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "write-back",
            title: "The same schedule with ABD's write-back",
            summary: "The first read writes 11 back to a write quorum before answering, so the second read cannot miss it: linearizable.",
            seed: 1,
            params: &[("rate", 0), ("clients", 2)],
            bug: None,
            narration: &[
                say(0, "The same crash, cuts and slow links, with read repair as ABD's write-back (the default): a read stores what it will return at W replicas and waits for their acknowledgements before answering."),
                say(190, "n3 crashes with 11@v1 on n0 alone, as before."),
                say(360, "c1's first read hears 11@v1 from n0 and nothing from n1. n0 already holds 11, which counts for one; n4 writes it back to n1 and n2 and waits for one more acknowledgement."),
                say(380, "n2 stores 11@v1 at once, but its acknowledgement travels a slow link: the read does not answer yet, and c1's second read waits its turn. (At 410 ms n4 also leaves hints with fallbacks for the silent n1 and n2; in a strict quorum they do not count.)"),
                say(680, "The acknowledgements arrive: 11 is at a write quorum and the read answers 11. The second read starts only now, through n2, which holds 11: it can no longer miss it."),
                say(780, "The second read returns 11 (n1 and n2 both hold it). Both checks are claimed and hold: the write-back made the register linearizable, at the cost of a read that waits for a write quorum."),
            ],
        },
        script: inversion,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "r-plus-w-not-above-n",
            title: "R + W <= N: a stale read",
            summary: "With N=3, R=1, W=1 a write acknowledged by one replica and a read answered by another never meet.",
            seed: 1,
            params: &[("rate", 0), ("clients", 2), ("r", 1), ("w", 1), ("read-repair", 1)],
            bug: None,
            narration: &[
                say(0, "N=3 but R=1 and W=1: R + W = 2 is not above N, so a read quorum need not meet a write quorum. No crash, no loss: n0's links to n1 and n2 are merely slow."),
                say(100, "c0 writes k0 through n0. n0 answers its own query and its own store first: one acknowledgement is a write quorum, and at 220 ms c0 is told the write of 11 is done while n1 and n2 have not heard of it."),
                say(250, "c1 reads k0 through n1. n1's own answer is a read quorum: at 330 ms the read returns nothing, though the write of 11 completed before it began."),
                say(330, "A stale read: the regular check fails, and so does linearizability. Neither is claimed with R + W <= N, so the history view shows the reads and nothing is reported."),
                say(1000, "The slow stores arrived at 460 ms and every replica holds 11@v1; a read now returns 11. Eventually consistent, but not before: that is what R + W > N buys."),
            ],
        },
        script: stale_read,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "sloppy-handoff",
            title: "Sloppy quorum and hinted handoff",
            summary: "Under a partition a sloppy write lands on fallbacks with hints; a read on the other side misses it; after the heal the hints go home.",
            seed: 1,
            params: &[("rate", 0), ("clients", 2), ("quorum", 1)],
            bug: None,
            narration: &[
                say(0, "Sloppy quorums, N=3, R=2, W=2. A partition puts k0's home replica n0 with the fallbacks n3 and n4, and the other home replicas n1 and n2 on their own side. The clients reach both sides."),
                say(100, "c0 writes k0 through n0. Only n0 answers the query; a strict quorum would be stuck here."),
                say(210, "After one resend period n0 brings in the fallbacks n3 (for n1) and n4 (for n2), as Dynamo's first N healthy nodes. Their answers count: the query and then the store reach a sloppy quorum, and at 290 ms the write of 11 completes. n3 and n4 keep it as hints (the state table lists them)."),
                say(400, "c1 reads k0 through n1, on the other side. Its quorum is n1 and n2, the real home replicas, which never saw the write: at 480 ms the read returns nothing. Sloppy quorums do not intersect; regular and linearizable fail, and neither is claimed."),
                say(1500, "The partition heals. At their next handoff (1640 ms) n3 and n4 send their hints to n1 and n2, which store 11@v1 and acknowledge; the fallbacks drop the hints."),
                say(2200, "c1 reads k0 again and gets 11: the write reached its home replicas after all. Availability during the partition, consistency only after it."),
            ],
        },
        script: sloppy_handoff,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "no-read-repair",
            title: "Bug: no read repair",
            summary: "Reads skip the write-back the parameters ask for: the inversion's schedule with write-back on, caught by linearizable.",
            seed: 1,
            params: &[("rate", 0), ("clients", 2)],
            bug: Some(BUG_NO_READ_REPAIR),
            narration: &[
                say(0, "The bug: read repair is switched off, and with it the write-back, though the parameters claim linearizability. The schedule of the inversion story: n3 crashes halfway through writing 11."),
                say(360, "c1's first read hears 11@v1 from n0 and returns it at once: nothing is written back."),
                say(380, "The second read, through n2, hears nothing from n1 and n2 and returns nothing at 460 ms."),
                say(460, "linearizable fires: 11 was seen, then unseen. regular holds, since the write never completed: this is exactly the gap write-back closes."),
            ],
        },
        script: inversion,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "write-back-to-one",
            title: "Bug: write-back to one replica",
            summary: "The write-back waits for a single acknowledgement, which n0 already gives: the second read misses 11, caught by linearizable.",
            seed: 1,
            params: &[("rate", 0), ("clients", 2)],
            bug: Some(BUG_WRITE_BACK_TO_ONE),
            narration: &[
                say(0, "The bug: a read's write-back waits for one acknowledgement instead of W. The schedule of the inversion story: n3 crashes halfway through writing 11."),
                say(360, "c1's first read hears 11@v1 from n0, which already holds it: one replica, so the write-back counts as done and the read answers 11 before anything is written back."),
                say(380, "The second read, through n2, hears nothing from n1 and n2 and returns nothing at 460 ms."),
                say(460, "linearizable fires. A write-back must reach a quorum that every later read quorum meets: W, with R + W > N."),
            ],
        },
        script: inversion,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "count-hints-toward-quorum",
            title: "Bug: hints counted toward a strict quorum",
            summary: "A strict write completes with one home replica and one fallback; a read quorum of home replicas misses it, caught by regular.",
            seed: 1,
            params: &[("rate", 0), ("clients", 2)],
            bug: Some(BUG_COUNT_HINTS_TOWARD_QUORUM),
            narration: &[
                say(0, "The bug: strict quorums, but a fallback's acknowledgement of a hinted write counts toward W. n0 cannot reach n2, its link to n1 is cut just after it queries, and the fallbacks cannot reach the home replicas."),
                say(100, "c0 writes k0 through n0. n0 and n1 answer the query; the stores to n1 and n2 are lost, so only n0 holds 11@v1."),
                say(210, "n0 brings in n3 and n4 with hints for n1 and n2. A strict write should wait for a second home replica; with the bug the fallbacks' acknowledgements count, and at 270 ms c0 is told the write is done."),
                say(400, "c1 reads k0 through n1. Its quorum is n1 and n2, home replicas as strict quorums require, and neither has 11: at 480 ms the read returns nothing after a completed write. regular fires (and linearizable with it)."),
                say(1000, "The links come back and at 1060 ms the hints are handed home, too late for that read."),
            ],
        },
        script: hints_counted,
    },
];

const SLOW: Duration = Duration::from_millis(300);
const NORMAL: Duration = Duration::from_millis(20);

/// Every link takes exactly 20 ms, so the story's instants do not depend on
/// the seed.
fn fixed_latency() -> TimedAction {
    at(
        0,
        Action::SetLatency {
            min: NORMAL,
            max: NORMAL,
        },
    )
}

fn slow(from: u32, to: u32) -> Action {
    Action::SetLinkLatency {
        from: node(from),
        to: node(to),
        min: SLOW,
        max: SLOW,
    }
}

fn cut(from: u32, to: u32) -> Action {
    Action::Cut {
        from: node(from),
        to: node(to),
    }
}

fn restore(from: u32, to: u32) -> Action {
    Action::Restore {
        from: node(from),
        to: node(to),
    }
}

/// Client `client` (0 is n5) reads or writes k0 through `coordinator`.
fn read(ms: u64, client: u32, coordinator: u32) -> TimedAction {
    let operation = QuorumOp::Read {
        key: 0,
        coordinator: Some(NodeId(coordinator)),
    };
    at(ms, Action::operation(Some(node(5 + client)), &operation))
}

fn write(ms: u64, client: u32, coordinator: u32) -> TimedAction {
    let operation = QuorumOp::Write {
        key: 0,
        coordinator: Some(NodeId(coordinator)),
    };
    at(ms, Action::operation(Some(node(5 + client)), &operation))
}

/// A write through n3 reaches n0 only and its coordinator crashes; c1 reads
/// through n4 (n2's answers slow) and again through n2 (n0's answers slow),
/// and n4's repairs to n1 travel a slow link.
fn inversion(_: &Setup) -> Vec<TimedAction> {
    vec![
        fixed_latency(),
        at(0, slow(2, 4)),
        at(0, slow(0, 2)),
        write(100, 0, 3),
        at(150, cut(3, 1)),
        at(150, cut(3, 2)),
        at(190, Action::Crash(node(3))),
        read(300, 1, 4),
        at(330, slow(4, 1)),
        read(301, 1, 2),
        at(2_000, Action::Restart(node(3))),
    ]
}

/// n0's links to the other home replicas are slow; c0 writes through n0 with
/// W=1, c1 reads through n1 with R=1, and again later.
fn stale_read(_: &Setup) -> Vec<TimedAction> {
    vec![
        fixed_latency(),
        at(0, slow(0, 1)),
        at(0, slow(0, 2)),
        write(100, 0, 0),
        read(250, 1, 1),
        read(1_000, 1, 1),
    ]
}

/// A partition {n0, n3, n4} | {n1, n2}; a write through n0, a read through
/// n1, the heal, and a read again.
fn sloppy_handoff(_: &Setup) -> Vec<TimedAction> {
    vec![
        fixed_latency(),
        at(50, Action::Partition(vec![0, 1, 1, 0, 0])),
        write(100, 0, 0),
        read(400, 1, 1),
        at(1_500, Action::Heal),
        read(2_200, 1, 1),
    ]
}

/// n0 never reaches n2 and reaches n1 only for the query; the fallbacks
/// cannot hand off until 1 s; c0 writes through n0, c1 reads through n1.
fn hints_counted(_: &Setup) -> Vec<TimedAction> {
    vec![
        fixed_latency(),
        at(0, cut(0, 2)),
        at(0, cut(3, 1)),
        at(0, cut(4, 2)),
        write(100, 0, 0),
        at(130, cut(0, 1)),
        read(400, 1, 1),
        at(1_000, restore(0, 1)),
        at(1_000, restore(0, 2)),
        at(1_000, restore(3, 1)),
        at(1_000, restore(4, 2)),
    ]
}
