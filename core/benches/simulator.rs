//! Simulator throughput on Raft: 5 servers, heavy faults, 10 s of virtual time per
//! iteration, with the trace off (as in seed sweeps) and on (as in the browser).
//! Throughput is in simulator steps (events).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use distlab_core::catalog;
use distlab_core::lab::run::RunOptions;
use distlab_core::lab::scenario::Scenario;
use distlab_core::sim::faults::FaultLevel;
use distlab_core::sim::time::Time;

const LENGTH: Time = Time::from_millis(10_000);

fn scenario(seed: u64) -> Scenario {
    let mut scenario = Scenario::new("raft", seed);
    scenario.faults = FaultLevel::Heavy;
    scenario.set_param("nodes", 5);
    scenario
}

fn steps(options: RunOptions) -> u64 {
    let mut run = catalog::build(&scenario(7), options).expect("raft builds");
    run.run_until(LENGTH);
    run.steps()
}

fn raft(c: &mut Criterion) {
    let mut group = c.benchmark_group("raft-5-heavy-10s");
    group.sample_size(20);
    for (name, trace, check) in [
        ("trace-off-checker-off", false, false),
        ("trace-off-checker-on", false, true),
        ("trace-on-checker-on", true, true),
    ] {
        let options = RunOptions {
            trace,
            check,
            horizon: LENGTH,
        };
        group.throughput(Throughput::Elements(steps(options)));
        group.bench_function(name, |b| b.iter(|| steps(options)));
    }
    group.finish();
}

criterion_group!(benches, raft);
criterion_main!(benches);
