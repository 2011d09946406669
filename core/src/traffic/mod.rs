//! Traffic: the shared machinery of the resilience topics (circuit breaker,
//! rate limiting, backpressure, partial failures, service mesh, push), built
//! once and owned by any protocol topic's nodes.
//!
//! Everything here is plain sans-IO Rust in the style of quinn-proto: a
//! component takes the node's time and RNG as arguments and returns what
//! should happen (start work for so long, reject, finish with an error) as
//! values; the node that owns it turns those into sends and timers. So several
//! topics share it without sharing node types.
//!
//! - [`request`]: what travels: request ids, deadlines and trace context (a
//!   trace id and the parent span id, as W3C Trace Context carries them).
//! - [`distribution`]: service times (constant, exponential, log-normal,
//!   bimodal with a slow tail), sampled from the node's seeded RNG with
//!   portable arithmetic, so a seed gives the same trace natively and in wasm.
//! - [`service`]: a service with a queue (bounded or not), a pool of `c`
//!   workers and injectable faults (error rate, added latency, outage,
//!   brown-out).
//! - [`clients`]: open-loop arrivals (Poisson, bursty on-off) and closed-loop
//!   users with think time.
//! - [`sketch`]: a DDSketch latency histogram (relative error α on every
//!   quantile, mergeable).
//! - [`plots`]: the latency plot every page draws (p50, p90, p99 and p99.9
//!   of each second, one line per quantile).
//! - [`queueing`]: the ground truth the model is tested against: Little's law
//!   and the M/M/1 and M/M/c (Erlang C) formulas.
//! - [`harness`]: an event loop of services alone (one, or tiers in tandem),
//!   for those formulas and for measuring the model's speed.

pub mod clients;
pub mod distribution;
pub mod plots;
pub mod queueing;
pub mod request;
pub mod service;
pub mod sketch;

pub mod harness;
