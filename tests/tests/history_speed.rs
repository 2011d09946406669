//! The linearizability checker in WebAssembly, on the histories the native
//! benchmark (`cargo bench -p distlab-core --bench history`) uses: 5 processes,
//! 10 keys, 1,000 / 10,000 / 100,000 operations. It asserts the verdicts and
//! prints the time per check for the README's side-by-side figures; it does not
//! judge the times. Run with `-- --nocapture` to see them:
//!
//! `cargo test -p distlab-tests --target wasm32-unknown-unknown --test history_speed -- --nocapture`
#![cfg(target_arch = "wasm32")]

use distlab_core::history::generate::{linearizable_history, GenerateOptions};
use distlab_core::history::{check, Verdict};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn generated_histories_check_linearizable_in_webassembly() {
    for operations in [1_000, 10_000, 100_000] {
        let options = GenerateOptions {
            operations,
            ..GenerateOptions::default()
        };
        let history = linearizable_history(7, &options);
        // Repeat small sizes so the clock's millisecond steps do not dominate.
        let started = js_sys::Date::now();
        let mut checks = 0u32;
        while checks == 0 || js_sys::Date::now() - started < 300.0 {
            assert!(
                matches!(check(&history), Verdict::Linearizable(_)),
                "{operations} operations"
            );
            checks += 1;
        }
        let per_check = (js_sys::Date::now() - started) / f64::from(checks);
        console_log!(
            "history check, wasm: {operations} operations in {per_check:.2} ms ({checks} runs)"
        );
    }
}
