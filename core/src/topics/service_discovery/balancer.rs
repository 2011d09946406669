//! What a client and the load balancer share: the cached endpoint list with
//! its refresh (Eureka's client cache, fetched every `refresh-ms`), the
//! requests outstanding per instance, and the three balancing policies.
//!
//! The cache is used for one refresh interval plus one lookup timeout after
//! the lookup that filled it was sent; past that, with the registry
//! unreachable, it is dropped and requests fail at once rather than go to
//! instances the registry may have evicted long ago (where this model is
//! stricter than Eureka, which keeps serving its last list).
//!
//! Power of two choices follows Mitzenmacher, "The Power of Two Choices in
//! Randomized Load Balancing" (IEEE TPDS, 2001), Section 1: two instances
//! drawn at random, the request goes to the less loaded, which brings the
//! longest queue from about log n / log log n down to log log n / log 2.

use crate::sim::node::Cx;
use crate::sim::time::{NodeId, Time};

use super::message::{DiscoveryMessage, DiscoveryTimer, Policy, Record, RequestId};
use super::process::{DiscoveryConfig, DiscoveryProcess};

/// A request sent to an instance and not answered yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pending {
    pub id: RequestId,
    pub instance: NodeId,
    pub policy: Policy,
    pub sent_at: Time,
    /// Who to answer: the client itself, or (at the balancer) the client.
    pub reply_to: NodeId,
}

/// The latest request sent to an instance: which endpoint, and when.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sent {
    pub instance: NodeId,
    pub incarnation: u32,
    pub at: Time,
}

/// The endpoint cache and the choosing of an instance.
#[derive(Clone, Debug)]
pub struct Chooser {
    config: DiscoveryConfig,
    cache: Vec<Record>,
    /// When the lookup that filled the cache was sent (its age counts from
    /// there, since the registry's answer can be no older).
    fetched_at: Option<Time>,
    /// The lookup in progress: its number and when it was sent.
    lookup: Option<(u64, Time)>,
    /// Durable, so a late answer to a lookup before a crash is not taken.
    next_lookup: u64,
    replica: u32,
    next_turn: usize,
    pub pending: Vec<Pending>,
    /// Requests sent, per policy and instance (a tally for the charts).
    chosen: Vec<(Policy, NodeId, u64)>,
    sends: u64,
    last_send: Option<Sent>,
    lookups: u64,
}

impl Chooser {
    pub fn new(id: NodeId, config: DiscoveryConfig) -> Self {
        Chooser {
            config,
            cache: Vec::new(),
            fetched_at: None,
            lookup: None,
            next_lookup: 0,
            replica: id.0 % config.replicas.max(1),
            next_turn: id.0 as usize,
            pending: Vec::new(),
            chosen: Vec::new(),
            sends: 0,
            last_send: None,
            lookups: 0,
        }
    }

    /// Requests sent to instances, and the latest (instance, time).
    pub fn sends(&self) -> (u64, Option<Sent>) {
        (self.sends, self.last_send)
    }

    pub fn chosen(&self) -> &[(Policy, NodeId, u64)] {
        &self.chosen
    }

    pub fn on_start(&mut self, cx: &mut Cx<DiscoveryProcess>) {
        self.start_lookup(cx);
        cx.set_timer(DiscoveryTimer::Refresh, self.config.refresh);
    }

    pub fn on_crash(&mut self) {
        self.cache.clear();
        self.fetched_at = None;
        self.lookup = None;
        self.pending.clear();
    }

    fn start_lookup(&mut self, cx: &mut Cx<DiscoveryProcess>) {
        self.next_lookup += 1;
        self.lookups += 1;
        let lookup = self.next_lookup;
        self.lookup = Some((lookup, cx.now()));
        cx.send(NodeId(self.replica), DiscoveryMessage::Lookup { lookup });
        cx.set_timer(
            DiscoveryTimer::LookupTimeout(lookup),
            self.config.lookup_timeout,
        );
    }

    /// The refresh timer: fetch the list again (never again, with the
    /// `cache-never-refreshes` bug, once a list with endpoints has come).
    pub fn on_refresh(&mut self, cx: &mut Cx<DiscoveryProcess>) {
        if self.config.cache_never_refreshes && !self.cache.is_empty() {
            return cx.note(|| "keeps its first endpoint list: never refreshes (the bug)".into());
        }
        self.start_lookup(cx);
        cx.set_timer(DiscoveryTimer::Refresh, self.config.refresh);
    }

    /// No answer to `lookup` in time: ask the next replica.
    pub fn on_lookup_timeout(&mut self, lookup: u64, cx: &mut Cx<DiscoveryProcess>) {
        if self.lookup.map(|(n, _)| n) != Some(lookup) {
            return;
        }
        self.replica = (self.replica + 1) % self.config.replicas.max(1);
        let replica = self.replica;
        cx.note(|| format!("no answer to lookup #{lookup}: asks replica n{replica}"));
        self.start_lookup(cx);
    }

    pub fn on_endpoints(
        &mut self,
        lookup: u64,
        records: Vec<Record>,
        cx: &mut Cx<DiscoveryProcess>,
    ) {
        let Some((number, sent)) = self.lookup.filter(|&(n, _)| n == lookup) else {
            return cx.note(|| format!("ignores the answer to lookup #{lookup}: not the latest"));
        };
        cx.cancel_timer(DiscoveryTimer::LookupTimeout(number));
        self.lookup = None;
        self.cache = records
            .into_iter()
            .filter(|r| r.up && self.config.is_instance(r.instance))
            .collect();
        self.cache.sort_by_key(|r| r.instance);
        self.cache.dedup_by_key(|r| r.instance);
        self.fetched_at = Some(sent);
        let count = self.cache.len();
        cx.note(|| format!("caches {count} endpoints"));
    }

    /// The endpoints it may use at `now`: the cache while it is fresh enough.
    pub fn usable(&self, now: Time) -> &[Record] {
        let fresh = self.fetched_at.is_some_and(|at| {
            self.config.cache_never_refreshes || now.since(at) <= self.config.max_cache_age()
        });
        if fresh {
            &self.cache
        } else {
            &[]
        }
    }

    fn outstanding(&self, instance: NodeId) -> usize {
        self.pending
            .iter()
            .filter(|p| p.instance == instance)
            .count()
    }

    /// Picks an instance for a request by `policy`, or `None` if it knows none.
    pub fn choose(&mut self, policy: Policy, cx: &mut Cx<DiscoveryProcess>) -> Option<Record> {
        let now = cx.now();
        let endpoints: Vec<Record> = self.usable(now).to_vec();
        let n = endpoints.len();
        if n == 0 {
            return None;
        }
        let turn = self.next_turn;
        self.next_turn = self.next_turn.wrapping_add(1);
        let chosen = match policy {
            Policy::RoundRobin => endpoints[turn % n],
            // Ties go to the next in turn, so an idle cluster is still spread.
            Policy::LeastOutstanding => (0..n)
                .map(|k| endpoints[(turn + k) % n])
                .min_by_key(|e| self.outstanding(e.instance))?,
            Policy::TwoChoices => {
                let a = cx.rng.below(n as u64) as usize;
                if n == 1 {
                    endpoints[a]
                } else {
                    let mut b = cx.rng.below(n as u64 - 1) as usize;
                    if b >= a {
                        b += 1;
                    }
                    let (a, b) = (endpoints[a], endpoints[b]);
                    if self.outstanding(b.instance) < self.outstanding(a.instance) {
                        b
                    } else {
                        a
                    }
                }
            }
        };
        Some(chosen)
    }

    /// Sends request `id` to the instance of `endpoint` and counts it.
    pub fn send(
        &mut self,
        id: RequestId,
        endpoint: Record,
        policy: Policy,
        reply_to: NodeId,
        cx: &mut Cx<DiscoveryProcess>,
    ) {
        let now = cx.now();
        let instance = endpoint.instance;
        let incarnation = endpoint.version.incarnation;
        self.pending.push(Pending {
            id,
            instance,
            policy,
            sent_at: now,
            reply_to,
        });
        self.sends += 1;
        self.last_send = Some(Sent {
            instance,
            incarnation,
            at: now,
        });
        match self
            .chosen
            .binary_search_by(|(p, i, _)| (*p, *i).cmp(&(policy, instance)))
        {
            Ok(at) => self.chosen[at].2 += 1,
            Err(at) => self.chosen.insert(at, (policy, instance, 1)),
        }
        cx.send(instance, DiscoveryMessage::Request { id, incarnation });
    }

    /// Takes request `id` off the outstanding list.
    pub fn complete(&mut self, id: RequestId) -> Option<Pending> {
        let at = self.pending.iter().position(|p| p.id == id)?;
        Some(self.pending.remove(at))
    }

    /// The cache for the state table: its endpoints and age.
    pub fn describe(&self, now: Option<Time>) -> String {
        let names: Vec<String> = self.cache.iter().map(|r| r.instance.to_string()).collect();
        let age = match (self.fetched_at, now) {
            (Some(at), Some(now)) => {
                format!(", fetched {} ms before", now.since(at).as_micros() / 1_000)
            }
            (None, _) => " (none fetched)".to_string(),
            _ => String::new(),
        };
        format!("[{}]{age}; {} lookups", names.join(" "), self.lookups)
    }
}
