//! The controls bar shared by every topic page: play/pause, step, step back, speed,
//! reset, seed (with a fresh random seed), parameters, scenario picker, bug switch
//! (with the preset that shows each bug being caught), share, and the Export menu
//! (trace, pictures, and on pages with a timeline, importing a trace file).
//!
//! Every field shows the scenario actually running and can be used while the run
//! plays: numbers are committed with Enter or by leaving the field, menus follow
//! the scenario whatever the person picked before (see [`super::field`]).

use distlab_core::lab::topic::TopicInfo;
use distlab_core::sim::time::Time;
use yew::prelude::*;

use super::field::{Choice, NumberField, SelectField};
use crate::command::Command;
use crate::export::{ExportKind, Picture};
use crate::player::SPEEDS;

/// A topic, compared by identity (there is one `INFO` per topic).
#[derive(Clone, Copy, Debug)]
pub struct TopicRef(pub &'static TopicInfo);

impl PartialEq for TopicRef {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.0, other.0)
    }
}

/// What the Share button last did.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Shared {
    #[default]
    Idle,
    /// The link is on the clipboard.
    Copied,
    /// The clipboard was refused (an iframe without permission): the link is
    /// shown to be selected and copied by hand.
    Manual(String),
}

/// What the controls show; compared to skip re-rendering when nothing changed.
#[derive(Clone, Debug, PartialEq)]
pub struct ControlsState {
    pub topic: TopicRef,
    pub playing: bool,
    pub speed: f64,
    pub seed: u64,
    pub time: Time,
    pub steps: u64,
    pub params: Vec<(&'static str, i64)>,
    pub bug: Option<String>,
    pub preset: Option<String>,
    pub shared: Shared,
}

pub struct ControlsProps {
    pub state: ControlsState,
    pub on_command: Callback<Command>,
    pub files: FileTools,
}

/// What a page offers in its Export menu beyond the trace and the PNG.
#[derive(Clone, Default)]
pub struct FileTools {
    /// Views offered as SVG files.
    pub pictures: &'static [Picture],
    /// Reads a trace file the person picked, on pages that can show one.
    pub on_import: Option<Callback<web_sys::File>>,
    /// The run has a client history to download.
    pub history: bool,
}

/// The Export menu: the trace as JSON lines, each picture as SVG, the views as
/// PNG, and importing a trace where the page can show one.
fn file_menu(files: &FileTools, on_command: &Callback<Command>) -> Html {
    let export = |kind: ExportKind| on_command.reform(move |_: MouseEvent| Command::Export(kind));
    let pictures = files.pictures.iter().map(|picture| {
        html! {
            <button id={format!("export-{}", picture.stem)} onclick={export(ExportKind::Svg(*picture))}>{ picture.label }</button>
        }
    });
    let import = files.on_import.clone().map(|on_import| {
        let onchange = Callback::from(move |event: Event| {
            let input = event.target_unchecked_into::<web_sys::HtmlInputElement>();
            if let Some(file) = input.files().and_then(|files| files.get(0)) {
                on_import.emit(file);
            }
            // The same file can be picked again after a change.
            input.set_value("");
        });
        html! {
            <label class="import" title="Show a trace file (JSON lines, as exported or printed by distlab run --json) in the timeline">
                { "Import a trace… " }
                <input id="import-trace" type="file" accept=".jsonl,.ndjson,.json,.txt,application/x-ndjson,text/plain" {onchange} />
            </label>
        }
    });
    html! {
        <details class="files" id="files">
            <summary title="Download this run's trace or pictures of it">{ "Export" }</summary>
            <div class="menu">
                <button id="export-trace" title="Every event up to the instant shown, one JSON object a line (as distlab run --json prints)"
                    onclick={export(ExportKind::Trace)}>{ "Trace (JSON lines)" }</button>
                if files.history {
                    <button id="export-history" title="The clients' operations in Jepsen's EDN history format (as distlab history prints), for Knossos, Elle or Porcupine"
                        onclick={export(ExportKind::History)}>{ "History (EDN)" }</button>
                }
                { for pictures }
                <button id="export-png" title="A picture of the views as they are now" onclick={export(ExportKind::Png)}>{ "Views (PNG)" }</button>
                { for import }
            </div>
        </details>
    }
}

/// The value a speed has in the menu (a speed set from outside the menu shows
/// as the nearest one above it).
fn speed_value(speed: f64) -> &'static str {
    SPEEDS
        .iter()
        .find(|(s, _, _)| *s >= speed)
        .map_or("max", |(_, value, _)| value)
}

/// The preset that switches `bug` on, if there is one.
fn showcase(topic: &TopicInfo, bug: &str) -> Option<&'static str> {
    topic.presets().find(|p| p.bug == Some(bug)).map(|p| p.name)
}

pub fn draw(props: &ControlsProps) -> Html {
    let state = &props.state;
    let topic = state.topic.0;
    let send = |command: Command| {
        props
            .on_command
            .reform(move |_: MouseEvent| command.clone())
    };

    let speed = {
        let choices: Vec<Choice> = SPEEDS
            .iter()
            .map(|&(_, value, label)| Choice::new(value, label))
            .collect();
        let on_change = props.on_command.reform(|value: String| {
            Command::Speed(
                SPEEDS
                    .iter()
                    .find(|(_, v, _)| *v == value)
                    .map_or(1.0, |(speed, _, _)| *speed),
            )
        });
        html! {
            <label class="field" title="Virtual time per real second">{ "Speed " }
                <SelectField id="speed" label="Speed" value={speed_value(state.speed)} {choices} {on_change} />
            </label>
        }
    };

    let seed = html! {
        <span class="field">
            <label for="seed">{ "Seed " }</label>
            <NumberField id="seed" label="Seed" value={state.seed.min(i64::MAX as u64) as i64} min={0} max={i64::MAX}
                on_commit={props.on_command.reform(|seed: i64| Command::Seed(seed as u64))} />
            <button id="random-seed" title="A fresh random seed" onclick={send(Command::RandomSeed)}>{ "Random" }</button>
        </span>
    };

    let params = topic.params.iter().map(|spec| {
        let value = state
            .params
            .iter()
            .find(|(name, _)| *name == spec.name)
            .map(|&(_, v)| v)
            .unwrap_or(spec.default);
        let name = spec.name;
        let id = format!("param-{name}");
        let choices = (spec.max - spec.min) / spec.step.max(1) + 1;
        let input = if choices <= 8 {
            let choices: Vec<Choice> = (0..choices)
                .map(|i| {
                    let v = spec.min + i * spec.step.max(1);
                    let label = spec.choices.get(i as usize).map_or(v.to_string(), |c| c.to_string());
                    Choice::new(v.to_string(), label)
                })
                .collect();
            let on_change = props.on_command.reform(move |value: String| {
                Command::Param(name, value.parse().unwrap_or(spec.default))
            });
            html! { <SelectField {id} label={spec.label} value={value.to_string()} {choices} {on_change} /> }
        } else {
            html! {
                <NumberField {id} label={spec.label} {value} min={spec.min} max={spec.max} step={spec.step}
                    on_commit={props.on_command.reform(move |v: i64| Command::Param(name, v))} />
            }
        };
        html! { <label key={name} class="field" title={spec.help}>{ format!("{} ", spec.label) }{ input }</label> }
    });

    let preset = {
        let mut choices = vec![Choice::new("", "Free play")];
        choices.extend(
            topic
                .presets()
                .map(|p| Choice::new(p.name, p.title).titled(p.summary)),
        );
        let on_change = props
            .on_command
            .reform(|value: String| Command::Preset((!value.is_empty()).then_some(value)));
        html! {
            <label class="field">{ "Scenario " }
                <SelectField id="preset" label="Scenario" value={state.preset.clone().unwrap_or_default()} {choices} {on_change} />
            </label>
        }
    };

    let bug = (!topic.bugs.is_empty()).then(|| {
        let current = state.bug.clone().unwrap_or_default();
        let mut choices = vec![Choice::new("", "none (correct)")];
        choices.extend(topic.bugs.iter().map(|b| {
            let label = match showcase(topic, b.name) {
                Some(_) => format!("{} (has a preset)", b.name),
                None => b.name.to_string(),
            };
            Choice::new(b.name, label).titled(b.summary)
        }));
        let on_change = props
            .on_command
            .reform(|value: String| Command::Bug((!value.is_empty()).then_some(value)));
        // The preset that shows the chosen bug (or, with none chosen, the first
        // bug's) being caught, unless it is already playing.
        let wanted = if current.is_empty() {
            topic.bugs.first().map(|b| b.name)
        } else {
            Some(current.as_str())
        };
        let show = wanted
            .and_then(|bug| showcase(topic, bug).map(|preset| (bug, preset)))
            .filter(|(_, preset)| state.preset.as_deref() != Some(*preset))
            .map(|(bug, preset)| {
                html! {
                    <button id="show-bug" onclick={send(Command::Preset(Some(preset.to_string())))}
                        title={format!("Load the preset that shows {bug} being caught")}>{ "Show me" }</button>
                }
            });
        html! {
            <span class={classes!("field", "bug", (!current.is_empty()).then_some("on"))} title="Switch on a deliberately broken variant">
                <label for="bug">{ "Bug " }</label>
                <SelectField id="bug" label="Bug" value={current} {choices} {on_change} />
                { for show }
            </span>
        }
    });

    let share = match &state.shared {
        Shared::Manual(link) => html! {
            <span class="field share-manual" role="status">
                <label for="share-link">{ "Copy this link: " }</label>
                <input id="share-link" type="text" readonly=true value={link.clone()} size="40"
                    onfocus={Callback::from(|e: FocusEvent| {
                        if let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
                            input.select();
                        }
                    })} />
            </span>
        },
        _ => html! {},
    };

    html! {
        <div class="controls" role="toolbar" aria-label="player controls">
            <div class="row transport">
                <button id="reset" title="Back to the start" aria-label="Reset to the start" onclick={send(Command::Reset)}>{ "Reset" }</button>
                <button id="step-back" title="Step back one event (←)" aria-label="Step back one event" onclick={send(Command::StepBack)}>{ "◀|" }</button>
                <button id="play" class="primary" title="Play / pause (space)" aria-pressed={state.playing.to_string()} onclick={send(Command::TogglePlay)}>
                    { if state.playing { "Pause" } else { "Play" } }
                </button>
                <button id="step" title="Step one event (→)" aria-label="Step one event" onclick={send(Command::Step)}>{ "|▶" }</button>
                { speed }
                <span class="clock" id="clock" aria-live="off">{ format!("t = {} · step {}", state.time, state.steps) }</span>
                <button id="share" title="Copy a link to exactly this run" onclick={send(Command::CopyLink)}>
                    { match state.shared { Shared::Copied => "Link copied", _ => "Share" } }
                </button>
                { share }
                { file_menu(&props.files, &props.on_command) }
            </div>
            <div class="row setup">
                { preset }
                { for bug }
                { seed }
                { for params }
            </div>
        </div>
    }
}
