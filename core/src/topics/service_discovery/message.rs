//! The vocabulary of the service discovery topic: lease versions and registry
//! records, the messages between instances, registry replicas, clients and the
//! load balancer, the timers, the balancing policies, and the operations a
//! person can send from the page.

use std::fmt;

use crate::sim::action::{Operation, RawOperation};
use crate::sim::node::Labelled;
use crate::sim::time::{NodeId, Time};

/// The version of an instance's registration: its incarnation (one more at
/// every restart, kept on disk) and the number of the write within it (every
/// heartbeat is a new write). Replicas keep the highest version they have
/// seen, so a late or duplicated heartbeat never undoes a deregistration.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    pub incarnation: u32,
    pub seq: u32,
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}.{}", self.incarnation, self.seq)
    }
}

/// One instance's entry in the registry: who, which version, whether it is
/// registered (`up`) or deregistered, and until when its lease runs (stamped
/// by the replica that coordinated the write: its clock plus the TTL).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Record {
    pub instance: NodeId,
    pub version: Version,
    pub up: bool,
    pub expires_at: Time,
}

impl Record {
    /// Whether the registry lists it at `now`: registered, lease not run out.
    pub fn live(&self, now: Time) -> bool {
        self.up && self.expires_at > now
    }

    /// Folds `other` (a record of the same instance) into this one: the higher
    /// version decides registered or not, and the lease is the later of the
    /// two. A join, so replicas that merge the same writes in any order, any
    /// number of times, agree.
    pub fn merge(&mut self, other: &Record) {
        if other.version > self.version {
            self.version = other.version;
            self.up = other.up;
        }
        self.expires_at = self.expires_at.max(other.expires_at);
    }
}

impl fmt::Display for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.up {
            write!(
                f,
                "{} {} until {}ms",
                self.instance,
                self.version,
                self.expires_at.as_millis()
            )
        } else {
            write!(f, "{} {} deregistered", self.instance, self.version)
        }
    }
}

/// Merges `record` into the table `table` (sorted by instance); whether the
/// table changed.
pub fn merge_into(table: &mut Vec<Record>, record: &Record) -> bool {
    match table.binary_search_by(|r| r.instance.cmp(&record.instance)) {
        Ok(at) => {
            let before = table[at];
            table[at].merge(record);
            table[at] != before
        }
        Err(at) => {
            table.insert(at, *record);
            true
        }
    }
}

/// A request a client makes, named by its client and number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RequestId {
    pub client: NodeId,
    pub number: u64,
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}#{}", self.client, self.number)
    }
}

/// Everything that travels on the network.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum DiscoveryMessage {
    /// Instance to a replica: register, renew or deregister (Eureka's
    /// register, renew and cancel are all this one write; `up: false` is the
    /// cancel). The lease in it is left for the replica to stamp.
    Heartbeat { record: Record },
    /// Replica to instance: the write of `version` reached a majority of
    /// replicas; the lease runs until `expires_at`.
    HeartbeatAck {
        version: Version,
        up: bool,
        expires_at: Time,
    },
    /// Coordinating replica to the others: apply this write.
    Replicate { write: u64, record: Record },
    /// A replica to the coordinator of `write`: applied.
    Replicated { write: u64 },
    /// Client or load balancer to a replica: which instances are there?
    Lookup { lookup: u64 },
    /// Coordinating replica to the others: send me your records.
    ReadQuery { read: u64 },
    /// A replica to the coordinator of `read`: my records.
    ReadReply { read: u64, records: Vec<Record> },
    /// Replica to client or load balancer: the instances registered with a
    /// lease that has not run out, read from a majority.
    Endpoints { lookup: u64, records: Vec<Record> },
    /// Client (or load balancer, on its behalf) to an instance, or client to
    /// the load balancer: do some work. `incarnation` is the instance's
    /// incarnation the endpoint was registered by (0 to the balancer): a
    /// restarted instance listens at a new address, as a rescheduled container
    /// does, so a request to its old one is refused.
    Request { id: RequestId, incarnation: u32 },
    /// Instance to whoever sent the request (and the balancer to the client).
    Reply { id: RequestId, instance: NodeId },
    /// An instance out of service (deregistered) turns the request away; the
    /// balancer says the same when it knows no instance.
    Refused { id: RequestId },
}

impl Labelled for DiscoveryMessage {
    fn kind(&self) -> &'static str {
        match self {
            DiscoveryMessage::Heartbeat { .. } => "Heartbeat",
            DiscoveryMessage::HeartbeatAck { .. } => "HeartbeatAck",
            DiscoveryMessage::Replicate { .. } => "Replicate",
            DiscoveryMessage::Replicated { .. } => "Replicated",
            DiscoveryMessage::Lookup { .. } => "Lookup",
            DiscoveryMessage::ReadQuery { .. } => "ReadQuery",
            DiscoveryMessage::ReadReply { .. } => "ReadReply",
            DiscoveryMessage::Endpoints { .. } => "Endpoints",
            DiscoveryMessage::Request { .. } => "Request",
            DiscoveryMessage::Reply { .. } => "Reply",
            DiscoveryMessage::Refused { .. } => "Refused",
        }
    }

    fn label(&self) -> String {
        match self {
            DiscoveryMessage::Heartbeat { record } if record.up => {
                format!("Heartbeat {}", record.version)
            }
            DiscoveryMessage::Heartbeat { record } => format!("Deregister {}", record.version),
            DiscoveryMessage::HeartbeatAck { version, up, .. } if *up => format!("Ack {version}"),
            DiscoveryMessage::HeartbeatAck { version, .. } => {
                format!("Ack deregister {version}")
            }
            DiscoveryMessage::Replicate { write, record } => {
                format!("Replicate w{write}: {record}")
            }
            DiscoveryMessage::Replicated { write } => format!("Replicated w{write}"),
            DiscoveryMessage::Lookup { lookup } => format!("Lookup #{lookup}"),
            DiscoveryMessage::ReadQuery { read } => format!("Read r{read}"),
            DiscoveryMessage::ReadReply { read, records } => {
                format!("Read r{read}: {} records", records.len())
            }
            DiscoveryMessage::Endpoints { lookup, records } => {
                let names: Vec<String> = records.iter().map(|r| r.instance.to_string()).collect();
                format!("Endpoints #{lookup}: [{}]", names.join(" "))
            }
            DiscoveryMessage::Request { id, .. } => format!("Request {id}"),
            DiscoveryMessage::Reply { id, instance } => format!("Reply {id} from {instance}"),
            DiscoveryMessage::Refused { id } => format!("Refused {id}"),
        }
    }
}

/// Every timer of every process.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DiscoveryTimer {
    /// Instance: time for the next heartbeat (or to resend a deregistration).
    Heartbeat,
    /// Instance: the request at the head of the queue is done.
    Served,
    /// Client or balancer: time to fetch the endpoint list again.
    Refresh,
    /// Client or balancer: no answer to lookup `n` in time.
    LookupTimeout(u64),
    /// Client: time to make the next request (the workload).
    Think,
    /// Client or balancer: no reply to request (or forward) `n` in time.
    RequestTimeout(u64),
}

impl Labelled for DiscoveryTimer {
    fn kind(&self) -> &'static str {
        match self {
            DiscoveryTimer::Heartbeat => "heartbeat",
            DiscoveryTimer::Served => "served",
            DiscoveryTimer::Refresh => "refresh",
            DiscoveryTimer::LookupTimeout(_) => "lookup-timeout",
            DiscoveryTimer::Think => "think",
            DiscoveryTimer::RequestTimeout(_) => "request-timeout",
        }
    }

    fn label(&self) -> String {
        match self {
            DiscoveryTimer::Heartbeat => "heartbeat".to_string(),
            DiscoveryTimer::Served => "request served".to_string(),
            DiscoveryTimer::Refresh => "refresh the endpoint list".to_string(),
            DiscoveryTimer::LookupTimeout(n) => format!("no answer to lookup #{n}"),
            DiscoveryTimer::Think => "make a request".to_string(),
            DiscoveryTimer::RequestTimeout(n) => format!("no reply to request #{n}"),
        }
    }
}

/// How a client (or the load balancer, for a client) picks an instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Policy {
    /// The next instance in turn.
    RoundRobin,
    /// The instance with the fewest requests outstanding (as the chooser
    /// knows them: its own).
    LeastOutstanding,
    /// Two instances at random, the one with fewer outstanding
    /// (Mitzenmacher 2001).
    TwoChoices,
}

impl Policy {
    pub const ALL: [Policy; 3] = [
        Policy::RoundRobin,
        Policy::LeastOutstanding,
        Policy::TwoChoices,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Policy::RoundRobin => "round robin",
            Policy::LeastOutstanding => "least outstanding",
            Policy::TwoChoices => "two choices",
        }
    }
}

/// What a person (or a preset) can ask of a process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiscoveryOp {
    /// A client makes one request now.
    Request,
    /// An instance shuts down gracefully (deregisters), or, if it is out of
    /// service, registers again.
    ToggleService,
    /// An instance becomes five times slower, or back to its speed.
    ToggleSlow,
}

const REQUEST_CODE: u32 = 1;
const TOGGLE_SERVICE_CODE: u32 = 2;
const TOGGLE_SLOW_CODE: u32 = 3;

impl fmt::Display for DiscoveryOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DiscoveryOp::Request => "make a request",
            DiscoveryOp::ToggleService => "deregister or register again",
            DiscoveryOp::ToggleSlow => "slow down or speed up",
        })
    }
}

impl Operation for DiscoveryOp {
    fn to_raw(&self) -> RawOperation {
        let code = match self {
            DiscoveryOp::Request => REQUEST_CODE,
            DiscoveryOp::ToggleService => TOGGLE_SERVICE_CODE,
            DiscoveryOp::ToggleSlow => TOGGLE_SLOW_CODE,
        };
        RawOperation::new(code, &[])
    }

    fn from_raw(raw: &RawOperation) -> Option<Self> {
        if !raw.args.is_empty() {
            return None;
        }
        match raw.code {
            REQUEST_CODE => Some(DiscoveryOp::Request),
            TOGGLE_SERVICE_CODE => Some(DiscoveryOp::ToggleService),
            TOGGLE_SLOW_CODE => Some(DiscoveryOp::ToggleSlow),
            _ => None,
        }
    }
}
