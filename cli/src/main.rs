//! `distlab`: the native command line of the lab.
//!
//! - `distlab list` — the topics, one a line (slug, title);
//! - `distlab run TOPIC ...` — runs one scenario and prints its trace;
//! - `distlab check TOPIC ...` — sweeps seeds with random faults and reports
//!   violations with the command that replays each. It exits 1 if a seed
//!   breaks an invariant, except, with no bug switched on, a violation the
//!   topic declares expected under some faults (three-phase commit's atomicity
//!   under partitions), which is reported as expected and exits 0; with a bug
//!   on, every violation counts (the bug is caught);
//! - `distlab explore TOPIC ...` — visits every state within bounds and prints
//!   the shortest path to a violation (or, with `--walks N`, takes N random
//!   walks and prints the first violating one, minimized);
//! - `distlab bugs TOPIC` — the deliberately broken variants;
//! - `distlab bench [TOPIC]` — simulator events per second, trace on and off.
//!
//! Bad arguments print the usage and exit 2.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod args;
mod bench;
mod explore;

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use distlab_core::catalog;
use distlab_core::lab::export;
use distlab_core::lab::scenario::Scenario;
use distlab_core::lab::shrink;
use distlab_core::lab::sweep::{self, SweepConfig};
use distlab_core::lab::topic::TopicInfo;
use distlab_core::sim::faults::FaultLevel;
use distlab_core::sim::time::Time;

use args::{Args, UsageError};

const USAGE: &str = "\
usage:
  distlab list
  distlab run TOPIC [--seed N] [--nodes N] [--until-ms N] [--faults none|light|heavy|crashes]
                    [--bug NAME] [--preset NAME] [--param NAME=VALUE]... [--scenario LINK]
                    [--json] [--hash]
  distlab history TOPIC [the options of run] [--json]
  distlab check TOPIC [--seeds N] [--from-seed S] [--faults none|light|heavy|crashes] [--bug NAME]
                      [--nodes N] [--until-ms N] [--param NAME=VALUE]... [--jobs N] [--shrink]
  distlab shrink LINK [--until-ms N]
  distlab explore TOPIC [--nodes N] [--depth D] [--crashes C] [--requests R] [--clients K]
                        [--bug NAME] [--jobs N] [--drop] [--duplicate] [--no-symmetry] [--walks N]
  distlab bugs TOPIC
  distlab bench [TOPIC] [--seconds S]

check exits 1 if a seed breaks an invariant and 0 if none does; with no --bug, a
violation the topic declares expected under some faults (see its page) is
reported as expected and does not count. --faults crashes: crashes and restarts
on a network that never loses a message and is never partitioned. explore --walks N
takes N random walks of at most D steps instead of visiting every state (for bugs
deeper than breadth-first search reaches); a bug's own bounds are used with --bug.";

/// How long `run` and `check` simulate unless told otherwise.
const DEFAULT_RUN_MS: u64 = 5_000;
const DEFAULT_CHECK_MS: u64 = 30_000;

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    match dispatch(&argv) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("distlab: {error}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn dispatch(argv: &[String]) -> Result<ExitCode, UsageError> {
    let Some((command, rest)) = argv.split_first() else {
        return Err(UsageError("missing command".into()));
    };
    match command.as_str() {
        "list" => {
            Args::parse(rest, &[], &[])?.no_positionals()?;
            list();
            Ok(ExitCode::SUCCESS)
        }
        "bugs" => {
            let args = Args::parse(rest, &[], &[])?;
            let topic = args.topic()?;
            for bug in topic.bugs {
                println!("{}\t{}", bug.name, bug.summary);
            }
            Ok(ExitCode::SUCCESS)
        }
        "run" => run(&Args::parse(
            rest,
            &[
                "seed", "nodes", "until-ms", "faults", "bug", "preset", "param", "scenario",
            ],
            &["json", "hash"],
        )?),
        "history" => history(&Args::parse(
            rest,
            &[
                "seed", "nodes", "until-ms", "faults", "bug", "preset", "param", "scenario",
            ],
            &["json"],
        )?),
        "check" => check(&Args::parse(
            rest,
            &[
                "seeds",
                "from-seed",
                "faults",
                "bug",
                "nodes",
                "until-ms",
                "param",
                "jobs",
            ],
            &["shrink"],
        )?),
        "explore" => explore::explore(&Args::parse(rest, explore::OPTIONS, explore::FLAGS)?),
        "shrink" => shrink_link(&Args::parse(rest, &["until-ms"], &[])?),
        "bench" => {
            let args = Args::parse(rest, &["seconds"], &[])?;
            let topic = match args.positionals.first() {
                Some(_) => args.topic()?,
                None => catalog::find("raft").ok_or_else(|| UsageError("no raft".into()))?,
            };
            let seconds = args.number("seconds")?.unwrap_or(3);
            bench::run(topic, seconds);
            Ok(ExitCode::SUCCESS)
        }
        "help" | "--help" | "-h" => {
            println!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        other => Err(UsageError(format!("unknown command '{other}'"))),
    }
}

fn list() {
    for topic in catalog::topics() {
        println!("{}\t{}", topic.slug, topic.title);
    }
}

/// The scenario described by `run`'s or `check`'s options (without the seed).
fn scenario_from(args: &Args, topic: &TopicInfo, seed: u64) -> Result<Scenario, UsageError> {
    let mut scenario = match (args.value("scenario"), args.value("preset")) {
        (Some(link), _) => {
            let scenario =
                Scenario::decode(link).map_err(|e| UsageError(format!("bad --scenario: {e}")))?;
            if scenario.topic != topic.slug {
                return Err(UsageError(format!(
                    "--scenario is for '{}', not '{}'",
                    scenario.topic, topic.slug
                )));
            }
            scenario
        }
        (None, Some(name)) => {
            let preset = topic
                .preset(name)
                .ok_or_else(|| UsageError(format!("{} has no preset '{name}'", topic.slug)))?;
            topic.preset_scenario(preset)
        }
        (None, None) => Scenario::new(topic.slug, seed),
    };
    if args.value("seed").is_some()
        || args.value("scenario").is_none() && args.value("preset").is_none()
    {
        scenario.seed = seed;
    }
    if let Some(level) = args.value("faults") {
        scenario.faults = FaultLevel::parse(level).ok_or_else(|| {
            UsageError(format!(
                "--faults must be none, light, heavy or crashes, not '{level}'"
            ))
        })?;
    }
    if let Some(bug) = args.value("bug") {
        scenario.bug = Some(bug.to_string());
    }
    if let Some(nodes) = args.number("nodes")? {
        scenario.set_param("nodes", nodes as i64);
    }
    for pair in args.values("param") {
        let (name, value) = pair
            .split_once('=')
            .ok_or_else(|| UsageError(format!("--param wants NAME=VALUE, not '{pair}'")))?;
        let value: i64 = value
            .parse()
            .map_err(|_| UsageError(format!("--param {name}: '{value}' is not a number")))?;
        scenario.set_param(name, value);
    }
    topic
        .validate(&scenario)
        .map_err(|e| UsageError(e.to_string()))?;
    Ok(scenario)
}

fn run(args: &Args) -> Result<ExitCode, UsageError> {
    let topic = args.topic()?;
    let seed = args.number("seed")?.unwrap_or(1);
    let scenario = scenario_from(args, topic, seed)?;
    let until = Time::from_millis(args.number("until-ms")?.unwrap_or(DEFAULT_RUN_MS));
    // The same replay a page exports, so `--json` prints the file it downloads.
    let run = export::replay(topic, &scenario, until).map_err(|e| UsageError(e.to_string()))?;
    let trace = run.trace();
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let json = args.flag("json");
    for event in &trace.events {
        let line = if json {
            trace.event_json(event)
        } else {
            trace.event_text(event)
        };
        if writeln!(out, "{line}").is_err() {
            return Ok(ExitCode::SUCCESS); // stdout closed (e.g. piped to head)
        }
    }
    let _ = out.flush();
    let violations = run.violations().len();
    eprintln!(
        "{}: seed {}, {} steps, {} events, {} violations, until {}, trace hash {:016x}",
        topic.slug,
        scenario.seed,
        run.steps(),
        trace.events.len(),
        violations,
        until,
        trace.hash()
    );
    eprintln!("scenario link: #/{}?s={}", topic.slug, scenario.encode());
    if args.flag("hash") {
        println!("{:016x}", trace.hash());
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints the clients' history of the run `run` would make, as Jepsen's EDN (one
/// op map a line) or, with `--json`, JSON lines with the same fields.
fn history(args: &Args) -> Result<ExitCode, UsageError> {
    let topic = args.topic()?;
    let seed = args.number("seed")?.unwrap_or(1);
    let scenario = scenario_from(args, topic, seed)?;
    let until = Time::from_millis(args.number("until-ms")?.unwrap_or(DEFAULT_RUN_MS));
    let run = export::replay(topic, &scenario, until).map_err(|e| UsageError(e.to_string()))?;
    let Some(history) = run.history() else {
        eprintln!(
            "{}: no client operations in this run (the topic has no clients, or none acted)",
            topic.slug
        );
        return Ok(ExitCode::SUCCESS);
    };
    let text = if args.flag("json") {
        distlab_core::history::to_json_lines(history)
    } else {
        distlab_core::history::to_edn(history)
    };
    let mut out = BufWriter::new(io::stdout().lock());
    if out.write_all(text.as_bytes()).is_err() || out.flush().is_err() {
        return Ok(ExitCode::SUCCESS); // stdout closed
    }
    eprintln!(
        "{}: seed {}, {} history events until {}",
        topic.slug,
        scenario.seed,
        history.events.len(),
        until
    );
    Ok(ExitCode::SUCCESS)
}

fn check(args: &Args) -> Result<ExitCode, UsageError> {
    let topic = args.topic()?;
    let from_seed = args.number("from-seed")?.unwrap_or(0);
    let seeds = args.number("seeds")?.unwrap_or(1000);
    let until_ms = args.number("until-ms")?.unwrap_or(DEFAULT_CHECK_MS);
    let template = scenario_from(args, topic, from_seed)?;
    let config = SweepConfig {
        topic,
        from_seed,
        seeds,
        faults: template.faults,
        bug: template.bug.clone(),
        params: template.params.clone(),
        until: Time::from_millis(until_ms),
    };
    let jobs = match args.number("jobs")? {
        Some(0) => return Err(UsageError("--jobs must be at least 1".into())),
        Some(jobs) => jobs,
        None => std::thread::available_parallelism().map_or(1, |n| n.get() as u64),
    };
    let replay_options = replay_flags(&template, until_ms);
    let started = std::time::Instant::now();
    let report = sweep_in_parallel(&config, jobs).map_err(|e| UsageError(e.to_string()))?;
    let elapsed = started.elapsed().as_secs_f64();
    // Printed after the sweep, in seed order, so any number of jobs prints the same.
    // With a bug switched on every violation catches it; without, a violation
    // the topic declares expected (under partitions, say) does not fail.
    let expected = |invariant: &str| {
        template
            .bug
            .is_none()
            .then(|| topic.expected(invariant))
            .flatten()
    };
    for failure in &report.failures {
        let note = expected(failure.violation.invariant)
            .map_or(String::new(), |e| format!(" (expected under {})", e.when));
        println!(
            "seed {}: {} violated at {} (step {}): {}{note}",
            failure.seed,
            failure.violation.invariant,
            failure.violation.time,
            failure.violation.step,
            failure.violation.message
        );
        println!(
            "  replay: distlab run {} --seed {}{replay_options}",
            topic.slug, failure.seed
        );
    }
    eprintln!(
        "{} seeds in {:.2} s ({:.0} seeds/s, {:.0} steps/s)",
        report.seeds,
        elapsed,
        report.seeds as f64 / elapsed.max(1e-9),
        report.steps as f64 / elapsed.max(1e-9)
    );
    println!(
        "{}: {} seeds, {} violations",
        topic.slug,
        report.seeds,
        report.failures.len()
    );
    let unexpected = report
        .failures
        .iter()
        .filter(|f| expected(f.violation.invariant).is_none())
        .count();
    for declared in topic.expected {
        let count = report
            .failures
            .iter()
            .filter(|f| f.violation.invariant == declared.invariant)
            .count();
        if count > 0 && template.bug.is_none() {
            println!(
                "  {count} of them break {}, expected under {}: {}",
                declared.invariant, declared.when, declared.explanation
            );
        }
    }
    if args.flag("shrink") && !report.failures.is_empty() {
        let failures: Vec<(Scenario, Time)> = report
            .failures
            .iter()
            .map(|failure| (config.scenario(failure.seed), failure.violation.time))
            .collect();
        print_shrunk(topic, &failures, config.until)?;
    }
    Ok(if unexpected == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Sweeps `config` on `jobs` threads, each a contiguous range of seeds; the
/// report is the one a single thread gives (ranges are merged in seed order).
fn sweep_in_parallel(
    config: &SweepConfig,
    jobs: u64,
) -> Result<sweep::SweepReport, sweep::SweepError> {
    let jobs = jobs.clamp(1, config.seeds.max(1));
    let per_job = config.seeds.div_ceil(jobs);
    let ranges: Vec<SweepConfig> = (0..jobs)
        .map(|job| {
            let mut range = config.clone();
            range.from_seed = config.from_seed.saturating_add(job * per_job);
            range.seeds = per_job.min(config.seeds.saturating_sub(job * per_job));
            range
        })
        .filter(|range| range.seeds > 0)
        .collect();
    let reports: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = ranges
            .iter()
            .map(|range| scope.spawn(move || sweep::sweep(range, |_, _| {})))
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().expect("a sweep thread panicked"))
            .collect()
    });
    let mut merged = sweep::SweepReport::default();
    for report in reports {
        let report = report?;
        merged.seeds += report.seeds;
        merged.steps += report.steps;
        merged.failures.extend(report.failures);
    }
    Ok(merged)
}

/// `distlab shrink LINK`: shrinks the run a share link describes.
fn shrink_link(args: &Args) -> Result<ExitCode, UsageError> {
    let [link] = args.positionals.as_slice() else {
        return Err(UsageError("shrink takes one share link".into()));
    };
    // Accept the whole address, the hash, or only the scenario.
    let encoded = link
        .rsplit_once("s=")
        .map_or(link.as_str(), |(_, rest)| rest)
        .split('&')
        .next()
        .unwrap_or_default();
    let scenario = Scenario::decode(encoded).map_err(|e| UsageError(format!("bad link: {e}")))?;
    let topic = catalog::find(&scenario.topic)
        .ok_or_else(|| UsageError(format!("no topic '{}'", scenario.topic)))?;
    let until = Time::from_millis(args.number("until-ms")?.unwrap_or(DEFAULT_CHECK_MS));
    print_shrunk(topic, &[(scenario, until)], until)
}

/// Shrinks the failing runs (progress on stderr; see [`shrink::shrink_smallest`])
/// and prints the smallest result's size, replay command and link.
fn print_shrunk(
    topic: &TopicInfo,
    failures: &[(Scenario, Time)],
    until: Time,
) -> Result<ExitCode, UsageError> {
    let started = std::time::Instant::now();
    let shrunk = shrink::shrink_smallest(topic, failures, until, |progress| {
        eprintln!(
            "shrinking: {} ({} actions, {} runs)",
            progress.stage, progress.actions, progress.trials
        );
    })
    .map_err(|e| UsageError(e.to_string()))?;
    let link = shrunk.scenario.encode();
    println!(
        "seed {} shrunk to {} actions (from {}), {} events (from {}), violation at {} (from {}): {}",
        shrunk.scenario.seed,
        shrunk.after.actions,
        shrunk.before.actions,
        shrunk.after.events,
        shrunk.before.events,
        shrunk.after.time,
        shrunk.before.time,
        shrunk.violation
    );
    println!(
        "  replay: distlab run {} --scenario {link} --until-ms {}",
        topic.slug,
        shrunk.until.as_micros().div_ceil(1000)
    );
    println!(
        "  link: #/{}?s={link}&t={}",
        topic.slug,
        shrunk.violation.time.as_micros() / 1000
    );
    eprintln!(
        "shrunk in {:.2} s ({} runs)",
        started.elapsed().as_secs_f64(),
        shrunk.trials
    );
    Ok(ExitCode::SUCCESS)
}

/// The `run` flags that reproduce one seed of a sweep.
fn replay_flags(template: &Scenario, until_ms: u64) -> String {
    let mut flags = String::new();
    if template.faults != FaultLevel::None {
        flags.push_str(&format!(" --faults {}", template.faults.as_str()));
    }
    if let Some(bug) = &template.bug {
        flags.push_str(&format!(" --bug {bug}"));
    }
    for (name, value) in &template.params {
        flags.push_str(&format!(" --param {name}={value}"));
    }
    flags.push_str(&format!(" --until-ms {until_ms}"));
    flags
}
