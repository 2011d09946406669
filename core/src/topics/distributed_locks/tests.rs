//! The distributed-locks model's behaviour: leases and tokens on the happy
//! path, each rule (fencing, the validity time, the recovery wait, the durable
//! counter, the pause), each invariant firing, each bug caught, and bad input
//! refused without a panic.

use super::checker::{LocksChecker, EFFECTIVE_MUTUAL_EXCLUSION, FENCED_ORDER, SINGLE_HOLDER};
use super::client::LockClient;
use super::message::{FencingToken, LockOp, MAX_PAUSE_MS};
use super::process::LockProcess;
use super::server::LockServer;
use super::storage::Storage;
use super::{DistributedLocksTopic, BUG_NO_FENCING, BUG_REDLOCK_DRIFT, INFO};
use crate::lab::protocol::simulation;
use crate::lab::run::{Run, RunOptions};
use crate::lab::scenario::Scenario;
use crate::lab::sweep::{sweep, SweepConfig};
use crate::sim::action::{Action, Operation, RawOperation};
use crate::sim::faults::FaultLevel;
use crate::sim::time::{NodeId, Time};
use crate::sim::trace::EventKind;
use crate::sim::world::Simulation;

fn sim(run: &dyn Run) -> &Simulation<LockProcess, LocksChecker> {
    simulation::<DistributedLocksTopic>(run).expect("a distributed-locks run")
}

fn preset_run(name: &str, until_ms: u64) -> Box<dyn Run> {
    let preset = INFO.preset(name).expect("the preset exists");
    let mut run =
        (INFO.build)(&INFO.preset_scenario(preset), RunOptions::default()).expect("builds");
    run.run_until(Time::from_millis(until_ms));
    run
}

fn scenario(seed: u64, params: &[(&str, i64)]) -> Scenario {
    let mut scenario = Scenario::new(INFO.slug, seed);
    for (name, value) in params {
        scenario.set_param(name, *value);
    }
    scenario
}

fn run_scenario(scenario: &Scenario, until_ms: u64) -> Box<dyn Run> {
    let mut run = (INFO.build)(scenario, RunOptions::default()).expect("builds");
    run.run_until(Time::from_millis(until_ms));
    run
}

fn storage(run: &dyn Run) -> &Storage {
    sim(run)
        .nodes()
        .iter()
        .find_map(LockProcess::storage)
        .expect("a storage")
}

fn server(run: &dyn Run, id: u32) -> &LockServer {
    sim(run).nodes()[id as usize]
        .server()
        .expect("a lock server")
}

fn client(run: &dyn Run, id: u32) -> &LockClient {
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

#[test]
fn clients_take_turns_with_increasing_tokens_and_every_write_lands() {
    let run = preset_run("happy-path", 5_000);
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    let leases = sim(run.as_ref()).checker().leases();
    assert!(leases.len() >= 8, "only {} leases", leases.len());
    // Tokens go up by one with each lease, and both clients get some.
    for (i, lease) in leases.iter().enumerate() {
        assert_eq!(lease.token, Some(FencingToken(i as u64 + 1)));
    }
    assert!(leases.iter().any(|l| l.client == NodeId(2)));
    assert!(leases.iter().any(|l| l.client == NodeId(3)));
    // The leases never overlap in real time: each ends before the next begins.
    for pair in leases.windows(2) {
        let ended = pair[0].ended_at.expect("the earlier lease ended");
        assert!(ended <= pair[1].acquired_at, "{pair:?}");
    }
    let storage = storage(run.as_ref());
    assert_eq!(storage.rejected(), 0);
    assert!(storage.applied() >= leases.len() as u64 - 1);
    assert_eq!(
        storage.highest(),
        storage.last_write().and_then(|w| w.token)
    );
}

#[test]
fn the_client_counts_its_lease_from_before_it_asked_minus_the_drift_allowance() {
    let run = preset_run("happy-path", 100);
    let text = notes(run.as_ref(), 2)
        .into_iter()
        .find(|n| n.starts_with("holds the lock"))
        .expect("n2 got the lock");
    // 500 ms, less the round trip, less 2 x 5% x 500 ms + 2 ms = 52 ms.
    assert!(text.contains("valid for 416.882ms"), "{text}");
}

#[test]
fn fencing_rejects_the_paused_clients_late_write() {
    let run = preset_run("gc-pause-fenced", 3_000);
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    assert_eq!(client(run.as_ref(), 2).writes_rejected(), 1);
    assert_eq!(storage(run.as_ref()).rejected(), 1);
    assert!(notes(run.as_ref(), 1)
        .iter()
        .any(|n| n.contains("rejects 2001 from n2: its token 1 is lower than 3")));
    assert!(notes(run.as_ref(), 2)
        .iter()
        .any(|n| n.contains("though its lease ended")));
}

#[test]
fn without_fencing_the_late_write_lands_and_both_storage_invariants_fire() {
    let run = preset_run("gc-pause-unfenced", 1_270);
    let found = invariants(run.as_ref());
    assert_eq!(
        found.first(),
        Some(&EFFECTIVE_MUTUAL_EXCLUSION),
        "{found:?}"
    );
    assert!(found.contains(&FENCED_ORDER), "{found:?}");
    assert!(!found.contains(&SINGLE_HOLDER), "{found:?}");
    let write = storage(run.as_ref()).last_write().expect("a write");
    assert_eq!(
        (write.client, write.token),
        (NodeId(2), Some(FencingToken(1)))
    );
}

#[test]
fn a_paused_client_defers_everything_until_the_pause_ends() {
    let mut scenario = scenario(1, &[("pause-ms", 0)]);
    scenario.push_action(
        Time::from_millis(200),
        Action::operation(Some(NodeId(2)), &LockOp::Pause { millis: 1_000 }),
    );
    let mut run = (INFO.build)(&scenario, RunOptions::default()).unwrap();
    run.run_until(Time::from_millis(1_000));
    let paused = client(run.as_ref(), 2);
    assert!(paused.is_paused());
    assert!(!paused.believes_it_holds());
    // Its lease is over by every clock, yet it has not noticed: nothing ran.
    assert!(paused.lease().is_some_and(|lease| lease.valid));
    run.run_until(Time::from_millis(1_300));
    let awake = client(run.as_ref(), 2);
    assert!(!awake.is_paused());
    assert_eq!(awake.writes_rejected() + awake.writes_applied(), 1);
    assert!(run.violations().is_empty());
}

#[test]
fn a_restarted_lock_server_waits_out_old_leases_and_keeps_counting_tokens() {
    let run = preset_run("lock-server-crash", 1_000);
    let recovering = server(run.as_ref(), 0);
    assert!(recovering.grant().is_none(), "the lease was volatile");
    assert!(recovering.recovering_until().is_some());
    assert_eq!(
        recovering.next_token(),
        FencingToken(4),
        "the counter is durable"
    );
    assert!(notes(run.as_ref(), 0)
        .iter()
        .any(|n| n.starts_with("still recovering")));
    let run = preset_run("lock-server-crash", 4_000);
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    let tokens: Vec<_> = sim(run.as_ref())
        .checker()
        .leases()
        .iter()
        .map(|l| l.token.unwrap().0)
        .collect();
    assert_eq!(&tokens[..4], &[1, 2, 3, 4], "{tokens:?}");
}

#[test]
fn crash_drops_the_lease_and_keeps_the_counter() {
    let run = preset_run("happy-path", 950);
    let mut process = sim(run.as_ref()).nodes()[0].clone();
    let before = process.server().unwrap().next_token();
    assert!(process.server().unwrap().grant().is_some());
    crate::sim::node::Node::on_crash(&mut process);
    let after = process.server().unwrap();
    assert!(after.grant().is_none());
    assert_eq!(after.next_token(), before);
}

#[test]
fn redlock_holds_on_a_majority_and_survives_one_server_down() {
    let run = preset_run("redlock-majority", 1_300);
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    assert_eq!(sim(run.as_ref()).nodes().len(), 8);
    assert!(
        !sim(run.as_ref()).is_up(NodeId(4)) || server(run.as_ref(), 4).recovering_until().is_some()
    );
    // A lease taken while n4 was down or recovering.
    let leases = sim(run.as_ref()).checker().leases();
    assert!(leases
        .iter()
        .any(|l| l.acquired_at > Time::from_millis(1_000) && l.token.is_none()));
    let run = preset_run("redlock-majority", 5_000);
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    assert!(storage(run.as_ref()).applied() >= 8);
}

#[test]
fn redlock_without_the_drift_allowance_lets_two_clients_hold_the_lock() {
    let run = preset_run("redlock-drift", 2_000);
    assert_eq!(invariants(run.as_ref()).first(), Some(&SINGLE_HOLDER));
    // The same run with the allowance: n7's lease ends first.
    let mut fixed = INFO.preset_scenario(INFO.preset("redlock-drift").unwrap());
    fixed.bug = None;
    let run = run_scenario(&fixed, 10_000);
    assert!(run.violations().is_empty(), "{:?}", run.violations());
}

#[test]
fn redlock_has_no_token_so_a_pause_breaks_it_with_no_bug() {
    // Kleppmann's first objection: nothing for the storage to check.
    let scenario = scenario(1, &[("mode", 1), ("pause-ms", 1_000)]);
    let run = run_scenario(&scenario, 30_000);
    assert_eq!(
        invariants(run.as_ref()).first(),
        Some(&EFFECTIVE_MUTUAL_EXCLUSION),
        "{:?}",
        run.violations()
    );
}

fn sweep_of(
    seeds: u64,
    bug: Option<&str>,
    params: &[(&str, i64)],
) -> crate::lab::sweep::SweepReport {
    let mut config = SweepConfig::new(&INFO, seeds);
    config.bug = bug.map(str::to_string);
    config.params = params.iter().map(|(n, v)| (n.to_string(), *v)).collect();
    sweep(&config, |_, _| {}).expect("the sweep runs")
}

#[test]
fn the_correct_models_are_clean_under_heavy_faults() {
    assert!(sweep_of(100, None, &[]).failures.is_empty());
    let redlock = sweep_of(60, None, &[("mode", 1), ("pause-ms", 0)]);
    assert!(
        redlock.failures.is_empty(),
        "{:?}",
        redlock.failures.first()
    );
    let wide = sweep_of(
        40,
        None,
        &[("clients", 5), ("drift-ppm", 100_000), ("lease-ms", 200)],
    );
    assert!(wide.failures.is_empty(), "{:?}", wide.failures.first());
}

#[test]
fn each_bug_is_caught_by_its_own_invariant_within_a_few_seeds() {
    let no_fencing = sweep_of(20, Some(BUG_NO_FENCING), &[]);
    assert!(
        no_fencing.failures.len() >= 10,
        "{}",
        no_fencing.failures.len()
    );
    assert!(no_fencing
        .failures
        .iter()
        .all(|f| f.violation.invariant == EFFECTIVE_MUTUAL_EXCLUSION));
    // The bug keeps random pauses off: what catches it is two holders at once.
    let drift = sweep_of(20, Some(BUG_REDLOCK_DRIFT), &[]);
    assert!(drift.failures.len() >= 10, "{}", drift.failures.len());
    assert!(drift
        .failures
        .iter()
        .all(|f| f.violation.invariant == SINGLE_HOLDER));
}

#[test]
fn operations_round_trip_and_malformed_ones_are_refused() {
    let pause = LockOp::Pause { millis: 800 };
    assert_eq!(LockOp::from_raw(&pause.to_raw()), Some(pause));
    for raw in [
        RawOperation::new(1, &[]),
        RawOperation::new(1, &[0]),
        RawOperation::new(1, &[MAX_PAUSE_MS + 1]),
        RawOperation::new(1, &[5, 5]),
        RawOperation::new(0, &[5]),
        RawOperation::new(7, &[5]),
    ] {
        assert_eq!(LockOp::from_raw(&raw), None, "{raw}");
    }
}

#[test]
fn bad_input_is_dropped_with_a_note() {
    let mut scenario = scenario(1, &[("pause-ms", 0)]);
    // A pause for a lock server, and one nobody addresses (no lease is held
    // at time zero, so there is no focus to route it to).
    scenario.push_action(
        Time::from_millis(300),
        Action::operation(Some(NodeId(0)), &LockOp::Pause { millis: 100 }),
    );
    scenario.push_action(
        Time::ZERO,
        Action::operation(None, &LockOp::Pause { millis: 100 }),
    );
    scenario.push_action(
        Time::from_millis(400),
        Action::Operation {
            node: Some(NodeId(2)),
            operation: RawOperation::new(1, &[0]),
        },
    );
    let run = run_scenario(&scenario, 2_000);
    assert!(run.violations().is_empty());
    assert!(notes(run.as_ref(), 0)
        .iter()
        .any(|n| n.starts_with("only clients pause")));
    assert!(!client(run.as_ref(), 2).is_paused());
}

#[test]
fn the_fault_plan_never_crashes_a_client() {
    let mut scenario = scenario(3, &[]);
    scenario.faults = FaultLevel::Heavy;
    let run = run_scenario(&scenario, 30_000);
    let crashed: Vec<_> = run
        .trace()
        .events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Crash))
        .filter_map(|e| e.node)
        .collect();
    assert!(!crashed.is_empty());
    assert!(crashed.iter().all(|node| node.0 < 2), "{crashed:?}");
}

#[test]
fn a_late_write_that_lands_before_any_newer_write_is_applied_and_breaks_nothing() {
    // n2 pauses for half a second: n0 grants n3 the lock meanwhile, but n2's
    // late write reaches the storage before n3 writes anything. No token above
    // 1 has arrived, so the storage cannot tell the write is late, and it is
    // ordered as if it had come in time: effective mutual exclusion holds.
    let mut scenario = scenario(1, &[("pause-ms", 0)]);
    scenario.push_action(
        Time::from_millis(200),
        Action::operation(Some(NodeId(2)), &LockOp::Pause { millis: 500 }),
    );
    let run = run_scenario(&scenario, 1_500);
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    let leases = sim(run.as_ref()).checker().leases();
    let newer = leases[1];
    assert_eq!(
        (newer.client, newer.token),
        (NodeId(3), Some(FencingToken(2)))
    );
    let storage_notes = notes(run.as_ref(), 1);
    let late = storage_notes
        .iter()
        .position(|n| n.starts_with("applies 2001 from n2 (token 1)"))
        .expect("n2's late write is applied");
    let newer_write = storage_notes
        .iter()
        .position(|n| n.contains("from n3 (token 2)"))
        .expect("n3 writes");
    assert!(late < newer_write);
    // And n3 held its lease before the late write arrived.
    let arrived = run
        .trace()
        .events
        .iter()
        .find(|e| matches!(&e.kind, EventKind::Note { text } if text.starts_with("applies 2001 from n2")))
        .map(|e| e.time)
        .unwrap();
    assert!(newer.acquired_at < arrived, "{newer:?} vs {arrived}");
    assert_eq!(client(run.as_ref(), 2).writes_rejected(), 0);
}

/// The page's lease bars come from the checker's registry of leases, in real
/// time, and its Pause button takes the GC-pause parameter's length and only
/// goes to a client.
#[test]
fn the_page_draws_each_lease_and_pauses_only_clients() {
    use crate::lab::protocol::{ProtocolTopic, Setup};
    use crate::sim::time::{NodeId, Time};
    let mut scenario = Scenario::new("distributed-locks", 3);
    scenario.set_param("pause-ms", 0);
    let mut run = (INFO.build)(&scenario, RunOptions::default()).unwrap();
    run.run_until(Time::from_millis(3_000));
    let simulation = simulation::<DistributedLocksTopic>(run.as_ref()).unwrap();
    let spans = DistributedLocksTopic::annotations(simulation).spans;
    let leases = simulation.checker().leases();
    assert!(!leases.is_empty());
    assert_eq!(spans.len(), leases.len());
    for (span, lease) in spans.iter().zip(leases) {
        assert_eq!(
            (span.node, span.from, span.to),
            (lease.client, lease.acquired_at, lease.ended_at)
        );
        assert!(span.label.starts_with("lease, token"), "{}", span.label);
    }
    // Single-server mode without a bug: leases never overlap in real time.
    for pair in spans.windows(2) {
        assert!(
            pair[0].to.is_some_and(|end| end <= pair[1].from),
            "{pair:?}"
        );
    }
    let setup = Setup {
        topic: &INFO,
        scenario: &scenario,
        nodes: 2,
    };
    // n0 is the lock server, n1 the storage, n2 the first client.
    assert_eq!(
        DistributedLocksTopic::operation(0, NodeId(0), &setup, 0),
        None
    );
    assert_eq!(
        DistributedLocksTopic::operation(0, NodeId(1), &setup, 0),
        None
    );
    assert_eq!(
        DistributedLocksTopic::operation(0, NodeId(2), &setup, 0),
        Some(LockOp::Pause { millis: 1_000 })
    );
}
