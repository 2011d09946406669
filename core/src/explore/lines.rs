//! Exploring as lines of text: the work the page's Hunt panel hands a Web Worker
//! (see the `worker` crate), written so the panel can read it back, as
//! [`crate::lab::hunt`] does for hunts and shrinks. The lines:
//! - `explored DEPTH GENERATED UNIQUE`: progress, after each round;
//! - `walked WALKS STEPS`: progress of random walks (a bug whose bounds ask for
//!   walks), after each round;
//! - `clean UNIQUE DEPTH`: every state within DEPTH steps holds every invariant;
//! - `clean-walks WALKS DEPTH`: no walk of at most DEPTH steps broke one;
//! - `counterexample LINK INVARIANT STEPS`: the shortest path to a violation, as
//!   a held scenario whose violation is at STEPS milliseconds; with a fifth
//!   word `WALKED`, a random walk's path of WALKED steps minimized to STEPS;
//! - `error: WHY`: a bad link, or a topic that cannot be explored. Bad input
//!   never panics.

use super::{find_in, ExploreRequest, Explorer};
use crate::lab::scenario::Scenario;

/// The most steps the page explores: what one thread covers in seconds
/// (correct Raft to 10 steps: 1,266,872 states in 7.5 s natively), and enough
/// for every bug whose bounds a topic declares.
pub const PAGE_DEPTH: u32 = 10;

/// Explores the topic and bug of the scenario `link` (its explorer among
/// `explorers`) within the bounds the topic declares for that bug (else its
/// default bounds), to `depth` steps and at most [`PAGE_DEPTH`] (a bug found by
/// walks keeps its own depth: walks cost steps, not states), on one thread,
/// giving `progress` an `explored` or `walked` line after each round; returns
/// the result's line.
pub fn explore_lines(
    explorers: &'static [Explorer],
    link: &str,
    depth: u32,
    mut progress: impl FnMut(&str),
) -> String {
    let Ok(scenario) = Scenario::decode(link) else {
        return "error: the link is not a scenario".into();
    };
    let Some(explorer) = find_in(explorers, &scenario.topic) else {
        return "error: this topic cannot be explored yet".into();
    };
    // A bug's bounds say what finding it takes (a crash, say), which the
    // defaults may not allow.
    let mut bounds = scenario
        .bug
        .as_deref()
        .and_then(explorer.bug_bounds)
        .unwrap_or(explorer.default_bounds);
    if bounds.walks == 0 {
        bounds.depth = depth.min(PAGE_DEPTH);
    }
    let request = ExploreRequest {
        bounds,
        bug: scenario.bug,
        jobs: 1,
        symmetry: true,
    };
    let report = (explorer.explore)(&request, &mut |p| {
        progress(&if p.walks > 0 {
            format!("walked {} {}", p.walks, p.generated)
        } else {
            format!("explored {} {} {}", p.depth, p.generated, p.unique)
        });
        true
    });
    match report {
        Err(error) => format!("error: {error}"),
        Ok(report) => match report.counterexample {
            None if report.walks > 0 => format!("clean-walks {} {}", report.walks, report.depth),
            None => format!("clean {} {}", report.unique, report.depth),
            Some(found) => {
                let walked = found.walked.map(|w| format!(" {w}")).unwrap_or_default();
                format!(
                    "counterexample {} {} {}{walked}",
                    found.scenario.encode(),
                    found.invariant,
                    found.steps.len()
                )
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::explore::EXPLORERS;

    #[test]
    fn lines_say_what_the_explorer_found() {
        let mut scenario = Scenario::new("raft", 1);
        scenario.bug = Some(crate::topics::raft::BUG_FORGET_VOTE_ON_RESTART.into());
        let mut rounds = 0;
        let line = explore_lines(EXPLORERS, &scenario.encode(), 8, |line| {
            assert!(line.starts_with("explored "), "{line}");
            rounds += 1;
        });
        let words: Vec<&str> = line.split(' ').collect();
        assert_eq!(words[0], "counterexample", "{line}");
        assert_eq!(words[2], "election-safety");
        assert_eq!(words[3], "8");
        assert!(Scenario::decode(words[1]).is_ok());
        assert!(rounds >= 1);
        let clean = explore_lines(EXPLORERS, &Scenario::new("raft", 1).encode(), 4, |_| {});
        assert!(
            clean.starts_with("clean ") && clean.ends_with(" 4"),
            "{clean}"
        );
        assert!(explore_lines(EXPLORERS, "???", 4, |_| {}).starts_with("error: "));
        let raft = Scenario::new("raft", 1).encode();
        let none = super::super::explorers_of_module("bloom_filter");
        assert!(explore_lines(none, &raft, 4, |_| {}).starts_with("error: "));
        let bloom = Scenario::new("bloom-filter", 1).encode();
        assert!(explore_lines(EXPLORERS, &bloom, 4, |_| {}).starts_with("error: "));
    }

    /// Every bug with declared bounds is found at the page's depth, with the
    /// bug's own bounds: Paxos's `forget-promise-on-restart` needs a crash,
    /// which the topic's default bounds do not allow, and Raft's
    /// `commit-old-term`, `stale-read` and `no-dedup` need walks (and the last
    /// two clients). Every topic that opts in declares bounds for every bug.
    #[test]
    fn the_page_finds_every_bug_with_declared_bounds() {
        for explorer in EXPLORERS {
            let topic = crate::catalog::find(explorer.slug).unwrap();
            for bug in topic.bugs {
                let bounds = (explorer.bug_bounds)(bug.name);
                assert!(bounds.is_some(), "{}/{}", explorer.slug, bug.name);
                let mut scenario = Scenario::new(explorer.slug, 1);
                scenario.bug = Some(bug.name.to_string());
                let line = explore_lines(EXPLORERS, &scenario.encode(), PAGE_DEPTH, |_| {});
                assert!(
                    line.starts_with("counterexample "),
                    "{}/{}: {line}",
                    explorer.slug,
                    bug.name
                );
                // A walk's counterexample says how long the walk was.
                let words = line.split(' ').count();
                let walks = bounds.is_some_and(|b| b.walks > 0);
                assert_eq!(words, if walks { 5 } else { 4 }, "{line}");
            }
        }
    }
}
