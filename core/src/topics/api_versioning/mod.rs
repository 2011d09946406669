//! API versioning: a server evolving its schema through six kinds of change,
//! clients pinned to versions, which change breaks which client, and a
//! deprecation timeline that moves the traffic from one version to the next.
//!
//! **Problem.** A public API changes while clients written against older
//! versions keep calling it, and nobody can redeploy every client at once.
//! Some changes are harmless to them, some break them, and which is which
//! depends on how a client reads (does it ignore a field it does not know?)
//! and on the direction (the server reading old requests, old clients
//! reading new responses).
//!
//! **The idea.** Compare the schemas, not the code: a reader needs every
//! field it requires, with the type it expects, and ignores the rest if it
//! is tolerant ([`schema`]; the rules protobuf's guide to updating message
//! types and JSON Schema evolution share). A change that keeps every
//! tolerant reader working in both directions is *compatible*: semantic
//! versioning (semver.org 2.0.0, items 7 and 8) releases it as a minor
//! version, which clients pinned to the major get at once. A change that
//! breaks such a reader needs a new major version; the old major is frozen,
//! served alongside, announced deprecated (the `Deprecation` header, RFC
//! 9745) with a sunset date (the `Sunset` header, RFC 8594), and answers 410
//! Gone after it.
//!
//! **The model.** One server (n0) and 2 to 12 clients. The server releases
//! the six changes of [`schema::EVOLUTION`] in turn (add an optional field,
//! add a required field, add an enum value, rename a field, change a type,
//! remove a field), every release period or at the Release button, and
//! numbers each by comparing the two schemas. Each client is built against
//! one version and pins its major by URI path (`/v2/orders/7`), header
//! (`Api-Version: 2`) or media type (`Accept: application/vnd.shop.v2+json`);
//! it alternates reads and creates, and reads tolerantly or strictly. A
//! deprecation header sends its developers to the newest version before the
//! sunset, except for laggards, which stay until 410. The compatibility
//! matrix lists, per change, whether the server still reads old requests
//! (backward), whether old tolerant and old strict clients read new responses
//! (forward), what semver asks for, and what the server released.
//!
//! **Invariants** ([`checker`]): `responses-readable-while-supported`,
//! `requests-accepted-while-supported` (for clients that read as the
//! contract says) and `semver-honoured`. Strict readers break on compatible
//! changes (an unknown field, an unknown status) by their own choice: drawn
//! and counted, not violations.
//!
//! **Bug**: `breaking-change-in-minor-version`: the server releases every
//! change as a minor version, so clients pinned to v1 get a required field
//! they do not send (400) and a renamed field they cannot find.
//!
//! **Where the model takes liberties.** One resource with four to five
//! fields stands for an API; a body is the list of its fields' names and
//! types, not JSON. The server reads requests tolerantly. A migration is
//! instant once its developers get to it (a random point in the first 60% of
//! the notice). The server's releases survive a crash (deployed code); a
//! client's planned migration does not. Lost messages are simply lost: a
//! client does not retry.
//!
//! **Left out**: date-based versions with per-request transformations
//! (Stripe's), version negotiation when a client omits its version, field
//! defaults, and schema registries.

pub mod checker;
pub mod client;
pub mod message;
pub mod presets;
pub mod process;
pub mod schema;
pub mod server;

use crate::lab::params;
use crate::lab::protocol::{self, OperationButton, ProtocolTopic, Setup};
use crate::lab::topic::{BugInfo, Category, ParamSpec, TopicInfo};
use crate::sim::time::{Duration, NodeId, Time};
use crate::sim::view::{
    Annotations, Line, Mark, Matrix, MatrixCell, MatrixRow, Palette, Plot, Span,
};
use crate::sim::world::Simulation;

use checker::{ApiChecker, REQUESTS_ACCEPTED, RESPONSES_READABLE, SEMVER_HONOURED};
use client::{Client, Failure};
use message::{seconds, ApiOp};
use process::{ApiConfig, ApiProcess};
use schema::{Break, Compatibility, EVOLUTION};
use server::Server;

pub const BUG_BREAKING_IN_MINOR: &str = "breaking-change-in-minor-version";

pub const CLIENTS: &str = "clients";
pub const PINNING: &str = "pinning";
pub const STRICT: &str = "strict";
pub const LAGGARDS: &str = "laggards";
pub const RELEASE_EVERY: &str = "release-ms";
pub const NOTICE: &str = "notice-ms";

const CLIENTS_PARAM: ParamSpec = ParamSpec {
    name: CLIENTS,
    label: "Clients",
    default: 6,
    min: 2,
    max: 12,
    step: 1,
    help: "Clients of the API, each built against a version and pinned to its major.",
    choices: &[],
};

const PINNING_PARAM: ParamSpec = ParamSpec {
    name: PINNING,
    label: "Version in",
    default: 0,
    min: 0,
    max: 3,
    step: 1,
    help: "How clients name the major version they want: each way in turn, or all the same way.",
    choices: &["mixed", "URI path", "header", "media type"],
};

const STRICT_PARAM: ParamSpec = ParamSpec {
    name: STRICT,
    label: "Strict readers (of 10)",
    default: 0,
    min: 0,
    max: 10,
    step: 1,
    help: "Clients that refuse unknown fields and enum values instead of ignoring them, per ten clients.",
    choices: &[],
};

const LAGGARDS_PARAM: ParamSpec = ParamSpec {
    name: LAGGARDS,
    label: "Laggards (of 10)",
    default: 2,
    min: 0,
    max: 10,
    step: 1,
    help: "Clients that never migrate on their own, per ten clients: after the sunset they get 410 Gone.",
    choices: &[],
};

const RATE_PARAM: ParamSpec = ParamSpec {
    name: params::REQUEST_RATE,
    label: "Requests per second per client",
    default: 3,
    min: 0,
    max: 20,
    step: 1,
    help: "Each client's mean request rate; every other request creates an order.",
    choices: &[],
};

const RELEASE_PARAM: ParamSpec = ParamSpec {
    name: RELEASE_EVERY,
    label: "Release every (ms)",
    default: 3_000,
    min: 0,
    max: 20_000,
    step: 500,
    help: "Time between releases of the next change; 0 releases only at the button.",
    choices: &[],
};

const NOTICE_PARAM: ParamSpec = ParamSpec {
    name: NOTICE,
    label: "Deprecation notice (ms)",
    default: 6_000,
    min: 500,
    max: 30_000,
    step: 500,
    help: "Time from a version's deprecation to its sunset.",
    choices: &[],
};

/// The API-versioning topic.
pub struct ApiVersioningTopic;

pub static INFO: TopicInfo = TopicInfo {
    slug: "api-versioning",
    title: "API versioning",
    category: Category::Platform,
    kind: crate::lab::topic::TopicKind::Protocol,
    summary: "A server evolving its schema through six kinds of change while clients stay pinned to versions by URI path, header or media type; which change breaks which client, decided by comparing schemas; semantic versions, deprecation and sunset headers, and the traffic moving from version to version.",
    reference: "Semantic Versioning 2.0.0 (semver.org); RFC 8594 (Sunset header) and RFC 9745 (Deprecation header); Protocol Buffers language guide, Updating a message type; Confluent Schema Registry, schema evolution and compatibility types; Fowler, Tolerant Reader (2011)",
    params: &[
        CLIENTS_PARAM,
        PINNING_PARAM,
        STRICT_PARAM,
        LAGGARDS_PARAM,
        RATE_PARAM,
        RELEASE_PARAM,
        NOTICE_PARAM,
        params::DROP_PERCENT,
        params::latency(10),
    ],
    presets: &presets::PRESETS,
    bugs: &[BugInfo {
        name: BUG_BREAKING_IN_MINOR,
        summary: "The server releases every change as a minor version: clients pinned to v1 get a field they must send (400), a renamed field and a changed type they cannot read.",
        caught_by: &[SEMVER_HONOURED, REQUESTS_ACCEPTED, RESPONSES_READABLE],
        budget: 20,
    }],
    invariants: checker::INVARIANTS,
    expected: &[],
    columns: &["process", "role", "version", "requests", "outcome", "last"],
    build: protocol::build::<ApiVersioningTopic>,
};

/// The run's configuration from its parameters and bug.
pub fn config(setup: &Setup) -> ApiConfig {
    let clamp = |spec: &ParamSpec| setup.param(spec.name).clamp(spec.min, spec.max);
    ApiConfig {
        clients: clamp(&CLIENTS_PARAM) as u32,
        pinning: clamp(&PINNING_PARAM) as u32,
        strict_per_ten: clamp(&STRICT_PARAM) as u32,
        laggards_per_ten: clamp(&LAGGARDS_PARAM) as u32,
        rate: clamp(&RATE_PARAM) as u32,
        release_every: Duration::from_millis(clamp(&RELEASE_PARAM) as u64),
        notice: Duration::from_millis(clamp(&NOTICE_PARAM) as u64),
        breaking_in_minor: setup.bug(BUG_BREAKING_IN_MINOR),
    }
}

/// Failures of one kind closer than this share one bar.
const RUN_GAP: Duration = Duration::from_millis(400);

/// The width of a bucket of the traffic charts.
const BUCKET: Duration = Duration::from_millis(1_000);

/// The palette of major version `major`, so each major keeps its colour.
fn major_palette(major: u32) -> Palette {
    const CYCLE: [Palette; 4] = [
        Palette::Plain,
        Palette::Lead,
        Palette::Done,
        Palette::Contend,
    ];
    CYCLE[(major.saturating_sub(1) % 4) as usize]
}

fn failure_text(failure: Failure) -> String {
    match failure {
        Failure::Unreadable(why) => format!("unreadable: {why}"),
        Failure::Rejected(why) => format!("400: {why}"),
        Failure::Gone => "410 Gone".to_string(),
    }
}

impl ApiVersioningTopic {
    fn client_spans(client: &Client, node: NodeId, spans: &mut Vec<Span>) {
        let pins = client.pins();
        for (i, &(from, version)) in pins.iter().enumerate() {
            spans.push(Span {
                node,
                from,
                to: pins.get(i + 1).map(|&(to, _)| to),
                label: format!("on {version}"),
                palette: major_palette(version.major),
            });
        }
        // Runs of the same failure, as one bar each.
        let mut run: Option<(Time, Time, Failure, u32)> = None;
        let flush = |run: (Time, Time, Failure, u32), spans: &mut Vec<Span>| {
            let (from, to, failure, count) = run;
            spans.push(Span {
                node,
                from,
                to: Some(to),
                label: format!("{count}× {}", failure_text(failure)),
                palette: if failure == Failure::Gone {
                    Palette::Suspect
                } else {
                    Palette::Faulty
                },
            });
        };
        for failure in client.failures() {
            run = match run {
                Some((from, to, kind, count))
                    if kind == failure.failure && failure.at.since(to) <= RUN_GAP =>
                {
                    Some((from, failure.at, kind, count + 1))
                }
                Some(done) => {
                    flush(done, spans);
                    Some((failure.at, failure.at, failure.failure, 1))
                }
                None => Some((failure.at, failure.at, failure.failure, 1)),
            };
        }
        if let Some(done) = run {
            flush(done, spans);
        }
    }

    fn server_marks(server: &Server, marks: &mut Vec<Mark>) {
        for release in server.releases() {
            marks.push(Mark {
                at: release.at,
                label: format!("{}: {}", release.version, release.change),
            });
        }
        for major in server.majors() {
            if let Some(deprecation) = major.deprecation {
                marks.push(Mark {
                    at: deprecation.sunset,
                    label: format!("v{} sunset", major.latest.major),
                });
            }
        }
    }
}

impl ProtocolTopic for ApiVersioningTopic {
    const INFO: &'static TopicInfo = &INFO;
    type Node = ApiProcess;
    type Checker = ApiChecker;
    const FOCUS_ROLE: &'static str = "API server";

    /// The fault plan's processes: the server and the first two clients.
    const FIXED_NODES: usize = 3;

    fn setup(setup: &Setup) -> (Vec<ApiProcess>, ApiChecker) {
        let config = config(setup);
        let mut processes = vec![ApiProcess::Server(Server::new(config))];
        processes.extend((0..config.clients).map(|i| ApiProcess::Client(Client::new(config, i))));
        (processes, ApiChecker::default())
    }

    /// The server, while it runs: the Release button goes to it.
    fn focus(nodes: &[ApiProcess], up: &[bool]) -> Option<NodeId> {
        let server = nodes.iter().position(|n| n.server().is_some())?;
        up.get(server)
            .copied()
            .unwrap_or(false)
            .then_some(NodeId(server as u32))
    }

    /// The clients run their own traffic.
    fn planned_request(_index: u64) -> Option<ApiOp> {
        None
    }

    const OPERATIONS: &'static [OperationButton] = &[
        OperationButton {
            label: "Release next change",
            help: "The server releases the next change of its schema now, numbered by comparing the schemas",
            at_node: false,
        },
        OperationButton {
            label: "Upgrade",
            help: "The chosen client moves to the newest version it has heard of",
            at_node: true,
        },
    ];

    fn operation(button: usize, at: NodeId, setup: &Setup, _sent: u64) -> Option<ApiOp> {
        match button {
            0 => Some(ApiOp::Release),
            1 if at.0 >= 1 && at.0 <= config(setup).clients => Some(ApiOp::Upgrade),
            _ => None,
        }
    }

    /// Each client's versions as bars on its lane, with runs of its failures;
    /// releases and sunsets as marks.
    const ANNOTATED: bool = true;

    fn annotations(simulation: &Simulation<ApiProcess, ApiChecker>) -> Annotations {
        let mut spans = Vec::new();
        let mut marks = Vec::new();
        let now = simulation.now();
        for (i, process) in simulation.nodes().iter().enumerate() {
            match process {
                ApiProcess::Client(client) => {
                    Self::client_spans(client, NodeId(i as u32), &mut spans)
                }
                ApiProcess::Server(server) => Self::server_marks(server, &mut marks),
            }
        }
        marks.retain(|mark| mark.at <= now);
        crate::sort::sort_stably_by(&mut marks, |mark| mark.at.as_micros());
        Annotations { spans, marks }
    }

    /// Requests per major version each second (the deprecation timeline's
    /// traffic), and failures each second by kind.
    const PLOTTED: bool = true;

    fn plots(simulation: &Simulation<ApiProcess, ApiChecker>) -> Vec<Plot> {
        let now = simulation.now();
        let buckets = (now.as_micros() / BUCKET.as_micros()) as usize + 1;
        let end = |b: usize| Time((b as u64 + 1) * BUCKET.as_micros()).min(now);
        let nodes = simulation.nodes();
        let mut lines = Vec::new();
        if let Some(server) = nodes.iter().find_map(ApiProcess::server) {
            for major in 1..=server.majors().len() as u32 {
                let mut counts = vec![0u64; buckets];
                for served in server.served().iter().filter(|s| s.major == major) {
                    if let Some(c) =
                        counts.get_mut((served.at.as_micros() / BUCKET.as_micros()) as usize)
                    {
                        *c += 1;
                    }
                }
                lines.push(Line {
                    label: format!("v{major}"),
                    palette: major_palette(major),
                    points: counts
                        .iter()
                        .enumerate()
                        .map(|(b, &c)| (end(b), c))
                        .collect(),
                });
            }
        }
        let mut failures = [
            vec![0u64; buckets],
            vec![0u64; buckets],
            vec![0u64; buckets],
        ];
        for client in nodes.iter().filter_map(ApiProcess::client) {
            for failure in client.failures() {
                let kind = match (failure.failure, client.tolerant) {
                    (Failure::Gone, _) => 2,
                    (_, true) => 0,
                    (_, false) => 1,
                };
                if let Some(c) =
                    failures[kind].get_mut((failure.at.as_micros() / BUCKET.as_micros()) as usize)
                {
                    *c += 1;
                }
            }
        }
        let failure_line = |label: &str, palette, counts: &[u64]| Line {
            label: label.to_string(),
            palette,
            points: counts
                .iter()
                .enumerate()
                .map(|(b, &c)| (end(b), c))
                .collect(),
        };
        vec![
            Plot {
                title: "Requests per version".into(),
                unit: "",
                caption: "answered each second, by the major version asked for".into(),
                lines,
            },
            Plot {
                title: "Failed requests".into(),
                unit: "",
                caption: "each second: broken contract (tolerant readers), strict readers' own failures, 410 after a sunset".into(),
                lines: vec![
                    failure_line("contract broken", Palette::Faulty, &failures[0]),
                    failure_line("strict reader", Palette::Suspect, &failures[1]),
                    failure_line("410 Gone", Palette::Plain, &failures[2]),
                ],
            },
        ]
    }

    /// The compatibility matrix: each change, what it does in each
    /// direction, what semver asks for, and what the server released.
    const TABLED: bool = true;

    fn tables(simulation: &Simulation<ApiProcess, ApiChecker>) -> Vec<Matrix> {
        let releases = simulation
            .nodes()
            .iter()
            .find_map(ApiProcess::server)
            .map_or(&[][..], Server::releases);
        let verdict = |result: Result<(), Break>| match result {
            Ok(()) => MatrixCell {
                text: "reads".to_string(),
                palette: Palette::Done,
            },
            Err(why) => MatrixCell {
                text: format!("breaks: {why}"),
                palette: Palette::Faulty,
            },
        };
        let rows = EVOLUTION
            .iter()
            .enumerate()
            .map(|(index, change)| {
                let compatibility = Compatibility::of(index);
                let needs = if compatibility.needs_major() {
                    "major"
                } else {
                    "minor"
                };
                let released = releases.get(index).map_or(
                    MatrixCell {
                        text: "not yet".to_string(),
                        palette: Palette::Plain,
                    },
                    |release| {
                        let before = index
                            .checked_sub(1)
                            .and_then(|i| releases.get(i))
                            .map_or(1, |r| r.version.major);
                        let wrong = compatibility.needs_major() && release.version.major == before;
                        MatrixCell {
                            text: format!("{} at {}", release.version, seconds(release.at)),
                            palette: if wrong {
                                Palette::Faulty
                            } else {
                                Palette::Done
                            },
                        }
                    },
                );
                MatrixRow {
                    label: change.to_string(),
                    cells: vec![
                        verdict(compatibility.backward),
                        verdict(compatibility.forward_tolerant),
                        verdict(compatibility.forward_strict),
                        MatrixCell {
                            text: needs.to_string(),
                            palette: if compatibility.needs_major() {
                                Palette::Lead
                            } else {
                                Palette::Plain
                            },
                        },
                        released,
                    ],
                }
            })
            .collect();
        vec![Matrix {
            title: "Compatibility of each change".into(),
            caption: "computed by comparing the schemas before and after".into(),
            columns: vec![
                "change".into(),
                "new server, old requests".into(),
                "old tolerant client".into(),
                "old strict client".into(),
                "semver".into(),
                "released as".into(),
            ],
            rows,
        }]
    }
}

#[cfg(test)]
mod tests;
