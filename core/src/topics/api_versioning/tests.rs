//! Tests of the API-versioning topic: the reader rules, the compatibility of
//! each change, the release numbering, and the invariants and bug in runs.

use super::schema::{compatible, read, Body, Break, Compatibility, FieldType, Schema, EVOLUTION};
use super::*;
use crate::lab::protocol::simulation;
use crate::lab::run::{Run, RunOptions};
use crate::lab::scenario::Scenario;

#[test]
fn tolerant_readers_ignore_what_they_do_not_know_and_strict_ones_refuse_it() {
    let old = Schema::initial();
    let new = Schema::after(1);
    let body = Body::write(&new, 2);
    assert!(body.fields.iter().any(|(name, _)| *name == "note"));
    assert_eq!(read(&old, &body, true), Ok(()));
    assert_eq!(read(&old, &body, false), Err(Break::UnknownField("note")));
    // An odd order leaves the optional field out: even a strict reader reads it.
    assert_eq!(read(&old, &Body::write(&new, 1), false), Ok(()));
}

#[test]
fn the_matrix_classifies_each_change_as_semver_says() {
    let majors: Vec<bool> = (0..EVOLUTION.len())
        .map(|i| Compatibility::of(i).needs_major())
        .collect();
    // Optional field and enum value: minor. Required field, rename, type
    // change, removal: major.
    assert_eq!(majors, vec![false, true, false, true, true, true]);
    let added_value = Compatibility::of(2);
    assert_eq!(
        added_value.forward_strict,
        Err(Break::UnknownValue("refunded"))
    );
    let required = Compatibility::of(1);
    assert_eq!(required.backward, Err(Break::MissingField("customer")));
    assert_eq!(required.forward_tolerant, Ok(()));
    let retyped = Compatibility::of(4);
    assert_eq!(
        retyped.forward_tolerant,
        Err(Break::WrongType {
            field: "id",
            found: FieldType::Text
        })
    );
    let removed = Compatibility::of(5);
    assert_eq!(removed.backward, Ok(()));
    assert_eq!(
        removed.forward_tolerant,
        Err(Break::MissingField("currency"))
    );
}

#[test]
fn schema_compatibility_agrees_with_reading_every_body() {
    // The worst case over bodies, from the schemas alone, is what reading
    // actual bodies finds: some body breaks exactly when the schemas say so.
    for reader in 0..=EVOLUTION.len() {
        for writer in 0..=EVOLUTION.len() {
            for tolerant in [true, false] {
                let (r, w) = (Schema::after(reader), Schema::after(writer));
                let by_schema = compatible(&r, &w, tolerant).is_ok();
                let by_bodies =
                    (0..12).all(|order| read(&r, &Body::write(&w, order), tolerant).is_ok());
                assert_eq!(
                    by_schema, by_bodies,
                    "reader v{reader}, writer v{writer}, tolerant {tolerant}"
                );
            }
        }
    }
}

fn run(bug: Option<&str>, params: &[(&str, i64)], until_ms: u64) -> Box<dyn Run> {
    let mut scenario = Scenario::new(INFO.slug, 7);
    scenario.bug = bug.map(str::to_string);
    for &(name, value) in params {
        scenario.set_param(name, value);
    }
    let mut run = (INFO.build)(&scenario, RunOptions::default()).expect("builds");
    run.run_until(Time::from_millis(until_ms));
    run
}

fn sim(run: &dyn Run) -> &Simulation<ApiProcess, ApiChecker> {
    simulation::<ApiVersioningTopic>(run).expect("an API-versioning run")
}

#[test]
fn releases_follow_semver_and_clients_follow_deprecations() {
    let run = run(None, &[], 30_000);
    let simulation = sim(&*run);
    assert!(
        simulation.violations().is_empty(),
        "{:?}",
        simulation.violations()
    );
    let server = simulation.nodes()[0].server().unwrap();
    let versions: Vec<String> = server
        .releases()
        .iter()
        .map(|r| r.version.to_string())
        .collect();
    assert_eq!(versions, ["v1.1", "v2.0", "v2.1", "v3.0", "v4.0", "v5.0"]);
    let clients: Vec<&Client> = simulation
        .nodes()
        .iter()
        .filter_map(ApiProcess::client)
        .collect();
    // Laggards stay on v1 and get 410 after its sunset; the others moved on.
    for client in &clients {
        if client.laggard {
            assert_eq!(client.version().major, 1);
            assert!(client.failures().iter().any(|f| f.failure == Failure::Gone));
        } else {
            assert!(client.version().major >= 4, "{:?}", client.version());
        }
    }
    assert!(clients.iter().any(|c| c.laggard) && clients.iter().any(|c| !c.laggard));
}

#[test]
fn strict_readers_break_on_compatible_changes_without_a_violation() {
    let run = run(None, &[(STRICT, 5)], 8_000);
    let simulation = sim(&*run);
    assert!(
        simulation.violations().is_empty(),
        "{:?}",
        simulation.violations()
    );
    let strict_failures = simulation
        .nodes()
        .iter()
        .filter_map(ApiProcess::client)
        .filter(|c| !c.tolerant)
        .flat_map(|c| c.failures())
        .filter(|f| matches!(f.failure, Failure::Unreadable(Break::UnknownField("note"))))
        .count();
    assert!(strict_failures > 0);
}

#[test]
fn a_breaking_change_in_a_minor_version_is_caught() {
    let run = run(Some(BUG_BREAKING_IN_MINOR), &[], 16_000);
    let broken: Vec<&str> = run.violations().iter().map(|v| v.invariant).collect();
    assert!(broken.contains(&SEMVER_HONOURED), "{broken:?}");
    assert!(broken.contains(&REQUESTS_ACCEPTED), "{broken:?}");
    assert!(broken.contains(&RESPONSES_READABLE), "{broken:?}");
}

#[test]
fn the_matrix_marks_what_was_released_and_how() {
    let run = run(Some(BUG_BREAKING_IN_MINOR), &[], 7_000);
    let tables = ApiVersioningTopic::tables(sim(&*run));
    let rows = &tables[0].rows;
    assert_eq!(rows.len(), EVOLUTION.len());
    assert_eq!(rows[1].cells[4].palette, Palette::Faulty);
    assert!(rows[1].cells[4].text.starts_with("v1.2"));
    assert_eq!(rows[0].cells[4].palette, Palette::Done);
    assert_eq!(rows[5].cells[4].text, "not yet");
}
