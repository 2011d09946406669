//! Browser tests of the lab under a person's hands: every page plays on load, so
//! these act while the run plays, as a person does. Each reproduces a defect found
//! by trying the lab as a new user (typing into fields, clicking the cluster, the
//! bug menu, sharing from an embed, narration, labels, bad input) and checks it
//! is gone.
#![cfg(target_arch = "wasm32")]

use distlab_core::sim::action::Action;
use distlab_core::sim::time::{NodeId, Time};
use distlab_web::hooks::StartAt;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

mod support;
use support::*;

#[wasm_bindgen_test]
async fn typing_into_setup_fields_while_playing_is_kept_until_committed() {
    let root = mount("raft", None, StartAt::Playing).await;
    assert_eq!(text(&root, "#play"), "Pause");
    type_in(&root, "#seed", "4242").await;
    type_in(&root, "#param-rate", "7").await;
    // Frames go by and re-render the controls; what was typed stays.
    sleep(300).await;
    assert_eq!(value(&root, "#seed"), "4242");
    assert_eq!(value(&root, "#param-rate"), "7");
    // Committing (Enter or leaving the field fires `change`) applies each.
    fire(&find(&root, "#param-rate"), "change").await;
    assert_eq!(scenario_in_url().param("rate"), Some(7));
    fire(&find(&root, "#seed"), "change").await;
    assert_eq!(scenario_in_url().seed, 4242);
    sleep(100).await;
    assert_eq!(value(&root, "#seed"), "4242");
    // Text that is not a number in range is refused, with a message.
    type_in(&root, "#param-rate", "lots").await;
    fire(&find(&root, "#param-rate"), "change").await;
    assert!(text(&root, "#param-rate-error").contains("not a whole number"));
    assert_eq!(scenario_in_url().param("rate"), Some(7));
    root.remove();
}

#[wasm_bindgen_test]
async fn clicking_a_link_while_playing_cuts_both_directions_at_the_instant_shown() {
    let root = mount("raft", None, StartAt::Playing).await;
    sleep(200).await;
    let shown = shown_time_us(&root);
    click(&find(&root, "svg.cluster g.link")).await;
    let cuts: Vec<_> = scenario_in_url()
        .actions
        .into_iter()
        .filter(|a| matches!(a.action, Action::Cut { .. }))
        .collect();
    assert_eq!(cuts.len(), 2, "{cuts:?}");
    assert_eq!(cuts[0].at, cuts[1].at);
    assert_eq!(cuts[0].at, Time(shown + 1));
    sleep(150).await;
    assert_eq!(count(&root, "svg.cluster g.link.cut"), 1);
    root.remove();
}

#[wasm_bindgen_test]
async fn crashing_then_restarting_a_node_while_playing_applies_each_click_at_once() {
    let root = mount("raft", None, StartAt::Playing).await;
    sleep(200).await;
    let node = "svg.cluster .node[data-node='2']";
    click(&find(&root, node)).await;
    sleep(50).await;
    assert!(find(&root, node).class_list().contains("down"));
    let shown = shown_time_us(&root);
    click(&find(&root, node)).await;
    let restart = scenario_in_url()
        .actions
        .into_iter()
        .find(|a| a.action == Action::Restart(NodeId(2)))
        .expect("the restart is in the scenario");
    assert_eq!(restart.at, Time(shown + 1), "recorded at the instant shown");
    sleep(50).await;
    assert!(!find(&root, node).class_list().contains("down"));
    root.remove();
}

#[wasm_bindgen_test]
async fn the_bug_menu_always_shows_the_bug_that_is_running() {
    let root = mount("raft", None, StartAt::Playing).await;
    choose(&root, "#bug", "commit-old-term").await;
    choose(&root, "#bug", "").await;
    assert_eq!(value(&root, "#bug"), "");
    choose(&root, "#preset", "figure-8-unsafe").await;
    assert_eq!(scenario_in_url().bug.as_deref(), Some("commit-old-term"));
    assert_eq!(value(&root, "#bug"), "commit-old-term");
    assert_eq!(value(&root, "#preset"), "figure-8-unsafe");
    root.remove();
}

#[wasm_bindgen_test]
async fn every_bug_can_be_shown_being_caught() {
    let root = mount("raft", None, StartAt::Paused).await;
    for (bug, preset) in [
        ("vote-without-log-check", "stale-leader-unsafe"),
        ("forget-vote-on-restart", "double-vote-unsafe"),
        ("commit-old-term", "figure-8-unsafe"),
    ] {
        choose(&root, "#bug", bug).await;
        press(&root, "#show-bug").await;
        assert_eq!(value(&root, "#preset"), preset);
        assert_eq!(value(&root, "#bug"), bug);
        // Played to its end, the story ends with the checker catching the bug.
        let scenario = scenario_in_url();
        assert_eq!(scenario.preset.as_deref(), Some(preset));
    }
    root.remove();
}

#[wasm_bindgen_test]
async fn share_in_an_embed_says_what_happened_and_links_the_full_page() {
    let root = mount_as("raft", None, StartAt::Paused, true).await;
    press(&root, "#share").await;
    sleep(200).await;
    if count(&root, "#share-link") == 1 {
        // The clipboard was refused: the link is there to copy by hand.
        let link = value(&root, "#share-link");
        assert!(link.contains("#/raft?s="), "{link}");
        assert!(!link.contains("embed"), "{link}");
        assert_ne!(text(&root, "#share"), "Link copied");
    } else {
        assert_eq!(text(&root, "#share"), "Link copied");
    }
    root.remove();
}

#[wasm_bindgen_test]
async fn the_state_table_shows_a_bounded_window_of_each_log() {
    let mut scenario = distlab_core::lab::scenario::Scenario::new("raft", 3);
    scenario.set_param("rate", 50);
    let root = mount(
        "raft",
        Some(scenario.encode()),
        StartAt::Time(Time::from_millis(20_000)),
    )
    .await;
    let logs = root.query_selector_all(".state-table td.log").unwrap();
    assert_eq!(logs.length(), 5);
    for i in 0..logs.length() {
        let log: web_sys::Element = wasm_bindgen::JsCast::dyn_into(logs.item(i).unwrap()).unwrap();
        let boxes = log.query_selector_all(".entry").unwrap().length();
        assert!(boxes <= 16, "{boxes} boxes");
    }
    assert!(text(&root, ".state-table td.log .earlier").contains("more"));
    assert!(count(&root, ".state-table .commit-point") >= 1);
    root.remove();
}

#[wasm_bindgen_test]
async fn the_timeline_marks_the_instant_shown_and_its_last_label_fits() {
    let root = mount("raft", None, StartAt::Time(Time::from_millis(300))).await;
    let view_box = attr(&root, "svg.timeline", "viewBox");
    let width: f64 = view_box.split(' ').nth(2).unwrap().parse().unwrap();
    let now: f64 = attr(&root, "svg.timeline line.now", "x1").parse().unwrap();
    // 300 ms into an 800 ms window: well left of the right edge.
    assert!(now < width * 0.6, "now at {now} of {width}");
    let last = root.query_selector_all("svg.timeline .tick text").unwrap();
    let last: web_sys::Element =
        wasm_bindgen::JsCast::dyn_into(last.item(last.length() - 1).unwrap()).unwrap();
    assert!(
        last.class_list().contains("end"),
        "{:?}",
        last.text_content()
    );
    root.remove();
}

#[wasm_bindgen_test]
async fn time_series_ranges_read_as_times_of_the_data() {
    let root = mount("time-series", None, StartAt::Paused).await;
    press(&root, "#ts-append").await;
    for range in ["1", "5"] {
        choose(&root, "#ts-range", range).await;
        press(&root, "#ts-query").await;
        let page = root.text_content().unwrap_or_default();
        assert!(!page.contains("day -"), "{range}: a range before the data");
    }
    root.remove();
}

#[wasm_bindgen_test]
async fn bad_keys_and_counts_are_explained_not_ignored() {
    let root = mount("skip-list", None, StartAt::Paused).await;
    let steps = text(&root, "#clock");
    for (typed, says) in [
        ("-5", "outside"),
        ("abc", "not a whole number"),
        ("3.7", "not a whole number"),
    ] {
        type_in(&root, "#skip-key", typed).await;
        press(&root, "#skip-insert").await;
        assert!(text(&root, "#skip-operand-error").contains(says), "{typed}");
        assert_eq!(text(&root, "#clock"), steps, "{typed} changed the run");
    }
    type_in(&root, "#skip-batch-count", "0").await;
    press(&root, "#skip-batch").await;
    assert!(text(&root, "#skip-operand-error").contains("outside"));
    type_in(&root, "#skip-key", "42").await;
    press(&root, "#skip-insert").await;
    assert_eq!(count(&root, "#skip-operand-error"), 0);
    root.remove();

    let root = mount("time-series", None, StartAt::Paused).await;
    type_in(&root, "#ts-count", "many").await;
    press(&root, "#ts-append").await;
    assert!(text(&root, "#ts-count-error").contains("not a whole number"));
    root.remove();
}

#[wasm_bindgen_test]
async fn narration_says_what_the_person_did_and_a_crashed_node_is_crashed() {
    let root = mount("raft", None, StartAt::Time(Time::from_millis(1_000))).await;
    assert!(!text(&root, ".narration").contains("You"));
    let leader = find(&root, "svg.cluster .node.slot-lead");
    let id = leader.get_attribute("data-node").unwrap();
    click(&leader).await;
    assert!(text(&root, "#your-action").contains("crashed"));
    assert_eq!(count(&root, ".narration .story-left"), 1);
    let row = root
        .query_selector_all(".state-table tbody tr")
        .unwrap()
        .item(id.parse().unwrap())
        .unwrap();
    assert!(row.text_content().unwrap().contains("crashed"));
    root.remove();
}

#[wasm_bindgen_test]
async fn speeds_go_beyond_real_time() {
    let root = mount("raft", None, StartAt::Playing).await;
    choose(&root, "#speed", "100").await;
    sleep(400).await;
    assert!(
        shown_time_us(&root) > 5_000_000,
        "{}",
        text(&root, "#clock")
    );
    choose(&root, "#speed", "max").await;
    assert_eq!(value(&root, "#speed"), "max");
    root.remove();
}

#[wasm_bindgen_test]
async fn nodes_and_links_work_from_the_keyboard() {
    let root = mount("raft", None, StartAt::Paused).await;
    let node = find(&root, "svg.cluster .node[data-node='1']");
    assert_eq!(node.get_attribute("tabindex").as_deref(), Some("0"));
    assert!(node.get_attribute("aria-label").unwrap().contains("crash"));
    key(&node, "Enter").await;
    assert!(find(&root, "svg.cluster .node[data-node='1']")
        .class_list()
        .contains("down"));
    let link = find(&root, "svg.cluster g.link");
    key(&link, " ").await;
    assert!(count(&root, "svg.cluster g.link.cut") == 1);
    root.remove();
}

#[wasm_bindgen_test]
async fn every_operation_button_puts_its_operation_in_the_link_addressed_as_it_says() {
    let mut pressed = 0;
    for topic in distlab_core::catalog::topics() {
        let root = mount(topic.slug, None, StartAt::Paused).await;
        let buttons = count(&root, "button.topic-operation");
        let nodes = count(&root, "#operation-node option");
        for index in 0..buttons {
            // Each button is pressed at the last node that can take it, counting
            // down from the last (a client where the topic has clients, an
            // instance for an instance's operation); a button with no node
            // picker is always enabled.
            let mut at = None;
            for candidate in (0..nodes.max(1)).rev() {
                if nodes > 0 {
                    choose(&root, "#operation-node", &candidate.to_string()).await;
                }
                let button = find(&root, &format!("#operation-{index}"));
                if !button.has_attribute("disabled") {
                    at = Some(candidate);
                    break;
                }
            }
            let button = find(&root, &format!("#operation-{index}"));
            let label = button.text_content().unwrap_or_default();
            let at =
                at.unwrap_or_else(|| panic!("{}: {label} is disabled at every node", topic.slug));
            click(&button).await;
            let scenario = scenario_in_url();
            assert_eq!(scenario.topic, topic.slug);
            let operations: Vec<_> = scenario
                .actions
                .iter()
                .filter_map(|a| match &a.action {
                    Action::Operation { node, .. } => Some(*node),
                    _ => None,
                })
                .collect();
            assert_eq!(
                operations.len(),
                index as usize + 1,
                "{}: {label}",
                topic.slug
            );
            let node = operations[index as usize];
            // "Propose at n2" goes to n2; a button without a node goes to the focus.
            let expected = label.ends_with(&format!(" at n{at}")).then_some(NodeId(at));
            assert_eq!(node, expected, "{}: {label}", topic.slug);
            pressed += 1;
        }
        root.remove();
    }
    assert!(pressed > 0, "no topic has an operation button");
}

#[wasm_bindgen_test]
async fn a_thousand_gossip_nodes_are_painted_on_a_canvas_and_a_click_crashes_the_dot_under_it() {
    let mut scenario = distlab_core::lab::scenario::Scenario::new("gossip", 1);
    scenario.set_param("nodes", 1_000);
    let root = mount("gossip", Some(scenario.encode()), StartAt::Paused).await;
    sleep(100).await;
    let canvas = find(&root, "canvas.cluster");
    assert_eq!(canvas.get_attribute("data-nodes").as_deref(), Some("1000"));
    assert_eq!(
        count(&root, "svg.cluster .node"),
        0,
        "no SVG element per node"
    );
    // The sunflower's first dot sits just right of the centre, nearer it than
    // any other: a click at the centre picks node 0 and crashes it.
    click_at(&canvas, 0.5, 0.5).await;
    let crash = scenario_in_url()
        .actions
        .into_iter()
        .find(|a| a.action == Action::Crash(NodeId(0)));
    assert!(crash.is_some(), "the click crashed n0");
    sleep(50).await;
    let canvas = find(&root, "canvas.cluster");
    assert!(canvas
        .get_attribute("aria-label")
        .unwrap_or_default()
        .contains("1000 nodes, 999 up"));
    // From the keyboard: the first arrow rings n0 (down now, so Enter restarts
    // it), End the last node, Page Up a hundred back, and Enter crashes it.
    let canvas = find(&root, "canvas.cluster");
    key(&canvas, "ArrowRight").await;
    let canvas = find(&root, "canvas.cluster");
    assert_eq!(canvas.get_attribute("data-ringed").as_deref(), Some("0"));
    assert!(text(&root, ".ringed-node").contains("Enter restarts it"));
    key(&canvas, "End").await;
    key(&find(&root, "canvas.cluster"), "PageUp").await;
    let canvas = find(&root, "canvas.cluster");
    assert_eq!(canvas.get_attribute("data-ringed").as_deref(), Some("899"));
    key(&canvas, "Enter").await;
    assert!(
        scenario_in_url()
            .actions
            .iter()
            .any(|a| a.action == Action::Crash(NodeId(899))),
        "Enter crashed the ringed node"
    );
    // A small cluster of the same topic keeps the SVG view and its labels.
    root.remove();
    scenario.set_param("nodes", 8);
    let root = mount("gossip", Some(scenario.encode()), StartAt::Paused).await;
    sleep(50).await;
    assert_eq!(count(&root, "canvas.cluster"), 0);
    assert!(count(&root, "svg.cluster .node text.name") > 0);
    root.remove();
}

#[wasm_bindgen_test]
async fn a_log_line_and_a_slow_bucket_open_their_traces() {
    // The slow host's preset at 4 s: frontend's 50-100 ms bucket has an exemplar.
    let link = preset_link("observability", "red-finds-the-slow-service");
    let root = mount(
        "observability",
        Some(link),
        StartAt::Time(Time::from_millis(4_000)),
    )
    .await;
    sleep(100).await;
    assert_eq!(count(&root, "#trace-detail"), 0);
    assert_eq!(count(&root, ".signals .logs button.line"), 12);
    let line = find(&root, ".signals .logs li:last-child button.line");
    let logged = line.text_content().unwrap_or_default();
    let trace = logged
        .split("trace=")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .expect("a log line names its trace")
        .to_string();
    click(&line).await;
    sleep(50).await;
    let title = text(&root, "#trace-detail figcaption");
    assert!(title.contains(&format!("Trace {trace}")), "{title}");
    // Two spans (the users' and the host's) and the line itself.
    assert_eq!(count(&root, "#trace-detail li.span"), 2);
    assert!(
        text(&root, "#trace-detail ul").contains(&logged),
        "{logged}"
    );
    press(&root, "#close-trace").await;
    assert_eq!(count(&root, "#trace-detail"), 0);
    // A bucket with an exemplar is a button that opens its trace.
    let slow = root
        .query_selector_all(".signals .histograms button.bucket")
        .unwrap();
    let slow_bucket = (0..slow.length())
        .filter_map(|i| slow.item(i))
        .map(wasm_bindgen::JsCast::unchecked_into::<web_sys::Element>)
        .find(|bucket| {
            bucket
                .get_attribute("aria-label")
                .is_some_and(|label| label.starts_with("≤ 100 ms") && label.contains(" on n1"))
        })
        .expect("frontend's ≤ 100 ms bucket points at the slow host n1");
    click(&slow_bucket).await;
    sleep(50).await;
    let detail = text(&root, "#trace-detail");
    assert!(detail.contains("n1 frontend"), "{detail}");
    root.remove();
}

#[wasm_bindgen_test]
async fn a_saga_has_a_lane_whose_compensations_read_last_step_first() {
    let link = preset_link("saga", "compensate-halfway");
    // At 400 ms the timeline's window still holds the whole saga (it ends at
    // 328 ms); later, its forward steps scroll out to the left.
    let root = mount("saga", Some(link), StartAt::Time(Time::from_millis(400))).await;
    sleep(50).await;
    assert_eq!(count(&root, "svg.swimlanes"), 1);
    assert_eq!(count(&root, "svg.swimlanes .lane"), 1);
    let titles = root
        .query_selector_all("svg.swimlanes .lane-bar title")
        .unwrap();
    let labels: Vec<String> = (0..titles.length())
        .filter_map(|i| titles.item(i))
        .map(|title| title.text_content().unwrap_or_default())
        .collect();
    assert_eq!(labels, ["T1", "T2", "C2", "C1"]);
    assert!(text(&root, "svg.swimlanes").contains("T3 refused"));
    root.remove();
    // A topic without lanes draws none.
    let root = mount("raft", None, StartAt::Paused).await;
    assert_eq!(count(&root, "svg.swimlanes"), 0);
    root.remove();
}

#[wasm_bindgen_test]
async fn a_clock_is_skewed_from_the_page_and_the_skew_is_in_the_link() {
    for slug in ["leader-election", "distributed-locks"] {
        let root = mount(slug, None, StartAt::Paused).await;
        choose(&root, "#operation-node", "2").await;
        type_in(&root, "#clock-offset", "250").await;
        fire(&find(&root, "#clock-offset"), "change").await;
        type_in(&root, "#clock-drift", "100000").await;
        fire(&find(&root, "#clock-drift"), "change").await;
        assert_eq!(text(&root, "#set-clock"), "Set clock of n2");
        click(&find(&root, "#set-clock")).await;
        let skews: Vec<Action> = scenario_in_url()
            .actions
            .into_iter()
            .map(|a| a.action)
            .filter(|a| matches!(a, Action::SetClock { .. }))
            .collect();
        assert_eq!(
            skews.last(),
            Some(&Action::SetClock {
                node: NodeId(2),
                offset_us: 250_000,
                drift_ppm: 100_000,
            }),
            "{slug}"
        );
        root.remove();
    }
    // Topics whose safety does not rest on clocks have no clock control.
    let root = mount("raft", None, StartAt::Paused).await;
    assert!(root.query_selector("#set-clock").ok().flatten().is_none());
    root.remove();
}

#[wasm_bindgen_test]
async fn loss_duplicates_and_delay_are_set_from_the_page_and_kept_in_the_link() {
    use distlab_core::sim::time::Duration;
    let root = mount("paxos", None, StartAt::Paused).await;
    for (css, value) in [
        ("#drop-rate", "5"),
        ("#duplicate-rate", "10"),
        ("#max-delay", "300"),
    ] {
        let input = find(&root, css);
        wasm_bindgen::JsCast::unchecked_ref::<web_sys::HtmlInputElement>(&input).set_value(value);
        fire(&input, "change").await;
    }
    let network: Vec<Action> = scenario_in_url()
        .actions
        .into_iter()
        .map(|a| a.action)
        .filter(|a| {
            matches!(
                a,
                Action::SetDropRate(_) | Action::SetDuplicateRate(_) | Action::SetLatency { .. }
            )
        })
        .collect();
    assert_eq!(
        network,
        [
            Action::SetDropRate(50_000),
            Action::SetDuplicateRate(100_000),
            Action::SetLatency {
                min: Duration::from_millis(100),
                max: Duration::from_millis(300),
            },
        ]
    );
    // The sliders read back what is set now.
    assert!(text(&root, ".faults").contains("Duplicates 10%"));
    assert!(text(&root, ".faults").contains("Delay up to 300 ms"));
    root.remove();
}

/// The pixels of `canvas` that pass `test` (red, green, blue, alpha).
fn pixels(canvas: &web_sys::Element, test: impl Fn(&[u8]) -> bool) -> usize {
    let canvas: web_sys::HtmlCanvasElement = canvas.clone().dyn_into().unwrap();
    let context: web_sys::CanvasRenderingContext2d = canvas
        .get_context("2d")
        .unwrap()
        .unwrap()
        .dyn_into()
        .unwrap();
    let side = f64::from(canvas.width());
    let data = context.get_image_data(0.0, 0.0, side, side).unwrap().data();
    data.chunks_exact(4).filter(|pixel| test(pixel)).count()
}

#[wasm_bindgen_test]
async fn ten_thousand_gossip_nodes_are_painted_in_their_colours_and_a_crash_repaints_its_dot() {
    // The page's colours are its stylesheet's custom properties: two that
    // cannot be mistaken for each other or for the fallback grey.
    let page = web_sys::window()
        .unwrap()
        .document()
        .unwrap()
        .document_element()
        .unwrap();
    let style = page.dyn_ref::<web_sys::HtmlElement>().unwrap().style();
    style.set_property("--slot-plain", "#00c000").unwrap();
    style.set_property("--down", "#d00000").unwrap();
    let mut scenario = distlab_core::lab::scenario::Scenario::new("gossip", 1);
    scenario.set_param("nodes", 10_000);
    let root = mount("gossip", Some(scenario.encode()), StartAt::Paused).await;
    sleep(200).await;
    let canvas = find(&root, "canvas.cluster");
    assert_eq!(canvas.get_attribute("data-nodes").as_deref(), Some("10000"));
    // Each dot is two or three pixels a side, so a pixel or more of each is
    // wholly inside it (neighbours share some).
    let plain = pixels(&canvas, |p| p == [0, 0xc0, 0, 255]);
    assert!(plain > 5_000, "{plain} pixels of live nodes");
    // Only the down colour has red in it.
    let reddish = |p: &[u8]| p[0] > 0 && p[3] > 0;
    assert_eq!(pixels(&canvas, reddish), 0, "no node is down");
    // Frames in which no node changes (zooming the timeline redraws the
    // page) put the same picture again, however much the page allocated.
    for _ in 0..3 {
        press(&root, "#zoom-in").await;
        sleep(50).await;
    }
    let canvas = find(&root, "canvas.cluster");
    assert_eq!(pixels(&canvas, |p| p == [0, 0xc0, 0, 255]), plain);
    assert_eq!(pixels(&canvas, reddish), 0, "still no node is down");
    // A click at the centre crashes n0, whose dot is then the down colour.
    click_at(&canvas, 0.5, 0.5).await;
    assert!(scenario_in_url()
        .actions
        .iter()
        .any(|a| a.action == Action::Crash(NodeId(0))));
    sleep(100).await;
    let canvas = find(&root, "canvas.cluster");
    assert!(canvas
        .get_attribute("aria-label")
        .unwrap_or_default()
        .contains("10000 nodes, 9999 up"));
    // Its dot's pixels, the edges its live neighbours cover in part.
    let down = pixels(&canvas, reddish);
    assert!(
        (1..=25).contains(&down),
        "{down} pixels of the crashed node"
    );
    style.remove_property("--slot-plain").unwrap();
    style.remove_property("--down").unwrap();
    root.remove();
}
