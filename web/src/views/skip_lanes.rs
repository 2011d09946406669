//! A skip list's lanes: one row per lane with its label, node boxes aligned by key
//! into towers, arrows along each lane ending at `nil` (dashed where the link
//! passes over nodes not drawn), counts of hidden keys, and the last search's path
//! as numbered right and down moves.

use std::rc::Rc;

use yew::prelude::*;

use super::cluster::fmt;
use crate::layout::skip_lanes::{LanesLayout, BOX_HEIGHT, BOX_WIDTH};

#[derive(Clone, PartialEq)]
pub struct SkipLanesProps {
    pub layout: Rc<LanesLayout>,
}

/// Draws the view.
pub fn draw(props: &SkipLanesProps) -> Html {
    let l = &props.layout;
    let labels = l.lane_labels.iter().map(|(y, level)| {
        html! { <text key={*level} class="lane-name" x="6" y={fmt(*y + 4.0)}>{ format!("lane {level}") }</text> }
    });
    let links = l.links.iter().map(|link| {
        let class = classes!(
            "lane-link",
            link.elided.then_some("elided"),
            link.to_end.then_some("to-end")
        );
        html! {
            <line key={format!("k{}-{}", link.level, link.x1 as i64)} class={class}
                x1={fmt(link.x1)} y1={fmt(link.y)} x2={fmt(link.x2 - 2.0)} y2={fmt(link.y)} marker-end="url(#lane-arrow)" />
        }
    });
    let nodes = l.nodes.iter().map(|node| {
        let class = classes!(
            "snode",
            node.key.is_none().then_some("head"),
            node.highlighted.then_some("highlighted"),
            node.fresh.then_some("fresh"),
            node.on_path.then_some("on-path"),
            node.probed.then_some("probed"),
            node.end.then_some("end"),
        );
        let text = match node.key {
            Some(key) => key.to_string(),
            None => "head".to_string(),
        };
        let title = match node.key {
            Some(key) => format!("key {key}, lane {}", node.level),
            None => format!("head, lane {}", node.level),
        };
        let key = format!(
            "{}-{}",
            node.key.map_or("h".to_string(), |k| k.to_string()),
            node.level
        );
        html! {
            <g {key} class={class} data-key={node.key.map(|k| k.to_string())} data-level={node.level.to_string()}>
                <title>{ title }</title>
                <rect x={fmt(node.x)} y={fmt(node.y)} width={fmt(BOX_WIDTH)} height={fmt(BOX_HEIGHT)} rx="3" />
                <text x={fmt(node.x + BOX_WIDTH / 2.0)} y={fmt(node.y + BOX_HEIGHT / 2.0 + 4.0)}>{ text }</text>
            </g>
        }
    });
    let gaps = l.gaps.iter().map(|gap| {
        html! {
            <g key={format!("g{}", gap.x as i64)} class="lane-gap">
                <title>{ format!("{} keys not drawn here", gap.hidden) }</title>
                <text x={fmt(gap.x)} y={fmt(l.height - 6.0)}>{ format!("⋯{}", gap.hidden) }</text>
            </g>
        }
    });
    let path = l.path.iter().map(|segment| {
        let (class, d, mx, my) = if segment.down {
            (
                "path-step down",
                format!(
                    "M{} {}L{} {}",
                    fmt(segment.x1),
                    fmt(segment.y1),
                    fmt(segment.x2),
                    fmt(segment.y2 - 1.0)
                ),
                segment.x1 + 5.0,
                (segment.y1 + segment.y2) / 2.0 + 3.0,
            )
        } else {
            // A hop arching over the lane, from box top to box top.
            let rise = ((segment.x2 - segment.x1) * 0.25).clamp(8.0, 14.0);
            let mx = (segment.x1 + segment.x2) / 2.0;
            (
                "path-step right",
                format!(
                    "M{} {}Q{} {} {} {}",
                    fmt(segment.x1 + 3.0),
                    fmt(segment.y1),
                    fmt(mx),
                    fmt(segment.y1 - 2.0 * rise),
                    fmt(segment.x2 - 3.0),
                    fmt(segment.y2 - 1.0)
                ),
                mx,
                segment.y1 - rise - 3.0,
            )
        };
        html! {
            <g key={format!("p{}", segment.step)} class={class}>
                <path {d} marker-end="url(#path-arrow)" />
                <text x={fmt(mx)} y={fmt(my)}>{ segment.step }</text>
            </g>
        }
    });
    let ends = l.lane_labels.iter().map(|(y, level)| {
        html! { <text key={*level} class="nil" x={fmt(l.end_x + 2.0)} y={fmt(*y + 4.0)}>{ "nil" }</text> }
    });
    html! {
        <svg class="skip-lanes" viewBox={format!("0 0 {} {}", fmt(l.width), fmt(l.height))}
            style={format!("max-width: {}px", fmt(l.width * 1.25))}
            role="img" aria-label="skip list lanes">
            <defs>
                <marker id="lane-arrow" viewBox="0 0 8 8" refX="7" refY="4" markerUnits="userSpaceOnUse" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
                    <path d="M0 0L8 4L0 8z" class="lane-arrow-head" />
                </marker>
                <marker id="path-arrow" viewBox="0 0 8 8" refX="7" refY="4" markerUnits="userSpaceOnUse" markerWidth="8" markerHeight="8" orient="auto-start-reverse">
                    <path d="M0 0L8 4L0 8z" class="path-arrow-head" />
                </marker>
            </defs>
            { for labels }
            <g class="lane-links">{ for links }</g>
            <g class="snodes">{ for nodes }</g>
            <g class="ends">{ for ends }</g>
            { for gaps }
            <g class="search-path">{ for path }</g>
        </svg>
    }
}
