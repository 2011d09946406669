//! The page every data-structure topic shares: header, controls, notices,
//! narration, what the last operation did (in core's words), the topic's own
//! operations and views, the invariant panel and the event log.
//!
//! A topic's page module implements [`StructurePage`]: a model computed from the
//! typed state once per step, and a body component that draws it and sends typed
//! requests. This module runs the player, memoises the model and reaches the typed
//! state, once for every topic; no page downcasts a run or builds a raw operation.

use std::cell::Ref;
use std::marker::PhantomData;
use std::rc::Rc;

use distlab_core::lab::structure::{self, StructureTopic};
use distlab_core::sim::action::Action;
use distlab_core::sim::ops::Structure;
use yew::html::BaseComponent;
use yew::prelude::*;
use yew::virtual_dom::VComp;

use super::protocol::TopicPageProps;
use super::shared;
use crate::command::Command;
use crate::export::Picture;
use crate::hooks::{use_player, PlayerHandle};
use crate::views;
use crate::views::controls::FileTools;
use crate::views::event_log::EventLogProps;
use crate::views::invariants::InvariantsProps;

/// Lines in the event log.
const LOG_LINES: usize = 12;

/// A person's request to topic `T`'s structure.
pub type Request<T> = <<T as StructureTopic>::State as Structure>::Request;

/// A data-structure topic's page: the web half of the topic.
pub trait StructurePage: StructureTopic + Sized {
    /// What the views draw, computed from the state once per step.
    type Model: PartialEq + 'static;
    /// The page's own operations and views; gets [`StructureProps`].
    type Body: BaseComponent<Properties = StructureProps<Self>>;

    fn model(state: &Self::State) -> Self::Model;
}

/// What a data-structure page's body is given.
pub struct StructureProps<T: StructurePage> {
    pub handle: PlayerHandle,
    /// The model of the current step.
    pub model: Rc<T::Model>,
    /// The scenario's link and step: the body re-renders when either changes.
    version: (String, u64),
    topic: PhantomData<T>,
}

impl<T: StructurePage> StructureProps<T> {
    /// The typed state of the current step. The page renders a body only for a
    /// run of its own topic, so the state is always there.
    pub fn state(&self) -> Ref<'_, T::State> {
        Ref::map(self.handle.player.borrow(), |player| {
            structure::state::<T>(player.run()).expect("a body is rendered only for its topic")
        })
    }

    /// Steps run so far.
    pub fn steps(&self) -> u64 {
        self.version.1
    }

    /// The command that sends `request` to the structure.
    pub fn command(request: &Request<T>) -> Command {
        Command::Act(Action::operation(None, request))
    }

    /// Sends `request` now.
    pub fn send(&self, request: &Request<T>) {
        self.handle.on_command.emit(Self::command(request));
    }

    /// A click handler that sends `request`.
    pub fn on_click(&self, request: Request<T>) -> Callback<MouseEvent> {
        self.handle
            .on_command
            .reform(move |_: MouseEvent| Self::command(&request))
    }
}

impl<T: StructurePage> PartialEq for StructureProps<T> {
    fn eq(&self, other: &Self) -> bool {
        self.version == other.version
            && Rc::ptr_eq(&self.model, &other.model)
            && self.handle.on_command == other.handle.on_command
    }
}

impl<T: StructurePage> Properties for StructureProps<T> {
    type Builder = StructurePropsBuilder;

    fn builder() -> Self::Builder {
        StructurePropsBuilder
    }
}

/// Bodies are built by [`StructureLab`] only, never from `html!` attributes.
#[doc(hidden)]
pub struct StructurePropsBuilder;

/// The pictures every data-structure page offers: its views, stacked.
const PICTURES: &[Picture] = &[Picture {
    selector: ".structure-views svg",
    stem: "views",
    label: "Views (SVG)",
}];

/// The page of data-structure topic `T`.
pub fn page<T: StructurePage>(props: &TopicPageProps) -> Html {
    html! { <StructureLab<T> ..props.clone() /> }
}

/// The shared frame of a data-structure page (see [`page`]).
#[function_component]
pub fn StructureLab<T: StructurePage>(props: &TopicPageProps) -> Html {
    let topic = T::INFO;
    let handle = use_player(topic, props.link.clone(), props.embed, props.start);
    let version = {
        let player = handle.player.borrow();
        (player.scenario().encode(), player.run().steps())
    };
    let model = {
        let player = handle.player.clone();
        use_memo(version.clone(), move |_| {
            let player = player.borrow();
            structure::state::<T>(player.run()).map(|state| Rc::new(T::model(state)))
        })
    };
    let player = handle.player.borrow();
    let on_command = handle.on_command.clone();
    shared::publish(&player, props.embed);
    let run = player.run();
    let body = match (*model).clone() {
        Some(model) => {
            let body = StructureProps::<T> {
                handle: handle.clone(),
                model,
                version,
                topic: PhantomData,
            };
            Html::VComp(VComp::new::<T::Body>(Rc::new(body), None).into())
        }
        None => html! { <p class="notice">{ "This run does not belong to this page." }</p> },
    };
    html! {
        <div class="lab structure" data-topic={topic.slug}>
            { shared::page_top(&handle, &player, props.embed, FileTools { pictures: PICTURES, on_import: None, history: false }) }
            { shared::last_step(run.trace(), run.steps()) }
            { body }
            <div class="panels">
                { views::invariants::draw(&InvariantsProps { invariants: topic.invariants, violations: Rc::new(run.violations().to_vec()), on_seek_step: on_command.reform(Command::SeekStep) }) }
                { views::event_log::draw(&EventLogProps { lines: shared::recent_events(run.trace(), LOG_LINES) }) }
            </div>
            { shared::hunt_panel(&handle, &player, props.embed, None) }
        </div>
    }
}

/// The operations bar and the views of a body, in the shared layout.
pub fn body(operations: Html, views: Html) -> Html {
    html! {
        <>
            <div class="operations" role="toolbar" aria-label="operations">{ operations }</div>
            <div class="structure-views">{ views }</div>
        </>
    }
}
