//! Reusable drawings and panels. Each takes plain data (layouts, tables, reports)
//! and callbacks; none knows which topic it shows.

pub mod chart;
pub mod cluster;
pub mod controls;
pub mod event_log;
pub mod invariants;
pub mod narration;
pub mod state_table;
pub mod timeline;
