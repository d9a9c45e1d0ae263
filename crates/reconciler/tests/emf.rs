//! The run's log line is CloudWatch embedded metric format: `bootstrap --once` against
//! moto + the CBOR shim, its line read by a parser written from AWS's specification, not
//! by the writer in `spotcover-reconciler-core`. Needs SPOTCOVER_TEST_MOTO and
//! SPOTCOVER_TEST_CLOUDWATCH (see tests/common).

mod common;

use std::collections::BTreeMap;
use std::process::Command;

use common::*;
use serde_json::{Map, Value};

/// A reader of the embedded metric format, from "Specification: Embedded metric format"
/// (CloudWatch user guide,
/// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html).
mod emf_spec {
    use super::*;

    /// One metric value CloudWatch Logs extracts from a log event.
    #[derive(Debug, Clone, PartialEq)]
    pub struct Datum {
        pub namespace: String,
        pub dimensions: BTreeMap<String, String>,
        pub name: String,
        pub unit: Option<String>,
        pub values: Vec<f64>,
        pub timestamp_ms: i64,
    }

    /// "Unit – OPTIONAL string value representing the unit of measure for the metric.
    /// Values should be valid CloudWatch metric units."
    const UNITS: &[&str] = &[
        "Seconds",
        "Microseconds",
        "Milliseconds",
        "Bytes",
        "Kilobytes",
        "Megabytes",
        "Gigabytes",
        "Terabytes",
        "Bits",
        "Kilobits",
        "Megabits",
        "Gigabits",
        "Terabits",
        "Percent",
        "Count",
        "Bytes/Second",
        "Kilobytes/Second",
        "Megabytes/Second",
        "Gigabytes/Second",
        "Terabytes/Second",
        "Bits/Second",
        "Kilobits/Second",
        "Megabits/Second",
        "Gigabits/Second",
        "Terabits/Second",
        "Count/Second",
        "None",
    ];

    /// "Unless otherwise noted, objects defined by this specification MUST NOT contain
    /// any additional members."
    fn only(obj: &Map<String, Value>, allowed: &[&str], what: &str) -> Result<(), String> {
        match obj.keys().find(|k| !allowed.contains(&k.as_str())) {
            Some(k) => Err(format!(
                "{what} has a member the specification does not allow: {k}"
            )),
            None => Ok(()),
        }
    }

    fn name_ok(s: &str) -> bool {
        // CloudWatch names: 1 to 255 characters.
        !s.is_empty() && s.len() <= 255
    }

    /// Parses one log event's message; every datum it defines, or why it is not EMF.
    pub fn parse(message: &str) -> Result<Vec<Datum>, String> {
        // Root node: "The LogEvent message MUST be a valid JSON object with no
        // additional data at the beginning or end of the LogEvent message string."
        let root: Value =
            serde_json::from_str(message).map_err(|e| format!("not one JSON value: {e}"))?;
        let root = root.as_object().ok_or("the root is not a JSON object")?;
        // Metadata: "_aws" MUST be an object with CloudWatchMetrics and Timestamp.
        let aws = root
            .get("_aws")
            .ok_or("no _aws member")?
            .as_object()
            .ok_or("_aws is not an object")?;
        // "Timestamp – A number representing the time stamp used for metrics extracted
        // from the event. Values MUST be expressed as the number of milliseconds after
        // Jan 1, 1970 00:00:00 UTC."
        let timestamp_ms = aws
            .get("Timestamp")
            .ok_or("_aws has no Timestamp")?
            .as_i64()
            .ok_or("Timestamp is not a whole number of milliseconds")?;
        let directives = aws
            .get("CloudWatchMetrics")
            .ok_or("_aws has no CloudWatchMetrics")?
            .as_array()
            .ok_or("CloudWatchMetrics is not an array")?;
        let mut out = Vec::new();
        for d in directives {
            let d = d.as_object().ok_or("a MetricDirective is not an object")?;
            only(
                d,
                &["Namespace", "Dimensions", "Metrics"],
                "MetricDirective",
            )?;
            // "Namespace – A string representing the CloudWatch namespace for the metric."
            let namespace = d
                .get("Namespace")
                .and_then(Value::as_str)
                .filter(|s| name_ok(s))
                .ok_or("Namespace is missing or not a 1 to 255 character string")?;
            // "Dimensions – A DimensionSet array." A DimensionSet "is an array of
            // strings containing the dimension keys ... MUST NOT contain more than 30
            // dimension keys". Each key references a target member; "Dimension values
            // MUST be strings".
            let sets = d
                .get("Dimensions")
                .and_then(Value::as_array)
                .ok_or("Dimensions is missing or not an array")?;
            let mut dimension_sets = Vec::new();
            for set in sets {
                let keys = set.as_array().ok_or("a DimensionSet is not an array")?;
                if keys.len() > 30 {
                    return Err("a DimensionSet has more than 30 keys".into());
                }
                let mut dims = BTreeMap::new();
                for k in keys {
                    let k = k.as_str().ok_or("a dimension key is not a string")?;
                    let v = root
                        .get(k)
                        .ok_or(format!("no target member for dimension {k}"))?
                        .as_str()
                        .ok_or(format!("dimension {k}'s value is not a string"))?;
                    if v.is_empty() || v.len() > 1024 {
                        return Err(format!("dimension {k}'s value is not 1 to 1024 characters"));
                    }
                    dims.insert(k.to_owned(), v.to_owned());
                }
                dimension_sets.push(dims);
            }
            // "Metrics – An array of MetricDefinition objects ... MUST NOT contain more
            // than 100 MetricDefinition objects."
            let metrics = d
                .get("Metrics")
                .and_then(Value::as_array)
                .ok_or("Metrics is missing or not an array")?;
            if metrics.len() > 100 {
                return Err("more than 100 MetricDefinitions in a directive".into());
            }
            for m in metrics {
                let m = m.as_object().ok_or("a MetricDefinition is not an object")?;
                only(
                    m,
                    &["Name", "Unit", "StorageResolution"],
                    "MetricDefinition",
                )?;
                // "Name – A string reference to a metric target member. Metric targets
                // MUST be either a numeric value or an array of numeric values."
                let name = m
                    .get("Name")
                    .and_then(Value::as_str)
                    .filter(|s| name_ok(s))
                    .ok_or("Name is missing or not a 1 to 255 character string")?;
                let values = match root.get(name) {
                    Some(Value::Number(n)) => vec![n.as_f64().ok_or("not a number")?],
                    Some(Value::Array(a)) if a.len() <= 100 => a
                        .iter()
                        .map(|v| v.as_f64().ok_or(format!("{name}: a value is not a number")))
                        .collect::<Result<_, _>>()?,
                    Some(_) => return Err(format!("{name}'s target is not numeric")),
                    None => return Err(format!("no target member for metric {name}")),
                };
                let unit = match m.get("Unit") {
                    None => None,
                    Some(Value::String(u)) if UNITS.contains(&u.as_str()) => Some(u.clone()),
                    Some(other) => return Err(format!("{name}: not a CloudWatch unit: {other}")),
                };
                // "StorageResolution – OPTIONAL integer value ... 1 ... or 60".
                match m.get("StorageResolution") {
                    None => {}
                    Some(v) if v == 1 || v == 60 => {}
                    Some(other) => return Err(format!("{name}: StorageResolution {other}")),
                }
                for dims in &dimension_sets {
                    out.push(Datum {
                        namespace: namespace.to_owned(),
                        dimensions: dims.clone(),
                        name: name.to_owned(),
                        unit: unit.clone(),
                        values: values.clone(),
                        timestamp_ms,
                    });
                }
            }
        }
        Ok(out)
    }

    #[test]
    fn the_parser_refuses_what_the_specification_refuses() {
        let ok = r#"{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"n","Dimensions":[["d"]],"Metrics":[{"Name":"m","Unit":"Count"}]}]},"d":"x","m":2}"#;
        assert_eq!(parse(ok).unwrap().len(), 1);
        for bad in [
            ok.replace(r#""d":"x""#, r#""d":3"#),
            ok.replace(r#""m":2"#, r#""m":"2""#),
            ok.replace(r#""Unit":"Count""#, r#""Unit":"Units""#),
            ok.replace(r#""Timestamp":1,"#, ""),
            ok.replace(r#","d":"x""#, ""),
            ok.replace(r#""Namespace":"n","#, r#""Namespace":"n","Extra":1,"#),
            format!("x{ok}"),
        ] {
            assert!(parse(&bad).is_err(), "{bad}");
        }
    }
}

fn bootstrap() -> Command {
    let mut c = Command::new(
        std::env::var("SPOTCOVER_TEST_BOOTSTRAP")
            .ok()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| env!("CARGO_BIN_EXE_bootstrap").to_owned()),
    );
    c.env_clear()
        .env("AWS_ENDPOINT_URL", moto())
        .env("AWS_ENDPOINT_URL_CLOUDWATCH", shim())
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_MAX_ATTEMPTS", "1")
        .env("AWS_EC2_METADATA_DISABLED", "true");
    c
}

#[tokio::test]
async fn a_run_against_moto_prints_one_line_of_valid_emf_in_the_spotcover_namespace() {
    let group = create_group(0, 0, 200).await;
    let cluster = create_cluster().await;
    let fleet = unique_fleet();
    put_steady_fleet(&fleet, 20.0, 11.0).await;
    let out = bootstrap()
        .env("SPOTCOVER_STACK", "emf-test")
        .env("SPOTCOVER_CLUSTER", &cluster)
        .args(["--once", "--dry-run", "--fleet", &fleet, "--group", &group])
        .args(["--weight", "4"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    let line = stdout.trim_end();
    let data = emf_spec::parse(line).unwrap_or_else(|e| panic!("{e}: {line}"));
    let v: Value = serde_json::from_str(line).unwrap();
    assert_eq!(v["log"], "spotcover.reconcile", "the report is still there");

    let by_name: BTreeMap<&str, &emf_spec::Datum> =
        data.iter().map(|d| (d.name.as_str(), d)).collect();
    assert!(data.iter().all(|d| d.namespace == "spotcover"));
    assert!(data.iter().all(|d| d.unit.as_deref() == Some("Count")));
    assert!(data.iter().all(|d| d.dimensions["stack"] == "emf-test"));
    assert_eq!(data[0].timestamp_ms, v["now"].as_i64().unwrap() * 1000);
    // Observed by this run: the fleet's 11 fulfilled units, none registered in the
    // (empty) cluster, so 11 launching; one decision; the calls of the line.
    assert_eq!(by_name["spot_registered"].values, [0.0]);
    assert_eq!(by_name["spot_launching"].values, [11.0]);
    assert_eq!(
        by_name["aws_calls"].values,
        [v["api_calls"].as_f64().unwrap()]
    );
    let decisions = by_name["decisions"];
    assert_eq!(decisions.values, [1.0]);
    assert_eq!(decisions.dimensions["reason"], "cover_shortfall");
    // Not observed by a run today: left out, not 0.
    for absent in ["demand", "on_demand_units", "uncovered"] {
        assert!(!by_name.contains_key(absent), "{absent}");
    }
}

#[tokio::test]
async fn without_a_stack_name_the_line_carries_no_metrics() {
    let group = create_group(0, 0, 200).await;
    let fleet = unique_fleet();
    put_steady_fleet(&fleet, 20.0, 20.0).await;
    let out = bootstrap()
        .args(["--once", "--dry-run", "--fleet", &fleet, "--group", &group])
        .args(["--weight", "4"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["log"], "spotcover.reconcile");
    assert!(v.get("_aws").is_none(), "{v}");
}
