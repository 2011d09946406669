//! The hash-ring view: a neutral track, each node's arcs in its colour, its
//! virtual-node points as ticks outside the band, keys as dots inside it, and the
//! keys that moved on the last change ringed in their previous owner's colour.

use std::rc::Rc;

use yew::prelude::*;

use super::cluster::fmt;
use crate::layout::ring::RingLayout;

#[derive(Clone, PartialEq)]
pub struct RingProps {
    pub layout: Rc<RingLayout>,
    /// What the drawing shows, for screen readers and the `data-ring` attribute.
    pub label: AttrValue,
    /// Short lines written in the middle of the ring.
    pub centre: Vec<AttrValue>,
    /// Whether the nodes own arcs (a mod-N placement has none to draw).
    pub arcs: bool,
}

/// Draws the view.
pub fn draw(props: &RingProps) -> Html {
    let ring = &props.layout;
    let c = ring.centre;
    let arcs = ring.nodes.iter().filter(|n| !n.arc_path.is_empty()).map(|node| {
        let title = format!(
            "{}: {} virtual nodes, {:.1}% of the ring, {} keys",
            node.name,
            node.points,
            node.share * 100.0,
            node.keys
        );
        html! {
            <path key={node.name.clone()} class={format!("arc c{}", node.colour)} data-node={node.name.clone()}
                d={node.arc_path.clone()} stroke-width={fmt(ring.band)}>
                <title>{ title }</title>
            </path>
        }
    });
    let ticks = ring.nodes.iter().filter(|n| !n.tick_path.is_empty()).map(|node| {
        html! {
            <path key={node.name.clone()} class={format!("tick-marks c{}", node.colour)} data-node={node.name.clone()}
                data-points={node.points.to_string()} d={node.tick_path.clone()} />
        }
    });
    let keys = ring.nodes.iter().filter(|n| !n.key_path.is_empty()).map(|node| {
        html! {
            <path key={node.name.clone()} class={format!("key-dots c{}", node.colour)} data-node={node.name.clone()}
                data-keys={node.keys.to_string()} d={node.key_path.clone()}>
                <title>{ format!("{} keys on {}", node.keys, node.name) }</title>
            </path>
        }
    });
    let moved = ring.moved.iter().map(|group| {
        let class = match group.from {
            Some(colour) => format!("moved-ring c{colour}"),
            None => "moved-ring".to_string(),
        };
        let key = group.from.map_or("none".to_string(), |c| c.to_string());
        html! {
            <path {key} {class} data-count={group.count.to_string()} d={group.path.clone()}>
                <title>{ format!("{} moved keys (ring colour: their previous owner)", group.count) }</title>
            </path>
        }
    });
    let lines = props.centre.len() as f64;
    let centre = props.centre.iter().enumerate().map(|(i, line)| {
        let y = c + (i as f64 - (lines - 1.0) / 2.0) * 16.0 + 4.0;
        html! { <text key={i} class={if i == 0 { "centre first" } else { "centre" }} x={fmt(c)} y={fmt(y)}>{ line.clone() }</text> }
    });
    html! {
        <svg class="ring" viewBox={format!("0 0 {0} {0}", fmt(ring.size))} role="img"
            aria-label={props.label.clone()} data-ring={props.label.clone()}
            data-moved={ring.moved_count.to_string()} data-resampled={ring.resampled.to_string()}>
            <circle class={if props.arcs { "track" } else { "track bare" }} cx={fmt(c)} cy={fmt(c)} r={fmt(ring.radius)} stroke-width={fmt(ring.band)} />
            if props.arcs { <g class="arcs">{ for arcs }</g> }
            <g class="ticks">{ for ticks }</g>
            <g class="keys">
                { for keys }
                if !ring.unowned_path.is_empty() { <path class="key-dots unowned" d={ring.unowned_path.clone()} /> }
            </g>
            <g class="moved">{ for moved }</g>
            <line class="zero-mark" x1={fmt(c)} y1={fmt(c - ring.radius - ring.band)} x2={fmt(c)} y2={fmt(c - ring.radius - ring.band - 22.0)} />
            <text class="zero" x={fmt(c + 4.0)} y={fmt(c - ring.radius - ring.band - 16.0)}>{ "0" }</text>
            { for centre }
        </svg>
    }
}
