//! A host of one service, instrumented the RED way (Tom Wilkie's Rate,
//! Errors, Duration): it serves calls with a [`Service`] (a queue and four
//! workers), counts requests and errors in monotonic counters, records each
//! request's duration in a DDSketch and exactly, writes a structured log line
//! per request with its trace id into a bounded ring, and at the end of each
//! interval pushes the interval's metrics to the monitor.
//!
//! Counters, as a process's metrics do, start again at zero when the host
//! restarts; the report says which boot it comes from, so the monitor can
//! tell a reset from a decrease (Prometheus's `rate()` does the same from the
//! drop alone).

use crate::decimal::decimal;
use crate::sim::node::{Cx, Labelled};
use crate::sim::time::{Duration, NodeId, Time};
use crate::sim::view::{Cell, NodeSummary, Palette};
use crate::traffic::distribution::ServiceTime;
use crate::traffic::request::Request;
use crate::traffic::service::{
    Admission, Faults, Finished, Next, Outcome, Service, ServiceConfig, WorkId,
};
use crate::traffic::sketch::LatencySketch;

use super::message::{
    bucket_of, short_trace, Exemplar, HostOp, ObservabilityMessage, ObservabilityTimer, Report,
    ServiceName, BUCKETS, MONITOR, SAMPLE_LIMIT,
};
use super::process::ObservabilityProcess;
use super::slo::INTERVAL;

/// Requests that fail when nothing is injected: 200 per million (0.02%, a
/// burn rate of 0.2), so a healthy service spends a little budget.
pub const BASE_ERROR_PPM: u32 = 200;

/// Log lines a host keeps: the newest, as a bounded ring buffer does (at
/// 300 requests a second to its service, its last third of a second).
pub const LOG_LINES: usize = 64;

/// The most requests a host lets wait; beyond, it answers 503 at once.
const QUEUE_LIMIT: u32 = 64;

/// One structured log line: what a request did, with its trace id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogLine {
    pub at: Time,
    pub trace_id: u64,
    /// The host's span of the trace (its parent is the client's).
    pub span_id: u64,
    pub status: u16,
    pub micros: u64,
}

impl LogLine {
    pub fn render(&self) -> String {
        format!(
            "status={} dur={}.{}ms trace={} span={:x}",
            self.status,
            self.micros / 1_000,
            self.micros / 100 % 10,
            short_trace(self.trace_id),
            self.span_id
        )
    }
}

/// What the host measured over the current interval.
#[derive(Clone, Debug, PartialEq)]
struct IntervalStats {
    sketch: LatencySketch,
    sample: Vec<u64>,
    truncated: bool,
    buckets: [u64; BUCKETS],
    bucket_exemplars: [Option<Exemplar>; BUCKETS],
    requests: u64,
    errors: u64,
}

impl IntervalStats {
    fn new(alpha: f64) -> Self {
        IntervalStats {
            sketch: LatencySketch::new(alpha),
            sample: Vec::new(),
            truncated: false,
            buckets: [0; BUCKETS],
            bucket_exemplars: [None; BUCKETS],
            requests: 0,
            errors: 0,
        }
    }
}

/// The host's own RED figures for its last full interval (its row).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct LastInterval {
    requests: u64,
    errors: u64,
    p50: Option<f64>,
    p99: Option<f64>,
}

/// A call waiting for, or holding, a worker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Job {
    pub from: NodeId,
    pub request: Request,
}

/// A host.
#[derive(Clone, Debug)]
pub struct Host {
    id: NodeId,
    service: ServiceName,
    alpha: f64,
    server: Service<Job>,
    healthy: Faults,
    /// Boots so far (durable: a boot id outlives the process).
    boots: u32,
    /// What it really answered since it was made, across restarts: the
    /// ground truth the checker holds the monitor's counters to.
    answered_ever: u64,
    errors_ever: u64,
    /// Injected faults, for the timeline: (from, to, what).
    incidents: Vec<(Time, Option<Time>, HostOp)>,
    // Volatile: lost in a crash.
    seq: u64,
    requests_total: u64,
    errors_total: u64,
    spans: u64,
    interval: IntervalStats,
    last: LastInterval,
    logs: Vec<LogLine>,
}

/// The shape of each service's hosts.
fn service_time(service: ServiceName) -> ServiceTime {
    match service {
        ServiceName::Frontend => ServiceTime::LogNormal {
            median: Duration::from_millis(6),
            sigma_milli: 400,
        },
        // Mostly fast, with 3% of requests on a slow path (a cache miss).
        ServiceName::Search => ServiceTime::Bimodal {
            fast_mean: Duration::from_millis(4),
            slow_mean: Duration::from_millis(60),
            slow_ppm: 30_000,
        },
        ServiceName::Payments => ServiceTime::LogNormal {
            median: Duration::from_millis(15),
            sigma_milli: 600,
        },
    }
}

impl Host {
    pub fn new(id: NodeId, service: ServiceName, alpha: f64) -> Self {
        let mut server = Service::new(ServiceConfig {
            workers: 4,
            queue_limit: Some(QUEUE_LIMIT),
            service_time: service_time(service),
            drop_expired: false,
        });
        let healthy = Faults {
            error_ppm: BASE_ERROR_PPM,
            ..Faults::NONE
        };
        server.set_faults(healthy);
        Host {
            id,
            service,
            alpha,
            server,
            healthy,
            boots: 0,
            answered_ever: 0,
            errors_ever: 0,
            incidents: Vec::new(),
            seq: 0,
            requests_total: 0,
            errors_total: 0,
            spans: 0,
            interval: IntervalStats::new(alpha),
            last: LastInterval::default(),
            logs: Vec::new(),
        }
    }

    pub fn service(&self) -> ServiceName {
        self.service
    }

    /// Requests answered and errors since the host was made (across restarts).
    pub fn answered_ever(&self) -> (u64, u64) {
        (self.answered_ever, self.errors_ever)
    }

    /// The counters as the running process exposes them (reset by a restart).
    pub fn counters(&self) -> (u64, u64) {
        (self.requests_total, self.errors_total)
    }

    pub fn boots(&self) -> u32 {
        self.boots
    }

    pub fn logs(&self) -> &[LogLine] {
        &self.logs
    }

    pub fn incidents(&self) -> &[(Time, Option<Time>, HostOp)] {
        &self.incidents
    }

    pub fn faults(&self) -> Faults {
        self.server.faults()
    }

    pub fn on_start(&mut self, cx: &mut Cx<ObservabilityProcess>) {
        self.boots += 1;
        let boots = self.boots;
        cx.note(|| format!("boot {boots}: counters start at zero"));
        cx.set_timer(ObservabilityTimer::Report, until_boundary(cx.now()));
    }

    pub fn on_crash(&mut self) {
        self.server.on_crash();
        self.seq = 0;
        self.requests_total = 0;
        self.errors_total = 0;
        self.interval = IntervalStats::new(self.alpha);
        self.last = LastInterval::default();
        self.logs.clear();
    }

    pub fn on_message(
        &mut self,
        from: NodeId,
        msg: ObservabilityMessage,
        cx: &mut Cx<ObservabilityProcess>,
    ) {
        let ObservabilityMessage::Call { service, request } = msg else {
            cx.note(|| format!("a host takes only calls; drops {}", msg.label()));
            return;
        };
        if service != self.service {
            let mine = self.service;
            cx.note(|| {
                format!(
                    "a {} call reached a {} host: dropped",
                    service.as_str(),
                    mine.as_str()
                )
            });
            return;
        }
        let now = cx.now();
        match self
            .server
            .on_request(now, Job { from, request }, request.deadline, cx.rng)
        {
            Admission::Started(work) => {
                cx.set_timer(ObservabilityTimer::WorkDone(work.id), work.after)
            }
            Admission::Queued { position } => {
                cx.note(|| format!("{} waits at position {position}", request.id))
            }
            // Turned away at once: a 503 that took no time.
            Admission::Rejected { job, .. } => self.answer(job, now, 503, cx),
        }
    }

    pub fn on_timer(&mut self, timer: ObservabilityTimer, cx: &mut Cx<ObservabilityProcess>) {
        match timer {
            ObservabilityTimer::WorkDone(work) => self.on_work_done(work, cx),
            ObservabilityTimer::Report => self.push_report(cx),
            _ => cx.note(|| format!("a host ignores timer {}", timer.label())),
        }
    }

    fn on_work_done(&mut self, work: WorkId, cx: &mut Cx<ObservabilityProcess>) {
        let now = cx.now();
        if let Some(Finished {
            job,
            outcome,
            arrived_at,
            ..
        }) = self.server.on_work_done(now, work, cx.rng)
        {
            let status = match outcome {
                Outcome::Ok => 200,
                Outcome::Error => 500,
            };
            self.answer(job, arrived_at, status, cx);
        }
        loop {
            match self.server.next(now, cx.rng) {
                Next::Started(work) => {
                    cx.set_timer(ObservabilityTimer::WorkDone(work.id), work.after)
                }
                Next::Expired(job) => self.answer(job, now, 504, cx),
                Next::Idle => break,
            }
        }
    }

    /// Answers `job` (arrived at `arrived_at`) with `status` and measures it:
    /// the counters, the sketch and the exact sample, the bucket and its exemplar, and a log line.
    fn answer(
        &mut self,
        job: Job,
        arrived_at: Time,
        status: u16,
        cx: &mut Cx<ObservabilityProcess>,
    ) {
        let now = cx.now();
        let micros = now.since(arrived_at).as_micros();
        let error = status >= 500;
        self.requests_total += 1;
        self.answered_ever += 1;
        self.interval.requests += 1;
        if error {
            self.errors_total += 1;
            self.errors_ever += 1;
            self.interval.errors += 1;
        }
        self.interval.sketch.record(micros as f64 / 1_000.0);
        if self.interval.sample.len() < SAMPLE_LIMIT {
            let at = self.interval.sample.partition_point(|&m| m <= micros);
            self.interval.sample.insert(at, micros);
        } else {
            self.interval.truncated = true;
        }
        let trace_id = job.request.trace.trace_id;
        let exemplar = Exemplar {
            trace_id,
            request: job.request.id,
            host: self.id,
            arrived_at,
            micros,
        };
        let bucket = bucket_of(micros);
        self.interval.buckets[bucket] += 1;
        self.interval.bucket_exemplars[bucket] = Some(exemplar);
        self.spans += 1;
        let line = LogLine {
            at: now,
            trace_id,
            span_id: (u64::from(self.id.0) << 32) | self.spans,
            status,
            micros,
        };
        if self.logs.len() == LOG_LINES {
            self.logs.remove(0);
        }
        self.logs.push(line);
        cx.note(|| line.render());
        cx.send(
            job.from,
            ObservabilityMessage::Reply {
                id: job.request.id,
                trace_id,
                status,
            },
        );
    }

    fn push_report(&mut self, cx: &mut Cx<ObservabilityProcess>) {
        let now = cx.now();
        let interval = (now.as_micros() / INTERVAL.as_micros()).saturating_sub(1);
        let stats = std::mem::replace(&mut self.interval, IntervalStats::new(self.alpha));
        self.last = LastInterval {
            requests: stats.requests,
            errors: stats.errors,
            p50: stats.sketch.quantile(0.5),
            p99: stats.sketch.quantile(0.99),
        };
        self.seq += 1;
        let report = Report {
            service: self.service,
            boots: self.boots,
            seq: self.seq,
            interval,
            requests_total: self.requests_total,
            errors_total: self.errors_total,
            in_flight: self.server.in_system() as u32,
            sketch: stats.sketch,
            sample: stats.sample,
            truncated: stats.truncated,
            buckets: stats.buckets,
            bucket_exemplars: stats.bucket_exemplars,
        };
        cx.send(MONITOR, ObservabilityMessage::Report(Box::new(report)));
        cx.set_timer(ObservabilityTimer::Report, until_boundary(now));
    }

    pub fn on_operation(&mut self, op: HostOp, cx: &mut Cx<ObservabilityProcess>) {
        let now = cx.now();
        let mut faults = self.server.faults();
        match op {
            HostOp::Errors { ppm } => faults.error_ppm = ppm.max(self.healthy.error_ppm),
            HostOp::Slow { added_ms } => {
                faults.added_latency = Duration::from_millis(u64::from(added_ms))
            }
            HostOp::Recover => faults = self.healthy,
        }
        self.server.set_faults(faults);
        // Close what is open for the same fault, and open the new one.
        for incident in self.incidents.iter_mut().filter(|i| i.1.is_none()) {
            let same = matches!(
                (incident.2, op),
                (HostOp::Errors { .. }, HostOp::Errors { .. })
                    | (HostOp::Slow { .. }, HostOp::Slow { .. })
                    | (_, HostOp::Recover)
            );
            if same {
                incident.1 = Some(now);
            }
        }
        let lifted = matches!(op, HostOp::Recover | HostOp::Slow { added_ms: 0 })
            || matches!(op, HostOp::Errors { ppm } if ppm <= self.healthy.error_ppm);
        if !lifted {
            self.incidents.push((now, None, op));
        }
        cx.note(|| format!("{op}"));
    }

    pub fn summary(&self) -> NodeSummary {
        let faults = self.server.faults();
        let (palette, badge) = if faults.error_ppm > self.healthy.error_ppm {
            (Palette::Faulty, "errors")
        } else if faults.added_latency > Duration::ZERO {
            (Palette::Suspect, "slow")
        } else {
            (Palette::Plain, self.service.as_str())
        };
        NodeSummary {
            role: match self.service {
                ServiceName::Frontend => "frontend host",
                ServiceName::Search => "search host",
                ServiceName::Payments => "payments host",
            },
            palette,
            badge: badge.to_string(),
            detail: format!(
                "{} host, boot {}: {} requests, {} errors since it started; error rate injected {} per million, added latency {}",
                self.service.as_str(),
                self.boots,
                self.requests_total,
                self.errors_total,
                faults.error_ppm,
                faults.added_latency
            ),
        }
    }

    pub fn state_row(&self) -> Vec<Cell> {
        let last = self.last;
        let per_second = last.requests * 1_000_000 / INTERVAL.as_micros();
        vec![
            Cell::Text(format!("{per_second}/s")),
            Cell::Text(format!(
                "{} ({})",
                last.errors,
                per_mille_text(last.errors, last.requests)
            )),
            Cell::Text(match (last.p50, last.p99) {
                (Some(p50), Some(p99)) => format!("{} / {} ms", decimal(p50, 1), decimal(p99, 1)),
                _ => "-".to_string(),
            }),
            Cell::Text(
                self.logs
                    .last()
                    .map_or_else(|| "-".to_string(), LogLine::render),
            ),
        ]
    }
}

/// `part / whole` as a percentage with one decimal.
pub fn per_mille_text(part: u64, whole: u64) -> String {
    let per_mille = (part * 1_000).checked_div(whole).unwrap_or(0);
    format!("{}.{}%", per_mille / 10, per_mille % 10)
}

/// The time from `now` to the next interval boundary (a whole interval if
/// `now` is on one).
pub fn until_boundary(now: Time) -> Duration {
    let step = INTERVAL.as_micros();
    Duration::from_micros(step - now.as_micros() % step)
}
