//! What each route of the built site downloads, and its budget.
//!
//! `distlab-site` writes `manifest.json` beside the site: the files every route
//! loads (the page, the stylesheet, the icon) and each topic's bundle. A route's
//! size is the gzipped size of everything it downloads; sizes are deterministic
//! for a given toolchain, so a test can hold them to their budgets.

use std::io::Write;
use std::path::Path;

use serde_json::Value;

/// Everything the home page downloads, gzipped.
pub const HOME_BUDGET: usize = 80 * 1024;
/// Everything a topic page (or its embed) downloads, gzipped.
pub const TOPIC_BUDGET: usize = 200 * 1024;

/// One route and what it downloads.
#[derive(Clone, Debug)]
pub struct Route {
    /// `#/` for the home page, `#/slug` for a topic.
    pub path: String,
    /// The topic's slug, for topic routes.
    pub topic: Option<String>,
    /// File name, bytes, gzipped bytes.
    pub files: Vec<(String, usize, usize)>,
    pub budget: usize,
}

impl Route {
    pub fn gzipped(&self) -> usize {
        self.files.iter().map(|f| f.2).sum()
    }

    pub fn bytes(&self) -> usize {
        self.files.iter().map(|f| f.1).sum()
    }
}

/// The gzipped size of `bytes` at the best compression.
pub fn gzipped(bytes: &[u8]) -> usize {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).expect("gzip in memory");
    encoder.finish().expect("gzip in memory").len()
}

fn sized(dist: &Path, name: &str) -> Result<(String, usize, usize), String> {
    let bytes = std::fs::read(dist.join(name)).map_err(|e| format!("{name}: {e}"))?;
    Ok((name.to_string(), bytes.len(), gzipped(&bytes)))
}

/// The site's routes, home first, from `dist/manifest.json`.
pub fn routes(dist: &Path) -> Result<Vec<Route>, String> {
    let text = std::fs::read_to_string(dist.join("manifest.json")).map_err(|e| {
        format!(
            "{}/manifest.json: {e} (build the site: scripts/build)",
            dist.display()
        )
    })?;
    let manifest: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let shared: Vec<(String, usize, usize)> = manifest["shared"]
        .as_array()
        .ok_or("manifest.json has no shared files")?
        .iter()
        .filter_map(Value::as_str)
        .map(|name| sized(dist, name))
        .collect::<Result<_, _>>()?;
    let mut home = shared.clone();
    for name in manifest["home"].as_array().into_iter().flatten() {
        home.push(sized(dist, name.as_str().ok_or("a home file name")?)?);
    }
    let mut routes = vec![Route {
        path: "#/".into(),
        topic: None,
        files: home,
        budget: HOME_BUDGET,
    }];
    let bundles = manifest["bundles"]
        .as_object()
        .ok_or("manifest.json has no bundles")?;
    for (slug, bundle) in bundles {
        let mut files = shared.clone();
        for key in ["css", "js", "wasm"] {
            let name = bundle[key]
                .as_str()
                .ok_or_else(|| format!("{slug} has no {key} file"))?;
            files.push(sized(dist, name)?);
        }
        routes.push(Route {
            path: format!("#/{slug}"),
            topic: Some(slug.clone()),
            files,
            budget: TOPIC_BUDGET,
        });
    }
    Ok(routes)
}

/// The routes as a table: path, bytes, gzipped, budget, and whether it is over.
pub fn table(routes: &[Route]) -> String {
    let mut out = format!(
        "{:<24} {:>10} {:>12} {:>10} {:>10}\n",
        "route", "bytes", "gzipped", "(bytes)", "budget"
    );
    for route in routes {
        let over = if route.gzipped() > route.budget {
            "  OVER"
        } else {
            ""
        };
        out.push_str(&format!(
            "{:<24} {:>10} {:>9.1} KB {:>10} {:>7} KB{over}\n",
            route.path,
            route.bytes(),
            route.gzipped() as f64 / 1024.0,
            route.gzipped(),
            route.budget / 1024
        ));
    }
    out
}
