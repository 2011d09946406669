//! Support for the cross-crate tests and measurements: a static file server for the
//! built site and a small WebDriver client for chromedriver (native only).
//!
//! The tests themselves live in `tests/`: determinism across native and wasm,
//! browser tests of the pages (wasm-bindgen-test), and the end-to-end test.

#[cfg(not(target_arch = "wasm32"))]
pub mod serve;
#[cfg(not(target_arch = "wasm32"))]
pub mod site;
#[cfg(not(target_arch = "wasm32"))]
pub mod webdriver;

use distlab_core::lab::run::RunOptions;
use distlab_core::lab::scenario::Scenario;
use distlab_core::lab::topic::{TopicInfo, TopicKind};
use distlab_core::sim::faults::FaultLevel;
use distlab_core::sim::time::Time;

/// The Raft scenarios whose trace hashes are pinned in `golden/raft-trace-hashes.txt`:
/// (seed, fault level, virtual milliseconds).
pub const GOLDEN_RUNS: &[(u64, &str, u64)] = &[
    (1, "none", 3_000),
    (2, "none", 3_000),
    (42, "light", 5_000),
    (7, "heavy", 5_000),
    (2026, "heavy", 5_000),
];

/// `scenario` run for `ms` of virtual time (its seeded plans drawn that far), as
/// `hash events`: what every golden file pins.
fn hashed(scenario: &Scenario, ms: u64) -> String {
    let options = RunOptions {
        horizon: Time::from_millis(ms),
        ..RunOptions::default()
    };
    let mut run = distlab_core::catalog::build(scenario, options).expect("the scenario builds");
    run.run_until(Time::from_millis(ms));
    format!("{:016x} {}", run.trace().hash(), run.trace().events.len())
}

/// The trace hash of each golden run, as `seed faults ms hash events` lines.
pub fn golden_lines() -> String {
    let mut out = String::new();
    for &(seed, faults, ms) in GOLDEN_RUNS {
        let mut scenario = Scenario::new("raft", seed);
        scenario.faults = FaultLevel::parse(faults).expect("a fault level");
        out.push_str(&format!("{seed} {faults} {ms} {}\n", hashed(&scenario, ms)));
    }
    out
}

/// How long each golden run of a topic lasts: protocol runs go on forever, so they
/// stop at a fixed instant; data-structure runs end with their plan.
fn golden_horizon(topic: &TopicInfo) -> u64 {
    match topic.kind {
        TopicKind::Protocol => 4_000,
        TopicKind::DataStructure => 600_000,
    }
}

/// The trace hash of every topic's presets and of two seeded runs (the second with
/// heavy faults), as `slug preset seed faults ms hash events` lines, in catalog
/// order. Pinned in `golden/trace-hashes.txt`.
pub fn topic_golden_lines() -> String {
    let mut out = String::new();
    for topic in distlab_core::catalog::topics() {
        let ms = golden_horizon(topic);
        let mut scenarios: Vec<Scenario> = topic
            .presets()
            .map(|preset| topic.preset_scenario(preset))
            .collect();
        scenarios.push(Scenario::new(topic.slug, 1));
        let mut faulty = Scenario::new(topic.slug, 7);
        faulty.faults = FaultLevel::Heavy;
        scenarios.push(faulty);
        for scenario in scenarios {
            out.push_str(&format!(
                "{} {} {} {} {ms} {}\n",
                topic.slug,
                scenario.preset.as_deref().unwrap_or("-"),
                scenario.seed,
                scenario.faults.as_str(),
                hashed(&scenario, ms)
            ));
        }
    }
    out
}

/// Share links made before the topic platform existed, with every kind of action a
/// person could take then, and the hash of the trace each replays to. Pinned in
/// `golden/links.txt` so old links keep replaying exactly.
pub fn link_golden_lines(links: &[&str]) -> String {
    let mut out = String::new();
    for link in links {
        let scenario = Scenario::decode(link).expect("a pinned link decodes");
        out.push_str(&format!("{link} {}\n", hashed(&scenario, 6_000)));
    }
    out
}
