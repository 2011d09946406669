//! `distlab bench`: how fast the simulator runs a topic.
//!
//! Runs the topic with 5 nodes (where it has a `nodes` parameter) and heavy faults,
//! seed after seed, for about `seconds` of wall time per configuration, and prints
//! simulator steps (events) per second with the trace off and on. Wall time is only
//! read here, in the native binary; the simulator never sees it.

use std::time::Instant;

use distlab_core::lab::bench::{run_seed, RUN_LENGTH};
use distlab_core::lab::topic::TopicInfo;

pub fn run(topic: &'static TopicInfo, seconds: u64) {
    println!(
        "{}: {} virtual seconds per seed, heavy faults{}",
        topic.slug,
        RUN_LENGTH.as_millis() / 1000,
        if topic.param_spec("nodes").is_some() {
            ", 5 nodes"
        } else {
            ""
        }
    );
    let configurations = [
        ("trace off, checker off", false, false),
        ("trace off, checker on ", false, true),
        ("trace on,  checker on ", true, true),
    ];
    for (name, trace, check) in configurations {
        let started = Instant::now();
        let mut steps = 0u64;
        let mut seed = 0;
        while started.elapsed().as_secs_f64() < seconds as f64 || seed == 0 {
            match run_seed(topic, seed, trace, check) {
                Ok(seed_steps) => steps += seed_steps,
                Err(error) => {
                    println!("  cannot build {}: {error}", topic.slug);
                    return;
                }
            }
            seed += 1;
        }
        let elapsed = started.elapsed().as_secs_f64();
        println!(
            "  {name}: {:>12.0} events/s ({steps} events, {seed} seeds, {elapsed:.2} s)",
            steps as f64 / elapsed
        );
    }
}
