//! The Hunt and shrink panel: Hunt sweeps seeds with the page's settings in a Web
//! Worker and lists each failing seed, which opens paused at its violation;
//! "Shrink this run" makes the run shown smaller while it still breaks the same
//! invariant, and the result opens paused at its violation. The player keeps the
//! state and its hook runs the worker (see [`crate::hunt`]); this only draws.

use distlab_core::lab::hunt::HUNT_MS;
use yew::prelude::*;

use crate::command::Command;
use crate::hunt::{HuntState, SEEDS};

/// Failing seeds listed (a line says how many more there are).
const LISTED: usize = 8;

pub struct HuntProps<'a> {
    pub state: &'a HuntState,
    /// Whether the run shown breaks an invariant (so it can be shrunk).
    pub violated: bool,
    pub on_command: &'a Callback<Command>,
}

pub fn draw(props: &HuntProps) -> Html {
    let state = props.state;
    let busy = state.busy();
    let press = |command: Command| {
        props
            .on_command
            .reform(move |_: MouseEvent| command.clone())
    };
    let found = state
        .found
        .iter()
        .take(LISTED)
        .enumerate()
        .map(|(index, found)| {
            html! {
                <li>
                    { format!("seed {}: {} at {} ", found.seed, found.invariant, found.time) }
                    <button onclick={press(Command::OpenFound(index))}>{ "Open" }</button>
                </li>
            }
        });
    let more = state.found.len().saturating_sub(LISTED);
    let shrink = &state.shrink;
    let report = match (&state.problem, &shrink.link, shrink.before, shrink.after) {
        (Some(problem), ..) => problem.clone(),
        _ if shrink.running => format!(
            "Shrinking: {} ({} actions, {} runs tried)",
            shrink.stage, shrink.actions, shrink.trials
        ),
        (_, Some((_, invariant)), Some(before), Some(after)) => format!(
            "Shrunk to a run that still breaks {invariant}, opened paused at the violation: {} actions (from {}), {} events (from {}), violation at {} (from {}), {} runs tried. The address is its share link.",
            after.actions, before.actions, after.events, before.events, after.time, before.time, shrink.trials
        ),
        _ if more > 0 => format!("and {more} more"),
        _ => String::new(),
    };
    html! {
        <section class="panel hunt-panel" id="hunt" aria-label="hunt and shrink">
            <h3>{ "Hunt and shrink" }<small>{ format!(" {SEEDS} seeds of these settings and heavy faults, {} s each, in the background", HUNT_MS / 1000) }</small></h3>
            <button id="hunt-toggle" onclick={press(Command::Hunt)}>{ if busy { "Stop" } else { "Hunt" } }</button>
            <button id="shrink-shown" onclick={press(Command::Shrink)} disabled={busy || !props.violated} title="Shrink the run shown to a smaller one that still breaks the same invariant">{ "Shrink this run" }</button>
            <progress max={SEEDS.to_string()} value={state.done.to_string()} />
            <span role="status">
                { format!("{} of {SEEDS} seeds · {} seeds/s · {} counterexamples", state.done, state.seeds_per_second, state.found.len()) }
            </span>
            <ol>{ for found }</ol>
            <p class="hunt-report" role="status">{ report }</p>
        </section>
    }
}
