//! Two-phase commit behaviour.
