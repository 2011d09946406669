//! Three-phase commit's behaviour.
