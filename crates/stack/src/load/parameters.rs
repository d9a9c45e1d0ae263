//! `parameters:` checked like the rest of the config: each name is a parameter of the
//! template this config composes (per region), each value has the parameter's shape (one
//! value, or a non-empty list without commas inside items), and ids look like ids, as for
//! `network`.

use serde_json::Value;

use spotcover_reconciler_core::contract::ids::{IdForm, is_aws_id};

use super::parse::join_path;
use crate::config::{ParameterValue, StackConfig};
use crate::error::ConfigError;

/// Problems with `c.parameters`, against the template `c` composes.
pub fn check(c: &StackConfig, prefix: &str) -> Vec<ConfigError> {
    if c.parameters.is_empty() {
        return Vec::new();
    }
    let asset = crate::compose::Asset {
        sha256: "0".repeat(64),
    };
    let Ok(doc) = crate::compose(c, &asset).and_then(|t| t.to_value()) else {
        return Vec::new(); // composing fails for its own reasons, reported by synth
    };
    let defined = doc.get("Parameters").and_then(Value::as_object);
    let mut errors = Vec::new();
    for (name, value) in &c.parameters {
        let path = join_path(prefix, &format!("parameters.{name}"));
        let Some(kind) = defined
            .and_then(|d| d.get(name))
            .and_then(|p| p.get("Type"))
            .and_then(Value::as_str)
        else {
            let known: Vec<&str> = defined
                .map(|d| d.keys().map(String::as_str).collect())
                .unwrap_or_default();
            errors.push(ConfigError::at(
                path,
                format!(
                    "not a parameter of this template; it has {}",
                    known.join(", ")
                ),
            ));
            continue;
        };
        check_value(kind, value, &path, &mut errors);
    }
    errors
}

fn check_value(kind: &str, value: &ParameterValue, path: &str, errors: &mut Vec<ConfigError>) {
    let item_kind = kind.strip_prefix("List<").and_then(|k| k.strip_suffix('>'));
    match (item_kind, value) {
        (None, ParameterValue::List(_)) => errors.push(ConfigError::at(
            path,
            format!("expected one value: the parameter's type is {kind}, not a list"),
        )),
        (None, ParameterValue::One(v)) => {
            if let Err(why) = check_item(kind, v) {
                errors.push(ConfigError::at(path, why));
            }
        }
        (Some(_), ParameterValue::List(items)) if items.is_empty() => errors.push(ConfigError::at(
            path,
            "expected at least one item: an empty list deploys as an empty value",
        )),
        (Some(item), ParameterValue::List(items)) => {
            for (i, v) in items.iter().enumerate() {
                let at = format!("{path}[{i}]");
                if v.contains(',') {
                    errors.push(ConfigError::at(
                        at,
                        format!("{v:?} holds a comma: expected one id per item; write each as its own item"),
                    ));
                } else if let Err(why) = check_item(item, v) {
                    errors.push(ConfigError::at(at, why));
                }
            }
        }
        (Some(item), ParameterValue::One(v)) => {
            for part in v.split(',') {
                if let Err(why) = check_item(item, part) {
                    errors.push(ConfigError::at(path, why));
                }
            }
        }
    }
}

/// One value of a parameter of type `kind`.
fn check_item(kind: &str, v: &str) -> Result<(), String> {
    let id = |prefix: &str, what: &str| {
        if is_aws_id(v, (prefix, IdForm::Hex)) {
            Ok(())
        } else {
            Err(format!(
                "{v:?} is not a {what} id: expected `{prefix}` and 8 or 17 hex digits"
            ))
        }
    };
    match kind {
        "AWS::EC2::Subnet::Id" => id("subnet-", "subnet"),
        "AWS::EC2::SecurityGroup::Id" => id("sg-", "security group"),
        "AWS::EC2::VPC::Id" => id("vpc-", "VPC"),
        "AWS::EC2::Image::Id" => id("ami-", "AMI"),
        _ if kind.starts_with("AWS::SSM::Parameter::") => {
            if v.is_empty() || v.contains(char::is_whitespace) {
                Err(format!(
                    "{v:?} is not an SSM parameter name: expected a name such as `/aws/service/...`"
                ))
            } else {
                Ok(())
            }
        }
        _ if v.is_empty() => Err("expected a value, found an empty string".into()),
        _ => Ok(()),
    }
}
