use serde::Serialize;

use super::Tag;
use crate::expr::Expr;
use crate::resource_type;

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Topic {
    pub subscription: Vec<Subscription>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}
resource_type!(
    Topic,
    "AWS::SNS::Topic",
    TopicAttr {
        TopicArn,
        TopicName
    }
);

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Subscription {
    pub endpoint: Expr,
    pub protocol: &'static str,
}
