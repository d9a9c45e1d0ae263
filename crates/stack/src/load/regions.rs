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

/// The JSON Schema of a region's value, as strict as the loader: each key a config has
/// (except `regions`), none required, and the same at every level a mapping merges into
/// (a list replaces, so a list's items stay whole). Without it an editor accepts any key
/// under `regions.<name>` that `validate` refuses.
pub fn apply_to_schema(schema: &mut Value) {
    let Some(defs) = schema.get("$defs").and_then(Value::as_object).cloned() else {
        return;
    };
    let mut partial_defs = serde_json::Map::new();
    let mut root = serde_json::json!({
        "type": "object",
        "properties": schema["properties"].clone(),
        "additionalProperties": false,
    });
    if let Some(p) = root["properties"].as_object_mut() {
        p.remove("regions");
    }
    let root = partial(&root, &defs, &mut partial_defs);
    let defs_out = schema["$defs"].as_object_mut().expect("checked above");
    defs_out.extend(partial_defs);
    defs_out.insert(REGION_DEF.into(), root);
    let regions = &mut schema["properties"]["regions"];
    regions["additionalProperties"] = serde_json::json!({
        "anyOf": [{"$ref": format!("#/$defs/{REGION_DEF}")}, {"type": "null"}]
    });
    regions["propertyNames"] = serde_json::json!({
        "pattern": "^[a-z]{2}(-[a-z]+)+-[0-9]+$"
    });
}

const REGION_DEF: &str = "RegionOverrides";

/// `node` with nothing required, where a region's mapping merges into it.
fn partial(
    node: &Value,
    defs: &serde_json::Map<String, Value>,
    out: &mut serde_json::Map<String, Value>,
) -> Value {
    let Value::Object(m) = node else {
        return node.clone();
    };
    let mut m = m.clone();
    m.remove("required");
    m.remove("default");
    if let Some(Value::String(r)) = m.get("$ref").cloned()
        && let Some(name) = r.strip_prefix("#/$defs/")
        && let Some(def) = defs.get(name)
        && mergeable(def)
    {
        let partial_name = format!("{name}InRegion");
        if !out.contains_key(&partial_name) {
            out.insert(partial_name.clone(), Value::Null); // stops a cycle
            let p = partial(def, defs, out);
            out.insert(partial_name.clone(), p);
        }
        m.insert(
            "$ref".into(),
            Value::String(format!("#/$defs/{partial_name}")),
        );
    }
    if let Some(Value::Object(props)) = m.get_mut("properties") {
        for v in props.values_mut() {
            *v = partial(v, defs, out);
        }
    }
    if let Some(extra @ Value::Object(_)) = m.get_mut("additionalProperties") {
        *extra = partial(extra, defs, out);
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(Value::Array(alts)) = m.get_mut(key) {
            for a in alts {
                *a = partial(a, defs, out);
            }
        }
    }
    Value::Object(m)
}

/// A definition a region's mapping merges into: one with properties, or alternatives.
fn mergeable(def: &Value) -> bool {
    ["properties", "anyOf", "oneOf", "allOf", "required"]
        .iter()
        .any(|k| def.get(k).is_some())
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
