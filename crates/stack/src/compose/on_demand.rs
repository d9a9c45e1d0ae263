//! The on-demand safety net: an Auto Scaling group the reconciler sizes, launched from
//! its launch template or (the 2017 design) a launch configuration, and the lifecycle
//! hook that holds every instance it scales in until the reconciler has drained it.
//!
//! The hook is a resource of its own (`DrainHook`), not an entry of the group's
//! `LifecycleHookSpecificationList`, and it depends on everything that handles it. The
//! reconciler, its role and its rules all name the group, so CloudFormation deletes them
//! before the group (DependsOn attribute: "Resource A is deleted before resource B" when
//! A refers to B). A hook inside the group would outlive them, and every instance the
//! group's deletion terminates would wait out the heartbeat with nobody to complete it.
//! The hook of its own is deleted first (DeleteLifecycleHook: outstanding actions "are
//! completed first (... CONTINUE for terminating instances)"), then its handler, then
//! the group, which terminates its instances without a wait.

use spotcover_cfn::aws::autoscaling as asg;
use spotcover_cfn::aws::ec2::{self, LaunchTemplateAttr};
use spotcover_cfn::{
    CfnLintConfig, CfnLintIgnore, Expr, Handle, LogicalId, Metadata, Options, Template,
    TemplateError, Why,
};

use spotcover_reconciler_core::contract::events::TERMINATING_TRANSITION;

use super::cluster::{Cluster, block_devices, instance_tags};
use super::network::Network;
use super::{ids, tags};
use crate::arch::Arch;
use crate::config::{OnDemandLaunch, StackConfig};
use crate::userdata::Capacity;

/// The name of the group's `EC2_INSTANCE_TERMINATING` hook; the reconciler completes
/// its actions and refuses events of any other hook. Not `spotcover-drain`, the name the
/// hook had inside the group: a stack that updates creates this one while the group's
/// update removes that one, and two names cannot collide in either order.
pub const DRAIN_HOOK: &str = "spotcover-scale-in-drain";

/// The hook's logical id.
pub const DRAIN_HOOK_ID: &str = "DrainHook";

/// Adds the group (and its launch configuration, when the config asks for one).
pub(crate) fn add(
    t: &mut Template,
    c: &StackConfig,
    network: &Network,
    cluster: &Cluster,
) -> Result<Handle<asg::AutoScalingGroup>, TemplateError> {
    let od = &c.on_demand;
    let (launch_configuration_name, mixed_instances_policy) = match od.launch {
        OnDemandLaunch::Template => (None, mixed_instances(c, cluster)),
        OnDemandLaunch::Configuration => (
            Some(add_launch_configuration(t, c, network, cluster)?),
            None,
        ),
    };
    t.add(
        ids::ON_DEMAND_GROUP,
        asg::AutoScalingGroup {
            capacity_rebalance: None,
            cooldown: od.cooldown_seconds.to_string(),
            desired_capacity: od.desired_capacity.map(|d| d.to_string()),
            health_check_type: "EC2",
            launch_configuration_name,
            // The drain hook is a resource of its own: see `add_drain_hook`.
            lifecycle_hook_specification_list: Vec::new(),
            max_size: od.max_size.to_string(),
            metrics_collection: super::observability::group_metrics(c),
            min_size: od.min_size.to_string(),
            mixed_instances_policy,
            new_instances_protected_from_scale_in: None,
            tags: tags::propagated(tags::with_own(c, instance_tags(Capacity::OnDemand))),
            vpc_zone_identifier: network.subnets.clone(),
        },
    )
}

/// Adds the drain hook, after `handler`: every resource that takes part in draining
/// (the reconciler, its role and log group, each rule, topic and permission that invokes
/// it). It depends on each of them, so CloudFormation creates it after all of them and
/// deletes it before any of them, on a stack's deletion and on a failed create's
/// rollback alike; the group is deleted after the hook.
///
/// Every way the group terminates (the reconciler lowering it, AZ rebalancing, health
/// replacement) waits here; the reconciler drains the instance in ECS and completes the
/// action when no task runs, or at the timeout. CONTINUE: a timed-out hook terminates,
/// as the group asked.
pub(crate) fn add_drain_hook(
    t: &mut Template,
    c: &StackConfig,
    group: &Handle<asg::AutoScalingGroup>,
    handler: Vec<LogicalId>,
) -> Result<Handle<asg::LifecycleHook>, TemplateError> {
    t.add_with(
        DRAIN_HOOK_ID,
        asg::LifecycleHook {
            auto_scaling_group_name: group.r#ref(),
            default_result: "CONTINUE",
            heartbeat_timeout: c.on_demand.drain_timeout_seconds,
            lifecycle_hook_name: DRAIN_HOOK.into(),
            lifecycle_transition: TERMINATING_TRANSITION,
        },
        Options {
            depends_on: handler,
            metadata: Some(Metadata {
                why: Some(Why {
                    why: "A resource of its own, depending on the reconciler and every trigger of it: CloudFormation deletes it before them and before the group, so the group's deletion terminates its instances without waiting out the hook.".into(),
                }),
                cfn_lint: None,
                checkov: None,
            }),
            ..Options::default()
        },
    )
}

/// All on-demand, in the config's order of instance types, on the group's launch
/// template.
fn mixed_instances(c: &StackConfig, cluster: &Cluster) -> Option<asg::MixedInstancesPolicy> {
    let od = &c.on_demand;
    let lt = cluster.on_demand_template.as_ref()?;
    Some(asg::MixedInstancesPolicy {
        instances_distribution: asg::InstancesDistribution {
            on_demand_allocation_strategy: "prioritized",
            on_demand_base_capacity: 0,
            on_demand_percentage_above_base_capacity: 100,
            spot_allocation_strategy: None,
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
    })
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
            block_device_mappings: block_devices(c),
            iam_instance_profile: cluster.profile.r#ref(),
            image_id: cluster.amis[&Arch::of(&od.instance_types[0])].r#ref(),
            instance_type: od.instance_types[0].clone(),
            key_name: c.instances.key_name.clone(),
            metadata_options: ec2::MetadataOptions::imdsv2_required(),
            security_groups: network.security_groups.clone(),
            user_data: cluster.user_data(c, Capacity::OnDemand),
        },
        Options {
            metadata: Some(Metadata {
                why: Some(Why {
                    why: "The 2017 design's launch configuration, chosen in the config (on_demand.launch: configuration). Accounts created on or after 2024-10-01 cannot create one, and AWS adds no new instance types to them; prefer `launch: template`.".into(),
                }),
                cfn_lint: Some(CfnLintConfig {
                    config: CfnLintIgnore {
                        ignore_checks: vec!["W3697"],
                    },
                }),
                checkov: None,
            }),
            ..Options::default()
        },
    )?;
    Ok(lc.r#ref())
}
