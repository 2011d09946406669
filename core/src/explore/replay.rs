//! Turns an explored path into a scenario the player opens: the run is held
//! ([`Action::Hold`]) so nothing happens by itself, and each step of the path
//! becomes one action, step k at k milliseconds: a held message released
//! (delivered, delivered again, or lost), a pending timer fired, a crash, a
//! restart, an input.
//!
//! Held messages and pending timers are named by the simulator's own ids, so the
//! path is replayed once here, in a simulation, to learn them.

use crate::lab::params::NODES;
use crate::lab::protocol::Setup;
use crate::lab::scenario::Scenario;
use crate::sim::action::{Action, Release, TimedAction};
use crate::sim::network::NetworkConfig;
use crate::sim::node::Node;
use crate::sim::time::{NodeId, Time};
use crate::sim::world::{Recording, Simulation};

use super::fingerprint::{Fingerprint, Rename};
use super::state::Step;
use super::{Bounds, Explorable};
use std::hash::Hasher;

/// The scenario of the run before any step: the topic's exploration settings,
/// seed 0, and the hold.
pub(crate) fn base_scenario<T: Explorable>(bounds: &Bounds, bug: Option<&str>) -> Scenario {
    let mut scenario = Scenario::new(T::INFO.slug, 0);
    if T::INFO.param_spec(NODES).is_some() {
        scenario.set_param(NODES, bounds.nodes as i64);
    }
    T::configure(&mut scenario, bounds);
    scenario.bug = bug.map(str::to_string);
    scenario.push_action(Time::ZERO, Action::Hold);
    scenario
}

/// The scenario that replays `steps` from `base`, and whether the replay
/// breaks `invariant` at its last step.
pub(crate) fn scenario_of<T: Explorable>(
    base: Scenario,
    steps: &[Step<T::Node>],
    invariant: &str,
) -> (Scenario, bool) {
    let mut scenario = base;
    let setup = Setup {
        topic: T::INFO,
        scenario: &scenario,
        nodes: if T::INFO.param_spec(NODES).is_some() {
            T::INFO.param(&scenario, NODES).max(1) as usize
        } else {
            T::FIXED_NODES
        },
    };
    let (nodes, checker) = T::setup(&setup);
    let count = nodes.len();
    let recording = Recording {
        trace: false,
        check: true,
    };
    let mut simulation = Simulation::new(nodes, checker, 0, NetworkConfig::default(), recording)
        .with_focus(T::focus, T::FOCUS_ROLE);
    simulation.schedule(TimedAction::at_ms(0, Action::Hold), 0);
    while simulation.step() {}
    let identity = Rename::identity(count);
    let plain = |msg: &<T::Node as Node>::Msg| {
        let mut hasher = Fingerprint::default();
        T::hash_message(msg, &identity, &mut hasher);
        hasher.finish()
    };
    for (k, step) in steps.iter().enumerate() {
        let release = |flight: &super::state::Flight<_>, fate| {
            simulation
                .held_messages()
                .find(|&(_, from, to, msg)| {
                    from == flight.from && to == flight.to && plain(msg) == flight.plain
                })
                .map(|(message, ..)| Action::Release { message, fate })
        };
        let action = match step {
            Step::Deliver(flight) => release(flight, Release::Deliver),
            Step::Duplicate(flight) => release(flight, Release::Duplicate),
            Step::Drop(flight) => release(flight, Release::Lose),
            Step::Fire(node, timer) => simulation
                .pending_timers(*node)
                .position(|t| t == timer)
                .map(|slot| Action::Fire {
                    node: *node,
                    slot: slot as u32,
                }),
            Step::Crash(node) => Some(Action::Crash(*node)),
            Step::Restart(node) => Some(Action::Restart(*node)),
            Step::Input(node, _, op) => Some(Action::operation(Some(NodeId(node.0)), op)),
        };
        let Some(action) = action else {
            // The simulation and the explorer disagree: keep what replays.
            return (scenario, false);
        };
        let at = Time::from_millis(k as u64 + 1);
        scenario.push_action(at, action.clone());
        simulation.schedule(TimedAction { at, action }, k as u32 + 1);
        while simulation.step() {}
    }
    let replays = simulation
        .violations()
        .first()
        .is_some_and(|violation| violation.invariant == invariant);
    (scenario, replays)
}
