//! The guided scenarios of the idempotency topic: each preset's metadata,
//! narration and script side by side.
//!
//! The first two run the clients' own workload over a lossy network, with the
//! same seed, keys off and then on. The others switch the workload off and
//! send payments from the script, so each story follows one payment.

use crate::lab::protocol::{at, node, ProtocolPreset, Setup};
use crate::lab::topic::{say, PresetInfo};
use crate::sim::action::{Action, TimedAction};

use super::message::PaymentOp;
use super::{BUG_KEY_STORED_AFTER_EFFECT, BUG_TTL_SHORTER_THAN_RETRY_WINDOW};

pub const PRESETS: &[ProtocolPreset] = &[
    ProtocolPreset {
        info: PresetInfo {
            name: "keys-off-lossy",
            title: "No keys, lossy network",
            summary: "Clients retry payments over a network that loses a fifth of the messages; the server charges every retry.",
            seed: 3,
            params: &[("keys", 0), ("drop", 20), ("rate", 4)],
            bug: None,
            narration: &[
                say(0, "TODO"),
            ],
        },
        script: no_script,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "keys-on-lossy",
            title: "Idempotency keys, lossy network",
            summary: "The same run with keys: retries get the stored response, and every payment is charged once.",
            seed: 3,
            params: &[("keys", 1), ("drop", 20), ("rate", 4)],
            bug: None,
            narration: &[
                say(0, "TODO"),
            ],
        },
        script: no_script,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "concurrent-retries",
            title: "Two requests with one key at once",
            summary: "A client sends the same payment twice at once: the second finds the key in progress and is answered 409.",
            seed: 1,
            params: &[("rate", 0), ("drop", 0), ("clients", 1)],
            bug: None,
            narration: &[
                say(0, "TODO"),
            ],
        },
        script: concurrent_retries,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "server-crash-mid-charge",
            title: "Server crash mid-charge",
            summary: "The server crashes while a payment is in progress; on restart it resumes the key and charges once.",
            seed: 1,
            params: &[("rate", 0), ("drop", 0), ("clients", 1)],
            bug: None,
            narration: &[
                say(0, "TODO"),
            ],
        },
        script: server_crash,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "key-stored-after-effect",
            title: "Key stored after the charge",
            summary: "The server charges first and stores the key later: two requests with one key both charge.",
            seed: 1,
            params: &[("rate", 0), ("drop", 0), ("clients", 1)],
            bug: Some(BUG_KEY_STORED_AFTER_EFFECT),
            narration: &[
                say(0, "TODO"),
            ],
        },
        script: concurrent_retries,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "ttl-shorter-than-retry-window",
            title: "Keys expire before retries stop",
            summary: "Answers are cut off for a while; the client's late retry finds its key forgotten and pays again.",
            seed: 1,
            params: &[("rate", 0), ("drop", 0), ("clients", 1)],
            bug: Some(BUG_TTL_SHORTER_THAN_RETRY_WINDOW),
            narration: &[
                say(0, "TODO"),
            ],
        },
        script: late_retry,
    },
];

/// Client n1 does `operation` at `ms`.
fn client_does(ms: u64, operation: PaymentOp) -> TimedAction {
    at(ms, Action::operation(Some(node(1)), &operation))
}

fn no_script(_: &Setup) -> Vec<TimedAction> {
    Vec::new()
}

/// n1 sends a payment twice at once, then retries it once more later.
fn concurrent_retries(_: &Setup) -> Vec<TimedAction> {
    vec![
        client_does(100, PaymentOp::TwoConcurrentRetries),
        client_does(800, PaymentOp::RetryNow),
    ]
}

/// n1 pays; the server crashes while the charge is in progress.
fn server_crash(_: &Setup) -> Vec<TimedAction> {
    use Action::*;
    vec![
        client_does(100, PaymentOp::Pay),
        at(125, Crash(node(0))),
        at(400, Restart(node(0))),
    ]
}

/// n1 pays; the server's answers to n1 are cut off for most of a second.
fn late_retry(_: &Setup) -> Vec<TimedAction> {
    use Action::*;
    vec![
        client_does(100, PaymentOp::Pay),
        at(100, Cut { from: node(0), to: node(1) }),
        at(900, Restore { from: node(0), to: node(1) }),
    ]
}
