//! The invariant panel: every invariant the topic promises, green while it holds,
//! red with the checker's explanation once violated; click to jump to the step.

use std::rc::Rc;

use distlab_core::lab::topic::InvariantInfo;
use distlab_core::sim::checker::ViolationReport;
use yew::prelude::*;

#[derive(Clone, PartialEq)]
pub struct InvariantsProps {
    pub invariants: &'static [InvariantInfo],
    pub violations: Rc<Vec<ViolationReport>>,
    pub on_seek_step: Callback<u64>,
}

/// Draws the view.
pub fn draw(props: &InvariantsProps) -> Html {
    let items = props.invariants.iter().map(|invariant| {
        let broken: Vec<&ViolationReport> = props
            .violations
            .iter()
            .filter(|v| v.invariant == invariant.name)
            .collect();
        let status = if broken.is_empty() { "holds" } else { "violated" };
        let details = broken.iter().take(3).map(|v| {
            let step = v.step;
            let onclick = props.on_seek_step.reform(move |_: MouseEvent| step);
            html! {
                <li key={v.step}>
                    <button class="link-button" {onclick} title="jump to this step">
                        { format!("step {} at {}", v.step, v.time) }
                    </button>
                    { format!(": {}", v.message) }
                </li>
            }
        });
        html! {
            <li key={invariant.name} class={classes!("invariant", status)} data-invariant={invariant.name}>
                <span class="status" aria-label={status}>{ if broken.is_empty() { "✓" } else { "✗" } }</span>
                <strong>{ invariant.name }</strong>
                <span class="summary">{ invariant.summary }</span>
                if !broken.is_empty() {
                    <ul class="violations">{ for details }</ul>
                }
            </li>
        }
    });
    html! {
        <section class="panel invariants" aria-label="invariants">
            <h3>{ "Invariants" }<small>{ " checked after every event" }</small></h3>
            <ul>{ for items }</ul>
        </section>
    }
}
