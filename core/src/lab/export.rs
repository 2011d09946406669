//! A run's trace as JSON lines: what `distlab run --json` prints and what a page
//! exports, from one function so the two are the same bytes.
//!
//! A page keeps only a window of its trace (see the player), so an export replays
//! the scenario from the start with the trace on, as the command line does; the
//! replay is deterministic, so it is the run the page shows.

use crate::sim::time::Time;
use crate::sim::trace::Trace;

use super::run::{Run, RunOptions};
use super::scenario::Scenario;
use super::topic::{BuildError, TopicInfo};

/// The most events an export holds (about 200 MB of text); a longer run is
/// exported up to there, and [`Export::complete`] says so.
pub const MAX_EVENTS: usize = 1_000_000;

/// The replayed run of `scenario` up to and including `until`, with its whole
/// trace. Seeded plans are drawn to `until`: a plan's prefix does not depend on
/// how far it is drawn, so this is the same run however far the page went.
pub fn replay(
    topic: &TopicInfo,
    scenario: &Scenario,
    until: Time,
) -> Result<Box<dyn Run>, BuildError> {
    let options = RunOptions {
        horizon: until,
        ..RunOptions::default()
    };
    let mut run = (topic.build)(scenario, options)?;
    run.run_until(until);
    Ok(run)
}

/// The JSON lines of a trace, and whether they are all of it.
pub struct Export {
    pub text: String,
    pub events: usize,
    pub complete: bool,
}

/// The JSON lines of `trace`'s events, one per line, each ending in a newline.
pub fn json_lines(trace: &Trace) -> Export {
    let events = trace.events.len().min(MAX_EVENTS);
    let mut text = String::new();
    for event in &trace.events[..events] {
        text.push_str(&trace.event_json(event));
        text.push('\n');
    }
    Export {
        text,
        events,
        complete: events == trace.events.len(),
    }
}

/// The trace of `scenario` up to `until` as JSON lines.
pub fn trace_until(
    topic: &TopicInfo,
    scenario: &Scenario,
    until: Time,
) -> Result<Export, BuildError> {
    Ok(json_lines(replay(topic, scenario, until)?.trace()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog;
    use crate::sim::trace_import;

    /// Every topic's preset, exported and read back, writes the same bytes: the
    /// file a page exports is the file it can import.
    #[test]
    fn every_preset_exports_and_reads_back_byte_for_byte() {
        for topic in catalog::TOPICS {
            for preset in topic.presets() {
                let scenario = topic.preset_scenario(preset);
                let export = trace_until(topic, &scenario, Time::from_millis(3_000)).unwrap();
                assert!(
                    export.complete && export.events > 0,
                    "{} {}",
                    topic.slug,
                    preset.name
                );
                let imported = trace_import::read(&export.text);
                assert_eq!(
                    imported.skipped, 0,
                    "{} {}: {:?}",
                    topic.slug, preset.name, imported.problems
                );
                let again = json_lines(&imported.trace);
                assert!(
                    again.text == export.text,
                    "{} {} does not read back",
                    topic.slug,
                    preset.name
                );
            }
        }
    }
}
