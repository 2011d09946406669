//! The guided scenarios of the service-mesh topic: each preset's metadata,
//! narration and script side by side. Every fault hits both planes at the
//! same instant, so the mesh and the bare shop live through it on one seed.

use crate::lab::protocol::{at, ProtocolPreset, Setup};
use crate::lab::topic::{say, PresetInfo};
use crate::sim::action::{Action, TimedAction};

use super::message::{MeshOp, Workload, ROGUE};
use super::BUG_POLICY_NOT_ENFORCED_ON_RETRY;

pub const PRESETS: &[ProtocolPreset] = &[
    ProtocolPreset {
        info: PresetInfo {
            name: "canary-rollout",
            title: "Canary rollout: 5% → 50% → 100%",
            summary: "A healthy canary of the catalog takes 5%, then 50%, then all of its traffic, and is promoted.",
            seed: 1,
            params: &[],
            bug: None,
            narration: &[
                say(0, "Two copies of one shop on one seed. The client n5 sends about 30 requests a second to both gateways: 70% browse the catalog (n0 → n1 → n2), 30% check out (n0 → n1 → n3 cart → n4 payments). On the mesh every service has a sidecar; the frontend's sidecar splits the catalog's traffic between v1 and the new v2, which starts at 5% (lit in the state diagram)."),
                say(1000, "Canary share over time: a few percent of the mesh's catalog calls go to v2, drawn per attempt by the weighted cluster. The copy without a mesh knows nothing of v2."),
                say(5000, "A step of 5 s with the canary's error rate under 20% over its 2 s window: the weight goes to 50%, and about half the catalog calls go to v2."),
                say(10000, "Another clean step: 100%. Every catalog call of the mesh now goes to v2."),
                say(15000, "A whole step at 100% without reaching the threshold: the canary is promoted and the analysis ends. Both copies answered every request; the mesh moved its traffic to a new version in 15 s without a deploy of the callers."),
            ],
        },
        script: nothing,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "bad-canary",
            title: "A bad canary is rolled back",
            summary: "The catalog's canary starts failing at 50%: its error rate passes the threshold and the frontend's sidecar sends it nothing more.",
            seed: 1,
            params: &[],
            bug: None,
            narration: &[
                say(0, "The same rollout on the same seed: the canary v2 of the catalog gets 5% of the mesh's catalog calls, then 50% from 5 s."),
                say(5000, "50%: about half the catalog calls go to v2, which is healthy so far."),
                say(6000, "The canary goes bad: from now on it fails 80% of its requests (a 500). The frontend's sidecar retries each failure (up to 3 attempts, backoff from 25 ms), so most still end well, but each failure goes into the rollout's window."),
                say(6517, "4 of the canary's last 20 attempts failed: 20%, the threshold. The sidecar rolls the canary back to 0% in the same step; the retry of r457 already waiting goes to v1, since the version is drawn per attempt."),
                say(8000, "Canary share over time stays at 0 from the rollback on, and canary-rollback holds: no attempt went to v2 after the breach. The step timer that fires at 10 s finds the rollout rolled back and changes nothing."),
            ],
        },
        script: bad_canary,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "rogue-caller",
            title: "A rogue caller is denied",
            summary: "A batch job with a valid certificate but no allow rule calls payments: the mesh's sidecar denies every attempt, the bare shop charges them.",
            seed: 1,
            params: &[],
            bug: None,
            narration: &[
                say(0, "Payments (n4) should be called by the cart alone: the policy's only rule for it lets spiffe://shop.example/ns/shop/sa/cart through. The batch job n6 belongs to the same trust domain and has a valid certificate, but no rule names it."),
                say(2000, "The batch job calls payments directly on both planes, once every 300 ms, 10 calls, retrying each failure up to 3 attempts. On the mesh, payments' sidecar reads its SPIFFE id from the mTLS handshake, finds no rule and answers 403 before the application sees anything; the retries are checked again and denied again."),
                say(3000, "Without the mesh nothing asks who is calling: payments charges every one of the batch job's calls (Calls the policy forbids: the 'no mesh: reached the app' line)."),
                say(5000, "All 10 calls made: on the mesh 30 attempts denied and none charged; without it 10 charged. policy-enforced held on the mesh all along."),
            ],
        },
        script: rogue,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "brown-out",
            title: "Payments browns out, with and without the mesh",
            summary: "Payments runs at a quarter of its capacity for six seconds: the mesh's timeouts, retries and circuit breaker against plain calls.",
            seed: 1,
            params: &[],
            bug: None,
            narration: &[
                say(0, "Both copies of the shop on one seed, healthy: checkouts go through the cart to payments, whose two workers serve about 70 requests a second against the 9 or so checkouts arriving."),
                say(2000, "Payments browns out to 25% of its capacity on both planes: every request takes four times as long, and answers slow down (Latency over time)."),
                say(3351, "A slow answer passes the cart's 250 ms timeout for a payment. On the mesh the cart's sidecar retries it after a short backoff; without the mesh that checkout fails."),
                say(5000, "The worst second: on the mesh its retries cover every timeout (error rate 0%) but the retried checkouts are the slowest answers, p99 460 ms; without the mesh 2 checkouts fail (4%), with a lower p99 of 257 ms. The circuit breaker never trips: the cart has far fewer than 8 calls outstanding."),
                say(8000, "Payments recovers. Over the brown-out the mesh turned every timeout into a late success, paid for in tail latency; without it the same timeouts were errors. Both are back to a p99 under 100 ms within two seconds."),
            ],
        },
        script: brown_out,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "policy-not-enforced-on-retry",
            title: "The policy is skipped on retries",
            summary: "The bug: the sidecar checks only first attempts, and the rogue's retry reaches payments.",
            seed: 1,
            params: &[],
            bug: Some(BUG_POLICY_NOT_ENFORCED_ON_RETRY),
            narration: &[
                say(0, "The bug: payments' sidecar checks the policy on a call's first attempt only, and lets an attempt whose x-envoy-attempt-count header is above 1 through, taking it for a retry of an authorized call. The batch job n6 calls payments from the start."),
                say(300, "Its first call: payments' sidecar finds no rule for spiffe://shop.example/ns/shop/sa/batch-job and answers 403."),
                say(310, "The batch job tries again, and its HTTP client writes attempt 2 in the header, as any caller may. The broken sidecar skips the check and the application gets the call: policy-enforced fires. The header is the caller's word; the policy must be checked on every attempt."),
            ],
        },
        script: nothing,
    },
];

fn nothing(_: &Setup) -> Vec<TimedAction> {
    Vec::new()
}

fn to(ms: u64, workload: Workload, op: MeshOp) -> TimedAction {
    at(ms, Action::operation(Some(workload.node()), &op))
}

/// The canary goes bad at 6 s, at 50%.
fn bad_canary(_: &Setup) -> Vec<TimedAction> {
    vec![to(
        6_000,
        Workload::Catalog,
        MeshOp::BadCanary { percent: 80 },
    )]
}

/// The batch job calls payments 10 times from 2 s.
fn rogue(_: &Setup) -> Vec<TimedAction> {
    vec![at(
        2_000,
        Action::operation(Some(ROGUE), &MeshOp::Rogue { calls: 10 }),
    )]
}

/// Payments at 25% of its capacity from 2 s to 8 s.
fn brown_out(_: &Setup) -> Vec<TimedAction> {
    vec![
        to(
            2_000,
            Workload::Payments,
            MeshOp::BrownOut {
                capacity_percent: 25,
            },
        ),
        to(8_000, Workload::Payments, MeshOp::Recover),
    ]
}
