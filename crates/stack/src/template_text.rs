//! Reading a CloudFormation template written by hand or by another tool: YAML short-form
//! intrinsics (`!Ref`, `!Sub`, `!GetAtt a.b`, ...) become their long forms (`Ref`,
//! `Fn::Sub`, `Fn::GetAtt: [a, b]`), so `diff` compares what CloudFormation compares.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use serde_saphyr::Tagged;

/// The short forms CloudFormation reads, each with its long key. `!Ref` and `!Condition`
/// keep their names; every other is `Fn::<name>`.
/// <https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference.html>
const FUNCTIONS: [&str; 18] = [
    "Base64",
    "Cidr",
    "FindInMap",
    "GetAtt",
    "GetAZs",
    "ImportValue",
    "Join",
    "Length",
    "Select",
    "Split",
    "Sub",
    "ToJsonString",
    "Transform",
    "And",
    "Equals",
    "If",
    "Not",
    "Or",
];

/// A template's text as a JSON value with every short form written long; an unknown local
/// tag (`!Foo`) is an error.
pub fn parse_template(text: &str) -> Result<Value, String> {
    let node: Node = serde_saphyr::from_str(text).map_err(|e| e.to_string())?;
    Ok(node.0)
}

/// Why `doc` is not a CloudFormation template, if it is not one: a `Resources` mapping of
/// logical ids to mappings with a string `Type`.
pub fn check_template(doc: &Value) -> Result<(), String> {
    let Some(resources) = doc.as_object().and_then(|d| d.get("Resources")) else {
        return Err("expected a top-level `Resources` mapping".into());
    };
    let Some(resources) = resources.as_object() else {
        return Err(
            "`Resources` is not a mapping: expected logical ids, each with a `Type`".into(),
        );
    };
    for (id, r) in resources {
        if r.get("Type").and_then(Value::as_str).is_none() {
            return Err(format!(
                "`Resources.{}` has no `Type`: expected a mapping with `Type: AWS::...`",
                crate::error::elide(id)
            ));
        }
    }
    Ok(())
}

struct Node(Value);

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let Tagged(Raw(value), tag) = Tagged::<Raw>::deserialize(d)?;
        match tag.as_deref() {
            None => Ok(Node(value)),
            Some(t) if t.starts_with("tag:yaml.org,2002:") || t.starts_with("!!") => {
                Ok(Node(value))
            }
            Some(t) => long_form(t.trim_start_matches('!'), value)
                .map(Node)
                .map_err(de::Error::custom),
        }
    }
}

fn long_form(name: &str, value: Value) -> Result<Value, String> {
    let (key, value) = match name {
        "Ref" | "Condition" => (name.to_owned(), value),
        "GetAtt" => match value {
            // `!GetAtt Resource.Attribute` (the attribute may hold dots itself).
            Value::String(s) => match s.split_once('.') {
                Some((r, a)) => ("Fn::GetAtt".to_owned(), Value::from(vec![r, a])),
                None => return Err(format!("!GetAtt {s}: expected `Resource.Attribute`")),
            },
            other => ("Fn::GetAtt".to_owned(), other),
        },
        _ if FUNCTIONS.contains(&name) => (format!("Fn::{name}"), value),
        _ => {
            return Err(format!(
                "unknown tag !{name}: expected one of CloudFormation's short forms (!Ref, !Sub, !GetAtt, ...)"
            ));
        }
    };
    Ok(Value::Object(Map::from_iter([(key, value)])))
}

/// One node, untagged; children are [`Node`]s, so their tags are read too.
struct Raw(Value);

impl<'de> Deserialize<'de> for Raw {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(RawVisitor)
    }
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = Raw;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a YAML value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Raw, E> {
        Ok(Raw(Value::Bool(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Raw, E> {
        Ok(Raw(Value::from(v)))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Raw, E> {
        Ok(Raw(Value::from(v)))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Raw, E> {
        Ok(Raw(Number::from_f64(v).map_or(Value::Null, Value::Number)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Raw, E> {
        Ok(Raw(Value::String(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<Raw, E> {
        Ok(Raw(Value::String(v)))
    }
    fn visit_unit<E>(self) -> Result<Raw, E> {
        Ok(Raw(Value::Null))
    }
    fn visit_none<E>(self) -> Result<Raw, E> {
        Ok(Raw(Value::Null))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Raw, D::Error> {
        Raw::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Raw, A::Error> {
        let mut out = Vec::new();
        while let Some(Node(v)) = seq.next_element()? {
            out.push(v);
        }
        Ok(Raw(Value::Array(out)))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Raw, A::Error> {
        let mut out = Map::new();
        while let Some(k) = map.next_key::<KeyText>()? {
            let Node(v) = map.next_value()?;
            out.insert(k.0, v);
        }
        Ok(Raw(Value::Object(out)))
    }
}

/// A mapping key as text (`1: x` keys a mapping by `"1"`, as JSON would).
struct KeyText(String);

impl<'de> Deserialize<'de> for KeyText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let Raw(v) = Raw::deserialize(d)?;
        Ok(KeyText(match v {
            Value::String(s) => s,
            other => other.to_string(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(yaml: &str) -> Value {
        parse_template(yaml).unwrap()
    }

    #[test]
    fn short_forms_read_as_long_forms() {
        let cases = [
            ("!Ref Name", json!({"Ref": "Name"})),
            (
                "!Sub 'a-${AWS::Region}'",
                json!({"Fn::Sub": "a-${AWS::Region}"}),
            ),
            ("!GetAtt Fn.Arn", json!({"Fn::GetAtt": ["Fn", "Arn"]})),
            (
                "!GetAtt Db.Endpoint.Address",
                json!({"Fn::GetAtt": ["Db", "Endpoint.Address"]}),
            ),
            ("!GetAtt [Fn, Arn]", json!({"Fn::GetAtt": ["Fn", "Arn"]})),
            (
                "!Join [',', [a, b]]",
                json!({"Fn::Join": [",", ["a", "b"]]}),
            ),
            (
                "!Select [0, !GetAZs '']",
                json!({"Fn::Select": [0, {"Fn::GetAZs": ""}]}),
            ),
            (
                "!If [C, a, !Ref AWS::NoValue]",
                json!({"Fn::If": ["C", "a", {"Ref": "AWS::NoValue"}]}),
            ),
            ("!Base64 x", json!({"Fn::Base64": "x"})),
            ("!ImportValue x", json!({"Fn::ImportValue": "x"})),
            (
                "!FindInMap [M, k, v]",
                json!({"Fn::FindInMap": ["M", "k", "v"]}),
            ),
            ("!Split [',', s]", json!({"Fn::Split": [",", "s"]})),
            ("!Equals [a, b]", json!({"Fn::Equals": ["a", "b"]})),
            (
                "!Not [!Condition C]",
                json!({"Fn::Not": [{"Condition": "C"}]}),
            ),
            (
                "!And [!Condition A, !Condition B]",
                json!({"Fn::And": [{"Condition": "A"}, {"Condition": "B"}]}),
            ),
            (
                "!Or [!Condition A, !Condition B]",
                json!({"Fn::Or": [{"Condition": "A"}, {"Condition": "B"}]}),
            ),
            (
                "!Cidr [10.0.0.0/16, 4, 8]",
                json!({"Fn::Cidr": ["10.0.0.0/16", 4, 8]}),
            ),
        ];
        for (short, long) in cases {
            assert_eq!(read(&format!("v: {short}\n"))["v"], long, "{short}");
        }
    }

    #[test]
    fn plain_yaml_reads_as_before() {
        assert_eq!(
            read("a: 1\nb: [true, null, x]\nc: {d: 1.5}\n"),
            json!({"a": 1, "b": [true, null, "x"], "c": {"d": 1.5}})
        );
    }

    #[test]
    fn an_unknown_tag_is_refused() {
        assert!(parse_template("v: !Frobnicate x\n").is_err());
    }

    #[test]
    fn resources_must_be_a_mapping_of_typed_resources() {
        assert!(check_template(&json!({"Resources": 5})).is_err());
        assert!(check_template(&json!({"Resources": {"A": {}}})).is_err());
        assert!(check_template(&json!({"stack": "x"})).is_err());
        assert!(check_template(&json!({"Resources": {"A": {"Type": "AWS::SNS::Topic"}}})).is_ok());
    }
}
