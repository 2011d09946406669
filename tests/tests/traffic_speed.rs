//! How fast the traffic topics simulate in WebAssembly, on the same code the
//! native figures run (`traffic::harness::three_tier_benchmark` and
//! `distributed_tracing::benchmark_spans`), for the README's side-by-side
//! figures. It asserts what the runs produced, not how long they took. Run
//! with `-- --nocapture` to see the times:
//!
//! `cargo test --release -p distlab-tests --target wasm32-unknown-unknown --test traffic_speed -- --nocapture`
#![cfg(target_arch = "wasm32")]

use distlab_core::topics::distributed_tracing::benchmark_spans;
use distlab_core::traffic::harness::three_tier_benchmark;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// CI runs the browser tests unoptimised, where the full sizes take long;
/// the figures come from `--release`.
const SCALE: u64 = if cfg!(debug_assertions) { 10 } else { 1 };

#[wasm_bindgen_test]
fn requests_through_three_tiers_in_webassembly() {
    let requests = 1_000_000 / SCALE;
    let started = js_sys::Date::now();
    let measured = three_tier_benchmark(requests, 5);
    let seconds = (js_sys::Date::now() - started) / 1e3;
    assert_eq!(measured.completed, requests);
    // 62.5% busy tiers of 1 ms: the end-to-end mean is a few milliseconds.
    assert!(measured.mean_response > 0.003 && measured.mean_response < 0.01);
    console_log!(
        "three tiers, wasm: {requests} requests ({:.0} s of virtual time at 10,000/s) in \
         {seconds:.3} s: {:.0} requests per second; mean response {:.3} ms, p99 {:.3} ms",
        measured.duration,
        requests as f64 / seconds,
        measured.mean_response * 1e3,
        measured.p99_ms,
    );
}

#[wasm_bindgen_test]
fn tracing_spans_in_webassembly() {
    let started = js_sys::Date::now();
    let seeds = 80 / SCALE;
    let spans = benchmark_spans(1..seeds + 1);
    let seconds = (js_sys::Date::now() - started) / 1e3;
    assert!(spans > 1_000 * seeds, "{spans} spans");
    console_log!(
        "distributed tracing, wasm: {spans} spans over {seeds} heavy seeds in {seconds:.2} s: \
         {:.0} spans per second",
        spans as f64 / seconds
    );
}
