//! The Bloom filter page: the bit array (counters in the counting variant) with the
//! last operation's positions lit, the last query explained (which bits it checked
//! and, for a false positive, which inserted items set them), the measured
//! false-positive rate against (1 - e^(-kn/m))^k, and a sizing calculator.
//! Operations insert, query, insert a batch, find a false positive, measure and
//! (counting variant) remove.
//!
//! Everything shown is read from `BloomFilterState`; the grid and the chart are the
//! page's model, computed once per step. What an operation did is told by core's
//! own note (shown by the shared frame); this page adds the probe table of the last
//! query. The sizing calculator is local: typing in it changes no scenario, it only
//! calls `distlab_core::bloom::sizing`.

use std::rc::Rc;

use distlab_core::bloom::{sizing, QueryOutcome};
use distlab_core::topics::bloom_filter::{
    item_name, BloomEvent, BloomFilterState, BloomFilterTopic, BloomOp, QueryRecord, RemoveResult,
    MAX_BATCH, MAX_ITEMS, PROBES,
};
use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::structure::{self, StructurePage, StructureProps};
use crate::views;
use crate::views::field::operand;
use crate::layout::bits::{self, BitsLayout, Mark};
use crate::layout::chart::{self, ChartLayout, Series};
use crate::views::bits::BitsProps;
use crate::views::chart::ChartProps;

/// Items a batch inserts unless the person picks another number.
const DEFAULT_BATCH: u64 = 20;
/// The most points per chart line (longer series are thinned evenly).
const MAX_CHART_POINTS: usize = 400;
/// Inserted items listed per checked position.
const MAX_SETTERS: usize = 6;
/// Never-inserted items the "query a new item" button draws from: at or above the
/// range random items come from, so they are fresh unless typed in by hand.
const FRESH_BASE: u64 = 1_000_000;

/// The grid and the chart, computed once per step.
#[derive(PartialEq)]
pub struct Model {
    grid: Rc<BitsLayout>,
    chart: Rc<ChartLayout>,
}

impl StructurePage for BloomFilterTopic {
    type Model = Model;
    type Body = Body;

    fn model(state: &BloomFilterState) -> Model {
        build(state)
    }
}

/// The positions the last operation touched, for the grid.
fn marks(state: &BloomFilterState) -> Vec<(usize, Mark)> {
    match state.last() {
        Some(BloomEvent::Insert { probes, .. }) => probes
            .iter()
            .map(|p| {
                let mark = if p.set {
                    Mark::InsertedAgain
                } else {
                    Mark::Inserted
                };
                (p.index, mark)
            })
            .collect(),
        Some(BloomEvent::Query(record)) => record
            .explanation
            .probes
            .iter()
            .map(|p| {
                let mark = if p.set {
                    Mark::ProbeSet
                } else {
                    Mark::ProbeClear
                };
                (p.index, mark)
            })
            .collect(),
        Some(BloomEvent::Remove {
            result: RemoveResult::Removed { positions, .. },
            ..
        }) => positions.iter().map(|&i| (i, Mark::Removed)).collect(),
        _ => Vec::new(),
    }
}

/// At most `max` points, evenly spaced, always keeping the last.
pub fn thin(points: Vec<(f64, f64)>, max: usize) -> Vec<(f64, f64)> {
    let max = max.max(2);
    if points.len() <= max {
        return points;
    }
    let stride = points.len().div_ceil(max - 1);
    let last = points.len() - 1;
    points
        .into_iter()
        .enumerate()
        .filter(|(i, _)| i % stride == 0 || *i == last)
        .map(|(_, p)| p)
        .collect()
}

fn build(state: &BloomFilterState) -> Model {
    let filter = state.filter();
    let grid = bits::layout(&filter.cells(), filter.is_counting(), &marks(state));
    let samples = state.series();
    let series =
        |name: &str,
         dashed: bool,
         pick: fn(&distlab_core::topics::bloom_filter::FpSample) -> f64| Series {
            name: name.to_string(),
            points: thin(
                samples.iter().map(|s| (s.items as f64, pick(s))).collect(),
                MAX_CHART_POINTS,
            ),
            dashed,
        };
    let chart = chart::layout(
        &[
            series(&format!("measured ({PROBES} probes)"), false, |s| {
                s.measured
            }),
            series("(1 − e^(−kn/m))^k", true, |s| s.theory),
            series("fill^k", true, |s| s.from_fill),
        ],
        460.0,
        220.0,
        "items inserted (n)",
        "false-positive rate",
    );
    Model {
        grid: Rc::new(grid),
        chart: Rc::new(chart),
    }
}

/// An item number from what the person typed: `42` or `item-42`. `Ok(None)` when
/// the field is empty; `Err` says what is wrong.
pub fn parse_item(text: &str) -> Result<Option<u64>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let digits = text
        .strip_prefix("item-")
        .or_else(|| text.strip_prefix("ITEM-"))
        .unwrap_or(text)
        .trim();
    digits
        .parse::<u64>()
        .map(Some)
        .map_err(|_| format!("'{text}' is not an item: type a number such as 42 or item-42"))
}

/// A false-positive rate from what the person typed: `0.01`, `1%` or `1e-3`.
pub fn parse_rate(text: &str) -> Result<f64, String> {
    let text = text.trim();
    let (number, scale) = match text.strip_suffix('%') {
        Some(rest) => (rest.trim(), 0.01),
        None => (text, 1.0),
    };
    match number.parse::<f64>() {
        Ok(value) if value.is_finite() && value > 0.0 && value * scale < 1.0 => Ok(value * scale),
        _ => Err(format!(
            "'{text}' is not a rate between 0 and 1: try 0.01 or 1%"
        )),
    }
}

/// A percentage with enough digits for small rates.
fn percent(rate: f64) -> String {
    let p = rate * 100.0;
    if p == 0.0 {
        "0%".to_string()
    } else if p < 0.01 {
        format!("{p:.1e}%")
    } else if p < 1.0 {
        format!("{p:.3}%")
    } else {
        format!("{p:.2}%")
    }
}

fn items_text(items: &[u64], max: usize) -> String {
    let mut names: Vec<String> = items.iter().take(max).map(|&i| item_name(i)).collect();
    if items.len() > max {
        names.push(format!("and {} more", items.len() - max));
    }
    names.join(", ")
}

fn query_view(record: &QueryRecord, counting: bool, cells: &[u8]) -> Html {
    let item = item_name(record.item);
    let (class, verdict) = match record.outcome {
        QueryOutcome::TrueNegative => (
            "true-negative",
            format!("{item}: certainly absent. One clear position is proof."),
        ),
        QueryOutcome::TruePositive => (
            "true-positive",
            format!("{item}: maybe present, and it was inserted (a true positive)."),
        ),
        QueryOutcome::FalsePositive => (
            "false-positive",
            format!("{item}: maybe present, yet it was never inserted: a false positive. Every position it checks was set by other items:"),
        ),
        QueryOutcome::ListMismatch => (
            "false-negative",
            format!("{item}: a position is clear although it was inserted: a false negative, which a correct filter never gives."),
        ),
    };
    let rows = record
        .explanation
        .probes
        .iter()
        .enumerate()
        .map(|(i, probe)| {
            let setters = record
                .setters
                .iter()
                .find(|s| s.index == probe.index)
                .map(|s| s.items.as_slice())
                .unwrap_or(&[]);
            let value = if counting {
                cells
                    .get(probe.index)
                    .map_or(String::new(), |v| format!("counter {v}"))
            } else if probe.set {
                "1".to_string()
            } else {
                "0".to_string()
            };
            let by = if setters.is_empty() {
                "no inserted item".to_string()
            } else {
                items_text(setters, MAX_SETTERS)
            };
            html! {
                <tr key={i} class={if probe.set { "set" } else { "clear" }}>
                    <td>{ probe.index }</td>
                    <td>{ value }</td>
                    <td>{ if probe.set { "set" } else { "clear" } }</td>
                    <td class="setters">{ by }</td>
                </tr>
            }
        });
    html! {
        <div class={classes!("query", class)} data-outcome={class}>
            <p class="outcome">{ verdict }</p>
            <table class="probes">
                <thead><tr><th>{ "position" }</th><th>{ if counting { "counter" } else { "bit" } }</th><th>{ "" }</th><th>{ "set by (inserted items with this position)" }</th></tr></thead>
                <tbody>{ for rows }</tbody>
            </table>
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct SizingProps {
    /// The run's own figures: m, k, n, bits per item, expected and optimal rate.
    own: distlab_core::topics::bloom_filter::SizingReport,
}

/// The sizing calculator: n and p in, m, k and bits per item out, as the person
/// types. Local state only.
#[function_component]
fn SizingCalculator(props: &SizingProps) -> Html {
    let n_text = use_state(|| "1000".to_string());
    let p_text = use_state(|| "1%".to_string());
    let on_n = {
        let n_text = n_text.clone();
        Callback::from(move |e: InputEvent| {
            n_text.set(e.target_unchecked_into::<HtmlInputElement>().value());
        })
    };
    let on_p = {
        let p_text = p_text.clone();
        Callback::from(move |e: InputEvent| {
            p_text.set(e.target_unchecked_into::<HtmlInputElement>().value());
        })
    };
    let n = n_text
        .trim()
        .parse::<usize>()
        .ok()
        .filter(|&n| n >= 1)
        .ok_or_else(|| format!("'{}' is not a number of items", n_text.trim()));
    let p = parse_rate(&p_text);
    let result = match (n, p) {
        (Ok(n), Ok(p)) => {
            let plan = sizing(n, p);
            let clamped = if (plan.p - p).abs() > p * 1e-9 {
                Some(format!("p clamped to {}", plan.p))
            } else {
                None
            };
            html! {
                <dl class="sizing-result" id="sizing-result">
                    <dt>{ "bits (m)" }</dt><dd id="size-m">{ plan.m }</dd>
                    <dt>{ "hashes (k)" }</dt><dd id="size-k">{ plan.k }</dd>
                    <dt>{ "bits per item" }</dt><dd id="size-bpi">{ format!("{:.2}", plan.bits_per_item) }</dd>
                    <dt>{ "rate with these" }</dt><dd>{ percent(plan.expected_rate) }</dd>
                    <dt>{ "memory" }</dt><dd>{ bytes(plan.m) }</dd>
                    if let Some(note) = clamped { <dd class="hint">{ note }</dd> }
                </dl>
            }
        }
        (n, p) => {
            let errors: Vec<String> = [n.err(), p.err()].into_iter().flatten().collect();
            html! { <p class="error" id="sizing-error">{ errors.join("; ") }</p> }
        }
    };
    let own = &props.own;
    html! {
        <div class="sizing">
            <div class="sizing-inputs">
                <label class="field">{ "items n " }<input id="size-n" type="text" inputmode="numeric" value={(*n_text).clone()} oninput={on_n} /></label>
                <label class="field">{ "target rate p " }<input id="size-p" type="text" value={(*p_text).clone()} oninput={on_p} /></label>
            </div>
            { result }
            <p class="hint">{ format!(
                "This filter: m = {}, k = {} for n = {} is {:.1} bits per item, rate {}; the best k here is {} ({}). For {} items at 1%: m = {}, k = {}.",
                own.m, own.k, own.n, own.bits_per_item, percent(own.expected_rate), own.optimal_k,
                percent(own.optimal_rate), own.n, own.for_one_percent.m, own.for_one_percent.k
            ) }</p>
        </div>
    }
}

fn bytes(bits: usize) -> String {
    let bytes = bits.div_ceil(8) as f64;
    if bytes < 1024.0 {
        format!("{bytes} B")
    } else if bytes < 1024.0 * 1024.0 {
        format!("{:.1} KiB", bytes / 1024.0)
    } else {
        format!("{:.1} MiB", bytes / (1024.0 * 1024.0))
    }
}

/// The operations and views of the Bloom filter page.
#[function_component]
pub fn Body(props: &StructureProps<BloomFilterTopic>) -> Html {
    let item_text = use_state(String::new);
    let batch = use_state(|| DEFAULT_BATCH.to_string());
    let error = use_state(|| None::<String>);
    let model = &props.model;
    let state = props.state();
    let steps = props.steps();
    let filter = state.filter();
    let counting = filter.is_counting();
    let live = state.live();

    // Arguments the buttons need, picked from the live items.
    let next_item = (1..).find(|n| !live.contains_key(n)).unwrap_or(1);
    let member = (!live.is_empty())
        .then(|| live.keys().nth((steps as usize) % live.len()).copied())
        .flatten();
    let fresh = (FRESH_BASE + steps..)
        .find(|n| !live.contains_key(n))
        .unwrap_or(FRESH_BASE);
    let full = live.len() >= MAX_ITEMS;

    // An operation on the typed item (or `fallback` when the field is empty).
    let on_item = |request: fn(u64) -> BloomOp, fallback: Option<u64>| {
        let on_command = props.handle.on_command.clone();
        let text = (*item_text).clone();
        let error = error.clone();
        Callback::from(move |_: MouseEvent| match parse_item(&text) {
            Ok(item) => match item.or(fallback) {
                Some(item) => {
                    error.set(None);
                    on_command.emit(StructureProps::<BloomFilterTopic>::command(&request(item)));
                }
                None => error.set(Some("type an item number first".to_string())),
            },
            Err(message) => error.set(Some(message)),
        })
    };
    let act = |request: BloomOp| {
        let error = error.clone();
        props.handle.on_command.reform(move |_: MouseEvent| {
            error.set(None);
            StructureProps::<BloomFilterTopic>::command(&request)
        })
    };
    let on_text = {
        let item_text = item_text.clone();
        Callback::from(move |e: InputEvent| {
            item_text.set(e.target_unchecked_into::<HtmlInputElement>().value());
        })
    };
    let on_batch = {
        let batch = batch.clone();
        Callback::from(move |e: InputEvent| {
            batch.set(e.target_unchecked_into::<HtmlInputElement>().value());
        })
    };
    let insert_batch = {
        let (on_command, error, text) = (props.handle.on_command.clone(), error.clone(), (*batch).clone());
        let most = (MAX_ITEMS.saturating_sub(live.len()) as u64).clamp(1, MAX_BATCH) as i64;
        Callback::from(move |_: MouseEvent| {
            if let Some(count) = operand(&text, 1, most, &error) {
                let request = BloomOp::InsertBatch {
                    count: count as u32,
                };
                on_command.emit(StructureProps::<BloomFilterTopic>::command(&request));
            }
        })
    };

    let operations = html! {
        <>
            <span class="field">
                <input id="item" type="text" placeholder={format!("e.g. {next_item}")} aria-label="item number"
                    value={(*item_text).clone()} oninput={on_text} size="10" />
                <button id="insert" onclick={on_item(|item| BloomOp::Insert { item }, Some(next_item))} disabled={full}
                    title={format!("Insert the typed item, or {} if the field is empty", item_name(next_item))}>{ "Insert" }</button>
                <button id="query" onclick={on_item(|item| BloomOp::Query { item }, None)} title="Query the typed item">{ "Query" }</button>
            </span>
            <button id="query-member" onclick={act(BloomOp::Query { item: member.unwrap_or(0) })} disabled={member.is_none()}
                title="Query an item that was inserted: always maybe present">{ "Query an inserted item" }</button>
            <button id="query-fresh" onclick={act(BloomOp::Query { item: fresh })}
                title="Query an item never inserted: usually certainly absent">{ "Query a new item" }</button>
            <span class="field">
                <input id="batch-count" type="text" inputmode="numeric" size="5" value={(*batch).clone()}
                    oninput={on_batch} aria-label="items per batch" />
                <button id="insert-batch" onclick={insert_batch} disabled={full}>{ "Insert batch" }</button>
            </span>
            <button id="find-fp" onclick={act(BloomOp::FindFalsePositive)}
                title="Try never-inserted items until one tests positive, and explain it">{ "Find a false positive" }</button>
            <button id="measure" onclick={act(BloomOp::Measure)} title={format!("Query {PROBES} never-inserted probes")}>{ "Measure rate" }</button>
            if counting {
                <button id="remove" onclick={on_item(|item| BloomOp::Remove { item }, member)} disabled={member.is_none() && item_text.trim().is_empty()}
                    title="Remove the typed item, or an inserted one if the field is empty">{ "Remove" }</button>
                <button id="remove-fp" onclick={act(BloomOp::RemoveFalsePositive)}
                    title="Find a false positive and try to remove it">{ "Remove a false positive" }</button>
            } else {
                <small class="hint">{ "Removal needs the counting variant (parameter Counting filter = 1)." }</small>
            }
            if let Some(message) = &*error { <span class="error" id="item-error">{ message }</span> }
        </>
    };

    let sample = state.series().last().copied();
    let stats = format!(
        "m = {} {}, k = {}, n = {} items; {} of {} positions set ({:.1}%){}",
        filter.m(),
        if counting { "counters" } else { "bits" },
        filter.k(),
        live.len(),
        filter.count_set(),
        filter.m(),
        filter.fill_ratio() * 100.0,
        sample.map_or(String::new(), |s| format!(
            "; false positives: measured {}, theory {}",
            percent(s.measured),
            percent(s.theory)
        ))
    );

    let views = html! {
        <>
            <section class="panel bits-panel" aria-label="bit array">
                <h3>{ if counting { "Counters" } else { "Bit array" } }<small>{
                    " filled: set; amber: the last insert's k positions; green / red outline: a query's positions, set / clear"
                }</small></h3>
                { views::bits::draw(&BitsProps { layout: model.grid.clone() }) }
                <p class="stats" id="bloom-stats">{ stats }</p>
                if let Some(BloomEvent::Query(record)) = state.last() {
                    <div class="last-query" id="last-query">{ query_view(record, counting, &filter.cells()) }</div>
                }
            </section>
            <section class="panel fp-panel" aria-label="false-positive rate">
                { views::chart::draw(&ChartProps { layout: model.chart.clone(), title: "False-positive rate: measured vs (1 − e^(−kn/m))^k".into() }) }
                <h3 class="sizing-title">{ "Sizing calculator" }<small>{ " m = −n ln p / (ln 2)², k = (m/n) ln 2" }</small></h3>
                <SizingCalculator own={*state.sizing()} />
            </section>
        </>
    };
    structure::body(operations, views)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_items_parse_or_explain_why_not() {
        assert_eq!(parse_item(" 42 "), Ok(Some(42)));
        assert_eq!(parse_item("item-7"), Ok(Some(7)));
        assert_eq!(parse_item(""), Ok(None));
        assert!(parse_item("item-").is_err());
        assert!(parse_item("-3").is_err());
        assert!(parse_item("99999999999999999999999").is_err());
        assert!(parse_item("bob").unwrap_err().contains("bob"));
    }

    #[test]
    fn rates_parse_as_fractions_or_percentages() {
        assert_eq!(parse_rate("0.01"), Ok(0.01));
        assert!((parse_rate("1%").unwrap() - 0.01).abs() < 1e-12);
        assert!((parse_rate(" 0.5 % ").unwrap() - 0.005).abs() < 1e-12);
        assert_eq!(parse_rate("1e-3"), Ok(0.001));
        for bad in ["", "0", "1", "150%", "-0.1", "NaN", "inf", "abc"] {
            assert!(parse_rate(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn thinning_keeps_the_ends_and_stays_under_the_limit() {
        let points: Vec<(f64, f64)> = (0..1000).map(|i| (i as f64, 0.0)).collect();
        let thinned = thin(points, 400);
        assert!(thinned.len() <= 400);
        assert_eq!(thinned.first().unwrap().0, 0.0);
        assert_eq!(thinned.last().unwrap().0, 999.0);
        assert_eq!(thin(vec![(1.0, 1.0)], 400).len(), 1);
    }

    #[test]
    fn percentages_keep_small_rates_readable() {
        assert_eq!(percent(0.0), "0%");
        assert_eq!(percent(0.0615), "6.15%");
        assert_eq!(percent(0.0012), "0.120%");
        assert_eq!(percent(0.0000001), "1.0e-5%");
        assert_eq!(bytes(9586), "1.2 KiB");
    }
}
