//! `engine: asg`: the reconciler's rights are exactly the calls its fallback run and the
//! teardown custom resource make, each on the narrowest resource AWS authorizes; the
//! custom resource does not leave CloudFormation waiting an hour; `validate` says what
//! an `engine: asg` config needs that it cannot check.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use spotcover_reconciler_core::custom_resource::SERVICE_TIMEOUT_SECS;
use spotcover_stack::compose::asg_ids;
use spotcover_stack::{Asset, load};

const SHA: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const EXAMPLE: &str = include_str!("../../../examples/asg.yaml");

fn example() -> Value {
    let config = load(EXAMPLE).unwrap().remove(0).config;
    spotcover_stack::compose(&config, &Asset { sha256: SHA.into() })
        .unwrap()
        .to_value()
        .unwrap()
}

/// Every (action, resources, condition) the role grants.
fn grants(doc: &Value) -> BTreeMap<String, (Value, Value)> {
    let mut out = BTreeMap::new();
    for s in doc["Resources"]["ReconcilerRole"]["Properties"]["Policies"][0]["PolicyDocument"]
        ["Statement"]
        .as_array()
        .unwrap()
    {
        for a in s["Action"].as_array().unwrap() {
            let prev = out.insert(
                a.as_str().unwrap().to_owned(),
                (s["Resource"].clone(), s["Condition"].clone()),
            );
            assert!(prev.is_none(), "{a} granted twice");
        }
    }
    out
}

fn cluster_arn() -> Value {
    json!({"Fn::GetAtt": ["EcsCluster", "Arn"]})
}

fn in_cluster(kind: &str) -> Value {
    json!([{"Fn::Sub": format!("arn:${{AWS::Partition}}:ecs:${{AWS::Region}}:${{AWS::AccountId}}:{kind}/${{EcsCluster}}/*")}])
}

/// The calls of `crates/reconciler` under `engine: asg` (its adapters'
/// `describe_fallback_group`, `describe_scaling_activities`, `set_on_demand_base`,
/// `terminate_in_group`, `release_group`, `set_instance_protection`, `put_group_tag`,
/// `list_container_instances`, `describe_container_instances`, `set_status`,
/// `list_tasks`, `describe_tasks`, `list_services`, `describe_services`), and the
/// CloudWatch Logs rights every function has.
#[test]
fn the_role_grants_exactly_the_calls_the_fallback_makes() {
    let doc = example();
    let mut actions: Vec<String> = grants(&doc).into_keys().collect();
    actions.retain(|a| !a.starts_with("logs:"));
    assert_eq!(
        actions,
        [
            "autoscaling:CreateOrUpdateTags",
            "autoscaling:DescribeAutoScalingGroups",
            "autoscaling:DescribeScalingActivities",
            "autoscaling:SetInstanceProtection",
            "autoscaling:TerminateInstanceInAutoScalingGroup",
            "autoscaling:UpdateAutoScalingGroup",
            "ecs:DescribeContainerInstances",
            "ecs:DescribeServices",
            "ecs:DescribeTasks",
            "ecs:ListContainerInstances",
            "ecs:ListServices",
            "ecs:ListTasks",
            "ecs:UpdateContainerInstancesState",
        ]
    );
}

/// Service Authorization Reference, "Actions, resources, and condition keys for Amazon
/// Elastic Container Service" and for Amazon EC2 Auto Scaling
/// (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerservice.html,
/// .../list_amazonec2autoscaling.html): the resource types each action takes.
#[test]
fn each_action_is_granted_on_the_narrowest_resource_aws_authorizes() {
    let g = grants(&example());
    let group = |a: &str| {
        let r = g[a].0.to_string();
        assert!(
            r.contains("autoScalingGroup:*:autoScalingGroupName/") && r.contains(asg_ids::GROUP),
            "{a}: {r}"
        );
    };
    for a in [
        "autoscaling:UpdateAutoScalingGroup",
        "autoscaling:CreateOrUpdateTags",
        "autoscaling:TerminateInstanceInAutoScalingGroup",
        "autoscaling:SetInstanceProtection",
    ] {
        group(a);
    }
    // Describe actions support no resource-level permissions.
    for a in [
        "autoscaling:DescribeAutoScalingGroups",
        "autoscaling:DescribeScalingActivities",
        "ecs:ListServices",
    ] {
        assert_eq!(g[a], (json!(["*"]), Value::Null), "{a}");
    }
    assert_eq!(g["ecs:ListContainerInstances"].0, json!([cluster_arn()]));
    for a in [
        "ecs:DescribeContainerInstances",
        "ecs:UpdateContainerInstancesState",
    ] {
        assert_eq!(g[a].0, in_cluster("container-instance"), "{a}");
    }
    assert_eq!(g["ecs:DescribeTasks"].0, in_cluster("task"));
    assert_eq!(g["ecs:DescribeServices"].0, in_cluster("service"));
}

/// A cluster-wide `ListTasks` is authorized against `*`: granting it on
/// container-instance ARNs is refused. AWS's own examples scope it with the `ecs:cluster`
/// condition key, an ARN, so `ArnEquals` (ECS developer guide, "Amazon ECS
/// identity-based policy examples"; `/work/shared/reference/aws-real-world.md`).
#[test]
fn list_tasks_is_granted_on_star_for_this_cluster_only() {
    let g = grants(&example());
    assert_eq!(
        g["ecs:ListTasks"],
        (
            json!(["*"]),
            json!({"ArnEquals": {"ecs:cluster": cluster_arn()}})
        )
    );
}

/// Amazon EC2 Auto Scaling user guide, "Control Amazon EC2 launch template usage in Auto
/// Scaling groups": "user permissions for ec2:RunInstances are only checked when an
/// Auto Scaling group is created or updated using a launch template", and "Amazon EC2
/// Auto Scaling API permissions": `ec2:RunInstances` "To launch instances when a launch
/// template is provided", `iam:PassRole` when "a launch template that specifies an
/// instance profile ... is provided". The reconciler's `UpdateAutoScalingGroup` provides
/// no launch template (only `MixedInstancesPolicy.InstancesDistribution.
/// OnDemandBaseCapacity`, or sizes and protection), so it needs neither. Real AWS is
/// the judge: the moto deploy cannot check it.
#[test]
fn updating_the_base_needs_no_run_instances_or_pass_role() {
    let g = grants(&example());
    assert!(!g.contains_key("ec2:RunInstances"));
    assert!(!g.contains_key("iam:PassRole"));
}

/// AWS::CloudFormation::CustomResource, `ServiceTimeout`: "The maximum time, in seconds,
/// that can elapse before a custom resource operation times out. The value must be an
/// integer from 1 to 3600. The default value is 3600 seconds (1 hour)."
#[test]
fn the_teardown_is_answered_within_minutes_or_fails() {
    let doc = example();
    let p = &doc["Resources"][asg_ids::TEARDOWN]["Properties"];
    assert_eq!(p["ServiceTimeout"], json!(SERVICE_TIMEOUT_SECS));
    const { assert!(SERVICE_TIMEOUT_SECS < 3600) };
}

fn warnings(yaml: &str) -> Vec<String> {
    load(yaml)
        .unwrap()
        .remove(0)
        .warnings
        .iter()
        .map(ToString::to_string)
        .collect()
}

/// "Tasks without a capacity provider strategy are ignored by capacity providers" (ECS
/// developer guide, managed scaling behaviour): `validate` says it for every
/// `engine: asg` config, since the services are not in it.
#[test]
fn validate_warns_that_launch_type_services_never_scale_the_group() {
    let w = warnings(EXAMPLE);
    assert!(
        w.iter()
            .any(|w| w.contains("engine") && w.contains("launchType: EC2")),
        "{w:?}"
    );
}

#[test]
fn validate_warns_when_an_override_changes_the_default_strategy() {
    let w = warnings(&format!(
        "{EXAMPLE}\noverrides:\n  - resource: {}\n    path: Properties.DefaultCapacityProviderStrategy[0].Weight\n    value: 0\n",
        asg_ids::ASSOCIATIONS
    ));
    assert!(w.iter().any(|w| w.contains("overrides[0]")), "{w:?}");
}

#[test]
fn validate_warns_when_the_backstop_runs_less_than_every_minute() {
    let w = warnings(&format!(
        "{EXAMPLE}\nreconciler:\n  schedule: rate(5 minutes)\n"
    ));
    assert!(w.iter().any(|w| w.contains("reconciler.schedule")), "{w:?}");
}
