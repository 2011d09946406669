//! The invariants of the service-mesh topic, checked after every step of a
//! service, from what the checker saw of it after its previous step:
//!
//! - **policy enforced**: on the mesh plane, no call reaches a service's
//!   application from a workload the authorization policy does not allow
//!   to call it, first attempts and retries alike. Counted from the calls
//!   each application was handed, by caller, against the policy itself
//!   (not against the sidecar's verdict, which a broken sidecar would get
//!   wrong in the same way).
//! - **canary rollback**: once the canary's error rate over the window
//!   reaches the threshold (with at least the minimum of calls in it),
//!   no attempt is routed to the canary after that step. The checker keeps
//!   its own window over the outcomes the frontend's sidecar analysed, so
//!   it finds the breach whether or not the sidecar did.

use crate::lab::topic::InvariantInfo;
use crate::sim::checker::{Checker, Violation};
use crate::sim::time::{NodeId, Time};

use super::message::{Plane, Workload, WORKLOADS};
use super::policy;
use super::process::MeshProcess;
use super::rollout::RolloutConfig;

pub const POLICY_ENFORCED: &str = "policy-enforced";
pub const CANARY_ROLLBACK: &str = "canary-rollback";

pub const INVARIANTS: &[InvariantInfo] = &[
    InvariantInfo {
        name: POLICY_ENFORCED,
        summary: "On the mesh, no call reaches a service's application from a workload identity the authorization policy does not allow, retries included.",
    },
    InvariantInfo {
        name: CANARY_ROLLBACK,
        summary: "Once the canary's error rate over the window reaches the threshold, no further attempt is routed to the canary.",
    },
];

#[derive(Clone, Debug)]
pub struct MeshChecker {
    /// Per service node: calls handed to its mesh application, by caller.
    admitted: Vec<[u64; WORKLOADS]>,
    rollout: RolloutConfig,
    /// How many of the frontend's analysed outcomes were read.
    read: usize,
    window: Vec<(Time, bool)>,
    /// When the canary's error rate first reached the threshold.
    breached_at: Option<Time>,
    /// Canary attempts counted after the step that saw the breach.
    canary_attempts: u64,
}

impl MeshChecker {
    pub fn new(rollout: RolloutConfig) -> Self {
        MeshChecker {
            admitted: vec![[0; WORKLOADS]; 5],
            rollout,
            read: 0,
            window: Vec::new(),
            breached_at: None,
            canary_attempts: 0,
        }
    }

    pub fn breached_at(&self) -> Option<Time> {
        self.breached_at
    }
}

impl Checker<MeshProcess> for MeshChecker {
    fn check(
        &mut self,
        nodes: &[MeshProcess],
        _up: &[bool],
        changed: NodeId,
        _now: Time,
        found: &mut Vec<Violation>,
    ) {
        let Some(service) = nodes.get(changed.index()).and_then(MeshProcess::service) else {
            return;
        };
        let destination = service.workload();
        let inbound = service.inbound(Plane::Mesh);
        if let Some(seen) = self.admitted.get_mut(changed.index()) {
            for (source, (&now, before)) in inbound.admitted.iter().zip(seen.iter_mut()).enumerate()
            {
                if now > *before {
                    let source = super::service_node::workload_of_index(source);
                    if !policy::allows(source, destination) {
                        let attempt = match inbound.last_forbidden {
                            Some((_, attempt)) => format!(" (attempt {attempt})"),
                            None => String::new(),
                        };
                        found.push(Violation {
                            invariant: POLICY_ENFORCED,
                            message: format!(
                                "{}'s application got a call{attempt} from {}, which no rule of the policy allows to call it",
                                destination.name(),
                                source.spiffe_id()
                            ),
                        });
                    }
                    *before = now;
                }
            }
        }
        if destination != Workload::Frontend {
            return;
        }
        let outbound = service.outbound(Plane::Mesh);
        let Some(rollout) = outbound.rollout() else {
            return;
        };
        let attempts = outbound.stats().canary_attempts;
        if let Some(breached_at) = self.breached_at {
            if attempts > self.canary_attempts {
                found.push(Violation {
                    invariant: CANARY_ROLLBACK,
                    message: format!(
                        "the canary's error rate reached {}% at {breached_at}, yet {} more attempt(s) were just routed to it",
                        self.rollout.threshold_percent,
                        attempts - self.canary_attempts
                    ),
                });
            }
        }
        self.canary_attempts = attempts;
        for &(at, ok) in rollout.analysed().iter().skip(self.read) {
            self.read += 1;
            if self.breached_at.is_some() {
                continue;
            }
            self.window.push((at, ok));
            let window = self.rollout.window;
            self.window.retain(|&(t, _)| at.since(t) < window);
            let failed = self.window.iter().filter(|(_, ok)| !ok).count() as u32;
            let calls = self.window.len() as u32;
            if calls >= self.rollout.minimum_calls
                && failed * 100 >= self.rollout.threshold_percent * calls
            {
                self.breached_at = Some(at);
            }
        }
    }
}
