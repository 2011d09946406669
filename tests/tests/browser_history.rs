//! Browser tests of the client history on the Raft page: clients run, the
//! history under the timeline stays linearizable in a correct run, a stale read
//! is drawn and explained when the bug is on, and the history downloads.
#![cfg(target_arch = "wasm32")]

mod support;

use distlab_core::sim::time::Time;
use distlab_web::hooks::StartAt;
use support::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// The share link of the stale-read preset, with the bug on or off.
fn stale_read_link(bug: bool) -> String {
    let topic = distlab_core::catalog::find("raft").unwrap();
    let mut scenario = topic.preset_scenario(topic.preset("stale-read-unsafe").unwrap());
    if !bug {
        scenario.bug = None;
    }
    scenario.encode()
}

#[wasm_bindgen_test]
async fn a_correct_run_with_clients_draws_a_linearizable_history() {
    let root = mount("raft", None, StartAt::Time(Time::from_millis(6_000))).await;
    sleep(50).await;
    assert!(
        count(&root, "svg.cluster .node") >= 8,
        "five servers and three clients"
    );
    assert!(
        count(&root, "#history .operation") > 0,
        "the clients' operations are drawn"
    );
    assert_eq!(count(&root, "#history .history-lanes .lane"), 3);
    let verdict = text(&root, "#history .verdict");
    assert!(verdict.starts_with("Linearizable"), "{verdict}");
    assert!(
        count(&root, "#history .operation .point") > 0,
        "linearization points"
    );
    assert_eq!(
        attr(&root, ".invariant[data-invariant='linearizable']", "class"),
        "invariant holds"
    );
    root.remove();
}

#[wasm_bindgen_test]
async fn a_stale_read_is_drawn_and_explained() {
    let root = mount(
        "raft",
        Some(stale_read_link(true)),
        StartAt::Time(Time::from_millis(2_000)),
    )
    .await;
    sleep(50).await;
    let verdict = text(&root, "#history .verdict.bad");
    assert!(verdict.starts_with("Not linearizable"), "{verdict}");
    assert!(verdict.contains("get"), "names the read: {verdict}");
    assert!(count(&root, "#history .operation.bad") >= 1);
    assert_eq!(
        attr(&root, ".invariant[data-invariant='linearizable']", "class"),
        "invariant violated"
    );
    root.remove();

    // The same story with the bug off stays linearizable.
    let root = mount(
        "raft",
        Some(stale_read_link(false)),
        StartAt::Time(Time::from_millis(2_000)),
    )
    .await;
    sleep(50).await;
    let verdict = text(&root, "#history .verdict");
    assert!(verdict.starts_with("Linearizable"), "{verdict}");
    root.remove();
}

#[wasm_bindgen_test]
async fn the_history_downloads_from_the_export_menu() {
    let root = mount(
        "raft",
        Some(stale_read_link(true)),
        StartAt::Time(Time::from_millis(2_000)),
    )
    .await;
    press(&root, "#files summary").await;
    press(&root, "#export-history").await;
    assert_eq!(count(&root, "#notice"), 0);
    root.remove();
    // A topic without clients offers no history.
    let root = mount("bloom-filter", None, StartAt::Paused).await;
    assert_eq!(count(&root, "#export-history"), 0);
    root.remove();
}

#[wasm_bindgen_test]
async fn a_violation_keeps_its_causal_past_on_the_timeline_and_fades_the_rest() {
    let root = mount(
        "raft",
        Some(stale_read_link(true)),
        StartAt::Time(Time::from_millis(1_300)),
    )
    .await;
    sleep(50).await;
    assert_eq!(count(&root, "svg.timeline.causal-view"), 1);
    let causal = count(&root, "svg.timeline .arrow.causal");
    let all = count(&root, "svg.timeline .arrow");
    assert!(causal > 0 && causal < all, "{causal} of {all} arrows");
    assert!(count(&root, "svg.timeline .mark.violation.causal") >= 1);
    root.remove();
    // Without a violation in the window nothing fades.
    let root = mount(
        "raft",
        Some(stale_read_link(false)),
        StartAt::Time(Time::from_millis(1_300)),
    )
    .await;
    sleep(50).await;
    assert_eq!(count(&root, "svg.timeline.causal-view"), 0);
    root.remove();
}
