//! The guided scenarios of the multi-tenancy topic: each preset's metadata,
//! narration and script side by side. Every story starts calm and turns
//! tenant 0 noisy at 3 s from the script, on the same seed, so the presets
//! differ only in how the platform shares its workers.

use crate::lab::protocol::{at, ProtocolPreset, Setup};
use crate::lab::topic::{say, PresetInfo};
use crate::sim::action::{Action, TimedAction};

use super::message::TenancyOp;
use super::{BUG_QUOTA_CHECKED_AFTER_ENQUEUE, ISOLATION, NOISY, QUOTA, SCHEDULING};

pub const PRESETS: &[ProtocolPreset] = &[
    ProtocolPreset {
        info: PresetInfo {
            name: "noisy-shared-pool",
            title: "A noisy neighbour in a shared pool",
            summary: "Four tenants share one queue and four workers; tenant 0's rate jumps fifteenfold and everyone waits behind it.",
            seed: 1,
            params: &[(ISOLATION, 0), (NOISY, 0)],
            bug: None,
            narration: &[
                say(0, "Four tenants (n1 to n4) send about 6 requests a second each, of 1 to 4 work units of 20 ms on average, to one server n0 with four workers and one FIFO queue of 50: about 80 requests a second of capacity, 24 used. Every tenant's p99 is a few tens of milliseconds."),
                say(3000, "Tenant t0 turns noisy: 90 requests a second. With the others' 18 that is more than the 80 the workers can do, and the queue, shared, fills with t0's requests."),
                say(5000, "The queue is full: every tenant waits behind about 50 requests, most of them t0's, and the quiet tenants' p99 climbs past half a second though they send no more than before. Once the queue is full, their requests are refused (503) as often as t0's: the queue does not know whose fault it is."),
                say(12000, "t0 calms down. The queue drains in a few hundred milliseconds and everyone's latency is back. A shared pool gives no tenant any protection: capacity goes to whoever sends most."),
            ],
        },
        script: noisy_from_3s_to_12s,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "drr-restores-latency",
            title: "Deficit round robin restores the others' latency",
            summary: "The same noisy neighbour, with a queue per tenant served by deficit round robin: the quiet tenants keep their latency, t0 alone waits.",
            seed: 1,
            params: &[(ISOLATION, 1), (SCHEDULING, 2), (NOISY, 0)],
            bug: None,
            narration: &[
                say(0, "The same tenants and workers, but each tenant has its own queue of 50, and a free worker picks among them by deficit round robin: the non-empty queues take turns, each turn adds a quantum of 4 work units to the queue's deficit counter, and the queue sends requests while its head fits in the deficit (Shreedhar & Varghese, Figure 3)."),
                say(3000, "t0 turns noisy: 90 requests a second. Only its own queue fills. Every time a quiet tenant has a request waiting, its queue gets a turn within one round: at most one turn of each other queue ahead of it."),
                say(5000, "t0's queue is full and t0 alone is refused (503) and waits; the quiet tenants' p99 stays within a few tens of milliseconds of what it was (p99 latency per tenant). t0 gets what the others leave: about 60 requests a second instead of the 20 a fair share would give it if all were backlogged."),
                say(8000, "Jain's index stays well below 100 and that is right: the quiet tenants want less than a quarter of the service, so max-min fairness gives them all they ask and t0 the rest. The deficit counters (state table) never exceed a quantum plus the largest request: drr-deficit-bounded holds."),
                say(12000, "t0 calms down and its queue drains. Weighted fair queuing (scheduling: weighted fair queuing) tells the same story with virtual finish times; FIFO over the same queues does not (try it): it serves by arrival, so t0's requests still go first."),
            ],
        },
        script: noisy_from_3s_to_12s,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "cells-blast-radius",
            title: "Cells contain the blast radius",
            summary: "Two cells of two workers, tenants mapped round robin; each cell serves its queues FIFO. The noisy tenant hurts its cell-mate, not the other cell.",
            seed: 1,
            params: &[(ISOLATION, 3), (SCHEDULING, 0), (NOISY, 0)],
            bug: None,
            narration: &[
                say(0, "Two cells, n0 and n1, each a complete copy of the service with two workers. Tenants t0 and t2 live in cell n0, t1 and t3 in cell n1. Inside a cell the queues are served FIFO, as a plain service would."),
                say(3000, "t0 turns noisy: 90 requests a second at a cell that serves about 40. Cell n0 saturates; cell n1 does not even notice."),
                say(5000, "t2, t0's cell-mate, now waits behind t0's requests: its p99 climbs to hundreds of milliseconds. t1 and t3 keep theirs: the blast radius is one cell, half the tenants instead of all of them. With more cells it shrinks to 1/cells; shuffle sharding (each tenant on a random pair of cells) shrinks it further, which this model leaves out."),
                say(12000, "t0 calms down and cell n0 recovers. A crash is contained the same way: the fault plan's crash of one cell stops only its tenants. Inside the cell, deficit round robin would protect t2 too (scheduling: deficit round robin)."),
            ],
        },
        script: noisy_from_3s_to_12s,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "quotas",
            title: "Quotas: the noisy tenant is cut to its share at the door",
            summary: "A shared pool with a quota of 20 requests per second per tenant: t0's excess is refused (429) at admission, and the queue never fills.",
            seed: 1,
            params: &[(ISOLATION, 0), (NOISY, 0), (QUOTA, 20)],
            bug: None,
            narration: &[
                say(0, "The shared pool again, this time with a quota: each tenant may have at most 20 requests admitted per 1-second window of the server's clock (windows aligned at whole seconds). A request over its quota is refused with a 429 before it reaches the queue."),
                say(3000, "t0 turns noisy: 90 requests a second. The first 20 of each second are admitted, the other 70 refused at once (Throughput per tenant: t0 flat at about 20)."),
                say(6000, "The workers see about 38 requests a second, under half their capacity: nobody queues, everyone's p99 stays where it was, t0's too for the requests it is allowed. The quota-respected invariant counts the admissions per tenant per window from the server's log and never finds more than 20."),
                say(9000, "A burst of 40 from t0: within its window it has already used its quota, so the whole burst is refused. Quotas protect the others without any scheduler, at the cost of refusing t0 even when the service has room."),
                say(12000, "t0 calms down."),
            ],
        },
        script: quota_story,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "quota-after-enqueue",
            title: "Bug: the quota counts only started requests",
            summary: "With the bug, the quota is compared with requests already started, so whatever waits in the queue is invisible: a burst is admitted past the quota and quota-respected catches it.",
            seed: 1,
            params: &[(ISOLATION, 1), (SCHEDULING, 2), (NOISY, 0), (QUOTA, 20)],
            bug: Some(BUG_QUOTA_CHECKED_AFTER_ENQUEUE),
            narration: &[
                say(0, "Per-tenant queues with deficit round robin and a quota of 20 requests per second per tenant. The bug: at admission the server compares the quota with the requests of the tenant that workers have started this window, not with those it has admitted."),
                say(2000, "t0 sends a burst of 40 requests at once. The workers are busy with a handful of them; the rest wait in t0's queue, and none of the waiting ones count. Every request of the burst passes the quota check: t0 has had 40 admitted in a window that allows 20. quota-respected counts the admissions from the server's log and flags the 21st."),
            ],
        },
        script: quota_bug,
    },
];

fn noisy(ms: u64, on: bool) -> TimedAction {
    let op = if on {
        TenancyOp::NoisyOn
    } else {
        TenancyOp::NoisyOff
    };
    at(ms, Action::operation(None, &op))
}

fn noisy_from_3s_to_12s(_: &Setup) -> Vec<TimedAction> {
    vec![noisy(3000, true), noisy(12000, false)]
}

fn quota_story(_: &Setup) -> Vec<TimedAction> {
    vec![
        noisy(3000, true),
        at(9000, Action::operation(None, &TenancyOp::Burst(40))),
        noisy(12000, false),
    ]
}

fn quota_bug(_: &Setup) -> Vec<TimedAction> {
    vec![at(2000, Action::operation(None, &TenancyOp::Burst(40)))]
}
