use serde::Serialize;
use serde_with::skip_serializing_none;

use super::Tag;
use crate::expr::Expr;
use crate::resource_type;

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LaunchTemplate {
    pub launch_template_data: LaunchTemplateData,
    /// Tags of the launch template itself (`ResourceType: launch-template`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tag_specifications: Vec<TagSpecification>,
}
resource_type!(
    LaunchTemplate,
    "AWS::EC2::LaunchTemplate",
    LaunchTemplateAttr {
        LatestVersionNumber,
        DefaultVersionNumber,
        LaunchTemplateId
    }
);

#[skip_serializing_none]
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LaunchTemplateData {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub block_device_mappings: Vec<BlockDeviceMapping>,
    pub iam_instance_profile: IamInstanceProfileSpecification,
    pub image_id: Expr,
    pub key_name: Option<String>,
    pub metadata_options: MetadataOptions,
    pub monitoring: Monitoring,
    pub security_group_ids: Expr,
    pub tag_specifications: Vec<TagSpecification>,
    pub user_data: Expr,
}

/// A block device: `LaunchTemplateData.BlockDeviceMappings`,
/// `SpotFleetLaunchSpecification.BlockDeviceMappings` and the launch configuration's
/// `BlockDeviceMappings` share this shape.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BlockDeviceMapping {
    pub device_name: String,
    pub ebs: Ebs,
}

/// An EBS volume of a block device mapping.
#[skip_serializing_none]
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Ebs {
    pub delete_on_termination: bool,
    pub encrypted: bool,
    /// GiB; `None` keeps the AMI snapshot's size.
    pub volume_size: Option<u32>,
    pub volume_type: String,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct IamInstanceProfileSpecification {
    pub arn: Expr,
}

/// IMDSv2 only; a hop limit of 2 lets containers on bridge networking reach it.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct MetadataOptions {
    pub http_endpoint: &'static str,
    pub http_put_response_hop_limit: u32,
    pub http_tokens: &'static str,
}

impl MetadataOptions {
    pub fn imdsv2_required() -> Self {
        MetadataOptions {
            http_endpoint: "enabled",
            http_put_response_hop_limit: 2,
            http_tokens: "required",
        }
    }
}

/// EC2 detailed monitoring (1-minute instance metrics); `LaunchTemplateData.Monitoring`
/// and `SpotFleetLaunchSpecification.Monitoring` share this shape.
#[derive(Clone, Copy, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Monitoring {
    pub enabled: bool,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagSpecification {
    pub resource_type: &'static str,
    pub tags: Vec<Tag>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SpotFleet {
    pub spot_fleet_request_config_data: SpotFleetRequestConfigData,
}
resource_type!(SpotFleet, "AWS::EC2::SpotFleet");

#[skip_serializing_none]
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SpotFleetRequestConfigData {
    pub allocation_strategy: String,
    pub excess_capacity_termination_policy: ExcessCapacityTerminationPolicy,
    pub iam_fleet_role: Expr,
    pub instance_interruption_behavior: &'static str,
    #[serde(flatten)]
    pub launch: FleetLaunch,
    pub replace_unhealthy_instances: bool,
    /// The maximum price per unit hour for every pool; `None`: up to the on-demand price.
    pub spot_price: Option<String>,
    /// Tags of the fleet request itself (`ResourceType: spot-fleet-request`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tag_specifications: Vec<SpotFleetTagSpecification>,
    pub target_capacity: u32,
    pub terminate_instances_with_expiration: bool,
    #[serde(rename = "Type")]
    pub kind: &'static str,
}

/// What the fleet does when its target falls below its fulfilled capacity.
#[derive(Clone, Copy, Debug, Serialize)]
pub enum ExcessCapacityTerminationPolicy {
    /// The fleet terminates instances to meet the new target.
    Default,
    /// The fleet keeps them; whoever lowered the target terminates them.
    NoTermination,
}

/// How a Spot Fleet launches: `LaunchSpecifications` or `LaunchTemplateConfigs`, exactly
/// one of them (CloudFormation refuses both and neither), so the other cannot be built.
#[derive(Clone, Debug, Serialize)]
pub enum FleetLaunch {
    #[serde(rename = "LaunchSpecifications")]
    Specifications(Vec<SpotFleetLaunchSpecification>),
    #[serde(rename = "LaunchTemplateConfigs")]
    TemplateConfigs(Vec<LaunchTemplateConfig>),
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LaunchTemplateConfig {
    pub launch_template_specification: FleetLaunchTemplateSpecification,
    pub overrides: Vec<LaunchTemplateOverrides>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct FleetLaunchTemplateSpecification {
    pub launch_template_id: Expr,
    pub version: Expr,
}

#[skip_serializing_none]
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LaunchTemplateOverrides {
    pub instance_type: String,
    /// The maximum price per instance hour for this pool.
    pub spot_price: Option<String>,
    pub subnet_id: Expr,
    pub weighted_capacity: f64,
}

#[skip_serializing_none]
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SpotFleetLaunchSpecification {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub block_device_mappings: Vec<BlockDeviceMapping>,
    pub iam_instance_profile: IamInstanceProfileSpecification,
    pub image_id: Expr,
    pub instance_type: String,
    pub key_name: Option<String>,
    pub monitoring: Monitoring,
    pub security_groups: Vec<GroupIdentifier>,
    /// The maximum price per instance hour for this pool.
    pub spot_price: Option<String>,
    pub subnet_id: Expr,
    pub tag_specifications: Vec<SpotFleetTagSpecification>,
    pub user_data: Expr,
    pub weighted_capacity: f64,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GroupIdentifier {
    pub group_id: Expr,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SpotFleetTagSpecification {
    pub resource_type: &'static str,
    pub tags: Vec<Tag>,
}
