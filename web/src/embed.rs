//! Embed mode and the JavaScript API.
//!
//! A page opened with `embed` in its query (`#/raft?s=...&embed`, or `?embed` in the
//! page URL) hides the site chrome so it fits an iframe, and posts its height to the
//! parent whenever it changes: `{ distlab: "height", height }`, so the host page
//! can size the iframe.
//!
//! The host (or the browser console) can drive the current topic page:
//! - `window.distlab.play()`, `.pause()`, `.step()`, `.stepBack()`, `.reset()`;
//! - `window.distlab.state()` returns `{ topic, link, time_us, steps, violations, playing }`;
//! - the same commands as messages: `iframe.contentWindow.postMessage({ distlab: "play" }, "*")`.

use std::cell::RefCell;

use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use yew::Callback;

use crate::command::Command;

thread_local! {
    static COMMANDS: RefCell<Option<Callback<Command>>> = const { RefCell::new(None) };
    static STATE: RefCell<Option<ApiState>> = const { RefCell::new(None) };
}

/// What `window.distlab.state()` returns.
#[derive(Clone, Debug, Serialize)]
pub struct ApiState {
    pub topic: String,
    pub link: String,
    pub time_us: u64,
    pub steps: u64,
    pub violations: Vec<String>,
    pub playing: bool,
}

/// Makes `commands` the target of the JavaScript API (the page now showing).
pub fn register(commands: Callback<Command>) {
    COMMANDS.with(|c| *c.borrow_mut() = Some(commands));
}

/// Detaches the API from the page that is going away.
pub fn unregister() {
    COMMANDS.with(|c| *c.borrow_mut() = None);
    STATE.with(|s| *s.borrow_mut() = None);
}

/// Records the page's state for `window.distlab.state()`.
pub fn publish(state: ApiState) {
    STATE.with(|s| *s.borrow_mut() = Some(state));
}

fn send(command: Command) {
    let target = COMMANDS.with(|c| c.borrow().clone());
    if let Some(target) = target {
        target.emit(command);
    }
}

/// Parses an API command name; unknown names are ignored.
pub fn parse_command(name: &str) -> Option<Command> {
    Some(match name {
        "play" => Command::Play,
        "pause" => Command::Pause,
        "toggle" => Command::TogglePlay,
        "step" => Command::Step,
        "stepBack" | "step-back" => Command::StepBack,
        "reset" => Command::Reset,
        _ => return None,
    })
}

/// Whether the page URL asks for embed mode outside the hash (`?embed#/raft`).
pub fn embed_in_search() -> bool {
    web_sys::window()
        .and_then(|w| w.location().search().ok())
        .map(|search| {
            search
                .trim_start_matches('?')
                .split('&')
                .any(|pair| pair == "embed" || pair.starts_with("embed="))
        })
        .unwrap_or(false)
}

/// Installs `window.distlab` and the `message` listener. Call once at start.
pub fn install_api() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let api = js_sys::Object::new();
    for name in ["play", "pause", "toggle", "step", "stepBack", "reset"] {
        let function = Closure::<dyn Fn()>::new(move || {
            if let Some(command) = parse_command(name) {
                send(command);
            }
        });
        let _ = js_sys::Reflect::set(&api, &name.into(), function.as_ref());
        function.forget(); // lives as long as the page
    }
    let state = Closure::<dyn Fn() -> JsValue>::new(|| {
        STATE.with(|s| {
            s.borrow()
                .as_ref()
                .and_then(|state| serde_wasm_bindgen::to_value(state).ok())
                .unwrap_or(JsValue::NULL)
        })
    });
    let _ = js_sys::Reflect::set(&api, &"state".into(), state.as_ref());
    state.forget();
    let _ = js_sys::Reflect::set(&window, &"distlab".into(), &api);

    let on_message =
        Closure::<dyn Fn(web_sys::MessageEvent)>::new(|event: web_sys::MessageEvent| {
            let data = event.data();
            let name = js_sys::Reflect::get(&data, &"distlab".into())
                .ok()
                .and_then(|v| v.as_string());
            // Bad input from another window is dropped, never trusted.
            if let Some(command) = name.as_deref().and_then(parse_command) {
                send(command);
            }
        });
    let _ = window.add_event_listener_with_callback("message", on_message.as_ref().unchecked_ref());
    on_message.forget();
}

/// Posts the document's height to the parent window whenever it changes.
pub fn post_height_to_parent() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let Some(element) = window.document().and_then(|d| d.document_element()) else {
        return;
    };
    let observed = element.clone();
    let callback = Closure::<dyn Fn()>::new(move || {
        let Some(window) = web_sys::window() else {
            return;
        };
        let Ok(Some(parent)) = window.parent() else {
            return;
        };
        let message = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&message, &"distlab".into(), &"height".into());
        let _ = js_sys::Reflect::set(
            &message,
            &"height".into(),
            &(observed.scroll_height() as f64).into(),
        );
        let _ = parent.post_message(&message, "*");
    });
    if let Ok(observer) = web_sys::ResizeObserver::new(callback.as_ref().unchecked_ref()) {
        observer.observe(&element);
    }
    callback.forget();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_commands_parse_and_junk_is_ignored() {
        assert_eq!(parse_command("play"), Some(Command::Play));
        assert_eq!(parse_command("stepBack"), Some(Command::StepBack));
        assert_eq!(parse_command("rm -rf"), None);
    }
}
