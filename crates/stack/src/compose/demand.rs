//! The `demand` policy: the reconciler sizes the fleet and the cover from what the
//! cluster's services need, read from the ECS API, and hears the fleet's own events.
//! This module owns what that takes: the reconciler's rights to read services and task
//! definitions, to describe and modify the fleet, and to keep its state in a tag of the
//! on-demand group, and the rule that routes this fleet's events to it. Under the
//! `2017` policy none of it exists, and the fleet tracks the reservation instead
//! (`fleet::add_target_tracking`).

use spotcover_cfn::aws::ec2;
use spotcover_cfn::aws::ecs;
use spotcover_cfn::aws::events::EventPattern;
use spotcover_cfn::aws::iam::Statement;
use spotcover_cfn::aws::lambda;
use spotcover_cfn::{Expr, Handle, Pseudo, Template, TemplateError};
use spotcover_reconciler_core::contract::events;

use super::cluster::partition;
use super::feature::{Feature, event_rule, group_arn};
use crate::config::{CoverPolicy, StackConfig};

/// The feature, for the fleet it sizes, the cluster whose services it reads and the
/// group whose tag keeps its state.
pub(crate) struct Demand<'a> {
    pub config: &'a StackConfig,
    pub fleet: &'a Handle<ec2::SpotFleet>,
    pub cluster: &'a Handle<ecs::Cluster>,
    /// The on-demand group's name.
    pub group: Expr,
}

impl Demand<'_> {
    fn on(&self) -> bool {
        self.config.reconciler.policy == CoverPolicy::Demand
    }

    /// `arn:${Partition}:ec2:${Region}:${AccountId}:spot-fleet-request/${Fleet}`.
    fn fleet_arn(&self) -> Expr {
        partition()
            .lit(":ec2:")
            .pseudo(Pseudo::Region)
            .lit(":")
            .pseudo(Pseudo::AccountId)
            .lit(":spot-fleet-request/")
            .expr(self.fleet.r#ref())
            .build()
    }
}

impl Feature for Demand<'_> {
    /// Resource forms from the Service Authorization Reference: EC2
    /// `ModifySpotFleetRequest` takes `spot-fleet-request/ID`, `DescribeSpotFleetRequests`
    /// only `*`; ECS `DescribeServices` takes `service/CLUSTER/*`, `ListServices` only
    /// `*`; Auto Scaling `CreateOrUpdateTags` the group.
    fn statements(&self) -> Vec<Statement> {
        if !self.on() {
            return Vec::new();
        }
        vec![
            Statement::allow(
                "SizeTheFleet",
                &["ec2:ModifySpotFleetRequest"],
                vec![self.fleet_arn()],
            ),
            Statement::allow(
                "ReadTheFleetAndTheServicesNeeds",
                &["ec2:DescribeSpotFleetRequests", "ecs:ListServices"],
                vec![Expr::Str("*".into())],
            ),
            Statement::allow(
                "ReadThisClustersServices",
                &["ecs:DescribeServices"],
                vec![
                    partition()
                        .lit(":ecs:")
                        .pseudo(Pseudo::Region)
                        .lit(":")
                        .pseudo(Pseudo::AccountId)
                        .lit(":service/")
                        .expr(self.cluster.r#ref())
                        .lit("/*")
                        .build(),
                ],
            ),
            Statement::allow(
                "KeepTheStateInTheGroupsTag",
                &["autoscaling:CreateOrUpdateTags"],
                vec![group_arn(self.group.clone())],
            ),
        ]
    }

    /// This fleet's error, information and instance-change events.
    fn triggers(
        &self,
        t: &mut Template,
        function: &Handle<lambda::Function>,
    ) -> Result<(), TemplateError> {
        if !self.on() {
            return Ok(());
        }
        let [first, rest @ ..] = events::ROUTED_FLEET_DETAIL_TYPES;
        let pattern = rest
            .iter()
            .fold(
                EventPattern::new(events::SOURCE_SPOT_FLEET, first),
                |p, d| p.or_detail_type(d),
            )
            .with_resource(self.fleet_arn());
        event_rule(
            t,
            self.config,
            "FleetEventRule",
            "Tells the reconciler when this spot fleet cannot launch",
            pattern,
            function,
        )
    }
}
