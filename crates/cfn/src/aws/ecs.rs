use serde::Serialize;
use serde_with::skip_serializing_none;

use super::Tag;
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
