use serde::Serialize;
use serde_with::skip_serializing_none;

use super::Tag;
use crate::expr::Expr;
use crate::resource_type;

#[skip_serializing_none]
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Cluster {
    pub cluster_settings: Option<Vec<ClusterSetting>>,
    pub tags: Option<Vec<Tag>>,
}
resource_type!(Cluster, "AWS::ECS::Cluster", ClusterAttr { Arn });

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ClusterSetting {
    pub name: String,
    pub value: String,
}

/// An Auto Scaling group capacity provider: ECS scales the group (managed scaling),
/// keeps instances with tasks from scale-in (managed termination protection) and drains
/// instances the group removes (managed draining).
#[skip_serializing_none]
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CapacityProvider {
    pub auto_scaling_group_provider: AutoScalingGroupProvider,
    pub tags: Option<Vec<Tag>>,
}
resource_type!(CapacityProvider, "AWS::ECS::CapacityProvider");

#[skip_serializing_none]
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AutoScalingGroupProvider {
    /// The group's name or ARN.
    pub auto_scaling_group_arn: Expr,
    /// `ENABLED` or `DISABLED`.
    pub managed_draining: Option<&'static str>,
    pub managed_scaling: Option<ManagedScaling>,
    /// `ENABLED` or `DISABLED`; needs managed scaling, and the group's scale-in
    /// protection for new instances.
    pub managed_termination_protection: Option<&'static str>,
}

#[skip_serializing_none]
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ManagedScaling {
    /// Seconds before a new instance counts in the metric, 0 to 10000.
    pub instance_warmup_period: Option<u32>,
    /// 1 to 10000 instances.
    pub maximum_scaling_step_size: Option<u32>,
    /// 1 to 10000 instances.
    pub minimum_scaling_step_size: Option<u32>,
    /// `ENABLED` or `DISABLED`.
    pub status: &'static str,
    /// Target utilization, 1 to 100 percent.
    pub target_capacity: Option<u32>,
}

/// The capacity providers a cluster may use, and its default strategy.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ClusterCapacityProviderAssociations {
    pub capacity_providers: Vec<Expr>,
    pub cluster: Expr,
    pub default_capacity_provider_strategy: Vec<CapacityProviderStrategy>,
}
resource_type!(
    ClusterCapacityProviderAssociations,
    "AWS::ECS::ClusterCapacityProviderAssociations"
);

#[skip_serializing_none]
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CapacityProviderStrategy {
    pub base: Option<u32>,
    pub capacity_provider: Expr,
    pub weight: Option<u32>,
}
