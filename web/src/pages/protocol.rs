//! The lab page of a protocol topic: controls, narration, the cluster view, the
//! space-time timeline, the state table, the invariant panel, the event log, and
//! fault injection. Every protocol topic gets this page from its catalog line
//! (`=> protocol`); it holds no protocol logic.

use std::rc::Rc;

use distlab_core::lab::protocol::ProtocolTopic;
use distlab_core::sim::action::Action;
use distlab_core::sim::time::{Duration, NodeId};
use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::shared;
use crate::command::Command;
use crate::hooks::{use_player, StartAt};
use crate::layout::{cluster, timeline};
use crate::views;
use crate::views::cluster::ClusterProps;
use crate::views::event_log::EventLogProps;
use crate::views::invariants::InvariantsProps;
use crate::views::state_table::StateTableProps;
use crate::views::timeline::TimelineProps;

/// How far back to look for messages still in flight.
const FLIGHT_HORIZON: Duration = Duration::from_millis(3_000);
/// Lines in the event log.
const LOG_LINES: usize = 14;
/// Width of the timeline in SVG units (it scales to its box): narrower on a
/// phone, so its labels and lanes stay readable when scaled down.
const TIMELINE_WIDTH: f64 = 900.0;
const NARROW_TIMELINE_WIDTH: f64 = 440.0;

/// The timeline's width for this window.
fn timeline_width() -> f64 {
    let narrow = web_sys::window()
        .and_then(|w| w.inner_width().ok())
        .and_then(|w| w.as_f64())
        .is_some_and(|w| w < 600.0);
    if narrow {
        NARROW_TIMELINE_WIDTH
    } else {
        TIMELINE_WIDTH
    }
}

/// What every topic page is opened with.
#[derive(Clone, Properties, PartialEq)]
pub struct TopicPageProps {
    pub link: Option<String>,
    pub embed: bool,
    /// How the page starts: playing, paused, or paused at an instant.
    #[prop_or(StartAt::Playing)]
    pub start: StartAt,
}

/// The page of protocol topic `T`.
pub fn page<T: ProtocolTopic>(props: &TopicPageProps) -> Html {
    html! { <ProtocolLab<T> ..props.clone() /> }
}

/// The protocol lab of topic `T` (see [`page`]).
#[function_component]
pub fn ProtocolLab<T: ProtocolTopic>(props: &TopicPageProps) -> Html {
    let topic = T::INFO;
    let handle = use_player(topic, props.link.clone(), props.embed, props.start);
    let on_command = handle.on_command.clone();
    let player = handle.player.borrow();
    let run = player.run();
    let now = player.time();
    let state = run.cluster();
    let trace = run.trace();

    let flying = trace.in_flight(now, FLIGHT_HORIZON);
    let cluster_layout = Rc::new(cluster::layout(&state, &flying, now));
    let timeline_layout = Rc::new(timeline::layout(
        trace,
        &state,
        now,
        handle.timeline_span,
        timeline_width(),
    ));
    let table = Rc::new(run.state_table());
    let up: Rc<Vec<bool>> = Rc::new(state.nodes.iter().map(|n| n.up).collect());
    let violations = Rc::new(run.violations().to_vec());
    shared::publish(&player, props.embed);

    let on_node = {
        let up = up.clone();
        on_command.reform(move |node: NodeId| {
            let action = if up.get(node.index()).copied().unwrap_or(true) {
                Action::Crash(node)
            } else {
                Action::Restart(node)
            };
            Command::Act(action)
        })
    };
    let on_link = {
        let groups = state.groups.clone();
        let cuts = state.cuts.clone();
        let on_command = on_command.clone();
        Callback::from(move |(a, b): (NodeId, NodeId)| {
            let separated = groups.get(a.index()) != groups.get(b.index());
            let cut = cuts.contains(&(a, b)) || cuts.contains(&(b, a));
            if separated {
                on_command.emit(Command::Act(Action::Heal));
            } else if cut {
                on_command.emit(Command::Act(Action::Restore { from: a, to: b }));
                on_command.emit(Command::Act(Action::Restore { from: b, to: a }));
            } else {
                on_command.emit(Command::Act(Action::Cut { from: a, to: b }));
                on_command.emit(Command::Act(Action::Cut { from: b, to: a }));
            }
        })
    };

    // The next request of the topic's workload, numbered after the person's own.
    let sent = player
        .scenario()
        .actions
        .iter()
        .filter(|a| matches!(a.action, Action::Operation { .. }))
        .count() as u64;
    let request = T::client_request(1000 + sent).map(|op| Action::operation(None, &op));

    html! {
        <div class="lab protocol" data-topic={topic.slug}>
            { shared::page_top(&handle, &player, props.embed) }
            <div class="views">
                <section class="panel cluster-panel" aria-label="cluster">
                    <h3>{ "Cluster" }<small>{ " click a node to crash or restart it, a link to cut or heal it" }</small></h3>
                    { views::cluster::draw(&ClusterProps { layout: cluster_layout, on_node, on_link }) }
                    { fault_panel(&FaultPanelProps { on_command: on_command.clone(), drop_rate: current_drop_percent(&player), request }) }
                </section>
                <section class="panel timeline-panel" aria-label="timeline">
                    <h3>
                        { "Timeline" }
                        <small>{ " click to jump in time" }</small>
                        <span class="zoom">
                            <button id="zoom-in" title="Zoom in" onclick={on_command.reform(|_: MouseEvent| Command::Zoom(0.5))}>{ "+" }</button>
                            <button id="zoom-out" title="Zoom out" onclick={on_command.reform(|_: MouseEvent| Command::Zoom(2.0))}>{ "−" }</button>
                        </span>
                    </h3>
                    { views::timeline::draw(&TimelineProps { layout: timeline_layout, on_seek_time: on_command.reform(Command::SeekTime), on_seek_step: on_command.reform(Command::SeekStep) }) }
                    { views::state_table::draw(&StateTableProps { table, up }) }
                </section>
            </div>
            <div class="panels">
                { views::invariants::draw(&InvariantsProps { invariants: topic.invariants, violations, on_seek_step: on_command.reform(Command::SeekStep) }) }
                { views::event_log::draw(&EventLogProps { lines: shared::recent_events(trace, LOG_LINES) }) }
            </div>
        </div>
    }
}

/// The loss rate the person last set (or the scenario's starting rate), in percent.
fn current_drop_percent(player: &crate::player::Player) -> i64 {
    player
        .scenario()
        .actions
        .iter()
        .rev()
        .filter(|a| a.at <= player.time())
        .find_map(|a| match a.action {
            Action::SetDropRate(ppm) => Some(ppm as i64 / 10_000),
            _ => None,
        })
        .unwrap_or_else(|| player.topic().param(player.scenario(), "drop"))
}

struct FaultPanelProps {
    on_command: Callback<Command>,
    drop_rate: i64,
    /// The client request the button sends, if the topic has a workload.
    request: Option<Action>,
}

/// Fault injection and client input: a client request, message loss, healing.
fn fault_panel(props: &FaultPanelProps) -> Html {
    let request = props.request.clone().map(|action| {
        let onclick = props
            .on_command
            .reform(move |_: MouseEvent| Command::Act(action.clone()));
        html! {
            <button id="client-request" {onclick} title="Send a client request, routed as the topic routes its workload">{ "Client request" }</button>
        }
    });
    let heal = props
        .on_command
        .reform(|_: MouseEvent| Command::Act(Action::Heal));
    let on_drop = props.on_command.reform(|e: Event| {
        let percent: u32 = e
            .target_unchecked_into::<HtmlInputElement>()
            .value()
            .parse()
            .unwrap_or(0);
        Command::Act(Action::SetDropRate(percent.min(100) * 10_000))
    });
    html! {
        <div class="faults">
            { for request }
            <button id="heal" onclick={heal} title="Remove every partition and cut link">{ "Heal network" }</button>
            <label class="field" title="Probability that the network loses each message, from now on">
                { format!("Loss {}% ", props.drop_rate) }
                <input id="drop-rate" type="range" min="0" max="50" step="1" value={props.drop_rate.to_string()} onchange={on_drop} />
            </label>
        </div>
    }
}
