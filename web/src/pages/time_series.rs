//! The time-series page: the first points of the newest Gorilla block bit by bit,
//! bytes per point measured live against 16 raw, the blocks with the last range
//! query's decoded and skipped ones and retention's dropped ones, and the last
//! downsample's buckets; an operations bar to append a batch, query a range,
//! downsample and apply retention. Everything drawn is read off `TimeSeries`.

use std::rc::Rc;

use distlab_core::topics::time_series::{
    clock, span, LastOp, SeriesRequest, TimeSeries, TimeSeriesTopic, MAX_BATCH, STREAM_START,
};
use distlab_core::tsdb::{BlockInfo, Bucket};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::structure::{self, StructurePage, StructureProps};
use crate::views;
use crate::views::field::{operand, operand_error};
use crate::layout::chart::{self, ChartLayout, Series};
use crate::layout::gorilla_bits::{self, BitsLayout};
use crate::views::chart::ChartProps;
use crate::views::gorilla_bits::GorillaBitsProps;

/// Uncompressed size of a point: a 64-bit timestamp and a 64-bit float.
const RAW_BYTES: f64 = 16.0;
/// Range query presets: label, length and how far before the newest point it ends
/// (seconds).
const RANGES: [(&str, u64, u64); 6] = [
    ("last 10 min", 600, 0),
    ("last hour", 3_600, 0),
    ("last 6 h", 21_600, 0),
    ("hour before last", 3_600, 3_600),
    ("10 min, 2 h ago", 600, 7_200),
    ("everything", u32::MAX as u64, 0),
];
/// Downsampling resolutions and retention horizons offered (seconds).
const RESOLUTIONS: [i64; 6] = [60, 300, 900, 3_600, 21_600, 86_400];
const HORIZONS: [i64; 6] = [1_800, 3_600, 7_200, 10_800, 21_600, 86_400];
/// Most buckets drawn in the chart and rows in the bucket table.
const MAX_CHART_BUCKETS: usize = 1_500;
const TABLE_BUCKETS: usize = 8;

/// A block row: its figures and what the last query or retention did to it.
#[derive(Clone, PartialEq)]
struct BlockRow {
    /// 1 for the oldest block kept; `None` for a dropped block.
    number: Option<usize>,
    block: BlockInfo,
    state: &'static str,
}

#[derive(PartialEq)]
pub struct SeriesViews {
    bits: Option<(Rc<BitsLayout>, BlockInfo, usize)>,
    bytes_chart: Rc<ChartLayout>,
    bytes_per_point: f64,
    points: usize,
    bytes: usize,
    appended: usize,
    blocks: Rc<Vec<BlockRow>>,
    query: Option<String>,
    retention: Option<String>,
    downsample: Option<(Rc<ChartLayout>, Rc<Vec<Bucket>>, String)>,
    last_op: Option<LastOp>,
}

impl StructurePage for TimeSeriesTopic {
    type Model = SeriesViews;
    type Body = Body;

    fn model(series: &TimeSeries) -> SeriesViews {
        build_views(series)
    }
}

fn build_views(series: &TimeSeries) -> SeriesViews {
    let store = series.store();
    let last_op = series.last_op();
    let bits = series.newest_block().map(|b| {
        (
            Rc::new(gorilla_bits::layout(&b.explanation)),
            b.block,
            b.explanation.points.len(),
        )
    });
    let samples = series.compression();
    let bytes_chart = chart::layout(
        &[
            Series {
                name: "measured bytes/point".into(),
                points: samples
                    .iter()
                    .map(|s| (s.appended as f64, s.bytes_per_point()))
                    .collect(),
                dashed: false,
            },
            Series {
                name: "raw: 16 bytes".into(),
                points: match (samples.first(), samples.last()) {
                    (Some(a), Some(b)) => {
                        vec![
                            (a.appended as f64, RAW_BYTES),
                            (b.appended as f64, RAW_BYTES),
                        ]
                    }
                    _ => Vec::new(),
                },
                dashed: true,
            },
        ],
        520.0,
        220.0,
        "points appended",
        "bytes per point",
    );
    let query = series.last_query();
    let retention = series.last_retention();
    let decoded: Vec<i64> = match (last_op, query) {
        (Some(LastOp::RangeQuery), Some(q)) => q.result.decoded_blocks.clone(),
        _ => Vec::new(),
    };
    let mut rows: Vec<BlockRow> = Vec::new();
    if let (Some(LastOp::Retention), Some(r)) = (last_op, retention) {
        rows.extend(r.result.dropped.iter().map(|&block| BlockRow {
            number: None,
            block,
            state: "dropped",
        }));
    }
    let queried = matches!(last_op, Some(LastOp::RangeQuery));
    rows.extend(
        store
            .blocks()
            .into_iter()
            .enumerate()
            .map(|(i, block)| BlockRow {
                number: Some(i + 1),
                state: if !queried {
                    ""
                } else if decoded.contains(&block.index) {
                    "decoded"
                } else {
                    "skipped"
                },
                block,
            }),
    );
    let query_text = query.map(|q| {
        format!(
            "Last range query {} .. {}: decoded {} of {} block(s), skipped {}; {} point(s) decoded to return {}.",
            clock(q.from),
            clock(q.to),
            q.result.blocks_decoded,
            q.blocks,
            q.result.blocks_skipped,
            q.result.points_decoded,
            q.result.points.len()
        )
    });
    let retention_text = retention.map(|r| {
        format!(
            "Last retention kept {} before the newest point ({}): cutoff {}, dropped {} block(s), {} point(s), {} byte(s).",
            span(r.horizon),
            clock(r.now),
            clock(r.cutoff),
            r.result.dropped.len(),
            r.result.points_dropped,
            r.result.bytes_dropped
        )
    });
    let downsample = series.last_downsample().map(|d| {
        let stride = d.buckets.len().div_ceil(MAX_CHART_BUCKETS).max(1);
        let hours = |b: &Bucket| (b.start - STREAM_START) as f64 / 3_600.0;
        let pick = |f: fn(&Bucket) -> f64| -> Vec<(f64, f64)> {
            d.buckets
                .iter()
                .step_by(stride)
                .map(|b| (hours(b), f(b)))
                .collect()
        };
        let chart = chart::layout(
            &[
                Series {
                    name: "max".into(),
                    points: pick(|b| b.max),
                    dashed: false,
                },
                Series {
                    name: "avg".into(),
                    points: pick(Bucket::avg),
                    dashed: false,
                },
                Series {
                    name: "min".into(),
                    points: pick(|b| b.min),
                    dashed: false,
                },
            ],
            520.0,
            220.0,
            "hours since the stream started",
            "value",
        );
        let text = format!(
            "{} point(s) in {} bucket(s) of {}",
            d.points,
            d.buckets.len(),
            span(d.resolution)
        );
        (Rc::new(chart), Rc::new(d.buckets.clone()), text)
    });
    SeriesViews {
        bits,
        bytes_chart: Rc::new(bytes_chart),
        bytes_per_point: series.bytes_per_point(),
        points: store.len(),
        bytes: store.total_bytes(),
        appended: series.appended(),
        blocks: Rc::new(rows),
        query: query_text,
        retention: retention_text,
        downsample,
        last_op,
    }
}

struct BlocksProps {
    rows: Rc<Vec<BlockRow>>,
}

fn blocks_table(props: &BlocksProps) -> Html {
    let rows = props.rows.iter().map(|row| {
        let b = &row.block;
        let state = match row.state {
            "" => if b.sealed { "sealed" } else { "open" },
            other => other,
        };
        html! {
            <tr key={format!("{}-{}", b.index, row.state)} class={classes!("block-row", (!row.state.is_empty()).then_some(row.state))} data-block={b.index.to_string()}>
                <td title={format!("window number {} (start / block duration)", b.index)}>{ row.number.map_or("–".to_string(), |n| n.to_string()) }</td>
                <td>{ format!("{} .. {}", clock(b.start), clock(b.end)) }</td>
                <td>{ b.points }</td>
                <td>{ b.bytes }</td>
                <td>{ format!("{:.2}", b.bytes_per_point()) }</td>
                <td class="block-state">{ state }</td>
            </tr>
        }
    });
    html! {
        <table class="state-table blocks">
            <thead><tr><th>{ "block" }</th><th>{ "window" }</th><th>{ "points" }</th><th>{ "bytes" }</th><th>{ "bytes/pt" }</th><th>{ "state" }</th></tr></thead>
            <tbody>{ for rows }</tbody>
        </table>
    }
}

fn value(v: f64) -> String {
    format!("{v:.3}")
        .trim_end_matches('0')
        .trim_end_matches('.')
        .to_string()
}

struct BucketsProps {
    buckets: Rc<Vec<Bucket>>,
}

fn buckets_table(props: &BucketsProps) -> Html {
    let n = props.buckets.len();
    // The newest buckets: what a dashboard shows first.
    let shown = &props.buckets[n.saturating_sub(TABLE_BUCKETS)..];
    let rows = shown.iter().map(|b| {
        html! {
            <tr key={b.start}>
                <td>{ clock(b.start) }</td><td>{ b.count }</td>
                <td>{ value(b.min) }</td><td>{ value(b.avg()) }</td><td>{ value(b.max) }</td>
            </tr>
        }
    });
    html! {
        <table class="state-table buckets">
            <thead><tr><th>{ "bucket" }</th><th>{ "points" }</th><th>{ "min" }</th><th>{ "avg" }</th><th>{ "max" }</th></tr></thead>
            <tbody>{ for rows }</tbody>
        </table>
    }
}

fn select_value(e: &Event) -> Option<usize> {
    e.target_unchecked_into::<HtmlSelectElement>()
        .value()
        .parse()
        .ok()
}

/// The operations and views of the time-series page.
#[function_component]
pub fn Body(props: &StructureProps<TimeSeriesTopic>) -> Html {
    let count = use_state(|| String::from("120"));
    let range = use_state(|| 1usize);
    let resolution = use_state(|| 1usize);
    let horizon = use_state(|| 3usize);
    let views = &props.model;
    let on_command = props.handle.on_command.clone();
    let act = |request: Option<SeriesRequest>| {
        let on_command = on_command.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(request) = &request {
                on_command.emit(StructureProps::<TimeSeriesTopic>::command(request));
            }
        })
    };
    let error = use_state(|| None::<String>);
    let append = {
        let (on_command, error, text) = (on_command.clone(), error.clone(), (*count).clone());
        Callback::from(move |_: MouseEvent| {
            if let Some(count) = operand(&text, 1, MAX_BATCH as i64, &error) {
                let request = SeriesRequest::Append {
                    count: count as u64,
                };
                on_command.emit(StructureProps::<TimeSeriesTopic>::command(&request));
            }
        })
    };
    let on_count = {
        let count = count.clone();
        Callback::from(move |e: InputEvent| {
            count.set(e.target_unchecked_into::<HtmlInputElement>().value())
        })
    };
    let chooser = |state: &UseStateHandle<usize>| {
        let state = state.clone();
        Callback::from(move |e: Event| {
            if let Some(i) = select_value(&e) {
                state.set(i);
            }
        })
    };
    let (_, length, back) = RANGES[(*range).min(RANGES.len() - 1)];
    let range_request = SeriesRequest::RangeQuery {
        span: length.min(u32::MAX as u64) as u32,
        back: back.min(u32::MAX as u64) as u32,
    };
    let resolution_s = RESOLUTIONS[(*resolution).min(RESOLUTIONS.len() - 1)];
    let horizon_s = HORIZONS[(*horizon).min(HORIZONS.len() - 1)];
    let empty = views.points == 0;
    let range_options = RANGES.iter().enumerate().map(|(i, (label, _, _))| {
        html! { <option key={i} value={i.to_string()} selected={i == *range}>{ *label }</option> }
    });
    let resolution_options = RESOLUTIONS.iter().enumerate().map(|(i, s)| {
        html! { <option key={i} value={i.to_string()} selected={i == *resolution}>{ span(*s) }</option> }
    });
    let horizon_options = HORIZONS.iter().enumerate().map(|(i, s)| {
        html! { <option key={i} value={i.to_string()} selected={i == *horizon}>{ span(*s) }</option> }
    });
    let operations = html! {
        <>
            <label class="field" title={format!("1 to {MAX_BATCH} points from the gauge stream")}>
                { "Points " }<input id="ts-count" type="text" inputmode="numeric" size="6" value={(*count).clone()} oninput={on_count} />
            </label>
            <button id="ts-append" onclick={append}>{ "Append batch" }</button>
            { operand_error("ts-count", &error) }
            <span class="op-sep"></span>
            <label class="field" title="Which range to query, relative to the newest point">
                { "Range " }<select id="ts-range" onchange={chooser(&range)}>{ for range_options }</select>
            </label>
            <button id="ts-query" onclick={act(Some(range_request))} disabled={empty}>{ "Range query" }</button>
            <span class="op-sep"></span>
            <label class="field" title="Bucket width">
                { "Resolution " }<select id="ts-resolution" onchange={chooser(&resolution)}>{ for resolution_options }</select>
            </label>
            <button id="ts-downsample" onclick={act(Some(SeriesRequest::Downsample { resolution: resolution_s as u64 }))}>{ "Downsample" }</button>
            <span class="op-sep"></span>
            <label class="field" title="Keep this much data before the newest point">
                { "Keep " }<select id="ts-horizon" onchange={chooser(&horizon)}>{ for horizon_options }</select>
            </label>
            <button id="ts-retention" onclick={act(Some(SeriesRequest::Retention { horizon: horizon_s as u64 }))} disabled={empty}>{ "Apply retention" }</button>
        </>
    };
    let bits = match &views.bits {
        Some((layout, block, shown)) => html! {
            <>
                <h3>
                    { "Newest block, bit by bit" }
                    <small>{ format!(" window {} .. {} · its first {shown} point(s) of {} · hover a field for its meaning", clock(block.start), clock(block.end), block.points) }</small>
                </h3>
                { views::gorilla_bits::draw(&GorillaBitsProps { layout: layout.clone() }) }
            </>
        },
        None => html! {
            <>
                <h3>{ "Newest block, bit by bit" }</h3>
                <p class="muted">{ "No block yet: append points to see them encoded." }</p>
            </>
        },
    };
    let ratio = if views.bytes_per_point > 0.0 {
        format!("{:.1}× smaller than raw", RAW_BYTES / views.bytes_per_point)
    } else {
        String::new()
    };
    let emphasis = |op: LastOp| views.last_op == Some(op);
    let body = html! {
        <>
            <section class="panel wide ts-bits" aria-label="bits">{ bits }</section>
            <section class="panel ts-bytes" aria-label="bytes per point">
                <h3>{ "Bytes per point" }<small>{ " measured after every append" }</small></h3>
                if views.points > 0 {
                    <p class="big-figure">
                        <strong id="bytes-per-point">{ format!("{:.2}", views.bytes_per_point) }</strong>
                        { " bytes/point vs 16 raw" }
                        <span class="muted">{ format!(" · {ratio} · {} point(s) in {} byte(s), {} appended in all", views.points, views.bytes, views.appended) }</span>
                    </p>
                } else {
                    <p class="muted">{ format!("Nothing stored ({} appended in all): append points to measure.", views.appended) }</p>
                }
                if views.appended > 0 {
                    { views::chart::draw(&ChartProps { layout: views.bytes_chart.clone(), title: "Compressed size per point as the store fills".into() }) }
                }
            </section>
            <section class="panel ts-blocks" aria-label="blocks">
                <h3>{ "Blocks" }<small>{ " one per time window; only the newest is open" }</small></h3>
                if let Some(text) = &views.query {
                    <p id="query-result" class={classes!("op-result", emphasis(LastOp::RangeQuery).then_some("current"))}>{ text }</p>
                }
                if let Some(text) = &views.retention {
                    <p id="retention-result" class={classes!("op-result", emphasis(LastOp::Retention).then_some("current"))}>{ text }</p>
                }
                { blocks_table(&BlocksProps { rows: views.blocks.clone() }) }
            </section>
            <section class="panel ts-downsample" aria-label="downsampling">
                <h3>{ "Downsampling" }<small>{ " min, avg and max per bucket" }</small></h3>
                if let Some((chart, buckets, text)) = &views.downsample {
                    <p id="downsample-result" class={classes!("op-result", emphasis(LastOp::Downsample).then_some("current"))}>{ text.clone() }{ format!("; the newest {} below.", buckets.len().min(TABLE_BUCKETS)) }</p>
                    { views::chart::draw(&ChartProps { layout: chart.clone(), title: "Buckets over time".into() }) }
                    { buckets_table(&BucketsProps { buckets: buckets.clone() }) }
                } else {
                    <p class="muted">{ "No downsample yet: pick a resolution and press Downsample." }</p>
                }
            </section>
        </>
    };
    structure::body(operations, body)
}
