use serde::Serialize;

use crate::resource_type;

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LogGroup {
    pub retention_in_days: u32,
}
resource_type!(LogGroup, "AWS::Logs::LogGroup", LogGroupAttr { Arn });
