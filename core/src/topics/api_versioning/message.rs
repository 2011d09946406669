//! The vocabulary of the API-versioning topic: how a client names the
//! version it wants, the requests and responses on the wire, timers and the
//! operations a person can send from the page.

use std::fmt;

use crate::decimal::decimal;
use crate::sim::action::{Operation, RawOperation};
use crate::sim::node::Labelled;
use crate::sim::time::Time;

use super::schema::{Body, Break, Version};

/// How a client says which major version it wants (the three common ways).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Pinning {
    /// `GET /v2/orders/7`: cache-friendly and visible in every log line.
    Path,
    /// `GET /orders/7` with `Api-Version: 2`.
    Header,
    /// `GET /orders/7` with `Accept: application/vnd.shop.v2+json` (content
    /// negotiation, GitHub's way).
    MediaType,
}

impl Pinning {
    pub const ALL: [Pinning; 3] = [Pinning::Path, Pinning::Header, Pinning::MediaType];

    pub fn as_str(self) -> &'static str {
        match self {
            Pinning::Path => "URI path",
            Pinning::Header => "header",
            Pinning::MediaType => "media type",
        }
    }

    /// The request line as the client sends it.
    pub fn request_line(self, method: &str, major: u32, order: u64) -> String {
        match self {
            Pinning::Path => format!("{method} /v{major}/orders/{order}"),
            Pinning::Header => format!("{method} /orders/{order} Api-Version: {major}"),
            Pinning::MediaType => {
                format!("{method} /orders/{order} Accept: vnd.shop.v{major}+json")
            }
        }
    }
}

/// A request of one client, numbered from 1 in the order it sent them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RequestId(pub u32);

/// What the server answers.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    /// 200 with the order written in `version`'s schema.
    Ok { version: Version, body: Body },
    /// 400: the request's body could not be read with the version's schema.
    BadRequest(Break),
    /// 410: the version was sunset.
    Gone,
    /// 404: no such version (yet).
    NotFound,
}

/// The deprecation headers of a response for a deprecated version:
/// `Deprecation` (RFC 9745) and `Sunset` (RFC 8594).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Deprecation {
    pub since: Time,
    pub sunset: Time,
}

/// Everything that travels on the network.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ApiMessage {
    /// Client to server: read order `order` (no body) or create it (a body
    /// written with the client's schema), at major version `major`.
    Request {
        id: RequestId,
        major: u32,
        pinning: Pinning,
        order: u64,
        body: Option<Body>,
    },
    /// Server to client.
    Response {
        id: RequestId,
        major: u32,
        status: Status,
        deprecation: Option<Deprecation>,
        /// The newest version, as a `Link: rel="latest-version"` names it.
        latest: Version,
    },
}

impl Labelled for ApiMessage {
    fn kind(&self) -> &'static str {
        match self {
            ApiMessage::Request { .. } => "Request",
            ApiMessage::Response { .. } => "Response",
        }
    }

    fn label(&self) -> String {
        match self {
            ApiMessage::Request {
                major,
                pinning,
                order,
                body,
                ..
            } => {
                let method = if body.is_some() { "POST" } else { "GET" };
                pinning.request_line(method, *major, *order)
            }
            ApiMessage::Response {
                status,
                deprecation,
                ..
            } => {
                let status = match status {
                    Status::Ok { version, .. } => format!("200 {version}"),
                    Status::BadRequest(why) => format!("400 {why}"),
                    Status::Gone => "410 Gone".to_string(),
                    Status::NotFound => "404".to_string(),
                };
                match deprecation {
                    Some(d) => format!("{status}, Sunset {}", seconds(d.sunset)),
                    None => status,
                }
            }
        }
    }
}

/// Every timer of every process.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ApiTimer {
    /// Server: release the next change of the evolution.
    Release,
    /// Client: send the next request.
    NextRequest,
    /// Client: move to the successor version (its developers did the work).
    Migrate,
}

impl Labelled for ApiTimer {
    fn kind(&self) -> &'static str {
        match self {
            ApiTimer::Release => "release",
            ApiTimer::NextRequest => "request",
            ApiTimer::Migrate => "migrate",
        }
    }

    fn label(&self) -> String {
        match self {
            ApiTimer::Release => "release the next change".to_string(),
            ApiTimer::NextRequest => "next request".to_string(),
            ApiTimer::Migrate => "migrate to the successor version".to_string(),
        }
    }
}

/// What a person (or a preset) can ask.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApiOp {
    /// The server releases the next change of the evolution now.
    Release,
    /// The client moves to the latest version it knows of now.
    Upgrade,
}

const RELEASE_CODE: u32 = 1;
const UPGRADE_CODE: u32 = 2;

impl fmt::Display for ApiOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiOp::Release => f.write_str("release the next change"),
            ApiOp::Upgrade => f.write_str("upgrade to the latest version"),
        }
    }
}

impl Operation for ApiOp {
    fn to_raw(&self) -> RawOperation {
        match self {
            ApiOp::Release => RawOperation::new(RELEASE_CODE, &[]),
            ApiOp::Upgrade => RawOperation::new(UPGRADE_CODE, &[]),
        }
    }

    fn from_raw(raw: &RawOperation) -> Option<Self> {
        match (raw.code, raw.args.as_slice()) {
            (RELEASE_CODE, []) => Some(ApiOp::Release),
            (UPGRADE_CODE, []) => Some(ApiOp::Upgrade),
            _ => None,
        }
    }
}

/// An instant in seconds with one decimal, as the narration reads times.
pub fn seconds(at: Time) -> String {
    format!("{} s", decimal(at.as_micros() as f64 / 1e6, 1))
}
