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
//! - `window.distlab.seek(ms)` shows the run at that instant and returns the
//!   milliseconds it took; `.memory()` the bytes of WebAssembly memory;
//!   `.bench(seeds)` runs the simulator benchmark workload of the page's topic
//!   (trace and checker off) and returns `{ steps, ms }` (the `measure` tool's);
//! - `window.distlab.exportTrace()` returns the trace up to the instant shown as
//!   JSON lines, and `.exportHistory()` the clients' history as EDN (or `null`
//!   for a topic without clients): the texts the Export menu downloads;
//! - the same commands as messages: `iframe.contentWindow.postMessage({ distlab: "play" }, "*")`.

use std::cell::RefCell;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use yew::Callback;

use distlab_core::lab::topic::TopicInfo;
use distlab_core::sim::time::Time;

use crate::command::Command;

thread_local! {
    static COMMANDS: RefCell<Option<Callback<Command>>> = const { RefCell::new(None) };
    static STATE: RefCell<Option<ApiState>> = const { RefCell::new(None) };
    static TOPIC: RefCell<Option<&'static TopicInfo>> = const { RefCell::new(None) };
}

/// What `window.distlab.state()` returns.
#[derive(Clone, Debug)]
pub struct ApiState {
    pub topic: String,
    pub link: String,
    pub time_us: u64,
    pub steps: u64,
    pub violations: Vec<String>,
    pub playing: bool,
    /// The scenario running, for `exportTrace`.
    pub scenario: distlab_core::lab::scenario::Scenario,
}

impl ApiState {
    /// The state as a plain JavaScript object.
    fn to_js(&self) -> JsValue {
        let object = js_sys::Object::new();
        let set = |key: &str, value: JsValue| {
            let _ = js_sys::Reflect::set(&object, &key.into(), &value);
        };
        set("topic", self.topic.as_str().into());
        set("link", self.link.as_str().into());
        set("time_us", (self.time_us as f64).into());
        set("steps", (self.steps as f64).into());
        let violations: js_sys::Array = self
            .violations
            .iter()
            .map(|v| JsValue::from(v.as_str()))
            .collect();
        set("violations", violations.into());
        set("playing", self.playing.into());
        object.into()
    }
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
pub fn publish(topic: &'static TopicInfo, state: ApiState) {
    STATE.with(|s| *s.borrow_mut() = Some(state));
    TOPIC.with(|t| *t.borrow_mut() = Some(topic));
}

/// The page's clock in milliseconds.
fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

/// The page's run replayed up to the instant shown.
fn replayed() -> Option<Box<dyn distlab_core::lab::run::Run>> {
    let topic = TOPIC.with(|t| *t.borrow())?;
    let (scenario, time_us) =
        STATE.with(|s| s.borrow().as_ref().map(|s| (s.scenario.clone(), s.time_us)))?;
    distlab_core::lab::export::replay(topic, &scenario, Time(time_us)).ok()
}

/// The trace of the page's run up to the instant shown, as JSON lines.
fn export_trace() -> JsValue {
    replayed().map_or(JsValue::NULL, |run| {
        distlab_core::lab::export::json_lines(run.trace())
            .text
            .into()
    })
}

/// The clients' history of the page's run up to the instant shown, as EDN.
fn export_history() -> JsValue {
    replayed()
        .and_then(|run| run.history().map(distlab_core::history::to_edn))
        .map_or(JsValue::NULL, JsValue::from)
}

/// Runs `seeds` seeds of the benchmark workload of the page's topic, timed.
fn bench(seeds: f64) -> JsValue {
    let Some(topic) = TOPIC.with(|t| *t.borrow()) else {
        return JsValue::NULL;
    };
    let seeds = if seeds.is_finite() {
        seeds.clamp(1.0, 1000.0) as u64
    } else {
        1
    };
    let started = now_ms();
    let mut steps = 0;
    for seed in 0..seeds {
        match distlab_core::lab::bench::run_seed(topic, seed, false, false) {
            Ok(seed_steps) => steps += seed_steps,
            Err(_) => return JsValue::NULL,
        }
    }
    let result = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&result, &"steps".into(), &(steps as f64).into());
    let _ = js_sys::Reflect::set(&result, &"ms".into(), &(now_ms() - started).into());
    result.into()
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
                .map(ApiState::to_js)
                .unwrap_or(JsValue::NULL)
        })
    });
    let _ = js_sys::Reflect::set(&api, &"state".into(), state.as_ref());
    state.forget();
    let seek = Closure::<dyn Fn(f64) -> f64>::new(|ms: f64| {
        if !ms.is_finite() || ms < 0.0 {
            return 0.0;
        }
        let started = now_ms();
        send(Command::SeekTime(Time::from_millis(ms as u64)));
        now_ms() - started
    });
    let _ = js_sys::Reflect::set(&api, &"seek".into(), seek.as_ref());
    seek.forget();
    let memory = Closure::<dyn Fn() -> f64>::new(|| {
        wasm_bindgen::memory()
            .dyn_into::<js_sys::WebAssembly::Memory>()
            .map_or(0.0, |m| {
                m.buffer()
                    .unchecked_into::<js_sys::ArrayBuffer>()
                    .byte_length() as f64
            })
    });
    let _ = js_sys::Reflect::set(&api, &"memory".into(), memory.as_ref());
    memory.forget();
    let bench = Closure::<dyn Fn(f64) -> JsValue>::new(bench);
    let _ = js_sys::Reflect::set(&api, &"bench".into(), bench.as_ref());
    bench.forget();
    let export = Closure::<dyn Fn() -> JsValue>::new(export_trace);
    let _ = js_sys::Reflect::set(&api, &"exportTrace".into(), export.as_ref());
    export.forget();
    let history = Closure::<dyn Fn() -> JsValue>::new(export_history);
    let _ = js_sys::Reflect::set(&api, &"exportHistory".into(), history.as_ref());
    history.forget();
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
