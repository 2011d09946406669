//! Hunting and shrinking from the page: the tasks given to the route's worker
//! bundle (the `worker` crate, started by the release site's loader and fetched on
//! first use) and what the page knows of them, read from the lines the worker posts
//! (`distlab_core::lab::hunt` writes them). Besides those, `static/worker.js`
//! posts `hunt DONE ELAPSED_MS` (whole milliseconds) after each range of seeds
//! and `end` when the hunt is over. The player keeps the [`HuntState`]; the
//! player hook starts and stops the worker.

use distlab_core::explore::lines::PAGE_DEPTH;
use distlab_core::lab::shrink::RunSize;
use distlab_core::sim::faults::FaultLevel;
use distlab_core::sim::time::{Duration, Time};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// Seeds one hunt sweeps.
pub const SEEDS: u32 = 2_000;

/// Work for the worker, as the line `static/worker.js` reads: `hunt LINK SEEDS
/// FAULTS`, `shrink LINK UNTIL_MICROS`, or `smallest LINK FAULTS SEED MICROS...`
/// (a hunt's failing seeds and their violations' instants).
#[derive(Clone, Debug, PartialEq)]
pub struct Task(pub String);

impl Task {
    /// A hunt over the settings of the scenario `link`, drawing `faults` from
    /// each seed.
    pub fn hunt(link: &str, faults: FaultLevel) -> Task {
        Task(format!("hunt {link} {SEEDS} {}", faults.as_str()))
    }

    /// A shrink of the run `link` up to one microsecond past its violation (so
    /// the violating step still runs).
    pub fn shrink(link: &str, violation: Time) -> Task {
        Task(format!(
            "shrink {link} {}",
            violation.after(Duration(1)).as_micros()
        ))
    }

    /// An exploration of the topic and bug of `link`, to the page's depth.
    pub fn explore(link: &str) -> Task {
        Task(format!("explore {link} {PAGE_DEPTH}"))
    }

    /// A shrink of a hunt's soonest failures, keeping the smallest, as
    /// `distlab check --shrink` does.
    pub fn shrink_found(link: &str, faults: FaultLevel, found: &[Found]) -> Task {
        let mut line = format!("smallest {link} {}", faults.as_str());
        for found in found {
            line.push_str(&format!(" {} {}", found.seed, found.time.as_micros()));
        }
        Task(line)
    }
}

/// A worker at work and the handler of its lines.
pub type Worker = (JsValue, Closure<dyn FnMut(String)>);

/// Ends a worker's work; its handler stays until the next task replaces it (it
/// may be the code running now).
pub fn terminate(worker: &JsValue) {
    let terminate = js_sys::Reflect::get(worker, &"terminate".into());
    if let Some(terminate) = terminate
        .ok()
        .and_then(|t| t.dyn_into::<js_sys::Function>().ok())
    {
        let _ = terminate.call0(worker);
    }
}

/// Starts `task` in a worker made by the release site's loader (`distlabWorker`),
/// giving its lines to `on_lines`; `Err` says why it cannot (the development
/// build has no worker bundles).
pub fn start(task: &Task, on_lines: Closure<dyn FnMut(String)>) -> Result<Worker, String> {
    let make = web_sys::window()
        .and_then(|window| js_sys::Reflect::get(&window, &"distlabWorker".into()).ok())
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        .ok_or("hunts need the release site's Web Worker (scripts/build)")?;
    let worker = make
        .call2(
            &JsValue::NULL,
            &JsValue::from_str(&task.0),
            on_lines.as_ref(),
        )
        .ok()
        .filter(JsValue::is_object)
        .ok_or("the worker could not start")?;
    Ok((worker, on_lines))
}

/// A seed the hunt found failing.
#[derive(Clone, Debug, PartialEq)]
pub struct Found {
    pub seed: u64,
    pub invariant: String,
    pub time: Time,
}

/// What a shrink has done so far, or its result.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ShrinkState {
    pub running: bool,
    /// The last stage reported, its actions and the runs tried so far.
    pub stage: String,
    pub actions: u64,
    pub trials: u64,
    /// The shrunk scenario's link and the invariant it breaks.
    pub link: Option<(String, String)>,
    pub before: Option<RunSize>,
    pub after: Option<RunSize>,
}

/// What an exploration has done so far, or its result.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ExploreState {
    pub running: bool,
    /// The level being explored and the distinct states seen so far.
    pub depth: u64,
    pub unique: u64,
    /// Every state within `depth` steps holds every invariant.
    pub clean: bool,
    /// The shortest counterexample's link, its invariant and its steps.
    pub found: Option<(String, String, u64)>,
    /// Random walks taken, for a bug the explorer finds by walking.
    pub walks: u64,
    /// The steps of the walk that found `found`, before minimizing; `None` if
    /// breadth-first search found it (so no path is shorter).
    pub walked: Option<u64>,
}

/// What the Hunt panel shows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HuntState {
    /// The scenario the hunt sweeps (encoded): found seeds replay its settings.
    pub base: String,
    /// The random faults each seed draws (the player starts it at heavy).
    pub faults: FaultLevel,
    pub running: bool,
    pub done: u64,
    pub seeds_per_second: u64,
    pub found: Vec<Found>,
    pub shrink: ShrinkState,
    pub explore: ExploreState,
    /// Why the last task could not be done, if it could not.
    pub problem: Option<String>,
}

/// A run's size from the words `ACTIONS EVENTS MICROS`.
fn run_size(actions: &str, events: &str, micros: &str) -> Option<RunSize> {
    Some(RunSize {
        actions: actions.parse().ok()?,
        events: events.parse().ok()?,
        time: Time(micros.parse().ok()?),
    })
}

impl HuntState {
    /// Whether a hunt or a shrink is under way.
    pub fn busy(&self) -> bool {
        self.running || self.shrink.running || self.explore.running
    }

    /// Reads the worker's lines (see the module's documentation). Lines it does
    /// not know are dropped.
    pub fn absorb(&mut self, lines: &str) {
        for line in lines.lines() {
            if let Some(problem) = line.strip_prefix("error: ") {
                self.problem = Some(problem.to_string());
                self.running = false;
                self.shrink.running = false;
                self.explore.running = false;
                continue;
            }
            let words: Vec<&str> = line.split(' ').collect();
            match words.as_slice() {
                ["hunt", done, elapsed_ms] => {
                    if let (Ok(done), Ok(elapsed_ms)) = (done.parse(), elapsed_ms.parse::<u64>()) {
                        self.done = done;
                        self.seeds_per_second = done * 1000 / elapsed_ms.max(1);
                    }
                }
                ["found", seed, invariant, micros] => {
                    if let (Ok(seed), Ok(micros)) = (seed.parse(), micros.parse()) {
                        self.found.push(Found {
                            seed,
                            invariant: invariant.to_string(),
                            time: Time(micros),
                        });
                    }
                }
                ["end"] => self.running = false,
                ["explored", depth, _, unique] => {
                    self.explore.depth = depth.parse().unwrap_or(0);
                    self.explore.unique = unique.parse().unwrap_or(0);
                }
                ["walked", walks, _] => self.explore.walks = walks.parse().unwrap_or(0),
                ["clean" | "clean-walks", count, depth] => {
                    let count = count.parse().unwrap_or(0);
                    if words[0] == "clean" {
                        self.explore.unique = count;
                    } else {
                        self.explore.walks = count;
                    }
                    self.explore.depth = depth.parse().unwrap_or(0);
                    self.explore.clean = true;
                    self.explore.running = false;
                }
                ["counterexample", link, invariant, steps, walked @ ..] if walked.len() < 2 => {
                    let steps = steps.parse().unwrap_or(0);
                    self.explore.walked = walked.first().and_then(|w| w.parse().ok());
                    self.explore.found = Some((link.to_string(), invariant.to_string(), steps));
                    self.explore.running = false;
                }
                ["stage", stage, actions, trials] => {
                    self.shrink.stage = stage.replace('-', " ");
                    self.shrink.actions = actions.parse().unwrap_or(0);
                    self.shrink.trials = trials.parse().unwrap_or(0);
                }
                ["shrunk", link, invariant, a0, e0, t0, a1, e1, t1] => {
                    self.shrink.link = Some((link.to_string(), invariant.to_string()));
                    self.shrink.before = run_size(a0, e0, t0);
                    self.shrink.after = run_size(a1, e1, t1);
                    self.shrink.running = false;
                }
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use distlab_core::catalog;
    use distlab_core::lab::hunt::{hunt_lines, replay_of, shrink_lines};
    use distlab_core::lab::scenario::Scenario;
    use distlab_core::lab::shrink;
    use distlab_core::sim::faults::FaultLevel;
    use distlab_core::sim::time::Duration;

    use super::*;

    fn hunted(bug: &str) -> (Scenario, HuntState) {
        let mut scenario = Scenario::new("raft", 1);
        scenario.bug = Some(bug.to_string());
        let mut state = HuntState {
            running: true,
            ..HuntState::default()
        };
        let lines = hunt_lines(catalog::topics(), &scenario.encode(), 0, 40, "heavy");
        state.absorb(&format!("hunt 40 2000\n{lines}"));
        state.absorb("end");
        (scenario, state)
    }

    #[test]
    fn the_hunt_lines_read_back() {
        let (_, state) = hunted("vote-without-log-check");
        assert!(!state.running);
        assert_eq!((state.done, state.seeds_per_second), (40, 20));
        assert!(!state.found.is_empty());
        let invariants = catalog::find("raft").unwrap().invariants;
        assert!(state
            .found
            .iter()
            .all(|f| invariants.iter().any(|i| i.name == f.invariant)));
        assert_eq!(state.problem, None);
    }

    #[test]
    fn tasks_are_the_lines_the_worker_script_reads() {
        assert_eq!(Task::hunt("L", FaultLevel::Heavy).0, "hunt L 2000 heavy");
        assert_eq!(Task::hunt("L", FaultLevel::Light).0, "hunt L 2000 light");
        assert_eq!(Task::shrink("L", Time(41)).0, "shrink L 42");
        let found = |seed, micros| Found {
            seed,
            invariant: "x".into(),
            time: Time(micros),
        };
        assert_eq!(
            Task::shrink_found("L", FaultLevel::Crashes, &[found(3, 7), found(9, 1)]).0,
            "smallest L crashes 3 7 9 1"
        );
    }

    #[test]
    fn the_explore_lines_read_back() {
        let mut scenario = Scenario::new("raft", 1);
        scenario.bug = Some("forget-vote-on-restart".into());
        assert_eq!(Task::explore("L").0, "explore L 10");
        let mut state = HuntState::default();
        state.explore.running = true;
        let explorers = distlab_core::explore::EXPLORERS;
        let line =
            distlab_core::explore::lines::explore_lines(explorers, &scenario.encode(), 9, |line| {
                state.absorb(line)
            });
        assert!(state.explore.running && state.explore.unique > 0);
        state.absorb(&line);
        let (link, invariant, steps) = state.explore.found.clone().expect("found");
        assert!(!state.busy());
        assert_eq!((invariant.as_str(), steps), ("election-safety", 8));
        assert!(Scenario::decode(&link).is_ok());
        assert_eq!(state.explore.walked, None);
        let mut clean = HuntState::default();
        clean.absorb("clean 1234 9");
        assert!(clean.explore.clean && clean.explore.unique == 1234);
    }

    /// `commit-old-term` is found by random walks: the panel reads their
    /// progress and the walk's length before minimizing.
    #[test]
    fn walks_read_back_as_the_core_result() {
        let (scenario, mut state) = hunted("commit-old-term");
        state.explore.running = true;
        let explorers = distlab_core::explore::EXPLORERS;
        let line =
            distlab_core::explore::lines::explore_lines(explorers, &scenario.encode(), 9, |line| {
                state.absorb(line)
            });
        assert!(state.explore.walks > 0, "{line}");
        state.absorb(&line);
        let (_, invariant, steps) = state.explore.found.clone().expect("found");
        assert_eq!(invariant, "leader-completeness");
        let walked = state.explore.walked.expect("found by a walk");
        assert!(steps <= walked && steps < 30, "{steps} of {walked}");
        let mut clean = HuntState::default();
        clean.absorb("clean-walks 500 60");
        assert!(clean.explore.clean && clean.explore.walks == 500);
        assert_eq!((clean.explore.unique, clean.explore.depth), (0, 60));
    }

    #[test]
    fn unknown_or_broken_lines_are_dropped() {
        let mut state = HuntState::default();
        state.absorb("found x y z\nhunt 3\nstage\nshrunk a b 1 2\nwhat\n");
        assert_eq!(state, HuntState::default());
        state.running = true;
        state.absorb("error: the link is not a scenario");
        assert!(!state.running);
        assert_eq!(state.problem.as_deref(), Some("the link is not a scenario"));
    }

    #[test]
    fn the_shrink_lines_read_back_as_the_core_result() {
        let (scenario, mut state) = hunted("vote-without-log-check");
        let found = state.found[0].clone();
        let replay = replay_of(&scenario, found.seed, FaultLevel::Heavy);
        let until = found.time.after(Duration(1));
        state.shrink.running = true;
        let mut stages = 0;
        let lines = shrink_lines(catalog::topics(), &replay.encode(), until, |line| {
            stages += 1;
            state.absorb(line);
        });
        assert!(stages >= 3, "{lines}");
        assert!(
            state.shrink.running,
            "progress alone does not end the shrink"
        );
        state.absorb(&lines);
        let topic = catalog::find("raft").unwrap();
        let expected = shrink::shrink(topic, &replay, until, |_| {}).unwrap();
        assert!(!state.shrink.running);
        assert_eq!(
            state.shrink.link,
            Some((
                expected.scenario.encode(),
                expected.violation.invariant.to_string()
            ))
        );
        assert_eq!(state.shrink.before, Some(expected.before));
        assert_eq!(state.shrink.after, Some(expected.after));
        assert_eq!(state.shrink.trials, u64::from(expected.trials));
        assert_eq!(found.invariant, expected.violation.invariant);
    }
}
