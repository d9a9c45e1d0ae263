use serde::Serialize;
use serde_with::skip_serializing_none;

use super::Tag;
use crate::expr::Expr;
use crate::resource_type;

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ScalableTarget {
    pub max_capacity: u32,
    pub min_capacity: u32,
    pub resource_id: Expr,
    pub scalable_dimension: String,
    pub service_namespace: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}
resource_type!(
    ScalableTarget,
    "AWS::ApplicationAutoScaling::ScalableTarget"
);

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ScalingPolicy {
    pub policy_name: Expr,
    pub policy_type: &'static str,
    pub scaling_target_id: Expr,
    pub target_tracking_scaling_policy_configuration: TargetTrackingScalingPolicyConfiguration,
}
resource_type!(ScalingPolicy, "AWS::ApplicationAutoScaling::ScalingPolicy");

#[skip_serializing_none]
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TargetTrackingScalingPolicyConfiguration {
    pub customized_metric_specification: CustomizedMetricSpecification,
    pub scale_in_cooldown: Option<u32>,
    pub scale_out_cooldown: Option<u32>,
    pub target_value: f64,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CustomizedMetricSpecification {
    pub dimensions: Vec<MetricDimension>,
    pub metric_name: String,
    pub namespace: String,
    pub statistic: &'static str,
    pub unit: &'static str,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct MetricDimension {
    pub name: String,
    pub value: Expr,
}
