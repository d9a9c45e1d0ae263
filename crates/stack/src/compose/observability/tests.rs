//! The dashboard against the metrics contract and AWS's dashboard body structure; each
//! alarm's math; what is left out unless asked.

use std::collections::BTreeSet;

use serde_json::{Value as Json, json};
use spotcover_reconciler_core::contract::metrics as contract;

use super::ids;
use crate::compose::{Asset, compose};

const QUICKSTART: &str = include_str!("../../../../../examples/quickstart.yaml");

fn template(extra: &str) -> Json {
    let c = crate::load(&format!("{QUICKSTART}\n{extra}"))
        .unwrap()
        .remove(0)
        .config;
    let asset = Asset {
        sha256: "0".repeat(64),
    };
    compose(&c, &asset).unwrap().to_value().unwrap()
}

/// The dashboard body as CloudFormation would pass it to PutDashboard: the `Fn::Sub`
/// with each variable replaced by a stand-in value.
fn body(doc: &Json) -> Json {
    let sub = doc["Resources"][ids::DASHBOARD]["Properties"]["DashboardBody"]["Fn::Sub"]
        .as_str()
        .expect("the body is one Fn::Sub string");
    let mut text = String::new();
    let mut rest = sub;
    while let Some(i) = rest.find("${") {
        text.push_str(&rest[..i]);
        let end = rest[i..].find('}').unwrap() + i;
        let var = &rest[i + 2..end];
        assert!(!var.starts_with('!'), "no literal ${{ in the body");
        text.push_str(&format!("<{var}>"));
        rest = &rest[end + 1..];
    }
    text.push_str(rest);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// Problems of a dashboard body, from "Dashboard body structure and syntax" (CloudWatch
/// API reference, https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html).
fn structure_problems(body: &Json) -> Vec<String> {
    let mut out = Vec::new();
    let top = body.as_object().unwrap();
    // "The dashboard must include a widgets array"; 0 to 500 widgets. Other top-level
    // members: start, end, periodOverride, variables.
    for k in top.keys() {
        if !["widgets", "start", "end", "periodOverride", "variables"].contains(&k.as_str()) {
            out.push(format!("unknown top-level member {k}"));
        }
    }
    if let Some(p) = top.get("periodOverride")
        && p != "auto"
        && p != "inherit"
    {
        out.push(format!("periodOverride {p}"));
    }
    let Some(widgets) = top.get("widgets").and_then(Json::as_array) else {
        return vec!["no widgets array".into()];
    };
    if widgets.len() > 500 {
        out.push("more than 500 widgets".into());
    }
    for (i, w) in widgets.iter().enumerate() {
        widget_problems(i, w, &mut out);
    }
    out
}

/// A widget's place on the grid and, for a metric widget, its properties.
fn widget_problems(i: usize, w: &Json, out: &mut Vec<String>) {
    let n = |k: &str| w.get(k).and_then(Json::as_u64);
    // type required; x 0-23; y >= 0; width 1-24; height 1-1000; properties required.
    if w["type"] != "metric" && w["type"] != "text" {
        out.push(format!("widget {i}: type {}", w["type"]));
    }
    let (x, width) = (n("x").unwrap_or(0), n("width").unwrap_or(6));
    if x > 23 || !(1..=24).contains(&width) || x + width > 24 {
        out.push(format!(
            "widget {i}: x {x} width {width} leave the 24-column grid"
        ));
    }
    if !(1..=1000).contains(&n("height").unwrap_or(6)) {
        out.push(format!("widget {i}: height"));
    }
    let Some(p) = w.get("properties").and_then(Json::as_object) else {
        out.push(format!("widget {i}: no properties"));
        return;
    };
    if w["type"] == "metric" {
        metric_properties_problems(i, p, out);
    }
}

/// A statistic name: one of the five, or a percentile `pNN`.
fn stat_ok(s: &str) -> bool {
    ["SampleCount", "Average", "Sum", "Minimum", "Maximum"].contains(&s)
        || s.strip_prefix('p')
            .is_some_and(|n| n.parse::<f64>().is_ok_and(|n| (0.0..=100.0).contains(&n)))
}

fn metric_properties_problems(i: usize, p: &serde_json::Map<String, Json>, out: &mut Vec<String>) {
    // Properties of a metric widget object: metrics (1-500 rows) and region required;
    // view timeSeries | singleValue | gauge | bar | pie; stat a statistic; period 60
    // or a multiple of 60 for standard-resolution metrics.
    let known = [
        "accountId",
        "annotations",
        "legend",
        "liveData",
        "metrics",
        "period",
        "region",
        "stacked",
        "stat",
        "title",
        "view",
        "yAxis",
        "setPeriodToTimeRange",
        "sparkline",
        "trend",
        "singleValueFullPrecision",
        "labels",
        "start",
        "end",
        "table",
    ];
    for k in p.keys() {
        if !known.contains(&k.as_str()) {
            out.push(format!("widget {i}: unknown property {k}"));
        }
    }
    if !p.get("region").is_some_and(Json::is_string) {
        out.push(format!("widget {i}: no region"));
    }
    if let Some(v) = p.get("view")
        && !["timeSeries", "singleValue", "gauge", "bar", "pie", "table"]
            .contains(&v.as_str().unwrap_or(""))
    {
        out.push(format!("widget {i}: view {v}"));
    }
    if let Some(s) = p.get("stat")
        && !stat_ok(s.as_str().unwrap_or(""))
    {
        out.push(format!("widget {i}: stat {s}"));
    }
    if let Some(period) = p.get("period").and_then(Json::as_u64)
        && period % 60 != 0
    {
        out.push(format!("widget {i}: period {period}"));
    }
    let rows = p.get("metrics").and_then(Json::as_array);
    if !rows.is_some_and(|r| (1..=500).contains(&r.len())) {
        out.push(format!("widget {i}: metrics must hold 1 to 500 rows"));
    }
    let mut ids = BTreeSet::new();
    for row in rows.into_iter().flatten() {
        let items = row.as_array().unwrap();
        // A row: [Namespace, MetricName, (DimensionName, DimensionValue)*, {options}?]
        // or [{expression, id, label, ...}].
        let (strings, options): (Vec<&Json>, Vec<&Json>) =
            items.iter().partition(|v| v.is_string());
        if options.len() > 1 || options.iter().any(|o| !o.is_object()) {
            out.push(format!(
                "widget {i}: a row has more than one options object"
            ));
        }
        if let Some(o) = options.first() {
            if let Some(id) = o.get("id").and_then(Json::as_str) {
                // Ids start with a lowercase letter.
                if !id.starts_with(|c: char| c.is_ascii_lowercase()) || !ids.insert(id) {
                    out.push(format!("widget {i}: id {id}"));
                }
            }
            if let Some(s) = o.get("stat")
                && !stat_ok(s.as_str().unwrap_or(""))
            {
                out.push(format!("widget {i}: row stat {s}"));
            }
        }
        let expression = options.first().and_then(|o| o.get("expression"));
        match (expression, strings.len()) {
            (Some(_), 0) => {}
            (None, n) if n >= 2 && n % 2 == 0 && n <= 2 + 2 * 30 => {}
            _ => out.push(format!("widget {i}: malformed row {row}")),
        }
    }
}

/// A metric row: namespace, name, and the dimensions as (name, value).
type MetricRow = (String, String, Vec<(String, String)>);

/// Every `[namespace, name, dims...]` row of the body.
fn rows(body: &Json) -> Vec<MetricRow> {
    let mut out = Vec::new();
    for w in body["widgets"].as_array().unwrap() {
        for row in w["properties"]["metrics"].as_array().unwrap() {
            let strings: Vec<String> = row
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect();
            if strings.len() < 2 {
                continue;
            }
            let dims = strings[2..]
                .chunks(2)
                .map(|p| (p[0].clone(), p[1].clone()))
                .collect();
            out.push((strings[0].clone(), strings[1].clone(), dims));
        }
    }
    out
}

#[test]
fn the_dashboard_is_on_by_default_and_its_body_follows_the_dashboard_body_structure() {
    let doc = template("");
    assert_eq!(
        doc["Resources"][ids::DASHBOARD]["Type"],
        "AWS::CloudWatch::Dashboard"
    );
    assert_eq!(structure_problems(&body(&doc)), Vec::<String>::new());
}

#[test]
fn every_spotcover_metric_on_the_dashboard_is_in_the_contract_with_its_dimensions() {
    let body = body(&template(""));
    let mut seen = BTreeSet::new();
    let mut reasons = BTreeSet::new();
    for (ns, name, dims) in rows(&body) {
        if ns != contract::NAMESPACE {
            continue;
        }
        let m = contract::ALL
            .iter()
            .find(|m| m.name == name)
            .unwrap_or_else(|| panic!("{name} is not a metric of the contract"));
        let keys: Vec<&str> = dims.iter().map(|(k, _)| k.as_str()).collect();
        let want: Vec<&str> = if m.by_reason {
            vec![contract::dimension::STACK, contract::dimension::REASON]
        } else {
            vec![contract::dimension::STACK]
        };
        assert_eq!(keys, want, "{name}");
        assert_eq!(dims[0].1, "<AWS::StackName>", "{name}");
        if m.by_reason {
            reasons.insert(dims[1].1.clone());
        }
        seen.insert(m.name);
    }
    let all: BTreeSet<&str> = contract::ALL.iter().map(|m| m.name).collect();
    assert_eq!(
        seen, all,
        "every metric of the contract is on the dashboard"
    );
    let every_reason: BTreeSet<String> = contract::REASON_NAMES
        .iter()
        .map(|r| (*r).to_owned())
        .collect();
    assert_eq!(
        reasons, every_reason,
        "every reason is on the decisions widget"
    );
}

#[test]
fn the_dashboard_reads_the_fleet_the_group_and_the_function_of_this_stack() {
    let body = body(&template(""));
    let rows = rows(&body);
    let has = |ns: &str, name: &str, dim: &str, value: &str| {
        rows.iter()
            .any(|(n, m, d)| n == ns && m == name && d == &vec![(dim.to_owned(), value.to_owned())])
    };
    for m in ["TargetCapacity", "FulfilledCapacity"] {
        assert!(
            has("AWS/EC2Spot", m, "FleetRequestId", "<SpotFleet>"),
            "{m}"
        );
    }
    for m in ["GroupDesiredCapacity", "GroupInServiceInstances"] {
        assert!(
            has(
                "AWS/AutoScaling",
                m,
                "AutoScalingGroupName",
                "<OnDemandGroup>"
            ),
            "{m}"
        );
    }
    for m in ["Errors", "Duration", "Throttles"] {
        assert!(
            has("AWS/Lambda", m, "FunctionName", "<ReconcilerFunction>"),
            "{m}"
        );
    }
    assert!(
        body["widgets"]
            .as_array()
            .unwrap()
            .iter()
            .all(|w| w["properties"]["region"] == "<AWS::Region>")
    );
}

#[test]
fn instance_hours_are_the_sum_of_one_minute_in_service_samples_over_sixty() {
    let body = body(&template(""));
    let w = body["widgets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["properties"]["view"] == "singleValue")
        .unwrap();
    let p = &w["properties"];
    assert_eq!(p["setPeriodToTimeRange"], true);
    assert_eq!(p["stat"], "Sum");
    assert_eq!(p["metrics"][0][0]["expression"], "m1/60");
    assert_eq!(p["metrics"][1][1], "GroupInServiceInstances");
    assert_eq!(p["metrics"][1][4]["id"], "m1");
}

#[test]
fn the_group_collects_the_metrics_the_dashboard_reads_every_minute() {
    let doc = template("");
    assert_eq!(
        doc["Resources"]["OnDemandGroup"]["Properties"]["MetricsCollection"],
        json!([{"Granularity": "1Minute", "Metrics": ["GroupDesiredCapacity", "GroupInServiceInstances"]}])
    );
}

#[test]
fn dashboard_false_leaves_out_the_dashboard_its_output_and_the_group_metrics() {
    let doc = template("observability:\n  dashboard: false\n");
    assert!(doc["Resources"].get(ids::DASHBOARD).is_none());
    assert!(doc["Outputs"].get("DashboardName").is_none());
    assert!(
        doc["Resources"]["OnDemandGroup"]["Properties"]
            .get("MetricsCollection")
            .is_none()
    );
}

#[test]
fn no_alarm_and_no_topic_unless_asked() {
    let doc = template("");
    let types: Vec<&str> = doc["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(id, _)| {
            id.as_str() != "PendingCapacityAlarm" && id.as_str() != "PendingCapacityTopic"
        })
        .map(|(_, r)| r["Type"].as_str().unwrap())
        .collect();
    assert!(!types.contains(&"AWS::CloudWatch::Alarm"));
    assert!(!types.contains(&"AWS::SNS::Topic"));
}

const ALL_ALARMS: &str = "observability:
  alarm_email: ops@example.com
  alarms:
    uncovered_minutes: 5
    reconciler_errors: true
    group_at_max: true
";

fn alarm<'a>(doc: &'a Json, id: &str) -> &'a Json {
    &doc["Resources"][id]["Properties"]
}

// CloudWatch user guide, "Setting alarms on metrics created with the embedded metric
// format": with Lambda, whose log flush one cannot control, "consider using 'M out of N'
// alarms"; "Evaluating an alarm": DatapointsToAlarm is the M, EvaluationPeriods the N;
// "Configuring how CloudWatch alarms treat missing data": notBreaching counts a missing
// datapoint as good. uncovered_minutes breaching minutes out of a window a fifth longer
// (at least one more): one late or missing datapoint in five does not hide an outage.
#[test]
fn uncovered_alarm_is_m_out_of_n_so_a_late_emf_datapoint_does_not_hide_an_outage() {
    assert_eq!(super::uncovered_window(1), (1, 2));
    assert_eq!(super::uncovered_window(5), (5, 6));
    assert_eq!(super::uncovered_window(10), (10, 12));
    assert_eq!(super::uncovered_window(60), (60, 72));
    // PutMetricAlarm: EvaluationPeriods x Period at most a day.
    assert_eq!(super::uncovered_window(1440), (1440, 1440));
    for m in 1..=1440 {
        let (datapoints, periods) = super::uncovered_window(m);
        assert_eq!(datapoints, m);
        assert!(periods > m || m == 1440);
        assert!(periods <= 1440);
    }
}

#[test]
fn uncovered_alarm_fires_after_m_minutes_of_uncovered_units_above_zero() {
    let doc = template(ALL_ALARMS);
    let a = alarm(&doc, ids::UNCOVERED_ALARM);
    assert_eq!(a["Namespace"], contract::NAMESPACE);
    assert_eq!(a["MetricName"], contract::UNCOVERED.name);
    assert_eq!(
        a["Dimensions"],
        json!([{"Name": "stack", "Value": {"Ref": "AWS::StackName"}}])
    );
    assert_eq!(a["Statistic"], "Maximum");
    assert_eq!(a["Period"], 60);
    assert_eq!(a["EvaluationPeriods"], 6);
    assert_eq!(a["DatapointsToAlarm"], 5);
    assert_eq!(a["Threshold"], 0.0);
    assert_eq!(a["ComparisonOperator"], "GreaterThanThreshold");
    assert_eq!(a["TreatMissingData"], "notBreaching");
}

#[test]
fn errors_alarm_fires_on_any_failed_invocation_in_a_minute() {
    let doc = template(ALL_ALARMS);
    let a = alarm(&doc, ids::ERRORS_ALARM);
    assert_eq!(a["Namespace"], "AWS/Lambda");
    assert_eq!(a["MetricName"], "Errors");
    assert_eq!(
        a["Dimensions"],
        json!([{"Name": "FunctionName", "Value": {"Ref": "ReconcilerFunction"}}])
    );
    assert_eq!(
        (&a["Statistic"], &a["Period"], &a["EvaluationPeriods"]),
        (&json!("Sum"), &json!(60), &json!(1))
    );
    assert_eq!(a["Threshold"], 0.0);
    assert_eq!(a["ComparisonOperator"], "GreaterThanThreshold");
}

#[test]
fn group_at_max_alarm_fires_when_desired_reaches_max_size() {
    let doc = template(ALL_ALARMS);
    let a = alarm(&doc, ids::GROUP_AT_MAX_ALARM);
    let max: f64 = doc["Resources"]["OnDemandGroup"]["Properties"]["MaxSize"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(a["Namespace"], "AWS/AutoScaling");
    assert_eq!(a["MetricName"], "GroupDesiredCapacity");
    assert_eq!(
        a["Dimensions"],
        json!([{"Name": "AutoScalingGroupName", "Value": {"Ref": "OnDemandGroup"}}])
    );
    assert_eq!(a["Statistic"], "Maximum");
    assert_eq!(a["Threshold"], json!(max));
    assert_eq!(a["ComparisonOperator"], "GreaterThanOrEqualToThreshold");
}

#[test]
fn group_at_max_alone_turns_on_the_group_metrics_it_reads() {
    let doc = template("observability:\n  dashboard: false\n  alarms: { group_at_max: true }\n");
    let m = &doc["Resources"]["OnDemandGroup"]["Properties"]["MetricsCollection"][0];
    assert!(
        m["Metrics"]
            .as_array()
            .unwrap()
            .contains(&json!("GroupDesiredCapacity"))
    );
}

#[test]
fn alarm_email_creates_a_topic_with_an_email_subscription_every_alarm_notifies() {
    let doc = template(ALL_ALARMS);
    let topic = &doc["Resources"][ids::ALARM_TOPIC];
    assert_eq!(topic["Type"], "AWS::SNS::Topic");
    assert_eq!(
        topic["Properties"]["Subscription"],
        json!([{"Endpoint": "ops@example.com", "Protocol": "email"}])
    );
    for id in [
        ids::UNCOVERED_ALARM,
        ids::ERRORS_ALARM,
        ids::GROUP_AT_MAX_ALARM,
    ] {
        assert_eq!(
            alarm(&doc, id)["AlarmActions"],
            json!([{"Ref": ids::ALARM_TOPIC}]),
            "{id}"
        );
    }
}

#[test]
fn an_existing_topic_arn_is_notified_as_given_and_no_topic_is_created() {
    let arn = "arn:aws:sns:us-east-1:123456789012:ops";
    let doc = template(&format!(
        "observability:\n  alarm_topic_arn: {arn}\n  alarms: {{ reconciler_errors: true }}\n"
    ));
    assert!(doc["Resources"].get(ids::ALARM_TOPIC).is_none());
    assert_eq!(alarm(&doc, ids::ERRORS_ALARM)["AlarmActions"], json!([arn]));
}

#[test]
fn alarms_without_a_topic_notify_nobody() {
    let doc = template("observability:\n  alarms: { reconciler_errors: true }\n");
    assert!(alarm(&doc, ids::ERRORS_ALARM).get("AlarmActions").is_none());
}
