//! The shipped scenarios against `examples/asg.yaml` (same files as the fleet's):
//! what the fallback must hold on every one, and the tables as snapshots.

use spotcover_simulate::{PolicyName, Report, Scenario, simulate};

/// The scenarios in `examples/scenarios/` (`NAME.yaml`) with their text, sorted by name: a
/// new scenario is checked and snapshotted without a list to update here.
fn scenarios() -> Vec<(String, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/scenarios");
    let mut all: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    all.sort();
    assert!(!all.is_empty(), "no scenarios in {}", dir.display());
    all
}

fn reports() -> Vec<(String, Report)> {
    let config = spotcover_stack::load(include_str!("../../../examples/asg.yaml"))
        .unwrap()
        .remove(0)
        .config;
    scenarios()
        .into_iter()
        .map(|(name, text)| {
            let report = simulate(&config, &Scenario::from_yaml(&text).unwrap()).unwrap();
            (name, report)
        })
        .collect()
}

#[test]
fn the_asg_engine_runs_its_three_policies() {
    for (name, r) in reports() {
        let names: Vec<PolicyName> = r.policies.iter().map(|p| p.policy).collect();
        assert_eq!(
            names,
            [
                PolicyName::CapacityProviders,
                PolicyName::Fallback,
                PolicyName::Oracle
            ],
            "{name}"
        );
    }
}

#[test]
fn the_fallback_is_never_worse_than_capacity_providers_alone() {
    for (name, r) in reports() {
        let cp = r.policy(PolicyName::CapacityProviders).unwrap();
        let fb = r.policy(PolicyName::Fallback).unwrap();
        assert!(
            fb.uncovered_unit_minutes <= cp.uncovered_unit_minutes,
            "{name}: fallback {} > capacity providers {}",
            fb.uncovered_unit_minutes,
            cp.uncovered_unit_minutes
        );
    }
}

#[test]
fn no_return_to_spot_kills_a_task() {
    for (name, r) in reports() {
        for p in &r.policies {
            assert_eq!(
                p.decisions["tasks_killed_by_return"], 0,
                "{name} {:?}",
                p.policy
            );
        }
    }
}

#[test]
fn where_spot_is_lost_everywhere_the_fallback_covers_most_of_it() {
    // Every pool lost at once: the fallback's case. Measured ratios are in docs/simulate/README.md.
    for (name, r) in reports() {
        if !["full-outage", "scale-out-during-outage", "daily-peak"].contains(&name.as_str()) {
            continue;
        }
        let cp = r
            .policy(PolicyName::CapacityProviders)
            .unwrap()
            .uncovered_unit_minutes;
        let fb = r
            .policy(PolicyName::Fallback)
            .unwrap()
            .uncovered_unit_minutes;
        assert!(
            fb * 5 <= cp,
            "{name}: fallback {fb}, capacity providers {cp}"
        );
    }
}

#[test]
fn tables_match_their_snapshots() {
    let mut all = String::new();
    for (name, r) in reports() {
        all.push_str(&format!("## {name}\n{}\n", r.table()));
    }
    insta::with_settings!({snapshot_path => "../../../snapshots"}, {
        insta::assert_snapshot!("asg_tables", all);
    });
}
