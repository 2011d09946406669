//! Reusable drawings and panels. Each takes plain data (layouts, tables, reports)
//! and callbacks; none knows which topic it shows.

pub mod bars;
pub mod bits;
pub mod chart;
pub mod clock_control;
pub mod cluster;
pub mod cluster_canvas;
pub mod controls;
pub mod event_log;
pub mod field;
pub mod gorilla_bits;
pub mod hash_tree;
pub mod history;
pub mod hunt;
pub mod invariants;
pub mod machine;
pub mod matrix;
pub mod narration;
pub mod plot;
pub mod ring;
pub mod signals;
pub mod skip_lanes;
pub mod state_table;
pub mod swimlanes;
pub mod timeline;
pub mod topic_charts;

use yew::prelude::*;

/// A keyboard handler that does what a click does, on Enter or Space: for the
/// parts of a drawing a person can click (nodes, links, leaves), which are
/// focusable buttons too.
pub fn activate(on: Callback<()>) -> Callback<KeyboardEvent> {
    Callback::from(move |event: KeyboardEvent| {
        if matches!(event.key().as_str(), "Enter" | " ") {
            event.prevent_default();
            on.emit(());
        }
    })
}
