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

#[cfg(test)]
mod tests {
    use super::*;

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
