//! Deploy the quickstart into moto server with the real `aws` CLI, then look for every
//! resource in its own service's API: moto skips some resources silently, so
//! CREATE_COMPLETE alone proves little.

mod common;

use std::process::Command;

use common::moto::*;
use common::*;
use serde_json::Value;

#[test]
fn quickstart_deploys_and_every_resource_is_wired_in_its_own_api() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    synth(
        &example("quickstart"),
        &out,
        &fixture_zip(tmp.path()),
        "yaml",
    );
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

    let fleets = aws(&[
        "ec2",
        "describe-spot-fleet-requests",
        "--spot-fleet-request-ids",
        id("SpotFleet"),
    ]);
    let fleet = &fleets["SpotFleetRequestConfigs"][0];
    assert_eq!(fleet["SpotFleetRequestState"], "active");
    let config = &fleet["SpotFleetRequestConfig"];
    assert_eq!(config["TargetCapacity"], 4);
    assert_eq!(config["AllocationStrategy"], "priceCapacityOptimized");
    assert!(s(&config["IamFleetRole"]).ends_with(&format!("role/{}", id("SpotFleetRole"))));
    let spec = &config["LaunchSpecifications"][0];
    assert!(s(&spec["IamInstanceProfile"]["Arn"]).ends_with(id("InstanceProfile")));
    let user_data = base64_decode(s(&spec["UserData"]));
    assert!(
        user_data.contains(&format!("ECS_CLUSTER={cluster_name}\n")),
        "{user_data}"
    );

    let groups = aws(&[
        "autoscaling",
        "describe-auto-scaling-groups",
        "--auto-scaling-group-names",
        id("OnDemandGroup"),
    ]);
    let group = &groups["AutoScalingGroups"][0];
    assert_eq!(
        (
            &group["MinSize"],
            &group["MaxSize"],
            &group["DesiredCapacity"],
            &group["DefaultCooldown"]
        ),
        (
            &Value::from(0),
            &Value::from(200),
            &Value::from(0),
            &Value::from(2700)
        )
    );
    assert_eq!(
        group["MixedInstancesPolicy"]["LaunchTemplate"]["LaunchTemplateSpecification"]["LaunchTemplateId"],
        id("LaunchTemplateX8664")
    );

    let function = aws(&[
        "lambda",
        "get-function-configuration",
        "--function-name",
        id("ReconcilerFunction"),
    ]);
    assert_eq!(function["Runtime"], "provided.al2023");
    assert_eq!(function["Handler"], "bootstrap");
    let env = &function["Environment"]["Variables"];
    assert_eq!(env["SPOTCOVER_FLEET_ID"], id("SpotFleet"));
    assert_eq!(env["SPOTCOVER_GROUP_NAME"], id("OnDemandGroup"));
    assert!(s(&function["Role"]).ends_with(&format!("role/{}", id("ReconcilerRole"))));
    let concurrency = aws(&[
        "lambda",
        "get-function-concurrency",
        "--function-name",
        id("ReconcilerFunction"),
    ]);
    assert_eq!(concurrency["ReservedConcurrentExecutions"], 1);
    let function_arn = s(&function["FunctionArn"]).to_owned();

    let policy = aws(&[
        "lambda",
        "get-policy",
        "--function-name",
        id("ReconcilerFunction"),
    ]);
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
    assert!(
        sources.iter().any(|(p, arn)| p == "events.amazonaws.com"
            && arn.ends_with(&format!("rule/{}", id("ReconcilerSchedule")))),
        "{sources:?}"
    );
    assert!(
        sources
            .iter()
            .any(|(p, arn)| p == "sns.amazonaws.com" && arn == id("PendingCapacityTopic")),
        "{sources:?}"
    );

    let rule = aws(&[
        "events",
        "describe-rule",
        "--name",
        id("ReconcilerSchedule"),
    ]);
    assert_eq!(rule["ScheduleExpression"], "rate(1 minute)");
    assert_eq!(rule["State"], "ENABLED");
    let targets = aws(&[
        "events",
        "list-targets-by-rule",
        "--rule",
        id("ReconcilerSchedule"),
    ]);
    let target = &targets["Targets"][0];
    assert_eq!(target["Arn"], function_arn.as_str());
    let input: Value = serde_json::from_str(s(&target["Input"])).unwrap();
    assert_eq!(input, serde_json::json!({"fleetID": id("SpotFleet")}));

    let subs = aws(&[
        "sns",
        "list-subscriptions-by-topic",
        "--topic-arn",
        id("PendingCapacityTopic"),
    ]);
    assert_eq!(subs["Subscriptions"][0]["Protocol"], "lambda");
    assert_eq!(subs["Subscriptions"][0]["Endpoint"], function_arn.as_str());

    let role_policy = aws(&[
        "iam",
        "get-role-policy",
        "--role-name",
        id("ReconcilerRole"),
        "--policy-name",
        "reconciler",
    ]);
    let doc = role_policy["PolicyDocument"].to_string();
    assert!(
        doc.contains(&format!(
            ":autoScalingGroup:*:autoScalingGroupName/{}",
            id("OnDemandGroup")
        )),
        "SetDesiredCapacity is not scoped to the group: {doc}"
    );
}

#[test]
fn a_parameters_file_deploys_as_is() {
    let tmp = tempfile::tempdir().unwrap();
    let stack = unique("params");
    let net = network(&stack);
    // The bucket comes first: the parameters file names it.
    let bucket = format!("{stack}-assets");
    let config = tmp.path().join("stack.yaml");
    let text = std::fs::read_to_string(example("quickstart")).unwrap();
    std::fs::write(
        &config,
        format!(
            "{text}interruptions:\n  enabled: true\nparameters:\n  AssetBucket: {bucket}\n  Subnets: [{}]\n  SecurityGroups: [{}]\n",
            net.subnets[0], net.security_group
        ),
    )
    .unwrap();
    let out = tmp.path().join("out");
    synth(&config, &out, &fixture_zip(tmp.path()), "yaml");
    assert_eq!(upload_asset(&out, &stack), bucket);
    let file = out.join("spotcover-quickstart.parameters.json");
    let ids = deploy_template(&out, 0, &stack, &[format!("file://{}", file.display())]);
    let function = aws(&[
        "lambda",
        "get-function-configuration",
        "--function-name",
        &ids["ReconcilerFunction"],
    ]);
    assert_eq!(
        function["Environment"]["Variables"]["SPOTCOVER_FLEET_ID"],
        ids["SpotFleet"].as_str()
    );
    let group = aws(&[
        "autoscaling",
        "describe-auto-scaling-groups",
        "--auto-scaling-group-names",
        &ids["OnDemandGroup"],
    ]);
    assert_eq!(
        group["AutoScalingGroups"][0]["VPCZoneIdentifier"],
        net.subnets[0].as_str()
    );
    // With interruptions on: the warning rule exists, matches, and targets the function.
    let rule = aws(&[
        "events",
        "describe-rule",
        "--name",
        &ids["InterruptionWarningRule"],
    ]);
    let pattern: Value = serde_json::from_str(s(&rule["EventPattern"])).unwrap();
    assert_eq!(
        pattern["detail-type"],
        serde_json::json!(["EC2 Spot Instance Interruption Warning"])
    );
    let targets = aws(&[
        "events",
        "list-targets-by-rule",
        "--rule",
        &ids["InterruptionWarningRule"],
    ]);
    assert_eq!(targets["Targets"][0]["Arn"], function["FunctionArn"]);
    assert_eq!(
        function["Environment"]["Variables"]["SPOTCOVER_CLUSTER"],
        ids["EcsCluster"].as_str()
    );
}

fn base64_decode(text: &str) -> String {
    let out = Command::new(venv_bin("python"))
        .args([
            "-c",
            "import base64, sys; sys.stdout.write(base64.b64decode(sys.argv[1]).decode())",
            text,
        ])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap()
}
