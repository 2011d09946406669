//! The API server: it releases the evolution's changes one by one, numbers
//! each release by semantic versioning, keeps serving every major version
//! until its sunset, and answers each request in the schema of the version
//! asked for.
//!
//! A compatible change becomes the next minor version of the newest major;
//! clients pinned to that major get it at once (they asked for "v2", not
//! "v2.1"). A breaking change starts a new major: the older majors stay
//! frozen at their last schema (the server keeps an adapter per major that
//! writes its model in that schema), are marked deprecated, and are sunset
//! after the notice period; from then on they answer 410 Gone.

use crate::sim::node::{Cx, Labelled};
use crate::sim::time::{Duration, NodeId, Time};
use crate::sim::view::{Cell, NodeSummary, Palette};

use super::message::{seconds, ApiMessage, ApiTimer, Deprecation, Status};
use super::process::{ApiConfig, ApiProcess};
use super::schema::{read, Body, Change, Compatibility, Version, EVOLUTION};

/// One release of the evolution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Release {
    pub at: Time,
    pub change: Change,
    pub version: Version,
}

/// A major version the server has released.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Major {
    /// Its newest release: the schema it answers in.
    pub latest: Version,
    pub deprecation: Option<Deprecation>,
}

impl Major {
    pub fn sunset_by(&self, now: Time) -> bool {
        self.deprecation.is_some_and(|d| d.sunset <= now)
    }
}

/// What the server answered, for the traffic charts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Served {
    pub at: Time,
    pub major: u32,
    /// The HTTP status code.
    pub code: u16,
}

/// The API server.
#[derive(Clone, Debug)]
pub struct Server {
    config: ApiConfig,
    releases: Vec<Release>,
    majors: Vec<Major>,
    served: Vec<Served>,
    /// The instant of the last event handled, for the state table.
    clock: Time,
}

impl Server {
    pub fn new(config: ApiConfig) -> Self {
        Server {
            config,
            releases: Vec::new(),
            majors: vec![Major {
                latest: Version::FIRST,
                deprecation: None,
            }],
            served: Vec::new(),
            clock: Time::ZERO,
        }
    }

    pub fn releases(&self) -> &[Release] {
        &self.releases
    }

    /// The major versions released so far, `majors()[0]` being v1.
    pub fn majors(&self) -> &[Major] {
        &self.majors
    }

    pub fn served(&self) -> &[Served] {
        &self.served
    }

    /// The newest version.
    pub fn latest(&self) -> Version {
        self.majors
            .last()
            .map_or(Version::FIRST, |major| major.latest)
    }

    pub fn on_start(&mut self, cx: &mut Cx<ApiProcess>) {
        self.schedule_release(cx);
    }

    /// Releases follow a calendar (release k at k periods), so a restart
    /// resumes the train instead of starting its period again; a release
    /// from the button brings the next one forward by a period.
    fn schedule_release(&self, cx: &mut Cx<ApiProcess>) {
        cx.cancel_timer(ApiTimer::Release);
        let period = self.config.release_every.as_micros();
        if period > 0 && self.releases.len() < EVOLUTION.len() {
            let due = Time(period.saturating_mul(self.releases.len() as u64 + 1));
            let wait = due.since(cx.now()).max(Duration(1));
            cx.set_timer(ApiTimer::Release, wait);
        }
    }

    pub fn on_timer(&mut self, timer: ApiTimer, cx: &mut Cx<ApiProcess>) {
        self.clock = cx.now();
        match timer {
            ApiTimer::Release => self.release(cx),
            _ => cx.note(|| format!("the server ignores timer {}", timer.label())),
        }
    }

    /// Releases the next change: a minor version if it keeps every client
    /// that reads as the contract says working, else a new major that
    /// deprecates the others (bug `breaking-change-in-minor-version`: always
    /// a minor version).
    pub fn release(&mut self, cx: &mut Cx<ApiProcess>) {
        let index = self.releases.len();
        let Some(&change) = EVOLUTION.get(index) else {
            cx.note(|| "every change is released already".to_string());
            return;
        };
        let now = cx.now();
        let latest = self.latest();
        let breaking = Compatibility::of(index).needs_major();
        let changes = index as u32 + 1;
        let version = if breaking && !self.config.breaking_in_minor {
            let sunset = now + self.config.notice;
            for major in self.majors.iter_mut().filter(|m| m.deprecation.is_none()) {
                major.deprecation = Some(Deprecation { since: now, sunset });
            }
            let version = Version {
                major: latest.major + 1,
                minor: 0,
                changes,
            };
            self.majors.push(Major {
                latest: version,
                deprecation: None,
            });
            cx.note(|| {
                format!(
                    "releases {version} ({change}: breaking, a new major); older majors deprecated, sunset at {}",
                    seconds(sunset)
                )
            });
            version
        } else {
            let version = Version {
                major: latest.major,
                minor: latest.minor + 1,
                changes,
            };
            if let Some(major) = self.majors.last_mut() {
                major.latest = version;
            }
            cx.note(|| format!("releases {version} ({change}, a minor version)"));
            version
        };
        self.releases.push(Release {
            at: now,
            change,
            version,
        });
        self.schedule_release(cx);
    }

    pub fn on_message(&mut self, from: NodeId, msg: ApiMessage, cx: &mut Cx<ApiProcess>) {
        let ApiMessage::Request {
            id,
            major,
            order,
            body,
            ..
        } = msg
        else {
            cx.note(|| format!("the server ignores {} from {from}", msg.label()));
            return;
        };
        let now = cx.now();
        self.clock = now;
        let found = major
            .checked_sub(1)
            .and_then(|i| self.majors.get(i as usize))
            .copied();
        let status = match found {
            None => Status::NotFound,
            Some(m) if m.sunset_by(now) => Status::Gone,
            Some(m) => {
                let schema = m.latest.schema();
                match body.map(|body| read(&schema, &body, true)) {
                    Some(Err(why)) => Status::BadRequest(why),
                    _ => Status::Ok {
                        version: m.latest,
                        body: Body::write(&schema, order),
                    },
                }
            }
        };
        let code = match status {
            Status::Ok { .. } => 200,
            Status::BadRequest(_) => 400,
            Status::Gone => 410,
            Status::NotFound => 404,
        };
        self.served.push(Served {
            at: now,
            major,
            code,
        });
        let deprecation = found.and_then(|m| m.deprecation);
        cx.send(
            from,
            ApiMessage::Response {
                id,
                major,
                status,
                deprecation,
                latest: self.latest(),
            },
        );
    }

    pub fn summary(&self) -> NodeSummary {
        let latest = self.latest();
        NodeSummary {
            role: "API server",
            palette: Palette::Lead,
            badge: latest.to_string(),
            detail: format!(
                "{} releases; newest {latest}; {} requests answered",
                self.releases.len(),
                self.served.len()
            ),
        }
    }

    pub fn state_row(&self) -> Vec<Cell> {
        let now = self.clock;
        let majors: Vec<String> = self
            .majors
            .iter()
            .map(|m| match m.deprecation {
                Some(d) if d.sunset <= now => format!("v{} sunset", m.latest.major),
                Some(d) => format!("{} until {}", m.latest, seconds(d.sunset)),
                None => m.latest.to_string(),
            })
            .collect();
        let ok = self.served.iter().filter(|s| s.code == 200).count();
        vec![
            Cell::Text(majors.join(", ")),
            Cell::Text(self.served.len().to_string()),
            Cell::Text(format!("{ok} ok")),
            Cell::Text(self.releases.last().map_or("v1.0 only".to_string(), |r| {
                format!("{}: {}", r.version, r.change)
            })),
        ]
    }
}
