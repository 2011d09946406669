//! Fixed-point text for measured values (`12.5 ms`, `14.4×`) without the
//! standard library's float formatter.
//!
//! `format!("{x:.1}")` on an `f64` links `<f64 as Display>::fmt`, which carries
//! both the exact and the shortest-representation algorithms (Grisu with its
//! Dragon fallback): about 4 KB gzipped in every page bundle that formats one
//! float, measured on the observability page. A page only ever shows a few
//! decimals of a measured value, so the value is scaled, rounded and printed as
//! two integers instead, which the bundle formats anyway.
//!
//! Rounding is half away from zero ([`f64::round`]); the standard formatter
//! rounds the exact binary value half to even, so the two differ only when a
//! value lies exactly halfway, which a measured value almost never does.

use std::fmt;

/// `value` shown with `places` digits after the point (at most 9); see the
/// module's doc.
pub fn decimal(value: f64, places: u8) -> Decimal {
    Decimal {
        value,
        places: places.min(9),
    }
}

/// A value and how many decimals to show: [`decimal`]'s result, to be used in
/// `format!` like the number itself.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Decimal {
    value: f64,
    places: u8,
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.value.is_nan() {
            return f.write_str("NaN");
        }
        if self.value.is_infinite() {
            return f.write_str(if self.value < 0.0 { "-∞" } else { "∞" });
        }
        let scale = 10u64.pow(u32::from(self.places));
        // Saturates past 1.8e19, far beyond anything a page measures.
        let scaled = (self.value.abs() * scale as f64).round() as u64;
        if self.value < 0.0 && scaled > 0 {
            f.write_str("-")?;
        }
        let (whole, fraction) = (scaled / scale, scaled % scale);
        if self.places == 0 {
            write!(f, "{whole}")
        } else {
            let width = usize::from(self.places);
            write!(f, "{whole}.{fraction:0width$}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_standard_formatter_away_from_ties() {
        let values = [
            0.0,
            0.04,
            0.06,
            1.0,
            1.25e-3,
            3.14259,
            14.4,
            99.96,
            99.94,
            123.456,
            1e6 + 0.3,
            -0.04,
            -2.71928,
            -14.46,
            1_000.500_1,
            7.0 / 3.0,
        ];
        for value in values {
            for places in 0..=4u8 {
                let ours = decimal(value, places).to_string();
                let std = format!("{value:.*}", usize::from(places));
                // The standard formatter keeps the sign of a negative value that
                // rounds to zero ("-0.0"); a page shows it as plain zero.
                let std = if std
                    .trim_start_matches('-')
                    .trim_matches(['0', '.'])
                    .is_empty()
                {
                    std.trim_start_matches('-').to_string()
                } else {
                    std
                };
                assert_eq!(ours, std, "{value} to {places} places");
            }
        }
    }

    #[test]
    fn rounds_half_away_from_zero_and_names_what_is_not_a_number() {
        assert_eq!(decimal(0.5, 0).to_string(), "1");
        assert_eq!(decimal(2.5, 0).to_string(), "3");
        assert_eq!(decimal(-2.5, 0).to_string(), "-3");
        assert_eq!(decimal(9.96, 1).to_string(), "10.0");
        assert_eq!(decimal(0.001, 2).to_string(), "0.00");
        assert_eq!(decimal(f64::NAN, 1).to_string(), "NaN");
        assert_eq!(decimal(f64::INFINITY, 1).to_string(), "∞");
        assert_eq!(decimal(f64::NEG_INFINITY, 1).to_string(), "-∞");
        assert_eq!(decimal(1.5, 200).to_string(), "1.500000000");
    }
}
