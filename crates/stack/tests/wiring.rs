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

/// The quickstart under the `2017` policy.
fn quickstart_2017() -> Value {
    let yaml = format!(
        "{}\nreconciler:\n  policy: \"2017\"\n",
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
            (
                o["InstanceType"].as_str().unwrap().to_owned(),
                o["WeightedCapacity"].as_f64().unwrap(),
            )
        })
        .collect();
    let per_type: Vec<(String, f64)> = vec![
        ("m6i.large".into(), 2.0),
        ("m6a.large".into(), 2.0),
        ("m5.large".into(), 2.0),
        ("m6i.xlarge".into(), 4.0),
    ];
    let expected: Vec<(String, f64)> = per_type
        .iter()
        .flat_map(|t| std::iter::repeat_n(t.clone(), 3))
        .collect();
    assert_eq!(weights, expected);
}

// Spot Fleet's LaunchTemplateOverrides.SubnetId is "the ID of the subnet in which to
// launch the instances": one subnet (EC2 API reference, LaunchTemplateOverrides; AWS
// reviewers called the comma-joined form invalid, aws/aws-rfdk pull request 513). Only
// SpotFleetLaunchSpecification.SubnetId documents a comma-separated list.
#[test]
fn each_fleet_override_names_one_subnet_of_the_parameter() {
    let doc = quickstart();
    let cfg = &props(&doc, "SpotFleet")["SpotFleetRequestConfigData"];
    let overrides = cfg["LaunchTemplateConfigs"][0]["Overrides"]
        .as_array()
        .unwrap();
    assert_eq!(overrides.len(), 4 * 3, "one per instance type and subnet");
    for (i, o) in overrides.iter().enumerate() {
        let slot = u64::try_from(i % 3).unwrap();
        assert_eq!(o["SubnetId"], json!({"Fn::Select": [slot, r("Subnets")]}));
    }
    assert!(
        !doc.to_string().contains("Fn::Join"),
        "no comma-joined subnets"
    );
    assert!(
        doc["Parameters"]["Subnets"]["Description"]
            .as_str()
            .unwrap()
            .starts_with("Exactly 3 subnets"),
    );
}

#[test]
fn literal_subnets_give_one_override_each() {
    let docs = synth(include_str!("../../../examples/multi-region.yaml"));
    let (_, ap) = docs
        .iter()
        .find(|(r, _)| r.as_deref() == Some("ap-southeast-2"))
        .unwrap();
    let overrides = props(ap, "SpotFleet")["SpotFleetRequestConfigData"]["LaunchTemplateConfigs"]
        [0]["Overrides"]
        .as_array()
        .unwrap();
    let subnets: Vec<&Value> = overrides.iter().map(|o| &o["SubnetId"]).collect();
    assert_eq!(
        subnets,
        [
            "subnet-0a1b2c3d4e5f60718",
            "subnet-0b1c2d3e4f5061728",
            "subnet-0a1b2c3d4e5f60718",
            "subnet-0b1c2d3e4f5061728"
        ]
    );
}

// EC2 API reference, SpotFleetRequestConfigData.ExcessCapacityTerminationPolicy: with
// `noTermination` a lowered target leaves running instances alone; the reconciler
// drains the surplus in ECS before it terminates it.
#[test]
fn a_lower_fleet_target_terminates_nothing_by_itself() {
    for doc in [quickstart(), seed()] {
        let cfg = &props(&doc, "SpotFleet")["SpotFleetRequestConfigData"];
        assert_eq!(cfg["ExcessCapacityTerminationPolicy"], "NoTermination");
    }
}

// EC2 user guide, "Monitor your EC2 Fleet or Spot Fleet using CloudWatch": "To ensure
// accuracy, we recommend that you enable detailed monitoring when using these metrics."
#[test]
fn every_instance_has_detailed_monitoring() {
    let doc = quickstart();
    for (id, lt) in of_type(&doc, "AWS::EC2::LaunchTemplate") {
        assert_eq!(
            lt["Properties"]["LaunchTemplateData"]["Monitoring"],
            json!({"Enabled": true}),
            "{id}"
        );
    }
    let seed = seed();
    for spec in props(&seed, "SpotFleet")["SpotFleetRequestConfigData"]["LaunchSpecifications"]
        .as_array()
        .unwrap()
    {
        assert_eq!(spec["Monitoring"], json!({"Enabled": true}));
    }
}

// EC2 API reference, SpotFleetRequestConfigData.TagSpecifications: instances are tagged
// through the launch template (LaunchTemplateConfigs) or SpotFleetTagSpecification
// (LaunchSpecifications), not the request's own TagSpecifications.
#[test]
fn spot_instances_carry_name_capacity_and_stack_tags() {
    let name = json!({"Key": "Name", "Value": {"Fn::Sub": "${AWS::StackName}-spot"}});
    let capacity = json!({"Key": "spotcover:capacity", "Value": "spot"});
    let stack = json!({"Key": "spotcover:stack", "Value": r("AWS::StackName")});
    let doc = quickstart();
    let spec = &props(&doc, "LaunchTemplateX8664")["LaunchTemplateData"]["TagSpecifications"][0];
    assert_eq!(spec["ResourceType"], "instance");
    assert_eq!(spec["Tags"], json!([name, capacity, stack]));
    let seed = seed();
    let spec = &props(&seed, "SpotFleet")["SpotFleetRequestConfigData"]["LaunchSpecifications"][0]
        ["TagSpecifications"][0];
    assert_eq!(spec["ResourceType"], "instance");
    assert_eq!(spec["Tags"], json!([name, capacity, stack]));
}

#[test]
fn on_demand_instances_have_their_own_launch_template() {
    let doc = quickstart();
    let data = &props(&doc, "OnDemandLaunchTemplate")["LaunchTemplateData"];
    let script = data["UserData"]["Fn::Base64"]["Fn::Sub"].as_str().unwrap();
    assert!(
        script.contains("\"spotcover.capacity\":\"on-demand\""),
        "{script}"
    );
    assert!(!script.contains("SPOT_INSTANCE_DRAINING"));
    assert_eq!(
        data["TagSpecifications"][0]["Tags"][1],
        json!({"Key": "spotcover:capacity", "Value": "on-demand"})
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
fn under_the_2017_policy_the_fleet_target_follows_the_cluster_reservation() {
    let doc = quickstart_2017();
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
        r("OnDemandLaunchTemplate")
    );
    assert_eq!(
        mip["LaunchTemplate"]["Overrides"],
        json!([{"InstanceType": "m6i.large"}])
    );
}

#[test]
fn seed_form_uses_launch_specifications_and_a_launch_template() {
    let doc = seed();
    let cfg = &props(&doc, "SpotFleet")["SpotFleetRequestConfigData"];
    assert_eq!(cfg["AllocationStrategy"], "diversified");
    assert!(cfg.get("LaunchTemplateConfigs").is_none());
    let specs = cfg["LaunchSpecifications"].as_array().unwrap();
    assert_eq!(specs.len(), 3 * 2, "one per instance type and subnet");
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
    assert!(g.get("LaunchConfigurationName").is_none());
    assert_eq!(
        g["MixedInstancesPolicy"]["LaunchTemplate"]["LaunchTemplateSpecification"]["LaunchTemplateId"],
        r("OnDemandLaunchTemplate")
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
    // Only the on-demand side launches from a template in the 2017 form.
    assert_eq!(of_type(&doc, "AWS::EC2::LaunchTemplate").len(), 1);
}

// EC2 Auto Scaling user guide, "Launch configurations": accounts created on or after
// 2024-10-01 cannot create them, so no shipped example uses one; older accounts still
// get one when the config asks.
#[test]
fn a_launch_configuration_is_written_only_when_asked() {
    let yaml = include_str!("../../../examples/seed-2017.yaml")
        .replace("on_demand:\n", "on_demand:\n  launch: configuration\n");
    let doc = synth(&yaml).remove(0).1;
    let g = props(&doc, "OnDemandGroup");
    assert_eq!(
        g["LaunchConfigurationName"],
        r("OnDemandLaunchConfiguration")
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
            .contains("2024-10-01")
    );
    assert!(of_type(&doc, "AWS::EC2::LaunchTemplate").is_empty());
}

#[test]
fn no_shipped_example_writes_a_launch_configuration() {
    for example in [
        include_str!("../../../examples/quickstart.yaml"),
        include_str!("../../../examples/seed-2017.yaml"),
        include_str!("../../../examples/multi-region.yaml"),
    ] {
        for (_, doc) in synth(example) {
            assert!(
                of_type(&doc, "AWS::AutoScaling::LaunchConfiguration").is_empty(),
                "a shipped example must deploy in an account created after 2024-10-01"
            );
        }
    }
}

#[test]
fn reconciler_runs_the_staged_asset_with_the_stack_in_its_environment() {
    let doc = quickstart_with_interruptions();
    let f = props(&doc, "ReconcilerFunction");
    assert_eq!(f["Runtime"], "provided.al2023");
    assert_eq!(f["Handler"], "bootstrap");
    assert_eq!(f["Code"]["S3Bucket"], r("AssetBucket"));
    assert!(f["Code"]["S3Key"].as_str().unwrap().contains(SHA));
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
            "SPOTCOVER_LIFECYCLE_HOOK": "spotcover-scale-in-drain",
            "SPOTCOVER_HOOK_TIMEOUT_SECONDS": "900",
            "SPOTCOVER_POLICY": "demand",
            "SPOTCOVER_FLEET_TARGET_PERCENT": "75",
            "SPOTCOVER_FLEET_MIN": "2",
            "SPOTCOVER_FLEET_MAX": "40",
            "SPOTCOVER_FLEET_HOLD_SECONDS": "1200",
            "SPOTCOVER_LAUNCH_GRACE_SECONDS": "300",
            "SPOTCOVER_HOLD_SECONDS": "600",
            "SPOTCOVER_MAX_HOLD_SECONDS": "3600",
            "SPOTCOVER_STACK": r("AWS::StackName"),
        })
    );
}

#[test]
fn under_the_demand_policy_the_reconciler_sets_the_fleet_target_and_nothing_tracks_it() {
    let doc = quickstart();
    assert!(of_type(&doc, "AWS::ApplicationAutoScaling::ScalableTarget").is_empty());
    assert!(of_type(&doc, "AWS::ApplicationAutoScaling::ScalingPolicy").is_empty());
    let env = &props(&doc, "ReconcilerFunction")["Environment"]["Variables"];
    assert_eq!(env["SPOTCOVER_POLICY"], "demand");
    assert_eq!(env["SPOTCOVER_FLEET_MAX"], "40");
}

// EC2 user guide, "Spot Fleet event types": events come from source aws.ec2spotfleet
// with the fleet request's ARN in `resources`
// (arn:aws:ec2:REGION:ACCOUNT:spot-fleet-request/sfr-...).
#[test]
fn only_this_fleets_events_reach_the_function() {
    let doc = quickstart();
    let p = props(&doc, "FleetEventRule");
    assert_eq!(
        p["EventPattern"],
        json!({
            "source": ["aws.ec2spotfleet"],
            "detail-type": [
                "EC2 Spot Fleet Error",
                "EC2 Spot Fleet Information",
                "EC2 Spot Fleet Instance Change"
            ],
            "resources": [{"Fn::Sub": "arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:spot-fleet-request/${SpotFleet}"}],
        })
    );
    assert_eq!(
        props(&doc, "FleetEventRulePermission")["SourceArn"],
        get_att("FleetEventRule", "Arn")
    );
}

#[test]
fn under_the_2017_policy_no_fleet_event_rule_exists() {
    assert!(
        quickstart_2017()["Resources"]
            .get("FleetEventRule")
            .is_none()
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
                "autoscaling:DescribeAutoScalingGroups"
                | "ec2:DescribeSpotFleetRequests"
                | "ecs:ListServices" => {
                    assert_eq!(
                        resources,
                        &json!(["*"]),
                        "{a} has no resource-level permissions"
                    )
                }
                // Service Authorization Reference, EC2: ModifySpotFleetRequest takes
                // the spot-fleet-request resource.
                "ec2:ModifySpotFleetRequest" => assert_eq!(
                    resources,
                    &json!([{"Fn::Sub": "arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:spot-fleet-request/${SpotFleet}"}])
                ),
                // Service Authorization Reference, ECS: DescribeServices takes the
                // service resource, service/CLUSTER/NAME.
                "ecs:DescribeServices" => assert_eq!(
                    resources,
                    &json!([{"Fn::Sub": "arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:service/${EcsCluster}/*"}])
                ),
                "autoscaling:SetDesiredCapacity" | "autoscaling:CreateOrUpdateTags" => assert_eq!(
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
                | "ecs:PutAttributes"
                | "ecs:DeleteAttributes" => {
                    assert_eq!(
                        resources,
                        &json!([{"Fn::Sub": "arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:container-instance/${EcsCluster}/*"}])
                    )
                }
                // Service Authorization Reference, Amazon EC2 Auto Scaling: both take the
                // autoScalingGroup resource.
                "autoscaling:CompleteLifecycleAction"
                | "autoscaling:RecordLifecycleActionHeartbeat" => assert_eq!(
                    resources,
                    &json!([{"Fn::Sub": "arn:${AWS::Partition}:autoscaling:${AWS::Region}:${AWS::AccountId}:autoScalingGroup:*:autoScalingGroupName/${OnDemandGroup}"}])
                ),
                // Service Authorization Reference, EC2: TerminateInstances takes the
                // instance resource and the aws:ResourceTag/${TagKey} condition key.
                "ec2:TerminateInstances" => {
                    assert_eq!(
                        resources,
                        &json!([{"Fn::Sub": "arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:instance/*"}])
                    );
                    assert_eq!(
                        s["Condition"],
                        json!({"StringEquals": {
                            "aws:ResourceTag/spotcover:capacity": "spot",
                            "aws:ResourceTag/spotcover:stack": r("AWS::StackName"),
                        }}),
                        "only this stack's spot instances"
                    );
                }
                other => panic!("unexpected action {other}"),
            }
        }
    }
    actions.sort();
    assert_eq!(
        actions,
        [
            "autoscaling:CompleteLifecycleAction",
            "autoscaling:CreateOrUpdateTags",
            "autoscaling:DescribeAutoScalingGroups",
            "autoscaling:RecordLifecycleActionHeartbeat",
            "autoscaling:SetDesiredCapacity",
            "ec2:DescribeSpotFleetRequests",
            "ec2:ModifySpotFleetRequest",
            "ec2:TerminateInstances",
            "ecs:DeleteAttributes",
            "ecs:DescribeContainerInstances",
            "ecs:DescribeServices",
            "ecs:ListContainerInstances",
            "ecs:ListServices",
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
            .get("SPOTCOVER_DRAIN_ON_REBALANCE")
            .is_none()
    );
}

// Lambda developer guide, reserved concurrency: a reservation may not leave the account
// less than its minimum unreserved concurrency ("... decreases account's
// UnreservedConcurrentExecution below its minimum value of [10]" in low-quota
// accounts), so none is reserved unless the config asks.
#[test]
fn reserved_concurrency_is_set_only_when_asked() {
    let doc = quickstart();
    assert!(
        props(&doc, "ReconcilerFunction")
            .get("ReservedConcurrentExecutions")
            .is_none()
    );
    let yaml = format!(
        "{}\nreconciler:\n  reserved_concurrency: 2\n",
        include_str!("../../../examples/quickstart.yaml")
    );
    let doc = synth(&yaml).remove(0).1;
    assert_eq!(
        props(&doc, "ReconcilerFunction")["ReservedConcurrentExecutions"],
        2
    );
}

// AWS::AutoScaling::LifecycleHook (CloudFormation reference) and PutLifecycleHook (API
// reference): HeartbeatTimeout 30-7200 s, DefaultResult CONTINUE|ABANDON. Every
// termination by the group waits in Terminating:Wait. A hook of its own, not one in the
// group's LifecycleHookSpecificationList (deletion_order.rs says why).
#[test]
fn the_group_holds_every_instance_it_terminates_until_drained() {
    let doc = quickstart();
    assert_eq!(
        props(&doc, "DrainHook"),
        &json!({
            "AutoScalingGroupName": {"Ref": "OnDemandGroup"},
            "DefaultResult": "CONTINUE",
            "HeartbeatTimeout": 900,
            "LifecycleHookName": "spotcover-scale-in-drain",
            "LifecycleTransition": "autoscaling:EC2_INSTANCE_TERMINATING",
        })
    );
    assert!(props(&doc, "OnDemandGroup")["LifecycleHookSpecificationList"].is_null());
}

// EC2 Auto Scaling user guide, "Amazon EventBridge events": lifecycle actions come from
// source aws.autoscaling as "EC2 Instance-terminate Lifecycle Action" with the group's
// name in detail.AutoScalingGroupName.
#[test]
fn the_groups_lifecycle_actions_reach_the_function() {
    let doc = quickstart();
    let p = props(&doc, "DrainHookRule");
    assert_eq!(
        p["EventPattern"],
        json!({
            "source": ["aws.autoscaling"],
            "detail-type": ["EC2 Instance-terminate Lifecycle Action"],
            "detail": {"AutoScalingGroupName": [r("OnDemandGroup")]},
        })
    );
    assert_eq!(
        p["Targets"],
        json!([{"Id": "reconciler", "Arn": get_att("ReconcilerFunction", "Arn")}])
    );
    let perm = props(&doc, "DrainHookRulePermission");
    assert_eq!(perm["SourceArn"], get_att("DrainHookRule", "Arn"));
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

// AWS does not document whether AWS/EC2Spot metrics come per minute or per five. A
// 5-minute period holds a datapoint either way, and CloudWatch evaluates an alarm every
// minute even when its period is longer, over a window moved by one minute (CloudWatch
// user guide, "Limits" for alarms), so one datapoint above 0 fires it within a minute.
#[test]
fn pending_capacity_alarm_fits_the_metrics_resolution() {
    let doc = quickstart();
    let alarm = props(&doc, "PendingCapacityAlarm");
    assert_eq!(
        (
            &alarm["Period"],
            &alarm["EvaluationPeriods"],
            &alarm["DatapointsToAlarm"],
            &alarm["Statistic"]
        ),
        (&json!(300), &json!(1), &json!(1), &json!("Maximum"))
    );
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
    let ap_env = &props(ap, "ReconcilerFunction")["Environment"]["Variables"];
    assert_eq!(ap_env["SPOTCOVER_FLEET_MAX"], "20");
    assert_eq!(ap_env["SPOTCOVER_FLEET_MIN"], "2", "base value kept");
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
    assert_eq!(
        overrides.as_array().unwrap().len(),
        4 * 2,
        "us-east-1's 4 types, each in its 2 subnets"
    );
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
