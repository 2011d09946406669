//! The time-series topic: every preset's story, every invariant's ability to fail,
//! a person's operations (and refusals), and determinism.

use super::super::testing;
use super::presets::{COMPRESSION_BITS, DOWNSAMPLE_AND_RETENTION, IRREGULAR_SAMPLES, RANGE_QUERY};
use super::*;
use crate::lab::run::Run;
use crate::sim::trace::EventKind;
use testing::ByCode;

fn series(run: &dyn Run) -> &TimeSeries {
    testing::state::<TimeSeriesTopic>(run)
}

fn build_run(scenario: &Scenario) -> Box<dyn Run> {
    testing::build(&INFO, scenario)
}

fn preset_run(name: &str) -> Box<dyn Run> {
    let preset = INFO.preset(name).expect("preset exists");
    build_run(&INFO.preset_scenario(preset))
}

/// Steps `run` until just after virtual time `ms`.
fn run_to(run: &mut dyn Run, ms: u64) -> &TimeSeries {
    run.run_until(Time::from_millis(ms));
    series(run)
}

use super::super::testing::{notes_of, violations_of};

fn empty_series(block: i64) -> TimeSeries {
    TimeSeries::new(
        Store::new(block).expect("positive"),
        GaugeStream::new(7, 10, 0, 1),
    )
}

/// `s` after `op`, applied through a run (the only way to get a `Notes`).
fn applied(s: TimeSeries, op: SeriesOp) -> TimeSeries {
    let run = testing::applied(s, vec![(Time(1), op)]);
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    run.structure().clone()
}

fn query(s: &TimeSeries) -> (usize, usize, usize) {
    let report = s.last_query().expect("a query");
    (
        report.result.blocks_decoded,
        report.result.blocks_skipped,
        report.result.points.len(),
    )
}

#[test]
fn every_preset_runs_to_the_end_with_its_invariants_holding() {
    testing::assert_every_preset_finishes(&INFO, None);
}

#[test]
fn the_plain_tour_runs_clean_for_many_shapes() {
    let shapes = [
        (10, 3_600, 120, 0, 1),
        (1, 60, 1, 0, 0),
        (15, 7_200, 2_000, 14, 3),
        (3_600, 86_400, 7, 60, 2),
        (7, 660, 33, 3, 0),
    ];
    for (seed, &(interval, block, points, jitter, decimals)) in shapes.iter().enumerate() {
        let mut scenario = Scenario::new("time-series", seed as u64);
        scenario.set_param("interval", interval);
        scenario.set_param("block", block);
        scenario.set_param("points", points);
        scenario.set_param("jitter", jitter);
        scenario.set_param("decimals", decimals);
        let mut run = build_run(&scenario);
        run.run_until(Time::NEVER);
        assert!(
            run.violations().is_empty(),
            "{interval}/{block}/{points}: {:?}",
            run.violations()
        );
        let s = series(run.as_ref());
        assert!(s.appended() >= 3 * points as usize);
        assert!(s.last_downsample().is_some() && s.last_retention().is_some());
        assert_eq!(s.last_op(), Some(LastOp::RangeQuery));
    }
    // With the defaults the tour drops the oldest block and queries what is left.
    let mut run = build_run(&Scenario::new("time-series", 1));
    run.run_until(Time::NEVER);
    let s = series(run.as_ref());
    assert_eq!(s.appended(), 9 * 120);
    assert_eq!(s.last_retention().unwrap().result.dropped.len(), 1);
    assert_eq!(query(s), (2, 0, 720));
}

#[test]
fn compression_bits_story_matches_its_narration() {
    let mut run = preset_run(COMPRESSION_BITS);
    let s = run_to(run.as_mut(), 600);
    let bits = s.newest_block().expect("a block");
    assert_eq!(bits.explanation.points.len(), 1);
    assert_eq!(bits.explanation.points[0].total_bits, 128);
    let s = run_to(run.as_mut(), 1200);
    let second = &s.newest_block().unwrap().explanation.points[1];
    assert_eq!(second.timestamp_bits(), 9);
    assert_eq!(second.fields[0].bits, "10");
    let s = run_to(run.as_mut(), 1800);
    let third = &s.newest_block().unwrap().explanation.points[2];
    assert_eq!(third.timestamp_bits(), 1);
    assert_eq!(third.delta_of_delta, Some(0));
    let s = run_to(run.as_mut(), 2400);
    assert_eq!(
        s.newest_block().unwrap().explanation.points.len(),
        EXPLAINED_POINTS
    );
    run.run_until(Time::NEVER);
    let s = series(run.as_ref());
    assert_eq!(s.store().blocks().len(), 1);
    let per_point = s.bytes_per_point();
    assert!(per_point < 1.0, "{per_point} bytes per point");
    // The narration's contrast: the same walk with one decimal.
    let preset = INFO.preset(COMPRESSION_BITS).unwrap();
    let mut decimal = INFO.preset_scenario(preset);
    decimal.set_param("decimals", 1);
    let mut decimal = build_run(&decimal);
    decimal.run_until(Time::NEVER);
    let per_point = series(decimal.as_ref()).bytes_per_point();
    assert!(
        (3.0..4.0).contains(&per_point),
        "{per_point} bytes per point"
    );
    // The chart's samples fall as the block fills.
    let curve: Vec<f64> = s
        .compression()
        .iter()
        .map(CompressionSample::bytes_per_point)
        .collect();
    assert_eq!(curve.len(), 6);
    assert!(curve.windows(2).all(|w| w[1] < w[0]), "{curve:?}");
}

#[test]
fn irregular_samples_cost_more_bits() {
    let mut steady = preset_run(COMPRESSION_BITS);
    steady.run_until(Time::NEVER);
    let mut irregular = preset_run(IRREGULAR_SAMPLES);
    let s = run_to(irregular.as_mut(), 1800);
    let points = &s.newest_block().unwrap().explanation.points;
    let nonzero = points[2..]
        .iter()
        .filter(|p| p.delta_of_delta != Some(0))
        .count();
    assert!(
        nonzero >= 1,
        "jitter should move some delta-of-deltas off 0"
    );
    irregular.run_until(Time::NEVER);
    let s = series(irregular.as_ref());
    assert_eq!((s.appended(), s.store().blocks().len()), (360, 1));
    let ratio = s.bytes_per_point() / series(steady.as_ref()).bytes_per_point();
    assert!(ratio > 3.0, "only {ratio} times the steady integer gauge");
}

#[test]
fn range_query_story_matches_its_narration() {
    let mut run = preset_run(RANGE_QUERY);
    let s = run_to(run.as_mut(), 4800);
    assert_eq!(s.store().blocks().len(), 8);
    assert_eq!(s.store().blocks().iter().filter(|b| b.sealed).count(), 7);
    assert_eq!(query(run_to(run.as_mut(), 5400)), (1, 7, 60));
    assert_eq!(query(run_to(run.as_mut(), 6000)), (2, 6, 60));
    assert_eq!(query(run_to(run.as_mut(), 6600)).0, 1);
    assert_eq!(query(run_to(run.as_mut(), 7200)), (8, 0, 1_440));
}

#[test]
fn downsample_and_retention_story_matches_its_narration() {
    let mut run = preset_run(DOWNSAMPLE_AND_RETENTION);
    let buckets = |s: &TimeSeries| s.last_downsample().expect("downsampled").buckets.len();
    assert_eq!(buckets(run_to(run.as_mut(), 4200)), 360);
    assert_eq!(buckets(run_to(run.as_mut(), 4800)), 36);
    assert_eq!(buckets(run_to(run.as_mut(), 5400)), 6);
    let s = run_to(run.as_mut(), 6000);
    let retention = s.last_retention().unwrap();
    assert_eq!(clock(retention.now), "05:59:50");
    assert_eq!(clock(retention.cutoff), "02:59:50");
    let dropped: Vec<String> = retention
        .result
        .dropped
        .iter()
        .map(|b| clock(b.start))
        .collect();
    assert_eq!(dropped, ["00:00:00", "01:00:00"]);
    assert_eq!(retention.result.points_dropped, 720);
    assert_eq!(clock(s.store().blocks()[0].start), "02:00:00");
    let s = run_to(run.as_mut(), 7200);
    let retention = s.last_retention().unwrap();
    assert_eq!(retention.result.dropped.len(), 1);
    assert_eq!(clock(retention.result.dropped[0].start), "02:00:00");
    let s = run_to(run.as_mut(), 7800);
    assert_eq!(buckets(s), 4);
    assert_eq!(s.store().len(), 4 * 360);
}

fn scenario_with(operations: &[(u64, u32, u64)]) -> Scenario {
    testing::with_operations(Scenario::new("time-series", 9), operations)
}

#[test]
fn a_persons_operations_work() {
    // All before the first planned operation at 600 ms.
    let scenario = scenario_with(&[
        (10, OP_APPEND, 1_000),
        (20, OP_RANGE_QUERY, 60),
        (30, OP_RANGE_QUERY, 60 | (3_600 << 32)),
        (40, OP_DOWNSAMPLE, 300),
        (50, OP_RETENTION, 3_600),
    ]);
    let mut run = build_run(&scenario);
    let s = run_to(run.as_mut(), 10);
    assert_eq!(s.store().len(), 1_000);
    assert_eq!(s.store().last_timestamp(), Some(STREAM_START + 9_990));
    let s = run_to(run.as_mut(), 20);
    assert_eq!(query(s).2, 7); // both ends included
    let s = run_to(run.as_mut(), 30);
    let report = s.last_query().unwrap();
    assert_eq!(
        (clock(report.from), clock(report.to)),
        ("01:45:30".to_string(), "01:46:30".to_string())
    );
    assert_eq!(query(s).2, 7);
    let s = run_to(run.as_mut(), 40);
    assert_eq!(s.last_downsample().unwrap().buckets.len(), 34);
    let s = run_to(run.as_mut(), 50);
    // Newest 02:46:30, cutoff 01:46:30: only the 00:00 block ended by then.
    assert_eq!(s.last_retention().unwrap().result.points_dropped, 360);
    assert!(run.violations().is_empty());
    let labels: Vec<String> = run
        .trace()
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Input { label } => Some(label.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        labels,
        [
            "append 1000 points",
            "range query 02:45:30 .. 02:46:30",
            "range query 01:45:30 .. 01:46:30",
            "downsample to 5 min buckets",
            "retention: keep the last 1 h",
        ]
    );
}

#[test]
fn bad_codes_and_arguments_are_refused_without_panicking() {
    let scenario = scenario_with(&[
        (1, OP_RANGE_QUERY, 60), // nothing appended yet
        (2, OP_RETENTION, 60),   // nothing appended yet
        (3, OP_APPEND, 0),
        (4, OP_APPEND, MAX_BATCH as u64 + 1),
        (5, OP_APPEND, u64::MAX),
        (6, OP_APPEND, 5),
        (7, OP_DOWNSAMPLE, 0),
        (8, OP_DOWNSAMPLE, MAX_RESOLUTION as u64 + 1),
        (9, OP_DOWNSAMPLE, u64::MAX),
        (10, OP_RETENTION, MAX_HORIZON as u64 + 1),
        (11, OP_RETENTION, u64::MAX),
        (12, 4, 0),
        (13, u32::MAX, u64::MAX),
        (14, OP_RANGE_QUERY, u64::MAX), // extreme but meaningful: accepted
    ]);
    let mut run = build_run(&scenario);
    let s = run_to(run.as_mut(), 100);
    assert_eq!(s.store().len(), 5);
    assert_eq!(query(s).2, 0);
    let ignored = notes_of(run.trace())
        .iter()
        .filter(|n| n.starts_with("ignored operation"))
        .count();
    assert_eq!(ignored, 12);
    assert!(run.violations().is_empty());

    // Extreme operations applied directly change nothing and do not panic.
    let s = applied(empty_series(60), SeriesOp::Retention { horizon: 10 });
    assert!(s.last_retention().is_none());
    let s = applied(s, SeriesOp::Append { count: 3 });
    for op in [
        SeriesOp::RangeQuery {
            from: i64::MIN,
            to: i64::MAX,
        },
        SeriesOp::RangeQuery {
            from: i64::MAX,
            to: i64::MIN,
        },
        SeriesOp::Downsample {
            resolution: i64::MIN,
        },
        SeriesOp::Downsample {
            resolution: i64::MAX,
        },
        SeriesOp::Retention { horizon: i64::MAX },
        SeriesOp::Retention { horizon: i64::MIN },
    ] {
        let after = applied(s.clone(), op);
        assert_eq!(after.store().len(), 3);
    }
}

#[test]
fn appends_stop_at_the_maximum() {
    let s = applied(empty_series(86_400), SeriesOp::Append { count: MAX_BATCH });
    let mut s = s;
    for _ in 1..MAX_POINTS / MAX_BATCH {
        s = applied(s, SeriesOp::Append { count: MAX_BATCH });
    }
    assert_eq!(s.store().len(), MAX_POINTS);
    assert_eq!(s.operation(OP_APPEND, 1), None);
    let s = applied(s, SeriesOp::Append { count: 1 });
    assert_eq!(s.appended(), MAX_POINTS);
    let s = applied(s, SeriesOp::Retention { horizon: 0 });
    assert!(s.operation(OP_APPEND, 1).is_some());
}

#[test]
fn lossless_can_fail() {
    let mut s = applied(empty_series(600), SeriesOp::Append { count: 100 });
    assert!(violations_of(&s).is_empty());
    // Same timestamp, value off by its sign bit only: bit-for-bit, not ==.
    let (t, v) = s.expected[40];
    s.expected[40] = (t, f64::from_bits(v.to_bits() ^ (1 << 63)));
    let found = violations_of(&s);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].invariant, LOSSLESS);
    assert!(
        found[0].message.contains("point 40"),
        "{}",
        found[0].message
    );
    // A point appended to the store but not the reference.
    let mut s = applied(empty_series(600), SeriesOp::Append { count: 10 });
    s.store.append(STREAM_START + 1_000_000, 1.0).unwrap();
    assert_eq!(violations_of(&s)[0].invariant, LOSSLESS);
}

#[test]
fn range_query_exact_can_fail() {
    let s = applied(empty_series(600), SeriesOp::Append { count: 200 });
    let mut s = applied(
        s,
        SeriesOp::RangeQuery {
            from: STREAM_START + 500,
            to: STREAM_START + 1_500,
        },
    );
    assert_eq!(query(&s), (3, 1, 101));
    let report = s.last_query.as_mut().unwrap();
    report.result.points.pop();
    let found = violations_of(&s);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].invariant, RANGE_QUERY_EXACT);
    assert!(found[0].message.contains("returned 100"));
    // A block neither decoded nor skipped.
    let report = s.last_query.as_mut().unwrap();
    report.result.points = s
        .expected
        .iter()
        .copied()
        .filter(|&(t, _)| (STREAM_START + 500..=STREAM_START + 1_500).contains(&t))
        .collect();
    report.result.blocks_skipped -= 1;
    let found = violations_of(&s);
    assert_eq!(found.len(), 1);
    assert!(found[0].message.contains("the store had 4"));
    // Only the operation that made the result is checked: after an append the
    // stale result no longer matters.
    let s = applied(s, SeriesOp::Append { count: 1 });
    assert!(violations_of(&s).is_empty());
}

#[test]
fn retention_drops_only_old_can_fail() {
    let s = applied(empty_series(600), SeriesOp::Append { count: 300 });
    let mut s = applied(s, SeriesOp::Retention { horizon: 1_000 });
    let report = s.last_retention().unwrap();
    assert_eq!(report.result.dropped.len(), 3);
    assert!(report.newest_dropped.unwrap() < report.cutoff);
    assert!(violations_of(&s).is_empty());
    // The reference model dropped a point at the cutoff.
    let report = s.last_retention.as_mut().unwrap();
    report.newest_dropped = Some(report.cutoff);
    let found = violations_of(&s);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].invariant, RETENTION_DROPS_ONLY_OLD);
    // The store reported dropping a block that held a young point.
    let report = s.last_retention.as_mut().unwrap();
    report.newest_dropped = None;
    report.result.dropped[2].last_timestamp = report.cutoff + 5;
    let found = violations_of(&s);
    assert_eq!(found.len(), 1);
    assert!(found[0].message.contains("a dropped block"));
}

#[test]
fn the_stream_is_deterministic_and_jitter_keeps_the_values() {
    let draw = |seed, jitter| {
        let mut stream = GaugeStream::new(seed, 10, jitter, 1);
        (0..500).map(|_| stream.next_point()).collect::<Vec<_>>()
    };
    assert_eq!(draw(3, 0), draw(3, 0));
    assert_ne!(draw(3, 0), draw(4, 0));
    let steady = draw(3, 0);
    let late = draw(3, 9);
    for (k, (a, b)) in steady.iter().zip(&late).enumerate() {
        assert_eq!(a.0, STREAM_START + 10 * k as i64);
        assert!((0..=9).contains(&(b.0 - a.0)));
        assert_eq!(a.1.to_bits(), b.1.to_bits());
    }
    assert!(late.windows(2).all(|w| w[0].0 < w[1].0));
    // Jitter is capped below the interval so time still moves forward.
    assert_eq!(GaugeStream::new(1, 5, 60, 0).jitter(), 4);
    assert_eq!(GaugeStream::new(1, 1, 60, 0).jitter(), 0);
    // Values are exact multiples of the last decimal.
    let integers = GaugeStream::new(1, 10, 0, 0).next_point().1;
    assert_eq!(integers, GAUGE_START);
}

#[test]
fn same_scenario_same_trace() {
    testing::assert_deterministic(&INFO);
}

#[test]
fn comparison_is_bit_for_bit() {
    assert_eq!(first_difference(&[(1, 0.0)], &[(1, 0.0)]), None);
    assert_eq!(first_difference(&[(1, 0.0)], &[(1, -0.0)]), Some(0));
    assert_eq!(first_difference(&[(1, f64::NAN)], &[(1, f64::NAN)]), None);
    assert_eq!(
        first_difference(&[(1, 1.0), (2, 2.0)], &[(1, 1.0)]),
        Some(1)
    );
}

#[test]
fn clocks_and_spans_read_well() {
    assert_eq!(clock(STREAM_START), "00:00:00");
    assert_eq!(clock(STREAM_START + 3_723), "01:02:03");
    assert_eq!(clock(STREAM_START + 86_400 + 60), "day +1 00:01:00");
    assert_eq!(clock(STREAM_START - 1), "day -1 23:59:59");
    assert!(!clock(i64::MIN).is_empty() && !clock(i64::MAX).is_empty());
    assert_eq!(span(7_200), "2 h");
    assert_eq!(span(300), "5 min");
    assert_eq!(span(90), "90 s");
    assert_eq!(span(0), "0 s");
    assert_eq!(span(172_800), "2 d");
}

#[test]
fn the_state_table_lists_blocks() {
    let s = applied(empty_series(600), SeriesOp::Append { count: 150 });
    let table = s.state_table();
    assert_eq!(table.columns, INFO.columns);
    assert_eq!(table.rows.len(), 3);
    assert_eq!(table.rows[0][5], Cell::Text("sealed".into()));
    assert_eq!(table.rows[2][5], Cell::Text("open".into()));
}

#[test]
fn validation_refuses_out_of_range_params() {
    for (name, value) in [
        ("interval", 0),
        ("block", 59),
        ("block", 90),
        ("points", 0),
        ("jitter", -1),
        ("decimals", 4),
    ] {
        let mut scenario = Scenario::new("time-series", 1);
        scenario.set_param(name, value);
        assert!(
            (INFO.build)(&scenario, RunOptions::default()).is_err(),
            "{name} = {value}"
        );
    }
}
