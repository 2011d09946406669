//! Browser tests of the consistent-hashing and Bloom filter pages (wasm-bindgen-test,
//! headless Chromium): mount the real pages, do what a person does (click an
//! operation, pick a node, drag a slider, type in a field) and check the drawing.
#![cfg(target_arch = "wasm32")]

use distlab_core::sim::time::Time;
use distlab_web::hooks::StartAt;
use distlab_web::pages::home::Home;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlInputElement, HtmlSelectElement};

wasm_bindgen_test_configure!(run_in_browser);

mod support;
use support::*;

async fn mount_ring(link: Option<String>, start: StartAt) -> Element {
    mount("consistent-hashing", link, start).await
}

async fn mount_bloom(link: Option<String>, start: StartAt) -> Element {
    mount("bloom-filter", link, start).await
}

/// The sum of a numeric attribute over every matching element.
fn sum_attr(root: &Element, css: &str, name: &str) -> u64 {
    let list = root.query_selector_all(css).unwrap();
    (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|n| n.dyn_into::<Element>().ok())
        .filter_map(|e| e.get_attribute(name))
        .map(|v| v.parse::<u64>().unwrap())
        .sum()
}

/// Points on the first chart line: its path's segments.
fn chart_points(root: &Element) -> usize {
    let d = attr(root, "figure.chart .series path", "d");
    d.matches(['M', 'L']).count()
}

#[wasm_bindgen_test]
async fn adding_a_node_puts_its_points_on_the_ring_and_says_which_keys_moved() {
    let root = mount_ring(None, StartAt::Paused).await;
    assert_eq!(count(&root, "svg.ring[data-ring='ring'] .arc"), 4);
    assert_eq!(
        sum_attr(
            &root,
            "svg.ring[data-ring='ring'] .tick-marks",
            "data-points"
        ),
        200
    );
    assert_eq!(
        sum_attr(&root, "svg.ring[data-ring='ring'] .key-dots", "data-keys"),
        200
    );
    assert_eq!(count(&root, "#moved-caption"), 0, "nothing moved yet");
    assert_eq!(count(&root, "svg.ring .moved-ring"), 0);
    assert_eq!(
        count(&root, "svg.bars .bar"),
        8,
        "ring and mod-N bar per node"
    );

    press(&root, "#add-node").await;
    assert_eq!(count(&root, "svg.ring[data-ring='ring'] .arc"), 5);
    assert_eq!(
        attr(&root, ".tick-marks[data-node='node-4']", "data-points"),
        "50"
    );
    let caption = text(&root, "#moved-caption");
    assert!(caption.starts_with("node-4 joined: moved "), "{caption}");
    assert!(
        caption.contains("of 200 keys (ideal K/n = 40.0)"),
        "{caption}"
    );
    let moved: u64 = attr(&root, "svg.ring[data-ring='ring']", "data-moved")
        .parse()
        .unwrap();
    assert!(moved > 0 && moved < 100, "{moved} keys ringed");
    assert!(caption.contains(&format!("moved {moved} of")));
    // Every key that moved went to node-4: the flows name only node-4 as target.
    let flows = text(&root, ".flows");
    assert!(flows.contains("→ node-4"), "{flows}");
    assert!(
        !flows.contains("→ node-0") && !flows.contains("→ node-1"),
        "{flows}"
    );
    // Mod-N over the same change moves far more.
    let mod_n: u64 = attr(&root, "svg.ring[data-ring='mod-N']", "data-moved")
        .parse()
        .unwrap();
    assert!(mod_n > 2 * moved, "mod-N moved {mod_n}, ring {moved}");
    assert!(text(&root, "#mod-n-caption").contains(&format!("mod-N would move {mod_n} of 200")));
    assert_eq!(count(&root, "svg.bars .bar"), 10);
    assert!(text(&root, "#schemes tr[data-scheme='jump'] td.moved").contains("(ideal 40.0)"));
}

#[wasm_bindgen_test]
async fn removing_the_chosen_node_and_the_vnodes_slider_change_the_ring() {
    let root = mount_ring(None, StartAt::Paused).await;
    let select = find(&root, "#remove-node");
    select
        .unchecked_ref::<HtmlSelectElement>()
        .set_value("node-1");
    fire(&select, "change").await;
    press(&root, "#remove-node-button").await;
    assert_eq!(count(&root, "svg.ring[data-ring='ring'] .arc"), 3);
    assert_eq!(count(&root, ".arc[data-node='node-1']"), 0);
    assert!(text(&root, "#moved-caption").starts_with("node-1 left: moved "));

    let before = text(&root, "#load-caption");
    let slider = find(&root, "#vnodes");
    slider.unchecked_ref::<HtmlInputElement>().set_value("200");
    fire(&slider, "input").await;
    assert_eq!(
        text(&root, "#vnodes-value"),
        "200",
        "the label follows the thumb"
    );
    fire(&slider, "change").await;
    assert_eq!(
        attr(&root, ".tick-marks[data-node='node-0']", "data-points"),
        "200"
    );
    assert!(text(&root, "#moved-caption").starts_with("virtual nodes per node 50 → 200"));
    assert_ne!(
        text(&root, "#load-caption"),
        before,
        "the spread updates at once"
    );

    // Junk in the fields changes nothing and breaks nothing.
    slider.unchecked_ref::<HtmlInputElement>().set_value("lots");
    fire(&slider, "change").await;
    let keys = find(&root, "#keys-count");
    keys.unchecked_ref::<HtmlInputElement>().set_value("-5");
    fire(&keys, "change").await;
    press(&root, "#add-keys").await;
    assert!(text(&root, "#moved-caption").starts_with("100 keys added"));
    assert_eq!(
        sum_attr(&root, "svg.ring[data-ring='ring'] .key-dots", "data-keys"),
        300
    );
}

#[wasm_bindgen_test]
async fn a_ring_link_at_an_instant_shows_the_comparison_and_the_balance_chart() {
    let link = preset_link("consistent-hashing", "mod-n-vs-ring");
    let root = mount_ring(Some(link), StartAt::Time(Time::from_millis(3_500))).await;
    // node-4 joined, then node-0 left.
    assert!(text(&root, "#moved-caption").starts_with("node-0 left"));
    assert_eq!(count(&root, "#schemes tbody tr"), 4);
    let moved = |scheme: &str| -> u64 {
        let cell = text(
            &root,
            &format!("#schemes tr[data-scheme='{scheme}'] td.moved"),
        );
        cell.split_whitespace().next().unwrap().parse().unwrap()
    };
    // Ring and rendezvous move node-0's keys only; jump and mod-N renumber.
    assert!(moved("jump") > 2 * moved("ring"));
    assert!(moved("mod-N") > 2 * moved("rendezvous"));
    // Start, join, leave: three samples per line, four lines.
    assert_eq!(count(&root, "figure.chart .series"), 4);
    assert_eq!(chart_points(&root), 3);
}

#[wasm_bindgen_test]
async fn inserting_lights_k_cells_and_the_chart_gains_a_point() {
    let root = mount_bloom(None, StartAt::Paused).await;
    assert_eq!(count(&root, "svg.bits .bit"), 32);
    assert_eq!(count(&root, "svg.bits .bit.set"), 0);
    assert_eq!(count(&root, "svg.bits .bit.lit"), 0);
    let points = chart_points(&root);

    press(&root, "#insert").await;
    let lit = count(&root, "svg.bits .bit.lit");
    assert!((1..=3).contains(&lit), "{lit} cells lit");
    assert_eq!(count(&root, "svg.bits .bit.set"), lit);
    assert!(text(&root, "#explain").contains("item-1 sets positions"));
    assert_eq!(chart_points(&root), points + 1);

    // A typed item, then a query of it: its cells are checked and found set.
    type_in(&root, "#item", "item-77").await;
    press(&root, "#insert").await;
    assert!(text(&root, "#explain").contains("item-77 sets positions"));
    press(&root, "#query").await;
    let probes = count(&root, "svg.bits .bit.probe.hit");
    assert!((1..=3).contains(&probes));
    assert_eq!(count(&root, "svg.bits .bit.probe.miss"), 0);
    assert_eq!(
        attr(&root, "#last-query .query", "data-outcome"),
        "true-positive"
    );

    // Junk is explained, not obeyed.
    type_in(&root, "#item", "bob").await;
    press(&root, "#query").await;
    assert!(text(&root, "#item-error").contains("bob"));
}

#[wasm_bindgen_test]
async fn a_false_positive_lists_the_items_that_set_its_bits() {
    let link = preset_link("bloom-filter", "false-positive");
    let root = mount_bloom(Some(link), StartAt::Time(Time::from_millis(5_500))).await;
    press(&root, "#find-fp").await;
    assert_eq!(
        attr(&root, "#last-query .query", "data-outcome"),
        "false-positive"
    );
    let hits = count(&root, "svg.bits .bit.probe.hit");
    assert!((1..=3).contains(&hits));
    assert_eq!(count(&root, "svg.bits .bit.probe.miss"), 0);
    // One row per checked position, each naming at least one inserted item.
    let rows = root.query_selector_all("#last-query tbody tr").unwrap();
    assert_eq!(rows.length(), 3);
    for i in 0..rows.length() {
        let row: Element = rows.item(i).unwrap().dyn_into().unwrap();
        let setters = row.query_selector(".setters").unwrap().unwrap();
        assert!(setters.text_content().unwrap().starts_with("item-"));
    }
    // A never-inserted item that hits a clear bit is certainly absent.
    press(&root, "#query-fresh").await;
    let outcome = attr(&root, "#last-query .query", "data-outcome");
    assert!(outcome == "true-negative" || outcome == "false-positive");
}

#[wasm_bindgen_test]
async fn the_counting_variant_shows_counters_and_removes() {
    let link = preset_link("bloom-filter", "counting-delete");
    let root = mount_bloom(Some(link), StartAt::Time(Time::from_millis(4_500))).await;
    assert_eq!(count(&root, "svg.bits.counting"), 1);
    assert!(count(&root, "svg.bits .count") > 0, "counters are written");
    assert_eq!(count(&root, "svg.bits .bit"), 128);
    press(&root, "#remove").await;
    let removed = count(&root, "svg.bits .bit.removed");
    assert!((1..=3).contains(&removed), "{removed}");
    assert!(text(&root, "#explain").contains("removed: counters at"));
    assert_eq!(count(&root, ".invariant.violated"), 0);
}

#[wasm_bindgen_test]
async fn the_sizing_calculator_answers_as_the_person_types() {
    let root = mount_bloom(None, StartAt::Paused).await;
    type_in(&root, "#size-n", "1000").await;
    type_in(&root, "#size-p", "1%").await;
    assert_eq!(text(&root, "#size-m"), "9586");
    assert_eq!(text(&root, "#size-k"), "7");
    assert_eq!(text(&root, "#size-bpi"), "9.59");
    type_in(&root, "#size-p", "0.001").await;
    assert_eq!(text(&root, "#size-k"), "10");
    type_in(&root, "#size-n", "many").await;
    assert!(text(&root, "#sizing-error").contains("many"));
    // Typing changes no scenario: the run is still at step 0.
    assert_eq!(count(&root, "svg.bits .bit.set"), 0);
}

#[wasm_bindgen_test]
async fn the_home_page_lists_both_topics() {
    let root = root();
    yew::Renderer::<Home>::with_root(root.clone()).render();
    yew::scheduler::flush().await;
    for slug in ["consistent-hashing", "bloom-filter"] {
        let card = find(&root, &format!("a.card[data-topic='{slug}']"));
        assert_eq!(
            card.get_attribute("href").as_deref(),
            Some(format!("#/{slug}").as_str())
        );
    }
}
