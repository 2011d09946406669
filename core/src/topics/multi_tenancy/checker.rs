//! The invariants of the multi-tenancy topic, checked after every step of a
//! server:
//!
//! - **quota-respected** (quotas on): for every tenant and every window
//!   `[k·W, (k+1)·W)` of the server's clock, `W` = 1 s aligned at zero, the
//!   requests the server admitted (queued for a worker) in it are at most the
//!   tenant's quota, quota × weight. Counted by the checker from the server's
//!   log of admissions, not from the server's own counters. "Any window" is
//!   any window of the quota's own definition (per second of the clock, as
//!   a per-minute API quota is); a sliding window would see up to twice the
//!   quota across a boundary, which is what a quota of that kind allows.
//! - **drr-deficit-bounded** (DRR): Shreedhar & Varghese's lemma (section 4):
//!   when a queue's turn ends its deficit counter is below `Max`, the largest
//!   request (its head did not fit, or it emptied and was reset to 0). A turn
//!   adds `Quantum_i = quantum × weight_i` and only spends afterwards, so at
//!   every instant `0 ≤ DC_i ≤ Quantum_i + Max − 1`, and `DC_i < Max` for every
//!   queue not in its turn.
//! - **work-conserving**: after every step, no pool has a free worker while a
//!   queue it serves holds a request.

use crate::lab::topic::InvariantInfo;
use crate::sim::checker::{Checker, Violation};
use crate::sim::time::{NodeId, Time};

use super::message::{Discipline, TenantId, MAX_SIZE};
use super::process::{TenancyConfig, TenancyProcess, MAX_TENANTS, QUOTA_WINDOW};
use super::server::Server;

pub const QUOTA_RESPECTED: &str = "quota-respected";
pub const DRR_DEFICIT_BOUNDED: &str = "drr-deficit-bounded";
pub const WORK_CONSERVING: &str = "work-conserving";

pub const INVARIANTS: &[InvariantInfo] = &[
    InvariantInfo {
        name: QUOTA_RESPECTED,
        summary: "With quotas on, no tenant has more requests admitted than quota × weight in any 1-second window of the server's clock (aligned at zero).",
    },
    InvariantInfo {
        name: DRR_DEFICIT_BOUNDED,
        summary: "Under DRR a deficit counter never exceeds quantum × weight + max request size − 1, and is below the max request size outside its queue's turn (Shreedhar & Varghese's lemma).",
    },
    InvariantInfo {
        name: WORK_CONSERVING,
        summary: "No worker idles while a queue its pool serves holds a request.",
    },
];

/// What the checker has counted from one server's admissions.
#[derive(Clone, Debug, Default)]
struct Counted {
    /// Admissions read so far.
    read: usize,
    /// The window of the last admission read, and each tenant's count in it.
    window: u64,
    counts: [u32; MAX_TENANTS],
}

#[derive(Clone, Debug)]
pub struct TenancyChecker {
    config: TenancyConfig,
    servers: Vec<Counted>,
    /// The most a tenant was admitted in one window, for the tests and views.
    most_in_window: u32,
}

impl TenancyChecker {
    pub fn new(config: TenancyConfig) -> Self {
        TenancyChecker {
            config,
            servers: vec![Counted::default(); config.servers()],
            most_in_window: 0,
        }
    }

    pub fn config(&self) -> &TenancyConfig {
        &self.config
    }

    pub fn most_admitted_in_a_window(&self) -> u32 {
        self.most_in_window
    }

    fn check_quota(&mut self, server: &Server, node: usize, found: &mut Vec<Violation>) {
        let Some(counted) = self.servers.get_mut(node) else {
            return;
        };
        let window_us = QUOTA_WINDOW.as_micros();
        for admission in &server.admissions()[counted.read.min(server.admissions().len())..] {
            let window = admission.at.as_micros() / window_us;
            if window > counted.window {
                counted.window = window;
                counted.counts = [0; MAX_TENANTS];
            }
            let Some(count) = counted.counts.get_mut(admission.tenant.index()) else {
                continue;
            };
            *count += 1;
            self.most_in_window = self.most_in_window.max(*count);
            if let Some(quota) = self.config.quota_of(admission.tenant) {
                if *count == quota + 1 {
                    found.push(Violation {
                        invariant: QUOTA_RESPECTED,
                        message: format!(
                            "{} was admitted request number {} in window {window} ({}-{} ms) at {}: its quota is {quota} a window",
                            admission.tenant,
                            *count,
                            window * 1000,
                            (window + 1) * 1000,
                            admission.at,
                        ),
                    });
                }
            }
        }
        counted.read = server.admissions().len();
    }
}

/// DRR's bound on one server's deficit counters.
pub fn check_deficits(server: &Server, found: &mut Vec<Violation>) {
    for pool in server.pools() {
        let scheduler = &pool.scheduler;
        if scheduler.discipline() != Discipline::DeficitRoundRobin {
            continue;
        }
        let in_turn = scheduler.in_turn();
        for (index, queue) in scheduler.queues().iter().enumerate() {
            let quantum = queue.quantum(scheduler.quantum());
            let (bound, when) = if in_turn == Some(index) {
                (quantum + MAX_SIZE - 1, "in its turn")
            } else {
                (MAX_SIZE - 1, "between turns")
            };
            if queue.deficit > bound {
                let tenant = queue.tenant.unwrap_or(TenantId(0));
                found.push(Violation {
                    invariant: DRR_DEFICIT_BOUNDED,
                    message: format!(
                        "{tenant}'s deficit counter is {} {when}; the bound is {bound} (quantum {quantum}, max request {MAX_SIZE})",
                        queue.deficit
                    ),
                });
            }
        }
    }
}

/// No free worker beside a waiting request.
pub fn check_work_conserving(server: &Server, found: &mut Vec<Violation>) {
    for (index, pool) in server.pools().iter().enumerate() {
        if pool.busy() < pool.workers as usize && !pool.scheduler.is_empty() {
            found.push(Violation {
                invariant: WORK_CONSERVING,
                message: format!(
                    "pool {index} has {} of {} workers busy while {} requests wait",
                    pool.busy(),
                    pool.workers,
                    pool.scheduler.len()
                ),
            });
        }
    }
}

impl Checker<TenancyProcess> for TenancyChecker {
    fn check(
        &mut self,
        nodes: &[TenancyProcess],
        up: &[bool],
        changed: NodeId,
        _now: Time,
        found: &mut Vec<Violation>,
    ) {
        let Some(server) = nodes.get(changed.index()).and_then(TenancyProcess::server) else {
            return;
        };
        self.check_quota(server, changed.index(), found);
        if !up.get(changed.index()).copied().unwrap_or(false) {
            return;
        }
        check_deficits(server, found);
        check_work_conserving(server, found);
    }
}
