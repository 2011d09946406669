//! The key-value state machine each server applies committed entries to, with
//! the client sessions that make a retried request take effect once (Ongaro's
//! thesis, §6.3: the service remembers, per client, the last sequence number it
//! applied and its reply).
//!
//! The model is [`crate::history`]'s: a key holds nothing, a number or a list;
//! `put` sets a number, `cas` swaps a number for another when it holds the
//! expected one, `append` adds to a list (and fails on a key holding a number),
//! `get` reads. It is volatile, like Raft's `lastApplied`: a restarted server
//! rebuilds it by applying its log again as it learns the commit index.

use crate::history::{Key, Value};

use super::message::{ClientId, KvCommand, Reply, Request};

/// One server's key-value store and client sessions.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct KvStore {
    /// Sorted by key. A handful of keys and clients: sorted vectors are as quick
    /// as maps here and cost the page's bundle far less code.
    data: Vec<(Key, Value)>,
    /// Per client, sorted by client: the last sequence number applied, and the
    /// reply it got.
    sessions: Vec<(ClientId, u64, Reply)>,
}

/// The slot of `key` in `entries` (sorted by key), inserting `empty` if absent.
fn slot<K: Ord + Copy, V>(entries: &mut Vec<(K, V)>, key: K, empty: impl FnOnce() -> V) -> &mut V {
    let at = match entries.binary_search_by(|(k, _)| k.cmp(&key)) {
        Ok(at) => at,
        Err(at) => {
            entries.insert(at, (key, empty()));
            at
        }
    };
    &mut entries[at].1
}

impl KvStore {
    /// The value `key` holds now.
    pub fn get(&self, key: Key) -> Value {
        self.data
            .iter()
            .find(|(k, _)| *k == key)
            .map_or(Value::None, |(_, value)| value.clone())
    }

    /// Applies `request` and returns its reply. With `deduplicate`, a request
    /// already applied (same client and sequence) is not applied again: it gets
    /// the reply it got the first time.
    pub fn apply(&mut self, request: &Request, deduplicate: bool) -> Reply {
        if deduplicate {
            if let Some(reply) = self.applied_reply(request) {
                return reply;
            }
        }
        let reply = self.execute(request.command);
        let session = (request.sequence, reply.clone());
        match self
            .sessions
            .binary_search_by(|(client, ..)| client.cmp(&request.client))
        {
            Ok(at) => (self.sessions[at].1, self.sessions[at].2) = session,
            Err(at) => self
                .sessions
                .insert(at, (request.client, session.0, session.1)),
        }
        reply
    }

    /// The reply to give `request` without applying it, if its client's session
    /// has already applied it: the last request applied (its own reply) or an
    /// older one, a late duplicate the client no longer waits for (it gets the
    /// last reply, which it ignores; what matters is that it is not applied).
    pub fn applied_reply(&self, request: &Request) -> Option<Reply> {
        self.sessions
            .iter()
            .find(|(client, sequence, _)| {
                *client == request.client && request.sequence <= *sequence
            })
            .map(|(.., reply)| reply.clone())
    }

    fn execute(&mut self, command: KvCommand) -> Reply {
        let ok = |value| Reply { ok: true, value };
        let failed = |value| Reply { ok: false, value };
        match command {
            KvCommand::Get { key } => ok(self.get(key)),
            KvCommand::Put { key, value } => {
                *slot(&mut self.data, key, || Value::None) = Value::Int(value);
                ok(Value::None)
            }
            KvCommand::Cas { key, expected, new } => {
                if self.get(key) == Value::Int(expected) {
                    *slot(&mut self.data, key, || Value::None) = Value::Int(new);
                    ok(Value::None)
                } else {
                    failed(Value::None)
                }
            }
            KvCommand::Append { key, value } => match slot(&mut self.data, key, || Value::None) {
                slot @ Value::None => {
                    *slot = Value::List(vec![value]);
                    ok(Value::None)
                }
                Value::List(items) => {
                    items.push(value);
                    ok(Value::None)
                }
                _ => failed(Value::None),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(client: ClientId, sequence: u64, command: KvCommand) -> Request {
        Request {
            client,
            sequence,
            command,
        }
    }

    #[test]
    fn the_model_of_put_cas_append_and_get() {
        let mut store = KvStore::default();
        let put = request(0, 1, KvCommand::Put { key: 1, value: 5 });
        assert!(store.apply(&put, true).ok);
        let cas = request(
            0,
            2,
            KvCommand::Cas {
                key: 1,
                expected: 4,
                new: 6,
            },
        );
        assert!(
            !store.apply(&cas, true).ok,
            "cas from the wrong value fails"
        );
        let cas = request(
            0,
            3,
            KvCommand::Cas {
                key: 1,
                expected: 5,
                new: 6,
            },
        );
        assert!(store.apply(&cas, true).ok);
        assert_eq!(store.get(1), Value::Int(6));
        let append = request(1, 1, KvCommand::Append { key: 1, value: 9 });
        assert!(
            !store.apply(&append, true).ok,
            "a number cannot be appended to"
        );
        let append = request(1, 2, KvCommand::Append { key: 2, value: 9 });
        assert!(store.apply(&append, true).ok);
        let get = request(1, 3, KvCommand::Get { key: 2 });
        assert_eq!(store.apply(&get, true).value, Value::List(vec![9]));
    }

    #[test]
    fn a_retried_request_takes_effect_once_unless_deduplication_is_off() {
        let append = request(3, 7, KvCommand::Append { key: 0, value: 1 });
        let mut store = KvStore::default();
        store.apply(&append, true);
        store.apply(&append, true);
        assert_eq!(store.get(0), Value::List(vec![1]));
        let mut careless = KvStore::default();
        careless.apply(&append, false);
        careless.apply(&append, false);
        assert_eq!(careless.get(0), Value::List(vec![1, 1]));
        // A late duplicate of an older request, after the client moved on, is
        // not applied either.
        let next = request(3, 8, KvCommand::Append { key: 0, value: 2 });
        store.apply(&next, true);
        store.apply(&append, true);
        assert_eq!(store.get(0), Value::List(vec![1, 2]));
    }
}
