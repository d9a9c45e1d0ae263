//! `engine: asg`: one test per rule the template follows, each citing the AWS page it
//! comes from. cfn-lint and checkov check shapes; these check what AWS documents.

use serde_json::{Value, json};
use spotcover_reconciler_core::contract::events::DETAIL_LAUNCH_UNSUCCESSFUL;
use spotcover_reconciler_core::contract::teardown;
use spotcover_reconciler_core::policy::fallback;
use spotcover_stack::compose::asg_ids;
use spotcover_stack::{Asset, load};

const SHA: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const EXAMPLE: &str = include_str!("../../../examples/asg.yaml");

fn synth(yaml: &str) -> Value {
    let mut resolved = load(yaml).unwrap_or_else(|e| panic!("config errors: {e:?}"));
    let config = resolved.remove(0).config;
    spotcover_stack::compose(&config, &Asset { sha256: SHA.into() })
        .unwrap()
        .to_value()
        .unwrap()
}

fn example() -> Value {
    synth(EXAMPLE)
}

fn props<'a>(doc: &'a Value, id: &str) -> &'a Value {
    &doc["Resources"]
        .get(id)
        .unwrap_or_else(|| panic!("no resource {id}"))["Properties"]
}

fn of_type<'a>(doc: &'a Value, kind: &str) -> Vec<&'a String> {
    doc["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"] == kind)
        .map(|(id, _)| id)
        .collect()
}

fn r(id: &str) -> Value {
    json!({ "Ref": id })
}

fn distribution(doc: &Value) -> &Value {
    &props(doc, asg_ids::GROUP)["MixedInstancesPolicy"]["InstancesDistribution"]
}

fn statement<'a>(doc: &'a Value, sid: &str) -> &'a Value {
    props(doc, "ReconcilerRole")["Policies"][0]["PolicyDocument"]["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Sid"] == sid)
        .unwrap_or_else(|| panic!("no statement {sid}"))
}

#[test]
fn the_asg_engine_has_no_fleet_and_no_second_group() {
    let doc = example();
    assert!(of_type(&doc, "AWS::EC2::SpotFleet").is_empty());
    assert_eq!(
        of_type(&doc, "AWS::AutoScaling::AutoScalingGroup"),
        [asg_ids::GROUP]
    );
}

/// ECS developer guide, "Amazon ECS capacity providers for EC2 workloads"
/// (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/asg-capacity-providers.html):
/// the group cannot have instance weighting settings.
#[test]
fn no_instance_type_is_weighted() {
    let doc = example();
    let overrides =
        props(&doc, asg_ids::GROUP)["MixedInstancesPolicy"]["LaunchTemplate"]["Overrides"]
            .as_array()
            .unwrap();
    assert_eq!(overrides.len(), 4);
    assert!(
        overrides
            .iter()
            .all(|o| o.get("WeightedCapacity").is_none())
    );
}

/// EC2 Auto Scaling API reference, `InstancesDistribution`
/// (https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_InstancesDistribution.html):
/// `OnDemandPercentageAboveBaseCapacity` defaults to 100 (all on-demand), so the group
/// sets 0; `OnDemandBaseCapacity` (default 0, in instances without weights) is the
/// floor the fallback starts from.
#[test]
fn everything_above_the_base_is_spot_and_the_base_starts_at_the_floor() {
    let doc = synth(&EXAMPLE.replace("on_demand_floor: 0", "on_demand_floor: 2"));
    let d = distribution(&doc);
    assert_eq!(d["OnDemandPercentageAboveBaseCapacity"], 0);
    assert_eq!(d["OnDemandBaseCapacity"], 2);
}

/// Same page: `SpotAllocationStrategy` `price-capacity-optimized` (AWS's recommendation
/// for most workloads); the API default is `lowest-price`.
#[test]
fn spot_is_price_capacity_optimized() {
    assert_eq!(
        distribution(&example())["SpotAllocationStrategy"],
        "price-capacity-optimized"
    );
}

/// ECS developer guide, "Control the instances Amazon ECS terminates"
/// (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/managed-termination-protection.html):
/// managed termination protection needs scale-in protection on the group; and ECS API
/// reference, `AutoScalingGroupProvider.managedTerminationProtection`: it needs managed
/// scaling too.
#[test]
fn managed_termination_protection_has_what_it_needs() {
    let doc = example();
    assert_eq!(
        props(&doc, asg_ids::GROUP)["NewInstancesProtectedFromScaleIn"],
        true
    );
    let p = &props(&doc, asg_ids::CAPACITY_PROVIDER)["AutoScalingGroupProvider"];
    assert_eq!(p["ManagedTerminationProtection"], "ENABLED");
    assert_eq!(p["ManagedScaling"]["Status"], "ENABLED");
}

/// ECS developer guide, "Configuring Amazon ECS capacity providers to safely shut down
/// instances" (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/enable-managed-instance-draining.html):
/// `ManagedDraining: ENABLED` drains an instance before the group removes it. Written
/// out although it is the default at creation, so a template diff shows it.
#[test]
fn instances_leave_drained() {
    let doc = example();
    assert_eq!(
        props(&doc, asg_ids::CAPACITY_PROVIDER)["AutoScalingGroupProvider"]["ManagedDraining"],
        "ENABLED"
    );
}

/// ECS API reference, `ManagedScaling`
/// (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ManagedScaling.html):
/// targetCapacity 1 to 100, step sizes 1 to 10000 instances, instanceWarmupPeriod 0 to
/// 10000 seconds (default 300). The config's values are written as they are.
#[test]
fn managed_scaling_takes_the_configs_target_steps_and_warmup() {
    let doc = synth(
        &EXAMPLE
            .replace(
                "target_capacity_percent: 100",
                "target_capacity_percent: 90",
            )
            .replace(
                "maximum_scaling_step_size: 10",
                "maximum_scaling_step_size: 4",
            )
            .replace(
                "instance_warmup_seconds: 300",
                "instance_warmup_seconds: 120",
            ),
    );
    let s = &props(&doc, asg_ids::CAPACITY_PROVIDER)["AutoScalingGroupProvider"]["ManagedScaling"];
    assert_eq!(s["TargetCapacity"], 90);
    assert_eq!(s["MinimumScalingStepSize"], 1);
    assert_eq!(s["MaximumScalingStepSize"], 4);
    assert_eq!(s["InstanceWarmupPeriod"], 120);
}

/// CloudFormation reference, `AWS::ECS::CapacityProvider AutoScalingGroupProvider`:
/// `AutoScalingGroupArn` takes the group's ARN or its name (the group's `Ref`).
#[test]
fn the_provider_is_the_groups() {
    let doc = example();
    assert_eq!(
        props(&doc, asg_ids::CAPACITY_PROVIDER)["AutoScalingGroupProvider"]["AutoScalingGroupArn"],
        r(asg_ids::GROUP)
    );
}

/// ECS developer guide, "Automatically manage Amazon ECS capacity with cluster auto
/// scaling": do not set the group's desired capacity when managed scaling owns it.
#[test]
fn the_template_writes_no_desired_capacity() {
    assert!(
        props(&example(), asg_ids::GROUP)
            .get("DesiredCapacity")
            .is_none()
    );
}

/// EC2 Auto Scaling user guide, "Enable Capacity Rebalancing to proactively replace
/// at-risk Spot Instances"
/// (https://docs.aws.amazon.com/autoscaling/ec2/userguide/enable-capacity-rebalancing-console-cli.html):
/// the group replaces a spot instance that got a rebalance recommendation, launching
/// before it terminates the old one (managed draining drains it).
#[test]
fn spot_at_risk_is_replaced_before_it_is_interrupted() {
    assert_eq!(props(&example(), asg_ids::GROUP)["CapacityRebalance"], true);
}

/// ECS API reference, `CapacityProviderStrategyItem`, and CloudFormation's
/// `AWS::ECS::ClusterCapacityProviderAssociations` (DefaultCapacityProviderStrategy is
/// required): tasks and services that name no strategy use the default.
#[test]
fn the_provider_is_the_clusters_default() {
    let doc = example();
    let a = props(&doc, asg_ids::ASSOCIATIONS);
    assert_eq!(a["Cluster"], r("EcsCluster"));
    assert_eq!(
        a["CapacityProviders"],
        json!([r(asg_ids::CAPACITY_PROVIDER)])
    );
    assert_eq!(
        a["DefaultCapacityProviderStrategy"],
        json!([{ "Base": 0, "CapacityProvider": r(asg_ids::CAPACITY_PROVIDER), "Weight": 1 }])
    );
}

/// EventBridge events reference, "Amazon EC2 Auto Scaling events"
/// (https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-autoscaling.html):
/// source `aws.autoscaling`, detail-type `EC2 Instance Launch Unsuccessful`, with the
/// group's name in `detail.AutoScalingGroupName`; best effort, hence the schedule too.
#[test]
fn this_groups_failed_launches_reach_the_reconciler() {
    let doc = example();
    let p = props(&doc, asg_ids::LAUNCH_FAILURE_RULE);
    assert_eq!(
        p["EventPattern"],
        json!({
            "source": ["aws.autoscaling"],
            "detail-type": [DETAIL_LAUNCH_UNSUCCESSFUL],
            "detail": { "AutoScalingGroupName": [r(asg_ids::GROUP)] }
        })
    );
    assert_eq!(
        props(&doc, "ReconcilerSchedule")["ScheduleExpression"],
        "rate(1 minute)"
    );
}

/// Service Authorization Reference, Amazon EC2 Auto Scaling: `UpdateAutoScalingGroup`,
/// `CreateOrUpdateTags`, `TerminateInstanceInAutoScalingGroup` and
/// `SetInstanceProtection` take the group's ARN; the describes take only `*`. The role
/// cannot set any desired capacity (`SetDesiredCapacity` is not granted) and reaches no
/// other group.
#[test]
fn the_reconciler_may_change_this_group_only_and_never_its_desired_capacity() {
    let doc = example();
    let write = statement(&doc, "SetTheGroupsOnDemandBase");
    assert_eq!(
        write["Action"],
        json!([
            "autoscaling:UpdateAutoScalingGroup",
            "autoscaling:CreateOrUpdateTags",
            "autoscaling:TerminateInstanceInAutoScalingGroup",
            "autoscaling:SetInstanceProtection"
        ])
    );
    let arn = write["Resource"][0].to_string();
    assert!(
        arn.contains("autoScalingGroupName/") && arn.contains(asg_ids::GROUP),
        "{arn}"
    );
    assert_eq!(statement(&doc, "ObserveTheGroup")["Resource"], json!(["*"]));
    let all = props(&doc, "ReconcilerRole")["Policies"][0]["PolicyDocument"].to_string();
    assert!(!all.contains("SetDesiredCapacity"));
    assert!(!all.contains("ec2:TerminateInstances"));
}

/// The reconciler's environment is the fallback's settings, read back as the Lambda
/// reads them (`fallback::Settings::from_lookup`).
#[test]
fn the_lambda_reads_back_the_fallback_settings() {
    let doc = synth(&EXAMPLE.replace("on_demand_floor: 0", "on_demand_floor: 1"));
    let vars = props(&doc, "ReconcilerFunction")["Environment"]["Variables"]
        .as_object()
        .unwrap()
        .clone();
    let read = fallback::Settings::from_lookup(|k| {
        vars.get(k).map(|v| match v {
            Value::String(s) => s.clone(),
            other => other["Ref"].as_str().unwrap().to_owned(),
        })
    })
    .unwrap();
    assert_eq!(read.group_name, asg_ids::GROUP);
    assert_eq!(read.cluster, "EcsCluster");
    assert_eq!(read.capacity_provider, asg_ids::CAPACITY_PROVIDER);
    assert_eq!((read.floor, read.max_on_demand), (1, 40));
    assert_eq!((read.return_hold_secs, read.max_hold_secs), (900, 3600));
    assert_eq!(
        vars.len(),
        read.to_env().len(),
        "nothing the Lambda does not read"
    );
}

/// CloudFormation user guide, custom resources: `ServiceToken` names the function that
/// gets Create, Update and Delete; stack deletion must not wait on instances protected
/// from scale-in (aws-cdk issues 14732 and 18179), so the reconciler gets the group and
/// cluster to empty on Delete.
#[test]
fn stack_deletion_empties_the_group_through_the_reconciler() {
    let doc = example();
    let p = props(&doc, asg_ids::TEARDOWN);
    assert_eq!(
        doc["Resources"][asg_ids::TEARDOWN]["Type"],
        "AWS::CloudFormation::CustomResource"
    );
    assert_eq!(
        p["ServiceToken"],
        json!({ "Fn::GetAtt": ["ReconcilerFunction", "Arn"] })
    );
    assert_eq!(p[teardown::GROUP_NAME], r(asg_ids::GROUP));
    assert_eq!(p[teardown::CLUSTER], r("EcsCluster"));
}

/// ECS agent configuration: `ECS_ENABLE_SPOT_INSTANCE_DRAINING` drains a spot instance
/// on its interruption notice (harmless on the group's on-demand base).
#[test]
fn the_groups_instances_drain_on_a_spot_interruption_notice() {
    let doc = example();
    let ud = props(&doc, asg_ids::LAUNCH_TEMPLATE)["LaunchTemplateData"]["UserData"].to_string();
    assert!(
        ud.contains("ECS_ENABLE_SPOT_INSTANCE_DRAINING=true"),
        "{ud}"
    );
}

/// Auto Scaling's instance list does not say which instances are spot (API reference,
/// `Instance`), so each instance writes its own market into its ECS attribute at boot:
/// EC2 user guide, "Instance metadata categories", `instance-life-cycle` (the purchasing
/// option, `spot` or `on-demand`), read with an IMDSv2 token.
#[test]
fn each_instance_tells_ecs_its_own_market() {
    let doc = example();
    let ud = props(&doc, asg_ids::LAUNCH_TEMPLATE)["LaunchTemplateData"]["UserData"].to_string();
    assert!(ud.contains("meta-data/instance-life-cycle"), "{ud}");
    assert!(ud.contains("latest/api/token"), "{ud}");
    assert!(!ud.contains("spotcover.capacity\\\\\":\\\\\"mixed"), "{ud}");
}
