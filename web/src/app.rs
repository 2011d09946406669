//! The app shell: hash router, site header and footer (hidden in embed mode), theme,
//! and the page for the current route.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::embed;
use crate::hooks::StartAt;
use crate::pages::{self, protocol::TopicPageProps, Bundle};
use crate::route::{Query, Route};
use distlab_core::sim::time::Time;

fn current_hash() -> String {
    web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default()
}

/// The bundle that is running.
#[derive(Clone, Copy, Properties)]
pub struct AppProps {
    pub bundle: &'static Bundle,
}

impl PartialEq for AppProps {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.bundle, other.bundle)
    }
}

/// Loads the document again for a route this bundle does not carry: the site's
/// loader then fetches the bundle that does (or shows the static home page).
fn load_elsewhere() -> Html {
    if let Some(window) = web_sys::window() {
        let _ = window.location().reload();
    }
    html! { <p class="loading">{ "Loading…" }</p> }
}

#[function_component]
pub fn App(props: &AppProps) -> Html {
    let route = use_state(|| Route::parse(&current_hash()));
    {
        let route = route.clone();
        use_effect_with((), move |_| {
            let listener =
                Closure::<dyn Fn()>::new(move || route.set(Route::parse(&current_hash())));
            let window = web_sys::window();
            if let Some(window) = &window {
                let _ = window.add_event_listener_with_callback(
                    "hashchange",
                    listener.as_ref().unchecked_ref(),
                );
            }
            move || {
                if let Some(window) = window {
                    let _ = window.remove_event_listener_with_callback(
                        "hashchange",
                        listener.as_ref().unchecked_ref(),
                    );
                }
            }
        });
    }
    let dark = use_state(initial_dark_theme);
    {
        use_effect_with(*dark, |&dark| {
            if let Some(root) = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.document_element())
            {
                let _ = root.set_attribute("data-theme", if dark { "dark" } else { "light" });
            }
            if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten())
            {
                let _ = storage.set_item("distlab-theme", if dark { "dark" } else { "light" });
            }
        });
    }
    let embed = route.embed() || embed::embed_in_search();
    let page = match (&*route, props.bundle.elsewhere) {
        (Route::Topic { slug, query }, elsewhere) => match pages::find(props.bundle.pages, slug) {
            Some(page) => {
                let page_props = TopicPageProps {
                    link: query.scenario.clone(),
                    embed,
                    start: start_at(query),
                };
                html! { <div class="page" key={slug.clone()}>{ (page.render)(&page_props) }</div> }
            }
            None => elsewhere.map_or_else(load_elsewhere, |draw| draw(&route, embed)),
        },
        (_, Some(draw)) => draw(&route, embed),
        (_, None) => load_elsewhere(),
    };
    let toggle_theme = {
        let dark = dark.clone();
        Callback::from(move |_: MouseEvent| dark.set(!*dark))
    };
    html! {
        <div class={classes!("app", embed.then_some("embedded"))}>
            if !embed {
                <nav class="site">
                    <a class="brand" href="#/">{ "distlab" }</a>
                    <span class="tagline">{ "distributed systems, live" }</span>
                    <button class="theme" onclick={toggle_theme} title="Light or dark theme">{ if *dark { "☀" } else { "☾" } }</button>
                </nav>
            }
            <main>{ page }</main>
            if !embed {
                <footer>
                    { "Deterministic from its seed, natively and in WebAssembly: the same scenario replays on the command line with " }
                    <code>{ format!("distlab run {} --scenario LINK", footer_slug(&route)) }</code>
                    { ", where LINK is the s= part of this page's address." }
                </footer>
            }
        </div>
    }
}

/// The topic the footer's example command names.
fn footer_slug(route: &Route) -> &str {
    match route {
        Route::Topic { slug, .. } => slug,
        _ => "raft",
    }
}

/// A link with `t=` opens paused at that instant; otherwise the lab plays.
fn start_at(query: &Query) -> StartAt {
    match query.time_ms {
        Some(ms) => StartAt::Time(Time::from_millis(ms)),
        None => StartAt::Playing,
    }
}

fn initial_dark_theme() -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    if let Some(saved) = window
        .local_storage()
        .ok()
        .flatten()
        .and_then(|s| s.get_item("distlab-theme").ok().flatten())
    {
        return saved == "dark";
    }
    window
        .match_media("(prefers-color-scheme: dark)")
        .ok()
        .flatten()
        .map(|m| m.matches())
        .unwrap_or(false)
}
