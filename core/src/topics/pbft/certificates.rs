//! The per-request certificate view (Castro and Liskov, section 4.2): for the
//! latest sequence numbers of the newest view, which messages each replica
//! holds, and which of them form its prepared certificate (the pre-prepare and
//! quorum − 1 matching PREPAREs from backups, 2f with n = 3f+1) and its
//! committed certificate (quorum matching COMMITs, 2f+1).
//!
//! A certificate lists the first matching messages in the order they arrived,
//! as many as the quorum asks for: those are the ones the replica had when it
//! became prepared or committed-local ([`super::replica::Replica::progress`]
//! runs after every message). Matching messages that came later are counted
//! apart, and votes for another digest (a liar's, or another group's under an
//! equivocating primary) are named, so equivocation shows as different digests
//! in one row.

use std::fmt::Write;

use crate::sim::time::NodeId;
use crate::sim::view::{Matrix, MatrixCell, MatrixRow, Palette};

use super::message::{Digest, Seq, View};
use super::process::PbftProcess;
use super::replica::Replica;

/// Sequence numbers shown: the newest view's latest.
pub const LATEST: usize = 4;

/// What one replica holds for one sequence number of one view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Held {
    /// The digest of the accepted pre-prepare, if one was accepted.
    pub digest: Option<Digest>,
    /// The backups whose PREPAREs form the prepared certificate (all matching
    /// ones so far while it is incomplete), in id order.
    pub prepares: Vec<u32>,
    /// Matching PREPAREs beyond the certificate.
    pub later_prepares: usize,
    pub prepared: bool,
    /// The senders of the COMMITs that form the committed certificate.
    pub commits: Vec<u32>,
    /// Matching COMMITs beyond the certificate.
    pub later_commits: usize,
    pub committed: bool,
    /// Senders of PREPAREs or COMMITs for another digest.
    pub dissent: Vec<u32>,
}

/// The first `need` distinct senders of `votes` for `digest` in arrival order,
/// leaving `except` out, in id order; and how many more there are.
fn first_votes(
    votes: &[(NodeId, Digest)],
    digest: Digest,
    except: Option<NodeId>,
    need: usize,
) -> (Vec<u32>, usize) {
    // A slot keeps one entry per sender and digest, so these are distinct.
    let mut senders: Vec<u32> = votes
        .iter()
        .filter(|&&(from, d)| d == digest && Some(from) != except)
        .map(|&(from, _)| from.0)
        .collect();
    let later = senders.len().saturating_sub(need);
    senders.truncate(need);
    senders.sort_unstable();
    (senders, later)
}

/// What `replica` holds for `seq` in `view`, or `None` if it logged nothing.
pub fn held(replica: &Replica, view: View, seq: Seq) -> Option<Held> {
    let slot = replica.slot(view, seq)?;
    let quorum = replica.config.quorum;
    let Some(digest) = slot.pre_prepare.map(|p| p.digest()) else {
        return Some(Held {
            digest: None,
            prepares: Vec::new(),
            later_prepares: 0,
            prepared: false,
            commits: Vec::new(),
            later_commits: 0,
            committed: false,
            dissent: Vec::new(),
        });
    };
    let primary = replica.config.primary(view);
    let (prepares, later_prepares) = first_votes(
        &slot.prepares,
        digest,
        Some(primary),
        quorum.saturating_sub(1),
    );
    let (commits, later_commits) = first_votes(&slot.commits, digest, None, quorum);
    let mut dissent: Vec<u32> = slot
        .prepares
        .iter()
        .chain(&slot.commits)
        .filter(|&&(_, d)| d != digest)
        .map(|&(from, _)| from.0)
        .collect();
    dissent.sort_unstable();
    dissent.dedup();
    Some(Held {
        digest: Some(digest),
        prepares,
        later_prepares,
        prepared: slot.prepared,
        commits,
        later_commits,
        committed: slot.committed,
        dissent,
    })
}

/// Appends ` n1 n2`, a tick once complete, and ` +k` for later messages.
fn push_votes(text: &mut String, senders: &[u32], complete: bool, later: usize) {
    for sender in senders {
        let _ = write!(text, " n{sender}");
    }
    if senders.is_empty() {
        text.push_str(" –");
    }
    if complete {
        text.push_str(" ✓");
    }
    if later > 0 {
        let _ = write!(text, " +{later}");
    }
}

/// One cell: the digest, then the pre-prepare's sender, the prepared and
/// committed certificates and any dissent; coloured by how far it got.
fn cell(held: Option<Held>, primary: NodeId) -> MatrixCell {
    let Some(held) = held else {
        return MatrixCell {
            text: "—".into(),
            palette: Palette::Plain,
        };
    };
    let Some(digest) = held.digest else {
        return MatrixCell {
            text: "no pre-prepare".into(),
            palette: Palette::Plain,
        };
    };
    let mut text = format!("{digest} PP {primary} | P");
    push_votes(
        &mut text,
        &held.prepares,
        held.prepared,
        held.later_prepares,
    );
    text.push_str(" | C");
    push_votes(&mut text, &held.commits, held.committed, held.later_commits);
    if !held.dissent.is_empty() {
        text.push_str(" | ≠");
        push_votes(&mut text, &held.dissent, false, 0);
    }
    let palette = if held.committed {
        Palette::Done
    } else if held.prepared {
        Palette::Contend
    } else {
        Palette::Plain
    };
    MatrixCell { text, palette }
}

/// The certificate table of `processes`: the newest view any replica is in,
/// the sequence numbers any replica logged among the [`LATEST`] up to the
/// highest, one column per replica.
pub fn matrix(processes: &[PbftProcess]) -> Matrix {
    let replicas: Vec<&Replica> = processes.iter().filter_map(PbftProcess::replica).collect();
    let view = replicas.iter().map(|r| r.view).max().unwrap_or(0);
    // The latest sequence numbers logged in `view` (no sort: they are the
    // LATEST below the highest, those any replica logged).
    let highest = replicas
        .iter()
        .flat_map(|r| r.log.iter().filter(|s| s.view == view).map(|s| s.seq))
        .max()
        .unwrap_or(0);
    let seqs = (highest.saturating_sub(LATEST as Seq - 1).max(1)..=highest)
        .filter(|&seq| replicas.iter().any(|r| r.slot(view, seq).is_some()));
    let Some(config) = replicas.first().map(|r| r.config) else {
        return Matrix::default();
    };
    let primary = config.primary(view);
    let rows: Vec<MatrixRow> = seqs
        .map(|seq| {
            // The request as the primary proposed it (or as a backup took it).
            let proposal = replicas
                .iter()
                .filter(|r| r.id == primary)
                .chain(&replicas)
                .find_map(|r| r.slot(view, seq).and_then(|s| s.pre_prepare));
            let label = match proposal {
                Some(p) => match p.0 {
                    Some(r) => format!("n{seq}: {} t{} {}", r.client, r.timestamp, p.digest()),
                    None => format!("n{seq}: null request"),
                },
                None => format!("n{seq}: no pre-prepare"),
            };
            MatrixRow {
                label,
                cells: replicas
                    .iter()
                    .map(|r| cell(held(r, view, seq), primary))
                    .collect(),
            }
        })
        .collect();
    let mut columns = vec!["sequence: request".to_string()];
    columns.extend(replicas.iter().map(|r| format!("{} {}", r.id, r.role())));
    let quorum = config.quorum;
    if rows.is_empty() {
        // Section 4.3: a stable checkpoint discards the log below it.
        return Matrix {
            title: format!("Certificates, view {view}"),
            caption: "nothing logged above the stable checkpoint: the certificates below it are discarded".into(),
            columns,
            rows,
        };
    }
    Matrix {
        title: format!("Certificates, view {view}"),
        caption: format!(
            "PP pre-prepare; P the PREPAREs of the prepared certificate ({} with the PP), C the COMMITs of the committed one ({quorum}); ✓ complete, +k more came later, ≠ votes for another digest",
            quorum.saturating_sub(1)
        ),
        columns,
        rows,
    }
}
