//! Config to template: every resource of the stack, and the wiring between them.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;
use spotcover_cfn::aws::applicationautoscaling as aas;
use spotcover_cfn::aws::autoscaling as asg;
use spotcover_cfn::aws::ec2::{self, LaunchTemplateAttr};
use spotcover_cfn::aws::ecs;
use spotcover_cfn::aws::events::{self, RuleAttr};
use spotcover_cfn::aws::iam::{self, InstanceProfileAttr, PolicyDocument, RoleAttr, Statement};
use spotcover_cfn::aws::lambda::{self, FunctionAttr};
use spotcover_cfn::aws::logs::{self, LogGroupAttr};
use spotcover_cfn::aws::sns;
use spotcover_cfn::aws::{Tag, cloudwatch};
use spotcover_cfn::{
    Export, Expr, Handle, Options, Output, ParamHandle, Parameter, Pseudo, Sub, Template,
    TemplateError,
};

use crate::arch::Arch;
use crate::config::{OnDemandLaunch, SpotLaunch, StackConfig};
use crate::userdata::user_data;

/// The reconciler's environment: the contract between this template and its code.
pub mod env {
    pub const FLEET_ID: &str = "SPOTCOVER_FLEET_ID";
    pub const GROUP_NAME: &str = "SPOTCOVER_GROUP_NAME";
    pub const ON_DEMAND_WEIGHT: &str = "SPOTCOVER_ON_DEMAND_WEIGHT";
    pub const QUIET_PERIOD_SECONDS: &str = "SPOTCOVER_QUIET_PERIOD_SECONDS";
    pub const CLUSTER: &str = "SPOTCOVER_CLUSTER";
    pub const SPOT_WEIGHTS: &str = "SPOTCOVER_SPOT_WEIGHTS";
    pub const DRAIN_ON_REBALANCE: &str = "SPOTCOVER_DRAIN_ON_REBALANCE";
}

/// The staged reconciler zip, as the template refers to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asset {
    /// Hex SHA-256 of the zip.
    pub sha256: String,
}

impl Asset {
    /// The object key the template expects in the asset bucket.
    pub fn s3_key(&self) -> String {
        format!("spotcover/reconciler-{}.zip", self.sha256)
    }
}

/// Logical ids other tools (and users' `aws` commands) rely on. Changing one replaces
/// the resource on the next deploy.
pub mod ids {
    pub const CLUSTER: &str = "EcsCluster";
    pub const SPOT_FLEET: &str = "SpotFleet";
    pub const ON_DEMAND_GROUP: &str = "OnDemandGroup";
    pub const RECONCILER: &str = "ReconcilerFunction";
    pub const SCHEDULE: &str = "ReconcilerSchedule";
    pub const TOPIC: &str = "PendingCapacityTopic";
    pub const ALARM: &str = "PendingCapacityAlarm";
    pub const ASSET_BUCKET: &str = "AssetBucket";
    pub const SUBNETS: &str = "Subnets";
    pub const SECURITY_GROUPS: &str = "SecurityGroups";
    pub const SECURITY_GROUP: &str = "SecurityGroup";
}

struct Network {
    /// A list of subnet ids.
    subnets: Expr,
    /// A list of security group ids.
    security_groups: Expr,
}

/// Builds the stack's template from one resolved config.
pub fn compose(c: &StackConfig, asset: &Asset) -> Result<Template, TemplateError> {
    let mut t = Template::new(format!(
        "spotcover stack {}: ECS on EC2 Spot with an on-demand safety net",
        c.stack
    ));
    let boundary = c.iam.permissions_boundary.clone();
    let partition = || Sub::new().lit("arn:").pseudo(Pseudo::Partition);

    // Parameters.
    let asset_bucket = t.parameter(
        ids::ASSET_BUCKET,
        Parameter::new(
            "String",
            "S3 bucket holding the reconciler's code (upload assets/ from the synth output)",
        )
        .pattern("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", "an S3 bucket name"),
    )?;
    let network = network(&mut t, c)?;
    let arches: BTreeSet<Arch> = c
        .spot
        .instance_types
        .iter()
        .map(|i| Arch::of(&i.instance_type))
        .chain(c.on_demand.instance_types.iter().map(|i| Arch::of(i)))
        .collect();
    let mut amis: BTreeMap<Arch, ParamHandle> = BTreeMap::new();
    for arch in &arches {
        let p = t.parameter(
            &format!("EcsAmi{}", arch.id_suffix()),
            Parameter::new(
                "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>",
                "SSM parameter of the ECS-optimized Amazon Linux 2023 AMI",
            )
            .default(arch.ecs_ami_parameter()),
        )?;
        amis.insert(*arch, p);
    }

    // Cluster.
    let cluster = t.add(
        ids::CLUSTER,
        ecs::Cluster {
            cluster_settings: Some(vec![ecs::ClusterSetting {
                name: "containerInsights".into(),
                value: if c.cluster.container_insights {
                    "enabled"
                } else {
                    "disabled"
                }
                .into(),
            }]),
            tags: Some(vec![Tag::new("spotcover:stack", c.stack.as_str())]),
        },
    )?;

    // IAM for instances and the fleet.
    let instance_role = t.add(
        "InstanceRole",
        iam::Role {
            assume_role_policy_document: PolicyDocument::trust("ec2.amazonaws.com"),
            description: Some("ECS container instances of this stack".into()),
            managed_policy_arns: Some(vec![
                partition()
                    .lit(":iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role")
                    .build(),
            ]),
            permissions_boundary: boundary.clone(),
            policies: None,
        },
    )?;
    let profile = t.add(
        "InstanceProfile",
        iam::InstanceProfile {
            roles: vec![instance_role.r#ref()],
        },
    )?;
    let fleet_role = t.add(
        "SpotFleetRole",
        iam::Role {
            assume_role_policy_document: PolicyDocument::trust("spotfleet.amazonaws.com"),
            description: Some(
                "Lets Spot Fleet launch, tag and terminate this stack's instances".into(),
            ),
            managed_policy_arns: Some(vec![
                partition()
                    .lit(":iam::aws:policy/service-role/AmazonEC2SpotFleetTaggingRole")
                    .build(),
            ]),
            permissions_boundary: boundary.clone(),
            policies: None,
        },
    )?;

    let cluster_user_data = |spot: bool| user_data(cluster.r#ref(), spot);
    let instance_tags = |capacity: &str| {
        vec![
            Tag::new(
                "Name",
                Sub::new()
                    .pseudo(Pseudo::StackName)
                    .lit(format!("-{capacity}"))
                    .build(),
            ),
            Tag::new("spotcover:capacity", capacity),
        ]
    };

    // Launch templates, one per architecture in use (spot and on-demand share them).
    let needs_templates =
        c.spot.launch == SpotLaunch::Template || c.on_demand.launch == OnDemandLaunch::Template;
    let mut templates: BTreeMap<Arch, Handle<ec2::LaunchTemplate>> = BTreeMap::new();
    if needs_templates {
        for arch in &arches {
            let lt = t.add(
                &format!("LaunchTemplate{}", arch.id_suffix()),
                ec2::LaunchTemplate {
                    launch_template_data: ec2::LaunchTemplateData {
                        iam_instance_profile: ec2::IamInstanceProfileSpecification {
                            arn: profile.get_att(InstanceProfileAttr::Arn),
                        },
                        image_id: amis[arch].r#ref(),
                        metadata_options: ec2::MetadataOptions::imdsv2_required(),
                        security_group_ids: network.security_groups.clone(),
                        tag_specifications: vec![ec2::TagSpecification {
                            resource_type: "instance",
                            tags: vec![Tag::new(
                                "spotcover:stack",
                                Expr::pseudo(Pseudo::StackName),
                            )],
                        }],
                        user_data: cluster_user_data(true),
                    },
                },
            )?;
            templates.insert(*arch, lt);
        }
    }

    // The Spot Fleet. Its subnet fields take comma-separated ids: a parameter list is
    // joined; literal ids get one entry each, which linters can check.
    let subnet_choices: Vec<Expr> = match &network.subnets {
        Expr::List(ids) => ids.clone(),
        list => vec![Expr::join(",", list.clone())],
    };
    let spot = &c.spot;
    let (launch_specifications, launch_template_configs) = match spot.launch {
        SpotLaunch::Template => {
            let configs = templates
                .iter()
                .filter_map(|(arch, lt)| {
                    let overrides: Vec<_> = spot
                        .instance_types
                        .iter()
                        .filter(|i| Arch::of(&i.instance_type) == *arch)
                        .flat_map(|i| {
                            subnet_choices
                                .iter()
                                .map(|subnet| ec2::LaunchTemplateOverrides {
                                    instance_type: i.instance_type.clone(),
                                    subnet_id: subnet.clone(),
                                    weighted_capacity: f64::from(i.weight),
                                })
                        })
                        .collect();
                    (!overrides.is_empty()).then(|| ec2::LaunchTemplateConfig {
                        launch_template_specification: ec2::FleetLaunchTemplateSpecification {
                            launch_template_id: lt.r#ref(),
                            version: lt.get_att(LaunchTemplateAttr::LatestVersionNumber),
                        },
                        overrides,
                    })
                })
                .collect();
            (None, Some(configs))
        }
        SpotLaunch::Specifications => {
            let groups = match &network.security_groups {
                Expr::List(items) => items
                    .iter()
                    .map(|g| ec2::GroupIdentifier {
                        group_id: g.clone(),
                    })
                    .collect(),
                single => vec![ec2::GroupIdentifier {
                    group_id: single.clone(),
                }],
            };
            let specs = spot
                .instance_types
                .iter()
                .flat_map(|i| subnet_choices.iter().map(move |subnet| (i, subnet)))
                .map(|(i, subnet)| ec2::SpotFleetLaunchSpecification {
                    iam_instance_profile: ec2::IamInstanceProfileSpecification {
                        arn: profile.get_att(InstanceProfileAttr::Arn),
                    },
                    image_id: amis[&Arch::of(&i.instance_type)].r#ref(),
                    instance_type: i.instance_type.clone(),
                    security_groups: groups.clone(),
                    subnet_id: subnet.clone(),
                    tag_specifications: vec![ec2::SpotFleetTagSpecification {
                        resource_type: "instance",
                        tags: instance_tags("spot"),
                    }],
                    user_data: cluster_user_data(true),
                    weighted_capacity: f64::from(i.weight),
                })
                .collect();
            (Some(specs), None)
        }
    };
    let fleet = t.add(
        ids::SPOT_FLEET,
        ec2::SpotFleet {
            spot_fleet_request_config_data: ec2::SpotFleetRequestConfigData {
                allocation_strategy: spot.allocation_strategy.as_str().into(),
                iam_fleet_role: fleet_role.get_att(RoleAttr::Arn),
                instance_interruption_behavior: "terminate",
                launch_specifications,
                launch_template_configs,
                replace_unhealthy_instances: true,
                target_capacity: spot.target_capacity,
                terminate_instances_with_expiration: true,
                kind: "maintain",
            },
        },
    )?;

    // The fleet's target follows the cluster's reservation.
    let a = &spot.autoscaling;
    let scalable = t.add(
        "SpotFleetScalableTarget",
        aas::ScalableTarget {
            max_capacity: a.max_capacity,
            min_capacity: a.min_capacity,
            resource_id: Sub::new()
                .lit("spot-fleet-request/")
                .expr(fleet.r#ref())
                .build(),
            scalable_dimension: "ec2:spot-fleet-request:TargetCapacity".into(),
            service_namespace: "ec2".into(),
        },
    )?;
    t.add(
        "SpotFleetScalingPolicy",
        aas::ScalingPolicy {
            policy_name: Sub::new()
                .pseudo(Pseudo::StackName)
                .lit(format!("-{}", a.metric.metric_name()))
                .build(),
            policy_type: "TargetTrackingScaling",
            scaling_target_id: scalable.r#ref(),
            target_tracking_scaling_policy_configuration:
                aas::TargetTrackingScalingPolicyConfiguration {
                    customized_metric_specification: aas::CustomizedMetricSpecification {
                        dimensions: vec![aas::MetricDimension {
                            name: "ClusterName".into(),
                            value: cluster.r#ref(),
                        }],
                        metric_name: a.metric.metric_name().into(),
                        namespace: "AWS/ECS".into(),
                        statistic: "Average",
                        unit: "Percent",
                    },
                    scale_in_cooldown: Some(a.scale_in_cooldown_seconds),
                    scale_out_cooldown: Some(a.scale_out_cooldown_seconds),
                    target_value: f64::from(a.target_percent),
                },
        },
    )?;

    // The on-demand safety net.
    let od = &c.on_demand;
    let od_arch = Arch::of(&od.instance_types[0]);
    let (launch_configuration_name, mixed_instances_policy) = match od.launch {
        OnDemandLaunch::Template => {
            let lt = &templates[&od_arch];
            (
                None,
                Some(asg::MixedInstancesPolicy {
                    instances_distribution: asg::InstancesDistribution {
                        on_demand_allocation_strategy: "prioritized",
                        on_demand_base_capacity: 0,
                        on_demand_percentage_above_base_capacity: 100,
                    },
                    launch_template: asg::MixedLaunchTemplate {
                        launch_template_specification: asg::LaunchTemplateSpecification {
                            launch_template_id: lt.r#ref(),
                            version: lt.get_att(LaunchTemplateAttr::LatestVersionNumber),
                        },
                        overrides: od
                            .instance_types
                            .iter()
                            .map(|i| asg::LaunchTemplateOverrides {
                                instance_type: i.clone(),
                            })
                            .collect(),
                    },
                }),
            )
        }
        OnDemandLaunch::Configuration => {
            let lc = t.add_with(
                "OnDemandLaunchConfiguration",
                asg::LaunchConfiguration {
                    iam_instance_profile: profile.r#ref(),
                    image_id: amis[&od_arch].r#ref(),
                    instance_type: od.instance_types[0].clone(),
                    metadata_options: ec2::MetadataOptions::imdsv2_required(),
                    security_groups: network.security_groups.clone(),
                    user_data: cluster_user_data(false),
                },
                Options {
                    metadata: Some(json!({
                        "spotcover": {
                            "why": "The 2017 design's launch configuration, chosen in the config (on_demand.launch: configuration). AWS no longer adds instance types to launch configurations; prefer `launch: template`."
                        },
                        "cfn-lint": {"config": {"ignore_checks": ["W3697"]}}
                    })),
                    ..Options::default()
                },
            )?;
            (Some(lc.r#ref()), None)
        }
    };
    let group = t.add(
        ids::ON_DEMAND_GROUP,
        asg::AutoScalingGroup {
            cooldown: od.cooldown_seconds.to_string(),
            desired_capacity: od.desired_capacity.map(|d| d.to_string()),
            health_check_type: "EC2",
            launch_configuration_name,
            max_size: od.max_size.to_string(),
            min_size: od.min_size.to_string(),
            mixed_instances_policy,
            tags: instance_tags("on-demand")
                .into_iter()
                .map(|tag| asg::AsgTag {
                    key: tag.key,
                    value: tag.value,
                    propagate_at_launch: true,
                })
                .collect(),
            vpc_zone_identifier: network.subnets.clone(),
        },
    )?;

    // The reconciler.
    let log_group = t.add_with(
        "ReconcilerLogGroup",
        logs::LogGroup {
            retention_in_days: c.reconciler.log_retention_days,
        },
        Options {
            deletion_policy: Some("Delete"),
            update_replace_policy: Some("Delete"),
            ..Options::default()
        },
    )?;
    let group_arn = partition()
        .lit(":autoscaling:")
        .pseudo(Pseudo::Region)
        .lit(":")
        .pseudo(Pseudo::AccountId)
        .lit(":autoScalingGroup:*:autoScalingGroupName/")
        .expr(group.r#ref())
        .build();
    let role = t.add(
        "ReconcilerRole",
        iam::Role {
            assume_role_policy_document: PolicyDocument::trust("lambda.amazonaws.com"),
            description: Some(
                "spotcover reconciler: reads spot fleet metrics, sizes the on-demand group".into(),
            ),
            managed_policy_arns: None,
            permissions_boundary: boundary,
            policies: Some(vec![iam::Policy {
                policy_name: "reconciler".into(),
                policy_document: PolicyDocument::new(
                    vec![
                        Statement::allow(
                            "WriteOwnLogs",
                            &["logs:CreateLogStream", "logs:PutLogEvents"],
                            vec![log_group.get_att(LogGroupAttr::Arn)],
                        ),
                        // Neither action supports resource-level permissions.
                        Statement::allow(
                            "ObserveFleetAndGroup",
                            &[
                                "cloudwatch:GetMetricData",
                                "autoscaling:DescribeAutoScalingGroups",
                            ],
                            vec!["*".into()],
                        ),
                        Statement::allow(
                            "SizeTheOnDemandGroup",
                            &["autoscaling:SetDesiredCapacity"],
                            vec![group_arn],
                        ),
                    ]
                    .into_iter()
                    .chain(interruption_statements(c, &cluster, partition()))
                    .collect(),
                ),
            }]),
        },
    )?;
    let mut variables = BTreeMap::new();
    variables.insert(env::FLEET_ID.to_owned(), fleet.r#ref());
    variables.insert(env::GROUP_NAME.to_owned(), group.r#ref());
    variables.insert(
        env::ON_DEMAND_WEIGHT.to_owned(),
        od.weight.to_string().into(),
    );
    variables.insert(
        env::QUIET_PERIOD_SECONDS.to_owned(),
        c.reconciler.quiet_period_seconds.to_string().into(),
    );
    if c.interruptions.enabled {
        variables.insert(env::CLUSTER.to_owned(), cluster.r#ref());
        let weights: Vec<String> = c
            .spot
            .instance_types
            .iter()
            .map(|i| format!("{}={}", i.instance_type, i.weight))
            .collect();
        variables.insert(env::SPOT_WEIGHTS.to_owned(), weights.join(",").into());
        variables.insert(
            env::DRAIN_ON_REBALANCE.to_owned(),
            c.interruptions.drain_on_rebalance.to_string().into(),
        );
    }
    let function = t.add(
        ids::RECONCILER,
        lambda::Function {
            description: Some(
                "spotcover reconciler: covers pending spot capacity with on-demand".into(),
            ),
            architectures: vec![c.reconciler.architecture.as_str().into()],
            code: lambda::Code {
                s3_bucket: asset_bucket.r#ref(),
                s3_key: asset.s3_key().into(),
            },
            environment: Some(lambda::Environment { variables }),
            handler: "bootstrap".into(),
            logging_config: Some(lambda::LoggingConfig {
                log_group: log_group.r#ref(),
            }),
            memory_size: c.reconciler.memory_mb,
            // One run at a time: two could race on the group's desired capacity.
            reserved_concurrent_executions: Some(1),
            role: role.get_att(RoleAttr::Arn),
            runtime: "provided.al2023".into(),
            timeout: 30,
        },
    )?;

    // Triggers: the schedule, and the PendingCapacity alarm through SNS.
    let rule = t.add(
        ids::SCHEDULE,
        events::Rule {
            description: "Runs the spotcover reconciler".into(),
            event_pattern: None,
            schedule_expression: Some(c.reconciler.schedule.clone()),
            state: "ENABLED",
            targets: vec![events::Target {
                id: "reconciler".into(),
                arn: function.get_att(FunctionAttr::Arn),
                input: Some(
                    Sub::new()
                        .lit("{\"fleetID\": \"")
                        .expr(fleet.r#ref())
                        .lit("\"}")
                        .build(),
                ),
            }],
        },
    )?;
    // Lets one service invoke the function, for one source only.
    let invoke = |principal: &str, source_arn: Expr| lambda::Permission {
        action: "lambda:InvokeFunction",
        function_name: function.get_att(FunctionAttr::Arn),
        principal: principal.into(),
        source_arn,
    };
    t.add(
        "ReconcilerSchedulePermission",
        invoke("events.amazonaws.com", rule.get_att(RuleAttr::Arn)),
    )?;
    if c.interruptions.enabled {
        // The function itself tells this cluster's instances from others'.
        for (id, detail_type, description) in [
            (
                "InterruptionWarningRule",
                "EC2 Spot Instance Interruption Warning",
                "Drains and covers a spot instance on its two-minute warning",
            ),
            (
                "RebalanceRecommendationRule",
                "EC2 Instance Rebalance Recommendation",
                "Tells the reconciler a spot instance is at elevated risk",
            ),
        ] {
            let rule = t.add(
                id,
                events::Rule {
                    description: description.into(),
                    event_pattern: Some(json!({
                        "source": ["aws.ec2"],
                        "detail-type": [detail_type],
                    })),
                    schedule_expression: None,
                    state: "ENABLED",
                    targets: vec![events::Target {
                        id: "reconciler".into(),
                        arn: function.get_att(FunctionAttr::Arn),
                        input: None,
                    }],
                },
            )?;
            t.add(
                &format!("{id}Permission"),
                invoke("events.amazonaws.com", rule.get_att(RuleAttr::Arn)),
            )?;
        }
    }
    let topic = t.add(
        ids::TOPIC,
        sns::Topic {
            subscription: vec![sns::Subscription {
                endpoint: function.get_att(FunctionAttr::Arn),
                protocol: "lambda",
            }],
        },
    )?;
    t.add(
        "PendingCapacityTopicPermission",
        invoke("sns.amazonaws.com", topic.r#ref()),
    )?;
    t.add(
        ids::ALARM,
        cloudwatch::Alarm {
            alarm_description: "The spot fleet has capacity it cannot fulfil".into(),
            namespace: "AWS/EC2Spot".into(),
            metric_name: "PendingCapacity".into(),
            dimensions: vec![cloudwatch::Dimension {
                name: "FleetRequestId".into(),
                value: fleet.r#ref(),
            }],
            statistic: "Maximum",
            period: 60,
            evaluation_periods: 1,
            threshold: 0.0,
            comparison_operator: "GreaterThanThreshold",
            treat_missing_data: "notBreaching",
            alarm_actions: vec![topic.r#ref()],
        },
    )?;

    // Outputs.
    let export = |name: &str| {
        Some(Export {
            name: Sub::new()
                .pseudo(Pseudo::StackName)
                .lit(format!("-{name}"))
                .build(),
        })
    };
    for (id, description, value) in [
        ("ClusterName", "ECS cluster name", cluster.r#ref()),
        ("FleetRequestId", "Spot fleet request id", fleet.r#ref()),
        (
            "OnDemandGroupName",
            "On-demand Auto Scaling group name",
            group.r#ref(),
        ),
        (
            "ReconcilerFunctionName",
            "Reconciler Lambda function name",
            function.r#ref(),
        ),
    ] {
        t.output(
            id,
            Output {
                description: description.into(),
                value,
                export: export(id),
            },
        )?;
    }
    Ok(t)
}

/// `Key=Value` overrides for `aws cloudformation deploy --parameter-overrides`, from the
/// config's `parameters`, checked against the template's parameters.
pub fn parameter_overrides(
    c: &StackConfig,
    template: &serde_json::Value,
) -> Result<Vec<String>, crate::ConfigError> {
    let defined = template
        .get("Parameters")
        .and_then(serde_json::Value::as_object);
    let mut out = Vec::new();
    for (name, value) in &c.parameters {
        if !defined.is_some_and(|d| d.contains_key(name)) {
            let known: Vec<&String> = defined.map(|d| d.keys().collect()).unwrap_or_default();
            return Err(crate::ConfigError {
                location: None,
                path: format!("parameters.{name}"),
                message: format!(
                    "not a parameter of this template; it has {}",
                    known
                        .iter()
                        .map(|k| k.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
        }
        out.push(format!("{name}={}", value.to_cfn()));
    }
    Ok(out)
}

/// What draining needs: find the container instance in this cluster, read it, drain it,
/// mark it covered.
fn interruption_statements(
    c: &StackConfig,
    cluster: &Handle<ecs::Cluster>,
    arn_prefix: Sub,
) -> Vec<Statement> {
    if !c.interruptions.enabled {
        return Vec::new();
    }
    vec![
        Statement::allow(
            "FindContainerInstances",
            &["ecs:ListContainerInstances"],
            vec![cluster.get_att(ecs::ClusterAttr::Arn)],
        ),
        Statement::allow(
            "DrainThisClustersInstances",
            &[
                "ecs:DescribeContainerInstances",
                "ecs:UpdateContainerInstancesState",
                // Marks an instance as covered, so a repeated warning changes nothing.
                "ecs:PutAttributes",
            ],
            vec![
                arn_prefix
                    .lit(":ecs:")
                    .pseudo(Pseudo::Region)
                    .lit(":")
                    .pseudo(Pseudo::AccountId)
                    .lit(":container-instance/")
                    .expr(cluster.r#ref())
                    .lit("/*")
                    .build(),
            ],
        ),
    ]
}

fn network(t: &mut Template, c: &StackConfig) -> Result<Network, TemplateError> {
    let literal = |ids: &Vec<String>| Expr::List(ids.iter().map(|s| s.as_str().into()).collect());
    let subnets = match &c.network.subnets {
        Some(ids) => literal(ids),
        None => t
            .parameter(
                ids::SUBNETS,
                Parameter::new(
                    "List<AWS::EC2::Subnet::Id>",
                    "Subnets for the spot fleet and the on-demand group",
                ),
            )?
            .r#ref(),
    };
    let security_groups = match &c.network.security_groups {
        Some(ids) => literal(ids),
        // Launch specifications take security groups one by one, so a parameter list of
        // unknown length cannot feed them: the 2017 form takes one group.
        None if c.spot.launch == SpotLaunch::Specifications => Expr::List(vec![
            t.parameter(
                ids::SECURITY_GROUP,
                Parameter::new(
                    "AWS::EC2::SecurityGroup::Id",
                    "Security group of the container instances",
                ),
            )?
            .r#ref(),
        ]),
        None => t
            .parameter(
                ids::SECURITY_GROUPS,
                Parameter::new(
                    "List<AWS::EC2::SecurityGroup::Id>",
                    "Security groups of the container instances",
                ),
            )?
            .r#ref(),
    };
    Ok(Network {
        subnets,
        security_groups,
    })
}
