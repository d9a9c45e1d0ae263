//! The on-demand safety net: an Auto Scaling group the reconciler sizes, launched from
//! the shared launch template or (the 2017 design) a launch configuration.

use serde_json::json;
use spotcover_cfn::aws::autoscaling as asg;
use spotcover_cfn::aws::ec2::{self, LaunchTemplateAttr};
use spotcover_cfn::{Expr, Handle, Options, Template, TemplateError};

use super::cluster::{Cluster, instance_tags};
use super::ids;
use super::network::Network;
use crate::arch::Arch;
use crate::config::{OnDemandLaunch, StackConfig};

/// Adds the group (and its launch configuration, when the config asks for one).
pub(crate) fn add(
    t: &mut Template,
    c: &StackConfig,
    network: &Network,
    cluster: &Cluster,
) -> Result<Handle<asg::AutoScalingGroup>, TemplateError> {
    let od = &c.on_demand;
    let (launch_configuration_name, mixed_instances_policy) = match od.launch {
        OnDemandLaunch::Template => (None, Some(mixed_instances(c, cluster))),
        OnDemandLaunch::Configuration => (
            Some(add_launch_configuration(t, c, network, cluster)?),
            None,
        ),
    };
    t.add(
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
    )
}

/// All on-demand, in the config's order of instance types, on the architecture's
/// launch template.
fn mixed_instances(c: &StackConfig, cluster: &Cluster) -> asg::MixedInstancesPolicy {
    let od = &c.on_demand;
    let lt = &cluster.templates[&Arch::of(&od.instance_types[0])];
    asg::MixedInstancesPolicy {
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
    }
}

/// The 2017 design's launch configuration; returns its name.
fn add_launch_configuration(
    t: &mut Template,
    c: &StackConfig,
    network: &Network,
    cluster: &Cluster,
) -> Result<Expr, TemplateError> {
    let od = &c.on_demand;
    let lc = t.add_with(
        "OnDemandLaunchConfiguration",
        asg::LaunchConfiguration {
            iam_instance_profile: cluster.profile.r#ref(),
            image_id: cluster.amis[&Arch::of(&od.instance_types[0])].r#ref(),
            instance_type: od.instance_types[0].clone(),
            metadata_options: ec2::MetadataOptions::imdsv2_required(),
            security_groups: network.security_groups.clone(),
            user_data: cluster.user_data(false),
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
    Ok(lc.r#ref())
}
