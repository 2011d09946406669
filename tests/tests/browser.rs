//! Browser tests (wasm-bindgen-test, headless Chromium): mount the real pages,
//! click what a person clicks, and check the DOM.
#![cfg(target_arch = "wasm32")]

use distlab_core::catalog;
use distlab_core::lab::scenario::Scenario;
use distlab_core::sim::time::Time;
use distlab_web::hooks::StartAt;
use distlab_web::pages::home::Home;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::Element;

wasm_bindgen_test_configure!(run_in_browser);

mod support;
use support::*;

async fn mount_raft(link: Option<String>, start: StartAt) -> Element {
    mount("raft", link, start).await
}

#[wasm_bindgen_test]
async fn raft_page_steps_and_a_click_crashes_a_node() {
    let root = mount_raft(None, StartAt::Paused).await;
    assert_eq!(count(&root, "svg.cluster .node:not(.client)"), 5);
    assert_eq!(count(&root, "svg.cluster .node.client"), 3);
    assert!(text(&root, "#clock").contains("step 0"));
    assert_eq!(count(&root, ".invariant.holds"), 5);

    press_times(&root, "#step", 12).await;
    assert!(
        text(&root, "#clock").contains("step 12"),
        "{}",
        text(&root, "#clock")
    );
    assert!(count(&root, ".event-log li") > 0);

    click(&find(&root, ".node[data-node='1']")).await;
    assert!(find(&root, ".node[data-node='1']")
        .class_list()
        .contains("down"));
    assert_eq!(count(&root, ".state-table tr.down"), 1);
    assert!(text(&root, ".event-log").contains("CRASH"));
    // The crash is now part of the scenario, so the URL-ready link carries it.
    click(&find(&root, ".node[data-node='1']")).await;
    assert!(!find(&root, ".node[data-node='1']")
        .class_list()
        .contains("down"));
}

#[wasm_bindgen_test]
async fn stepping_back_returns_to_the_previous_event() {
    let root = mount_raft(None, StartAt::Paused).await;
    press_times(&root, "#step", 30).await;
    let at_30 = text(&root, "#clock");
    press(&root, "#step").await;
    assert_ne!(text(&root, "#clock"), at_30);
    press(&root, "#step-back").await;
    assert_eq!(text(&root, "#clock"), at_30);
}

#[wasm_bindgen_test]
async fn a_leader_is_elected_and_shown_by_role_and_in_the_table() {
    let root = mount_raft(None, StartAt::Time(Time::from_millis(1_500))).await;
    assert_eq!(count(&root, "svg.cluster .node.slot-lead"), 1);
    let leaders_in_table = root.query_selector_all(".state-table td").unwrap();
    let mut found = false;
    for i in 0..leaders_in_table.length() {
        if leaders_in_table.item(i).unwrap().text_content().as_deref() == Some("leader") {
            found = true;
        }
    }
    assert!(found, "the state table names the leader");
    assert!(
        count(&root, ".state-table .entry.committed") > 0,
        "committed entries are drawn solid"
    );
    assert!(
        count(&root, "svg.timeline .arrow") > 0,
        "messages on the timeline"
    );
}

#[wasm_bindgen_test]
async fn the_figure_8_bug_is_caught_and_marked() {
    let topic = catalog::find("raft").unwrap();
    let scenario = topic.preset_scenario(topic.preset("figure-8-unsafe").unwrap());
    let root = mount_raft(
        Some(scenario.encode()),
        StartAt::Time(Time::from_millis(900)),
    )
    .await;
    let broken = find(&root, ".invariant[data-invariant='leader-completeness']");
    assert!(broken.class_list().contains("violated"));
    assert!(count(&root, ".invariant.violated") >= 2);
    assert!(
        find(&root, "#bug")
            .unchecked_ref::<web_sys::HtmlSelectElement>()
            .value()
            == "commit-old-term"
    );
    // The same story with the bug off holds every invariant.
    let safe = topic.preset_scenario(topic.preset("figure-8").unwrap());
    let root = mount_raft(Some(safe.encode()), StartAt::Time(Time::from_millis(900))).await;
    assert_eq!(count(&root, ".invariant.violated"), 0);
    assert!(!text(&root, ".narration").is_empty());
}

#[wasm_bindgen_test]
async fn a_bad_link_shows_a_message_and_the_default_scenario() {
    let root = mount_raft(Some("this-is-not-a-scenario".into()), StartAt::Paused).await;
    assert!(
        text(&root, "#notice").contains("broken"),
        "{}",
        text(&root, "#notice")
    );
    assert_eq!(count(&root, "svg.cluster .node:not(.client)"), 5);
    let mut wrong_topic = Scenario::new("paxos", 1);
    wrong_topic.set_param("nodes", 3);
    let root = mount_raft(Some(wrong_topic.encode()), StartAt::Paused).await;
    assert!(text(&root, "#notice").contains("paxos"));
}

#[wasm_bindgen_test]
async fn playing_advances_virtual_time() {
    let root = mount_raft(None, StartAt::Playing).await;
    gloo_timers::future::TimeoutFuture::new(600).await;
    yew::scheduler::flush().await;
    let clock = text(&root, "#clock");
    assert!(!clock.contains("t = 0.000ms"), "{clock}");
    assert_eq!(text(&root, "#play"), "Pause");
    press(&root, "#play").await;
    assert_eq!(text(&root, "#play"), "Play");
}

#[wasm_bindgen_test]
async fn the_home_page_lists_working_topics_by_category() {
    let root = root();
    yew::Renderer::<Home>::with_root(root.clone()).render();
    yew::scheduler::flush().await;
    let card = find(&root, "a.card[data-topic='raft']");
    assert_eq!(card.get_attribute("href").as_deref(), Some("#/raft"));
    assert!(text(&root, ".category h2").contains("Consensus"));
}

#[wasm_bindgen_test]
fn a_panic_banner_offers_a_reset() {
    distlab_web::panic::show_banner("boom");
    let banner = document()
        .get_element_by_id(distlab_web::panic::BANNER_ID)
        .unwrap();
    assert!(banner.text_content().unwrap().contains("boom"));
    assert!(banner.query_selector("button").unwrap().is_some());
}

fn clock(root: &Element) -> String {
    text(root, "#clock")
}

#[wasm_bindgen_test]
async fn clicking_the_timeline_jumps_in_time() {
    let root = mount_raft(None, StartAt::Time(Time::from_millis(2_000))).await;
    assert!(
        clock(&root).starts_with("t = 2000.000ms"),
        "{}",
        clock(&root)
    );
    // Click a quarter of the way across the plot: an earlier instant.
    let svg = find(&root, "svg.timeline");
    let rect = svg.get_bounding_client_rect();
    let init = web_sys::MouseEventInit::new();
    init.set_bubbles(true);
    init.set_client_x((rect.left() + rect.width() * 0.25) as i32);
    init.set_client_y((rect.top() + rect.height() * 0.5) as i32);
    let event = web_sys::MouseEvent::new_with_mouse_event_init_dict("click", &init).unwrap();
    svg.dispatch_event(&event).unwrap();
    yew::scheduler::flush().await;
    let after = clock(&root);
    let ms: f64 = after
        .trim_start_matches("t = ")
        .split("ms")
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(ms > 1_000.0 && ms < 1_900.0, "{after}");
}

#[wasm_bindgen_test]
async fn picking_an_event_marks_its_past_and_future_and_the_legend_hides_a_type() {
    let root = mount_raft(None, StartAt::Time(Time::from_millis(2_000))).await;
    let before = clock(&root);
    assert_eq!(
        count(&root, ".anchor-info"),
        0,
        "nothing picked, no violation"
    );
    // Pick a delivery in the middle of the window by its arrow's head.
    let heads = root
        .query_selector_all("svg.timeline .arrow .head")
        .unwrap();
    assert!(heads.length() > 4);
    let head: Element = heads.item(heads.length() / 2).unwrap().dyn_into().unwrap();
    click(&head).await;
    assert_eq!(clock(&root), before, "picking does not jump in time");
    let info = text(&root, ".anchor-info");
    assert!(
        info.starts_with("Picked:") && info.contains("vector ["),
        "{info}"
    );
    assert!(find(&root, "svg.timeline")
        .class_list()
        .contains("causal-view"));
    assert_eq!(count(&root, "svg.timeline .anchor-ring"), 1);
    assert!(
        count(&root, "svg.timeline .arrow.causal:not(.after)") > 0,
        "its past"
    );
    assert!(count(&root, "svg.timeline .arrow.after") > 0, "its future");
    assert!(
        count(&root, "svg.timeline .arrow:not(.causal)") > 0,
        "concurrent with it"
    );
    press(&root, ".anchor-info .unpick").await;
    assert_eq!(count(&root, ".anchor-info"), 0);

    // The legend hides a message type's arrows and shows them again.
    let arrows = count(&root, "svg.timeline .arrow");
    press(&root, ".timeline-keys .kind").await;
    assert_eq!(attr(&root, ".timeline-keys .kind", "aria-pressed"), "false");
    let fewer = count(&root, "svg.timeline .arrow");
    assert!(fewer < arrows, "{fewer} < {arrows}");
    press(&root, ".timeline-keys .kind").await;
    assert_eq!(count(&root, "svg.timeline .arrow"), arrows);
}

#[wasm_bindgen_test]
async fn arrow_keys_step_and_space_plays() {
    let root = mount_raft(None, StartAt::Paused).await;
    let key = |name: &str| {
        let init = web_sys::KeyboardEventInit::new();
        init.set_key(name);
        init.set_bubbles(true);
        let event =
            web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
        document().body().unwrap().dispatch_event(&event).unwrap();
    };
    key("ArrowRight");
    key("ArrowRight");
    key("ArrowRight");
    yew::scheduler::flush().await;
    assert!(clock(&root).contains("step 3"), "{}", clock(&root));
    key("ArrowLeft");
    yew::scheduler::flush().await;
    assert!(clock(&root).contains("step 2"), "{}", clock(&root));
    key(" ");
    yew::scheduler::flush().await;
    assert_eq!(text(&root, "#play"), "Pause");
    key(" ");
    yew::scheduler::flush().await;
    assert_eq!(text(&root, "#play"), "Play");
}

#[wasm_bindgen_test]
async fn the_javascript_api_and_messages_drive_the_page() {
    distlab_web::embed::install_api();
    let root = mount_raft(None, StartAt::Paused).await;
    let window = web_sys::window().unwrap();
    let api = js_sys::Reflect::get(&window, &"distlab".into()).unwrap();
    let call = |name: &str| {
        let function: js_sys::Function = js_sys::Reflect::get(&api, &name.into())
            .unwrap()
            .unchecked_into();
        function.call0(&api).unwrap()
    };
    call("step");
    call("step");
    yew::scheduler::flush().await;
    assert!(clock(&root).contains("step 2"), "{}", clock(&root));
    let state = call("state");
    let steps = js_sys::Reflect::get(&state, &"steps".into()).unwrap();
    assert_eq!(steps.as_f64(), Some(2.0));
    let topic = js_sys::Reflect::get(&state, &"topic".into()).unwrap();
    assert_eq!(topic.as_string().as_deref(), Some("raft"));

    // A host page's message does the same; junk messages are ignored.
    let message = js_sys::Object::new();
    js_sys::Reflect::set(&message, &"distlab".into(), &"step".into()).unwrap();
    window.post_message(&message, "*").unwrap();
    window.post_message(&"not a command".into(), "*").unwrap();
    gloo_timers::future::TimeoutFuture::new(50).await;
    yew::scheduler::flush().await;
    assert!(clock(&root).contains("step 3"), "{}", clock(&root));
}

/// Conformance: every catalog topic has a page in the all-topics bundle, and it
/// mounts, plays a few steps and shows its controls, invariants and narration.
#[wasm_bindgen_test]
async fn every_catalog_topic_has_a_page_that_mounts() {
    for topic in catalog::topics() {
        assert!(
            distlab_web::pages::find(distlab_web::pages::PAGES, topic.slug).is_some(),
            "{} has no page",
            topic.slug
        );
        let root = mount(topic.slug, None, StartAt::Paused).await;
        let lab = find(&root, ".lab");
        assert_eq!(lab.get_attribute("data-topic").as_deref(), Some(topic.slug));
        assert_eq!(count(&root, "#play"), 1, "{}", topic.slug);
        assert_eq!(
            count(&root, ".invariant"),
            topic.invariants.len() as u32,
            "{}",
            topic.slug
        );
        press_times(&root, "#step", 3).await;
        // Some presets have fewer than three steps in all.
        assert!(!text(&root, "#clock").contains("step 0"), "{}", topic.slug);
        assert!(!text(&root, ".narration").is_empty(), "{}", topic.slug);
        root.remove();
    }
}
