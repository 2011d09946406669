//! `distlab explore TOPIC`: exhaustive, bounded model checking of a topic's
//! nodes ([`distlab_core::explore`]), or random walks with `--walks N` for
//! deeper bugs, with progress on stderr and the counterexample (the shortest,
//! or a walk's path minimized), its steps and its replay command on stdout.

use std::process::ExitCode;
use std::time::Instant;

use distlab_core::explore::{self, Bounds, ExploreRequest, Progress};

use crate::args::{Args, UsageError};

pub const OPTIONS: &[&str] = &[
    "nodes", "depth", "crashes", "requests", "clients", "bug", "jobs", "walks",
];
pub const FLAGS: &[&str] = &["drop", "duplicate", "no-symmetry"];

/// Bounds from the command line over `defaults`.
fn bounds(args: &Args, defaults: Bounds) -> Result<Bounds, UsageError> {
    let small = |name: &str, default: u32| -> Result<u32, UsageError> {
        match args.number(name)? {
            None => Ok(default),
            Some(value) => u32::try_from(value)
                .map_err(|_| UsageError(format!("--{name} {value} is too large"))),
        }
    };
    let bounds = Bounds {
        nodes: small("nodes", defaults.nodes as u32)? as usize,
        depth: small("depth", defaults.depth)?,
        crashes: small("crashes", defaults.crashes)?,
        requests: small("requests", defaults.requests)?,
        clients: small("clients", defaults.clients)?,
        drop: defaults.drop || args.flag("drop"),
        duplicate: defaults.duplicate || args.flag("duplicate"),
        walks: small("walks", defaults.walks)?,
    };
    if bounds.requests > 32 {
        return Err(UsageError("--requests is at most 32".into()));
    }
    Ok(bounds)
}

pub fn explore(args: &Args) -> Result<ExitCode, UsageError> {
    let topic = args.topic()?;
    let explorer = explore::find(topic.slug).ok_or_else(|| {
        let names: Vec<&str> = explore::EXPLORERS.iter().map(|e| e.slug).collect();
        UsageError(format!(
            "{} cannot be explored yet; these can: {}",
            topic.slug,
            names.join(", ")
        ))
    })?;
    let bug = args.value("bug").map(str::to_string);
    if let Some(bug) = &bug {
        if topic.bug(bug).is_none() {
            return Err(UsageError(format!("{} has no bug '{bug}'", topic.slug)));
        }
    }
    // A bug's bounds say what finding it takes (a crash, two requests, walks).
    let defaults = bug
        .as_deref()
        .and_then(explorer.bug_bounds)
        .unwrap_or(explorer.default_bounds);
    let bounds = bounds(args, defaults)?;
    let jobs = match args.number("jobs")? {
        Some(0) => return Err(UsageError("--jobs must be at least 1".into())),
        Some(jobs) => jobs as usize,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let request = ExploreRequest {
        bounds,
        bug,
        jobs,
        symmetry: !args.flag("no-symmetry"),
    };
    let started = Instant::now();
    let mut last_print = 0.0;
    let mut on_progress = |progress: &Progress| {
        let elapsed = started.elapsed().as_secs_f64();
        if elapsed - last_print >= 1.0 {
            last_print = elapsed;
            if progress.walks > 0 {
                eprintln!(
                    "{} walks, {} steps ({:.0} steps/s)",
                    progress.walks,
                    progress.generated,
                    progress.generated as f64 / elapsed.max(1e-9)
                );
            } else {
                eprintln!(
                    "depth {}: {} states, {} unique ({:.0} unique/s), {} new at this depth",
                    progress.depth,
                    progress.generated,
                    progress.unique,
                    progress.unique as f64 / elapsed.max(1e-9),
                    progress.frontier
                );
            }
        }
        true
    };
    let report =
        (explorer.explore)(&request, &mut on_progress).map_err(|e| UsageError(e.to_string()))?;
    let elapsed = started.elapsed().as_secs_f64();
    if report.walks > 0 {
        eprintln!(
            "{} walks, {} steps in {:.2} s ({:.0} steps/s, {} threads)",
            report.walks,
            report.generated,
            elapsed,
            report.generated as f64 / elapsed.max(1e-9),
            jobs
        );
    } else {
        eprintln!(
            "{} states, {} unique in {:.2} s ({:.0} states/s, {:.0} unique/s, {} threads)",
            report.generated,
            report.unique,
            elapsed,
            report.generated as f64 / elapsed.max(1e-9),
            report.unique as f64 / elapsed.max(1e-9),
            jobs
        );
    }
    let Some(found) = report.counterexample else {
        if report.walks > 0 {
            // Walks sample paths: a clean result proves nothing about the rest.
            println!(
                "{}: {} random walks of at most {} steps, 0 violations",
                topic.slug, report.walks, report.depth
            );
            return Ok(ExitCode::SUCCESS);
        }
        let reach = if report.exhausted {
            format!(
                "all reachable states (every path ends by depth {})",
                report.depth
            )
        } else {
            format!("to depth {}", report.depth)
        };
        println!(
            "{}: {} unique states {reach}, 0 violations",
            topic.slug, report.unique
        );
        return Ok(ExitCode::SUCCESS);
    };
    let how = match found.walked {
        None => "the shortest path".to_string(),
        Some(walked) => format!(
            "random walk no. {}, {walked} steps, minimized",
            report.walks
        ),
    };
    println!(
        "{}: {} violated after {} step{} ({how}): {}",
        topic.slug,
        found.invariant,
        found.steps.len(),
        if found.steps.len() == 1 { "" } else { "s" },
        found.message
    );
    for (k, step) in found.steps.iter().enumerate() {
        println!("  {:>2}. {step}", k + 1);
    }
    let link = found.scenario.encode();
    let millis = found.time.as_micros() / 1000;
    println!(
        "  replay: distlab run {} --scenario {link} --until-ms {millis}",
        topic.slug
    );
    // Paused on the step before the violation, so the next step shows it.
    println!(
        "  link: #/{}?s={link}&t={}",
        topic.slug,
        millis.saturating_sub(1)
    );
    if !found.replays {
        eprintln!("warning: the simulator's replay of this path does not break the invariant");
    }
    Ok(ExitCode::from(1))
}
