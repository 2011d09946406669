//! The gossip model's behaviour: every mode spreads a rumour to everyone in
//! about the theory's rounds, push-pull faster than push; the band over
//! seeds and the pinned figures; anti-entropy repairing a partition with
//! fewer bytes than full state; SWIM detecting a crash and surviving loss
//! with suspicion; each invariant firing; bad input refused.

use super::checker::{
    GossipChecker, INCARNATION_ONLY_GROWS, NO_ALIVE_MEMBER_DECLARED_DEAD, RUMOUR_ONLY_FROM_SOURCE,
};
use super::message::{MemberUpdate, StartRumour, Status, Update, Version, KEYS};
use super::node::{Config, GossipNode, Mode};
use super::theory;
use super::{GossipTopic, BUG_NO_SUSPICION, INFO};
use crate::lab::protocol::{simulation, ProtocolTopic};
use crate::lab::run::{Run, RunOptions};
use crate::lab::scenario::Scenario;
use crate::sim::action::{Operation, RawOperation};
use crate::sim::checker::{Checker, Violation};
use crate::sim::time::{Duration, NodeId, Time};
use crate::sim::world::Simulation;
use crate::topics::testing::preset_run;

fn typed(run: &dyn Run) -> &Simulation<GossipNode, GossipChecker> {
    simulation::<GossipTopic>(run).expect("a gossip run")
}

fn run(scenario: &Scenario, until_ms: u64) -> Box<dyn Run> {
    let mut run = (INFO.build)(scenario, RunOptions::default()).expect("the scenario builds");
    run.run_until(Time::from_millis(until_ms));
    run
}

fn scenario(seed: u64, params: &[(&str, i64)]) -> Scenario {
    let mut scenario = Scenario::new(INFO.slug, seed);
    for &(name, value) in params {
        scenario.set_param(name, value);
    }
    scenario
}

#[test]
fn every_mode_reaches_everyone_near_the_theory() {
    for mode in Mode::ALL {
        for fanout in [1, 3] {
            let curve = theory::infection_curve(mode, fanout, 300, 5);
            assert_eq!(*curve.last().unwrap(), 300, "{mode:?} fanout {fanout}");
            let rounds = curve.len() as f64 - 1.0;
            let expected = theory::expected_rounds(mode, fanout, 300);
            assert!(
                (expected / 2.0..=2.0 * expected + 3.0).contains(&rounds),
                "{mode:?} fanout {fanout}: {rounds} rounds, theory {expected:.1}"
            );
            // Monotone, starting from the one writer.
            assert_eq!(curve[0], 1);
            assert!(curve.windows(2).all(|w| w[0] <= w[1]));
        }
    }
}

#[test]
fn push_pull_beats_push_and_the_band_is_ordered() {
    let push = theory::infection_band(Mode::Push, 1, 500, 10);
    let push_pull = theory::infection_band(Mode::PushPull, 1, 500, 10);
    assert_eq!(push.complete, 10);
    assert_eq!(push_pull.complete, 10);
    assert!(push_pull.rounds_to_all[1] < push.rounds_to_all[1]);
    for band in [&push, &push_pull] {
        let [fewest, median, most] = band.rounds_to_all;
        assert!(fewest <= median && median <= most);
        for q in &band.per_round {
            assert!(q[0] <= q[1] && q[1] <= q[2]);
        }
        assert_eq!(band.per_round.last().unwrap()[0], 500);
    }
}

/// The 10,000-node figures, and the wall time of full dissemination:
/// `cargo test --release -p distlab-core topics::gossip::tests::ten_thousand -- --ignored --nocapture`
#[test]
#[ignore]
fn ten_thousand_nodes() {
    for mode in Mode::ALL {
        let started = std::time::Instant::now();
        let curve = theory::infection_curve(mode, 1, 10_000, 1);
        println!(
            "{mode:?}: one run to everyone in 10,000 nodes: {} rounds (theory {:.1}), {:.2} s wall",
            curve.len() - 1,
            theory::expected_rounds(mode, 1, 10_000),
            started.elapsed().as_secs_f64()
        );
        assert_eq!(*curve.last().unwrap(), 10_000);
    }
}

#[test]
fn anti_entropy_repairs_the_partitioned_half_with_digests() {
    let run = preset_run(
        &INFO,
        "anti-entropy-repairs-partition",
        Time::from_millis(2_900),
    );
    let nodes = typed(run.as_ref()).nodes();
    // Before the heal, each write stayed on its side.
    assert!(nodes.iter().any(|n| n.entry(1).version.is_none()));
    assert!(nodes.iter().any(|n| n.entry(2).version.is_none()));
    let run = preset_run(
        &INFO,
        "anti-entropy-repairs-partition",
        Time::from_millis(9_000),
    );
    assert!(run.violations().is_empty());
    let simulation = typed(run.as_ref());
    for node in simulation.nodes() {
        assert!(!node.entry(1).version.is_none() && !node.entry(2).version.is_none());
        assert!(!node.is_hot());
    }
    let (digest, full) = simulation.nodes().iter().fold((0, 0), |(d, f), n| {
        (d + n.stats().digest_bytes, f + n.stats().full_state_bytes)
    });
    assert!(
        digest > 0 && digest * 3 < full,
        "digest {digest}, full {full}"
    );
}

#[test]
fn swim_confirms_a_crashed_member_and_no_live_one() {
    let run = preset_run(&INFO, "swim-detects-crash", Time::from_millis(5_000));
    assert!(run.violations().is_empty());
    let simulation = typed(run.as_ref());
    let (detections, false_positives) = simulation.checker().confirmations();
    assert!(detections >= 1 && false_positives == 0);
    let knows_dead = simulation
        .nodes()
        .iter()
        .enumerate()
        .filter(|(i, n)| *i != 5 && n.swim().status_of(NodeId(5)).0 == Status::Dead)
        .count();
    assert!(knows_dead >= 10, "{knows_dead} members know n5 is dead");
}

#[test]
fn suspicion_survives_loss_that_kills_without_it() {
    let run = preset_run(&INFO, "lossy-with-suspicion", Time::from_millis(9_000));
    assert!(run.violations().is_empty());
    let simulation = typed(run.as_ref());
    assert!(
        simulation
            .nodes()
            .iter()
            .any(|n| n.swim().incarnation() > 0),
        "some live member was suspected and refuted"
    );
    let run = preset_run(&INFO, "lossy-without-suspicion", Time::from_millis(9_000));
    assert!(run
        .violations()
        .iter()
        .any(|v| v.invariant == NO_ALIVE_MEMBER_DECLARED_DEAD));
}

#[test]
fn the_bug_is_caught_without_any_loss() {
    let mut scenario = scenario(2, &[]);
    scenario.bug = Some(BUG_NO_SUSPICION.to_string());
    scenario.faults = crate::sim::faults::FaultLevel::Crashes;
    let buggy = run(&scenario, 20_000);
    assert!(buggy
        .violations()
        .iter()
        .any(|v| v.invariant == NO_ALIVE_MEMBER_DECLARED_DEAD));
    scenario.bug = None;
    let correct = run(&scenario, 20_000);
    assert!(correct.violations().is_empty());
}

fn check(checker: &mut GossipChecker, nodes: &[GossipNode], changed: u32) -> Vec<Violation> {
    let mut found = Vec::new();
    let up = vec![true; nodes.len()];
    checker.check(
        nodes,
        &up,
        NodeId(changed),
        Time::from_millis(1),
        &mut found,
    );
    found
}

fn plain_config() -> Config {
    Config {
        mode: Mode::PushPull,
        fanout: 1,
        round: Duration::from_millis(100),
        hot_rounds: 4,
        anti_entropy: None,
        swim: None,
    }
}

#[test]
fn a_made_up_version_and_a_shrinking_incarnation_fire() {
    let mut nodes: Vec<GossipNode> = (0..3)
        .map(|i| GossipNode::new(NodeId(i), 3, plain_config()))
        .collect();
    let mut checker = GossipChecker::new(3);
    assert!(check(&mut checker, &nodes, 1).is_empty());
    nodes[1].forge_update(Update {
        key: 2,
        version: Version {
            counter: 7,
            origin: 0,
        },
        value: 1,
    });
    let found = check(&mut checker, &nodes, 1);
    assert!(found.iter().any(|v| v.invariant == RUMOUR_ONLY_FROM_SOURCE));
    nodes[2].forge_incarnation(5);
    assert!(check(&mut checker, &nodes, 2).is_empty());
    nodes[2].forge_incarnation(4);
    let found = check(&mut checker, &nodes, 2);
    assert!(found.iter().any(|v| v.invariant == INCARNATION_ONLY_GROWS));
}

#[test]
fn precedence_of_membership_updates() {
    let update = |status, incarnation| MemberUpdate {
        member: NodeId(1),
        status,
        incarnation,
    };
    assert!(update(Status::Suspect, 0).overrides(Status::Alive, 0));
    assert!(!update(Status::Alive, 0).overrides(Status::Suspect, 0));
    assert!(update(Status::Alive, 1).overrides(Status::Suspect, 0));
    assert!(update(Status::Dead, 0).overrides(Status::Suspect, 0));
    assert!(!update(Status::Suspect, 3).overrides(Status::Dead, 0));
    assert!(update(Status::Alive, 1).overrides(Status::Dead, 0));
}

#[test]
fn bad_input_is_refused() {
    assert_eq!(
        StartRumour::from_raw(&RawOperation::new(1, &[KEYS as u64])),
        None
    );
    assert_eq!(StartRumour::from_raw(&RawOperation::new(2, &[0])), None);
    let op = StartRumour { key: 3 };
    assert_eq!(StartRumour::from_raw(&op.to_raw()), Some(op));
    // A page operation beyond the buttons is refused too.
    let setup_scenario = scenario(1, &[]);
    let setup = crate::lab::protocol::Setup {
        topic: &INFO,
        scenario: &setup_scenario,
        nodes: 16,
    };
    assert!(GossipTopic::operation(1, NodeId(0), &setup, 0).is_none());
    assert!(GossipTopic::operation(0, NodeId(0), &setup, 9).is_some());
}

#[test]
fn the_default_run_spreads_every_write_and_plots_it() {
    let run = run(&scenario(3, &[]), 6_000);
    assert!(run.violations().is_empty());
    let simulation = typed(run.as_ref());
    let (key, version, _) = super::newest_rumour(simulation.nodes()).expect("a rumour");
    let behind = simulation
        .nodes()
        .iter()
        .filter(|n| n.entry(key).version < version)
        .count();
    // The newest write may still be spreading; every older one is everywhere.
    assert!(behind < simulation.nodes().len());
    let plots = GossipTopic::plots(simulation);
    assert_eq!(plots.len(), 1);
    // This run, the band's three lines (16 nodes), the theory's mark.
    assert_eq!(plots[0].lines.len(), 5);
    let charts = GossipTopic::charts(simulation);
    assert_eq!(charts.len(), 3);
}

/// SWIM over many seeds: 16 members, n5 crashes at 2 s, each configuration
/// for 1,000 seeds to 10 s; prints how long until n5 is first suspected and
/// first confirmed dead, and how many live members were confirmed dead.
///
///     cargo test --release -p distlab-core topics::gossip::tests::swim_figures -- --ignored --nocapture
#[test]
#[ignore]
fn swim_figures() {
    const SEEDS: u64 = 1_000;
    let crash = Time::from_millis(2_000);
    for (drop, suspicion, bug) in [
        (0, 1_000, false),
        (5, 1_000, false),
        (15, 1_000, false),
        (15, 3_000, false),
        (15, 1_000, true),
    ] {
        let (mut suspected, mut confirmed) = (Vec::new(), Vec::new());
        let (mut missed, mut runs_with_false_positives, mut false_positives) = (0, 0, 0);
        for seed in 1..=SEEDS {
            let mut scenario = scenario(
                seed,
                &[
                    ("nodes", 16),
                    ("swim", 1),
                    ("drop", drop),
                    ("suspicion", suspicion),
                    ("rate", 0),
                    ("anti-entropy", 0),
                ],
            );
            if bug {
                scenario.bug = Some(BUG_NO_SUSPICION.to_string());
            }
            scenario.push_action(crash, crate::sim::action::Action::Crash(NodeId(5)));
            let run = run(&scenario, 10_000);
            let simulation = typed(run.as_ref());
            let (_, wrong) = simulation.checker().confirmations();
            false_positives += wrong;
            runs_with_false_positives += u64::from(wrong > 0);
            let first = simulation
                .nodes()
                .iter()
                .filter_map(|node| node.swim().confirmations().1)
                .filter(|confirmation| confirmation.member == NodeId(5))
                .min_by_key(|confirmation| confirmation.at);
            match first {
                Some(confirmation) => {
                    suspected.push(confirmation.suspected_at.since(crash).as_micros() / 1_000);
                    confirmed.push(confirmation.at.since(crash).as_micros() / 1_000);
                }
                None => missed += 1,
            }
        }
        let summary = |values: &mut Vec<u64>| {
            values.sort_unstable();
            if values.is_empty() {
                return "-".to_string();
            }
            let at = |p: usize| values[(values.len() * p / 100).min(values.len() - 1)];
            format!(
                "median {} ms, p95 {} ms, max {} ms",
                at(50),
                at(95),
                at(100)
            )
        };
        println!(
            "drop {drop}%, suspicion {suspicion} ms{}: n5 first suspected {}, first confirmed {}; never confirmed in {missed} of {SEEDS} seeds; live members confirmed dead: {false_positives} in {runs_with_false_positives} seeds",
            if bug { " (bug no-suspicion)" } else { "" },
            summary(&mut suspected),
            summary(&mut confirmed),
        );
    }
}
