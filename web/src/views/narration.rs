//! The narration box: the guided scenario's sentence for the current instant and,
//! once the person acts, what their latest action means (a preset's story was
//! written for the run without it, so the box says the story has been left).

use distlab_core::sim::action::Action;
use yew::prelude::*;

/// What a person's action does, in a sentence or two.
pub fn meaning(action: &Action) -> String {
    match action {
        Action::Crash(node) => format!("{node} crashed: it stops at once, loses its volatile state and keeps only what it wrote to durable storage. Messages that reach it while it is down are lost."),
        Action::Restart(node) => format!("{node} restarted from its durable state, as if from disk, and rejoins the others."),
        Action::Partition(_) => format!("The network is partitioned ({action}): nodes on different sides can no longer reach each other, and each side goes on with the nodes it can reach."),
        Action::Heal => "The network is healed: every link works again and the sides find out what the others did meanwhile.".to_string(),
        Action::Cut { from, to } => format!("The link {from} → {to} is cut: messages that way are lost; the other direction still works unless it is cut too."),
        Action::Restore { from, to } => format!("The link {from} → {to} works again."),
        Action::SetDropRate(_) | Action::SetDuplicateRate(_) | Action::SetReorderRate(_) => format!("The network changed ({action}) for every message from now on."),
        Action::SetLatency { .. } | Action::SetLinkLatency { .. } => format!("The network's latency changed ({action})."),
        Action::SetClock { .. } => format!("A clock changed ({action}): the node's timers and its idea of now follow it."),
        Action::Timeout(node) => format!("{node} acted as if its timeout fired, now."),
        Action::CrashFocus { .. } | Action::Hold | Action::Release { .. } | Action::Fire { .. } => {
            format!("{action}.")
        }
        Action::Operation { node: Some(node), .. } => format!("You sent an operation to {node}; the event log shows what it did."),
        Action::Operation { node: None, .. } => "You sent an operation; what it did is shown with the step, and in the event log.".to_string(),
    }
}

#[derive(Clone, PartialEq)]
pub struct NarrationProps {
    pub title: Option<&'static str>,
    pub text: Option<&'static str>,
    /// The person's latest action so far, already explained, and when it was.
    pub action: Option<(AttrValue, AttrValue)>,
}

/// Draws the view.
pub fn draw(props: &NarrationProps) -> Html {
    let action = props.action.as_ref().map(|(when, meaning)| {
        html! {
            <p class="your-action" id="your-action">
                <strong>{ format!("You, at {when}: ") }</strong>{ meaning }
            </p>
        }
    });
    match (props.title, action) {
        (None, None) => html! {},
        (None, Some(action)) => html! {
            <section class="narration" aria-live="polite">
                <strong>{ "Your changes" }</strong>
                { action }
            </section>
        },
        (Some(title), None) => html! {
            <section class="narration" aria-live="polite">
                <strong>{ title }</strong>
                <p>{ props.text.unwrap_or("Press play or step to begin.") }</p>
            </section>
        },
        (Some(title), Some(action)) => html! {
            <section class="narration left" aria-live="polite">
                <strong>{ title }</strong>
                { action }
                <p class="story-left">{ "The guided story was written for the run without your changes, so it is paused here; the run goes on with them. Reset or pick the scenario again to replay the story." }</p>
            </section>
        },
    }
}
