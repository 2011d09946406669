//! The idempotency model's behaviour: keys off really charge twice under loss
//! and keys on never do; the stored response is replayed; a concurrent
//! request is answered 409; a crashed server resumes its keys; expiry; each
//! invariant firing; each bug caught in its preset and the correct model clean
//! in the same scenario; the chart's counts; bad input refused without a panic.

use super::checker::{IdempotencyChecker, CONSISTENT_REPLAY, ONE_CHARGE_PER_KEY};
use super::client::{Outcome, PaymentClient};
use super::message::{ChargeId, PaymentKey, PaymentMessage, PaymentOp};
use super::process::PaymentProcess;
use super::server::PaymentServer;
use super::store::{KeyRecord, KeyState, KeyStore, Ledger};
use super::{
    IdempotencyTopic, BUG_KEY_STORED_AFTER_EFFECT, BUG_TTL_SHORTER_THAN_RETRY_WINDOW, INFO,
};
use crate::lab::protocol::{simulation, ProtocolTopic};
use crate::lab::run::{Run, RunOptions};
use crate::lab::scenario::Scenario;
use crate::lab::sweep::{sweep, SweepConfig};
use crate::sim::action::{Action, Operation, RawOperation};
use crate::sim::faults::FaultLevel;
use crate::sim::time::{Duration, NodeId, Time};
use crate::sim::trace::EventKind;
use crate::sim::view::Palette;
use crate::sim::world::Simulation;

fn sim(run: &dyn Run) -> &Simulation<PaymentProcess, IdempotencyChecker> {
    simulation::<IdempotencyTopic>(run).expect("an idempotency run")
}

fn build(scenario: &Scenario, until_ms: u64) -> Box<dyn Run> {
    let mut run = (INFO.build)(scenario, RunOptions::default()).expect("builds");
    run.run_until(Time::from_millis(until_ms));
    run
}

/// Preset `name`'s scenario, with `bug` in place of the preset's own.
fn preset_scenario(name: &str, bug: Option<&str>) -> Scenario {
    let preset = INFO.preset(name).expect("the preset exists");
    let mut scenario = INFO.preset_scenario(preset);
    scenario.bug = bug.map(str::to_string);
    scenario
}

fn preset_run(name: &str, until_ms: u64) -> Box<dyn Run> {
    let preset = INFO.preset(name).expect("the preset exists");
    build(&preset_scenario(name, preset.bug), until_ms)
}

fn scenario(seed: u64, params: &[(&str, i64)]) -> Scenario {
    let mut scenario = Scenario::new(INFO.slug, seed);
    for (name, value) in params {
        scenario.set_param(name, *value);
    }
    scenario
}

fn server(run: &dyn Run) -> &PaymentServer {
    sim(run).nodes()[0].server().expect("the server")
}

fn client(run: &dyn Run, id: u32) -> &PaymentClient {
    sim(run).nodes()[id as usize].client().expect("a client")
}

fn notes(run: &dyn Run, node: u32) -> Vec<String> {
    run.trace()
        .events
        .iter()
        .filter(|event| event.node == Some(NodeId(node)))
        .filter_map(|event| match &event.kind {
            EventKind::Note { text } => Some(text.clone()),
            _ => None,
        })
        .collect()
}

fn invariants(run: &dyn Run) -> Vec<&'static str> {
    run.violations().iter().map(|v| v.invariant).collect()
}

fn key(client: u32, number: u32) -> PaymentKey {
    PaymentKey {
        client: NodeId(client),
        number,
    }
}

#[test]
fn without_keys_lost_answers_become_duplicate_charges() {
    let run = preset_run("keys-off-lossy", 5_000);
    // No invariant is claimed with keys off.
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    let ledger = server(run.as_ref()).ledger();
    let duplicates = ledger.duplicates();
    assert!(duplicates.contains(&(key(1, 1), 2)), "{duplicates:?}");
    assert!(duplicates.contains(&(key(1, 2), 2)), "{duplicates:?}");
    assert!(duplicates.contains(&(key(2, 4), 2)), "{duplicates:?}");
    // The checker saw each one, and the chart counts them.
    let checker = sim(run.as_ref()).checker();
    let extra: usize = duplicates.iter().map(|(_, n)| n - 1).sum();
    assert_eq!(checker.duplicates().len(), extra);
    assert_eq!(
        checker.counts().charged_twice_or_more,
        duplicates.len() as u64
    );
}

#[test]
fn with_keys_the_same_run_charges_every_payment_once_and_replays() {
    let run = preset_run("keys-on-lossy", 5_000);
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    let server = server(run.as_ref());
    assert!(server.ledger().duplicates().is_empty());
    assert!(server.replayed() >= 3, "{}", server.replayed());
    assert!(notes(run.as_ref(), 0)
        .iter()
        .any(|n| n == "Pay n1#1: the key is done, replays the stored response ch1"));
    // Every paid payment was told the charge the ledger holds for it.
    for id in [1, 2] {
        for payment in client(run.as_ref(), id).payments() {
            if let Outcome::Paid(charge) = payment.outcome {
                let charged = server.ledger().charges()[charge.0 as usize - 1];
                assert_eq!(charged.key, payment.key);
            }
        }
    }
}

#[test]
fn keys_off_duplicates_under_heavy_faults_and_keys_on_never() {
    let mut duplicated = 0;
    for seed in 1..=20 {
        for keys in [0, 1] {
            let mut scenario = scenario(seed, &[("keys", keys)]);
            scenario.faults = FaultLevel::Heavy;
            let run = build(&scenario, 10_000);
            assert!(run.violations().is_empty(), "seed {seed} keys {keys}");
            let duplicates = server(run.as_ref()).ledger().duplicates().len();
            if keys == 1 {
                assert_eq!(duplicates, 0, "seed {seed}");
            } else if duplicates > 0 {
                duplicated += 1;
            }
        }
    }
    assert!(duplicated >= 15, "only {duplicated} of 20 seeds duplicated");
}

#[test]
fn a_concurrent_request_with_the_same_key_is_answered_409_and_charges_nothing() {
    let run = preset_run("concurrent-retries", 2_000);
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    let server = server(run.as_ref());
    assert_eq!(server.conflicts(), 1);
    assert_eq!(server.ledger().charges().len(), 1);
    // The later retry is a replay of the one charge.
    assert_eq!(server.replayed(), 1);
    let payment = client(run.as_ref(), 1).payments()[0];
    assert_eq!(payment.outcome, Outcome::Paid(ChargeId(1)));
    assert_eq!(payment.tries, 3);
    assert_eq!(client(run.as_ref(), 1).receipts().0, 2);
}

#[test]
fn a_crashed_server_replays_a_committed_charge_and_resumes_a_key_in_progress() {
    let run = preset_run("server-crash", 3_000);
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    let server = server(run.as_ref());
    assert_eq!(server.ledger().charges().len(), 2);
    assert!(server.ledger().duplicates().is_empty());
    assert_eq!(server.replayed(), 1);
    let server_notes = notes(run.as_ref(), 0);
    assert!(server_notes
        .iter()
        .any(|n| n == "restarts and resumes the 1 key(s) it finds in progress"));
    let payments = client(run.as_ref(), 1).payments();
    assert_eq!(payments[0].outcome, Outcome::Paid(ChargeId(1)));
    assert_eq!(payments[1].outcome, Outcome::Paid(ChargeId(2)));
    assert!(server.keys().in_progress().next().is_none());
}

#[test]
fn key_stored_after_effect_is_caught_in_its_preset_by_both_invariants() {
    let run = preset_run("key-stored-after-effect", 1_000);
    assert_eq!(
        invariants(run.as_ref()),
        vec![ONE_CHARGE_PER_KEY, CONSISTENT_REPLAY]
    );
    assert_eq!(server(run.as_ref()).ledger().count(key(1, 1)), 2);
    // The correct server, in the same scenario: one charge and a 409.
    let correct = build(&preset_scenario("key-stored-after-effect", None), 1_000);
    assert!(
        correct.violations().is_empty(),
        "{:?}",
        correct.violations()
    );
    assert_eq!(server(correct.as_ref()).ledger().charges().len(), 1);
    assert_eq!(server(correct.as_ref()).conflicts(), 1);
}

#[test]
fn key_stored_after_effect_charges_again_after_a_crash_between_charge_and_key() {
    use Action::*;
    let mut scenario = scenario(1, &[("rate", 0), ("drop", 0), ("clients", 1)]);
    scenario.bug = Some(BUG_KEY_STORED_AFTER_EFFECT.to_string());
    scenario.push_action(
        Time::from_millis(100),
        Action::operation(Some(NodeId(1)), &PaymentOp::Pay),
    );
    // The charge lands at 170.4 ms and the key write 5-15 ms later.
    scenario.push_action(Time::from_millis(172), Crash(NodeId(0)));
    scenario.push_action(Time::from_millis(250), Restart(NodeId(0)));
    let run = build(&scenario, 1_000);
    assert_eq!(invariants(run.as_ref()), vec![ONE_CHARGE_PER_KEY]);
    scenario.bug = None;
    let correct = build(&scenario, 1_000);
    assert!(correct.violations().is_empty());
    assert_eq!(server(correct.as_ref()).ledger().charges().len(), 1);
    assert_eq!(server(correct.as_ref()).replayed(), 1);
}

#[test]
fn ttl_shorter_than_retry_window_is_caught_and_a_long_ttl_replays_instead() {
    let run = preset_run("ttl-shorter-than-retry-window", 2_000);
    assert_eq!(invariants(run.as_ref()), vec![ONE_CHARGE_PER_KEY]);
    assert!(notes(run.as_ref(), 0)
        .iter()
        .any(|n| n == "the reaper forgets 1 key(s) older than 500.000ms"));
    let correct = build(
        &preset_scenario("ttl-shorter-than-retry-window", None),
        2_000,
    );
    assert!(correct.violations().is_empty());
    assert_eq!(server(correct.as_ref()).ledger().charges().len(), 1);
    assert_eq!(server(correct.as_ref()).replayed(), 3);
    // A person who sets the time-to-live below the window gets the bug's
    // outcome without the bug: the invariant is about the configuration too.
    let mut short = preset_scenario("ttl-shorter-than-retry-window", None);
    short.set_param("key-ttl-ms", 500);
    let short = build(&short, 2_000);
    assert_eq!(invariants(short.as_ref()), vec![ONE_CHARGE_PER_KEY]);
}

#[test]
fn a_client_gives_up_after_its_retry_window_not_knowing() {
    use Action::*;
    let mut scenario = scenario(1, &[("rate", 0), ("drop", 0), ("clients", 1)]);
    scenario.push_action(Time::from_millis(100), Crash(NodeId(0)));
    scenario.push_action(
        Time::from_millis(200),
        Action::operation(Some(NodeId(1)), &PaymentOp::Pay),
    );
    scenario.push_action(Time::from_millis(5_000), Restart(NodeId(0)));
    let run = build(&scenario, 6_000);
    let payment = client(run.as_ref(), 1).payments()[0];
    assert_eq!(payment.outcome, Outcome::GaveUp);
    assert!(payment.tries >= 4, "{}", payment.tries);
    assert!(server(run.as_ref()).ledger().charges().is_empty());
    let record = sim(run.as_ref()).checker().payments()[0];
    let answered = record.answered_at.expect("closed");
    // Given up at the first retry due after the 2-second window.
    assert!(answered >= Time::from_millis(2_200), "{answered}");
    assert!(answered < Time::from_millis(3_200), "{answered}");
}

#[test]
fn a_restarted_client_retries_with_the_key_it_wrote_down() {
    use Action::*;
    let mut scenario = scenario(1, &[("rate", 0), ("drop", 0), ("clients", 1)]);
    scenario.push_action(
        Time::from_millis(100),
        Action::operation(Some(NodeId(1)), &PaymentOp::Pay),
    );
    // The answer is cut off, and the client crashes before its first retry.
    scenario.push_action(
        Time::from_millis(100),
        Cut {
            from: NodeId(0),
            to: NodeId(1),
        },
    );
    scenario.push_action(Time::from_millis(200), Crash(NodeId(1)));
    scenario.push_action(
        Time::from_millis(400),
        Restore {
            from: NodeId(0),
            to: NodeId(1),
        },
    );
    scenario.push_action(Time::from_millis(600), Restart(NodeId(1)));
    let run = build(&scenario, 1_500);
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    assert!(notes(run.as_ref(), 1)
        .iter()
        .any(|n| n == "restarts and resumes 1 outstanding payment(s) with their keys"));
    let payment = client(run.as_ref(), 1).payments()[0];
    assert_eq!(payment.outcome, Outcome::Paid(ChargeId(1)));
    assert_eq!(payment.tries, 2);
    assert_eq!(server(run.as_ref()).replayed(), 1);
    assert_eq!(server(run.as_ref()).ledger().charges().len(), 1);
}

#[test]
fn the_reaper_forgets_finished_keys_only_once_they_are_old() {
    let mut store = KeyStore::default();
    let record = |number, state, ms| KeyRecord {
        key: key(1, number),
        amount: 100,
        state,
        created_at: Time::from_millis(ms),
    };
    store.put(record(
        2,
        KeyState::Done {
            charge: ChargeId(1),
        },
        0,
    ));
    store.put(record(1, KeyState::InProgress, 0));
    store.put(record(
        3,
        KeyState::Done {
            charge: ChargeId(2),
        },
        900,
    ));
    assert_eq!(
        store
            .records()
            .iter()
            .map(|r| r.key.number)
            .collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    let ttl = Duration::from_millis(1_000);
    assert_eq!(store.forget_expired(Time::from_millis(999), ttl), 0);
    assert_eq!(store.forget_expired(Time::from_millis(1_000), ttl), 1);
    // The key in progress stays however old it is.
    assert!(store.find(key(1, 1)).is_some());
    assert!(store.find(key(1, 2)).is_none());
    assert!(store.complete(key(1, 1), ChargeId(3)));
    assert!(!store.complete(key(1, 1), ChargeId(4)));
    assert_eq!(
        store.find(key(1, 1)).map(|r| r.state),
        Some(KeyState::Done {
            charge: ChargeId(3)
        })
    );
}

#[test]
fn the_ledger_counts_duplicates_per_payment() {
    let mut ledger = Ledger::default();
    for (client, number) in [(1, 1), (2, 1), (1, 1), (1, 2), (1, 1), (2, 1)] {
        ledger.charge(key(client, number), 100);
    }
    assert_eq!(ledger.charges()[5].id, ChargeId(6));
    assert_eq!(ledger.duplicates(), vec![(key(1, 1), 3), (key(2, 1), 2)]);
    assert_eq!(ledger.payments(), 3);
    assert_eq!(ledger.count(key(1, 2)), 1);
}

#[test]
fn the_chart_and_the_timeline_follow_the_checker() {
    let run = preset_run("keys-off-lossy", 3_000);
    let sim = sim(run.as_ref());
    let counts = sim.checker().counts();
    let charts = IdempotencyTopic::charts(sim);
    let values: Vec<u64> = charts[0].bars.iter().map(|bar| bar.value).collect();
    assert_eq!(
        values,
        vec![
            counts.payments,
            counts.charged_once,
            counts.charged_twice_or_more
        ]
    );
    // n1#1, n1#2 and n2#4 were charged twice by 3 s; everyone else once or
    // not yet.
    assert_eq!(counts.charged_twice_or_more, 3);
    let ledger = server(run.as_ref()).ledger();
    assert_eq!(
        counts.charged_once + counts.charged_twice_or_more,
        ledger.payments() as u64
    );
    assert!(counts.payments >= ledger.payments() as u64);
    let annotations = IdempotencyTopic::annotations(sim);
    assert_eq!(annotations.spans.len() as u64, counts.payments);
    assert_eq!(annotations.marks.len(), 3);
    assert!(annotations.marks[0].label.starts_with("n1#1 charged again"));
    let doubled = annotations
        .spans
        .iter()
        .find(|span| span.label == "n1#1 charged x2")
        .expect("n1#1's span");
    assert_eq!(doubled.palette, Palette::Faulty);
    assert_eq!(doubled.node, NodeId(1));
    assert!(doubled.to.is_some());
}

#[test]
fn the_correct_model_is_clean_and_the_bugs_are_caught_in_heavy_sweeps() {
    let report = |bug: Option<&str>, seeds| {
        let mut config = SweepConfig::new(&INFO, seeds);
        config.bug = bug.map(str::to_string);
        sweep(&config, |_, _| {}).expect("the sweep runs")
    };
    let clean = report(None, 100);
    assert!(clean.failures.is_empty(), "{:?}", clean.failures.first());
    for bug in [
        BUG_KEY_STORED_AFTER_EFFECT,
        BUG_TTL_SHORTER_THAN_RETRY_WINDOW,
    ] {
        let caught = report(Some(bug), 20);
        assert!(
            caught.failures.len() >= 15,
            "{bug}: {}",
            caught.failures.len()
        );
    }
}

#[test]
fn operations_round_trip_and_bad_input_is_refused_with_a_note() {
    for operation in [
        PaymentOp::Pay,
        PaymentOp::RetryNow,
        PaymentOp::TwoConcurrentRetries,
    ] {
        assert_eq!(PaymentOp::from_raw(&operation.to_raw()), Some(operation));
    }
    for raw in [
        RawOperation::new(0, &[]),
        RawOperation::new(4, &[]),
        RawOperation::new(1, &[7]),
    ] {
        assert_eq!(PaymentOp::from_raw(&raw), None, "{raw}");
    }
    let mut scenario = scenario(1, &[("rate", 0), ("drop", 0), ("clients", 1)]);
    // A payment addressed to the server, one nobody addresses (the focus is
    // the server), and an operation that does not decode.
    scenario.push_action(
        Time::from_millis(100),
        Action::operation(Some(NodeId(0)), &PaymentOp::Pay),
    );
    scenario.push_action(
        Time::from_millis(150),
        Action::operation(None, &PaymentOp::Pay),
    );
    scenario.push_action(
        Time::from_millis(200),
        Action::Operation {
            node: Some(NodeId(1)),
            operation: RawOperation::new(9, &[1, 2]),
        },
    );
    let run = build(&scenario, 1_000);
    assert!(run.violations().is_empty());
    assert!(notes(run.as_ref(), 0)
        .iter()
        .any(|n| n == "the server does not send a payment: address it to a client"));
    assert!(client(run.as_ref(), 1).payments().is_empty());
    // The page's buttons go to clients only.
    let setup_scenario = Scenario::new(INFO.slug, 1);
    let setup = crate::lab::protocol::Setup {
        topic: &INFO,
        scenario: &setup_scenario,
        nodes: 2,
    };
    assert_eq!(IdempotencyTopic::operation(0, NodeId(0), &setup, 0), None);
    assert_eq!(IdempotencyTopic::operation(0, NodeId(3), &setup, 0), None);
    assert_eq!(
        IdempotencyTopic::operation(2, NodeId(2), &setup, 0),
        Some(PaymentOp::TwoConcurrentRetries)
    );
}

#[test]
fn the_server_drops_a_key_that_is_not_the_senders() {
    use crate::lab::protocol::Setup;
    let scenario = Scenario::new(INFO.slug, 1);
    let setup = Setup {
        topic: &INFO,
        scenario: &scenario,
        nodes: 2,
    };
    let (nodes, _) = IdempotencyTopic::setup(&setup);
    let PaymentProcess::Server(mut server) = nodes[0].clone() else {
        panic!("the server comes first");
    };
    let mut rng = crate::sim::rng::Rng::new(1);
    let mut effects = crate::sim::node::Effects::default();
    let mut cx = crate::sim::node::Cx::new(NodeId(0), Time::ZERO, 3, true, &mut rng, &mut effects);
    server.on_message(
        NodeId(2),
        PaymentMessage::Pay {
            key: key(1, 1),
            amount: 100,
            try_number: 1,
        },
        &mut cx,
    );
    server.on_message(
        NodeId(1),
        PaymentMessage::Conflict { key: key(1, 1) },
        &mut cx,
    );
    assert!(effects.sends.is_empty());
    assert!(effects.timers.is_empty());
    assert!(effects.notes[0].starts_with("drops Pay n1#1 from n2"));
    assert!(server.keys().records().is_empty());
}
