//! The consistent-hashing page: the ring (arcs by owner, virtual-node points, keys,
//! the keys the last change moved), the same keys under mod-N, load per node as a
//! histogram, ring / jump / rendezvous / mod-N side by side, and the balance chart;
//! operations add and remove nodes, set the virtual-node count and add keys.
//!
//! Everything shown is read from `ConsistentHashingState`; the page only maps it
//! onto layouts, once per step (the layouts are the page's model, so playing
//! between operations redraws nothing).

use std::rc::Rc;

use distlab_core::topics::consistent_hashing::{
    ring_load_theory, ConsistentHashingState, ConsistentHashingTopic, RingChange, RingChangeKind,
    RingRequest, MAX_KEYS, MAX_KEYS_PER_OP, MAX_NODES, MAX_VNODES,
};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::structure::{self, StructurePage, StructureProps};
use crate::views;
use crate::views::field::{operand, operand_error};
use crate::layout::bars::{self, Bar, BarGroup, BarsLayout, Reference};
use crate::layout::chart::{self, ChartLayout, Series};
use crate::layout::ring::{
    self, node_colour, ArcInput, KeyInput, NodeInput, RingInput, RingLayout,
};
use crate::views::bars::BarsProps;
use crate::views::chart::ChartProps;
use crate::views::ring::RingProps;

/// Keys a click on "Add keys" adds unless the person picks another number.
const DEFAULT_KEYS_TO_ADD: u64 = 100;
/// Flows (from -> to: count) listed under the ring.
const MAX_FLOWS: usize = 8;

/// One row of the side-by-side table.
#[derive(Clone, Debug, PartialEq)]
struct SchemeRow {
    name: &'static str,
    std_dev: f64,
    relative: f64,
    max_over_mean: f64,
    /// Keys moved on the last node change, with the ideal; `None` before any.
    moved: Option<(usize, f64)>,
}

/// Everything drawn, computed once per step.
#[derive(PartialEq)]
pub struct Model {
    ring: Rc<RingLayout>,
    mod_n: Rc<RingLayout>,
    bars: Rc<BarsLayout>,
    chart: Rc<ChartLayout>,
    rows: Vec<SchemeRow>,
    /// The table's "moved" column header (which change it is about).
    moved_header: String,
    caption: Option<String>,
    flows: Option<String>,
    mod_n_caption: String,
    load_caption: String,
    nodes: Vec<String>,
    vnodes: u32,
    keys: usize,
    placed_by_ring: bool,
}

fn node_index(nodes: &[&str], name: &str) -> Option<usize> {
    nodes.iter().position(|n| *n == name)
}

fn node_inputs(nodes: &[&str]) -> Vec<NodeInput> {
    nodes
        .iter()
        .map(|name| NodeInput {
            name: name.to_string(),
            colour: node_colour(name),
        })
        .collect()
}

/// The previous owner's palette slot of every key that moved on `change`.
fn moved_from(moves: &[distlab_core::hashing::KeyMove], keys: usize) -> Vec<Option<Option<usize>>> {
    let mut from = vec![None; keys];
    for mv in moves {
        if let Some(slot) = from.get_mut(mv.key) {
            *slot = Some(mv.from.as_deref().map(node_colour));
        }
    }
    from
}

fn change_caption(change: &RingChange) -> String {
    let m = &change.movement;
    match &change.kind {
        RingChangeKind::AddNode { name } => format!(
            "{name} joined: moved {} of {} keys (ideal K/n = {:.1})",
            m.moved, m.total, m.ideal
        ),
        RingChangeKind::RemoveNode { name } => format!(
            "{name} left: moved {} of {} keys (ideal K/n = {:.1})",
            m.moved, m.total, m.ideal
        ),
        RingChangeKind::SetVnodes { from, to } => format!(
            "virtual nodes per node {from} → {to}: moved {} of {} keys (only keys on points that came or went)",
            m.moved, m.total
        ),
        RingChangeKind::AddKeys { count } => format!(
            "{count} keys added: moved {} of {} existing keys",
            m.moved, m.total
        ),
    }
}

fn flows_text(change: &RingChange) -> Option<String> {
    let flows = &change.movement.flows;
    if flows.is_empty() {
        return None;
    }
    let mut parts: Vec<String> = flows
        .iter()
        .take(MAX_FLOWS)
        .map(|f| {
            format!(
                "{} → {}: {}",
                f.from.as_deref().unwrap_or("none"),
                f.to.as_deref().unwrap_or("none"),
                f.keys
            )
        })
        .collect();
    if flows.len() > MAX_FLOWS {
        parts.push(format!("and {} more", flows.len() - MAX_FLOWS));
    }
    Some(parts.join(" · "))
}

fn build(state: &ConsistentHashingState) -> Model {
    let hash_ring = state.ring();
    let names: Vec<&str> = hash_ring.node_names();
    let owners = state.owners();
    let change = state.last_change();
    let node_change = change.filter(|c| !c.comparison.is_empty());

    // The ring as placed.
    let moved = change.map_or_else(
        || vec![None; owners.len()],
        |c| moved_from(&c.movement.moves, owners.len()),
    );
    let ring_input = RingInput {
        nodes: node_inputs(&names),
        arcs: hash_ring
            .arcs()
            .iter()
            .filter_map(|a| {
                Some(ArcInput {
                    end: a.point.fraction,
                    span: a.fraction,
                    owner: node_index(&names, a.point.node)?,
                })
            })
            .collect(),
        points: hash_ring
            .points()
            .iter()
            .filter_map(|p| Some((p.fraction, node_index(&names, p.node)?)))
            .collect(),
        keys: owners
            .iter()
            .zip(&moved)
            .map(|(o, moved)| KeyInput {
                fraction: o.fraction,
                owner: o.node.as_deref().and_then(|n| node_index(&names, n)),
                moved_from: *moved,
            })
            .collect(),
    };

    // The same keys under mod-N, with what mod-N would have moved.
    let mod_n_moved = node_change
        .and_then(RingChange::mod_n_movement)
        .map_or_else(
            || vec![None; owners.len()],
            |m| moved_from(&m.moves, owners.len()),
        );
    let mod_n_input = RingInput {
        nodes: node_inputs(&names),
        arcs: Vec::new(),
        points: Vec::new(),
        keys: owners
            .iter()
            .enumerate()
            .map(|(i, o)| KeyInput {
                fraction: o.fraction,
                owner: state.mod_n_owner(i).and_then(|n| node_index(&names, n)),
                moved_from: mod_n_moved[i],
            })
            .collect(),
    };
    let mod_n_caption = match node_change.and_then(RingChange::mod_n_movement) {
        Some(m) => format!(
            "mod-N would move {} of {} keys for the same change (ideal {:.1})",
            m.moved, m.total, m.ideal
        ),
        None => "hash(key) mod N over the same nodes: no node change yet".to_string(),
    };

    // Load per node: as placed, and under mod-N.
    let load = state.load();
    let mod_n = state.mod_n_load();
    let groups: Vec<BarGroup> = load
        .per_node
        .iter()
        .map(|l| {
            let colour = node_colour(&l.node);
            let contrast = mod_n.load_of(&l.node).unwrap_or(0);
            BarGroup {
                label: l.node.trim_start_matches("node-").to_string(),
                bars: vec![
                    Bar {
                        value: l.keys as f64,
                        colour,
                        hollow: false,
                        title: format!("{}: {} keys", l.node, l.keys),
                    },
                    Bar {
                        value: contrast as f64,
                        colour,
                        hollow: true,
                        title: format!("{}: {} keys under mod-N", l.node, contrast),
                    },
                ],
            }
        })
        .collect();
    let bars = bars::layout(
        &groups,
        &[Reference {
            value: load.mean,
            label: format!("mean {:.1}", load.mean),
        }],
        460.0,
        190.0,
    );
    let theory = state.balance().last().map_or(0.0, |s| s.theory);
    let placed_by_ring =
        state.placement() == distlab_core::topics::consistent_hashing::Placement::Ring;
    let load_caption = format!(
        "{}: std-dev {:.1} keys ({:.3} of the mean; theory {:.3}), min {}, max {} · mod-N: std-dev {:.1} ({:.3} of the mean)",
        if placed_by_ring { "ring" } else { "as placed (mod-N bug)" },
        load.std_dev,
        load.relative_std_dev(),
        theory,
        load.min,
        load.max,
        mod_n.std_dev,
        mod_n.relative_std_dev()
    );

    // Side by side.
    let rows = state
        .strategy_loads()
        .into_iter()
        .map(|(strategy, stats)| {
            let name = strategy.name();
            SchemeRow {
                name,
                std_dev: stats.std_dev,
                relative: stats.relative_std_dev(),
                max_over_mean: stats.max_over_mean,
                moved: node_change
                    .and_then(|c| c.report(name))
                    .map(|r| (r.movement.moved, r.movement.ideal)),
            }
        })
        .collect();
    let moved_header = match node_change.map(|c| &c.kind) {
        Some(RingChangeKind::AddNode { name }) => format!("moved when {name} joined"),
        Some(RingChangeKind::RemoveNode { name }) => format!("moved when {name} left"),
        _ => "moved on the last node change".to_string(),
    };

    // Balance over the run.
    let samples = state.balance();
    let series =
        |name: &str,
         dashed: bool,
         pick: fn(&distlab_core::topics::consistent_hashing::BalanceSample) -> f64| {
            Series {
                name: name.to_string(),
                points: samples
                    .iter()
                    .enumerate()
                    .map(|(i, s)| (i as f64, pick(s)))
                    .collect(),
                dashed,
            }
        };
    let chart = chart::layout(
        &[
            series("ring, measured", false, |s| s.relative_std_dev),
            series("ring, theory", true, |s| s.theory),
            series("mod-N, measured", false, |s| s.mod_n_relative_std_dev),
            series("mod-N, theory", true, |s| s.mod_n_theory),
        ],
        460.0,
        200.0,
        "operation (0 = start)",
        "std-dev / mean",
    );

    Model {
        ring: Rc::new(ring::layout(&ring_input)),
        mod_n: Rc::new(ring::layout(&mod_n_input)),
        bars: Rc::new(bars),
        chart: Rc::new(chart),
        rows,
        moved_header,
        caption: change.map(change_caption),
        flows: change.and_then(flows_text),
        mod_n_caption,
        load_caption,
        nodes: names.iter().map(|n| n.to_string()).collect(),
        vnodes: state.vnodes(),
        keys: state.keys().len(),
        placed_by_ring,
    }
}

impl StructurePage for ConsistentHashingTopic {
    type Model = Model;
    type Body = Body;

    fn model(state: &ConsistentHashingState) -> Model {
        build(state)
    }
}

/// The operations and views of the consistent-hashing page.
#[function_component]
pub fn Body(props: &StructureProps<ConsistentHashingTopic>) -> Html {
    let selected = use_state(|| None::<String>);
    let vnodes_preview = use_state(|| None::<u32>);
    let keys_to_add = use_state(|| DEFAULT_KEYS_TO_ADD.to_string());
    let keys_error = use_state(|| None::<String>);
    let model = &props.model;
    let on_command = props.handle.on_command.clone();
    let operation =
        |request: RingRequest| StructureProps::<ConsistentHashingTopic>::command(&request);

    // Operations.
    let add_node = on_command.reform(move |_: MouseEvent| operation(RingRequest::AddNode));
    let chosen = selected
        .as_ref()
        .filter(|name| model.nodes.contains(name))
        .cloned()
        .or_else(|| model.nodes.last().cloned())
        .unwrap_or_default();
    let on_select = {
        let selected = selected.clone();
        Callback::from(move |e: Event| {
            selected.set(Some(e.target_unchecked_into::<HtmlSelectElement>().value()));
        })
    };
    let remove_node = {
        let nodes = model.nodes.clone();
        let chosen = chosen.clone();
        let on_command = on_command.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(index) = nodes.iter().position(|n| *n == chosen) {
                on_command.emit(operation(RingRequest::RemoveNode {
                    index: index as u64,
                }));
            }
        })
    };
    let options = model.nodes.iter().map(|name| {
        html! { <option key={name.clone()} value={name.clone()} selected={*name == chosen}>{ name }</option> }
    });
    let slider_value = vnodes_preview.unwrap_or(model.vnodes);
    let parse_vnodes = |e: &Event| -> Option<u32> {
        e.target_unchecked_into::<HtmlInputElement>()
            .value()
            .trim()
            .parse::<u32>()
            .ok()
            .map(|v| v.clamp(1, MAX_VNODES))
    };
    let on_vnodes_input = {
        let preview = vnodes_preview.clone();
        Callback::from(move |e: InputEvent| {
            let event: Event = e.into();
            preview.set(parse_vnodes(&event));
        })
    };
    let on_vnodes_change = {
        let preview = vnodes_preview.clone();
        let on_command = on_command.clone();
        let current = model.vnodes;
        Callback::from(move |e: Event| {
            preview.set(None);
            if let Some(count) = parse_vnodes(&e) {
                if count != current {
                    on_command.emit(operation(RingRequest::SetVnodes {
                        count: u64::from(count),
                    }));
                }
            }
        })
    };
    let preview_theory = vnodes_preview.filter(|&v| v != model.vnodes).map(|v| {
        format!(
            "release to apply; theory at {v}: {:.3}",
            ring_load_theory(model.nodes.len(), v, model.keys)
        )
    });
    let on_keys_count = {
        let keys_to_add = keys_to_add.clone();
        Callback::from(move |e: InputEvent| {
            keys_to_add.set(e.target_unchecked_into::<HtmlInputElement>().value());
        })
    };
    let room = MAX_KEYS.saturating_sub(model.keys) as u64;
    let add_keys = {
        let (on_command, error, text) = (on_command.clone(), keys_error.clone(), (*keys_to_add).clone());
        let most = MAX_KEYS_PER_OP.min(room).max(1) as i64;
        Callback::from(move |_: MouseEvent| {
            if let Some(count) = operand(&text, 1, most, &error) {
                on_command.emit(operation(RingRequest::AddKeys {
                    count: count as u64,
                }));
            }
        })
    };

    let operations = html! {
        <>
            <button id="add-node" onclick={add_node} disabled={model.nodes.len() >= MAX_NODES}
                title="A new node joins with the current number of virtual nodes">{ "Add node" }</button>
            <span class="field">
                <select id="remove-node" aria-label="node to remove" onchange={on_select}>{ for options }</select>
                <button id="remove-node-button" onclick={remove_node} disabled={model.nodes.len() <= 1}
                    title="The chosen node leaves the ring">{ "Remove" }</button>
            </span>
            <label class="field vnodes" title="Points each node occupies on the ring">
                { "Virtual nodes " }
                <input id="vnodes" type="range" min="1" max={MAX_VNODES.to_string()} step="1"
                    value={slider_value.to_string()} oninput={on_vnodes_input} onchange={on_vnodes_change} />
                <output id="vnodes-value">{ slider_value }</output>
            </label>
            if let Some(text) = preview_theory { <small class="hint">{ text }</small> }
            <span class="field">
                <input id="keys-count" type="text" inputmode="numeric" size="5"
                    value={(*keys_to_add).clone()} oninput={on_keys_count} aria-label="keys to add" />
                <button id="add-keys" onclick={add_keys} disabled={room == 0}>{ "Add keys" }</button>
                { operand_error("keys-count", &keys_error) }
            </span>
        </>
    };

    let centre: Vec<AttrValue> = vec![
        format!("{} nodes", model.nodes.len()).into(),
        format!("{} points", model.ring.point_count).into(),
        format!("{} keys", model.keys).into(),
    ];
    let rows = model.rows.iter().map(|row| {
        let moved = match row.moved {
            Some((moved, ideal)) => format!("{moved} (ideal {ideal:.1})"),
            None => "—".to_string(),
        };
        html! {
            <tr key={row.name} data-scheme={row.name}>
                <th scope="row">{ row.name }</th>
                <td>{ format!("{:.1}", row.std_dev) }</td>
                <td>{ format!("{:.3}", row.relative) }</td>
                <td>{ format!("{:.2}", row.max_over_mean) }</td>
                <td class="moved">{ moved }</td>
            </tr>
        }
    });
    let legend = model.ring.nodes.iter().map(|n| {
        html! {
            <span key={n.name.clone()} class="legend-item">
                <span class={format!("swatch c{}", n.colour)}></span>
                { format!("{} ({} keys)", n.name, n.keys) }
            </span>
        }
    });

    let views = html! {
        <>
            <section class="panel ring-panel" aria-label="ring">
                <h3>{ "Ring" }<small>{ if model.placed_by_ring {
                    " arcs coloured by owner; ticks are virtual nodes; dots are keys; ringed keys moved (ring colour: previous owner)"
                } else {
                    " the bug places keys by hash mod N: dot colours no longer match the arcs they sit on"
                } }</small></h3>
                { views::ring::draw(&RingProps { layout: model.ring.clone(), label: "ring".into(), centre, arcs: true }) }
                <p class="ring-legend">{ for legend }</p>
                if let Some(caption) = &model.caption { <p class="moved-caption" id="moved-caption">{ caption }</p> }
                if let Some(flows) = &model.flows { <p class="flows">{ flows }</p> }
                if !model.ring.ticks { <p class="hint">{ format!("{} points: too many to draw one by one; the arcs show who owns what", model.ring.point_count) }</p> }
            </section>
            <section class="panel load-panel" aria-label="load per node">
                <h3>{ "Load per node" }<small>{ " solid: as placed; hollow: the same keys under mod-N" }</small></h3>
                { views::bars::draw(&BarsProps { layout: model.bars.clone(), label: "keys per node".into() }) }
                <p class="load-caption" id="load-caption">{ &model.load_caption }</p>
                <table class="schemes" id="schemes">
                    <thead><tr>
                        <th>{ "scheme" }</th><th>{ "std-dev" }</th><th>{ "std-dev / mean" }</th><th>{ "max / mean" }</th>
                        <th>{ &model.moved_header }</th>
                    </tr></thead>
                    <tbody>{ for rows }</tbody>
                </table>
                <p class="hint">{ "Ring with the current virtual nodes, jump consistent hash, rendezvous (highest random weight) and hash mod N, over the same keys and nodes." }</p>
            </section>
            <section class="panel mod-n-panel" aria-label="mod-N">
                <h3>{ "The same keys under mod-N" }<small>{ " hash(key) mod N; ringed keys would move" }</small></h3>
                { views::ring::draw(&RingProps { layout: model.mod_n.clone(), label: "mod-N".into(), arcs: false,
                    centre: vec![AttrValue::from("mod-N"), AttrValue::from(format!("{} nodes", model.nodes.len()))] }) }
                <p class="moved-caption" id="mod-n-caption">{ &model.mod_n_caption }</p>
            </section>
            <section class="panel balance-panel" aria-label="balance">
                { views::chart::draw(&ChartProps { layout: model.chart.clone(), title: "Spread of load: measured vs theory sqrt((n−1)/(n·v+1) + (n−1)/K)".into() }) }
            </section>
        </>
    };
    structure::body(operations, views)
}
