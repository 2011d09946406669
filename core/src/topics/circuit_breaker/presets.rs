//! The guided scenarios of the circuit-breaker topic: each preset's
//! metadata, narration and script side by side. Every script hits the
//! downstream (both copies at once) from the script, so both chains live
//! through the same fault on the same seed.

use crate::lab::protocol::{at, ProtocolPreset, Setup};
use crate::lab::topic::{say, PresetInfo};
use crate::sim::action::{Action, TimedAction};

use super::message::{DownstreamOp, DOWNSTREAM};
use super::{BUG_HALF_OPEN_LETS_ALL_THROUGH, BUG_RETRIES_BYPASS_BREAKER};

pub const PRESETS: &[ProtocolPreset] = &[
    ProtocolPreset {
        info: PresetInfo {
            name: "outage-and-recovery",
            title: "Outage: the breaker trips, probes and closes",
            summary: "The downstream is down for three seconds: the breaker trips open, fails fast, cools down, probes and closes once it is back.",
            seed: 1,
            params: &[],
            bug: None,
            narration: &[
                say(0, "Two identical chains on one seed. The client n3 sends about 30 requests a second to both callers: n0 calls the downstream through a circuit breaker, n1 with retries only (3 attempts of 250 ms each, backoff with jitter). The downstream n2 keeps one copy of the service per chain, each serving about 70 requests a second. n0's breaker is closed (lit in the state diagram)."),
                say(2000, "The downstream hangs: it still queues requests but answers none. Every attempt of both callers now waits out its 250 ms timeout."),
                say(2529, "10 of n0's last 20 calls failed: 50%, the threshold. The breaker trips open: n0 now fails every call at once (rejected fast) and sends the downstream nothing for its 1-second cool-down, while n1 keeps sending each request three times."),
                say(3529, "Cool-down over: half-open. The next 2 calls go through as probes; every other call still fails fast. The downstream still hangs, so at 3819 ms a probe times out and the breaker opens again for another second."),
                say(5000, "The downstream recovers and both copies start on their queues: n0's holds 28 attempts sent before the breaker tripped, its two latest probes at the back; n1's holds 62, all given up by n1 long ago. The probes wait behind that stale work and time out: open again at 5122 ms."),
                say(6122, "Half-open again, and now the queue is empty: both probes succeed and at 6255 ms the breaker closes. n0 is back to 30 successes a second (Throughput), with the latency it had before."),
                say(8000, "n1's copy of the downstream recovered at the same instant, but it never shows: n1's retries put 70 to 120 attempts a second on a service that serves about 70 (Load on the downstream), its queue stays full, every answer comes long after the 250 ms timeout, and every request fails after three attempts (Error rate 100%). The breaker's silence is what let its downstream recover."),
            ],
        },
        script: outage,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "retries-keep-it-down",
            title: "The same outage without a breaker",
            summary: "The same run, told from the caller without a breaker: its retries triple the load and keep the recovered downstream saturated.",
            seed: 1,
            params: &[],
            bug: None,
            narration: &[
                say(0, "The same run, told from n1, the caller with retries only: each request gets up to 3 attempts of 250 ms, with exponential backoff and full jitter between them (the AWS Builders' Library's advice). Its copy of the downstream serves about 70 requests a second; the client sends about 30."),
                say(2000, "The downstream hangs. n1's attempts time out and are retried: every request now costs the downstream three attempts, about 90 a second (Load on the downstream)."),
                say(2897, "n1's copy of the downstream has 64 attempts waiting, its limit, and refuses the next with a 503 at once, which n1 retries after a short backoff. All of it is work for a service that answers nothing."),
                say(5000, "The downstream recovers. Its workers start on the queue, but every attempt in it was given up by n1 long ago: the answers arrive late and are dropped, and n1 retries the requests they belonged to."),
                say(7000, "Still no success on n1's chain: 70 to 120 attempts a second arrive for the 70 or so the service can serve, the queue stays full, each attempt waits about a second for a 250 ms timeout. The downstream is healthy and useless: its recovery is hidden by the retries, a metastable failure only less load would end. n0's breaker chain has been back since 6255 ms."),
            ],
        },
        script: outage,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "brown-out",
            title: "Brown-out: slow, not down",
            summary: "The downstream runs at a third of its capacity for four seconds: slow answers become timeouts, and the breaker sheds load that retries would add.",
            seed: 2,
            params: &[],
            bug: None,
            narration: &[
                say(0, "The same two chains on another seed. This time the downstream does not stop: from 2 s it runs at a third of its capacity, about 23 requests a second per copy against about 30 arriving down each chain."),
                say(2000, "Answers slow down as the queues grow. An answer later than 250 ms is a failure to its caller even though the downstream did the work, and each retry adds load to the slowed service."),
                say(3120, "Half of n0's last 20 calls failed: the breaker trips. n0 sheds its load for a second while its copy of the downstream drains its queue; n1 keeps three attempts per request on its own copy, whose queue fills."),
                say(4120, "Half-open: with its queue drained, n0's copy answers both probes in time and the breaker closes at 4425 ms. Still browned out, it falls behind again, and at 5235 ms 9 of the last 18 calls have failed: open again. Between the two, n0 got answers through (10 in that second) where n1 got none."),
                say(6000, "The downstream recovers. n0's probes succeed at 6374 ms and it is back to full throughput. n1 has served nothing since 3 s and still serves nothing: its retries keep its copy saturated, as after the outage."),
            ],
        },
        script: brown_out,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "half-open-lets-all-through",
            title: "Half-open lets everything through",
            summary: "The bug: a half-open breaker admits every call as a probe, and the probe limit is broken.",
            seed: 1,
            params: &[],
            bug: Some(BUG_HALF_OPEN_LETS_ALL_THROUGH),
            narration: &[
                say(0, "The bug: when the cool-down is over, the breaker lets every call through as a probe instead of 2. The same outage as the first story: the downstream hangs from 2 s."),
                say(2529, "Half of n0's last 20 calls failed: the breaker trips open and fails calls fast for a second."),
                say(3529, "Cool-down over: half-open. Probe a82 goes out for r98, and a83 for r99: the 2 allowed."),
                say(3640, "r100 arrives and the broken breaker lets it through as a third probe: half-open-probe-limit fires. Every call that comes before the first probe's verdict goes to the downstream; on a recovering service that is the whole load at once, which is what half-open exists to prevent."),
            ],
        },
        script: outage,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "retries-bypass-breaker",
            title: "Retries bypass the breaker",
            summary: "The bug: the retry loop sits below the breaker, so retries reach the downstream while the breaker is open.",
            seed: 1,
            params: &[],
            bug: Some(BUG_RETRIES_BYPASS_BREAKER),
            narration: &[
                say(0, "The bug: n0's retry loop sits below its breaker, so a retry goes to the downstream without asking the breaker. The same outage: the downstream hangs from 2 s."),
                say(2000, "Attempts time out and are retried after a backoff, as before."),
                say(2549, "10 of the last 20 calls failed: the breaker trips open. New calls now fail fast, but retries scheduled before the trip are still waiting for their backoff."),
                say(2559, "The retry of r57 fires and goes straight to the downstream, past the open breaker: open-blocks-downstream fires. The breaker must sit in front of every attempt, retries included, or the load it sheds comes back through the retries."),
            ],
        },
        script: outage,
    },
];

fn downstream(ms: u64, op: DownstreamOp) -> TimedAction {
    at(ms, Action::operation(Some(DOWNSTREAM), &op))
}

/// The downstream is down from 2 s to 5 s.
fn outage(_: &Setup) -> Vec<TimedAction> {
    vec![
        downstream(2_000, DownstreamOp::Outage),
        downstream(5_000, DownstreamOp::Recover),
    ]
}

/// The downstream runs at a third of its capacity from 2 s to 6 s.
fn brown_out(_: &Setup) -> Vec<TimedAction> {
    vec![
        downstream(
            2_000,
            DownstreamOp::BrownOut {
                capacity_percent: 33,
            },
        ),
        downstream(6_000, DownstreamOp::Recover),
    ]
}
