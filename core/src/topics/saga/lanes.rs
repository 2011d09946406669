//! The saga lanes drawn under the timeline: one row per saga, so a saga reads
//! from left to right as Garcia-Molina and Salem write it (section 1):
//! T_1..T_j, the step that failed, then C_j..C_1. Each forward step is a bar
//! from the end of the step before (the saga's start for T_1) to its
//! booking; the refusal is a mark; each compensation is a bar from the end of
//! the one before (the refusal for the first) to its cancellation, labelled
//! with its step, so the order of the compensations is read off the lane (and
//! `compensate-in-forward-order` shows as C1 before C2). Retries of
//! compensations are ticks under the row.
//!
//! Everything comes from what the processes keep durably in both modes: the
//! saga log of node 0 (start and end) and the services' databases (when each
//! step was booked, refused or cancelled), plus the retries the senders
//! record for the view.

use crate::sim::time::Time;
use crate::sim::view::{LaneBar, LaneMark, Palette, Swimlane, Swimlanes};
use crate::sim::world::Simulation;

use super::checker::SagaChecker;
use super::message::{SagaId, Step};
use super::node::SagaNode;
use super::saga_log::{Outcome, SagaState};
use super::service::Service;

/// The most sagas with a lane: the latest ones (by start) that overlap the
/// window.
pub const SAGA_LANES: usize = 10;

/// The lanes of the latest [`SAGA_LANES`] sagas that ran between `since` and
/// now, oldest on top; `None` before any saga started.
pub fn lanes(simulation: &Simulation<SagaNode, SagaChecker>, since: Time) -> Option<Swimlanes> {
    let nodes = simulation.nodes();
    let now = simulation.now();
    let log = nodes.first().and_then(SagaNode::saga_log)?;
    let services: Vec<&Service> = nodes.iter().filter_map(SagaNode::service).collect();
    let mut retries: Vec<&[(SagaId, Time)]> = services
        .iter()
        .map(|service| service.compensation_retries())
        .collect();
    if let Some(orchestrator) = nodes.first().and_then(SagaNode::orchestrator) {
        retries.push(orchestrator.compensation_retries());
    }
    let mut shown: Vec<&SagaState> = log
        .sagas()
        .iter()
        .filter(|s| s.started_at <= now && s.finished_at.is_none_or(|end| end >= since))
        .collect();
    if shown.is_empty() {
        return None;
    }
    crate::sort::sort_stably_by(&mut shown, |s| s.started_at.as_micros());
    let first = shown.len().saturating_sub(SAGA_LANES);
    let lanes = shown[first..]
        .iter()
        .map(|state| lane(state, &services, &retries))
        .collect();
    Some(Swimlanes {
        title: "Sagas".into(),
        caption: "a lane per saga: T_k booked, the refusal, then C_k cancelled in the order they ran (ticks: a compensation sent again)".into(),
        lanes,
    })
}

/// The lane of one saga.
fn lane(state: &SagaState, services: &[&Service], retries: &[&[(SagaId, Time)]]) -> Swimlane {
    let saga = state.saga;
    let entries: Vec<(Step, _)> = services
        .iter()
        .filter_map(|service| Some((service.step(), *service.database().entry(saga)?)))
        .collect();
    let mut booked: Vec<(Time, Step)> = entries
        .iter()
        .filter_map(|(step, entry)| Some((entry.booked_at?, *step)))
        .collect();
    crate::sort::sort_stably_by(&mut booked, |(at, _)| at.as_micros());
    let mut cancelled: Vec<(Time, Step)> = entries
        .iter()
        .filter_map(|(step, entry)| Some((entry.cancelled_at?, *step)))
        .collect();
    crate::sort::sort_stably_by(&mut cancelled, |(at, _)| at.as_micros());
    let refused = entries
        .iter()
        .find_map(|(step, entry)| Some((entry.refused_at?, *step)));

    let mut bars = Vec::new();
    let mut marks = Vec::new();
    let mut story = Vec::new();
    // Each bar starts where the one before ended: the lane is one line of
    // time, and the order of the labels is the order the steps ran in.
    let mut from = state.started_at;
    let mut bar = |from: &mut Time, to: Option<Time>, label: String, palette: Palette| {
        let start = (*from).min(to.unwrap_or(*from));
        bars.push(LaneBar {
            from: start,
            to,
            label,
            palette,
        });
        if let Some(to) = to {
            *from = to.max(*from);
        }
    };
    for &(at, step) in &booked {
        bar(&mut from, Some(at), format!("T{}", step.0), Palette::Done);
        story.push(format!("T{}", step.0));
    }
    if let Some((at, step)) = refused {
        marks.push(LaneMark {
            at,
            label: format!("T{} refused", step.0),
            palette: Palette::Faulty,
        });
        story.push(format!("T{} refused", step.0));
        from = from.max(at);
    }
    for &(at, step) in &cancelled {
        bar(
            &mut from,
            Some(at),
            format!("C{}", step.0),
            Palette::Suspect,
        );
        story.push(format!("C{}", step.0));
    }
    // What the saga is waiting for, open to the right.
    let aborting = refused.is_some() || state.failed.is_some();
    match state.outcome {
        None if !aborting && booked.len() < services.len() => {
            bar(
                &mut from,
                None,
                format!("T{}", booked.len() + 1),
                Palette::Contend,
            );
        }
        None if aborting && cancelled.len() < booked.len() => {
            bar(&mut from, None, "C…".into(), Palette::Suspect);
        }
        _ => {}
    }
    if let (Some(outcome), Some(at)) = (state.outcome, state.finished_at) {
        marks.push(LaneMark {
            at,
            label: outcome.as_str().into(),
            palette: match outcome {
                Outcome::Completed => Palette::Done,
                Outcome::Compensated => Palette::Plain,
            },
        });
    }
    let ticks: Vec<Time> = retries
        .iter()
        .flat_map(|list| list.iter())
        .filter(|(s, _)| *s == saga)
        .map(|&(_, at)| at)
        .collect();
    let ending = match state.outcome {
        Some(outcome) => outcome.as_str(),
        None => "in progress",
    };
    Swimlane {
        label: saga.to_string(),
        detail: format!(
            "{saga}: {}; {ending}; {} compensation retries",
            story.join(" "),
            ticks.len()
        ),
        bars,
        marks,
        ticks,
    }
}
