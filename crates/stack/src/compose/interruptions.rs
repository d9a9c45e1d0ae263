//! Interruption handling (opt-in, `interruptions.enabled`): EventBridge rules for spot
//! interruption warnings and rebalance recommendations invoke the reconciler, which
//! drains the instance's container instance and covers it. This module owns the rules
//! and their permissions, the ECS statements, and the environment it needs.

use serde_json::json;
use spotcover_cfn::aws::ecs::{self, ClusterAttr};
use spotcover_cfn::aws::events::{self, RuleAttr};
use spotcover_cfn::aws::iam::Statement;
use spotcover_cfn::aws::lambda::{self, FunctionAttr};
use spotcover_cfn::{Handle, Pseudo, Template, TemplateError};
use spotcover_reconciler_core::settings::Settings;

use super::cluster::partition;
use super::reconciler::{Feature, permit};
use crate::config::StackConfig;

/// Tells the reconciler the cluster, the fleet's weights and the rebalance switch.
pub(crate) fn settings<V>(c: &StackConfig, cluster: V, s: &mut Settings<V>) {
    if !c.interruptions.enabled {
        return;
    }
    s.cluster = Some(cluster);
    s.spot_weights = c
        .spot
        .instance_types
        .iter()
        .map(|i| (i.instance_type.clone(), i.weight))
        .collect();
    s.drain_on_rebalance = Some(c.interruptions.drain_on_rebalance);
}

/// The feature, for the cluster it drains in.
pub(crate) struct Interruptions<'a> {
    pub config: &'a StackConfig,
    pub cluster: &'a Handle<ecs::Cluster>,
}

impl Feature for Interruptions<'_> {
    /// What draining needs: find the container instance in this cluster, read it, drain
    /// it, mark it covered.
    fn statements(&self) -> Vec<Statement> {
        if !self.config.interruptions.enabled {
            return Vec::new();
        }
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
                    // Marks an instance as covered, so a repeated warning changes nothing.
                    "ecs:PutAttributes",
                ],
                vec![
                    partition()
                        .lit(":ecs:")
                        .pseudo(Pseudo::Region)
                        .lit(":")
                        .pseudo(Pseudo::AccountId)
                        .lit(":container-instance/")
                        .expr(self.cluster.r#ref())
                        .lit("/*")
                        .build(),
                ],
            ),
        ]
    }

    /// One rule per notice; the function itself tells this cluster's instances from
    /// others'.
    fn triggers(
        &self,
        t: &mut Template,
        function: &Handle<lambda::Function>,
    ) -> Result<(), TemplateError> {
        if !self.config.interruptions.enabled {
            return Ok(());
        }
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
            permit(
                t,
                &format!("{id}Permission"),
                function,
                "events.amazonaws.com",
                rule.get_att(RuleAttr::Arn),
            )?;
        }
        Ok(())
    }
}
