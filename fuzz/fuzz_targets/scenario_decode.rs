//! `Scenario::decode` on arbitrary text: Ok or a clear error, never a panic; a
//! decoded scenario re-encodes to a string that decodes to the same scenario, and
//! building a run from it never panics (bad values are build errors).
#![no_main]

use distlab_core::catalog;
use distlab_core::lab::run::RunOptions;
use distlab_core::lab::scenario::Scenario;
use distlab_core::sim::time::Time;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(scenario) = Scenario::decode(text) {
        assert_eq!(Scenario::decode(&scenario.encode()).as_ref(), Ok(&scenario));
        let options = RunOptions {
            horizon: Time::from_millis(200),
            ..RunOptions::default()
        };
        if let Ok(mut run) = catalog::build(&scenario, options) {
            run.run_until(Time::from_millis(200));
        }
    }
});
