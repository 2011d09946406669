//! What a person can ask a page to do. Views emit commands; the page's player hook
//! applies them (see `hooks::use_player`).

use distlab_core::sim::action::Action;
use distlab_core::sim::faults::FaultLevel;
use distlab_core::sim::time::Time;

use crate::export::ExportKind;

#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    TogglePlay,
    Play,
    Pause,
    Step,
    StepBack,
    Reset,
    Speed(f64),
    Seed(u64),
    RandomSeed,
    Param(&'static str, i64),
    Bug(Option<String>),
    Preset(Option<String>),
    Act(Action),
    SeekTime(Time),
    SeekStep(u64),
    /// Widen or narrow the timeline window (factor applied to its span).
    Zoom(f64),
    DismissNotice,
    CopyLink,
    /// Say something in the notice banner.
    Tell(String),
    /// Download the trace or a picture of the page (see [`crate::export`]).
    Export(ExportKind),
    /// Hunt with the page's settings, or stop the hunt or shrink under way.
    Hunt,
    /// The random faults the next hunt draws from each seed.
    HuntFaults(FaultLevel),
    /// Shrink the run shown (when it breaks an invariant).
    Shrink,
    /// Shrink the hunt's soonest failures and keep the smallest, as
    /// `distlab check --shrink` does.
    ShrinkFound,
    /// Explore every state within small bounds (the topics that can be
    /// explored), or stop the exploration under way.
    Explore,
    /// Open the hunt's failing seed at this index, paused at its violation.
    OpenFound(usize),
    /// Lines from the hunt's worker (see [`crate::hunt`]).
    WorkerLines(String),
}
