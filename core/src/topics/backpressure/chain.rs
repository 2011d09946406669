//! The two pipelines of a run: the main chain (stages A, B and C, nodes 1 to
//! 3) under the chosen policy, and, when that policy bounds its queues, the
//! unbounded twin (stages A', B' and C', nodes 4 to 6) fed the same arrivals
//! by the same producer, so every chart can compare "with the pattern" and
//! "without it" on one seed. The twin's stages come after the existing four
//! processes, so the producer, A, B and C keep their ids (and the fault
//! plan, which knows only the first four, keeps its meaning).

use crate::sim::time::NodeId;
use crate::sim::view::Palette;

use super::message::{Policy, STAGES};

/// One of the two pipelines behind the producer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Chain {
    /// Stages A, B, C under the run's policy.
    Main,
    /// Stages A', B', C' with unbounded queues, beside a bounded main chain.
    Twin,
}

impl Chain {
    pub const BOTH: [Chain; 2] = [Chain::Main, Chain::Twin];

    /// Stage `index`'s id in this chain (0 is the first stage).
    pub const fn stage(self, index: usize) -> NodeId {
        let first = match self {
            Chain::Main => 1,
            Chain::Twin => 1 + STAGES as u32,
        };
        NodeId(first + index as u32)
    }

    /// Stage `index`'s name on the page: A, B, C, or A', B', C' in the twin.
    pub fn stage_name(self, index: usize) -> &'static str {
        let names: [&str; STAGES] = match self {
            Chain::Main => ["A", "B", "C"],
            Chain::Twin => ["A'", "B'", "C'"],
        };
        names.get(index).copied().unwrap_or("?")
    }

    /// What the charts call the chain: "with block", or "unbounded" (the
    /// twin, or a main chain whose policy is unbounded itself).
    pub fn label(self, policy: Policy) -> String {
        match (self, policy) {
            (Chain::Main, Policy::Unbounded) | (Chain::Twin, _) => "unbounded".to_string(),
            (Chain::Main, policy) => format!("with {}", policy.as_str()),
        }
    }

    /// Its colour in the comparison charts, as the circuit breaker's chains.
    pub fn palette(self) -> Palette {
        match self {
            Chain::Main => Palette::Done,
            Chain::Twin => Palette::Suspect,
        }
    }
}
