//! What every browser test does: mount a page into a fresh element, find things in
//! it, and act as a person would (click, type, pick), waiting for Yew to render.
#![allow(dead_code)] // each test file uses its own subset

use distlab_core::catalog;
use distlab_web::hooks::StartAt;
use distlab_web::pages::{self, protocol::TopicPageProps};
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement, HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

pub fn document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

/// A fresh element, attached to the body, to mount into.
pub fn root() -> Element {
    let div = document().create_element("div").unwrap();
    document().body().unwrap().append_child(&div).unwrap();
    div
}

#[derive(Properties, PartialEq)]
pub struct MountProps {
    pub slug: &'static str,
    pub page: TopicPageProps,
}

/// The page the catalog gives `slug`, as the app draws it.
#[function_component]
pub fn Mounted(props: &MountProps) -> Html {
    match pages::find(pages::PAGES, props.slug) {
        Some(page) => (page.render)(&props.page),
        None => html! { <p class="missing-page">{ props.slug }</p> },
    }
}

thread_local! {
    static MOUNTED: std::cell::RefCell<Option<yew::AppHandle<Mounted>>> =
        const { std::cell::RefCell::new(None) };
}

/// Mounts the page of `slug` and waits until it has rendered.
pub async fn mount(slug: &'static str, link: Option<String>, start: StartAt) -> Element {
    mount_as(slug, link, start, false).await
}

/// Mounts the page of `slug`, embedded or not, and waits until it has rendered.
pub async fn mount_as(
    slug: &'static str,
    link: Option<String>,
    start: StartAt,
    embed: bool,
) -> Element {
    // Tests run one after another in one page: a page left playing by an earlier
    // test would keep taking frames from this one, so it is taken down first.
    if let Some(earlier) = MOUNTED.with(|app| app.borrow_mut().take()) {
        earlier.destroy();
    }
    let root = root();
    let props = MountProps {
        slug,
        page: TopicPageProps { link, embed, start },
    };
    let app = yew::Renderer::<Mounted>::with_root_and_props(root.clone(), props).render();
    MOUNTED.with(|mounted| *mounted.borrow_mut() = Some(app));
    yew::scheduler::flush().await;
    root
}

/// The share link of a topic's preset.
pub fn preset_link(slug: &str, preset: &str) -> String {
    let topic = catalog::find(slug).unwrap();
    topic
        .preset_scenario(topic.preset(preset).unwrap())
        .encode()
}

pub fn find(root: &Element, css: &str) -> Element {
    root.query_selector(css)
        .unwrap()
        .unwrap_or_else(|| panic!("no element matches {css}"))
}

pub fn count(root: &Element, css: &str) -> u32 {
    root.query_selector_all(css).unwrap().length()
}

pub fn text(root: &Element, css: &str) -> String {
    find(root, css).text_content().unwrap_or_default()
}

pub fn attr(root: &Element, css: &str, name: &str) -> String {
    find(root, css).get_attribute(name).unwrap_or_default()
}

/// A bubbling click on any element (SVG groups have no `click()`).
pub async fn click(element: &Element) {
    let init = web_sys::MouseEventInit::new();
    init.set_bubbles(true);
    let event = web_sys::MouseEvent::new_with_mouse_event_init_dict("click", &init).unwrap();
    element.dispatch_event(&event).unwrap();
    yew::scheduler::flush().await;
}

/// A bubbling click at a fraction `(fx, fy)` of `element`'s box on screen
/// (a canvas, where what is clicked depends on where).
pub async fn click_at(element: &Element, fx: f64, fy: f64) {
    let rect = element.get_bounding_client_rect();
    let init = web_sys::MouseEventInit::new();
    init.set_bubbles(true);
    init.set_client_x((rect.left() + fx * rect.width()).round() as i32);
    init.set_client_y((rect.top() + fy * rect.height()).round() as i32);
    let event = web_sys::MouseEvent::new_with_mouse_event_init_dict("click", &init).unwrap();
    element.dispatch_event(&event).unwrap();
    yew::scheduler::flush().await;
}

/// Clicks the button `css` once.
pub async fn press(root: &Element, css: &str) {
    find(root, css).unchecked_ref::<HtmlElement>().click();
    yew::scheduler::flush().await;
}

/// Clicks the button `css` `times` times.
pub async fn press_times(root: &Element, css: &str, times: usize) {
    for _ in 0..times {
        press(root, css).await;
    }
}

/// Fires a bubbling event of type `kind` (`input`, `change`) at `element`.
pub async fn fire(element: &Element, kind: &str) {
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    let event = web_sys::Event::new_with_event_init_dict(kind, &init).unwrap();
    element.dispatch_event(&event).unwrap();
    yew::scheduler::flush().await;
}

/// Types `value` into the input `css` (an `input` event, as a keystroke gives).
pub async fn type_in(root: &Element, css: &str, value: &str) {
    let input = find(root, css);
    input.unchecked_ref::<HtmlInputElement>().set_value(value);
    fire(&input, "input").await;
}

/// Picks `value` in the `<select>` `css`.
pub async fn choose(root: &Element, css: &str, value: &str) {
    let select = find(root, css);
    select.unchecked_ref::<HtmlSelectElement>().set_value(value);
    fire(&select, "change").await;
}

/// Waits `ms` of real time (animation frames run meanwhile).
pub async fn sleep(ms: u32) {
    gloo_timers::future::TimeoutFuture::new(ms).await;
    yew::scheduler::flush().await;
}

/// The scenario the page wrote into the address bar.
pub fn scenario_in_url() -> distlab_core::lab::scenario::Scenario {
    let hash = web_sys::window().unwrap().location().hash().unwrap();
    let link = hash
        .split(['?', '&'])
        .find_map(|part| part.strip_prefix("s="))
        .unwrap_or_else(|| panic!("no scenario in {hash}"));
    distlab_core::lab::scenario::Scenario::decode(link).expect("the URL holds a scenario")
}

/// The value of the input or select `css`.
pub fn value(root: &Element, css: &str) -> String {
    let element = find(root, css);
    match element.dyn_ref::<HtmlInputElement>() {
        Some(input) => input.value(),
        None => element.unchecked_ref::<HtmlSelectElement>().value(),
    }
}

/// The shown instant in microseconds, read off the clock (`t = 1234.567ms · ...`).
pub fn shown_time_us(root: &Element) -> u64 {
    let clock = text(root, "#clock");
    let ms = clock
        .trim_start_matches("t = ")
        .split("ms")
        .next()
        .unwrap_or_default()
        .trim()
        .to_string();
    let (whole, fraction) = ms.split_once('.').unwrap_or((&ms, "0"));
    let whole: u64 = whole.parse().unwrap_or_else(|_| panic!("clock {clock}"));
    let fraction: u64 = format!("{fraction:0<3}")[..3].parse().unwrap_or(0);
    whole * 1000 + fraction
}

/// A key pressed on `element` (a bubbling `keydown`).
pub async fn key(element: &Element, key: &str) {
    let init = web_sys::KeyboardEventInit::new();
    init.set_key(key);
    init.set_bubbles(true);
    let event =
        web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
    element.dispatch_event(&event).unwrap();
    yew::scheduler::flush().await;
}
