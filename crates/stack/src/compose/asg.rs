//! `engine: asg`: one Auto Scaling group of spot instances behind an ECS capacity
//! provider, and the on-demand fallback AWS does not have.
//!
//! - the group: a MixedInstancesPolicy over the config's types, price-capacity-optimized
//!   spot, `OnDemandPercentageAboveBaseCapacity: 0` and `OnDemandBaseCapacity` at the
//!   floor, capacity rebalancing, and scale-in protection for new instances (managed
//!   termination protection needs it);
//! - the capacity provider (managed scaling, managed termination protection, managed
//!   draining), made the cluster's default by `ClusterCapacityProviderAssociations`;
//! - the reconciler: the rights to change this group's base and tags, terminate its
//!   drained instances and drain in this cluster; its schedule (the backstop), the
//!   group's `EC2 Instance Launch Unsuccessful` events, and the teardown custom resource,
//!   which lets stack deletion finish although instances are protected from scale-in.
//!
//! The rules the reconciler applies are `spotcover_reconciler_core::policy::fallback`'s; this
//! module writes its settings ([`settings`]).

use std::collections::BTreeMap;

use spotcover_cfn::aws::autoscaling as asg;
use spotcover_cfn::aws::cloudformation::CustomResource;
use spotcover_cfn::aws::ec2::LaunchTemplateAttr;
use spotcover_cfn::aws::ecs::{self, ClusterAttr};
use spotcover_cfn::aws::events::{self, EventPattern, RuleAttr};
use spotcover_cfn::aws::iam::Statement;
use spotcover_cfn::aws::lambda::{self, FunctionAttr};
use spotcover_cfn::{Expr, Handle, Pseudo, Template, TemplateError};
use spotcover_reconciler_core::contract::events::{
    DETAIL_GROUP_NAME, DETAIL_LAUNCH_UNSUCCESSFUL, SOURCE_AUTOSCALING,
};
use spotcover_reconciler_core::contract::teardown;
use spotcover_reconciler_core::custom_resource::SERVICE_TIMEOUT_SECS;
use spotcover_reconciler_core::policy::fallback;

use super::cluster::{self, instance_tags, partition};
use super::feature::{Feature, event_rule, group_arn, permit};
use super::reconciler;
use super::{Asset, add_outputs, ids, network, tags};
use crate::arch::Arch;
use crate::config::StackConfig;
use crate::userdata::Capacity;

/// Logical ids of this engine's resources (contracts, as [`ids`]).
pub mod asg_ids {
    pub const GROUP: &str = "CapacityGroup";
    pub const LAUNCH_TEMPLATE: &str = "CapacityGroupLaunchTemplate";
    pub const CAPACITY_PROVIDER: &str = "CapacityProvider";
    pub const ASSOCIATIONS: &str = "ClusterCapacityProviders";
    pub const TEARDOWN: &str = "GroupTeardown";
    pub const LAUNCH_FAILURE_RULE: &str = "LaunchFailureRule";
}

/// The fallback's settings, from the config and the handles of the group, the cluster
/// and the capacity provider.
pub fn settings<V>(c: &StackConfig, group: V, cluster: V, provider: V) -> fallback::Settings<V> {
    let a = &c.asg;
    fallback::Settings {
        group_name: group,
        cluster,
        capacity_provider: provider,
        floor: a.on_demand_floor,
        max_on_demand: a.max_on_demand,
        return_hold_secs: u64::from(a.return_hold_seconds),
        max_hold_secs: u64::from(a.max_hold_seconds),
    }
}

/// The whole template of an `engine: asg` config.
pub(crate) fn compose(c: &StackConfig, asset: &Asset) -> Result<Template, TemplateError> {
    let mut t = Template::new(format!(
        "spotcover stack {}: ECS on an EC2 Spot Auto Scaling group with an on-demand fallback",
        c.stack
    ));
    let code_bucket = reconciler::add_code_bucket(&mut t)?;
    let network = network::add(&mut t, c)?;
    let cluster = cluster::add(&mut t, c)?;
    // `load` refuses types of two architectures with `engine: asg`: one launch template.
    let arch = Arch::of(&c.spot.instance_types[0].instance_type);
    let lt = t.add(
        asg_ids::LAUNCH_TEMPLATE,
        cluster::launch_template(c, &network, &cluster, arch, Capacity::Mixed),
    )?;
    let group = t.add(asg_ids::GROUP, group(c, &network, &lt))?;

    let provider = t.add(asg_ids::CAPACITY_PROVIDER, capacity_provider(c, &group))?;
    t.add(
        asg_ids::ASSOCIATIONS,
        ecs::ClusterCapacityProviderAssociations {
            capacity_providers: vec![provider.r#ref()],
            cluster: cluster.cluster.r#ref(),
            // Tasks and services that name no strategy land here: on the group.
            default_capacity_provider_strategy: vec![ecs::CapacityProviderStrategy {
                base: Some(0),
                capacity_provider: provider.r#ref(),
                weight: Some(1),
            }],
        },
    )?;

    let settings = settings(c, group.r#ref(), cluster.cluster.r#ref(), provider.r#ref());
    let variables = settings
        .to_env()
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect();
    let triggers = Triggers {
        config: c,
        group: group.r#ref(),
        cluster: &cluster.cluster,
    };
    let function = reconciler::add_function(
        &mut t,
        c,
        reconciler::Function {
            asset,
            code_bucket: &code_bucket,
            variables,
            statements: Vec::new(),
            role_description: "spotcover reconciler: raises and lowers the on-demand base of the spot capacity provider's group",
            description: "spotcover reconciler: on-demand fallback of the spot capacity provider",
        },
        &[&triggers],
    )?;
    // On stack deletion (nothing depends on it, so it goes first, beside the
    // association) the reconciler sets the group's sizes to 0, turns off scale-in
    // protection for new instances and clears it on every instance: the group's own
    // deletion then terminates them instead of waiting on protected instances, even
    // if managed scaling launched one more before the association was gone.
    t.add(
        asg_ids::TEARDOWN,
        CustomResource {
            service_token: function.get_att(FunctionAttr::Arn),
            // Minutes, not the hour CloudFormation waits by default for an answer
            // that never comes.
            service_timeout: Some(SERVICE_TIMEOUT_SECS),
            properties: BTreeMap::from([
                (teardown::GROUP_NAME.to_owned(), group.r#ref()),
                (teardown::CLUSTER.to_owned(), cluster.cluster.r#ref()),
            ]),
        },
    )?;

    add_outputs(
        &mut t,
        [
            ("ClusterName", "ECS cluster name", cluster.cluster.r#ref()),
            (
                "CapacityProviderName",
                "The capacity provider services use (the cluster's default)",
                provider.r#ref(),
            ),
            (
                "CapacityGroupName",
                "Auto Scaling group of the capacity provider",
                group.r#ref(),
            ),
            (
                "ReconcilerFunctionName",
                "Reconciler Lambda function name",
                function.r#ref(),
            ),
        ],
    )?;
    Ok(t)
}

/// Managed scaling with the config's target and steps, managed termination protection
/// (the group protects new instances) and managed draining.
fn capacity_provider(
    c: &StackConfig,
    group: &Handle<asg::AutoScalingGroup>,
) -> ecs::CapacityProvider {
    let a = &c.asg;
    ecs::CapacityProvider {
        auto_scaling_group_provider: ecs::AutoScalingGroupProvider {
            auto_scaling_group_arn: group.r#ref(),
            managed_draining: Some("ENABLED"),
            managed_scaling: Some(ecs::ManagedScaling {
                instance_warmup_period: Some(a.instance_warmup_seconds),
                maximum_scaling_step_size: Some(a.maximum_scaling_step_size),
                minimum_scaling_step_size: Some(a.minimum_scaling_step_size),
                status: "ENABLED",
                target_capacity: Some(a.target_capacity_percent),
            }),
            managed_termination_protection: Some("ENABLED"),
        },
        tags: Some(tags::user(c)).filter(|t| !t.is_empty()),
    }
}

/// What runs the reconciler, and what it may do to the group and in the cluster.
struct Triggers<'a> {
    config: &'a StackConfig,
    /// The group's name.
    group: Expr,
    cluster: &'a Handle<ecs::Cluster>,
}

impl Feature for Triggers<'_> {
    /// Exactly the calls the reconciler makes under `engine: asg` (its fallback run and
    /// the teardown custom resource), each on the narrowest resource the Service
    /// Authorization Reference allows: Auto Scaling's group-level actions take
    /// `autoScalingGroup:*:autoScalingGroupName/NAME`; `DescribeAutoScalingGroups` and
    /// `DescribeScalingActivities` support no resource-level permissions (`*`). ECS
    /// `ListContainerInstances` takes the cluster; `DescribeContainerInstances` and
    /// `UpdateContainerInstancesState` `container-instance/CLUSTER/*`; `DescribeTasks`
    /// `task/CLUSTER/*`; `DescribeServices` `service/CLUSTER/*`; a cluster-wide
    /// `ListTasks` is authorized against `*`, narrowed by the `ecs:cluster` condition
    /// (`ArnEquals`); `ListServices` takes only `*`. No `ec2:RunInstances` or
    /// `iam:PassRole`: the base is changed without naming a launch template (see
    /// `fallback_iam` in the stack's tests).
    fn statements(&self) -> Vec<Statement> {
        let arn = |service: &str| {
            partition()
                .lit(format!(":{service}:"))
                .pseudo(Pseudo::Region)
                .lit(":")
                .pseudo(Pseudo::AccountId)
        };
        let in_cluster = |kind: &str| {
            arn("ecs")
                .lit(format!(":{kind}/"))
                .expr(self.cluster.r#ref())
                .lit("/*")
                .build()
        };
        vec![
            Statement::allow(
                "ObserveTheGroup",
                &[
                    "autoscaling:DescribeAutoScalingGroups",
                    "autoscaling:DescribeScalingActivities",
                ],
                vec!["*".into()],
            ),
            Statement::allow(
                "SetTheGroupsOnDemandBase",
                &[
                    // OnDemandBaseCapacity only; never the desired capacity, which ECS's
                    // managed scaling owns (but on stack deletion, see the teardown).
                    "autoscaling:UpdateAutoScalingGroup",
                    // The fallback's state (`spotcover:fallback`).
                    "autoscaling:CreateOrUpdateTags",
                    // A drained on-demand instance leaves, the desired capacity kept.
                    "autoscaling:TerminateInstanceInAutoScalingGroup",
                    // Stack deletion clears scale-in protection.
                    "autoscaling:SetInstanceProtection",
                ],
                vec![group_arn(self.group.clone())],
            ),
            Statement::allow(
                "FindContainerInstances",
                &["ecs:ListContainerInstances"],
                vec![self.cluster.get_att(ClusterAttr::Arn)],
            ),
            Statement::allow(
                "DrainOnDemandInstances",
                &[
                    "ecs:DescribeContainerInstances",
                    "ecs:UpdateContainerInstancesState",
                ],
                vec![in_cluster("container-instance")],
            ),
            Statement::allow("ListTheClustersTasks", &["ecs:ListTasks"], vec!["*".into()])
                .when_arn_equals(&[("ecs:cluster", self.cluster.get_att(ClusterAttr::Arn))]),
            Statement::allow(
                "CountProvisioningTasks",
                &["ecs:DescribeTasks"],
                vec![in_cluster("task")],
            ),
            Statement::allow("ListServices", &["ecs:ListServices"], vec!["*".into()]),
            Statement::allow(
                "FindServicesWithALaunchType",
                &["ecs:DescribeServices"],
                vec![in_cluster("service")],
            ),
        ]
    }

    /// The backstop schedule, and the group's failed launches (events are best effort).
    fn triggers(
        &self,
        t: &mut Template,
        function: &Handle<lambda::Function>,
    ) -> Result<(), TemplateError> {
        let rule = t.add(
            ids::SCHEDULE,
            events::Rule {
                description: "Runs the spotcover reconciler (the fallback's backstop)".into(),
                event_pattern: None,
                schedule_expression: Some(self.config.reconciler.schedule.clone()),
                state: "ENABLED",
                tags: tags::user(self.config),
                targets: vec![events::Target {
                    id: "reconciler".into(),
                    arn: function.get_att(FunctionAttr::Arn),
                    input: None,
                }],
            },
        )?;
        permit(
            t,
            "ReconcilerSchedulePermission",
            function,
            "events.amazonaws.com",
            rule.get_att(RuleAttr::Arn),
        )?;
        event_rule(
            t,
            self.config,
            asg_ids::LAUNCH_FAILURE_RULE,
            "Tells the reconciler the capacity provider's group could not launch",
            EventPattern::new(SOURCE_AUTOSCALING, DETAIL_LAUNCH_UNSUCCESSFUL)
                .with_detail(DETAIL_GROUP_NAME, self.group.clone()),
            function,
        )
    }
}

/// The group ([`compose`]'s first half): ECS owns its desired capacity, so the template
/// writes none.
fn group(
    c: &StackConfig,
    network: &network::Network,
    lt: &Handle<spotcover_cfn::aws::ec2::LaunchTemplate>,
) -> asg::AutoScalingGroup {
    let a = &c.asg;
    let mut own = instance_tags(Capacity::Mixed);
    own.push(cluster::stack_tag());
    asg::AutoScalingGroup {
        metrics_collection: super::observability::group_metrics(c),
        capacity_rebalance: Some(true),
        cooldown: "300".into(),
        desired_capacity: None,
        health_check_type: "EC2",
        launch_configuration_name: None,
        lifecycle_hook_specification_list: Vec::new(),
        max_size: a.max_size.to_string(),
        min_size: a.min_size.to_string(),
        mixed_instances_policy: Some(asg::MixedInstancesPolicy {
            instances_distribution: asg::InstancesDistribution {
                on_demand_allocation_strategy: "prioritized",
                on_demand_base_capacity: a.on_demand_floor,
                on_demand_percentage_above_base_capacity: 0,
                spot_allocation_strategy: Some("price-capacity-optimized"),
            },
            launch_template: asg::MixedLaunchTemplate {
                launch_template_specification: asg::LaunchTemplateSpecification {
                    launch_template_id: lt.r#ref(),
                    version: lt.get_att(LaunchTemplateAttr::LatestVersionNumber),
                },
                overrides: c
                    .spot
                    .instance_types
                    .iter()
                    .map(|i| asg::LaunchTemplateOverrides {
                        instance_type: i.instance_type.clone(),
                    })
                    .collect(),
            },
        }),
        new_instances_protected_from_scale_in: Some(true),
        tags: tags::propagated(tags::with_own(c, own)),
        vpc_zone_identifier: network.subnets.clone(),
    }
}
