//! The service-mesh model's behaviour: the policy and the rollout on their
//! own; each preset's story end to end (the canary stepped and promoted,
//! rolled back when bad, the rogue denied on the mesh and charged without
//! it, the brown-out on both planes); each invariant firing (the bug for
//! `policy-enforced`, a rollout without rollback for `canary-rollback`);
//! heavy-fault sweeps; bad input refused without a panic.

use super::checker::{MeshChecker, CANARY_ROLLBACK, POLICY_ENFORCED};
use super::message::{MeshOp, Plane, Workload, CLIENT, ROGUE};
use super::process::MeshProcess;
use super::rollout::{Phase, Rollout, RolloutConfig};
use super::{ServiceMeshTopic, BUG_POLICY_NOT_ENFORCED_ON_RETRY, INFO};
use crate::lab::protocol::{simulation, ProtocolTopic, Setup};
use crate::lab::run::{Run, RunOptions};
use crate::lab::scenario::Scenario;
use crate::sim::action::{Operation, RawOperation};
use crate::sim::checker::Checker;
use crate::sim::faults::FaultLevel;
use crate::sim::time::{Duration, Time};
use crate::sim::world::Simulation;

fn ms(ms: u64) -> Time {
    Time::from_millis(ms)
}

fn rollout_config() -> RolloutConfig {
    RolloutConfig {
        step: Duration::from_millis(5_000),
        window: Duration::from_millis(1_000),
        threshold_percent: 20,
        minimum_calls: 5,
        rollback: true,
    }
}

fn sim(run: &dyn Run) -> &Simulation<MeshProcess, MeshChecker> {
    simulation::<ServiceMeshTopic>(run).expect("a service-mesh run")
}

fn preset_scenario(name: &str) -> Scenario {
    let preset = INFO.preset(name).expect("the preset exists");
    INFO.preset_scenario(preset)
}

fn run(scenario: &Scenario, until_ms: u64) -> Box<dyn Run> {
    let mut run = (INFO.build)(scenario, RunOptions::default()).expect("builds");
    run.run_until(ms(until_ms));
    run
}

fn service(run: &dyn Run, workload: Workload) -> &super::service_node::ServiceNode {
    sim(run).nodes()[workload.node().index()]
        .service()
        .expect("a service")
}

#[test]
fn the_policy_allows_only_its_rules() {
    use super::policy::allows;
    assert!(allows(Workload::Client, Workload::Gateway));
    assert!(allows(Workload::Cart, Workload::Payments));
    assert!(allows(Workload::Frontend, Workload::Catalog));
    assert!(!allows(Workload::Rogue, Workload::Payments));
    assert!(!allows(Workload::Frontend, Workload::Payments));
    assert!(!allows(Workload::Client, Workload::Payments));
    assert_eq!(
        Workload::Cart.spiffe_id(),
        "spiffe://shop.example/ns/shop/sa/cart"
    );
}

#[test]
fn the_rollout_steps_promotes_and_rolls_back_on_the_window() {
    let mut rollout = Rollout::new(rollout_config());
    assert_eq!(rollout.weight(), 5);
    // A stale or out-of-order step changes nothing.
    assert!(!rollout.on_step(2));
    assert!(rollout.on_step(1));
    assert_eq!(rollout.weight(), 50);
    assert!(rollout.on_step(2));
    assert!(rollout.on_step(3));
    assert_eq!(rollout.phase(), Phase::Promoted);
    assert_eq!(rollout.weight(), 100);
    // After promotion, failures are no longer analysed.
    assert_eq!(rollout.on_outcome(ms(1), false), None);

    let mut rollout = Rollout::new(rollout_config());
    // Four failures are 100%, but below the minimum of five calls.
    for i in 0..4 {
        assert_eq!(rollout.on_outcome(ms(i), false), None);
    }
    // Old failures leave the window: 1 s later only the new outcomes count.
    for i in 0..4 {
        assert_eq!(rollout.on_outcome(ms(2_000 + i), true), None);
    }
    assert_eq!(rollout.failures(), (0, 4));
    // 1 failure in 5 is 20%: the threshold.
    let rollback = rollout.on_outcome(ms(2_010), false).expect("rolled back");
    assert_eq!((rollback.failed, rollback.calls), (1, 5));
    assert_eq!(rollout.phase(), Phase::RolledBack { at: ms(2_010) });
    assert_eq!(rollout.weight(), 0);
    assert!(!rollout.on_step(1), "a rolled-back rollout does not step");
}

#[test]
fn a_healthy_canary_is_stepped_and_promoted() {
    let scenario = preset_scenario("canary-rollout");
    let mut run = (INFO.build)(&scenario, RunOptions::default()).expect("builds");
    let mut weights: Vec<(u32, Option<usize>)> = Vec::new();
    while run.next_time().is_some_and(|t| t <= ms(20_000)) {
        run.step();
        let frontend = service(run.as_ref(), Workload::Frontend);
        let rollout = frontend.outbound(Plane::Mesh).rollout().expect("rollout");
        let phase = ServiceMeshTopic::machine_state(&sim(run.as_ref()).nodes()[1]);
        if weights.last().copied() != Some((rollout.weight(), phase)) {
            weights.push((rollout.weight(), phase));
        }
    }
    assert_eq!(
        weights,
        vec![(5, Some(0)), (50, Some(1)), (100, Some(2)), (100, Some(3))]
    );
    assert!(run.violations().is_empty());
    // The canary's share follows the weights: a few percent, about half, all.
    let frontend = service(run.as_ref(), Workload::Frontend);
    let seconds = frontend.outbound(Plane::Mesh).catalog_seconds();
    let share = |from: usize, to: usize| {
        let (stable, canary) = seconds[from..to]
            .iter()
            .fold((0, 0), |(s, c), [v1, v2]| (s + v1, c + v2));
        canary * 100 / (stable + canary)
    };
    assert!(share(0, 5) <= 12, "{}", share(0, 5));
    assert!((35..=65).contains(&share(5, 10)), "{}", share(5, 10));
    assert_eq!(share(10, 19), 100);
    // The bare plane never routes to the canary.
    assert_eq!(frontend.outbound(Plane::Bare).stats().canary_attempts, 0);
}

#[test]
fn a_bad_canary_is_rolled_back_and_gets_nothing_more() {
    let scenario = preset_scenario("bad-canary");
    let run = run(&scenario, 20_000);
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    let frontend = service(run.as_ref(), Workload::Frontend);
    let outbound = frontend.outbound(Plane::Mesh);
    let Phase::RolledBack { at } = outbound.rollout().expect("rollout").phase() else {
        panic!(
            "not rolled back: {:?}",
            outbound.rollout().map(|r| r.phase())
        );
    };
    assert!(at > ms(6_000) && at < ms(8_000), "rolled back at {at}");
    assert_eq!(sim(run.as_ref()).checker().breached_at(), Some(at));
    // Nothing went to the canary in the seconds after the rollback.
    let second = (at.as_micros() / 1_000_000) as usize;
    assert!(outbound.catalog_seconds()[second + 1..]
        .iter()
        .all(|[_, canary]| *canary == 0));
}

#[test]
fn the_rogue_is_denied_on_the_mesh_and_charged_without_it() {
    let scenario = preset_scenario("rogue-caller");
    let run = run(&scenario, 8_000);
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    let rogue = sim(run.as_ref()).nodes()[ROGUE.index()]
        .rogue()
        .expect("the rogue");
    let (mesh, bare) = (rogue.tally(Plane::Mesh), rogue.tally(Plane::Bare));
    assert_eq!(mesh.charged, 0);
    assert_eq!(mesh.denied, 30, "10 calls, 3 attempts each, all denied");
    assert_eq!(bare.charged, 10);
    let payments = service(run.as_ref(), Workload::Payments);
    assert_eq!(payments.inbound(Plane::Mesh).denied, 30);
    assert_eq!(
        payments.inbound(Plane::Mesh).admitted[Workload::Rogue.index()],
        0
    );
    assert_eq!(
        payments.inbound(Plane::Bare).admitted[Workload::Rogue.index()],
        10
    );
}

#[test]
fn the_bug_lets_the_rogues_retry_through_and_the_checker_catches_it() {
    let preset = INFO
        .preset(BUG_POLICY_NOT_ENFORCED_ON_RETRY)
        .expect("the preset");
    let scenario = INFO.preset_scenario(preset);
    let caught = run(&scenario, 3_000);
    let first = caught.violations().first().expect("caught");
    assert_eq!(first.invariant, POLICY_ENFORCED);
    // The same run without the bug, with the rogue calling all along: clean.
    let mut scenario = Scenario::new(INFO.slug, 1);
    scenario.actions.push(crate::lab::protocol::at(
        0,
        crate::sim::action::Action::operation(Some(ROGUE), &MeshOp::Rogue { calls: 50 }),
    ));
    let clean = run(&scenario, 20_000);
    assert!(clean.violations().is_empty(), "{:?}", clean.violations());
    let payments = service(clean.as_ref(), Workload::Payments);
    assert!(payments.inbound(Plane::Mesh).denied >= 100);
}

#[test]
fn a_rollout_that_does_not_roll_back_breaks_canary_rollback() {
    let scenario = preset_scenario("bad-canary");
    let setup = Setup {
        topic: &INFO,
        scenario: &scenario,
        nodes: 5,
    };
    let (mut nodes, checker) = super::processes(&setup);
    let MeshProcess::Service(frontend) = &mut nodes[Workload::Frontend.node().index()] else {
        panic!("the frontend");
    };
    frontend.replace_rollout(Rollout::new(RolloutConfig {
        rollback: false,
        ..super::rollout_config(&setup)
    }));
    let mut simulation = Simulation::new(
        nodes,
        checker,
        1,
        crate::sim::network::NetworkConfig::default(),
        crate::sim::world::Recording {
            trace: false,
            check: true,
        },
    );
    simulation.schedule_all(
        &[crate::lab::protocol::at(
            2_000,
            crate::sim::action::Action::operation(
                Some(Workload::Catalog.node()),
                &MeshOp::BadCanary { percent: 80 },
            ),
        )],
        0,
    );
    while simulation.now() < ms(8_000) && simulation.step() {}
    let violation = simulation
        .violations()
        .first()
        .expect("the checker catches a canary still getting traffic");
    assert_eq!(violation.invariant, CANARY_ROLLBACK);
    let breach = simulation.checker().breached_at().expect("a breach");
    assert!(breach > ms(2_000), "{breach}");
}

#[test]
fn the_checker_ignores_what_is_not_a_service() {
    let scenario = Scenario::new(INFO.slug, 1);
    let setup = Setup {
        topic: &INFO,
        scenario: &scenario,
        nodes: 5,
    };
    let (nodes, mut checker) = super::processes(&setup);
    let up = vec![true; nodes.len()];
    let mut found = Vec::new();
    for node in [CLIENT, ROGUE, crate::sim::time::NodeId(40)] {
        checker.check(&nodes, &up, node, Time::ZERO, &mut found);
    }
    assert!(found.is_empty());
}

#[test]
fn heavy_faults_break_nothing_and_the_bug_is_caught() {
    let mut caught = 0;
    for seed in 1..=12 {
        let mut scenario = Scenario::new(INFO.slug, seed);
        scenario.faults = FaultLevel::Heavy;
        let clean = run(&scenario, 15_000);
        assert!(
            clean.violations().is_empty(),
            "seed {seed}: {:?}",
            clean.violations()
        );
        scenario.bug = Some(BUG_POLICY_NOT_ENFORCED_ON_RETRY.to_string());
        let buggy = run(&scenario, 15_000);
        if let Some(first) = buggy.violations().first() {
            assert_eq!(first.invariant, POLICY_ENFORCED);
            caught += 1;
        }
    }
    assert!(caught >= 10, "caught {caught} of 12");
}

#[test]
fn bad_operations_are_refused_without_a_panic() {
    for raw in [
        RawOperation::new(1, &[101]),
        RawOperation::new(2, &[0]),
        RawOperation::new(3, &[0]),
        RawOperation::new(4, &[1]),
        RawOperation::new(99, &[]),
        RawOperation::new(1, &[]),
    ] {
        assert_eq!(MeshOp::from_raw(&raw), None, "{raw:?}");
    }
    for op in [
        MeshOp::BadCanary { percent: 80 },
        MeshOp::Rogue { calls: 10 },
        MeshOp::BrownOut {
            capacity_percent: 25,
        },
        MeshOp::Recover,
    ] {
        assert_eq!(MeshOp::from_raw(&op.to_raw()), Some(op));
    }
    // A rogue op at a service, a bad canary at payments, a brown-out at the
    // client: noted and ignored.
    let mut scenario = Scenario::new(INFO.slug, 2);
    for (node, op) in [
        (Workload::Payments.node(), MeshOp::Rogue { calls: 3 }),
        (Workload::Payments.node(), MeshOp::BadCanary { percent: 50 }),
        (
            CLIENT,
            MeshOp::BrownOut {
                capacity_percent: 10,
            },
        ),
    ] {
        scenario.actions.push(crate::lab::protocol::at(
            500,
            crate::sim::action::Action::operation(Some(node), &op),
        ));
    }
    let run = run(&scenario, 3_000);
    assert!(run.violations().is_empty());
    let payments = service(run.as_ref(), Workload::Payments);
    assert_eq!(payments.inbound(Plane::Mesh).denied, 0);
}

#[test]
fn in_the_brown_out_the_mesh_retries_turn_timeouts_into_late_successes() {
    let scenario = preset_scenario("brown-out");
    let run = run(&scenario, 12_000);
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    let client = sim(run.as_ref()).nodes()[CLIENT.index()]
        .client()
        .expect("the client");
    let failed = |plane: Plane| -> u32 {
        client.measure(plane).seconds[2..9]
            .iter()
            .map(|s| s.failed)
            .sum()
    };
    assert!(failed(Plane::Mesh) < failed(Plane::Bare));
    let cart = service(run.as_ref(), Workload::Cart);
    let (mesh, bare) = (
        cart.outbound(Plane::Mesh).stats(),
        cart.outbound(Plane::Bare).stats(),
    );
    assert!(mesh.retries > 0 && mesh.timeouts > 0);
    assert_eq!(bare.retries, 0);
    assert!(bare.timeouts > 0);
    // The worst tail of the mesh is during the brown-out, not before it.
    let p99 = |plane: Plane, second: usize| client.measure(plane).seconds[second].latency_ms(0.99);
    let during = (2..9).map(|s| p99(Plane::Mesh, s)).max().unwrap_or(0);
    assert!(during > p99(Plane::Mesh, 0) * 2, "{during}");
}

/// Throughput for both planes, and each plane's latency in the four
/// quantiles, ordered in every second.
#[test]
fn plots_show_throughput_and_four_quantiles_for_both_planes() {
    let run = run(&preset_scenario("brown-out"), 6_000);
    let plots = ServiceMeshTopic::plots(sim(run.as_ref()));
    let throughput = plots
        .iter()
        .find(|p| p.title == "Throughput over time")
        .expect("a throughput plot");
    assert_eq!(throughput.lines.len(), 2);
    assert!(throughput
        .lines
        .iter()
        .all(|l| l.points.iter().any(|p| p.1 > 0)));
    for plane in Plane::BOTH {
        let title = format!("Latency over time, {}", plane.as_str());
        let latency = plots
            .iter()
            .find(|p| p.title == title)
            .expect("a latency plot per plane");
        let names: Vec<&str> = latency.lines.iter().map(|l| l.label.as_str()).collect();
        assert_eq!(names, ["p50", "p90", "p99", "p99.9"]);
        for second in 0..latency.lines[0].points.len() {
            for q in 0..3 {
                assert!(latency.lines[q].points[second].1 <= latency.lines[q + 1].points[second].1);
            }
        }
    }
}
