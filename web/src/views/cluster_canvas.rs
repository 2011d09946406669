//! The cluster view on a 2D canvas, for a layout whose servers fill a disc
//! (gossip runs up to 10,000): the same [`ClusterLayout`] the SVG view draws,
//! painted in a handful of paths (one per colour), or for thousands of tiny
//! dots one image ([`crate::layout::pixels`]), instead of an element per
//! node that Yew would compare on every frame.
//!
//! A click picks the nearest node, as clicking a node in the SVG view does
//! (crash or restart it), and hovering names it in the tooltip. From the
//! keyboard the canvas is one tab stop: the arrow keys (Page Up and Page
//! Down a hundred at a time, Home and End) move a ring from node to node,
//! a live region reads out the ringed node, and Enter or Space crashes or
//! restarts it, so no node needs the mouse. Links exist
//! only where a message flies or a cut is, as the layout gives them; they are
//! drawn but not clickable (the fault panel cuts and heals). Colours are the
//! page's own CSS custom properties, read once per paint, so themes apply.

use std::f64::consts::TAU;

use distlab_core::sim::time::NodeId;
use distlab_core::sim::view::Palette;
use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, CssStyleDeclaration, HtmlCanvasElement, ImageData};
use yew::prelude::*;

use super::cluster::ClusterProps;
use crate::layout::cluster::{ClusterLayout, LinkState, NodeGlyph, SIZE};
use crate::layout::pixels;

/// Backing-store pixels per view unit at most: sharp on screens of two
/// pixels a point, and no bigger on denser ones.
const MAX_SCALE: f64 = 2.0;
/// Dots with a smaller radius (layout units) are painted as squares ([`dot`]).
const SQUARE_BELOW: f64 = 2.5;
/// Half a square dot's side per unit of its radius: about a circle's area.
const SQUARE_SIZE: f64 = 0.9;

/// The node fills in the order they are painted, each with the CSS property
/// that holds its colour; down nodes first, so live ones sit on top.
const FILLS: [(Option<Palette>, &str); 7] = [
    (None, "--down"),
    (Some(Palette::Plain), "--slot-plain"),
    (Some(Palette::Done), "--slot-done"),
    (Some(Palette::Contend), "--slot-contend"),
    (Some(Palette::Suspect), "--slot-suspect"),
    (Some(Palette::Lead), "--slot-lead"),
    (Some(Palette::Faulty), "--slot-faulty"),
];

/// The message colours of the palette, `--c0` to `--c7`.
const MESSAGE_COLOURS: [&str; 8] = [
    "--c0", "--c1", "--c2", "--c3", "--c4", "--c5", "--c6", "--c7",
];

/// Nodes skipped by Page Up and Page Down.
const PAGE: usize = 100;

#[function_component(ClusterCanvas)]
pub fn cluster_canvas(props: &ClusterProps) -> Html {
    let canvas = use_node_ref();
    let painted = use_mut_ref(Painted::default);
    // The node the keyboard's ring is on, by id (indices move as nodes do not).
    let ringed = use_state(|| None::<NodeId>);
    let ringed_index = ringed.and_then(|id| props.layout.nodes.iter().position(|n| n.id == id));
    {
        let (canvas, layout) = (canvas.clone(), props.layout.clone());
        use_effect(move || {
            if let Some(element) = canvas.cast::<HtmlCanvasElement>() {
                paint(&element, &layout, ringed_index, &mut painted.borrow_mut());
            }
        });
    }
    let onkeydown = {
        let (ringed, layout, on_node) =
            (ringed.clone(), props.layout.clone(), props.on_node.clone());
        Callback::from(move |event: KeyboardEvent| {
            let key = event.key();
            if matches!(key.as_str(), "Enter" | " ") {
                if let Some(index) = ringed_index {
                    event.prevent_default();
                    on_node.emit(layout.nodes[index].id);
                }
                return;
            }
            if let Some(index) = ring_moved(&key, ringed_index, layout.nodes.len()) {
                event.prevent_default();
                ringed.set(Some(layout.nodes[index].id));
            }
        })
    };
    let onclick = {
        let (canvas, layout, on_node) =
            (canvas.clone(), props.layout.clone(), props.on_node.clone());
        Callback::from(move |event: MouseEvent| {
            if let Some(id) = node_under(&canvas, &layout, &event) {
                on_node.emit(id);
            }
        })
    };
    let onmousemove = {
        let (canvas, layout) = (canvas.clone(), props.layout.clone());
        Callback::from(move |event: MouseEvent| {
            let Some(element) = canvas.cast::<HtmlCanvasElement>() else {
                return;
            };
            let title = node_under(&canvas, &layout, &event)
                .and_then(|id| layout.nodes.iter().find(|node| node.id == id))
                .map_or_else(String::new, |node| {
                    let action = if node.up {
                        "click to crash it"
                    } else {
                        "click to restart it"
                    };
                    format!("{}: {action}", node.detail)
                });
            element.set_title(&title);
        })
    };
    let layout = &props.layout;
    let side = backing_side().to_string();
    let up = layout.nodes.iter().filter(|node| node.up).count();
    let label = format!(
        "cluster view: {} nodes, {up} up, {} messages drawn; click a dot, or use the arrow keys and Enter, to crash or restart its node",
        layout.nodes.len(),
        layout.messages.len()
    );
    let announced = ringed_index.map_or_else(String::new, |index| {
        let node = &layout.nodes[index];
        let action = if node.up {
            "Enter crashes it"
        } else {
            "Enter restarts it"
        };
        format!("{}: {action}", node.detail)
    });
    html! {
        <>
            <canvas ref={canvas} class="cluster" width={side.clone()} height={side} tabindex="0"
                aria-label={label} data-nodes={layout.nodes.len().to_string()}
                data-ringed={ringed.map(|id| id.0.to_string())}
                {onclick} {onmousemove} {onkeydown} />
            // Styled here, not in the protocol pages' stylesheet, which every
            // protocol route downloads and only a canvas page needs this.
            <p class="ringed-node" aria-live="polite" style="margin:2px 0 0;min-height:1.3em;font-size:12px;color:var(--muted)">{ announced }</p>
        </>
    }
}

/// The backing store's side in pixels: the view's units times the screen's
/// pixels per CSS pixel (within 1 and [`MAX_SCALE`]). Every frame of a
/// playing run clears, fills and hands over the whole store, so one twice as
/// fine as the screen is four times the pixels for nothing.
fn backing_side() -> u32 {
    let ratio = web_sys::window().map_or(1.0, |window| window.device_pixel_ratio());
    let scale = if ratio.is_finite() {
        ratio.clamp(1.0, MAX_SCALE)
    } else {
        1.0
    };
    (SIZE * scale).round() as u32
}

/// Where a key moves the keyboard's ring among `count` nodes from `from`
/// (none yet: the first key lands on the first or last node), or `None` for
/// a key that does not move it.
fn ring_moved(key: &str, from: Option<usize>, count: usize) -> Option<usize> {
    let last = count.checked_sub(1)?;
    let step = |forward: bool, by: usize| match (from, forward) {
        (None, true) => 0,
        (None, false) => last,
        (Some(index), true) => (index + by).min(last),
        (Some(index), false) => index.saturating_sub(by),
    };
    Some(match key {
        "ArrowRight" | "ArrowDown" => step(true, 1),
        "ArrowLeft" | "ArrowUp" => step(false, 1),
        "PageDown" => step(true, PAGE),
        "PageUp" => step(false, PAGE),
        "Home" => 0,
        "End" => last,
        _ => return None,
    })
}

/// The node under the mouse, in view units from the canvas's box on screen.
fn node_under(canvas: &NodeRef, layout: &ClusterLayout, event: &MouseEvent) -> Option<NodeId> {
    let element = canvas.cast::<HtmlCanvasElement>()?;
    let rect = element.get_bounding_client_rect();
    if rect.width() <= 0.0 || rect.height() <= 0.0 {
        return None;
    }
    let x = (f64::from(event.client_x()) - rect.left()) * SIZE / rect.width();
    let y = (f64::from(event.client_y()) - rect.top()) * SIZE / rect.height();
    layout.node_at(x, y)
}

/// Paints `layout`: links, then nodes by colour, the keyboard's ring around
/// node `ringed`, then messages by colour.
fn paint(
    element: &HtmlCanvasElement,
    layout: &ClusterLayout,
    ringed: Option<usize>,
    painted: &mut Painted,
) {
    let Some(context) = element
        .get_context("2d")
        .ok()
        .flatten()
        .and_then(|context| context.dyn_into::<CanvasRenderingContext2d>().ok())
    else {
        return;
    };
    let window = web_sys::window();
    let style = window
        .as_ref()
        .and_then(|window| window.get_computed_style(element).ok().flatten());
    let colour = |property: &str| css_colour(style.as_ref(), property);
    // The store's own size says how fine it is ([`backing_side`]).
    let scale = f64::from(element.width()) / SIZE;
    let _ = context.set_transform(scale, 0.0, 0.0, scale, 0.0, 0.0);
    context.clear_rect(0.0, 0.0, SIZE, SIZE);

    // Many small dots go in as one image, and the links then beneath them;
    // a few big ones as paths over the links.
    let pixels = put_pixels(&context, layout, scale, &colour, painted);
    if pixels {
        let _ = context.set_global_composite_operation("destination-over");
    }
    context.set_line_width(1.0);
    for cut in [false, true] {
        context.set_stroke_style_str(&colour(if cut { "--bad" } else { "--line" }));
        context.begin_path();
        for link in layout
            .links
            .iter()
            .filter(|link| (link.state != LinkState::Open) == cut)
        {
            context.move_to(link.x1, link.y1);
            context.line_to(link.x2, link.y2);
        }
        context.stroke();
    }
    let _ = context.set_global_composite_operation("source-over");

    if !pixels {
        for (palette, property) in FILLS {
            context.set_fill_style_str(&colour(property));
            context.begin_path();
            for node in &layout.nodes {
                if shown_palette(node) == palette {
                    dot(&context, node.x, node.y, node.radius);
                }
            }
            context.fill();
        }
    }
    if let Some(node) = ringed.and_then(|index| layout.nodes.get(index)) {
        context.set_stroke_style_str(&colour("--ink"));
        context.set_line_width(1.5);
        context.begin_path();
        let _ = context.arc(node.x, node.y, node.radius + 3.0, 0.0, TAU);
        context.stroke();
    }

    // People who ask for less motion see the busy links, not moving dots (as
    // the SVG view's stylesheet does).
    let reduced = window
        .and_then(|window| {
            window
                .match_media("(prefers-reduced-motion: reduce)")
                .ok()
                .flatten()
        })
        .is_some_and(|query| query.matches());
    if reduced {
        return;
    }
    let radius = layout
        .nodes
        .first()
        .map_or(3.0, |node| node.radius.clamp(1.5, 5.0));
    for (index, property) in MESSAGE_COLOURS.iter().enumerate() {
        for doomed in [false, true] {
            context.set_fill_style_str(&colour(property));
            context.set_global_alpha(if doomed { 0.45 } else { 1.0 });
            context.begin_path();
            for message in &layout.messages {
                if message.colour % MESSAGE_COLOURS.len() == index && message.doomed == doomed {
                    dot(&context, message.x, message.y, radius);
                }
            }
            context.fill();
        }
    }
    context.set_global_alpha(1.0);
}

/// The palette a node is painted in: its own, or none when it is down.
fn shown_palette(node: &NodeGlyph) -> Option<Palette> {
    if node.up {
        Some(node.palette)
    } else {
        None
    }
}

/// The pixels of the nodes a canvas last painted ([`put_pixels`]) and what
/// they were made from, so a frame in which no node changed (most of them,
/// while messages fly) puts the same pixels again.
#[derive(Default)]
struct Painted {
    /// The scale, the fills' colours, then each node's place, size and fill.
    made_from: Vec<u64>,
    /// The image, `side` pixels square, RGBA.
    pixels: Vec<u8>,
    side: u32,
}

/// Puts the nodes of `layout` on the canvas as one image ([`pixels`]) when
/// every dot is small enough to be a square ([`SQUARE_BELOW`]) and every fill
/// is a colour the image can hold; whether it did.
fn put_pixels(
    context: &CanvasRenderingContext2d,
    layout: &ClusterLayout,
    scale: f64,
    colour: &dyn Fn(&str) -> String,
    painted: &mut Painted,
) -> bool {
    if layout.nodes.iter().any(|node| node.radius >= SQUARE_BELOW) {
        return false;
    }
    let mut fills = Vec::with_capacity(FILLS.len());
    for (palette, property) in FILLS {
        match pixels::hex_colour(&colour(property)) {
            Some(rgba) => fills.push((palette, rgba)),
            None => return false,
        }
    }
    let mut made_from = Vec::with_capacity(1 + fills.len() + 4 * layout.nodes.len());
    made_from.push(scale.to_bits());
    made_from.extend(
        fills
            .iter()
            .map(|(_, rgba)| u64::from(u32::from_le_bytes(*rgba))),
    );
    for node in &layout.nodes {
        let fill = fills
            .iter()
            .position(|(palette, _)| *palette == shown_palette(node));
        let fill = fill.map_or(u64::MAX, |index| index as u64);
        made_from.extend([
            node.x.to_bits(),
            node.y.to_bits(),
            node.radius.to_bits(),
            fill,
        ]);
    }
    if made_from != painted.made_from {
        // In the order of the fills, so live nodes cover down ones.
        let mut squares = Vec::with_capacity(layout.nodes.len());
        for (palette, rgba) in &fills {
            for node in &layout.nodes {
                if shown_palette(node) == *palette {
                    squares.push((node.x, node.y, node.radius * SQUARE_SIZE, *rgba));
                }
            }
        }
        let side = (SIZE * scale).round() as usize;
        painted.pixels = pixels::squares(side, scale, &squares);
        painted.side = side as u32;
        painted.made_from = made_from;
    }
    // The image is a view of this module's memory, not a copy: it is put
    // (which copies it into the canvas) at once and dropped, since the memory
    // under it is freed, reused or moved once anything allocates.
    let side = painted.side;
    ImageData::new_with_u8_clamped_array_and_sh(Clamped(&painted.pixels), side, side)
        .and_then(|image| context.put_image_data(&image, 0.0, 0.0))
        .is_ok()
}

/// Adds a dot of `radius` at (`x`, `y`) to the current path. Below
/// [`SQUARE_BELOW`] it is a square of about the same area: a few device
/// pixels look the same either way, and ten thousand squares rasterise in a
/// fraction of the time of ten thousand circles (measured in headless
/// Chromium without a GPU, where the circles took most of a 10,000-node
/// frame).
fn dot(context: &CanvasRenderingContext2d, x: f64, y: f64, radius: f64) {
    if radius < SQUARE_BELOW {
        let half = radius * SQUARE_SIZE;
        context.fill_rect(x - half, y - half, 2.0 * half, 2.0 * half);
    } else {
        context.move_to(x + radius, y);
        let _ = context.arc(x, y, radius, 0.0, TAU);
    }
}

/// The value of CSS custom property `property` where the canvas sits, or a
/// neutral grey if the page has none.
fn css_colour(style: Option<&CssStyleDeclaration>, property: &str) -> String {
    style
        .and_then(|style| style.get_property_value(property).ok())
        .map(|value| value.trim().to_string())
        .filter(|value| !value.is_empty())
        .unwrap_or_else(|| "#888".to_string())
}

#[cfg(test)]
mod tests {
    use super::ring_moved;

    #[test]
    fn the_ring_moves_by_one_or_a_page_and_stops_at_the_ends() {
        assert_eq!(ring_moved("ArrowRight", None, 10_000), Some(0));
        assert_eq!(ring_moved("ArrowLeft", None, 10_000), Some(9_999));
        assert_eq!(ring_moved("ArrowDown", Some(4), 10_000), Some(5));
        assert_eq!(ring_moved("ArrowUp", Some(0), 10_000), Some(0));
        assert_eq!(ring_moved("ArrowRight", Some(9_999), 10_000), Some(9_999));
        assert_eq!(ring_moved("PageDown", Some(9_950), 10_000), Some(9_999));
        assert_eq!(ring_moved("PageUp", Some(250), 10_000), Some(150));
        assert_eq!(ring_moved("End", Some(3), 10_000), Some(9_999));
        assert_eq!(ring_moved("Home", Some(3), 10_000), Some(0));
        assert_eq!(ring_moved("x", Some(3), 10_000), None);
        assert_eq!(ring_moved("ArrowRight", None, 0), None);
    }
}
