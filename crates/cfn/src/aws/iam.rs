use std::collections::BTreeMap;

use serde::Serialize;
use serde_with::skip_serializing_none;

use super::Tag;
use crate::expr::Expr;
use crate::resource_type;

#[skip_serializing_none]
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Role {
    pub assume_role_policy_document: PolicyDocument,
    pub description: Option<String>,
    pub managed_policy_arns: Option<Vec<Expr>>,
    pub permissions_boundary: Option<String>,
    pub policies: Option<Vec<Policy>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}
resource_type!(Role, "AWS::IAM::Role", RoleAttr { Arn, RoleId });

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InstanceProfile {
    pub roles: Vec<Expr>,
}
resource_type!(
    InstanceProfile,
    "AWS::IAM::InstanceProfile",
    InstanceProfileAttr { Arn }
);

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Policy {
    pub policy_name: String,
    pub policy_document: PolicyDocument,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyDocument {
    pub version: &'static str,
    pub statement: Vec<Statement>,
}

impl PolicyDocument {
    pub fn new(statement: Vec<Statement>) -> Self {
        PolicyDocument {
            version: "2012-10-17",
            statement,
        }
    }

    /// A trust policy letting one AWS service assume the role.
    pub fn trust(service: &str) -> Self {
        PolicyDocument::new(vec![Statement {
            sid: None,
            effect: Effect::Allow,
            principal: Some(Principal {
                service: vec![service.to_owned()],
            }),
            action: vec!["sts:AssumeRole".into()],
            resource: None,
            condition: None,
        }])
    }
}

#[skip_serializing_none]
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Statement {
    pub sid: Option<String>,
    pub effect: Effect,
    pub principal: Option<Principal>,
    pub action: Vec<String>,
    pub resource: Option<Vec<Expr>>,
    pub condition: Option<Condition>,
}

impl Statement {
    pub fn allow(sid: &str, actions: &[&str], resources: Vec<Expr>) -> Self {
        Statement {
            sid: Some(sid.to_owned()),
            effect: Effect::Allow,
            principal: None,
            action: actions.iter().map(|a| (*a).to_owned()).collect(),
            resource: Some(resources),
            condition: None,
        }
    }

    /// Only where each `key` equals its value (`StringEquals`, all must hold).
    pub fn when_equal(mut self, pairs: &[(&str, Expr)]) -> Self {
        let string_equals = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect();
        let mut c = self.condition.take().unwrap_or_default();
        c.string_equals = string_equals;
        self.condition = Some(c);
        self
    }

    /// Only where each `key` is the ARN given (`ArnEquals`, all must hold): for a
    /// condition key of type ARN, such as `ecs:cluster`.
    pub fn when_arn_equals(mut self, pairs: &[(&str, Expr)]) -> Self {
        let mut c = self.condition.take().unwrap_or_default();
        c.arn_equals = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect();
        self.condition = Some(c);
        self
    }
}

/// A statement's `Condition` block: the operators spotcover uses.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Condition {
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub arn_equals: BTreeMap<String, Expr>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub string_equals: BTreeMap<String, Expr>,
}

#[derive(Clone, Copy, Debug, Serialize)]
pub enum Effect {
    Allow,
    Deny,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Principal {
    pub service: Vec<String>,
}
