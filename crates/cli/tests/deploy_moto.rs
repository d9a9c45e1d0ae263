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
    let (ids, net) = deploy_into_network(&out, &stack);
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
    // One launch override per instance type and subnet (Spot Fleet's
    // LaunchTemplateOverrides.SubnetId takes one subnet: EC2 API reference), each subnet
    // of the three the deploy passed. moto lists each override as a launch
    // specification (tools/moto_server.py) and resolved every subnet id to launch.
    let overrides: Vec<(String, String)> = config["LaunchSpecifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                s(&o["InstanceType"]).to_owned(),
                s(&o["SubnetId"]).to_owned(),
            )
        })
        .collect();
    let mut expected = Vec::new();
    for t in ["m6i.large", "m6a.large", "m5.large", "m6i.xlarge"] {
        for subnet in &net.subnets {
            expected.push((t.to_owned(), subnet.clone()));
        }
    }
    assert_eq!(net.subnets.len(), 3);
    assert_eq!(overrides, expected);
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
        id("OnDemandLaunchTemplate")
    );
    let hooks = aws(&[
        "autoscaling",
        "describe-lifecycle-hooks",
        "--auto-scaling-group-name",
        id("OnDemandGroup"),
    ]);
    let hook = &hooks["LifecycleHooks"][0];
    assert_eq!(hook["LifecycleHookName"], "spotcover-drain");
    assert_eq!(
        hook["LifecycleTransition"],
        "autoscaling:EC2_INSTANCE_TERMINATING"
    );
    assert_eq!(hook["HeartbeatTimeout"], 900);
    assert_eq!(hook["DefaultResult"], "CONTINUE");
    let drain_rule = aws(&["events", "describe-rule", "--name", id("DrainHookRule")]);
    let pattern: Value = serde_json::from_str(s(&drain_rule["EventPattern"])).unwrap();
    assert_eq!(
        pattern["detail"]["AutoScalingGroupName"],
        serde_json::json!([id("OnDemandGroup")])
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
    // None reserved: low-quota accounts refuse a reservation (issue 9).
    let concurrency = aws(&[
        "lambda",
        "get-function-concurrency",
        "--function-name",
        id("ReconcilerFunction"),
    ]);
    assert!(
        concurrency.get("ReservedConcurrentExecutions").is_none(),
        "{concurrency}"
    );
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
    assert!(
        doc.contains("aws:ResourceTag/spotcover:capacity"),
        "TerminateInstances is not scoped by tag: {doc}"
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
            net.subnets.join(", "), net.security_group
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
        net.subnets.join(",").as_str()
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
