//! A minimal event loop for measuring the service model alone: open-loop
//! arrivals into one [`Service`] or a line of them (tiers in tandem: a
//! request done at one tier joins the next tier's queue), with no network
//! between them. The queueing formulas are checked against it, and its speed
//! is measured natively and in wasm. The topics drive services from their
//! nodes instead.
//!
//! Tandem, not nested calls: a tier's worker is free as soon as it hands the
//! request on, so with exponential service each tier is its own M/M/c and
//! (by Burke's theorem) the mean response of the line is the sum of theirs.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::clients::{Arrivals, OpenLoop};
use super::distribution::ServiceTime;
use super::service::{Admission, Next, Service, ServiceConfig, WorkId};
use super::sketch::LatencySketch;
use crate::sim::rng::Rng;
use crate::sim::time::{Duration, Time};

/// What a run measured, in seconds.
#[derive(Clone, Copy, Debug)]
pub struct Measured {
    pub completed: u64,
    /// W: mean time from arrival at the first tier to completion at the last.
    pub mean_response: f64,
    /// L: the time average of the number in the system (every tier).
    pub mean_in_system: f64,
    /// λ: completions per second over the run.
    pub arrival_rate: f64,
    /// The run's virtual length.
    pub duration: f64,
    pub p99_ms: f64,
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    Arrival,
    Done { tier: usize, work: WorkId },
}

/// A service of `workers` with exponential service times of `mean_ms` and an
/// unbounded queue: an M/M/c station when its arrivals are Poisson.
pub fn exponential_service(mean_ms: u64, workers: u32) -> ServiceConfig {
    ServiceConfig {
        workers,
        queue_limit: None,
        service_time: ServiceTime::Exponential {
            mean: Duration::from_millis(mean_ms),
        },
        drop_expired: false,
    }
}

/// The speed benchmark the README quotes natively and in wasm (both call
/// this): 10,000 requests per second of virtual time, open loop (Poisson),
/// through three tiers of 16 workers with exponential service of 1 ms mean
/// (each tier 62.5% busy), every response recorded in a latency sketch.
pub fn three_tier_benchmark(requests: u64, seed: u64) -> Measured {
    let tier = exponential_service(1, 16);
    run_open_loop_through(
        &[tier, tier, tier],
        Arrivals::Poisson { per_second: 10_000 },
        requests,
        seed,
    )
}

/// Sends `requests` open-loop requests into a service of `config` and runs
/// until the last one is done.
pub fn run_open_loop(
    config: ServiceConfig,
    arrivals: Arrivals,
    requests: u64,
    seed: u64,
) -> Measured {
    run_open_loop_through(&[config], arrivals, requests, seed)
}

/// Sends `requests` open-loop requests through `tiers` in turn and runs until
/// the last one leaves the last tier. Each request keeps its first arrival
/// time as its job, so the response measured is end to end.
pub fn run_open_loop_through(
    tiers: &[ServiceConfig],
    arrivals: Arrivals,
    requests: u64,
    seed: u64,
) -> Measured {
    let mut rng = Rng::new(seed);
    let source = OpenLoop::new(arrivals);
    let mut services: Vec<Service<Time>> = tiers.iter().cloned().map(Service::new).collect();
    let mut events = BinaryHeap::new();
    let mut sequence = 0u64;
    let mut push = |events: &mut BinaryHeap<_>, at: Time, event: Event| {
        sequence += 1;
        events.push(Reverse((at, sequence, event)));
    };
    if services.is_empty() {
        return Measured {
            completed: 0,
            mean_response: 0.0,
            mean_in_system: 0.0,
            arrival_rate: 0.0,
            duration: 0.0,
            p99_ms: 0.0,
        };
    }
    if let Some(first) = source.next_arrival(Time::ZERO, &mut rng) {
        push(&mut events, first, Event::Arrival);
    }
    let last_tier = services.len() - 1;
    let (mut sent, mut completed) = (0u64, 0u64);
    let mut response_sum = 0u128;
    // ∫ N(t) dt in request-microseconds, N counted over every tier.
    let mut area = 0u128;
    let mut in_system = 0usize;
    let mut last = Time::ZERO;
    let mut sketch = LatencySketch::default();
    while let Some(Reverse((now, _, event))) = events.pop() {
        area += in_system as u128 * u128::from(now.since(last).as_micros());
        last = now;
        match event {
            Event::Arrival => {
                sent += 1;
                in_system += 1;
                if sent < requests {
                    if let Some(next) = source.next_arrival(now, &mut rng) {
                        push(&mut events, next, Event::Arrival);
                    }
                }
                match services[0].on_request(now, now, None, &mut rng) {
                    Admission::Started(work) => push(
                        &mut events,
                        now.after(work.after),
                        Event::Done {
                            tier: 0,
                            work: work.id,
                        },
                    ),
                    Admission::Queued { .. } => {}
                    Admission::Rejected { .. } => in_system -= 1,
                }
            }
            Event::Done { tier, work } => {
                if let Some(done) = services[tier].on_work_done(now, work, &mut rng) {
                    if tier == last_tier {
                        completed += 1;
                        in_system -= 1;
                        let response = now.since(done.job);
                        response_sum += u128::from(response.as_micros());
                        sketch.record_duration(response);
                    } else {
                        match services[tier + 1].on_request(now, done.job, None, &mut rng) {
                            Admission::Started(next) => push(
                                &mut events,
                                now.after(next.after),
                                Event::Done {
                                    tier: tier + 1,
                                    work: next.id,
                                },
                            ),
                            Admission::Queued { .. } => {}
                            Admission::Rejected { .. } => in_system -= 1,
                        }
                    }
                }
                while let Next::Started(next) = services[tier].next(now, &mut rng) {
                    push(
                        &mut events,
                        now.after(next.after),
                        Event::Done {
                            tier,
                            work: next.id,
                        },
                    );
                }
            }
        }
    }
    let duration = last.as_micros() as f64 / 1e6;
    Measured {
        completed,
        mean_response: response_sum as f64 / completed.max(1) as f64 / 1e6,
        mean_in_system: area as f64 / last.as_micros().max(1) as f64,
        arrival_rate: completed as f64 / duration,
        duration,
        p99_ms: sketch.quantile(0.99).unwrap_or(0.0),
    }
}
