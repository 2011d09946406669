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
                say(0, "The payment server n0 and two clients, n1 and n2, over a network that loses one message in five. Keys are off. A client that hears nothing within 160 ms retries after a backoff; the server charges every request it gets."),
                say(269, "The first tries of n1#1 and n2#1 are lost on the way. A client cannot tell a lost request from a lost answer: both look like silence."),
                say(553, "n1's retry gets through: the server charges n1#1 as ch1. Its answer is lost, so to n1 this looks exactly like the first time."),
                say(823, "n1 retries again, and the server, which cannot tell a retry from a new payment, charges n1#1 a second time: ch3. The ledger row shows the duplicate, and the timeline marks it."),
                say(1259, "n1#2 is charged twice the same way (ch5, its answer lost, then ch6), and n2#4 at 2190 ms (ch9, then ch10). Every lost answer becomes a duplicate charge. With keys off no invariant is claimed: the duplicates are the lesson. The next story runs the same seed with keys on."),
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
                say(0, "The same run, the same losses, with idempotency keys. Each payment gets its key before its first try (n1#1 is n1's first) and every retry carries it. The server records a new key in progress, and charges, stores the response and marks the key done in one transaction."),
                say(553, "As before, n1#1 is charged as ch1 and the answer is lost."),
                say(795, "n1's next retry carries the same key. The server finds it done and replays the stored response, ch1, without charging: the answer n1 gets says so (replayed)."),
                say(1222, "n1#2's answer is lost too; its retry gets ch4 again from the key store. So does n2#4's at 2167 ms. Every payment is in the ledger exactly once, and one-charge-per-key and consistent-replay hold."),
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
                say(0, "One client, n1, with keys on and no loss. The story sends one payment twice at once, with the same key: a double-click, or a retry racing the first request."),
                say(113, "The first request arrives: a new key. The server records it in progress before any work, in its own transaction (Brandur Leach's first recovery point)."),
                say(120, "The second arrives while the first is at work. The key is in progress, so the server answers 409 Conflict, as Stripe does, instead of starting a second charge. n1 backs off to try later."),
                say(170, "The work is done: one transaction charges ch1, stores the response and marks the key done; n1 gets ch1 before its retry is due."),
                say(800, "n1 retries the payment once more. The key is done: the server replays ch1. One charge, and every answer names it."),
            ],
        },
        script: concurrent_retries,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "server-crash",
            title: "Server crashes mid-payment",
            summary: "The server crashes after a charge, before its answer, and later in the middle of a charge: each payment is charged once.",
            seed: 1,
            params: &[("rate", 0), ("drop", 0), ("clients", 1)],
            bug: None,
            narration: &[
                say(0, "One client, n1, with keys on and no loss. The server's key store and ledger are on disk; the requests it is working on are not."),
                say(171, "n1#1's charge (ch1), its stored response and its done key have just committed together when the server crashes, before the answer goes out."),
                say(339, "n1 heard nothing and retries with the same key. The restarted server finds the key done and replays ch1: no second charge."),
                say(1030, "Now the server crashes in the middle of n1#2's work: the key is recorded in progress, nothing is charged. n1's retry meets a dead server."),
                say(1344, "On restart the server resumes the key it finds in progress (Brandur's recovery points) and charges n1#2 once, as ch2; n1 gets the answer. Every invariant holds."),
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
                say(0, "The bug: the server looks the key up, but stores it only in a separate write after the charge. The same story as before: n1 sends one payment twice at once, with the same key."),
                say(113, "The first request arrives: the key is not in the store, so the server goes to work without recording anything."),
                say(120, "The second arrives while the first is at work. The key is still not in the store, so the server goes to work on it too."),
                say(173, "Both charge: ch1 and ch2 for one payment. one-charge-per-key fires. A crash between a charge and its key write would do the same to the next retry, and the seed sweeps find that too."),
                say(197, "n1 was told ch1, then ch2 for the same key: consistent-replay fires as well. Recording the key in progress, in the same transaction scheme as the charge, is what the correct server does."),
            ],
        },
        script: two_at_once,
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
                say(0, "The bug: the server keeps finished keys for 500 ms, a quarter of the clients' 2-second retry window. n1 pays once, and the server's answers to n1 are cut off until 900 ms."),
                say(170, "The server charges n1#1 as ch1 and stores the response with the key; the answer is lost to the cut."),
                say(333, "n1's retries carry the key and get the stored ch1 replayed, but the replays are lost to the cut too."),
                say(1007, "The link is back and n1 retries, well inside its retry window. But the key is 894 ms old: the reaper has forgotten it, so the request looks new."),
                say(1034, "The server charges n1#1 again: ch2. one-charge-per-key fires. Keys must live longer than any client keeps retrying (Stripe keeps them 24 hours)."),
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

/// n1 sends a payment twice at once, and nothing else.
fn two_at_once(_: &Setup) -> Vec<TimedAction> {
    vec![client_does(100, PaymentOp::TwoConcurrentRetries)]
}

/// n1 pays twice; the server crashes just after the first charge commits, and
/// in the middle of the work on the second.
fn server_crash(_: &Setup) -> Vec<TimedAction> {
    use Action::*;
    vec![
        client_does(100, PaymentOp::Pay),
        at(171, Crash(node(0))),
        at(300, Restart(node(0))),
        client_does(1_000, PaymentOp::Pay),
        at(1_030, Crash(node(0))),
        at(1_300, Restart(node(0))),
    ]
}

/// n1 pays; the server's answers to n1 are cut off for most of a second.
fn late_retry(_: &Setup) -> Vec<TimedAction> {
    use Action::*;
    vec![
        client_does(100, PaymentOp::Pay),
        at(
            100,
            Cut {
                from: node(0),
                to: node(1),
            },
        ),
        at(
            900,
            Restore {
                from: node(0),
                to: node(1),
            },
        ),
    ]
}
