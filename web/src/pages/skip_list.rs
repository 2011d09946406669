//! The skip list page: the lanes with their towers, the last insert's coin flips
//! and tower, the last search's path with its step and comparison counts, the mean
//! search cost measured as the list grew against log2 n, and the lane table; an
//! operations bar to insert (a typed or random key), search, remove and insert a
//! batch. Everything drawn is read off `SkipListState`.

use std::rc::Rc;

use distlab_core::lab::structure::state;
use distlab_core::sim::ops::Structure;
use distlab_core::sim::view::StateTable;
use distlab_core::skiplist::Coin;
use distlab_core::topics::skip_list::{
    log2, SearchRecord, SkipListEvent, SkipListOp, SkipListState, SkipListTopic, MAX_BATCH,
};
use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::structure::{self, StructurePage, StructureProps};
use crate::views;
use crate::views::field::{operand, operand_error};
use crate::layout::chart::{self, ChartLayout, Series};
use crate::layout::skip_lanes::{self, LanesInput, LanesLayout};
use crate::views::chart::ChartProps;
use crate::views::skip_lanes::SkipLanesProps;
use crate::views::state_table::StateTableProps;

/// Most key columns drawn; longer lists show a window around the last operation.
const MAX_COLUMNS: usize = 30;
/// Most keys of a batch marked as new.
const MAX_FRESH: usize = 400;

/// What the last operation did, in words and figures, for the summary line.
#[derive(Clone, PartialEq)]
enum Summary {
    None,
    Insert {
        key: u64,
        flips: Vec<Coin>,
        height: usize,
        replaced: bool,
        comparisons: usize,
    },
    Search(SearchRecord),
    Remove {
        key: u64,
        removed: bool,
    },
    Batch {
        count: usize,
        by_height: Vec<usize>,
    },
}

#[derive(PartialEq)]
pub struct SkipViews {
    lanes: Rc<LanesLayout>,
    chart: Rc<ChartLayout>,
    table: Rc<StateTable>,
    summary: Summary,
    len: usize,
    height: usize,
    max_key: u64,
    mean_now: Option<f64>,
    /// Whether the cost was measured yet (an empty list has no cost).
    measured: bool,
}

impl StructurePage for SkipListTopic {
    type Model = SkipViews;
    type Body = Body;

    fn model(state: &SkipListState) -> SkipViews {
        build_views(state, state.state_table())
    }
}

fn build_views(state: &SkipListState, table: StateTable) -> SkipViews {
    let list = state.list();
    let mut input = LanesInput {
        towers: list.towers().iter().map(|t| (*t.key, t.height)).collect(),
        lanes: list.height(),
        max_columns: MAX_COLUMNS,
        ..LanesInput::default()
    };
    let summary = match state.last() {
        None => Summary::None,
        Some(SkipListEvent::Insert {
            key,
            path,
            flips,
            height,
            replaced,
        }) => {
            input.path = path.steps.clone();
            input.highlight = Some(*key);
            Summary::Insert {
                key: *key,
                flips: flips.clone(),
                height: *height,
                replaced: *replaced,
                comparisons: path.comparisons,
            }
        }
        Some(SkipListEvent::Search(record)) => {
            input.path = record.steps.clone();
            Summary::Search(record.clone())
        }
        Some(SkipListEvent::Remove { key, path, removed }) => {
            input.path = path.steps.clone();
            Summary::Remove {
                key: *key,
                removed: *removed,
            }
        }
        Some(SkipListEvent::Batch { keys }) => {
            input.fresh = keys.iter().take(MAX_FRESH).map(|&(k, _)| k).collect();
            let tallest = keys.iter().map(|&(_, h)| h).max().unwrap_or(0);
            let mut by_height = vec![0; tallest];
            for &(_, h) in keys {
                if let Some(slot) = by_height.get_mut(h.saturating_sub(1)) {
                    *slot += 1;
                }
            }
            Summary::Batch {
                count: keys.len(),
                by_height,
            }
        }
    };
    let cost = state.cost();
    let series = vec![
        Series {
            name: "measured mean comparisons".into(),
            points: cost
                .iter()
                .map(|c| (c.n as f64, c.mean_comparisons))
                .collect(),
            dashed: false,
        },
        Series {
            name: "log2 n".into(),
            points: cost.iter().map(|c| (c.n as f64, c.log2_n)).collect(),
            dashed: true,
        },
        Series {
            name: "Pugh's bound 2 log2 n + 2".into(),
            points: cost.iter().map(|c| (c.n as f64, c.bound)).collect(),
            dashed: true,
        },
    ];
    SkipViews {
        lanes: Rc::new(skip_lanes::layout(&input)),
        chart: Rc::new(chart::layout(
            &series,
            560.0,
            260.0,
            "keys in the list (n)",
            "comparisons per search",
        )),
        measured: !cost.is_empty(),
        table: Rc::new(table),
        summary,
        len: list.len(),
        height: list.height(),
        max_key: state.max_key(),
        mean_now: cost.last().map(|c| c.mean_comparisons),
    }
}

fn coins(flips: &[Coin]) -> Html {
    let chips = flips.iter().enumerate().map(|(i, coin)| {
        let (class, text) = match coin {
            Coin::Heads => ("coin heads", "H"),
            Coin::Tails => ("coin tails", "T"),
        };
        html! { <span key={i} class={class} title={if text == "H" { "heads: one lane higher, flip again" } else { "tails: stop" }}>{ text }</span> }
    });
    html! { <span class="coins" id="coin-flips">{ for chips }</span> }
}

/// The figures of the last operation beside the lanes: an insert's coin flips and
/// height, a search's steps and outcome. What it means is core's note, shown above.
fn last_figures(summary: &Summary) -> Html {
    match summary {
        Summary::Insert {
            flips,
            height,
            replaced: false,
            ..
        } => html! {
            <p class="last-figures" id="last-op">
                { "Coin flips " }{ coins(flips) }{ " → " }
                <strong id="insert-height">{ format!("height {height}") }</strong>
            </p>
        },
        Summary::Search(record) => {
            let steps = record.rights() + record.downs();
            html! {
                <p class="last-figures" id="last-op">
                    <strong id="search-steps">{ format!("{steps} steps") }</strong>
                    { format!(" ({} right, {} down), {} comparison(s): ", record.rights(), record.downs(), record.comparisons) }
                    if record.found { <span class="found">{ "found" }</span> } else { <span class="absent">{ "absent" }</span> }
                </p>
            }
        }
        _ => html! {},
    }
}

/// The operations and views of the skip list page.
#[function_component]
pub fn Body(props: &StructureProps<SkipListTopic>) -> Html {
    let key = use_state(|| String::from("50"));
    let batch = use_state(|| String::from("50"));
    let views = &props.model;
    let on_command = props.handle.on_command.clone();
    let max_key = views.max_key;
    let error = use_state(|| None::<String>);
    // A request on the typed key (or batch size), refused with a message when the
    // field holds no whole number in range.
    let act = |field: &'static str, make: fn(u64) -> SkipListOp| {
        let on_command = on_command.clone();
        let error = error.clone();
        let (text, max) = match field {
            "skip-key" => ((*key).clone(), max_key as i64),
            _ => ((*batch).clone(), MAX_BATCH as i64),
        };
        Callback::from(move |_: MouseEvent| {
            if let Some(value) = operand(&text, 1, max, &error) {
                on_command.emit(StructureProps::<SkipListTopic>::command(&make(value as u64)));
            }
        })
    };
    let random_insert = {
        let on_command = on_command.clone();
        let key = key.clone();
        let player = props.handle.player.clone();
        Callback::from(move |_: MouseEvent| {
            // A few draws to find a key not already present (any key is valid).
            let mut pick = 1;
            for _ in 0..32 {
                pick = 1 + (js_sys::Math::random() * max_key as f64) as u64;
                let present = player.try_borrow().ok().is_some_and(|p| {
                    state::<SkipListTopic>(p.run())
                        .is_some_and(|list| list.reference().contains(&pick))
                });
                if !present {
                    break;
                }
            }
            let pick = pick.clamp(1, max_key.max(1));
            key.set(pick.to_string());
            on_command.emit(StructureProps::<SkipListTopic>::command(
                &SkipListOp::Insert { key: pick },
            ));
        })
    };
    let on_key = {
        let key = key.clone();
        Callback::from(move |e: InputEvent| {
            key.set(e.target_unchecked_into::<HtmlInputElement>().value())
        })
    };
    let on_batch = {
        let batch = batch.clone();
        Callback::from(move |e: InputEvent| {
            batch.set(e.target_unchecked_into::<HtmlInputElement>().value())
        })
    };
    let operations = html! {
        <>
            <label class="field" title={format!("A key from 1 to {max_key}")}>
                { "Key " }<input id="skip-key" type="text" inputmode="numeric" size="6" value={(*key).clone()} oninput={on_key} />
            </label>
            <button id="skip-insert" onclick={act("skip-key", |key| SkipListOp::Insert { key })}>{ "Insert" }</button>
            <button id="skip-insert-random" onclick={random_insert} title="Insert a random key not yet in the list">{ "Insert random" }</button>
            <button id="skip-search" onclick={act("skip-key", |key| SkipListOp::Search { key })}>{ "Search" }</button>
            <button id="skip-remove" onclick={act("skip-key", |key| SkipListOp::Remove { key })}>{ "Remove" }</button>
            <span class="op-sep"></span>
            <label class="field" title={format!("1 to {MAX_BATCH} new random keys")}>
                { "Batch " }<input id="skip-batch-count" type="text" inputmode="numeric" size="5" value={(*batch).clone()} oninput={on_batch} />
            </label>
            <button id="skip-batch" onclick={act("skip-batch-count", |count| SkipListOp::InsertBatch { count: count as u32 })}>{ "Insert batch" }</button>
            { operand_error("skip-operand", &error) }
        </>
    };
    let shown = if views.lanes.shown < views.lanes.total {
        let around = match views.summary {
            Summary::None | Summary::Batch { .. } => "a run around the tallest tower",
            _ => "the last operation's keys and the tallest towers",
        };
        format!(
            " · showing {} of {} keys: {around}",
            views.lanes.shown, views.lanes.total
        )
    } else {
        String::new()
    };
    let mean = views
        .mean_now
        .map(|m| {
            format!(
                "Now: {m:.2} comparisons per search on average for n = {}, log2 n = {:.2}.",
                views.len,
                log2(views.len)
            )
        })
        .unwrap_or_default();
    let body = html! {
        <>
            <section class="panel wide skip-lanes-panel" aria-label="lanes">
                <h3>
                    { "Lanes" }
                    <small>{ format!(" {} keys on {} lane(s){shown}", views.len, views.height) }</small>
                </h3>
                { last_figures(&views.summary) }
                { views::skip_lanes::draw(&SkipLanesProps { layout: views.lanes.clone() }) }
                <p class="legend-line muted">
                    <span class="sl-key highlighted"></span>{ " new tower " }
                    <span class="sl-key on-path"></span>{ " search stood here " }
                    <span class="sl-key probed"></span>{ " looked at, not smaller: drop a lane " }
                    <span class="sl-key end"></span>{ " search ends " }
                    <span class="sl-key elided"></span>{ " dashed link: passes over nodes not drawn" }
                </p>
            </section>
            <section class="panel skip-cost" aria-label="search cost">
                if views.measured {
                    { views::chart::draw(&ChartProps { layout: views.chart.clone(), title: "Mean search cost against log2 n".into() }) }
                } else {
                    <h3>{ "Mean search cost against log2 n" }</h3>
                    <p class="muted">{ "The list is empty: insert keys and the mean search cost is measured at every size." }</p>
                }
                <p class="muted">{ mean }</p>
            </section>
            <section class="panel skip-table" aria-label="lanes table">
                <h3>{ "Nodes per lane" }<small>{ " each lane holds about half the lane below" }</small></h3>
                { views::state_table::draw(&StateTableProps { table: views.table.clone(), up: Rc::new(Vec::new()) }) }
            </section>
        </>
    };
    structure::body(operations, body)
}
