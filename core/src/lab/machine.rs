//! A protocol's state machine as data, for the page to draw: the states a node
//! goes through (placed on a small grid) and the transitions between them, with
//! the ones a timeout takes marked. A topic declares one as
//! [`super::protocol::ProtocolTopic::MACHINE`] and says which state each node is
//! in with `machine_state`; the page lights the states nodes are in.

/// One state of the machine, at column `x` and row `y` of its grid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MachineState {
    pub name: &'static str,
    pub x: u8,
    pub y: u8,
}

/// A transition from state `from` to state `to` (indices into the states).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transition {
    pub from: usize,
    pub to: usize,
    /// What triggers it: `all YES`, `PreCommit`, `timeout`.
    pub label: &'static str,
    /// Whether a timeout takes it (drawn dashed).
    pub timeout: bool,
}

/// A state machine: its states and transitions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StateMachine {
    /// What one machine is: `a participant's transaction`.
    pub title: &'static str,
    pub states: &'static [MachineState],
    pub transitions: &'static [Transition],
}
