//! The built site: every catalog topic has a bundle and a route to it, asset names
//! carry content hashes, URLs are relative, and every route stays within its
//! download budget (sizes are deterministic, so a topic that grows too large is
//! caught when it lands).
#![cfg(not(target_arch = "wasm32"))]

use std::path::PathBuf;

use distlab_core::catalog;
use distlab_tests::site::{routes, table};

/// The site `scripts/test` built (`DISTLAB_DIST`), or `dist/` if it exists.
fn dist() -> Option<PathBuf> {
    let dist = std::env::var_os("DISTLAB_DIST")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../dist")));
    if dist.join("manifest.json").exists() {
        Some(dist)
    } else {
        eprintln!(
            "no built site at {} (scripts/build); skipped",
            dist.display()
        );
        None
    }
}

#[test]
fn every_topic_has_a_bundle_and_a_route() {
    let Some(dist) = dist() else { return };
    let routes = routes(&dist).expect("the manifest reads");
    let index = std::fs::read_to_string(dist.join("index.html")).expect("index.html");
    let home = &routes[0]
        .files
        .iter()
        .find(|(name, ..)| name.starts_with("home-") && name.ends_with(".html"))
        .expect("the home page's file")
        .0;
    let home = std::fs::read_to_string(dist.join(home)).expect("the home page");
    for topic in catalog::topics() {
        let route = routes
            .iter()
            .find(|r| r.topic.as_deref() == Some(topic.slug))
            .unwrap_or_else(|| panic!("{} has no bundle", topic.slug));
        for (name, bytes, _) in &route.files {
            assert!(*bytes > 0, "{name} is empty");
        }
        // The home page links to it, and the loader knows its bundle.
        assert!(
            home.contains(&format!("href=\"#/{}\"", topic.slug)),
            "{}",
            topic.slug
        );
        assert!(
            index.contains(&format!("\"{}\":[\"", topic.slug)),
            "{}",
            topic.slug
        );
    }
    assert_eq!(routes.len(), catalog::topics().len() + 1);
}

#[test]
fn asset_names_carry_content_hashes_and_urls_are_relative() {
    let Some(dist) = dist() else { return };
    for entry in std::fs::read_dir(&dist).expect("dist").flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if name == "index.html" || name == "manifest.json" {
            continue;
        }
        let stem = name.split('.').next().unwrap_or("");
        let hash = stem
            .trim_end_matches("_bg")
            .rsplit('-')
            .next()
            .unwrap_or("");
        assert!(
            hash.len() == 8 && hash.bytes().all(|b| b.is_ascii_hexdigit()),
            "{name} has no content hash"
        );
    }
    let index = std::fs::read_to_string(dist.join("index.html")).expect("index.html");
    for attribute in ["href=\"/", "src=\"/", "import(\"/"] {
        assert!(!index.contains(attribute), "an absolute URL: {attribute}");
    }
}

#[test]
fn every_route_is_within_its_budget() {
    let Some(dist) = dist() else { return };
    let routes = routes(&dist).expect("the manifest reads");
    let over: Vec<_> = routes.iter().filter(|r| r.gzipped() > r.budget).collect();
    assert!(over.is_empty(), "routes over budget:\n{}", table(&routes));
}

#[test]
fn every_topic_has_a_worker_bundle_fetched_only_on_demand() {
    let Some(dist) = dist() else { return };
    let text = std::fs::read_to_string(dist.join("manifest.json")).expect("manifest.json");
    let manifest: serde_json::Value = serde_json::from_str(&text).expect("the manifest reads");
    let on_demand: Vec<&str> = manifest["on_demand"]
        .as_array()
        .expect("on_demand files")
        .iter()
        .filter_map(|name| name.as_str())
        .collect();
    let routes = routes(&dist).expect("the manifest reads");
    for topic in catalog::topics() {
        let worker = &manifest["bundles"][topic.slug]["worker"];
        for key in ["js", "wasm"] {
            let name = worker[key].as_str().expect("a worker file");
            assert!(
                name.starts_with(&format!("{}-worker-", topic.slug)),
                "{name}"
            );
            assert!(dist.join(name).is_file(), "{name} is missing");
            assert!(on_demand.contains(&name), "{name} is not on demand");
            assert!(
                routes
                    .iter()
                    .all(|r| r.files.iter().all(|(file, ..)| file != name)),
                "a route downloads {name} on load"
            );
        }
    }
}
