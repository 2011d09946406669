//! Correlation by trace id: the signals the page lists (the hosts' newest
//! log lines, each service's duration histogram with an exemplar per
//! bucket) and the trace either opens, pieced together the way a tracing
//! backend would, from what each process still keeps: the users' root
//! span, the host's log line (or, once the host's ring has moved on, the
//! exemplar the monitor kept).
//!
//! Follows OpenMetrics exemplars (a bucket points at one request that fell
//! in it, the newest) and W3C Trace Context (the host's span is the child
//! of the users' span in the same trace).

use crate::decimal::decimal;
use crate::sim::time::{NodeId, Time};
use crate::sim::view::{
    Bar, Chart, ExemplarLink, Histogram, LogRecord, Palette, Signals, Span, TraceDetail,
};

use super::client::SPANS_KEPT;
use super::host::{LogLine, LOG_LINES};
use super::message::{short_trace, Exemplar, ServiceName, BUCKETS, CLIENT};
use super::process::ObservabilityProcess;

/// Log lines the page lists: the newest of every host together.
pub const LOGS_SHOWN: usize = 12;

/// A duration in milliseconds with one decimal, as the dashboard prints it.
fn millis(micros: u64) -> String {
    format!("{} ms", decimal(micros as f64 / 1_000.0, 1))
}

/// The labels of the dashboard's buckets ([`super::message::BUCKET_BOUNDS_MS`]).
pub const BUCKET_LABELS: [&str; BUCKETS] = [
    "≤ 5 ms",
    "≤ 10 ms",
    "≤ 25 ms",
    "≤ 50 ms",
    "≤ 100 ms",
    "≤ 250 ms",
    "> 250 ms",
];

fn log_record(node: NodeId, line: &LogLine) -> LogRecord {
    let service = ServiceName::of_host(node).map_or("", ServiceName::as_str);
    LogRecord {
        at: line.at,
        node,
        text: format!("{} {node} {service} {}", line.at, line.render()),
        palette: if line.status >= 500 {
            Palette::Faulty
        } else {
            Palette::Plain
        },
        trace: Some(line.trace_id),
    }
}

/// The newest log lines of all hosts, and each service's histogram.
pub fn signals(nodes: &[ObservabilityProcess]) -> Signals {
    // Each host's newest lines, merged by time; only the shown ones are written out.
    let mut newest: Vec<(Time, NodeId, &LogLine)> = Vec::new();
    for (i, process) in nodes.iter().enumerate() {
        if let Some(host) = process.host() {
            let lines = host.logs();
            for line in &lines[lines.len().saturating_sub(LOGS_SHOWN)..] {
                newest.push((line.at, NodeId(i as u32), line));
            }
        }
    }
    crate::sort::sort_stably_by(&mut newest, |entry| entry.0.as_micros());
    let shown = &newest[newest.len().saturating_sub(LOGS_SHOWN)..];
    let mut signals = Signals {
        logs: shown
            .iter()
            .map(|&(_, node, line)| log_record(node, line))
            .collect(),
        histograms: Vec::new(),
    };
    let Some(monitor) = nodes.iter().find_map(ObservabilityProcess::monitor) else {
        return signals;
    };
    for service in ServiceName::ALL {
        let board = monitor.board(service);
        let mut histogram = Histogram {
            chart: Chart {
                title: format!("Durations of {}", service.as_str()),
                unit: "",
                caption: "requests per bucket since the run began, both hosts; a bucket opens its exemplar trace".to_string(),
                bars: Vec::new(),
            },
            exemplars: Vec::new(),
        };
        for (bucket, exemplar) in board.exemplars().iter().enumerate() {
            histogram.chart.bars.push(Bar {
                label: BUCKET_LABELS[bucket].to_string(),
                value: board.histogram()[bucket],
                palette: super::service_palette(service),
            });
            histogram.exemplars.push(exemplar.map(|e| ExemplarLink {
                trace: e.trace_id,
                label: format!(
                    "trace {}, {} on {}",
                    short_trace(e.trace_id),
                    millis(e.micros),
                    e.host
                ),
            }));
        }
        signals.histograms.push(histogram);
    }
    signals
}

/// The host's span of a trace: from its log line, else from an exemplar.
struct HostSpan {
    host: NodeId,
    service: ServiceName,
    arrived_at: Time,
    micros: u64,
    /// `None` when only an exemplar is left (exemplars keep no status).
    status: Option<u16>,
    line: Option<LogRecord>,
}

fn host_span(nodes: &[ObservabilityProcess], trace: u64) -> Option<HostSpan> {
    let logged = nodes.iter().enumerate().find_map(|(i, process)| {
        let host = process.host()?;
        let line = host.logs().iter().rev().find(|l| l.trace_id == trace)?;
        let node = NodeId(i as u32);
        Some(HostSpan {
            host: node,
            service: host.service(),
            arrived_at: Time(line.at.as_micros().saturating_sub(line.micros)),
            micros: line.micros,
            status: Some(line.status),
            line: Some(log_record(node, line)),
        })
    });
    logged.or_else(|| {
        let monitor = nodes.iter().find_map(ObservabilityProcess::monitor)?;
        let exemplar: Exemplar = ServiceName::ALL.iter().find_map(|&service| {
            let board = monitor.board(service);
            board
                .exemplars()
                .iter()
                .flatten()
                .find(|e| e.trace_id == trace)
                .copied()
        })?;
        Some(HostSpan {
            host: exemplar.host,
            service: ServiceName::of_host(exemplar.host)?,
            arrived_at: exemplar.arrived_at,
            micros: exemplar.micros,
            status: None,
            line: None,
        })
    })
}

/// What the processes still keep of trace `trace`: the users' root span and
/// the host's child span, with the host's log line; `None` if neither.
pub fn trace_detail(nodes: &[ObservabilityProcess], trace: u64) -> Option<TraceDetail> {
    let client = nodes.iter().find_map(ObservabilityProcess::client);
    let root = client.and_then(|c| c.root_span(trace)).copied();
    let host = host_span(nodes, trace);
    if root.is_none() && host.is_none() {
        return None;
    }
    let status_palette = |status: Option<u16>, ok: Palette| match status {
        Some(s) if s >= 500 => Palette::Faulty,
        Some(_) => ok,
        None => Palette::Suspect,
    };
    let mut spans = Vec::new();
    let mut lines = Vec::new();
    if let Some(root) = root {
        let status = root.answered.map(|(_, status)| status);
        spans.push(Span {
            node: CLIENT,
            from: root.sent_at,
            to: root.answered.map(|(at, _)| at),
            label: format!(
                "users: {} {} → {}",
                root.service.as_str(),
                root.request,
                status.map_or_else(|| "no answer yet".to_string(), |s| s.to_string())
            ),
            palette: status_palette(status, Palette::Lead),
        });
    }
    if let Some(host) = host {
        spans.push(Span {
            node: host.host,
            from: host.arrived_at,
            to: Some(Time(host.arrived_at.as_micros() + host.micros)),
            label: format!(
                "{} {}: {}",
                host.host,
                host.service.as_str(),
                millis(host.micros)
            ),
            palette: status_palette(host.status, Palette::Done),
        });
        lines.extend(host.line.map(|line| line.text));
    }
    if spans.len() < 2 || lines.is_empty() {
        // Buffers are bounded, as a tracing pipeline's are.
        lines.push(format!(
            "The rest has left the buffers: users keep {SPANS_KEPT} root spans, hosts {LOG_LINES} log lines each."
        ));
    }
    Some(TraceDetail {
        title: format!("Trace {}", short_trace(trace)),
        spans,
        lines,
    })
}
