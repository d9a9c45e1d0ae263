use std::collections::BTreeMap;

use serde::Serialize;
use serde_with::skip_serializing_none;

use super::Tag;
use crate::expr::Expr;
use crate::resource_type;

/// A rule fires on a schedule or on matching events.
#[skip_serializing_none]
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Rule {
    pub description: String,
    pub event_pattern: Option<EventPattern>,
    pub schedule_expression: Option<String>,
    pub state: &'static str,
    pub targets: Vec<Target>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}
resource_type!(Rule, "AWS::Events::Rule", RuleAttr { Arn });

/// The events a rule matches: each field lists the values it accepts.
#[derive(Clone, Debug, Serialize)]
pub struct EventPattern {
    pub source: Vec<String>,
    #[serde(rename = "detail-type")]
    pub detail_type: Vec<String>,
    /// The event's `resources` must include one of these (ARNs).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<Expr>,
    /// Fields of the event's `detail`, each with the values it may take.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub detail: BTreeMap<String, Vec<Expr>>,
}

impl EventPattern {
    /// Events of one detail-type from one source.
    pub fn new(source: &str, detail_type: &str) -> Self {
        EventPattern {
            source: vec![source.to_owned()],
            detail_type: vec![detail_type.to_owned()],
            resources: Vec::new(),
            detail: BTreeMap::new(),
        }
    }

    /// Events of another detail-type from the same source, too.
    pub fn or_detail_type(mut self, detail_type: &str) -> Self {
        self.detail_type.push(detail_type.to_owned());
        self
    }

    /// Only events naming `arn` among their `resources`.
    pub fn with_resource(mut self, arn: Expr) -> Self {
        self.resources.push(arn);
        self
    }

    /// Only events whose `detail.field` is `value`.
    pub fn with_detail(mut self, field: &str, value: Expr) -> Self {
        self.detail.entry(field.to_owned()).or_default().push(value);
        self
    }
}

#[skip_serializing_none]
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Target {
    pub id: String,
    pub arn: Expr,
    /// The event the target receives, as a JSON string; `None` passes the event itself.
    pub input: Option<Expr>,
}
