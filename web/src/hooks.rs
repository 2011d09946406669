//! Hooks shared by topic pages: the player with its animation loop, URL sync and
//! keyboard shortcuts.
//!
//! `use_player` owns one [`Player`] per page. Each command mutates it and forces a
//! re-render; the URL is then rewritten (with `history.replaceState`, so no history
//! entry per click) to the scenario's link, so reload and share reproduce the run.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use distlab_core::lab::topic::TopicInfo;
use distlab_core::sim::action::Action;
use distlab_core::sim::time::{Duration, Time};
use gloo_render::{request_animation_frame, AnimationFrame};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::command::Command;
use crate::embed;
use crate::export::{self, ExportKind};
use crate::hunt;
use crate::player::Player;
use crate::views::controls::Shared;

/// The timeline window's span: default, narrowest and widest.
pub const DEFAULT_SPAN: Duration = Duration::from_millis(800);
const MIN_SPAN: Duration = Duration::from_millis(100);
const MAX_SPAN: Duration = Duration::from_millis(20_000);

/// Wall-clock milliseconds a frame may spend simulating; drawing gets the rest.
const SIMULATION_MS_PER_FRAME: f64 = 8.0;
/// Steps per frame: the first guess, and the bounds the guess adapts within.
const FIRST_STEP_BUDGET: u64 = 4_000;
const MIN_STEP_BUDGET: u64 = 200;
const MAX_STEP_BUDGET: u64 = 200_000;

/// The page's clock in milliseconds (0 where there is none).
fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

/// How a page starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartAt {
    /// Playing from time zero (a person opening a lab).
    Playing,
    /// Paused at time zero (component tests step by hand).
    Paused,
    /// Paused at this instant (a link with `t=`).
    Time(Time),
}

/// What a page gets from [`use_player`].
#[derive(Clone)]
pub struct PlayerHandle {
    pub player: Rc<RefCell<Player>>,
    pub on_command: Callback<Command>,
    pub timeline_span: Duration,
    /// What the Share button last did.
    pub shared: Shared,
}

/// The player of a topic page, built from the link and rebuilt when the link
/// changes from outside (the person edits the URL or goes back).
#[hook]
pub fn use_player(
    topic: &'static TopicInfo,
    link: Option<String>,
    embed: bool,
    start: StartAt,
) -> PlayerHandle {
    // The player starts as the page should open (playing, paused, or at an
    // instant), so the first render already shows it and needs no second one.
    let player = use_mut_ref(|| {
        let mut player = Player::from_link(topic, link.as_deref());
        match start {
            StartAt::Playing => player.play(),
            StartAt::Paused => {}
            StartAt::Time(time) => player.seek_time(time),
        }
        player
    });
    let seen_link = use_mut_ref(|| link.clone());
    let update = use_force_update();
    let span = use_state(|| DEFAULT_SPAN);
    let shared = use_state(Shared::default);

    if *seen_link.borrow() != link {
        *seen_link.borrow_mut() = link.clone();
        if link.as_deref() != Some(player.borrow().scenario().encode().as_str()) {
            let mut fresh = Player::from_link(topic, link.as_deref());
            fresh.keep_hunt_of(&mut player.borrow_mut());
            *player.borrow_mut() = fresh;
        }
    }
    // The Hunt panel's worker, while it works (see `crate::hunt`).
    let worker = use_mut_ref(|| None::<hunt::Worker>);
    {
        let worker = worker.clone();
        use_effect_with((), move |_| {
            move || {
                if let Some((worker, _)) = worker.borrow_mut().take() {
                    hunt::terminate(&worker);
                }
            }
        });
    }

    let on_command = {
        let player = player.clone();
        let update = update.clone();
        let worker = worker.clone();
        let span = span.clone();
        let shared = shared.clone();
        Callback::from(move |command: Command| {
            match command {
                Command::Zoom(factor) => {
                    let micros = (span.as_micros() as f64 * factor) as u64;
                    span.set(Duration(
                        micros.clamp(MIN_SPAN.as_micros(), MAX_SPAN.as_micros()),
                    ));
                }
                Command::RandomSeed => player.borrow_mut().apply(Command::Seed(random_seed())),
                Command::CopyLink => {
                    // The link opens the full page (never the embed), paused at
                    // the instant shown.
                    let player = player.borrow();
                    let hash =
                        crate::route::with_time(&player.link(false), player.time().as_millis());
                    share_link(full_page_url(&hash), shared.clone());
                }
                Command::Export(kind) => export(kind, player.clone(), update.clone()),
                command @ (Command::Hunt
                | Command::Shrink
                | Command::ShrinkFound
                | Command::Explore) => {
                    player.borrow_mut().apply(command);
                    let task = player.borrow_mut().take_task();
                    restart_worker(&worker, task, &player, &update, embed);
                }
                other => player.borrow_mut().apply(other),
            }
            write_url(&player.borrow().link(embed));
            update.force_update();
        })
    };

    // The URL reflects the scenario from the first render on (a bad link is
    // replaced by the default scenario it fell back to). The first frame after
    // the page is in the document is marked `distlab-first-render` for `measure`.
    {
        let player = player.clone();
        use_effect_with(topic.slug, move |_| {
            write_url(&player.borrow().link(embed));
            let frame = gloo_render::request_animation_frame(|_| {
                if let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
                    let _ = performance.mark("distlab-first-render");
                }
            });
            move || drop(frame)
        });
    }

    let playing = player.borrow().playing();
    let budget = use_mut_ref(|| FIRST_STEP_BUDGET);
    use_animation_frames(playing, {
        let player = player.clone();
        let update = update.clone();
        Callback::from(move |real_ms: f64| {
            // The steps a frame may run adapt to how long the last ones took, so
            // high speeds stay smooth and skip ahead instead of freezing the page.
            let started = now_ms();
            let moved = player.borrow_mut().advance(real_ms, *budget.borrow());
            let spent = now_ms() - started;
            let mut budget = budget.borrow_mut();
            *budget = if spent > SIMULATION_MS_PER_FRAME {
                (*budget / 2).max(MIN_STEP_BUDGET)
            } else {
                (*budget + *budget / 4).min(MAX_STEP_BUDGET)
            };
            if moved {
                update.force_update();
            }
        })
    });
    use_keyboard_shortcuts(on_command.clone());
    {
        let on_command = on_command.clone();
        use_effect_with(topic.slug, move |_| {
            embed::register(on_command);
            embed::unregister
        });
    }

    let timeline_span = held_span(&player.borrow()).unwrap_or(*span);
    PlayerHandle {
        player,
        on_command,
        timeline_span,
        shared: (*shared).clone(),
    }
}

/// The timeline's window for a held run (an explored counterexample, one step a
/// millisecond): its whole path and a step more, where the default window would
/// squeeze it into a sliver.
fn held_span(player: &Player) -> Option<Duration> {
    let actions = &player.scenario().actions;
    let last = actions.last()?.at.as_micros();
    (actions.first()?.action == Action::Hold).then_some(Duration(last + 2_000))
}

/// Calls `on_frame` with the real milliseconds since the previous frame, once per
/// animation frame, while `active`.
#[hook]
pub fn use_animation_frames(active: bool, on_frame: Callback<f64>) {
    let on_frame_ref = use_mut_ref(|| on_frame.clone());
    *on_frame_ref.borrow_mut() = on_frame;
    use_effect_with(active, move |&active| {
        let handle: Rc<RefCell<Option<AnimationFrame>>> = Rc::new(RefCell::new(None));
        if active {
            schedule_frame(handle.clone(), Rc::new(Cell::new(None)), on_frame_ref);
        }
        move || {
            handle.borrow_mut().take();
        }
    });
}

fn schedule_frame(
    handle: Rc<RefCell<Option<AnimationFrame>>>,
    last: Rc<Cell<Option<f64>>>,
    on_frame: Rc<RefCell<Callback<f64>>>,
) {
    let next_handle = handle.clone();
    let frame = request_animation_frame(move |timestamp| {
        // A long gap (a background tab) must not jump the simulation ahead.
        let elapsed = last
            .get()
            .map_or(0.0, |previous| (timestamp - previous).clamp(0.0, 100.0));
        last.set(Some(timestamp));
        let callback = on_frame.borrow().clone();
        callback.emit(elapsed);
        // Only re-arm if the loop was not stopped during the callback.
        if next_handle.borrow().is_some() {
            schedule_frame(next_handle, last, on_frame);
        }
    });
    *handle.borrow_mut() = Some(frame);
}

/// Space plays or pauses, arrows step, unless the person is typing in a field.
#[hook]
fn use_keyboard_shortcuts(on_command: Callback<Command>) {
    use_effect_with((), move |_| {
        let listener =
            Closure::<dyn Fn(web_sys::KeyboardEvent)>::new(move |event: web_sys::KeyboardEvent| {
                let typing = event
                    .target()
                    .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                    .map(|e| {
                        matches!(
                            e.tag_name().as_str(),
                            "INPUT" | "SELECT" | "TEXTAREA" | "BUTTON"
                        )
                    })
                    .unwrap_or(false);
                if typing || event.ctrl_key() || event.meta_key() || event.alt_key() {
                    return;
                }
                let command = match event.key().as_str() {
                    " " => Command::TogglePlay,
                    "ArrowRight" => Command::Step,
                    "ArrowLeft" => Command::StepBack,
                    _ => return,
                };
                event.prevent_default();
                on_command.emit(command);
            });
        let window = web_sys::window();
        if let Some(window) = &window {
            let _ = window
                .add_event_listener_with_callback("keydown", listener.as_ref().unchecked_ref());
        }
        move || {
            if let Some(window) = window {
                let _ = window.remove_event_listener_with_callback(
                    "keydown",
                    listener.as_ref().unchecked_ref(),
                );
            }
        }
    });
}

/// Ends the Hunt panel's worker and starts `task` in a new one, whose lines go to
/// the player; when the task is over the worker is ended.
fn restart_worker(
    worker: &Rc<RefCell<Option<hunt::Worker>>>,
    task: Option<hunt::Task>,
    player: &Rc<RefCell<Player>>,
    update: &UseForceUpdateHandle,
    embed: bool,
) {
    if let Some((old, _)) = worker.borrow().as_ref() {
        hunt::terminate(old);
    }
    let Some(task) = task else {
        return;
    };
    let (shared, update, running) = (player.clone(), update.clone(), worker.clone());
    let on_lines = Closure::<dyn FnMut(String)>::new(move |lines: String| {
        shared.borrow_mut().apply(Command::WorkerLines(lines));
        if !shared.borrow().hunt().busy() {
            if let Some((worker, _)) = running.borrow().as_ref() {
                hunt::terminate(worker);
            }
        }
        write_url(&shared.borrow().link(embed));
        update.force_update();
    });
    match hunt::start(&task, on_lines) {
        Ok(started) => *worker.borrow_mut() = Some(started),
        Err(problem) => {
            let line = format!("error: {problem}");
            player.borrow_mut().apply(Command::WorkerLines(line));
        }
    }
}

/// Replaces the URL's hash without adding a history entry or firing `hashchange`.
pub fn write_url(hash: &str) {
    let Some(window) = web_sys::window() else {
        return;
    };
    if window.location().hash().ok().as_deref() == Some(hash) {
        return;
    }
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(hash));
    }
}

/// A fresh random seed (32 bits: easy to read and type). A seed only has to be
/// new, not secret, so the browser's `Math.random` does.
fn random_seed() -> u64 {
    (js_sys::Math::random() * u32::MAX as f64) as u64
}

/// The address of the full page (no `embed`) showing `hash`.
fn full_page_url(hash: &str) -> String {
    let Some(window) = web_sys::window() else {
        return hash.to_string();
    };
    let location = window.location();
    let search: Vec<String> = location
        .search()
        .unwrap_or_default()
        .trim_start_matches('?')
        .split('&')
        .filter(|pair| !pair.is_empty() && *pair != "embed" && !pair.starts_with("embed="))
        .map(str::to_string)
        .collect();
    let search = if search.is_empty() {
        String::new()
    } else {
        format!("?{}", search.join("&"))
    };
    format!(
        "{}{}{search}{hash}",
        location.origin().unwrap_or_default(),
        location.pathname().unwrap_or_default()
    )
}

/// Copies `link` to the clipboard and says whether it worked: "Link copied" for
/// a while, or the link itself to copy by hand when the clipboard is refused (an
/// iframe without permission, an insecure page).
/// Makes the file `kind` asks for and offers it as a download; what goes wrong
/// is said in the notice banner.
fn export(kind: ExportKind, player: Rc<RefCell<Player>>, update: UseForceUpdateHandle) {
    let (slug, seed, at_ms) = {
        let player = player.borrow();
        (
            player.topic().slug,
            player.scenario().seed,
            player.time().as_millis(),
        )
    };
    let lab = web_sys::window().and_then(|w| w.document()).and_then(|d| {
        d.query_selector(&format!(".lab[data-topic='{slug}']"))
            .ok()
            .flatten()
    });
    let result = match kind {
        ExportKind::Trace => {
            let exported = player.borrow().export_trace();
            exported.and_then(|trace| {
                if !trace.complete {
                    player.borrow_mut().tell(format!(
                        "The run is too long to export whole: the file holds its first {} events.",
                        trace.events
                    ));
                }
                let name = export::file_name(slug, seed, at_ms, "", "jsonl");
                export::download(
                    &name,
                    &export::text_blob(&trace.text, "application/x-ndjson")?,
                )
            })
        }
        ExportKind::History => match player.borrow().run().history() {
            Some(history) => {
                let name = export::file_name(slug, seed, at_ms, "history", "edn");
                let edn = distlab_core::history::to_edn(history);
                export::text_blob(&edn, "application/edn")
                    .and_then(|blob| export::download(&name, &blob))
            }
            None => Err("no client has acted yet".to_string()),
        },
        picture => {
            let Some(lab) = lab else {
                return;
            };
            let stem = match picture {
                ExportKind::Svg(picture) => picture.stem,
                _ => "views",
            };
            let extension = if picture == ExportKind::Png {
                "png"
            } else {
                "svg"
            };
            let name = export::file_name(slug, seed, at_ms, stem, extension);
            let player = player.clone();
            wasm_bindgen_futures::spawn_local(async move {
                if let Err(error) = export::picture(picture, &lab, &name).await {
                    player.borrow_mut().tell(format!("Export failed: {error}"));
                    update.force_update();
                }
            });
            Ok(())
        }
    };
    if let Err(error) = result {
        player.borrow_mut().tell(format!("Export failed: {error}"));
    }
}

fn share_link(link: String, shared: UseStateHandle<Shared>) {
    let Some(window) = web_sys::window() else {
        shared.set(Shared::Manual(link));
        return;
    };
    let promise = window.navigator().clipboard().write_text(&link);
    wasm_bindgen_futures::spawn_local(async move {
        match wasm_bindgen_futures::JsFuture::from(promise).await {
            Ok(_) => {
                shared.set(Shared::Copied);
                let shared = shared.clone();
                gloo_timers::callback::Timeout::new(2_000, move || shared.set(Shared::Idle))
                    .forget();
            }
            Err(_) => shared.set(Shared::Manual(link)),
        }
    });
}
