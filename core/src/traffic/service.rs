//! A service as a queueing station: requests wait in a FIFO queue (bounded or
//! not) for one of `c` workers, each holds its worker for a service time drawn
//! from a [`ServiceTime`], and faults can be injected at any moment.
//!
//! The service is a component, not a node: the node that owns it calls
//! [`Service::on_request`] when a request arrives, sets a timer for each
//! [`Work`] it is told to start, calls [`Service::on_work_done`] when that
//! timer fires, and then [`Service::next`] until it says [`Next::Idle`], to
//! start whatever waited. Every answer is a value, so the node decides what
//! goes on the wire (a reply, an error, silence). `T` is whatever the node
//! needs to answer later (who asked, the request's id).
//!
//! Faults ([`Faults`]): an error rate (a finished request fails with this
//! probability), added latency (every request holds its worker this much
//! longer: a slow dependency, a lock), an outage (nothing is accepted and
//! everything inside is lost), a stall (the service hangs: it still queues
//! requests, up to its limit, but its workers take nothing new until the
//! stall is lifted, as when its own dependency stops answering) and a
//! brown-out (the service runs at a fraction of its capacity: every service
//! time is stretched by its inverse). After lifting a stall, call
//! [`Service::next`] until it says [`Next::Idle`].
//!
//! By default a service works on a request whatever its deadline, as most
//! do: a request its caller gave up on still costs a worker. That is what
//! lets a retry storm keep an overloaded service useless;
//! [`ServiceConfig::drop_expired`] is the fix (skip work nobody waits for).

use std::collections::VecDeque;

use super::distribution::ServiceTime;
use crate::sim::rng::{Rng, PPM};
use crate::sim::time::{Duration, Time};

/// A service's shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServiceConfig {
    /// Workers: requests served at once (`c`).
    pub workers: u32,
    /// The most requests that may wait; `None` for an unbounded queue.
    pub queue_limit: Option<u32>,
    pub service_time: ServiceTime,
    /// Skip, when its turn comes, a request whose deadline has passed.
    pub drop_expired: bool,
}

/// Faults injected into a service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Faults {
    /// Probability, per million, that a finished request fails.
    pub error_ppm: u32,
    /// Added to every service time.
    pub added_latency: Duration,
    /// Nothing is accepted; what was inside is lost.
    pub outage: bool,
    /// Requests are queued but no worker starts one.
    pub stalled: bool,
    /// The fraction of capacity left, per million ([`PPM`] when healthy).
    pub capacity_ppm: u32,
}

impl Faults {
    /// A healthy service.
    pub const NONE: Faults = Faults {
        error_ppm: 0,
        added_latency: Duration::ZERO,
        outage: false,
        stalled: false,
        capacity_ppm: PPM,
    };

    pub fn is_healthy(&self) -> bool {
        *self == Faults::NONE
    }
}

impl Default for Faults {
    fn default() -> Self {
        Faults::NONE
    }
}

/// One request's work on a worker.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WorkId(pub u64);

/// Work the node must time: call [`Service::on_work_done`] with `id` after
/// `after`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Work {
    pub id: WorkId,
    pub after: Duration,
}

/// Why a request was turned away.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rejection {
    /// The queue is at its limit.
    QueueFull,
    /// The service is down.
    Outage,
}

/// What became of an arriving request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Admission<T> {
    /// A worker took it at once.
    Started(Work),
    /// It waits, at this position from the front (1 is next).
    Queued { position: usize },
    /// Turned away; the job is handed back.
    Rejected { job: T, reason: Rejection },
}

/// How a request's work ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    /// The injected error rate failed it.
    Error,
}

/// A request whose work is done.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finished<T> {
    pub job: T,
    pub outcome: Outcome,
    /// When it arrived and when a worker took it, by the service's clock.
    pub arrived_at: Time,
    pub started_at: Time,
}

/// What a free worker does next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Next<T> {
    Started(Work),
    /// The request at the front had expired and was skipped
    /// ([`ServiceConfig::drop_expired`]); ask again.
    Expired(T),
    /// Nothing to start: no free worker or nothing waiting.
    Idle,
}

/// Counts since the service was made (kept across crashes, for views).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ServiceStats {
    pub arrived: u64,
    pub rejected: u64,
    pub started: u64,
    pub finished: u64,
    pub errors: u64,
    pub expired: u64,
    /// Requests lost inside the service to an outage or a crash.
    pub lost: u64,
}

#[derive(Clone, Debug)]
struct Waiting<T> {
    job: T,
    arrived_at: Time,
    deadline: Option<Time>,
}

#[derive(Clone, Debug)]
struct InService<T> {
    id: WorkId,
    job: T,
    arrived_at: Time,
    started_at: Time,
}

/// A queue and a pool of workers.
#[derive(Clone, Debug)]
pub struct Service<T> {
    config: ServiceConfig,
    faults: Faults,
    queue: VecDeque<Waiting<T>>,
    in_service: Vec<InService<T>>,
    next_work: u64,
    stats: ServiceStats,
}

impl<T> Service<T> {
    pub fn new(config: ServiceConfig) -> Self {
        Service {
            config,
            faults: Faults::NONE,
            queue: VecDeque::new(),
            in_service: Vec::new(),
            next_work: 0,
            stats: ServiceStats::default(),
        }
    }

    pub fn config(&self) -> &ServiceConfig {
        &self.config
    }

    pub fn faults(&self) -> Faults {
        self.faults
    }

    pub fn stats(&self) -> ServiceStats {
        self.stats
    }

    /// Requests waiting.
    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    /// Workers busy.
    pub fn busy(&self) -> usize {
        self.in_service.len()
    }

    /// Requests inside: waiting or being served (the L of Little's law).
    pub fn in_system(&self) -> usize {
        self.queue.len() + self.in_service.len()
    }

    /// A request arrives at `now`; `deadline` is when its sender stops waiting.
    pub fn on_request(
        &mut self,
        now: Time,
        job: T,
        deadline: Option<Time>,
        rng: &mut Rng,
    ) -> Admission<T> {
        self.stats.arrived += 1;
        if self.faults.outage {
            self.stats.rejected += 1;
            return Admission::Rejected {
                job,
                reason: Rejection::Outage,
            };
        }
        if self.in_service.len() < self.config.workers as usize && !self.faults.stalled {
            return Admission::Started(self.start(now, job, now, rng));
        }
        if let Some(limit) = self.config.queue_limit {
            if self.queue.len() >= limit as usize {
                self.stats.rejected += 1;
                return Admission::Rejected {
                    job,
                    reason: Rejection::QueueFull,
                };
            }
        }
        self.queue.push_back(Waiting {
            job,
            arrived_at: now,
            deadline,
        });
        Admission::Queued {
            position: self.queue.len(),
        }
    }

    /// The timer of `work` fired at `now`: the request is done (or failed by
    /// the error rate). `None` if that work was lost to an outage or a crash.
    /// Then call [`Service::next`] for the freed worker.
    pub fn on_work_done(&mut self, now: Time, work: WorkId, rng: &mut Rng) -> Option<Finished<T>> {
        let _ = now;
        let at = self.in_service.iter().position(|w| w.id == work)?;
        let done = self.in_service.swap_remove(at);
        self.stats.finished += 1;
        let outcome = if rng.chance_ppm(self.faults.error_ppm) {
            self.stats.errors += 1;
            Outcome::Error
        } else {
            Outcome::Ok
        };
        Some(Finished {
            job: done.job,
            outcome,
            arrived_at: done.arrived_at,
            started_at: done.started_at,
        })
    }

    /// Gives a free worker the request at the front of the queue.
    pub fn next(&mut self, now: Time, rng: &mut Rng) -> Next<T> {
        if self.in_service.len() >= self.config.workers as usize
            || self.faults.outage
            || self.faults.stalled
        {
            return Next::Idle;
        }
        let Some(waiting) = self.queue.pop_front() else {
            return Next::Idle;
        };
        if self.config.drop_expired && waiting.deadline.is_some_and(|d| now >= d) {
            self.stats.expired += 1;
            return Next::Expired(waiting.job);
        }
        Next::Started(self.start(now, waiting.job, waiting.arrived_at, rng))
    }

    /// Injects `faults` from now on. An outage loses everything inside;
    /// returns how many requests it lost.
    pub fn set_faults(&mut self, faults: Faults) -> usize {
        self.faults = faults;
        if faults.outage {
            self.lose_everything()
        } else {
            0
        }
    }

    /// The process crashed: the queue and the work in progress are gone
    /// (their timers die with the node; a late one finds nothing).
    pub fn on_crash(&mut self) {
        self.lose_everything();
    }

    fn lose_everything(&mut self) -> usize {
        let lost = self.queue.len() + self.in_service.len();
        self.stats.lost += lost as u64;
        self.queue.clear();
        self.in_service.clear();
        lost
    }

    fn start(&mut self, now: Time, job: T, arrived_at: Time, rng: &mut Rng) -> Work {
        let base = self.config.service_time.sample(rng).as_micros();
        // A brown-out at capacity f stretches every service time by 1/f
        // (floored at 1%, so a service is never infinitely slow).
        let capacity = u64::from(self.faults.capacity_ppm.clamp(PPM / 100, PPM));
        let stretched = base.saturating_mul(u64::from(PPM)) / capacity;
        let after = Duration(stretched.saturating_add(self.faults.added_latency.as_micros()));
        self.next_work += 1;
        let id = WorkId(self.next_work);
        self.in_service.push(InService {
            id,
            job,
            arrived_at,
            started_at: now,
        });
        self.stats.started += 1;
        Work { id, after }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn constant(ms: u64, workers: u32, queue_limit: Option<u32>) -> Service<u32> {
        Service::new(ServiceConfig {
            workers,
            queue_limit,
            service_time: ServiceTime::Constant(Duration::from_millis(ms)),
            drop_expired: false,
        })
    }

    fn started<T: std::fmt::Debug>(admission: Admission<T>) -> Work {
        match admission {
            Admission::Started(work) => work,
            other => panic!("not started: {other:?}"),
        }
    }

    #[test]
    fn workers_then_queue_then_rejection() {
        let mut rng = Rng::new(1);
        let mut service = constant(10, 2, Some(1));
        let t = Time::ZERO;
        let a = started(service.on_request(t, 1, None, &mut rng));
        let _b = started(service.on_request(t, 2, None, &mut rng));
        assert_eq!(a.after, Duration::from_millis(10));
        assert_eq!(
            service.on_request(t, 3, None, &mut rng),
            Admission::Queued { position: 1 }
        );
        assert_eq!(
            service.on_request(t, 4, None, &mut rng),
            Admission::Rejected {
                job: 4,
                reason: Rejection::QueueFull
            }
        );
        assert_eq!(
            (service.busy(), service.queued(), service.in_system()),
            (2, 1, 3)
        );
        let done = service
            .on_work_done(Time::from_millis(10), a.id, &mut rng)
            .expect("work a is in service");
        assert_eq!((done.job, done.outcome), (1, Outcome::Ok));
        assert!(matches!(
            service.next(Time::from_millis(10), &mut rng),
            Next::Started(_)
        ));
        assert_eq!(service.next(Time::from_millis(10), &mut rng), Next::Idle);
        // Unknown work is nothing, not a panic.
        assert!(service.on_work_done(t, WorkId(99), &mut rng).is_none());
    }

    #[test]
    fn faults_error_slow_down_and_stop_the_service() {
        let mut rng = Rng::new(2);
        let mut service = constant(10, 1, None);
        service.set_faults(Faults {
            capacity_ppm: PPM / 4,
            added_latency: Duration::from_millis(5),
            error_ppm: PPM,
            ..Faults::NONE
        });
        let work = started(service.on_request(Time::ZERO, 7, None, &mut rng));
        assert_eq!(work.after, Duration::from_millis(45));
        let done = service.on_work_done(Time::ZERO, work.id, &mut rng).unwrap();
        assert_eq!(done.outcome, Outcome::Error);
        assert_eq!(service.stats().errors, 1);
        service.set_faults(Faults::NONE);
        let lost = started(service.on_request(Time::ZERO, 8, None, &mut rng));
        service.on_request(Time::ZERO, 9, None, &mut rng);
        let outage = Faults {
            outage: true,
            ..Faults::NONE
        };
        assert_eq!(service.set_faults(outage), 2);
        assert!(matches!(
            service.on_request(Time::ZERO, 10, None, &mut rng),
            Admission::Rejected {
                reason: Rejection::Outage,
                ..
            }
        ));
        assert!(service
            .on_work_done(Time::ZERO, lost.id, &mut rng)
            .is_none());
        assert_eq!(service.stats().lost, 2);
    }

    #[test]
    fn a_stalled_service_queues_and_resumes() {
        let mut rng = Rng::new(4);
        let mut service = constant(10, 1, Some(2));
        service.set_faults(Faults {
            stalled: true,
            ..Faults::NONE
        });
        assert_eq!(
            service.on_request(Time::ZERO, 1, None, &mut rng),
            Admission::Queued { position: 1 }
        );
        service.on_request(Time::ZERO, 2, None, &mut rng);
        assert!(matches!(
            service.on_request(Time::ZERO, 3, None, &mut rng),
            Admission::Rejected {
                reason: Rejection::QueueFull,
                ..
            }
        ));
        assert_eq!(service.next(Time::ZERO, &mut rng), Next::Idle);
        assert_eq!(service.set_faults(Faults::NONE), 0);
        assert!(matches!(
            service.next(Time::ZERO, &mut rng),
            Next::Started(_)
        ));
        assert_eq!((service.busy(), service.queued()), (1, 1));
    }

    #[test]
    fn expired_requests_are_skipped_only_when_asked() {
        let mut rng = Rng::new(3);
        for drop_expired in [false, true] {
            let mut service = Service::new(ServiceConfig {
                workers: 1,
                queue_limit: None,
                service_time: ServiceTime::Constant(Duration::from_millis(10)),
                drop_expired,
            });
            let first = started(service.on_request(Time::ZERO, 1, None, &mut rng));
            service.on_request(Time::ZERO, 2, Some(Time::from_millis(5)), &mut rng);
            service.on_work_done(Time::from_millis(10), first.id, &mut rng);
            let next = service.next(Time::from_millis(10), &mut rng);
            if drop_expired {
                assert_eq!(next, Next::Expired(2));
            } else {
                assert!(matches!(next, Next::Started(_)));
            }
        }
    }
}
