//! The processes of a run, in pipeline order: the producer (node 0), then
//! stages A, B and C (nodes 1 to 3; C is the sink), then, beside a bounded
//! policy, the unbounded twin's A', B' and C' (nodes 4 to 6,
//! [`super::chain`]), and the configuration they share.

use crate::sim::node::{Cx, Node};
use crate::sim::time::{Duration, NodeId};
use crate::sim::view::{Cell, NodeSummary};

use super::chain::Chain;
use super::message::{PipelineMessage, PipelineOp, PipelineTimer, Policy};
use super::producer::Producer;
use super::stage::Stage;

/// How often every process re-announces its flow control and looks for gaps.
pub const TICK: Duration = Duration::from_millis(100);

/// How a run is set up, as every process sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PipelineConfig {
    pub policy: Policy,
    /// Each bounded queue's capacity (and the producer's outbox under block
    /// and credit).
    pub capacity: u32,
    /// The producer's mean rate, items per second.
    pub rate: u32,
    /// What one item weighs in memory.
    pub item_bytes: u32,
    /// Bug `credit-leak`: senders add every request's n, repeats included.
    pub credit_leak: bool,
}

impl PipelineConfig {
    /// Whether the run has an unbounded twin beside its main chain: only a
    /// policy that bounds its queues has something to be compared with.
    pub fn has_twin(&self) -> bool {
        self.policy.is_bounded()
    }

    /// The chains the run has: the main one, and the twin if it has one.
    pub fn chains(&self) -> &'static [Chain] {
        if self.has_twin() {
            &Chain::BOTH
        } else {
            &Chain::BOTH[..1]
        }
    }

    /// The twin's configuration: the same pipeline with unbounded queues
    /// (and no credits to leak).
    pub fn twin(&self) -> PipelineConfig {
        PipelineConfig {
            policy: Policy::Unbounded,
            credit_leak: false,
            ..*self
        }
    }
}

#[derive(Clone, Debug)]
pub enum PipelineProcess {
    Producer(Box<Producer>),
    Stage(Box<Stage>),
}

impl PipelineProcess {
    pub fn producer(&self) -> Option<&Producer> {
        match self {
            PipelineProcess::Producer(producer) => Some(producer),
            PipelineProcess::Stage(_) => None,
        }
    }

    pub fn stage(&self) -> Option<&Stage> {
        match self {
            PipelineProcess::Stage(stage) => Some(stage),
            PipelineProcess::Producer(_) => None,
        }
    }

    /// The stage of `chain` at `index`, among a run's processes.
    pub fn stage_of(nodes: &[PipelineProcess], chain: Chain, index: usize) -> Option<&Stage> {
        nodes.get(chain.stage(index).index())?.stage()
    }
}

impl Node for PipelineProcess {
    type Msg = PipelineMessage;
    type Timer = PipelineTimer;
    type Op = PipelineOp;

    fn on_start(&mut self, cx: &mut Cx<Self>) {
        match self {
            PipelineProcess::Producer(producer) => producer.on_start(cx),
            PipelineProcess::Stage(stage) => stage.on_start(cx),
        }
    }

    fn on_message(&mut self, from: NodeId, msg: PipelineMessage, cx: &mut Cx<Self>) {
        match self {
            PipelineProcess::Producer(producer) => producer.on_message(from, msg, cx),
            PipelineProcess::Stage(stage) => stage.on_message(from, msg, cx),
        }
    }

    fn on_timer(&mut self, timer: PipelineTimer, cx: &mut Cx<Self>) {
        match self {
            PipelineProcess::Producer(producer) => producer.on_timer(timer, cx),
            PipelineProcess::Stage(stage) => stage.on_timer(timer, cx),
        }
    }

    fn on_operation(&mut self, operation: PipelineOp, cx: &mut Cx<Self>) {
        match (self, operation) {
            (PipelineProcess::Producer(producer), op) => producer.on_operation(op, cx),
            (PipelineProcess::Stage(stage), PipelineOp::SlowStage) => stage.toggle_slow(cx),
            (PipelineProcess::Stage(_), PipelineOp::Burst) => {
                cx.note(|| "only the producer can burst".to_string())
            }
        }
    }

    fn on_crash(&mut self) {
        match self {
            PipelineProcess::Producer(producer) => producer.on_crash(),
            PipelineProcess::Stage(stage) => stage.on_crash(),
        }
    }

    fn summary(&self) -> NodeSummary {
        match self {
            PipelineProcess::Producer(producer) => producer.summary(),
            PipelineProcess::Stage(stage) => stage.summary(),
        }
    }

    fn state_row(&self) -> Vec<Cell> {
        match self {
            PipelineProcess::Producer(producer) => producer.state_row(),
            PipelineProcess::Stage(stage) => stage.state_row(),
        }
    }
}
