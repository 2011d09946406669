//! Geometry of a skip list drawn as linked lanes: one row per lane (lane 0 at the
//! bottom), one column per key so a node's boxes on every lane it occupies form a
//! tower, arrows along each lane from the head to the end, and a search path as
//! right moves along lanes and down moves within a tower.
//!
//! Lists too long to draw whole show a window of columns: the keys the last
//! operation touched, the keys around it, then the tallest towers. Hidden keys are
//! counted in a gap marker, and a lane link that passes over hidden nodes of its
//! own lane is marked `elided`, so the drawing never pretends two nodes are
//! neighbours when they are not.

use std::collections::BTreeSet;

use distlab_core::skiplist::SearchAction;
use distlab_core::topics::skip_list::PathStep;

/// Column pitch, and a node box inside it.
pub const COLUMN: f64 = 48.0;
pub const BOX_WIDTH: f64 = 40.0;
pub const BOX_HEIGHT: f64 = 22.0;
/// Distance between two lanes.
pub const ROW: f64 = 40.0;
/// Extra room where hidden keys are skipped.
pub const GAP: f64 = 14.0;
/// Room for the lane labels at the left.
const LABEL: f64 = 52.0;
const MARGIN: f64 = 10.0;
/// Room above the top lane and below lane 0 (for gap counts).
const TOP: f64 = 30.0;
const BOTTOM: f64 = 22.0;

/// What the layout is asked to draw.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LanesInput {
    /// Every key in order with its height (the lanes it occupies).
    pub towers: Vec<(u64, usize)>,
    /// Lanes in use (the tallest tower).
    pub lanes: usize,
    /// The last search's steps (a search, or the search an insert or remove made).
    pub path: Vec<PathStep>,
    /// The tower to highlight (the last insert).
    pub highlight: Option<u64>,
    /// Other keys to mark as new (the last batch).
    pub fresh: Vec<u64>,
    /// Most key columns to draw.
    pub max_columns: usize,
}

/// One node box: `key` is `None` for the head.
#[derive(Clone, Debug, PartialEq)]
pub struct LaneNode {
    pub key: Option<u64>,
    pub level: usize,
    /// Top-left corner.
    pub x: f64,
    pub y: f64,
    pub highlighted: bool,
    pub fresh: bool,
    /// The search stood on this node.
    pub on_path: bool,
    /// The search looked at this node and found it not smaller (it dropped a lane).
    pub probed: bool,
    /// Where the search ended on lane 0 (the key, or the node after where it would be).
    pub end: bool,
}

/// An arrow along a lane, from one node's right edge to the next node's left edge.
#[derive(Clone, Debug, PartialEq)]
pub struct LaneLink {
    pub level: usize,
    pub x1: f64,
    pub x2: f64,
    pub y: f64,
    /// The link skips nodes of this lane that are not drawn.
    pub elided: bool,
    /// The link goes to the end of the lane.
    pub to_end: bool,
}

/// Where hidden keys were skipped, and how many.
#[derive(Clone, Debug, PartialEq)]
pub struct Gap {
    pub x: f64,
    pub hidden: usize,
}

/// One move of the search path: a right move joins the tops of two boxes of one
/// lane, a down move joins a box's bottom to the top of the box below it.
#[derive(Clone, Debug, PartialEq)]
pub struct PathSegment {
    pub x1: f64,
    pub y1: f64,
    pub x2: f64,
    pub y2: f64,
    pub down: bool,
    /// 1-based step number.
    pub step: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LanesLayout {
    pub width: f64,
    pub height: f64,
    pub nodes: Vec<LaneNode>,
    pub links: Vec<LaneLink>,
    pub gaps: Vec<Gap>,
    pub path: Vec<PathSegment>,
    /// Lane labels: (y of the lane's centre, level).
    pub lane_labels: Vec<(f64, usize)>,
    /// The x of the end-of-lane column (where `nil` is written).
    pub end_x: f64,
    /// Keys drawn and keys in the list.
    pub shown: usize,
    pub total: usize,
}

/// The top edge of lane `level`'s boxes.
fn lane_y(lanes: usize, level: usize) -> f64 {
    TOP + (lanes.saturating_sub(1).saturating_sub(level)) as f64 * ROW
}

/// Which towers to draw: all when they fit; otherwise the path's keys, the
/// highlighted key and its neighbours, then the tallest towers nearest the focus;
/// with nothing to focus on, a run of neighbours around the tallest tower.
fn visible(input: &LanesInput) -> Vec<bool> {
    let n = input.towers.len();
    let max = input.max_columns.max(1);
    if n <= max {
        return vec![true; n];
    }
    let mut focus: BTreeSet<u64> = BTreeSet::new();
    for step in &input.path {
        focus.extend(step.from);
        focus.extend(step.next);
    }
    focus.extend(input.highlight);
    if focus.is_empty() {
        let tallest = (0..n)
            .max_by_key(|&i| (input.towers[i].1, std::cmp::Reverse(i)))
            .unwrap_or(0);
        let start = tallest.saturating_sub(max / 2).min(n - max);
        return (0..n).map(|i| (start..start + max).contains(&i)).collect();
    }
    let index_of = |key: u64| input.towers.binary_search_by_key(&key, |&(k, _)| k);
    // The centre of attention: the highlighted key, else where the path ended.
    let centre = input
        .highlight
        .or_else(|| input.path.last().and_then(|s| s.next.or(s.from)))
        .map(|key| index_of(key).unwrap_or_else(|at| at))
        .unwrap_or(0);
    let mut chosen = vec![false; n];
    let mut count = 0;
    for key in &focus {
        if count >= max {
            break;
        }
        if let Ok(i) = index_of(*key) {
            if !chosen[i] {
                chosen[i] = true;
                count += 1;
            }
        }
    }
    let distance = |i: usize| i.abs_diff(centre);
    let mut rest: Vec<usize> = (0..n).filter(|&i| !chosen[i]).collect();
    // Near neighbours first, then taller towers, then nearer ones.
    rest.sort_by_key(|&i| {
        let near = distance(i) <= 3;
        (!near, std::cmp::Reverse(input.towers[i].1), distance(i))
    });
    for i in rest {
        if count >= max {
            break;
        }
        chosen[i] = true;
        count += 1;
    }
    chosen
}

pub fn layout(input: &LanesInput) -> LanesLayout {
    let lanes = input.lanes.max(1);
    let shown = visible(input);
    // Columns: the head, then each shown key, with a gap before runs of hidden keys.
    let head_x = MARGIN + LABEL;
    let mut x = head_x + COLUMN;
    let mut columns: Vec<(usize, f64)> = Vec::new(); // (tower index, box x)
    let mut gaps = Vec::new();
    let mut hidden = 0usize;
    for (i, &is_shown) in shown.iter().enumerate() {
        if !is_shown {
            hidden += 1;
            continue;
        }
        if hidden > 0 {
            gaps.push(Gap {
                x: x + GAP / 2.0 - (COLUMN - BOX_WIDTH) / 2.0,
                hidden,
            });
            x += GAP;
            hidden = 0;
        }
        columns.push((i, x));
        x += COLUMN;
    }
    if hidden > 0 {
        gaps.push(Gap {
            x: x + GAP / 2.0 - (COLUMN - BOX_WIDTH) / 2.0,
            hidden,
        });
        x += GAP;
    }
    let end_x = x;
    let width = end_x + BOX_WIDTH + MARGIN;
    let height = lane_y(lanes, 0) + BOX_HEIGHT + BOTTOM;

    let column_of = |key: Option<u64>| -> Option<f64> {
        match key {
            None => Some(head_x),
            Some(key) => {
                let i = input.towers.binary_search_by_key(&key, |&(k, _)| k).ok()?;
                shown[i].then(|| columns.iter().find(|&&(j, _)| j == i).map(|&(_, x)| x))?
            }
        }
    };

    // Who the path stood on, looked at, and ended at.
    let mut stood: BTreeSet<(Option<u64>, usize)> = BTreeSet::new();
    let mut probed: BTreeSet<(u64, usize)> = BTreeSet::new();
    let mut end: Option<u64> = None;
    for step in &input.path {
        stood.insert((step.from, step.level));
        match step.action {
            SearchAction::Right => {
                stood.insert((step.next, step.level));
            }
            SearchAction::Down => {
                if let Some(next) = step.next {
                    probed.insert((next, step.level));
                }
                stood.insert((step.from, step.level.saturating_sub(1)));
            }
            SearchAction::Stop => end = step.next,
        }
    }

    let mut nodes = Vec::new();
    for level in 0..lanes {
        nodes.push(LaneNode {
            key: None,
            level,
            x: head_x,
            y: lane_y(lanes, level),
            highlighted: false,
            fresh: false,
            on_path: stood.contains(&(None, level)),
            probed: false,
            end: false,
        });
    }
    for &(i, x) in &columns {
        let (key, height) = input.towers[i];
        for level in 0..height.min(lanes) {
            nodes.push(LaneNode {
                key: Some(key),
                level,
                x,
                y: lane_y(lanes, level),
                highlighted: input.highlight == Some(key),
                fresh: input.fresh.contains(&key),
                on_path: stood.contains(&(Some(key), level)),
                probed: probed.contains(&(key, level)),
                end: level == 0 && end == Some(key),
            });
        }
    }

    // Lane links: consecutive drawn nodes of each lane, noting hidden ones between.
    let mut links = Vec::new();
    for level in 0..lanes {
        let y = lane_y(lanes, level) + BOX_HEIGHT / 2.0;
        let mut from = head_x;
        let mut skipped = false;
        for (i, &(_, height)) in input.towers.iter().enumerate() {
            if height <= level {
                continue;
            }
            if !shown[i] {
                skipped = true;
                continue;
            }
            let Some(&(_, to)) = columns.iter().find(|&&(j, _)| j == i) else {
                continue;
            };
            links.push(LaneLink {
                level,
                x1: from + BOX_WIDTH,
                x2: to,
                y,
                elided: skipped,
                to_end: false,
            });
            from = to;
            skipped = false;
        }
        links.push(LaneLink {
            level,
            x1: from + BOX_WIDTH,
            x2: end_x,
            y,
            elided: skipped,
            to_end: true,
        });
    }

    let mut path = Vec::new();
    for step in &input.path {
        let level = step.level;
        let Some(x_from) = column_of(step.from) else {
            continue;
        };
        match step.action {
            SearchAction::Right => {
                // From the top centre of one box to the top centre of the next: the
                // view draws it as a hop arching over the lane.
                if let Some(x_to) = column_of(step.next) {
                    let top = lane_y(lanes, level);
                    path.push(PathSegment {
                        x1: x_from + BOX_WIDTH / 2.0,
                        y1: top,
                        x2: x_to + BOX_WIDTH / 2.0,
                        y2: top,
                        down: false,
                        step: path.len() + 1,
                    });
                }
            }
            SearchAction::Down if level > 0 => {
                let cx = x_from + BOX_WIDTH / 2.0;
                path.push(PathSegment {
                    x1: cx,
                    y1: lane_y(lanes, level) + BOX_HEIGHT,
                    x2: cx,
                    y2: lane_y(lanes, level - 1),
                    down: true,
                    step: path.len() + 1,
                });
            }
            _ => {}
        }
    }

    LanesLayout {
        width,
        height,
        nodes,
        links,
        gaps,
        path,
        lane_labels: (0..lanes)
            .map(|level| (lane_y(lanes, level) + BOX_HEIGHT / 2.0, level))
            .collect(),
        end_x,
        shown: columns.len(),
        total: input.towers.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use distlab_core::skiplist::SkipList;
    use distlab_core::topics::skip_list::SkipListState;

    fn input_of(list: &SkipList<u64, ()>, max_columns: usize) -> LanesInput {
        LanesInput {
            towers: list.towers().iter().map(|t| (*t.key, t.height)).collect(),
            lanes: list.height(),
            max_columns,
            ..LanesInput::default()
        }
    }

    fn list(keys: impl IntoIterator<Item = u64>) -> SkipList<u64, ()> {
        let mut list = SkipList::with_seed(7);
        for key in keys {
            list.insert(key, ());
        }
        list
    }

    #[test]
    fn towers_align_by_key_across_lanes() {
        let list = list((1..=30).map(|k| k * 3));
        let l = layout(&input_of(&list, 100));
        for tower in list.towers() {
            let boxes: Vec<&LaneNode> = l
                .nodes
                .iter()
                .filter(|n| n.key == Some(*tower.key))
                .collect();
            assert_eq!(boxes.len(), tower.height, "key {}", tower.key);
            assert!(
                boxes.iter().all(|b| b.x == boxes[0].x),
                "a tower is one column"
            );
            let mut levels: Vec<usize> = boxes.iter().map(|b| b.level).collect();
            levels.sort();
            assert_eq!(levels, (0..tower.height).collect::<Vec<_>>());
        }
        // Keys increase left to right, lane 0 is the bottom row.
        let bottom: Vec<&LaneNode> = l.nodes.iter().filter(|n| n.level == 0).collect();
        assert!(bottom.windows(2).all(|w| w[0].x < w[1].x));
        let top = l.nodes.iter().map(|n| n.y).fold(f64::INFINITY, f64::min);
        assert!(bottom.iter().all(|n| n.y > top || list.height() == 1));
        for n in &l.nodes {
            assert!(n.x >= 0.0 && n.x + BOX_WIDTH <= l.width);
            assert!(n.y >= 0.0 && n.y + BOX_HEIGHT <= l.height);
        }
        assert_eq!(l.shown, 30);
        assert!(l.gaps.is_empty());
    }

    #[test]
    fn every_lane_is_linked_in_key_order_to_its_end() {
        let list = list([5, 9, 14, 20, 33, 41, 57, 60, 72, 88]);
        let l = layout(&input_of(&list, 100));
        let lanes = list.lanes();
        for (level, keys) in lanes.iter().enumerate() {
            let links: Vec<&LaneLink> = l.links.iter().filter(|k| k.level == level).collect();
            assert_eq!(
                links.len(),
                keys.len() + 1,
                "lane {level}: head, nodes, end"
            );
            assert!(links.windows(2).all(|w| w[0].x2 <= w[1].x1));
            assert!(links.last().unwrap().to_end);
            assert!(links.iter().all(|k| k.x1 < k.x2 && !k.elided));
        }
    }

    #[test]
    fn a_search_path_is_drawn_move_by_move() {
        let state = SkipListState::new(40, 99, 2);
        let target = *state.reference().iter().nth(17).unwrap();
        let record = state.search(target);
        let mut input = input_of(state.list(), 100);
        input.path = record.steps.clone();
        let l = layout(&input);
        assert_eq!(
            l.path.len(),
            record.rights() + record.downs(),
            "one segment per move"
        );
        assert_eq!(l.path.iter().filter(|s| s.down).count(), record.downs());
        for s in &l.path {
            if s.down {
                assert_eq!(s.x1, s.x2);
                assert!(s.y2 > s.y1);
            } else {
                assert_eq!(s.y1, s.y2);
                assert!(s.x2 > s.x1);
            }
        }
        let end: Vec<&LaneNode> = l.nodes.iter().filter(|n| n.end).collect();
        assert_eq!(end.len(), 1);
        assert_eq!(end[0].key, Some(target));
        assert!(l.nodes.iter().any(|n| n.key.is_none() && n.on_path));
    }

    #[test]
    fn long_lists_show_a_window_that_keeps_the_path() {
        let state = SkipListState::new(1000, 100_000, 3);
        let target = *state.reference().iter().nth(700).unwrap();
        let record = state.search(target);
        let mut input = input_of(state.list(), 40);
        input.path = record.steps.clone();
        input.highlight = Some(target);
        let l = layout(&input);
        assert_eq!(l.shown, 40);
        assert_eq!(l.total, 1000);
        let hidden: usize = l.gaps.iter().map(|g| g.hidden).sum();
        assert_eq!(hidden, 960);
        // With nothing to focus on, a contiguous run around the tallest tower.
        let plain = layout(&input_of(state.list(), 40));
        assert_eq!(plain.shown, 40);
        assert!(plain.gaps.len() <= 2);
        let tallest = state
            .list()
            .towers()
            .iter()
            .map(|t| t.height)
            .max()
            .unwrap();
        assert_eq!(
            plain
                .nodes
                .iter()
                .filter(|n| n.key.is_some())
                .map(|n| n.level + 1)
                .max(),
            Some(tallest),
            "the tallest tower is drawn"
        );
        assert_eq!(
            l.path.len(),
            record.rights() + record.downs(),
            "path fully drawn"
        );
        assert!(l
            .nodes
            .iter()
            .any(|n| n.key == Some(target) && n.highlighted));
        assert!(l.links.iter().any(|k| k.elided));
        for n in &l.nodes {
            assert!(n.x + BOX_WIDTH <= l.width);
        }
        // Columns still increase with the key.
        let bottom: Vec<&LaneNode> = l.nodes.iter().filter(|n| n.level == 0).collect();
        assert!(bottom.windows(2).all(|w| w[0].x < w[1].x));
    }

    #[test]
    fn an_empty_list_draws_just_the_head() {
        let l = layout(&LanesInput {
            max_columns: 10,
            ..LanesInput::default()
        });
        assert_eq!(l.nodes.len(), 1);
        assert_eq!(l.links.len(), 1);
        assert!(l.links[0].to_end);
        assert!(l.path.is_empty());
    }
}
