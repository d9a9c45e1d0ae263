//! The built `bootstrap` binary: driven by a fake Lambda Runtime API (the
//! real lambda_runtime loop), and as a one-shot `--once [--dry-run]` command,
//! against moto + the CBOR shim. Needs SPOTCOVER_TEST_MOTO and
//! SPOTCOVER_TEST_CLOUDWATCH (see tests/common).

mod common;

use std::collections::VecDeque;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use serde_json::{Value, json};

/// The binary under test: `SPOTCOVER_TEST_BOOTSTRAP` (e.g. the lambda-profile
/// musl artifact) when set, else the one cargo built for this test.
fn bin() -> String {
    std::env::var("SPOTCOVER_TEST_BOOTSTRAP")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_bootstrap").to_owned())
}

/// A command for the binary with a clean environment pointing at moto.
fn bootstrap() -> Command {
    let mut c = Command::new(bin());
    c.env_clear()
        .env("AWS_ENDPOINT_URL", moto())
        .env("AWS_ENDPOINT_URL_CLOUDWATCH", shim())
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_MAX_ATTEMPTS", "1")
        .env("AWS_EC2_METADATA_DISABLED", "true");
    c
}

#[derive(Default)]
struct RuntimeApi {
    events: Mutex<VecDeque<(String, Value)>>,
    /// (request id, "response" | "error", body)
    results: Mutex<Vec<(String, String, Value)>>,
}

/// A fake Lambda Runtime API on loopback; returns its `host:port`.
fn fake_runtime(state: Arc<RuntimeApi>) -> String {
    let addr = serve(move |req| {
        let prefix = "/2018-06-01/runtime/invocation/";
        if req.method == "GET" && req.path == format!("{prefix}next") {
            let next = state.events.lock().unwrap().pop_front();
            let Some((id, ev)) = next else {
                // No more events: hold the long poll until the test ends.
                std::thread::sleep(Duration::from_secs(120));
                return Response::new(500, "text/plain", "done");
            };
            let deadline = (std::time::SystemTime::now() + Duration::from_secs(30))
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_millis();
            return Response::new(200, "application/json", ev.to_string())
                .header("Lambda-Runtime-Aws-Request-Id", &id)
                .header("Lambda-Runtime-Deadline-Ms", &deadline.to_string())
                .header(
                    "Lambda-Runtime-Invoked-Function-Arn",
                    "arn:aws:lambda:us-east-1:123456789012:function:spotcover",
                );
        }
        if req.method == "POST"
            && let Some(rest) = req.path.strip_prefix(prefix)
            && let Some((id, kind)) = rest.split_once('/')
        {
            let body = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
            state
                .results
                .lock()
                .unwrap()
                .push((id.to_owned(), kind.to_owned(), body));
            return Response::new(202, "application/json", "{}");
        }
        Response::new(404, "text/plain", "unknown")
    });
    addr.to_string()
}

#[tokio::test]
#[allow(clippy::too_many_lines)] // one runtime-loop session: the invocations run in order against one fake Runtime API, each asserted where it happens
async fn lambda_runtime_loop_handles_schedule_sns_malformed_and_interruption() {
    let group = create_group(0, 0, 200).await;
    let cluster = create_cluster().await;
    let spot = run_instance("m6i.xlarge");
    let spot_arn = register_instance(&cluster, &spot).await;
    let (fleet_a, fleet_b) = (unique_fleet(), unique_fleet());
    put_steady_fleet(&fleet_a, 20.0, 11.0).await; // 9 units short -> 3 instances
    put_steady_fleet(&fleet_b, 40.0, 12.0).await; // 28 units short -> 7 instances
    let alarm = json!({
        "AlarmName": "spotcover-pending", "NewStateValue": "ALARM",
        "Trigger": {"MetricName": "PendingCapacity", "Namespace": "AWS/EC2Spot",
            "Dimensions": [{"name": "FleetRequestId", "value": fleet_b}]}
    });
    let state = Arc::new(RuntimeApi::default());
    state.events.lock().unwrap().extend([
        ("req-1".to_owned(), json!({"fleetID": fleet_a})),
        (
            "req-2".to_owned(),
            json!({"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0",
                "Sns": {"Type": "Notification", "Message": alarm.to_string()}}]}),
        ),
        ("req-3".to_owned(), json!({"fleetID": 12})),
        ("req-4".to_owned(), warning_event(&spot)),
        ("req-5".to_owned(), warning_event(&spot)),
    ]);
    let runtime = fake_runtime(state.clone());
    let mut child = bootstrap()
        .env("AWS_LAMBDA_RUNTIME_API", &runtime)
        .env("AWS_LAMBDA_FUNCTION_NAME", "spotcover")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("SPOTCOVER_FLEET_ID", unique_fleet()) // the events' ids win
        .env("SPOTCOVER_GROUP_NAME", &group)
        .env("SPOTCOVER_ON_DEMAND_WEIGHT", "4")
        .env("SPOTCOVER_CLUSTER", &cluster)
        .env(
            "SPOTCOVER_SPOT_WEIGHTS",
            "m6i.large=2,m5.large=2,m6i.xlarge=4",
        )
        .env("SPOTCOVER_DRAIN_ON_REBALANCE", "false")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn bootstrap");
    let t0 = Instant::now();
    while state.results.lock().unwrap().len() < 5 && t0.elapsed() < Duration::from_secs(60) {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("bootstrap exited early: {status}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let results = state.results.lock().unwrap().clone();
    assert_eq!(
        results.len(),
        5,
        "results {results:?}\nstdout {stdout}\nstderr {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let (id, kind, body) = &results[0];
    assert_eq!(
        (id.as_str(), kind.as_str()),
        ("req-1", "response"),
        "{body}"
    );
    assert_eq!(body["fleet_id"], json!(fleet_a));
    assert_eq!(body["result"], "applied");
    assert_eq!(
        body["decision"]["action"],
        json!({"kind": "set_desired", "desired": 3, "honor_cooldown": false})
    );

    let (id, kind, body) = &results[1];
    assert_eq!(
        (id.as_str(), kind.as_str()),
        ("req-2", "response"),
        "{body}"
    );
    assert_eq!(body["fleet_id"], json!(fleet_b));
    assert_eq!(body["decision"]["wanted"], 7);
    assert_eq!(body["result"], "applied");

    let (id, kind, body) = &results[2];
    assert_eq!((id.as_str(), kind.as_str()), ("req-3", "error"), "{body}");
    assert_eq!(body["errorType"], "spotcover.malformed_event");
    assert!(
        body["errorMessage"]
            .as_str()
            .unwrap()
            .contains("fleetID must be a string")
    );

    // The interruption warning: drained, and weight 4 covered by one more
    // on-demand instance (weight 4) at once; its repeat changes nothing.
    let (id, kind, body) = &results[3];
    assert_eq!(
        (id.as_str(), kind.as_str()),
        ("req-4", "response"),
        "{body}"
    );
    assert_eq!(body["result"], "applied");
    assert_eq!(body["interruption"]["instance_id"], json!(spot));
    assert_eq!(
        body["interruption"]["decision"]["reason"],
        "drain_and_cover"
    );
    assert_eq!(
        body["interruption"]["decision"]["action"],
        json!({"kind": "set_desired", "desired": 8, "honor_cooldown": false})
    );
    let (id, kind, body) = &results[4];
    assert_eq!(
        (id.as_str(), kind.as_str()),
        ("req-5", "response"),
        "{body}"
    );
    assert_eq!(body["result"], "no_action");
    assert_eq!(
        body["interruption"]["decision"]["reason"],
        "already_covered"
    );
    assert_eq!(container_instance(&cluster, &spot_arn).await.0, "DRAINING");

    // The malformed event changed nothing; the warning added one.
    assert_eq!(desired_of(&group).await, 8);
    // One JSON log line per invocation.
    let lines: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(lines.len(), 5, "{stdout}");
    assert_eq!(lines[2]["result"], "error");
    assert_eq!(lines[2]["api_calls"], 0);
    assert!(lines[0].get("interruption").is_none());
    assert_eq!(lines[3]["interruption"]["drained"], true);
    assert_eq!(lines[4]["api_calls"], 2);
}

fn run(cmd: &mut Command) -> (i32, Value, String) {
    let out = cmd.output().expect("run bootstrap");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let line = stdout.lines().next().unwrap_or_default();
    let v = serde_json::from_str(line).unwrap_or(Value::Null);
    assert!(stdout.lines().count() <= 1, "{stdout}");
    (out.status.code().unwrap_or(-1), v, stderr)
}

#[tokio::test]
async fn once_dry_run_then_once() {
    let group = create_group(0, 0, 200).await;
    let fleet = unique_fleet();
    put_steady_fleet(&fleet, 20.0, 11.0).await;
    let args = ["--fleet", &fleet, "--group", &group, "--weight", "4"];

    let (code, v, err) = run(bootstrap().args(["--once", "--dry-run"]).args(args));
    assert_eq!(code, 0, "{v} {err}");
    assert_eq!(v["log"], "spotcover.reconcile");
    assert_eq!(v["dry_run"], true);
    assert_eq!(v["result"], "dry_run");
    assert_eq!(v["api_calls"], 2);
    assert_eq!(v["decision"]["reason"], "cover_shortfall");
    assert_eq!(
        v["decision"]["action"],
        json!({"kind": "set_desired", "desired": 3, "honor_cooldown": false})
    );
    assert_eq!(
        v["observed"]["group"],
        json!({"desired": 0, "min": 0, "max": 200})
    );
    assert_eq!(desired_of(&group).await, 0, "a dry run changes nothing");

    // Flags may also come from the environment, with `=` syntax for the rest.
    let (code, v, err) = run(bootstrap()
        .env("SPOTCOVER_GROUP_NAME", &group)
        .env("SPOTCOVER_ON_DEMAND_WEIGHT", "4")
        .args([
            "--once",
            &format!("--fleet={fleet}"),
            "--quiet-period-seconds=300",
        ]));
    assert_eq!(code, 0, "{v} {err}");
    assert_eq!(v["result"], "applied");
    assert_eq!(v["api_calls"], 3);
    assert_eq!(desired_of(&group).await, 3);

    let (code, v, _) = run(bootstrap().args(["--once"]).args(args));
    assert_eq!((code, &v["result"]), (0, &json!("no_action")));
    assert_eq!(v["decision"]["reason"], "steady");
}

#[tokio::test]
async fn once_reports_errors_and_bad_usage() {
    // Unknown group: exit 1, typed error in the line.
    let (code, v, _) = run(bootstrap().args([
        "--once",
        "--fleet",
        &unique_fleet(),
        "--group",
        &unique("no-such-group"),
        "--weight",
        "1",
    ]));
    assert_eq!(code, 1);
    assert_eq!(v["result"], "error");
    assert_eq!(v["error"]["kind"], "group_not_found");
    // Missing weight: a configuration error naming the variable.
    let (code, v, _) = run(bootstrap().args(["--once", "--fleet", "sfr-1", "--group", "g"]));
    assert_eq!(code, 1);
    assert_eq!(v["error"]["kind"], "config");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("SPOTCOVER_ON_DEMAND_WEIGHT")
    );
    // Bad usage: exit 2, usage on stderr.
    let (code, _, err) = run(bootstrap().args(["--once", "--bogus"]));
    assert_eq!(code, 2);
    assert!(err.contains("usage: bootstrap --once"), "{err}");
    let (code, _, err) = run(&mut bootstrap());
    assert_eq!(code, 2, "no flags and no AWS_LAMBDA_RUNTIME_API");
    assert!(err.contains("--once is required"), "{err}");
}
