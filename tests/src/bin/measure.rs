//! `measure`: the browser figures of the README, measured on the built site.
//!
//!     cargo run --release -p distlab-tests --bin measure -- [DIST]
//!
//! - the gzipped size of everything the browser downloads (every file in DIST);
//! - time to first render: navigation start to the first drawn cluster node, in
//!   headless Chromium (median of several cold loads, each with a fresh profile);
//! - frame times while Raft plays at 1x (requestAnimationFrame intervals).
//!
//! Headless Chromium without a GPU is slower than a desktop browser; the figures
//! are for comparing builds on this machine, not absolute promises.

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    native::main();
}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::io::Write;
    use std::path::PathBuf;
    use std::time::Duration;

    use distlab_tests::serve::serve;
    use distlab_tests::webdriver::Browser;

    fn gzipped(bytes: &[u8]) -> usize {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(bytes).expect("gzip in memory");
        encoder.finish().expect("gzip in memory").len()
    }

    pub fn main() {
        let dist = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "dist".into()));
        let mut files: Vec<_> = std::fs::read_dir(&dist)
            .unwrap_or_else(|e| {
                panic!(
                    "{}: {e} (build the site first: trunk build --release)",
                    dist.display()
                )
            })
            .flatten()
            .filter(|e| e.path().is_file())
            .collect();
        files.sort_by_key(|e| e.file_name());
        let (mut raw_total, mut gz_total) = (0, 0);
        println!("site size ({}):", dist.display());
        for entry in &files {
            let bytes = std::fs::read(entry.path()).expect("read a dist file");
            let gz = gzipped(&bytes);
            raw_total += bytes.len();
            gz_total += gz;
            println!(
                "  {:<48} {:>9} B  {:>8} B gzipped",
                entry.file_name().to_string_lossy(),
                bytes.len(),
                gz
            );
        }
        println!(
            "  total {:>52} B  {:>8} B gzipped ({:.1} KB)",
            raw_total,
            gz_total,
            gz_total as f64 / 1024.0
        );

        let port = serve(&dist).expect("serve the site");
        let mut first_render = Vec::new();
        for _ in 0..5 {
            let browser = Browser::start().expect("start headless chromium");
            browser
                .goto(&format!("http://127.0.0.1:{port}/#/raft"))
                .expect("open the raft page");
            // Polled from the page itself so the time is the page's own clock.
            let ms = browser
                .wait_for(
                    "if (!window.__firstNode) { if (document.querySelector('svg.cluster .node')) { window.__firstNode = performance.now(); } } return window.__firstNode || null;",
                    Duration::from_secs(30),
                )
                .expect("the page renders");
            first_render.push(ms.as_f64().unwrap_or(f64::NAN));
        }
        first_render.sort_by(f64::total_cmp);
        println!(
            "time to first render of #/raft (navigation start to first node, 5 cold loads): median {:.0} ms (min {:.0}, max {:.0})",
            first_render[2], first_render[0], first_render[4]
        );

        let browser = Browser::start().expect("start headless chromium");
        browser
            .goto(&format!("http://127.0.0.1:{port}/#/raft"))
            .expect("open");
        browser
            .wait_for(
                "return document.querySelectorAll('svg.cluster .node').length > 0",
                Duration::from_secs(30),
            )
            .expect("renders");
        browser
            .eval("var s = document.getElementById('speed'); s.value = '1'; s.dispatchEvent(new Event('change', {bubbles: true})); \
                   window.__frames = []; var last = performance.now(); \
                   function tick(t) { window.__frames.push(t - last); last = t; if (window.__frames.length < 600) requestAnimationFrame(tick); } \
                   requestAnimationFrame(tick); return true;", vec![])
            .expect("start the probe");
        std::thread::sleep(Duration::from_secs(12));
        let frames = browser
            .eval("return window.__frames", vec![])
            .expect("frames");
        let mut frames: Vec<f64> = frames
            .as_array()
            .map(|a| a.iter().filter_map(|v| v.as_f64()).skip(10).collect())
            .unwrap_or_default();
        frames.sort_by(f64::total_cmp);
        if frames.is_empty() {
            println!("frame times: no frames recorded");
            return;
        }
        let mean = frames.iter().sum::<f64>() / frames.len() as f64;
        let p95 = frames[(frames.len() * 95 / 100).min(frames.len() - 1)];
        let steps = browser
            .eval("return window.distlab.state().steps", vec![])
            .unwrap_or_default();
        println!(
            "frame times while Raft plays at 1x ({} frames): mean {:.1} ms ({:.0} fps), p95 {:.1} ms, max {:.1} ms; {} simulator steps shown",
            frames.len(),
            mean,
            1000.0 / mean,
            p95,
            frames[frames.len() - 1],
            steps
        );
    }
}
