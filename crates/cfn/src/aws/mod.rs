//! Resource types, one module per service, named as in the CloudFormation reference.
//! Required properties are plain fields; optional ones are `Option` and omitted when unset.

pub mod applicationautoscaling;
pub mod autoscaling;
pub mod cloudformation;
pub mod cloudwatch;
pub mod ec2;
pub mod ecs;
pub mod events;
pub mod iam;
pub mod lambda;
pub mod logs;
pub mod sns;

use serde::Serialize;

use crate::expr::Expr;

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    pub key: String,
    pub value: Expr,
}

impl Tag {
    pub fn new(key: impl Into<String>, value: impl Into<Expr>) -> Self {
        Tag {
            key: key.into(),
            value: value.into(),
        }
    }
}
