//! The backpressure model's behaviour: the links drop duplicates, write off
//! gaps and count credits cumulatively (the leak counts them twice); the
//! presets tell their stories (unbounded memory grows, block and credit keep
//! it flat and throttle the producer, drop oldest delivers fresher items
//! than drop newest); the unbounded twin gets every arrival and shows, on
//! the same seed, what the policy saved; Little's law holds at every stage,
//! the twin's included; each invariant fires, in either chain; bad
//! operations are refused without a panic.

use super::chain::Chain;
use super::checker::{
    PipelineChecker, BOUNDED_QUEUE_WITHIN_CAPACITY, DEMAND_RESPECTED, NOTHING_VANISHES,
};
use super::link::{Arrival, Receiver, Sender, LOSS_TIMEOUT};
use super::message::{PipelineOp, Policy};
use super::process::PipelineProcess;
use super::*;
use crate::lab::protocol::simulation;
use crate::lab::run::{Run, RunOptions};
use crate::lab::scenario::Scenario;
use crate::sim::action::{Action, Operation, RawOperation};
use crate::sim::checker::Checker;
use crate::sim::faults::FaultLevel;
use crate::sim::world::Simulation;

fn sim(run: &dyn Run) -> &Simulation<PipelineProcess, PipelineChecker> {
    simulation::<BackpressureTopic>(run).expect("a backpressure run")
}

fn run(scenario: &Scenario, until_ms: u64) -> Box<dyn Run> {
    let mut run = (INFO.build)(scenario, RunOptions::default()).expect("builds");
    run.run_until(Time::from_millis(until_ms));
    run
}

fn preset_run(name: &str, until_ms: u64) -> Box<dyn Run> {
    let preset = INFO.preset(name).expect("the preset exists");
    run(&INFO.preset_scenario(preset), until_ms)
}

fn scenario(seed: u64, params: &[(&str, i64)]) -> Scenario {
    let mut scenario = Scenario::new(INFO.slug, seed);
    scenario.params = params.iter().map(|&(n, v)| (n.to_string(), v)).collect();
    scenario.params.sort();
    scenario
}

fn stage_of(run: &dyn Run, index: usize) -> &Stage {
    chain_stage(run, Chain::Main, index)
}

fn chain_stage(run: &dyn Run, chain: Chain, index: usize) -> &Stage {
    PipelineProcess::stage_of(sim(run).nodes(), chain, index).expect("a stage")
}

/// Positions in [`stage::Sample::latency_us`].
const P50: usize = 0;
const P99: usize = 2;

fn producer_of(run: &dyn Run) -> &Producer {
    sim(run).nodes()[0].producer().expect("the producer")
}

#[test]
fn the_receiver_drops_copies_and_writes_off_gaps() {
    let mut receiver = Receiver::new();
    let t = |ms| Time::from_millis(ms);
    assert_eq!(receiver.on_item(1, t(0)), Arrival::New);
    assert_eq!(receiver.on_item(1, t(1)), Arrival::Stale);
    assert_eq!(receiver.on_item(3, t(2)), Arrival::New);
    assert_eq!(receiver.resolved(), 1);
    // Too early to give up on 2.
    assert_eq!(receiver.on_tick(t(100)), 0);
    assert_eq!(receiver.on_tick(t(2).after(LOSS_TIMEOUT)), 1);
    assert_eq!(receiver.resolved(), 3);
    // 2 arrives after all: it was written off, so it is a late copy.
    assert_eq!(receiver.on_item(2, t(500)), Arrival::Stale);
    // The sender says it sent 5: 4 and 5 are missing, and written off in time.
    receiver.on_sent(5, t(600));
    assert_eq!(receiver.on_tick(t(700)), 0);
    assert_eq!(receiver.on_tick(t(600).after(LOSS_TIMEOUT)), 2);
    assert_eq!(
        (receiver.received, receiver.written_off, receiver.stale),
        (2, 3, 2)
    );
    assert_eq!(receiver.on_item(0, t(800)), Arrival::Stale);
}

#[test]
fn credits_are_cumulative_and_the_leak_counts_a_repeat_twice() {
    for leak in [false, true] {
        let mut sender = Sender::new(leak);
        assert!(!sender.may_send(Policy::Credit));
        assert!(sender.may_send(Policy::DropNewest));
        sender.on_request(5, 5, 0);
        // The same request again (re-sent, or duplicated by the network).
        sender.on_request(5, 5, 0);
        assert_eq!(sender.credits(), if leak { 10 } else { 5 });
        for _ in 0..5 {
            assert!(sender.may_send(Policy::Credit));
            sender.on_send();
        }
        assert_eq!(sender.may_send(Policy::Credit), leak);
        // An older request arriving late grants nothing.
        sender.on_request(2, 3, 0);
        assert_eq!(sender.credits(), if leak { 7 } else { 0 });
    }
    let mut sender = Sender::new(false);
    sender.on_signal(false, 2, 0);
    sender.on_signal(true, 1, 0);
    assert!(
        !sender.may_send(Policy::Block),
        "an older resume is ignored"
    );
    sender.on_signal(true, 3, 0);
    assert!(sender.may_send(Policy::Block));
}

#[test]
fn unbounded_memory_grows_and_block_and_credit_keep_it_flat() {
    let unbounded = preset_run("unbounded-overload", 20_000);
    let b = stage_of(&*unbounded, 1);
    let held = |stage: &Stage, second: usize| stage.seconds()[second].held;
    // About 20 items a second more than B serves, for 20 seconds.
    assert!(held(b, 19) > 300, "{}", held(b, 19));
    assert!(held(b, 19) > 4 * held(b, 4));
    let p99 = |run: &dyn Run, second: usize| stage_of(run, 2).seconds()[second].latency_us[P99];
    assert!(p99(&*unbounded, 18) > 3_000_000);
    assert_eq!(producer_of(&*unbounded).throttled(), 0);
    for name in ["block-overload", "credit-flow"] {
        let bounded = preset_run(name, 20_000);
        for i in 0..3 {
            let stage = stage_of(&*bounded, i);
            let most = stage.seconds().iter().map(|s| s.depth).max().unwrap_or(0);
            assert!(most <= 20, "{name}: stage {i} held {most}");
        }
        assert!(producer_of(&*bounded).throttled() > 0, "{name}");
        assert!(p99(&*bounded, 18) < 1_500_000, "{name}");
        assert!(bounded.violations().is_empty(), "{name}");
    }
    // Credit never drops: every item made is delivered or still inside.
    let credit = preset_run("credit-flow", 20_000);
    for i in 0..3 {
        assert_eq!(stage_of(&*credit, i).stats().dropped, 0);
    }
}

#[test]
fn drop_oldest_delivers_fresher_items_than_drop_newest() {
    let newest = preset_run("drop-newest", 8_000);
    let oldest = preset_run("drop-oldest", 8_000);
    let b = |run: &dyn Run| stage_of(run, 1).stats();
    assert!(b(&*newest).dropped > 50, "{:?}", b(&*newest));
    assert!(b(&*oldest).dropped > 50, "{:?}", b(&*oldest));
    // Seconds 3 to 5, with B slowed and its queue full.
    let p50 = |run: &dyn Run| -> u64 {
        stage_of(run, 2).seconds()[3..6]
            .iter()
            .map(|s| s.latency_us[P50])
            .sum::<u64>()
            / 3
    };
    // Measured on these seeds: about 290 ms against about 400 ms.
    assert!(
        4 * p50(&*oldest) < 3 * p50(&*newest),
        "{} vs {}",
        p50(&*oldest),
        p50(&*newest)
    );
}

#[test]
fn littles_law_holds_at_every_stage() {
    // The chains to hold to it: an overloaded twin is left out, since its
    // queue grows to the end of the run and the items still inside have no
    // time inside yet (Little's law is about a system in equilibrium).
    for (params, seconds, chains) in [
        (&[("policy", 0), ("rate", 60)][..], 120, &Chain::BOTH[..1]),
        (&[("policy", 4), ("rate", 150)][..], 60, &Chain::BOTH[..1]),
        (&[("policy", 3), ("rate", 60)][..], 120, &Chain::BOTH[..]),
    ] {
        let run = run(&scenario(5, params), seconds * 1000);
        for &chain in chains {
            for i in 0..3 {
                let stage = chain_stage(&*run, chain, i);
                let (measured, formula) = littles_law(stage, run.now());
                let error = (measured - formula).abs() / measured;
                let name = stage.name();
                assert!(error < 0.03, "{name}: L {measured} against λW {formula}");
            }
            if params[1].1 == 60 {
                // And B, one worker of 10 ms at 60 a second, is an M/M/1
                // queue: L = ρ / (1 - ρ) = 1.5 (block never acts this far
                // below its bound).
                let (measured, _) = littles_law(chain_stage(&*run, chain, 1), run.now());
                assert!((measured - 1.5).abs() < 0.15, "{measured}");
            }
        }
    }
}

#[test]
fn the_twin_gets_every_arrival_and_shows_what_the_policy_saves() {
    for name in ["block-overload", "credit-flow"] {
        let run = preset_run(name, 20_000);
        assert!(run.violations().is_empty(), "{name}");
        let producer = producer_of(&*run);
        // Every arrival of the source went to A', throttled ones included.
        assert!(producer.throttled() > 0, "{name}");
        let arrivals = producer.arrivals();
        assert_eq!(arrivals, producer.produced() + producer.throttled());
        let to_twin = producer.sender_to(Chain::Twin).expect("a twin");
        assert_eq!(to_twin.sent, arrivals, "{name}");
        // No faults: all of them arrived but the few still on the wire.
        let received = chain_stage(&*run, Chain::Twin, 0).receiver().received;
        assert!(received <= arrivals && arrivals - received <= 5, "{name}");
        let (b, twin_b) = (
            chain_stage(&*run, Chain::Main, 1),
            chain_stage(&*run, Chain::Twin, 1),
        );
        // The main chain's B stays within its capacity of 20; B' grows by
        // about 20 items a second, without limit.
        let deepest = b.seconds().iter().map(|s| s.depth).max().unwrap_or(0);
        assert!(deepest <= 20, "{name}: B held {deepest}");
        let peak = |stage: &Stage| stage.seconds().iter().map(|s| s.held).max().unwrap_or(0);
        assert!(twin_b.seconds()[19].held > 250, "{name}");
        assert!(
            peak(twin_b) > 10 * peak(b),
            "{name}: {} against {}",
            peak(twin_b),
            peak(b)
        );
        // And the latency with it.
        let p99 = |chain| {
            chain_stage(&*run, chain, 2)
                .latency()
                .quantile(0.99)
                .unwrap_or(0.0)
        };
        let (main_p99, twin_p99) = (p99(Chain::Main), p99(Chain::Twin));
        assert!(
            twin_p99 > 2_000.0 && twin_p99 > 5.0 * main_p99,
            "{name}: {twin_p99} ms against {main_p99} ms"
        );
        assert_eq!(twin_b.stats().dropped, 0);
    }
    // An unbounded main chain has nothing to be compared with.
    let unbounded = preset_run("unbounded-overload", 2_000);
    assert_eq!(sim(&*unbounded).nodes().len(), 4);
    assert!(producer_of(&*unbounded).sender_to(Chain::Twin).is_none());
}

#[test]
fn a_crash_in_the_twin_is_accounted_for() {
    // The fault plan never crashes the twin, but a person can.
    let twin_b = Chain::Twin.stage(1);
    let mut scenario = scenario(4, &[("policy", 3), ("rate", 120)]);
    scenario.actions = vec![
        crate::lab::protocol::at(2_000, Action::Crash(twin_b)),
        crate::lab::protocol::at(3_000, Action::Restart(twin_b)),
    ];
    let run = run(&scenario, 6_000);
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    assert!(chain_stage(&*run, Chain::Twin, 1).stats().lost > 0);
}

#[test]
fn the_pages_charts_compare_both_chains() {
    let run = preset_run("block-overload", 5_000);
    let plots = BackpressureTopic::plots(sim(&*run));
    let titles: Vec<&str> = plots.iter().map(|p| p.title.as_str()).collect();
    for title in [
        "Queue depth at B and B'",
        "Memory at B and B'",
        "End-to-end latency, with block",
        "End-to-end latency, unbounded",
        "Delivered per chain",
    ] {
        assert!(titles.contains(&title), "{title} in {titles:?}");
    }
    let latency = plots
        .iter()
        .find(|p| p.title == "End-to-end latency, unbounded");
    assert_eq!(latency.map(|p| p.lines.len()), Some(4));
    let charts = BackpressureTopic::charts(sim(&*run));
    let compared = charts.last().expect("the comparison");
    assert_eq!(compared.bars.len(), 8);
    assert!(compared.bars[0].label.starts_with("with block"));
    assert!(compared.bars[4].label.starts_with("unbounded"));
}

#[test]
fn every_policy_is_clean_under_heavy_faults() {
    for policy in 0..5 {
        for seed in 1..=4 {
            let mut scenario = scenario(seed, &[("policy", policy)]);
            scenario.faults = FaultLevel::Heavy;
            let run = run(&scenario, 10_000);
            assert!(
                run.violations().is_empty(),
                "policy {policy} seed {seed}: {:?}",
                run.violations()
            );
            let lost: u64 = (0..3)
                .map(|i| stage_of(&*run, i).receiver().written_off)
                .sum();
            assert!(lost > 0, "heavy faults lose some items on the wire");
        }
    }
}

#[test]
fn the_credit_leak_overflows_the_queue_and_is_caught() {
    let run = preset_run("credit-leak", 20_000);
    let broken: Vec<_> = run.violations().iter().map(|v| v.invariant).collect();
    assert_eq!(broken.first(), Some(&DEMAND_RESPECTED));
    assert!(
        broken.contains(&BOUNDED_QUEUE_WITHIN_CAPACITY),
        "{broken:?}"
    );
    assert!(stage_of(&*run, 1).queued() > 20);
}

#[test]
fn an_item_that_vanishes_is_caught() {
    let run = preset_run("block-overload", 3_000);
    let simulation = sim(&*run);
    let mut nodes: Vec<PipelineProcess> = simulation.nodes().to_vec();
    let mut checker = simulation.checker().clone();
    let mut found = Vec::new();
    let up = [true; 7];
    checker.check(&nodes, &up, NodeId(2), run.now(), &mut found);
    assert!(found.is_empty(), "{found:?}");
    let PipelineProcess::Stage(stage) = &mut nodes[2] else {
        panic!("node 2 is stage B");
    };
    assert!(stage.lose_silently());
    checker.check(&nodes, &up, NodeId(2), run.now(), &mut found);
    let broken: Vec<_> = found.iter().map(|v| v.invariant).collect();
    assert_eq!(broken, [NOTHING_VANISHES]);
    // The same in the twin's B'.
    let mut nodes: Vec<PipelineProcess> = simulation.nodes().to_vec();
    let twin_b = Chain::Twin.stage(1);
    let PipelineProcess::Stage(stage) = &mut nodes[twin_b.index()] else {
        panic!("node 5 is stage B'");
    };
    assert!(stage.lose_silently());
    found.clear();
    checker.check(&nodes, &up, twin_b, run.now(), &mut found);
    let broken: Vec<_> = found.iter().map(|v| v.invariant).collect();
    assert_eq!(broken, [NOTHING_VANISHES]);
    assert!(found[0].message.contains("A'"), "{}", found[0].message);
}

#[test]
fn operations_decode_strictly_and_misdirected_ones_do_no_harm() {
    for op in [PipelineOp::Burst, PipelineOp::SlowStage] {
        assert_eq!(PipelineOp::from_raw(&op.to_raw()), Some(op));
    }
    assert_eq!(PipelineOp::from_raw(&RawOperation::new(1, &[7])), None);
    assert_eq!(PipelineOp::from_raw(&RawOperation::new(9, &[])), None);
    // Burst to a stage and Slow stage to the producer are noted and ignored.
    let mut scenario = scenario(1, &[("rate", 50)]);
    scenario.actions = vec![
        crate::lab::protocol::at(100, Action::operation(Some(NodeId(2)), &PipelineOp::Burst)),
        crate::lab::protocol::at(
            200,
            Action::operation(Some(NodeId(0)), &PipelineOp::SlowStage),
        ),
    ];
    let run = run(&scenario, 2_000);
    assert!(run.violations().is_empty());
    assert!(producer_of(&*run).produced() > 50);
}
