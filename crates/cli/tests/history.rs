//! `spotcover history` and `spotcover tune` as a user runs them: the printed export
//! commands, the exit status 2 with a message for each bad export, and tune's output.

mod common;

use common::*;
use spotcover_simulate::history::{export, file, format_time};
use spotcover_simulate::{Scenario, simulate};

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A history directory of the quickstart over full-outage, as the exports would be.
fn history_dir(dir: &std::path::Path) {
    let text = std::fs::read_to_string(example("quickstart")).unwrap();
    let config = spotcover_stack::load(&text).unwrap().remove(0).config;
    let scenario = Scenario::from_yaml(
        &std::fs::read_to_string(root().join("examples/scenarios/full-outage.yaml")).unwrap(),
    )
    .unwrap();
    let report = simulate(&config, &scenario).unwrap();
    let e = export::export(&config, &scenario, &report, (now() / 60 - 600) * 60);
    std::fs::create_dir_all(dir).unwrap();
    for (name, text) in [
        (file::MANIFEST, e.manifest.as_str()),
        (file::QUERIES, e.queries.as_str()),
        (file::METRICS, e.metrics.as_str()),
        (file::FLEET_HISTORY, e.fleet_history.as_deref().unwrap()),
        (file::ACTIVITIES, e.activities.as_str()),
        (file::PRICES, e.prices.as_str()),
    ] {
        std::fs::write(dir.join(name), text).unwrap();
    }
}

fn to_scenario(dir: &std::path::Path, out: &std::path::Path) -> std::process::Output {
    spotcover(&[
        "history",
        example("quickstart").to_str().unwrap(),
        "--dir",
        dir.to_str().unwrap(),
        "--to-scenario",
        out.to_str().unwrap(),
        "--on-demand-price",
        "0.096",
    ])
}

#[test]
fn history_prints_the_export_commands_with_the_stack_s_own_names() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("hist");
    let end = (now() / 60 - 1) * 60;
    let o = spotcover(&[
        "history",
        example("quickstart").to_str().unwrap(),
        "--dir",
        dir.to_str().unwrap(),
        "--start",
        &format_time(end - 3600),
        "--end",
        &format_time(end),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let script = String::from_utf8(o.stdout).unwrap();
    for needle in [
        "--logical-resource-id SpotFleet ",
        "--logical-resource-id OnDemandGroup ",
        "aws cloudwatch get-metric-data --metric-data-queries file://",
        "aws ec2 describe-spot-fleet-request-history --spot-fleet-request-id \"$FLEET\"",
        "aws autoscaling describe-scaling-activities --auto-scaling-group-name \"$GROUP\"",
        "aws ec2 describe-spot-price-history --instance-types m6i.large m6a.large m5.large m6i.xlarge",
    ] {
        assert!(script.contains(needle), "{needle} not in:\n{script}");
    }
    let queries = std::fs::read_to_string(dir.join(file::QUERIES)).unwrap();
    assert!(
        queries.contains("\"Namespace\": \"spotcover\""),
        "{queries}"
    );
    assert!(
        queries.contains("\"Value\": \"spotcover-quickstart\""),
        "{queries}"
    );
}

#[test]
fn a_range_beyond_retention_exits_2_saying_so() {
    let tmp = tempfile::tempdir().unwrap();
    let start = (now() / 60 - 16 * 24 * 60) * 60;
    let o = spotcover(&[
        "history",
        example("quickstart").to_str().unwrap(),
        "--dir",
        tmp.path().to_str().unwrap(),
        "--start",
        &format_time(start),
        "--end",
        &format_time(start + 3600),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("beyond retention"), "{}", stderr(&o));
}

#[test]
fn a_truncated_export_exits_2_naming_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("hist");
    history_dir(&dir);
    let metrics = std::fs::read_to_string(dir.join(file::METRICS)).unwrap();
    std::fs::write(dir.join(file::METRICS), &metrics[..metrics.len() / 3]).unwrap();
    let out = tmp.path().join("replay.yaml");
    let o = to_scenario(&dir, &out);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("metrics.json: not the JSON `aws cloudwatch get-metric-data` prints"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    assert!(!out.exists(), "no partial output");
}

#[test]
fn a_missing_metrics_export_exits_2_saying_which_command_writes_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("hist");
    history_dir(&dir);
    std::fs::remove_file(dir.join(file::METRICS)).unwrap();
    let o = to_scenario(&dir, &tmp.path().join("replay.yaml"));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("metrics.json: not found: run the commands"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_good_export_writes_a_scenario_simulate_takes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("hist");
    history_dir(&dir);
    let out = tmp.path().join("replay.yaml");
    let o = to_scenario(&dir, &out);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("spotcover: warning: assumed:"),
        "{}",
        stderr(&o)
    );
    let sim = spotcover(&[
        "simulate",
        example("quickstart").to_str().unwrap(),
        "--scenario",
        out.to_str().unwrap(),
        "--chart",
        tmp.path().join("replay.svg").to_str().unwrap(),
    ]);
    assert!(sim.status.success(), "{}", stderr(&sim));
    assert!(String::from_utf8_lossy(&sim.stdout).contains("| default |"));
}
