//! The controls bar shared by every topic page: play/pause, step, step back, speed,
//! reset, seed (with a fresh random seed), parameters, scenario picker, bug switch
//! and share.

use distlab_core::lab::topic::TopicInfo;
use distlab_core::sim::time::Time;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::command::Command;
use crate::player::{AS_FAST_AS_POSSIBLE, SPEEDS};

/// A topic, compared by identity (there is one `INFO` per topic).
#[derive(Clone, Copy, Debug)]
pub struct TopicRef(pub &'static TopicInfo);

impl PartialEq for TopicRef {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.0, other.0)
    }
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
    pub link_copied: bool,
}

#[derive(Properties, PartialEq)]
pub struct ControlsProps {
    pub state: ControlsState,
    pub on_command: Callback<Command>,
}

#[function_component]
pub fn Controls(props: &ControlsProps) -> Html {
    let state = &props.state;
    let topic = state.topic.0;
    let send = |command: Command| {
        props
            .on_command
            .reform(move |_: MouseEvent| command.clone())
    };

    let speed = {
        let on_command = props.on_command.clone();
        let onchange = Callback::from(move |e: Event| {
            let value = e.target_unchecked_into::<HtmlSelectElement>().value();
            let speed = match value.as_str() {
                "max" => Some(AS_FAST_AS_POSSIBLE),
                other => other.parse::<f64>().ok(),
            };
            if let Some(speed) = speed {
                on_command.emit(Command::Speed(speed));
            }
        });
        let options = SPEEDS.iter().map(|&s| {
            let (value, label) = if s == AS_FAST_AS_POSSIBLE {
                ("max".to_string(), "as fast as possible".to_string())
            } else {
                (s.to_string(), format!("{s}x"))
            };
            html! { <option {value} selected={s == state.speed}>{ label }</option> }
        });
        html! {
            <label class="field" title="Virtual time per real second">{ "Speed " }
                <select id="speed" {onchange}>{ for options }</select>
            </label>
        }
    };

    let seed = {
        let on_command = props.on_command.clone();
        let onchange = Callback::from(move |e: Event| {
            let value = e.target_unchecked_into::<HtmlInputElement>().value();
            if let Ok(seed) = value.trim().parse::<u64>() {
                on_command.emit(Command::Seed(seed));
            }
        });
        html! {
            <span class="field">
                <label for="seed">{ "Seed " }</label>
                <input id="seed" type="number" min="0" value={state.seed.to_string()} {onchange} />
                <button id="random-seed" title="A fresh random seed" onclick={send(Command::RandomSeed)}>{ "Random" }</button>
            </span>
        }
    };

    let params = topic.params.iter().map(|spec| {
        let value = state
            .params
            .iter()
            .find(|(name, _)| *name == spec.name)
            .map(|&(_, v)| v)
            .unwrap_or(spec.default);
        let name = spec.name;
        let on_command = props.on_command.clone();
        let choices = (spec.max - spec.min) / spec.step.max(1) + 1;
        let input = if choices <= 8 {
            let onchange = Callback::from(move |e: Event| {
                if let Ok(v) = e.target_unchecked_into::<HtmlSelectElement>().value().parse() {
                    on_command.emit(Command::Param(name, v));
                }
            });
            let options = (0..choices).map(|i| {
                let v = spec.min + i * spec.step.max(1);
                html! { <option value={v.to_string()} selected={v == value}>{ v }</option> }
            });
            html! { <select id={format!("param-{name}")} {onchange}>{ for options }</select> }
        } else {
            let onchange = Callback::from(move |e: Event| {
                if let Ok(v) = e.target_unchecked_into::<HtmlInputElement>().value().parse() {
                    on_command.emit(Command::Param(name, v));
                }
            });
            html! {
                <input id={format!("param-{name}")} type="number" min={spec.min.to_string()} max={spec.max.to_string()}
                    step={spec.step.to_string()} value={value.to_string()} {onchange} />
            }
        };
        html! { <label key={name} class="field" title={spec.help}>{ format!("{} ", spec.label) }{ input }</label> }
    });

    let preset = {
        let on_command = props.on_command.clone();
        let onchange = Callback::from(move |e: Event| {
            let value = e.target_unchecked_into::<HtmlSelectElement>().value();
            on_command.emit(Command::Preset((!value.is_empty()).then_some(value)));
        });
        let current = state.preset.as_deref().unwrap_or("");
        let options = topic.presets().map(|p| {
            html! { <option key={p.name} value={p.name} selected={p.name == current} title={p.summary}>{ p.title }</option> }
        });
        html! {
            <label class="field">{ "Scenario " }
                <select id="preset" {onchange}>
                    <option value="" selected={current.is_empty()}>{ "Free play" }</option>
                    { for options }
                </select>
            </label>
        }
    };

    let bug = (!topic.bugs.is_empty()).then(|| {
        let on_command = props.on_command.clone();
        let onchange = Callback::from(move |e: Event| {
            let value = e.target_unchecked_into::<HtmlSelectElement>().value();
            on_command.emit(Command::Bug((!value.is_empty()).then_some(value)));
        });
        let current = state.bug.as_deref().unwrap_or("");
        let options = topic.bugs.iter().map(|b| {
            html! { <option key={b.name} value={b.name} selected={b.name == current} title={b.summary}>{ b.name }</option> }
        });
        html! {
            <label class={classes!("field", "bug", (!current.is_empty()).then_some("on"))} title="Switch on a deliberately broken variant">{ "Bug " }
                <select id="bug" {onchange}>
                    <option value="" selected={current.is_empty()}>{ "none (correct)" }</option>
                    { for options }
                </select>
            </label>
        }
    });

    html! {
        <div class="controls" role="toolbar" aria-label="player controls">
            <div class="row transport">
                <button id="reset" title="Back to the start" onclick={send(Command::Reset)}>{ "Reset" }</button>
                <button id="step-back" title="Step back one event (←)" onclick={send(Command::StepBack)}>{ "◀|" }</button>
                <button id="play" class="primary" title="Play / pause (space)" onclick={send(Command::TogglePlay)}>
                    { if state.playing { "Pause" } else { "Play" } }
                </button>
                <button id="step" title="Step one event (→)" onclick={send(Command::Step)}>{ "|▶" }</button>
                { speed }
                <span class="clock" id="clock">{ format!("t = {} · step {}", state.time, state.steps) }</span>
                <button id="share" title="Copy a link to exactly this run" onclick={send(Command::CopyLink)}>
                    { if state.link_copied { "Link copied" } else { "Share" } }
                </button>
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
