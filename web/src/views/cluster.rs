//! The cluster view: nodes on a circle coloured by role, links (dashed when cut),
//! and messages as dots travelling along them. Click a node to crash or restart it,
//! a link to cut or heal it.

use std::rc::Rc;

use distlab_core::sim::time::NodeId;
use yew::prelude::*;

use super::activate;
use crate::layout::cluster::{ClusterLayout, LinkState, SIZE};

#[derive(Clone, PartialEq)]
pub struct ClusterProps {
    pub layout: Rc<ClusterLayout>,
    pub on_node: Callback<NodeId>,
    pub on_link: Callback<(NodeId, NodeId)>,
}

/// Draws the view.
pub fn draw(props: &ClusterProps) -> Html {
    let layout = &props.layout;
    let links = layout.links.iter().map(|link| {
        let (a, b) = (link.a, link.b);
        let onclick = props.on_link.reform(move |_: MouseEvent| (a, b));
        let onkeydown = activate(props.on_link.reform(move |()| (a, b)));
        let class = classes!(
            "link",
            match link.state {
                LinkState::Open => None,
                LinkState::HalfCut => Some("half-cut"),
                LinkState::Cut => Some("cut"),
            },
            (link.in_flight > 0).then_some("busy")
        );
        let title = match link.state {
            LinkState::Open => format!("{a} - {b}: click to cut this link"),
            _ => format!("{a} - {b}: cut; click to heal this link"),
        };
        let label = match link.state {
            LinkState::Open => format!("Cut the link between {a} and {b} ({} messages in flight)", link.in_flight),
            _ => format!("Heal the link between {a} and {b}"),
        };
        html! {
            <g key={format!("l{}-{}", a.0, b.0)} class={class} {onclick} {onkeydown}
                tabindex="0" role="button" aria-label={label}>
                <title>{ title }</title>
                <line class="link-hit" x1={fmt(link.x1)} y1={fmt(link.y1)} x2={fmt(link.x2)} y2={fmt(link.y2)} />
                <line class="link-line" x1={fmt(link.x1)} y1={fmt(link.y1)} x2={fmt(link.x2)} y2={fmt(link.y2)} />
            </g>
        }
    });
    let nodes = layout.nodes.iter().map(|node| {
        let id = node.id;
        let onclick = props.on_node.reform(move |_: MouseEvent| id);
        let onkeydown = activate(props.on_node.reform(move |()| id));
        let class = classes!("node", format!("slot-{}", node.palette.as_str()), (!node.up).then_some("down"));
        let action = if node.up { "click to crash it" } else { "click to restart it" };
        html! {
            <g key={format!("n{}", id.0)} class={class} {onclick} {onkeydown} data-node={id.0.to_string()}
                tabindex="0" role="button"
                aria-label={format!("{}: {action}", node.detail)}>
                <title>{ format!("{}: {action}", node.detail) }</title>
                <circle cx={fmt(node.x)} cy={fmt(node.y)} r={fmt(node.radius)} />
                <text class="badge" x={fmt(node.x)} y={fmt(node.y + 4.0)}>{ &node.badge }</text>
                <text class="name" x={fmt(node.x)} y={fmt(node.y + node.radius + 14.0)}>{ id.to_string() }</text>
            </g>
        }
    });
    let messages = layout.messages.iter().map(|message| {
        let class = format!("message c{}{}", message.colour, if message.doomed { " doomed" } else { "" });
        html! {
            <circle key={format!("m{}", message.id)} class={class} cx={fmt(message.x)} cy={fmt(message.y)} r="5">
                <title>{ &message.label }</title>
            </circle>
        }
    });
    html! {
        <svg class="cluster" viewBox={format!("0 0 {SIZE} {SIZE}")} role="group" aria-label="cluster view">
            <g class="links">{ for links }</g>
            <g class="nodes">{ for nodes }</g>
            <g class="messages">{ for messages }</g>
        </svg>
    }
}

/// SVG coordinates with one decimal: enough precision, shorter DOM diffs.
pub fn fmt(value: f64) -> String {
    format!("{value:.1}")
}
