//! View geometry in plain Rust: where every node, link, message, lane and mark goes.
//! Components only turn these layouts into SVG, so all the arithmetic is tested
//! natively.

pub mod bars;
pub mod bits;
pub mod chart;
pub mod cluster;
pub mod gorilla_bits;
pub mod hash_tree;
pub mod history;
pub mod machine;
pub mod pixels;
pub mod plot;
pub mod ring;
pub mod skip_lanes;
pub mod swimlanes;
pub mod timeline;
pub mod topic_charts;

/// Number of colours in the palette used for message types and terms
/// (`.c0`..`.c7` in style.css).
pub const PALETTE_SIZE: usize = 8;

/// A stable palette slot for a name (a message type): the top three bits of
/// FNV-1a over a fixed salt and the name, so the same type has the same
/// colour everywhere and on every platform. FNV's low bits depend only on
/// the low bits of each byte, so `Prepare` and `Commit` always shared a slot
/// modulo 8; the top bits mix every bit. The salt is the first one that
/// gives each phase of Raft, Paxos and PBFT its own colour (searched offline
/// over the topics' message kinds; the test below holds it).
pub fn palette_index(name: &str) -> usize {
    let mut hash = distlab_core::sim::trace::Fnv1a::default();
    hash.write(b"296972");
    hash.write(name.as_bytes());
    (hash.finish() >> 61) as usize
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
    // The power of ten at or below `rough`, by scaling: `powf` and `log10` would
    // bring their library routines into every bundle.
    let mut magnitude = 1.0;
    while magnitude > rough {
        magnitude /= 10.0;
    }
    while magnitude * 10.0 <= rough {
        magnitude *= 10.0;
    }
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

/// `(cos, sin)` of `angle` (radians), within about 1e-15 of the library's.
///
/// The views only need points on circles; the general routines bring an argument
/// reduction for any magnitude that costs every bundle about 7 KB. Here the angle
/// is folded into [-π/2, π/2] and a ten-term Taylor series does the rest.
pub fn cos_sin(angle: f64) -> (f64, f64) {
    use std::f64::consts::{FRAC_PI_2, PI, TAU};
    if !angle.is_finite() {
        return (1.0, 0.0);
    }
    let mut x = angle - TAU * (angle / TAU).round();
    // sin(π - x) = sin x and cos(π - x) = -cos x (and likewise about -π).
    let mut cos_sign = 1.0;
    if x > FRAC_PI_2 {
        x = PI - x;
        cos_sign = -1.0;
    } else if x < -FRAC_PI_2 {
        x = -PI - x;
        cos_sign = -1.0;
    }
    let x2 = x * x;
    let (mut sin, mut cos) = (1.0, 1.0);
    for k in (1..=10).rev() {
        let k = f64::from(k);
        sin = 1.0 - x2 / ((2.0 * k) * (2.0 * k + 1.0)) * sin;
        cos = 1.0 - x2 / ((2.0 * k - 1.0) * (2.0 * k)) * cos;
    }
    (cos_sign * cos, x * sin)
}

#[cfg(test)]
mod tests {
    #[test]
    fn cos_sin_matches_the_library() {
        for step in -4_000..=4_000 {
            let angle = f64::from(step) * 0.004_321;
            let (cos, sin) = super::cos_sin(angle);
            assert!((cos - angle.cos()).abs() < 1e-14, "cos {angle}");
            assert!((sin - angle.sin()).abs() < 1e-14, "sin {angle}");
        }
        assert_eq!(super::cos_sin(f64::NAN), (1.0, 0.0));
    }

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
        // The phases a reader tells apart by colour on the timeline.
        for phases in [
            &[
                "Request",
                "PrePrepare",
                "Prepare",
                "Commit",
                "Reply",
                "ViewChange",
                "NewView",
            ][..],
            &[
                "RequestVote",
                "VoteReply",
                "AppendEntries",
                "AppendReply",
                "ClientRequest",
                "ClientReply",
                "NotLeader",
            ],
            &[
                "Prepare",
                "Promise",
                "Accept",
                "Accepted",
                "Chosen",
                "Preempted",
            ],
            &["Prepare", "Vote", "Decision"],
            &["CanCommit", "PreCommit", "Decision"],
        ] {
            let mut slots: Vec<usize> = phases.iter().map(|k| palette_index(k)).collect();
            slots.sort_unstable();
            slots.dedup();
            assert_eq!(slots.len(), phases.len(), "{phases:?}");
        }
        assert_eq!(palette_for(9), 1);
    }
}
