//! The mesh's authorization policy, in the shape of Istio's
//! `AuthorizationPolicy` with `action: ALLOW`: each rule names a destination
//! service and the source principals (SPIFFE ids, proven by the caller's
//! mTLS certificate) allowed to call it. Once a service has an ALLOW policy,
//! anything no rule matches is denied (Istio: "if there are any ALLOW
//! policies for the workload, a request is allowed only if it matches one").
//!
//! The gateway is the mesh's edge: it takes calls from clients without a
//! workload identity, as an ingress gateway does.

use super::message::Workload;

/// One ALLOW rule: `source` may call `destination`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    pub destination: Workload,
    pub source: Workload,
}

const fn allow(source: Workload, destination: Workload) -> Rule {
    Rule {
        destination,
        source,
    }
}

/// The shop's policy: each service may be called only by the one that
/// needs it. The batch job appears in no rule.
pub const POLICY: &[Rule] = &[
    allow(Workload::Client, Workload::Gateway),
    allow(Workload::Gateway, Workload::Frontend),
    allow(Workload::Frontend, Workload::Catalog),
    allow(Workload::Frontend, Workload::Cart),
    allow(Workload::Cart, Workload::Payments),
];

/// Whether the policy lets `source` call `destination`.
pub fn allows(source: Workload, destination: Workload) -> bool {
    POLICY
        .iter()
        .any(|rule| rule.source == source && rule.destination == destination)
}

/// The services `source` may call, for the state table.
pub fn callers_of(destination: Workload) -> impl Iterator<Item = Workload> {
    POLICY
        .iter()
        .filter(move |rule| rule.destination == destination)
        .map(|rule| rule.source)
}
