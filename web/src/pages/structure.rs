//! The frame every data-structure page shares: header, controls, notices,
//! narration, the topic's own views, the invariant panel and the event log.
//! A page builds its views from its typed structure and hands them to [`frame`].

use std::rc::Rc;

use yew::prelude::*;

use super::shared;
use crate::command::Command;
use crate::hooks::PlayerHandle;
use crate::player::Player;
use crate::views::controls::Controls;
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
    shared::publish(player, embed);
    html! {
        <div class="lab structure" data-topic={topic.slug}>
            if !embed {
                <header class="topic-header">
                    <h1>{ topic.title }</h1>
                    <p class="summary">{ topic.summary }</p>
                    <p class="reference">{ "Follows " }{ topic.reference }</p>
                </header>
            }
            <Controls state={shared::controls_state(handle, player)} on_command={on_command.clone()} />
            { shared::notice(player, &on_command) }
            <NarrationView title={shared::preset_title(player)} text={player.narration().map(|n| n.text)} />
            <div class="operations" role="toolbar" aria-label="operations">{ operations }</div>
            <div class="structure-views">{ views }</div>
            <div class="panels">
                <InvariantsView invariants={topic.invariants} violations={Rc::new(run.violations().to_vec())} on_seek_step={on_command.reform(Command::SeekStep)} />
                <EventLog lines={shared::recent_events(run.trace(), LOG_LINES)} />
            </div>
        </div>
    }
}
