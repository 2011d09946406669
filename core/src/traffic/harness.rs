//! A minimal event loop for the traffic module's own tests: open-loop
//! arrivals into one [`Service`], with no network between them, so the
//! queueing formulas can be checked against the model alone (and its speed
//! measured). The topics drive the service from their nodes instead.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::clients::{Arrivals, OpenLoop};
use super::service::{Admission, Next, Service, ServiceConfig, WorkId};
use super::sketch::LatencySketch;
use crate::sim::rng::Rng;
use crate::sim::time::Time;

/// What a run measured, in seconds.
#[derive(Clone, Copy, Debug)]
pub struct Measured {
    pub completed: u64,
    /// W: mean time from arrival to completion.
    pub mean_response: f64,
    /// L: the time average of the number in the system.
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
    Done(WorkId),
}

/// Sends `requests` open-loop requests into a service of `config` and runs
/// until the last one is done.
pub fn run_open_loop(
    config: ServiceConfig,
    arrivals: Arrivals,
    requests: u64,
    seed: u64,
) -> Measured {
    let mut rng = Rng::new(seed);
    let source = OpenLoop::new(arrivals);
    let mut service: Service<Time> = Service::new(config);
    let mut events = BinaryHeap::new();
    let mut sequence = 0u64;
    let mut push = |events: &mut BinaryHeap<_>, at: Time, event: Event| {
        sequence += 1;
        events.push(Reverse((at, sequence, event)));
    };
    if let Some(first) = source.next_arrival(Time::ZERO, &mut rng) {
        push(&mut events, first, Event::Arrival);
    }
    let (mut sent, mut completed) = (0u64, 0u64);
    let mut response_sum = 0u128;
    // ∫ N(t) dt in request-microseconds.
    let mut area = 0u128;
    let mut last = Time::ZERO;
    let mut sketch = LatencySketch::default();
    while let Some(Reverse((now, _, event))) = events.pop() {
        area += service.in_system() as u128 * u128::from(now.since(last).as_micros());
        last = now;
        match event {
            Event::Arrival => {
                sent += 1;
                if sent < requests {
                    if let Some(next) = source.next_arrival(now, &mut rng) {
                        push(&mut events, next, Event::Arrival);
                    }
                }
                if let Admission::Started(work) = service.on_request(now, now, None, &mut rng) {
                    push(&mut events, now.after(work.after), Event::Done(work.id));
                }
            }
            Event::Done(work) => {
                if let Some(done) = service.on_work_done(now, work, &mut rng) {
                    completed += 1;
                    let response = now.since(done.job);
                    response_sum += u128::from(response.as_micros());
                    sketch.record_duration(response);
                }
                while let Next::Started(work) = service.next(now, &mut rng) {
                    push(&mut events, now.after(work.after), Event::Done(work.id));
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
