//! One test per wiring rule: cfn-lint checks shapes, not whether the pieces connect.

use serde_json::{Value, json};
use spotcover_stack::{Asset, load};

const SHA: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn synth(yaml: &str) -> Vec<(Option<String>, Value)> {
    let resolved = load(yaml).unwrap_or_else(|e| panic!("config errors: {e:?}"));
    resolved
        .iter()
        .map(|r| {
            let t = spotcover_stack::compose(&r.config, &Asset { sha256: SHA.into() }).unwrap();
            (r.region.clone(), t.to_value().unwrap())
        })
        .collect()
}

fn quickstart() -> Value {
    synth(include_str!("../../../examples/quickstart.yaml"))
        .remove(0)
        .1
}

/// The quickstart with `interruptions.enabled` (off by default).
fn quickstart_with_interruptions() -> Value {
    let yaml = format!(
        "{}\ninterruptions:\n  enabled: true\n",
        include_str!("../../../examples/quickstart.yaml")
    );
    synth(&yaml).remove(0).1
}

fn seed() -> Value {
    synth(include_str!("../../../examples/seed-2017.yaml"))
        .remove(0)
        .1
}

fn resource<'a>(doc: &'a Value, id: &str) -> &'a Value {
    doc["Resources"]
        .get(id)
        .unwrap_or_else(|| panic!("no resource {id}"))
}

fn props<'a>(doc: &'a Value, id: &str) -> &'a Value {
    &resource(doc, id)["Properties"]
}

fn of_type<'a>(doc: &'a Value, kind: &str) -> Vec<(&'a String, &'a Value)> {
    doc["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"] == kind)
        .collect()
}

fn get_att(id: &str, attr: &str) -> Value {
    json!({"Fn::GetAtt": [id, attr]})
}

fn r(id: &str) -> Value {
    json!({"Ref": id})
}

#[test]
fn cluster_has_container_insights_as_configured() {
    let doc = quickstart();
    assert_eq!(
        props(&doc, "EcsCluster")["ClusterSettings"],
        json!([{"Name": "containerInsights", "Value": "enabled"}])
    );
}

#[test]
fn fleet_is_maintain_with_weighted_overrides_on_the_launch_template() {
    let doc = quickstart();
    let cfg = &props(&doc, "SpotFleet")["SpotFleetRequestConfigData"];
    assert_eq!(cfg["Type"], "maintain");
    assert_eq!(cfg["AllocationStrategy"], "priceCapacityOptimized");
    assert_eq!(cfg["TerminateInstancesWithExpiration"], true);
    assert_eq!(cfg["TargetCapacity"], 4);
    assert_eq!(cfg["IamFleetRole"], get_att("SpotFleetRole", "Arn"));
    assert!(cfg.get("LaunchSpecifications").is_none());
    let ltc = &cfg["LaunchTemplateConfigs"][0];
    assert_eq!(
        ltc["LaunchTemplateSpecification"],
        json!({"LaunchTemplateId": r("LaunchTemplateX8664"), "Version": get_att("LaunchTemplateX8664", "LatestVersionNumber")})
    );
    let weights: Vec<(String, f64)> = ltc["Overrides"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            assert_eq!(o["SubnetId"], json!({"Fn::Join": [",", r("Subnets")]}));
            (
                o["InstanceType"].as_str().unwrap().to_owned(),
                o["WeightedCapacity"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        weights,
        vec![
            ("m6i.large".into(), 2.0),
            ("m6a.large".into(), 2.0),
            ("m5.large".into(), 2.0),
            ("m6i.xlarge".into(), 4.0)
        ]
    );
}

#[test]
fn roles_trust_their_services_with_managed_policies_by_partition() {
    let doc = quickstart();
    let trust = |id: &str| {
        props(&doc, id)["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"][0]
            .clone()
    };
    assert_eq!(trust("SpotFleetRole"), "spotfleet.amazonaws.com");
    assert_eq!(trust("InstanceRole"), "ec2.amazonaws.com");
    assert_eq!(trust("ReconcilerRole"), "lambda.amazonaws.com");
    assert_eq!(
        props(&doc, "SpotFleetRole")["ManagedPolicyArns"],
        json!([{"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonEC2SpotFleetTaggingRole"}])
    );
    assert_eq!(
        props(&doc, "InstanceRole")["ManagedPolicyArns"],
        json!([{"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"}])
    );
    assert_eq!(
        props(&doc, "InstanceProfile")["Roles"],
        json!([r("InstanceRole")])
    );
}

#[test]
fn user_data_joins_this_cluster_and_drains_spot() {
    let doc = quickstart();
    let data = &props(&doc, "LaunchTemplateX8664")["LaunchTemplateData"];
    let script = data["UserData"]["Fn::Base64"]["Fn::Sub"].as_str().unwrap();
    assert!(script.contains("ECS_CLUSTER=${EcsCluster}\n"), "{script}");
    assert!(script.contains("ECS_ENABLE_SPOT_INSTANCE_DRAINING=true\n"));
    assert_eq!(data["MetadataOptions"]["HttpTokens"], "required");
    assert_eq!(
        data["IamInstanceProfile"]["Arn"],
        get_att("InstanceProfile", "Arn")
    );
    assert_eq!(data["SecurityGroupIds"], r("SecurityGroups"));
}

#[test]
fn amis_come_from_the_ecs_ssm_parameter_never_a_literal() {
    for (_, doc) in synth(include_str!("../../../examples/multi-region.yaml"))
        .into_iter()
        .chain([(None, quickstart()), (None, seed())])
    {
        assert!(!doc.to_string().contains("\"ami-"), "literal AMI id");
        for (_, lt) in of_type(&doc, "AWS::EC2::LaunchTemplate") {
            let param = lt["Properties"]["LaunchTemplateData"]["ImageId"]["Ref"]
                .as_str()
                .unwrap();
            let p = &doc["Parameters"][param];
            assert_eq!(p["Type"], "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>");
            assert!(
                p["Default"]
                    .as_str()
                    .unwrap()
                    .starts_with("/aws/service/ecs/optimized-ami/amazon-linux-2023/")
            );
        }
    }
}

#[test]
fn graviton_types_get_the_arm64_ami_and_their_own_launch_template() {
    let docs = synth(include_str!("../../../examples/multi-region.yaml"));
    let (_, eu) = docs
        .iter()
        .find(|(r, _)| r.as_deref() == Some("eu-west-1"))
        .unwrap();
    assert_eq!(
        eu["Parameters"]["EcsAmiArm64"]["Default"],
        "/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id"
    );
    assert_eq!(
        props(eu, "LaunchTemplateArm64")["LaunchTemplateData"]["ImageId"],
        r("EcsAmiArm64")
    );
    assert!(eu["Parameters"].get("EcsAmiX8664").is_none());
    assert_eq!(
        props(eu, "ReconcilerFunction")["Architectures"],
        json!(["arm64"])
    );
}

#[test]
fn fleet_target_follows_the_cluster_reservation() {
    let doc = quickstart();
    let target = props(&doc, "SpotFleetScalableTarget");
    assert_eq!(
        target["ResourceId"],
        json!({"Fn::Sub": "spot-fleet-request/${SpotFleet}"})
    );
    assert_eq!(
        target["ScalableDimension"],
        "ec2:spot-fleet-request:TargetCapacity"
    );
    assert_eq!(target["ServiceNamespace"], "ec2");
    assert_eq!(
        (
            target["MinCapacity"].as_u64(),
            target["MaxCapacity"].as_u64()
        ),
        (Some(2), Some(40))
    );
    let policy = props(&doc, "SpotFleetScalingPolicy");
    assert_eq!(policy["ScalingTargetId"], r("SpotFleetScalableTarget"));
    assert_eq!(policy["PolicyType"], "TargetTrackingScaling");
    let tt = &policy["TargetTrackingScalingPolicyConfiguration"];
    assert_eq!(tt["TargetValue"], 75.0);
    let m = &tt["CustomizedMetricSpecification"];
    assert_eq!(m["Namespace"], "AWS/ECS");
    assert_eq!(m["MetricName"], "CPUReservation");
    assert_eq!(
        m["Dimensions"],
        json!([{"Name": "ClusterName", "Value": r("EcsCluster")}])
    );
}

#[test]
fn on_demand_group_is_0_200_with_a_45_minute_cooldown_on_the_launch_template() {
    let doc = quickstart();
    let g = props(&doc, "OnDemandGroup");
    assert_eq!(
        (&g["MinSize"], &g["MaxSize"], &g["Cooldown"]),
        (&json!("0"), &json!("200"), &json!("2700"))
    );
    // Left out so a redeploy never resets what the reconciler set; starts at MinSize.
    assert!(g.get("DesiredCapacity").is_none());
    assert_eq!(g["VPCZoneIdentifier"], r("Subnets"));
    let mip = &g["MixedInstancesPolicy"];
    assert_eq!(
        mip["InstancesDistribution"]["OnDemandPercentageAboveBaseCapacity"],
        100
    );
    assert_eq!(
        mip["LaunchTemplate"]["LaunchTemplateSpecification"]["LaunchTemplateId"],
        r("LaunchTemplateX8664")
    );
    assert_eq!(
        mip["LaunchTemplate"]["Overrides"],
        json!([{"InstanceType": "m6i.large"}])
    );
}

#[test]
fn seed_form_uses_launch_specifications_and_a_launch_configuration() {
    let doc = seed();
    let cfg = &props(&doc, "SpotFleet")["SpotFleetRequestConfigData"];
    assert_eq!(cfg["AllocationStrategy"], "diversified");
    assert!(cfg.get("LaunchTemplateConfigs").is_none());
    let specs = cfg["LaunchSpecifications"].as_array().unwrap();
    assert_eq!(specs.len(), 3);
    for s in specs {
        assert_eq!(
            s["IamInstanceProfile"]["Arn"],
            get_att("InstanceProfile", "Arn")
        );
        assert_eq!(
            s["SecurityGroups"],
            json!([{"GroupId": r("SecurityGroup")}])
        );
        assert!(
            s["UserData"]["Fn::Base64"]["Fn::Sub"]
                .as_str()
                .unwrap()
                .contains("ECS_CLUSTER=${EcsCluster}")
        );
    }
    let g = props(&doc, "OnDemandGroup");
    assert_eq!(
        g["LaunchConfigurationName"],
        r("OnDemandLaunchConfiguration")
    );
    assert_eq!(
        (
            &g["MinSize"],
            &g["MaxSize"],
            &g["DesiredCapacity"],
            &g["Cooldown"]
        ),
        (&json!("0"), &json!("200"), &json!("0"), &json!("2700"))
    );
    let lc = resource(&doc, "OnDemandLaunchConfiguration");
    assert_eq!(lc["Properties"]["InstanceType"], "c5.xlarge");
    assert_eq!(
        lc["Properties"]["MetadataOptions"]["HttpTokens"],
        "required"
    );
    // The maintenance-mode warning is silenced on this resource only, with the reason.
    assert_eq!(
        lc["Metadata"]["cfn-lint"]["config"]["ignore_checks"],
        json!(["W3697"])
    );
    assert!(
        lc["Metadata"]["spotcover"]["why"]
            .as_str()
            .unwrap()
            .contains("2017")
    );
    assert!(of_type(&doc, "AWS::EC2::LaunchTemplate").is_empty());
}

#[test]
fn reconciler_runs_the_staged_asset_with_the_stack_in_its_environment() {
    let doc = quickstart_with_interruptions();
    let f = props(&doc, "ReconcilerFunction");
    assert_eq!(f["Runtime"], "provided.al2023");
    assert_eq!(f["Handler"], "bootstrap");
    assert_eq!(f["Code"]["S3Bucket"], r("AssetBucket"));
    assert!(f["Code"]["S3Key"].as_str().unwrap().contains(SHA));
    assert_eq!(f["ReservedConcurrentExecutions"], 1);
    assert_eq!(f["Role"], get_att("ReconcilerRole", "Arn"));
    assert_eq!(f["LoggingConfig"]["LogGroup"], r("ReconcilerLogGroup"));
    assert_eq!(
        f["Environment"]["Variables"],
        json!({
            "SPOTCOVER_FLEET_ID": r("SpotFleet"),
            "SPOTCOVER_GROUP_NAME": r("OnDemandGroup"),
            "SPOTCOVER_ON_DEMAND_WEIGHT": "2",
            "SPOTCOVER_QUIET_PERIOD_SECONDS": "600",
            "SPOTCOVER_CLUSTER": r("EcsCluster"),
            "SPOTCOVER_SPOT_WEIGHTS": "m6i.large=2,m6a.large=2,m5.large=2,m6i.xlarge=4",
            "SPOTCOVER_DRAIN_ON_REBALANCE": "false",
        })
    );
}

#[test]
fn reconciler_role_is_least_privilege() {
    let doc = quickstart_with_interruptions();
    let statements = props(&doc, "ReconcilerRole")["Policies"][0]["PolicyDocument"]["Statement"]
        .as_array()
        .unwrap()
        .clone();
    let mut actions = Vec::new();
    for s in &statements {
        assert_eq!(s["Effect"], "Allow");
        for a in s["Action"].as_array().unwrap() {
            let a = a.as_str().unwrap();
            assert!(!a.contains('*'), "wildcard action {a}");
            actions.push(a.to_owned());
            let resources = &s["Resource"];
            match a {
                "cloudwatch:GetMetricData" | "autoscaling:DescribeAutoScalingGroups" => {
                    assert_eq!(
                        resources,
                        &json!(["*"]),
                        "{a} has no resource-level permissions"
                    )
                }
                "autoscaling:SetDesiredCapacity" => assert_eq!(
                    resources,
                    &json!([{"Fn::Sub": "arn:${AWS::Partition}:autoscaling:${AWS::Region}:${AWS::AccountId}:autoScalingGroup:*:autoScalingGroupName/${OnDemandGroup}"}])
                ),
                "logs:CreateLogStream" | "logs:PutLogEvents" => {
                    assert_eq!(resources, &json!([get_att("ReconcilerLogGroup", "Arn")]))
                }
                "ecs:ListContainerInstances" => {
                    assert_eq!(resources, &json!([get_att("EcsCluster", "Arn")]))
                }
                "ecs:DescribeContainerInstances"
                | "ecs:UpdateContainerInstancesState"
                | "ecs:PutAttributes" => {
                    assert_eq!(
                        resources,
                        &json!([{"Fn::Sub": "arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:container-instance/${EcsCluster}/*"}])
                    )
                }
                other => panic!("unexpected action {other}"),
            }
        }
    }
    actions.sort();
    assert_eq!(
        actions,
        [
            "autoscaling:DescribeAutoScalingGroups",
            "autoscaling:SetDesiredCapacity",
            "cloudwatch:GetMetricData",
            "ecs:DescribeContainerInstances",
            "ecs:ListContainerInstances",
            "ecs:PutAttributes",
            "ecs:UpdateContainerInstancesState",
            "logs:CreateLogStream",
            "logs:PutLogEvents"
        ]
    );
}

#[test]
fn interruption_warnings_and_rebalance_recommendations_reach_the_function() {
    let doc = quickstart_with_interruptions();
    for (rule, detail_type) in [
        (
            "InterruptionWarningRule",
            "EC2 Spot Instance Interruption Warning",
        ),
        (
            "RebalanceRecommendationRule",
            "EC2 Instance Rebalance Recommendation",
        ),
    ] {
        let p = props(&doc, rule);
        assert_eq!(
            p["EventPattern"],
            json!({"source": ["aws.ec2"], "detail-type": [detail_type]})
        );
        assert_eq!(
            p["Targets"],
            json!([{"Id": "reconciler", "Arn": get_att("ReconcilerFunction", "Arn")}])
        );
        let perm = props(&doc, &format!("{rule}Permission"));
        assert_eq!(perm["Principal"], "events.amazonaws.com");
        assert_eq!(perm["SourceArn"], get_att(rule, "Arn"));
        assert_eq!(perm["FunctionName"], get_att("ReconcilerFunction", "Arn"));
    }
}

#[test]
fn interruptions_are_off_by_default() {
    let doc = quickstart();
    assert!(doc["Resources"].get("InterruptionWarningRule").is_none());
    assert!(
        doc["Resources"]
            .get("RebalanceRecommendationRule")
            .is_none()
    );
    let f = props(&doc, "ReconcilerFunction");
    assert!(
        f["Environment"]["Variables"]
            .get("SPOTCOVER_CLUSTER")
            .is_none()
    );
    assert!(
        !doc["Resources"]["ReconcilerRole"]
            .to_string()
            .contains("ecs:")
    );
}

#[test]
fn schedule_invokes_the_function_with_the_fleet_id() {
    let doc = quickstart();
    let rule = props(&doc, "ReconcilerSchedule");
    assert_eq!(rule["ScheduleExpression"], "rate(1 minute)");
    assert_eq!(rule["State"], "ENABLED");
    let target = &rule["Targets"][0];
    assert_eq!(target["Arn"], get_att("ReconcilerFunction", "Arn"));
    let input = target["Input"]["Fn::Sub"]
        .as_str()
        .unwrap()
        .replace("${SpotFleet}", "sfr-123");
    assert_eq!(
        serde_json::from_str::<Value>(&input).unwrap(),
        json!({"fleetID": "sfr-123"})
    );
    let perm = props(&doc, "ReconcilerSchedulePermission");
    assert_eq!(perm["Principal"], "events.amazonaws.com");
    assert_eq!(perm["SourceArn"], get_att("ReconcilerSchedule", "Arn"));
    assert_eq!(perm["FunctionName"], get_att("ReconcilerFunction", "Arn"));
    assert_eq!(perm["Action"], "lambda:InvokeFunction");
}

#[test]
fn pending_capacity_alarm_reaches_the_function_through_sns() {
    let doc = quickstart();
    let alarm = props(&doc, "PendingCapacityAlarm");
    assert_eq!(alarm["Namespace"], "AWS/EC2Spot");
    assert_eq!(alarm["MetricName"], "PendingCapacity");
    assert_eq!(
        alarm["Dimensions"],
        json!([{"Name": "FleetRequestId", "Value": r("SpotFleet")}])
    );
    assert_eq!(alarm["ComparisonOperator"], "GreaterThanThreshold");
    assert_eq!(alarm["Threshold"], 0.0);
    assert_eq!(alarm["AlarmActions"], json!([r("PendingCapacityTopic")]));
    let topic = props(&doc, "PendingCapacityTopic");
    assert_eq!(
        topic["Subscription"],
        json!([{"Endpoint": get_att("ReconcilerFunction", "Arn"), "Protocol": "lambda"}])
    );
    let perm = props(&doc, "PendingCapacityTopicPermission");
    assert_eq!(perm["Principal"], "sns.amazonaws.com");
    assert_eq!(perm["SourceArn"], r("PendingCapacityTopic"));
    assert_eq!(perm["FunctionName"], get_att("ReconcilerFunction", "Arn"));
}

#[test]
fn outputs_name_what_operators_need() {
    let doc = quickstart();
    let outputs = &doc["Outputs"];
    assert_eq!(outputs["ClusterName"]["Value"], r("EcsCluster"));
    assert_eq!(outputs["FleetRequestId"]["Value"], r("SpotFleet"));
    assert_eq!(outputs["OnDemandGroupName"]["Value"], r("OnDemandGroup"));
    assert_eq!(
        outputs["ReconcilerFunctionName"]["Value"],
        r("ReconcilerFunction")
    );
}

#[test]
fn nothing_hard_codes_a_region_account_or_partition() {
    let all = synth(include_str!("../../../examples/multi-region.yaml"))
        .into_iter()
        .chain([(None, quickstart()), (None, seed())]);
    for (region, doc) in all {
        let text = doc.to_string();
        assert!(
            !text.contains("arn:aws:"),
            "literal partition in {region:?}"
        );
        for name in ["us-east-1", "eu-west-1", "ap-southeast-2"] {
            assert!(!text.contains(name), "literal region {name} in {region:?}");
        }
        let digits12 = text
            .split(|c: char| !c.is_ascii_digit())
            .any(|run| run.len() == 12);
        assert!(!digits12, "something like an account id in {region:?}");
    }
}

#[test]
fn regions_override_only_what_they_name() {
    let docs = synth(include_str!("../../../examples/multi-region.yaml"));
    let regions: Vec<_> = docs.iter().map(|(r, _)| r.clone().unwrap()).collect();
    assert_eq!(regions, ["ap-southeast-2", "eu-west-1", "us-east-1"]);
    let get = |name: &str| {
        &docs
            .iter()
            .find(|(r, _)| r.as_deref() == Some(name))
            .unwrap()
            .1
    };
    let ap = get("ap-southeast-2");
    assert_eq!(props(ap, "OnDemandGroup")["MaxSize"], "50");
    assert_eq!(props(ap, "SpotFleetScalableTarget")["MaxCapacity"], 20);
    assert_eq!(
        props(ap, "SpotFleetScalableTarget")["MinCapacity"],
        2,
        "base value kept"
    );
    assert_eq!(
        props(ap, "OnDemandGroup")["VPCZoneIdentifier"],
        json!(["subnet-0a1b2c3d4e5f60718", "subnet-0b1c2d3e4f5061728"])
    );
    assert!(
        ap["Parameters"].get("Subnets").is_none(),
        "literal subnets need no parameter"
    );
    let us = get("us-east-1");
    assert_eq!(props(us, "OnDemandGroup")["MaxSize"], "200");
    let overrides = &props(us, "SpotFleet")["SpotFleetRequestConfigData"]["LaunchTemplateConfigs"]
        [0]["Overrides"];
    assert_eq!(overrides.as_array().unwrap().len(), 4);
}

#[test]
fn permissions_boundary_applies_to_every_role() {
    let yaml = format!(
        "{}\niam:\n  permissions_boundary: arn:aws:iam::123456789012:policy/Boundary\n",
        include_str!("../../../examples/quickstart.yaml")
    );
    let (_, doc) = synth(&yaml).remove(0);
    let roles = of_type(&doc, "AWS::IAM::Role");
    assert_eq!(roles.len(), 3);
    for (id, role) in roles {
        assert_eq!(
            role["Properties"]["PermissionsBoundary"], "arn:aws:iam::123456789012:policy/Boundary",
            "{id}"
        );
    }
}
