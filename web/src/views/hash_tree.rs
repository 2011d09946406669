//! A hash tree: nodes as boxes showing their abbreviated hash (dots when the tree
//! is too wide for text), the full hash on hover, edges to the children, and the
//! marks of the last operation: re-hashed nodes, an inclusion proof's path and
//! sibling hashes (numbered in proof order), a consistency proof's hashes with the
//! old size's boundary, a comparison walk's visits (same or different, numbered in
//! walk order), and leaves changed on this replica only. Clicking a leaf picks it.

use std::rc::Rc;

use yew::prelude::*;

use super::cluster::fmt;
use crate::layout::hash_tree::{HashTreeLayout, PlacedNode, BOX_HEIGHT, BOX_WIDTH};

#[derive(Clone, PartialEq)]
pub struct HashTreeProps {
    pub layout: Rc<HashTreeLayout>,
    /// What the drawing is (its accessible name), e.g. "primary".
    pub name: AttrValue,
    /// The leaf the person picked, outlined.
    pub selected: Option<usize>,
    /// Called with a leaf's index when it is clicked.
    pub on_leaf: Option<Callback<usize>>,
}

fn classes_of(node: &PlacedNode, selected: Option<usize>) -> Classes {
    classes!(
        "hnode",
        node.leaf.then_some("leaf"),
        node.rehashed.then_some("rehashed"),
        node.on_path.then_some("path"),
        node.proof.is_some().then_some("proof"),
        node.consistency.is_some().then_some("consistency"),
        node.visit
            .map(|(_, same)| if same { "visit same" } else { "visit differ" }),
        node.changed.then_some("changed"),
        (node.leaf && selected == Some(node.start)).then_some("selected"),
    )
}

/// Draws the view.
pub fn draw(props: &HashTreeProps) -> Html {
    let tree = &props.layout;
    let edges = tree.edges.iter().map(|edge| {
        let class = classes!(
            "hedge",
            edge.on_path.then_some("path"),
            edge.walked.then_some("walked")
        );
        html! {
            <line key={format!("e{}.{}-{}.{}", edge.parent.level, edge.parent.index, edge.child.level, edge.child.index)}
                class={class} x1={fmt(edge.x1)} y1={fmt(edge.y1)} x2={fmt(edge.x2)} y2={fmt(edge.y2)} />
        }
    });
    let nodes = tree.nodes.iter().map(|node| {
        let key = format!("n{}.{}", node.id.level, node.id.index);
        let (onclick, onkeydown) = match (&props.on_leaf, node.leaf) {
            (Some(on_leaf), true) => {
                let leaf = node.start;
                (
                    Some(on_leaf.reform(move |_: MouseEvent| leaf)),
                    Some(super::activate(on_leaf.reform(move |()| leaf))),
                )
            }
            _ => (None, None),
        };
        let focusable = onclick.is_some();
        // A number beside the node: its place in the proof or in the walk.
        let badge = node
            .proof
            .or(node.consistency)
            .map(|k| format!("#{k}"))
            .or_else(|| node.visit.map(|(k, _)| k.to_string()));
        let (x, y) = (node.x, node.y);
        let shape = if tree.labelled {
            html! {
                <>
                    <rect x={fmt(x - BOX_WIDTH / 2.0)} y={fmt(y - BOX_HEIGHT / 2.0)} width={fmt(BOX_WIDTH)} height={fmt(BOX_HEIGHT)} rx="4" />
                    <text class="hash" x={fmt(x)} y={fmt(y + 3.5)}>{ &node.short }</text>
                    if let Some(record) = &node.record {
                        <text class="record" x={fmt(x)} y={fmt(y + BOX_HEIGHT / 2.0 + 13.0)}>{ record }</text>
                    }
                    if let Some(badge) = &badge {
                        <text class="badge" x={fmt(x + BOX_WIDTH / 2.0 + 2.0)} y={fmt(y - BOX_HEIGHT / 2.0 + 1.0)}>{ badge }</text>
                    }
                </>
            }
        } else {
            html! {
                <>
                    <circle cx={fmt(x)} cy={fmt(y)} r={fmt(tree.radius)} />
                    if let Some(badge) = badge.filter(|_| tree.radius >= 5.0) {
                        <text class="badge" x={fmt(x + tree.radius + 1.0)} y={fmt(y - tree.radius)}>{ badge }</text>
                    }
                </>
            }
        };
        html! {
            <g key={key} class={classes_of(node, props.selected)} data-level={node.id.level.to_string()} data-index={node.id.index.to_string()} {onclick} {onkeydown}
                tabindex={focusable.then_some("0")} role={focusable.then_some("button")}
                aria-label={focusable.then(|| format!("Pick leaf {}", node.start))}>
                <title>{ node.title() }</title>
                { shape }
            </g>
        }
    });
    let ticks = tree.leaf_ticks.iter().map(|(x, label)| {
        html! { <text key={label.clone()} class="leaf-tick" x={fmt(*x)} y={fmt(tree.height - 8.0)}>{ label }</text> }
    });
    let boundary = tree.boundary.map(|(x, top, bottom, size)| {
        html! {
            <g class="old-size">
                <title>{ format!("the older tree: its first {size} leaves end here") }</title>
                <line x1={fmt(x)} y1={fmt(top)} x2={fmt(x)} y2={fmt(bottom)} />
                <text x={fmt(x + 4.0)} y={fmt(top + 8.0)}>{ format!("old size {size}") }</text>
            </g>
        }
    });
    html! {
        <svg class="hash-tree" viewBox={format!("0 0 {} {}", fmt(tree.width), fmt(tree.height))}
            style={format!("max-width: {}px", fmt(tree.width))}
            role={if props.on_leaf.is_some() { "group" } else { "img" }} aria-label={format!("{} hash tree", props.name)} data-tree={props.name.clone()}>
            { for boundary }
            <g class="edges">{ for edges }</g>
            <g class="nodes">{ for nodes }</g>
            { for ticks }
        </svg>
    }
}
