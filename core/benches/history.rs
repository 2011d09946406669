//! The linearizability checker on generated linearizable histories: 5 client
//! processes, 10 keys (2 of them append-only lists), 2 % info and 1 % failed
//! operations, of 1 000, 10 000 and 100 000 operations.
//!
//! Run: `cargo bench -p distlab-core --bench history`. Each iteration pairs the
//! events and checks every key; throughput is in operations.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use distlab_core::history::generate::{linearizable_history, GenerateOptions};
use distlab_core::history::{check, Verdict};

fn linearizable(c: &mut Criterion) {
    let mut group = c.benchmark_group("check-linearizable-5-processes-10-keys");
    for operations in [1_000, 10_000, 100_000] {
        let options = GenerateOptions {
            operations,
            ..GenerateOptions::default()
        };
        let history = linearizable_history(7, &options);
        assert!(
            matches!(check(&history), Verdict::Linearizable(_)),
            "the generator makes linearizable histories"
        );
        group.throughput(Throughput::Elements(operations as u64));
        if operations >= 100_000 {
            group.sample_size(10);
        }
        group.bench_function(format!("{operations}-operations"), |b| {
            b.iter(|| black_box(check(black_box(&history))))
        });
    }
    group.finish();
}

criterion_group!(benches, linearizable);
criterion_main!(benches);
