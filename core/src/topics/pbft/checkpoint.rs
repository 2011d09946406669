//! Checkpoints and the low watermark (Castro and Liskov, section 4.3): every
//! K sequence numbers a replica multicasts its state; with a quorum of
//! matching CHECKPOINTs the checkpoint is stable, the log below it goes, and a
//! replica that fell behind adopts the checkpoint's state.

use crate::sim::node::Cx;
use crate::sim::time::NodeId;

use super::message::Seq;
use super::process::PbftProcess;
use super::replica::{Replica, WINDOW};

impl Replica {
    // ---- Section 4.3: checkpoints ------------------------------------------

    pub fn on_checkpoint(&mut self, from: NodeId, seq: Seq, state: u64, cx: &mut Cx<PbftProcess>) {
        if seq <= self.stable || seq > self.stable + 2 * WINDOW {
            return;
        }
        if !self.checkpoints.contains(&(seq, state, from)) {
            self.checkpoints.push((seq, state, from));
        }
        self.stabilise(seq, state, cx);
    }

    /// A checkpoint is stable with quorum matching CHECKPOINTs: the low
    /// watermark moves to it and the log below it is discarded. A replica that
    /// has not executed that far fetches the state (state transfer, taken as
    /// given) and carries on from there.
    pub fn stabilise(&mut self, seq: Seq, state: u64, cx: &mut Cx<PbftProcess>) {
        let mut voters: Vec<u32> = self
            .checkpoints
            .iter()
            .filter(|c| c.0 == seq && c.1 == state)
            .map(|c| c.2 .0)
            .collect();
        voters.sort_unstable();
        voters.dedup();
        if seq <= self.stable || voters.len() < self.config.quorum {
            return;
        }
        self.move_low_watermark(seq, state, cx);
    }

    pub fn move_low_watermark(&mut self, seq: Seq, state: u64, cx: &mut Cx<PbftProcess>) {
        if seq <= self.stable {
            return;
        }
        self.stable = seq;
        self.stable_state = state;
        if self.last_executed < seq {
            let from = self.last_executed;
            cx.note(|| {
                format!(
                    "fetches the state of stable checkpoint n{seq} (had executed up to n{from})"
                )
            });
            self.last_executed = seq;
            self.state = state;
        }
        self.next_seq = self.next_seq.max(seq);
        self.log.retain(|s| s.seq > seq);
        self.prepared.retain(|c| c.seq > seq);
        self.checkpoints.retain(|c| c.0 > seq);
        cx.note(|| format!("checkpoint n{seq} is stable: the low watermark moves to it"));
        self.execute(cx);
        self.assign_pending(cx);
    }
}
