//! The command line as a person uses it: exit codes, output shapes, and the seed
//! sweeps that prove correct Raft holds its invariants under heavy faults and every
//! deliberate bug is caught.

use std::process::{Command, Output};

fn distlab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_distlab"))
        .args(args)
        .output()
        .expect("run distlab")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn list_prints_slug_and_title_per_line() {
    let output = distlab(&["list"]);
    assert!(output.status.success());
    assert!(stdout(&output).lines().any(|l| l == "raft\tRaft"));
}

#[test]
fn bugs_lists_every_broken_variant() {
    let out = stdout(&distlab(&["bugs", "raft"]));
    for bug in [
        "commit-old-term",
        "vote-without-log-check",
        "forget-vote-on-restart",
    ] {
        assert!(
            out.lines().any(|l| l.starts_with(&format!("{bug}\t"))),
            "{out}"
        );
    }
}

#[test]
fn bad_arguments_are_usage_errors() {
    for args in [
        &[][..],
        &["frobnicate"],
        &["run"],
        &["run", "no-such-topic"],
        &["run", "raft", "--seed", "minus-one"],
        &["run", "raft", "--faults", "apocalyptic"],
        &["run", "raft", "--bug", "no-such-bug"],
        &["run", "raft", "--nodes", "4"],
        &["run", "raft", "--wat"],
        &["check", "raft", "--seeds"],
        &["run", "raft", "--scenario", "%%%"],
    ] {
        let output = distlab(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&output.stderr).contains("usage:"),
            "{args:?}"
        );
    }
}

#[test]
fn run_json_is_one_object_per_line_and_reproducible() {
    let a = distlab(&["run", "raft", "--seed", "9", "--until-ms", "800", "--json"]);
    let b = distlab(&["run", "raft", "--seed", "9", "--until-ms", "800", "--json"]);
    assert!(a.status.success());
    assert_eq!(a.stdout, b.stdout);
    let text = stdout(&a);
    assert!(text.lines().count() > 50);
    for line in text.lines() {
        assert!(
            line.starts_with("{\"step\":") && line.ends_with('}'),
            "{line}"
        );
    }
    assert!(text.contains("\"kind\":\"send\""));
}

#[test]
fn a_scenario_link_replays_the_same_trace() {
    let run = distlab(&["run", "raft", "--seed", "3", "--until-ms", "500", "--hash"]);
    let stderr = String::from_utf8_lossy(&run.stderr).into_owned();
    let link = stderr
        .lines()
        .find_map(|l| l.strip_prefix("scenario link: #/raft?s="))
        .expect("prints the link");
    let replay = distlab(&[
        "run",
        "raft",
        "--scenario",
        link,
        "--until-ms",
        "500",
        "--hash",
    ]);
    let hash = |o: &Output| stdout(o).lines().last().unwrap().to_string();
    assert_eq!(hash(&run), hash(&replay));
}

fn check(args: &[&str]) -> (Option<i32>, String) {
    let output = distlab(args);
    (output.status.code(), stdout(&output))
}

#[test]
fn correct_raft_survives_heavy_faults() {
    let (code, out) = check(&["check", "raft", "--seeds", "2000", "--faults", "heavy"]);
    assert_eq!(
        out.lines().last(),
        Some("raft: 2000 seeds, 0 violations"),
        "{out}"
    );
    assert_eq!(code, Some(0));
}

#[test]
fn every_bug_is_caught_within_2000_heavy_seeds() {
    for bug in [
        "commit-old-term",
        "vote-without-log-check",
        "forget-vote-on-restart",
    ] {
        let (code, out) = check(&[
            "check", "raft", "--bug", bug, "--seeds", "2000", "--faults", "heavy",
        ]);
        assert_eq!(code, Some(1), "{bug} not caught:\n{out}");
        let last = out.lines().last().unwrap_or_default();
        assert!(
            last.starts_with("raft: 2000 seeds, ") && !last.ends_with(" 0 violations"),
            "{last}"
        );
        // Each failure names its seed and the command that replays it.
        let replay = out
            .lines()
            .find_map(|l| l.trim().strip_prefix("replay: distlab "))
            .expect("a replay command");
        let args: Vec<&str> = replay.split_whitespace().collect();
        let replayed = distlab(&args);
        let stderr = String::from_utf8_lossy(&replayed.stderr);
        assert!(
            !stderr.contains(" 0 violations"),
            "replaying {replay} finds the violation again: {stderr}"
        );
    }
}

/// Three-phase commit's atomicity breaks under partitions, as the theory says:
/// `check` reports it as expected and exits 0 without a bug, never sees it with
/// crashes alone, and counts every violation once a bug is on.
#[test]
fn an_expected_violation_is_reported_as_such_and_a_bug_still_fails() {
    let slug = "three-phase-commit";
    let (code, out) = check(&["check", slug, "--seeds", "200", "--faults", "heavy"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("(expected under network partitions")
            && out.contains("break atomicity, expected"),
        "{out}"
    );
    let (code, out) = check(&["check", slug, "--seeds", "200", "--faults", "crashes"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.ends_with(&format!("{slug}: 200 seeds, 0 violations\n")),
        "{out}"
    );
    let (code, out) = check(&[
        "check",
        slug,
        "--seeds",
        "100",
        "--faults",
        "crashes",
        "--bug",
        "timeout-decides-alone",
    ]);
    assert_eq!(code, Some(1), "{out}");
    assert!(!out.contains("expected under"), "{out}");
}

#[test]
fn history_prints_the_runs_client_operations_as_edn_and_json() {
    let args = [
        "raft",
        "--seed",
        "3",
        "--faults",
        "heavy",
        "--until-ms",
        "10000",
    ];
    let with = |first: &str, extra: &[&str]| {
        let mut all = vec![first];
        all.extend(args);
        all.extend(extra);
        let output = distlab(&all);
        assert!(output.status.success(), "{all:?}");
        stdout(&output)
    };
    let edn = with("history", &[]);
    assert_eq!(
        edn,
        with("history", &[]),
        "the same run gives the same history"
    );
    let ops: Vec<&str> = edn.lines().collect();
    assert!(ops.len() > 20, "{edn}");
    for op in &ops {
        assert!(op.starts_with("{:process ") && op.ends_with('}'), "{op}");
        assert!(
            [":invoke", ":ok", ":fail", ":info"]
                .iter()
                .any(|kind| op.contains(&format!(":type {kind},"))),
            "{op}"
        );
    }
    // The JSON form has the same operations, and they are the run's client
    // events, field for field.
    let json = with("history", &["--json"]);
    let trace = with("run", &["--json"]);
    let in_trace: Vec<&str> = trace
        .lines()
        .filter(|line| line.contains("\"kind\":\"client\""))
        .collect();
    assert_eq!(json.lines().count(), ops.len());
    assert_eq!(in_trace.len(), ops.len());
    for (line, event) in json.lines().zip(&in_trace) {
        assert!(
            event.ends_with(line.trim_start_matches('{')),
            "{event} vs {line}"
        );
    }
}

#[test]
fn history_of_the_stale_read_preset_shows_the_old_value() {
    let output = distlab(&["history", "raft", "--preset", "stale-read-unsafe"]);
    let edn = stdout(&output);
    let reads: Vec<&str> = edn
        .lines()
        .filter(|op| op.contains(":type :ok, :f :get"))
        .collect();
    assert_eq!(reads.len(), 2, "{edn}");
    assert!(
        reads[1].contains(":value 1,"),
        "the deposed leader answers 1: {edn}"
    );
    assert!(
        edn.contains(":type :ok, :f :put, :key \"0\", :value 2,"),
        "{edn}"
    );
}

#[test]
fn check_gives_the_same_report_on_any_number_of_threads() {
    let with = |jobs: &str| {
        let output = distlab(&[
            "check",
            "raft",
            "--seeds",
            "120",
            "--faults",
            "heavy",
            "--bug",
            "vote-without-log-check",
            "--jobs",
            jobs,
        ]);
        assert_eq!(output.status.code(), Some(1));
        stdout(&output)
    };
    let one = with("1");
    assert!(
        one.lines().filter(|l| l.starts_with("seed ")).count() > 10,
        "{one}"
    );
    assert_eq!(one, with("2"));
    assert_eq!(one, with("3"));
}

#[test]
fn shrink_makes_a_small_run_that_still_fails_and_replays() {
    let output = distlab(&[
        "check",
        "raft",
        "--seeds",
        "300",
        "--faults",
        "heavy",
        "--bug",
        "stale-read",
        "--shrink",
    ]);
    let text = stdout(&output);
    let summary = text
        .lines()
        .find(|l| l.contains(" shrunk to "))
        .expect("prints the shrunk run");
    assert!(summary.contains("linearizable violated"), "{summary}");
    let replay = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("replay: distlab "))
        .expect("prints the replay command");
    let args: Vec<&str> = replay.split(' ').collect();
    let replayed = distlab(&args);
    assert!(
        stdout(&replayed).contains("VIOLATION linearizable"),
        "{replay}"
    );
    // Shrinking the shrunk link again keeps it failing, and no bigger.
    let link = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("link: "))
        .expect("prints the link");
    let again = stdout(&distlab(&["shrink", link]));
    assert!(again.contains("linearizable violated"), "{again}");
}
