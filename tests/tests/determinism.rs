//! The same scenario gives a byte-identical trace natively and in wasm: both
//! builds compare the trace hashes of fixed runs with one pinned file, so if this
//! passes in both, the traces are equal. Re-pin after an intended change with
//! `DISTLAB_BLESS=1 cargo test -p distlab-tests --test determinism` (native).

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test;
#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

const PINNED: &str = include_str!("../golden/raft-trace-hashes.txt");

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn raft_traces_match_the_pinned_hashes() {
    let got = distlab_tests::golden_lines();
    #[cfg(not(target_arch = "wasm32"))]
    if std::env::var_os("DISTLAB_BLESS").is_some() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/golden/raft-trace-hashes.txt");
        std::fs::write(path, &got).expect("write the golden file");
        return;
    }
    assert_eq!(
        got, PINNED,
        "trace hashes differ from golden/raft-trace-hashes.txt"
    );
}

const PINNED_TOPICS: &str = include_str!("../golden/trace-hashes.txt");

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn every_topic_matches_its_pinned_hashes() {
    let got = distlab_tests::topic_golden_lines();
    #[cfg(not(target_arch = "wasm32"))]
    if std::env::var_os("DISTLAB_BLESS").is_some() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/golden/trace-hashes.txt");
        std::fs::write(path, &got).expect("write the golden file");
        return;
    }
    assert_eq!(
        got, PINNED_TOPICS,
        "trace hashes differ from golden/trace-hashes.txt"
    );
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn the_prng_stream_is_the_same_everywhere() {
    // The same values core's unit test pins natively.
    let mut rng = distlab_core::sim::rng::Rng::new(42);
    let first: Vec<u64> = (0..4).map(|_| rng.next_u64()).collect();
    assert_eq!(
        first,
        [
            1546998764402558742,
            6990951692964543102,
            12544586762248559009,
            17057574109182124193
        ]
    );
}

const PINNED_LINKS: &str = include_str!("../golden/links.txt");

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn old_share_links_replay_exactly() {
    let links: Vec<&str> = PINNED_LINKS
        .lines()
        .filter_map(|line| line.split(' ').next())
        .collect();
    assert!(links.len() >= 8, "the pinned links are missing");
    assert_eq!(distlab_tests::link_golden_lines(&links), PINNED_LINKS);
}
