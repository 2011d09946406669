//! Browser tests of the Export menu and trace import: the files a page makes are
//! what they claim to be (the trace's JSON lines, standalone SVG, a PNG), and a
//! trace file picked by a person is shown read-only in a timeline of its own.
#![cfg(target_arch = "wasm32")]

mod support;

use distlab_core::catalog;
use distlab_core::lab::export;
use distlab_core::sim::time::Time;
use distlab_web::hooks::StartAt;
use support::*;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlInputElement};

wasm_bindgen_test_configure!(run_in_browser);

/// The trace file of a Raft preset up to `ms`, as the command line writes it.
fn raft_trace(preset: &str, ms: u64) -> String {
    let topic = catalog::find("raft").unwrap();
    let scenario = topic.preset_scenario(topic.preset(preset).unwrap());
    export::trace_until(topic, &scenario, Time::from_millis(ms))
        .unwrap()
        .text
}

/// Hands `text` to the page's import field as a picked file called `name`.
async fn import(root: &Element, name: &str, text: &str) {
    let parts = js_sys::Array::of1(&text.into());
    let file = web_sys::File::new_with_str_sequence(&parts, name).unwrap();
    let transfer = web_sys::DataTransfer::new().unwrap();
    transfer.items().add_with_file(&file).unwrap();
    let input = find(root, "#import-trace");
    input
        .unchecked_ref::<HtmlInputElement>()
        .set_files(transfer.files().as_ref());
    fire(&input, "change").await;
    // Reading the file is asynchronous.
    for _ in 0..50 {
        if count(root, "#imported") == 1 {
            break;
        }
        sleep(20).await;
    }
}

/// The site's picture module (`static/pictures.js`), loaded as the page's head
/// loads it, and installed as `window.distlabPicture`.
async fn pictures() -> JsValue {
    let load = js_sys::Function::new_with_args(
        "source",
        "const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));\
         return import(url).then((module) => {\
           window.distlabPicture = (...args) => module.picture(...args);\
           return module;\
         });",
    );
    let promise = load
        .call1(
            &JsValue::NULL,
            &include_str!("../../static/pictures.js").into(),
        )
        .unwrap();
    JsFuture::from(promise.unchecked_into::<js_sys::Promise>())
        .await
        .unwrap()
}

/// Calls `name` of the picture module with `arguments`.
fn call(module: &JsValue, name: &str, arguments: &[JsValue]) -> Result<JsValue, JsValue> {
    let function: js_sys::Function = js_sys::Reflect::get(module, &name.into())
        .unwrap()
        .unchecked_into();
    function.apply(&JsValue::NULL, &arguments.iter().collect::<js_sys::Array>())
}

/// The SVG file the module makes of the views `selector` in `root`.
fn svg_of(module: &JsValue, root: &Element, selector: &str) -> String {
    call(module, "svg", &[root.into(), selector.into()])
        .unwrap()
        .as_string()
        .unwrap()
}

/// Parses `svg` as an XML document, as an image viewer would.
fn parses_as_svg(svg: &str) -> bool {
    let parser = web_sys::DomParser::new().unwrap();
    let document = parser
        .parse_from_string(svg, web_sys::SupportedType::ImageSvgXml)
        .unwrap();
    document.get_elements_by_tag_name("parsererror").length() == 0
        && document
            .document_element()
            .is_some_and(|root| root.tag_name() == "svg")
}

/// What `window.distlab.exportTrace()` returns now (the text the Export menu
/// downloads).
fn page_export() -> String {
    distlab_web::embed::install_api();
    let window = web_sys::window().unwrap();
    let api = js_sys::Reflect::get(&window, &"distlab".into()).unwrap();
    let function: js_sys::Function = js_sys::Reflect::get(&api, &"exportTrace".into())
        .unwrap()
        .unchecked_into();
    function.call0(&api).unwrap().as_string().expect("a trace")
}

#[wasm_bindgen_test]
async fn the_page_exports_its_run_up_to_the_instant_shown() {
    let root = mount("raft", None, StartAt::Paused).await;
    choose(&root, "#preset", "leader-crash").await;
    press_times(&root, "#step", 40).await;
    // A person's action is part of the run the file holds.
    click(&find(&root, "svg.cluster .node[data-node='3']")).await;
    press_times(&root, "#step", 10).await;
    let shown = Time(shown_time_us(&root));
    let scenario = scenario_in_url();
    assert!(!scenario.actions.is_empty());
    let topic = catalog::find("raft").unwrap();
    let expected = export::trace_until(topic, &scenario, shown).unwrap().text;
    let page = page_export();
    assert_eq!(page, expected);
    let last = page.lines().last().unwrap();
    assert!(
        last.contains(&format!("\"t\":{},", shown.as_micros())),
        "the file ends at the instant shown: {last}"
    );
    assert!(
        page.contains("\"kind\":\"crash\""),
        "the person's crash is in it"
    );
    // Pressing the button makes the file without a complaint.
    press(&root, "#files summary").await;
    press(&root, "#export-trace").await;
    assert_eq!(count(&root, "#notice"), 0);
    root.remove();
}

#[wasm_bindgen_test]
async fn timeline_and_cluster_export_as_standalone_svg_with_the_theme() {
    // A theme as the site's stylesheet declares it, switched to dark.
    let style = document().create_element("style").unwrap();
    style.set_text_content(Some(
        ":root { --bg: #ffffff; --ink: #000000; } [data-theme=dark] { --bg: #15181c; } svg.cluster .node { stroke: var(--ink); }",
    ));
    document().head().unwrap().append_child(&style).unwrap();
    let html = document().document_element().unwrap();
    html.set_attribute("data-theme", "dark").unwrap();
    let module = pictures().await;
    let root = mount("raft", None, StartAt::Time(Time::from_millis(900))).await;
    sleep(50).await;
    for selector in [".views svg.timeline", ".views svg.cluster"] {
        let svg = svg_of(&module, &root, selector);
        assert!(parses_as_svg(&svg), "{selector} is not well-formed SVG");
        assert!(
            svg.contains("--bg:#15181c;") && svg.contains("--ink:#000000;"),
            "the theme's colours, as resolved, travel with it"
        );
        assert!(
            svg.contains("svg.cluster .node { stroke: var(--ink); }"),
            "the stylesheet travels with it"
        );
    }
    html.remove_attribute("data-theme").unwrap();
    style.remove();
    let timeline = svg_of(&module, &root, ".views svg.timeline");
    assert!(
        timeline.contains("class=\"arrow"),
        "the timeline has its messages"
    );
    press(&root, "#export-timeline").await;
    press(&root, "#export-cluster").await;
    sleep(100).await;
    assert_eq!(count(&root, "#notice"), 0);
    root.remove();
}

#[wasm_bindgen_test]
async fn a_structure_page_exports_its_views_as_svg() {
    let module = pictures().await;
    let root = mount("bloom-filter", None, StartAt::Paused).await;
    let svg = svg_of(&module, &root, ".structure-views svg");
    assert!(parses_as_svg(&svg));
    assert!(
        svg.matches("<svg").count() >= 2,
        "the views are stacked in one file"
    );
    // A view that is not on the page is an error the page shows, not a file.
    assert!(call(&module, "svg", &[(&root).into(), "svg.nothing".into()]).is_err());
    press(&root, "#export-views").await;
    sleep(100).await;
    assert_eq!(count(&root, "#notice"), 0);
    root.remove();
}

#[wasm_bindgen_test]
async fn the_views_export_as_a_png() {
    let module = pictures().await;
    let root = mount("raft", None, StartAt::Time(Time::from_millis(600))).await;
    sleep(50).await;
    let png = call(&module, "png", &[(&root).into()]).unwrap();
    let png: web_sys::Blob = JsFuture::from(png.unchecked_into::<js_sys::Promise>())
        .await
        .unwrap()
        .unchecked_into();
    assert_eq!(png.type_(), "image/png");
    assert!(
        png.size() > 5_000.0,
        "a picture of the views: {} bytes",
        png.size()
    );
    let bytes = JsFuture::from(png.array_buffer()).await.unwrap();
    let bytes = js_sys::Uint8Array::new(&bytes).to_vec();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    // The menu's button makes one without a complaint.
    press(&root, "#export-png").await;
    sleep(300).await;
    assert_eq!(count(&root, "#notice"), 0);
    root.remove();
}

#[wasm_bindgen_test]
async fn a_cluster_painted_on_a_canvas_is_in_the_svg_and_png_pictures() {
    let module = pictures().await;
    let mut scenario = distlab_core::lab::scenario::Scenario::new("gossip", 1);
    scenario.set_param("nodes", 1_000);
    let root = mount("gossip", Some(scenario.encode()), StartAt::Paused).await;
    sleep(100).await;
    assert_eq!(count(&root, "canvas.cluster"), 1);
    // The Cluster picture is the canvas's pixels as an image in the SVG file.
    let svg = svg_of(&module, &root, ".views .cluster");
    assert!(parses_as_svg(&svg));
    assert!(
        svg.contains("<image ") && svg.contains("href=\"data:image/png;base64,"),
        "the canvas as an image"
    );
    // The PNG of the views draws their HTML with each canvas swapped for an
    // image of its pixels (a copied canvas would be blank).
    let views = find(&root, ".views");
    let copy: Element = call(&module, "withCanvasesAsImages", &[(&views).into()])
        .unwrap()
        .unchecked_into();
    assert_eq!(copy.query_selector_all("canvas").unwrap().length(), 0);
    let image = copy
        .query_selector("img.cluster")
        .unwrap()
        .expect("an image of the cluster");
    let source = image.get_attribute("src").unwrap_or_default();
    assert!(
        source.starts_with("data:image/png;base64,") && source.len() > 2_000,
        "the canvas's pixels: {} characters",
        source.len()
    );
    let png = call(&module, "png", &[(&root).into()]).unwrap();
    let png: web_sys::Blob = JsFuture::from(png.unchecked_into::<js_sys::Promise>())
        .await
        .unwrap()
        .unchecked_into();
    assert_eq!(png.type_(), "image/png");
    press(&root, "#export-cluster").await;
    sleep(100).await;
    assert_eq!(count(&root, "#notice"), 0);
    root.remove();
}

#[wasm_bindgen_test]
async fn an_imported_trace_is_shown_read_only_in_its_own_timeline() {
    let root = mount("raft", None, StartAt::Paused).await;
    let text = raft_trace("leader-crash", 3_000);
    let events = text.lines().count();
    import(&root, "leader-crash.jsonl", &text).await;
    let heading = support::text(&root, "#imported h3");
    assert!(
        heading.contains(&format!("leader-crash.jsonl: {events} events, 8 nodes")),
        "{heading}"
    );
    assert_eq!(count(&root, "#imported .import-problems"), 0);
    assert!(
        support::text(&root, ".timeline-panel h3").starts_with("Timeline of the imported trace")
    );
    assert_eq!(
        count(&root, ".state-table"),
        0,
        "the live run's table is not shown beside a file"
    );
    // It opens at the file's end; its timeline has messages and lanes.
    assert!(count(&root, ".timeline-panel.imported svg.timeline .arrow") > 0);
    assert_eq!(
        count(&root, ".timeline-panel.imported svg.timeline .lane"),
        8,
        "five servers and three clients"
    );
    assert!(
        count(&root, "#history .operation") > 0,
        "the file's client history is drawn under its timeline"
    );
    // The slider moves the instant shown; the live run does not move with it.
    let live = shown_time_us(&root);
    let slider = find(&root, "#import-time");
    slider.unchecked_ref::<HtmlInputElement>().set_value("1000");
    fire(&slider, "input").await;
    assert!(support::text(&root, "#imported .import-time").contains("Instant shown 1000"));
    assert_eq!(shown_time_us(&root), live);
    press(&root, "#close-import").await;
    assert_eq!(count(&root, "#imported"), 0);
    assert!(support::text(&root, ".timeline-panel h3").starts_with("Timeline click"));
    assert_eq!(count(&root, ".state-table"), 1);
    root.remove();
}

#[wasm_bindgen_test]
async fn a_damaged_trace_file_says_which_lines_were_left_out() {
    let root = mount("raft", None, StartAt::Paused).await;
    let mut text = raft_trace("leader-crash", 500);
    text.push_str("this is not an event\n{\"step\":1}\n");
    import(&root, "damaged.jsonl", &text).await;
    let problems = support::text(&root, "#imported .import-problems");
    assert!(
        problems.starts_with("2 line(s) could not be read"),
        "{problems}"
    );
    assert!(problems.contains("line "), "{problems}");
    assert!(count(&root, ".timeline-panel.imported svg.timeline .lane") > 0);
    root.remove();
}
