//! The lab page of a protocol topic: controls, narration, the cluster view, the
//! space-time timeline, the state table, the invariant panel, the event log,
//! fault injection; the timeline can show an imported trace file instead,
//! read-only. Every protocol topic gets this page from its catalog line
//! (`=> protocol`); it holds no protocol logic.

use std::rc::Rc;

use distlab_core::history::{History, LiveChecker, Verdict};
use distlab_core::lab::protocol::{ProtocolTopic, Setup};
use distlab_core::sim::action::Action;
use distlab_core::sim::time::{Duration, NodeId, Time};
use distlab_core::sim::trace_import::{self, ImportedTrace};
use distlab_core::sim::view::NodeState;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::shared;
use crate::command::Command;
use crate::export::Picture;
use crate::hooks::{use_player, StartAt};
use crate::layout::{cluster, timeline};
use crate::views;
use crate::views::cluster::ClusterProps;
use crate::views::controls::FileTools;
use crate::views::event_log::EventLogProps;
use crate::views::field::{Choice, NumberField, SelectField};
use crate::views::history::HistoryProps;
use crate::views::invariants::InvariantsProps;
use crate::views::state_table::StateTableProps;
use crate::views::timeline::TimelineProps;

/// How far back to look for messages still in flight.
const FLIGHT_HORIZON: Duration = Duration::from_millis(3_000);
/// The most nodes the operations' node picker lists as options.
const PICKER_CHOICES: usize = timeline::MAX_LANES;
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

/// The pictures a protocol page offers as SVG files.
const PICTURES: &[Picture] = &[
    Picture {
        selector: ".views .cluster",
        stem: "cluster",
        label: "Cluster (SVG)",
    },
    Picture {
        selector: ".views svg.timeline",
        stem: "timeline",
        label: "Timeline (SVG)",
    },
];

/// The largest trace file read (a 10-minute run of seven servers is ~100 MB).
const MAX_IMPORT_BYTES: f64 = 256.0 * 1024.0 * 1024.0;

/// The longest client history of an imported file that is checked, and the
/// search budget per key: a hostile file must not freeze the page.
const MAX_IMPORTED_HISTORY: usize = 20_000;
const IMPORTED_HISTORY_BUDGET: u64 = 100_000;

/// A trace file the person imported.
pub struct Imported {
    pub name: String,
    pub file: ImportedTrace,
    /// The file's client history and its verdict, worked out once when it is
    /// read: a big file's search must not run again on every frame of the slider.
    pub history: History,
    /// `None` on a page whose topic's history is not checked.
    pub verdict: Option<Verdict>,
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
    let imported = use_state(|| None::<Rc<Imported>>);
    let imported_now = use_state(|| Time::ZERO);
    // The node the topic's operations go to (see `operation_buttons`).
    let picked = use_state(|| NodeId(0));
    // The timeline's picked event and hidden message types.
    let selection = use_state(timeline::Selection::default);
    let on_pick = {
        let selection = selection.clone();
        Callback::from(move |event: (u64, NodeId)| {
            let mut next = (*selection).clone();
            next.toggle_event(event);
            selection.set(next);
        })
    };
    // The trace a log line or an exemplar opened (topics that correlate).
    let opened = use_state(|| None::<u64>);
    let on_toggle_kind = {
        let selection = selection.clone();
        Callback::from(move |kind: &'static str| {
            let mut next = (*selection).clone();
            next.toggle_kind(kind);
            selection.set(next);
        })
    };
    // The linearizability search over the live run's history, kept between
    // frames so only keys with new operations are searched again.
    // (Only a topic whose history is a register's searches: a constant test,
    // so the others leave the search out.)
    let linearizability = use_mut_ref(LiveChecker::new);
    let on_command = handle.on_command.clone();
    let on_import = {
        let imported = imported.clone();
        let imported_now = imported_now.clone();
        let on_command = on_command.clone();
        Callback::from(move |file: web_sys::File| {
            let (imported, imported_now, on_command) =
                (imported.clone(), imported_now.clone(), on_command.clone());
            if file.size() > MAX_IMPORT_BYTES {
                on_command.emit(Command::Tell(format!(
                    "{} is too large to import ({} MB; at most {} MB).",
                    file.name(),
                    (file.size() / 1e6) as u64,
                    (MAX_IMPORT_BYTES / 1e6) as u64
                )));
                return;
            }
            wasm_bindgen_futures::spawn_local(async move {
                let text = wasm_bindgen_futures::JsFuture::from(file.text()).await;
                let Some(text) = text.ok().and_then(|t| t.as_string()) else {
                    on_command.emit(Command::Tell(format!("{} could not be read.", file.name())));
                    return;
                };
                let read = trace_import::read(&text);
                // The live run waits while the person looks at the file.
                on_command.emit(Command::Pause);
                imported_now.set(read.end);
                let history = read.history();
                // A file is untrusted: its search is bounded (the live run's
                // checker bounds its own the same way).
                let verdict = if !T::LINEARIZABLE_HISTORY {
                    None
                } else if history.events.len() <= MAX_IMPORTED_HISTORY {
                    Some(distlab_core::history::check_with_budget(
                        &history,
                        IMPORTED_HISTORY_BUDGET,
                    ))
                } else {
                    Some(Verdict::Unknown { explored: 0 })
                };
                imported.set(Some(Rc::new(Imported {
                    name: file.name(),
                    file: read,
                    history,
                    verdict,
                })));
            });
        })
    };
    let player = handle.player.borrow();
    let run = player.run();
    let now = player.time();
    let state = run.cluster();
    let trace = run.trace();

    // The trace a log line or an exemplar opened, as the run still keeps it
    // (a constant test: only topics that correlate look).
    let opened_trace = if T::CORRELATED {
        (*opened).map(|id| {
            distlab_core::lab::protocol::simulation::<T>(run)
                .and_then(|simulation| T::trace_detail(simulation, id))
        })
    } else {
        None
    };
    let flying = trace.in_flight(now, FLIGHT_HORIZON);
    let cluster_layout = Rc::new(cluster::layout(&state, &flying, now, T::MANY_NODES));
    // The timeline shows the live run, or an imported file read-only (one
    // timeline either way: the person looks at one or the other).
    let shown_import = (*imported).clone();
    let timeline_props = match &shown_import {
        Some(shown) => {
            let file = &shown.file;
            let at = *imported_now;
            TimelineProps {
                layout: Rc::new(timeline::layout(
                    &file.trace,
                    &file.cluster_at(at),
                    at,
                    handle.timeline_span,
                    timeline_width(),
                    &selection,
                    None,
                )),
                on_seek_time: {
                    let imported_now = imported_now.clone();
                    Callback::from(move |time: Time| imported_now.set(time))
                },
                on_seek_step: {
                    let imported_now = imported_now.clone();
                    let shown = shown.clone();
                    Callback::from(move |step: u64| {
                        let events = &shown.file.trace.events;
                        let index = events.partition_point(|e| e.step < step);
                        if let Some(event) = events.get(index) {
                            imported_now.set(event.time);
                        }
                    })
                },
                overlay: Html::default(),
                on_pick: on_pick.clone(),
                on_toggle_kind: on_toggle_kind.clone(),
            }
        }
        None => {
            let layout = timeline::layout(
                trace,
                &state,
                now,
                handle.timeline_span,
                timeline_width(),
                &selection,
                player.ahead(),
            );
            // A constant test, so a topic without annotations carries none of this.
            let simulation = (T::ANNOTATED || T::CORRELATED)
                .then(|| distlab_core::lab::protocol::simulation::<T>(run))
                .flatten();
            let overlay = simulation.map_or_else(Html::default, |simulation| {
                let mut annotations = T::annotations(simulation);
                // An opened trace's spans are drawn on their processes' lanes.
                if let Some(Some(detail)) = &opened_trace {
                    annotations.spans.extend(detail.spans.iter().cloned());
                }
                let placed = timeline::overlay(&layout, now, &annotations);
                views::timeline::overlay(&placed, layout.height)
            });
            TimelineProps {
                layout: Rc::new(layout),
                on_seek_time: on_command.reform(Command::SeekTime),
                on_seek_step: on_command.reform(Command::SeekStep),
                overlay,
                on_pick: on_pick.clone(),
                on_toggle_kind: on_toggle_kind.clone(),
            }
        }
    };
    // The clients' history under the timeline, over the same window: the live
    // run's, or the imported file's client events.
    let history = match &shown_import {
        Some(shown) => Some(&shown.history),
        None => run.history(),
    }
    .filter(|history| !history.events.is_empty());
    let history_layout = history.map(|history| {
        // "Not checked" for a topic whose history is not a register's.
        let verdict = match &shown_import {
            Some(shown) => shown.verdict.clone(),
            None if T::LINEARIZABLE_HISTORY => {
                Some(linearizability.borrow_mut().check(history).clone())
            }
            None => None,
        };
        let window = &timeline_props.layout;
        let at = if shown_import.is_some() {
            *imported_now
        } else {
            now
        };
        Rc::new(crate::layout::history::layout(
            history,
            verdict.as_ref(),
            window.start,
            window.end,
            at,
            window.width,
        ))
    });
    // A constant test, so a topic without charts carries none of this.
    let charts = if T::CHARTED && shown_import.is_none() {
        distlab_core::lab::protocol::simulation::<T>(run).map_or_else(Html::default, |simulation| {
            let width = timeline_width();
            let placed: Vec<_> = T::charts(simulation)
                .iter()
                .map(|chart| crate::layout::topic_charts::layout(chart, width))
                .collect();
            views::topic_charts::draw(&placed)
        })
    } else {
        Html::default()
    };
    // A topic's own lanes (a row per saga), above its charts. A constant
    // test, so a topic without lanes carries none of this; the lanes share
    // the charts' place in the page, as a place of their own would cost every
    // other route a few bytes.
    let charts = if T::LANED && shown_import.is_none() {
        with_lanes::<T>(run, &timeline_props.layout, now, charts)
    } else {
        charts
    };
    // A constant test, so a topic without line charts carries none of this.
    let plots = if T::PLOTTED && shown_import.is_none() {
        distlab_core::lab::protocol::simulation::<T>(run).map_or_else(Html::default, |simulation| {
            let width = timeline_width();
            let placed: Vec<_> = T::plots(simulation)
                .iter()
                .map(|plot| crate::layout::plot::layout(plot, width, now))
                .collect();
            views::plot::draw(&placed)
        })
    } else {
        Html::default()
    };
    // A constant test, so a topic without tables carries none of this.
    let tables = if T::TABLED && shown_import.is_none() {
        distlab_core::lab::protocol::simulation::<T>(run).map_or_else(Html::default, |simulation| {
            views::matrix::draw(&T::tables(simulation))
        })
    } else {
        Html::default()
    };
    // A constant test, so a topic without correlated signals carries none of this.
    let signals = if T::CORRELATED && shown_import.is_none() {
        distlab_core::lab::protocol::simulation::<T>(run).map_or_else(Html::default, |simulation| {
            let signals = T::signals(simulation);
            let opened_view = opened_trace.as_ref().and_then(Option::as_ref);
            let on_open = {
                let opened = opened.clone();
                let on_command = on_command.clone();
                // The run pauses: the buffers a trace is read from move on.
                Callback::from(move |trace: u64| {
                    on_command.emit(Command::Pause);
                    opened.set(Some(trace));
                })
            };
            let on_close = {
                let opened = opened.clone();
                Callback::from(move |()| opened.set(None))
            };
            views::signals::draw(&views::signals::SignalsProps {
                signals: &signals,
                opened: opened_view,
                on_open,
                on_close,
            })
        })
    } else {
        Html::default()
    };
    // A constant test, so a topic without a state machine carries none of this.
    let machine = match T::MACHINE {
        Some(machine) if shown_import.is_none() => distlab_core::lab::protocol::simulation::<T>(
            run,
        )
        .map_or_else(Html::default, |simulation| {
            let mut in_state = vec![Vec::new(); machine.states.len()];
            for (id, node) in simulation.nodes().iter().enumerate() {
                if let Some(list) = T::machine_state(node).and_then(|s| in_state.get_mut(s)) {
                    list.push(id as u32);
                }
            }
            let placed = crate::layout::machine::layout(machine, &in_state);
            views::machine::draw(machine.title, &placed)
        }),
        _ => Html::default(),
    };
    // Only the rows the table shows: at 10,000 nodes the rest cost a frame.
    let table = Rc::new(run.state_table_head(timeline::MAX_LANES));
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
    let request = T::client_request(distlab_core::lab::protocol::PAGE_REQUESTS_FROM + sent)
        .map(|op| Action::operation(None, &op));
    // A constant test, so a topic without operations carries none of this.
    let operations = if T::OPERATIONS.is_empty() {
        Html::default()
    } else {
        operation_buttons::<T>(&player, &state.nodes, sent, picked.clone(), &on_command)
    };

    html! {
        <div class="lab protocol" data-topic={topic.slug}>
            { shared::page_top(&handle, &player, props.embed, FileTools { pictures: PICTURES, on_import: Some(on_import), history: run.history().is_some() }) }
            if let Some(shown) = &shown_import {
                { imported_bar(shown, *imported_now, imported.clone(), imported_now.clone()) }
            }
            <div class="views">
                <section class="panel cluster-panel" aria-label="cluster">
                    <h3>{ "Cluster" }<small>{ " click a node to crash or restart it, a link to cut or heal it" }</small></h3>
                    if T::MANY_NODES && cluster_layout.canvas {
                        <views::cluster_canvas::ClusterCanvas layout={cluster_layout} {on_node} {on_link} />
                    } else {
                        { views::cluster::draw(&ClusterProps { layout: cluster_layout, on_node, on_link }) }
                    }
                    { fault_panel(&FaultPanelProps { on_command: on_command.clone(), network: current_network(&player), request, request_label: T::CLIENT_REQUEST, operations }) }
                </section>
                <section class={classes!("panel", "timeline-panel", shown_import.is_some().then_some("imported"))} aria-label="timeline">
                    <h3>
                        { if shown_import.is_some() { "Timeline of the imported trace" } else { "Timeline" } }
                        <small>{ " click to jump in time, an arrow's head or a mark to see what happened before and after it" }</small>
                        <span class="zoom">
                            <button id="zoom-in" title="Zoom in" onclick={on_command.reform(|_: MouseEvent| Command::Zoom(0.5))}>{ "+" }</button>
                            <button id="zoom-out" title="Zoom out" onclick={on_command.reform(|_: MouseEvent| Command::Zoom(2.0))}>{ "−" }</button>
                        </span>
                    </h3>
                    { views::timeline::draw(&timeline_props) }
                    if let Some(layout) = history_layout {
                        { views::history::draw(&HistoryProps { layout }) }
                    }
                    { charts }
                    { plots }
                    { tables }
                    { machine }
                    if shown_import.is_none() {
                        { views::state_table::draw(&StateTableProps { table, up }) }
                    }
                </section>
            </div>
            { signals }
            <div class="panels">
                { views::invariants::draw(&InvariantsProps { invariants: topic.invariants, violations, on_seek_step: on_command.reform(Command::SeekStep) }) }
                { expected_note(T::INFO) }
                { views::event_log::draw(&EventLogProps { lines: shared::recent_events(trace, LOG_LINES) }) }
            </div>
            { shared::hunt_panel(&handle, &player, props.embed, shared::explore_part::<T>(&handle, &player)) }
        </div>
    }
}

/// The lanes of topic `T` ([`ProtocolTopic::lanes`]) under the timeline,
/// over its window (`window`) as they stand at `now`, followed by `then`.
fn with_lanes<T: ProtocolTopic>(
    run: &dyn distlab_core::lab::run::Run,
    window: &timeline::TimelineLayout,
    now: Time,
    then: Html,
) -> Html {
    let lanes = distlab_core::lab::protocol::simulation::<T>(run)
        .and_then(|simulation| T::lanes(simulation, window.start));
    let Some(lanes) = lanes else {
        return then;
    };
    let placed =
        crate::layout::swimlanes::layout(&lanes, window.start, window.end, now, window.width);
    html! { <>{ views::swimlanes::draw(&placed) }{ then }</> }
}

/// What the theory expects of the correct model (three-phase commit's split
/// brain under partitions), under the invariants; nothing for other topics.
fn expected_note(topic: &'static distlab_core::lab::topic::TopicInfo) -> Html {
    if topic.expected.is_empty() {
        return Html::default();
    }
    let notes = topic.expected.iter().map(|e| {
        html! {
            <p data-expected={e.invariant} style="font-size:12px;margin:4px 0">
                <strong>{ format!("{}: expected to break under {}. ", e.invariant, e.when) }</strong>
                { e.explanation }
            </p>
        }
    });
    html! {
        <section class="panel" aria-label="expected violations">
            <h3>{ "Expected violations" }<small>{ " what the theory predicts of the correct protocol" }</small></h3>
            { for notes }
        </section>
    }
}

/// What is known of an imported trace file, the instant the timeline shows of
/// it, and the ways out: a slider over its time, and Close (back to the live run).
fn imported_bar(
    shown: &Imported,
    now: Time,
    imported: UseStateHandle<Option<Rc<Imported>>>,
    imported_now: UseStateHandle<Time>,
) -> Html {
    let file = &shown.file;
    let on_slide = Callback::from(move |event: InputEvent| {
        let value = event.target_unchecked_into::<HtmlInputElement>().value();
        if let Ok(ms) = value.parse::<u64>() {
            imported_now.set(Time::from_millis(ms));
        }
    });
    let close = Callback::from(move |_: MouseEvent| imported.set(None));
    let problems = (file.skipped > 0).then(|| {
        html! {
            <p class="import-problems" role="status">
                { format!("{} line(s) could not be read and were left out: {}", file.skipped, file.problems.join("; ")) }
            </p>
        }
    });
    html! {
        <section class="panel imported-panel" id="imported" aria-label="imported trace">
            <h3>
                { "Imported trace " }
                <small>{ format!("{}: {} events, {} nodes, up to {}; the timeline shows it, read-only", shown.name, file.trace.events.len(), file.nodes, file.end) }</small>
                <button id="close-import" onclick={close}>{ "Close" }</button>
            </h3>
            { for problems }
            <label class="field import-time">{ format!("Instant shown {now} ") }
                <input id="import-time" type="range" min="0" max={file.end.as_millis().to_string()}
                    value={now.as_millis().to_string()} oninput={on_slide} />
            </label>
        </section>
    }
}

/// The network as the person last set it, or as the scenario starts: loss
/// and duplicate rates in percent, and the most one-way delay in ms.
fn current_network(player: &crate::player::Player) -> [i64; 3] {
    let start = distlab_core::lab::params::network(player.topic(), player.scenario());
    let mut network = [
        i64::from(start.drop_ppm / 10_000),
        i64::from(start.duplicate_ppm / 10_000),
        (start.latency_max.as_micros() / 1_000) as i64,
    ];
    for timed in player
        .scenario()
        .actions
        .iter()
        .filter(|a| a.at <= player.time())
    {
        match timed.action {
            Action::SetDropRate(ppm) => network[0] = i64::from(ppm / 10_000),
            Action::SetDuplicateRate(ppm) => network[1] = i64::from(ppm / 10_000),
            Action::SetLatency { max, .. } => network[2] = (max.as_micros() / 1_000) as i64,
            _ => {}
        }
    }
    network
}

/// A network fault the panel sets from now on, with a slider.
struct NetworkFault {
    /// The input's id.
    id: &'static str,
    label: &'static str,
    unit: &'static str,
    /// The slider's largest value.
    max: u32,
    /// What it does, for its tooltip.
    help: &'static str,
    /// The action a value on the slider makes.
    action: fn(u32) -> Action,
}

/// The network faults, in the order of [`current_network`].
const NETWORK_FAULTS: [NetworkFault; 3] = [
    NetworkFault {
        id: "drop-rate",
        label: "Loss",
        unit: "%",
        max: 50,
        help: "Chance the network loses each message, from now on",
        action: |percent| Action::SetDropRate(percent * 10_000),
    },
    NetworkFault {
        id: "duplicate-rate",
        label: "Duplicates",
        unit: "%",
        max: 50,
        help: "Chance it delivers a message twice, from now on",
        action: |percent| Action::SetDuplicateRate(percent * 10_000),
    },
    NetworkFault {
        id: "max-delay",
        label: "Delay up to",
        unit: " ms",
        max: 1_000,
        help: "The longest one-way delay, from now on",
        action: |ms| {
            let max = distlab_core::sim::time::Duration::from_millis(u64::from(ms));
            Action::SetLatency {
                min: distlab_core::sim::time::Duration(max.as_micros() / 3),
                max,
            }
        },
    },
];

/// The topic's operation buttons ([`ProtocolTopic::OPERATIONS`]) and, when
/// one of them goes to a chosen node, the node picker they share.
///
/// The picker lists the nodes up to [`PICKER_CHOICES`] of them, and takes a
/// typed node number past that.
fn operation_buttons<T: ProtocolTopic>(
    player: &crate::player::Player,
    nodes: &[NodeState],
    sent: u64,
    picked: UseStateHandle<NodeId>,
    on_command: &Callback<Command>,
) -> Html {
    let setup = Setup {
        topic: T::INFO,
        scenario: player.scenario(),
        nodes: nodes.iter().filter(|n| !n.client).count(),
    };
    let target = *picked;
    let buttons = T::OPERATIONS.iter().enumerate().map(|(index, button)| {
        let label = if button.at_node {
            format!("{} at {target}", button.label)
        } else {
            button.label.to_string()
        };
        let id = format!("operation-{index}");
        // An operation the picked node cannot take (a pause for a server) shows
        // disabled, so the button is found before the right node is picked.
        match T::operation(index, target, &setup, sent) {
            Some(operation) => {
                let action = Action::operation(button.at_node.then_some(target), &operation);
                let onclick = on_command.reform(move |_: MouseEvent| Command::Act(action.clone()));
                html! { <button class="topic-operation" {id} title={button.help} {onclick}>{ label }</button> }
            }
            None => html! {
                <button class="topic-operation" {id} disabled=true title={format!("{} (not for {target})", button.help)}>{ label }</button>
            },
        }
    });
    let picker = T::OPERATIONS.iter().any(|b| b.at_node).then(|| {
        // A constant test first: only topics with many nodes carry the field.
        let field = if T::MANY_NODES && nodes.len() > PICKER_CHOICES {
            // Thousands of options would be rebuilt every frame and scrolled
            // through by hand: past a timeline's worth, the node is typed.
            let on_commit = Callback::from(move |id: i64| picked.set(NodeId(id as u32)));
            html! {
                <NumberField id="operation-node" label="Node" value={i64::from(target.0)} min={0}
                    max={nodes.len() as i64 - 1} {on_commit} />
            }
        } else {
            let choices: Vec<Choice> = nodes
                .iter()
                .map(|n| Choice::new(n.id.0.to_string(), format!("{} ({})", n.id, n.summary.role)))
                .collect();
            let on_change = Callback::from(move |value: String| {
                if let Ok(id) = value.parse() {
                    picked.set(NodeId(id));
                }
            });
            html! {
                <SelectField id="operation-node" label="Node" value={target.0.to_string()} {choices} {on_change} />
            }
        };
        html! {
            <label class="field" title="The node the operations go to">{ "Node " }{ field }</label>
        }
    });
    // A constant test: only topics whose safety rests on clocks carry it.
    let clock_control = T::CLOCKED.then(|| {
        html! { <crate::views::clock_control::ClockControl node={target} on_command={on_command.clone()} /> }
    });
    html! { <span class="operations">{ for picker }{ for buttons }{ for clock_control }</span> }
}

struct FaultPanelProps {
    on_command: Callback<Command>,
    /// Loss, duplicates and delay as they are now ([`current_network`]).
    network: [i64; 3],
    /// The client request the button sends, if the topic has a workload.
    request: Option<Action>,
    /// What that button says ([`ProtocolTopic::CLIENT_REQUEST`]).
    request_label: &'static str,
    /// The topic's own operation buttons (empty for most topics).
    operations: Html,
}

/// Fault injection and client input: a client request, healing, and the
/// network's loss, duplicates and delay.
fn fault_panel(props: &FaultPanelProps) -> Html {
    let request = props.request.clone().map(|action| {
        let onclick = props
            .on_command
            .reform(move |_: MouseEvent| Command::Act(action.clone()));
        html! {
            <button id="client-request" {onclick} title="Send a client request, routed as the topic routes its workload">{ props.request_label }</button>
        }
    });
    let heal = props
        .on_command
        .reform(|_: MouseEvent| Command::Act(Action::Heal));
    let sliders = NETWORK_FAULTS.iter().zip(props.network).map(|(fault, now)| {
        let (max, action) = (fault.max, fault.action);
        let onchange = props.on_command.reform(move |e: Event| {
            let value: u32 = e
                .target_unchecked_into::<HtmlInputElement>()
                .value()
                .parse()
                .unwrap_or(0);
            Command::Act(action(value.min(max)))
        });
        html! {
            <label class="field" title={fault.help}>
                { format!("{} {now}{} ", fault.label, fault.unit) }
                <input id={fault.id} type="range" min="0" max={max.to_string()} step="1" value={now.to_string()} {onchange} />
            </label>
        }
    });
    html! {
        <div class="faults">
            { props.operations.clone() }
            { for request }
            <button id="heal" onclick={heal} title="Remove every partition and cut link">{ "Heal network" }</button>
            { for sliders }
        </div>
    }
}
