//! YAML short-form intrinsics (`!Ref X`, `!GetAtt A.B`, `!Sub ...`) in override values,
//! read as CloudFormation reads them (`{Ref: X}`, ...). The config's typed reading drops
//! YAML tags; the text is read again with [`crate::template_text::parse_template`], and
//! each override's `value` is taken from that reading.

use serde_json::Value;

use crate::config::Overrides;

/// The config's text with every short form written long; `None` when it has a tag
/// CloudFormation does not know (the typed reading reports what it can).
pub(super) fn read(text: &str) -> Option<Value> {
    crate::template_text::parse_template(text).ok()
}

/// Whether a value holds an intrinsic function: only then is the second reading's value
/// taken (the first one reads `yes` as a string, as the JSON Schema does).
fn has_intrinsic(v: &Value) -> bool {
    match v {
        Value::Object(o) => {
            o.keys()
                .any(|k| k == "Ref" || k == "Condition" || k.starts_with("Fn::"))
                || o.values().any(has_intrinsic)
        }
        Value::Array(a) => a.iter().any(has_intrinsic),
        _ => false,
    }
}

/// Sets each typed override's value from `raw`, the `overrides` node of [`read`].
pub(super) fn patch_typed(overrides: &mut Overrides, raw: &Value) {
    match overrides {
        Overrides::List(items) => {
            for (i, o) in items.iter_mut().enumerate() {
                if let Some(v) = raw
                    .get(i)
                    .and_then(|e| e.get("value"))
                    .filter(|v| has_intrinsic(v))
                {
                    o.value = Some(v.clone());
                }
            }
        }
        Overrides::Named(map) => {
            for (k, o) in map.iter_mut() {
                if let Some(v) = raw
                    .get(k.as_str())
                    .and_then(|e| e.get("value"))
                    .filter(|v| has_intrinsic(v))
                {
                    o.value = Some(v.clone());
                }
            }
        }
    }
}

/// Sets each override's `value` in `dst` (an `overrides` node as plain JSON) from `src`,
/// the same node of [`read`].
pub(super) fn patch_raw(dst: &mut Value, src: &Value) {
    let set = |entry: &mut Value, from: Option<&Value>| {
        let tagged = from
            .and_then(|f| f.get("value"))
            .filter(|v| has_intrinsic(v));
        if let (Some(obj), Some(v)) = (entry.as_object_mut(), tagged)
            && obj.contains_key("value")
        {
            obj.insert("value".into(), v.clone());
        }
    };
    match dst {
        Value::Array(items) => {
            for (i, e) in items.iter_mut().enumerate() {
                set(e, src.get(i));
            }
        }
        Value::Object(map) => {
            for (k, e) in map.iter_mut() {
                set(e, src.get(k.as_str()));
            }
        }
        _ => {}
    }
}
