//! The guided scenarios of the partial-failures topic: each preset's
//! metadata, narration and script side by side. Every script hits the
//! backend (both chains' copies at once) or crashes a tier, so both chains
//! live through the same fault on the same seed.

use crate::lab::protocol::{at, ProtocolPreset, Setup};
use crate::lab::topic::{say, PresetInfo};
use crate::sim::action::{Action, TimedAction};

use super::message::{BackendOp, BACKEND};
use super::{BUG_NO_DEADLINE_PROPAGATION, BUG_RETRY_WITHOUT_JITTER};

pub const PRESETS: &[ProtocolPreset] = &[
    ProtocolPreset {
        info: PresetInfo {
            name: "retry-storm",
            title: "A retry storm through three tiers",
            summary: "The backend browns out for four seconds: the naive chain's retries multiply its load toward 27 attempts per request, the guarded chain's budget holds it near one.",
            seed: 1,
            params: &[],
            bug: None,
            narration: &[
                say(0, "Two identical chains on one seed. The client n3 sends about 40 requests a second down both: each goes client → frontend n0 → middle n1 → backend n2, and the client, the frontend and the middle each try a call up to 3 times (timeouts 1000, 400 and 150 ms). The guarded chain backs off with full jitter, keeps a retry budget (10% of the calls plus 10 a second) and propagates deadlines; the naive chain waits plain exponential backoff and nothing else. The backend serves about 290 requests a second per chain."),
                say(2000, "The backend browns out to a fifth of its capacity, about 58 requests a second per chain. Its answers slow down; some of the middle's attempts pass their 150 ms timeout and are retried."),
                say(3000, "The naive chain tips over: every timeout is retried by the middle, every failed middle call by the frontend, every failed frontend call by the client. Backend load on that chain climbs from 101 attempts in second 3 to 540 in second 4 and 920 in second 5 (Backend load), its queue is full, and its goodput is zero from 4 s. The guarded chain's budget holds its load at 38 to 62 a second and it answers nearly every request."),
                say(6000, "The backend recovers, but the naive chain does not: 920 to 1180 attempts a second keep arriving for a service that serves 290, everything waits in a full queue past its caller's timeout and is retried again. Over seconds 5 to 9 that is about 25 backend attempts per client request, against the estimate 3^3 = 27 (Amplification): a metastable failure that only less load would end. The guarded chain stayed near one attempt per request throughout."),
            ],
        },
        script: brown_out,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "jitter-calms-it",
            title: "Backoff with jitter calms the wave",
            summary: "The backend crashes and restarts: every call it lost fails at once, and the naive chain retries them all at the same instant while full jitter spreads the guarded chain's retries out.",
            seed: 2,
            params: &[("budget", 0)],
            bug: None,
            narration: &[
                say(0, "The same two chains, this time without the retry budget, so only the backoff differs: the guarded middle waits a uniform draw below 50 ms, then below 100 ms (full jitter); the naive middle waits exactly 50, then 100 ms."),
                say(2000, "The backend crashes. The middle's attempts to it get no answer and time out after 150 ms; both chains retry them."),
                say(2300, "The backend restarts and tells the middle with a GoAway (n2 → n1, arriving at 2303.710 ms) that the calls it had are gone. The middle fails every attempt it had in flight there at that one instant, on both chains."),
                say(2353, "Without jitter the failures stay synchronised: at 2353.710 ms, exactly 50 ms after the GoAway, the naive middle fires 6 retries at the same instant, and at 2403.710 ms another 10. The guarded middle's retries of the same failures are spread over 2304 to 2400 ms, one at a time (the retry timers on n1). A wave that comes back as a wave hits a recovering service with its whole weight; jitter turns it into a trickle."),
            ],
        },
        script: backend_bounce,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "hedging-cuts-the-tail",
            title: "Hedging cuts the p99 on a slow tail",
            summary: "3% of the backend's requests take a slow path: the guarded middle hedges attempts outstanding past the p95 and the client's p99 drops.",
            seed: 3,
            params: &[("hedging", 1)],
            bug: None,
            narration: &[
                say(0, "The same two chains, and the guarded middle now hedges: when an attempt at the backend has been outstanding longer than the p95 of the answers it has seen, it sends a second copy and takes whichever answers first, cancelling the other (Dean & Barroso, The Tail at Scale)."),
                say(1000, "A slow tail: from now on 3% of the backend's requests take a slow path of about 300 ms more. The median does not move; the tail does."),
                say(5000, "The naive middle waits out its 150 ms timeout for a slow attempt and retries it, so its slow requests take 150 ms and more. The guarded middle's hedge goes out at about the p95 and a fast copy usually wins: from 2 to 20 s the client sees a p99 of about 98 ms on the guarded chain against about 255 ms on the naive one, with the same p50 of about 57 ms (Client latency). The price: 65 hedges for 734 requests."),
            ],
        },
        script: slow_tail,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "deadlines-stop-wasted-work",
            title: "Deadlines stop wasted work",
            summary: "The backend browns out: the guarded chain drops work whose deadline passed and stops retrying past it, the naive chain keeps the backend busy for nobody.",
            seed: 4,
            params: &[("budget", 0)],
            bug: None,
            narration: &[
                say(0, "The same two chains without the retry budget, so the guarded chain differs only by its jittered backoff and by deadline propagation: every hop sends the deadline along, a tier drops a request whose deadline passed, and a caller does not retry past it."),
                say(2000, "The backend browns out to a fifth of its capacity. Without a budget both chains retry into it, and both storm: 20 to 27 backend attempts per client request in seconds 4 and 5 (Amplification), no goodput on either."),
                say(4000, "The difference is inside the backend: the guarded copy drops requests whose deadline passed, on arrival or when their turn in the queue comes (about a thousand by 10 s, the expired count in the state table), while the naive copy works on every request, answering callers that gave up long ago."),
                say(6000, "The backend recovers. The guarded chain answers 117 requests in second 6, its backlog, and is back to about 40 a second at once: none of its queue was work for nobody. The naive chain's queue is full of requests nobody waits for; its retries keep it full, over 1000 attempts a second, and its goodput stays at zero."),
            ],
        },
        script: brown_out,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "retry-without-jitter",
            title: "Retries without jitter",
            summary: "The bug: full jitter is configured but the guarded callers wait the whole ceiling, and the calls a restart failed together retry together.",
            seed: 2,
            params: &[("budget", 0)],
            bug: Some(BUG_RETRY_WITHOUT_JITTER),
            narration: &[
                say(0, "The bug: the guarded callers are configured for full jitter, but each waits the whole backoff ceiling, as the naive ones do. The retry budget is off, as in the jitter story."),
                say(2000, "The backend crashes; the middle's attempts to it time out and are retried."),
                say(2300, "The backend restarts after 300 ms down and sends the middle a GoAway: every attempt the middle had in flight there fails at the same instant, on both chains."),
                say(2356, "At 2356.042 ms the guarded middle fires 4 retries of distinct calls at the same instant: no-synchronised-retries fires. With full jitter four retries on one microsecond are all but impossible; without it, calls that failed together retry together, and the wave hits the backend again."),
            ],
        },
        script: backend_bounce,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "no-deadline-propagation",
            title: "The deadline is dropped at a hop",
            summary: "The bug: the frontend calls the middle without the deadline, and the backend works on requests the client gave up on.",
            seed: 4,
            params: &[("client-timeout-ms", 300)],
            bug: Some(BUG_NO_DEADLINE_PROPAGATION),
            narration: &[
                say(0, "The bug: the frontend calls the middle without the deadline. The client gives each attempt 300 ms here, less than the middle's 3 attempts of 150 ms can take, which deadline propagation would cut short."),
                say(2000, "The backend browns out to a fifth of its capacity, and the middle's attempts start to time out."),
                say(2664, "At 2664.247 ms the backend starts work on a guarded request 30.6 ms after the client stopped waiting for it: no-work-past-deadline fires. The middle never learned the deadline, so it kept retrying after the client had given up, and the backend spent a worker on an answer nobody will read."),
            ],
        },
        script: brown_out,
    },
];

fn backend(ms: u64, op: BackendOp) -> TimedAction {
    at(ms, Action::operation(Some(BACKEND), &op))
}

/// The backend runs at a fifth of its capacity from 2 s to 6 s.
fn brown_out(_: &Setup) -> Vec<TimedAction> {
    vec![
        backend(
            2_000,
            BackendOp::BrownOut {
                capacity_percent: 20,
            },
        ),
        backend(6_000, BackendOp::Recover),
    ]
}

/// The backend crashes at 2 s and restarts 300 ms later.
fn backend_bounce(_: &Setup) -> Vec<TimedAction> {
    vec![
        at(2_000, Action::Crash(BACKEND)),
        at(2_300, Action::Restart(BACKEND)),
    ]
}

/// A slow tail from 1 s on.
fn slow_tail(_: &Setup) -> Vec<TimedAction> {
    vec![backend(1_000, BackendOp::SlowTail)]
}
