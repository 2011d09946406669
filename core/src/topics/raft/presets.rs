//! Raft's guided scenarios: the scripted actions and narration of each preset.
//!
//! Scripts force the interesting server to time out first (`Timeout`), so the story
//! does not depend on which random election timer fires first; the preset's seed
//! fixes the rest. Tests replay every preset and assert its story happens.

use crate::lab::protocol::{ProtocolPreset, Setup};
use crate::lab::topic::{Narration, PresetInfo};
use crate::sim::action::{Action, TimedAction};
use crate::sim::time::{NodeId, Time};

use super::message::RaftOp;
use super::{BUG_COMMIT_OLD_TERM, BUG_FORGET_VOTE_ON_RESTART, BUG_VOTE_WITHOUT_LOG_CHECK};

const fn say(ms: u64, text: &'static str) -> Narration {
    Narration {
        at: Time::from_millis(ms),
        text,
    }
}

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
            params: &[("nodes", 5), ("rate", 0)],
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
            params: &[("nodes", 5), ("rate", 0)],
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
            params: &[("nodes", 5), ("rate", 0)],
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
            params: &[("nodes", 5), ("rate", 0)],
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
            params: &[("nodes", 5), ("rate", 0)],
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

fn at(ms: u64, action: Action) -> TimedAction {
    TimedAction::at_ms(ms, action)
}

fn node(i: u32) -> NodeId {
    NodeId(i)
}

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
