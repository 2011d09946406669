//! The cluster view: nodes on a circle coloured by role, links (dashed when cut),
//! and messages as dots travelling along them. Click a node to crash or restart it,
//! a link to cut or heal it.

use std::rc::Rc;

use distlab_core::sim::time::NodeId;
use yew::prelude::*;

use super::activate;
use crate::layout::cluster::{ClusterLayout, LinkState};

#[derive(Clone, Properties)]
pub struct ClusterProps {
    pub layout: Rc<ClusterLayout>,
    pub on_node: Callback<NodeId>,
    pub on_link: Callback<(NodeId, NodeId)>,
}

/// The page makes a new layout for every frame it draws, so comparing the
/// pointer says whether anything changed without walking ten thousand dots.
impl PartialEq for ClusterProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.layout, &other.layout)
            && self.on_node == other.on_node
            && self.on_link == other.on_link
    }
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
        let class = classes!("node", format!("slot-{}", node.palette.as_str()), (!node.up).then_some("down"), node.client.then_some("client"));
        let action = if node.up { "click to crash it" } else { "click to restart it" };
        let font = node.badge_font();
        html! {
            <g key={format!("n{}", id.0)} class={class} {onclick} {onkeydown} data-node={id.0.to_string()}
                tabindex="0" role="button"
                aria-label={format!("{}: {action}", node.detail)}>
                <title>{ format!("{}: {action}", node.detail) }</title>
                <circle cx={fmt(node.x)} cy={fmt(node.y)} r={fmt(node.radius)} />
                if node.labelled() {
                    <text class="badge" x={fmt(node.x)} y={fmt(node.y + 0.3 * font)} font-size={fmt(font)}>{ &node.badge }</text>
                    <text class="name" x={fmt(node.x)} y={fmt(node.y + node.radius + 14.0)}>{ id.to_string() }</text>
                }
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
        <svg class="cluster" viewBox={VIEW_BOX} role="group" aria-label="cluster view">
            <g class="links">{ for links }</g>
            <g class="nodes">{ for nodes }</g>
            <g class="messages">{ for messages }</g>
        </svg>
    }
}

/// The view box of [`crate::layout::cluster::SIZE`] units (written out: formatting the float would pull
/// float formatting into the bundle).
const VIEW_BOX: &str = "0 0 400 400";

/// SVG coordinates with one decimal: enough precision, shorter DOM diffs. Done in
/// integers: float formatting would add about 10 KB to every bundle.
pub fn fmt(value: f64) -> String {
    if !value.is_finite() {
        return "0".to_string();
    }
    let tenths = (value * 10.0).round() as i64;
    let sign = if tenths < 0 { "-" } else { "" };
    let tenths = tenths.unsigned_abs();
    format!("{sign}{}.{}", tenths / 10, tenths % 10)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::cluster::SIZE;

    #[test]
    fn the_written_out_view_box_matches_the_layout_size() {
        assert_eq!(VIEW_BOX, format!("0 0 {SIZE} {SIZE}"));
    }

    #[test]
    fn coordinates_have_one_decimal() {
        assert_eq!(fmt(12.34), "12.3");
        assert_eq!(fmt(12.35 + 1e-9), "12.4");
        assert_eq!(fmt(-3.06), "-3.1");
        assert_eq!(fmt(0.0), "0.0");
        assert_eq!(fmt(f64::NAN), "0");
    }
}
