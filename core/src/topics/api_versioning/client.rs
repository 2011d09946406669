//! A client of the API: built against one version, pinned to its major by
//! URI path, header or media type, reading responses tolerantly or strictly.
//!
//! It alternates reads (GET) and creates (POST, a body written with its own
//! schema). When a response says its version is deprecated, its developers
//! move it to the newest version some time before the sunset (a random share
//! of the notice), unless it is a laggard, which never moves on its own and
//! gets 410 Gone after the sunset.

use crate::sim::node::{Cx, Labelled};
use crate::sim::time::{Duration, NodeId, Time};
use crate::sim::view::{Cell, NodeSummary, Palette};

use super::message::{ApiMessage, ApiOp, ApiTimer, Pinning, RequestId, Status};
use super::process::{ApiConfig, ApiProcess, SERVER};
use super::schema::{read, Body, Break, Version};

/// How one of the client's requests went wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// A 200 whose body the client cannot read.
    Unreadable(Break),
    /// A 400: the server could not read the client's body.
    Rejected(Break),
    /// A 410: the client's version was sunset.
    Gone,
}

/// A failure with when and at which version it happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FailureAt {
    pub at: Time,
    /// The client's version then.
    pub version: Version,
    /// The version the server answered in, for a 200.
    pub served: Option<Version>,
    pub failure: Failure,
}

/// A client of the API.
#[derive(Clone, Debug)]
pub struct Client {
    config: ApiConfig,
    /// Its index among the clients (from 0), which sets its order numbers.
    index: u32,
    pub pinning: Pinning,
    /// Reads as the contract says: ignores unknown fields and enum values.
    pub tolerant: bool,
    /// Never migrates on its own.
    pub laggard: bool,
    /// The version it is built against (its major is the one it asks for).
    version: Version,
    /// Every version it has been on, from when.
    pins: Vec<(Time, Version)>,
    /// The newest version a response named.
    latest_known: Version,
    migration_planned: bool,
    sent: u32,
    readable: u32,
    failures: Vec<FailureAt>,
}

impl Client {
    pub fn new(config: ApiConfig, index: u32) -> Self {
        Client {
            config,
            index,
            pinning: Pinning::ALL[config.pinning_of(index)],
            tolerant: !config.is_strict(index),
            laggard: config.is_laggard(index),
            version: Version::FIRST,
            pins: vec![(Time::ZERO, Version::FIRST)],
            latest_known: Version::FIRST,
            migration_planned: false,
            sent: 0,
            readable: 0,
            failures: Vec::new(),
        }
    }

    pub fn version(&self) -> Version {
        self.version
    }

    pub fn pins(&self) -> &[(Time, Version)] {
        &self.pins
    }

    pub fn failures(&self) -> &[FailureAt] {
        &self.failures
    }

    pub fn sent(&self) -> u32 {
        self.sent
    }

    pub fn on_start(&mut self, cx: &mut Cx<ApiProcess>) {
        self.schedule_next(cx);
    }

    fn schedule_next(&self, cx: &mut Cx<ApiProcess>) {
        if let Some(mean) = self.config.mean_gap() {
            let wait = cx.rng.range_inclusive(1, 2 * mean.as_micros().max(1));
            cx.set_timer(ApiTimer::NextRequest, Duration(wait));
        }
    }

    pub fn on_timer(&mut self, timer: ApiTimer, cx: &mut Cx<ApiProcess>) {
        match timer {
            ApiTimer::NextRequest => {
                self.send(cx);
                self.schedule_next(cx);
            }
            ApiTimer::Migrate => {
                self.migration_planned = false;
                self.upgrade(cx);
            }
            ApiTimer::Release => cx.note(|| "a client releases nothing".to_string()),
        }
    }

    pub fn on_operation(&mut self, operation: ApiOp, cx: &mut Cx<ApiProcess>) {
        match operation {
            ApiOp::Upgrade => self.upgrade(cx),
            ApiOp::Release => cx.note(|| "only the server releases".to_string()),
        }
    }

    /// Moves to the newest version a response named, if it is a newer major
    /// (a newer minor of its own major it gets anyway).
    fn upgrade(&mut self, cx: &mut Cx<ApiProcess>) {
        let latest = self.latest_known;
        if latest.major <= self.version.major {
            let version = self.version;
            cx.note(|| format!("knows of no major version newer than {version}"));
            return;
        }
        let from = self.version;
        self.version = latest;
        self.pins.push((cx.now(), latest));
        cx.note(|| format!("migrates from {from} to {latest}: rebuilt against its schema"));
    }

    fn send(&mut self, cx: &mut Cx<ApiProcess>) {
        self.sent += 1;
        let order = self.index as u64 * 10_000 + self.sent as u64;
        // Every other request creates an order: a body in the client's schema.
        let body = self
            .sent
            .is_multiple_of(2)
            .then(|| Body::write(&self.version.schema(), order));
        cx.send(
            SERVER,
            ApiMessage::Request {
                id: RequestId(self.sent),
                major: self.version.major,
                pinning: self.pinning,
                order,
                body,
            },
        );
    }

    pub fn on_message(&mut self, from: NodeId, msg: ApiMessage, cx: &mut Cx<ApiProcess>) {
        let ApiMessage::Response {
            major,
            status,
            deprecation,
            latest,
            ..
        } = msg
        else {
            cx.note(|| format!("a client ignores {} from {from}", msg.label()));
            return;
        };
        if latest.major > self.latest_known.major
            || (latest.major == self.latest_known.major && latest.minor > self.latest_known.minor)
        {
            self.latest_known = latest;
        }
        if major != self.version.major {
            cx.note(|| format!("a late answer for v{major}, which it no longer uses"));
            return;
        }
        let now = cx.now();
        let failure = match status {
            Status::Ok { version, body } => {
                match read(&self.version.schema(), &body, self.tolerant) {
                    Ok(()) => {
                        self.readable += 1;
                        None
                    }
                    Err(why) => Some((Some(version), Failure::Unreadable(why))),
                }
            }
            Status::BadRequest(why) => Some((None, Failure::Rejected(why))),
            Status::Gone => Some((None, Failure::Gone)),
            Status::NotFound => {
                cx.note(|| format!("v{major} does not exist"));
                None
            }
        };
        if let Some((served, failure)) = failure {
            let version = self.version;
            cx.note(|| match failure {
                Failure::Unreadable(why) => format!("cannot read the response: {why}"),
                Failure::Rejected(why) => format!("its request was refused: {why}"),
                Failure::Gone => format!("v{} is gone", version.major),
            });
            self.failures.push(FailureAt {
                at: now,
                version,
                served,
                failure,
            });
        }
        if let Some(deprecation) = deprecation {
            if !self.laggard && !self.migration_planned && deprecation.sunset > now {
                // Its developers get to it somewhere in the first 60% of
                // the notice they were given.
                let notice = deprecation.sunset.since(deprecation.since).as_micros();
                let low = notice / 10;
                let wait = cx
                    .rng
                    .range_inclusive(low.max(1), (notice * 6 / 10).max(low + 1));
                cx.set_timer(ApiTimer::Migrate, Duration(wait));
                self.migration_planned = true;
                cx.note(|| format!("v{major} is deprecated: plans to migrate"));
            }
        }
    }

    /// A crash loses the planned migration (the timer), not the build.
    pub fn on_crash(&mut self) {
        self.migration_planned = false;
    }

    pub fn summary(&self) -> NodeSummary {
        let broken = self.failures.iter().any(|f| f.failure != Failure::Gone);
        NodeSummary {
            role: "client",
            palette: if broken {
                Palette::Faulty
            } else {
                Palette::Plain
            },
            badge: format!("v{}", self.version.major),
            detail: format!(
                "built against {}, pinned by {}, {} reader{}; {} sent, {} failed",
                self.version,
                self.pinning.as_str(),
                if self.tolerant { "tolerant" } else { "strict" },
                if self.laggard { ", never migrates" } else { "" },
                self.sent,
                self.failures.len()
            ),
        }
    }

    pub fn state_row(&self) -> Vec<Cell> {
        let last = self
            .failures
            .last()
            .map_or(String::new(), |f| match f.failure {
                Failure::Unreadable(why) => format!("unreadable: {why}"),
                Failure::Rejected(why) => format!("400: {why}"),
                Failure::Gone => "410 Gone".to_string(),
            });
        vec![
            Cell::Text(format!(
                "{} by {}, {}{}",
                self.version,
                self.pinning.as_str(),
                if self.tolerant { "tolerant" } else { "strict" },
                if self.laggard { ", laggard" } else { "" }
            )),
            Cell::Text(self.sent.to_string()),
            Cell::Text(format!(
                "{} ok, {} failed",
                self.readable,
                self.failures.len()
            )),
            Cell::Text(last),
        ]
    }
}
