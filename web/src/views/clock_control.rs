//! The clock control of topics whose safety rests on clocks
//! ([`distlab_core::lab::protocol::ProtocolTopic::CLOCKED`]): an offset and a
//! drift for the picked node and a button that sends them as
//! `Action::SetClock`, so the skew is recorded in the share link. Its own
//! component, so its state lives here and other pages carry none of it.

use distlab_core::sim::action::Action;
use distlab_core::sim::time::NodeId;
use yew::prelude::*;

use crate::command::Command;
use crate::views::field::NumberField;

#[derive(Properties, PartialEq)]
pub struct ClockControlProps {
    /// The node the clock is set on (the operations' picked node).
    pub node: NodeId,
    pub on_command: Callback<Command>,
}

#[function_component]
pub fn ClockControl(props: &ClockControlProps) -> Html {
    // Offset in milliseconds, drift in parts per million.
    let clock = use_state(|| (0i64, 0i64));
    let (offset_ms, drift_ppm) = *clock;
    let node = props.node;
    let set = Action::SetClock {
        node,
        offset_us: offset_ms * 1_000,
        drift_ppm: drift_ppm as i32,
    };
    let onclick = props
        .on_command
        .reform(move |_: MouseEvent| Command::Act(set.clone()));
    let on_offset = {
        let clock = clock.clone();
        Callback::from(move |offset: i64| clock.set((offset, clock.1)))
    };
    let on_drift = Callback::from(move |drift: i64| clock.set((clock.0, drift)));
    html! {
        <span class="clock-control" title="Skew the node's clock: it reads the offset ahead (or behind) and runs fast or slow by the drift">
            <label class="field">{ "Clock offset (ms) " }
                <NumberField id="clock-offset" label="Clock offset (ms)" value={offset_ms} min={-5_000} max={5_000} on_commit={on_offset} />
            </label>
            <label class="field">{ "drift (ppm) " }
                <NumberField id="clock-drift" label="Clock drift (ppm)" value={drift_ppm} min={-500_000} max={500_000} on_commit={on_drift} />
            </label>
            <button id="set-clock" {onclick}>{ format!("Set clock of {node}") }</button>
        </span>
    }
}
