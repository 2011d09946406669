//! The parameters protocol topics share, declared once: cluster size, the seeded
//! client workload's rate, message loss and latency. A topic lists the ones it
//! takes (with its own range for `nodes`), and the generic protocol build reads
//! them, so no topic wires the network or the workload by hand.

use super::scenario::Scenario;
use super::topic::{ParamSpec, TopicInfo};
use crate::sim::network::NetworkConfig;
use crate::sim::time::Duration;

pub const NODES: &str = "nodes";
pub const REQUEST_RATE: &str = "rate";
pub const DROP: &str = "drop";
pub const LATENCY: &str = "latency";

/// Cluster size from `min` to `max` in steps of `step`.
pub const fn nodes(default: i64, min: i64, max: i64, step: i64) -> ParamSpec {
    ParamSpec {
        name: NODES,
        label: "Servers",
        default,
        min,
        max,
        step,
        help: "How many nodes the cluster has.",
        choices: &[],
    }
}

/// Requests per second of the seeded client workload, routed by the topic.
pub const fn request_rate(default: i64, max: i64) -> ParamSpec {
    ParamSpec {
        name: REQUEST_RATE,
        label: "Client requests per second",
        default,
        min: 0,
        max,
        step: 1,
        help: "Automatic client requests, routed by the topic (to the leader, say).",
        choices: &[],
    }
}

/// Probability that the network loses a message, in percent.
pub const DROP_PERCENT: ParamSpec = ParamSpec {
    name: DROP,
    label: "Message loss (%)",
    default: 0,
    min: 0,
    max: 90,
    step: 1,
    help: "Probability that the network loses a message, from the start.",
    choices: &[],
};

/// The highest one-way latency in milliseconds; the lowest is a third of it.
pub const fn latency(default: i64) -> ParamSpec {
    ParamSpec {
        name: LATENCY,
        label: "Max latency (ms)",
        default,
        min: 3,
        max: 300,
        step: 1,
        help: "One-way latency is uniform between a third of this and this.",
        choices: &[],
    }
}

/// The network a scenario starts with: the topic's `latency` and `drop`
/// parameters where it has them, the simulator's defaults otherwise.
pub fn network(topic: &TopicInfo, scenario: &Scenario) -> NetworkConfig {
    let mut config = NetworkConfig::default();
    if topic.param_spec(LATENCY).is_some() {
        let max = Duration::from_millis(topic.param(scenario, LATENCY).max(0) as u64);
        config.latency_min = Duration(max.as_micros() / 3);
        config.latency_max = max;
    }
    if topic.param_spec(DROP).is_some() {
        config.drop_ppm = topic.param(scenario, DROP).clamp(0, 100) as u32 * 10_000;
    }
    config
}
