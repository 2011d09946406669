//! The frame every data-structure page shares: header, controls, notices,
//! narration, the topic's own views, the invariant panel and the event log.
//! A page builds its views from its typed structure and hands them to [`frame`].

use std::rc::Rc;

use distlab_core::sim::trace::EventKind;
use yew::prelude::*;

use crate::command::Command;
use crate::embed::{self, ApiState};
use crate::hooks::PlayerHandle;
use crate::player::Player;
use crate::views::controls::{Controls, ControlsState};
use crate::views::event_log::EventLog;
use crate::views::invariants::InvariantsView;
use crate::views::narration::NarrationView;

/// Lines in the event log.
const LOG_LINES: usize = 12;

/// Wraps a data-structure page's `views` (and its `operations` bar, the buttons
/// that issue `Action::Operation`s) in the shared frame.
pub fn frame(
    handle: &PlayerHandle,
    player: &Player,
    embed: bool,
    operations: Html,
    views: Html,
) -> Html {
    let topic = player.topic();
    let run = player.run();
    let on_command = handle.on_command.clone();
    let trace = run.trace();
    let log_start = trace.events.len().saturating_sub(LOG_LINES);
    let log = Rc::new(
        trace.events[log_start..]
            .iter()
            .map(|e| {
                (
                    e.step,
                    trace.event_text(e),
                    matches!(e.kind, EventKind::Violation { .. }),
                )
            })
            .collect::<Vec<_>>(),
    );
    embed::publish(ApiState {
        topic: topic.slug.to_string(),
        link: player.link(embed),
        time_us: player.time().as_micros(),
        steps: run.steps(),
        violations: run.violations().iter().map(|v| v.to_string()).collect(),
        playing: player.playing(),
    });
    let controls = ControlsState {
        slug: topic.slug,
        playing: player.playing(),
        speed: player.speed(),
        seed: player.scenario().seed,
        time: player.time(),
        steps: run.steps(),
        params: topic
            .params
            .iter()
            .map(|p| (p.name, topic.param(player.scenario(), p.name)))
            .collect(),
        bug: player.scenario().bug.clone(),
        preset: player.scenario().preset.clone(),
        link_copied: handle.link_copied,
    };
    let preset_title = player
        .scenario()
        .preset
        .as_deref()
        .and_then(|p| topic.preset(p))
        .map(|p| p.title);
    let notice = player.notice().map(|text| {
        let dismiss = on_command.reform(|_: MouseEvent| Command::DismissNotice);
        html! {
            <div class="notice" role="status" id="notice">
                <span>{ text }</span>
                <button onclick={dismiss} aria-label="dismiss">{ "×" }</button>
            </div>
        }
    });
    html! {
        <div class="lab structure" data-topic={topic.slug}>
            if !embed {
                <header class="topic-header">
                    <h1>{ topic.title }</h1>
                    <p class="summary">{ topic.summary }</p>
                    <p class="reference">{ "Follows " }{ topic.reference }</p>
                </header>
            }
            <Controls state={controls} on_command={on_command.clone()} />
            { for notice }
            <NarrationView title={preset_title} text={player.narration().map(|n| n.text)} />
            <div class="operations" role="toolbar" aria-label="operations">{ operations }</div>
            <div class="structure-views">{ views }</div>
            <div class="panels">
                <InvariantsView invariants={topic.invariants} violations={Rc::new(run.violations().to_vec())} on_seek_step={on_command.reform(Command::SeekStep)} />
                <EventLog lines={log} />
            </div>
        </div>
    }
}
