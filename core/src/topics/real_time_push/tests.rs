//! The real-time-push model's behaviour: every transport delivers the whole
//! stream in order on a quiet network and after a blip; the costs and
//! latencies rank the transports as the cost model and RFC 6202 say; short
//! polling's requests grow with clients; WebSocket heartbeats find a dead
//! connection on both sides; the invariant fires on a gap and on a
//! duplicate; the bug is caught and the correct model is clean under heavy
//! faults; bad operations are refused.

use super::checker::{PushChecker, EXACTLY_ONCE_IN_ORDER};
use super::client::Client;
use super::cost::{wire_bytes, REQUEST_HEADERS, RESPONSE_HEADERS};
use super::message::{Event, FrameBody, PushMessage, PushOp, Transport};
use super::process::{PushConfig, PushProcess};
use super::server::Server;
use super::{
    clients_of, cost_per_event, server_of, RealTimePushTopic, BUG_SSE_WITHOUT_LAST_EVENT_ID,
    CLIENTS, EVENT_RATE, INFO, TRANSPORT,
};
use crate::lab::protocol::{simulation, ProtocolTopic};
use crate::lab::run::{Run, RunOptions};
use crate::lab::scenario::Scenario;
use crate::sim::action::{Operation, RawOperation};
use crate::sim::checker::{Checker, Violation};
use crate::sim::faults::FaultLevel;
use crate::sim::time::{Duration, NodeId, Time};
use crate::sim::world::Simulation;

fn run(scenario: &Scenario, until_ms: u64) -> Box<dyn Run> {
    let mut run = (INFO.build)(scenario, RunOptions::default()).expect("builds");
    run.run_until(Time::from_millis(until_ms));
    run
}

fn sim(run: &dyn Run) -> &Simulation<PushProcess, PushChecker> {
    simulation::<RealTimePushTopic>(run).expect("a real-time-push run")
}

fn preset_scenario(name: &str, bug: Option<&str>) -> Scenario {
    let preset = INFO.preset(name).expect("the preset exists");
    let mut scenario = INFO.preset_scenario(preset);
    scenario.bug = bug.map(str::to_string);
    scenario
}

fn client(run: &dyn Run, transport: Transport) -> &Client {
    clients_of(sim(run))
        .map(|(_, client)| client)
        .find(|client| client.transport() == transport)
        .expect("the transport runs")
}

/// Every group received events 1 to about the head, once each, in order.
fn assert_whole_stream(run: &dyn Run, slack: u64) {
    let head = server_of(sim(run)).expect("a server").head();
    assert!(head > 20, "the server published {head} events");
    for (node, client) in clients_of(sim(run)) {
        assert_eq!(
            client.delivered().len(),
            1,
            "{node}: {:?}",
            client.delivered()
        );
        let (first, last) = client.delivered()[0];
        assert_eq!(first, 1, "{node}");
        // At most the last poll interval's events are still on their way.
        assert!(last + slack >= head, "{node} reached {last} of {head}");
    }
}

#[test]
fn every_transport_delivers_the_whole_stream_in_order_on_a_quiet_network() {
    let scenario = Scenario::new(INFO.slug, 3);
    let run = run(&scenario, 20_000);
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    assert_whole_stream(run.as_ref(), 10);
    for transport in Transport::ALL {
        assert_eq!(
            client(run.as_ref(), transport).reconnects(),
            0,
            "{transport:?}"
        );
    }
}

#[test]
fn costs_and_latencies_rank_the_transports() {
    let scenario = preset_scenario("four-transports", None);
    let run = run(&scenario, 20_000);
    let simulation = sim(run.as_ref());
    let mut figures = Vec::new();
    for (node, client) in clients_of(simulation) {
        let (bytes, requests) = cost_per_event(simulation, node, client).expect("deliveries");
        let latency = client.latency();
        let p50 = latency.quantile(0.5).expect("latencies");
        let p99 = latency.quantile(0.99).expect("latencies");
        println!(
            "{:>13}: {bytes} B and {requests:.3} requests per delivered event, latency p50 {p50:.0} ms p99 {p99:.0} ms",
            client.transport().as_str()
        );
        figures.push((client.transport(), bytes, requests, p50));
    }
    let get = |t: Transport| *figures.iter().find(|f| f.0 == t).expect("ran");
    let (short, long, sse, ws) = (
        get(Transport::ShortPolling),
        get(Transport::LongPolling),
        get(Transport::ServerSentEvents),
        get(Transport::WebSocket),
    );
    // Bytes: a WebSocket frame header is smaller than SSE's id and data
    // lines, and both are far below a request's and a response's headers.
    assert!(ws.1 < sse.1 && sse.1 < short.1.min(long.1), "{figures:?}");
    // At 5 events a second long polling makes about one request per batch,
    // more than short polling's one a second.
    assert!(long.2 > short.2 && short.2 > sse.2, "{figures:?}");
    // The streams make one request in the whole run.
    assert!(ws.2 < 0.02 && sse.2 < 0.02, "{figures:?}");
    // Latency: streams take one trip, long polling sometimes waits for the
    // re-issued request, short polling waits about half its interval.
    assert!(ws.3 <= 25.0 && sse.3 <= 25.0, "{figures:?}");
    assert!(long.3 < short.3 && short.3 > 200.0, "{figures:?}");
}

#[test]
fn short_polling_costs_grow_with_clients_not_events() {
    let mut quiet = Scenario::new(INFO.slug, 4);
    quiet.set_param(TRANSPORT, 1);
    quiet.set_param(CLIENTS, 1_000);
    quiet.set_param(EVENT_RATE, 0);
    let run = run(&quiet, 10_500);
    let short = client(run.as_ref(), Transport::ShortPolling);
    // A poll at start and one a second: 11 per client, with no events at all.
    assert_eq!(short.meter().total.requests, 11_000);
    assert_eq!(short.events_delivered(), 0);
    assert_eq!(short.meter().total.bytes, 11_000 * REQUEST_HEADERS);
}

#[test]
fn the_cost_model_counts_headers_and_framing() {
    let event = Event {
        seq: 42,
        published_at: Time::ZERO,
    };
    let frame = |body| PushMessage::Frame {
        connection: 1,
        incarnation: 1,
        frame: 3,
        body,
    };
    let event_frame = frame(FrameBody::Event(event));
    // `id: 42\n` `data: <100 B>\n` `\n`
    assert_eq!(
        wire_bytes(&event_frame, Transport::ServerSentEvents, 100),
        7 + 107 + 1
    );
    // 2-byte header, `{"id":42,` and the rest of the payload's JSON.
    assert_eq!(wire_bytes(&event_frame, Transport::WebSocket, 100), 2 + 110);
    // Past 125 B of payload the header grows to 4 bytes, past 64 KiB to 10.
    assert_eq!(wire_bytes(&event_frame, Transport::WebSocket, 200), 4 + 210);
    assert_eq!(
        wire_bytes(&event_frame, Transport::WebSocket, 70_000),
        10 + 70_010
    );
    let ping = PushMessage::Ping { connection: 1 };
    assert_eq!(wire_bytes(&ping, Transport::WebSocket, 100), 6, "masked");
    let empty = PushMessage::PollResponse {
        request: 1,
        after: 0,
        snapshot: None,
        events: Vec::new(),
    };
    assert_eq!(
        wire_bytes(&empty, Transport::ShortPolling, 100),
        RESPONSE_HEADERS + 2
    );
}

#[test]
fn after_a_blip_every_client_resumes_without_a_gap() {
    let scenario = preset_scenario("blip-and-resume", None);
    let run = run(&scenario, 12_000);
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    assert_whole_stream(run.as_ref(), 10);
    for transport in [
        Transport::ServerSentEvents,
        Transport::WebSocket,
        Transport::LongPolling,
    ] {
        assert!(
            client(run.as_ref(), transport).reconnects() >= 1,
            "{transport:?}"
        );
    }
}

#[test]
fn a_snapshot_stands_for_events_gone_from_the_buffer() {
    let mut scenario = preset_scenario("blip-and-resume", None);
    scenario.set_param(super::BUFFER, 10);
    scenario.set_param(EVENT_RATE, 20);
    let run = run(&scenario, 12_000);
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    let notes = run
        .trace()
        .events
        .iter()
        .filter(|e| format!("{e:?}").contains("snapshot for events"))
        .count();
    assert!(notes >= 1, "a client resumed from before the buffer");
    // Short polling may be a second of events (20 a second, bursts) behind.
    assert_whole_stream(run.as_ref(), 50);
}

#[test]
fn websocket_heartbeats_find_a_dead_connection_on_both_sides() {
    let scenario = preset_scenario("websocket-heartbeat", None);
    let run = run(&scenario, 10_000);
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    let notes: Vec<String> = run
        .trace()
        .events
        .iter()
        .map(|e| format!("{e:?}"))
        .collect();
    let gave_up = notes
        .iter()
        .any(|n| n.contains("nothing heard for three heartbeats"));
    let closed = notes
        .iter()
        .any(|n| n.contains("no ping on c1 for three heartbeats"));
    assert!(
        gave_up && closed,
        "client gave up: {gave_up}, server closed: {closed}"
    );
    assert_whole_stream(run.as_ref(), 10);
}

#[test]
fn the_checker_names_a_gap_and_a_duplicate() {
    let config = super::config(&crate::lab::protocol::Setup {
        topic: &INFO,
        scenario: &Scenario::new(INFO.slug, 1),
        nodes: 5,
    });
    let mut client = Client::new(config, Transport::ServerSentEvents);
    let mut checker = PushChecker::new(2);
    let mut check = |client: &Client| {
        let nodes = vec![
            PushProcess::Server(Box::new(Server::new(config))),
            PushProcess::Client(Box::new(client.clone())),
        ];
        let mut found: Vec<Violation> = Vec::new();
        checker.check(&nodes, &[true, true], NodeId(1), Time::ZERO, &mut found);
        found
    };
    client.forge_delivery(1, 3);
    client.forge_delivery(4, 4);
    assert!(check(&client).is_empty());
    client.forge_delivery(4, 4);
    let found = check(&client);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].invariant, EXACTLY_ONCE_IN_ORDER);
    assert!(found[0].message.contains("again"), "{}", found[0].message);
    client.forge_delivery(5, 5);
    client.forge_delivery(9, 9);
    let found = check(&client);
    assert_eq!(found.len(), 1);
    assert!(
        found[0].message.contains("events 6..8 were skipped"),
        "{}",
        found[0].message
    );
    // Checked once: nothing new, nothing reported again.
    assert!(check(&client).is_empty());
}

#[test]
fn without_last_event_id_the_blip_loses_events() {
    let scenario = preset_scenario(
        "sse-without-last-event-id",
        Some(BUG_SSE_WITHOUT_LAST_EVENT_ID),
    );
    let caught = run(&scenario, 12_000);
    let violation = caught.violations().first().expect("the gap is caught");
    assert_eq!(violation.invariant, EXACTLY_ONCE_IN_ORDER);
    assert!(violation.message.contains("SSE"), "{}", violation.message);
    assert!(
        violation.message.contains("were skipped"),
        "{}",
        violation.message
    );
    // The bug runs an SSE group even when another transport was chosen.
    let mut single = Scenario::new(INFO.slug, 1);
    single.set_param(TRANSPORT, 4);
    single.bug = Some(BUG_SSE_WITHOUT_LAST_EVENT_ID.to_string());
    let config = super::config(&crate::lab::protocol::Setup {
        topic: &INFO,
        scenario: &single,
        nodes: 5,
    });
    assert!(config.omit_last_event_id);
    assert_eq!(
        config.transport_of(NodeId(3)),
        Some(Transport::ServerSentEvents)
    );
}

#[test]
fn heavy_faults_never_break_the_correct_model_and_always_catch_the_bug() {
    let mut caught = 0;
    for seed in 1..=30 {
        let mut scenario = Scenario::new(INFO.slug, seed);
        scenario.faults = FaultLevel::Heavy;
        let clean = run(&scenario, 15_000);
        assert!(
            clean.violations().is_empty(),
            "seed {seed}: {:?}",
            clean.violations()
        );
        scenario.bug = Some(BUG_SSE_WITHOUT_LAST_EVENT_ID.to_string());
        if !run(&scenario, 15_000).violations().is_empty() {
            caught += 1;
        }
    }
    assert!(caught >= 25, "caught in {caught} of 30 seeds");
}

#[test]
fn bad_operations_are_refused_and_the_button_blips() {
    assert_eq!(PushOp::from_raw(&RawOperation::new(1, &[0])), None);
    assert_eq!(PushOp::from_raw(&RawOperation::new(1, &[])), None);
    assert_eq!(PushOp::from_raw(&RawOperation::new(9, &[100])), None);
    assert_eq!(
        PushOp::from_raw(&PushOp::Blip { ms: 700 }.to_raw()),
        Some(PushOp::Blip { ms: 700 })
    );
    let scenario = Scenario::new(INFO.slug, 1);
    let setup = crate::lab::protocol::Setup {
        topic: &INFO,
        scenario: &scenario,
        nodes: 5,
    };
    assert_eq!(
        RealTimePushTopic::operation(0, NodeId(0), &setup, 0),
        Some(PushOp::Blip { ms: super::BLIP_MS })
    );
    assert_eq!(RealTimePushTopic::operation(1, NodeId(0), &setup, 0), None);
}

#[test]
fn plots_and_charts_have_a_line_and_a_bar_per_transport() {
    let run = run(&preset_scenario("four-transports", None), 6_000);
    let simulation = sim(run.as_ref());
    let plots = RealTimePushTopic::plots(simulation);
    let titles: Vec<&str> = plots.iter().map(|plot| plot.title.as_str()).collect();
    assert_eq!(
        titles,
        [
            "Delivery latency p50",
            "Delivery latency p90",
            "Delivery latency p99",
            "Delivery latency p99.9",
            "Events delivered per second",
            "Requests per second",
            "Bytes per second",
            "Open connections on the server"
        ]
    );
    for plot in &plots {
        assert_eq!(plot.lines.len(), 4, "{}", plot.title);
        assert!(
            plot.lines.iter().all(|line| !line.points.is_empty()),
            "{}",
            plot.title
        );
    }
    // Each transport's quantiles are ordered second by second.
    for transport in 0..4 {
        let seconds = plots[0].lines[transport].points.len();
        for i in 0..seconds {
            let at: Vec<u64> = plots[..4]
                .iter()
                .map(|plot| plot.lines[transport].points[i].1)
                .collect();
            assert!(at.windows(2).all(|w| w[0] <= w[1]), "{at:?}");
        }
    }
    // Deliveries per second add up to what each group's client received in
    // the finished seconds, and every second between the first and the last
    // has a point.
    for ((_, client), line) in super::clients_of(simulation).zip(&plots[4].lines) {
        let summed: u64 = line.points.iter().map(|p| p.1).sum();
        let finished: u64 = client.delivery_seconds().iter().map(|s| s.delivered).sum();
        assert_eq!(summed, finished);
        assert!(summed > 0 && summed <= client.events_delivered());
        assert!(line
            .points
            .windows(2)
            .all(|w| w[1].0 == w[0].0 + Duration::from_millis(1000)));
    }
    let charts = RealTimePushTopic::charts(simulation);
    assert!(charts.iter().all(|chart| chart.bars.len() == 4));
    let _ = (PushConfig::groups, Duration::ZERO);
}

#[test]
fn missing_seconds_are_zeros_between_the_first_and_the_last() {
    let second = |s: u64| Time::from_millis(1000 * s);
    let filled = super::fill_missing_seconds(&[(second(1), 5), (second(4), 7), (second(5), 2)]);
    assert_eq!(
        filled,
        [
            (second(1), 5),
            (second(2), 0),
            (second(3), 0),
            (second(4), 7),
            (second(5), 2)
        ]
    );
    assert!(super::fill_missing_seconds(&[]).is_empty());
}
