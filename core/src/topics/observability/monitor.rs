//! The monitor: the metrics backend and rule evaluator (a Prometheus with its
//! alerting rules, in one process).
//!
//! It takes the hosts' reports, turns their monotonic counters into
//! per-interval increases (a new boot means the counter began again at zero),
//! merges the hosts' DDSketches into one fleet sketch per service and
//! interval (Masson, Rim & Lee, §2.2: the merge is the sketch of the union,
//! so the fleet percentile keeps the α bound), and at every evaluation
//! computes each service's RED figures, its burn rates over the workbook's
//! windows and its alerts ([`super::slo`]). It evaluates an interval once,
//! [`GRACE`] after it closed; a report that arrives later still counts in
//! the counters (and so in later burn rates) but misses that interval's
//! percentiles.

use crate::decimal::decimal;
use crate::sim::node::{Cx, Labelled};
use crate::sim::time::{Duration, NodeId, Time};
use crate::sim::view::{Cell, NodeSummary, Palette};
use crate::traffic::sketch::LatencySketch;

use super::host::per_mille_text;
use super::message::{
    Exemplar, ObservabilityMessage, ObservabilityTimer, Report, ServiceName, BUCKETS, HOSTS,
    SAMPLE_LIMIT,
};
use super::process::ObservabilityProcess;
use super::slo::{self, AlertKind, BurnRates, INTERVAL, W1H, W30D};

/// How long after an interval closes the monitor evaluates it: time for the
/// reports to arrive.
pub const GRACE: Duration = Duration::from_millis(40);

/// A report further ahead of the monitor's clock than this many intervals is
/// refused (a host clock far off, or a corrupt index).
const MAX_AHEAD: u64 = 50;

/// The last report the monitor took from a host.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Seen {
    boots: u32,
    seq: u64,
    requests_total: u64,
    errors_total: u64,
}

/// An interval's percentile data for one service, as reports arrive.
#[derive(Clone, Debug, PartialEq)]
struct Pending {
    interval: u64,
    service: ServiceName,
    /// The reporting hosts' in-flight gauges, summed.
    in_flight: u32,
    sketch: LatencySketch,
    sample: Vec<u64>,
    truncated: bool,
    /// Each reporting host's own p99, for the `average-of-percentiles` bug.
    host_p99s: Vec<f64>,
    host_p50s: Vec<f64>,
    /// The slowest reporting host's slowest bucket's exemplar.
    exemplar: Option<Exemplar>,
}

/// One service at one evaluation: what the dashboard shows.
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    pub interval: u64,
    /// Requests and errors counted for the interval (so far).
    pub requests: i64,
    pub errors: i64,
    /// The fleet percentiles the monitor reports, in milliseconds.
    pub p50: Option<f64>,
    pub p99: Option<f64>,
    /// Every reporting host's exact durations (µs, sorted): the truth the
    /// reported percentiles are held to.
    pub sample: Vec<u64>,
    pub truncated: bool,
    pub hosts: usize,
    /// The exemplar of the interval's slowest bucket (of its slowest host).
    pub exemplar: Option<Exemplar>,
    pub burn: BurnRates,
}

impl Evaluation {
    /// The exact q-quantile of the sample in milliseconds: the value of rank
    /// ⌊q (n − 1)⌋, the definition the sketch's bound is stated for.
    pub fn exact(&self, q: f64) -> Option<f64> {
        let n = self.sample.len();
        (n > 0).then(|| self.sample[(q * (n - 1) as f64).floor() as usize] as f64 / 1_000.0)
    }
}

/// A point of a service's time series, kept for the plots.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    pub interval: u64,
    pub requests: i64,
    pub errors: i64,
    /// The service's hosts' in-flight gauges at their reports, summed.
    pub in_flight: u32,
    pub p99: Option<f64>,
    pub exact_p99: Option<f64>,
    pub burn: BurnRates,
}

/// An alert's firing, from when it fired to when it resolved.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Firing {
    pub kind: AlertKind,
    pub service: ServiceName,
    pub from: Time,
    pub to: Option<Time>,
    /// The long window's burn rate when it fired.
    pub burn: f64,
}

/// Everything the monitor keeps about one service.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Board {
    /// (requests, errors) per interval, indexed by interval.
    counts: Vec<(i64, i64)>,
    /// Requests and errors counted since the run began.
    totals: (i64, i64),
    last: Option<Evaluation>,
    points: Vec<Point>,
    /// Requests per dashboard bucket since the run began.
    histogram: [u64; BUCKETS],
    /// Each bucket's newest exemplar.
    exemplars: [Option<Exemplar>; BUCKETS],
}

impl Board {
    pub fn counts(&self) -> &[(i64, i64)] {
        &self.counts
    }

    pub fn totals(&self) -> (i64, i64) {
        self.totals
    }

    pub fn last(&self) -> Option<&Evaluation> {
        self.last.as_ref()
    }

    pub fn points(&self) -> &[Point] {
        &self.points
    }

    /// Requests per dashboard bucket ([`super::message::BUCKET_BOUNDS_MS`])
    /// since the run began.
    pub fn histogram(&self) -> &[u64; BUCKETS] {
        &self.histogram
    }

    /// Each bucket's newest exemplar.
    pub fn exemplars(&self) -> &[Option<Exemplar>; BUCKETS] {
        &self.exemplars
    }
}

/// The monitor.
#[derive(Clone, Debug)]
pub struct Monitor {
    alpha: f64,
    /// Bug `average-of-percentiles`.
    average_of_percentiles: bool,
    /// Bug `counter-reset-ignored`.
    counter_reset_ignored: bool,
    seen: Vec<Seen>,
    boards: Vec<Board>,
    pending: Vec<Pending>,
    evaluated: Option<u64>,
    evaluations: u64,
    firings: Vec<Firing>,
}

impl Monitor {
    pub fn new(alpha: f64, average_of_percentiles: bool, counter_reset_ignored: bool) -> Self {
        Monitor {
            alpha,
            average_of_percentiles,
            counter_reset_ignored,
            seen: vec![Seen::default(); HOSTS as usize],
            boards: vec![Board::default(); ServiceName::ALL.len()],
            pending: Vec::new(),
            evaluated: None,
            evaluations: 0,
            firings: Vec::new(),
        }
    }

    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    pub fn board(&self, service: ServiceName) -> &Board {
        &self.boards[service.index()]
    }

    /// Evaluations so far (the checker looks again after each).
    pub fn evaluations(&self) -> u64 {
        self.evaluations
    }

    pub fn firings(&self) -> &[Firing] {
        &self.firings
    }

    /// Forgets every alert, as a broken rule evaluator would: for the tests
    /// of `alert-fires-on-fast-burn`.
    #[cfg(test)]
    pub(crate) fn forget_alerts(&mut self) {
        self.firings.clear();
    }

    /// Whether `kind` is firing for `service` now.
    pub fn firing(&self, service: ServiceName, kind: AlertKind) -> bool {
        self.firings
            .iter()
            .any(|f| f.service == service && f.kind == kind && f.to.is_none())
    }

    pub fn on_start(&mut self, cx: &mut Cx<ObservabilityProcess>) {
        let step = INTERVAL.as_micros();
        let into = (cx.now().as_micros() + step - GRACE.as_micros()) % step;
        cx.set_timer(
            ObservabilityTimer::Evaluate,
            Duration::from_micros(step - into),
        );
    }

    /// Its time series live on durable storage (see the topic's liberties).
    pub fn on_crash(&mut self) {
        self.pending.clear();
    }

    pub fn on_message(
        &mut self,
        from: NodeId,
        msg: ObservabilityMessage,
        cx: &mut Cx<ObservabilityProcess>,
    ) {
        match msg {
            ObservabilityMessage::Report(report) => self.on_report(from, *report, cx),
            other => cx.note(|| format!("the monitor takes only reports; drops {}", other.label())),
        }
    }

    fn on_report(&mut self, from: NodeId, report: Report, cx: &mut Cx<ObservabilityProcess>) {
        if ServiceName::of_host(from) != Some(report.service) {
            cx.note(|| {
                format!(
                    "a report for {} from {from}, which is no such host: dropped",
                    report.service.as_str()
                )
            });
            return;
        }
        let now_interval = cx.now().as_micros() / INTERVAL.as_micros();
        let well_formed = report.sample.len() <= SAMPLE_LIMIT
            && report.sample.windows(2).all(|pair| pair[0] <= pair[1])
            && report.sketch.alpha() == self.alpha;
        if report.interval > now_interval + MAX_AHEAD || !well_formed {
            cx.note(|| {
                format!(
                    "report i{} from {from} is far ahead or malformed: dropped",
                    report.interval
                )
            });
            return;
        }
        let seen = self.seen[from.index()];
        if (report.boots, report.seq) <= (seen.boots, seen.seq) {
            cx.note(|| {
                format!(
                    "report {}.{} from {from} is stale or repeated: dropped",
                    report.boots, report.seq
                )
            });
            return;
        }
        let restarted = report.boots != seen.boots;
        // A counter only goes up within a boot: after a restart its whole
        // value is the increase (the Prometheus `rate()` rule for resets).
        let (requests, errors) = if restarted && !self.counter_reset_ignored {
            (report.requests_total as i64, report.errors_total as i64)
        } else {
            (
                report.requests_total as i64 - seen.requests_total as i64,
                report.errors_total as i64 - seen.errors_total as i64,
            )
        };
        self.seen[from.index()] = Seen {
            boots: report.boots,
            seq: report.seq,
            requests_total: report.requests_total,
            errors_total: report.errors_total,
        };
        let board = &mut self.boards[report.service.index()];
        let at = report.interval as usize;
        if board.counts.len() <= at {
            board.counts.resize(at + 1, (0, 0));
        }
        board.counts[at].0 += requests;
        board.counts[at].1 += errors;
        board.totals.0 += requests;
        board.totals.1 += errors;
        for (bucket, count) in report.buckets.iter().enumerate() {
            board.histogram[bucket] += count;
        }
        // An exemplar names the host that served it; one that names another
        // host is dropped with its bucket's count kept.
        for (bucket, exemplar) in report.bucket_exemplars.iter().enumerate() {
            if let Some(exemplar) = exemplar.filter(|e| e.host == from) {
                board.exemplars[bucket] = Some(exemplar);
            }
        }
        if self.evaluated.is_some_and(|e| report.interval <= e) {
            cx.note(|| format!("report i{} from {from} came after its evaluation: counted, but its percentiles miss it", report.interval));
            return;
        }
        let host_p99 = report.sketch.quantile(0.99);
        let host_p50 = report.sketch.quantile(0.5);
        let at = match self
            .pending
            .iter()
            .position(|p| p.interval == report.interval && p.service == report.service)
        {
            Some(i) => i,
            None => {
                self.pending.push(Pending {
                    interval: report.interval,
                    service: report.service,
                    in_flight: 0,
                    sketch: LatencySketch::new(self.alpha),
                    sample: Vec::new(),
                    truncated: false,
                    host_p99s: Vec::new(),
                    host_p50s: Vec::new(),
                    exemplar: None,
                });
                self.pending.len() - 1
            }
        };
        let pending = &mut self.pending[at];
        pending.in_flight = pending.in_flight.saturating_add(report.in_flight);
        pending.sketch.merge(&report.sketch);
        pending.sample = merge_sorted(&pending.sample, &report.sample);
        pending.truncated |= report.truncated;
        pending.host_p99s.extend(host_p99);
        pending.host_p50s.extend(host_p50);
        // The interval's exemplar: its slowest bucket's, the slowest host's.
        if let Some(exemplar) = report.bucket_exemplars.iter().rev().flatten().next() {
            if pending.exemplar.is_none_or(|e| exemplar.micros > e.micros) {
                pending.exemplar = Some(*exemplar);
            }
        }
    }

    pub fn on_timer(&mut self, timer: ObservabilityTimer, cx: &mut Cx<ObservabilityProcess>) {
        if timer != ObservabilityTimer::Evaluate {
            cx.note(|| format!("the monitor ignores timer {}", timer.label()));
            return;
        }
        let now = cx.now();
        let step = INTERVAL.as_micros();
        cx.set_timer(ObservabilityTimer::Evaluate, INTERVAL);
        let Some(interval) =
            (now.as_micros().saturating_sub(GRACE.as_micros()) / step).checked_sub(1)
        else {
            return;
        };
        if self.evaluated.is_some_and(|e| interval <= e) {
            return;
        }
        self.evaluate(interval, now, cx);
    }

    /// Evaluates `interval` for every service at `now`.
    fn evaluate(&mut self, interval: u64, now: Time, cx: &mut Cx<ObservabilityProcess>) {
        self.evaluated = Some(interval);
        self.evaluations += 1;
        for service in ServiceName::ALL {
            let pending = self
                .pending
                .iter()
                .position(|p| p.interval == interval && p.service == service)
                .map(|i| self.pending.swap_remove(i));
            let board = &mut self.boards[service.index()];
            let (requests, errors) = board
                .counts
                .get(interval as usize)
                .copied()
                .unwrap_or((0, 0));
            let burn = slo::burn_rates(&board.counts, interval);
            let (p50, p99) = match &pending {
                // The bug: the mean of the hosts' own percentiles.
                Some(p) if self.average_of_percentiles => (mean(&p.host_p50s), mean(&p.host_p99s)),
                // From the merged sketch (§2.2): within α of the fleet's values.
                Some(p) => (p.sketch.quantile(0.5), p.sketch.quantile(0.99)),
                None => (None, None),
            };
            let evaluation = Evaluation {
                interval,
                requests,
                errors,
                p50,
                p99,
                sample: pending
                    .as_ref()
                    .map(|p| p.sample.clone())
                    .unwrap_or_default(),
                truncated: pending.as_ref().is_some_and(|p| p.truncated),
                hosts: pending.as_ref().map_or(0, |p| p.host_p99s.len()),
                exemplar: pending.as_ref().and_then(|p| p.exemplar),
                burn,
            };
            board.points.push(Point {
                interval,
                requests,
                errors,
                in_flight: pending.as_ref().map_or(0, |p| p.in_flight),
                p99,
                exact_p99: evaluation.exact(0.99),
                burn,
            });
            board.last = Some(evaluation);
            self.set_alert(
                service,
                AlertKind::Page,
                slo::page(&burn),
                burn[W1H],
                now,
                cx,
            );
            let ticket_burn = burn[slo::W3D];
            self.set_alert(
                service,
                AlertKind::Ticket,
                slo::ticket(&burn),
                ticket_burn,
                now,
                cx,
            );
        }
        // Anything older can no longer be evaluated.
        self.pending.retain(|p| p.interval > interval);
    }

    fn set_alert(
        &mut self,
        service: ServiceName,
        kind: AlertKind,
        condition: bool,
        burn: f64,
        now: Time,
        cx: &mut Cx<ObservabilityProcess>,
    ) {
        let open = self
            .firings
            .iter_mut()
            .find(|f| f.service == service && f.kind == kind && f.to.is_none());
        match (open, condition) {
            (None, true) => {
                cx.note(|| {
                    format!(
                        "{} fires for {} (burn {}×)",
                        kind.as_str(),
                        service.as_str(),
                        decimal(burn, 1)
                    )
                });
                self.firings.push(Firing {
                    kind,
                    service,
                    from: now,
                    to: None,
                    burn,
                });
            }
            (Some(firing), false) => {
                cx.note(|| format!("{} for {} resolved", kind.as_str(), service.as_str()));
                firing.to = Some(now);
            }
            _ => {}
        }
    }

    pub fn summary(&self) -> NodeSummary {
        let paging = self
            .firings
            .iter()
            .any(|f| f.kind == AlertKind::Page && f.to.is_none());
        let ticket = self.firings.iter().any(|f| f.to.is_none());
        let (palette, badge) = match (paging, ticket) {
            (true, _) => (Palette::Faulty, "page"),
            (false, true) => (Palette::Suspect, "ticket"),
            _ => (Palette::Lead, "ok"),
        };
        NodeSummary {
            role: "monitor",
            palette,
            badge: badge.to_string(),
            detail: format!(
                "the metrics backend: {} evaluations, {} alerts fired",
                self.evaluations,
                self.firings.len()
            ),
        }
    }

    pub fn state_row(&self) -> Vec<Cell> {
        let each = |cell: &dyn Fn(ServiceName, &Evaluation) -> String| {
            ServiceName::ALL
                .iter()
                .filter_map(|&s| self.boards[s.index()].last.as_ref().map(|e| cell(s, e)))
                .collect::<Vec<_>>()
                .join(" · ")
        };
        let per_second = 1_000_000 / INTERVAL.as_micros() as i64;
        // Each bucket's exemplar is on the page's histograms, not here.
        let alerts: Vec<String> = self
            .firings
            .iter()
            .filter(|f| f.to.is_none())
            .map(|f| format!("{} {} firing", f.service.as_str(), f.kind.as_str()))
            .collect();
        vec![
            Cell::Text(each(&|s, e| {
                format!("{} {}/s", s.as_str(), e.requests * per_second)
            })),
            Cell::Text(each(&|s, e| {
                format!(
                    "{} {}, budget {}% left",
                    s.as_str(),
                    per_mille_text(e.errors.max(0) as u64, e.requests.max(0) as u64),
                    decimal((1.0 - e.burn[W30D]) * 100.0, 0)
                )
            })),
            Cell::Text(each(&|s, e| match (e.p99, e.exact(0.99)) {
                (Some(p99), Some(exact)) => {
                    format!(
                        "{} {} ({}) ms",
                        s.as_str(),
                        decimal(p99, 1),
                        decimal(exact, 1)
                    )
                }
                _ => format!("{} -", s.as_str()),
            })),
            Cell::Text(if alerts.is_empty() {
                "no alert".to_string()
            } else {
                alerts.join(" · ")
            }),
        ]
    }
}

fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// The sorted union of two sorted lists.
fn merge_sorted(left: &[u64], right: &[u64]) -> Vec<u64> {
    let mut merged = Vec::with_capacity(left.len() + right.len());
    let (mut i, mut j) = (0, 0);
    while i < left.len() && j < right.len() {
        if left[i] <= right[j] {
            merged.push(left[i]);
            i += 1;
        } else {
            merged.push(right[j]);
            j += 1;
        }
    }
    merged.extend_from_slice(&left[i..]);
    merged.extend_from_slice(&right[j..]);
    merged
}
