//! `engine: asg` end to end: the built `bootstrap` through the real Lambda runtime loop
//! (a fake Runtime API on loopback), against moto (tools/moto_server.py stands in for a
//! spot market with no capacity: a group tagged `spotcover-emulator:spot-capacity=none`
//! launches on-demand up to its base only and records the failed spot launch), for each
//! trigger: the launch-failure event, the scheduled backstop that catches a lost event,
//! the return to spot with the instance drained first, and the teardown custom
//! resource's Create, Update and Delete answered to a local HTTP server standing in for
//! the presigned URL, including when a call fails (through the fault proxy).
//! Needs SPOTCOVER_TEST_MOTO.

mod common;

use std::collections::VecDeque;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_autoscaling as asg;
use common::proxy::{Mode, Proxy};
use common::*;
use serde_json::{Value, json};

fn bin() -> String {
    std::env::var("SPOTCOVER_TEST_BOOTSTRAP")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_bootstrap").to_owned())
}

/// A fake Lambda Runtime API that hands out events as the test pushes them.
#[derive(Default)]
struct Runtime {
    events: Mutex<VecDeque<(String, Value)>>,
    results: Mutex<Vec<(String, String, Value)>>,
}

impl Runtime {
    fn start(self: &Arc<Self>) -> String {
        let state = self.clone();
        serve(move |req| {
            let prefix = "/2018-06-01/runtime/invocation/";
            if req.method == "GET" && req.path == format!("{prefix}next") {
                let t0 = Instant::now();
                let next = loop {
                    if let Some(e) = state.events.lock().unwrap().pop_front() {
                        break Some(e);
                    }
                    if t0.elapsed() > Duration::from_secs(300) {
                        break None;
                    }
                    std::thread::sleep(Duration::from_millis(20));
                };
                let Some((id, ev)) = next else {
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
        })
        .to_string()
    }

    /// Sends `event` and waits for its result: ("response" | "error", body).
    fn invoke(&self, child: &mut Child, event: Value) -> (String, Value) {
        let id = unique("req");
        self.events.lock().unwrap().push_back((id.clone(), event));
        let t0 = Instant::now();
        loop {
            if let Some((_, kind, body)) = self
                .results
                .lock()
                .unwrap()
                .iter()
                .find(|(i, _, _)| *i == id)
            {
                return (kind.clone(), body.clone());
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!("bootstrap exited: {status}");
            }
            assert!(t0.elapsed() < Duration::from_secs(60), "no result for {id}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// The stack's pieces in moto: a launch template, the spot group (base 0, everything
/// above it spot, new instances protected), and a cluster.
async fn stack() -> (String, String) {
    let ec2 = ec2_query(&format!(
        "Action=CreateLaunchTemplate&Version=2016-11-15&LaunchTemplateName={}\
         &LaunchTemplateData.ImageId=ami-12c6146b&LaunchTemplateData.InstanceType=m6i.large",
        unique("lt")
    ));
    let start = ec2.find("<launchTemplateId>").expect(&ec2) + "<launchTemplateId>".len();
    let lt = &ec2[start..start + ec2[start..].find('<').unwrap()];
    let group = unique("cap");
    asg_client(&moto())
        .await
        .create_auto_scaling_group()
        .auto_scaling_group_name(&group)
        .min_size(0)
        .max_size(20)
        .availability_zones("us-east-1a")
        .new_instances_protected_from_scale_in(true)
        .mixed_instances_policy(
            asg::types::MixedInstancesPolicy::builder()
                .launch_template(
                    asg::types::LaunchTemplate::builder()
                        .launch_template_specification(
                            asg::types::LaunchTemplateSpecification::builder()
                                .launch_template_id(lt)
                                .version("1")
                                .build(),
                        )
                        .overrides(
                            asg::types::LaunchTemplateOverrides::builder()
                                .instance_type("m6i.large")
                                .build(),
                        )
                        .build(),
                )
                .instances_distribution(
                    asg::types::InstancesDistribution::builder()
                        .on_demand_base_capacity(0)
                        .on_demand_percentage_above_base_capacity(0)
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("create group");
    (group, create_cluster().await)
}

async fn group_of(name: &str) -> asg::types::AutoScalingGroup {
    asg_client(&moto())
        .await
        .describe_auto_scaling_groups()
        .auto_scaling_group_names(name)
        .send()
        .await
        .unwrap()
        .auto_scaling_groups()[0]
        .clone()
}

async fn base_of(name: &str) -> i32 {
    group_of(name)
        .await
        .mixed_instances_policy()
        .and_then(|p| p.instances_distribution())
        .and_then(|d| d.on_demand_base_capacity())
        .unwrap()
}

async fn ids_of(name: &str) -> Vec<String> {
    group_of(name)
        .await
        .instances()
        .iter()
        .map(|i| i.instance_id().unwrap().to_owned())
        .collect()
}

/// ECS's managed scaling sets the desired capacity; the test plays it.
async fn ecs_wants(group: &str, desired: i32) {
    asg_client(&moto())
        .await
        .set_desired_capacity()
        .auto_scaling_group_name(group)
        .desired_capacity(desired)
        .send()
        .await
        .unwrap();
}

async fn spot_market(group: &str, capacity: bool) {
    let c = asg_client(&moto()).await;
    let tag = asg::types::Tag::builder()
        .resource_id(group)
        .resource_type("auto-scaling-group")
        .key("spotcover-emulator:spot-capacity")
        .value("none")
        .propagate_at_launch(false)
        .build();
    if capacity {
        c.delete_tags().tags(tag).send().await.unwrap();
    } else {
        c.create_or_update_tags().tags(tag).send().await.unwrap();
    }
}

fn bootstrap(runtime: &str, group: &str, cluster: &str, asg_endpoint: &str) -> Child {
    Command::new(bin())
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", runtime)
        .env("AWS_LAMBDA_FUNCTION_NAME", "spotcover")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_ENDPOINT_URL", moto())
        .env("AWS_ENDPOINT_URL_AUTO_SCALING", asg_endpoint)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_MAX_ATTEMPTS", "1")
        .env("SPOTCOVER_STACK", "spotcover-asg")
        .env("SPOTCOVER_FALLBACK_GROUP", group)
        .env("SPOTCOVER_FALLBACK_CLUSTER", cluster)
        .env("SPOTCOVER_FALLBACK_CAPACITY_PROVIDER", "cp")
        .env("SPOTCOVER_FALLBACK_FLOOR", "0")
        .env("SPOTCOVER_FALLBACK_MAX_ON_DEMAND", "10")
        // A hold of a second, so the return can be seen without waiting 15 minutes.
        .env("SPOTCOVER_FALLBACK_RETURN_HOLD_SECONDS", "1")
        .env("SPOTCOVER_FALLBACK_MAX_HOLD_SECONDS", "2")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn bootstrap")
}

fn launch_failure(group: &str) -> Value {
    let t = chrono_now();
    json!({
        "version": "0", "id": unique("ev"), "detail-type": "EC2 Instance Launch Unsuccessful",
        "source": "aws.autoscaling", "account": "123456789012", "time": t,
        "region": "us-east-1", "resources": ["auto-scaling-group-arn"],
        "detail": {
            "StatusCode": "Failed", "AutoScalingGroupName": group,
            "StatusMessage": "Could not launch Spot Instances. InsufficientInstanceCapacity - There is no Spot capacity available that matches your request. Launching EC2 instance failed.",
            "StartTime": t, "EndTime": t, "Cause": "description-text"
        }
    })
}

/// Now as EventBridge writes `time` (RFC 3339, UTC).
fn chrono_now() -> String {
    let s = now();
    let (days, rem) = (s.div_euclid(86_400), s.rem_euclid(86_400));
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[tokio::test]
#[ignore = "the fallback now raises only for tasks that wait (PROVISIONING) and keeps a new state form; this test's group has no waiting task in its set-up: to be rewritten for those rules"]
async fn each_trigger_acts_on_the_group_through_the_runtime_loop() {
    let (group, cluster) = stack().await;
    // One spot instance runs a task.
    ecs_wants(&group, 1).await;
    let spot = ids_of(&group).await;
    let spot_ci = join(&cluster, &spot[0], "spot").await;
    start_task(&cluster, &spot_ci).await;

    let runtime = Arc::new(Runtime::default());
    let api = runtime.start();
    let mut child = bootstrap(&api, &group, &cluster, &moto());

    // Spot has no capacity and ECS wants 4: the launch-failure event raises the base to
    // the 3 instances spot left empty.
    spot_market(&group, false).await;
    ecs_wants(&group, 4).await;
    let (kind, body) = runtime.invoke(&mut child, launch_failure(&group));
    assert_eq!(kind, "response", "{body}");
    assert_eq!(body["fallback"]["reason"], "spot_failing", "{body}");
    assert_eq!(base_of(&group).await, 3, "{body}");
    assert_eq!(
        group_of(&group).await.desired_capacity(),
        Some(4),
        "ECS's, untouched"
    );
    // The on-demand instances register.
    let mut on_demand = Vec::new();
    for id in ids_of(&group).await.into_iter().filter(|i| *i != spot[0]) {
        on_demand.push((id.clone(), join(&cluster, &id, "on-demand").await));
    }
    assert_eq!(on_demand.len(), 3);

    // ECS wants one more; that failure's event is lost: the scheduled run reads it from
    // the group's scaling activities and raises the base again.
    ecs_wants(&group, 5).await;
    let (kind, body) = runtime.invoke(&mut child, json!({}));
    assert_eq!(kind, "response", "{body}");
    assert_eq!(base_of(&group).await, 4, "{body}");
    for id in ids_of(&group).await {
        if id != spot[0] && !on_demand.iter().any(|(o, _)| *o == id) {
            on_demand.push((id.clone(), join(&cluster, &id, "on-demand").await));
        }
    }
    // One on-demand instance runs a task.
    let busy = start_task(&cluster, &on_demand[0].1).await;

    // Spot is back. The return drains one on-demand instance (the one with the fewest
    // tasks) before anything leaves; the base stays until it is empty.
    spot_market(&group, true).await;
    std::thread::sleep(Duration::from_secs(3)); // past the hold
    let (kind, body) = runtime.invoke(&mut child, json!({}));
    assert_eq!(kind, "response", "{body}");
    assert_eq!(body["fallback"]["reason"], "return_drain", "{body}");
    let drained = body["fallback"]["decided"]["drain"]
        .as_str()
        .unwrap()
        .to_owned();
    let drained_ci = &on_demand.iter().find(|(id, _)| *id == drained).unwrap().1;
    assert_ne!(*drained_ci, on_demand[0].1, "not the one with a task");
    assert_eq!(container_instance(&cluster, drained_ci).await.0, "DRAINING");
    assert_eq!(base_of(&group).await, 4);
    assert!(ids_of(&group).await.contains(&drained));

    // It runs no task: the next run lowers the base by one and terminates exactly it.
    std::thread::sleep(Duration::from_secs(1));
    let (kind, body) = runtime.invoke(&mut child, json!({}));
    assert_eq!(kind, "response", "{body}");
    assert_eq!(body["fallback"]["reason"], "return_retire", "{body}");
    assert_eq!(base_of(&group).await, 3, "{body}");
    assert!(!ids_of(&group).await.contains(&drained), "{body}");
    assert_eq!(group_of(&group).await.desired_capacity(), Some(5));
    // The busy instance was never touched.
    assert_eq!(
        container_instance(&cluster, &on_demand[0].1).await.0,
        "ACTIVE"
    );
    stop_task(&cluster, &busy).await;
    // Every run's log line carries its metrics (EMF) for the dashboard.
    child.kill().unwrap();
    let out = child.wait_with_output().unwrap();
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    assert_eq!(lines.len(), 4, "one line per run");
    for line in &lines {
        assert_eq!(line["stack"], "spotcover-asg", "{line}");
        assert!(line["_aws"]["CloudWatchMetrics"].is_array(), "{line}");
        for m in [
            "tasks_provisioning",
            "on_demand_base",
            "uncovered",
            "tasks_without_provider",
        ] {
            assert!(line[m].is_number(), "{m}: {line}");
        }
    }
}

/// A loopback stand-in for the presigned S3 URL: records each PUT's content type and
/// body.
/// The PUTs the stand-in saw: content type, body.
type Puts = Arc<Mutex<Vec<(Option<String>, Value)>>>;

fn response_url() -> (String, Puts) {
    let puts: Puts = Arc::default();
    let p = puts.clone();
    let addr = serve(move |req| {
        assert_eq!(req.method, "PUT");
        let ct = req
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
            .map(|(_, v)| v.clone());
        p.lock()
            .unwrap()
            .push((ct, serde_json::from_slice(&req.body).unwrap()));
        Response::new(200, "text/plain", "")
    });
    (
        format!("http://{addr}/bucket/key?X-Amz-Signature=abc"),
        puts,
    )
}

fn request(kind: &str, url: &str, group: &str, cluster: &str) -> Value {
    let mut v = json!({
        "RequestType": kind, "ResponseURL": url,
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/spotcover-asg/guid",
        "RequestId": unique("cfn"), "ResourceType": "AWS::CloudFormation::CustomResource",
        "LogicalResourceId": "GroupTeardown",
        "ResourceProperties": {"ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:spotcover",
            "GroupName": group, "Cluster": cluster}
    });
    if kind != "Create" {
        v["PhysicalResourceId"] = json!(format!("spotcover-teardown:{group}"));
    }
    v
}

#[tokio::test]
async fn the_teardown_answers_create_update_and_delete_and_a_failed_call() {
    let (group, cluster) = stack().await;
    ecs_wants(&group, 3).await;
    assert!(
        group_of(&group)
            .await
            .instances()
            .iter()
            .all(|i| i.protected_from_scale_in() == Some(true))
    );
    let proxy = Proxy::start(&moto());
    let runtime = Arc::new(Runtime::default());
    let api = runtime.start();
    let mut child = bootstrap(&api, &group, &cluster, &proxy.url);
    let (url, puts) = response_url();

    for kind in ["Create", "Update"] {
        let (k, body) = runtime.invoke(&mut child, request(kind, &url, &group, &cluster));
        assert_eq!(k, "response", "{body}");
        let (ct, answer) = puts.lock().unwrap().last().unwrap().clone();
        assert_eq!(answer["Status"], "SUCCESS", "{kind}: {answer}");
        assert_eq!(
            answer["PhysicalResourceId"],
            format!("spotcover-teardown:{group}")
        );
        assert_eq!(
            ct.as_deref().unwrap_or(""),
            "",
            "the presigned URL's empty content type"
        );
    }

    // A Delete whose SetInstanceProtection is throttled: FAILED with the reason, at once.
    proxy.set("SetInstanceProtection", Mode::Throttle, None);
    let t0 = Instant::now();
    runtime.invoke(&mut child, request("Delete", &url, &group, &cluster));
    assert!(t0.elapsed() < Duration::from_secs(30));
    let (_, answer) = puts.lock().unwrap().last().unwrap().clone();
    assert_eq!(answer["Status"], "FAILED", "{answer}");
    assert!(
        answer["Reason"]
            .as_str()
            .unwrap()
            .contains("SetInstanceProtection")
    );

    // A Delete whose call hangs still answers, FAILED, before the function's deadline.
    proxy.set("SetInstanceProtection", Mode::Hang, None);
    let t0 = Instant::now();
    runtime.invoke(&mut child, request("Delete", &url, &group, &cluster));
    assert!(t0.elapsed() < Duration::from_secs(30), "{:?}", t0.elapsed());
    assert_eq!(puts.lock().unwrap().last().unwrap().1["Status"], "FAILED");

    // The redelivered Delete, calls healed: SUCCESS, the group emptied and unprotected.
    proxy.clear();
    runtime.invoke(&mut child, request("Delete", &url, &group, &cluster));
    let (_, answer) = puts.lock().unwrap().last().unwrap().clone();
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    let g = group_of(&group).await;
    assert_eq!(
        (g.min_size(), g.max_size(), g.desired_capacity()),
        (Some(0), Some(0), Some(0))
    );
    assert_eq!(g.new_instances_protected_from_scale_in(), Some(false));
    assert!(
        g.instances()
            .iter()
            .all(|i| i.protected_from_scale_in() != Some(true))
    );
    // And once the group is gone, a Delete still succeeds.
    asg_client(&moto())
        .await
        .delete_auto_scaling_group()
        .auto_scaling_group_name(&group)
        .force_delete(true)
        .send()
        .await
        .unwrap();
    runtime.invoke(&mut child, request("Delete", &url, &group, &cluster));
    assert_eq!(puts.lock().unwrap().last().unwrap().1["Status"], "SUCCESS");
    child.kill().unwrap();
}
