//! Where a protocol page's frame goes, natively: the run's summaries and the
//! layouts a frame of the gossip page computes at 10,000 nodes, each timed
//! over frames of the push preset played at the page's speed. A probe, not a
//! check (timings vary with the machine): run it with
//!
//!     cargo test --release -p distlab-web --test frame_costs -- --ignored --nocapture
#![cfg(not(target_arch = "wasm32"))]

use std::time::Instant;

use distlab_core::catalog;
use distlab_core::lab::protocol::{simulation, ProtocolTopic};
use distlab_core::sim::time::{Duration, Time};
use distlab_core::topics::gossip::GossipTopic;
use distlab_web::layout::{cluster, timeline};
use distlab_web::player::Player;

fn timed<R>(spent: &mut f64, work: impl FnOnce() -> R) -> R {
    let started = Instant::now();
    let result = work();
    *spent += started.elapsed().as_secs_f64() * 1e3;
    result
}

#[test]
#[ignore = "a probe that prints timings"]
fn gossip_frame_costs_at_ten_thousand_nodes() {
    let topic = catalog::find("gossip").expect("gossip");
    let preset = topic.preset("push-1000").expect("gossip's push preset");
    let mut scenario = topic.preset_scenario(preset);
    scenario.set_param("nodes", 10_000);
    let mut player = Player::new(topic, scenario).expect("a gossip run");
    player.play();
    let frames = 60;
    let names = [
        "advance",
        "cluster()",
        "in_flight",
        "cluster layout",
        "timeline layout",
        "state_table_head()",
        "plots, charts",
    ];
    let mut spent = [0.0; 7];
    for _ in 0..frames {
        timed(&mut spent[0], || player.advance(16.7, 4_000));
        let run = player.run();
        let now = player.time();
        let state = timed(&mut spent[1], || run.cluster());
        let flying = timed(&mut spent[2], || {
            run.trace().in_flight(now, Duration::from_millis(3_000))
        });
        timed(&mut spent[3], || {
            cluster::layout(&state, &flying, now, true)
        });
        timed(&mut spent[4], || {
            timeline::layout(
                run.trace(),
                &state,
                now,
                distlab_web::hooks::DEFAULT_SPAN,
                1_100.0,
                &Default::default(),
                None,
            )
        });
        timed(&mut spent[5], || run.state_table_head(64));
        let simulation = simulation::<GossipTopic>(run).expect("gossip's simulation");
        timed(&mut spent[6], || {
            (
                GossipTopic::plots(simulation),
                GossipTopic::charts(simulation),
            )
        });
    }
    println!(
        "gossip, 10,000 nodes, mean per frame over {frames} frames (virtual time reached {}):",
        player.time()
    );
    for (name, total) in names.iter().zip(spent) {
        println!("  {name:<18} {:>8.2} ms", total / frames as f64);
    }
    assert!(player.time() > Time::ZERO);
}
