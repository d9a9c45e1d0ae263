use std::collections::BTreeMap;

use serde::Serialize;

use crate::expr::Expr;
use crate::resource_type;

/// A custom resource: CloudFormation sends its Create, Update and Delete to the function
/// `service_token` names, with `properties` as `ResourceProperties`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CustomResource {
    pub service_token: Expr,
    /// Seconds CloudFormation waits for the answer (1 to 3600; default 3600).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_timeout: Option<u32>,
    /// Further properties, passed to the function as they are.
    #[serde(flatten)]
    pub properties: BTreeMap<String, Expr>,
}
resource_type!(CustomResource, "AWS::CloudFormation::CustomResource");
