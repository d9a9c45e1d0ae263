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
    /// Further properties, passed to the function as they are.
    #[serde(flatten)]
    pub properties: BTreeMap<String, Expr>,
}
resource_type!(CustomResource, "AWS::CloudFormation::CustomResource");
