//! What the page draws over time and in bars, from the processes' own
//! measurements: per stage of the main chain (queue depth, memory, Little's
//! law, where the items went), and, when the run has the unbounded twin,
//! both chains side by side on the same seed (queue depth and memory at the
//! bottleneck B against B', end-to-end latency quantiles, delivered per
//! second, and a comparison in bars).
//!
//! The four-quantile latency lines are written here rather than taken from
//! a shared helper: `crate::traffic` has none yet, and this module may not
//! change it.

use crate::sim::time::Time;
use crate::sim::view::{Bar, Chart, Line, Palette, Plot};
use crate::sim::world::Simulation;
use crate::traffic::plots::{PLOTTED_QUANTILES, SKETCH_CAPTION};

use super::chain::Chain;
use super::checker::PipelineChecker;
use super::littles_law;
use super::message::{Policy, STAGES};
use super::process::PipelineProcess;
use super::producer::Producer;
use super::stage::{Sample, Stage};

type Run = Simulation<PipelineProcess, PipelineChecker>;

/// The bottleneck's position in each chain: B and B'.
const BOTTLENECK: usize = 1;

/// The chains the run has: the main one, and the twin beside a bounded policy.
fn chains(run: &Run) -> &'static [Chain] {
    run.checker().config().chains()
}

fn policy(run: &Run) -> Policy {
    run.checker().config().policy
}

fn stages(run: &Run, chain: Chain) -> Vec<&Stage> {
    (0..STAGES)
        .filter_map(|i| PipelineProcess::stage_of(run.nodes(), chain, i))
        .collect()
}

fn stage_seconds(run: &Run, chain: Chain, index: usize) -> &[Sample] {
    PipelineProcess::stage_of(run.nodes(), chain, index).map_or(&[], Stage::seconds)
}

fn producer(run: &Run) -> Option<&Producer> {
    run.nodes().first().and_then(PipelineProcess::producer)
}

fn stage_palette(index: usize) -> Palette {
    [Palette::Lead, Palette::Suspect, Palette::Done][index.min(2)]
}

/// Each complete second's point at its end.
fn per_second<T>(samples: &[T], now: Time, value: impl Fn(&T) -> u64) -> Vec<(Time, u64)> {
    let complete = (now.as_micros() / 1_000_000) as usize;
    samples
        .iter()
        .take(complete)
        .enumerate()
        .map(|(i, s)| (Time::from_millis(1000 * (i as u64 + 1)), value(s)))
        .collect()
}

fn ms(us: u64) -> u64 {
    (us + 500) / 1000
}

/// One line per chain of the same measure of one stage (B and B').
fn per_chain(run: &Run, index: usize, value: &dyn Fn(&Sample) -> u64) -> Vec<Line> {
    chains(run)
        .iter()
        .map(|&chain| Line {
            label: chain.label(policy(run)),
            palette: chain.palette(),
            points: per_second(stage_seconds(run, chain, index), run.now(), value),
        })
        .collect()
}

/// Second by second: the main chain per stage, both chains at B, latency
/// quantiles per chain, and throughput.
pub fn plots(run: &Run) -> Vec<Plot> {
    let now = run.now();
    let item_kb = |held: u32| u64::from(held) * u64::from(run.checker().config().item_bytes) / 1024;
    let main = stages(run, Chain::Main);
    let per_stage = |value: &dyn Fn(&Sample) -> u64| {
        main.iter()
            .map(|stage| Line {
                label: format!("stage {}", stage.name()),
                palette: stage_palette(stage.index()),
                points: per_second(stage.seconds(), now, value),
            })
            .collect::<Vec<_>>()
    };
    let twin = chains(run).len() > 1;
    let mut plots = vec![
        Plot {
            title: "Queue depth".into(),
            unit: "items",
            caption: "the most items waiting in each stage's queue, each second".into(),
            lines: per_stage(&|s| s.depth.into()),
        },
        Plot {
            title: "Memory per stage".into(),
            unit: "KB",
            caption: "items inside (waiting, at work, held back) × item size, the most each second"
                .into(),
            lines: per_stage(&|s| item_kb(s.held)),
        },
    ];
    if twin {
        plots.push(Plot {
            title: "Queue depth at B and B'".into(),
            unit: "items",
            caption: "the bottleneck of each chain on the same arrivals: the most items waiting each second".into(),
            lines: per_chain(run, BOTTLENECK, &|s| s.depth.into()),
        });
        plots.push(Plot {
            title: "Memory at B and B'".into(),
            unit: "KB",
            caption: "items inside the bottleneck × item size, the most each second".into(),
            lines: per_chain(run, BOTTLENECK, &|s| item_kb(s.held)),
        });
    }
    for &chain in chains(run) {
        let sink = stage_seconds(run, chain, STAGES - 1);
        plots.push(Plot {
            title: format!("End-to-end latency, {}", chain.label(policy(run))),
            unit: "ms",
            caption:
                format!("p50, p90, p99 and p99.9 of the items the sink delivered each second, {SKETCH_CAPTION}"),
            lines: PLOTTED_QUANTILES
                .iter()
                .enumerate()
                .map(|(q, quantile)| Line {
                    label: quantile.name.to_string(),
                    palette: quantile.palette,
                    points: per_second(sink, now, |s| ms(s.latency_us[q])),
                })
                .collect(),
        });
    }
    let produced = producer(run).map_or(&[][..], Producer::seconds);
    if twin {
        let mut lines = vec![Line {
            label: "arrivals".into(),
            palette: Palette::Plain,
            points: per_second(produced, now, |s| u64::from(s.produced + s.throttled)),
        }];
        lines.extend(per_chain(run, STAGES - 1, &|s| s.passed.into()));
        plots.push(Plot {
            title: "Delivered per chain".into(),
            unit: "items/s",
            caption:
                "the source's arrivals, and the items each chain's sink delivered, each second"
                    .into(),
            lines,
        });
    }
    let mut dropped = vec![0u64; (now.as_micros() / 1_000_000) as usize];
    for stage in &main {
        for (total, sample) in dropped.iter_mut().zip(stage.seconds()) {
            *total += u64::from(sample.dropped);
        }
    }
    plots.push(Plot {
        title: "Throughput and drops".into(),
        unit: "items/s",
        caption: "made by the producer, delivered by the sink, dropped by the stages, and not made (throttled) each second".into(),
        lines: vec![
            Line {
                label: "made".into(),
                palette: Palette::Plain,
                points: per_second(produced, now, |s| s.produced.into()),
            },
            Line {
                label: "delivered".into(),
                palette: Palette::Done,
                points: per_second(stage_seconds(run, Chain::Main, STAGES - 1), now, |s| {
                    s.passed.into()
                }),
            },
            Line {
                label: "dropped".into(),
                palette: Palette::Faulty,
                points: per_second(&dropped, now, |&d| d),
            },
            Line {
                label: "throttled".into(),
                palette: Palette::Suspect,
                points: per_second(produced, now, |s| s.throttled.into()),
            },
        ],
    });
    plots
}

fn bar(label: String, value: u64, palette: Palette) -> Bar {
    Bar {
        label,
        value,
        palette,
    }
}

/// Little's law per stage, where the items went, latency so far per chain,
/// and the two chains compared.
pub fn charts(run: &Run) -> Vec<Chart> {
    let now = run.now();
    let main = stages(run, Chain::Main);
    let mut little = Vec::new();
    for stage in &main {
        let (measured, formula) = littles_law(stage, now);
        let name = stage.name();
        little.push(bar(
            format!("{name}: L measured"),
            (measured * 100.0).round() as u64,
            stage_palette(stage.index()),
        ));
        little.push(bar(
            format!("{name}: λ·W"),
            (formula * 100.0).round() as u64,
            Palette::Plain,
        ));
    }
    let producer = producer(run);
    let mut outcomes = vec![bar(
        "made".into(),
        producer.map_or(0, Producer::produced),
        Palette::Plain,
    )];
    for stage in &main {
        let name = stage.name();
        let stats = stage.stats();
        if stage.is_sink() {
            outcomes.push(bar("delivered".into(), stats.passed, Palette::Done));
        }
        outcomes.push(bar(
            format!("dropped at {name}"),
            stats.dropped,
            Palette::Faulty,
        ));
        outcomes.push(bar(
            format!("lost at {name} (crash, wire)"),
            stats.lost + stage.receiver().written_off,
            Palette::Suspect,
        ));
    }
    outcomes.push(bar(
        "throttled (not made)".into(),
        producer.map_or(0, Producer::throttled),
        Palette::Suspect,
    ));
    let item_bytes = u64::from(run.checker().config().item_bytes);
    let mut latency = Vec::new();
    let mut compared = Vec::new();
    for &chain in chains(run) {
        let label = chain.label(policy(run));
        let palette = chain.palette();
        let sink = PipelineProcess::stage_of(run.nodes(), chain, STAGES - 1);
        let quantile = |q: f64| {
            sink.and_then(|s| s.latency().quantile(q))
                .unwrap_or(0.0)
                .round() as u64
        };
        for plotted in PLOTTED_QUANTILES {
            latency.push(bar(
                format!("{label} {}", plotted.name),
                quantile(plotted.rank),
                palette,
            ));
        }
        let peak = stage_seconds(run, chain, BOTTLENECK)
            .iter()
            .map(|s| s.held)
            .max()
            .unwrap_or(0);
        let dropped: u64 = stages(run, chain).iter().map(|s| s.stats().dropped).sum();
        compared.extend([
            bar(format!("{label}: p99 (ms)"), quantile(0.99), palette),
            bar(
                format!("{label}: peak memory at B (KB)"),
                u64::from(peak) * item_bytes / 1024,
                palette,
            ),
            bar(
                format!("{label}: delivered"),
                sink.map_or(0, |s| s.stats().passed),
                palette,
            ),
            bar(format!("{label}: dropped"), dropped, palette),
        ]);
    }
    let mut charts = vec![
        Chart {
            title: "Little's law per stage".into(),
            unit: "hundredths of an item",
            caption: "the time average of the items inside each stage, measured, against arrival rate × mean time inside".into(),
            bars: little,
        },
        Chart {
            title: "Where the items went".into(),
            unit: "",
            caption: "since the start of the run".into(),
            bars: outcomes,
        },
        Chart {
            title: "End-to-end latency so far".into(),
            unit: "ms",
            caption: "of every delivered item (DDSketch, 1% relative error)".into(),
            bars: latency,
        },
    ];
    if chains(run).len() > 1 {
        charts.push(Chart {
            title: "Both chains compared".into(),
            unit: "",
            caption: "the same arrivals on the same seed, since the start of the run (peak memory: the worst second at B and B')".into(),
            bars: compared,
        });
    }
    charts
}
