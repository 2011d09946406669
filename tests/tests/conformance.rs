//! The conformance suite: what every topic in the catalog must satisfy, checked
//! for each one the moment it is registered. Nothing here names a topic.
//!
//! - every preset runs to its story's end, with every line of narration reached,
//!   and holds every invariant unless it switches a bug on, in which case the bug
//!   is caught by one of the invariants that bug declares;
//! - every bug is caught by a heavy-fault seed sweep within its declared budget,
//!   by one of its declared invariants, and has a preset that shows it caught;
//! - the correct model is clean over a heavy-fault sweep (10,000 seeds for
//!   the consensus and transaction topics), but for the
//!   violations its topic declares expected under some faults (three-phase
//!   commit's atomicity under partitions): each of those must happen within
//!   its budget of heavy seeds, and never under crashes alone, where every
//!   bug must still be caught within its budget;
//! - every topic's default link round-trips through the scenario codec and builds;
//! - every topic has golden trace hashes (checked natively and in wasm by
//!   `determinism.rs`) and a page (mounted by the browser conformance test).

use distlab_core::catalog;
use distlab_core::lab::run::RunOptions;
use distlab_core::lab::scenario::Scenario;
use distlab_core::lab::shrink::{first_violation, shrink_with_budget};
use distlab_core::lab::sweep::{sweep, SweepConfig};
use distlab_core::lab::topic::{Category, PresetInfo, TopicInfo, TopicKind};
use distlab_core::sim::faults::FaultLevel;
use distlab_core::sim::time::{Duration, Time};

/// How long a protocol preset runs past its last line of narration: long enough
/// for what that line describes to happen.
const AFTER_LAST_LINE: Duration = Duration::from_millis(3_000);

/// The most steps a data-structure preset may take to finish its plan.
const MAX_STRUCTURE_STEPS: u64 = 10_000;

/// Seeds of the clean sweep of each correct model.
const CLEAN_SEEDS: u64 = 300;

/// The instant by which preset `preset` has told its whole story.
fn story_end(preset: &PresetInfo) -> Time {
    let last = preset
        .narration
        .iter()
        .map(|n| n.at)
        .max()
        .unwrap_or(Time::ZERO);
    last.after(AFTER_LAST_LINE)
}

fn check_preset(topic: &'static TopicInfo, preset: &'static PresetInfo) -> Result<(), String> {
    let name = format!("{}/{}", topic.slug, preset.name);
    if preset.narration.is_empty() {
        return Err(format!("{name}: no narration"));
    }
    if preset.narration.windows(2).any(|w| w[0].at > w[1].at) {
        return Err(format!("{name}: narration out of order"));
    }
    let scenario = topic.preset_scenario(preset);
    let mut run = (topic.build)(&scenario, RunOptions::default())
        .map_err(|e| format!("{name}: does not build: {e}"))?;
    match topic.kind {
        TopicKind::Protocol => run.run_until(story_end(preset)),
        TopicKind::DataStructure => {
            while run.steps() < MAX_STRUCTURE_STEPS && run.step() {}
            if run.next_time().is_some() {
                return Err(format!(
                    "{name}: not finished after {MAX_STRUCTURE_STEPS} steps"
                ));
            }
        }
    }
    // A person stepping through must reach every line.
    if let Some(line) = preset.narration.iter().find(|n| n.at > run.now()) {
        return Err(format!(
            "{name}: the run ends at {} before the narration at {}",
            run.now(),
            line.at
        ));
    }
    match preset.bug.and_then(|bug| topic.bug(bug)) {
        Some(bug) => {
            if !run
                .violations()
                .iter()
                .any(|v| bug.caught_by.contains(&v.invariant))
            {
                return Err(format!(
                    "{name}: switches on {} but none of {:?} catches it (found {:?})",
                    bug.name,
                    bug.caught_by,
                    run.violations()
                ));
            }
        }
        None => {
            // A correct preset may show only a violation its topic expects
            // (three-phase commit's split brain under a partition).
            if let Some(v) = run
                .violations()
                .iter()
                .find(|v| topic.expected(v.invariant).is_none())
            {
                return Err(format!("{name}: a correct preset breaks {v}"));
            }
        }
    }
    Ok(())
}

#[test]
fn every_preset_tells_its_whole_story() {
    let mut failures = Vec::new();
    for topic in catalog::topics() {
        assert!(!topic.presets.is_empty(), "{} has no preset", topic.slug);
        for preset in topic.presets() {
            if let Err(failure) = check_preset(topic, preset) {
                failures.push(failure);
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_bug_is_caught_within_its_budget() {
    let mut failures = Vec::new();
    for topic in catalog::topics() {
        if topic.kind == TopicKind::Protocol {
            assert!(
                !topic.bugs.is_empty(),
                "{} has no bug to switch on",
                topic.slug
            );
        }
        for bug in topic.bugs {
            assert!(!bug.caught_by.is_empty(), "{}: {}", topic.slug, bug.name);
            assert!(
                topic.presets().any(|p| p.bug == Some(bug.name)),
                "{}: {} has no preset that shows it being caught",
                topic.slug,
                bug.name
            );
            for invariant in bug.caught_by {
                assert!(
                    topic.invariants.iter().any(|i| i.name == *invariant),
                    "{}: {} names an unknown invariant {invariant}",
                    topic.slug,
                    bug.name
                );
            }
            // Heavy faults; and, where the correct model is expected to break
            // an invariant under partitions, crashes alone too, so the bug is
            // caught by itself and not by the partitions.
            let levels: &[FaultLevel] = if topic.expected.is_empty() {
                &[FaultLevel::Heavy]
            } else {
                &[FaultLevel::Heavy, FaultLevel::Crashes]
            };
            for &faults in levels {
                let mut config = SweepConfig::new(topic, 1);
                config.bug = Some(bug.name.to_string());
                config.faults = faults;
                // The first seed that fails, within the budget.
                let caught = (0..bug.budget).find_map(|seed| {
                    config.from_seed = seed;
                    let report = sweep(&config, |_, _| {}).expect("the sweep runs");
                    report.failures.into_iter().next()
                });
                match caught {
                    Some(failure) if bug.caught_by.contains(&failure.violation.invariant) => {}
                    Some(failure) => failures.push(format!(
                        "{}: {} is caught by {}, which it does not declare",
                        topic.slug, bug.name, failure.violation.invariant
                    )),
                    None => failures.push(format!(
                        "{}: {} not caught in {} {} seeds",
                        topic.slug,
                        bug.name,
                        bug.budget,
                        faults.as_str()
                    )),
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Sweeps `seeds` heavy-fault seeds of the correct `topic` and fails on any
/// violation but those the topic declares expected under some faults.
fn assert_clean(topic: &'static TopicInfo, seeds: u64) {
    let config = SweepConfig::new(topic, seeds);
    let report = sweep(&config, |_, _| {}).expect("the sweep runs");
    assert_eq!(report.seeds, seeds);
    let unexpected = report
        .failures
        .iter()
        .find(|f| topic.expected(f.violation.invariant).is_none());
    assert!(
        unexpected.is_none(),
        "{}: seed {} breaks {}",
        topic.slug,
        unexpected.map_or(0, |f| f.seed),
        unexpected.map_or(String::new(), |f| f.violation.to_string())
    );
}

#[test]
fn every_correct_model_is_clean_over_a_sweep() {
    for topic in catalog::topics() {
        assert_clean(topic, CLEAN_SEEDS);
    }
}

/// Seeds of the long clean sweep: the consensus and transaction topics'
/// issues ask for 10,000 heavy seeds with no violation, asserted here.
const LONG_CLEAN_SEEDS: u64 = 10_000;

/// The correct consensus and transaction models over 10,000 heavy seeds:
/// nothing but their declared expected violations. These categories sweep
/// at hundreds to thousands of seeds a second; the traffic and replication
/// ones (tens a second at heavy faults) keep the shorter sweep above.
#[test]
fn every_consensus_and_transaction_model_is_clean_over_ten_thousand_seeds() {
    let topics: Vec<&'static TopicInfo> = catalog::topics()
        .iter()
        .copied()
        .filter(|t| matches!(t.category, Category::Consensus | Category::Transactions))
        .collect();
    assert!(topics.len() >= 10, "{} topics", topics.len());
    let halves = topics.split_at(topics.len() / 2);
    std::thread::scope(|scope| {
        for half in [halves.0, halves.1] {
            scope.spawn(move || {
                for topic in half {
                    assert_clean(topic, LONG_CLEAN_SEEDS);
                }
            });
        }
    });
}

/// Seeds of the crash-only sweep of a topic that expects a violation under
/// partitions: with crashes alone the invariant must hold.
const CRASH_ONLY_SEEDS: u64 = 1_000;

/// A violation a topic declares expected (under network partitions) happens
/// within its budget of heavy-fault seeds, and never with crashes alone.
#[test]
fn every_expected_violation_happens_with_partitions_and_never_without() {
    for topic in catalog::topics() {
        if topic.expected.is_empty() {
            continue;
        }
        let mut config = SweepConfig::new(topic, CRASH_ONLY_SEEDS);
        config.faults = FaultLevel::Crashes;
        let report = sweep(&config, |_, _| {}).expect("the sweep runs");
        assert!(
            report.failures.is_empty(),
            "{}: seed {} breaks {} with crashes alone",
            topic.slug,
            report.failures[0].seed,
            report.failures[0].violation
        );
        for expected in topic.expected {
            assert!(
                topic
                    .invariants
                    .iter()
                    .any(|i| i.name == expected.invariant),
                "{}: expects an unknown invariant {}",
                topic.slug,
                expected.invariant
            );
            assert!(!expected.when.is_empty() && !expected.explanation.is_empty());
            let mut config = SweepConfig::new(topic, 1);
            let seen = (0..expected.budget).any(|seed| {
                config.from_seed = seed;
                let report = sweep(&config, |_, _| {}).expect("the sweep runs");
                report
                    .failures
                    .iter()
                    .any(|f| f.violation.invariant == expected.invariant)
            });
            assert!(
                seen,
                "{}: {} never breaks in {} heavy seeds, though expected under {}",
                topic.slug, expected.invariant, expected.budget, expected.when
            );
        }
    }
}

#[test]
fn every_default_link_round_trips_and_builds() {
    for topic in catalog::topics() {
        let scenario = match topic.presets().next() {
            Some(preset) => topic.preset_scenario(preset),
            None => Scenario::new(topic.slug, 1),
        };
        for scenario in [scenario, Scenario::new(topic.slug, 1)] {
            let link = scenario.encode();
            assert_eq!(
                Scenario::decode(&link).as_ref(),
                Ok(&scenario),
                "{}",
                topic.slug
            );
            assert!(
                (topic.build)(&scenario, RunOptions::default()).is_ok(),
                "{}",
                topic.slug
            );
        }
    }
}

#[test]
fn every_topic_is_complete_and_has_golden_hashes() {
    let golden = include_str!("../golden/trace-hashes.txt");
    for topic in catalog::topics() {
        assert!(!topic.summary.is_empty(), "{}", topic.slug);
        assert!(!topic.reference.is_empty(), "{}", topic.slug);
        assert!(!topic.invariants.is_empty(), "{}", topic.slug);
        for spec in topic.params {
            assert!(spec.accepts(spec.default), "{}.{}", topic.slug, spec.name);
        }
        assert!(
            golden.lines().any(|line| line.split(' ').next() == Some(topic.slug)),
            "{} has no golden trace hashes: run DISTLAB_BLESS=1 cargo test -p distlab-tests --test determinism",
            topic.slug
        );
    }
}

#[test]
fn every_topic_resumes_exactly_from_a_snapshot() {
    for topic in catalog::topics() {
        let mut scenario = Scenario::new(topic.slug, 3);
        scenario.faults = FaultLevel::Heavy;
        let mut run = (topic.build)(&scenario, RunOptions::default()).expect("builds");
        let total = {
            let mut probe = (topic.build)(&scenario, RunOptions::default()).expect("builds");
            probe.run_until(Time::from_millis(6_000));
            probe.steps()
        };
        while run.steps() < total / 2 && run.step() {}
        let snapshot = run.fork();
        let mark = run.trace().mark(run.steps());
        while run.steps() < total && run.step() {}
        let straight = run.trace().hash();

        let mut resumed = snapshot.fork();
        let mut trace = std::mem::take(run.trace_mut());
        trace.rewind(&mark);
        *resumed.trace_mut() = trace;
        while resumed.steps() < total && resumed.step() {}
        assert_eq!(resumed.trace().hash(), straight, "{}", topic.slug);
        assert_eq!(resumed.steps(), total, "{}", topic.slug);
    }
}

/// Candidate runs per shrink in the test below: enough to shrink every bug's
/// counterexample a lot, few enough for CI (the README's figures use the full
/// budget of `distlab check --shrink`).
const TRIALS: u32 = 300;

/// One counterexample per bug, shrunk: the result still breaks the same
/// invariant when replayed, is no bigger, and shrinking again from the same
/// input gives the same scenario.
#[test]
fn every_bugs_counterexample_shrinks_and_replays() {
    let mut failures = Vec::new();
    for topic in catalog::topics() {
        for bug in topic.bugs {
            let mut config = SweepConfig::new(topic, 1);
            config.bug = Some(bug.name.to_string());
            let Some(failure) = (0..bug.budget).find_map(|seed| {
                config.from_seed = seed;
                sweep(&config, |_, _| {}).ok()?.failures.into_iter().next()
            }) else {
                continue; // every_bug_is_caught_within_its_budget reports it
            };
            let scenario = config.scenario(failure.seed);
            let shrunk = shrink_with_budget(topic, &scenario, config.until, TRIALS, |_| {})
                .expect("it shrinks");
            let name = format!("{}: {} (seed {})", topic.slug, bug.name, failure.seed);
            if shrunk.violation.invariant != failure.violation.invariant {
                failures.push(format!(
                    "{name}: shrunk to {} instead of {}",
                    shrunk.violation.invariant, failure.violation.invariant
                ));
            }
            let replayed = first_violation(topic, &shrunk.scenario, shrunk.until)
                .expect("the shrunk scenario builds")
                .map(|(violation, _)| violation.invariant);
            if replayed != Some(failure.violation.invariant) {
                failures.push(format!(
                    "{name}: the shrunk scenario replays as {replayed:?}"
                ));
            }
            if shrunk.after.actions > shrunk.before.actions
                || shrunk.after.time > shrunk.before.time
            {
                failures.push(format!(
                    "{name}: grew from {:?} to {:?}",
                    shrunk.before, shrunk.after
                ));
            }
            // The link round-trips, so the page can open exactly this run.
            let link = shrunk.scenario.encode();
            assert_eq!(
                Scenario::decode(&link).as_ref(),
                Ok(&shrunk.scenario),
                "{name}"
            );
            let again = shrink_with_budget(topic, &scenario, config.until, TRIALS, |_| {})
                .expect("it shrinks");
            if again.scenario != shrunk.scenario {
                failures.push(format!("{name}: shrinking twice gave two results"));
            }
            println!(
                "{name}: {} -> {} actions, {} -> {} events, {} -> {}, {} trials",
                shrunk.before.actions,
                shrunk.after.actions,
                shrunk.before.events,
                shrunk.after.events,
                shrunk.before.time,
                shrunk.after.time,
                shrunk.trials
            );
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every bug of a topic that opts in to exploration declares bounds, and is
/// found by the explorer within them (by breadth-first search or, where the
/// bounds ask for them, random walks), by one of the bug's invariants, and its
/// counterexample replays in the simulator; the correct model explores clean
/// within the same bounds.
#[test]
fn every_explorable_bug_is_found_within_its_declared_bounds() {
    use distlab_core::explore::{self, ExploreRequest};
    let mut failures = Vec::new();
    for explorer in explore::EXPLORERS {
        let topic = catalog::find(explorer.slug).expect("an explorer names a topic");
        for bug in topic.bugs {
            let Some(bounds) = (explorer.bug_bounds)(bug.name) else {
                failures.push(format!("{}/{}: no bounds", topic.slug, bug.name));
                continue;
            };
            let request = |bug: Option<&str>| ExploreRequest {
                bounds,
                bug: bug.map(str::to_string),
                jobs: 1,
                symmetry: true,
            };
            let report = (explorer.explore)(&request(Some(bug.name)), &mut |_| true)
                .expect("the explorer runs");
            match report.counterexample {
                Some(found) if bug.caught_by.contains(&found.invariant) && found.replays => {}
                Some(found) => failures.push(format!(
                    "{}/{}: found {} (replays: {})",
                    topic.slug, bug.name, found.invariant, found.replays
                )),
                None => failures.push(format!(
                    "{}/{}: not found in {bounds:?}",
                    topic.slug, bug.name
                )),
            }
            let clean = (explorer.explore)(&request(None), &mut |_| true).expect("runs");
            if let Some(found) = clean.counterexample {
                failures.push(format!(
                    "{}: correct model breaks {}",
                    topic.slug, found.invariant
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
