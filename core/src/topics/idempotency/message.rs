//! The vocabulary of the idempotency topic: payment keys and charge ids, the
//! messages of the payment API, the timers, the roles, and the operations a
//! person can send from the page.

use std::fmt;

use crate::sim::action::{Operation, RawOperation};
use crate::sim::node::Labelled;
use crate::sim::time::NodeId;
use crate::sim::view::Palette;

/// A payment's idempotency key: made by the client before its first try and
/// sent with every retry (Stripe's `Idempotency-Key` header holds a random
/// UUID; here the client and its payment number, which are just as unique and
/// easier to read). With keys off the same number travels only so the ledger
/// can say which payment a charge was for; the server does not look at it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PaymentKey {
    pub client: NodeId,
    pub number: u32,
}

impl fmt::Display for PaymentKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}#{}", self.client, self.number)
    }
}

/// The id of a charge in the server's ledger (Stripe's `ch_...`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ChargeId(pub u64);

impl fmt::Display for ChargeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ch{}", self.0)
    }
}

/// Everything that travels on the network.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PaymentMessage {
    /// Client to server: charge `amount` cents (`POST /v1/charges` with an
    /// `Idempotency-Key` header). `try_number` counts the client's tries of
    /// this payment, for the timeline only.
    Pay {
        key: PaymentKey,
        amount: u64,
        try_number: u32,
    },
    /// Server to client: 200 OK, the charge. `replayed` is Stripe's
    /// `Idempotent-Replayed: true` header: the stored response of an earlier
    /// request with the same key, sent again without charging.
    Charged {
        key: PaymentKey,
        charge: ChargeId,
        amount: u64,
        replayed: bool,
    },
    /// Server to client: 409 Conflict, a request with this key is still in
    /// progress; try again later (what Stripe answers).
    Conflict { key: PaymentKey },
}

impl Labelled for PaymentMessage {
    fn kind(&self) -> &'static str {
        match self {
            PaymentMessage::Pay { .. } => "Pay",
            PaymentMessage::Charged { .. } => "Charged",
            PaymentMessage::Conflict { .. } => "Conflict",
        }
    }

    fn label(&self) -> String {
        match self {
            PaymentMessage::Pay {
                key,
                amount,
                try_number,
            } => format!("Pay {key} {} (try {try_number})", cents(*amount)),
            PaymentMessage::Charged {
                key,
                charge,
                replayed,
                ..
            } => {
                let replayed = if *replayed { " (replayed)" } else { "" };
                format!("200 {key}: {charge}{replayed}")
            }
            PaymentMessage::Conflict { key } => format!("409 {key}: in progress"),
        }
    }
}

/// An amount of cents as dollars: `$12.40`.
pub fn cents(amount: u64) -> String {
    format!("${}.{:02}", amount / 100, amount % 100)
}

/// Every timer of every process.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PaymentTimer {
    /// Server: the work on request `work` (a number the server gives each
    /// request it starts on) is done: charge now.
    Process(u64),
    /// Server: the response to request `work` is written out, just after the
    /// transaction that charged it committed.
    Respond(u64),
    /// Server, with the `key-stored-after-effect` bug: the separate write that
    /// stores the key of request `work`, after its charge.
    StoreKey(u64),
    /// Client: time to start a new payment (the workload).
    Think,
    /// Client: no answer to payment `number`'s latest try in time.
    Timeout(u32),
    /// Client: the backoff before payment `number`'s next try is over.
    Retry(u32),
}

impl Labelled for PaymentTimer {
    fn kind(&self) -> &'static str {
        match self {
            PaymentTimer::Process(_) => "process",
            PaymentTimer::Respond(_) => "respond",
            PaymentTimer::StoreKey(_) => "store-key",
            PaymentTimer::Think => "think",
            PaymentTimer::Timeout(_) => "timeout",
            PaymentTimer::Retry(_) => "retry",
        }
    }

    fn label(&self) -> String {
        match self {
            PaymentTimer::Process(work) => format!("request {work} processed"),
            PaymentTimer::Respond(work) => format!("respond to request {work}"),
            PaymentTimer::StoreKey(work) => format!("store the key of request {work}"),
            PaymentTimer::Think => "start a payment".to_string(),
            PaymentTimer::Timeout(number) => format!("no answer to payment {number}"),
            PaymentTimer::Retry(number) => format!("retry payment {number}"),
        }
    }
}

/// What a process is doing, as the cluster view names and colours it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// The payment API server, idle.
    Server,
    /// The server with requests in progress.
    Charging,
    /// The server whose ledger holds a payment charged twice.
    DoubleCharged,
    /// A client with no payment outstanding.
    Client,
    /// A client waiting for an answer (or its backoff) on some payment.
    Paying,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Server => "payment server",
            Role::Charging => "charging",
            Role::DoubleCharged => "charged twice",
            Role::Client => "client",
            Role::Paying => "paying",
        }
    }

    pub fn palette(self) -> Palette {
        match self {
            Role::Server | Role::Client => Palette::Plain,
            Role::Charging => Palette::Lead,
            Role::DoubleCharged => Palette::Faulty,
            Role::Paying => Palette::Contend,
        }
    }
}

/// What a person (or a preset) can ask of a client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PaymentOp {
    /// Start a new payment now, with a fresh key.
    Pay,
    /// Send the latest payment's request again at once, with the same key
    /// (answered or not: a double-click, a resubmitted form).
    RetryNow,
    /// Send the latest payment's request twice at once, with the same key (a
    /// new payment if the client has none).
    TwoConcurrentRetries,
}

const PAY_CODE: u32 = 1;
const RETRY_NOW_CODE: u32 = 2;
const TWO_RETRIES_CODE: u32 = 3;

impl fmt::Display for PaymentOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PaymentOp::Pay => "send a payment",
            PaymentOp::RetryNow => "retry the latest payment now",
            PaymentOp::TwoConcurrentRetries => "send two concurrent retries",
        })
    }
}

impl Operation for PaymentOp {
    fn to_raw(&self) -> RawOperation {
        let code = match self {
            PaymentOp::Pay => PAY_CODE,
            PaymentOp::RetryNow => RETRY_NOW_CODE,
            PaymentOp::TwoConcurrentRetries => TWO_RETRIES_CODE,
        };
        RawOperation::new(code, &[])
    }

    fn from_raw(raw: &RawOperation) -> Option<Self> {
        if !raw.args.is_empty() {
            return None;
        }
        match raw.code {
            PAY_CODE => Some(PaymentOp::Pay),
            RETRY_NOW_CODE => Some(PaymentOp::RetryNow),
            TWO_RETRIES_CODE => Some(PaymentOp::TwoConcurrentRetries),
            _ => None,
        }
    }
}
