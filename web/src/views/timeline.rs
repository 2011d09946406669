//! The space-time timeline: one lane per node, arrows from send to arrival, crosses
//! where messages were lost, grey spans while a node is down, and marks for timers,
//! inputs, network changes and violations. Click the plot to jump to that instant;
//! click a violation to jump to its step; click an arrow's head or a mark to pick
//! that event and see its causal past, future and the concurrent rest. Under the
//! plot: the picked event's clocks, a legend of message types that hides or
//! shows each, and how many timers fired unmarked when too many did.

use std::rc::Rc;

use distlab_core::sim::time::{NodeId, Time};
use yew::prelude::*;

use super::cluster::fmt;
use crate::layout::timeline::{MarkKind, Overlay, TimelineLayout, LABEL_WIDTH, TOP};

#[derive(Clone, PartialEq)]
pub struct TimelineProps {
    pub layout: Rc<TimelineLayout>,
    pub on_seek_time: Callback<Time>,
    pub on_seek_step: Callback<u64>,
    /// The topic's own bars and instants ([`overlay`]), drawn over the lanes.
    pub overlay: Html,
    /// Pick (or drop, if picked) the event of a node at a step.
    pub on_pick: Callback<(u64, NodeId)>,
    /// Hide or show a message type's arrows.
    pub on_toggle_kind: Callback<&'static str>,
}

/// Draws the view.
pub fn draw(props: &TimelineProps) -> Html {
    let layout = &props.layout;
    let bottom = layout.height - 4.0;
    let (start, end, width) = (layout.start, layout.end, layout.width);
    let onclick = {
        let on_seek_time = props.on_seek_time.clone();
        Callback::from(move |event: MouseEvent| {
            let Some(svg) = event
                .current_target()
                .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(t).ok())
            else {
                return;
            };
            let rect = svg.get_bounding_client_rect();
            if rect.width() <= 0.0 {
                return;
            }
            let units = (event.client_x() as f64 - rect.left()) / rect.width() * width;
            let plot = width - LABEL_WIDTH - 6.0;
            let fraction = ((units - LABEL_WIDTH) / plot).clamp(0.0, 1.0);
            let at =
                start.as_micros() as f64 + fraction * (end.as_micros() - start.as_micros()) as f64;
            on_seek_time.emit(Time(at as u64));
        })
    };
    let lanes = layout.lanes.iter().map(|lane| {
        let downs = lane.down.iter().map(|&(x1, x2)| html! {
            <rect class="down" x={fmt(x1)} y={fmt(lane.y - 9.0)} width={fmt((x2 - x1).max(1.0))} height="18" />
        });
        html! {
            <g class="lane" key={lane.label.clone()}>
                <text class="lane-label" x="4" y={fmt(lane.y + 4.0)}>{ &lane.label }</text>
                <line class="lane-line" x1={fmt(LABEL_WIDTH)} y1={fmt(lane.y)} x2={fmt(width - 6.0)} y2={fmt(lane.y)} />
                { for downs }
            </g>
        }
    });
    let ticks = layout.ticks.iter().map(|tick| {
        html! {
            <g class="tick" key={tick.label.clone()}>
                <line x1={fmt(tick.x)} y1={fmt(TOP - 4.0)} x2={fmt(tick.x)} y2={fmt(bottom)} />
                <text x={fmt(tick.x)} y="11" class={tick.end_anchored.then_some("end")}>{ &tick.label }</text>
            </g>
        }
    });
    let arrows = layout.arrows.iter().map(|arrow| {
        let class = format!(
            "arrow c{}{}{}{}",
            arrow.colour,
            if arrow.lost { " lost" } else { "" },
            if arrow.in_flight { " flying" } else { "" },
            arrow.relation.class()
        );
        let cross = arrow.lost.then(|| {
            let (x, y) = (arrow.x2, arrow.y2);
            html! {
                <path class="cross" d={format!("M{} {}L{} {}M{} {}L{} {}", fmt(x - 4.0), fmt(y - 4.0), fmt(x + 4.0), fmt(y + 4.0), fmt(x - 4.0), fmt(y + 4.0), fmt(x + 4.0), fmt(y - 4.0))} />
            }
        });
        let head = (!arrow.lost && !arrow.in_flight).then(|| {
            let onclick = arrow.delivered_at.map(|step| {
                let to = arrow.to;
                props.on_pick.reform(move |event: MouseEvent| {
                    event.stop_propagation();
                    (step, to)
                })
            });
            html! { <circle class="head" cx={fmt(arrow.x2)} cy={fmt(arrow.y2)} r="2.5" {onclick} /> }
        });
        html! {
            <g key={arrow.id} class={class}>
                <title>{ &arrow.label }</title>
                <line x1={fmt(arrow.x1)} y1={fmt(arrow.y1)} x2={fmt(arrow.x2)} y2={fmt(arrow.y2)} />
                { for head }
                { for cross }
            </g>
        }
    });
    let marks = layout.marks.iter().enumerate().map(|(i, mark)| {
        let class = format!("mark {}{}", mark.kind.class(), mark.relation.class());
        let (x, y) = (mark.x, mark.y);
        let shape = match mark.kind {
            MarkKind::Timer => html! { <circle cx={fmt(x)} cy={fmt(y)} r="3" /> },
            MarkKind::Input => html! { <rect x={fmt(x - 3.5)} y={fmt(y - 3.5)} width="7" height="7" transform={format!("rotate(45 {} {})", fmt(x), fmt(y))} /> },
            MarkKind::Crash => html! { <path d={format!("M{} {}L{} {}M{} {}L{} {}", fmt(x - 6.0), fmt(y - 6.0), fmt(x + 6.0), fmt(y + 6.0), fmt(x - 6.0), fmt(y + 6.0), fmt(x + 6.0), fmt(y - 6.0))} /> },
            MarkKind::Restart => html! { <path d={format!("M{} {}L{} {}", fmt(x), fmt(y - 8.0), fmt(x), fmt(y + 8.0))} /> },
            MarkKind::Network => html! { <line x1={fmt(x)} y1={fmt(TOP)} x2={fmt(x)} y2={fmt(bottom)} /> },
            MarkKind::Violation => html! {
                <>
                    <line x1={fmt(x)} y1={fmt(TOP)} x2={fmt(x)} y2={fmt(bottom)} />
                    <path d={format!("M{} {}L{} {}L{} {}Z", fmt(x), fmt(y - 8.0), fmt(x - 7.0), fmt(y + 5.0), fmt(x + 7.0), fmt(y + 5.0))} />
                </>
            },
        };
        let step = mark.step;
        let onclick = if mark.kind == MarkKind::Violation {
            Some(props.on_seek_step.reform(move |event: MouseEvent| {
                event.stop_propagation();
                step
            }))
        } else {
            mark.node.map(|node| {
                props.on_pick.reform(move |event: MouseEvent| {
                    event.stop_propagation();
                    (step, node)
                })
            })
        };
        html! {
            <g key={format!("k{i}-{step}")} class={class} {onclick}>
                <title>{ &mark.label }</title>
                { shape }
            </g>
        }
    });
    let ring = layout.anchor.as_ref().map(|a| {
        html! {
                <circle class="anchor-ring" cx={fmt(a.x)} cy={fmt(a.y)} r="6" />
        }
    });
    html! {
        <>
        <svg class={classes!("timeline", layout.anchor.is_some().then_some("causal-view"))} viewBox={format!("0 0 {} {}", fmt(width), fmt(layout.height))} {onclick} role="img" aria-label="space-time timeline">
            <g class="ticks">{ for ticks }</g>
            <g class="lanes">{ for lanes }</g>
            <g class="arrows">{ for arrows }</g>
            <g class="marks">{ for marks }</g>
            { props.overlay.clone() }
            { for ring }
            <line class="now" x1={fmt(layout.now_x)} y1={fmt(TOP - 4.0)} x2={fmt(layout.now_x)} y2={fmt(bottom)} />
        </svg>
        { keys(props) }
        </>
    }
}

/// The picked event's clocks and counts, and the legend of message types
/// (each a button that hides or shows its arrows).
fn keys(props: &TimelineProps) -> Html {
    let layout = &props.layout;
    let anchor = layout.anchor.as_ref().map(|a| {
        let clock: Vec<String> = a.clock.iter().map(u32::to_string).collect();
        let (step, node) = (a.step, a.node);
        html! {
            <p class="anchor-info">
                <strong>{ if a.picked { "Picked: " } else if a.ahead { "Next, a violation: " } else { "Latest violation: " } }</strong>
                { format!("{} at {}: {}. Lamport {}, vector [{}]. In view: {} before it, {} after, {} concurrent.",
                    a.node, a.time, a.what, a.lamport, clock.join(" "), a.before, a.after, a.concurrent) }
                if a.picked {
                    <button class="unpick" onclick={props.on_pick.reform(move |_: MouseEvent| (step, node))}>{ "Unpick" }</button>
                }
            </p>
        }
    });
    let kinds = layout.kinds.iter().map(|kind| {
        let name = kind.name;
        html! {
            <button class={format!("kind c{}", kind.colour)} aria-pressed={(!kind.hidden).to_string()}
                title={format!("{} {name} arrows", if kind.hidden { "Show" } else { "Hide" })}
                onclick={props.on_toggle_kind.reform(move |_: MouseEvent| name)}>{ name }</button>
        }
    });
    html! {
        <div class="timeline-keys">
            { for anchor }
            if !layout.kinds.is_empty() {
                <p class="kinds">{ "Messages: " }{ for kinds }</p>
            }
            if layout.timers_left_out > 0 {
                <p class="kinds">{ format!("Timers: {} fired in view, too many to mark.", layout.timers_left_out) }</p>
            }
        </div>
    }
}

/// A topic's bars (locks held, leases) above node lanes and its marked
/// instants (a value chosen) across the lanes of a timeline `height` high.
///
/// Styled inline rather than in the protocol stylesheet, so only the pages of
/// topics that annotate their timeline download it.
pub fn overlay(overlay: &Overlay, height: f64) -> Html {
    let bars = overlay.bars.iter().map(|bar| {
        let fill = format!(
            "fill:var(--slot-{});opacity:.85{}",
            bar.slot,
            if bar.open { ";stroke:var(--ink);stroke-width:.6;stroke-dasharray:2 1" } else { "" }
        );
        html! {
            <g class={format!("bar slot-{}", bar.slot)}>
                <title>{ &bar.label }</title>
                <rect x={fmt(bar.x1)} y={fmt(bar.y)} width={fmt(bar.x2 - bar.x1)} height="6" rx="2" style={fill} />
                if bar.labelled {
                    <text x={fmt(bar.x1 + 2.0)} y={fmt(bar.y - 1.5)} style="font-size:7px;fill:var(--ink)">{ &bar.label }</text>
                }
            </g>
        }
    });
    let instants = overlay.instants.iter().map(|instant| {
        html! {
            <g class="instant">
                <title>{ &instant.label }</title>
                <line x1={fmt(instant.x)} y1={fmt(TOP)} x2={fmt(instant.x)} y2={fmt(height - 4.0)}
                    style="stroke:var(--slot-done);stroke-width:1.5;stroke-dasharray:5 3" />
                <text x={fmt(instant.x + 3.0)} y={fmt(TOP + 8.0)} style="font-size:8px;font-weight:600;fill:var(--slot-done)">{ &instant.label }</text>
            </g>
        }
    });
    html! { <g class="overlay">{ for bars }{ for instants }</g> }
}
