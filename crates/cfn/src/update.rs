//! What CloudFormation does to a resource when a property changes: update it in place, or
//! replace it (a new physical resource). The facts come from each type's registry schema
//! (`createOnlyProperties`, `conditionalCreateOnlyProperties`); a test checks them against
//! the schemas cfn-lint ships.

use serde::Serialize;

use crate::aws::{
    applicationautoscaling, autoscaling, cloudformation, cloudwatch, ec2, ecs, events, iam, lambda,
    logs, sns,
};
use crate::template::Resource;

/// The effect of changing a property, from mildest to most drastic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UpdateAction {
    /// Updated in place, same physical resource.
    InPlace,
    /// Replaced only under some update policies (e.g. an Auto Scaling group's
    /// `AutoScalingReplacingUpdate`), otherwise updated in place.
    Conditional,
    /// A new physical resource is created and the old one deleted.
    Replace,
}

/// Property paths (`/`-separated, `*` for any list item) whose change replaces a resource.
#[derive(Debug, Clone, Copy)]
pub struct UpdateFacts {
    pub type_name: &'static str,
    pub replace: &'static [&'static str],
    pub conditional: &'static [&'static str],
}

impl UpdateFacts {
    const fn of<R: Resource>(
        replace: &'static [&'static str],
        conditional: &'static [&'static str],
    ) -> Self {
        UpdateFacts {
            type_name: R::TYPE,
            replace,
            conditional,
        }
    }

    /// The action for a change at `path` (property names and list indexes from the
    /// resource's `Properties`). A change above a create-only path (say, the whole
    /// `SpotFleetRequestConfigData`) counts as touching it.
    pub fn action(&self, path: &[String]) -> UpdateAction {
        let touches = |pattern: &&str| {
            let pattern: Vec<&str> = pattern.split('/').collect();
            pattern
                .iter()
                .zip(path)
                .all(|(p, seg)| *p == "*" || *p == seg.as_str())
        };
        if self.replace.iter().any(touches) {
            UpdateAction::Replace
        } else if self.conditional.iter().any(touches) {
            UpdateAction::Conditional
        } else {
            UpdateAction::InPlace
        }
    }
}

/// Every resource type spotcover emits.
pub const UPDATE_FACTS: &[UpdateFacts] = &[
    UpdateFacts::of::<ecs::Cluster>(&["ClusterName"], &[]),
    UpdateFacts::of::<iam::Role>(&["Path", "RoleName"], &[]),
    UpdateFacts::of::<iam::InstanceProfile>(&["InstanceProfileName", "Path"], &[]),
    UpdateFacts::of::<ec2::LaunchTemplate>(&["LaunchTemplateName"], &[]),
    UpdateFacts::of::<ec2::SpotFleet>(
        &[
            "SpotFleetRequestConfigData/AllocationStrategy",
            "SpotFleetRequestConfigData/IamFleetRole",
            "SpotFleetRequestConfigData/InstanceInterruptionBehavior",
            "SpotFleetRequestConfigData/InstancePoolsToUseCount",
            "SpotFleetRequestConfigData/LaunchSpecifications",
            "SpotFleetRequestConfigData/LoadBalancersConfig",
            "SpotFleetRequestConfigData/OnDemandAllocationStrategy",
            "SpotFleetRequestConfigData/OnDemandMaxTotalPrice",
            "SpotFleetRequestConfigData/ReplaceUnhealthyInstances",
            "SpotFleetRequestConfigData/SpotMaintenanceStrategies",
            "SpotFleetRequestConfigData/SpotMaxTotalPrice",
            "SpotFleetRequestConfigData/SpotPrice",
            "SpotFleetRequestConfigData/TagSpecifications",
            "SpotFleetRequestConfigData/TerminateInstancesWithExpiration",
            "SpotFleetRequestConfigData/Type",
            "SpotFleetRequestConfigData/ValidFrom",
            "SpotFleetRequestConfigData/ValidUntil",
        ],
        &[],
    ),
    UpdateFacts::of::<applicationautoscaling::ScalableTarget>(
        &["ResourceId", "ScalableDimension", "ServiceNamespace"],
        &[],
    ),
    UpdateFacts::of::<applicationautoscaling::ScalingPolicy>(
        &[
            "PolicyName",
            "ServiceNamespace",
            "ResourceId",
            "ScalableDimension",
            "ScalingTargetId",
        ],
        &[],
    ),
    UpdateFacts::of::<autoscaling::AutoScalingGroup>(
        &["InstanceId", "AutoScalingGroupName"],
        &[
            "LaunchConfigurationName",
            "VPCZoneIdentifier",
            "LaunchTemplate",
            "MixedInstancesPolicy",
        ],
    ),
    UpdateFacts::of::<autoscaling::LifecycleHook>(
        &["AutoScalingGroupName", "LifecycleHookName"],
        &[],
    ),
    UpdateFacts::of::<autoscaling::LaunchConfiguration>(
        &[
            "AssociatePublicIpAddress",
            "BlockDeviceMappings",
            "ClassicLinkVPCId",
            "ClassicLinkVPCSecurityGroups",
            "EbsOptimized",
            "IamInstanceProfile",
            "ImageId",
            "InstanceId",
            "InstanceMonitoring",
            "InstanceType",
            "KernelId",
            "KeyName",
            "LaunchConfigurationName",
            "MetadataOptions",
            "PlacementTenancy",
            "RamDiskId",
            "SecurityGroups",
            "SpotPrice",
            "UserData",
        ],
        &[],
    ),
    UpdateFacts::of::<logs::LogGroup>(&["LogGroupName"], &[]),
    UpdateFacts::of::<lambda::Function>(
        &["FunctionName", "PackageType", "TenancyConfig"],
        &["DurableConfig"],
    ),
    UpdateFacts::of::<lambda::Permission>(
        &[
            "FunctionName",
            "FunctionUrlAuthType",
            "InvokedViaFunctionUrl",
            "SourceAccount",
            "SourceArn",
            "Principal",
            "PrincipalOrgID",
            "Action",
            "EventSourceToken",
        ],
        &[],
    ),
    UpdateFacts::of::<events::Rule>(&["Name"], &["EventBusName"]),
    UpdateFacts::of::<sns::Topic>(&["TopicName", "FifoTopic"], &[]),
    UpdateFacts::of::<cloudwatch::Alarm>(&["AlarmName"], &[]),
    UpdateFacts::of::<cloudwatch::Dashboard>(&["DashboardName"], &[]),
    UpdateFacts::of::<ecs::CapacityProvider>(
        &[
            "AutoScalingGroupProvider/AutoScalingGroupArn",
            "Name",
            "ClusterName",
        ],
        &[],
    ),
    UpdateFacts::of::<ecs::ClusterCapacityProviderAssociations>(&["Cluster"], &[]),
    UpdateFacts::of::<cloudformation::CustomResource>(&["ServiceToken"], &[]),
];

/// The facts for a resource type, if spotcover knows it.
pub fn facts(type_name: &str) -> Option<&'static UpdateFacts> {
    UPDATE_FACTS.iter().find(|f| f.type_name == type_name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(p: &str) -> Vec<String> {
        p.split('/').map(str::to_owned).collect()
    }

    #[test]
    fn launch_specifications_replace_the_fleet_target_capacity_does_not() {
        let fleet = facts("AWS::EC2::SpotFleet").unwrap();
        assert_eq!(
            fleet.action(&path(
                "SpotFleetRequestConfigData/LaunchSpecifications/0/InstanceType"
            )),
            UpdateAction::Replace
        );
        assert_eq!(
            fleet.action(&path("SpotFleetRequestConfigData/TargetCapacity")),
            UpdateAction::InPlace
        );
        assert_eq!(
            fleet.action(&path("SpotFleetRequestConfigData")),
            UpdateAction::Replace
        );
    }

    #[test]
    fn group_launch_changes_are_conditional() {
        let group = facts("AWS::AutoScaling::AutoScalingGroup").unwrap();
        assert_eq!(
            group.action(&path("MixedInstancesPolicy/LaunchTemplate")),
            UpdateAction::Conditional
        );
        assert_eq!(group.action(&path("MaxSize")), UpdateAction::InPlace);
    }
}
