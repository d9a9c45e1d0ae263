use std::collections::BTreeMap;

use serde::Serialize;
use serde_with::skip_serializing_none;

use super::Tag;
use crate::expr::Expr;
use crate::resource_type;

#[skip_serializing_none]
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Function {
    pub description: Option<String>,
    pub architectures: Vec<String>,
    pub code: Code,
    pub environment: Option<Environment>,
    pub handler: String,
    pub logging_config: Option<LoggingConfig>,
    pub memory_size: u32,
    pub reserved_concurrent_executions: Option<u32>,
    pub role: Expr,
    pub runtime: String,
    pub timeout: u32,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}
resource_type!(Function, "AWS::Lambda::Function", FunctionAttr { Arn });

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Code {
    #[serde(rename = "S3Bucket")]
    pub s3_bucket: Expr,
    #[serde(rename = "S3Key")]
    pub s3_key: Expr,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Environment {
    pub variables: BTreeMap<String, Expr>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LoggingConfig {
    pub log_group: Expr,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Permission {
    pub action: &'static str,
    pub function_name: Expr,
    pub principal: String,
    pub source_arn: Expr,
}
resource_type!(Permission, "AWS::Lambda::Permission");
