//! Leader election's behaviour: each mode's happy path and failover, the
//! rules that matter (no node follows a lower one, the ring skips a crashed
//! successor, a grantor keeps its promise), each invariant firing, each bug
//! caught, the operations' encoding, and the message counts against theory.

use super::checker::{ElectionChecker, LEASE_EXCLUSION, SINGLE_LEADER};
use super::count::{bounds, election_messages, everyone_knows_the_top, harmonic, run_election};
use super::message::{ElectionOp, Mode, Placement};
use super::node::{BullyState, ElectionNode};
use super::{LeaderElectionTopic, INFO};
use crate::lab::protocol::simulation;
use crate::lab::run::{Run, RunOptions};
use crate::lab::scenario::Scenario;
use crate::sim::action::{Action, Operation, RawOperation, TimedAction};
use crate::sim::time::{NodeId, Time};
use crate::sim::world::Simulation;

fn sim(run: &dyn Run) -> &Simulation<ElectionNode, ElectionChecker> {
    simulation::<LeaderElectionTopic>(run).expect("a leader-election run")
}

fn scenario(mode: Mode, nodes: i64, seed: u64) -> Scenario {
    let mut scenario = Scenario::new(INFO.slug, seed);
    scenario.set_param("mode", mode.as_param());
    scenario.set_param("nodes", nodes);
    scenario
}

fn build(scenario: &Scenario) -> Box<dyn Run> {
    (INFO.build)(scenario, RunOptions::default()).expect("builds")
}

fn preset_run(name: &str, until_ms: u64) -> Box<dyn Run> {
    let preset = INFO.preset(name).expect("preset exists");
    let mut run = build(&INFO.preset_scenario(preset));
    run.run_until(Time::from_millis(until_ms));
    run
}

fn start_at(ms: u64, node: u32) -> TimedAction {
    TimedAction::at_ms(
        ms,
        Action::operation(Some(NodeId(node)), &ElectionOp::StartElection),
    )
}

/// Who each running node believes leads.
fn beliefs(run: &dyn Run) -> Vec<Option<u32>> {
    let sim = sim(run);
    sim.nodes()
        .iter()
        .filter(|node| sim.is_up(node.id()))
        .map(|node| node.leader().map(|l| l.0))
        .collect()
}

#[test]
fn bully_elects_the_highest_node_after_one_node_starts() {
    let mut s = scenario(Mode::Bully, 5, 1);
    s.actions.push(start_at(20, 1));
    let mut run = build(&s);
    run.run_until(Time::from_millis(250));
    assert_eq!(beliefs(run.as_ref()), vec![Some(4); 5]);
    assert!(run.violations().is_empty());
    // Nodes 1..=4 elect (3+2+1 ELECTIONs, as many ANSWERs), n4 announces to 4.
    let sent: u64 = sim(run.as_ref())
        .nodes()
        .iter()
        .map(|n| n.election_messages_sent())
        .sum();
    assert_eq!(sent, 6 + 6 + 4);
}

#[test]
fn bully_cold_start_elects_without_help() {
    for seed in 0..10 {
        let mut run = build(&scenario(Mode::Bully, 5, seed));
        run.run_until(Time::from_millis(2_000));
        assert_eq!(beliefs(run.as_ref()), vec![Some(4); 5], "seed {seed}");
        assert!(run.violations().is_empty());
    }
}

#[test]
fn bully_next_highest_takes_over_when_the_leader_crashes() {
    let mut run = preset_run("bully-leader-crash", 3_000);
    let sim = sim(run.as_ref());
    assert!(!sim.is_up(NodeId(4)));
    assert_eq!(beliefs(run.as_ref()), vec![Some(3); 4]);
    assert!(run.violations().is_empty());
    run.run_until(Time::from_millis(6_000));
    assert_eq!(beliefs(run.as_ref()), vec![Some(3); 4]);
}

#[test]
fn bully_recovering_higher_node_bullies_its_way_back() {
    let run = preset_run("bully-recovery", 1_400);
    assert_eq!(beliefs(run.as_ref()), vec![Some(3); 4]);
    let run = preset_run("bully-recovery", 3_000);
    assert_eq!(beliefs(run.as_ref()), vec![Some(4); 5]);
    assert!(run.violations().is_empty());
}

#[test]
fn bully_answered_node_waits_for_the_coordinator() {
    let mut s = scenario(Mode::Bully, 5, 1);
    s.actions.push(start_at(20, 0));
    let mut run = build(&s);
    // After the answers arrive (at most 30 ms each way) but before n4's
    // COORDINATOR can reach n0.
    run.run_until(Time::from_millis(20 + 45));
    let n0 = &sim(run.as_ref()).nodes()[0];
    assert_ne!(n0.bully_state(), BullyState::Electing);
    assert!(!n0.believes_it_leads());
}

#[test]
fn ring_elects_the_largest_id_in_every_placement() {
    for placement in 0..3 {
        for seed in 0..5 {
            let mut s = scenario(Mode::Ring, 7, seed);
            s.set_param("placement", placement);
            let mut run = build(&s);
            run.run_until(Time::from_millis(1_000));
            assert_eq!(
                beliefs(run.as_ref()),
                vec![Some(6); 7],
                "placement {placement} seed {seed}"
            );
            assert!(run.violations().is_empty());
        }
    }
}

#[test]
fn ring_skips_a_crashed_successor_and_elects_the_next_largest() {
    let run = preset_run("ring-election", 4_000);
    let sim = sim(run.as_ref());
    assert!(!sim.is_up(NodeId(5)));
    assert_eq!(beliefs(run.as_ref()), vec![Some(4); 5]);
    assert!(run.violations().is_empty());
}

#[test]
fn no_node_follows_a_node_it_outranks() {
    for seed in 0..40 {
        for mode in [Mode::Bully, Mode::Ring] {
            let mut s = scenario(mode, 5, seed);
            s.faults = crate::sim::faults::FaultLevel::Heavy;
            let mut run = build(&s);
            while run.step() && run.now() < Time::from_millis(5_000) {
                let sim = sim(run.as_ref());
                for node in sim.nodes() {
                    if let Some(leader) = node.leader().filter(|_| sim.is_up(node.id())) {
                        assert!(
                            leader >= node.id(),
                            "{mode:?} seed {seed}: {} follows {leader}",
                            node.id()
                        );
                    }
                }
            }
            assert!(run.violations().is_empty(), "{mode:?} seed {seed}");
        }
    }
}

#[test]
fn leases_give_one_holder_that_renews() {
    let mut run = build(&scenario(Mode::Leases, 5, 3));
    run.run_until(Time::from_millis(3_000));
    let sim = sim(run.as_ref());
    let holders: Vec<_> = sim.nodes().iter().filter(|n| n.lease().is_some()).collect();
    assert_eq!(holders.len(), 1);
    assert!(
        holders[0].lease().unwrap().attempt > 1,
        "the holder renewed"
    );
    // Every other node has promised the holder.
    let holder = holders[0].id().0;
    assert!(sim
        .nodes()
        .iter()
        .all(|n| n.promise().is_some_and(|p| p.to == holder)));
    assert!(run.violations().is_empty());
}

#[test]
fn leases_a_grantor_keeps_its_promise_across_a_crash() {
    let mut s = scenario(Mode::Leases, 5, 3);
    s.actions
        .push(TimedAction::at_ms(1_000, Action::Crash(NodeId(0))));
    s.actions
        .push(TimedAction::at_ms(1_050, Action::Restart(NodeId(0))));
    let mut run = build(&s);
    run.run_until(Time::from_millis(1_100));
    let n0 = &sim(run.as_ref()).nodes()[0];
    assert!(n0.promise().is_some(), "the promise is durable");
    assert!(n0.lease().is_none(), "a held lease is not");
}

#[test]
fn leases_with_skew_never_overlap() {
    let run = preset_run("lease-skew", 4_000);
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    // Someone took over from the cut-off holder.
    let reigns = sim(run.as_ref()).checker().reigns();
    let holders: std::collections::BTreeSet<_> = reigns.iter().map(|r| r.node).collect();
    assert!(holders.len() >= 2, "{reigns:?}");
}

#[test]
fn lease_ignores_drift_is_caught_by_lease_exclusion() {
    let run = preset_run("lease-ignores-drift", 4_000);
    assert_eq!(
        run.violations().first().map(|v| v.invariant),
        Some(LEASE_EXCLUSION)
    );
}

#[test]
fn ring_forward_smaller_is_caught_by_single_leader() {
    let run = preset_run("ring-forward-smaller", 1_000);
    assert_eq!(
        run.violations().first().map(|v| v.invariant),
        Some(SINGLE_LEADER)
    );
}

#[test]
fn a_bug_runs_in_its_own_mode() {
    let mut s = scenario(Mode::Bully, 5, 1);
    s.bug = Some("lease-ignores-drift".into());
    let run = build(&s);
    assert_eq!(sim(run.as_ref()).nodes()[0].mode(), Mode::Leases);
    s.bug = Some("ring-forward-smaller".into());
    let run = build(&s);
    assert_eq!(sim(run.as_ref()).nodes()[0].mode(), Mode::Ring);
}

#[test]
fn operations_round_trip_and_refuse_anything_else() {
    let op = ElectionOp::StartElection;
    assert_eq!(ElectionOp::from_raw(&op.to_raw()), Some(op));
    assert_eq!(ElectionOp::from_raw(&RawOperation::new(1, &[3])), None);
    assert_eq!(ElectionOp::from_raw(&RawOperation::new(0, &[])), None);
    assert_eq!(ElectionOp::from_raw(&RawOperation::new(99, &[])), None);
}

#[test]
fn a_message_from_an_unknown_node_is_dropped() {
    let mut s = scenario(Mode::Bully, 3, 1);
    s.actions.push(start_at(20, 0));
    let mut run = build(&s);
    run.run_until(Time::from_millis(500));
    assert_eq!(beliefs(run.as_ref()), vec![Some(2); 3]);
}

#[test]
fn bully_counts_match_the_formula_for_each_initiator() {
    // With a fixed latency the count is exact: m(m-1) + n - 1 for the m nodes
    // from the initiator up.
    for n in [3usize, 5, 8] {
        let counts = election_messages(Mode::Bully, Placement::Shuffled, n, 60);
        let b = bounds(Mode::Bully, n).unwrap();
        assert_eq!(counts.worst as f64, b.worst, "n={n}");
        assert_eq!(counts.best as f64, b.best, "n={n}");
        assert!(
            (counts.mean - b.average).abs() < b.average * 0.25,
            "n={n}: {counts:?} vs {b:?}"
        );
    }
}

#[test]
fn ring_counts_match_chang_and_roberts() {
    for n in [3usize, 5, 8, 16] {
        let b = bounds(Mode::Ring, n).unwrap();
        let best = run_election(Mode::Ring, Placement::Ascending, n, 1);
        let worst = run_election(Mode::Ring, Placement::Descending, n, 1);
        assert_eq!(best as f64, b.best, "n={n}");
        assert_eq!(worst as f64, b.worst, "n={n}");
        let shuffled = election_messages(Mode::Ring, Placement::Shuffled, n, 200);
        assert!(shuffled.worst as f64 <= b.worst && shuffled.best as f64 >= b.best);
        assert!(
            (shuffled.mean - b.average).abs() < b.average * 0.1,
            "n={n}: {shuffled:?} vs {b:?}"
        );
    }
    assert!((harmonic(4) - 25.0 / 12.0).abs() < 1e-12);
}

#[test]
fn a_measurement_ends_with_everyone_knowing_the_top() {
    let mut s = scenario(Mode::Ring, 6, 2);
    s.set_param("latency", 10);
    let mut run = build(&s);
    run.run_until(Time::from_millis(2_000));
    assert!(everyone_knows_the_top(sim(run.as_ref()).nodes()));
}

#[test]
fn the_pinned_sweep_is_what_the_simulator_measures() {
    use super::count::{pinned, sweep, SWEEP_SIZES};
    for (mode, tolerance) in [(Mode::Bully, 0.25), (Mode::Ring, 0.1)] {
        let measured = sweep(mode);
        assert_eq!(
            pinned(mode),
            measured,
            "{mode:?}: re-pin count::MEASURED_SWEEP and MEASURED_WORST"
        );
        for (i, &n) in SWEEP_SIZES.iter().enumerate() {
            let b = bounds(mode, n).unwrap();
            // The mean agrees with the theory's average within 25% (bully) and 10% (ring).
            let mean = measured.mean_tenths[i] as f64 / 10.0;
            assert!(
                (mean - b.average).abs() <= b.average * tolerance,
                "{mode:?} n={n}: {mean} vs {}",
                b.average
            );
            // No seed exceeds the worst-case bound, and the worst seed is at
            // least the mean.
            let worst = measured.worst[i] as f64;
            assert!(
                worst <= b.worst && worst >= mean,
                "{mode:?} n={n}: worst {worst} vs bound {} and mean {mean}",
                b.worst
            );
        }
    }
}

/// The message-count table of the report (run with `--ignored --nocapture`).
#[test]
#[ignore]
fn print_message_counts() {
    for mode in [Mode::Bully, Mode::Ring] {
        for n in [3usize, 5, 8, 16, 32, 64] {
            let m = election_messages(mode, Placement::Shuffled, n, 100);
            let b = bounds(mode, n).unwrap();
            let descending = run_election(mode, Placement::Descending, n, 1);
            println!(
                "{mode:?} n={n}: measured best {} mean {:.1} worst {} (descending ring {descending}) | theory best {} average {:.1} worst {}",
                m.best, m.mean, m.worst, b.best, b.average, b.worst
            );
        }
    }
}

fn bare_nodes(mode: Mode, n: usize) -> Vec<ElectionNode> {
    let mut s = scenario(mode, n as i64, 1);
    s.set_param("drift-ppm", 0);
    let setup = crate::lab::protocol::Setup {
        topic: &INFO,
        scenario: &s,
        nodes: n,
    };
    let config = std::rc::Rc::new(super::config(&setup));
    (0..n as u32)
        .map(|i| ElectionNode::new(NodeId(i), std::rc::Rc::clone(&config)))
        .collect()
}

#[test]
fn single_leader_fires_when_a_node_follows_a_lower_one() {
    use crate::sim::checker::Checker;
    let mut nodes = bare_nodes(Mode::Bully, 3);
    let mut checker = ElectionChecker::new(Mode::Bully, 3, Default::default());
    let mut found = Vec::new();
    nodes[2].leader = Some(1);
    checker.check(
        &nodes,
        &[true; 3],
        NodeId(2),
        Time::from_millis(5),
        &mut found,
    );
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].invariant, SINGLE_LEADER);
    // Following a higher node is fine.
    found.clear();
    nodes[0].leader = Some(2);
    checker.check(
        &nodes,
        &[true; 3],
        NodeId(0),
        Time::from_millis(6),
        &mut found,
    );
    assert!(found.is_empty());
}

#[test]
fn lease_exclusion_reads_each_clock_in_real_time() {
    use super::checker::ClockModel;
    use super::node::Lease;
    use crate::sim::checker::Checker;
    // n0's clock runs 10% slow: at real 1000 ms it reads 900 ms.
    let clocks = ClockModel::from_actions(&[TimedAction::at_ms(
        0,
        Action::SetClock {
            node: NodeId(0),
            offset_us: 0,
            drift_ppm: -100_000,
        },
    )]);
    assert_eq!(
        clocks.local(0, Time::from_millis(1000)),
        Time::from_millis(900)
    );
    let mut nodes = bare_nodes(Mode::Leases, 3);
    let mut checker = ElectionChecker::new(Mode::Leases, 3, clocks);
    let mut found = Vec::new();
    let up = [true; 3];
    nodes[0].lease = Some(Lease {
        attempt: 1,
        until: Time::from_millis(950),
    });
    checker.check(&nodes, &up, NodeId(0), Time::from_millis(100), &mut found);
    assert!(found.is_empty());
    // At real 1000 ms n0's clock reads 900 < 950: it still believes its lease.
    nodes[1].lease = Some(Lease {
        attempt: 1,
        until: Time::from_millis(2000),
    });
    checker.check(&nodes, &up, NodeId(1), Time::from_millis(1000), &mut found);
    assert_eq!(found.first().map(|v| v.invariant), Some(LEASE_EXCLUSION));
    // At real 1100 ms n0's clock reads 990: its lease is over, no overlap.
    let mut checker = ElectionChecker::new(Mode::Leases, 3, checker.clocks().clone());
    found.clear();
    checker.check(&nodes, &up, NodeId(0), Time::from_millis(100), &mut found);
    checker.check(&nodes, &up, NodeId(1), Time::from_millis(1100), &mut found);
    assert!(found.is_empty(), "{found:?}");
}

/// The page draws a bar per reign on its leader's lane: in the bully story the
/// first leader's bar ends when it crashes and the next one's begins, and the
/// Start election button starts an election at the chosen node.
#[test]
fn the_page_draws_a_bar_per_reign_and_starts_elections_where_asked() {
    use crate::lab::protocol::{ProtocolTopic, Setup};
    let run = preset_run("bully-leader-crash", 4_000);
    let spans = LeaderElectionTopic::annotations(sim(run.as_ref())).spans;
    let reigns = sim(run.as_ref()).checker().reigns();
    assert_eq!(spans.len(), reigns.len());
    assert!(spans.len() >= 2, "{spans:?}");
    assert!(spans.iter().all(|s| s.label == "leader"));
    assert!(spans.iter().filter(|s| s.to.is_none()).count() <= 1);
    let first = &spans[0];
    assert!(first.to.is_some_and(|end| end > first.from), "{first:?}");
    assert!(spans[1..]
        .iter()
        .any(|s| s.node != first.node && s.from >= first.from));

    let scenario = Scenario::new("leader-election", 1);
    let setup = Setup {
        topic: &INFO,
        scenario: &scenario,
        nodes: 5,
    };
    let operation = LeaderElectionTopic::operation(0, NodeId(3), &setup, 0);
    assert_eq!(operation, Some(ElectionOp::StartElection));
    assert_eq!(
        LeaderElectionTopic::operation(1, NodeId(3), &setup, 0),
        None
    );
}

#[test]
fn the_chart_sets_the_runs_messages_per_election_against_theory() {
    use crate::lab::protocol::ProtocolTopic;
    let run = preset_run("ring-election", 2_000);
    let ring = sim(run.as_ref());
    let charts = LeaderElectionTopic::charts(ring);
    assert_eq!(charts.len(), 3, "this run, its mode's sweep, both modes");
    let values: Vec<u64> = charts[0].bars.iter().map(|b| b.value).collect();
    let theory = bounds(Mode::Ring, ring.nodes().len()).unwrap();
    assert_eq!(
        values[1..],
        [theory.best, theory.average, theory.worst].map(|v| v.round() as u64)
    );
    let sent: u64 = ring
        .nodes()
        .iter()
        .map(ElectionNode::election_messages_sent)
        .sum();
    assert!(sent > 0);
    assert!(values[0] > 0 && values[0] <= sent, "{values:?}");
    // The sweep: mean, average, worst seed and worst case per size, the
    // ring's row of the pinned tables.
    let sweep: Vec<u64> = charts[1].bars.iter().map(|b| b.value).collect();
    assert_eq!(sweep.len(), 4 * super::count::SWEEP_SIZES.len());
    assert_eq!(sweep[0], 9, "8.5 messages at n = 3, rounded");
    let ring_64 = bounds(Mode::Ring, 64).unwrap();
    assert_eq!(
        sweep[20..],
        [362, ring_64.average.round() as u64, 475, 2144],
        "n = 64: mean 361.5, average, worst seed, worst case n(n+1)/2+n"
    );
    assert_eq!(charts[1].bars[22].label, "n=64 worst seed");
    // Both modes' means against their averages: bully 1,425.9 against
    // (n²−1)/3+n−1 = 1,428 at n = 64, ring 361.5 against n·H(n)+n.
    let modes: Vec<u64> = charts[2].bars.iter().map(|b| b.value).collect();
    assert_eq!(modes.len(), 4 * super::count::SWEEP_SIZES.len());
    assert_eq!(
        modes[20..],
        [1426, 1428, 362, ring_64.average.round() as u64]
    );
    // Leases hold no elections, so they draw no chart.
    let lease = preset_run("lease-skew", 500);
    assert!(LeaderElectionTopic::charts(sim(lease.as_ref())).is_empty());
}
