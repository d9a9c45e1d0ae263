//! `spotcover simulate`: the table, the JSON, the chart, and scenario errors.

mod common;

use common::*;
use serde_json::Value;

fn scenario(name: &str) -> String {
    root()
        .join("examples/scenarios")
        .join(format!("{name}.yaml"))
        .to_str()
        .unwrap()
        .to_owned()
}

#[test]
fn prints_the_comparison_and_writes_the_chart() {
    let tmp = tempfile::tempdir().unwrap();
    let chart = tmp.path().join("chart.svg");
    let o = spotcover(&[
        "simulate",
        example("quickstart").to_str().unwrap(),
        "--scenario",
        &scenario("full-outage"),
        "--chart",
        chart.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let table = String::from_utf8(o.stdout).unwrap();
    for policy in [
        "| spot-only |",
        "| 2017 |",
        "| default |",
        "| reactive-floor |",
        "| oracle |",
    ] {
        assert!(table.contains(policy), "{table}");
    }
    let svg = std::fs::read_to_string(&chart).unwrap();
    assert!(
        svg.starts_with("<svg") || svg.starts_with("<?xml"),
        "not an SVG"
    );
}

#[test]
fn json_lists_the_figures_of_every_policy_and_the_oracle_is_the_lower_bound() {
    let tmp = tempfile::tempdir().unwrap();
    for name in &scenarios() {
        let chart = tmp.path().join(format!("{name}.svg"));
        let o = spotcover(&[
            "simulate",
            example("quickstart").to_str().unwrap(),
            "--scenario",
            &scenario(name),
            "--format",
            "json",
            "--chart",
            chart.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{name}");
        let report: Value = serde_json::from_slice(&o.stdout).unwrap();
        let policies = report["policies"].as_array().unwrap();
        for p in policies {
            for key in [
                "uncovered_unit_minutes",
                "on_demand_cost",
                "spot_cost",
                "peak_on_demand_instances",
                "fleet_target_changes",
            ] {
                assert!(p[key].is_number(), "{name} {} {key}", p["policy"]);
            }
        }
        let uncovered = |policy: &str| {
            policies.iter().find(|p| p["policy"] == policy).unwrap()["uncovered_unit_minutes"]
                .as_f64()
                .unwrap()
        };
        for p in ["spot-only", "2017", "default", "reactive-floor"] {
            assert!(uncovered("oracle") <= uncovered(p), "{name} {p}");
        }
    }
}

#[test]
fn a_scenario_that_does_not_fit_the_config_exits_2_with_the_key_path() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad.yaml");
    let text = std::fs::read_to_string(scenario("full-outage")).unwrap();
    std::fs::write(&bad, text.replacen("m6a.large", "m7a.large", 1)).unwrap();
    let chart = tmp.path().join("c.svg");
    let o = spotcover(&[
        "simulate",
        example("quickstart").to_str().unwrap(),
        "--scenario",
        bad.to_str().unwrap(),
        "--chart",
        chart.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(err.contains("bad.yaml") && err.contains("pools"), "{err}");
    assert!(!chart.exists());
    // The file, the line and column of the key, then the key: like a config's errors.
    let at = err.split("bad.yaml:").nth(1).unwrap_or_default();
    let mut parts = at.splitn(3, ':');
    let (line, column) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    assert!(
        line.parse::<u32>().is_ok() && column.parse::<u32>().is_ok(),
        "no line and column: {err}"
    );
}

#[test]
fn engines_both_prints_both_engines_on_one_scenario_and_writes_no_chart() {
    let tmp = tempfile::tempdir().unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_spotcover"))
        .args([
            "simulate",
            example("asg").to_str().unwrap(),
            "--scenario",
            &scenario("full-outage"),
            "--engines",
            "both",
            "--format",
            "json",
        ])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let rows = v["rows"].as_array().unwrap();
    for (engine, policy) in [
        ("fleet", "default"),
        ("asg", "capacity-providers"),
        ("asg", "fallback"),
    ] {
        assert!(
            rows.iter().any(|r| r["engine"] == engine
                && r["policy"] == policy
                && r["total_cost"].is_number()),
            "{engine} {policy}: {v}"
        );
    }
    assert_eq!(
        std::fs::read_dir(tmp.path()).unwrap().count(),
        0,
        "no chart"
    );
}
