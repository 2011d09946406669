//! The multi-tenancy model's behaviour: the three disciplines on their own
//! (FIFO order, WFQ and DRR shares by weight, DRR's deficit bound), the
//! worker partition and Jain's index; end to end, the noisy neighbour under
//! FIFO, WFQ and DRR on one seed, Jain's index with every tenant backlogged,
//! cells containing the noisy tenant; each invariant firing, the bug caught
//! and the same run clean without it; heavy-fault sweeps of every model; bad
//! input dropped without a panic.

use super::checker::{
    check_deficits, check_work_conserving, TenancyChecker, DRR_DEFICIT_BOUNDED, QUOTA_RESPECTED,
    WORK_CONSERVING,
};
use super::message::{Discipline, TenancyMessage, TenancyOp, TenantId, MAX_SIZE};
use super::process::{TenancyProcess, MAX_TENANTS};
use super::scheduler::Scheduler;
use super::server::partition;
use super::{
    jain_index, jain_per_second, MultiTenancyTopic, BUG_QUOTA_CHECKED_AFTER_ENQUEUE, INFO,
    ISOLATION, NOISY, QUOTA, RATE_LIMIT, SCHEDULING, TENANT_RATE, WEIGHTS,
};
use crate::lab::protocol::simulation;
use crate::lab::run::{Run, RunOptions};
use crate::lab::scenario::Scenario;
use crate::sim::action::{Operation, RawOperation};
use crate::sim::checker::Violation;
use crate::sim::faults::FaultLevel;
use crate::sim::node::{Cx, Effects};
use crate::sim::rng::Rng;
use crate::sim::time::{NodeId, Time};
use crate::sim::world::Simulation;
use crate::traffic::request::{Request, RequestId, TraceContext};

fn request(id: u64) -> Request {
    Request::new(RequestId(id), Time::ZERO, None, TraceContext::default())
}

fn scheduler(discipline: Discipline, weights: &[u32]) -> Scheduler {
    let tenants: Vec<(TenantId, u32)> = weights
        .iter()
        .enumerate()
        .map(|(i, &w)| (TenantId(i as u8), w))
        .collect();
    Scheduler::new(discipline, MAX_SIZE, 1_000, &tenants, false)
}

/// Fills every queue with `per_queue` requests of `size`, pops `pops`, and
/// returns the work units each tenant got.
fn shares(discipline: Discipline, weights: &[u32], size: u32, pops: usize) -> Vec<u32> {
    let mut scheduler = scheduler(discipline, weights);
    let mut id = 0;
    for _ in 0..200 {
        for tenant in 0..weights.len() {
            id += 1;
            assert!(scheduler.push(
                TenantId(tenant as u8),
                NodeId(9),
                request(id),
                size,
                Time::ZERO
            ));
        }
    }
    let mut units = vec![0; weights.len()];
    for _ in 0..pops {
        let waiting = scheduler.pop().expect("backlogged");
        units[waiting.tenant.index()] += waiting.size;
    }
    units
}

#[test]
fn fifo_serves_by_arrival_across_queues() {
    let mut scheduler = scheduler(Discipline::Fifo, &[1, 1, 1]);
    for (id, tenant) in [(1, 2), (2, 0), (3, 2), (4, 1)] {
        scheduler.push(TenantId(tenant), NodeId(9), request(id), 1, Time::ZERO);
    }
    let order: Vec<u64> = std::iter::from_fn(|| scheduler.pop())
        .map(|w| w.request.id.0)
        .collect();
    assert_eq!(order, vec![1, 2, 3, 4]);
    assert!(scheduler.is_empty());
}

#[test]
fn wfq_and_drr_share_a_backlog_by_weight_and_fifo_does_not() {
    for discipline in [Discipline::WeightedFair, Discipline::DeficitRoundRobin] {
        let units = shares(discipline, &[1, 3], 2, 200);
        let total: u32 = units.iter().sum();
        // 1 : 3 of the work, within one round's worth.
        assert!(
            units[1].abs_diff(3 * total / 4) <= 3 * MAX_SIZE * 2,
            "{discipline:?}: {units:?}"
        );
    }
    // FIFO alternates by arrival: equal shares whatever the weights.
    let fifo = shares(Discipline::Fifo, &[1, 3], 2, 200);
    assert_eq!(fifo[0], fifo[1]);
}

#[test]
fn drr_shares_work_not_requests_when_sizes_differ() {
    // Tenant 0 sends requests of 4 units, tenant 1 of 1 unit: round robin
    // by request would give tenant 0 four times the work; DRR gives equal work.
    let mut scheduler = scheduler(Discipline::DeficitRoundRobin, &[1, 1]);
    for id in 0..400 {
        let tenant = (id % 2) as u8;
        let size = if tenant == 0 { 4 } else { 1 };
        scheduler.push(TenantId(tenant), NodeId(9), request(id), size, Time::ZERO);
    }
    let mut units = [0u32; 2];
    for _ in 0..150 {
        let waiting = scheduler.pop().unwrap();
        units[waiting.tenant.index()] += waiting.size;
    }
    assert!(units[0].abs_diff(units[1]) <= 2 * MAX_SIZE, "{units:?}");
}

#[test]
fn drr_deficits_stay_within_the_lemma_bound_on_random_traffic() {
    let mut rng = Rng::new(7);
    let weights = [1, 2, 3, 1];
    let mut scheduler = scheduler(Discipline::DeficitRoundRobin, &weights);
    let mut most = 0;
    for id in 0..20_000 {
        if rng.coin() {
            let tenant = rng.below(weights.len() as u64) as u8;
            let size = rng.range_inclusive(1, u64::from(MAX_SIZE)) as u32;
            scheduler.push(TenantId(tenant), NodeId(9), request(id), size, Time::ZERO);
        } else {
            scheduler.pop();
        }
        for (index, queue) in scheduler.queues().iter().enumerate() {
            let bound = if scheduler.in_turn() == Some(index) {
                queue.quantum(scheduler.quantum()) + MAX_SIZE - 1
            } else {
                MAX_SIZE - 1
            };
            assert!(
                queue.deficit <= bound,
                "step {id}: queue {index} {}",
                queue.deficit
            );
            if queue.is_empty() {
                assert_eq!(queue.deficit, 0);
            }
            most = most.max(queue.deficit);
        }
    }
    // The bound is reached in its turn, not just never approached.
    assert!(most >= 2 * MAX_SIZE, "{most}");
}

#[test]
fn workers_are_partitioned_by_weight_at_least_one_each() {
    let tenants = |weights: &[u32]| -> Vec<(TenantId, u32)> {
        weights
            .iter()
            .enumerate()
            .map(|(i, &w)| (TenantId(i as u8), w))
            .collect()
    };
    assert_eq!(partition(8, &tenants(&[1, 1, 1, 1])), vec![2, 2, 2, 2]);
    assert_eq!(partition(10, &tenants(&[1, 2, 3, 4])), vec![1, 2, 3, 4]);
    assert_eq!(partition(5, &tenants(&[1, 1, 1])).iter().sum::<u32>(), 5);
    assert_eq!(partition(2, &tenants(&[1, 1, 1, 1])), vec![1, 1, 1, 1]);
}

#[test]
fn jain_index_is_one_for_equal_shares_and_one_over_n_for_a_monopoly() {
    assert_eq!(jain_index(&[3.0, 3.0, 3.0, 3.0]), Some(1.0));
    assert_eq!(jain_index(&[8.0, 0.0, 0.0, 0.0]), Some(0.25));
    let index = jain_index(&[1.0, 2.0, 3.0]).unwrap();
    assert!((index - 36.0 / 42.0).abs() < 1e-12);
    assert_eq!(jain_index(&[0.0, 0.0]), None);
}

fn sim(run: &dyn Run) -> &Simulation<TenancyProcess, TenancyChecker> {
    simulation::<MultiTenancyTopic>(run).expect("a multi-tenancy run")
}

fn scenario(seed: u64, params: &[(&str, i64)]) -> Scenario {
    let mut scenario = Scenario::new(INFO.slug, seed);
    for &(name, value) in params {
        scenario.set_param(name, value);
    }
    scenario
}

fn run(scenario: &Scenario, until_ms: u64) -> Box<dyn Run> {
    let mut run = (INFO.build)(scenario, RunOptions::default()).expect("builds");
    run.run_until(Time::from_millis(until_ms));
    run
}

/// Each tenant's p99 over the run, in ms (0 if it was never served).
fn p99s(run: &dyn Run) -> Vec<f64> {
    sim(run)
        .nodes()
        .iter()
        .filter_map(TenancyProcess::tenant)
        .map(|t| t.latency().quantile(0.99).unwrap_or(0.0))
        .collect()
}

fn worst_quiet(p99s: &[f64]) -> f64 {
    p99s[1..].iter().copied().fold(0.0, f64::max)
}

/// The noisy neighbour from the start, the three disciplines on one seed:
/// WFQ and DRR keep the quiet tenants' p99 near their unloaded latency,
/// FIFO lets it climb to the full queue's wait. Prints the figures
/// (`cargo test --release -p distlab-core topics::multi_tenancy -- --nocapture`).
#[test]
fn fair_schedulers_restore_the_quiet_tenants_p99() {
    let seed = 1;
    let calm = p99s(run(&scenario(seed, &[(NOISY, 0), (SCHEDULING, 0)]), 15_000).as_ref());
    let mut worst = Vec::new();
    for (discipline, choice) in [("FIFO", 0), ("WFQ", 1), ("DRR", 2)] {
        let noisy = run(&scenario(seed, &[(NOISY, 1), (SCHEDULING, choice)]), 15_000);
        let p99 = p99s(noisy.as_ref());
        let jain = jain_per_second(
            &sim(noisy.as_ref())
                .nodes()
                .iter()
                .filter_map(TenancyProcess::tenant)
                .collect::<Vec<_>>(),
            sim(noisy.as_ref()).checker().config(),
        );
        let mean_jain = jain.iter().map(|&(_, j)| j as f64).sum::<f64>() / jain.len().max(1) as f64;
        println!(
            "seed {seed}, noisy t0, per-tenant queues, {discipline}: p99 per tenant {:?} ms, worst quiet {:.0} ms, mean Jain {mean_jain:.0}%",
            p99.iter().map(|p| p.round()).collect::<Vec<_>>(),
            worst_quiet(&p99)
        );
        worst.push(worst_quiet(&p99));
    }
    println!(
        "seed {seed}, calm: p99 per tenant {:?} ms",
        calm.iter().map(|p| p.round()).collect::<Vec<_>>()
    );
    let (fifo, wfq, drr) = (worst[0], worst[1], worst[2]);
    assert!(fifo > 3.0 * wfq && fifo > 3.0 * drr, "{worst:?}");
    // Back within a small factor of the calm run's worst quiet tenant.
    let calm_worst = worst_quiet(&calm);
    assert!(
        wfq < 2.0 * calm_worst && drr < 2.0 * calm_worst,
        "{worst:?} vs calm {calm_worst}"
    );
}

/// Every tenant backlogged (each sends more than the whole service can do):
/// DRR's per-second Jain index over served / weight is near 1, with equal
/// and with unequal weights.
#[test]
fn drr_with_backlogged_tenants_is_fair_by_jain() {
    for weights in [0, 1] {
        let scenario = scenario(
            3,
            &[
                (NOISY, 0),
                (SCHEDULING, 2),
                (TENANT_RATE, 50),
                (WEIGHTS, weights),
            ],
        );
        let run = run(&scenario, 12_000);
        let simulation = sim(run.as_ref());
        let tenants: Vec<_> = simulation
            .nodes()
            .iter()
            .filter_map(TenancyProcess::tenant)
            .collect();
        let per_second = jain_per_second(&tenants, simulation.checker().config());
        // Skip the first second (queues filling) and the last, incomplete.
        let steady = &per_second[1..per_second.len() - 1];
        let mean = steady.iter().map(|&(_, j)| j).sum::<u64>() as f64 / steady.len() as f64;
        println!(
            "backlogged, DRR, weights choice {weights}: Jain per second {:?}",
            steady.iter().map(|p| p.1).collect::<Vec<_>>()
        );
        assert!(mean >= 95.0, "weights {weights}: mean Jain {mean}");
    }
    // A shared FIFO pool with one tenant sending most: far from equal shares.
    let fifo = run(
        &scenario(3, &[(ISOLATION, 0), (NOISY, 1), (TENANT_RATE, 20)]),
        12_000,
    );
    let simulation = sim(fifo.as_ref());
    let tenants: Vec<_> = simulation
        .nodes()
        .iter()
        .filter_map(TenancyProcess::tenant)
        .collect();
    let per_second = jain_per_second(&tenants, simulation.checker().config());
    let mean = per_second.iter().map(|&(_, j)| j).sum::<u64>() as f64 / per_second.len() as f64;
    assert!(mean < 80.0, "FIFO mean Jain {mean}");
}

#[test]
fn a_shared_pool_hurts_everyone_and_cells_only_the_noisy_tenants_cell() {
    let shared = p99s(run(&scenario(2, &[(ISOLATION, 0)]), 15_000).as_ref());
    let cells = p99s(run(&scenario(2, &[(ISOLATION, 3), (SCHEDULING, 0)]), 15_000).as_ref());
    let pools = p99s(run(&scenario(2, &[(ISOLATION, 2)]), 15_000).as_ref());
    println!("seed 2, noisy t0: shared pool {shared:.0?}, cells (FIFO) {cells:.0?}, per-tenant pools {pools:.0?}");
    // Shared: every quiet tenant waits behind the noisy one.
    assert!(shared[1..].iter().all(|&p| p > 300.0), "{shared:?}");
    // Cells: t2 shares cell 0 with t0 and suffers; t1 and t3 (cell 1) do not.
    assert!(cells[2] > 3.0 * cells[1].max(cells[3]), "{cells:?}");
    // Per-tenant pools: each quiet tenant has its own worker.
    assert!(pools[1..].iter().all(|&p| p < shared[1] / 3.0), "{pools:?}");
}

#[test]
fn quotas_cut_the_noisy_tenant_at_admission() {
    let run = run(&scenario(1, &[(ISOLATION, 0), (QUOTA, 20)]), 10_000);
    let simulation = sim(run.as_ref());
    assert!(simulation.violations().is_empty());
    assert_eq!(simulation.checker().most_admitted_in_a_window(), 20);
    let noisy = simulation
        .nodes()
        .iter()
        .find_map(TenancyProcess::tenant)
        .unwrap();
    assert!(
        noisy.refused() > noisy.served(),
        "{} refused",
        noisy.refused()
    );
}

#[test]
fn the_bug_is_caught_by_quota_respected_and_the_same_run_is_clean_without_it() {
    let preset = INFO.preset("quota-after-enqueue").unwrap();
    let mut scenario = INFO.preset_scenario(preset);
    let buggy = run(&scenario, 4_000);
    let found = buggy.violations();
    assert!(!found.is_empty());
    assert!(
        found.iter().all(|v| v.invariant == QUOTA_RESPECTED),
        "{found:?}"
    );
    scenario.bug = None;
    let clean = run(&scenario, 4_000);
    assert!(clean.violations().is_empty(), "{:?}", clean.violations());
    assert_eq!(
        sim(clean.as_ref()).checker().most_admitted_in_a_window(),
        20
    );
}

#[test]
fn drr_deficit_bound_and_work_conservation_fire_on_a_broken_server() {
    let run = run(&scenario(1, &[(NOISY, 1), (SCHEDULING, 2)]), 2_000);
    let mut server = sim(run.as_ref()).nodes()[0].server().unwrap().clone();
    let mut found: Vec<Violation> = Vec::new();
    check_deficits(&server, &mut found);
    check_work_conserving(&server, &mut found);
    assert!(found.is_empty(), "{found:?}");
    // A deficit past quantum + max - 1 (or past max - 1 between turns).
    let pool = &mut server.pools_mut()[0];
    let quantum = pool.scheduler.queues()[1].quantum(pool.scheduler.quantum());
    pool.scheduler.force_deficit(1, quantum + MAX_SIZE);
    check_deficits(&server, &mut found);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].invariant, DRR_DEFICIT_BOUNDED);
    // A request left waiting beside a free worker.
    let mut server = sim(run.as_ref()).nodes()[0].server().unwrap().clone();
    server.pools_mut()[0].drop_work_in_service();
    let queued =
        server.pools_mut()[0]
            .scheduler
            .push(TenantId(1), NodeId(2), request(1), 1, Time::ZERO);
    assert!(queued);
    let mut found = Vec::new();
    check_work_conserving(&server, &mut found);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].invariant, WORK_CONSERVING);
}

#[test]
fn heavy_faults_never_break_any_model_and_always_catch_the_bug() {
    let models: &[&[(&str, i64)]] = &[
        &[(ISOLATION, 0), (QUOTA, 15)],
        &[(ISOLATION, 1), (SCHEDULING, 0), (RATE_LIMIT, 30)],
        &[(ISOLATION, 1), (SCHEDULING, 1), (WEIGHTS, 1), (QUOTA, 25)],
        &[(ISOLATION, 1), (SCHEDULING, 2), (WEIGHTS, 2)],
        &[(ISOLATION, 2), (WEIGHTS, 1)],
        &[(ISOLATION, 3), (SCHEDULING, 2), (QUOTA, 30)],
    ];
    let mut caught = 0;
    for seed in 1..=8 {
        for params in models {
            let mut scenario = scenario(seed, params);
            scenario.faults = FaultLevel::Heavy;
            let clean = run(&scenario, 10_000);
            assert!(
                clean.violations().is_empty(),
                "seed {seed} {params:?}: {:?}",
                clean.violations()
            );
        }
        let mut scenario = scenario(seed, &[]);
        scenario.faults = FaultLevel::Heavy;
        scenario.bug = Some(BUG_QUOTA_CHECKED_AFTER_ENQUEUE.to_string());
        if run(&scenario, 10_000)
            .violations()
            .iter()
            .any(|v| v.invariant == QUOTA_RESPECTED)
        {
            caught += 1;
        }
    }
    assert_eq!(caught, 8);
}

#[test]
fn bad_input_is_dropped_without_a_panic() {
    for raw in [
        RawOperation::new(3, &[0]),
        RawOperation::new(3, &[1_000]),
        RawOperation::new(1, &[1]),
        RawOperation::new(9, &[]),
    ] {
        assert_eq!(TenancyOp::from_raw(&raw), None);
    }
    assert_eq!(
        TenancyOp::from_raw(&TenancyOp::Burst(7).to_raw()),
        Some(TenancyOp::Burst(7))
    );
    let scenario = scenario(1, &[(ISOLATION, 3)]);
    let run = run(&scenario, 500);
    let mut cell = sim(run.as_ref()).nodes()[1].clone();
    let before = cell.server().unwrap().admissions().len();
    let mut rng = Rng::new(1);
    let mut effects = Effects::default();
    let mut cx = Cx::new(NodeId(1), Time::ZERO, 6, true, &mut rng, &mut effects);
    let call = |tenant: u8| TenancyMessage::Call {
        tenant: TenantId(tenant),
        request: request(1),
        size: 200,
    };
    // t0 lives in cell 0, t9 nowhere; t1 lives here but its process is n3.
    use crate::sim::node::Node;
    cell.on_message(NodeId(2), call(0), &mut cx);
    cell.on_message(NodeId(2), call(MAX_TENANTS as u8 + 1), &mut cx);
    cell.on_message(NodeId(4), call(1), &mut cx);
    cell.on_operation(TenancyOp::NoisyOn, &mut cx);
    assert_eq!(cell.server().unwrap().admissions().len(), before);
    assert!(effects.sends.is_empty());
    assert_eq!(effects.notes.len(), 4);
}
