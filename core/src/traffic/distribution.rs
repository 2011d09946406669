//! Service-time distributions, sampled from a node's seeded RNG.
//!
//! Only portable arithmetic reaches a sample: the logarithm and exponential
//! are the crate's own ([`crate::bloom::math`]), built from IEEE basic
//! operations, and the normal quantile is Acklam's rational approximation
//! (relative error below 1.2e-9) over them and `sqrt`, which IEEE rounds
//! correctly. So a seed draws the same service times natively and in wasm.
//! Samples are rounded to whole microseconds, the simulator's unit.

use crate::bloom::math::{exp, ln};
use crate::sim::rng::{Rng, PPM};
use crate::sim::time::Duration;

/// How long one request keeps a worker busy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServiceTime {
    /// Always the same.
    Constant(Duration),
    /// Memoryless, with this mean (the M in M/M/c).
    Exponential { mean: Duration },
    /// `median · e^(σ·Z)` with Z standard normal: the long right tail measured
    /// latencies usually have. σ in thousandths (500 is σ = 0.5).
    LogNormal { median: Duration, sigma_milli: u32 },
    /// Two exponential modes: most requests are fast, `slow_ppm` per million
    /// take the slow path (a cache miss, a garbage collection, a retry inside).
    Bimodal {
        fast_mean: Duration,
        slow_mean: Duration,
        slow_ppm: u32,
    },
}

impl ServiceTime {
    /// One service time drawn from `rng`.
    pub fn sample(&self, rng: &mut Rng) -> Duration {
        let micros = match *self {
            ServiceTime::Constant(duration) => return duration,
            ServiceTime::Exponential { mean } => exponential(rng, mean.as_micros() as f64),
            ServiceTime::LogNormal {
                median,
                sigma_milli,
            } => {
                let z = standard_normal(rng);
                median.as_micros() as f64 * exp(f64::from(sigma_milli) / 1_000.0 * z)
            }
            ServiceTime::Bimodal {
                fast_mean,
                slow_mean,
                slow_ppm,
            } => {
                let mean = if rng.chance_ppm(slow_ppm) {
                    slow_mean
                } else {
                    fast_mean
                };
                exponential(rng, mean.as_micros() as f64)
            }
        };
        Duration(to_micros(micros))
    }

    /// The distribution's mean, in microseconds (before rounding).
    pub fn mean_micros(&self) -> f64 {
        match *self {
            ServiceTime::Constant(duration) => duration.as_micros() as f64,
            ServiceTime::Exponential { mean } => mean.as_micros() as f64,
            ServiceTime::LogNormal {
                median,
                sigma_milli,
            } => {
                let sigma = f64::from(sigma_milli) / 1_000.0;
                median.as_micros() as f64 * exp(sigma * sigma / 2.0)
            }
            ServiceTime::Bimodal {
                fast_mean,
                slow_mean,
                slow_ppm,
            } => {
                let slow = f64::from(slow_ppm.min(PPM)) / f64::from(PPM);
                (1.0 - slow) * fast_mean.as_micros() as f64 + slow * slow_mean.as_micros() as f64
            }
        }
    }
}

/// Rounds a sample to whole microseconds, keeping it finite and non-negative.
fn to_micros(micros: f64) -> u64 {
    if micros.is_nan() || micros <= 0.0 {
        0
    } else if micros >= 1e15 {
        1_000_000_000_000_000
    } else {
        (micros + 0.5) as u64
    }
}

/// An exponential sample of mean `mean` by inversion: `-mean · ln(1 - U)`.
pub fn exponential(rng: &mut Rng, mean: f64) -> f64 {
    // 1 - U lies in (0, 1], so the logarithm is finite.
    -mean * ln(1.0 - rng.unit_f64())
}

/// A standard normal sample by inverting its distribution function at a
/// uniform point strictly inside (0, 1).
pub fn standard_normal(rng: &mut Rng) -> f64 {
    let p = ((rng.next_u64() >> 11) as f64 + 0.5) * (1.0 / (1u64 << 53) as f64);
    normal_quantile(p)
}

/// The standard normal quantile at `p` in (0, 1): Acklam's algorithm, a
/// rational approximation in the centre and in each tail.
pub fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    const LOW: f64 = 0.024_25;
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    if p < LOW {
        tail((-2.0 * ln(p)).sqrt())
    } else if p <= 1.0 - LOW {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        -tail((-2.0 * ln(1.0 - p)).sqrt())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mean_of(distribution: ServiceTime, samples: u32) -> f64 {
        let mut rng = Rng::new(11);
        let total: u64 = (0..samples)
            .map(|_| distribution.sample(&mut rng).as_micros())
            .sum();
        total as f64 / f64::from(samples)
    }

    #[test]
    fn normal_quantile_matches_known_values() {
        assert!(normal_quantile(0.5).abs() < 1e-12);
        assert!((normal_quantile(0.975) - 1.959_963_984_540_054).abs() < 1e-8);
        assert!((normal_quantile(0.001) + 3.090_232_306_167_813).abs() < 1e-8);
        assert!((normal_quantile(0.9) - 1.281_551_565_544_6).abs() < 1e-8);
    }

    #[test]
    fn sample_means_match_the_distributions() {
        let ms = Duration::from_millis;
        for distribution in [
            ServiceTime::Exponential { mean: ms(20) },
            ServiceTime::LogNormal {
                median: ms(15),
                sigma_milli: 500,
            },
            ServiceTime::Bimodal {
                fast_mean: ms(5),
                slow_mean: ms(200),
                slow_ppm: 20_000,
            },
        ] {
            let measured = mean_of(distribution, 200_000);
            let theory = distribution.mean_micros();
            assert!(
                (measured - theory).abs() < 0.02 * theory,
                "{distribution:?}: {measured} vs {theory}"
            );
        }
        assert_eq!(mean_of(ServiceTime::Constant(ms(3)), 10), 3_000.0);
    }

    #[test]
    fn log_normal_median_is_its_median() {
        let distribution = ServiceTime::LogNormal {
            median: Duration::from_millis(15),
            sigma_milli: 800,
        };
        let mut rng = Rng::new(4);
        let below = (0..100_000)
            .filter(|_| distribution.sample(&mut rng) < Duration::from_millis(15))
            .count();
        assert!((49_000..51_000).contains(&below), "{below}");
    }
}
