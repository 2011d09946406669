//! The service discovery model's behaviour: registration and lookup, eviction
//! of a crashed instance one lease after its last heartbeat and the requests
//! lost in between, graceful deregistration, a restarted instance at a new
//! address, the quorum registry riding out a replica crash, the balancing
//! policies around a slow instance, each bug caught by its invariant in its
//! preset (and the same scenario clean without it), and bad input refused
//! without a panic.

use super::checker::{
    DiscoveryChecker, NO_EXPIRED_LEASE_SERVED, REGISTERED_INSTANCE_VISIBLE, STALE_WINDOW_BOUNDED,
};
use super::message::{merge_into, DiscoveryMessage, DiscoveryOp, Policy, Record, Version};
use super::process::DiscoveryProcess;
use super::{
    ServiceDiscoveryTopic, BUG_ACK_BEFORE_MAJORITY, BUG_CACHE_NEVER_REFRESHES,
    BUG_LEASE_NEVER_EXPIRES, INFO,
};
use crate::lab::protocol::{simulation, ProtocolTopic};
use crate::lab::run::{Run, RunOptions};
use crate::lab::scenario::Scenario;
use crate::lab::sweep::{sweep, SweepConfig};
use crate::sim::action::{Action, Operation, RawOperation};
use crate::sim::faults::FaultLevel;
use crate::sim::time::{NodeId, Time};
use crate::sim::trace::EventKind;
use crate::sim::view::Chart;
use crate::sim::world::Simulation;

fn sim(run: &dyn Run) -> &Simulation<DiscoveryProcess, DiscoveryChecker> {
    simulation::<ServiceDiscoveryTopic>(run).expect("a service discovery run")
}

fn build(scenario: &Scenario, until_ms: u64) -> Box<dyn Run> {
    let mut run = (INFO.build)(scenario, RunOptions::default()).expect("builds");
    run.run_until(Time::from_millis(until_ms));
    run
}

fn preset_scenario(name: &str, bug: Option<&str>) -> Scenario {
    let preset = INFO.preset(name).expect("the preset exists");
    let mut scenario = INFO.preset_scenario(preset);
    scenario.bug = bug.map(str::to_string);
    scenario
}

fn scenario(seed: u64, params: &[(&str, i64)]) -> Scenario {
    let mut scenario = Scenario::new(INFO.slug, seed);
    for (name, value) in params {
        scenario.set_param(name, *value);
    }
    scenario
}

fn invariants(run: &dyn Run) -> Vec<&'static str> {
    run.violations().iter().map(|v| v.invariant).collect()
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

fn chart<'a>(charts: &'a [Chart], title: &str) -> &'a Chart {
    charts
        .iter()
        .find(|c| c.title == title)
        .expect("the chart is there")
}

fn bar(chart: &Chart, label: &str) -> u64 {
    chart
        .bars
        .iter()
        .find(|b| b.label == label)
        .map_or(0, |b| b.value)
}

fn op(node: u32, operation: DiscoveryOp) -> Action {
    Action::operation(Some(NodeId(node)), &operation)
}

#[test]
fn every_instance_registers_and_every_client_caches_it() {
    let run = build(&scenario(1, &[("registry-replicas", 1)]), 1_000);
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    let nodes = sim(&*run).nodes();
    for instance in nodes.iter().filter_map(DiscoveryProcess::instance) {
        let acked = instance.acked().expect("a heartbeat acknowledged");
        assert!(acked.up && acked.version.seq >= 5, "{acked:?}");
        assert!(instance.served() > 0);
    }
    for client in nodes.iter().filter_map(DiscoveryProcess::client) {
        let usable = client.chooser().usable(Time::from_millis(1_000));
        let listed: Vec<u32> = usable.iter().map(|r| r.instance.0).collect();
        assert_eq!(listed, vec![1, 2, 3, 4]);
        assert!(client.outcomes().ok > 0 && client.outcomes().timed_out == 0);
    }
}

#[test]
fn a_crashed_instance_is_evicted_one_lease_after_its_last_heartbeat() {
    let run = build(&preset_scenario("instance-crash", None), 4_000);
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    let registry = notes(&*run, 0);
    // Listed until its last lease (903 ms + 400 ms) runs out, then evicted.
    assert!(registry
        .iter()
        .any(|n| n.contains("with [n2 n3 n4] (1 evicted: lease run out)")));
    let watch = &sim(&*run).checker().instances()[0];
    assert_eq!(watch.outages, 1);
    assert!(watch.dead_sends >= 3, "{}", watch.dead_sends);
    let window = watch.stale_window.as_micros() / 1_000;
    // The bound: the lease's remainder, a refresh, a lookup timeout.
    assert!((300..=400 + 250 + 100).contains(&window), "{window} ms");
    // Back at 2.5 s as incarnation 2, at a new address, and used again.
    assert!(notes(&*run, 1).iter().any(|n| n.contains("incarnation 2")));
    let charts = ServiceDiscoveryTopic::charts(sim(&*run));
    let failures = chart(&charts, "Requests and failures");
    assert_eq!(bar(failures, "sent to a down instance"), watch.dead_sends);
    assert!(bar(failures, "failed: no reply in time") >= watch.dead_sends);
    let windows = chart(&charts, "Stale window per instance");
    assert_eq!(bar(windows, "n1 (1 outages)"), window);
}

#[test]
fn a_deregistered_instance_leaves_at_once_and_comes_back() {
    let mut scenario = scenario(2, &[("registry-replicas", 3)]);
    scenario.push_action(Time::from_millis(1_000), op(3, DiscoveryOp::ToggleService));
    scenario.push_action(Time::from_millis(2_000), op(3, DiscoveryOp::ToggleService));
    let run = build(&scenario, 1_900);
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    let instance = sim(&*run).nodes()[3].instance().expect("n3 is an instance");
    let acked = instance
        .acked()
        .expect("the deregistration is acknowledged");
    assert!(!acked.up && !instance.in_service());
    // Nobody lists it once the deregistration is on a majority, well within
    // a lease: graceful shutdown does not wait for the TTL.
    let last_send_to_n3 = run
        .trace()
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Note { text } if text.contains(" to n3 (") => Some(e.time),
            _ => None,
        })
        .filter(|&t| t > Time::from_millis(1_000))
        .max();
    if let Some(last) = last_send_to_n3 {
        assert!(last < Time::from_millis(1_000 + 250 + 100 + 50), "{last:?}");
    }
    let run = build(&scenario, 3_000);
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    let instance = sim(&*run).nodes()[3].instance().expect("n3 is an instance");
    assert!(instance.in_service() && instance.acked().is_some_and(|a| a.up));
}

#[test]
fn the_quorum_registry_rides_out_a_replica_crash() {
    let run = build(&preset_scenario("replica-crash", None), 2_400);
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    let nodes = sim(&*run).nodes();
    // Heartbeats to the crashed n0 go unanswered and move to n1; every
    // instance still has a lease acknowledged by a majority.
    for instance in nodes.iter().filter_map(DiscoveryProcess::instance) {
        let acked = instance.acked().expect("acknowledged");
        assert!(acked.at > Time::from_millis(2_000), "{acked:?}");
    }
    assert!(notes(&*run, 3)
        .iter()
        .any(|n| n.contains("no ack for the last write")));
    let (answers, last) = nodes[1].registry().expect("n1 is a replica").answers();
    assert!(answers > 0 && last.is_some_and(|a| a.listed.len() == 4));
}

#[test]
fn least_outstanding_and_two_choices_avoid_a_slow_instance() {
    for name in ["slow-instance", "slow-instance-server-side"] {
        let run = build(&preset_scenario(name, None), 10_000);
        assert!(run.violations().is_empty(), "{:?}", run.violations());
        let charts = ServiceDiscoveryTopic::charts(sim(&*run));
        let per_instance = chart(&charts, "Requests per instance, by policy");
        let latency = chart(&charts, "Latency by policy");
        let share = |policy: Policy| {
            let all: u64 = (3..7)
                .map(|i| bar(per_instance, &format!("{} → n{i}", policy.as_str())))
                .sum();
            bar(per_instance, &format!("{} → n5", policy.as_str())) * 100 / all.max(1)
        };
        let p90 = |policy: Policy| bar(latency, &format!("{}: p90", policy.as_str()));
        let mean = |policy: Policy| bar(latency, &format!("{}: mean", policy.as_str()));
        let (rr, lor, two) = (
            share(Policy::RoundRobin),
            share(Policy::LeastOutstanding),
            share(Policy::TwoChoices),
        );
        println!(
            "{name}: slow instance's share rr {rr}% lor {lor}% two {two}%; p90 rr {} lor {} two {} ms; mean rr {} lor {} two {} ms",
            p90(Policy::RoundRobin),
            p90(Policy::LeastOutstanding),
            p90(Policy::TwoChoices),
            mean(Policy::RoundRobin),
            mean(Policy::LeastOutstanding),
            mean(Policy::TwoChoices),
        );
        assert!(
            (22..=28).contains(&rr),
            "round robin sends it a quarter: {rr}%"
        );
        assert!(lor < rr && two < rr, "{rr} {lor} {two}");
        assert!(mean(Policy::RoundRobin) > mean(Policy::LeastOutstanding));
        assert!(mean(Policy::RoundRobin) > mean(Policy::TwoChoices));
        assert!(p90(Policy::RoundRobin) > p90(Policy::LeastOutstanding));
    }
}

#[test]
fn each_bug_is_caught_in_its_preset_and_the_same_run_is_clean_without_it() {
    for (preset, bug, invariant) in [
        (
            "lease-never-expires",
            BUG_LEASE_NEVER_EXPIRES,
            NO_EXPIRED_LEASE_SERVED,
        ),
        (
            "cache-never-refreshes",
            BUG_CACHE_NEVER_REFRESHES,
            STALE_WINDOW_BOUNDED,
        ),
        (
            "ack-before-majority",
            BUG_ACK_BEFORE_MAJORITY,
            REGISTERED_INSTANCE_VISIBLE,
        ),
    ] {
        let run = build(&preset_scenario(preset, Some(bug)), 5_000);
        assert!(
            invariants(&*run).contains(&invariant),
            "{preset}: {:?}",
            run.violations()
        );
        let clean = build(&preset_scenario(preset, None), 5_000);
        assert!(
            clean.violations().is_empty(),
            "{preset} without the bug: {:?}",
            clean.violations()
        );
    }
}

#[test]
fn the_correct_model_is_clean_over_heavy_faults() {
    for replicas in [1, 3] {
        for side in [0, 1] {
            let mut config = SweepConfig::new(&INFO, 15);
            config.faults = FaultLevel::Heavy;
            config.until = Time::from_millis(8_000);
            config.params = vec![
                ("registry-replicas".to_string(), replicas),
                ("lb-side".to_string(), side),
            ];
            let report = sweep(&config, |_, _| {}).expect("the sweep runs");
            assert_eq!(report.seeds, 15);
            assert!(
                report.failures.is_empty(),
                "{replicas} replicas, side {side}: {:?}",
                report.failures.first()
            );
        }
    }
}

#[test]
fn records_merge_as_a_join() {
    let up = |seq, expires| Record {
        instance: NodeId(3),
        version: Version {
            incarnation: 1,
            seq,
        },
        up: true,
        expires_at: Time::from_millis(expires),
    };
    let down = Record {
        up: false,
        expires_at: Time::ZERO,
        ..up(4, 0)
    };
    let writes = [up(2, 900), down, up(3, 1_000)];
    let mut forward = Vec::new();
    let mut backward = Vec::new();
    for w in &writes {
        merge_into(&mut forward, w);
        merge_into(&mut forward, w);
    }
    for w in writes.iter().rev() {
        merge_into(&mut backward, w);
    }
    assert_eq!(forward, backward);
    // The deregistration is the highest version: a late heartbeat (3) does
    // not undo it, and the later lease is kept.
    assert_eq!(forward.len(), 1);
    assert!(!forward[0].up && forward[0].version.seq == 4);
    assert_eq!(forward[0].expires_at, Time::from_millis(1_000));
    assert!(!forward[0].live(Time::ZERO));
}

#[test]
fn bad_input_is_dropped_with_a_note() {
    assert_eq!(DiscoveryOp::from_raw(&RawOperation::new(9, &[])), None);
    assert_eq!(DiscoveryOp::from_raw(&RawOperation::new(1, &[7])), None);
    for op in [
        DiscoveryOp::Request,
        DiscoveryOp::ToggleService,
        DiscoveryOp::ToggleSlow,
    ] {
        assert_eq!(DiscoveryOp::from_raw(&op.to_raw()), Some(op));
    }
    let mut scenario = scenario(3, &[("registry-replicas", 1), ("rate", 0)]);
    // A request at a replica, a slow-down at a client, and a button at a
    // node that does not exist.
    scenario.push_action(Time::from_millis(100), op(0, DiscoveryOp::Request));
    scenario.push_action(Time::from_millis(100), op(6, DiscoveryOp::ToggleSlow));
    scenario.push_action(Time::from_millis(100), op(40, DiscoveryOp::Request));
    let run = build(&scenario, 500);
    assert!(run.violations().is_empty());
    assert!(notes(&*run, 0)
        .iter()
        .any(|n| n.contains("not for this process")));
    assert!(notes(&*run, 6)
        .iter()
        .any(|n| n.contains("not for this process")));
    // The page's buttons refuse a process of the wrong kind.
    let setup_scenario = Scenario::new(INFO.slug, 1);
    let setup = crate::lab::protocol::Setup {
        topic: &INFO,
        scenario: &setup_scenario,
        nodes: 5,
    };
    assert_eq!(
        ServiceDiscoveryTopic::operation(0, NodeId(0), &setup, 0),
        None
    );
    assert_eq!(
        ServiceDiscoveryTopic::operation(1, NodeId(3), &setup, 0),
        Some(DiscoveryOp::ToggleService)
    );
    assert_eq!(
        ServiceDiscoveryTopic::operation(0, NodeId(8), &setup, 0),
        Some(DiscoveryOp::Request)
    );
    // A heartbeat for another instance is a message nobody should send.
    let message = DiscoveryMessage::Heartbeat {
        record: Record {
            instance: NodeId(2),
            version: Version::default(),
            up: true,
            expires_at: Time::ZERO,
        },
    };
    assert_eq!(crate::sim::node::Labelled::kind(&message), "Heartbeat");
}
