//! Protocol topics: a cluster of sans-IO nodes over the simulated network.
//!
//! A topic implements [`ProtocolTopic`] (its node type, its checker, how a
//! scenario becomes nodes, which node is its focus) and points its `INFO.build` at
//! [`build::<Self>`](build). Everything else is shared: the cluster size, network,
//! fault plan and client workload come from the common parameters
//! ([`super::params`]), preset scripts from the topic's [`Preset`]s, and the run is a
//! [`ProtocolRun`], whose typed simulation pages reach through [`simulation`].

use std::any::Any;
use std::cell::RefCell;

use super::machine::StateMachine;
use super::params::{self, NODES, REQUEST_RATE};
use super::run::{Run, RunOptions, USER_ACTION_RANK};
use super::scenario::Scenario;
use super::topic::{scripts, BuildError, Preset, TopicInfo};
use crate::history::History;
use crate::sim::action::{Action, TimedAction};
use crate::sim::checker::{Checker, ViolationReport};
use crate::sim::faults::{arrivals, fault_plan};
use crate::sim::node::Node;
use crate::sim::time::{NodeId, Time};
use crate::sim::trace::{MessageId, Trace};
use crate::sim::view::{
    Annotations, Chart, ClusterState, Matrix, NodeSummary, Plot, Signals, StateTable, Swimlanes,
    TraceDetail,
};
use crate::sim::world::Simulation;

/// A protocol preset's script: the timed actions it adds to the run (forced
/// timeouts, crashes, partitions, operations).
pub type Script = fn(&Setup) -> Vec<TimedAction>;

/// A protocol preset.
pub type ProtocolPreset = Preset<Script>;

/// `action` at `ms` milliseconds: what preset scripts write.
pub fn at(ms: u64, action: Action) -> TimedAction {
    TimedAction::at_ms(ms, action)
}

/// Where the numbers of requests sent from the page start: the page's Client
/// request button asks for [`ProtocolTopic::client_request`] of this plus the
/// operations sent so far, and a topic's [`ProtocolTopic::operation`] numbers
/// what its buttons start the same way. Far above the seeded
/// workload's, which count from 0 and at the top rate of 50 a second would need
/// more than five hours of virtual time to reach it, so the two never name the
/// same transaction, saga or message.
pub const PAGE_REQUESTS_FROM: u64 = 1_000_000;

/// Node `i`, as preset scripts name it.
pub const fn node(i: u32) -> NodeId {
    NodeId(i)
}

/// A validated scenario, as a topic's constructor sees it.
pub struct Setup<'a> {
    pub topic: &'static TopicInfo,
    pub scenario: &'a Scenario,
    /// The cluster size (the `nodes` parameter, or the topic's fixed size).
    pub nodes: usize,
}

impl Setup<'_> {
    /// The value of parameter `name`, or its default.
    pub fn param(&self, name: &str) -> i64 {
        self.topic.param(self.scenario, name)
    }

    /// Whether bug `name` is switched on.
    pub fn bug(&self, name: &str) -> bool {
        self.scenario.bug.as_deref() == Some(name)
    }

    pub fn seed(&self) -> u64 {
        self.scenario.seed
    }
}

/// A protocol topic: the typed half of its registration (`INFO` is the other).
pub trait ProtocolTopic: 'static {
    const INFO: &'static TopicInfo;
    type Node: Node + Clone + 'static;
    type Checker: Checker<Self::Node> + Clone + 'static;

    /// What the topic calls its focus node: the one that takes operations nobody
    /// addressed and that a "crash the focus" fault crashes.
    const FOCUS_ROLE: &'static str = "first running node";

    /// The cluster size when the topic has no `nodes` parameter.
    const FIXED_NODES: usize = 3;

    /// The nodes and the checker of a validated scenario.
    fn setup(setup: &Setup) -> (Vec<Self::Node>, Self::Checker);

    /// The focus node now (default: the first node that is up).
    fn focus(nodes: &[Self::Node], up: &[bool]) -> Option<NodeId> {
        let _ = nodes;
        up.iter().position(|&u| u).map(|i| NodeId(i as u32))
    }

    /// The operation the page's Client request button sends, numbered `index`
    /// (and, unless [`ProtocolTopic::planned_request`] says otherwise, request
    /// `index` of the seeded workload); `None` if the topic takes no requests.
    fn client_request(index: u64) -> Option<<Self::Node as Node>::Op> {
        let _ = index;
        None
    }

    /// The seeded workload's request `index` (the `rate` parameter's arrivals):
    /// by default the same as [`ProtocolTopic::client_request`]. A topic whose
    /// own client processes run the workload returns `None`.
    fn planned_request(index: u64) -> Option<<Self::Node as Node>::Op> {
        Self::client_request(index)
    }

    /// Simulator actions the scenario's parameters imply, planned with the
    /// preset's script (a topic whose parameters skew clocks returns its
    /// `SetClock`s at time zero). Default: none.
    fn parameter_actions(setup: &Setup) -> Vec<TimedAction> {
        let _ = setup;
        Vec::new()
    }

    /// Whether the topic's clients record a history worth checking for
    /// linearizability (a key-value register's, as Raft's clients do). The page
    /// checks live and imported histories only then, so the pages of other
    /// topics carry none of the search.
    const LINEARIZABLE_HISTORY: bool = false;

    /// Whether the topic can be explored (it is among
    /// [`crate::explore::EXPLORERS`], which holds it to this). The page draws
    /// its Explore button only then, so other routes carry none of it.
    const EXPLORABLE: bool = false;

    /// What the page's client-request button says, in the topic's words
    /// (`Begin transaction` where a request begins one).
    const CLIENT_REQUEST: &'static str = "Client request";

    /// The operations a person can send from the page besides the client
    /// request: a button each (propose a value, make a node a traitor, pause a
    /// client). The page draws them only when there are some, so a topic without
    /// any carries none of their code.
    const OPERATIONS: &'static [OperationButton] = &[];

    /// The operation of button `button` (an index into
    /// [`ProtocolTopic::OPERATIONS`]) for node `at` (the node picked in the
    /// page, where the operation goes if the button is `at_node`), the person's
    /// `sent`-th operation so far (to number values), in `setup`'s scenario;
    /// `None` if it cannot be sent.
    fn operation(
        button: usize,
        at: NodeId,
        setup: &Setup,
        sent: u64,
    ) -> Option<<Self::Node as Node>::Op> {
        let _ = (button, at, setup, sent);
        None
    }

    /// Whether the topic draws spans and marks on its timeline
    /// ([`ProtocolTopic::annotations`]). A constant, so the page of a topic that
    /// does not leaves the drawing code out.
    const ANNOTATED: bool = false;

    /// The intervals (locks held, leases) and instants (a value chosen) to draw
    /// on the timeline of `simulation`, in global time.
    fn annotations(simulation: &Simulation<Self::Node, Self::Checker>) -> Annotations {
        let _ = simulation;
        Annotations::default()
    }

    /// Whether the topic draws live bar charts under its timeline
    /// ([`ProtocolTopic::charts`]). A constant, so the page of a topic that
    /// does not leaves the chart code out.
    const CHARTED: bool = false;

    /// The charts of `simulation` at its current instant (counts per outcome,
    /// measures per node). Called for every frame the page draws: keep it to
    /// a pass over the nodes or the checker's registries.
    fn charts(simulation: &Simulation<Self::Node, Self::Checker>) -> Vec<Chart> {
        let _ = simulation;
        Vec::new()
    }

    /// Whether the topic draws line charts over virtual time under its
    /// timeline ([`ProtocolTopic::plots`]). A constant, so the page of a topic
    /// that does not leaves the plotting code out.
    const PLOTTED: bool = false;

    /// The line charts of `simulation` up to its current instant (throughput,
    /// error rate, latency per second of the run). Called for every frame the
    /// page draws: keep it to a pass over what the nodes already measure.
    fn plots(simulation: &Simulation<Self::Node, Self::Checker>) -> Vec<Plot> {
        let _ = simulation;
        Vec::new()
    }

    /// Whether the topic draws lanes of its own under the timeline
    /// ([`ProtocolTopic::lanes`]): a row per saga, say. A constant, so the
    /// page of a topic that does not leaves the lanes' code out.
    const LANED: bool = false;

    /// The lanes of `simulation` at its current instant, for a window of the
    /// timeline that starts at `since` (what ended before it need not be
    /// returned); `None` if there is nothing to draw. Called for every frame
    /// the page draws: keep it to the few rows shown.
    fn lanes(simulation: &Simulation<Self::Node, Self::Checker>, since: Time) -> Option<Swimlanes> {
        let _ = (simulation, since);
        None
    }

    /// Whether the topic may run more servers than the cluster view draws on a
    /// ring (gossip: up to 10,000): the page then carries the disc layout
    /// that draws only the links where something happens. A constant, so
    /// other pages leave that code out.
    const MANY_NODES: bool = false;

    /// Whether the page draws tables the topic computes
    /// ([`ProtocolTopic::tables`]). A constant, so the page of a topic that
    /// does not leaves the table code out.
    const TABLED: bool = false;

    /// The tables of `simulation` at its current instant (a compatibility
    /// matrix). Called for every frame the page draws: keep it cheap.
    fn tables(simulation: &Simulation<Self::Node, Self::Checker>) -> Vec<Matrix> {
        let _ = simulation;
        Vec::new()
    }

    /// Whether the topic's safety rests on clocks (leases, lock validity):
    /// the page then offers a clock control for the picked node, an offset
    /// and a drift sent as [`crate::sim::action::Action::SetClock`] and kept
    /// in the share link. A constant, so other pages leave that code out.
    const CLOCKED: bool = false;

    /// Whether the topic correlates signals by trace id
    /// ([`ProtocolTopic::signals`], [`ProtocolTopic::trace_detail`]): the
    /// page then lists its log lines and exemplar histograms, and a click on
    /// either opens the trace. A constant, so other pages leave that code out.
    const CORRELATED: bool = false;

    /// The log lines and histograms of `simulation` at its current instant.
    /// Called for every frame the page draws: keep it cheap.
    fn signals(simulation: &Simulation<Self::Node, Self::Checker>) -> Signals {
        let _ = simulation;
        Signals::default()
    }

    /// What `simulation` still knows of trace `trace` (a trace id from a log
    /// line or an exemplar), or `None` if nothing: a trace id from a stale
    /// click is not an error.
    fn trace_detail(
        simulation: &Simulation<Self::Node, Self::Checker>,
        trace: u64,
    ) -> Option<TraceDetail> {
        let _ = (simulation, trace);
        None
    }

    /// The protocol's state machine, drawn by the page with each node's current
    /// state lit ([`ProtocolTopic::machine_state`]); `None` (the default) leaves
    /// the drawing out of the page.
    const MACHINE: Option<&'static StateMachine> = None;

    /// The state of [`ProtocolTopic::MACHINE`] that `node` is in (an index into
    /// its states), if any.
    fn machine_state(node: &Self::Node) -> Option<usize> {
        let _ = node;
        None
    }
}

/// A button of a protocol page that sends one of the topic's operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OperationButton {
    /// What the button says: `Propose`, `Make traitor`, `Pause client`.
    pub label: &'static str,
    /// Its tooltip: what the operation does.
    pub help: &'static str,
    /// Whether it goes to a node the person picks (or else to the focus node).
    pub at_node: bool,
}

/// A running protocol topic.
pub struct ProtocolRun<T: ProtocolTopic> {
    simulation: Simulation<T::Node, T::Checker>,
    /// For a topic with [`ProtocolTopic::MANY_NODES`]: each node's summary
    /// with the node's change count when it was made, so a page asking for
    /// the cluster every frame formats only the nodes that changed (at
    /// 10,000 gossiping nodes, formatting all of them was about a third of
    /// a frame's work in the browser).
    summaries: RefCell<Vec<Option<(u32, NodeSummary)>>>,
}

impl<T: ProtocolTopic> ProtocolRun<T> {
    pub fn simulation(&self) -> &Simulation<T::Node, T::Checker> {
        &self.simulation
    }
}

/// The typed simulation of a run of topic `T`, if `run` is one.
pub fn simulation<T: ProtocolTopic>(run: &dyn Run) -> Option<&Simulation<T::Node, T::Checker>> {
    run.as_any()
        .downcast_ref::<ProtocolRun<T>>()
        .map(ProtocolRun::simulation)
}

impl<T: ProtocolTopic> Run for ProtocolRun<T> {
    fn step(&mut self) -> bool {
        self.simulation.step()
    }

    fn next_time(&self) -> Option<Time> {
        self.simulation.next_time()
    }

    fn now(&self) -> Time {
        self.simulation.now()
    }

    fn steps(&self) -> u64 {
        self.simulation.steps()
    }

    fn trace(&self) -> &Trace {
        self.simulation.trace()
    }

    fn history(&self) -> Option<&History> {
        Some(self.simulation.history()).filter(|history| !history.events.is_empty())
    }

    fn violations(&self) -> &[ViolationReport] {
        self.simulation.violations()
    }

    fn schedule(&mut self, action: TimedAction, rank: u32) {
        self.simulation.schedule(action, rank);
    }

    fn cluster(&self) -> ClusterState {
        // A constant test: other topics carry none of this.
        if !T::MANY_NODES {
            return self.simulation.cluster();
        }
        let mut kept = self.summaries.borrow_mut();
        kept.resize(self.simulation.nodes().len(), None);
        let changes = self.simulation.changes();
        self.simulation.cluster_with(|i, node| match &kept[i] {
            Some((count, summary)) if *count == changes[i] => summary.clone(),
            _ => {
                let summary = node.summary();
                kept[i] = Some((changes[i], summary.clone()));
                summary
            }
        })
    }

    fn state_table_head(&self, rows: usize) -> StateTable {
        StateTable {
            columns: T::INFO.columns.to_vec(),
            rows: self.simulation.rows(rows),
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn fork(&self) -> Box<dyn Run> {
        Box::new(ProtocolRun::<T> {
            simulation: self.simulation.fork(),
            summaries: RefCell::default(),
        })
    }

    fn trace_mut(&mut self) -> &mut Trace {
        self.simulation.trace_mut()
    }

    fn next_message(&self) -> MessageId {
        self.simulation.next_message()
    }
}

/// Builds a run of `scenario` for topic `T`: validates it, makes the nodes, and
/// schedules the preset's script, the seeded fault plan and client workload, then
/// the person's own actions (ranked after every planned one).
pub fn build<T: ProtocolTopic>(
    scenario: &Scenario,
    options: RunOptions,
) -> Result<Box<dyn Run>, BuildError> {
    let topic = T::INFO;
    topic.validate(scenario)?;
    let nodes = match topic.param_spec(NODES) {
        Some(_) => topic.param(scenario, NODES).max(1) as usize,
        None => T::FIXED_NODES,
    };
    let setup = Setup {
        topic,
        scenario,
        nodes,
    };
    let (members, checker) = T::setup(&setup);
    let mut simulation = Simulation::new(
        members,
        checker,
        scenario.seed,
        params::network(topic, scenario),
        options.recording(),
    )
    .with_focus(T::focus, T::FOCUS_ROLE);

    let script = match &scenario.preset {
        Some(name) => {
            let preset = scripts::<Script>(topic)
                .and_then(|presets| presets.iter().find(|p| p.info.name == name))
                .ok_or_else(|| BuildError::UnknownPreset {
                    topic: topic.slug,
                    preset: name.clone(),
                })?;
            (preset.script)(&setup)
        }
        None => Vec::new(),
    };
    // The parameters' actions first, so a preset's own action of the same instant
    // (a clock it sets itself) comes after them and wins.
    let mut planned: Vec<TimedAction> = T::parameter_actions(&setup);
    planned.extend(script);
    planned.extend(fault_plan(
        scenario.faults,
        scenario.seed,
        nodes,
        options.horizon,
    ));
    if topic.param_spec(REQUEST_RATE).is_some() {
        let rate = topic.param(scenario, REQUEST_RATE).max(0) as u64;
        let instants = arrivals(scenario.seed, rate, Time::ZERO, options.horizon);
        for (index, at) in (1..).zip(instants) {
            let Some(request) = T::planned_request(index) else {
                break;
            };
            planned.push(TimedAction {
                at,
                action: Action::operation(None, &request),
            });
        }
    }
    crate::sort::sort_stably_by(&mut planned, |action| action.at.as_micros());
    simulation.set_plan(planned);
    simulation.schedule_all(&scenario.actions, USER_ACTION_RANK);
    Ok(Box::new(ProtocolRun::<T> {
        simulation,
        summaries: RefCell::default(),
    }))
}
