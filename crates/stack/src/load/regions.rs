//! `regions:`: each region's config is the base deep-merged with the region's overrides
//! (mappings merge, lists and scalars replace).

use serde_json::Value;

use super::parse;
use crate::config::StackConfig;
use crate::error::ConfigError;

/// Where a region's problems are reported: `regions.<name>`.
pub(super) fn prefix(region: &str) -> String {
    format!("regions.{region}")
}

/// A region's name and its merged config, or why it has none.
pub(super) type Region = (String, Result<StackConfig, ConfigError>);

/// Each region's merged config, or why it has none, in the config's order.
pub(super) fn expand(text: &str, base: &StackConfig) -> Result<Vec<Region>, ConfigError> {
    let mut raw = parse::raw(text)?;
    if let Value::Object(m) = &mut raw {
        m.remove("regions");
    }
    // Short-form intrinsics in override values, as CloudFormation reads them.
    let tagged = super::intrinsics::read(text).unwrap_or(Value::Null);
    if let Some(o) = raw.get_mut("overrides") {
        super::intrinsics::patch_raw(o, &tagged["overrides"]);
    }
    Ok(base
        .regions
        .iter()
        .map(|(region, overrides)| {
            let mut overrides = overrides.clone();
            if let Some(o) = overrides.get_mut("overrides") {
                super::intrinsics::patch_raw(o, &tagged["regions"][region.as_str()]["overrides"]);
            }
            (region.clone(), merged(&raw, region, &overrides, text))
        })
        .collect())
}

fn merged(
    raw: &Value,
    region: &str,
    overrides: &Value,
    text: &str,
) -> Result<StackConfig, ConfigError> {
    let prefix = prefix(region);
    if !is_region_name(region) {
        return Err(ConfigError::at(
            prefix,
            "expected an AWS region name such as `us-east-1`",
        ));
    }
    let mut merged = raw.clone();
    match overrides {
        Value::Object(_) => merge(&mut merged, overrides),
        Value::Null => {}
        _ => return Err(ConfigError::at(prefix, "expected a mapping of overrides")),
    }
    parse::from_value(merged, &prefix, text)
}

fn merge(base: &mut Value, over: &Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(k) {
                    Some(slot) if slot.is_object() && v.is_object() => merge(slot, v),
                    _ => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (slot, v) => *slot = v.clone(),
    }
}

pub(super) fn is_region_name(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase()))
        && parts[parts.len() - 1].chars().all(|c| c.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_names() {
        assert!(is_region_name("us-east-1"));
        assert!(is_region_name("us-gov-west-1"));
        assert!(!is_region_name("useast1"));
        assert!(!is_region_name("us-east"));
    }

    #[test]
    fn merge_replaces_lists_and_merges_maps() {
        let mut base = serde_json::json!({"a": {"b": 1, "c": [1, 2]}, "d": 1});
        merge(&mut base, &serde_json::json!({"a": {"c": [3]}, "e": 2}));
        assert_eq!(
            base,
            serde_json::json!({"a": {"b": 1, "c": [3]}, "d": 1, "e": 2})
        );
    }
}
