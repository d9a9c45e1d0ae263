use serde::Serialize;

use crate::{Expr, resource_type};

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Rule {
    pub description: String,
    pub schedule_expression: String,
    pub state: &'static str,
    pub targets: Vec<Target>,
}
resource_type!(Rule, "AWS::Events::Rule", RuleAttr { Arn });

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Target {
    pub id: String,
    pub arn: Expr,
    /// The event the target receives, as a JSON string.
    pub input: Expr,
}
