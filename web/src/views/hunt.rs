//! The Hunt and shrink panel: Hunt sweeps seeds with the page's settings in a Web
//! Worker and lists each failing seed, which opens paused at its violation;
//! "Shrink the smallest" shrinks the soonest of them and keeps the smallest (as
//! `distlab check --shrink`), "Shrink this run" the run shown; the result breaks
//! the same invariant and opens paused one step before its violation, with what
//! leads to it marked on the timeline. The fault picker sets the random faults
//! each seed of the next hunt draws (heavy to begin with). The player keeps the
//! state and its hook runs the worker (see [`crate::hunt`]); this only draws.

use distlab_core::lab::hunt::HUNT_MS;
use distlab_core::sim::faults::FaultLevel;
use web_sys::HtmlSelectElement;
use yew::prelude::*;

use crate::command::Command;
use crate::hunt::{HuntState, SEEDS};
use distlab_core::explore::lines::PAGE_DEPTH;

/// The fault levels a hunt can draw from each seed.
const FAULT_LEVELS: [FaultLevel; 4] = [
    FaultLevel::None,
    FaultLevel::Light,
    FaultLevel::Heavy,
    FaultLevel::Crashes,
];

/// Failing seeds listed (a line says how many more there are).
const LISTED: usize = 8;

pub struct HuntProps<'a> {
    pub state: &'a HuntState,
    /// Whether the run shown breaks an invariant (so it can be shrunk).
    pub violated: bool,
    /// The Explore button and its report ([`explore`]), when the topic can be
    /// explored.
    pub explore: Option<[Html; 2]>,
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
    let faults = FAULT_LEVELS.iter().enumerate().map(|(index, &level)| {
        html! { <option value={index.to_string()} selected={level == state.faults}>{ level.as_str() }</option> }
    });
    let on_faults = props.on_command.reform(|e: Event| {
        let picked = e.target_unchecked_into::<HtmlSelectElement>().value();
        let index = picked.parse().unwrap_or(usize::MAX);
        Command::HuntFaults(
            FAULT_LEVELS
                .get(index)
                .copied()
                .unwrap_or(FaultLevel::Heavy),
        )
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
            "Shrunk to a run that still breaks {invariant}: {} actions (from {}), {} events (from {}), violation at {} (from {}), {} runs. Shown one step before the violation; the address is its link.",
            after.actions, before.actions, after.events, before.events, after.time, before.time, shrink.trials
        ),
        _ if more > 0 => format!("and {more} more"),
        _ => String::new(),
    };
    let [explore_button, explored] = props.explore.clone().unwrap_or_default();
    html! {
        <section class="panel hunt-panel" id="hunt" aria-label="hunt and shrink">
            <h3>{ "Hunt and shrink" }<small>{ format!(" {SEEDS} seeds, {} s each", HUNT_MS / 1000) }</small></h3>
            <label class="field">{ "Faults " }
                <select id="hunt-faults" onchange={on_faults} disabled={busy}>{ for faults }</select>
            </label>
            <button id="hunt-toggle" onclick={press(Command::Hunt)}>{ if busy { "Stop" } else { "Hunt" } }</button>
            <button id="shrink-found" onclick={press(Command::ShrinkFound)} disabled={busy || state.found.is_empty()}>{ "Shrink the smallest" }</button>
            <button id="shrink-shown" onclick={press(Command::Shrink)} disabled={busy || !props.violated}>{ "Shrink this run" }</button>
            { explore_button }
            <progress max={SEEDS.to_string()} value={state.done.to_string()} />
            <span role="status">
                { format!("{} of {SEEDS} seeds · {} seeds/s · {} counterexamples", state.done, state.seeds_per_second, state.found.len()) }
            </span>
            <ol>{ for found }</ol>
            <p class="hunt-report" role="status">{ report }</p>
            { explored }
        </section>
    }
}

/// The Explore button and its report. A page asks for them only when its topic
/// can be explored (`ProtocolTopic::EXPLORABLE`, a constant), so the bundles of
/// other routes leave all of this out.
pub fn explore(state: &HuntState, on_command: &Callback<Command>) -> [Html; 2] {
    let explore = &state.explore;
    let explored = match &explore.found {
        _ if explore.running && explore.walks > 0 => {
            format!("Too deep for every state: {} random walks", explore.walks)
        }
        _ if explore.running => format!(
            "Exploring every state: depth {} of {PAGE_DEPTH}, {} states",
            explore.depth, explore.unique
        ),
        Some((_, invariant, steps)) => format!(
            "{}: {invariant} breaks after {steps} step{}. Shown one step before; the address is its link.",
            match explore.walked {
                Some(walked) => format!("Counterexample from a random walk of {walked} steps, minimized (no step can be left out; a shorter path may exist)"),
                None => "Shortest counterexample".into(),
            },
            if *steps == 1 { "" } else { "s" }
        ),
        None if explore.clean && explore.walks > 0 => format!(
            "No violation in {} random walks of up to {} steps.",
            explore.walks, explore.depth
        ),
        None if explore.clean => format!(
            "No state within {} steps breaks an invariant ({} states).",
            explore.depth, explore.unique
        ),
        None => String::new(),
    };
    let busy = state.busy();
    [
        html! {
            <button id="explore-toggle" title="Every state within a few steps (three servers, one crash, one client request, no loss), or random walks for a deeper bug" onclick={on_command.reform(|_: MouseEvent| Command::Explore)} disabled={busy && !explore.running}>{ if explore.running { "Stop" } else { "Explore" } }</button>
        },
        html! { <p class="explore-report" role="status">{ explored }</p> },
    ]
}
