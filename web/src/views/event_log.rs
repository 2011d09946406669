//! The most recent trace events, newest last, as the command line prints them.

use std::rc::Rc;

use yew::prelude::*;

#[derive(Clone, PartialEq)]
pub struct EventLogProps {
    /// (step, line, is a violation).
    pub lines: Rc<Vec<(u64, String, bool)>>,
}

/// Draws the view.
pub fn draw(props: &EventLogProps) -> Html {
    let lines = props.lines.iter().enumerate().map(|(i, (step, line, violation))| {
        html! { <li key={i} class={classes!(violation.then_some("violation"))} data-step={step.to_string()}>{ line }</li> }
    });
    html! {
        <section class="panel event-log" aria-label="recent events">
            <h3>{ "Events" }</h3>
            // Long lines scroll sideways: focusable, so the keyboard can scroll them too.
            <ol tabindex="0" aria-label="recent events, newest last">{ for lines }</ol>
        </section>
    }
}
