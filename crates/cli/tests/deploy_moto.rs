//! Deploy the quickstart into moto server with the real `aws` CLI, then look for every
//! resource in its own service's API: moto skips some resources silently, so
//! CREATE_COMPLETE alone proves little.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use common::*;
use serde_json::Value;

/// Runs `aws --endpoint-url <moto> ARGS --output json`: the answer, parsed where it is JSON.
fn aws(args: &[&str]) -> Value {
    let out = Command::new(venv_bin("aws"))
        .args(["--endpoint-url", &moto(), "--region", "us-east-1", "--output", "json"])
        .args(args)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "aws {}: {}{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // `s3` and `deploy` print text, not JSON.
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&out.stdout).into_owned()))
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

/// A VPC with two subnets and a security group, as a user's account would have.
pub struct Network {
    pub subnets: Vec<String>,
    pub security_group: String,
}

fn network(tag: &str) -> Network {
    let vpc = aws(&["ec2", "create-vpc", "--cidr-block", "10.0.0.0/16"]);
    let vpc = s(&vpc["Vpc"]["VpcId"]).to_owned();
    let subnets = ["10.0.1.0/24", "10.0.2.0/24"]
        .iter()
        .map(|cidr| {
            let sn = aws(&["ec2", "create-subnet", "--vpc-id", &vpc, "--cidr-block", cidr]);
            s(&sn["Subnet"]["SubnetId"]).to_owned()
        })
        .collect();
    let sg = aws(&[
        "ec2", "create-security-group", "--group-name", tag, "--description", "ecs", "--vpc-id", &vpc,
    ]);
    Network {
        subnets,
        security_group: s(&sg["GroupId"]).to_owned(),
    }
}

/// Uploads the asset and deploys a synth output dir's one template; returns the stack's
/// physical resource ids by logical id.
pub fn deploy(out: &Path, stack: &str) -> BTreeMap<String, String> {
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    let bucket = format!("{stack}-assets");
    aws(&["s3", "mb", &format!("s3://{bucket}")]);
    let asset = &manifest["assets"][0];
    let local = out.join(s(&asset["file"]));
    aws(&[
        "s3",
        "cp",
        local.to_str().unwrap(),
        &format!("s3://{bucket}/{}", s(&asset["s3_key"])),
    ]);
    let net = network(stack);
    let template = out.join(s(&manifest["templates"][0]["file"]));
    aws(&[
        "cloudformation",
        "deploy",
        "--template-file",
        template.to_str().unwrap(),
        "--stack-name",
        stack,
        "--capabilities",
        "CAPABILITY_IAM",
        "--parameter-overrides",
        &format!("AssetBucket={bucket}"),
        // One subnet: the fleet joins the list with commas, as AWS documents for Spot
        // Fleet, but moto looks the joined string up as one id.
        &format!("Subnets={}", net.subnets[0]),
        &format!("SecurityGroups={}", net.security_group),
    ]);
    let stacks = aws(&["cloudformation", "describe-stacks", "--stack-name", stack]);
    assert_eq!(stacks["Stacks"][0]["StackStatus"], "CREATE_COMPLETE");
    let resources = aws(&["cloudformation", "describe-stack-resources", "--stack-name", stack]);
    resources["StackResources"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| {
            Some((
                r["LogicalResourceId"].as_str()?.to_owned(),
                r["PhysicalResourceId"].as_str()?.to_owned(),
            ))
        })
        .collect()
}

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{prefix}-{}-{nanos}", std::process::id())
}

#[test]
fn quickstart_deploys_and_every_resource_is_wired_in_its_own_api() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    synth(&example("quickstart"), &out, &fixture_zip(tmp.path()), "yaml");
    let stack = unique("qs");
    let ids = deploy(&out, &stack);
    let id = |logical: &str| {
        ids.get(logical)
            .unwrap_or_else(|| panic!("{logical} not in the stack: {ids:?}"))
            .as_str()
    };

    let clusters = aws(&["ecs", "describe-clusters", "--clusters", id("EcsCluster")]);
    assert_eq!(clusters["clusters"][0]["status"], "ACTIVE");
    let cluster_name = s(&clusters["clusters"][0]["clusterName"]).to_owned();

    let fleets = aws(&["ec2", "describe-spot-fleet-requests", "--spot-fleet-request-ids", id("SpotFleet")]);
    let fleet = &fleets["SpotFleetRequestConfigs"][0];
    assert_eq!(fleet["SpotFleetRequestState"], "active");
    let config = &fleet["SpotFleetRequestConfig"];
    assert_eq!(config["TargetCapacity"], 4);
    assert_eq!(config["AllocationStrategy"], "priceCapacityOptimized");
    assert!(s(&config["IamFleetRole"]).ends_with(&format!("role/{}", id("SpotFleetRole"))));
    let spec = &config["LaunchSpecifications"][0];
    assert!(s(&spec["IamInstanceProfile"]["Arn"]).ends_with(id("InstanceProfile")));
    let user_data = base64_decode(s(&spec["UserData"]));
    assert!(user_data.contains(&format!("ECS_CLUSTER={cluster_name}\n")), "{user_data}");

    let groups = aws(&["autoscaling", "describe-auto-scaling-groups", "--auto-scaling-group-names", id("OnDemandGroup")]);
    let group = &groups["AutoScalingGroups"][0];
    assert_eq!(
        (&group["MinSize"], &group["MaxSize"], &group["DesiredCapacity"], &group["DefaultCooldown"]),
        (&Value::from(0), &Value::from(200), &Value::from(0), &Value::from(2700))
    );
    assert_eq!(
        group["MixedInstancesPolicy"]["LaunchTemplate"]["LaunchTemplateSpecification"]["LaunchTemplateId"],
        id("LaunchTemplateX8664")
    );

    let function = aws(&["lambda", "get-function-configuration", "--function-name", id("ReconcilerFunction")]);
    assert_eq!(function["Runtime"], "provided.al2023");
    assert_eq!(function["Handler"], "bootstrap");
    let env = &function["Environment"]["Variables"];
    assert_eq!(env["SPOTCOVER_FLEET_ID"], id("SpotFleet"));
    assert_eq!(env["SPOTCOVER_GROUP_NAME"], id("OnDemandGroup"));
    assert!(s(&function["Role"]).ends_with(&format!("role/{}", id("ReconcilerRole"))));
    let concurrency = aws(&["lambda", "get-function-concurrency", "--function-name", id("ReconcilerFunction")]);
    assert_eq!(concurrency["ReservedConcurrentExecutions"], 1);
    let function_arn = s(&function["FunctionArn"]).to_owned();

    let policy = aws(&["lambda", "get-policy", "--function-name", id("ReconcilerFunction")]);
    let policy: Value = serde_json::from_str(s(&policy["Policy"])).unwrap();
    let sources: Vec<(String, String)> = policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .map(|st| {
            (
                s(&st["Principal"]["Service"]).to_owned(),
                s(&st["Condition"]["ArnLike"]["AWS:SourceArn"]).to_owned(),
            )
        })
        .collect();
    assert!(sources.iter().any(|(p, arn)| p == "events.amazonaws.com" && arn.ends_with(&format!("rule/{}", id("ReconcilerSchedule")))), "{sources:?}");
    assert!(sources.iter().any(|(p, arn)| p == "sns.amazonaws.com" && arn == id("PendingCapacityTopic")), "{sources:?}");

    let rule = aws(&["events", "describe-rule", "--name", id("ReconcilerSchedule")]);
    assert_eq!(rule["ScheduleExpression"], "rate(1 minute)");
    assert_eq!(rule["State"], "ENABLED");
    let targets = aws(&["events", "list-targets-by-rule", "--rule", id("ReconcilerSchedule")]);
    let target = &targets["Targets"][0];
    assert_eq!(target["Arn"], function_arn.as_str());
    let input: Value = serde_json::from_str(s(&target["Input"])).unwrap();
    assert_eq!(input, serde_json::json!({"fleetID": id("SpotFleet")}));

    let subs = aws(&["sns", "list-subscriptions-by-topic", "--topic-arn", id("PendingCapacityTopic")]);
    assert_eq!(subs["Subscriptions"][0]["Protocol"], "lambda");
    assert_eq!(subs["Subscriptions"][0]["Endpoint"], function_arn.as_str());

    let role_policy = aws(&["iam", "get-role-policy", "--role-name", id("ReconcilerRole"), "--policy-name", "reconciler"]);
    let doc = role_policy["PolicyDocument"].to_string();
    assert!(
        doc.contains(&format!(":autoScalingGroup:*:autoScalingGroupName/{}", id("OnDemandGroup"))),
        "SetDesiredCapacity is not scoped to the group: {doc}"
    );
}

fn base64_decode(text: &str) -> String {
    let out = Command::new(venv_bin("python"))
        .args(["-c", "import base64, sys; sys.stdout.write(base64.b64decode(sys.argv[1]).decode())", text])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap()
}
