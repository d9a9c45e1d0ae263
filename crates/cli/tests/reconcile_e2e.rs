//! End to end: the quickstart synthesized with the real reconciler (by `tools/test`, as the
//! README's first command does), deployed into moto, then the staged `bootstrap` run
//! against that stack with the function's own environment, through a scenario.

mod common;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::moto::*;
use serde_json::{Value, json};

/// The out dir `tools/test` synthesized from examples/quickstart.yaml without
/// `--reconciler-zip`, so its asset is the real reconciler.
fn synthesized() -> PathBuf {
    std::env::var_os("SPOTCOVER_TEST_E2E_OUT")
        .map(PathBuf::from)
        .expect("SPOTCOVER_TEST_E2E_OUT is not set: run the tests with tools/test, which synthesizes the quickstart first")
}

#[test]
fn the_same_sources_build_the_same_asset_and_key() {
    let again = std::env::var_os("SPOTCOVER_TEST_E2E_AGAIN")
        .map(PathBuf::from)
        .expect("SPOTCOVER_TEST_E2E_AGAIN is not set: run the tests with tools/test");
    assert_eq!(common::tree(&synthesized()), common::tree(&again));
}

#[test]
fn an_arm64_region_gets_an_aarch64_reconciler() {
    let out = std::env::var_os("SPOTCOVER_TEST_E2E_MULTI")
        .map(PathBuf::from)
        .expect("SPOTCOVER_TEST_E2E_MULTI is not set: run the tests with tools/test");
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    let machine_of = |arch: &str| {
        let asset = manifest["assets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["architectures"] == json!([arch]))
            .unwrap_or_else(|| panic!("no {arch} asset: {manifest}"));
        let zip = std::fs::read(out.join(s(&asset["file"]))).unwrap();
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
        let mut head = [0u8; 20];
        archive
            .by_name("bootstrap")
            .unwrap()
            .read_exact(&mut head)
            .unwrap();
        assert_eq!(&head[..4], b"\x7fELF");
        (
            s(&asset["sha256"]).to_owned(),
            u16::from_le_bytes([head[18], head[19]]),
        )
    };
    let (x86_sha, x86) = machine_of("x86_64");
    let (arm_sha, arm) = machine_of("arm64");
    assert_eq!((x86, arm), (0x3e, 0xb7), "EM_X86_64 and EM_AARCH64");
    for t in manifest["templates"].as_array().unwrap() {
        let sha = if t["region"] == "eu-west-1" {
            &arm_sha
        } else {
            &x86_sha
        };
        let template = std::fs::read_to_string(out.join(s(&t["file"]))).unwrap();
        assert!(
            template.contains(&format!("reconciler-{sha}.zip")),
            "{}",
            t["file"]
        );
    }
}

fn cloudwatch_shim() -> String {
    std::env::var("SPOTCOVER_TEST_CLOUDWATCH")
        .expect("SPOTCOVER_TEST_CLOUDWATCH is not set: run the tests with tools/test")
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Extracts `bootstrap` from the staged zip, checking the template runs exactly that zip.
fn staged_bootstrap(out: &Path, dir: &Path) -> PathBuf {
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    let asset = &manifest["assets"][0];
    let zip_bytes = std::fs::read(out.join(s(&asset["file"]))).unwrap();
    let sha = spotcover::asset::Asset::new(zip_bytes.clone()).sha256;
    assert_eq!(asset["sha256"], sha.as_str(), "the zip's name is its hash");
    let template = std::fs::read_to_string(out.join(s(&manifest["templates"][0]["file"]))).unwrap();
    assert!(template.contains(&format!("S3Key: spotcover/reconciler-{sha}.zip")));

    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip_bytes)).unwrap();
    let mut entry = archive.by_name("bootstrap").unwrap();
    assert_eq!(entry.unix_mode().map(|m| m & 0o777), Some(0o755));
    let mut binary = Vec::new();
    entry.read_to_end(&mut binary).unwrap();
    assert!(
        binary.starts_with(b"\x7fELF"),
        "bootstrap is not an executable"
    );
    let path = dir.join("bootstrap");
    std::fs::write(&path, binary).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn put_metric(fleet: &str, metric: &str, points: &[(i64, f64)]) {
    let data: Vec<Value> = points
        .iter()
        .map(|(t, v)| {
            json!({
                "MetricName": metric,
                "Dimensions": [{"Name": "FleetRequestId", "Value": fleet}],
                "Timestamp": t,
                "Value": v,
            })
        })
        .collect();
    aws(&[
        "cloudwatch",
        "put-metric-data",
        "--namespace",
        "AWS/EC2Spot",
        "--metric-data",
        &Value::Array(data).to_string(),
    ]);
}

fn desired(group: &str) -> u64 {
    let g = aws(&[
        "autoscaling",
        "describe-auto-scaling-groups",
        "--auto-scaling-group-names",
        group,
    ]);
    g["AutoScalingGroups"][0]["DesiredCapacity"]
        .as_u64()
        .unwrap()
}

/// Runs `bootstrap --once` with the deployed function's environment; returns its log line.
fn run_once(bootstrap: &Path, env: &BTreeMap<String, String>) -> Value {
    let out = Command::new(bootstrap)
        .arg("--once")
        .envs(env)
        .env("AWS_ENDPOINT_URL", endpoint())
        .env("AWS_ENDPOINT_URL_CLOUDWATCH", cloudwatch_shim())
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_MAX_ATTEMPTS", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "bootstrap failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = stdout.lines().last().expect("one log line");
    serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
}

#[test]
fn the_staged_reconciler_under_the_2017_policy_covers_a_shortfall_holds_while_scaling_and_gives_back()
 {
    let out = synthesized();
    let tmp = tempfile::tempdir().unwrap();
    let bootstrap = staged_bootstrap(&out, tmp.path());
    let stack = unique("e2e");
    let ids = deploy(&out, &stack);
    let function = aws(&[
        "lambda",
        "get-function-configuration",
        "--function-name",
        &ids["ReconcilerFunction"],
    ]);
    let mut env: BTreeMap<String, String> =
        serde_json::from_value(function["Environment"]["Variables"].clone()).unwrap();
    // The 2017 rule, as before, on the same stack: its metrics path and quiet period.
    assert_eq!(env["SPOTCOVER_POLICY"], "demand");
    env.insert("SPOTCOVER_POLICY".into(), "2017".into());
    let fleet = env["SPOTCOVER_FLEET_ID"].clone();
    let group = env["SPOTCOVER_GROUP_NAME"].clone();
    assert_eq!(fleet, ids["SpotFleet"]);
    assert_eq!(env["SPOTCOVER_ON_DEMAND_WEIGHT"], "2");
    assert_eq!(desired(&group), 0);

    // The fleet's target has been 4 for 14 minutes; 4 minutes ago it fell 3 units short.
    let t = now();
    let minutes = |from: i64, to: i64| (from..=to).map(move |m| t - 60 * m);
    put_metric(
        &fleet,
        "TargetCapacity",
        &minutes(4, 14).map(|ts| (ts, 4.0)).collect::<Vec<_>>(),
    );
    put_metric(
        &fleet,
        "FulfilledCapacity",
        &minutes(5, 14).map(|ts| (ts, 4.0)).collect::<Vec<_>>(),
    );
    put_metric(&fleet, "FulfilledCapacity", &[(t - 240, 1.0)]);
    let log = run_once(&bootstrap, &env);
    assert_eq!(log["decision"]["reason"], "cover_shortfall", "{log}");
    assert_eq!(
        log["decision"]["action"],
        json!({"kind": "set_desired", "desired": 2, "honor_cooldown": false}),
        "{log}"
    );
    assert_eq!(log["result"], "applied", "{log}");
    assert_eq!(
        desired(&group),
        2,
        "ceil(3 units / weight 2) in one run: {log}"
    );
    // GetMetricData and DescribeAutoScalingGroups, SetDesiredCapacity, and the drain
    // check: ListContainerInstances (DescribeContainerInstances only when there are any).
    assert!(log["api_calls"].as_u64().unwrap() <= 5, "{log}");

    // The fleet is whole again: give the on-demand capacity back, honouring the cooldown.
    put_metric(&fleet, "TargetCapacity", &[(t - 180, 4.0)]);
    put_metric(&fleet, "FulfilledCapacity", &[(t - 180, 4.0)]);
    let log = run_once(&bootstrap, &env);
    assert_eq!(log["decision"]["reason"], "release_cover", "{log}");
    assert_eq!(
        log["decision"]["action"],
        json!({"kind": "set_desired", "desired": 0, "honor_cooldown": true}),
        "{log}"
    );
    assert_eq!(desired(&group), 0, "{log}");

    // The target changed 2 minutes ago and the fleet is short: it is still scaling, so
    // nothing happens.
    put_metric(&fleet, "TargetCapacity", &[(t - 120, 10.0)]);
    put_metric(&fleet, "FulfilledCapacity", &[(t - 120, 4.0)]);
    let log = run_once(&bootstrap, &env);
    assert_eq!(log["decision"]["reason"], "fleet_still_scaling", "{log}");
    assert_eq!(log["result"], "no_action", "{log}");
    assert_eq!(desired(&group), 0, "{log}");
}
