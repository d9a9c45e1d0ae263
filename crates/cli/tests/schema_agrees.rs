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

/// One change to a document: what it does, where, and the changed document.
struct Variant {
    name: String,
    doc: Value,
}

/// Every object node and every scalar of `v`, by path (`a.b[1]`), document order.
fn nodes(v: &Value, path: &str, objects: &mut Vec<String>, leaves: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            objects.push(path.to_owned());
            for (k, child) in m {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                nodes(child, &p, objects, leaves);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                nodes(child, &format!("{path}[{i}]"), objects, leaves);
            }
        }
        _ => leaves.push(path.to_owned()),
    }
}

/// The node at `path` (as `nodes` writes it).
fn at<'a>(v: &'a mut Value, path: &str) -> &'a mut Value {
    let mut node = v;
    if path.is_empty() {
        return node;
    }
    for part in path.split('.') {
        let (key, indexes) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        node = &mut node[key];
        for index in indexes.split('[').filter(|s| !s.is_empty()) {
            node = &mut node[index.trim_end_matches(']').parse::<usize>().unwrap()];
        }
    }
    node
}

/// Keys whose values the loader reads as a whole, free-form (overrides' values, the
/// template's parameters): a change inside them is no change of the config's shape.
fn free_form(path: &str) -> bool {
    path.contains(".value") || path.starts_with("overrides") && path.ends_with("value")
}

/// Variations of `doc`: an unknown key in every mapping (`regions.<name>` included), a
/// mapping for every scalar (a wrong type), -1 and 2^32 for every whole number (out of
/// bounds), and a value no choice has for every key the schema gives choices.
fn variations(name: &str, doc: &Value) -> Vec<Variant> {
    let (mut objects, mut leaves) = (Vec::new(), Vec::new());
    nodes(doc, "", &mut objects, &mut leaves);
    let mut out = Vec::new();
    let mut push = |what: String, path: &str, new: Value| {
        let mut d = doc.clone();
        *at(&mut d, path) = new;
        out.push(Variant {
            name: format!(
                "{name}: {what} at {}",
                if path.is_empty() { "the top" } else { path }
            ),
            doc: d,
        });
    };
    for path in objects.iter().filter(|p| !free_form(p)) {
        let mut with = doc.clone();
        at(&mut with, path)["zz_unknown"] = Value::from(1);
        push("an unknown key".into(), path, at(&mut with, path).clone());
    }
    for path in leaves.iter().filter(|p| !free_form(p)) {
        let mut d = doc.clone();
        let leaf = at(&mut d, path).clone();
        push(
            "a mapping for a scalar".into(),
            path,
            serde_json::json!({"zz": 1}),
        );
        if leaf.is_u64() {
            push("-1".into(), path, Value::from(-1));
            push("2^32".into(), path, Value::from(4_294_967_296u64));
        }
        if leaf.is_string() && CHOICES.iter().any(|c| path.ends_with(c)) {
            push(
                "no choice's value".into(),
                path,
                Value::from("zz-no-such-choice"),
            );
        }
    }
    out
}

/// Keys whose value is one of a fixed set of choices (an enum in the schema).
const CHOICES: &[&str] = &[
    "engine",
    "allocation_strategy",
    "spot.launch",
    "autoscaling.metric",
    "on_demand.launch",
    "reconciler.policy",
    "reconciler.architecture",
    "root_volume.type",
];

/// Disagreements a JSON Schema cannot express, each with why; a variant whose name
/// contains one is not a failure. None of the variations above falls here today. What a
/// schema cannot say, and so is not varied here (validate's own tests cover each):
/// - relations between values: `min_capacity` at most `max_capacity`, `hold_seconds` at
///   most `max_hold_seconds`, exactly one of `user_data.file` and `inline`, the
///   `uncovered` alarm only under a policy that writes it;
/// - names checked against lists a key can extend: instance types and regions (the
///   pinned botocore's, plus `allow.instance_types` and `allow.regions`);
/// - what depends on files and templates: the user data's text, its rendered size,
///   overrides checked against the composed template, parameters against its parameters;
/// - keys of the other engine refused where they are written (`engine: asg` with
///   `on_demand:`), and ARNs against the partition of each `regions:` key;
/// - formats richer than a pattern can say: schedule expressions (cron field ranges),
///   tag characters (Unicode letter classes differ between regex dialects).
const INEXPRESSIBLE: &[(&str, &str)] = &[];

// The schema (through the venv's jsonschema, Draft 2020-12) and the loader `spotcover
// validate` runs (`load_with`, in process: the same function, without a process per
// document) judge every variation of every example alike, wherever a schema can say it.
#[test]
fn the_schema_is_as_strict_as_the_loader_on_variations_of_every_example() {
    let read = |name: &str| {
        std::fs::read_to_string(root().join("examples").join(name)).map_err(|e| e.to_string())
    };
    let mut variants = Vec::new();
    for e in &examples() {
        let doc = as_json(&std::fs::read_to_string(example(e)).unwrap());
        variants.extend(variations(e, &doc));
    }
    let verdicts = schema_accepts(&variants.iter().map(|v| v.doc.clone()).collect::<Vec<_>>());
    let mut disagree = Vec::new();
    for (v, schema) in variants.iter().zip(verdicts) {
        let text = serde_json::to_string_pretty(&v.doc).unwrap();
        let loader = spotcover_stack::load_with(&text, &read);
        if loader.is_ok() != schema
            && !INEXPRESSIBLE
                .iter()
                .any(|(pattern, _)| v.name.contains(pattern))
        {
            let why = match &loader {
                Ok(_) => "accepted".to_owned(),
                Err(e) => e
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; "),
            };
            disagree.push(format!(
                "{}: schema accepts {schema}, loader: {why}",
                v.name
            ));
        }
    }
    assert!(variants.len() > 200, "{} variations", variants.len());
    assert!(
        disagree.is_empty(),
        "{} disagreements:\n{}",
        disagree.len(),
        disagree.join("\n")
    );
}
