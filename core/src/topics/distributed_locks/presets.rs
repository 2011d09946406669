//! The guided scenarios of the distributed-locks topic: each preset's metadata,
//! narration and script side by side.
//!
//! Scripts switch random pauses off (`pause-ms` 0) and pause a client
//! themselves when the story needs it, at an instant the preset's seed makes
//! fall inside that client's work under the lock.

use crate::lab::protocol::at;
use crate::lab::protocol::{ProtocolPreset, Setup};
use crate::lab::topic::say;
use crate::lab::topic::PresetInfo;
use crate::sim::action::{Action, TimedAction};
use crate::sim::time::NodeId;

use super::message::LockOp;
use super::{BUG_NO_FENCING, BUG_REDLOCK_DRIFT};

pub const PRESETS: &[ProtocolPreset] = &[
    ProtocolPreset {
        info: PresetInfo {
            name: "happy-path",
            title: "Leases and fencing tokens",
            summary: "Two clients take turns: acquire a lease with a token, write with it, release.",
            seed: 1,
            params: &[("mode", 0), ("pause-ms", 0)],
            bug: None,
            narration: &[
                say(0, "One lock server (n0), the storage (n1) and two clients (n2, n3). Each client loops: ask n0 for the lock, work, write the result to the storage with the lock's fencing token, release. Clocks drift: n0 runs 5% fast, the clients 5% slow, and the service is configured for that bound."),
                say(76, "n2 holds the lock with token 1. It counts its lease from before it asked and takes off the drift allowance (2 x 5% of 500 ms, plus 2 ms): 417 ms by its own slow clock, comfortably inside the 500 ms n0 keeps by its fast one. n3's requests are refused meanwhile."),
                say(515, "n2's write is out and its lease is over by its own clock; n0's copy runs out 18 ms later in real time: the allowance at work. The storage applied the write and remembers token 1 as the highest."),
                say(561, "n3 gets token 2, then n2 token 3, and so on: every grant carries a higher token, and every write reaches the storage with a token at least as high as any before it. Every invariant holds."),
            ],
        },
        script: no_script,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "gc-pause-fenced",
            title: "A GC pause, fenced",
            summary: "A client pauses past its lease and writes late; the storage refuses its old token.",
            seed: 1,
            params: &[("mode", 0), ("pause-ms", 0)],
            bug: None,
            narration: &[
                say(0, "The first story's cluster with random pauses off. n2 gets the lock with token 1 at 76 ms, valid for 417 ms by its clock, and starts its work."),
                say(200, "n2 stops the world for one second of its clock, a long garbage collection. It checked its lease when it got it and writes when the work is done without looking again: a second look could only move the gap, never close it."),
                say(533, "n0's copy of the lease runs out by n0's clock. n3, which kept asking, gets the lock with token 2 and writes; then token 3. The storage's highest token is now 3."),
                say(1253, "n2 wakes up and sends the write it was about to send, with token 1, as if no time had passed. The storage rejects it: token 1 is lower than 3, already written. Fencing made the late write harmless, and every invariant holds."),
            ],
        },
        script: gc_pause,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "gc-pause-unfenced",
            title: "A GC pause, no fencing",
            summary: "The same pause with a storage that checks no token: the late write overwrites the newer holder's.",
            seed: 1,
            params: &[("mode", 0), ("pause-ms", 0)],
            bug: Some(BUG_NO_FENCING),
            narration: &[
                say(0, "The same cluster, the same pause, with the bug on: the storage applies every write and never looks at the token."),
                say(200, "n2, holding token 1, stops the world for one second of its clock in the middle of its work."),
                say(533, "n2's lease runs out at n0; n3 gets tokens 2 and 3 in turn and writes under each."),
                say(1253, "n2 wakes up and writes with token 1. The storage applies it over n3's newer data: a write under an older lease after one under a newer lease, which effective-mutual-exclusion (and fenced-order) report. Nothing about n2's clock could have prevented this; only the storage can."),
            ],
        },
        script: gc_pause,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "redlock-majority",
            title: "Redlock: a majority of five",
            summary: "Clients lock a majority of five independent servers; one server crashes and restarts late.",
            seed: 1,
            params: &[("mode", 1), ("pause-ms", 0)],
            bug: None,
            narration: &[
                say(0, "Redlock: five independent lock servers (n0-n4, Redis instances in Antirez's description), the storage n5 and clients n6 and n7. A client notes its clock, sends every server the same random value, and holds the lock only with grants from a majority, 3 of 5."),
                say(36, "n7 has three grants after 35 ms. Its validity is the 500 ms TTL minus the time spent acquiring minus the drift allowance: 422 ms by its clock. The other grants arrive late and change nothing."),
                say(68, "n6 is refused by a majority: it unlocks every server that did not refuse (a grant may have been lost on the way) and retries after a random delay, so the clients do not keep colliding."),
                say(1000, "n4 crashes, forgetting every key it held. Four running servers still make a majority: n6 gets the lock at 1196 ms with three grants."),
                say(1100, "n4 restarts and refuses every lock for a lease plus the allowance, Redlock's delayed restart: a key it forgot may still be counted on by its holder. There is no fencing token in this mode, so the storage takes what it gets: safe here only because nobody pauses."),
            ],
        },
        script: redlock_majority,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "redlock-drift",
            title: "Redlock without a drift allowance",
            summary: "Fast server clocks expire the keys early; with no allowance two clients hold the lock.",
            seed: 5,
            params: &[("mode", 1), ("pause-ms", 0)],
            bug: Some(BUG_REDLOCK_DRIFT),
            narration: &[
                say(0, "Redlock with the clock-drift allowance left out. The servers' clocks run 5% fast and the clients' 5% slow, within the bound the service is configured for, but the clients do not subtract the allowance from their validity."),
                say(525, "n7 holds the lock on a majority. Its validity is the 500 ms TTL minus the 35 ms it spent acquiring: 476 ms of its slow clock, until 974 ms on it, about 1025 ms in real time."),
                say(983, "The servers' fast clocks reach the end of the TTL after about 476 ms of real time: the keys expire while n7 is still working and counting on them. n6, which kept asking, locks n4, n3 and n1."),
                say(1013, "n6 holds a majority while n7 still believes it holds the lock: single-holder is violated. Each client is right by its own clock; the validity left no room for the clocks. With the allowance (2 x 5% of 500 ms, plus 2 ms) n7's lease would have ended first."),
            ],
        },
        script: no_script,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "lock-server-crash",
            title: "Lock server crash",
            summary: "The lock server crashes while a client holds the lock, waits out the lease after restarting, and goes on counting tokens.",
            seed: 1,
            params: &[("mode", 0), ("pause-ms", 0)],
            bug: None,
            narration: &[
                say(0, "The first story's cluster. Tokens 1 to 3 go to n2 and n3 in turn; the counter behind them is on n0's disk."),
                say(905, "n2 holds the lock with token 3 and starts its work."),
                say(920, "n0 crashes and restarts 40 ms later with no memory of n2's lease. Granting now would give n3 the lock while n2 still works under its own, so n0 refuses every lock for a lease plus the drift allowance, 552 ms by its clock (Gray and Cheriton's rule, Redlock's delayed restart)."),
                say(1078, "n2 finishes its work and writes with token 3, the lock server's crash unknown to it; its release reaches a server that no longer knows the lease."),
                say(1494, "The wait is over: n0 grants n3 token 4, not 1. The counter survived the crash, so the storage never sees a token twice and every invariant holds."),
            ],
        },
        script: lock_server_crash,
    },
];

/// Pauses client `node` for `millis` from `ms` on.
fn pause(ms: u64, node: u32, millis: u64) -> TimedAction {
    at(
        ms,
        Action::operation(Some(NodeId(node)), &LockOp::Pause { millis }),
    )
}

fn no_script(_: &Setup) -> Vec<TimedAction> {
    Vec::new()
}

/// n2 pauses in the middle of its first lease, for twice the lease.
fn gc_pause(_: &Setup) -> Vec<TimedAction> {
    vec![pause(200, 2, 1_000)]
}

fn redlock_majority(_: &Setup) -> Vec<TimedAction> {
    use Action::*;
    vec![at(1_000, Crash(NodeId(4))), at(1_100, Restart(NodeId(4)))]
}

fn lock_server_crash(_: &Setup) -> Vec<TimedAction> {
    use Action::*;
    vec![at(920, Crash(NodeId(0))), at(960, Restart(NodeId(0)))]
}
