//! The history export against moto with the real `aws` CLI: the stack's metrics put with
//! `aws cloudwatch put-metric-data` (moto does not extract EMF from logs, which is how
//! the reconciler writes them), exported with the very `get-metric-data` command
//! `spotcover history` printed, and replayed.
//!
//! CloudWatch API reference, `PutMetricData`
//! (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html):
//! at most 1,000 metrics per request. `GetMetricData`
//! (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html):
//! the AWS CLI follows `NextToken` itself. The fleet's history, the activities and the
//! prices come from the simulation's own export: moto answers
//! `DescribeSpotFleetRequestHistory` with an error (ARCHITECTURE.md) and keeps no
//! activities or prices of a market we choose.

mod common;

use std::process::Command;

use common::moto::{endpoint, unique};
use common::*;
use spotcover_simulate::history::{export, file};
use spotcover_simulate::{Scenario, simulate};

fn put_metric_data(stack: &str, out: &export::Exported, dir: &std::path::Path) {
    let metrics: serde_json::Value = serde_json::from_str(&out.metrics).unwrap();
    let mut data = Vec::new();
    for r in metrics["MetricDataResults"].as_array().unwrap() {
        let name = r["Id"].as_str().unwrap();
        for (t, v) in r["Timestamps"]
            .as_array()
            .unwrap()
            .iter()
            .zip(r["Values"].as_array().unwrap())
        {
            data.push(serde_json::json!({
                "MetricName": name,
                "Dimensions": [{"Name": stack_dimension(), "Value": stack}],
                "Timestamp": t,
                "Value": v,
                "Unit": "Count",
            }));
        }
    }
    for (i, chunk) in data.chunks(500).enumerate() {
        let path = dir.join(format!("put-{i}.json"));
        std::fs::write(&path, serde_json::to_string(chunk).unwrap()).unwrap();
        let status = Command::new(venv_bin("aws"))
            .args(["--endpoint-url", &endpoint(), "--region", "us-east-1"])
            .args(["cloudwatch", "put-metric-data", "--namespace", "spotcover"])
            .arg("--metric-data")
            .arg(format!("file://{}", path.display()))
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .status()
            .unwrap();
        assert!(status.success(), "put-metric-data failed");
    }
}

/// The contract's dimension name, through the simulator's queries (the CLI crate does
/// not depend on the core).
fn stack_dimension() -> String {
    spotcover_simulate::history::cloudwatch::queries("s")[0]
        .metric_stat
        .metric
        .dimensions[0]
        .name
        .clone()
}

#[test]
fn metrics_put_into_moto_come_back_through_the_printed_command_and_replay() {
    let tmp = tempfile::tempdir().unwrap();
    let stack = unique("history");
    let text = std::fs::read_to_string(example("quickstart"))
        .unwrap()
        .replace("stack: spotcover-quickstart", &format!("stack: {stack}"));
    let config_path = tmp.path().join("stack.yaml");
    std::fs::write(&config_path, &text).unwrap();
    let config = spotcover_stack::load(&text).unwrap().remove(0).config;
    let scenario_path = root().join("examples/scenarios/full-outage.yaml");
    let scenario = Scenario::from_yaml(&std::fs::read_to_string(&scenario_path).unwrap()).unwrap();
    let original = simulate(&config, &scenario).unwrap();

    // The range ends a few minutes ago, within CloudWatch's 15 days.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let end = (now / 60 - 2) * 60;
    let start = end - i64::from(scenario.duration_minutes) * 60;
    let exported = export::export(&config, &scenario, &original, start);
    put_metric_data(&stack, &exported, tmp.path());

    let dir = tmp.path().join("hist");
    let (s, e) = (
        spotcover_simulate::history::format_time(start),
        spotcover_simulate::history::format_time(end),
    );
    let printed = spotcover(&[
        "history",
        config_path.to_str().unwrap(),
        "--dir",
        dir.to_str().unwrap(),
        "--start",
        &s,
        "--end",
        &e,
    ]);
    assert!(
        printed.status.success(),
        "{}",
        String::from_utf8_lossy(&printed.stderr)
    );
    let script = String::from_utf8(printed.stdout).unwrap();
    let line = script
        .lines()
        .find(|l| l.starts_with("aws cloudwatch get-metric-data"))
        .unwrap_or_else(|| panic!("no get-metric-data command in:\n{script}"));
    // Run as printed; the endpoint comes from the environment (AWS_ENDPOINT_URL).
    let venv = venv_bin("aws");
    let path = format!(
        "{}:{}",
        venv.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let ran = Command::new("sh")
        .args(["-c", line])
        .env("PATH", path)
        .env("AWS_ENDPOINT_URL", endpoint())
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .output()
        .unwrap();
    assert!(
        ran.status.success(),
        "{line}: {}",
        String::from_utf8_lossy(&ran.stderr)
    );
    for (name, text) in [
        (
            file::FLEET_HISTORY,
            exported.fleet_history.as_deref().unwrap(),
        ),
        (file::ACTIVITIES, exported.activities.as_str()),
        (file::PRICES, exported.prices.as_str()),
    ] {
        std::fs::write(dir.join(name), text).unwrap();
    }

    let replay = tmp.path().join("replay.yaml");
    let read = spotcover(&[
        "history",
        config_path.to_str().unwrap(),
        "--dir",
        dir.to_str().unwrap(),
        "--to-scenario",
        replay.to_str().unwrap(),
        "--on-demand-price",
        &scenario.on_demand.price_per_hour.to_string(),
    ]);
    assert!(
        read.status.success(),
        "{}",
        String::from_utf8_lossy(&read.stderr)
    );
    let rebuilt = Scenario::from_yaml(&std::fs::read_to_string(&replay).unwrap()).unwrap();
    for m in 0..scenario.duration_minutes {
        assert_eq!(rebuilt.demand_at(m), scenario.demand_at(m), "minute {m}");
    }
    let replayed = simulate(&config, &rebuilt).unwrap();
    for p in &original.policies {
        let q = replayed.policy(p.policy).unwrap();
        let du = (p.uncovered_unit_minutes as f64 - q.uncovered_unit_minutes as f64).abs();
        assert!(
            du <= 0.10 * p.uncovered_unit_minutes as f64 + 20.0,
            "{}: {} -> {}",
            p.policy.as_str(),
            p.uncovered_unit_minutes,
            q.uncovered_unit_minutes
        );
        assert!((p.total_cost - q.total_cost).abs() <= 0.05 * p.total_cost + 0.10);
    }
}
