//! Hunting and shrinking as lines of text: the work the page's Hunt panel hands a
//! Web Worker (see the `worker` crate), written so the panel can read it back.
//!
//! A hunt is [`sweep`](super::sweep::sweep) over a range of seeds and a shrink is
//! [`shrink`](super::shrink::shrink), the same code `distlab check` and
//! `distlab shrink` run, so the page and the command line report the same seeds
//! and the same shrunk scenarios. The lines:
//! - `found SEED INVARIANT MICROS`: a failing seed of a hunt's range;
//! - `stage STAGE ACTIONS TRIALS`: a shrink's progress (spaces in STAGE are `-`),
//!   of one run ([`shrink_lines`]) or of a hunt's soonest failures, keeping the
//!   smallest ([`shrink_smallest_lines`], as `distlab check --shrink`);
//! - `shrunk LINK INVARIANT ACTIONS EVENTS MICROS ACTIONS EVENTS MICROS`: a
//!   shrink's result, its size before and then after;
//! - `error: WHY`: the task cannot be done (a bad link, an unknown topic, a run
//!   that breaks nothing). Bad input never panics.

use std::fmt::Write as _;

use super::scenario::Scenario;
use super::shrink::{shrink, shrink_smallest, RunSize, ShrinkError, ShrinkProgress, Shrunk};
use super::sweep::{sweep, SweepConfig};
use super::topic::TopicInfo;
use crate::sim::faults::FaultLevel;
use crate::sim::time::Time;

/// How long each seed of a hunt runs, as `distlab check` runs it.
pub const HUNT_MS: u64 = 30_000;

fn topic_of(topics: &[&'static TopicInfo], slug: &str) -> Option<&'static TopicInfo> {
    topics.iter().copied().find(|t| t.slug == slug)
}

/// Seeds `from..from + count` of the scenario `link` (its topic among `topics`,
/// its parameters and bug) with `faults` (`light` or `heavy`) drawn from each
/// seed, each run for [`HUNT_MS`]: one `found` line per failing seed.
pub fn hunt_lines(
    topics: &[&'static TopicInfo],
    link: &str,
    from: u64,
    count: u64,
    faults: &str,
) -> String {
    let Ok(scenario) = Scenario::decode(link) else {
        return "error: the link is not a scenario".into();
    };
    let (Some(topic), Some(faults)) =
        (topic_of(topics, &scenario.topic), FaultLevel::parse(faults))
    else {
        return "error: no such topic or fault level here".into();
    };
    let config = SweepConfig {
        topic,
        from_seed: from,
        seeds: count,
        faults,
        bug: scenario.bug,
        params: scenario.params,
        until: Time::from_millis(HUNT_MS),
    };
    match sweep(&config, |_, _| {}) {
        Ok(report) => report.failures.iter().fold(String::new(), |mut out, f| {
            let _ = writeln!(
                out,
                "found {} {} {}",
                f.seed,
                f.violation.invariant,
                f.violation.time.as_micros()
            );
            out
        }),
        Err(error) => format!("error: {error}"),
    }
}

/// Shrinks the run of `link` up to `until` (it must break an invariant by then),
/// giving `progress` a `stage` line as it goes; returns the result's lines.
pub fn shrink_lines(
    topics: &[&'static TopicInfo],
    link: &str,
    until: Time,
    mut progress: impl FnMut(&str),
) -> String {
    let Ok(scenario) = Scenario::decode(link) else {
        return "error: the link is not a scenario".into();
    };
    let Some(topic) = topic_of(topics, &scenario.topic) else {
        return "error: no such topic here".into();
    };
    result_lines(shrink(topic, &scenario, until, |p| {
        progress(&stage_line(p))
    }))
}

/// Shrinks the failing seeds `failures` of a hunt over `link` (`SEED MICROS` pairs,
/// the seed and its violation's instant, separated by spaces) the way
/// `distlab check --shrink` does: the soonest few, keeping the smallest result.
pub fn shrink_smallest_lines(
    topics: &[&'static TopicInfo],
    link: &str,
    failures: &str,
    faults: &str,
    mut progress: impl FnMut(&str),
) -> String {
    let (Ok(base), Some(faults)) = (Scenario::decode(link), FaultLevel::parse(faults)) else {
        return "error: the link is not a scenario, or the fault level is unknown".into();
    };
    let Some(topic) = topic_of(topics, &base.topic) else {
        return "error: no such topic here".into();
    };
    let numbers: Vec<u64> = failures
        .split(' ')
        .filter_map(|word| word.parse().ok())
        .collect();
    let failures: Vec<(Scenario, Time)> = numbers
        .chunks_exact(2)
        .map(|pair| (replay_of(&base, pair[0], faults), Time(pair[1])))
        .collect();
    let until = Time::from_millis(HUNT_MS);
    result_lines(shrink_smallest(topic, &failures, until, |p| {
        progress(&stage_line(p))
    }))
}

fn stage_line(progress: ShrinkProgress) -> String {
    format!(
        "stage {} {} {}",
        progress.stage.replace(' ', "-"),
        progress.actions,
        progress.trials
    )
}

fn result_lines(shrunk: Result<Shrunk, ShrinkError>) -> String {
    match shrunk {
        Ok(shrunk) => {
            let size = |s: RunSize| format!("{} {} {}", s.actions, s.events, s.time.as_micros());
            format!(
                "shrunk {} {} {} {}",
                shrunk.scenario.encode(),
                shrunk.violation.invariant,
                size(shrunk.before),
                size(shrunk.after)
            )
        }
        Err(error) => format!("error: {error}"),
    }
}

/// The scenario that replays failing seed `seed` of a hunt over `base` (its
/// topic, parameters and bug) with `faults`.
pub fn replay_of(base: &Scenario, seed: u64, faults: FaultLevel) -> Scenario {
    let mut scenario = Scenario::new(&base.topic, seed);
    scenario.faults = faults;
    scenario.bug = base.bug.clone();
    scenario.params = base.params.clone();
    scenario
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog;

    #[test]
    fn a_hunt_reports_the_seeds_a_sweep_reports() {
        let mut scenario = Scenario::new("raft", 1);
        scenario.bug = Some("vote-without-log-check".into());
        let lines = hunt_lines(catalog::topics(), &scenario.encode(), 5, 30, "heavy");
        let mut config = SweepConfig::new(catalog::find("raft").unwrap(), 30);
        config.from_seed = 5;
        config.faults = FaultLevel::Heavy;
        config.bug = scenario.bug.clone();
        let expected: String = sweep(&config, |_, _| {})
            .unwrap()
            .failures
            .iter()
            .map(|f| {
                format!(
                    "found {} {} {}\n",
                    f.seed,
                    f.violation.invariant,
                    f.violation.time.as_micros()
                )
            })
            .collect();
        assert!(!expected.is_empty());
        assert_eq!(lines, expected);
    }

    #[test]
    fn shrinking_a_hunts_failures_gives_what_check_shrink_gives() {
        let mut base = Scenario::new("raft", 1);
        base.bug = Some("vote-without-log-check".into());
        let topic = catalog::find("raft").unwrap();
        let mut config = SweepConfig::new(topic, 20);
        config.bug = base.bug.clone();
        let report = sweep(&config, |_, _| {}).unwrap();
        assert!(!report.failures.is_empty());
        let failures: Vec<(Scenario, Time)> = report
            .failures
            .iter()
            .map(|f| (config.scenario(f.seed), f.violation.time))
            .collect();
        let expected = result_lines(shrink_smallest(topic, &failures, config.until, |_| {}));
        let pairs: Vec<String> = report
            .failures
            .iter()
            .map(|f| format!("{} {}", f.seed, f.violation.time.as_micros()))
            .collect();
        let mut stages = 0;
        let lines = shrink_smallest_lines(
            catalog::topics(),
            &base.encode(),
            &pairs.join(" "),
            "heavy",
            |_| stages += 1,
        );
        assert!(lines.starts_with("shrunk "), "{lines}");
        assert_eq!(lines, expected);
        assert!(stages > 0);
    }

    #[test]
    fn bad_tasks_are_error_lines() {
        let raft = Scenario::new("raft", 1).encode();
        let only_bloom = catalog::topics_of_module("bloom_filter");
        assert_eq!(only_bloom.len(), 1);
        for lines in [
            hunt_lines(catalog::topics(), "nonsense", 0, 1, "heavy"),
            hunt_lines(catalog::topics(), &raft, 0, 1, "stormy"),
            hunt_lines(only_bloom, &raft, 0, 1, "heavy"),
            shrink_lines(catalog::topics(), "nonsense", Time::from_millis(1), |_| {}),
            shrink_lines(only_bloom, &raft, Time::from_millis(1), |_| {}),
            // A correct run breaks nothing, so there is nothing to shrink.
            shrink_lines(catalog::topics(), &raft, Time::from_millis(2_000), |_| {}),
        ] {
            assert!(lines.starts_with("error: "), "{lines}");
        }
    }
}
