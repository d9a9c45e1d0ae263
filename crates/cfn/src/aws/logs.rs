use serde::Serialize;

use super::Tag;
use crate::resource_type;

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LogGroup {
    pub retention_in_days: u32,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}
resource_type!(LogGroup, "AWS::Logs::LogGroup", LogGroupAttr { Arn });
