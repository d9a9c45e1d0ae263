//! The published JSON Schema and the loader agree: the same documents, valid and invalid,
//! fed to both (the schema through the venv's pinned `jsonschema`, Draft 2020-12).

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::*;
use serde_json::Value;

/// Each document as the JSON an editor's schema check sees (YAML 1.2: `yes` is a string).
fn as_json(yaml: &str) -> Value {
    let options = serde_saphyr::options! { strict_booleans: true };
    serde_saphyr::from_str_with_options(yaml, options).unwrap()
}

/// The schema's verdict on each document.
pub fn schema_accepts(docs: &[Value]) -> Vec<bool> {
    let script = r#"
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
v = jsonschema.Draft202012Validator(schema)
print(json.dumps([v.is_valid(d) for d in json.load(sys.stdin)]))
"#;
    let mut child = Command::new(venv_bin("python"))
        .args(["-c", script])
        .arg(root().join("schema/spotcover.schema.json"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(docs).unwrap().as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success());
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn the_schema_and_the_loader_accept_and_refuse_the_same_documents() {
    let quickstart = std::fs::read_to_string(example("quickstart")).unwrap();
    let mut docs: Vec<(String, String)> = examples()
        .into_iter()
        .map(|e| {
            let text = std::fs::read_to_string(example(&e)).unwrap();
            (e, text)
        })
        .collect();
    docs.extend(
        variants(&quickstart)
            .into_iter()
            .map(|(name, text)| (name.to_owned(), text)),
    );
    let verdicts = schema_accepts(&docs.iter().map(|(_, t)| as_json(t)).collect::<Vec<_>>());
    let accepted: Vec<&str> = docs
        .iter()
        .zip(&verdicts)
        .filter(|(_, ok)| **ok)
        .map(|((name, _), _)| name.as_str())
        .collect();
    // Every example, then the variants the schema takes.
    let mut expected = examples();
    expected.extend(
        [
            "true for a boolean",
            "weight 999",
            "a list parameter",
            "allow",
        ]
        .map(str::to_owned),
    );
    assert_eq!(accepted, expected, "the schema's verdicts");
    let mut disagree = Vec::new();
    // Files a config names are beside it: the documents here are examples or quickstart's.
    let read = |name: &str| {
        std::fs::read_to_string(root().join("examples").join(name)).map_err(|e| e.to_string())
    };
    for ((name, text), schema) in docs.iter().zip(verdicts) {
        let loader = spotcover_stack::load_with(text, &read);
        if loader.is_ok() != schema {
            disagree.push(format!("{name}: schema {schema}, loader {loader:?}"));
        }
    }
    assert!(disagree.is_empty(), "{disagree:#?}");
}

/// Variants of the quickstart, by name: each a rule the schema and the loader must agree on.
fn variants(quickstart: &str) -> Vec<(&'static str, String)> {
    let q = |from: &str, to: &str| {
        assert!(quickstart.contains(from), "{from}");
        quickstart.replace(from, to)
    };
    vec![
        (
            "weight as a quoted number",
            q("weight: 2\n", "weight: \"2\"\n"),
        ),
        (
            "yes for a boolean",
            format!("{quickstart}cluster: {{container_insights: yes}}\n"),
        ),
        (
            "true for a boolean",
            format!("{quickstart}cluster: {{container_insights: true}}\n"),
        ),
        (
            "weight 0",
            q("m6i.xlarge, weight: 4", "m6i.xlarge, weight: 0"),
        ),
        (
            "weight 999",
            q("m6i.xlarge, weight: 4", "m6i.xlarge, weight: 999"),
        ),
        (
            "weight 1000",
            q("m6i.xlarge, weight: 4", "m6i.xlarge, weight: 1000"),
        ),
        (
            "max_capacity 10001",
            q("max_capacity: 40", "max_capacity: 10001"),
        ),
        (
            "target_percent 0",
            q("target_percent: 75", "target_percent: 0"),
        ),
        (
            "target_percent 101",
            q("target_percent: 75", "target_percent: 101"),
        ),
        (
            "an unknown key",
            q("target_capacity: 4", "target_capacity: 4\n  budget: 1"),
        ),
        ("no stack", q("stack: spotcover-quickstart\n", "")),
        ("a bad enum", q("metric: cpu", "metric: disk")),
        (
            "a negative number",
            q("target_capacity: 4", "target_capacity: -4"),
        ),
        ("a float", q("target_capacity: 4", "target_capacity: 4.5")),
        (
            "a list parameter",
            format!("{quickstart}parameters: {{Subnets: [subnet-12345678]}}\n"),
        ),
        (
            "a nested parameter",
            format!("{quickstart}parameters: {{Subnets: [[a]]}}\n"),
        ),
        (
            "allow",
            format!("{quickstart}allow: {{regions: [us-east-1]}}\n"),
        ),
        (
            "allow with an unknown key",
            format!("{quickstart}allow: {{zones: [a]}}\n"),
        ),
        (
            "no spot instance types",
            q(
                "  instance_types:\n    - { type: m6i.large, weight: 2 }\n    - { type: m6a.large, weight: 2 }\n    - { type: m5.large, weight: 2 }\n    - { type: m6i.xlarge, weight: 4 }\n",
                "  instance_types: []\n",
            ),
        ),
        (
            "no on-demand instance types",
            q("  instance_types: [m6i.large]\n", "  instance_types: []\n"),
        ),
    ]
}
