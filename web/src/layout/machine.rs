//! Geometry of a protocol's state machine ([`StateMachine`]): each state a
//! rounded box on the machine's grid, each transition an arrow from the edge of
//! one box to the edge of the other (two transitions between the same pair of
//! boxes drawn side by side), the labels beside their arrows, and under each
//! state the nodes that are in it.

use distlab_core::lab::machine::StateMachine;

/// A state's box.
pub const BOX_WIDTH: f64 = 112.0;
pub const BOX_HEIGHT: f64 = 44.0;
/// Room between boxes, for the arrows and their labels.
const GAP_X: f64 = 70.0;
const GAP_Y: f64 = 56.0;
/// Around the drawing.
const MARGIN: f64 = 12.0;
/// How far apart two arrows between the same boxes are drawn.
const PARALLEL: f64 = 9.0;

/// One state placed.
#[derive(Clone, Debug, PartialEq)]
pub struct PlacedState {
    pub x: f64,
    pub y: f64,
    pub name: &'static str,
    /// The nodes in this state, e.g. `n1 n3`, or empty.
    pub nodes: String,
}

/// One transition placed: a line from `(x1, y1)` to `(x2, y2)` (the head).
#[derive(Clone, Debug, PartialEq)]
pub struct PlacedArrow {
    pub x1: f64,
    pub y1: f64,
    pub x2: f64,
    pub y2: f64,
    pub label: &'static str,
    /// Where the label goes (its middle).
    pub label_x: f64,
    pub label_y: f64,
    /// Dashed: a timeout takes it.
    pub timeout: bool,
}

/// A machine placed.
#[derive(Clone, Debug, PartialEq)]
pub struct PlacedMachine {
    pub width: f64,
    pub height: f64,
    pub states: Vec<PlacedState>,
    pub arrows: Vec<PlacedArrow>,
}

/// Where a line from the middle of a box towards `(dx, dy)` leaves the box.
fn edge(dx: f64, dy: f64) -> f64 {
    let tx = if dx == 0.0 {
        f64::INFINITY
    } else {
        (BOX_WIDTH / 2.0) / dx.abs()
    };
    let ty = if dy == 0.0 {
        f64::INFINITY
    } else {
        (BOX_HEIGHT / 2.0) / dy.abs()
    };
    tx.min(ty)
}

/// Lays `machine` out; `in_state[i]` lists the node ids in state `i`.
pub fn layout(machine: &StateMachine, in_state: &[Vec<u32>]) -> PlacedMachine {
    let corner = |x: u8, y: u8| {
        (
            MARGIN + f64::from(x) * (BOX_WIDTH + GAP_X),
            MARGIN + f64::from(y) * (BOX_HEIGHT + GAP_Y),
        )
    };
    let states: Vec<PlacedState> = machine
        .states
        .iter()
        .enumerate()
        .map(|(i, state)| {
            let (x, y) = corner(state.x, state.y);
            let nodes: Vec<String> = in_state
                .get(i)
                .map(|ids| ids.iter().map(|id| format!("n{id}")).collect())
                .unwrap_or_default();
            PlacedState {
                x,
                y,
                name: state.name,
                nodes: nodes.join(" "),
            }
        })
        .collect();
    let arrows = machine
        .transitions
        .iter()
        .enumerate()
        .filter_map(|(index, t)| {
            let (from, to) = (states.get(t.from)?, states.get(t.to)?);
            let centre = |s: &PlacedState| (s.x + BOX_WIDTH / 2.0, s.y + BOX_HEIGHT / 2.0);
            let ((ax, ay), (bx, by)) = (centre(from), centre(to));
            let (dx, dy) = (bx - ax, by - ay);
            let length = (dx * dx + dy * dy).sqrt().max(1.0);
            // Transitions between the same two boxes, either way, side by side.
            let pair = |u: usize, v: usize| (u.min(v), u.max(v));
            let siblings: Vec<usize> = machine
                .transitions
                .iter()
                .enumerate()
                .filter(|(_, o)| pair(o.from, o.to) == pair(t.from, t.to))
                .map(|(i, _)| i)
                .collect();
            let rank = siblings.iter().position(|&i| i == index).unwrap_or(0) as f64;
            let shift = (rank - (siblings.len() as f64 - 1.0) / 2.0) * PARALLEL;
            let (nx, ny) = (-dy / length, dx / length);
            let (ox, oy) = (nx * shift, ny * shift);
            let out = edge(dx, dy);
            let (x1, y1) = (ax + dx * out + ox, ay + dy * out + oy);
            let (x2, y2) = (bx - dx * out + ox, by - dy * out + oy);
            // The label sits beside the middle of the arrow, on its own side.
            let side = if shift < 0.0 { -1.0 } else { 1.0 };
            let away = if dy.abs() > dx.abs() { 6.0 } else { 9.0 };
            Some(PlacedArrow {
                x1,
                y1,
                x2,
                y2,
                label: t.label,
                label_x: (x1 + x2) / 2.0 + nx * away * side,
                label_y: (y1 + y2) / 2.0 + ny * away * side,
                timeout: t.timeout,
            })
        })
        .collect();
    let columns = machine
        .states
        .iter()
        .map(|s| s.x)
        .max()
        .map_or(0, |x| x + 1);
    let rows = machine
        .states
        .iter()
        .map(|s| s.y)
        .max()
        .map_or(0, |y| y + 1);
    PlacedMachine {
        width: 2.0 * MARGIN
            + f64::from(columns) * BOX_WIDTH
            + f64::from(columns.saturating_sub(1)) * GAP_X,
        height: 2.0 * MARGIN
            + f64::from(rows) * BOX_HEIGHT
            + f64::from(rows.saturating_sub(1)) * GAP_Y,
        states,
        arrows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use distlab_core::lab::machine::{MachineState, Transition};

    const MACHINE: StateMachine = StateMachine {
        title: "test",
        states: &[
            MachineState {
                name: "a",
                x: 0,
                y: 0,
            },
            MachineState {
                name: "b",
                x: 1,
                y: 0,
            },
            MachineState {
                name: "c",
                x: 1,
                y: 1,
            },
        ],
        transitions: &[
            Transition {
                from: 0,
                to: 1,
                label: "go",
                timeout: false,
            },
            Transition {
                from: 0,
                to: 1,
                label: "late",
                timeout: true,
            },
            Transition {
                from: 1,
                to: 2,
                label: "down",
                timeout: false,
            },
            Transition {
                from: 0,
                to: 9,
                label: "nowhere",
                timeout: false,
            },
        ],
    };

    #[test]
    fn states_sit_on_their_grid_and_list_their_nodes() {
        let placed = layout(&MACHINE, &[vec![], vec![1, 3]]);
        assert_eq!(placed.states.len(), 3);
        assert!(placed.states[1].x > placed.states[0].x + BOX_WIDTH);
        assert_eq!(placed.states[1].y, placed.states[0].y);
        assert!(placed.states[2].y > placed.states[1].y + BOX_HEIGHT);
        assert_eq!(placed.states[1].nodes, "n1 n3");
        assert_eq!(placed.states[2].nodes, "");
        let right = placed
            .states
            .iter()
            .map(|s| s.x + BOX_WIDTH)
            .fold(0.0, f64::max);
        let bottom = placed
            .states
            .iter()
            .map(|s| s.y + BOX_HEIGHT)
            .fold(0.0, f64::max);
        assert!(placed.width >= right && placed.height >= bottom);
    }

    #[test]
    fn arrows_run_between_box_edges_and_parallel_ones_do_not_overlap() {
        let placed = layout(&MACHINE, &[]);
        assert_eq!(
            placed.arrows.len(),
            3,
            "a transition to no state is left out"
        );
        let (go, late, down) = (&placed.arrows[0], &placed.arrows[1], &placed.arrows[2]);
        let (a, b) = (&placed.states[0], &placed.states[1]);
        assert!(
            (go.x1 - (a.x + BOX_WIDTH)).abs() < 1e-9,
            "leaves a's right edge"
        );
        assert!((go.x2 - b.x).abs() < 1e-9, "enters b's left edge");
        assert!((go.y1 - late.y1).abs() >= PARALLEL - 1e-9);
        assert!(late.timeout && !go.timeout);
        assert!(go.label_y < late.label_y, "labels on their own sides");
        // Vertical: from b's bottom edge to c's top edge.
        assert!((down.y1 - (b.y + BOX_HEIGHT)).abs() < 1e-9);
        assert!((down.y2 - placed.states[2].y).abs() < 1e-9);
    }
}
