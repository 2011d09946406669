//! The narration box of a guided scenario: the sentence for the current instant.

use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct NarrationProps {
    pub title: Option<&'static str>,
    pub text: Option<&'static str>,
}

#[function_component]
pub fn NarrationView(props: &NarrationProps) -> Html {
    let Some(title) = props.title else {
        return html! {};
    };
    html! {
        <section class="narration" aria-live="polite">
            <strong>{ title }</strong>
            <p>{ props.text.unwrap_or("Press play or step to begin.") }</p>
        </section>
    }
}
