//! View geometry in plain Rust: where every node, link, message, lane and mark goes.
//! Components only turn these layouts into SVG, so all the arithmetic is tested
//! natively.

pub mod bars;
pub mod bits;
pub mod chart;
pub mod cluster;
pub mod gorilla_bits;
pub mod hash_tree;
pub mod ring;
pub mod skip_lanes;
pub mod timeline;

/// Number of colours in the palette used for message types and terms
/// (`.c0`..`.c7` in style.css).
pub const PALETTE_SIZE: usize = 8;

/// A stable palette slot for a name (a message type): FNV-1a of its bytes, so the
/// same type has the same colour everywhere and on every platform.
pub fn palette_index(name: &str) -> usize {
    let mut hash = distlab_core::sim::trace::Fnv1a::default();
    hash.write(name.as_bytes());
    (hash.finish() % PALETTE_SIZE as u64) as usize
}

/// A palette slot for a number (a term), cycling through the palette.
pub fn palette_for(number: u64) -> usize {
    (number % PALETTE_SIZE as u64) as usize
}

/// 1, 2 or 5 times a power of ten, at least `rough`.
pub fn nice_step(rough: f64) -> f64 {
    if !(rough.is_finite() && rough > 0.0) {
        return 1.0;
    }
    let magnitude = 10f64.powf(rough.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|&s| s >= rough * (1.0 - 1e-9))
        .unwrap_or(10.0 * magnitude)
}

/// A short tick label: integers plainly, small numbers with up to three decimals.
pub fn tick_label(value: f64) -> String {
    if value == 0.0 {
        "0".to_string()
    } else if value.abs() >= 1.0 && (value - value.round()).abs() < 1e-9 {
        format!("{}", value.round() as i64)
    } else if value.abs() >= 0.01 {
        let text = format!("{value:.3}");
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        format!("{value:.1e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_round_and_labels_short() {
        assert_eq!(nice_step(0.7), 1.0);
        assert_eq!(nice_step(13.0), 20.0);
        assert_eq!(nice_step(f64::NAN), 1.0);
        assert_eq!(tick_label(0.25), "0.25");
        assert_eq!(tick_label(1200.0), "1200");
        assert_eq!(tick_label(0.001), "1.0e-3");
    }

    #[test]
    fn palette_is_stable_and_in_range() {
        assert_eq!(
            palette_index("AppendEntries"),
            palette_index("AppendEntries")
        );
        let kinds = ["RequestVote", "VoteReply", "AppendEntries", "AppendReply"];
        assert!(kinds.iter().all(|k| palette_index(k) < PALETTE_SIZE));
        assert_eq!(palette_for(9), 1);
    }
}
