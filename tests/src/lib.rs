//! Support for the cross-crate tests and measurements: a static file server for the
//! built site and a small WebDriver client for chromedriver (native only).
//!
//! The tests themselves live in `tests/`: determinism across native and wasm,
//! browser tests of the pages (wasm-bindgen-test), and the end-to-end test.

#[cfg(not(target_arch = "wasm32"))]
pub mod serve;
#[cfg(not(target_arch = "wasm32"))]
pub mod webdriver;

/// The scenarios whose trace hashes are pinned in `golden/raft-trace-hashes.txt`:
/// (seed, fault level, virtual milliseconds).
pub const GOLDEN_RUNS: &[(u64, &str, u64)] = &[
    (1, "none", 3_000),
    (2, "none", 3_000),
    (42, "light", 5_000),
    (7, "heavy", 5_000),
    (2026, "heavy", 5_000),
];

/// The trace hash of each golden run, as `seed faults ms hash` lines.
pub fn golden_lines() -> String {
    use distlab_core::run::RunOptions;
    use distlab_core::scenario::{FaultLevel, Scenario};
    use distlab_core::sim::time::Time;
    let mut out = String::new();
    for &(seed, faults, ms) in GOLDEN_RUNS {
        let mut scenario = Scenario::new("raft", seed);
        scenario.faults = FaultLevel::parse(faults).expect("a fault level");
        let options = RunOptions {
            horizon: Time::from_millis(ms),
            ..RunOptions::default()
        };
        let mut run = distlab_core::catalog::build(&scenario, options).expect("raft builds");
        run.run_until(Time::from_millis(ms));
        out.push_str(&format!(
            "{seed} {faults} {ms} {:016x} {}\n",
            run.trace().hash(),
            run.trace().events.len()
        ));
    }
    out
}
