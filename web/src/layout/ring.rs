//! Geometry of the hash-ring view: arcs coloured by owner around a circle, each
//! node's virtual-node points as ticks outside it, keys as dots inside it, and the
//! keys that moved on the last change ringed in their previous owner's colour.
//!
//! Positions are fractions of the circle (`0` at the top, growing clockwise), as
//! `distlab_core::hashing::position_fraction` gives them. Each node's arcs, ticks
//! and keys become one SVG path apiece, so a ring of thousands of points is a
//! handful of elements. Consecutive arcs of one owner are merged; when even the
//! merged runs are finer than the drawing can show ([`MAX_RUNS`]), the circle is
//! resampled into [`BINS`] equal bins, each coloured by the owner of its midpoint,
//! so the arcs still cover the circle exactly once.

use std::f64::consts::{FRAC_PI_2, TAU};
use std::fmt::Write;

/// The view box is `SIZE x SIZE` user units.
pub const SIZE: f64 = 400.0;
/// Radius of the middle of the arc band.
pub const RADIUS: f64 = 148.0;
/// Width of the arc band.
pub const BAND: f64 = 14.0;
/// Merged runs beyond this are resampled into [`BINS`] bins.
pub const MAX_RUNS: usize = 720;
/// Bins of a resampled ring (half a degree each).
pub const BINS: usize = 720;
/// Virtual-node ticks are drawn only up to this many points in all.
pub const MAX_TICKS: usize = 1_000;

/// Radius of a key dot's centre: inside the band, staggered over three lanes so
/// close keys do not hide each other.
const KEY_RADIUS: f64 = RADIUS - BAND / 2.0 - 9.0;
const KEY_LANE: f64 = 6.0;
/// Radius of the ring drawn around a moved key.
const MOVED_RING: f64 = 4.6;
/// Ticks run from the band's outer edge outwards.
const TICK_INNER: f64 = RADIUS + BAND / 2.0 + 2.0;
const TICK_OUTER: f64 = TICK_INNER + 9.0;
// Keys (with their moved rings) sit inside the band, ticks outside it.
const _: () =
    assert!(KEY_RADIUS + MOVED_RING < RADIUS - BAND / 2.0 && TICK_INNER > RADIUS + BAND / 2.0);

/// One arc of the ring as the model gives it: `span` of the circle ending at `end`
/// (both fractions of the circle), owned by node `owner` (an index into the node
/// list).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ArcInput {
    pub end: f64,
    pub span: f64,
    pub owner: usize,
}

/// One key: its position, its owner (an index into the node list; `None` on an
/// empty ring) and, if it moved on the last change, its previous owner's palette
/// slot (`Some(None)` when the previous owner is unknown).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KeyInput {
    pub fraction: f64,
    pub owner: Option<usize>,
    pub moved_from: Option<Option<usize>>,
}

/// A node to draw: its name and palette slot.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeInput {
    pub name: String,
    pub colour: usize,
}

/// Everything the ring view needs, in model terms.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RingInput {
    pub nodes: Vec<NodeInput>,
    /// The arcs in clockwise order (may be empty: a ring without arcs, as mod-N
    /// placement has, draws a neutral band).
    pub arcs: Vec<ArcInput>,
    /// Virtual-node points: position and owner index.
    pub points: Vec<(f64, usize)>,
    pub keys: Vec<KeyInput>,
}

/// A merged stretch of the circle owned by one node: `[start, start + span)` in
/// fractions of the circle (`start` may be negative for the stretch that wraps
/// past the top).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ArcRun {
    pub start: f64,
    pub span: f64,
    pub owner: usize,
}

/// One node's drawing.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeGlyphs {
    pub name: String,
    pub colour: usize,
    /// The node's arcs: one SVG path of arcs along the band's middle, to stroke.
    pub arc_path: String,
    /// Its virtual-node ticks (empty when ticks are not drawn).
    pub tick_path: String,
    /// Its keys: zero-length subpaths drawn as dots by round line caps.
    pub key_path: String,
    /// The share of the circle its arcs cover.
    pub share: f64,
    pub points: usize,
    pub keys: usize,
}

/// The keys that moved away from one previous owner (palette slot, `None` when
/// unknown): rings around their dots.
#[derive(Clone, Debug, PartialEq)]
pub struct MovedGlyphs {
    pub from: Option<usize>,
    pub path: String,
    pub count: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RingLayout {
    pub size: f64,
    pub centre: f64,
    pub radius: f64,
    pub band: f64,
    pub nodes: Vec<NodeGlyphs>,
    pub moved: Vec<MovedGlyphs>,
    /// Keys without an owner (only on an empty ring).
    pub unowned_path: String,
    /// The runs the arcs were drawn from, in clockwise order (after merging and
    /// any resampling).
    pub runs: Vec<ArcRun>,
    /// Whether the runs were resampled into [`BINS`] bins.
    pub resampled: bool,
    /// Whether the virtual-node ticks are drawn (at most [`MAX_TICKS`] points).
    pub ticks: bool,
    pub point_count: usize,
    pub key_count: usize,
    pub moved_count: usize,
}

/// The point at `fraction` of the circle and `radius` from the centre.
pub fn point(fraction: f64, radius: f64) -> (f64, f64) {
    let (cos, sin) = super::cos_sin(-FRAC_PI_2 + fraction * TAU);
    (SIZE / 2.0 + radius * cos, SIZE / 2.0 + radius * sin)
}

/// Merges consecutive arcs (clockwise) of one owner into runs. Arcs of no width are
/// skipped; the first and last run merge across the top when they share an owner.
/// Non-finite or negative spans count as empty.
pub fn runs(arcs: &[ArcInput]) -> Vec<ArcRun> {
    let mut out: Vec<ArcRun> = Vec::new();
    for arc in arcs {
        if !(arc.span.is_finite() && arc.span > 0.0 && arc.end.is_finite()) {
            continue;
        }
        let span = arc.span.min(1.0);
        match out.last_mut() {
            Some(last) if last.owner == arc.owner => last.span += span,
            _ => out.push(ArcRun {
                start: arc.end - span,
                span,
                owner: arc.owner,
            }),
        }
    }
    if out.len() > 1 && out[0].owner == out[out.len() - 1].owner {
        if let Some(last) = out.pop() {
            out[0].start = last.start - 1.0;
            out[0].span += last.span;
        }
    }
    out
}

/// Resamples `runs` into `bins` equal bins coloured by the owner at each bin's
/// midpoint, merged again. Bins whose midpoint no run covers are dropped. Costs
/// one pass over the runs and one over the bins.
pub fn resample(runs: &[ArcRun], bins: usize) -> Vec<ArcRun> {
    let bins = bins.max(1);
    let scale = bins as f64;
    let mut owners: Vec<Option<usize>> = vec![None; bins];
    for run in runs {
        if !(run.start.is_finite() && run.span.is_finite()) {
            continue;
        }
        // Midpoint (i + 0.5) / bins lies in [start, start + span).
        let first = (run.start * scale - 0.5).ceil() as i64;
        let end = ((run.start + run.span.min(1.0)) * scale - 0.5).ceil() as i64;
        for i in first..end {
            owners[i.rem_euclid(bins as i64) as usize] = Some(run.owner);
        }
    }
    let width = 1.0 / scale;
    let arcs: Vec<ArcInput> = owners
        .iter()
        .enumerate()
        .filter_map(|(b, owner)| {
            Some(ArcInput {
                end: (b + 1) as f64 * width,
                span: width,
                owner: (*owner)?,
            })
        })
        .collect();
    self::runs(&arcs)
}

/// Appends an arc of `span` from `start` along `radius`, split into pieces under
/// half a turn so SVG's large-arc flag is never needed (a whole circle too).
fn push_arc(path: &mut String, start: f64, span: f64, radius: f64) {
    let pieces = (span / 0.45).ceil().max(1.0) as usize;
    let step = span / pieces as f64;
    let (x0, y0) = point(start, radius);
    let _ = write!(path, "M{x0:.1} {y0:.1}");
    for i in 1..=pieces {
        let (x, y) = point(start + step * i as f64, radius);
        let _ = write!(path, "A{radius:.0} {radius:.0} 0 0 1 {x:.1} {y:.1}");
    }
}

/// A dot: a zero-length subpath, drawn by a round line cap.
fn push_dot(path: &mut String, x: f64, y: f64) {
    let _ = write!(path, "M{x:.1} {y:.1}h0");
}

/// A ring of radius `r` around `(x, y)`, as two half arcs.
fn push_ring(path: &mut String, x: f64, y: f64, r: f64) {
    let _ = write!(
        path,
        "M{:.1} {y:.1}a{r:.1} {r:.1} 0 1 0 {:.1} 0a{r:.1} {r:.1} 0 1 0 {:.1} 0",
        x - r,
        2.0 * r,
        -2.0 * r
    );
}

/// Where key `index` at `fraction` sits: on one of three lanes inside the band.
pub fn key_position(index: usize, fraction: f64) -> (f64, f64) {
    point(fraction, KEY_RADIUS - (index % 3) as f64 * KEY_LANE)
}

/// Lays out the ring.
pub fn layout(input: &RingInput) -> RingLayout {
    let mut merged = runs(&input.arcs);
    let resampled = merged.len() > MAX_RUNS;
    if resampled {
        merged = resample(&merged, BINS);
    }
    let ticks = input.points.len() <= MAX_TICKS;
    let mut nodes: Vec<NodeGlyphs> = input
        .nodes
        .iter()
        .map(|n| NodeGlyphs {
            name: n.name.clone(),
            colour: n.colour,
            arc_path: String::new(),
            tick_path: String::new(),
            key_path: String::new(),
            share: 0.0,
            points: 0,
            keys: 0,
        })
        .collect();
    for run in &merged {
        if let Some(node) = nodes.get_mut(run.owner) {
            push_arc(&mut node.arc_path, run.start, run.span, RADIUS);
            node.share += run.span;
        }
    }
    for &(fraction, owner) in &input.points {
        if let Some(node) = nodes.get_mut(owner) {
            node.points += 1;
            if ticks && fraction.is_finite() {
                let (x1, y1) = point(fraction, TICK_INNER);
                let (x2, y2) = point(fraction, TICK_OUTER);
                let _ = write!(node.tick_path, "M{x1:.1} {y1:.1}L{x2:.1} {y2:.1}");
            }
        }
    }
    let mut unowned_path = String::new();
    let mut moved: Vec<MovedGlyphs> = Vec::new();
    let mut moved_count = 0;
    for (i, key) in input.keys.iter().enumerate() {
        if !key.fraction.is_finite() {
            continue;
        }
        let (x, y) = key_position(i, key.fraction);
        match key.owner.and_then(|o| nodes.get_mut(o)) {
            Some(node) => {
                node.keys += 1;
                push_dot(&mut node.key_path, x, y);
            }
            None => push_dot(&mut unowned_path, x, y),
        }
        if let Some(from) = key.moved_from {
            moved_count += 1;
            let group = match moved.iter_mut().find(|m| m.from == from) {
                Some(group) => group,
                None => {
                    moved.push(MovedGlyphs {
                        from,
                        path: String::new(),
                        count: 0,
                    });
                    moved.last_mut().expect("just pushed")
                }
            };
            group.count += 1;
            push_ring(&mut group.path, x, y, MOVED_RING);
        }
    }
    RingLayout {
        size: SIZE,
        centre: SIZE / 2.0,
        radius: RADIUS,
        band: BAND,
        nodes,
        moved,
        unowned_path,
        runs: merged,
        resampled,
        ticks,
        point_count: input.points.len(),
        key_count: input.keys.len(),
        moved_count,
    }
}

/// A palette slot for a node named `node-<number>` (the consistent-hashing topic
/// names nodes so, in join order, never reusing a name): its number, so each node
/// keeps its colour when others come and go. Other names fall back to a hash.
pub fn node_colour(name: &str) -> usize {
    match name
        .rsplit_once('-')
        .and_then(|(_, n)| n.parse::<u64>().ok())
    {
        Some(number) => super::palette_for(number),
        None => super::palette_index(name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nodes(n: usize) -> Vec<NodeInput> {
        (0..n)
            .map(|i| NodeInput {
                name: format!("node-{i}"),
                colour: i,
            })
            .collect()
    }

    /// Arcs ending at `ends` (ascending), the first wrapping from the last end.
    fn arcs_at(ends: &[(f64, usize)]) -> Vec<ArcInput> {
        (0..ends.len())
            .map(|i| {
                let previous = if i == 0 {
                    ends[ends.len() - 1].0 - 1.0
                } else {
                    ends[i - 1].0
                };
                ArcInput {
                    end: ends[i].0,
                    span: ends[i].0 - previous,
                    owner: ends[i].1,
                }
            })
            .collect()
    }

    /// The runs cover the circle exactly once: spans sum to 1, each run starts
    /// where the previous ended, and the last ends a full turn after the first
    /// starts.
    fn assert_cover_once(runs: &[ArcRun]) {
        let total: f64 = runs.iter().map(|r| r.span).sum();
        assert!((total - 1.0).abs() < 1e-9, "spans sum to {total}");
        for pair in runs.windows(2) {
            assert!(
                (pair[0].start + pair[0].span - pair[1].start).abs() < 1e-9,
                "{pair:?} leave a gap or overlap"
            );
        }
        let (first, last) = (runs[0], runs[runs.len() - 1]);
        assert!((last.start + last.span - (first.start + 1.0)).abs() < 1e-9);
        assert!(runs.iter().all(|r| r.span > 0.0));
    }

    #[test]
    fn arcs_merge_by_owner_and_cover_the_circle_exactly_once() {
        let arcs = arcs_at(&[
            (0.1, 0),
            (0.2, 0),
            (0.35, 1),
            (0.5, 2),
            (0.6, 2),
            (0.8, 1),
            (0.95, 0),
        ]);
        let merged = runs(&arcs);
        assert_cover_once(&merged);
        // The wrap-around arcs of node 0 (0.95 -> 0.2) are one run.
        let owners: Vec<usize> = merged.iter().map(|r| r.owner).collect();
        assert_eq!(owners, [0, 1, 2, 1]);
        assert!((merged[0].start - (-0.2)).abs() < 1e-9);
        assert!((merged[0].span - 0.4).abs() < 1e-9);
    }

    #[test]
    fn one_point_owns_the_whole_circle_and_ties_are_skipped() {
        let merged = runs(&[ArcInput {
            end: 0.3,
            span: 1.0,
            owner: 0,
        }]);
        assert_cover_once(&merged);
        let layout = layout(&RingInput {
            nodes: nodes(1),
            arcs: vec![ArcInput {
                end: 0.3,
                span: 1.0,
                owner: 0,
            }],
            points: vec![(0.3, 0)],
            keys: vec![],
        });
        // A whole circle is drawn in pieces under half a turn.
        assert_eq!(layout.nodes[0].arc_path.matches('A').count(), 3);
        assert!((layout.nodes[0].share - 1.0).abs() < 1e-9);
        let with_tie = runs(&[
            ArcInput {
                end: 0.5,
                span: 0.0,
                owner: 1,
            },
            ArcInput {
                end: 0.5,
                span: 1.0,
                owner: 0,
            },
        ]);
        assert_eq!(with_tie.len(), 1);
        assert!(runs(&[ArcInput {
            end: 0.2,
            span: f64::NAN,
            owner: 0
        }])
        .is_empty());
    }

    #[test]
    fn a_fine_ring_is_resampled_and_still_covers_the_circle_once() {
        // 3000 alternating arcs: far more runs than the drawing can show.
        let ends: Vec<(f64, usize)> = (0..3000)
            .map(|i| ((i as f64 + 1.0) / 3000.0, i % 3))
            .collect();
        let input = RingInput {
            nodes: nodes(3),
            arcs: arcs_at(&ends),
            points: ends.clone(),
            keys: vec![],
        };
        let layout = layout(&input);
        assert!(layout.resampled);
        assert!(layout.runs.len() <= BINS);
        assert_cover_once(&layout.runs);
        let shares: f64 = layout.nodes.iter().map(|n| n.share).sum();
        assert!((shares - 1.0).abs() < 1e-9);
        // Too many points for ticks, but they are still counted.
        assert!(!layout.ticks);
        assert_eq!(layout.nodes[0].points, 1000);
        assert!(layout.nodes.iter().all(|n| n.tick_path.is_empty()));
    }

    #[test]
    fn everything_drawn_lies_inside_the_box() {
        for i in 0..200 {
            let f = i as f64 / 200.0;
            for r in [KEY_RADIUS - 2.0 * KEY_LANE - MOVED_RING, TICK_OUTER] {
                let (x, y) = point(f, r);
                assert!((0.0..=SIZE).contains(&x) && (0.0..=SIZE).contains(&y));
            }
        }
        // Fraction 0 is the top, a quarter is the right: clockwise.
        let (x, y) = point(0.0, RADIUS);
        assert!((x - SIZE / 2.0).abs() < 1e-9 && y < SIZE / 2.0);
        let (x, y) = point(0.25, RADIUS);
        assert!(x > SIZE / 2.0 && (y - SIZE / 2.0).abs() < 1e-9);
    }

    #[test]
    fn keys_are_drawn_by_owner_and_moved_keys_ringed_by_previous_owner() {
        let input = RingInput {
            nodes: nodes(2),
            arcs: arcs_at(&[(0.4, 0), (0.9, 1)]),
            points: vec![(0.4, 0), (0.9, 1)],
            keys: vec![
                KeyInput {
                    fraction: 0.1,
                    owner: Some(0),
                    moved_from: None,
                },
                KeyInput {
                    fraction: 0.5,
                    owner: Some(1),
                    moved_from: Some(Some(0)),
                },
                KeyInput {
                    fraction: 0.6,
                    owner: Some(1),
                    moved_from: Some(Some(0)),
                },
                KeyInput {
                    fraction: 0.7,
                    owner: Some(1),
                    moved_from: Some(None),
                },
                KeyInput {
                    fraction: 0.2,
                    owner: None,
                    moved_from: None,
                },
            ],
        };
        let layout = layout(&input);
        assert_eq!(layout.nodes[0].keys, 1);
        assert_eq!(layout.nodes[1].keys, 3);
        assert_eq!(layout.nodes[1].key_path.matches('M').count(), 3);
        assert_eq!(layout.unowned_path.matches('M').count(), 1);
        assert_eq!(layout.moved_count, 3);
        assert_eq!(layout.moved.len(), 2);
        assert_eq!(layout.moved[0].from, Some(0));
        assert_eq!(layout.moved[0].count, 2);
        assert!(layout.ticks);
        assert_eq!(layout.nodes[1].tick_path.matches('L').count(), 1);
        assert!((layout.nodes[0].share - 0.5).abs() < 1e-9);
    }

    #[test]
    fn node_colours_follow_the_node_number() {
        assert_eq!(node_colour("node-3"), 3);
        assert_eq!(node_colour("node-11"), 3);
        assert!(node_colour("alpha") < super::super::PALETTE_SIZE);
    }
}
