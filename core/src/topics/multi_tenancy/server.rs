//! A server of the multi-tenancy topic: the whole platform, or one cell. It
//! admits or refuses each request (the tenant's token bucket, then its quota,
//! then room in its queue), queues the admitted ones in its pools' schedulers
//! and keeps every worker busy while anything it may serve waits.
//!
//! Admission follows the usual order of a multi-tenant front door (AWS API
//! Gateway's usage plans: a throttle, then a quota): the rate limit first,
//! then the quota, then the queue. A request counts against the quota only
//! once it is admitted, at the instant it is admitted: that is what the
//! `quota-respected` invariant checks, from [`Server::admissions`].

use crate::ratelimit::{FixedWindow, TokenBucket};
use crate::sim::node::Cx;
use crate::sim::time::{Duration, NodeId, Time};
use crate::sim::view::{Cell, NodeSummary, Palette};
use crate::traffic::distribution::ServiceTime;
use crate::traffic::request::Request;
use crate::traffic::service::WorkId;

use super::message::{Isolation, Refusal, TenancyMessage, TenancyTimer, TenantId};
use super::process::{TenancyConfig, TenancyProcess, QUOTA_WINDOW};
use super::scheduler::{Scheduler, Waiting};

/// The spread of service times around `size × unit` (σ = 0.25 of a
/// log-normal: p99 about 1.8 times the median), so the tail is the queue's,
/// not the service's.
const SERVICE_SIGMA_MILLI: u32 = 250;

/// A request on a worker.
#[derive(Clone, Copy, Debug)]
struct InService {
    work: WorkId,
    waiting: Waiting,
}

/// A pool of workers and the queues it serves.
#[derive(Clone, Debug)]
pub struct Pool {
    pub workers: u32,
    in_service: Vec<InService>,
    pub scheduler: Scheduler,
}

impl Pool {
    pub fn busy(&self) -> usize {
        self.in_service.len()
    }

    /// For tests of the checker: the workers stop as a broken server's would.
    #[cfg(test)]
    pub fn drop_work_in_service(&mut self) {
        self.in_service.clear();
    }
}

/// One tenant's limits at this server, and what became of its requests.
#[derive(Clone, Debug)]
pub struct TenantLimits {
    pub tenant: TenantId,
    bucket: Option<TokenBucket>,
    /// Requests admitted in the current quota window.
    admitted_window: Option<FixedWindow>,
    /// Requests started in the current quota window (what the bug counts).
    started_window: Option<FixedWindow>,
    pub admitted: u64,
    pub served: u64,
    pub refused: u64,
}

/// One admission, as the checker reads it: when (by the server's clock) and
/// whose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Admission {
    pub at: Time,
    pub tenant: TenantId,
}

#[derive(Clone, Debug)]
pub struct Server {
    config: TenancyConfig,
    cell: usize,
    pools: Vec<Pool>,
    limits: Vec<TenantLimits>,
    admissions: Vec<Admission>,
    next_work: u64,
    /// Requests lost inside the server to crashes.
    lost: u64,
}

impl Server {
    /// Server number `cell` (0 unless the isolation model is cells).
    pub fn new(config: TenancyConfig, cell: usize) -> Self {
        let tenants = config.tenants_of(cell);
        let scheduler = |members: &[(TenantId, u32)], shared: bool| {
            Scheduler::new(
                config.discipline,
                config.quantum,
                config.queue_limit,
                members,
                shared,
            )
        };
        let pool = |workers: u32, scheduler: Scheduler| Pool {
            workers: workers.max(1),
            in_service: Vec::new(),
            scheduler,
        };
        let pools = match config.isolation {
            Isolation::SharedPool => vec![pool(config.workers, scheduler(&tenants, true))],
            Isolation::TenantQueues => vec![pool(config.workers, scheduler(&tenants, false))],
            Isolation::TenantPools => partition(config.workers, &tenants)
                .into_iter()
                .zip(&tenants)
                .map(|(workers, &member)| pool(workers, scheduler(&[member], false)))
                .collect(),
            Isolation::Cells => vec![pool(
                config.workers / config.servers().max(1) as u32,
                scheduler(&tenants, false),
            )],
        };
        let window = || {
            // A counter per window: its own limit is never reached, the quota
            // compares counts itself.
            (config.quota > 0).then(|| FixedWindow::with_window(u32::MAX, QUOTA_WINDOW.as_micros()))
        };
        let limits = tenants
            .iter()
            .map(|&(tenant, weight)| TenantLimits {
                tenant,
                bucket: (config.rate_limit > 0).then(|| {
                    let rate = config.rate_limit * weight;
                    TokenBucket::new(f64::from(rate), rate.max(1))
                }),
                admitted_window: window(),
                started_window: window(),
                admitted: 0,
                served: 0,
                refused: 0,
            })
            .collect();
        Server {
            config,
            cell,
            pools,
            limits,
            admissions: Vec::new(),
            next_work: 0,
            lost: 0,
        }
    }

    pub fn config(&self) -> &TenancyConfig {
        &self.config
    }

    pub fn pools(&self) -> &[Pool] {
        &self.pools
    }

    #[cfg(test)]
    pub fn pools_mut(&mut self) -> &mut [Pool] {
        &mut self.pools
    }

    pub fn limits(&self) -> &[TenantLimits] {
        &self.limits
    }

    /// Every admission since the start, in order (kept across crashes).
    pub fn admissions(&self) -> &[Admission] {
        &self.admissions
    }

    pub fn waiting(&self) -> usize {
        self.pools.iter().map(|pool| pool.scheduler.len()).sum()
    }

    pub fn busy(&self) -> usize {
        self.pools.iter().map(Pool::busy).sum()
    }

    pub fn workers(&self) -> u32 {
        self.pools.iter().map(|pool| pool.workers).sum()
    }

    pub fn on_message(&mut self, from: NodeId, msg: TenancyMessage, cx: &mut Cx<TenancyProcess>) {
        let TenancyMessage::Call {
            tenant,
            request,
            size,
        } = msg
        else {
            cx.note(|| "a server takes calls, not answers: dropped".to_string());
            return;
        };
        let Some(limit) = self.limits.iter().position(|l| l.tenant == tenant) else {
            let cell = self.cell;
            cx.note(|| format!("{tenant} is not a tenant of this server (cell {cell}): dropped"));
            return;
        };
        if self.config.tenant_node(tenant) != from {
            cx.note(|| format!("a call for {tenant} from {from}, not its process: dropped"));
            return;
        }
        let now = cx.now();
        match self.admit(limit, now) {
            Err(refusal) => {
                self.limits[limit].refused += 1;
                cx.note(|| format!("{tenant} {}: {}", request.id, refusal.as_str()));
                answer(cx, from, request, Some(refusal));
            }
            Ok(pool) => {
                self.limits[limit].admitted += 1;
                self.admissions.push(Admission { at: now, tenant });
                let queued =
                    self.pools[pool]
                        .scheduler
                        .push(tenant, from, request, u32::from(size), now);
                debug_assert!(queued, "admit checked the room");
                self.dispatch(pool, cx);
            }
        }
    }

    /// The front door: the pool the request goes to, or why not.
    fn admit(&mut self, limit: usize, now: Time) -> Result<usize, Refusal> {
        let tenant = self.limits[limit].tenant;
        let pool = self
            .pools
            .iter()
            .position(|pool| pool.scheduler.serves(tenant))
            .ok_or(Refusal::QueueFull)?;
        let now_us = now.as_micros();
        let quota = self.config.quota_of(tenant);
        let counts_started = self.config.quota_counts_started;
        let limits = &mut self.limits[limit];
        // Throttle first (token bucket, RFC 2697's committed burst).
        if let Some(bucket) = &mut limits.bucket {
            if !bucket.try_acquire(now_us) {
                return Err(Refusal::RateLimited);
            }
        }
        // Then the quota: at most quota × weight admitted per window.
        if let (Some(quota), Some(window)) = (quota, &mut limits.admitted_window) {
            let counted = if counts_started {
                // The bug: only requests already started count, so whatever
                // waits in the queue is invisible to the quota.
                limits
                    .started_window
                    .as_mut()
                    .map_or(0, |started| started.count(now_us).1)
            } else {
                window.count(now_us).1
            };
            if counted >= quota {
                return Err(Refusal::OverQuota);
            }
        }
        if !self.pools[pool].scheduler.has_room(tenant) {
            return Err(Refusal::QueueFull);
        }
        if let Some(window) = &mut self.limits[limit].admitted_window {
            window.try_acquire(now_us);
        }
        Ok(pool)
    }

    /// Work conservation: every free worker of `pool` takes a waiting request.
    fn dispatch(&mut self, pool: usize, cx: &mut Cx<TenancyProcess>) {
        let now = cx.now();
        let unit = self.config.unit;
        while self.pools[pool].busy() < self.pools[pool].workers as usize {
            let Some(waiting) = self.pools[pool].scheduler.pop() else {
                break;
            };
            let median = Duration(unit.as_micros() * u64::from(waiting.size));
            let after = ServiceTime::LogNormal {
                median,
                sigma_milli: SERVICE_SIGMA_MILLI,
            }
            .sample(cx.rng);
            self.next_work += 1;
            let work = WorkId(self.next_work);
            self.pools[pool]
                .in_service
                .push(InService { work, waiting });
            if let Some(started) = self
                .limits
                .iter_mut()
                .find(|l| l.tenant == waiting.tenant)
                .and_then(|l| l.started_window.as_mut())
            {
                started.try_acquire(now.as_micros());
            }
            cx.set_timer(TenancyTimer::WorkDone(pool as u8, work), after);
        }
    }

    pub fn on_timer(&mut self, timer: TenancyTimer, cx: &mut Cx<TenancyProcess>) {
        let TenancyTimer::WorkDone(pool, work) = timer else {
            return;
        };
        let pool = usize::from(pool);
        let Some(at) = self
            .pools
            .get(pool)
            .and_then(|p| p.in_service.iter().position(|w| w.work == work))
        else {
            cx.note(|| format!("work {} is no longer in service", work.0));
            return;
        };
        let done = self.pools[pool].in_service.swap_remove(at).waiting;
        if let Some(limits) = self.limits.iter_mut().find(|l| l.tenant == done.tenant) {
            limits.served += 1;
        }
        answer(cx, done.from, done.request, None);
        self.dispatch(pool, cx);
    }

    /// Queues and work in progress are lost; limits, quotas and counts are
    /// kept (they stand for a store that survives, as a quota must).
    pub fn on_crash(&mut self) {
        for pool in &mut self.pools {
            self.lost += (pool.in_service.len() + pool.scheduler.len()) as u64;
            pool.in_service.clear();
            pool.scheduler.clear();
        }
    }

    pub fn summary(&self) -> NodeSummary {
        let (waiting, busy, workers) = (self.waiting(), self.busy(), self.workers());
        NodeSummary {
            role: match self.config.isolation {
                Isolation::Cells => "cell",
                _ => "server",
            },
            palette: if waiting > 2 * workers as usize {
                Palette::Suspect
            } else if busy > 0 {
                Palette::Lead
            } else {
                Palette::Plain
            },
            badge: format!("{busy}/{workers}"),
            detail: format!(
                "{} ({}), {busy} of {workers} workers busy, {waiting} waiting",
                self.config.isolation.as_str(),
                self.pools[0].scheduler.discipline().as_str()
            ),
        }
    }

    pub fn state_row(&self) -> Vec<Cell> {
        let per_tenant = |value: &dyn Fn(&TenantLimits) -> String| {
            self.limits
                .iter()
                .map(|l| format!("{}:{}", l.tenant, value(l)))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let deficits = self
            .pools
            .iter()
            .flat_map(|pool| pool.scheduler.queues())
            .filter_map(|queue| Some(format!("{}:{}", queue.tenant?, queue.deficit)))
            .collect::<Vec<_>>()
            .join(" ");
        let waiting = per_tenant(&|l| {
            let count: usize = self
                .pools
                .iter()
                .map(|p| p.scheduler.waiting_of(l.tenant))
                .sum();
            count.to_string()
        });
        vec![
            Cell::Text(waiting),
            Cell::Text(format!("{}/{}", self.busy(), self.workers())),
            Cell::Text(per_tenant(&|l| l.admitted.to_string())),
            Cell::Text(per_tenant(&|l| l.refused.to_string())),
            Cell::Text(
                if self.pools[0].scheduler.discipline()
                    == super::message::Discipline::DeficitRoundRobin
                {
                    format!("deficits {deficits}")
                } else {
                    format!("{} lost to crashes", self.lost)
                },
            ),
        ]
    }
}

fn answer(cx: &mut Cx<TenancyProcess>, to: NodeId, request: Request, refused: Option<Refusal>) {
    cx.send(
        to,
        TenancyMessage::Answer {
            id: request.id,
            sent_at: request.sent_at,
            refused,
        },
    );
}

/// `workers` split among `tenants` by weight (largest remainder), at least
/// one each.
pub fn partition(workers: u32, tenants: &[(TenantId, u32)]) -> Vec<u32> {
    let total: u32 = tenants
        .iter()
        .map(|&(_, weight)| weight)
        .sum::<u32>()
        .max(1);
    let mut shares: Vec<u32> = tenants
        .iter()
        .map(|&(_, weight)| workers * weight / total)
        .collect();
    let mut left = workers.saturating_sub(shares.iter().sum());
    let mut by_remainder: Vec<usize> = (0..tenants.len()).collect();
    by_remainder.sort_by_key(|&i| std::cmp::Reverse((workers * tenants[i].1) % total));
    for &i in by_remainder.iter().cycle().take(tenants.len() * 2) {
        if left == 0 {
            break;
        }
        shares[i] += 1;
        left -= 1;
    }
    shares.iter().map(|&share| share.max(1)).collect()
}
