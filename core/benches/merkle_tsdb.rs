//! Benchmarks for the Merkle tree and the Gorilla time-series codec.
//!
//! Run with `cargo bench -p distlab-core --bench merkle_tsdb`. Besides criterion's
//! timings it prints the sizes that matter as much as speed: the inclusion proof of a
//! million-leaf tree and the bytes per point Gorilla reaches on a gauge and a counter.
//! All data comes from the crate's seeded RNG, so every run measures the same input.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use distlab_core::merkle::{self, MerkleTree};
use distlab_core::sim::rng::Rng;
use distlab_core::tsdb::{gorilla, Store, TWO_HOURS};

const MERKLE_LEAVES: usize = 1_000_000;
const SERIES_POINTS: usize = 100_000;
const SAMPLE_INTERVAL: i64 = 10;
/// 2024-01-01T00:00:00Z in seconds: realistic timestamps are large numbers.
const START: i64 = 1_704_067_200;

/// One million 32-byte records: an 8-byte sequence number and 24 random bytes.
fn merkle_leaves() -> Vec<[u8; 32]> {
    let mut rng = Rng::new(6962);
    (0..MERKLE_LEAVES)
        .map(|index| {
            let mut leaf = [0u8; 32];
            leaf[..8].copy_from_slice(&(index as u64).to_le_bytes());
            for chunk in leaf[8..].chunks_mut(8) {
                chunk.copy_from_slice(&rng.next_u64().to_le_bytes());
            }
            leaf
        })
        .collect()
}

/// A gauge (say, a temperature or a queue length) doing a random walk, sampled every
/// 10 s and rounded to two decimals as exporters usually report it.
fn gauge_series() -> Vec<(i64, f64)> {
    let mut rng = Rng::new(2015);
    let mut value = 50.0f64;
    (0..SERIES_POINTS)
        .map(|i| {
            value += (rng.unit_f64() - 0.5) * 0.5;
            value = (value * 100.0).round() / 100.0;
            (START + i as i64 * SAMPLE_INTERVAL, value)
        })
        .collect()
}

/// A monotonically increasing counter (say, requests served), sampled every 10 s,
/// growing by 0..100 per interval.
fn counter_series() -> Vec<(i64, f64)> {
    let mut rng = Rng::new(412);
    let mut total = 0u64;
    (0..SERIES_POINTS)
        .map(|i| {
            total += rng.below(100);
            (START + i as i64 * SAMPLE_INTERVAL, total as f64)
        })
        .collect()
}

fn merkle_benches(c: &mut Criterion) {
    let leaves = merkle_leaves();
    let leaf_refs: Vec<&[u8]> = leaves.iter().map(|leaf| leaf.as_slice()).collect();
    let tree = MerkleTree::new(&leaf_refs);
    let root = tree.root();
    assert_eq!(root, merkle::root(&leaf_refs));

    let probe = 123_457;
    let proof = tree.inclusion_proof(probe);
    assert!(merkle::verify_inclusion(
        &leaves[probe],
        probe,
        MERKLE_LEAVES,
        &proof,
        &root
    ));
    eprintln!(
        "merkle: root of {MERKLE_LEAVES} leaves = {}; inclusion proof = {} hashes = {} bytes \
         (vs {} bytes of leaves)",
        merkle::short_hex(&root),
        proof.len(),
        proof.len() * 32,
        MERKLE_LEAVES * 32
    );
    let mut replica = tree.clone();
    let mut rng = Rng::new(9162);
    for _ in 0..10 {
        let index = rng.below(MERKLE_LEAVES as u64) as usize;
        replica.set_leaf(index, b"diverged");
    }
    if let Ok(diff) = tree.compare(&replica) {
        eprintln!(
            "merkle: replicas differing in {} leaves: {} hash comparisons top-down vs {} \
             leaf by leaf",
            diff.differing_leaves.len(),
            diff.hash_comparisons,
            diff.full_scan_comparisons
        );
    }

    let mut group = c.benchmark_group("merkle");
    group.sample_size(10);
    group.throughput(Throughput::Elements(MERKLE_LEAVES as u64));
    group.bench_function("root/1M leaves", |b| {
        b.iter(|| merkle::root(black_box(&leaf_refs)))
    });
    group.throughput(Throughput::Elements(1));
    let mut index = 0usize;
    group.bench_function("inclusion proof/generate (stored tree, 1M)", |b| {
        b.iter(|| {
            index = (index + 7_919) % MERKLE_LEAVES;
            tree.inclusion_proof(black_box(index))
        })
    });
    group.bench_function("inclusion proof/verify (1M)", |b| {
        b.iter(|| {
            merkle::verify_inclusion(
                black_box(&leaves[probe]),
                probe,
                MERKLE_LEAVES,
                black_box(&proof),
                &root,
            )
        })
    });
    group.bench_function("set_leaf/rehash path (1M)", |b| {
        let mut tree = tree.clone();
        let mut index = 0usize;
        b.iter(|| {
            index = (index + 7_919) % MERKLE_LEAVES;
            tree.set_leaf(index, b"updated").len()
        })
    });
    group.finish();
}

fn gorilla_benches(c: &mut Criterion) {
    let series = [("gauge", gauge_series()), ("counter", counter_series())];
    for (name, points) in &series {
        let bytes = gorilla::encode(points);
        assert_eq!(gorilla::decode(&bytes).as_ref(), Ok(points));
        let mut store = Store::new(TWO_HOURS).unwrap_or_default();
        for &(timestamp, value) in points {
            let _ = store.append(timestamp, value);
        }
        eprintln!(
            "gorilla: {name} every {SAMPLE_INTERVAL} s, {} points: {:.3} bytes/point in one \
             stream, {:.3} bytes/point in 2-hour blocks ({} blocks), raw 16",
            points.len(),
            bytes.len() as f64 / points.len() as f64,
            store.bytes_per_point(),
            store.blocks().len()
        );

        let mut group = c.benchmark_group(format!("gorilla/{name}"));
        group.sample_size(10);
        group.throughput(Throughput::Elements(points.len() as u64));
        group.bench_function("encode", |b| b.iter(|| gorilla::encode(black_box(points))));
        group.bench_function("decode", |b| b.iter(|| gorilla::decode(black_box(&bytes))));
        group.bench_function("store append", |b| {
            b.iter_batched(
                Store::default,
                |mut store| {
                    for &(timestamp, value) in points {
                        let _ = store.append(timestamp, value);
                    }
                    store
                },
                BatchSize::LargeInput,
            )
        });
        group.finish();
    }
}

criterion_group!(benches, merkle_benches, gorilla_benches);
criterion_main!(benches);
