//! The vocabulary of the rate-limiting topic: request numbers, the six
//! algorithms, the three distributed strategies, the messages, the timers and
//! the operations a person can send from the page.

use std::fmt;

use crate::sim::action::{Operation, RawOperation};
use crate::sim::node::Labelled;
use crate::traffic::service::WorkId;

/// A request of the traffic client, numbered from 1 in the order sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RequestId(pub u32);

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// The six algorithms compared side by side, in the order of their lanes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Algorithm {
    TokenBucket,
    LeakyBucket,
    FixedWindow,
    SlidingLog,
    SlidingWindowCounter,
    Gcra,
}

impl Algorithm {
    pub const ALL: [Algorithm; 6] = [
        Algorithm::TokenBucket,
        Algorithm::LeakyBucket,
        Algorithm::FixedWindow,
        Algorithm::SlidingLog,
        Algorithm::SlidingWindowCounter,
        Algorithm::Gcra,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::TokenBucket => "token bucket",
            Algorithm::LeakyBucket => "leaky bucket",
            Algorithm::FixedWindow => "fixed window",
            Algorithm::SlidingLog => "sliding log",
            Algorithm::SlidingWindowCounter => "sliding window counter",
            Algorithm::Gcra => "GCRA",
        }
    }
}

/// The three ways gateways share one global limit, each run on every request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Strategy {
    /// Ask a central counter for every request, paying its round trip.
    Central,
    /// Each gateway admits its share, limit / gateways, on its own.
    Local,
    /// Each gateway counts locally and periodically tells the others its count.
    Synced,
}

impl Strategy {
    pub const ALL: [Strategy; 3] = [Strategy::Central, Strategy::Local, Strategy::Synced];

    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::Central => "central counter",
            Strategy::Local => "local limits",
            Strategy::Synced => "local + sync",
        }
    }
}

/// The two copies of the backend: behind the token bucket, and with no limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Guard {
    BehindLimit,
    NoLimit,
}

impl Guard {
    pub const BOTH: [Guard; 2] = [Guard::BehindLimit, Guard::NoLimit];

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Guard::BehindLimit => "behind the token bucket",
            Guard::NoLimit => "no limit",
        }
    }
}

/// Everything that travels on the network.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum RateMessage {
    /// Client to a limiter, a gateway or the backend, or the token bucket to
    /// the backend: one request to admit, reject or serve.
    Request { id: RequestId },
    /// Gateway to the central counter: may request `ticket` (the gateway's own
    /// number for it) pass? The counter counts it if it says yes.
    Ask { ticket: u32 },
    /// Counter to gateway: its decision on `ticket`, made at `at_us` by the
    /// counter's clock (the instant the global limit is counted at).
    Answer {
        ticket: u32,
        admitted: bool,
        at_us: u64,
    },
    /// Gateway to gateway: "I have admitted `count` requests in window
    /// `window` so far" (a running count, so a lost, repeated or late copy
    /// does no harm: the highest count wins).
    Sync { window: u64, count: u32 },
}

impl Labelled for RateMessage {
    fn kind(&self) -> &'static str {
        match self {
            RateMessage::Request { .. } => "Request",
            RateMessage::Ask { .. } => "Ask",
            RateMessage::Answer { .. } => "Answer",
            RateMessage::Sync { .. } => "Sync",
        }
    }

    fn label(&self) -> String {
        match self {
            RateMessage::Request { id } => format!("request {id}"),
            RateMessage::Ask { ticket } => format!("ask t{ticket}"),
            RateMessage::Answer {
                ticket, admitted, ..
            } => format!("t{ticket}: {}", if *admitted { "yes" } else { "429" }),
            RateMessage::Sync { window, count } => format!("w{window}: {count} admitted"),
        }
    }
}

/// Every timer of every process.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RateTimer {
    /// Client: send the next burst of the traffic.
    NextBurst,
    /// Gateway: the counter has not answered `ticket` in time.
    AnswerTimeout(u32),
    /// Gateway: tell the other gateways this window's count.
    Sync,
    /// Backend: a worker of one copy is done with its request.
    WorkDone(Guard, WorkId),
}

impl Labelled for RateTimer {
    fn kind(&self) -> &'static str {
        match self {
            RateTimer::NextBurst => "burst",
            RateTimer::AnswerTimeout(_) => "answer-timeout",
            RateTimer::Sync => "sync",
            RateTimer::WorkDone(..) => "work-done",
        }
    }

    fn label(&self) -> String {
        match self {
            RateTimer::NextBurst => "next burst of traffic".to_string(),
            RateTimer::AnswerTimeout(ticket) => format!("no answer to t{ticket}"),
            RateTimer::Sync => "sync counts".to_string(),
            RateTimer::WorkDone(guard, work) => format!("work {} done, {}", work.0, guard.as_str()),
        }
    }
}

/// What a person (or a preset) can ask of the traffic client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RateOp {
    /// Send `size` requests at once (1 to [`MAX_BURST`]).
    Burst(u32),
}

/// The largest burst an operation may ask for.
pub const MAX_BURST: u32 = 100;

const BURST_CODE: u32 = 1;

impl fmt::Display for RateOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RateOp::Burst(1) => f.write_str("send one request"),
            RateOp::Burst(size) => write!(f, "send a burst of {size} requests"),
        }
    }
}

impl Operation for RateOp {
    fn to_raw(&self) -> RawOperation {
        match self {
            RateOp::Burst(size) => RawOperation::new(BURST_CODE, &[*size as u64]),
        }
    }

    fn from_raw(raw: &RawOperation) -> Option<Self> {
        match (raw.code, raw.args.as_slice()) {
            (BURST_CODE, &[size]) if (1..=MAX_BURST as u64).contains(&size) => {
                Some(RateOp::Burst(size as u32))
            }
            _ => None,
        }
    }
}
