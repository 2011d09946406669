//! The invariants of the API-versioning topic, checked after every step.
//!
//! - **responses-readable-while-supported**: no client that reads as the
//!   contract says (ignoring unknown fields and enum values) gets a 200 it
//!   cannot read. Strict readers are outside the contract: their failures
//!   are counted and drawn, not violations.
//! - **requests-accepted-while-supported**: the server never refuses (400) a
//!   body such a client wrote with the schema of its version.
//! - **semver-honoured**: every release that breaks such a client in either
//!   direction (decided by comparing the two schemas) starts a new major.
//!
//! All three hold by construction unless a breaking change ships as a minor
//! version; 410 Gone after a sunset is no violation, the version is no longer
//! supported.

use crate::lab::topic::InvariantInfo;
use crate::sim::checker::{Checker, Violation};
use crate::sim::time::{NodeId, Time};

use super::client::Failure;
use super::process::ApiProcess;
use super::schema::Compatibility;

pub const RESPONSES_READABLE: &str = "responses-readable-while-supported";
pub const REQUESTS_ACCEPTED: &str = "requests-accepted-while-supported";
pub const SEMVER_HONOURED: &str = "semver-honoured";

pub const INVARIANTS: &[InvariantInfo] = &[
    InvariantInfo {
        name: RESPONSES_READABLE,
        summary: "No client that ignores unknown fields and values gets a response it cannot read while its version is supported.",
    },
    InvariantInfo {
        name: REQUESTS_ACCEPTED,
        summary: "The server never refuses a body that such a client wrote in its own version's schema while that version is supported.",
    },
    InvariantInfo {
        name: SEMVER_HONOURED,
        summary: "A change that breaks such clients, backward or forward (by comparing the schemas), is released as a new major version.",
    },
];

/// The checker: cursors into what each process has written down.
#[derive(Clone, Debug, Default)]
pub struct ApiChecker {
    /// Per node, the failures already looked at.
    seen_failures: Vec<usize>,
    releases_seen: usize,
}

impl Checker<ApiProcess> for ApiChecker {
    fn check(
        &mut self,
        nodes: &[ApiProcess],
        _up: &[bool],
        changed: NodeId,
        _now: Time,
        found: &mut Vec<Violation>,
    ) {
        if self.seen_failures.len() < nodes.len() {
            self.seen_failures.resize(nodes.len(), 0);
        }
        match nodes.get(changed.index()) {
            Some(ApiProcess::Client(client)) => {
                let seen = &mut self.seen_failures[changed.index()];
                for failure in &client.failures()[*seen..] {
                    if !client.tolerant {
                        continue;
                    }
                    match failure.failure {
                        Failure::Unreadable(why) => found.push(Violation {
                            invariant: RESPONSES_READABLE,
                            message: format!(
                                "{changed}, built against {}, cannot read a response written in {}: {why}",
                                failure.version,
                                failure.served.map_or("?".to_string(), |v| v.to_string())
                            ),
                        }),
                        Failure::Rejected(why) => found.push(Violation {
                            invariant: REQUESTS_ACCEPTED,
                            message: format!(
                                "the server refused a body {changed} wrote in {}: {why}",
                                failure.version
                            ),
                        }),
                        Failure::Gone => {}
                    }
                }
                *seen = client.failures().len();
            }
            Some(ApiProcess::Server(server)) => {
                let releases = server.releases();
                for (index, release) in releases.iter().enumerate().skip(self.releases_seen) {
                    let before = match index {
                        0 => 1,
                        _ => releases[index - 1].version.major,
                    };
                    let compatibility = Compatibility::of(index);
                    if compatibility.needs_major() && release.version.major == before {
                        let why = compatibility
                            .backward
                            .err()
                            .or(compatibility.forward_tolerant.err())
                            .map_or(String::new(), |why| why.to_string());
                        found.push(Violation {
                            invariant: SEMVER_HONOURED,
                            message: format!(
                                "{} ({}) breaks clients of v{before} ({why}) but keeps the major version",
                                release.version, release.change
                            ),
                        });
                    }
                }
                self.releases_seen = releases.len();
            }
            None => {}
        }
    }
}
