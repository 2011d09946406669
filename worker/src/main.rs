//! A route's worker bundle: the topic named by `DISTLAB_BUNDLE` when this binary is
//! compiled (`distlab-site` sets it) and the hunt and shrink of
//! `distlab_core::lab::hunt`, with no page code. The page's Hunt panel starts it in
//! a Web Worker only when a person hunts or shrinks, so a route's first load never
//! downloads it. Without `DISTLAB_BUNDLE` it carries every topic.

use distlab_core::catalog;
use distlab_core::explore;
use distlab_core::lab::hunt;
use distlab_core::lab::topic::TopicInfo;
use distlab_core::sim::time::Time;
use wasm_bindgen::prelude::*;

static TOPICS: &[&TopicInfo] = catalog::topics_of_module(match option_env!("DISTLAB_BUNDLE") {
    Some(module) => module,
    None => "",
});

/// The explorer of the same topic, if it can be explored.
static EXPLORERS: &[explore::Explorer] =
    explore::explorers_of_module(match option_env!("DISTLAB_BUNDLE") {
        Some(module) => module,
        None => "",
    });

fn main() {}

/// Seeds `from..from + count` of the scenario `link` with `faults` drawn from each:
/// one `found` line per failing seed (see `distlab_core::lab::hunt`).
#[wasm_bindgen]
pub fn distlab_hunt(link: &str, from: u32, count: u32, faults: &str) -> String {
    hunt::hunt_lines(TOPICS, link, u64::from(from), u64::from(count), faults)
}

/// Shrinks the run of `link` up to `until_micros`, calling `progress` with each
/// `stage` line; returns the result's lines.
#[wasm_bindgen]
pub fn distlab_shrink(link: &str, until_micros: f64, progress: &js_sys::Function) -> String {
    let until = Time(until_micros.max(0.0) as u64);
    hunt::shrink_lines(TOPICS, link, until, |line| {
        let _ = progress.call1(&JsValue::NULL, &JsValue::from_str(line));
    })
}

/// Explores the topic and bug of `link` to `depth` steps, calling `progress` with
/// each `explored` line; returns the result's line (see
/// `distlab_core::explore::lines`).
#[wasm_bindgen]
pub fn distlab_explore(link: &str, depth: u32, progress: &js_sys::Function) -> String {
    explore::lines::explore_lines(EXPLORERS, link, depth, |line| {
        let _ = progress.call1(&JsValue::NULL, &JsValue::from_str(line));
    })
}

/// Shrinks the hunt's failing seeds `failures` (`SEED MICROS` pairs) over `link`
/// as `distlab check --shrink` does, calling `progress` with each `stage` line.
#[wasm_bindgen]
pub fn distlab_shrink_smallest(
    link: &str,
    failures: &str,
    faults: &str,
    progress: &js_sys::Function,
) -> String {
    hunt::shrink_smallest_lines(TOPICS, link, failures, faults, |line| {
        let _ = progress.call1(&JsValue::NULL, &JsValue::from_str(line));
    })
}
