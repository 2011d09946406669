//! The guided scenarios of the observability topic: each preset's metadata,
//! narration and script side by side. Faults go to single hosts from the
//! script, as the page's buttons send them.

use crate::lab::protocol::{at, ProtocolPreset, Setup};
use crate::lab::topic::{say, PresetInfo};
use crate::sim::action::{Action, TimedAction};
use crate::sim::time::NodeId;

use super::message::HostOp;
use super::{BUG_AVERAGE_OF_PERCENTILES, BUG_COUNTER_RESET_IGNORED, INCIDENT_PPM, SLOW_DOWN_MS};

pub const PRESETS: &[ProtocolPreset] = &[
    ProtocolPreset {
        info: PresetInfo {
            name: "incident-pages",
            title: "An incident pages, then resolves",
            summary: "A bad deploy on one payments host fails 20% of its requests for five seconds: the fast-burn page fires within two evaluations and resolves soon after the host recovers; the slower ticket lingers.",
            seed: 1,
            params: &[("rate", 300)],
            bug: None,
            narration: &[
                say(0, "Three services on two hosts each: frontend (n0, n1), search (n2, n3), payments (n4, n5). The users (n7) send 300 requests a second to each (at fewer, one error swings a 5-minute burn rate by tens). Every 100 ms, standing for 5 minutes of a 30-day month, each host pushes its counters and latency sketch to the monitor (n6). The SLO: 99.9% of requests succeed; healthy hosts fail 0.02%, a burn rate of 0.2."),
                say(3000, "A bad deploy: payments host n4 fails 20% of its requests, so payments fails about 10%, a hundred times its budget. The Errors line jumps; the budget starts to fall."),
                say(3140, "The first evaluation after the deploy: over 5 minutes payments burns about 100×, over 1 hour (1.2 s, mostly still clean) about 8×: no page yet. One window alone is not enough."),
                say(3240, "The 1-hour window passes 14.4 too: both windows agree, the page fires (the span on n6's lane). 2% of the month's budget would be gone within the hour at this rate."),
                say(8000, "n4 recovers. The 14.4× page lets go once its 5-minute window is clean, the 6× page once its 30-minute window (0.6 s) is: the page resolves at 8.64 s. The ticket (3 days and 6 hours above 1×) stays open until the 6-hour window (7.2 s) forgets the incident."),
            ],
        },
        script: incident,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "slow-burn-ticket",
            title: "A slow burn opens a ticket, never a page",
            summary: "Both search hosts fail 0.4% of requests: four times the budget. No page ever fires; after about twenty seconds (17 hours of the scaled month) the 3-day window passes 1× and a ticket opens.",
            seed: 7,
            params: &[("rate", 300)],
            bug: None,
            narration: &[
                say(0, "The same system, 300 requests a second to each service. From 1 s both search hosts fail 0.4% of their requests: a burn rate of about 4, which would spend the month's budget in a week."),
                say(1000, "The errors start. 4× is below both page rates (14.4 over 1 hour, 6 over 6 hours), so nobody is woken up: at this rate, 2% of the budget takes 5 hours, not one."),
                say(10000, "Nine seconds, 7.5 hours of the scaled month: the 6-hour window burns about 4×, but the 3-day window, which still remembers a clean past, only about 0.5×."),
                say(21400, "The 3-day burn rate passes 1 (the Burn rates chart): both of the ticket's windows agree and a ticket opens for search. Still no page: a slow burn is a working-hours problem."),
            ],
        },
        script: slow_burn,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "red-finds-the-slow-service",
            title: "The RED dashboard finds the slow host",
            summary: "One frontend host gets 60 ms slower. Rate and errors stay flat; the frontend's p99 jumps, and its exemplar points at a trace on the slow host, whose log lines carry the same trace id.",
            seed: 3,
            params: &[],
            bug: None,
            narration: &[
                say(0, "The RED dashboard: for each service its rate, its errors and its duration (p99 from the merged sketches, the exact value in brackets). Frontend's p99 is about 15 ms; search's slow path (3% of requests at 60 ms) puts its p99 far above its median."),
                say(2000, "Frontend host n1 gets 60 ms slower on every request (a bad dependency, a lock)."),
                say(2140, "Rate and errors do not move: nothing fails, and no SLO on errors notices. Duration does: frontend's p99 jumps to about 70 ms, and its duration histogram (in the logs, histograms and traces panel) fills the ≤ 100 ms bucket. The dot on that bucket is its exemplar: click it to open the trace of a request that took that long."),
                say(5000, "The exemplar's trace leads to n1: its log lines carry the same trace id and 60-odd ms durations, while n0's stay at a few milliseconds."),
            ],
        },
        script: slow_host,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "averaging-percentiles",
            title: "Averaging percentiles goes wrong",
            summary: "The bug: the fleet p99 is the mean of the hosts' p99s. With one host slow, it is far from any request's latency; the checker holds it to the exact fleet p99.",
            seed: 4,
            params: &[],
            bug: Some(BUG_AVERAGE_OF_PERCENTILES),
            narration: &[
                say(0, "The bug: the monitor reports each service's p50 and p99 as the mean of its hosts' own p50s and p99s, a shortcut dashboards take when hosts export percentiles instead of histograms."),
                say(100, "The first reports arrive. A percentile of the fleet is not the mean of the hosts' percentiles: 99% of the fleet's requests must be under the fleet p99, and no average of two hosts' tails says where that is."),
                say(140, "The first evaluation: a reported fleet percentile is off from the exact one by more than the sketch's α, and sketch-within-bound fires. Merging the hosts' sketches first (§2.2 of the DDSketch paper) gives a p99 within 1% of the exact one, every time."),
            ],
        },
        script: nothing,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "restart-resets-counters",
            title: "A restart resets a counter",
            summary: "The bug: the monitor takes a counter's increase as the plain difference. Frontend host n0 restarts, its counters start again at zero, and the service's request total falls.",
            seed: 5,
            params: &[],
            bug: Some(BUG_COUNTER_RESET_IGNORED),
            narration: &[
                say(0, "Each host exposes monotonic counters: requests and errors since it started. The monitor turns them into increases. The bug: it subtracts the last value it saw, forgetting that a restarted process counts from zero again."),
                say(2000, "Frontend host n0 crashes. Its counters, in memory, are gone."),
                say(3000, "n0 restarts (boot 2) and counts from zero."),
                say(3100, "Its first report says 8 requests or so, the last before the crash a few hundred: the monitor adds the large negative difference and frontend's total falls, so counters-monotonic fires. Prometheus's rate() takes any drop as a reset; here the boot number says so."),
            ],
        },
        script: restart,
    },
];

fn host(ms: u64, node: u32, op: HostOp) -> TimedAction {
    at(ms, Action::operation(Some(NodeId(node)), &op))
}

/// Payments host n4 fails 20% of its requests from 3 s to 8 s.
fn incident(_: &Setup) -> Vec<TimedAction> {
    vec![
        host(3_000, 4, HostOp::Errors { ppm: INCIDENT_PPM }),
        host(8_000, 4, HostOp::Recover),
    ]
}

/// Both search hosts fail 0.4% of their requests from 1 s on.
fn slow_burn(_: &Setup) -> Vec<TimedAction> {
    vec![
        host(1_000, 2, HostOp::Errors { ppm: 4_000 }),
        host(1_000, 3, HostOp::Errors { ppm: 4_000 }),
    ]
}

/// Frontend host n1 is 60 ms slower from 2 s on.
fn slow_host(_: &Setup) -> Vec<TimedAction> {
    vec![host(
        2_000,
        1,
        HostOp::Slow {
            added_ms: SLOW_DOWN_MS,
        },
    )]
}

fn nothing(_: &Setup) -> Vec<TimedAction> {
    Vec::new()
}

/// Frontend host n0 is down from 2 s to 3 s.
fn restart(_: &Setup) -> Vec<TimedAction> {
    vec![
        at(2_000, Action::Crash(NodeId(0))),
        at(3_000, Action::Restart(NodeId(0))),
    ]
}
