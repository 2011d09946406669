//! A lock server: grants one lease at a time, each for the time-to-live the
//! client asks for, judged on the server's own clock.
//!
//! In single-server mode it is the lock service of Kleppmann's "Making the lock
//! safe with fencing": every grant carries a fencing token one higher than the
//! last, from a counter kept on disk. In Redlock mode it is one of the five
//! independent Redis instances of the Redlock description (redis.io,
//! "Distributed Locks with Redis"): `SET key value NX PX ttl` to lock, a
//! compare-and-delete script to release, and no token, because five independent
//! counters cannot give one increasing sequence.
//!
//! Durable: the fencing counter. Volatile: the lease (Redis keeps keys in
//! memory; a lease that a restart forgets is covered by the recovery wait).

use crate::sim::node::{Cx, Labelled};
use crate::sim::time::{Duration, NodeId, Time};
use crate::sim::view::{Cell, NodeSummary};

use super::message::{FencingToken, LockMessage, LockTimer, LockValue, Refusal, Role};
use super::process::{LockConfig, LockProcess};

/// The lease a server has granted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Grant {
    pub client: NodeId,
    pub value: LockValue,
    pub token: Option<FencingToken>,
    /// The end of the lease by this server's clock.
    pub expires: Time,
}

/// One lock server.
#[derive(Clone, Debug)]
pub struct LockServer {
    id: NodeId,
    config: LockConfig,
    // Durable.
    next_token: FencingToken,
    /// Whether the server has run before: a start after a crash is a recovery.
    started_before: bool,
    // Volatile.
    grant: Option<Grant>,
    /// Until when (by this server's clock) it refuses every lock after a restart.
    recovering_until: Option<Time>,
    granted: u64,
}

impl LockServer {
    pub fn new(id: NodeId, config: LockConfig) -> Self {
        LockServer {
            id,
            config,
            next_token: FencingToken(1),
            started_before: false,
            grant: None,
            recovering_until: None,
            granted: 0,
        }
    }

    pub fn id(&self) -> NodeId {
        self.id
    }

    /// The lease this server believes it has granted (it may have expired by
    /// the server's clock without the server having looked since).
    pub fn grant(&self) -> Option<Grant> {
        self.grant
    }

    /// The token the next grant will carry (single-server mode).
    pub fn next_token(&self) -> FencingToken {
        self.next_token
    }

    pub fn recovering_until(&self) -> Option<Time> {
        self.recovering_until
    }

    pub fn on_start(&mut self, cx: &mut Cx<LockProcess>) {
        if self.started_before {
            // Redlock, "Performance, crash recovery and fsync": a restarted
            // instance stays unavailable for a bit more than the longest TTL, so
            // every lease it forgot has run out before it grants another. Gray and
            // Cheriton ask the same of a recovering server that does not keep
            // its leases on disk: wait out the longest term it may have granted.
            let wait = self.config.recovery_wait();
            let until = cx.now().after(wait);
            self.recovering_until = Some(until);
            cx.set_timer(LockTimer::Recovered, wait);
            cx.note(|| {
                format!("restarted: refuses every lock for {wait} (until {until} by its clock)")
            });
        }
        self.started_before = true;
    }

    pub fn on_crash(&mut self) {
        // The lease lived in memory; the fencing counter is on disk.
        self.grant = None;
        self.recovering_until = None;
    }

    pub fn on_timer(&mut self, timer: LockTimer, cx: &mut Cx<LockProcess>) {
        match timer {
            LockTimer::Expire(value) => {
                if let Some(grant) = self.grant.filter(|g| g.value == value) {
                    if cx.now() >= grant.expires {
                        self.grant = None;
                        cx.note(|| {
                            format!(
                                "the lease of {} ({value}) expires by this server's clock",
                                grant.client
                            )
                        });
                    }
                }
            }
            LockTimer::Recovered => {
                if self.recovering_until.is_some_and(|until| cx.now() >= until) {
                    self.recovering_until = None;
                    cx.note(|| {
                        "every lease from before the crash has run out: grants again".to_string()
                    });
                }
            }
            other => cx.note(|| format!("a lock server has no {} timer", other.kind())),
        }
    }

    pub fn on_message(&mut self, from: NodeId, message: LockMessage, cx: &mut Cx<LockProcess>) {
        if !self.config.is_client(from) {
            cx.note(|| {
                format!(
                    "ignores {} from {from}, which is not a client",
                    message.kind()
                )
            });
            return;
        }
        match message {
            LockMessage::Acquire { value, ttl } => self.on_acquire(from, value, ttl, cx),
            LockMessage::Release { value } => self.on_release(from, value, cx),
            other => cx.note(|| format!("a lock server does not take {}", other.kind())),
        }
    }

    fn on_acquire(
        &mut self,
        client: NodeId,
        value: LockValue,
        ttl: Duration,
        cx: &mut Cx<LockProcess>,
    ) {
        let now = cx.now();
        if ttl == Duration::ZERO || ttl > self.config.ttl {
            let most = self.config.ttl;
            cx.note(|| {
                format!("drops a request for a lease of {ttl}: the service grants at most {most}")
            });
            return;
        }
        if let Some(until) = self.recovering_until {
            if now < until {
                cx.note(|| format!("still recovering until {until}: refuses {client}"));
                cx.send(
                    client,
                    LockMessage::Refused {
                        value,
                        why: Refusal::Recovering,
                    },
                );
                return;
            }
            self.recovering_until = None;
        }
        // Gray and Cheriton, section 2: a lease is valid for its term by the
        // server's clock; once it has run out the server may grant again without
        // hearing from the holder.
        if let Some(grant) = self.grant.filter(|g| now >= g.expires) {
            self.grant = None;
            cx.note(|| {
                format!(
                    "the lease of {} ({}) ran out at {}",
                    grant.client, grant.value, grant.expires
                )
            });
        }
        match self.grant {
            Some(grant) if grant.client == client && grant.value == value => {
                // A retry or a duplicate of the request that won: the same lease,
                // the same token, the same expiry (Redis: the key is already ours).
                cx.note(|| format!("{client} asks again for {value}: repeats the grant"));
                cx.send(
                    client,
                    LockMessage::Granted {
                        value,
                        token: grant.token,
                    },
                );
            }
            Some(grant) => {
                cx.note(|| {
                    format!(
                        "held by {} ({}) until {}: refuses {client}",
                        grant.client, grant.value, grant.expires
                    )
                });
                cx.send(
                    client,
                    LockMessage::Refused {
                        value,
                        why: Refusal::Held,
                    },
                );
            }
            None => {
                // Kleppmann, "Making the lock safe with fencing": every grant gets
                // a token one higher than the last. The counter is durable, so a
                // restart never hands out a number twice.
                let token = self.config.fencing.then_some(self.next_token);
                if token.is_some() {
                    self.next_token = self.next_token.next();
                }
                let expires = now.after(ttl);
                self.grant = Some(Grant {
                    client,
                    value,
                    token,
                    expires,
                });
                self.granted += 1;
                cx.set_timer(LockTimer::Expire(value), ttl);
                cx.note(|| match token {
                    Some(token) => format!(
                        "grants {client} the lock with token {token} until {expires} by its clock"
                    ),
                    None => format!("locks for {client} ({value}) until {expires} by its clock"),
                });
                cx.send(client, LockMessage::Granted { value, token });
            }
        }
    }

    fn on_release(&mut self, client: NodeId, value: LockValue, cx: &mut Cx<LockProcess>) {
        // Redlock, "Releasing the lock": delete the key only if it still holds
        // the client's random value, so nobody releases a lock someone else got
        // after theirs ran out.
        match self.grant {
            Some(grant) if grant.client == client && grant.value == value => {
                self.grant = None;
                cx.cancel_timer(LockTimer::Expire(value));
                cx.note(|| format!("{client} releases {value}: the lock is free"));
            }
            _ => cx.note(|| {
                format!("{client} releases {value}, which it does not hold here: nothing to do")
            }),
        }
    }

    fn role(&self) -> Role {
        Role::LockServer
    }

    pub fn summary(&self) -> NodeSummary {
        let badge = match (self.grant, self.recovering_until) {
            (_, Some(_)) => "wait".to_string(),
            (Some(grant), None) => match grant.token {
                Some(token) => format!("{}:{token}", grant.client),
                None => grant.client.to_string(),
            },
            (None, None) => "free".to_string(),
        };
        let detail = match (self.grant, self.recovering_until) {
            (_, Some(until)) => format!("lock server {}: recovering until {until}", self.id),
            (Some(grant), None) => format!(
                "lock server {}: held by {} until {} (its clock)",
                self.id, grant.client, grant.expires
            ),
            (None, None) => format!("lock server {}: free", self.id),
        };
        NodeSummary {
            role: self.role().as_str(),
            palette: self.role().palette(),
            badge,
            detail,
        }
    }

    pub fn state_row(&self) -> Vec<Cell> {
        let lock = match (self.grant, self.recovering_until) {
            (_, Some(until)) => format!("recovering until {until}"),
            (Some(grant), None) => format!("held by {} ({})", grant.client, grant.value),
            (None, None) => "free".to_string(),
        };
        let token = match (self.config.fencing, self.grant.and_then(|g| g.token)) {
            (false, _) => "none (Redlock)".to_string(),
            (true, Some(token)) => format!("{token}, next {}", self.next_token),
            (true, None) => format!("next {}", self.next_token),
        };
        let until = self
            .grant
            .map_or_else(|| "-".to_string(), |grant| grant.expires.to_string());
        vec![
            Cell::Text(lock),
            Cell::Text(token),
            Cell::Text(until),
            Cell::Text("-".to_string()),
            Cell::Text(format!("{} granted", self.granted)),
        ]
    }
}
