//! A pool's waiting room: one queue per tenant (or one shared queue) and the
//! discipline that picks which waiting request a free worker takes.
//!
//! - *FIFO*: the request that arrived first, whichever queue it is in (with
//!   one shared queue, the plain FIFO queue of [`crate::traffic::service`]).
//! - *Weighted fair queuing* (Demers, Keshav & Shenker 1989, section 2.2):
//!   each request gets a virtual finish time `F = max(V, F_prev) + size /
//!   weight` when it arrives, `F_prev` being the finish time of its tenant's
//!   previous request, and the smallest `F` is served first. The system
//!   virtual time `V` is the finish time of the request that last started
//!   (Golestani's self-clocked approximation, 1994) instead of a simulation
//!   of bit-by-bit round robin.
//! - *Deficit round robin* (Shreedhar & Varghese 1995, section 3, Figure 3):
//!   the non-empty queues take turns in the order they became non-empty
//!   (the ActiveList). A turn adds `quantum × weight` to the queue's deficit
//!   counter; the queue is served while its head fits in the deficit, which
//!   each request spends by its size; a queue that empties loses its deficit
//!   and leaves the list, one whose head no longer fits waits for the next
//!   round. Here a turn is spread over dispatches: each free worker takes one
//!   request and the turn goes on until it is over.
//!
//! Sizes are work units (1 to [`MAX_SIZE`]); virtual times are scaled by 840,
//! the least common multiple of the weights 1 to 8, so they stay integers.

use std::collections::VecDeque;

use crate::sim::time::{NodeId, Time};
use crate::traffic::request::Request;

use super::message::{Discipline, TenantId, MAX_SIZE};

/// Virtual time units per work unit at weight 1.
const VIRTUAL_SCALE: u64 = 840;

/// A request waiting for a worker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Waiting {
    pub tenant: TenantId,
    /// The tenant's process, to answer.
    pub from: NodeId,
    pub request: Request,
    pub size: u32,
    /// When it arrived, by the server's clock.
    pub arrived_at: Time,
    /// Arrival order (FIFO).
    order: u64,
    /// Virtual finish time (WFQ).
    finish: u64,
}

/// One queue and its scheduling state.
#[derive(Clone, Debug)]
pub struct Queue {
    /// The tenant it belongs to, or `None` if shared.
    pub tenant: Option<TenantId>,
    pub weight: u32,
    /// DRR's deficit counter, in work units.
    pub deficit: u32,
    waiting: VecDeque<Waiting>,
    /// WFQ: the finish time of the last request that joined.
    last_finish: u64,
}

impl Queue {
    pub fn len(&self) -> usize {
        self.waiting.len()
    }

    pub fn is_empty(&self) -> bool {
        self.waiting.is_empty()
    }

    /// DRR's quantum for this queue: the base quantum times its weight.
    pub fn quantum(&self, base: u32) -> u32 {
        base.saturating_mul(self.weight.max(1))
    }
}

/// The queues of one pool and the discipline among them.
#[derive(Clone, Debug)]
pub struct Scheduler {
    discipline: Discipline,
    /// DRR's base quantum, in work units.
    quantum: u32,
    /// The most requests one queue may hold.
    limit: u32,
    queues: Vec<Queue>,
    next_order: u64,
    /// WFQ's system virtual time.
    virtual_time: u64,
    /// DRR's ActiveList: indices of the non-empty queues, in turn order.
    active: VecDeque<usize>,
    /// DRR: whether the queue at the head of `active` has had this turn's
    /// quantum added.
    in_turn: bool,
}

impl Scheduler {
    /// A queue per tenant of `tenants` (with their weights), or one shared
    /// queue if `shared`.
    pub fn new(
        discipline: Discipline,
        quantum: u32,
        limit: u32,
        tenants: &[(TenantId, u32)],
        shared: bool,
    ) -> Self {
        let queue = |tenant: Option<TenantId>, weight: u32| Queue {
            tenant,
            weight,
            deficit: 0,
            waiting: VecDeque::new(),
            last_finish: 0,
        };
        let queues = if shared {
            vec![queue(None, 1)]
        } else {
            tenants
                .iter()
                .map(|&(tenant, weight)| queue(Some(tenant), weight))
                .collect()
        };
        Scheduler {
            discipline: if shared { Discipline::Fifo } else { discipline },
            quantum: quantum.max(1),
            limit: limit.max(1),
            queues,
            next_order: 0,
            virtual_time: 0,
            active: VecDeque::new(),
            in_turn: false,
        }
    }

    pub fn discipline(&self) -> Discipline {
        self.discipline
    }

    pub fn quantum(&self) -> u32 {
        self.quantum
    }

    pub fn queues(&self) -> &[Queue] {
        &self.queues
    }

    /// The queue in its DRR turn (its quantum added), if any.
    pub fn in_turn(&self) -> Option<usize> {
        self.active.front().copied().filter(|_| self.in_turn)
    }

    fn queue_of(&self, tenant: TenantId) -> Option<usize> {
        self.queues
            .iter()
            .position(|queue| queue.tenant.is_none_or(|owner| owner == tenant))
    }

    /// Whether `tenant` waits here at all.
    pub fn serves(&self, tenant: TenantId) -> bool {
        self.queue_of(tenant).is_some()
    }

    /// Requests waiting, in all queues.
    pub fn len(&self) -> usize {
        self.queues.iter().map(Queue::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.queues.iter().all(Queue::is_empty)
    }

    /// Requests of `tenant` waiting.
    pub fn waiting_of(&self, tenant: TenantId) -> usize {
        self.queues
            .iter()
            .flat_map(|queue| queue.waiting.iter())
            .filter(|waiting| waiting.tenant == tenant)
            .count()
    }

    /// Whether the queue `tenant` waits in has room for one more.
    pub fn has_room(&self, tenant: TenantId) -> bool {
        self.queue_of(tenant)
            .is_some_and(|index| self.queues[index].len() < self.limit as usize)
    }

    /// Puts a request in its tenant's queue; `false` (and nothing queued) if
    /// the tenant has no queue here or it is full.
    pub fn push(
        &mut self,
        tenant: TenantId,
        from: NodeId,
        request: Request,
        size: u32,
        now: Time,
    ) -> bool {
        let Some(index) = self.queue_of(tenant) else {
            return false;
        };
        if !self.has_room(tenant) {
            return false;
        }
        let size = size.clamp(1, MAX_SIZE);
        let queue = &mut self.queues[index];
        // WFQ (Demers et al. section 2.2): F = max(V, F_prev) + size / weight.
        let finish = self.virtual_time.max(queue.last_finish)
            + u64::from(size) * VIRTUAL_SCALE / u64::from(queue.weight.max(1));
        queue.last_finish = finish;
        self.next_order += 1;
        let was_empty = queue.waiting.is_empty();
        queue.waiting.push_back(Waiting {
            tenant,
            from,
            request,
            size,
            arrived_at: now,
            order: self.next_order,
            finish,
        });
        // DRR: a queue that becomes non-empty joins the end of the ActiveList.
        if was_empty && !self.active.contains(&index) {
            self.active.push_back(index);
        }
        true
    }

    /// The request a free worker takes next, or `None` if nothing waits.
    pub fn pop(&mut self) -> Option<Waiting> {
        let index = match self.discipline {
            Discipline::Fifo => self.smallest(|waiting| waiting.order)?,
            Discipline::WeightedFair => self.smallest(|waiting| waiting.finish)?,
            Discipline::DeficitRoundRobin => return self.pop_round_robin(),
        };
        let waiting = self.queues[index].waiting.pop_front()?;
        self.after_pop(index);
        if self.discipline == Discipline::WeightedFair {
            // Self-clocked: V is the finish time of the request now served.
            self.virtual_time = self.virtual_time.max(waiting.finish);
        }
        Some(waiting)
    }

    fn smallest(&self, key: impl Fn(&Waiting) -> u64) -> Option<usize> {
        self.queues
            .iter()
            .enumerate()
            .filter_map(|(index, queue)| queue.waiting.front().map(|head| (key(head), index)))
            .min()
            .map(|(_, index)| index)
    }

    /// Keeps the ActiveList to the non-empty queues for every discipline, so a
    /// change of discipline is never needed to keep it right.
    fn after_pop(&mut self, index: usize) {
        if self.queues[index].waiting.is_empty() {
            self.queues[index].deficit = 0;
            if let Some(at) = self.active.iter().position(|&i| i == index) {
                self.active.remove(at);
                if at == 0 {
                    self.in_turn = false;
                }
            }
        }
    }

    /// Shreedhar & Varghese, Figure 3, one request at a time.
    fn pop_round_robin(&mut self) -> Option<Waiting> {
        // Each pass either serves or moves a queue to the end with a larger
        // deficit; a queue's deficit reaches MAX_SIZE within MAX_SIZE turns,
        // so this ends well within the bound.
        let bound = self.active.len() * (MAX_SIZE as usize + 1) + 1;
        for _ in 0..bound {
            let index = *self.active.front()?;
            let base = self.quantum;
            let queue = &mut self.queues[index];
            if !self.in_turn {
                // A new turn: DC_i = DC_i + Quantum_i.
                queue.deficit = queue.deficit.saturating_add(queue.quantum(base));
                self.in_turn = true;
            }
            let head = queue.waiting.front().map(|waiting| waiting.size);
            match head {
                Some(size) if size <= queue.deficit => {
                    queue.deficit -= size;
                    let waiting = queue.waiting.pop_front();
                    self.after_pop(index);
                    return waiting;
                }
                Some(_) => {
                    // The head does not fit: the turn is over, keep the rest.
                    self.active.rotate_left(1);
                    self.in_turn = false;
                }
                None => {
                    queue.deficit = 0;
                    self.active.pop_front();
                    self.in_turn = false;
                }
            }
        }
        None
    }

    /// Everything waiting is lost (a crash).
    pub fn clear(&mut self) {
        for queue in &mut self.queues {
            queue.waiting.clear();
            queue.deficit = 0;
            queue.last_finish = 0;
        }
        self.active.clear();
        self.in_turn = false;
        self.virtual_time = 0;
    }

    /// For tests of the checker: sets a queue's deficit as a broken
    /// scheduler would.
    #[cfg(test)]
    pub fn force_deficit(&mut self, index: usize, deficit: u32) {
        self.queues[index].deficit = deficit;
    }
}
