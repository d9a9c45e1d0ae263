//! Draining before any scale-in spotcover controls, so no running task is killed: the
//! on-demand group's lifecycle hook (`on_demand::DRAIN_HOOK`, a resource of its own)
//! reaches the reconciler through an EventBridge rule, and the fleet, which keeps its
//! surplus (`NoTermination`), has it drained and terminated by the reconciler. This
//! module owns the rule, the reconciler's rights to drain in ECS, to complete the hook
//! and to terminate drained spot instances, and the settings the Lambda needs for it.

use spotcover_cfn::aws::ecs::{self, ClusterAttr};
use spotcover_cfn::aws::events::EventPattern;
use spotcover_cfn::aws::iam::Statement;
use spotcover_cfn::aws::lambda;
use spotcover_cfn::{Expr, Handle, Pseudo, Template, TemplateError};
use spotcover_reconciler_core::contract::events::{
    DETAIL_GROUP_NAME, DETAIL_TERMINATE_LIFECYCLE_ACTION, SOURCE_AUTOSCALING,
};
use spotcover_reconciler_core::contract::settings::Settings;
use spotcover_reconciler_core::contract::tags::{CAPACITY_TAG, STACK_TAG};

use super::cluster::partition;
use super::feature::{Feature, event_rule, group_arn};
use super::on_demand::DRAIN_HOOK;
use crate::config::StackConfig;
use crate::userdata::Capacity;

/// Tells the reconciler the cluster it drains in, the fleet's weights (to size the
/// surplus it drains), and the group's hook: its name (other hooks' events are refused)
/// and timeout (the reconciler completes a minute before it).
pub(crate) fn settings<V: From<String>>(c: &StackConfig, cluster: V, s: &mut Settings<V>) {
    s.cluster = Some(cluster);
    s.lifecycle_hook = Some(V::from(DRAIN_HOOK.to_owned()));
    s.hook_timeout_secs = Some(u64::from(c.on_demand.drain_timeout_seconds));
    s.spot_weights = c
        .spot
        .instance_types
        .iter()
        .map(|i| (i.instance_type.clone(), i.weight))
        .collect();
}

/// The feature, for the cluster it drains in and the group whose hook it completes.
pub(crate) struct Draining<'a> {
    pub config: &'a StackConfig,
    pub cluster: &'a Handle<ecs::Cluster>,
    /// The on-demand group's name.
    pub group: Expr,
}

impl Feature for Draining<'_> {
    /// Resource forms from the Service Authorization Reference: ECS
    /// `ListContainerInstances` takes the cluster, the container-instance actions
    /// `container-instance/CLUSTER/*`; Auto Scaling `CompleteLifecycleAction` and
    /// `RecordLifecycleActionHeartbeat` the group;
    /// EC2 `TerminateInstances` takes `instance/*` and the `aws:ResourceTag/${TagKey}`
    /// condition key, so the reconciler can terminate only this stack's spot instances.
    fn statements(&self) -> Vec<Statement> {
        let arn = |service: &str| {
            partition()
                .lit(format!(":{service}:"))
                .pseudo(Pseudo::Region)
                .lit(":")
                .pseudo(Pseudo::AccountId)
        };
        vec![
            Statement::allow(
                "FindContainerInstances",
                &["ecs:ListContainerInstances"],
                vec![self.cluster.get_att(ClusterAttr::Arn)],
            ),
            Statement::allow(
                "DrainThisClustersInstances",
                &[
                    "ecs:DescribeContainerInstances",
                    "ecs:UpdateContainerInstancesState",
                    // Marks (covered, hook deadline, surplus), so repeated and overlapping
                    // runs change nothing twice; removed when done.
                    "ecs:PutAttributes",
                    "ecs:DeleteAttributes",
                ],
                vec![
                    arn("ecs")
                        .lit(":container-instance/")
                        .expr(self.cluster.r#ref())
                        .lit("/*")
                        .build(),
                ],
            ),
            // RecordLifecycleActionHeartbeat: a scheduled run that finds an instance held
            // with no event handled restarts the hook's timeout, so it knows the deadline.
            Statement::allow(
                "LetDrainedOnDemandInstancesGo",
                &[
                    "autoscaling:CompleteLifecycleAction",
                    "autoscaling:RecordLifecycleActionHeartbeat",
                ],
                vec![group_arn(self.group.clone())],
            ),
            Statement::allow(
                "TerminateDrainedSpotSurplus",
                &["ec2:TerminateInstances"],
                vec![arn("ec2").lit(":instance/*").build()],
            )
            .when_equal(&[
                (
                    &format!("aws:ResourceTag/{CAPACITY_TAG}"),
                    Capacity::Spot.as_str().into(),
                ),
                (
                    &format!("aws:ResourceTag/{STACK_TAG}"),
                    Expr::pseudo(Pseudo::StackName),
                ),
            ]),
        ]
    }

    /// The group's terminating lifecycle actions, for this group only.
    fn triggers(
        &self,
        t: &mut Template,
        function: &Handle<lambda::Function>,
    ) -> Result<(), TemplateError> {
        event_rule(
            t,
            self.config,
            "DrainHookRule",
            "Tells the reconciler an on-demand instance waits to be drained",
            EventPattern::new(SOURCE_AUTOSCALING, DETAIL_TERMINATE_LIFECYCLE_ACTION)
                .with_detail(DETAIL_GROUP_NAME, self.group.clone()),
            function,
        )
    }
}
