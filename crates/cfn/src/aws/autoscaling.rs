use serde::Serialize;
use serde_with::skip_serializing_none;

use super::ec2::MetadataOptions;
use crate::expr::Expr;
use crate::resource_type;

/// Sizes are strings in this resource's schema.
#[skip_serializing_none]
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AutoScalingGroup {
    /// Replace spot instances at elevated risk of interruption before they are
    /// interrupted.
    pub capacity_rebalance: Option<bool>,
    pub cooldown: String,
    pub desired_capacity: Option<String>,
    pub health_check_type: &'static str,
    pub launch_configuration_name: Option<Expr>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lifecycle_hook_specification_list: Vec<LifecycleHookSpecification>,
    pub max_size: String,
    /// Group metrics published to `AWS/AutoScaling` (none are without this).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub metrics_collection: Vec<MetricsCollection>,
    pub min_size: String,
    pub mixed_instances_policy: Option<MixedInstancesPolicy>,
    /// Scale-in protection for every instance the group launches.
    pub new_instances_protected_from_scale_in: Option<bool>,
    pub tags: Vec<AsgTag>,
    #[serde(rename = "VPCZoneIdentifier")]
    pub vpc_zone_identifier: Expr,
}
resource_type!(AutoScalingGroup, "AWS::AutoScaling::AutoScalingGroup");

/// Which group metrics the group publishes, and how often.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct MetricsCollection {
    /// `1Minute`, the only value AWS takes.
    pub granularity: &'static str,
    pub metrics: Vec<&'static str>,
}

/// A lifecycle hook of its own, beside its group. It names the group, so CloudFormation
/// creates it after the group and deletes it before the group; a hook in the group's
/// `LifecycleHookSpecificationList` lives exactly as long as the group instead.
#[skip_serializing_none]
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LifecycleHook {
    pub auto_scaling_group_name: Expr,
    /// `CONTINUE` or `ABANDON` (AWS's default): what happens when the hook times out.
    pub default_result: &'static str,
    /// Seconds an instance waits for `CompleteLifecycleAction`, 30 to 7200.
    pub heartbeat_timeout: u32,
    pub lifecycle_hook_name: String,
    /// `autoscaling:EC2_INSTANCE_LAUNCHING` or `autoscaling:EC2_INSTANCE_TERMINATING`.
    pub lifecycle_transition: &'static str,
}
resource_type!(LifecycleHook, "AWS::AutoScaling::LifecycleHook");

/// A lifecycle hook declared on the group itself.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LifecycleHookSpecification {
    /// `CONTINUE` or `ABANDON`: what happens when the hook times out.
    pub default_result: &'static str,
    /// Seconds an instance waits for `CompleteLifecycleAction`, 30 to 7200.
    pub heartbeat_timeout: u32,
    pub lifecycle_hook_name: String,
    /// `autoscaling:EC2_INSTANCE_LAUNCHING` or `autoscaling:EC2_INSTANCE_TERMINATING`.
    pub lifecycle_transition: &'static str,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AsgTag {
    pub key: String,
    pub value: Expr,
    pub propagate_at_launch: bool,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct MixedInstancesPolicy {
    pub instances_distribution: InstancesDistribution,
    pub launch_template: MixedLaunchTemplate,
}

#[skip_serializing_none]
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InstancesDistribution {
    pub on_demand_allocation_strategy: &'static str,
    pub on_demand_base_capacity: u32,
    pub on_demand_percentage_above_base_capacity: u32,
    /// `price-capacity-optimized`, `capacity-optimized`, ...; unset: AWS's default.
    pub spot_allocation_strategy: Option<&'static str>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct MixedLaunchTemplate {
    pub launch_template_specification: LaunchTemplateSpecification,
    pub overrides: Vec<LaunchTemplateOverrides>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LaunchTemplateSpecification {
    pub launch_template_id: Expr,
    pub version: Expr,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LaunchTemplateOverrides {
    pub instance_type: String,
}

#[skip_serializing_none]
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LaunchConfiguration {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub block_device_mappings: Vec<super::ec2::BlockDeviceMapping>,
    pub iam_instance_profile: Expr,
    pub image_id: Expr,
    pub instance_type: String,
    pub key_name: Option<String>,
    pub metadata_options: MetadataOptions,
    pub security_groups: Expr,
    pub user_data: Expr,
}
resource_type!(LaunchConfiguration, "AWS::AutoScaling::LaunchConfiguration");
