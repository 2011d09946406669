//! The coordinator of a read or a write: the server a client asked, which runs
//! the operation against the key's replicas in two phases and answers the
//! client (Dynamo §4.5: "a node handling a read or write operation is known as
//! the coordinator"; the phases are ABD's).
//!
//! - **Query phase** (ABD's first round, of reads and writes): ask the home
//!   replicas for the version they hold; done when R count.
//! - A **write** then stores its value with a counter one above the highest
//!   version it heard (ABD's multi-writer tag) at the home replicas; done when
//!   W count.
//! - A **read** answers with the newest version it heard, after its read
//!   repair: none; in the background (Dynamo §4.7: send the newest version to
//!   the replicas that answered with an older one); or ABD's write-back (store
//!   the newest version at a write quorum and wait for the acknowledgements
//!   before answering, so no later read can see an older one).
//!
//! Every `resend` the coordinator sends its phase again to whoever has not
//! answered (messages are lost), and for each silent home replica brings in the
//! next fallback of the preference list with a hint naming that home (Dynamo
//! §4.6). A sloppy quorum counts the fallbacks' answers; a strict one counts
//! home replicas only, and still leaves a write's hints with the fallbacks so
//! the write reaches its home replicas once they are back (as Cassandra's
//! hinted handoff does). A strict read brings in no fallbacks. At the deadline
//! the coordinator answers "no quorum".
//!
//! Operations are volatile: a crashed coordinator forgets them and its clients
//! time out. An operation's number carries the server's incarnation, so an
//! answer meant for an operation from before a crash is never taken for a new
//! one.

use crate::history::Key;
use crate::sim::node::Cx;
use crate::sim::time::{NodeId, Time};

use super::message::{operation_name, Command, Outcome, QuorumMessage, QuorumTimer, Versioned};
use super::process::{QuorumConfig, QuorumProcess, ReadRepair};

/// A replica (or fallback) an operation has asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Target {
    node: NodeId,
    /// The home replica a fallback stands in for.
    hint_for: Option<NodeId>,
    answered: bool,
    /// What it answered in the query phase.
    held: Versioned,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Query,
    /// Storing `versioned` until `needed` acknowledgements count.
    Store {
        versioned: Versioned,
        needed: usize,
    },
}

/// One operation in flight.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InFlight {
    pub operation: u64,
    pub client: NodeId,
    pub request: u64,
    pub command: Command,
    phase: Phase,
    targets: Vec<Target>,
    pub started: Time,
}

impl InFlight {
    fn key(&self) -> Key {
        self.command.key()
    }

    /// Whether `target`'s answer counts toward this phase's quorum.
    fn counts(&self, target: &Target, config: &QuorumConfig) -> bool {
        target.hint_for.is_none()
            || config.sloppy
            || (config.count_hints && matches!(self.phase, Phase::Store { .. }))
    }

    fn counted(&self, config: &QuorumConfig) -> usize {
        self.targets
            .iter()
            .filter(|t| t.answered && self.counts(t, config))
            .count()
    }

    /// The phase's message to `target`.
    fn message(&self, target: &Target) -> QuorumMessage {
        match self.phase {
            Phase::Query => QuorumMessage::Query {
                operation: self.operation,
                key: self.key(),
                hint_for: target.hint_for,
            },
            Phase::Store { versioned, .. } => QuorumMessage::Store {
                operation: self.operation,
                key: self.key(),
                versioned,
                hint_for: target.hint_for,
            },
        }
    }

    /// Sends the phase's message to every target that has not answered.
    fn send_to_silent(&self, cx: &mut Cx<QuorumProcess>) {
        for target in self.targets.iter().filter(|t| !t.answered) {
            cx.send(target.node, self.message(target));
        }
    }

    /// Whether this phase brings in fallbacks for silent home replicas.
    fn uses_fallbacks(&self, config: &QuorumConfig) -> bool {
        config.sloppy || matches!(self.phase, Phase::Store { .. })
    }
}

/// The operations a server coordinates.
#[derive(Clone, Debug, Default)]
pub struct Coordinator {
    /// Durable: bumped at every start, the high half of operation numbers.
    incarnation: u64,
    next: u64,
    in_flight: Vec<InFlight>,
    /// Durable: the highest request number taken from each client, sorted by
    /// client. Client requests only grow, so a lower or equal one is a
    /// duplicate the network made, and running it again would write its value
    /// a second time, after writes that followed it.
    highest_request: Vec<(NodeId, u64)>,
    /// Operations finished with a quorum and without (for the view).
    pub answered: u64,
    pub failed: u64,
}

impl Coordinator {
    pub fn on_start(&mut self) {
        self.incarnation += 1;
        self.next = 0;
    }

    pub fn on_crash(&mut self) {
        self.in_flight.clear();
    }

    pub fn in_flight(&self) -> &[InFlight] {
        &self.in_flight
    }

    /// A client asks for `command` (§4.5: the coordinator runs it against the
    /// first N nodes of the key's preference list).
    pub fn start(
        &mut self,
        client: NodeId,
        request: u64,
        command: Command,
        config: &QuorumConfig,
        cx: &mut Cx<QuorumProcess>,
    ) {
        match self
            .highest_request
            .binary_search_by(|(c, _)| c.cmp(&client))
        {
            Ok(at) if self.highest_request[at].1 >= request => {
                cx.note(|| format!("has taken {client}'s #{request} already: a duplicate"));
                return;
            }
            Ok(at) => self.highest_request[at].1 = request,
            Err(at) => self.highest_request.insert(at, (client, request)),
        }
        self.next += 1;
        let operation = (self.incarnation << 32) | self.next;
        let targets = config
            .homes(command.key())
            .map(|node| Target {
                node,
                hint_for: None,
                answered: false,
                held: Versioned::default(),
            })
            .collect();
        let op = InFlight {
            operation,
            client,
            request,
            command,
            phase: Phase::Query,
            targets,
            started: cx.now(),
        };
        cx.note(|| {
            format!(
                "coordinates {client}'s {command} as {}: queries the home replicas",
                operation_name(operation)
            )
        });
        op.send_to_silent(cx);
        cx.set_timer(QuorumTimer::Resend(operation), config.resend);
        cx.set_timer(QuorumTimer::Deadline(operation), config.deadline);
        self.in_flight.push(op);
    }

    fn find(&self, operation: u64) -> Option<usize> {
        self.in_flight
            .iter()
            .position(|op| op.operation == operation)
    }

    /// A query answer (ABD's first round).
    pub fn on_query_reply(
        &mut self,
        from: NodeId,
        operation: u64,
        held: Versioned,
        config: &QuorumConfig,
        cx: &mut Cx<QuorumProcess>,
    ) {
        let Some(at) = self.find(operation) else {
            cx.note(|| {
                format!(
                    "{} is over: ignores {from}'s answer",
                    operation_name(operation)
                )
            });
            return;
        };
        let op = &mut self.in_flight[at];
        if op.phase != Phase::Query {
            return;
        }
        let Some(target) = op
            .targets
            .iter_mut()
            .find(|t| t.node == from && !t.answered)
        else {
            return;
        };
        target.answered = true;
        target.held = held;
        if op.counted(config) >= config.r {
            self.end_query(at, config, cx);
        }
    }

    /// R answers counted: a write moves to its store phase, a read answers
    /// (after its read repair).
    fn end_query(&mut self, at: usize, config: &QuorumConfig, cx: &mut Cx<QuorumProcess>) {
        let op = &mut self.in_flight[at];
        let newest = op
            .targets
            .iter()
            .filter(|t| t.answered)
            .map(|t| t.held)
            .max()
            .unwrap_or_default();
        match op.command {
            Command::Write { value, .. } => {
                // ABD: one above the highest counter a read quorum holds, so a
                // write that starts after another finished is ordered after it.
                let versioned = Versioned {
                    counter: newest.counter + 1,
                    value,
                };
                op.phase = Phase::Store {
                    versioned,
                    needed: config.w,
                };
                for target in &mut op.targets {
                    target.answered = false;
                }
                cx.note(|| {
                    format!(
                        "newest version heard is v{}: stores {versioned}",
                        newest.counter
                    )
                });
                op.send_to_silent(cx);
            }
            Command::Read { .. } => match config.read_repair {
                ReadRepair::Off => {
                    cx.note(|| format!("newest version heard is {newest}: answers it"));
                    self.finish(at, Outcome::Read(newest), cx);
                }
                ReadRepair::Background => {
                    // §4.7: repair the stale replicas that answered, and do not
                    // wait for them.
                    let key = op.key();
                    let mut repaired = 0;
                    for target in op.targets.iter().filter(|t| t.answered && t.held < newest) {
                        repaired += 1;
                        cx.send(
                            target.node,
                            QuorumMessage::Store {
                                operation: op.operation,
                                key,
                                versioned: newest,
                                hint_for: target.hint_for,
                            },
                        );
                    }
                    cx.note(|| match repaired {
                        0 => format!("answers {newest}: no stale replica to repair"),
                        n => format!("answers {newest} and repairs the {n} stale replicas it heard in the background"),
                    });
                    self.finish(at, Outcome::Read(newest), cx);
                }
                ReadRepair::WriteBack => {
                    // ABD's write-back: the replicas that already hold the
                    // newest version count as stored.
                    for target in &mut op.targets {
                        target.answered = target.answered && target.held >= newest;
                    }
                    op.phase = Phase::Store {
                        versioned: newest,
                        needed: config.write_back_acks,
                    };
                    if op.counted(config) >= config.write_back_acks {
                        cx.note(|| format!("{newest} is already at a write quorum: answers it"));
                        self.finish(at, Outcome::Read(newest), cx);
                    } else {
                        cx.note(|| {
                            format!("writes {newest} back to a write quorum before answering")
                        });
                        op.send_to_silent(cx);
                    }
                }
            },
        }
    }

    /// A store acknowledgement (a write's second round, or a write-back).
    pub fn on_store_ack(
        &mut self,
        from: NodeId,
        operation: u64,
        versioned: Versioned,
        config: &QuorumConfig,
        cx: &mut Cx<QuorumProcess>,
    ) {
        let Some(at) = self.find(operation) else {
            return;
        };
        let op = &mut self.in_flight[at];
        let Phase::Store {
            versioned: storing,
            needed,
        } = op.phase
        else {
            return;
        };
        if versioned < storing {
            return;
        }
        let Some(target) = op
            .targets
            .iter_mut()
            .find(|t| t.node == from && !t.answered)
        else {
            return;
        };
        target.answered = true;
        if op.counted(config) >= needed {
            let outcome = match op.command {
                Command::Write { .. } => Outcome::Written(storing),
                Command::Read { .. } => Outcome::Read(storing),
            };
            cx.note(|| {
                format!("{storing} is stored: the acknowledgements that count reach {needed}")
            });
            self.finish(at, outcome, cx);
        }
    }

    /// Resends the phase to the silent, and brings in a fallback for each
    /// silent home replica that has none yet (§4.6).
    pub fn on_resend(&mut self, operation: u64, config: &QuorumConfig, cx: &mut Cx<QuorumProcess>) {
        let Some(at) = self.find(operation) else {
            return;
        };
        let op = &mut self.in_flight[at];
        op.send_to_silent(cx);
        if op.uses_fallbacks(config) {
            let key = op.key();
            let silent: Vec<NodeId> = op
                .targets
                .iter()
                .filter(|t| !t.answered && t.hint_for.is_none())
                .map(|t| t.node)
                .filter(|&home| !op.targets.iter().any(|t| t.hint_for == Some(home)))
                .collect();
            for home in silent {
                let Some(fallback) = config
                    .preference_list(key)
                    .skip(config.n)
                    .find(|&node| !op.targets.iter().any(|t| t.node == node))
                else {
                    break;
                };
                let target = Target {
                    node: fallback,
                    hint_for: Some(home),
                    answered: false,
                    held: Versioned::default(),
                };
                cx.note(|| format!("{home} is silent: brings in {fallback} with a hint for it"));
                cx.send(fallback, op.message(&target));
                op.targets.push(target);
            }
        }
        cx.set_timer(QuorumTimer::Resend(operation), config.resend);
    }

    /// The operation's time is up: no quorum.
    pub fn on_deadline(&mut self, operation: u64, cx: &mut Cx<QuorumProcess>) {
        if let Some(at) = self.find(operation) {
            cx.note(|| format!("{} found no quorum in time", operation_name(operation)));
            self.finish(at, Outcome::NoQuorum, cx);
        }
    }

    fn finish(&mut self, at: usize, outcome: Outcome, cx: &mut Cx<QuorumProcess>) {
        let op = self.in_flight.swap_remove(at);
        if outcome == Outcome::NoQuorum {
            self.failed += 1;
        } else {
            self.answered += 1;
        }
        cx.cancel_timer(QuorumTimer::Resend(op.operation));
        cx.cancel_timer(QuorumTimer::Deadline(op.operation));
        cx.send(
            op.client,
            QuorumMessage::Reply {
                request: op.request,
                outcome,
            },
        );
    }
}
