//! Benchmarks of the hash ring, jump hash, Bloom filters and the skip list.
//!
//! Run: `cargo bench -p distlab-core --bench ring_bloom_skiplist -- --warm-up-time 1
//! --measurement-time 3`. Per-operation benchmarks report time per op directly; the
//! 100k-key builds report time per build (divide by 100 000 for ns per insert) and
//! elements per second.

use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use distlab_core::bloom::BloomFilter;
use distlab_core::hashing::{hash64, jump, HashRing};
use distlab_core::sim::rng::Rng;
use distlab_core::skiplist::SkipList;
use std::collections::BTreeMap;

/// Lookups cycle through this many pre-made keys (a power of two for cheap masking).
const PROBES: usize = 1 << 14;

fn byte_keys(seed: u64, count: usize) -> Vec<[u8; 16]> {
    let mut rng = Rng::new(seed);
    (0..count)
        .map(|_| {
            let mut key = [0u8; 16];
            key[..8].copy_from_slice(&rng.next_u64().to_be_bytes());
            key[8..].copy_from_slice(&rng.next_u64().to_be_bytes());
            key
        })
        .collect()
}

fn ring(c: &mut Criterion) {
    let mut ring = HashRing::new();
    for i in 0..100 {
        ring.add_node(format!("node-{i}"), 200).expect("valid node");
    }
    let keys = byte_keys(1, PROBES);
    let positions: Vec<u64> = keys.iter().map(hash64).collect();
    let mut group = c.benchmark_group("ring_100_nodes_x_200_vnodes");
    let mut i = 0;
    group.bench_function("owner(key) incl. SHA-256", |b| {
        b.iter(|| {
            i = (i + 1) & (PROBES - 1);
            black_box(ring.owner(black_box(&keys[i])))
        })
    });
    group.bench_function("owner_of_position(u64)", |b| {
        b.iter(|| {
            i = (i + 1) & (PROBES - 1);
            black_box(ring.owner_of_position(black_box(positions[i])))
        })
    });
    group.bench_function("hash64(16-byte key)", |b| {
        b.iter(|| {
            i = (i + 1) & (PROBES - 1);
            black_box(hash64(black_box(&keys[i])))
        })
    });
    group.finish();
}

fn jump_hash(c: &mut Criterion) {
    let mut rng = Rng::new(2);
    let keys: Vec<u64> = (0..PROBES).map(|_| rng.next_u64()).collect();
    let mut group = c.benchmark_group("jump");
    for buckets in [100u32, 10_000] {
        let mut i = 0;
        group.bench_function(format!("jump(u64, {buckets})"), |b| {
            b.iter(|| {
                i = (i + 1) & (PROBES - 1);
                black_box(jump(black_box(keys[i]), black_box(buckets)))
            })
        });
    }
    group.finish();
}

fn bloom(c: &mut Criterion) {
    const N: usize = 1_000_000;
    let inserted = byte_keys(3, N);
    let absent = byte_keys(4, PROBES);
    let mut filter = BloomFilter::with_rate(N, 0.01);
    let mut group = c.benchmark_group("bloom_1M_items_at_1pct");
    let mut i = 0;
    group.bench_function("insert", |b| {
        b.iter(|| {
            i = (i + 1) % N;
            filter.insert(black_box(&inserted[i]));
        })
    });
    // Fill with all N items so queries see the filter at its design load.
    for item in &inserted {
        filter.insert(item);
    }
    group.bench_function("contains (present)", |b| {
        b.iter(|| {
            i = (i + 1) % N;
            black_box(filter.contains(black_box(&inserted[i])))
        })
    });
    group.bench_function("contains (absent)", |b| {
        b.iter(|| {
            i = (i + 1) & (PROBES - 1);
            black_box(filter.contains(black_box(&absent[i])))
        })
    });
    group.finish();
}

fn ordered_maps(c: &mut Criterion) {
    const N: usize = 100_000;
    let mut rng = Rng::new(5);
    let keys: Vec<u64> = (0..N).map(|_| rng.next_u64()).collect();
    let mut lookups = keys.clone();
    rng.shuffle(&mut lookups);

    let mut build = c.benchmark_group("build_100k_random_keys");
    build.sample_size(10);
    build.throughput(Throughput::Elements(N as u64));
    build.bench_function("SkipList::insert", |b| {
        b.iter_batched(
            || SkipList::with_seed(7),
            |mut list| {
                for &k in &keys {
                    list.insert(k, k);
                }
                list
            },
            BatchSize::LargeInput,
        )
    });
    build.bench_function("BTreeMap::insert", |b| {
        b.iter_batched(
            BTreeMap::new,
            |mut map| {
                for &k in &keys {
                    map.insert(k, k);
                }
                map
            },
            BatchSize::LargeInput,
        )
    });
    build.finish();

    let list: SkipList<u64, u64> = keys.iter().map(|&k| (k, k)).collect();
    let map: BTreeMap<u64, u64> = keys.iter().map(|&k| (k, k)).collect();
    let mut get = c.benchmark_group("get_at_100k_keys");
    let mut i = 0;
    get.bench_function("SkipList::get", |b| {
        b.iter(|| {
            i = (i + 1) % N;
            black_box(list.get(black_box(&lookups[i])))
        })
    });
    get.bench_function("BTreeMap::get", |b| {
        b.iter(|| {
            i = (i + 1) % N;
            black_box(map.get(black_box(&lookups[i])))
        })
    });
    get.finish();
}

criterion_group!(benches, ring, jump_hash, bloom, ordered_maps);
criterion_main!(benches);
