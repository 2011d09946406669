//! Reusable drawings and panels. Each takes plain data (layouts, tables, reports)
//! and callbacks; none knows which topic it shows.

pub mod bars;
pub mod bits;
pub mod chart;
pub mod cluster;
pub mod controls;
pub mod event_log;
pub mod field;
pub mod gorilla_bits;
pub mod hash_tree;
pub mod invariants;
pub mod narration;
pub mod ring;
pub mod skip_lanes;
pub mod state_table;
pub mod timeline;
