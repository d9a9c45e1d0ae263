//! `engine: asg`: deploy examples/asg.yaml into moto server with the real `aws` CLI, then
//! look for every resource in its own service's API (tools/moto_server.py fills moto's
//! capacity-provider gaps; moto skips the teardown custom resource, which it runs only
//! as `Custom::*` through a Lambda in Docker).

mod common;

use std::collections::BTreeMap;

use common::moto::*;
use common::*;
use serde_json::{Value, json};

#[test]
fn asg_deploys_and_every_resource_is_wired_in_its_own_api() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    synth(&example("asg"), &out, &fixture_zip(tmp.path()), "yaml");
    let stack = unique("asg");
    let (ids, net) = deploy_into_network(&out, &stack);

    asg_group(&ids, &net);
    asg_capacity_provider_and_cluster(&ids);
    asg_function_and_rule(&ids);
}

fn asg_group(ids: &BTreeMap<String, String>, net: &Network) {
    let id = |logical: &str| physical(ids, logical);
    let groups = aws(&[
        "autoscaling",
        "describe-auto-scaling-groups",
        "--auto-scaling-group-names",
        id("CapacityGroup"),
    ]);
    let group = &groups["AutoScalingGroups"][0];
    assert_eq!(
        (
            &group["MinSize"],
            &group["MaxSize"],
            &group["DesiredCapacity"]
        ),
        (&Value::from(0), &Value::from(40), &Value::from(0))
    );
    assert_eq!(group["NewInstancesProtectedFromScaleIn"], true);
    assert_eq!(group["CapacityRebalance"], true);
    let policy = &group["MixedInstancesPolicy"];
    assert_eq!(
        policy["InstancesDistribution"],
        json!({
            "OnDemandAllocationStrategy": "prioritized",
            "OnDemandBaseCapacity": 0,
            "OnDemandPercentageAboveBaseCapacity": 0,
            "SpotAllocationStrategy": "price-capacity-optimized"
        })
    );
    assert_eq!(
        policy["LaunchTemplate"]["LaunchTemplateSpecification"]["LaunchTemplateId"],
        id("CapacityGroupLaunchTemplate")
    );
    let types: Vec<&str> = policy["LaunchTemplate"]["Overrides"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| s(&o["InstanceType"]))
        .collect();
    assert_eq!(types, ["m6i.large", "m6a.large", "m5.large", "m6i.xlarge"]);
    let mut zones: Vec<&str> = s(&group["VPCZoneIdentifier"]).split(',').collect();
    zones.sort_unstable();
    let mut subnets: Vec<&str> = net.subnets.iter().map(String::as_str).collect();
    subnets.sort_unstable();
    assert_eq!(zones, subnets);
}

fn asg_capacity_provider_and_cluster(ids: &BTreeMap<String, String>) {
    let id = |logical: &str| physical(ids, logical);
    let providers = aws(&[
        "ecs",
        "describe-capacity-providers",
        "--capacity-providers",
        id("CapacityProvider"),
    ]);
    let provider = &providers["capacityProviders"][0]["autoScalingGroupProvider"];
    assert_eq!(provider["autoScalingGroupArn"], id("CapacityGroup"));
    assert_eq!(provider["managedTerminationProtection"], "ENABLED");
    assert_eq!(provider["managedDraining"], "ENABLED");
    assert_eq!(
        provider["managedScaling"],
        json!({
            "status": "ENABLED",
            "targetCapacity": 100,
            "minimumScalingStepSize": 1,
            "maximumScalingStepSize": 10,
            "instanceWarmupPeriod": 300
        })
    );

    let clusters = aws(&["ecs", "describe-clusters", "--clusters", id("EcsCluster")]);
    let cluster = &clusters["clusters"][0];
    assert_eq!(
        cluster["capacityProviders"],
        json!([id("CapacityProvider")])
    );
    assert_eq!(
        cluster["defaultCapacityProviderStrategy"],
        json!([{ "capacityProvider": id("CapacityProvider"), "weight": 1, "base": 0 }])
    );
}

fn asg_function_and_rule(ids: &BTreeMap<String, String>) {
    let id = |logical: &str| physical(ids, logical);
    let function = aws(&[
        "lambda",
        "get-function-configuration",
        "--function-name",
        id("ReconcilerFunction"),
    ]);
    let vars = &function["Environment"]["Variables"];
    assert_eq!(vars["SPOTCOVER_FALLBACK_GROUP"], id("CapacityGroup"));
    assert_eq!(vars["SPOTCOVER_FALLBACK_CLUSTER"], id("EcsCluster"));
    assert_eq!(
        vars["SPOTCOVER_FALLBACK_CAPACITY_PROVIDER"],
        id("CapacityProvider")
    );
    assert_eq!(vars["SPOTCOVER_FALLBACK_MAX_ON_DEMAND"], "40");

    let rule = aws(&["events", "describe-rule", "--name", id("LaunchFailureRule")]);
    let pattern: Value = serde_json::from_str(s(&rule["EventPattern"])).unwrap();
    assert_eq!(
        pattern["detail-type"],
        json!(["EC2 Instance Launch Unsuccessful"])
    );
    assert_eq!(
        pattern["detail"]["AutoScalingGroupName"],
        json!([id("CapacityGroup")])
    );
    let targets = aws(&[
        "events",
        "list-targets-by-rule",
        "--rule",
        id("LaunchFailureRule"),
    ]);
    assert_eq!(targets["Targets"][0]["Arn"], function["FunctionArn"]);
    let schedule = aws(&[
        "events",
        "describe-rule",
        "--name",
        id("ReconcilerSchedule"),
    ]);
    assert_eq!(schedule["ScheduleExpression"], "rate(1 minute)");

    let role = aws(&[
        "iam",
        "get-role-policy",
        "--role-name",
        id("ReconcilerRole"),
        "--policy-name",
        "reconciler",
    ]);
    let doc = role["PolicyDocument"].to_string();
    assert!(doc.contains("autoscaling:UpdateAutoScalingGroup"), "{doc}");
    assert!(!doc.contains("SetDesiredCapacity"), "{doc}");
}
