//! The invariant of the real-time-push topic, checked after every step of a
//! client group from what its application received:
//!
//! - **exactly-once-in-order**: every client gets every event of the stream
//!   exactly once and in order: the first delivery is event 1 and each
//!   delivery is the successor of the one before, no gap, no duplicate. A
//!   client that is disconnected may lag behind the stream for as long as
//!   it likes; it may never skip. (A snapshot standing for events gone from
//!   the server's buffer counts as those events.)
//!
//! The client keeps its deliveries as maximal runs of consecutive numbers,
//! so the checker only reads the runs added since its last look: each new
//! run is a gap or a repeat, which it names.

use crate::lab::topic::InvariantInfo;
use crate::sim::checker::{Checker, Violation};
use crate::sim::time::{NodeId, Time};

use super::process::PushProcess;

pub const EXACTLY_ONCE_IN_ORDER: &str = "exactly-once-in-order";

pub const INVARIANTS: &[InvariantInfo] = &[InvariantInfo {
    name: EXACTLY_ONCE_IN_ORDER,
    summary: "Every client gets every event exactly once and in order: no gap, no duplicate. A disconnected client may lag, never skip.",
}];

#[derive(Clone, Debug, Default)]
pub struct PushChecker {
    /// Per node: how many of its delivery runs were checked.
    checked_runs: Vec<usize>,
}

impl PushChecker {
    pub fn new(nodes: usize) -> Self {
        PushChecker {
            checked_runs: vec![0; nodes],
        }
    }
}

impl Checker<PushProcess> for PushChecker {
    fn check(
        &mut self,
        nodes: &[PushProcess],
        _up: &[bool],
        changed: NodeId,
        _now: Time,
        found: &mut Vec<Violation>,
    ) {
        let Some(client) = nodes.get(changed.index()).and_then(PushProcess::client) else {
            return;
        };
        let Some(checked) = self.checked_runs.get_mut(changed.index()) else {
            return;
        };
        let runs = client.delivered();
        for index in *checked..runs.len() {
            let (first, _) = runs[index];
            let previous = index.checked_sub(1).map_or(0, |i| runs[i].1);
            if first == previous + 1 {
                // Only the first run can start in order: later runs start
                // where the one before could not be extended.
                continue;
            }
            let message = if first > previous + 1 {
                format!(
                    "{} client {changed} got event {first} right after {previous}: events {}..{} were skipped",
                    client.transport().as_str(),
                    previous + 1,
                    first - 1
                )
            } else {
                format!(
                    "{} client {changed} got event {first} again (it had reached {previous}): a duplicate",
                    client.transport().as_str()
                )
            };
            found.push(Violation {
                invariant: EXACTLY_ONCE_IN_ORDER,
                message,
            });
        }
        *checked = runs.len();
    }
}
