//! The invariants of leader election and their incremental checker.
//!
//! `single-leader` (bully and ring): every leader outranks each node that took
//! part in making it leader: no node follows a node it outranks, and no node
//! declares itself elected after its ELECTION was passed on by a node that
//! outranks it. That is what Chang and Roberts prove (only the largest id comes
//! back) and what the bully rule means (no node submits to a lower one), and
//! it is what keeps one election from producing two leaders. It holds under
//! partitions, where each side may elect its own leader: the bully and ring
//! algorithms assume a network that does not partition, and no rule of theirs
//! can stop that (leases can; see `lease-exclusion`).
//!
//! `lease-exclusion` (leases): no two nodes believe they hold a valid lease at
//! the same real time. The nodes believe in local time; the checker converts
//! with the simulator's clock model (local = global + offset + global·drift/10⁶),
//! knowing every clock setting of the run from the scenario (the parameters'
//! `SetClock`s, the preset's script and the person's actions), so it needs
//! nothing from the nodes but their believed expiry.
//!
//! The checker keeps registries of what happened (who passed on which id, who
//! believed it led and when, every lease believed), so a crash that wipes a
//! node's memory does not wipe the evidence.

use crate::lab::topic::InvariantInfo;
use crate::sim::action::{Action, TimedAction};
use crate::sim::checker::{Checker, Violation};
use crate::sim::time::{NodeId, Time};

use super::message::{name, Mode};
use super::node::ElectionNode;

pub const SINGLE_LEADER: &str = "single-leader";
pub const LEASE_EXCLUSION: &str = "lease-exclusion";

pub const INVARIANTS: &[InvariantInfo] = &[
    InvariantInfo {
        name: SINGLE_LEADER,
        summary: "Bully and ring: a leader outranks every node that made it leader (no node follows a node it outranks; no id wins after a higher node passed it on), so one election makes one leader.",
    },
    InvariantInfo {
        name: LEASE_EXCLUSION,
        summary: "Leases: no two nodes believe they hold a valid lease at the same real time (their local expiries converted with the clock model).",
    },
];

/// A clock setting: from `at` on, `node`'s clock has this skew.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct ClockChange {
    at: Time,
    node: u32,
    offset_us: i64,
    drift_ppm: i32,
}

/// The simulator's clock model, as the run's actions set it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClockModel {
    changes: Vec<ClockChange>,
}

impl ClockModel {
    /// The model of a run with these planned actions (in any order).
    pub fn from_actions<'a>(actions: impl IntoIterator<Item = &'a TimedAction>) -> ClockModel {
        let mut changes: Vec<ClockChange> = actions
            .into_iter()
            .filter_map(|action| match action.action {
                Action::SetClock {
                    node,
                    offset_us,
                    drift_ppm,
                } => Some(ClockChange {
                    at: action.at,
                    node: node.0,
                    offset_us,
                    drift_ppm,
                }),
                _ => None,
            })
            .collect();
        crate::sort::sort_stably_by(&mut changes, |change| change.at.as_micros());
        ClockModel { changes }
    }

    /// `node`'s skew at global time `at`.
    fn skew(&self, node: u32, at: Time) -> (i64, i32) {
        self.changes
            .iter()
            .rev()
            .find(|change| change.node == node && change.at <= at)
            .map_or((0, 0), |change| (change.offset_us, change.drift_ppm))
    }

    /// What `node`'s clock reads at global time `global`.
    pub fn local(&self, node: u32, global: Time) -> Time {
        let (offset, drift) = self.skew(node, global);
        let g = global.as_micros() as i128;
        let local = g + offset as i128 + g * drift as i128 / 1_000_000;
        Time(local.clamp(0, u64::MAX as i128) as u64)
    }

    /// The global time at which `node`'s clock reads `local`, with the skew it
    /// has at global time `now` (for drawing; the checks use [`Self::local`]).
    pub fn global(&self, node: u32, local: Time, now: Time) -> Time {
        let (offset, drift) = self.skew(node, now);
        let shifted = local.as_micros() as i128 - offset as i128;
        let global = (shifted * 1_000_000).div_euclid(1_000_000 + drift as i128);
        Time(global.clamp(0, u64::MAX as i128) as u64)
    }
}

/// A stretch of time during which a node believed it led (bully and ring) or
/// held a lease (leases).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reign {
    pub node: NodeId,
    /// Global time it began.
    pub from: Time,
    /// Global time it ended (a crash, stepping down, a newer lease), if it did.
    pub ended: Option<Time>,
    /// Leases: the lease's attempt and believed expiry (local time).
    pub lease: Option<(u64, Time)>,
}

/// The checker of one run.
#[derive(Clone, Debug)]
pub struct ElectionChecker {
    mode: Mode,
    clocks: ClockModel,
    /// Who each node believed led when it last changed (`None` while down).
    believed: Vec<Option<u32>>,
    /// Ring: for each candidate id, 1 + the highest node that passed it on.
    passed_by: Vec<u32>,
    /// Ring: how many forwards of each node the registry has seen.
    forwards_seen: Vec<u64>,
    /// Leases: each node's current lease belief (attempt, local expiry).
    leases: Vec<Option<(u64, Time)>>,
    /// Every reign so far, in the order they began.
    reigns: Vec<Reign>,
    /// Each node's open reign (an index into `reigns`).
    open: Vec<Option<usize>>,
}

impl ElectionChecker {
    pub fn new(mode: Mode, nodes: usize, clocks: ClockModel) -> ElectionChecker {
        ElectionChecker {
            mode,
            clocks,
            believed: vec![None; nodes],
            passed_by: vec![0; nodes],
            forwards_seen: vec![0; nodes],
            leases: vec![None; nodes],
            reigns: Vec::new(),
            open: vec![None; nodes],
        }
    }

    pub fn reigns(&self) -> &[Reign] {
        &self.reigns
    }

    pub fn clocks(&self) -> &ClockModel {
        &self.clocks
    }

    /// Who each node believes leads, as last seen.
    pub fn believed(&self) -> &[Option<u32>] {
        &self.believed
    }

    fn close(&mut self, node: usize, now: Time) {
        if let Some(index) = self.open[node].take() {
            self.reigns[index].ended = Some(now);
        }
    }

    fn begin(&mut self, node: usize, now: Time, lease: Option<(u64, Time)>) {
        self.close(node, now);
        self.open[node] = Some(self.reigns.len());
        self.reigns.push(Reign {
            node: NodeId(node as u32),
            from: now,
            ended: None,
            lease,
        });
    }

    fn check_leadership(
        &mut self,
        node: &ElectionNode,
        k: usize,
        now: Time,
        found: &mut Vec<Violation>,
    ) {
        let me = k as u32;
        let (forwards, candidate) = node.forwards();
        if forwards != self.forwards_seen[k] {
            self.forwards_seen[k] = forwards;
            if let Some(slot) = self.passed_by.get_mut(candidate as usize) {
                *slot = (*slot).max(me + 1);
            }
        }
        let before = self.believed[k];
        let now_believes = node.leader().map(|l| l.0);
        self.believed[k] = now_believes;
        let leads = now_believes == Some(me);
        if leads && before != Some(me) {
            self.begin(k, now, None);
            if self.mode == Mode::Ring && self.passed_by[k] > me + 1 {
                let higher = self.passed_by[k] - 1;
                found.push(Violation {
                    invariant: SINGLE_LEADER,
                    message: format!(
                        "{} declared itself leader, but {} passed its ELECTION on though it outranks it",
                        name(me),
                        name(higher)
                    ),
                });
            }
        } else if !leads && before == Some(me) {
            self.close(k, now);
        }
        if let Some(leader) = now_believes.filter(|&l| l < me && before != now_believes) {
            found.push(Violation {
                invariant: SINGLE_LEADER,
                message: format!("{} follows {}, which it outranks", name(me), name(leader)),
            });
        }
    }

    fn check_leases(
        &mut self,
        node: &ElectionNode,
        k: usize,
        up: &[bool],
        now: Time,
        found: &mut Vec<Violation>,
    ) {
        let belief = node.lease().map(|lease| (lease.attempt, lease.until));
        if belief != self.leases[k] {
            match belief {
                Some(lease) => self.begin(k, now, Some(lease)),
                None => self.close(k, now),
            }
            self.leases[k] = belief;
        }
        let Some((attempt, until)) = belief else {
            return;
        };
        if self.clocks.local(k as u32, now) >= until {
            return;
        }
        for (other, lease) in self.leases.iter().enumerate() {
            let Some((their_attempt, their_until)) = *lease else {
                continue;
            };
            if other == k || !up[other] {
                continue;
            }
            let their_clock = self.clocks.local(other as u32, now);
            if their_clock < their_until {
                found.push(Violation {
                    invariant: LEASE_EXCLUSION,
                    message: format!(
                        "{} holds lease #{attempt} (until {until} by its clock) while {} still believes in lease #{their_attempt} (until {their_until}; its clock reads {their_clock})",
                        name(k as u32),
                        name(other as u32)
                    ),
                });
            }
        }
    }
}

impl Checker<ElectionNode> for ElectionChecker {
    fn check(
        &mut self,
        nodes: &[ElectionNode],
        up: &[bool],
        changed: NodeId,
        now: Time,
        found: &mut Vec<Violation>,
    ) {
        let k = changed.index();
        let Some(node) = nodes.get(k) else {
            return;
        };
        if !up.get(k).copied().unwrap_or(false) {
            // A crash: the node believes nothing any more.
            self.believed[k] = None;
            self.leases[k] = None;
            self.close(k, now);
            return;
        }
        match self.mode {
            Mode::Bully | Mode::Ring => self.check_leadership(node, k, now, found),
            Mode::Leases => self.check_leases(node, k, up, now, found),
        }
    }
}
