//! A latency histogram with a guaranteed relative error: DDSketch (Masson,
//! Rim and Lee, "DDSketch: A Fast and Fully-Mergeable Quantile Sketch with
//! Relative-Error Guarantees", VLDB 2019).
//!
//! **Buckets** (§2.1). With `γ = (1 + α) / (1 − α)`, a positive value `x`
//! goes to bucket `i = ⌈log_γ x⌉`, so bucket `i` holds the values in
//! `(γ^(i−1), γ^i]`. Only counts are kept.
//!
//! **Quantiles** (§2.1, Algorithm 2). The q-quantile is the value of rank
//! `⌊q (n − 1)⌋` in sorted order; the sketch finds the first bucket whose
//! cumulative count passes `q (n − 1)` and answers `2γ^i / (γ + 1)`, the
//! point of the bucket with the same relative distance to both ends. Every
//! value in the bucket is then within **relative error α** of the answer
//! (Proposition 2): `|x̃_q − x_q| ≤ α·x_q`, for every q, whatever the
//! distribution. Values at or below [`MIN_INDEXABLE`] share a zero bucket.
//!
//! **Merging** (§2.2). Two sketches with the same α merge by adding their
//! bucket counts, and the result is exactly the sketch of the union: the
//! guarantee survives merging, so per-node or per-interval sketches can be
//! combined. The store here is dense and unbounded (the paper's §2.2 bounds it
//! by collapsing the lowest buckets; latencies from a microsecond to an hour
//! need under 1,100 buckets at α = 1%, so it does not).
//!
//! Logarithms use the crate's portable `ln`, so a value lands in the same
//! bucket natively and in wasm.

use crate::bloom::math::{exp, ln};
use crate::sim::time::Duration;

/// Values at or below this share the zero bucket.
pub const MIN_INDEXABLE: f64 = 1e-9;

/// The relative accuracy the lab's charts use: 1%.
pub const DEFAULT_ALPHA: f64 = 0.01;

/// A DDSketch.
#[derive(Clone, Debug, PartialEq)]
pub struct LatencySketch {
    alpha: f64,
    gamma: f64,
    /// `1 / ln γ`, so an index is a multiplication.
    inverse_ln_gamma: f64,
    /// The bucket index of `bins[0]`.
    offset: i32,
    bins: Vec<u64>,
    zeros: u64,
    count: u64,
    sum: f64,
    min: f64,
    max: f64,
}

impl Default for LatencySketch {
    fn default() -> Self {
        LatencySketch::new(DEFAULT_ALPHA)
    }
}

impl LatencySketch {
    /// An empty sketch with relative accuracy `alpha` (clamped to a sane
    /// range, 0.0001 to 0.5).
    pub fn new(alpha: f64) -> Self {
        let alpha = if alpha.is_nan() {
            DEFAULT_ALPHA
        } else {
            alpha.clamp(1e-4, 0.5)
        };
        let gamma = (1.0 + alpha) / (1.0 - alpha);
        LatencySketch {
            alpha,
            gamma,
            inverse_ln_gamma: 1.0 / ln(gamma),
            offset: 0,
            bins: Vec::new(),
            zeros: 0,
            count: 0,
            sum: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
        }
    }

    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// Values recorded.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The exact mean of the values recorded, if any.
    pub fn mean(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum / self.count as f64)
    }

    /// The exact smallest and largest values recorded, if any.
    pub fn min_max(&self) -> Option<(f64, f64)> {
        (self.count > 0).then_some((self.min, self.max))
    }

    /// Records `value` (negative values and NaN count as zero).
    pub fn record(&mut self, value: f64) {
        let value = if value.is_nan() { 0.0 } else { value.max(0.0) };
        self.count += 1;
        self.sum += value;
        self.min = self.min.min(value);
        self.max = self.max.max(value);
        if value <= MIN_INDEXABLE {
            self.zeros += 1;
            return;
        }
        let index = self.index(value);
        self.add_to_bin(index, 1);
    }

    /// Records a duration in milliseconds.
    pub fn record_duration(&mut self, duration: Duration) {
        self.record(duration.as_micros() as f64 / 1_000.0);
    }

    /// The q-quantile (q in [0, 1]) within relative error α, or `None` when
    /// the sketch is empty.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        if self.count == 0 || q.is_nan() {
            return None;
        }
        let rank = q.clamp(0.0, 1.0) * (self.count - 1) as f64;
        let mut seen = self.zeros;
        if seen as f64 > rank {
            return Some(0.0);
        }
        for (i, &bin) in self.bins.iter().enumerate() {
            seen += bin;
            if seen as f64 > rank {
                return Some(self.value(self.offset + i as i32));
            }
        }
        // Rounding can leave the rank at the very top: the highest bucket.
        let last = self.bins.iter().rposition(|&bin| bin > 0)?;
        Some(self.value(self.offset + last as i32))
    }

    /// Adds `other`'s values to this sketch. Refused (returns false, nothing
    /// changes) when the two were made with different α.
    pub fn merge(&mut self, other: &LatencySketch) -> bool {
        if other.gamma != self.gamma {
            return false;
        }
        for (i, &bin) in other.bins.iter().enumerate() {
            if bin > 0 {
                self.add_to_bin(other.offset + i as i32, bin);
            }
        }
        self.zeros += other.zeros;
        self.count += other.count;
        self.sum += other.sum;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
        true
    }

    /// `⌈log_γ value⌉`.
    fn index(&self, value: f64) -> i32 {
        let index = (ln(value) * self.inverse_ln_gamma).ceil();
        index.clamp(i32::MIN as f64 / 2.0, i32::MAX as f64 / 2.0) as i32
    }

    /// The answer for bucket `index`: `2γ^i / (γ + 1)`.
    fn value(&self, index: i32) -> f64 {
        2.0 * exp(f64::from(index) / self.inverse_ln_gamma) / (self.gamma + 1.0)
    }

    fn add_to_bin(&mut self, index: i32, count: u64) {
        if self.bins.is_empty() {
            self.offset = index;
            self.bins.push(0);
        } else if index < self.offset {
            let grow = (self.offset - index) as usize;
            self.bins.splice(0..0, std::iter::repeat_n(0, grow));
            self.offset = index;
        } else if index - self.offset >= self.bins.len() as i32 {
            self.bins.resize((index - self.offset) as usize + 1, 0);
        }
        self.bins[(index - self.offset) as usize] += count;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::rng::Rng;
    use crate::traffic::distribution::{exponential, standard_normal};

    const QUANTILES: [f64; 12] = [
        0.0, 0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 0.9999, 1.0,
    ];

    /// The largest relative error of the sketch's quantiles against the exact
    /// ones (rank ⌊q(n − 1)⌋ of the sorted values).
    fn worst_relative_error(values: &mut [f64], sketch: &LatencySketch) -> f64 {
        values.sort_by(f64::total_cmp);
        let n = values.len();
        QUANTILES
            .iter()
            .map(|&q| {
                let exact = values[(q * (n - 1) as f64).floor() as usize];
                let estimate = sketch.quantile(q).unwrap();
                (estimate - exact).abs() / exact
            })
            .fold(0.0, f64::max)
    }

    /// A million values of each distribution: every quantile is within α.
    #[test]
    fn quantiles_are_within_alpha_of_the_exact_ones() {
        let mut rng = Rng::new(2019);
        type Draw = fn(&mut Rng) -> f64;
        let distributions: [(&str, Draw); 5] = [
            ("exponential", |rng| exponential(rng, 20.0)),
            ("log-normal", |rng| 15.0 * exp(0.8 * standard_normal(rng))),
            ("bimodal", |rng| {
                if rng.chance_ppm(20_000) {
                    exponential(rng, 400.0)
                } else {
                    exponential(rng, 4.0)
                }
            }),
            ("pareto", |rng| 1.0 / (1.0 - rng.unit_f64()).powf(1.0 / 1.5)),
            ("uniform", |rng| 1.0 + 999.0 * rng.unit_f64()),
        ];
        let mut worst_of_all: f64 = 0.0;
        for (name, draw) in distributions {
            let mut sketch = LatencySketch::new(0.01);
            let mut values: Vec<f64> = (0..1_000_000).map(|_| draw(&mut rng)).collect();
            values.iter().for_each(|&v| sketch.record(v));
            assert_eq!(sketch.count(), 1_000_000);
            let worst = worst_relative_error(&mut values, &sketch);
            println!("{name}: max relative error {worst:.6} (alpha 0.01)");
            assert!(worst <= 0.01 + 1e-9, "{name}: {worst}");
            worst_of_all = worst_of_all.max(worst);
            let exact_mean = values.iter().sum::<f64>() / values.len() as f64;
            assert!((sketch.mean().unwrap() - exact_mean).abs() < 1e-6 * exact_mean);
        }
        // The bound is tight: some quantile lands near a bucket's edge.
        assert!(worst_of_all > 0.005, "{worst_of_all}");
    }

    #[test]
    fn merging_equals_recording_the_union() {
        let mut rng = Rng::new(7);
        let mut left = LatencySketch::default();
        let mut right = LatencySketch::default();
        let mut union = LatencySketch::default();
        for i in 0..50_000 {
            // Different ranges on each side, so the merge grows the store both ways.
            let value = if i % 2 == 0 {
                exponential(&mut rng, 1.0)
            } else {
                exponential(&mut rng, 5_000.0)
            };
            if i % 2 == 0 { &mut left } else { &mut right }.record(value);
            union.record(value);
        }
        left.record(0.0);
        union.record(0.0);
        assert!(left.merge(&right));
        assert_eq!(left.bins, union.bins);
        assert_eq!(
            (left.offset, left.zeros, left.count),
            (union.offset, union.zeros, union.count)
        );
        for q in QUANTILES {
            assert_eq!(left.quantile(q), union.quantile(q), "q = {q}");
        }
        assert!(!left.merge(&LatencySketch::new(0.05)));
    }

    #[test]
    fn empty_zero_and_odd_input() {
        let mut sketch = LatencySketch::default();
        assert_eq!(sketch.quantile(0.5), None);
        sketch.record(0.0);
        sketch.record(-3.0);
        sketch.record(f64::NAN);
        assert_eq!(sketch.quantile(0.99), Some(0.0));
        sketch.record_duration(Duration::from_millis(100));
        let top = sketch.quantile(1.0).unwrap();
        assert!((top - 100.0).abs() <= 1.0, "{top}");
        assert_eq!(sketch.quantile(f64::NAN), None);
        assert_eq!(sketch.count(), 4);
    }
}
