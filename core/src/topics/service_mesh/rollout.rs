//! The catalog's canary rollout, run by the frontend's sidecar: the weights
//! of an Envoy weighted cluster (`v1` and `v2`) stepped 5% → 50% → 100% of
//! the traffic, one step per interval, and rolled back to 0% as soon as the
//! canary's error rate over a sliding window passes a threshold, as
//! progressive-delivery controllers (Flagger, Argo Rollouts) do from the
//! mesh's metrics. A rollback is final: the canary gets no traffic until a
//! new rollout.

use crate::sim::time::{Duration, Time};

/// The canary's share of the traffic at each step, in percent.
pub const WEIGHTS: [u32; 3] = [5, 50, 100];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RolloutConfig {
    /// How long each step lasts before the next (and, after 100%, before
    /// the canary is promoted).
    pub step: Duration,
    /// The window the error rate is measured over.
    pub window: Duration,
    /// The error rate, in percent, at or above which the canary is rolled back.
    pub threshold_percent: u32,
    /// Outcomes the window must hold before it may roll back.
    pub minimum_calls: u32,
    /// Whether a breach rolls back (always, but for the tests that show
    /// the checker catching a rollout that does not).
    pub rollback: bool,
}

/// Where the rollout is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// At step `step` (an index into [`WEIGHTS`]).
    Canary { step: usize },
    /// The canary took all the traffic for a whole step without failing: it
    /// is the new stable version, and the analysis is over.
    Promoted,
    /// Rolled back at `at`: 0% to the canary from then on.
    RolledBack { at: Time },
}

/// Why the rollout rolled back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rollback {
    pub failed: u32,
    pub calls: u32,
}

/// The rollout's state. It is configuration the control plane keeps, so a
/// crash of the sidecar does not reset it.
#[derive(Clone, Debug)]
pub struct Rollout {
    config: RolloutConfig,
    phase: Phase,
    /// The canary's outcomes in the window: (when, succeeded).
    window: Vec<(Time, bool)>,
    /// Every outcome analysed, in order (for the checker, which keeps its
    /// own window over it).
    analysed: Vec<(Time, bool)>,
}

impl Rollout {
    pub fn new(config: RolloutConfig) -> Self {
        Rollout {
            config,
            phase: Phase::Canary { step: 0 },
            window: Vec::new(),
            analysed: Vec::new(),
        }
    }

    pub fn config(&self) -> &RolloutConfig {
        &self.config
    }

    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// The canary's weight now, in percent.
    pub fn weight(&self) -> u32 {
        match self.phase {
            Phase::Canary { step } => WEIGHTS[step.min(WEIGHTS.len() - 1)],
            Phase::Promoted => 100,
            Phase::RolledBack { .. } => 0,
        }
    }

    /// The step number the next step timer carries.
    pub fn next_step(&self) -> Option<u32> {
        match self.phase {
            Phase::Canary { step } => Some(step as u32 + 1),
            _ => None,
        }
    }

    pub fn analysed(&self) -> &[(Time, bool)] {
        &self.analysed
    }

    /// (failed, calls) in the window as of its last outcome.
    pub fn failures(&self) -> (u32, u32) {
        let failed = self.window.iter().filter(|(_, ok)| !ok).count() as u32;
        (failed, self.window.len() as u32)
    }

    /// Step timer `step` fired: move to it (or promote after the last). A
    /// stale timer (from before a rollback or a restart) changes nothing.
    pub fn on_step(&mut self, step: u32) -> bool {
        if self.next_step() != Some(step) {
            return false;
        }
        let step = step as usize;
        self.phase = if step < WEIGHTS.len() {
            Phase::Canary { step }
        } else {
            Phase::Promoted
        };
        true
    }

    /// An attempt routed to the canary ended at `now`. During the analysis
    /// the outcome goes into the window; a rate at or over the threshold
    /// rolls the canary back at once.
    pub fn on_outcome(&mut self, now: Time, ok: bool) -> Option<Rollback> {
        if !matches!(self.phase, Phase::Canary { .. }) {
            return None;
        }
        self.analysed.push((now, ok));
        self.window.push((now, ok));
        let window = self.config.window;
        self.window.retain(|&(at, _)| now.since(at) < window);
        let (failed, calls) = self.failures();
        if self.config.rollback
            && calls >= self.config.minimum_calls
            && failed * 100 >= self.config.threshold_percent * calls
        {
            self.phase = Phase::RolledBack { at: now };
            return Some(Rollback { failed, calls });
        }
        None
    }
}
