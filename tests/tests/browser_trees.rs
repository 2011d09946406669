//! Browser tests (wasm-bindgen-test, headless Chromium) of the Merkle tree, skip list
//! and time-series pages: mount the real page, do what a person does (pick, type,
//! click), and check the drawing changed accordingly.
#![cfg(target_arch = "wasm32")]

use distlab_core::lab::scenario::Scenario;
use distlab_core::sim::time::Time;
use distlab_web::hooks::StartAt;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::Element;

wasm_bindgen_test_configure!(run_in_browser);

mod support;
use support::*;

async fn mount_merkle(link: Option<String>, start: StartAt) -> Element {
    mount("merkle-tree", link, start).await
}

async fn mount_skip_list(link: Option<String>, start: StartAt) -> Element {
    mount("skip-list", link, start).await
}

async fn mount_time_series(link: Option<String>, start: StartAt) -> Element {
    mount("time-series", link, start).await
}

/// A number at the start of an element's text, e.g. `7` in "7 steps".
fn leading_number(text: &str) -> f64 {
    let digits: String = text
        .trim()
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("no number in {text:?}"))
}

const PRIMARY: &str = "svg[data-tree='primary']";
const REPLICA: &str = "svg[data-tree='replica']";

#[wasm_bindgen_test]
async fn merkle_inclusion_proof_is_drawn_and_verified() {
    // The default scenario: 13 leaves, paused before its first planned operation.
    let root = mount_merkle(None, StartAt::Paused).await;
    assert_eq!(
        count(&root, &format!("{PRIMARY} .hnode")),
        25,
        "2n - 1 nodes"
    );
    assert_eq!(count(&root, &format!("{PRIMARY} .hnode.leaf")), 13);
    assert_eq!(count(&root, &format!("{PRIMARY} .hnode.proof")), 0);
    // Every node's full hash is in its hover title.
    let title = text(&root, &format!("{PRIMARY} .hnode title"));
    assert!(title.contains("SHA-256"), "{title}");

    choose(&root, "#merkle-leaf", "3").await;
    press(&root, "#merkle-prove").await;
    // Leaf 3 of 13 sits 4 levels down the perfect left subtree: 4 sibling hashes,
    // a path of 5 nodes.
    assert_eq!(count(&root, &format!("{PRIMARY} .hnode.proof")), 4);
    assert_eq!(count(&root, &format!("{PRIMARY} .hnode.path")), 5);
    assert_eq!(count(&root, &format!("{PRIMARY} .hedge.path")), 4);
    let proof = text(&root, "#inclusion-proof");
    assert!(proof.contains("leaf 3"), "{proof}");
    assert!(proof.contains("verified ✓"), "{proof}");
    assert_eq!(count(&root, "#inclusion-proof .proof-hashes li"), 4);

    // Editing the leaf re-hashes exactly its path; the replica now differs there.
    press(&root, "#merkle-edit").await;
    assert_eq!(count(&root, &format!("{PRIMARY} .hnode.rehashed")), 5);
    assert_eq!(count(&root, &format!("{PRIMARY} .hnode.proof")), 0);
    assert_eq!(count(&root, &format!("{REPLICA} .hnode.changed")), 1);
    assert!(text(&root, ".merkle-replica h3").contains("differs"));
}

#[wasm_bindgen_test]
async fn merkle_replicas_are_compared_top_down_and_repaired() {
    let root = mount_merkle(None, StartAt::Paused).await;
    choose(&root, "#merkle-leaf", "9").await;
    press(&root, "#merkle-diverge").await;
    assert_eq!(count(&root, &format!("{REPLICA} .hnode.changed")), 1);
    assert!(count(&root, &format!("{REPLICA} .hnode.rehashed")) >= 2);

    press(&root, "#merkle-compare").await;
    let comparison = text(&root, "#comparison");
    assert!(
        comparison.contains("hashes compared vs 13 for a full scan"),
        "{comparison}"
    );
    let compared = leading_number(&text(&root, "#hashes-compared")) as u32;
    assert!(compared < 13, "the walk skips equal subtrees: {compared}");
    // Both trees mark the same visited nodes; the differing ones lead to leaf 9.
    assert_eq!(count(&root, &format!("{PRIMARY} .hnode.visit")), compared);
    assert_eq!(count(&root, &format!("{REPLICA} .hnode.visit")), compared);
    assert!(count(&root, &format!("{PRIMARY} .hnode.visit.differ")) >= 2);
    assert!(count(&root, &format!("{PRIMARY} .hnode.visit.same")) >= 1);
    assert!(
        comparison.contains("Differing leaves found: 9"),
        "{comparison}"
    );

    press(&root, "#merkle-repair").await;
    assert!(text(&root, "#repaired").contains("leaves 9 copied"));
    assert_eq!(count(&root, &format!("{REPLICA} .hnode.changed")), 0);
    assert!(text(&root, ".merkle-replica h3").contains("same root"));
}

#[wasm_bindgen_test]
async fn merkle_consistency_proof_and_append() {
    let root = mount_merkle(None, StartAt::Paused).await;
    press(&root, "#merkle-append").await;
    assert_eq!(count(&root, &format!("{PRIMARY} .hnode.leaf")), 14);
    assert_eq!(count(&root, &format!("{PRIMARY} .hnode")), 27);
    assert!(count(&root, &format!("{PRIMARY} .hnode.rehashed")) >= 2);

    choose(&root, "#merkle-old-size", "5").await;
    press(&root, "#merkle-consistency").await;
    let proof = text(&root, "#consistency-proof");
    assert!(proof.contains("from 5 to 14"), "{proof}");
    assert!(proof.contains("verified ✓"), "{proof}");
    assert!(count(&root, &format!("{PRIMARY} .hnode.consistency")) >= 2);
    assert_eq!(count(&root, &format!("{PRIMARY} .old-size")), 1);
}

#[wasm_bindgen_test]
async fn merkle_anti_entropy_story_shows_a_compact_tree_at_a_time() {
    // 32 leaves are drawn as dots; at 1.8 s the story has compared the replicas.
    let link = preset_link("merkle-tree", "anti-entropy");
    let root = mount_merkle(Some(link), StartAt::Time(Time::from_millis(1_800))).await;
    assert_eq!(count(&root, &format!("{PRIMARY} .hnode")), 63);
    assert_eq!(count(&root, &format!("{PRIMARY} .hnode circle")), 63);
    assert!(text(&root, "#comparison").contains("for a full scan"));
    assert!(count(&root, &format!("{REPLICA} .hnode.visit.differ")) > 0);
}

fn skip_link(keys: i64, max: i64) -> String {
    let mut scenario = Scenario::new("skip-list", 2);
    scenario.set_param("keys", keys);
    scenario.set_param("max", max);
    scenario.encode()
}

#[wasm_bindgen_test]
async fn skip_list_search_draws_its_path_and_counts_its_steps() {
    let root = mount_skip_list(Some(skip_link(24, 99)), StartAt::Paused).await;
    assert_eq!(
        count(&root, ".snode[data-level='0']"),
        25,
        "head and 24 keys"
    );
    // Towers: every key's boxes share one column.
    let keys = root
        .query_selector_all(".snode[data-level='0'][data-key]")
        .unwrap();
    assert_eq!(keys.length(), 24);
    let key = keys
        .item(17)
        .unwrap()
        .unchecked_into::<Element>()
        .get_attribute("data-key")
        .unwrap();
    type_in(&root, "#skip-key", &key).await;
    press(&root, "#skip-search").await;
    let steps = leading_number(&text(&root, "#search-steps")) as u32;
    assert!(steps >= 2, "{steps}");
    assert_eq!(count(&root, ".path-step"), steps, "one drawn move per step");
    assert!(count(&root, ".path-step.down") >= 1);
    assert!(text(&root, "#last-op").contains("found"));
    assert_eq!(count(&root, ".snode.end"), 1);
    assert_eq!(
        find(&root, ".snode.end")
            .get_attribute("data-key")
            .as_deref(),
        Some(key.as_str())
    );

    // Removing it takes it out of every lane.
    press(&root, "#skip-remove").await;
    assert_eq!(count(&root, &format!(".snode[data-key='{key}']")), 0);
    assert!(text(&root, "#explain").contains(&format!("{key} removed")));
}

#[wasm_bindgen_test]
async fn skip_list_insert_shows_coin_flips_and_highlights_the_tower() {
    let root = mount_skip_list(Some(skip_link(5, 1000)), StartAt::Paused).await;
    press(&root, "#skip-insert-random").await;
    let height = text(&root, "#insert-height");
    assert!(height.starts_with("height "), "{height}");
    let height: u32 = height["height ".len()..].trim().parse().unwrap();
    // Flips: height - 1 heads and one tails (fewer only at the height cap).
    assert_eq!(count(&root, "#coin-flips .coin.heads"), height - 1);
    assert_eq!(count(&root, "#coin-flips .coin.tails"), 1);
    assert_eq!(count(&root, ".snode.highlighted"), height);
    assert_eq!(count(&root, ".snode[data-level='0']"), 7);

    // A batch grows the list past what is drawn; the cost chart gets its points.
    type_in(&root, "#skip-batch-count", "200").await;
    press(&root, "#skip-batch").await;
    assert!(text(&root, ".skip-lanes-panel h3").contains("206 keys"));
    assert!(text(&root, ".skip-lanes-panel h3").contains("showing"));
    assert!(count(&root, ".lane-gap") > 0);
    assert_eq!(count(&root, ".skip-cost .series path"), 3);
    assert!(count(&root, ".snode.fresh") > 0);
}

#[wasm_bindgen_test]
async fn skip_list_story_at_a_time_shows_the_search() {
    let link = preset_link("skip-list", "search-path");
    let root = mount_skip_list(Some(link), StartAt::Time(Time::from_millis(1_500))).await;
    assert!(count(&root, ".path-step") > 0);
    assert!(text(&root, "#search-steps").contains("steps"));
}

#[wasm_bindgen_test]
async fn time_series_append_shows_bits_and_bytes_per_point() {
    let root = mount_time_series(None, StartAt::Paused).await;
    assert_eq!(count(&root, ".bit-row"), 0);
    press(&root, "#ts-append").await;
    assert_eq!(
        count(&root, ".bit-row"),
        8,
        "the first 8 points, field by field"
    );
    assert!(text(&root, ".bit-row[data-point='0'] .point-total").contains("128 bits"));
    assert!(count(&root, ".bit-field") >= 8 * 2);
    assert!(
        count(&root, ".bit-field title") >= 8 * 2,
        "meaning on hover"
    );
    let bytes = leading_number(&text(&root, "#bytes-per-point"));
    assert!(bytes > 0.0 && bytes < 16.0, "{bytes}");
    assert_eq!(count(&root, ".ts-bytes .series path"), 2);
    assert_eq!(count(&root, "table.blocks tbody tr"), 1);
}

#[wasm_bindgen_test]
async fn time_series_query_downsample_and_retention() {
    let root = mount_time_series(None, StartAt::Paused).await;
    // 1200 points every 10 s: 12 000 s, four one-hour blocks.
    type_in(&root, "#ts-count", "1200").await;
    press(&root, "#ts-append").await;
    assert_eq!(count(&root, "table.blocks tbody tr"), 4);

    choose(&root, "#ts-range", "0").await; // the last 10 minutes
    press(&root, "#ts-query").await;
    assert_eq!(count(&root, "table.blocks tr.decoded"), 1);
    assert_eq!(count(&root, "table.blocks tr.skipped"), 3);
    assert!(text(&root, "#query-result").contains("decoded 1 of 4"));

    choose(&root, "#ts-resolution", "3").await; // 1 h
    press(&root, "#ts-downsample").await;
    assert!(text(&root, "#downsample-result").contains("4 bucket(s) of 1 h"));
    assert_eq!(count(&root, "table.buckets tbody tr"), 4);
    assert_eq!(count(&root, ".ts-downsample .series path"), 3);

    choose(&root, "#ts-horizon", "1").await; // keep 1 h
    press(&root, "#ts-retention").await;
    assert!(count(&root, "table.blocks tr.dropped") >= 1);
    assert!(text(&root, "#retention-result").contains("dropped"));
}

#[wasm_bindgen_test]
async fn time_series_range_query_story_at_a_time() {
    let link = preset_link("time-series", "range-query");
    let root = mount_time_series(Some(link), StartAt::Time(Time::from_millis(5_400))).await;
    assert_eq!(count(&root, "table.blocks tr.decoded"), 1);
    assert_eq!(count(&root, "table.blocks tr.skipped"), 7);
}
