//! The durable log each node of two- and three-phase commit keeps (BHG's "DT
//! log", Gray's log of a transaction's records), with a small sorted index by
//! transaction so a lookup does not scan the log.
//!
//! Everything appended here survives a crash; the model makes no difference
//! between a forced write and a lazy one except in the notes (the protocols force
//! exactly the records whose loss would be unsafe: a participant's prepared
//! record before it votes YES, the coordinator's decision before it sends it,
//! and in three-phase commit the pre-commit record, Skeen's state p, before a
//! participant acknowledges PreCommit or the coordinator sends the first one).

use std::fmt;

use super::message::{Decision, TransactionId};

/// What a record says about its transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RecordKind {
    /// Coordinator: the transaction (with all participants) has begun, the
    /// PREPAREs go out (BHG's start-2PC record). Participant: it started working
    /// on its part (the first record of its undo log).
    Begin,
    /// Participant: it can commit and will wait to be told (forced before YES).
    Prepared,
    /// Three-phase commit only. Participant: it is pre-committed. Coordinator:
    /// every vote was YES and the PreCommits go out.
    PreCommitted,
    /// The outcome: commit or abort.
    Decided(Decision),
    /// Coordinator: every participant acknowledged the decision; the
    /// transaction can be forgotten.
    End,
}

/// One record of a durable log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Record {
    pub transaction: TransactionId,
    pub kind: RecordKind,
}

impl fmt::Display for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            RecordKind::Begin => "begin",
            RecordKind::Prepared => "prepared",
            RecordKind::PreCommitted => "pre-commit",
            RecordKind::Decided(decision) => decision.as_str(),
            RecordKind::End => "end",
        };
        write!(f, "{} {what}", self.transaction)
    }
}

/// What a node's log says about one transaction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Summary {
    pub begun: bool,
    pub prepared: bool,
    pub pre_committed: bool,
    pub decision: Option<Decision>,
    pub ended: bool,
}

/// An append-only durable log.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct DurableLog {
    records: Vec<Record>,
    index: Vec<(TransactionId, Summary)>,
}

impl DurableLog {
    pub fn append(&mut self, transaction: TransactionId, kind: RecordKind) {
        self.records.push(Record { transaction, kind });
        let at = match self.index.binary_search_by_key(&transaction, |e| e.0) {
            Ok(at) => at,
            Err(at) => {
                self.index.insert(at, (transaction, Summary::default()));
                at
            }
        };
        let summary = &mut self.index[at].1;
        match kind {
            RecordKind::Begin => summary.begun = true,
            RecordKind::Prepared => summary.prepared = true,
            RecordKind::PreCommitted => summary.pre_committed = true,
            RecordKind::Decided(decision) => summary.decision = Some(decision),
            RecordKind::End => summary.ended = true,
        }
    }

    pub fn records(&self) -> &[Record] {
        &self.records
    }

    /// What the log says about `transaction` (all false if nothing).
    pub fn summary(&self, transaction: TransactionId) -> Summary {
        self.index
            .binary_search_by_key(&transaction, |e| e.0)
            .map_or(Summary::default(), |at| self.index[at].1)
    }

    pub fn knows(&self, transaction: TransactionId) -> bool {
        self.index
            .binary_search_by_key(&transaction, |e| e.0)
            .is_ok()
    }

    pub fn decision(&self, transaction: TransactionId) -> Option<Decision> {
        self.summary(transaction).decision
    }

    /// Every transaction the log mentions, with its summary, in id order.
    pub fn transactions(&self) -> impl Iterator<Item = (TransactionId, Summary)> + '_ {
        self.index.iter().copied()
    }

    /// The last `count` records, oldest first, as the state table shows them.
    pub fn tail_text(&self, count: usize) -> String {
        if self.records.is_empty() {
            return "-".to_string();
        }
        let first = self.records.len().saturating_sub(count);
        let shown: Vec<String> = self.records[first..]
            .iter()
            .map(Record::to_string)
            .collect();
        let more = if first > 0 { "…, " } else { "" };
        format!("{more}{}", shown.join(", "))
    }
}
