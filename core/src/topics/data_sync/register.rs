//! Registers: one value that replicas overwrite, kept either as the last
//! writer's (LWW register, Shapiro et al., RR-7506 §3.2.1, Specification 8) or
//! as every concurrent write (multi-value register, RR-7506 §3.2.2, the
//! siblings of Dynamo, DeCandia et al., SOSP 2007 §4.4).
//!
//! Every version carries its update's dot, its timestamp and its causal
//! context (the version vector of its writer just after the write). The
//! multi-value rule needs the context to tell "overwrote" from "concurrent";
//! the last-writer-wins rule ignores it, and keeps it only so the lab can say
//! which writes a timestamp threw away although they came later.

use super::message::{Dot, Stamp, VersionVector};

/// Which versions a register keeps when two meet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// The one with the highest timestamp.
    LastWriterWins,
    /// Every version no other version's context covers (the siblings).
    MultiValue,
}

/// One write of a register.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Version<T> {
    pub value: T,
    pub dot: Dot,
    pub stamp: Stamp,
    pub context: VersionVector,
}

impl<T> Version<T> {
    /// Whether `later`'s writer had seen this write when it wrote (this write
    /// happened before `later`).
    pub fn happened_before(&self, later: &Version<T>) -> bool {
        self.dot != later.dot && later.context.covers(self.dot)
    }
}

/// A write a merge threw away that came causally after the one kept: the
/// update lost to a timestamp (only the last-writer-wins rule loses one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Overwritten {
    pub lost: Dot,
    pub lost_stamp: Stamp,
    pub kept: Dot,
    pub kept_stamp: Stamp,
    /// Whether the lost write causally followed the kept one (lost only to
    /// clock skew), rather than being concurrent with it.
    pub causally_later: bool,
}

/// A register: its versions, sorted by dot (one, or several siblings).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Register<T> {
    pub versions: Vec<Version<T>>,
}

impl<T> Default for Register<T> {
    fn default() -> Self {
        Register {
            versions: Vec::new(),
        }
    }
}

impl<T: Clone> Register<T> {
    /// Takes `version` in under `rule`; says which write the rule threw away
    /// if it threw one away (last writer wins).
    pub fn take(&mut self, version: &Version<T>, rule: Rule) -> Option<Overwritten> {
        if self.versions.iter().any(|v| v.dot == version.dot) {
            return None;
        }
        match rule {
            Rule::LastWriterWins => {
                let Some(current) = self.versions.first().cloned() else {
                    self.versions.push(version.clone());
                    return None;
                };
                // Ties (one replica writing twice in one microsecond) go to the
                // later update of that replica.
                let (kept, lost) = if (version.stamp, version.dot) > (current.stamp, current.dot) {
                    (version, &current)
                } else {
                    (&current, version)
                };
                if kept.dot == version.dot {
                    self.versions = vec![version.clone()];
                }
                if lost.happened_before(kept) {
                    // An ordinary overwrite: the kept write had seen it.
                    return None;
                }
                let overwritten = Overwritten {
                    lost: lost.dot,
                    lost_stamp: lost.stamp,
                    kept: kept.dot,
                    kept_stamp: kept.stamp,
                    causally_later: kept.happened_before(lost),
                };
                Some(overwritten)
            }
            Rule::MultiValue => {
                // RR-7506 Specification 9: a version survives unless another's
                // context covers it.
                if self.versions.iter().any(|v| version.happened_before(v)) {
                    return None;
                }
                self.versions.retain(|v| !v.happened_before(version));
                let at = self.versions.partition_point(|v| v.dot < version.dot);
                self.versions.insert(at, version.clone());
                None
            }
        }
    }

    /// The versions a replica whose version vector is `seen` lacks.
    pub fn delta(&self, seen: &VersionVector) -> Register<T> {
        Register {
            versions: self
                .versions
                .iter()
                .filter(|v| !seen.covers(v.dot))
                .cloned()
                .collect(),
        }
    }

    /// The highest timestamp in the register.
    pub fn highest_stamp(&self) -> Option<Stamp> {
        self.versions.iter().map(|v| v.stamp).max()
    }
}
