//! The search for one key's linearization: Wing and Gong's depth-first search with
//! Lowe's memo of configurations, on a doubly linked list of call and return entries,
//! as Porcupine arranges it.
//!
//! # The search
//!
//! The operations that must take effect ("definite": ok completions, and failed cas,
//! which must have read something else) each put a call entry and a return entry in
//! one list ordered by history position. An operation may be linearized next when its
//! call comes before the first return still in the list, since every operation whose
//! return came earlier has already been linearized. Linearizing it unlinks its two
//! entries (dancing links, so backtracking relinks them in O(1)) and the walk restarts
//! from the head. Reaching a return entry means no choice at this level works, so the
//! search undoes the last choice and tries the next one. It succeeds when every
//! definite operation is linearized. A configuration (the set linearized, the model
//! state, see below) seen before has nothing new below it, so it is skipped (Lowe,
//! "Testing for linearizability", CCPE 2017, §4; Porcupine's cache).
//!
//! # Operations that may or may not take effect
//!
//! Info and open operations ("optional") have a call and no return: they may be
//! linearized at any point after their call, or never, and a search may succeed with
//! some left over. They sit in a list of their own and are tried only after every
//! definite operation at that level, so a linearizable history rarely pays for them.
//! Left unchecked they make the search exponential (every subset of them, at every
//! level), so three rules keep only one representative of each family of equivalent
//! linearizations; each is justified by rewriting any linearization into one the
//! rules allow:
//!
//! 1. After a run of optional operations that started in state `s`, a definite
//!    operation other than an append may follow only if it could not have run in `s`.
//!    Otherwise a get or failed cas can move before the run (it leaves the state as it
//!    found it), and a put or successful cas would overwrite the run, which can then
//!    be dropped. The configuration remembers `s`, because what may follow depends
//!    on it.
//! 2. A put is optional-run material only at the start of a run: whatever the run did
//!    before it is overwritten, so those operations can be dropped.
//! 3. An optional append whose element no ok get ever returned is dropped before the
//!    search: a linearization that uses it can only be followed by reads of lists
//!    that contain that element until a put erases it, and there are none, so
//!    removing it leaves a linearization.
//!
//! By rules 1 and 2, a run must go on with a definite operation that it enables, or
//! with an optional cas or append. An optional operation after which neither is
//! possible leads nowhere, so it is not tried at all (and costs no configuration):
//! without this, an info write that never took effect would be tried, and fail, at
//! every level of the search.
//!
//! # The memo
//!
//! A configuration is skipped when one seen before had the same definite operations
//! linearized, the same state and the same run start, and used no optional operation
//! this one has not also used: having more of them left only adds choices, so the
//! earlier configuration covers everything this one could still do (if the earlier
//! one is still being explored, it will find whatever this one would have). Equal
//! configurations are the special case Lowe and Porcupine memoise; the subset case
//! stops the search from exploring the rest of the history again for every optional
//! operation it could have used early and did not need.
//!
//! The set of definite operations linearized is stored as the length of the longest
//! run of them, in return order, that is all linearized, plus the few beyond it (at
//! most the operations running at once), and hashed incrementally by Zobrist hashing;
//! the optional ones as a bitset, compared word by word. A configuration costs tens
//! of bytes however long the history, where Porcupine's full bitset costs n/8.

use super::event::{Function, Operation, Outcome, Value};
use super::hash::{mix, zobrist, FixedState};
use super::model::{Effect, KeyValue, StateId, StateTable, ABSENT};
use std::collections::{HashMap, HashSet};

/// A state number that no state has: "not inside a run of optional operations".
const NO_RUN: StateId = StateId::MAX - 1;

/// Index 0 of both lists is the sentinel: the list's head and its end.
const SENTINEL: u32 = 0;

/// How an operation takes part in a search that sees the history up to a cutoff.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    /// Must be linearized before its return.
    Definite,
    /// May be linearized at any time after its call, or never.
    Optional,
    /// Cannot affect the verdict: a failed get, put or append, a get with no result,
    /// or an input the model does not accept on an operation that did not complete ok.
    Dropped,
}

/// The role of `operation` when the history is cut after event `cutoff` (`None`: the
/// whole history). An operation whose completion lies beyond the cutoff is still
/// running there, so it is optional whatever its eventual outcome.
pub(crate) fn role(operation: &Operation, cutoff: Option<usize>) -> Role {
    let returned = match operation.complete_index {
        Some(index) => cutoff.is_none_or(|cut| index <= cut),
        None => false,
    };
    let well_formed = matches!(
        (operation.function, &operation.input),
        (Function::Get, _)
            | (Function::Put, Value::Int(_))
            | (Function::Append, Value::Int(_))
            | (Function::Cas, Value::Pair(..))
    );
    match operation.outcome {
        Outcome::Ok if returned => Role::Definite,
        Outcome::Fail if returned => {
            if operation.function == Function::Cas && well_formed {
                Role::Definite
            } else {
                Role::Dropped
            }
        }
        _ => {
            if operation.function == Function::Get || !well_formed {
                Role::Dropped
            } else {
                Role::Optional
            }
        }
    }
}

/// What a search found.
pub(crate) enum SearchOutcome {
    /// Positions (into the search's operations) in the order linearized.
    Linearizable {
        order: Vec<usize>,
        explored: u64,
    },
    NotLinearizable {
        explored: u64,
        watched: Watched,
        /// The definite operation (a position) that no configuration got past in
        /// return order: where the search got stuck furthest along the history.
        blocked: Option<usize>,
    },
    Unknown {
        explored: u64,
    },
}

/// What happened to the watched operation (see [`search`]) during a search.
#[derive(Clone, Debug, Default)]
pub(crate) struct Watched {
    /// The states it was tried in and could not run in, smallest first.
    pub(crate) refused_in: Vec<KeyValue>,
    /// Whether it ran in some state (then the dead end lies further on).
    pub(crate) accepted: bool,
    /// Whether its effect is one no state allows (a malformed ok operation).
    pub(crate) malformed: bool,
}

/// One operation that takes part in the search.
struct Candidate {
    /// Position in the search's operations.
    position: usize,
    effect: Effect,
    zobrist: u64,
    /// Definite: its rank in return order. Optional: its bit in the optional set.
    slot: u32,
    definite: bool,
    /// Its call entry in its list (and, if definite, its return entry).
    call_entry: u32,
    return_entry: u32,
}

/// An entry of the list of definite calls and returns, or of the optional calls.
struct Entry {
    event: usize,
    candidate: u32,
    is_call: bool,
}

/// A doubly linked list over entries `1..`, with the sentinel at 0.
struct Links {
    next: Vec<u32>,
    previous: Vec<u32>,
}

impl Links {
    /// Links entries `1..=count` in order.
    fn chain(count: usize) -> Links {
        let size = count + 1;
        Links {
            next: (0..size).map(|i| ((i + 1) % size) as u32).collect(),
            previous: (0..size).map(|i| ((i + size - 1) % size) as u32).collect(),
        }
    }

    fn next(&self, entry: u32) -> u32 {
        self.next[entry as usize]
    }

    fn unlink(&mut self, entry: u32) {
        let (before, after) = (self.previous[entry as usize], self.next[entry as usize]);
        self.next[before as usize] = after;
        self.previous[after as usize] = before;
    }

    /// Undoes the most recent [`Links::unlink`] still in force of `entry`.
    fn relink(&mut self, entry: u32) {
        let (before, after) = (self.previous[entry as usize], self.next[entry as usize]);
        self.next[before as usize] = entry;
        self.previous[after as usize] = entry;
    }
}

/// The set of operations linearized so far, in the compact form the memo stores.
struct LinearizedSet {
    /// Definite operations of return rank below this are all linearized.
    prefix: u32,
    /// Linearized definite operations of rank above `prefix`, ascending.
    beyond: Vec<u32>,
    /// Linearized optional operations.
    optional: Vec<u64>,
    /// The Zobrist hash of the definite operations linearized.
    hash: u64,
}

impl LinearizedSet {
    fn add(&mut self, candidate: &Candidate) {
        let slot = candidate.slot;
        if !candidate.definite {
            self.optional[slot as usize / 64] |= 1 << (slot % 64);
            return;
        }
        self.hash ^= candidate.zobrist;
        if slot == self.prefix {
            self.prefix += 1;
            while self.beyond.first() == Some(&self.prefix) {
                self.beyond.remove(0);
                self.prefix += 1;
            }
        } else {
            let at = self.beyond.partition_point(|&s| s < slot);
            self.beyond.insert(at, slot);
        }
    }

    /// Undoes the most recent [`LinearizedSet::add`], which was of `candidate`.
    fn remove(&mut self, candidate: &Candidate) {
        let slot = candidate.slot;
        if !candidate.definite {
            self.optional[slot as usize / 64] &= !(1 << (slot % 64));
            return;
        }
        self.hash ^= candidate.zobrist;
        if slot < self.prefix {
            // Adding it extended the prefix over the ranks just above it that had been
            // linearized out of order; they go back to being beyond it.
            self.beyond.splice(0..0, slot + 1..self.prefix);
            self.prefix = slot;
        } else if let Ok(at) = self.beyond.binary_search(&slot) {
            self.beyond.remove(at);
        }
    }
}

/// One remembered configuration; its words live in [`Memo::words`].
struct MemoEntry {
    state: StateId,
    run_start: StateId,
    prefix: u32,
    beyond: u32,
    start: usize,
    /// The next entry with the same hash, or `u32::MAX`.
    next: u32,
}

/// The configurations seen: (set linearized, state, start state of the optional run).
struct Memo {
    first: HashMap<u64, u32, FixedState>,
    entries: Vec<MemoEntry>,
    words: Vec<u64>,
}

impl Memo {
    /// Remembers the configuration; false if it is covered by one remembered before
    /// (see the module documentation).
    fn insert(&mut self, set: &LinearizedSet, state: StateId, run_start: StateId) -> bool {
        let hash = set.hash ^ mix(state as u64, 1) ^ mix(run_start as u64, 2);
        let beyond = set.beyond.len();
        let mut chain = self.first.get(&hash).copied().unwrap_or(u32::MAX);
        let head = chain;
        while let Some(entry) = self.entries.get(chain as usize) {
            if entry.state == state
                && entry.run_start == run_start
                && entry.prefix == set.prefix
                && entry.beyond as usize == beyond
            {
                let words = &self.words[entry.start..entry.start + beyond + set.optional.len()];
                let (seen_beyond, seen_optional) = words.split_at(beyond);
                let same_definite = seen_beyond
                    .iter()
                    .zip(&set.beyond)
                    .all(|(&seen, &now)| seen == now as u64);
                let fewer_optional = seen_optional
                    .iter()
                    .zip(&set.optional)
                    .all(|(&seen, &now)| seen & !now == 0);
                if same_definite && fewer_optional {
                    return false;
                }
            }
            chain = entry.next;
        }
        let start = self.words.len();
        self.words.extend(set.beyond.iter().map(|&s| s as u64));
        self.words.extend_from_slice(&set.optional);
        let number = u32::try_from(self.entries.len()).unwrap_or(u32::MAX - 1);
        self.entries.push(MemoEntry {
            state,
            run_start,
            prefix: set.prefix,
            beyond: set.beyond.len() as u32,
            start,
            next: head,
        });
        self.first.insert(hash, number);
        true
    }
}

/// Where the walk resumes after undoing a choice.
#[derive(Clone, Copy)]
enum Cursor {
    /// At this entry of the definite list.
    Definite(u32),
    /// At this entry of the optional list, trying calls up to event `limit` (the
    /// first return still pending).
    Optional { entry: u32, limit: usize },
}

struct Frame {
    candidate: u32,
    state: StateId,
    run_start: StateId,
    cursor: Cursor,
}

/// Searches for a linearization of `operations` (one key's, in invoke order) as seen
/// up to event `cutoff`, exploring at most `budget` new configurations. `watch`, a
/// position in `operations`, names an operation to report on if the search fails.
pub(crate) fn search(
    operations: &[&Operation],
    cutoff: Option<usize>,
    budget: u64,
    watch: Option<usize>,
) -> SearchOutcome {
    let mut table = StateTable::new();
    let mut candidates = build_candidates(operations, cutoff, &mut table);

    // Definite entries in history order; each candidate learns its entries and rank.
    let mut definite_entries: Vec<Entry> = Vec::new();
    let mut optional_entries: Vec<Entry> = Vec::new();
    for (number, candidate) in candidates.iter().enumerate() {
        let operation = operations[candidate.position];
        let call = Entry {
            event: operation.invoke_index,
            candidate: number as u32,
            is_call: true,
        };
        if candidate.definite {
            definite_entries.push(call);
            definite_entries.push(Entry {
                event: operation.complete_index.unwrap_or(usize::MAX),
                candidate: number as u32,
                is_call: false,
            });
        } else {
            optional_entries.push(call);
        }
    }
    // At one event a return sorts after a call.
    crate::sort::sort_stably_by(&mut definite_entries, |entry| {
        (entry.event as u64).saturating_mul(2) + u64::from(!entry.is_call)
    });
    crate::sort::sort_stably_by(&mut optional_entries, |entry| entry.event as u64);
    // Slot 0 is the sentinel, so entry i of the vectors is list entry i + 1.
    definite_entries.insert(0, sentinel_entry());
    optional_entries.insert(0, sentinel_entry());
    let mut rank = 0;
    for (index, entry) in definite_entries.iter().enumerate().skip(1) {
        let candidate = &mut candidates[entry.candidate as usize];
        if entry.is_call {
            candidate.call_entry = index as u32;
        } else {
            candidate.return_entry = index as u32;
            candidate.slot = rank;
            rank += 1;
        }
    }
    let mut optional_count = 0;
    let mut optional_cas_from: HashSet<StateId, FixedState> = HashSet::with_hasher(FixedState);
    let mut optional_appends = false;
    for candidate in candidates.iter().filter(|c| !c.definite) {
        match candidate.effect {
            Effect::Cas { old, .. } => {
                optional_cas_from.insert(old);
            }
            Effect::Append { .. } => optional_appends = true,
            _ => {}
        }
    }
    for (index, entry) in optional_entries.iter().enumerate().skip(1) {
        let candidate = &mut candidates[entry.candidate as usize];
        candidate.call_entry = index as u32;
        candidate.slot = optional_count;
        optional_count += 1;
    }

    let search = Search {
        table,
        definite: Links::chain(definite_entries.len() - 1),
        optional: Links::chain(optional_entries.len() - 1),
        set: LinearizedSet {
            prefix: 0,
            beyond: Vec::new(),
            optional: vec![0; (optional_count as usize).div_ceil(64)],
            hash: 0,
        },
        memo: Memo {
            first: HashMap::with_hasher(FixedState),
            entries: Vec::new(),
            words: Vec::new(),
        },
        remaining: rank,
        definite_entries,
        optional_entries,
        candidates,
        watch: watch.map(|position| (position, HashSet::with_hasher(FixedState), false)),
        optional_cas_from,
        optional_appends,
    };
    search.run(budget)
}

fn sentinel_entry() -> Entry {
    Entry {
        event: usize::MAX,
        candidate: u32::MAX,
        is_call: false,
    }
}

/// The operations that take part, with their effects on interned states.
fn build_candidates(
    operations: &[&Operation],
    cutoff: Option<usize>,
    table: &mut StateTable,
) -> Vec<Candidate> {
    // Successive reads of a growing list share a prefix; interning from the previous
    // read keeps the cost to what each one adds.
    let mut previous_list: Option<(&[i64], StateId)> = None;
    let mut lists_read: Vec<StateId> = Vec::new();
    let mut taking_part: Vec<(usize, Effect, bool)> = Vec::new();
    for (position, operation) in operations.iter().enumerate() {
        if cutoff.is_some_and(|cut| operation.invoke_index > cut) {
            continue;
        }
        let current = role(operation, cutoff);
        let definite = current == Role::Definite;
        let effect = match (current, operation.function, &operation.input) {
            (Role::Dropped, ..) => continue,
            (Role::Definite, Function::Get, _) => match &operation.output {
                Value::List(items) => {
                    let expect = match previous_list {
                        Some((earlier, number)) if items.starts_with(earlier) => {
                            table.extend_list(number, &items[earlier.len()..])
                        }
                        _ => table.value(&operation.output),
                    };
                    previous_list = Some((items.as_slice(), expect));
                    lists_read.push(expect);
                    Effect::Read { expect }
                }
                other => Effect::Read {
                    expect: table.value(other),
                },
            },
            (Role::Definite, Function::Cas, Value::Pair(old, _))
                if operation.outcome == Outcome::Fail =>
            {
                Effect::CasFailed {
                    old: table.int(*old),
                }
            }
            (_, Function::Put, Value::Int(v)) => Effect::Put {
                value: table.int(*v),
            },
            (_, Function::Cas, Value::Pair(old, new)) => Effect::Cas {
                old: table.int(*old),
                new: table.int(*new),
            },
            (_, Function::Append, Value::Int(element)) => Effect::Append { element: *element },
            (Role::Definite, ..) => Effect::Never,
            (Role::Optional, ..) => continue,
        };
        taking_part.push((position, effect, definite));
    }
    // Rule 3: an optional append stays only if some ok get returned its element.
    let elements_read = table.elements_of(&lists_read);
    taking_part.retain(|&(_, effect, definite)| match effect {
        Effect::Append { element } if !definite => elements_read.contains(&element),
        _ => true,
    });
    taking_part
        .into_iter()
        .enumerate()
        .map(|(number, (position, effect, definite))| Candidate {
            position,
            effect,
            zobrist: zobrist(number),
            slot: 0,
            definite,
            call_entry: SENTINEL,
            return_entry: SENTINEL,
        })
        .collect()
}

struct Search {
    table: StateTable,
    candidates: Vec<Candidate>,
    definite_entries: Vec<Entry>,
    optional_entries: Vec<Entry>,
    definite: Links,
    optional: Links,
    set: LinearizedSet,
    memo: Memo,
    /// Definite operations not yet linearized.
    remaining: u32,
    /// The watched position, the states it was refused in, and whether it ran.
    watch: Option<(usize, HashSet<StateId, FixedState>, bool)>,
    /// The states some optional cas can start from.
    optional_cas_from: HashSet<StateId, FixedState>,
    /// Whether there is an optional append.
    optional_appends: bool,
}

impl Search {
    fn run(mut self, budget: u64) -> SearchOutcome {
        let mut state = ABSENT;
        let mut run_start = NO_RUN;
        let mut frames: Vec<Frame> = Vec::new();
        let mut explored: u64 = 0;
        let mut furthest: u32 = 0;
        let mut cursor = Cursor::Definite(self.definite.next(SENTINEL));
        loop {
            if self.remaining == 0 {
                let order = frames
                    .iter()
                    .map(|frame| self.candidates[frame.candidate as usize].position)
                    .collect();
                return SearchOutcome::Linearizable { order, explored };
            }
            // Find the next choice at this level, or fall through to backtrack.
            let chosen = match cursor {
                Cursor::Definite(entry) => {
                    let Some(current) = self.definite_entries.get(entry as usize) else {
                        break;
                    };
                    if entry == SENTINEL || !current.is_call {
                        // Every definite call before the first pending return has
                        // been tried; now the optional ones invoked before it.
                        cursor = Cursor::Optional {
                            entry: self.optional.next(SENTINEL),
                            limit: current.event,
                        };
                        continue;
                    }
                    let number = current.candidate;
                    let next = self.try_definite(number, state, run_start);
                    cursor = Cursor::Definite(self.definite.next(entry));
                    next.map(|next| (number, next, Cursor::Definite(entry), NO_RUN))
                }
                Cursor::Optional { entry, limit } => {
                    let Some(current) = self.optional_entries.get(entry as usize) else {
                        break;
                    };
                    if entry != SENTINEL && current.event < limit {
                        let number = current.candidate;
                        let next = self.try_optional(number, state, run_start);
                        cursor = Cursor::Optional {
                            entry: self.optional.next(entry),
                            limit,
                        };
                        let started = if run_start == NO_RUN {
                            state
                        } else {
                            run_start
                        };
                        next.map(|next| (number, next, Cursor::Optional { entry, limit }, started))
                    } else {
                        // Nothing left to try here: undo the last choice.
                        let Some(frame) = frames.pop() else {
                            return SearchOutcome::NotLinearizable {
                                explored,
                                watched: self.watched(),
                                blocked: self
                                    .candidates
                                    .iter()
                                    .find(|c| c.definite && c.slot == furthest)
                                    .map(|c| c.position),
                            };
                        };
                        self.unlift(frame.candidate);
                        state = frame.state;
                        run_start = frame.run_start;
                        cursor = match frame.cursor {
                            Cursor::Definite(entry) => Cursor::Definite(self.definite.next(entry)),
                            Cursor::Optional { entry, limit } => Cursor::Optional {
                                entry: self.optional.next(entry),
                                limit,
                            },
                        };
                        continue;
                    }
                }
            };
            let Some((number, next, resume, next_run_start)) = chosen else {
                continue;
            };
            self.set.add(&self.candidates[number as usize]);
            if !self.memo.insert(&self.set, next, next_run_start) {
                self.set.remove(&self.candidates[number as usize]);
                continue;
            }
            if explored == budget {
                return SearchOutcome::Unknown { explored };
            }
            explored += 1;
            self.lift(number);
            furthest = furthest.max(self.set.prefix);
            frames.push(Frame {
                candidate: number,
                state,
                run_start,
                cursor: resume,
            });
            state = next;
            run_start = next_run_start;
            cursor = Cursor::Definite(self.definite.next(SENTINEL));
        }
        // Only an entry number outside the lists gets here, which the construction
        // rules out; say nothing rather than guess.
        SearchOutcome::Unknown { explored }
    }

    /// The state after definite candidate `number` runs now, if it can and rule 1
    /// allows it.
    fn try_definite(&mut self, number: u32, state: StateId, run_start: StateId) -> Option<StateId> {
        let candidate = &self.candidates[number as usize];
        let (effect, position) = (candidate.effect, candidate.position);
        let next = self.table.step(state, effect);
        if let Some((watched, refused_in, accepted)) = &mut self.watch {
            if *watched == position {
                match next {
                    Some(_) => *accepted = true,
                    None => {
                        refused_in.insert(state);
                    }
                }
            }
        }
        let next = next?;
        if run_start != NO_RUN
            && !matches!(effect, Effect::Append { .. })
            && self.table.step(run_start, effect).is_some()
        {
            return None;
        }
        Some(next)
    }

    /// The state after optional candidate `number` runs now, if it can, rule 2 allows
    /// it, and something can follow it (see the module documentation).
    fn try_optional(&mut self, number: u32, state: StateId, run_start: StateId) -> Option<StateId> {
        let effect = self.candidates[number as usize].effect;
        if run_start != NO_RUN && matches!(effect, Effect::Put { .. }) {
            return None;
        }
        let next = self.table.step(state, effect)?;
        let started = if run_start == NO_RUN {
            state
        } else {
            run_start
        };
        self.leads_somewhere(next, started).then_some(next)
    }

    /// Whether a run that started in `started` and is now in `state` can go on: with
    /// an optional cas or append, or with a definite operation at this level that
    /// runs in `state` and, unless it is an append, could not in `started`.
    fn leads_somewhere(&mut self, state: StateId, started: StateId) -> bool {
        if self.optional_cas_from.contains(&state) || self.optional_appends {
            return true;
        }
        let mut entry = self.definite.next(SENTINEL);
        while let Some(current) = self.definite_entries.get(entry as usize) {
            if entry == SENTINEL || !current.is_call {
                return false;
            }
            let effect = self.candidates[current.candidate as usize].effect;
            if self.table.step(state, effect).is_some()
                && (matches!(effect, Effect::Append { .. })
                    || self.table.step(started, effect).is_none())
            {
                return true;
            }
            entry = self.definite.next(entry);
        }
        false
    }

    fn lift(&mut self, number: u32) {
        let candidate = &self.candidates[number as usize];
        self.remaining -= candidate.definite as u32;
        if candidate.definite {
            self.definite.unlink(candidate.call_entry);
            self.definite.unlink(candidate.return_entry);
        } else {
            self.optional.unlink(candidate.call_entry);
        }
    }

    fn unlift(&mut self, number: u32) {
        let candidate = &self.candidates[number as usize];
        self.remaining += candidate.definite as u32;
        if candidate.definite {
            self.definite.relink(candidate.return_entry);
            self.definite.relink(candidate.call_entry);
        } else {
            self.optional.relink(candidate.call_entry);
        }
        self.set.remove(&self.candidates[number as usize]);
    }

    fn watched(&self) -> Watched {
        let Some((position, refused_in, accepted)) = &self.watch else {
            return Watched::default();
        };
        let malformed = self
            .candidates
            .iter()
            .any(|c| c.position == *position && c.effect == Effect::Never);
        // Interned states are distinct values, so there is nothing to deduplicate;
        // sorted by id so the result does not depend on the set's order.
        let mut states: Vec<StateId> = refused_in.iter().copied().collect();
        crate::sort::sort_stably_by(&mut states, |&state| u64::from(state));
        let values: Vec<KeyValue> = states
            .into_iter()
            .map(|state| self.table.key_value(state))
            .collect();
        Watched {
            refused_in: values,
            accepted: *accepted,
            malformed,
        }
    }
}
