use serde::Serialize;
use serde_json::Value;
use serde_with::skip_serializing_none;

use crate::{Expr, resource_type};

/// A rule fires on a schedule or on matching events.
#[skip_serializing_none]
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Rule {
    pub description: String,
    pub event_pattern: Option<Value>,
    pub schedule_expression: Option<String>,
    pub state: &'static str,
    pub targets: Vec<Target>,
}
resource_type!(Rule, "AWS::Events::Rule", RuleAttr { Arn });

#[skip_serializing_none]
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Target {
    pub id: String,
    pub arn: Expr,
    /// The event the target receives, as a JSON string; `None` passes the event itself.
    pub input: Option<Expr>,
}
