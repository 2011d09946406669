//! End to end: build the release site, serve it on 127.0.0.1 (at the root and under
//! a sub-path), and drive headless Chromium through chromedriver as a person would:
//! open #/raft, let it play, crash the leader, see a new leader elected, with no
//! errors in the console; open the home page from a docs folder and follow a card,
//! downloading only that topic's bundle.
#![cfg(not(target_arch = "wasm32"))]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use distlab_tests::serve::{serve, serve_at};
use distlab_tests::webdriver::Browser;
use serde_json::Value;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Builds the site unless `DISTLAB_DIST` points at one already built (the test
/// script builds it once for every suite).
fn site() -> PathBuf {
    if let Some(dist) = std::env::var_os("DISTLAB_DIST") {
        return PathBuf::from(dist);
    }
    let root = workspace();
    let tools = root.join(".tools/node_modules/.bin");
    let path = format!(
        "{}:{}",
        tools.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let status = Command::new(env!("CARGO"))
        .args([
            "run",
            "--release",
            "--quiet",
            "-p",
            "distlab-site",
            "--",
            "dist",
        ])
        .current_dir(&root)
        .env("PATH", path)
        .status()
        .expect("cargo runs (run scripts/setup for the tools)");
    assert!(status.success(), "building the site failed");
    root.join("dist")
}

const LEADER: &str = "var l = document.querySelector('svg.cluster .node.slot-lead'); return l ? l.getAttribute('data-node') : null;";

#[test]
fn raft_in_a_real_browser_elects_a_new_leader_after_the_leader_crashes() {
    let dist = site();
    assert!(
        dist.join("index.html").exists(),
        "no built site at {}",
        dist.display()
    );
    let port = serve(&dist).expect("serve the site");
    let browser = Browser::start().expect("start headless chromium");
    browser
        .goto(&format!("http://127.0.0.1:{port}/#/raft"))
        .unwrap();

    // The lab renders and plays by itself.
    browser
        .wait_for(
            "return document.querySelectorAll('svg.cluster .node:not(.client)').length === 5",
            Duration::from_secs(30),
        )
        .expect("the cluster renders");
    let play = browser
        .eval("return document.getElementById('play').textContent", vec![])
        .unwrap();
    if play == "Play" {
        browser.click("#play").unwrap();
    }
    // Faster virtual time, as a person would pick from the speed menu.
    browser
        .eval("var s = document.getElementById('speed'); s.value = '0.5'; s.dispatchEvent(new Event('change', {bubbles: true})); return s.value;", vec![])
        .unwrap();

    let first = browser
        .wait_for(LEADER, Duration::from_secs(30))
        .expect("a leader is elected");
    let first = first.as_str().unwrap().to_string();
    browser
        .click(&format!("svg.cluster .node[data-node='{first}']"))
        .unwrap();
    browser
        .wait_for(
            &format!("return document.querySelector(\"svg.cluster .node[data-node='{first}']\").classList.contains('down')"),
            Duration::from_secs(5),
        )
        .expect("the clicked leader is down");
    let new_leader = browser
        .wait_for(
            &format!("var l = document.querySelector('svg.cluster .node.slot-lead'); return l && l.getAttribute('data-node') !== '{first}' ? l.getAttribute('data-node') : null;"),
            Duration::from_secs(30),
        )
        .expect("a new leader is elected");
    assert_ne!(new_leader.as_str().unwrap(), first);

    // The URL now holds the scenario with the crash; every invariant still holds.
    let hash = browser.eval("return location.hash", vec![]).unwrap();
    assert!(hash.as_str().unwrap().starts_with("#/raft?s="), "{hash}");
    let violated = browser
        .eval(
            "return document.querySelectorAll('.invariant.violated').length",
            vec![],
        )
        .unwrap();
    assert_eq!(violated, Value::from(0));
    let errors = browser.console_errors().unwrap();
    assert!(errors.is_empty(), "console errors: {errors:?}");
}

#[test]
fn a_shared_link_reproduces_the_run_and_a_bad_link_explains_itself() {
    let dist = site();
    let port = serve(&dist).expect("serve the site");
    let browser = Browser::start().expect("start headless chromium");
    // A link with a crash at 1.2 s, opened paused at 2 s, twice: same state.
    let mut scenario = distlab_core::lab::scenario::Scenario::new("raft", 5);
    scenario.push_action(
        distlab_core::sim::time::Time::from_millis(1_200),
        distlab_core::sim::action::Action::Crash(distlab_core::sim::time::NodeId(2)),
    );
    let url = format!(
        "http://127.0.0.1:{port}/#/raft?s={}&t=2000",
        scenario.encode()
    );
    let snapshot = "var c = document.getElementById('clock'), t = document.querySelector('.state-table tbody'); return c && t ? c.textContent + '|' + t.textContent : null;";
    browser.goto(&url).unwrap();
    let first = browser.wait_for(snapshot, Duration::from_secs(30)).unwrap();
    browser.goto("about:blank").unwrap();
    browser.goto(&url).unwrap();
    let second = browser.wait_for(snapshot, Duration::from_secs(30)).unwrap();
    assert_eq!(first, second);
    assert!(
        first.as_str().unwrap().contains("t = 2000.000ms"),
        "{first}"
    );

    browser
        .goto(&format!("http://127.0.0.1:{port}/#/raft?s=%%%broken"))
        .unwrap();
    let notice = browser
        .wait_for(
            "var n = document.getElementById('notice'); return n ? n.textContent : null;",
            Duration::from_secs(30),
        )
        .unwrap();
    assert!(
        notice.as_str().unwrap().contains("default scenario"),
        "{notice}"
    );

    // Embed mode hides the site chrome.
    browser
        .goto(&format!("http://127.0.0.1:{port}/#/raft?embed"))
        .unwrap();
    browser
        .wait_for(
            "return document.querySelectorAll('svg.cluster .node:not(.client)').length === 5",
            Duration::from_secs(30),
        )
        .unwrap();
    let chrome = browser
        .eval(
            "return document.querySelectorAll('nav.site, footer, .topic-header').length",
            vec![],
        )
        .unwrap();
    assert_eq!(chrome, Value::from(0));
    let errors = browser.console_errors().unwrap();
    assert!(errors.is_empty(), "console errors: {errors:?}");
}

/// What `distlab COMMAND ARGS...` prints on stdout (it must succeed).
fn cli(command: &str, args: &[&str]) -> String {
    let output = cli_output(command, args);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("the output is UTF-8")
}

/// What `distlab COMMAND ARGS...` did, whatever its exit status.
fn cli_output(command: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO"))
        .args([
            "run",
            "--release",
            "--quiet",
            "-p",
            "distlab",
            "--",
            command,
        ])
        .args(args)
        .current_dir(workspace())
        .output()
        .expect("cargo runs the command line")
}

/// The history `distlab history` prints (EDN) for `args`.
fn cli_history(args: &[&str]) -> String {
    cli("history", args)
}

/// The lines `distlab run --json` prints for `args`.
fn cli_json(args: &[&str]) -> String {
    let mut args = args.to_vec();
    args.push("--json");
    cli("run", &args)
}

#[test]
fn the_page_exports_the_trace_the_command_line_prints() {
    let dist = site();
    let port = serve(&dist).expect("serve the site");
    let browser = Browser::start().expect("start headless chromium");
    let mut scenario = distlab_core::lab::scenario::Scenario::new("raft", 9);
    scenario.push_action(
        distlab_core::sim::time::Time::from_millis(700),
        distlab_core::sim::action::Action::Crash(distlab_core::sim::time::NodeId(1)),
    );
    let link = scenario.encode();
    browser
        .goto(&format!("http://127.0.0.1:{port}/#/raft?s={link}&t=1500"))
        .unwrap();
    browser
        .wait_for(
            "var c = document.getElementById('clock'); return c && c.textContent.indexOf('t = 1500.000ms') >= 0 ? true : null;",
            Duration::from_secs(30),
        )
        .unwrap();
    let page = browser
        .eval("return window.distlab.exportTrace()", vec![])
        .unwrap();
    let page = page.as_str().expect("the page exports text");
    let printed = cli_json(&["raft", "--scenario", &link, "--until-ms", "1500"]);
    assert!(printed.lines().count() > 100, "a real trace: {printed}");
    assert!(
        page == printed,
        "the page's export differs from distlab run --json"
    );
    // The clients' history is the one `distlab history` prints for the link.
    let history = browser
        .eval("return window.distlab.exportHistory()", vec![])
        .unwrap();
    let history = history.as_str().expect("raft has clients");
    let printed = cli_history(&["raft", "--scenario", &link, "--until-ms", "1500"]);
    assert!(printed.lines().count() >= 2, "a real history: {printed}");
    assert!(
        history == printed,
        "the page's history differs from distlab history"
    );
    // The Export menu is in the controls; its trace button makes no complaint,
    // and its pictures load the picture module only then.
    let before = fetched(&browser);
    assert!(
        !before.iter().any(|f| f.contains("/pictures-")),
        "{before:?}"
    );
    browser.click("#files summary").unwrap();
    browser.click("#export-trace").unwrap();
    browser.click("#export-timeline").unwrap();
    browser.click("#export-png").unwrap();
    browser
        .wait_for(
            "return performance.getEntriesByType('resource').some(function (e) { return e.name.indexOf('/pictures-') >= 0; }) || null",
            Duration::from_secs(10),
        )
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let notices = browser
        .eval(
            "var n = document.getElementById('notice'); return n ? n.textContent : ''",
            vec![],
        )
        .unwrap();
    assert_eq!(notices, Value::from(""));
    let errors = browser.console_errors().unwrap();
    assert!(errors.is_empty(), "console errors: {errors:?}");
}

/// The files the page has fetched so far (the Resource Timing entries).
const FETCHED: &str =
    "return performance.getEntriesByType('resource').map(function (e) { return e.name; })";

fn fetched(browser: &Browser) -> Vec<String> {
    browser
        .eval(FETCHED, vec![])
        .unwrap()
        .as_array()
        .map(|names| {
            names
                .iter()
                .filter_map(|n| n.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn from_a_docs_folder_each_route_downloads_only_its_own_bundle() {
    let dist = site();
    let port = serve_at(&dist, "/docs/distlab/").expect("serve the site");
    let base = format!("http://127.0.0.1:{port}/docs/distlab/");
    let browser = Browser::start().expect("start headless chromium");

    // The home page is static: its cards, and no WebAssembly at all.
    browser.goto(&format!("{base}#/")).unwrap();
    let cards = browser
        .wait_for(
            "var n = document.querySelectorAll('.home .card').length; return n > 0 ? n : null;",
            Duration::from_secs(30),
        )
        .expect("the home page shows its cards");
    assert_eq!(
        cards.as_u64(),
        Some(distlab_core::catalog::topics().len() as u64)
    );
    let home = fetched(&browser);
    assert!(
        home.iter()
            .all(|name| !name.ends_with(".wasm") && !name.ends_with(".js")),
        "the home page fetched {home:?}"
    );

    // Following a card loads that topic's bundle, from the sub-path, and no other.
    browser
        .eval(
            "document.querySelector(\".card[data-topic='bloom-filter']\").click(); return true;",
            vec![],
        )
        .unwrap();
    browser
        .wait_for(
            "return document.querySelector(\".lab[data-topic='bloom-filter'] svg.bits\") ? true : null;",
            Duration::from_secs(30),
        )
        .expect("the Bloom filter page renders");
    let names = fetched(&browser);
    let bundles: Vec<&String> = names
        .iter()
        .filter(|n| n.ends_with(".wasm") || n.ends_with(".js"))
        .collect();
    assert_eq!(bundles.len(), 2, "{bundles:?}");
    assert!(
        bundles
            .iter()
            .all(|n| n.starts_with(&format!("{base}bloom-filter-"))),
        "{bundles:?}"
    );

    // Another topic is another bundle; an embed of a topic loads just that one.
    browser.goto("about:blank").unwrap();
    browser.goto(&format!("{base}#/skip-list?embed")).unwrap();
    browser
        .wait_for(
            "return document.querySelector(\".lab[data-topic='skip-list']\") ? true : null;",
            Duration::from_secs(30),
        )
        .expect("the skip list embed renders");
    let names = fetched(&browser);
    assert!(
        names
            .iter()
            .filter(|n| n.ends_with(".wasm"))
            .all(|n| n.starts_with(&format!("{base}skip-list-"))),
        "{names:?}"
    );

    // A route a topic's bundle does not carry reloads the document: another
    // topic loads its own bundle, an unknown one is the home page saying so.
    browser
        .eval("location.hash = '#/merkle-tree'; return true;", vec![])
        .unwrap();
    browser
        .wait_for(
            "return document.querySelector(\".lab[data-topic='merkle-tree']\") ? true : null;",
            Duration::from_secs(30),
        )
        .expect("another topic's page renders");
    browser
        .eval("location.hash = '#/no-such-topic'; return true;", vec![])
        .unwrap();
    browser
        .wait_for(
            "var n = document.getElementById('route-notice'); return n && !n.hidden && n.textContent.includes(\"no topic 'no-such-topic'\") && document.querySelectorAll('.home .card').length > 0 ? true : null;",
            Duration::from_secs(30),
        )
        .expect("an unknown topic shows the home page and says so");
    let errors = browser.console_errors().unwrap();
    assert!(errors.is_empty(), "console errors: {errors:?}");
}

#[test]
fn on_a_phone_the_protocol_page_is_readable_and_fits() {
    let dist = site();
    let port = serve(&dist).expect("serve the site");
    let browser = Browser::start().expect("start headless chromium");
    browser.set_window_size(390, 844).unwrap();
    browser
        .goto(&format!("http://127.0.0.1:{port}/#/raft"))
        .unwrap();
    browser
        .wait_for(
            "return document.querySelector('svg.timeline .lane') ? true : null",
            Duration::from_secs(30),
        )
        .expect("the page renders");
    let layout = browser
        .eval(
            "var t = document.querySelector('svg.timeline').getBoundingClientRect(); \
             var c = document.getElementById('clock'); var line = parseFloat(getComputedStyle(c).lineHeight) || 20; \
             return { width: innerWidth, scroll: document.documentElement.scrollWidth, timeline: t.height, \
                      clockLines: Math.round(c.getBoundingClientRect().height / line) };",
            vec![],
        )
        .unwrap();
    assert!(
        layout["timeline"].as_f64().unwrap() >= 110.0,
        "the timeline is {layout}"
    );
    assert_eq!(layout["clockLines"], Value::from(1), "{layout}");
    assert!(
        layout["scroll"].as_f64().unwrap() <= layout["width"].as_f64().unwrap(),
        "the page overflows sideways: {layout}"
    );
}

/// What axe-core (installed by scripts/setup into .tools/) finds serious or
/// critical on the page now, as `rule: targets` lines.
fn accessibility_problems(browser: &Browser) -> Vec<String> {
    let axe = std::fs::read_to_string(workspace().join(".tools/node_modules/axe-core/axe.min.js"))
        .expect("axe-core is installed (scripts/setup --test)");
    browser
        .eval(
            "var s = document.createElement('script'); s.textContent = arguments[0]; document.head.appendChild(s); return true;",
            vec![Value::from(axe)],
        )
        .unwrap();
    let found = browser
        .eval_async(
            "var done = arguments[arguments.length - 1]; \
             axe.run(document, { resultTypes: ['violations'] }).then(function (r) { \
               done(r.violations.filter(function (v) { return v.impact === 'serious' || v.impact === 'critical'; }) \
                 .map(function (v) { return v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3).map(function (n) { return n.target.join(' '); }).join(', '); })); \
             }).catch(function (e) { done(['axe failed: ' + e]); });",
            vec![],
        )
        .unwrap();
    found
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn every_route_is_accessible_and_quiet_in_the_console() {
    let dist = site();
    let port = serve(&dist).expect("serve the site");
    let mut routes = vec![("#/".to_string(), ".home .card")];
    for topic in distlab_core::catalog::topics() {
        routes.push((format!("#/{}", topic.slug), ".lab .controls"));
    }
    let mut problems = Vec::new();
    for (route, ready) in routes {
        let browser = Browser::start().expect("start headless chromium");
        browser
            .goto(&format!("http://127.0.0.1:{port}/{route}"))
            .unwrap();
        browser
            .wait_for(
                &format!("return document.querySelector('{ready}') ? true : null"),
                Duration::from_secs(30),
            )
            .unwrap_or_else(|e| panic!("{route}: {e}"));
        std::thread::sleep(Duration::from_millis(300));
        for problem in accessibility_problems(&browser) {
            problems.push(format!("{route}: {problem}"));
        }
        let console = browser.console(&["SEVERE", "WARNING"]).unwrap();
        for message in console {
            problems.push(format!("{route}: console: {message}"));
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

#[test]
fn reduced_motion_shows_busy_links_instead_of_moving_messages() {
    let dist = site();
    let port = serve(&dist).expect("serve the site");
    let browser =
        Browser::start_with(&["--force-prefers-reduced-motion"]).expect("start headless chromium");
    browser
        .goto(&format!("http://127.0.0.1:{port}/#/raft?t=1000"))
        .unwrap();
    let state = browser
        .wait_for(
            "var m = document.querySelectorAll('svg.cluster .message'); var b = document.querySelectorAll('svg.cluster .link.busy'); \
             if (!m.length || !b.length) return null; \
             return { shown: Array.from(m).filter(function (e) { return getComputedStyle(e).display !== 'none'; }).length, busy: b.length };",
            Duration::from_secs(30),
        )
        .expect("messages are in flight at 1 s");
    assert_eq!(state["shown"], Value::from(0), "{state}");
    assert!(state["busy"].as_u64().unwrap() > 0, "{state}");
}

/// The failing seeds `distlab check ARGS` reports (it exits 1 when there are any).
fn check_failing_seeds(args: &[&str]) -> Vec<u64> {
    let output = cli_output("check", args);
    assert_eq!(output.status.code(), Some(1), "the check finds the bug");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.strip_prefix("seed ")?.split(':').next()?.parse().ok())
        .collect()
}

/// Headless Chromium on the release site's Raft page with `bug` switched on,
/// once the Hunt panel's `button` is there; and the page's scenario link.
fn raft_page_with_bug(bug: &str, button: &str) -> (Browser, String) {
    let port = serve(&site()).expect("serve the site");
    page_with_bug(port, "raft", bug, button)
}

/// Opens `topic`'s page with `bug` switched on from the site served at `port`,
/// once `button` is there; returns the browser and the scenario's link.
fn page_with_bug(port: u16, topic: &str, bug: &str, button: &str) -> (Browser, String) {
    let browser = Browser::start().expect("start headless chromium");
    let mut scenario = distlab_core::lab::scenario::Scenario::new(topic, 1);
    scenario.bug = Some(bug.into());
    let link = scenario.encode();
    browser
        .goto(&format!("http://127.0.0.1:{port}/#/{topic}?s={link}"))
        .unwrap();
    browser
        .wait_for(
            &format!("return document.getElementById('{button}')"),
            Duration::from_secs(30),
        )
        .unwrap();
    (browser, link)
}

/// Clicks Explore and waits for the counterexample's report, which it prints
/// after `what` with the time it took, and returns.
fn explore_in_page(browser: &Browser, what: &str) -> String {
    let started = std::time::Instant::now();
    browser.click("#explore-toggle").unwrap();
    let report = browser
        .wait_for(
            "var r = document.querySelector('#hunt .explore-report'); return r && /^(Shortest|Counterexample)/.test(r.textContent) ? r.textContent : null;",
            Duration::from_secs(180),
        )
        .unwrap();
    let report = report.as_str().unwrap().to_string();
    eprintln!(
        "{what}: {report} ({:.2} s with the page's polling)",
        started.elapsed().as_secs_f64()
    );
    report
}

#[test]
fn the_hunt_in_the_page_finds_the_seeds_distlab_check_finds_and_shrink_opens_a_smaller_run() {
    let (browser, link) = raft_page_with_bug("stale-read", "hunt-toggle");
    browser.click("#hunt-toggle").unwrap();
    let status = "var s = document.querySelector('#hunt span[role=status]'); return s && s.textContent.startsWith('2000 of 2000') ? s.textContent : null;";
    let status = browser.wait_for(status, Duration::from_secs(300)).unwrap();
    let status = status.as_str().unwrap().to_string();
    eprintln!("hunt in the page: {status}");
    // The sweep the page's hunt makes: `distlab check` with these arguments.
    let check = [
        "raft",
        "--bug",
        "stale-read",
        "--seeds",
        "2000",
        "--faults",
        "heavy",
    ];
    let expected = check_failing_seeds(&check);
    assert!(
        status.ends_with(&format!("{} counterexamples", expected.len())),
        "{status} against {} from distlab check",
        expected.len()
    );
    let listed = browser
        .eval(
            "return [...document.querySelectorAll('#hunt ol li')].map(li => li.textContent.split(':')[0])",
            vec![],
        )
        .unwrap();
    let listed: Vec<String> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|seed| seed.as_str().unwrap().to_string())
        .collect();
    let first: Vec<String> = expected
        .iter()
        .take(listed.len())
        .map(|seed| format!("seed {seed}"))
        .collect();
    assert!(!listed.is_empty());
    assert_eq!(listed, first);

    // Open the first failing seed: the player shows it, paused at the violation.
    browser.click("#hunt ol li button").unwrap();
    browser
        .wait_for(
            &format!("return location.hash.includes('s=') && !location.hash.includes('{link}') && document.querySelector('.invariant.violated') ? true : null"),
            Duration::from_secs(30),
        )
        .unwrap();
    // Shrink it: a smaller run that breaks the same invariant opens, with the
    // events that led to the violation marked on the timeline.
    let opened = browser.eval("return location.hash", vec![]).unwrap();
    browser.click("#shrink-shown").unwrap();
    let report = browser
        .wait_for(
            "var r = document.querySelector('#hunt .hunt-report'); return r && r.textContent.startsWith('Shrunk') ? r.textContent : null;",
            Duration::from_secs(300),
        )
        .unwrap();
    let report = report.as_str().unwrap().to_string();
    eprintln!("shrink in the page: {report}");
    assert!(report.contains("still breaks linearizable"), "{report}");
    let numbers: Vec<u64> = report
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    assert!(
        numbers[0] <= numbers[1],
        "no more actions than before: {report}"
    );
    let shrunk = browser.eval("return location.hash", vec![]).unwrap();
    assert_ne!(
        shrunk, opened,
        "the shrunk run is opened and its link shown"
    );
    // It opens one step before the violation, with the violation's causal past
    // marked; one step on, the checker flags it.
    let ahead = browser
        .wait_for(
            "var a = document.querySelector('.anchor-info'); return a && a.textContent.startsWith('Next, a violation') && document.querySelector('svg.timeline.causal-view .causal') && !document.querySelector('.invariant.violated') ? a.textContent : null",
            Duration::from_secs(30),
        )
        .unwrap();
    assert!(ahead.as_str().unwrap().contains("linearizable"), "{ahead}");
    browser.click("#step").unwrap();
    browser
        .wait_for(
            "var a = document.querySelector('.anchor-info'); return document.querySelector('.invariant.violated') && a && a.textContent.startsWith('Latest violation') ? true : null",
            Duration::from_secs(30),
        )
        .unwrap();

    // "Shrink the smallest" gives what `distlab check --shrink` gives.
    let output = cli_output("check", &[&check[..], &["--shrink"]].concat());
    let stdout = String::from_utf8_lossy(&output.stdout);
    let link = stdout
        .lines()
        .find_map(|line| line.trim().strip_prefix("link: #/raft?s="))
        .and_then(|rest| rest.split('&').next())
        .expect("check --shrink prints a link")
        .to_string();
    browser.click("#shrink-found").unwrap();
    browser
        .wait_for(
            &format!("return location.hash.includes('s={link}') && document.querySelector('#hunt .hunt-report').textContent.startsWith('Shrunk') ? true : null"),
            Duration::from_secs(300),
        )
        .unwrap();
    let errors = browser.console_errors().unwrap();
    assert!(errors.is_empty(), "console errors: {errors:?}");
}

/// A bug too deep for breadth-first search (Figure 8's `commit-old-term`)
/// is found in the page by random walks: the worker reports the walks, and the
/// page opens the minimized path, the command line's, one step before the
/// violation; one step on, the checker flags it.
#[test]
fn exploring_a_bug_beyond_the_search_takes_random_walks_in_the_page() {
    let (browser, link) = raft_page_with_bug("commit-old-term", "explore-toggle");
    let report = explore_in_page(&browser, "walks in the page");
    // `distlab explore raft --bug commit-old-term`: a 37-step walk cut to 21.
    assert!(
        report.contains("random walk of 37 steps")
            && report.contains("leader-completeness breaks after 21 steps"),
        "{report}"
    );
    let state =
        format!("var s = window.distlab.state(); return s.link.includes('{link}') ? null : s;");
    let state = browser.wait_for(&state, Duration::from_secs(30)).unwrap();
    assert_eq!(state["time_us"].as_f64(), Some(20_000.0), "{state}");
    assert_eq!(
        state["violations"].as_array().map(Vec::len),
        Some(0),
        "{state}"
    );
    browser.click("#step").unwrap();
    let violations = browser
        .wait_for(
            "var s = window.distlab.state(); return s.violations.length > 0 ? s.violations : null;",
            Duration::from_secs(30),
        )
        .unwrap();
    assert!(
        violations.to_string().contains("leader-completeness"),
        "{violations}"
    );
}

/// The Explore button runs the explorer in the route's worker, reports its
/// progress, and opens the shortest counterexample one step before the
/// violation; one step on, the checker flags it.
#[test]
fn exploring_in_the_page_opens_the_shortest_counterexample_one_step_before_it_breaks() {
    let (browser, link) = raft_page_with_bug("forget-vote-on-restart", "explore-toggle");
    let report = explore_in_page(&browser, "explore in the page");
    // The command line's counterexample: same invariant, same length.
    assert!(
        report.contains("election-safety breaks after 8 steps"),
        "{report}"
    );
    let state =
        format!("var s = window.distlab.state(); return s.link.includes('{link}') ? null : s;");
    let state = browser.wait_for(&state, Duration::from_secs(30)).unwrap();
    assert_eq!(state["time_us"].as_f64(), Some(7_000.0), "{state}");
    assert_eq!(
        state["violations"].as_array().map(Vec::len),
        Some(0),
        "{state}"
    );
    // What leads to the violation is marked before it happens.
    let ahead = browser
        .eval(
            "var a = document.querySelector('.anchor-info'); return a ? a.textContent : '';",
            vec![],
        )
        .unwrap();
    let ahead = ahead.as_str().unwrap_or_default().to_string();
    assert!(
        ahead.starts_with("Next, a violation") && ahead.contains("election-safety"),
        "{ahead}"
    );
    // The timeline's window fits the 8 steps (one a millisecond), not 800 ms.
    let last_tick = browser
        .eval(
            "var t = [...document.querySelectorAll('.tick text')].map(t => t.textContent); return t[t.length - 1];",
            vec![],
        )
        .unwrap();
    let last_tick = last_tick.as_str().unwrap_or_default().to_string();
    let millis: f64 = last_tick.trim_end_matches("ms").parse().unwrap_or(f64::MAX);
    assert!((7.0..=10.0).contains(&millis), "last tick {last_tick}");
    browser.click("#step").unwrap();
    browser
        .wait_for(
            "var s = window.distlab.state(); return s.violations.length > 0 ? s.violations : null;",
            Duration::from_secs(30),
        )
        .unwrap();
}

/// Every bug of every topic that can be explored is found in the page as the
/// core finds it natively at the page's bounds: the same counterexample link
/// (so the worker's wasm search and walks take the same paths as native code),
/// the same invariant and length, opened one step before its violation.
#[test]
fn the_page_explores_every_bug_as_the_core_does_natively() {
    use distlab_core::explore::lines::{explore_lines, PAGE_DEPTH};
    use distlab_core::explore::EXPLORERS;
    use distlab_core::lab::scenario::Scenario;

    let dist = site();
    let port = serve(&dist).expect("serve the site");
    let mut explored = 0;
    for explorer in EXPLORERS {
        let topic = distlab_core::catalog::find(explorer.slug).unwrap();
        for bug in topic.bugs {
            let mut scenario = Scenario::new(explorer.slug, 1);
            scenario.bug = Some(bug.name.into());
            let link = scenario.encode();
            let line = explore_lines(EXPLORERS, &link, PAGE_DEPTH, |_| {});
            let words: Vec<&str> = line.split(' ').collect();
            assert_eq!(words[0], "counterexample", "{}: {line}", bug.name);
            let (found, invariant, steps) = (words[1], words[2], words[3]);

            let (browser, _) = page_with_bug(port, explorer.slug, bug.name, "explore-toggle");
            let report = explore_in_page(&browser, &format!("{}/{}", explorer.slug, bug.name));
            assert!(
                report.contains(&format!(
                    "{invariant} breaks after {steps} step{}.",
                    if steps == "1" { "" } else { "s" }
                )),
                "{}: {report} (natively: {line})",
                bug.name
            );
            match words.get(4) {
                Some(walked) => assert!(
                    report.contains(&format!("random walk of {walked} steps")),
                    "{}: {report} (natively: {line})",
                    bug.name
                ),
                None => assert!(report.starts_with("Shortest"), "{report}"),
            }
            let state = format!(
                "var s = window.distlab.state(); return s.link.includes('{found}') ? s : null;"
            );
            let state = browser.wait_for(&state, Duration::from_secs(30)).unwrap();
            assert_eq!(
                state["violations"].as_array().map(Vec::len),
                Some(0),
                "{}: {state}",
                bug.name
            );
            explored += 1;
        }
    }
    // Raft's five bugs, Paxos's three and two-phase commit's two.
    assert_eq!(explored, 10);
}
