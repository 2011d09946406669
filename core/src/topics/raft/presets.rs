//! Raft's guided scenarios: the scripted actions and narration of each preset.
//!
//! Scripts force the interesting server to time out first (`Timeout`), so the story
//! does not depend on which random election timer fires first; the preset's seed
//! fixes the rest. Tests replay every preset and assert its story happens.

use crate::lab::protocol::{at, node};
use crate::lab::protocol::{ProtocolPreset, Setup};
use crate::lab::topic::say;
use crate::lab::topic::{Narration, PresetInfo};
use crate::sim::action::{Action, TimedAction};

use super::client::LIST;
use super::message::{KvCommand, RaftOp};
use super::{
    BUG_COMMIT_OLD_TERM, BUG_FORGET_VOTE_ON_RESTART, BUG_NO_DEDUP, BUG_STALE_READ,
    BUG_VOTE_WITHOUT_LOG_CHECK,
};

pub const PRESETS: &[ProtocolPreset] = &[
    ProtocolPreset {
        info: PresetInfo {
            name: "first-election",
            title: "First election",
            summary: "Five followers, random election timeouts, one leader, then replication.",
            seed: 1,
            params: &[("nodes", 5), ("rate", 2)],
            bug: None,
            narration: &[
                say(0, "Five servers start as followers, each with an election timer drawn at random from 150-300 ms. Nobody leads yet, so nobody sends heartbeats."),
                say(150, "The first timer to fire turns its server into a candidate: it increments its term, votes for itself and sends RequestVote to every other server."),
                say(200, "A server grants its vote to the first candidate of a term whose log is at least as up-to-date as its own. With a majority (3 of 5) the candidate becomes leader and sends AppendEntries heartbeats every 50 ms, which keep the others from starting elections."),
                say(700, "Client requests go to the leader, which appends them to its log (hollow boxes) and replicates them. Once a majority stores an entry of the current term it is committed (solid boxes); followers learn the commit index from the next AppendEntries."),
            ],
        },
        script: first_election,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "leader-crash",
            title: "Leader crash",
            summary: "The leader dies; the followers time out and elect a new one; the old leader returns as a follower.",
            seed: 2,
            params: &[("nodes", 5), ("rate", 3)],
            bug: None,
            narration: &[
                say(0, "n0 is forced to time out first, so it becomes leader of term 1 and replicates client requests."),
                say(1200, "The leader crashes. In-flight messages still arrive, but no more heartbeats are sent."),
                say(1350, "The first follower whose election timer fires starts an election for term 2. It wins if its log is at least as up-to-date as a majority's, so no committed entry can be lost."),
                say(2500, "n0 restarts from its durable state (term, vote, log) as a follower. The new leader's AppendEntries, with a higher term, bring it up to date."),
            ],
        },
        script: leader_crash,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "split-vote",
            title: "Split vote",
            summary: "Four servers become candidates at once; nobody gets a majority; randomised timeouts break the tie.",
            seed: 3,
            params: &[("nodes", 5), ("rate", 0), ("clients", 0)],
            bug: None,
            narration: &[
                say(0, "At 100 ms four of the five servers are forced to time out at the same instant."),
                say(100, "Each candidate votes for itself in term 1 and asks for votes. n4 can vote only once, so the best any candidate gets is 2 of 5 votes: no majority, no leader."),
                say(250, "The candidates wait for new randomised election timeouts. One usually fires well before the others, wins the next term and sends heartbeats that stop the rest: randomisation is how Raft breaks ties (section 5.2)."),
            ],
        },
        script: split_vote,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "minority-partition",
            title: "Minority partition",
            summary: "Two followers are cut off; the majority keeps committing; the healed minority disrupts the leader with its higher term.",
            seed: 4,
            params: &[("nodes", 5), ("rate", 3)],
            bug: None,
            narration: &[
                say(0, "n0 is forced to time out first and leads term 1."),
                say(1000, "n3 and n4 are cut off from the rest. The leader still has a majority (n0, n1, n2), so requests keep committing."),
                say(1300, "n3 and n4 hear no heartbeats. They time out again and again, raising their terms, but can never gather 3 votes."),
                say(3000, "The partition heals. n3 and n4 reply with their higher term, which makes the leader step down; an election follows and a server with an up-to-date log wins (n3 and n4 cannot: their logs are behind). Raft's PreVote extension exists to avoid this disruption."),
            ],
        },
        script: minority_partition,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "majority-partition",
            title: "Majority partition, then heal",
            summary: "The leader ends up in the minority: its new entries never commit, the majority elects a new leader, and healing overwrites the old leader's uncommitted entries.",
            seed: 5,
            params: &[("nodes", 5), ("rate", 3)],
            bug: None,
            narration: &[
                say(0, "n0 is forced to time out first and leads term 1."),
                say(1000, "The leader n0 and n1 are cut off from n2, n3 and n4."),
                say(1050, "n0 still believes it leads term 1. It accepts requests but cannot commit them: only 2 of 5 servers store them."),
                say(1250, "On the majority side heartbeats stop; a new leader is elected in a higher term and commits new requests."),
                say(3500, "The partition heals. n0 sees the higher term and steps down; the new leader's AppendEntries overwrite the uncommitted entries on n0 and n1. They were never committed, so no client was told they succeeded."),
            ],
        },
        script: majority_partition,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "figure-8",
            title: "Figure 8 (safe rule)",
            summary: "The paper's Figure 8: an old-term entry reaches a majority but is not committed by counting, so a later leader may safely overwrite it.",
            seed: 8,
            params: &[("nodes", 5), ("rate", 0), ("clients", 0)],
            bug: None,
            narration: FIGURE_8_SAFE,
        },
        script: figure_8,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "figure-8-unsafe",
            title: "Figure 8 with the bug",
            summary: "The same story with commit-by-counting for old-term entries: a committed entry is overwritten and the checker catches it.",
            seed: 8,
            params: &[("nodes", 5), ("rate", 0), ("clients", 0)],
            bug: Some(BUG_COMMIT_OLD_TERM),
            narration: FIGURE_8_UNSAFE,
        },
        script: figure_8,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "stale-leader-unsafe",
            title: "A stale log wins (bug)",
            summary: "With votes granted without the log check, a server that missed committed entries is elected and the checker flags leader completeness.",
            seed: 6,
            params: &[("nodes", 5), ("rate", 0), ("clients", 0)],
            bug: Some(BUG_VOTE_WITHOUT_LOG_CHECK),
            narration: &[
                say(0, "n4 is cut off from the others from the start; n0 is forced to time out and leads term 1 with n1, n2 and n3."),
                say(200, "Three client requests reach n0. A majority (n0 to n3) stores them, so they are committed; n4, cut off, has none of them."),
                say(600, "The leader n0 crashes and the network heals. n4, which kept timing out alone and raising its term, is forced to time out first and asks for votes with an empty log."),
                say(620, "With the bug, servers grant their vote without checking that n4's log is at least as up-to-date as their own (section 5.4.1). n4 wins without the committed entries: the checker flags leader completeness. Switch the bug off and replay: nobody votes for n4, and a server with the entries wins instead."),
            ],
        },
        script: stale_leader,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "double-vote-unsafe",
            title: "A forgotten vote (bug)",
            summary: "With votedFor kept only in memory, a server that restarts votes again in the same term, and two leaders of term 1 are elected.",
            seed: 7,
            params: &[("nodes", 5), ("rate", 0), ("clients", 0)],
            bug: Some(BUG_FORGET_VOTE_ON_RESTART),
            narration: &[
                say(0, "n3 and n4 are cut off from n0, n1 and n2. n0 is forced to time out: n1 and n2 vote for it, and it leads term 1."),
                say(70, "The partition moves: now n0 and n2 are on one side, n1, n3 and n4 on the other. n1 crashes and restarts. With the bug it kept its term but not its vote."),
                say(90, "n4, which never heard of term 1, is forced to time out and asks for votes in term 1. n3 grants it, and so does n1: it no longer remembers voting for n0."),
                say(140, "n4 becomes a second leader of term 1, and the checker flags election safety. Switch the bug off and replay: n1 remembers its vote and refuses, so n4 cannot win term 1."),
            ],
        },
        script: double_vote,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "stale-read-unsafe",
            title: "A stale read (bug)",
            summary: "With reads answered by the leader without the log, a deposed leader behind a partition serves an old value after a newer write completed, and the history is not linearizable.",
            seed: 5,
            params: &[("nodes", 5), ("rate", 0), ("clients", 2)],
            bug: Some(BUG_STALE_READ),
            narration: &[
                say(0, "Five servers and two clients, c0 and c1 (the two lanes under the servers). n0 is forced to time out and leads term 1."),
                say(200, "c1 writes 1 to key k0 and c0 reads it back. Each operation goes into the log and is answered when it is applied, so the history below the timeline shows two bars, both ok."),
                say(600, "A partition cuts n0 off from the other servers; the clients still reach everyone. n0 hears no higher term, so it still believes it leads."),
                say(620, "n1 is forced to time out and wins term 2 with n2, n3 and n4."),
                say(700, "c1 writes 2 to k0. It asks n0 first, which cannot commit anything; after 300 ms without an answer c1 asks n1, the real leader, and the write completes."),
                say(1200, "c0 reads k0 and asks n0. With the bug n0 answers at once from its own store: 1, although the write of 2 completed before this read began. No order of the operations explains that, and the checker flags linearizability. Switch the bug off and replay: n0 puts the read in its log, cannot commit it, and c0 gets 2 from n1."),
            ],
        },
        script: stale_read,
    },
    ProtocolPreset {
        info: PresetInfo {
            name: "duplicate-append-unsafe",
            title: "An append applied twice (bug)",
            summary: "The leader's answer to an append is lost, the client asks again, and without duplicate suppression the retry is applied a second time; a later read sees the value twice.",
            seed: 6,
            params: &[("nodes", 5), ("rate", 0), ("clients", 2)],
            bug: Some(BUG_NO_DEDUP),
            narration: &[
                say(0, "Five servers and two clients, c0 and c1. n0 is forced to time out and leads term 1."),
                say(200, "c0 appends 7 to the list k2 and sends it to n0. The link from n0 back to c0 is cut, so the answer will be lost: the append is committed and applied, but c0 does not know."),
                say(500, "No answer after 300 ms: c0 asks again with the same client id and sequence number. n1 points it back to n0. The link is restored meanwhile."),
                say(560, "With the bug, n0 logs the retry as a new command and applies it again: the list is now [7, 7]. Without it, the store remembers c0's last sequence number and answers the retry with the first result."),
                say(900, "c1 reads k2 and gets [7, 7], although 7 was appended by one operation. No order of the operations explains that, and the checker flags linearizability. Switch the bug off and replay: the read returns [7]."),
            ],
        },
        script: duplicate_append,
    },
];

const FIGURE_8_COMMON: [Narration; 5] = [
    say(0, "n0 is forced to time out and becomes leader of term 1; v1 is replicated and committed everywhere."),
    say(300, "A partition separates {n0, n1} from {n2, n3, n4}. n0 accepts v2 at index 2 but can only copy it to n1. Then n0 crashes."),
    say(355, "n4 is forced to time out and wins term 2 with the votes of n2 and n3."),
    say(430, "n4 is isolated, accepts v3 at index 2 (term 2), which nobody else stores, and crashes."),
    say(445, "The network heals and n0 restarts. It is forced to time out twice: term 2 fails (n2 and n3 already voted for n4), term 3 wins with n1, n2 and n3."),
];

const FIGURE_8_SAFE: &[Narration] = &[
    FIGURE_8_COMMON[0],
    FIGURE_8_COMMON[1],
    FIGURE_8_COMMON[2],
    FIGURE_8_COMMON[3],
    FIGURE_8_COMMON[4],
    say(520, "n0, leader of term 3, copies its term-1 entry v2 to n2 and n3: v2 is now on a majority. The safe rule (section 5.4.2) does not commit it, because only entries of the leader's own term are committed by counting replicas."),
    say(600, "n0 crashes. n4 restarts and, after one failed try, wins term 4: its last entry (term 2) is more up-to-date than everyone else's (term 1)."),
    say(700, "n4 overwrites v2 at index 2 with v3 on every server. That is safe: v2 was never committed. A request in term 4 then commits v3 and v4, and every invariant holds."),
];

const FIGURE_8_UNSAFE: &[Narration] = &[
    FIGURE_8_COMMON[0],
    FIGURE_8_COMMON[1],
    FIGURE_8_COMMON[2],
    FIGURE_8_COMMON[3],
    FIGURE_8_COMMON[4],
    say(520, "n0, leader of term 3, copies its term-1 entry v2 to n2 and n3. With the bug on it commits v2 as soon as a majority stores it, although v2 is from term 1."),
    say(600, "n0 crashes. n4 restarts and wins term 4, because its last entry (term 2) is more up-to-date than the others' (term 1), yet it lacks the committed v2: the checker flags leader completeness."),
    say(700, "n4 overwrites the committed v2 with v3 everywhere, and servers apply different entries at index 2: state machine safety is violated. Switch the bug off and replay to see the safe rule refuse the commit."),
];

/// A client request of `value`, sent straight to `to` (not routed to the leader).
fn request(to: u32, value: u64) -> Action {
    Action::operation(Some(node(to)), &RaftOp::Request { value })
}

fn first_election(_: &Setup) -> Vec<TimedAction> {
    Vec::new()
}

fn leader_crash(_: &Setup) -> Vec<TimedAction> {
    use Action::*;
    vec![
        at(20, Timeout(node(0))),
        at(1200, Crash(node(0))),
        at(2500, Restart(node(0))),
    ]
}

fn split_vote(_: &Setup) -> Vec<TimedAction> {
    (0..4).map(|i| at(100, Action::Timeout(node(i)))).collect()
}

fn minority_partition(_: &Setup) -> Vec<TimedAction> {
    use Action::*;
    vec![
        at(20, Timeout(node(0))),
        at(1000, Partition(vec![0, 0, 0, 1, 1])),
        at(3000, Heal),
    ]
}

fn majority_partition(_: &Setup) -> Vec<TimedAction> {
    use Action::*;
    vec![
        at(20, Timeout(node(0))),
        at(1000, Partition(vec![0, 0, 1, 1, 1])),
        at(1050, request(0, 100)),
        at(1100, request(0, 101)),
        at(3500, Heal),
    ]
}

/// The same script with and without the bug: only the commit rule differs.
fn figure_8(_: &Setup) -> Vec<TimedAction> {
    use Action::*;
    vec![
        at(50, Timeout(node(0))),
        at(200, request(0, 1)),
        at(300, Partition(vec![0, 0, 1, 1, 1])),
        at(305, request(0, 2)),
        at(350, Crash(node(0))),
        at(355, Timeout(node(4))),
        at(430, Partition(vec![0, 0, 1, 1, 2])),
        at(435, request(4, 3)),
        at(440, Crash(node(4))),
        at(445, Heal),
        at(445, Restart(node(0))),
        at(450, Timeout(node(0))),
        at(480, Timeout(node(0))),
        at(600, Crash(node(0))),
        at(605, Restart(node(4))),
        at(610, Timeout(node(4))),
        at(650, Timeout(node(4))),
        at(750, request(4, 4)),
    ]
}

/// n4 misses committed entries, then wins an election it should lose.
fn stale_leader(_: &Setup) -> Vec<TimedAction> {
    use Action::*;
    vec![
        at(0, Partition(vec![0, 0, 0, 0, 1])),
        at(20, Timeout(node(0))),
        at(200, request(0, 1)),
        at(250, request(0, 2)),
        at(300, request(0, 3)),
        at(600, Crash(node(0))),
        at(600, Heal),
        at(605, Timeout(node(4))),
    ]
}

/// Client `client` (node 5 + client, after five servers) starts `command`.
fn invoke(client: u32, command: KvCommand) -> Action {
    Action::operation(Some(node(5 + client)), &RaftOp::Invoke(command))
}

/// n0 is deposed behind a partition and, with the bug, still answers a read.
fn stale_read(_: &Setup) -> Vec<TimedAction> {
    use Action::*;
    vec![
        at(20, Timeout(node(0))),
        at(200, invoke(1, KvCommand::Put { key: 0, value: 1 })),
        at(400, invoke(0, KvCommand::Get { key: 0 })),
        at(600, Partition(vec![0, 1, 1, 1, 1])),
        at(620, Timeout(node(1))),
        at(700, invoke(1, KvCommand::Put { key: 0, value: 2 })),
        at(1200, invoke(0, KvCommand::Get { key: 0 })),
        at(2000, Heal),
    ]
}

/// n0's answer to c0's append is lost, so c0 asks again.
fn duplicate_append(_: &Setup) -> Vec<TimedAction> {
    use Action::*;
    let client = |i: u32| node(5 + i);
    vec![
        at(20, Timeout(node(0))),
        at(
            200,
            invoke(
                0,
                KvCommand::Append {
                    key: LIST,
                    value: 7,
                },
            ),
        ),
        at(
            200,
            Cut {
                from: node(0),
                to: client(0),
            },
        ),
        at(
            450,
            Restore {
                from: node(0),
                to: client(0),
            },
        ),
        at(900, invoke(1, KvCommand::Get { key: LIST })),
    ]
}

/// n1 votes for n0, restarts, and votes for n4 in the same term.
fn double_vote(_: &Setup) -> Vec<TimedAction> {
    use Action::*;
    vec![
        at(0, Partition(vec![0, 0, 0, 1, 1])),
        at(20, Timeout(node(0))),
        at(70, Partition(vec![0, 1, 0, 1, 1])),
        at(75, Crash(node(1))),
        at(80, Restart(node(1))),
        at(90, Timeout(node(4))),
    ]
}
