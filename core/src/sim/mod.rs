//! The deterministic simulator: virtual time, seeded randomness, the event queue,
//! the network with its faults, and the trace.

pub mod rng;
