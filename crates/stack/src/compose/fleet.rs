//! The Spot Fleet: its role, its launch form (launch templates, or the 2017 design's
//! launch specifications), and the target tracking that follows the cluster's
//! reservation.

use spotcover_cfn::aws::applicationautoscaling as aas;
use spotcover_cfn::aws::ec2::{self, LaunchTemplateAttr};
use spotcover_cfn::aws::iam::RoleAttr;
use spotcover_cfn::{Expr, Handle, Pseudo, Sub, Template, TemplateError};

use super::cluster::{
    Cluster, DETAILED_MONITORING, block_devices, instance_tags, service_role, stack_tag,
};
use super::network::Network;
use super::{ids, tags};
use crate::arch::Arch;
use crate::config::{CoverPolicy, SpotLaunch, StackConfig};
use crate::userdata::Capacity;

/// Adds the fleet's role. It stands before the launch templates in the template.
pub(crate) fn add_role(
    t: &mut Template,
    c: &StackConfig,
) -> Result<Handle<spotcover_cfn::aws::iam::Role>, TemplateError> {
    t.add(
        "SpotFleetRole",
        service_role(
            c,
            "spotfleet.amazonaws.com",
            "Lets Spot Fleet launch, tag and terminate this stack's instances",
            Some("AmazonEC2SpotFleetTaggingRole"),
            None,
        ),
    )
}

/// Adds the fleet, and under the `2017` policy its target tracking on the cluster's
/// reservation.
pub(crate) fn add(
    t: &mut Template,
    c: &StackConfig,
    network: &Network,
    cluster: &Cluster,
    role: &Handle<spotcover_cfn::aws::iam::Role>,
) -> Result<Handle<ec2::SpotFleet>, TemplateError> {
    let spot = &c.spot;
    let launch = match spot.launch {
        SpotLaunch::Template => template_configs(c, network, cluster),
        SpotLaunch::Specifications => specifications(c, network, cluster),
    };
    let fleet = t.add(
        ids::SPOT_FLEET,
        ec2::SpotFleet {
            spot_fleet_request_config_data: ec2::SpotFleetRequestConfigData {
                allocation_strategy: spot.allocation_strategy.as_str().into(),
                // A lower target must not terminate instances that run tasks: the
                // reconciler drains the surplus in ECS, then terminates it.
                excess_capacity_termination_policy:
                    ec2::ExcessCapacityTerminationPolicy::NoTermination,
                iam_fleet_role: role.get_att(RoleAttr::Arn),
                instance_interruption_behavior: "terminate",
                launch,
                replace_unhealthy_instances: true,
                spot_price: spot.max_price.clone(),
                // Create-only in the fleet's schema: written only when the config has
                // tags, so adding the first tag replaces the fleet (`diff` says so).
                tag_specifications: if c.tags.is_empty() {
                    Vec::new()
                } else {
                    vec![ec2::SpotFleetTagSpecification {
                        resource_type: "spot-fleet-request",
                        tags: tags::user(c),
                    }]
                },
                target_capacity: spot.target_capacity,
                terminate_instances_with_expiration: true,
                kind: "maintain",
            },
        },
    )?;
    // Under the `demand` policy the reconciler sets the target itself (`demand.rs`).
    if c.reconciler.policy == CoverPolicy::Design2017 {
        add_target_tracking(t, c, cluster, &fleet)?;
    }
    Ok(fleet)
}

/// One launch template config per architecture, with an override per instance type and
/// subnet.
fn template_configs(c: &StackConfig, network: &Network, cluster: &Cluster) -> ec2::FleetLaunch {
    let subnets = network.subnet_choices();
    let configs = cluster
        .templates
        .iter()
        .filter_map(|(arch, lt)| {
            let overrides: Vec<_> = c
                .spot
                .instance_types
                .iter()
                .filter(|i| Arch::of(&i.instance_type) == *arch)
                .flat_map(|i| {
                    subnets.iter().map(|subnet| ec2::LaunchTemplateOverrides {
                        instance_type: i.instance_type.clone(),
                        spot_price: i.max_price.clone(),
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
    ec2::FleetLaunch::TemplateConfigs(configs)
}

/// The 2017 form: one launch specification per instance type and subnet.
fn specifications(c: &StackConfig, network: &Network, cluster: &Cluster) -> ec2::FleetLaunch {
    let subnets = network.subnet_choices();
    let groups: Vec<ec2::GroupIdentifier> = match &network.security_groups {
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
    let specs = c
        .spot
        .instance_types
        .iter()
        .flat_map(|i| subnets.iter().map(move |subnet| (i, subnet)))
        .map(|(i, subnet)| ec2::SpotFleetLaunchSpecification {
            block_device_mappings: block_devices(c),
            iam_instance_profile: cluster.profile_arn(),
            image_id: cluster.amis[&Arch::of(&i.instance_type)].r#ref(),
            instance_type: i.instance_type.clone(),
            key_name: c.instances.key_name.clone(),
            monitoring: DETAILED_MONITORING,
            security_groups: groups.clone(),
            spot_price: i.max_price.clone(),
            subnet_id: subnet.clone(),
            // Launch specifications tag instances only (CloudFormation reference,
            // SpotFleetTagSpecification: "the only resource type that is supported is
            // instance").
            tag_specifications: vec![ec2::SpotFleetTagSpecification {
                resource_type: "instance",
                tags: tags::with_own(
                    c,
                    instance_tags(Capacity::Spot)
                        .into_iter()
                        .chain([stack_tag()])
                        .collect(),
                ),
            }],
            user_data: cluster.user_data(c, Capacity::Spot),
            weighted_capacity: f64::from(i.weight),
        })
        .collect();
    ec2::FleetLaunch::Specifications(specs)
}

/// The fleet's target follows the cluster's reservation.
fn add_target_tracking(
    t: &mut Template,
    c: &StackConfig,
    cluster: &Cluster,
    fleet: &Handle<ec2::SpotFleet>,
) -> Result<(), TemplateError> {
    let a = &c.spot.autoscaling;
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
            tags: tags::user(c),
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
                            value: cluster.cluster.r#ref(),
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
    Ok(())
}
