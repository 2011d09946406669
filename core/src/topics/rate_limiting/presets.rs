//! The guided scenarios of the rate-limiting topic: each preset's metadata,
//! narration and script side by side.

use crate::lab::protocol::{at, ProtocolPreset, Setup};
use crate::lab::topic::{say, PresetInfo};
use crate::sim::action::{Action, TimedAction};

use super::message::RateOp;
use super::{BUG_FAIL_OPEN, BUG_REFILL_PAST_BURST};

pub const PRESETS: &[ProtocolPreset] = &[
    ProtocolPreset {
        info: PresetInfo {
            name: "side-by-side",
            title: "Six algorithms, one bursty stream",
            summary: "The same bursty traffic, 10 a second on average, through six limiters of 10 a second with bursts of 5.",
            seed: 3,
            params: &[("mode", 0), ("rate", 10), ("burstiness", 4)],
            bug: None,
            narration: &[
                say(0, "Six limiters, n0 to n5, all set to 10 requests a second with bursts of 5 (T = 100 ms; the windows are 5 per 500 ms). The client n6 sends every request to all six: 10 a second on average, in bursts of 1 to 7 sent at once. On average the traffic is within the limit; its bursts are not."),
                say(400, "Watch the lanes: green runs are admitted, red rejected. The token bucket (n0) and GCRA (n5) are one definition written two ways (GCRA's one number, the theoretical arrival time, is the bucket seen from the other side): given the same arrival instants they decide alike, and here they differ only where the network delayed a request differently on the way to each. The leaky bucket (n1) queues instead of rejecting: its bars reach to the moment each run leaves, one every 100 ms."),
                say(2000, "The window algorithms differ at window edges: the fixed window (n2) forgets everything at each multiple of 500 ms, the sliding log (n3) remembers each admission for exactly 500 ms, and the sliding window counter (n4) guesses from the previous window's count. Compare the charts: for the same traffic each admits a different share."),
                say(6000, "Every limiter has kept its own definition all along: the invariants check each one against its admitted instants after every event. The next story isolates the fixed window's weakness."),
            ],
        },
        script: no_script,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "protect-the-backend",
            title: "What the limit buys the service behind it",
            summary: "Three times the limit, in bursts: the backend behind the token bucket stays fast while its twin with no limit queues, slows and refuses.",
            seed: 3,
            params: &[("mode", 0), ("rate", 30), ("burstiness", 4)],
            bug: None,
            narration: &[
                say(0, "The client n6 sends 30 requests a second in bursts, three times the limit of 10 a second. Every request also goes to the backend n7, which runs two identical copies of one service: two workers of 100 ms on average, so 20 a second at most, and a queue of 32. One copy gets only what the token bucket n0 admits; the other gets everything, with no limit in front."),
                say(1000, "The plots below the timeline show both copies second by second on the same seed. Behind the token bucket the service sees 10 a second: half its capacity, so requests rarely wait and its latency stays near the service time, with the token bucket's 429s telling the excess to come back later."),
                say(3000, "With no limit the service is offered 30 a second and can serve 20, so its queue grows by about 10 a second: by now requests wait over half a second at the median. From about 5 s its queue of 32 is full, the median passes a second, and whatever arrives at the full queue gets a 503 after all. That copy's client gets slow answers and errors; the guarded copy's client gets fast answers and quick 429s."),
                say(8000, "Compare the two latency plots: the guarded copy's median stays under 300 ms, the other's between one and two seconds, and its throughput is pinned at its capacity of 20 a second however much more arrives. A limit below the capacity turns overload into fast refusals at the edge instead of slow failures inside."),
            ],
        },
        script: no_script,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "fixed-window-boundary",
            title: "The fixed window's boundary burst",
            summary: "Five requests just before a window boundary and five just after: the fixed window admits all ten.",
            seed: 1,
            params: &[("mode", 0), ("rate", 0), ("latency", 3)],
            bug: None,
            narration: &[
                say(0, "No background traffic. Every limiter allows 10 a second with bursts of 5; the windows are 500 ms long, aligned at 0, 500, 1000 ms."),
                say(460, "The client sends a burst of 5 at 460 ms. All six limiters admit all five: each allows a burst of 5."),
                say(505, "Another burst of 5 at 505 ms, 45 ms later, just after the boundary at 500 ms. The fixed window (n2) sees a fresh window and admits all five: ten requests in 45 ms, twice its limit, and still within its definition (5 per aligned window), so no invariant fires. This is the boundary burst."),
                say(507, "The others hold the line: the token bucket and GCRA had no token back yet (one comes every 100 ms) and reject the second burst; the sliding log finds 5 admissions in the last 500 ms; the sliding window counter weighs the previous window's 5 at nearly their full count (the new window is only 6 ms old). The leaky bucket let its first request out at once and queued four, one every 100 ms: one place is free, so it queues one more request and rejects four. Only the fixed window let ten through."),
            ],
        },
        script: boundary_bursts,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "distributed-strategies",
            title: "Three ways to share a global limit",
            summary: "Four gateways share 5 requests per 500 ms: a central counter, local limits of 1 each, and local limits with counts synced every 200 ms.",
            seed: 2,
            params: &[("mode", 1), ("rate", 20), ("burstiness", 4), ("gateways", 4)],
            bug: None,
            narration: &[
                say(0, "The counter n0, four gateways n1 to n4, and the client n5, which sends each burst (1 to 7 requests) to one gateway, 20 requests a second in all. The global limit is 5 per 500 ms window. Every gateway runs all three strategies on every request: its lane shows each request from arrival to the counter's answer, labelled C (central), L (local) and S (local + sync), ✓ admitted, ✗ rejected."),
                say(500, "The central counter is exact: the counter's lane shows each window's yes and no, never more than 5 yes. Each request waits a round trip for it."),
                say(1500, "Local limits give each gateway 5 / 4 = 1 per window: a burst of 6 at one gateway gets 1 through while the other three sit idle. That is under-admission: the chart counts requests rejected in windows that ended with room for them."),
                say(3000, "Local + sync lets each gateway spend what it believes is left, and learns of the others' spending only at the next sync: bursts at two gateways between syncs both pass, and the global window goes over. The marks show each window a strategy first went over; the charts sum it up: the central counter never over, local limits under, local + sync over."),
            ],
        },
        script: no_script,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "refill-past-burst",
            title: "Bug: a refill past the bucket's capacity",
            summary: "The token bucket's refill is not capped: after two quiet seconds it lets a burst of 10 through.",
            seed: 1,
            params: &[("mode", 0), ("rate", 0), ("latency", 3)],
            bug: Some(BUG_REFILL_PAST_BURST),
            narration: &[
                say(0, "The bug is on: the token bucket (n0) adds the tokens earned while idle without capping them at the capacity of 5. No background traffic, so nothing happens for two seconds; a correct bucket fills to 5 tokens and stops."),
                say(2000, "The client sends a burst of 10. The broken bucket has banked 5 + 2 s × 10/s = 25 tokens and admits all ten. GCRA (n5), the same definition done right, admits 5."),
                say(2002, "token-bucket-bound fires: ten admitted within a few milliseconds, where at most 5 + t/T are allowed. The cap is the whole definition of the burst."),
            ],
        },
        script: quiet_then_burst,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "fail-open",
            title: "Bug: gateways fail open",
            summary: "The counter is cut off; gateways that hear nothing admit anyway, and the central strategy goes over the global limit.",
            seed: 1,
            params: &[("mode", 1), ("rate", 20), ("burstiness", 4), ("gateways", 3)],
            bug: Some(BUG_FAIL_OPEN),
            narration: &[
                say(0, "The bug is on: a gateway that gets no answer from the counter within 40 ms admits the request anyway, as Stripe's limiters do on purpose when Redis is down. Three gateways, the counter n0, the client n4; the global limit is 5 per 500 ms."),
                say(1000, "The network is partitioned: the counter n0 on one side, the gateways on the other (the client reaches both). Asks go unanswered."),
                say(1100, "The client sends a burst of 8 to one gateway. Its asks are lost in the partition; 40 ms later the first timeouts fire and the gateway admits what it could not ask about."),
                say(1150, "The sixth request admitted in the window from 1000 to 1500 ms passes the global limit of 5, and central-counter-limit fires: the counter, which would have said no, was never consulted. Failing closed would have rejected them all (under-admission): without the counter there is no exact limit, only a choice of which way to be wrong."),
            ],
        },
        script: counter_cut_off,
    },
];

fn no_script(_: &Setup) -> Vec<TimedAction> {
    Vec::new()
}

fn burst(ms: u64, size: u32) -> TimedAction {
    at(ms, Action::operation(None, &RateOp::Burst(size)))
}

fn boundary_bursts(_: &Setup) -> Vec<TimedAction> {
    vec![burst(460, 5), burst(505, 5)]
}

fn quiet_then_burst(_: &Setup) -> Vec<TimedAction> {
    vec![burst(2000, 10)]
}

fn counter_cut_off(setup: &Setup) -> Vec<TimedAction> {
    // The counter alone on one side; the gateways together on the other; the
    // client, past the end of the list, reaches both.
    let gateways = super::config(setup).gateways as usize;
    let mut groups = vec![1; gateways + 1];
    groups[0] = 0;
    vec![
        at(1000, Action::Partition(groups)),
        burst(1100, 8),
        at(2500, Action::Heal),
    ]
}
