//! Exactly-once's behaviour: every preset's story (each mode doing what it is
//! documented to do: at most once loses, at least once duplicates, the
//! idempotent consumer and the outbox neither), each invariant firing, the bug
//! caught and the correct model holding in its scenario, seeded sweeps per
//! mode, and handlers that survive nonsense.

use super::broker::Broker;
use super::checker::{
    tally, QueueChecker, Tally, ACK_AFTER_EFFECT, EFFECT_AT_MOST_ONCE, NO_MESSAGE_LOST,
};
use super::consumer::Consumer;
use super::message::{EntryId, MessageId, Mode, QueueMessage, QueueOp};
use super::process::{parts, QueueProcess, BROKER, CONSUMER, PRODUCER};
use super::{ExactlyOnceTopic, INFO};
use crate::lab::protocol::simulation;
use crate::lab::run::{Run, RunOptions};
use crate::lab::scenario::Scenario;
use crate::sim::action::{Operation, RawOperation};
use crate::sim::checker::{Checker, Violation};
use crate::sim::faults::FaultLevel;
use crate::sim::node::Node;
use crate::sim::time::Time;
use crate::sim::world::Simulation;

const M2: MessageId = MessageId(2);

fn sim(run: &dyn Run) -> &Simulation<QueueProcess, QueueChecker> {
    simulation::<ExactlyOnceTopic>(run).expect("an exactly-once run")
}

fn nodes(run: &dyn Run) -> &[QueueProcess] {
    sim(run).nodes()
}

fn consumer(run: &dyn Run) -> &Consumer {
    nodes(run)[CONSUMER.index()]
        .consumer()
        .expect("n2 consumes")
}

fn preset_scenario(name: &str) -> Scenario {
    INFO.preset_scenario(INFO.preset(name).expect("preset exists"))
}

fn run_until(scenario: &Scenario, until_ms: u64) -> Box<dyn Run> {
    let mut run = (INFO.build)(scenario, RunOptions::default()).expect("builds");
    run.run_until(Time::from_millis(until_ms));
    run
}

fn preset_run(name: &str) -> Box<dyn Run> {
    run_until(&preset_scenario(name), 2_000)
}

fn invariants(run: &dyn Run) -> Vec<&'static str> {
    run.violations().iter().map(|v| v.invariant).collect()
}

fn counts(lost: u64, on_the_way: u64, once: u64, duplicated: u64) -> Tally {
    Tally {
        lost,
        on_the_way,
        once,
        duplicated,
    }
}

#[test]
fn at_most_once_loses_the_message_acked_before_a_crash_and_applies_nothing_twice() {
    let run = preset_run("at-most-once-loss");
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    assert_eq!(tally(nodes(run.as_ref())), counts(1, 0, 1, 0));
    assert_eq!(consumer(run.as_ref()).count(M2), 0);
    let (_, broker, _) = parts(nodes(run.as_ref())).unwrap();
    assert_eq!(broker.acked(), &[MessageId(1), M2]);
    assert!(broker.queue().is_empty());
}

#[test]
fn at_least_once_applies_the_message_twice_after_a_crash_between_effect_and_ack() {
    let run = preset_run("at-least-once-duplicate");
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    assert_eq!(tally(nodes(run.as_ref())), counts(0, 0, 1, 1));
    assert_eq!(consumer(run.as_ref()).count(M2), 2);
    assert_eq!(consumer(run.as_ref()).crashes(), 1);
    let duplicates = sim(run.as_ref()).checker().duplicates();
    assert_eq!(duplicates.len(), 1);
    assert_eq!((duplicates[0].1, duplicates[0].2), (M2, 2));
}

#[test]
fn the_idempotent_consumer_skips_the_redelivery_after_the_same_crash() {
    let run = preset_run("idempotent-consumer");
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    assert_eq!(tally(nodes(run.as_ref())), counts(0, 0, 2, 0));
    let consumer = consumer(run.as_ref());
    assert_eq!(consumer.count(M2), 1);
    assert_eq!(consumer.crashes(), 1);
    assert_eq!(consumer.store(), &[MessageId(1), M2]);
    // m2 was delivered twice: the crash ended the first delivery's span.
    let spans = sim(run.as_ref()).checker().spans();
    assert_eq!(spans.iter().filter(|s| s.id == M2).count(), 2);
    assert!(spans.iter().all(|s| s.to.is_some()));
}

#[test]
fn without_an_outbox_a_producer_crash_before_publishing_loses_the_message() {
    let run = preset_run("producer-crash-loses");
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    assert_eq!(tally(nodes(run.as_ref())), counts(1, 0, 2, 0));
    let (producer, broker, consumer) = parts(nodes(run.as_ref())).unwrap();
    assert_eq!((producer.committed(), producer.crashes()), (3, 1));
    assert!(!broker.holds(M2) && broker.acked() == [MessageId(1), MessageId(3)]);
    assert_eq!(consumer.count(M2), 0);
}

#[test]
fn the_outbox_relay_publishes_after_the_producer_crash_so_nothing_is_lost() {
    let run = preset_run("outbox-survives-producer-crash");
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    assert_eq!(tally(nodes(run.as_ref())), counts(0, 0, 3, 0));
    let (producer, _, _) = parts(nodes(run.as_ref())).unwrap();
    assert_eq!(producer.crashes(), 1);
    assert!(producer.outbox().iter().all(|row| row.sent));
    assert_eq!(producer.sent_log(), &[MessageId(1), M2, MessageId(3)]);
}

#[test]
fn the_bug_is_caught_in_its_preset_and_the_correct_model_holds_in_the_same_story() {
    let run = preset_run("dedupe-not-atomic-unsafe");
    assert_eq!(invariants(run.as_ref()), [EFFECT_AT_MOST_ONCE]);
    assert_eq!(consumer(run.as_ref()).count(M2), 2);
    let mut correct = preset_scenario("dedupe-not-atomic-unsafe");
    correct.bug = None;
    let run = run_until(&correct, 2_000);
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    assert_eq!(tally(nodes(run.as_ref())), counts(0, 0, 2, 0));
}

#[test]
fn the_bug_switches_to_the_idempotent_consumer_in_the_modes_without_one() {
    let mut scenario = preset_scenario("dedupe-not-atomic-unsafe");
    scenario.set_param("mode", 1);
    let run = run_until(&scenario, 2_000);
    assert_eq!(invariants(run.as_ref()), [EFFECT_AT_MOST_ONCE]);
    assert!(!consumer(run.as_ref()).store().is_empty());
}

/// A mode's sweep: seeds 0..seeds with heavy faults up to 5 s, then 10 s of
/// quiet to settle; the tally of each seed.
fn settled(mode: i64, seeds: u64) -> Vec<(Tally, Vec<&'static str>)> {
    (0..seeds)
        .map(|seed| {
            let mut scenario = Scenario::new(INFO.slug, seed);
            scenario.faults = FaultLevel::Heavy;
            scenario.set_param("mode", mode);
            scenario.set_param("rate", 10);
            let options = RunOptions {
                trace: false,
                check: true,
                horizon: Time::from_millis(5_000),
            };
            let mut run = (INFO.build)(&scenario, options).unwrap();
            run.run_until(Time::from_millis(15_000));
            (tally(nodes(run.as_ref())), invariants(run.as_ref()))
        })
        .collect()
}

#[test]
fn under_heavy_faults_each_mode_keeps_its_promise_and_shows_what_it_does_not_promise() {
    let sum = |rows: &[(Tally, Vec<&str>)], f: fn(&Tally) -> u64| -> u64 {
        rows.iter().map(|(t, _)| f(t)).sum()
    };
    for mode in 0..4 {
        let rows = settled(mode, 30);
        for (seed, (tally, violations)) in rows.iter().enumerate() {
            assert!(
                violations.is_empty(),
                "mode {mode} seed {seed}: {violations:?}"
            );
            assert_eq!(
                tally.on_the_way, 0,
                "mode {mode} seed {seed} did not settle"
            );
        }
        let (lost, duplicated) = (sum(&rows, |t| t.lost), sum(&rows, |t| t.duplicated));
        let once = sum(&rows, |t| t.once);
        eprintln!("mode {mode}: once {once}, lost {lost}, duplicated {duplicated}");
        assert!(once > 500, "mode {mode}: {once}");
        match mode {
            0 => assert!(
                lost > 0 && duplicated == 0,
                "at most once: {lost} {duplicated}"
            ),
            1 => assert!(
                lost > 0 && duplicated > 0,
                "at least once: {lost} {duplicated}"
            ),
            // The idempotent consumer still loses what a crashed producer held in memory.
            2 => assert!(
                lost > 0 && duplicated == 0,
                "idempotent: {lost} {duplicated}"
            ),
            _ => assert!(lost == 0 && duplicated == 0, "outbox: {lost} {duplicated}"),
        }
    }
}

fn check(
    checker: &mut QueueChecker,
    nodes: &[QueueProcess],
    changed: crate::sim::time::NodeId,
) -> Vec<Violation> {
    let mut found = Vec::new();
    checker.check(nodes, &[true; 3], changed, Time::ZERO, &mut found);
    found
}

#[test]
fn ack_after_effect_fires_on_an_ack_before_the_effect() {
    // At most once acks m2 and never applies it: what the other modes forbid.
    let run = preset_run("at-most-once-loss");
    let mut checker = QueueChecker::new(Mode::AtLeastOnce);
    let found = check(&mut checker, nodes(run.as_ref()), BROKER);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].invariant, ACK_AFTER_EFFECT);
    assert!(found[0].message.contains("m2"));
    let mut at_most_once = QueueChecker::new(Mode::AtMostOnce);
    assert!(check(&mut at_most_once, nodes(run.as_ref()), BROKER).is_empty());
}

#[test]
fn no_message_lost_fires_when_a_row_is_marked_sent_that_nobody_holds() {
    let run = preset_run("outbox-survives-producer-crash");
    let mut forged = nodes(run.as_ref()).to_vec();
    let config = super::config(&crate::lab::protocol::Setup {
        topic: &INFO,
        scenario: &preset_scenario("outbox-survives-producer-crash"),
        nodes: 3,
    });
    forged[BROKER.index()] = QueueProcess::Broker(Broker::new());
    forged[CONSUMER.index()] = QueueProcess::Consumer(Consumer::new(config));
    let mut checker = QueueChecker::new(Mode::Outbox);
    let found = check(&mut checker, &forged, PRODUCER);
    assert_eq!(found.len(), 3, "{found:?}");
    assert!(found.iter().all(|v| v.invariant == NO_MESSAGE_LOST));
    // The real run's nodes hold every sent message.
    let mut checker = QueueChecker::new(Mode::Outbox);
    assert!(check(&mut checker, nodes(run.as_ref()), PRODUCER).is_empty());
}

#[test]
fn effect_at_most_once_is_not_claimed_at_least_once() {
    let run = preset_run("at-least-once-duplicate");
    let mut idempotent = QueueChecker::new(Mode::IdempotentConsumer);
    let found = check(&mut idempotent, nodes(run.as_ref()), CONSUMER);
    // Read in one go, both applications of m2 find it applied twice.
    assert!(!found.is_empty());
    assert!(found
        .iter()
        .all(|v| v.invariant == EFFECT_AT_MOST_ONCE && v.message.starts_with("m2")));
}

#[test]
fn operations_round_trip_and_nonsense_is_refused() {
    for op in [
        QueueOp::Send { request: 7 },
        QueueOp::CrashConsumerAfterEffect,
        QueueOp::CrashProducerBeforePublish,
    ] {
        assert_eq!(QueueOp::from_raw(&op.to_raw()), Some(op));
    }
    assert_eq!(QueueOp::from_raw(&RawOperation::new(1, &[3])), None);
    assert_eq!(QueueOp::from_raw(&RawOperation::new(9, &[])), None);
    assert_eq!(QueueOp::from_raw(&RawOperation::new(0, &[])), None);
}

#[test]
fn messages_to_the_wrong_process_and_stray_acks_are_dropped_with_a_note() {
    let mut scenario = Scenario::new(INFO.slug, 4);
    scenario.set_param("rate", 0);
    let stray = [
        (
            PRODUCER,
            QueueMessage::Deliver {
                entry: EntryId(9),
                id: M2,
                attempt: 1,
                crash_consumer: false,
            },
        ),
        (
            BROKER,
            QueueMessage::Ack {
                entry: EntryId(9),
                id: M2,
            },
        ),
        (CONSUMER, QueueMessage::PublishAck { id: M2 }),
        (PRODUCER, QueueMessage::PublishAck { id: M2 }),
    ];
    let run = run_until(&scenario, 100);
    let before = tally(nodes(run.as_ref()));
    let mut processes = nodes(run.as_ref()).to_vec();
    let (mut rng, mut effects) = (crate::sim::rng::Rng::new(1), Default::default());
    for (to, message) in stray {
        let mut cx = crate::sim::node::Cx::new(to, Time::ZERO, 3, true, &mut rng, &mut effects);
        processes[to.index()].on_message(CONSUMER, message, &mut cx);
    }
    assert_eq!(tally(&processes), before);
    assert_eq!(effects.sends.len(), 0);
    assert_eq!(effects.notes.len(), 4, "{:?}", effects.notes);
}

#[test]
fn every_process_fills_every_column_of_the_state_table() {
    let run = preset_run("outbox-survives-producer-crash");
    for process in nodes(run.as_ref()) {
        assert_eq!(process.state_row().len() + 2, INFO.columns.len());
    }
    let run = preset_run("at-least-once-duplicate");
    let text = |process: &QueueProcess| -> Vec<String> {
        process
            .state_row()
            .into_iter()
            .map(|cell| match cell {
                crate::sim::view::Cell::Text(text) => text,
                other => format!("{other:?}"),
            })
            .collect()
    };
    let rows: Vec<Vec<String>> = nodes(run.as_ref()).iter().map(text).collect();
    assert_eq!(rows[0], ["2 rows, no outbox", "-", "-", "-", "0"]);
    assert_eq!(rows[1], ["queue: -; 2 acked", "-", "-", "-", "0"]);
    assert_eq!(rows[2], ["-", "-", "balance 3: m1 m2×2", "-", "1"]);
}

#[test]
fn the_chart_counts_committed_messages_by_effects_applied() {
    let run = preset_run("at-least-once-duplicate");
    let charts =
        <ExactlyOnceTopic as crate::lab::protocol::ProtocolTopic>::charts(sim(run.as_ref()));
    assert_eq!(charts.len(), 1);
    let values: Vec<(&str, u64)> = charts[0]
        .bars
        .iter()
        .map(|bar| (bar.label.as_str(), bar.value))
        .collect();
    assert_eq!(
        values,
        [
            ("lost (0)", 0),
            ("on its way (0)", 0),
            ("exactly once (1)", 1),
            ("duplicated (2+)", 1)
        ]
    );
    // Mid-story, m2 is applied once; its redelivery is still to come.
    let run = run_until(&preset_scenario("at-least-once-duplicate"), 700);
    assert_eq!(tally(nodes(run.as_ref())), counts(0, 0, 2, 0));
    let run = run_until(&preset_scenario("at-most-once-loss"), 2_000);
    let charts =
        <ExactlyOnceTopic as crate::lab::protocol::ProtocolTopic>::charts(sim(run.as_ref()));
    assert_eq!(charts[0].bars[0].value, 1);
}
