//! `Player`: one running scenario and everything a person does to it.
//!
//! The player owns the [`Scenario`] (the share link) and the [`Run`] built from it,
//! plus the instant the views show (`time`), which may lie between two events so
//! messages can be drawn in flight. Playing advances `time` by real time scaled by
//! `speed`; stepping moves one event; stepping back and seeking go back to the
//! nearest earlier snapshot and replay from there (runs are deterministic, so replay
//! is time travel). Snapshots are taken every [`SNAPSHOT_EVERY`] steps; the trace
//! keeps a window of recent events ([`KEEP_EVENTS`]), so a long run's memory stays
//! bounded and a seek anywhere costs at most a snapshot interval of replay.
//!
//! A person's action (crash, cut, client request, ...) is added to the scenario at
//! the current instant. If the person had rewound, actions after that instant are
//! dropped first: the run branches, as a recording would.
//!
//! Plain Rust: no browser types, tested natively.

use distlab_core::lab::hunt::replay_of;
use distlab_core::lab::run::{Run, RunOptions, USER_ACTION_RANK};
use distlab_core::lab::scenario::Scenario;
use distlab_core::lab::topic::{Narration, TopicInfo};
use distlab_core::sim::action::{Action, TimedAction};
use distlab_core::sim::faults::FaultLevel;
use distlab_core::sim::time::{Duration, Time};
use distlab_core::sim::trace::{EventKind, MessageId, MessageRecord, TraceMark};

use crate::command::Command;
use crate::hunt::{ExploreState, HuntState, ShrinkState, Task};
use crate::layout::timeline::Ahead;

/// The longest a run may go before the player pauses it for good (virtual time).
pub const MAX_TIME: Time = Time::from_millis(15 * 60 * 1000);
/// Steps between snapshots: a seek replays at most this many (more in a
/// large cluster: [`SNAPSHOT_STEPS_PER_NODE`]).
pub const SNAPSHOT_EVERY: u64 = 2_048;
/// Steps between snapshots per node of the cluster, when that is more than
/// [`SNAPSHOT_EVERY`]: a snapshot copies every node. Gossip's push preset
/// at 10,000 nodes takes about 12,000 steps a second at the page's speed
/// (121,971 steps in its first 1.15 s of virtual time), so one every 2,048
/// steps came six times a second, each costing a frame; at 80,000 steps
/// one comes every six or seven seconds, and a seek replays at most that.
pub const SNAPSHOT_STEPS_PER_NODE: u64 = 8;
/// When the trace holds more events than this, events older than [`KEEP_SPAN`]
/// before the shown instant are forgotten (snapshots rebuild them on a seek).
pub const KEEP_EVENTS: usize = 60_000;
/// How much recent virtual time the trace keeps: more than the widest timeline.
pub const KEEP_SPAN: Duration = Duration::from_millis(30_000);
/// A seek to before the kept window starts this much earlier, so the timeline
/// around the instant has its recent past.
const REFILL_SPAN: Duration = Duration::from_millis(2_000);

/// Speeds offered in the UI: virtual milliseconds per real millisecond, with the
/// menu's value and words for each (written out, so the page needs no float
/// formatting or parsing code). [`AS_FAST_AS_POSSIBLE`] runs as many steps as
/// the frame budget allows.
pub const SPEEDS: [(f64, &str, &str); 12] = [
    (0.01, "0.01", "0.01x"),
    (0.02, "0.02", "0.02x"),
    (0.05, "0.05", "0.05x"),
    (0.1, "0.1", "0.1x"),
    (0.25, "0.25", "0.25x"),
    (0.5, "0.5", "0.5x"),
    (1.0, "1", "1x"),
    (2.0, "2", "2x"),
    (5.0, "5", "5x"),
    (10.0, "10", "10x"),
    (100.0, "100", "100x"),
    (AS_FAST_AS_POSSIBLE, "max", "as fast as possible"),
];
/// The speed that is "as fast as the frame budget allows".
pub const AS_FAST_AS_POSSIBLE: f64 = f64::INFINITY;
pub const DEFAULT_SPEED: f64 = 0.1;

/// A copy of the run after some step, to come back to.
struct Snapshot {
    /// The run as it was, without its trace.
    run: Box<dyn Run>,
    steps: u64,
    time: Time,
    /// Where the trace stood.
    mark: TraceMark,
    /// The messages in flight then, to restart a trace from here once the
    /// window has forgotten this point.
    in_flight: Vec<MessageRecord>,
    next_message: MessageId,
}

/// Steps between snapshots of `run`: [`SNAPSHOT_EVERY`], or
/// [`SNAPSHOT_STEPS_PER_NODE`] per node of a large cluster.
fn snapshot_spacing(run: &dyn Run) -> u64 {
    let nodes = run.cluster().nodes.len() as u64;
    SNAPSHOT_EVERY.max(nodes * SNAPSHOT_STEPS_PER_NODE)
}

impl Snapshot {
    fn of(run: &dyn Run) -> Snapshot {
        Snapshot {
            run: run.fork(),
            steps: run.steps(),
            time: run.now(),
            mark: run.trace().mark(run.steps()),
            in_flight: run.trace().in_flight_tail(run.now()),
            next_message: run.next_message(),
        }
    }
}

/// A running scenario with its playback state.
pub struct Player {
    topic: &'static TopicInfo,
    scenario: Scenario,
    run: Box<dyn Run>,
    time: Time,
    playing: bool,
    speed: f64,
    /// Why the player stopped by itself, or what was wrong with a link.
    notice: Option<String>,
    /// Snapshots in step order; the first is the run at step 0.
    snapshots: Vec<Snapshot>,
    /// Steps between snapshots, for this scenario's cluster size.
    snapshot_every: u64,
    /// Trace events held before the window slides ([`KEEP_EVENTS`] unless a test
    /// lowers it).
    keep_events: usize,
    /// The Hunt panel's hunt and shrink, and the worker task to start next.
    hunt: HuntState,
    task: Option<Task>,
    /// The violation a counterexample was opened just before: the timeline
    /// marks its causal past until the run reaches it.
    ahead: Option<Ahead>,
}

impl Player {
    /// A player for `scenario` of `topic`, paused at time zero.
    pub fn new(topic: &'static TopicInfo, scenario: Scenario) -> Result<Player, String> {
        if scenario.topic != topic.slug {
            return Err(format!(
                "this scenario is for '{}', not '{}'",
                scenario.topic, topic.slug
            ));
        }
        let run = (topic.build)(&scenario, RunOptions::default()).map_err(|e| e.to_string())?;
        let snapshots = vec![Snapshot::of(run.as_ref())];
        Ok(Player {
            topic,
            scenario,
            snapshot_every: snapshot_spacing(run.as_ref()),
            run,
            time: Time::ZERO,
            playing: false,
            speed: DEFAULT_SPEED,
            notice: None,
            snapshots,
            keep_events: KEEP_EVENTS,
            hunt: HuntState {
                faults: FaultLevel::Heavy,
                ..HuntState::default()
            },
            ahead: None,
            task: None,
        })
    }

    /// The scenario a topic page opens with when the link carries none: its first
    /// preset (a narrated run), or seed 1 with default parameters.
    pub fn default_scenario(topic: &'static TopicInfo) -> Scenario {
        match topic.presets().next() {
            Some(preset) => topic.preset_scenario(preset),
            None => Scenario::new(topic.slug, 1),
        }
    }

    /// A player for `topic`'s default scenario, which every topic builds (the
    /// catalog test). The error is printed with `Display`: `expect` would
    /// pull `String`'s `Debug` (its escaping) into every page bundle.
    fn default_player(topic: &'static TopicInfo) -> Player {
        Player::new(topic, Self::default_scenario(topic))
            .unwrap_or_else(|error| panic!("{}: its default scenario: {error}", topic.slug))
    }

    /// A player for a topic page: the linked scenario if it is valid, otherwise the
    /// default one with a notice saying what was wrong with the link.
    pub fn from_link(topic: &'static TopicInfo, link: Option<&str>) -> Player {
        let fallback = |notice: String| {
            let mut player = Self::default_player(topic);
            player.notice = Some(notice);
            player
        };
        let Some(link) = link else {
            return Self::default_player(topic);
        };
        match Scenario::decode(link) {
            Ok(scenario) if scenario.topic != topic.slug => fallback(format!(
                "This link is for '{}', not '{}'; showing the default scenario instead.",
                scenario.topic, topic.slug
            )),
            Ok(scenario) => match Player::new(topic, scenario) {
                Ok(player) => player,
                Err(error) => fallback(format!(
                    "This link cannot be replayed ({error}); showing the default scenario instead."
                )),
            },
            Err(error) => fallback(format!(
                "This link is broken ({error}); showing the default scenario instead."
            )),
        }
    }

    pub fn topic(&self) -> &'static TopicInfo {
        self.topic
    }

    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    pub fn run(&self) -> &dyn Run {
        self.run.as_ref()
    }

    /// The instant the views show.
    pub fn time(&self) -> Time {
        self.time
    }

    pub fn playing(&self) -> bool {
        self.playing
    }

    pub fn speed(&self) -> f64 {
        self.speed
    }

    pub fn notice(&self) -> Option<&str> {
        self.notice.as_deref()
    }

    /// Shows `text` in the notice banner (something the page could not do).
    pub fn tell(&mut self, text: String) {
        self.notice = Some(text);
    }

    /// The trace of this run up to the instant shown, as JSON lines: the same
    /// bytes as `distlab run --json` for this scenario up to this instant.
    pub fn export_trace(&self) -> Result<distlab_core::lab::export::Export, String> {
        distlab_core::lab::export::trace_until(self.topic, &self.scenario, self.time())
            .map_err(|e| e.to_string())
    }

    pub fn dismiss_notice(&mut self) {
        self.notice = None;
    }

    /// The narration sentence for the current instant, when a preset is playing.
    pub fn narration(&self) -> Option<&'static Narration> {
        let preset = self.topic.preset(self.scenario.preset.as_deref()?)?;
        preset.narration.iter().rev().find(|n| n.at <= self.time)
    }

    /// The person's latest action at or before the instant shown, if any.
    pub fn last_action(&self) -> Option<&TimedAction> {
        self.scenario
            .actions
            .iter()
            .rev()
            .find(|a| a.at <= self.time)
    }

    pub fn set_speed(&mut self, speed: f64) {
        if speed == AS_FAST_AS_POSSIBLE || (speed.is_finite() && speed > 0.0) {
            self.speed = speed.min(AS_FAST_AS_POSSIBLE);
        }
    }

    pub fn play(&mut self) {
        if self.at_limit() {
            return;
        }
        self.playing = true;
    }

    pub fn pause(&mut self) {
        self.playing = false;
    }

    fn at_limit(&self) -> bool {
        self.run.now() >= MAX_TIME
    }

    /// Advances by `real_ms` of wall time when playing, processing at most
    /// `step_budget` steps (the frame's budget): when the run cannot keep up with
    /// the speed, the view shows the latest state reached. Returns whether anything
    /// visible changed.
    pub fn advance(&mut self, real_ms: f64, step_budget: u64) -> bool {
        if !self.playing || !real_ms.is_finite() || real_ms <= 0.0 {
            return false;
        }
        let target = if self.speed == AS_FAST_AS_POSSIBLE {
            MAX_TIME
        } else {
            let virtual_us = (real_ms * self.speed * 1000.0).round() as u64;
            self.time.after(Duration(virtual_us.max(1))).min(MAX_TIME)
        };
        if !self.run_to_within(target, step_budget.max(1)) {
            self.time = self.run.now().max(self.time);
        }
        if self.at_limit() {
            self.playing = false;
            self.notice = Some(format!(
                "Paused: this run reached the lab's limit of {MAX_TIME} of virtual time. Reset or rewind to keep exploring."
            ));
        }
        true
    }

    /// Processes exactly one event and shows its instant.
    pub fn step_forward(&mut self) {
        self.playing = false;
        if self.at_limit() {
            return;
        }
        // Events at or before the shown instant are already processed; the next one
        // is strictly later.
        if self.run.step() {
            self.time = self.run.now();
            self.after_steps();
        }
    }

    /// Goes back to just after the previous event (replaying from the start).
    pub fn step_back(&mut self) {
        self.playing = false;
        let steps = self.run.steps();
        if steps == 0 {
            self.time = Time::ZERO;
            return;
        }
        self.replay_to_before(steps);
    }

    /// Shows the run right after step `step` (replaying from the start).
    pub fn seek_step(&mut self, step: u64) {
        self.playing = false;
        self.replay_to_step(step);
    }

    /// Shows the latest state the run passes through with fewer than `step`
    /// steps. Not every count is one the run stops at: a step that releases a
    /// held message (an explored counterexample's) also delivers it.
    fn replay_to_before(&mut self, step: u64) {
        let mut target = step.saturating_sub(1);
        loop {
            self.replay_to_step(target);
            if self.run.steps() < step || target == 0 {
                return;
            }
            target -= 1;
        }
    }

    fn replay_to_step(&mut self, step: u64) {
        let now = self.run.steps();
        // Back to a snapshot when going back, or when one is well ahead.
        if step < now
            || self
                .snapshots
                .iter()
                .any(|s| s.steps <= step && s.steps > now + self.snapshot_every)
        {
            self.restore(|snapshot| snapshot.steps <= step);
        }
        while self.run.steps() < step && self.run.step() {
            self.after_steps();
        }
        self.time = self.run.now();
    }

    /// Shows the run at `time`: forward by running, backward from the nearest
    /// snapshot.
    pub fn seek_time(&mut self, time: Time) {
        let time = time.min(MAX_TIME);
        let steps = self.run.steps();
        let ahead = self
            .snapshots
            .iter()
            .any(|s| s.time <= time && s.steps > steps + self.snapshot_every);
        if time < self.run.now() || ahead {
            self.restore(|snapshot| snapshot.time <= time);
        }
        self.run_to(time);
    }

    /// Goes to the latest snapshot that `fits` (back, or ahead over a stretch
    /// already run). Going back, the trace is rewound to it when it still holds that
    /// point; otherwise the run restarts from a snapshot a little earlier, so the
    /// timeline has its recent past, with the messages then in flight.
    fn restore(&mut self, fits: impl Fn(&Snapshot) -> bool) {
        let Some(index) = self.snapshots.iter().rposition(&fits) else {
            return;
        };
        let trace = self.run.trace();
        let behind = self.snapshots[index].steps <= self.run.steps();
        let (index, trace) = if behind && trace.holds(&self.snapshots[index].mark) {
            let mut trace = std::mem::take(self.run.trace_mut());
            trace.rewind(&self.snapshots[index].mark);
            (index, trace)
        } else {
            let wanted = self.snapshots[index].time;
            let earlier = Time(wanted.as_micros().saturating_sub(REFILL_SPAN.as_micros()));
            let index = self
                .snapshots
                .iter()
                .rposition(|s| s.time <= earlier)
                .unwrap_or(0);
            let snapshot = &self.snapshots[index];
            let trace = distlab_core::sim::trace::Trace::resume(
                snapshot.in_flight.clone(),
                snapshot.next_message,
            );
            (index, trace)
        };
        let mut run = self.snapshots[index].run.fork();
        *run.trace_mut() = trace;
        self.run = run;
        self.time = self.run.now();
    }

    /// Runs forward to `time` and shows it.
    fn run_to(&mut self, time: Time) {
        self.run_to_within(time, u64::MAX);
        self.time = time.max(self.run.now());
    }

    /// Runs forward to `time` within `budget` steps; shows `time` when it got there
    /// (returns true) and the last processed step otherwise.
    fn run_to_within(&mut self, time: Time, budget: u64) -> bool {
        let mut left = budget;
        while self.run.next_time().is_some_and(|t| t <= time) {
            if left == 0 || !self.run.step() {
                self.after_steps();
                self.time = self.run.now();
                return false;
            }
            left -= 1;
            if left.is_multiple_of(1024) {
                self.after_steps();
            }
        }
        self.after_steps();
        self.time = time;
        true
    }

    /// Bookkeeping after the run moved forward: a snapshot every
    /// `snapshot_every` steps, and the trace window.
    fn after_steps(&mut self) {
        let last = self.snapshots.last().map_or(0, |s| s.steps);
        if self.run.steps() >= last + self.snapshot_every {
            self.snapshots.push(Snapshot::of(self.run.as_ref()));
        }
        if self.run.trace().events.len() > self.keep_events {
            let keep_from = Time(
                self.run
                    .now()
                    .as_micros()
                    .saturating_sub(KEEP_SPAN.as_micros()),
            );
            self.run.trace_mut().forget_before(keep_from);
        }
    }

    /// Back to time zero with the same scenario.
    pub fn reset(&mut self) {
        self.playing = false;
        self.notice = None;
        self.rebuild();
        self.time = Time::ZERO;
    }

    /// Back to step 0 of the same scenario.
    fn rebuild(&mut self) {
        self.restore(|snapshot| snapshot.steps == 0);
    }

    /// Replaces the scenario if it builds, restarting at time zero; on error keeps
    /// the current one and returns the reason.
    pub fn replace_scenario(&mut self, scenario: Scenario) -> Result<(), String> {
        let run =
            (self.topic.build)(&scenario, RunOptions::default()).map_err(|e| e.to_string())?;
        self.snapshots = vec![Snapshot::of(run.as_ref())];
        self.snapshot_every = snapshot_spacing(run.as_ref());
        self.scenario = scenario;
        self.run = run;
        self.time = Time::ZERO;
        self.notice = None;
        self.ahead = None;
        Ok(())
    }

    /// A new seed: the same scenario otherwise, restarted. A preset is left, since
    /// its narration describes its own seed.
    pub fn set_seed(&mut self, seed: u64) -> Result<(), String> {
        let mut scenario = self.scenario.clone();
        scenario.seed = seed;
        scenario.preset = None;
        scenario.actions.clear();
        self.replace_scenario(scenario)
    }

    pub fn set_param(&mut self, name: &str, value: i64) -> Result<(), String> {
        let mut scenario = self.scenario.clone();
        scenario.set_param(name, value);
        scenario.preset = None;
        scenario.actions.clear();
        self.replace_scenario(scenario)
    }

    /// Switches a bug on (or all off) and replays the same scenario up to the
    /// current instant, so the person sees what the bug changes.
    pub fn set_bug(&mut self, bug: Option<&str>) -> Result<(), String> {
        let mut scenario = self.scenario.clone();
        scenario.bug = bug.map(str::to_string);
        let time = self.time;
        self.replace_scenario(scenario)?;
        self.seek_time(time);
        Ok(())
    }

    /// Loads a preset (or a plain scenario with default parameters for `None`).
    pub fn set_preset(&mut self, preset: Option<&str>) -> Result<(), String> {
        let scenario = match preset {
            Some(name) => {
                let info = self
                    .topic
                    .preset(name)
                    .ok_or_else(|| format!("no scenario '{name}'"))?;
                self.topic.preset_scenario(info)
            }
            None => Scenario::new(self.topic.slug, self.scenario.seed),
        };
        self.replace_scenario(scenario)
    }

    /// Does `action` now: adds it to the scenario (dropping actions after now, if
    /// the person had rewound) and schedules it in the run.
    pub fn act(&mut self, action: Action) {
        // The run changes from here: the violation ahead may never come.
        self.ahead = None;
        // Strictly after everything already processed, so a replay of the link puts
        // it in the same place.
        let at = self.time.max(self.run.now()).after(Duration(1));
        // Only actions after this instant are undone: several actions at the same
        // instant (both directions of a link) all stay.
        let rewound = self.scenario.actions.iter().any(|a| a.at > at);
        if rewound {
            // The run branches: later actions go, and so does every snapshot that
            // saw them; the run is rebuilt up to the instant shown.
            self.scenario.actions.retain(|a| a.at < at);
            let time = self.time;
            if let Ok(run) = (self.topic.build)(&self.scenario, RunOptions::default()) {
                self.snapshots = vec![Snapshot::of(run.as_ref())];
                self.run = run;
            }
            self.run_to(time);
        }
        // Snapshots after the action's instant would not contain it.
        self.snapshots.retain(|s| s.time < at || s.steps == 0);
        let rank = USER_ACTION_RANK + self.scenario.actions.len() as u32;
        self.scenario.push_action(at, action.clone());
        let timed = TimedAction { at, action };
        for snapshot in &mut self.snapshots {
            snapshot.run.schedule(timed.clone(), rank);
        }
        self.run.schedule(timed, rank);
        // Show the action's effect right away when paused.
        if !self.playing {
            self.run_to(at);
        }
    }

    /// Applies a person's command. Commands that need the browser (a random seed,
    /// the clipboard, the timeline zoom) are handled by the page before this.
    pub fn apply(&mut self, command: Command) {
        let result = match command {
            Command::Seed(seed) => self.set_seed(seed),
            Command::Param(name, value) => self.set_param(name, value),
            Command::Bug(bug) => self.set_bug(bug.as_deref()),
            Command::Preset(preset) => self.set_preset(preset.as_deref()),
            Command::TogglePlay if self.playing => {
                self.pause();
                Ok(())
            }
            Command::TogglePlay | Command::Play => {
                self.play();
                Ok(())
            }
            Command::Pause => {
                self.pause();
                Ok(())
            }
            Command::Step => {
                self.step_forward();
                Ok(())
            }
            Command::StepBack => {
                self.step_back();
                Ok(())
            }
            Command::Reset => {
                self.reset();
                Ok(())
            }
            Command::Speed(speed) => {
                self.set_speed(speed);
                Ok(())
            }
            Command::Act(action) => {
                self.act(action);
                Ok(())
            }
            Command::SeekTime(time) => {
                self.seek_time(time);
                Ok(())
            }
            Command::SeekStep(step) => {
                self.seek_step(step);
                Ok(())
            }
            Command::Tell(text) => {
                self.tell(text);
                Ok(())
            }
            Command::Hunt | Command::Explore if self.hunt.busy() => {
                self.hunt.running = false;
                self.hunt.shrink.running = false;
                self.hunt.explore.running = false;
                Ok(())
            }
            Command::HuntFaults(faults) => {
                self.hunt.faults = faults;
                Ok(())
            }
            Command::Hunt => {
                let link = self.scenario.encode();
                let faults = self.hunt.faults;
                self.hunt = HuntState {
                    base: link.clone(),
                    faults,
                    running: true,
                    ..HuntState::default()
                };
                self.task = Some(Task::hunt(&link, faults));
                Ok(())
            }
            Command::Shrink => match self.run.violations().first() {
                Some(violation) => {
                    self.hunt.problem = None;
                    self.hunt.running = false;
                    self.hunt.shrink = ShrinkState {
                        running: true,
                        ..ShrinkState::default()
                    };
                    self.task = Some(Task::shrink(&self.scenario.encode(), violation.time));
                    Ok(())
                }
                None => {
                    Err("The run shown breaks no invariant, so there is nothing to shrink.".into())
                }
            },
            Command::ShrinkFound if !self.hunt.found.is_empty() => {
                self.task = Some(Task::shrink_found(
                    &self.hunt.base,
                    self.hunt.faults,
                    &self.hunt.found,
                ));
                self.hunt.problem = None;
                self.hunt.running = false;
                self.hunt.shrink = ShrinkState {
                    running: true,
                    ..ShrinkState::default()
                };
                Ok(())
            }
            Command::ShrinkFound => Ok(()),
            Command::Explore => {
                self.hunt.running = false;
                self.hunt.shrink.running = false;
                self.hunt.problem = None;
                self.hunt.explore = ExploreState {
                    running: true,
                    ..ExploreState::default()
                };
                self.task = Some(Task::explore(&self.scenario.encode()));
                Ok(())
            }
            Command::OpenFound(index) => {
                let found = self.hunt.found.get(index).cloned();
                let base = Scenario::decode(&self.hunt.base).ok();
                match found.zip(base) {
                    Some((found, base)) => self.open(
                        replay_of(&base, found.seed, self.hunt.faults),
                        found.time,
                        false,
                    ),
                    None => Ok(()),
                }
            }
            Command::WorkerLines(lines) => {
                let before = self.hunt.shrink.link.clone();
                let explored = self.hunt.explore.found.is_some();
                self.hunt.absorb(&lines);
                // An exploration's counterexample and a shrink's result open
                // one step before their violation (an explored step k is at k
                // milliseconds).
                if let (false, Some((link, _, steps))) = (explored, &self.hunt.explore.found) {
                    let time = Time::from_millis(*steps);
                    let opened = match Scenario::decode(link) {
                        Ok(scenario) => self.open(scenario, time, true),
                        Err(error) => Err(error.to_string()),
                    };
                    if let Err(error) = opened {
                        self.notice = Some(error);
                    }
                    return;
                }
                match (&self.hunt.shrink.link, self.hunt.shrink.after) {
                    (Some((link, _)), Some(after)) if self.hunt.shrink.link != before => {
                        match Scenario::decode(link) {
                            Ok(scenario) => self.open(scenario, after.time, true),
                            Err(error) => Err(error.to_string()),
                        }
                    }
                    _ => Ok(()),
                }
            }
            Command::DismissNotice => {
                self.dismiss_notice();
                Ok(())
            }
            Command::RandomSeed | Command::Zoom(_) | Command::CopyLink | Command::Export(_) => {
                Ok(())
            }
        };
        if let Err(error) = result {
            self.notice = Some(error);
        }
    }

    /// Opens `scenario` paused at `time`, a counterexample's violation; with
    /// `before_violation`, one step before the violation instead, with the
    /// violation kept as the one [`Player::ahead`] (when the run breaks an
    /// invariant by `time`).
    fn open(
        &mut self,
        scenario: Scenario,
        time: Time,
        before_violation: bool,
    ) -> Result<(), String> {
        self.replace_scenario(scenario)?;
        self.pause();
        self.seek_time(time);
        if !before_violation {
            return Ok(());
        }
        let trace = self.run.trace();
        let violation = trace.events.iter().find_map(|event| match &event.kind {
            EventKind::Violation { invariant, message } => Some(Ahead {
                step: event.step,
                node: event.node?,
                time: event.time,
                lamport: event.lamport,
                clock: event.clock.as_deref()?.to_vec(),
                what: format!("{invariant}: {message}"),
            }),
            _ => None,
        });
        if let Some(ahead) = violation {
            self.replay_to_before(ahead.step);
            self.ahead = Some(ahead);
        }
        Ok(())
    }

    /// The violation a counterexample was opened just before, while the run
    /// shown has not reached it.
    pub fn ahead(&self) -> Option<&Ahead> {
        self.ahead
            .as_ref()
            .filter(|ahead| self.run.steps() < ahead.step)
    }

    /// The Hunt panel's state.
    pub fn hunt(&self) -> &HuntState {
        &self.hunt
    }

    /// The worker task the last command asked for, if any (the hook starts it).
    pub fn take_task(&mut self) -> Option<Task> {
        self.task.take()
    }

    /// Keeps `old`'s hunt when a new player replaces it (the link changed from
    /// outside while a hunt may be running).
    pub fn keep_hunt_of(&mut self, old: &mut Player) {
        self.hunt = std::mem::take(&mut old.hunt);
    }

    /// The share link's hash for the current scenario.
    pub fn link(&self, embed: bool) -> String {
        crate::route::topic_hash(self.topic.slug, &self.scenario.encode(), embed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use distlab_core::sim::time::NodeId;

    fn raft() -> &'static TopicInfo {
        &distlab_core::topics::raft::INFO
    }

    fn plain() -> Player {
        Player::new(raft(), Scenario::new("raft", 3)).unwrap()
    }

    #[test]
    fn playing_advances_scaled_time_and_paused_does_not() {
        let mut player = plain();
        assert!(!player.advance(100.0, u64::MAX));
        player.play();
        player.set_speed(0.5);
        assert!(player.advance(1000.0, u64::MAX));
        assert_eq!(player.time(), Time::from_millis(500));
        assert!(player.run().now() <= player.time());
        assert!(player.run().next_time().unwrap() > player.time());
    }

    #[test]
    fn step_back_undoes_step_forward_exactly() {
        let mut player = plain();
        for _ in 0..40 {
            player.step_forward();
        }
        let hash_at_40 = player.run().trace().hash();
        let time_at_40 = player.time();
        player.step_forward();
        assert_eq!(player.run().steps(), 41);
        player.step_back();
        assert_eq!(player.run().steps(), 40);
        assert_eq!(player.run().trace().hash(), hash_at_40);
        assert_eq!(player.time(), time_at_40);
    }

    #[test]
    fn an_action_is_in_the_link_and_replays_identically() {
        let mut player = plain();
        player.seek_time(Time::from_millis(800));
        player.act(Action::Crash(NodeId(2)));
        player.seek_time(Time::from_millis(2_000));
        let link = player.scenario().encode();
        let mut again = Player::from_link(raft(), Some(&link));
        assert!(again.notice().is_none());
        again.seek_time(Time::from_millis(2_000));
        assert_eq!(again.run().trace().hash(), player.run().trace().hash());
    }

    #[test]
    fn acting_after_a_rewind_branches_the_run() {
        let mut player = plain();
        player.seek_time(Time::from_millis(1_000));
        player.act(Action::Crash(NodeId(0)));
        player.seek_time(Time::from_millis(500));
        player.act(Action::Crash(NodeId(1)));
        let actions: Vec<_> = player
            .scenario()
            .actions
            .iter()
            .map(|a| a.action.clone())
            .collect();
        assert_eq!(actions, vec![Action::Crash(NodeId(1))]);
        assert!(player.run().cluster().nodes[0].up);
        assert!(!player.run().cluster().nodes[1].up);
    }

    #[test]
    fn bad_links_fall_back_with_a_notice() {
        for link in ["garbage!", "AQ", "AQRyYWZ0"] {
            let player = Player::from_link(raft(), Some(link));
            assert!(
                player.notice().unwrap().contains("default scenario"),
                "{link}"
            );
            assert_eq!(player.scenario(), &Player::default_scenario(raft()));
        }
        let mut wrong_bug = Scenario::new("raft", 1);
        wrong_bug.bug = Some("no-such-bug".into());
        let player = Player::from_link(raft(), Some(&wrong_bug.encode()));
        assert!(player.notice().unwrap().contains("no-such-bug"));
    }

    #[test]
    fn switching_a_bug_keeps_the_instant() {
        let mut player = plain();
        player.seek_time(Time::from_millis(1_500));
        player.set_bug(Some("commit-old-term")).unwrap();
        assert_eq!(player.time(), Time::from_millis(1_500));
        assert_eq!(player.scenario().bug.as_deref(), Some("commit-old-term"));
        assert!(player.set_bug(Some("nope")).is_err());
    }

    #[test]
    fn commands_drive_the_player_and_errors_become_notices() {
        let mut player = plain();
        player.apply(Command::TogglePlay);
        assert!(player.playing());
        player.apply(Command::TogglePlay);
        assert!(!player.playing());
        player.apply(Command::Step);
        player.apply(Command::Step);
        assert_eq!(player.run().steps(), 2);
        player.apply(Command::StepBack);
        assert_eq!(player.run().steps(), 1);
        let servers = |player: &Player| {
            let cluster = player.run().cluster();
            cluster.nodes.iter().filter(|n| !n.client).count()
        };
        player.apply(Command::Param("nodes", 7));
        assert_eq!(servers(&player), 7);
        player.apply(Command::Param("nodes", 4));
        assert!(player.notice().unwrap().contains("nodes"));
        assert_eq!(servers(&player), 7, "a bad value changes nothing");
        player.apply(Command::Seed(99));
        assert_eq!(player.scenario().seed, 99);
    }

    /// What a person sees at an instant, whatever the trace has forgotten: the
    /// nodes, the table, the step count and the latest events.
    fn view(player: &Player) -> (String, u64, Vec<String>) {
        let run = player.run();
        let events = &run.trace().events;
        let latest = events[events.len().saturating_sub(200)..]
            .iter()
            .map(|e| run.trace().event_json(e))
            .collect();
        (
            format!("{:?}{:?}", run.cluster(), run.state_table()),
            run.steps(),
            latest,
        )
    }

    fn busy_raft() -> Player {
        let mut scenario = Scenario::new("raft", 1);
        scenario.set_param("rate", 50);
        scenario.set_param("nodes", 7);
        scenario.faults = distlab_core::sim::faults::FaultLevel::Heavy;
        Player::new(raft(), scenario).unwrap()
    }

    #[test]
    fn a_far_instant_is_reached_with_a_bounded_trace() {
        let mut player = busy_raft();
        player.keep_events = 5_000;
        player.seek_time(Time::from_millis(60_000));
        assert_eq!(player.time(), Time::from_millis(60_000));
        // The trace holds about the last KEEP_SPAN of the run, not all of it.
        let oldest = player.run().trace().events[0].time;
        assert!(
            oldest >= Time::from_millis(60_000 - KEEP_SPAN.as_micros() / 1_000 - 2_000),
            "the trace still holds {oldest}"
        );
        assert!(player.snapshots.len() > 4, "{}", player.snapshots.len());
        assert!(player.notice().is_none());
    }

    #[test]
    fn seeking_back_through_snapshots_shows_what_a_fresh_replay_shows() {
        let mut player = busy_raft();
        player.keep_events = 5_000;
        player.seek_time(Time::from_millis(40_000));
        // Inside the window, before it, and at the start of the run.
        for ms in [38_500, 20_000, 4_000, 100] {
            player.seek_time(Time::from_millis(ms));
            let mut fresh = busy_raft();
            fresh.seek_time(Time::from_millis(ms));
            assert_eq!(view(&player), view(&fresh), "at {ms} ms");
        }
        // Forward again over a stretch already run: from a snapshot ahead.
        player.seek_time(Time::from_millis(38_000));
        let mut fresh = busy_raft();
        fresh.seek_time(Time::from_millis(38_000));
        assert_eq!(view(&player), view(&fresh), "forward to 38 s");
        // Step back from a point past several snapshots, then forward again.
        player.seek_time(Time::from_millis(30_000));
        let steps = player.run().steps();
        player.step_back();
        assert_eq!(player.run().steps(), steps - 1);
        player.step_forward();
        let mut fresh = busy_raft();
        fresh.seek_time(Time::from_millis(30_000));
        assert_eq!(view(&player), view(&fresh));
    }

    #[test]
    fn an_action_after_a_seek_back_reaches_the_snapshots() {
        let mut player = busy_raft();
        player.seek_time(Time::from_millis(5_000));
        player.act(Action::Crash(NodeId(3)));
        player.seek_time(Time::from_millis(9_000));
        player.seek_time(Time::from_millis(6_000));
        assert!(!player.run().cluster().nodes[3].up || player.run().steps() > 0);
        let link = player.scenario().encode();
        let mut again = Player::from_link(raft(), Some(&link));
        again.seek_time(Time::from_millis(6_000));
        assert_eq!(view(&player), view(&again));
    }

    #[test]
    fn as_fast_as_possible_runs_a_budget_of_steps_per_frame() {
        let mut player = busy_raft();
        player.set_speed(AS_FAST_AS_POSSIBLE);
        player.play();
        assert!(player.advance(16.0, 2_000));
        assert_eq!(player.run().steps(), 2_000);
        assert_eq!(player.time(), player.run().now());
        player.set_speed(100.0);
        let before = player.time();
        assert!(player.advance(16.0, u64::MAX));
        assert_eq!(player.time(), before.after(Duration::from_millis(1_600)));
    }

    #[test]
    fn a_counterexample_opens_one_step_before_its_violation() {
        let preset = raft().preset("figure-8-unsafe").unwrap();
        let scenario = raft().preset_scenario(preset);
        let mut run = (raft().build)(&scenario, RunOptions::default()).unwrap();
        let violation = run.run_until_violation(Time::from_millis(1_500)).unwrap();
        let mut player = plain();
        player.open(scenario.clone(), violation.time, true).unwrap();
        assert!(player.run().violations().is_empty());
        assert_eq!(player.run().steps() + 1, violation.step);
        let ahead = player.ahead().expect("the violation is ahead").clone();
        assert_eq!((ahead.step, ahead.time), (violation.step, violation.time));
        assert!(
            ahead.what.starts_with(violation.invariant),
            "{}",
            ahead.what
        );
        player.step_forward();
        assert_eq!(player.run().violations().len(), 1);
        assert_eq!(
            player.ahead(),
            None,
            "reached: it is the latest violation now"
        );
        player.step_back();
        assert!(player.ahead().is_some(), "and ahead again one step back");
        // At the violation when asked, and nothing is kept ahead.
        player.open(scenario, violation.time, false).unwrap();
        assert!(!player.run().violations().is_empty());
        assert_eq!(player.ahead(), None);
    }

    #[test]
    fn an_explored_counterexample_opens_and_steps_back_whole_steps() {
        // `distlab explore raft --bug forget-vote-on-restart`'s counterexample:
        // each millisecond releases a held message, which is delivered in the
        // same step of the run (two steps of the count).
        let link = "AQRyYWZ0AAAWZm9yZ2V0LXZvdGUtb24tcmVzdGFydAAEB2NsaWVudHMABGRyb3AABW5vZGVzBgRyYXRlAAkAEegHEwAA6AcSAADoBxICAOgHEwIA6AcAAOgHAQDoBxIFAOgHEgcA";
        let scenario = Scenario::decode(link).unwrap();
        let mut player = plain();
        player.open(scenario, Time::from_millis(8), true).unwrap();
        assert!(player.run().violations().is_empty());
        assert_eq!(player.time(), Time::from_millis(7));
        let ahead = player.ahead().expect("the violation is ahead");
        assert_eq!((ahead.step, ahead.time), (16, Time::from_millis(8)));
        player.step_forward();
        assert_eq!(player.run().violations().len(), 1);
        player.step_back();
        assert_eq!(player.time(), Time::from_millis(7), "back a whole step");
        assert!(player.run().violations().is_empty());
    }

    #[test]
    fn the_hunt_draws_the_picked_faults() {
        let mut player = plain();
        assert_eq!(player.hunt().faults, FaultLevel::Heavy);
        player.apply(Command::HuntFaults(FaultLevel::Light));
        player.apply(Command::Hunt);
        assert!(player.hunt().running);
        assert_eq!(player.hunt().faults, FaultLevel::Light);
        let task = player.take_task().unwrap();
        assert!(
            task.0.starts_with("hunt ") && task.0.ends_with(" 2000 light"),
            "{task:?}"
        );
    }

    #[test]
    fn narration_follows_the_clock() {
        let mut player = Player::new(raft(), Player::default_scenario(raft())).unwrap();
        let first = player.narration().unwrap().text;
        player.seek_time(Time::from_millis(900));
        assert_ne!(player.narration().unwrap().text, first);
    }
}
