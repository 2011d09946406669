//! `measure`: the browser figures of the README, measured on the built site.
//!
//!     cargo run --release -p distlab-tests --bin measure -- [DIST] [gossip | first-render]
//!
//! - what each route downloads, gzipped, against its budget;
//! - time to first render of a topic page: navigation start to the first frame
//!   after `#/raft`'s lab is in the document (the page's `distlab-first-render`
//!   mark), in headless Chromium (median of 5 cold loads, each with a fresh
//!   profile);
//! - seek time in a 10-minute run of Raft with 7 servers and heavy faults (the
//!   page's own clock around `window.distlab.seek`);
//! - that run played as fast as possible up to 10 minutes of virtual time: frame
//!   times (requestAnimationFrame intervals) and the WebAssembly memory at the end;
//! - the simulator benchmark workload in the page against the same workload
//!   natively, in this process: events per second and their ratio;
//! - with `gossip`, only the route table and gossip's frame times at 1,000 and
//!   10,000 nodes, playing at the page's own speed, and at 10,000 again with
//!   the page's main thread throttled 2× (DevTools' CPU throttling), for a
//!   figure of headroom that a faster machine does not hide;
//! - with `first-render`, only the route table and the time to first render,
//!   with when the document was parsed and the route's files arrived.
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
    use std::path::PathBuf;
    use std::time::{Duration, Instant};

    use distlab_core::lab::bench::run_seed;
    use distlab_core::lab::scenario::Scenario;
    use distlab_core::sim::faults::FaultLevel;
    use distlab_tests::serve::serve;
    use distlab_tests::site::{routes, table};
    use distlab_tests::webdriver::Browser;
    use serde_json::Value;

    /// Seeds of the benchmark workload, natively and in the page.
    const BENCH_SEEDS: u64 = 12;
    /// Ten minutes of virtual time, in milliseconds.
    const TEN_MINUTES: u64 = 600_000;

    fn median(values: &mut [f64]) -> f64 {
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    }

    fn percentile(values: &mut [f64], p: usize) -> f64 {
        values.sort_by(f64::total_cmp);
        values[(values.len() * p / 100).min(values.len() - 1)]
    }

    /// The long run: Raft, 7 servers, heavy faults.
    fn long_run_link() -> String {
        let mut scenario = Scenario::new("raft", 1);
        scenario.set_param("nodes", 7);
        scenario.faults = FaultLevel::Heavy;
        scenario.encode()
    }

    /// Gossip's push preset at 1,000 and 10,000 nodes, played at the page's
    /// own speed for 10 s of wall time: frame times, and how far virtual time
    /// got (behind the wall clock when frames are slow).
    fn gossip_frames(base: &str) {
        let topic = &distlab_core::topics::gossip::INFO;
        let preset = topic.preset("push-1000").expect("gossip's push preset");
        // Unthrottled, then with the page's main thread slowed down (as on a
        // machine that many times slower), which shows the headroom a frame has.
        for (nodes, slowdown) in [(1_000, 1), (10_000, 1), (10_000, 2)] {
            let mut scenario = topic.preset_scenario(preset);
            scenario.set_param("nodes", nodes);
            let browser = Browser::start().expect("start headless chromium");
            browser
                .goto(&format!("{base}#/gossip?s={}", scenario.encode()))
                .expect("open gossip");
            browser
                .wait_for(
                    &format!("var c = document.querySelector('canvas.cluster'); return (c && c.getAttribute('data-nodes') === '{nodes}') || document.querySelectorAll('svg.cluster .node').length === {nodes} ? true : null"),
                    Duration::from_secs(120),
                )
                .expect("the cluster is drawn");
            let throttled = if slowdown > 1 {
                browser
                    .devtools(
                        "Emulation.setCPUThrottlingRate",
                        serde_json::json!({ "rate": slowdown }),
                    )
                    .expect("throttle the page");
                format!(", main thread throttled {slowdown}x")
            } else {
                String::new()
            };
            eval(
                &browser,
                "if (!window.distlab.state().playing) { window.distlab.play(); } \
                 window.__frames = []; var start = performance.now(), last = start; \
                 function tick(t) { window.__frames.push(t - last); last = t; if (t - start < 10000) requestAnimationFrame(tick); } \
                 requestAnimationFrame(tick); return true;",
            );
            std::thread::sleep(Duration::from_secs(11));
            let reached = eval(&browser, "return window.distlab.state().time_us")
                .as_f64()
                .unwrap_or(f64::NAN);
            let mut frames = recorded_frames(&browser, 2);
            if frames.is_empty() {
                println!("gossip, {nodes} nodes{throttled}: no frames recorded");
                continue;
            }
            let mean = frames.iter().sum::<f64>() / frames.len() as f64;
            println!(
                "gossip, {nodes} nodes, push preset{throttled}, playing 10 s of wall time at the page's speed: {} frames, mean {mean:.1} ms, p95 {:.1} ms, max {:.1} ms; virtual time reached {:.2} s",
                frames.len(),
                percentile(&mut frames, 95),
                frames.iter().copied().fold(0.0, f64::max),
                reached / 1e6
            );
        }
    }

    /// The frame intervals the page's `window.__frames` recorder collected,
    /// in ms, without the first `skip` (the page still settling).
    fn recorded_frames(browser: &Browser, skip: usize) -> Vec<f64> {
        eval(browser, "return window.__frames")
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_f64).skip(skip).collect())
            .unwrap_or_default()
    }

    fn eval(browser: &Browser, script: &str) -> Value {
        browser.eval(script, vec![]).expect("the page answers")
    }

    pub fn main() {
        let dist = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "dist".into()));
        let routes = routes(&dist).unwrap_or_else(|e| panic!("{e}"));
        println!("what each route downloads ({}):", dist.display());
        print!("{}", table(&routes));
        let port = serve(&dist).expect("serve the site");
        let base = format!("http://127.0.0.1:{port}/");

        let mode = std::env::args().nth(2);
        if mode.as_deref() == Some("gossip") {
            gossip_frames(&base);
            return;
        }

        let mut first_render = Vec::new();
        let mut breakdown: [Vec<f64>; 3] = Default::default();
        for _ in 0..5 {
            let browser = Browser::start().expect("start headless chromium");
            browser
                .goto(&format!("{base}#/raft"))
                .expect("open the raft page");
            // The page marks the first frame after its lab is in the document, on
            // its own clock (navigation start is 0).
            let ms = browser
                .wait_for(
                    "var m = performance.getEntriesByName('distlab-first-render')[0]; return m && document.querySelector('svg.cluster .node') ? m.startTime : null;",
                    Duration::from_secs(30),
                )
                .expect("the page renders");
            first_render.push(ms.as_f64().unwrap_or(f64::NAN));
            // Where the time went: the route's files arriving, and the document.
            let timings = eval(
                &browser,
                "var end = (suffix) => Math.max(0, ...performance.getEntriesByType('resource').filter(e => e.name.endsWith(suffix)).map(e => e.responseEnd)); \
                 var n = performance.getEntriesByType('navigation')[0]; \
                 return [n.domContentLoadedEventEnd, end('.js'), end('.wasm')];",
            );
            for (i, value) in timings.as_array().into_iter().flatten().enumerate() {
                if let Some(list) = breakdown.get_mut(i) {
                    list.push(value.as_f64().unwrap_or(f64::NAN));
                }
            }
        }
        let (min, max) = (
            first_render.iter().copied().fold(f64::INFINITY, f64::min),
            first_render.iter().copied().fold(0.0, f64::max),
        );
        println!(
            "time to first render of #/raft (navigation start to the first frame with the lab, 5 cold loads): median {:.0} ms (min {min:.0}, max {max:.0})",
            median(&mut first_render)
        );
        let [parsed, script, wasm] = &mut breakdown;
        println!(
            "  of which (medians): document parsed {:.0} ms, page script arrived {:.0} ms, WebAssembly arrived {:.0} ms",
            median(parsed),
            median(script),
            median(wasm)
        );
        if mode.as_deref() == Some("first-render") {
            return;
        }

        // Seeks in a 10-minute run: open it paused at its end, then jump around.
        let link = long_run_link();
        let browser = Browser::start().expect("start headless chromium");
        browser
            .goto(&format!("{base}#/raft?s={link}&t={TEN_MINUTES}"))
            .expect("open the long run");
        browser
            .wait_for(
                &format!("var s = window.distlab && window.distlab.state(); return s && s.time_us >= {} ? true : null;", TEN_MINUTES * 1000),
                Duration::from_secs(120),
            )
            .expect("the long run reaches 10 minutes");
        let mut seeks = Vec::new();
        for ms in [
            590_000, 300_000, 45_000, 599_000, 120_000, 450_000, 5_000, 600_000, 222_222, 333_333,
        ] {
            let took = eval(&browser, &format!("return window.distlab.seek({ms})"));
            seeks.push(took.as_f64().unwrap_or(f64::NAN));
        }
        println!(
            "seek in a 10-minute run of Raft, 7 servers, heavy faults ({} seeks to instants across the run): median {:.1} ms, max {:.1} ms",
            seeks.len(),
            median(&mut seeks.clone()),
            seeks.iter().copied().fold(0.0, f64::max)
        );

        // Playing that run as fast as possible to 10 minutes: frames and memory.
        let browser = Browser::start().expect("start headless chromium");
        browser
            .goto(&format!("{base}#/raft?s={link}"))
            .expect("open the long run");
        browser
            .wait_for(
                "return document.querySelectorAll('svg.cluster .node:not(.client)').length === 7 ? true : null",
                Duration::from_secs(30),
            )
            .expect("renders");
        eval(
            &browser,
            "var s = document.getElementById('speed'); s.value = 'max'; s.dispatchEvent(new Event('change', {bubbles: true})); \
             if (!window.distlab.state().playing) { window.distlab.play(); } \
             window.__frames = []; var last = performance.now(); \
             function tick(t) { window.__frames.push(t - last); last = t; if (window.distlab.state().time_us < 600000000) requestAnimationFrame(tick); } \
             requestAnimationFrame(tick); return true;",
        );
        let started = Instant::now();
        browser
            .wait_for(
                "return window.distlab.state().time_us >= 600000000 ? true : null",
                Duration::from_secs(300),
            )
            .expect("the run reaches 10 minutes");
        let wall = started.elapsed().as_secs_f64();
        let memory = eval(&browser, "return window.distlab.memory()")
            .as_f64()
            .unwrap_or(f64::NAN);
        let mut frames = recorded_frames(&browser, 5);
        if frames.is_empty() {
            println!("frame times: no frames recorded");
        } else {
            let mean = frames.iter().sum::<f64>() / frames.len() as f64;
            println!(
                "Raft, 7 servers, heavy faults, as fast as possible to 10 min of virtual time in {wall:.1} s: {} frames, mean {mean:.1} ms, p95 {:.1} ms; WebAssembly memory at the end {:.1} MB",
                frames.len(),
                percentile(&mut frames, 95),
                memory / (1024.0 * 1024.0)
            );
        }

        // The simulator benchmark workload: in the page, then natively.
        let bench = eval(
            &browser,
            &format!("return window.distlab.bench({BENCH_SEEDS})"),
        );
        let wasm_steps = bench["steps"].as_f64().unwrap_or(f64::NAN);
        let wasm_ms = bench["ms"].as_f64().unwrap_or(f64::NAN);
        let topic = &distlab_core::topics::raft::INFO;
        let started = Instant::now();
        let mut native_steps = 0;
        for seed in 0..BENCH_SEEDS {
            native_steps += run_seed(topic, seed, false, false).expect("raft builds");
        }
        let native_ms = started.elapsed().as_secs_f64() * 1000.0;
        let wasm_rate = wasm_steps / wasm_ms * 1000.0;
        let native_rate = native_steps as f64 / native_ms * 1000.0;
        println!(
            "simulator, Raft, 5 servers, heavy faults, trace and checker off, {BENCH_SEEDS} seeds of 60 s: wasm {:.2} M events/s, native {:.2} M events/s, wasm/native {:.2}",
            wasm_rate / 1e6,
            native_rate / 1e6,
            wasm_rate / native_rate
        );
        assert_eq!(wasm_steps as u64, native_steps, "the same workload in both");
    }
}
