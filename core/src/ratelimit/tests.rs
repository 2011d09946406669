//! The limiters against their definitions: the buckets admit exactly `burst`
//! at once and then one per interval; the fixed window lets `2 · limit`
//! through across a boundary; the sliding log never has more than `limit` in
//! any window; the sliding window counter's estimate; time going backwards
//! and huge values; and, on thousands of seeded random sequences, the token
//! bucket and the GCRA deciding every request alike.

use super::*;
use crate::sim::rng::Rng;

const MS: u64 = 1_000;

/// Admits at `instants` and returns the decisions.
fn decide(mut acquire: impl FnMut(u64) -> bool, instants: &[u64]) -> Vec<bool> {
    instants.iter().map(|&t| acquire(t)).collect()
}

#[test]
fn the_rate_becomes_a_whole_number_of_microseconds_rounded_up() {
    assert_eq!(emission_interval_us(10.0), 100_000);
    assert_eq!(emission_interval_us(3.0), 333_334);
    assert_eq!(emission_interval_us(2e6), 1);
    assert_eq!(emission_interval_us(0.0), u64::MAX);
    assert_eq!(emission_interval_us(-5.0), u64::MAX);
    assert_eq!(emission_interval_us(f64::NAN), u64::MAX);
    assert_eq!(emission_interval_us(f64::INFINITY), 1);
    assert_eq!(emission_interval_us(1e-30), u64::MAX);
}

#[test]
fn token_bucket_admits_exactly_burst_at_once_then_one_per_interval() {
    let mut bucket = TokenBucket::new(10.0, 5);
    let at_once = decide(|t| bucket.try_acquire(t), &[MS; 8]);
    assert_eq!(at_once, [true, true, true, true, true, false, false, false]);
    // One token back 100 ms later, not a microsecond sooner.
    assert!(!bucket.try_acquire(MS + 99_999));
    assert!(bucket.try_acquire(MS + 100_000));
    assert!(!bucket.try_acquire(MS + 100_000));
    assert!(bucket.try_acquire(MS + 200_000));
    // A long idle period fills the bucket to `burst` and no further.
    assert_eq!(bucket.tokens(60_000 * MS), 5);
    let after_idle = decide(|t| bucket.try_acquire(t), &[60_000 * MS; 7]);
    assert_eq!(after_idle.iter().filter(|&&a| a).count(), 5);
}

#[test]
fn gcra_admits_exactly_burst_at_once_then_one_per_interval() {
    let mut gcra = Gcra::new(10.0, 5);
    let at_once = decide(|t| gcra.try_acquire(t), &[MS; 8]);
    assert_eq!(at_once, [true, true, true, true, true, false, false, false]);
    // TAT is now 1 ms + 5 · 100 ms; τ = 400 ms: the next conforms at TAT - τ.
    assert_eq!(gcra.tat_us(), MS + 500_000);
    assert!(!gcra.try_acquire(MS + 99_999));
    assert!(gcra.try_acquire(MS + 100_000));
    // Burst 1: τ = 0, requests must be a whole interval apart.
    let mut strict = Gcra::new(10.0, 1);
    let spaced = decide(
        |t| strict.try_acquire(t),
        &[0, 50 * MS, 100 * MS, 199 * MS, 200 * MS],
    );
    assert_eq!(spaced, [true, false, true, false, true]);
}

#[test]
fn leaky_bucket_queues_burst_requests_and_lets_them_out_one_per_interval() {
    let mut bucket = LeakyBucket::new(10.0, 3);
    let departures: Vec<Option<u64>> = (0..4).map(|_| bucket.try_enqueue(MS)).collect();
    assert_eq!(
        departures,
        [Some(MS), Some(MS + 100_000), Some(MS + 200_000), None]
    );
    assert_eq!(bucket.waiting(MS), 3);
    // Half an interval later the first has left: a place is free, and the
    // newcomer leaves at the end of the queue.
    assert_eq!(bucket.waiting(MS + 50_000), 2);
    assert_eq!(bucket.try_enqueue(MS + 50_000), Some(MS + 300_000));
    assert_eq!(bucket.try_enqueue(MS + 60_000), None);
    // Once it has run dry, a request leaves at once.
    assert_eq!(bucket.waiting(MS + 300_001), 0);
    assert_eq!(bucket.try_enqueue(2_000 * MS), Some(2_000 * MS));
    assert!(bucket.try_acquire(2_000 * MS));
}

#[test]
fn leaky_bucket_departures_are_an_interval_apart_and_never_overfill() {
    let mut rng = Rng::new(11);
    for _ in 0..300 {
        let interval = rng.range_inclusive(1, 50) * MS;
        let burst = rng.range_inclusive(1, 6) as u32;
        let mut bucket = LeakyBucket::with_interval(interval, burst);
        let mut now = 0;
        let mut admitted: Vec<(u64, u64)> = Vec::new();
        for _ in 0..200 {
            now += rng.range_inclusive(0, 3 * interval / 2);
            if let Some(departure) = bucket.try_enqueue(now) {
                assert!(departure >= now);
                if let Some(&(_, previous)) = admitted.last() {
                    assert!(departure >= previous + interval);
                }
                admitted.push((now, departure));
                let inside = admitted.iter().filter(|&&(_, d)| d >= now).count();
                assert!(inside <= burst as usize, "{inside} > {burst}");
            } else {
                let inside = admitted.iter().filter(|&&(_, d)| d >= now).count();
                assert_eq!(inside, burst as usize, "refused with a free place");
            }
        }
    }
}

#[test]
fn fixed_window_admits_twice_the_limit_across_a_boundary() {
    // 10 per second, burst 5: windows of 500 ms, 5 each.
    let mut window = FixedWindow::new(10.0, 5);
    assert_eq!(window.window_us(), 500 * MS);
    let before = decide(|t| window.try_acquire(t), &[499 * MS; 6]);
    let after = decide(|t| window.try_acquire(t), &[500 * MS; 6]);
    assert_eq!(before.iter().filter(|&&a| a).count(), 5);
    assert_eq!(after.iter().filter(|&&a| a).count(), 5);
    // Ten admitted within one millisecond, twice the limit.
    assert_eq!(window.count(999 * MS), (1, 5));
    assert_eq!(window.count(1_000 * MS), (2, 0));
}

#[test]
fn sliding_log_never_admits_more_than_the_limit_in_any_window() {
    let mut rng = Rng::new(5);
    for _ in 0..300 {
        let limit = rng.range_inclusive(1, 8) as u32;
        let window = rng.range_inclusive(1, 1_000) * MS;
        let mut log = SlidingLog::with_window(limit, window);
        let mut now = 0;
        let mut admitted = Vec::new();
        for _ in 0..300 {
            now += rng.range_inclusive(0, 2 * window / limit as u64);
            let in_window = admitted.iter().filter(|&&a| a + window > now).count();
            let decision = log.try_acquire(now);
            // Admitted exactly when the window (now - W, now] has room.
            assert_eq!(decision, in_window < limit as usize);
            if decision {
                admitted.push(now);
            }
        }
        // Any limit + 1 admitted in a row span at least a whole window.
        for run in admitted.windows(limit as usize + 1) {
            assert!(run[limit as usize] - run[0] >= window);
        }
    }
}

#[test]
fn sliding_window_counter_weighs_the_previous_window() {
    // Limit 10 per 1 s window.
    let mut counter = SlidingWindowCounter::with_window(10, 1_000 * MS);
    let first = decide(|t| counter.try_acquire(t), &[900 * MS; 11]);
    assert_eq!(first.iter().filter(|&&a| a).count(), 10);
    // At 1.0 s the previous window (10) counts in full: nothing is admitted.
    assert!(!counter.try_acquire(1_000 * MS));
    // At 1.5 s it counts half: 5 more fit.
    let half = decide(|t| counter.try_acquire(t), &[1_500 * MS; 7]);
    assert_eq!(half.iter().filter(|&&a| a).count(), 5);
    assert_eq!(
        counter.estimate(1_500 * MS),
        (10 * 1_000 * MS as u128, 1_000 * MS)
    );
    // A window with nothing in between forgets both.
    assert_eq!(counter.estimate(3_000 * MS).0, 0);
    assert!(counter.try_acquire(3_000 * MS));
}

#[test]
fn time_going_backwards_counts_as_no_time_passing() {
    let mut bucket = TokenBucket::new(10.0, 1);
    let mut gcra = Gcra::new(10.0, 1);
    let mut leaky = LeakyBucket::new(10.0, 1);
    let mut fixed = FixedWindow::new(10.0, 1);
    let mut log = SlidingLog::new(10.0, 1);
    let mut counter = SlidingWindowCounter::new(10.0, 1);
    let mut all: [&mut dyn FnMut(u64) -> bool; 6] = [
        &mut |t| bucket.try_acquire(t),
        &mut |t| gcra.try_acquire(t),
        &mut |t| leaky.try_acquire(t),
        &mut |t| fixed.try_acquire(t),
        &mut |t| log.try_acquire(t),
        &mut |t| counter.try_acquire(t),
    ];
    for (i, acquire) in all.iter_mut().enumerate() {
        assert!(acquire(10_000 * MS), "limiter {i}");
        // Ten seconds earlier is taken as the same instant: no allowance back.
        assert!(!acquire(0), "limiter {i}");
        assert!(!acquire(10_000 * MS), "limiter {i}");
    }
}

#[test]
fn huge_instants_rates_and_bursts_neither_panic_nor_wrap() {
    for rate in [0.0, -1.0, f64::NAN, 1e-300, 1.0, 1e300, f64::INFINITY] {
        for burst in [0, 1, 7, u32::MAX] {
            let mut bucket = TokenBucket::new(rate, burst);
            let mut gcra = Gcra::new(rate, burst);
            let mut leaky = LeakyBucket::new(rate, burst);
            let mut fixed = FixedWindow::new(rate, burst);
            let mut log = SlidingLog::new(rate, burst.min(1_000));
            let mut counter = SlidingWindowCounter::new(rate, burst);
            for t in [0, 1, u64::MAX / 2, u64::MAX - 1, u64::MAX, 3] {
                let a = bucket.try_acquire(t);
                let b = gcra.try_acquire(t);
                assert_eq!(a, b, "rate {rate}, burst {burst}, t {t}");
                leaky.try_acquire(t);
                fixed.try_acquire(t);
                log.try_acquire(t);
                counter.try_acquire(t);
            }
        }
    }
    // A rate that never refills (an interval of u64::MAX µs) admits the burst
    // once, then nothing for as long as time can run.
    let mut never = TokenBucket::new(0.0, 3);
    let decisions = decide(|t| never.try_acquire(t), &[0, 0, 0, 0, u64::MAX - 1]);
    assert_eq!(decisions, [true, true, true, false, false]);
}

/// A seeded random sequence of instants: bursts, gaps, idle stretches, and
/// sometimes an instant earlier than the one before.
fn random_instants(rng: &mut Rng, interval: u64, len: usize) -> Vec<u64> {
    let mut now: u64 = rng.below(10 * interval);
    (0..len)
        .map(|_| {
            match rng.below(10) {
                0..=3 => {}
                4..=7 => now += rng.below(2 * interval),
                8 => now += rng.below(40 * interval),
                _ => return now.saturating_sub(rng.below(3 * interval)),
            }
            now
        })
        .collect()
}

#[test]
fn token_bucket_and_gcra_decide_every_request_of_any_sequence_alike() {
    let mut rng = Rng::new(2024);
    let mut admitted = 0u64;
    let mut refused = 0u64;
    for case in 0..5_000 {
        // Rates from one per 10 s to a million per second, as floats.
        let rate = match rng.below(3) {
            0 => rng.range_inclusive(1, 1_000) as f64,
            1 => 0.1 + rng.unit_f64() * 500.0,
            _ => 1e6 / rng.range_inclusive(1, 10_000_000) as f64,
        };
        let burst = rng.range_inclusive(0, 40) as u32;
        let mut bucket = TokenBucket::new(rate, burst);
        let mut gcra = Gcra::new(rate, burst);
        let interval = emission_interval_us(rate);
        for (i, t) in random_instants(&mut rng, interval, 200)
            .into_iter()
            .enumerate()
        {
            let a = bucket.try_acquire(t);
            let b = gcra.try_acquire(t);
            assert_eq!(
                a, b,
                "case {case}: rate {rate}, burst {burst}, request {i} at {t}"
            );
            if a {
                admitted += 1;
            } else {
                refused += 1;
            }
        }
    }
    // Both outcomes are common, so the agreement says something.
    assert!(
        admitted > 100_000 && refused > 100_000,
        "{admitted} / {refused}"
    );
}

/// `try_acquire` calls per second natively, each limiter on the same seeded
/// bursty sequence, offered faster than the limiters allow:
/// `cargo test --release -p distlab-core ratelimit::tests::calls_per_second -- --ignored --nocapture`.
#[test]
#[ignore]
fn calls_per_second() {
    let mut rng = Rng::new(1);
    let instants = random_instants(&mut rng, 4_000, 2_000_000);
    let measure = |name: &str, mut acquire: Box<dyn FnMut(u64) -> bool>| {
        let start = std::time::Instant::now();
        let mut admitted = 0u64;
        for &t in &instants {
            admitted += acquire(std::hint::black_box(t)) as u64;
        }
        let seconds = start.elapsed().as_secs_f64();
        println!(
            "{name:<24} {:>6.1} M calls/s ({admitted} of {} admitted)",
            instants.len() as f64 / seconds / 1e6,
            instants.len()
        );
    };
    measure(
        "TokenBucket",
        Box::new({
            let mut l = TokenBucket::new(100.0, 20);
            move |t| l.try_acquire(t)
        }),
    );
    measure(
        "LeakyBucket",
        Box::new({
            let mut l = LeakyBucket::new(100.0, 20);
            move |t| l.try_acquire(t)
        }),
    );
    measure(
        "FixedWindow",
        Box::new({
            let mut l = FixedWindow::new(100.0, 20);
            move |t| l.try_acquire(t)
        }),
    );
    measure(
        "SlidingLog",
        Box::new({
            let mut l = SlidingLog::new(100.0, 20);
            move |t| l.try_acquire(t)
        }),
    );
    measure(
        "SlidingWindowCounter",
        Box::new({
            let mut l = SlidingWindowCounter::new(100.0, 20);
            move |t| l.try_acquire(t)
        }),
    );
    measure(
        "Gcra",
        Box::new({
            let mut l = Gcra::new(100.0, 20);
            move |t| l.try_acquire(t)
        }),
    );
}
