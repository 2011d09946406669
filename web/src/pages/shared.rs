//! Pieces every topic page builds the same way from its player: the controls'
//! state, the notice banner, the recent events, and the state published to the
//! JavaScript API.

use std::rc::Rc;

use distlab_core::lab::protocol::ProtocolTopic;
use distlab_core::sim::trace::{EventKind, Trace};
use yew::prelude::*;

use crate::command::Command;
use crate::embed::{self, ApiState};
use crate::hooks::PlayerHandle;
use crate::player::Player;
use crate::views;
use crate::views::controls::{self, ControlsProps, ControlsState, FileTools, TopicRef};
use crate::views::narration::NarrationProps;

/// The top of every topic page: the header (not in embed mode), the controls, the
/// notice and the preset's narration.
pub fn page_top(handle: &PlayerHandle, player: &Player, embed: bool, files: FileTools) -> Html {
    let topic = player.topic();
    let on_command = &handle.on_command;
    html! {
        <>
            if !embed {
                <header class="topic-header">
                    <h1>{ topic.title }</h1>
                    <p class="summary">{ topic.summary }</p>
                    <p class="reference">{ "Follows " }{ topic.reference }</p>
                </header>
            }
            { controls::draw(&ControlsProps { state: controls_state(handle, player), on_command: on_command.clone(), files }) }
            { notice(player, on_command) }
            { views::narration::draw(&NarrationProps {
                title: preset_title(player),
                text: player.narration().map(|n| n.text),
                action: player.last_action().map(|a| (AttrValue::from(a.at.to_string()), AttrValue::from(views::narration::meaning(&a.action)))),
            }) }
        </>
    }
}

/// What the controls bar shows for `player`.
pub fn controls_state(handle: &PlayerHandle, player: &Player) -> ControlsState {
    let topic = player.topic();
    ControlsState {
        topic: TopicRef(topic),
        playing: player.playing(),
        speed: player.speed(),
        seed: player.scenario().seed,
        time: player.time(),
        steps: player.run().steps(),
        params: topic
            .params
            .iter()
            .map(|p| (p.name, topic.param(player.scenario(), p.name)))
            .collect(),
        bug: player.scenario().bug.clone(),
        preset: player.scenario().preset.clone(),
        shared: handle.shared.clone(),
    }
}

/// The dismissable notice (a bad link, a refused change, a limit), if any.
pub fn notice(player: &Player, on_command: &Callback<Command>) -> Html {
    let Some(text) = player.notice() else {
        return html! {};
    };
    let dismiss = on_command.reform(|_: MouseEvent| Command::DismissNotice);
    html! {
        <div class="notice" role="status" id="notice">
            <span>{ text }</span>
            <button onclick={dismiss} aria-label="dismiss">{ "×" }</button>
        </div>
    }
}

/// What the last step did, in the words core recorded for it (its input and
/// notes): the one narration of a step, shared by the trace, the command line and
/// the page.
pub fn last_step(trace: &Trace, step: u64) -> Html {
    let lines: Vec<&str> = trace
        .events
        .iter()
        .rev()
        .take_while(|e| e.step == step)
        .filter_map(|e| match &e.kind {
            EventKind::Note { text } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    let input = trace
        .events
        .iter()
        .rev()
        .take_while(|e| e.step == step)
        .find_map(|e| match &e.kind {
            EventKind::Input { label } => Some(label.as_str()),
            _ => None,
        });
    if lines.is_empty() && input.is_none() {
        return html! { <div class="explain" id="explain"><p class="hint">{ "Step or play to see what each operation does." }</p></div> };
    }
    html! {
        <div class="explain" id="explain" aria-live="polite">
            if let Some(input) = input { <p class="input"><strong>{ input }</strong></p> }
            { for lines.iter().rev().map(|line| html! { <p>{ *line }</p> }) }
        </div>
    }
}

/// The last `count` events as (step, line, is a violation), oldest first.
pub fn recent_events(trace: &Trace, count: usize) -> Rc<Vec<(u64, String, bool)>> {
    let start = trace.events.len().saturating_sub(count);
    Rc::new(
        trace.events[start..]
            .iter()
            .map(|e| {
                let violation = matches!(e.kind, EventKind::Violation { .. });
                (e.step, trace.event_text(e), violation)
            })
            .collect(),
    )
}

/// Makes the page's state readable through `window.distlab.state()`.
pub fn publish(player: &Player, embed: bool) {
    let run = player.run();
    embed::publish(
        player.topic(),
        ApiState {
            topic: player.topic().slug.to_string(),
            link: player.link(embed),
            time_us: player.time().as_micros(),
            steps: run.steps(),
            violations: run.violations().iter().map(|v| v.to_string()).collect(),
            playing: player.playing(),
            scenario: player.scenario().clone(),
        },
    );
}

/// The title of the preset being played, if any.
pub fn preset_title(player: &Player) -> Option<&'static str> {
    let name = player.scenario().preset.as_deref()?;
    player.topic().preset(name).map(|p| p.title)
}

/// The Hunt and shrink panel (not in embed mode), with `explore`'s button and
/// report ([`explore_part`]) when the topic can be explored.
pub fn hunt_panel(
    handle: &PlayerHandle,
    player: &Player,
    embed: bool,
    explore: Option<[Html; 2]>,
) -> Html {
    if embed {
        return Html::default();
    }
    views::hunt::draw(&views::hunt::HuntProps {
        state: player.hunt(),
        violated: !player.run().violations().is_empty(),
        explore,
        on_command: &handle.on_command,
    })
}

/// The Hunt panel's Explore button and report for topic `T`, if it can be
/// explored. `T::EXPLORABLE` is a constant, so the bundle of a topic that
/// cannot be explored compiles none of it.
pub fn explore_part<T: ProtocolTopic>(handle: &PlayerHandle, player: &Player) -> Option<[Html; 2]> {
    if T::EXPLORABLE {
        Some(views::hunt::explore(player.hunt(), &handle.on_command))
    } else {
        None
    }
}
