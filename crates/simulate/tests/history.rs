//! The history round trip: a shipped scenario simulated, its minutes written as the AWS
//! CLI prints the exports, read back into a scenario and replayed, gives the scenario's
//! table back within the tolerance docs/history.md states; and every kind of bad export
//! gets an error or a named note.
//!
//! The shapes are AWS's: CloudWatch API reference, `GetMetricData` and
//! `MetricDataResult` (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricDataResult.html:
//! Id, Label, Timestamps, Values, StatusCode Complete | PartialData | InternalError |
//! Forbidden; 1-minute data kept 15 days, 5-minute 63 days, hourly 455 days); EC2 API
//! reference, `DescribeSpotFleetRequestHistory`
//! (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeSpotFleetRequestHistory.html:
//! HistoryRecords with EventType, Timestamp, EventInformation; "Spot Fleet events are
//! available for 48 hours"); Amazon EC2 Auto Scaling API reference,
//! `DescribeScalingActivities`
//! (https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_DescribeScalingActivities.html:
//! StartTime, EndTime, StatusCode Successful | Failed | Cancelled, StatusMessage; "Only
//! activities started within the last six weeks can be returned"); EC2 API reference,
//! `DescribeSpotPriceHistory`
//! (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeSpotPriceHistory.html:
//! AvailabilityZone, InstanceType, SpotPrice as a string, Timestamp; up to the past 90
//! days).

use spotcover_simulate::history::{
    self, Exports, HistoryError, Options, Reconstruction, export, note,
};
use spotcover_simulate::{PolicyName, Report, START_EPOCH, Scenario, simulate};
use spotcover_stack::StackConfig;

const SCENARIOS: &[(&str, &str)] = &[
    (
        "full-outage",
        include_str!("../../../examples/scenarios/full-outage.yaml"),
    ),
    (
        "one-pool-lost",
        include_str!("../../../examples/scenarios/one-pool-lost.yaml"),
    ),
    (
        "flapping",
        include_str!("../../../examples/scenarios/flapping.yaml"),
    ),
    (
        "scale-out-during-outage",
        include_str!("../../../examples/scenarios/scale-out-during-outage.yaml"),
    ),
    (
        "calm-scale-outs",
        include_str!("../../../examples/scenarios/calm-scale-outs.yaml"),
    ),
    (
        "az-loss",
        include_str!("../../../examples/scenarios/az-loss.yaml"),
    ),
    (
        "slow-drain",
        include_str!("../../../examples/scenarios/slow-drain.yaml"),
    ),
    (
        "daily-peak",
        include_str!("../../../examples/scenarios/daily-peak.yaml"),
    ),
    (
        "blips",
        include_str!("../../../examples/scenarios/blips.yaml"),
    ),
    (
        "calm-day",
        include_str!("../../../examples/scenarios/calm-day.yaml"),
    ),
];

fn config(text: &str) -> StackConfig {
    spotcover_stack::load(text)
        .expect("example loads")
        .remove(0)
        .config
}
fn quickstart() -> StackConfig {
    config(include_str!("../../../examples/quickstart.yaml"))
}
fn asg() -> StackConfig {
    config(include_str!("../../../examples/asg.yaml"))
}

fn exports_of(e: &export::Exported) -> Exports<'_> {
    Exports {
        manifest: &e.manifest,
        metrics: &e.metrics,
        fleet_history: e.fleet_history.as_deref(),
        activities: Some(&e.activities),
        prices: Some(&e.prices),
    }
}

fn replay(c: &StackConfig, scenario: &Scenario) -> (Report, Reconstruction, Report) {
    let original = simulate(c, scenario).expect("simulates");
    let exported = export::export(c, scenario, &original, START_EPOCH);
    let options = Options {
        on_demand_price_per_hour: scenario.on_demand.price_per_hour,
    };
    let r = history::reconstruct(c, &exports_of(&exported), &options).expect("reads back");
    let replayed = simulate(c, &r.scenario).expect("replays");
    (original, r, replayed)
}

/// The tolerance of docs/history.md: per policy, uncovered unit-minutes within 25 % of
/// the original plus 30 unit-minutes, total dollars within 10 % plus $0.25. Where the
/// exports show no burst of spot launches to read the spot latency from (the
/// reconstruction says so in an `assumed` note), the slower latency of the group's
/// activities is taken, and the replay must err the cautious way instead: no policy
/// uncovers less than the original less that tolerance.
fn within(original: &Report, r: &Reconstruction, replayed: &Report, name: &str) -> Vec<String> {
    let latency_assumed = r
        .notes
        .iter()
        .any(|n| n.message.starts_with("no burst of spot launches"));
    let mut off = Vec::new();
    for p in &original.policies {
        let q = replayed.policy(p.policy).expect("same policies");
        let (u0, u1) = (
            p.uncovered_unit_minutes as f64,
            q.uncovered_unit_minutes as f64,
        );
        let slack = 0.25 * u0 + 30.0;
        let uncovered_ok = if latency_assumed {
            u1 >= u0 - slack
        } else {
            (u0 - u1).abs() <= slack
        };
        let cost_ok =
            latency_assumed || (p.total_cost - q.total_cost).abs() <= 0.10 * p.total_cost + 0.25;
        if !uncovered_ok || !cost_ok {
            off.push(format!(
                "{name} {}: uncovered {} -> {}, total ${:.2} -> ${:.2}",
                p.policy.as_str(),
                p.uncovered_unit_minutes,
                q.uncovered_unit_minutes,
                p.total_cost,
                q.total_cost
            ));
        }
    }
    off
}

#[test]
fn every_shipped_scenario_replays_from_its_fleet_exports_within_the_tolerance() {
    let c = quickstart();
    let mut off = Vec::new();
    for (name, text) in SCENARIOS {
        let scenario = Scenario::from_yaml(text).unwrap();
        let (original, r, replayed) = replay(&c, &scenario);
        assert_eq!(
            r.scenario.duration_minutes, scenario.duration_minutes,
            "{name}"
        );
        off.extend(within(&original, &r, &replayed, name));
    }
    assert!(off.is_empty(), "outside the tolerance:\n{}", off.join("\n"));
}

#[test]
fn every_shipped_scenario_replays_from_its_asg_exports_within_the_tolerance() {
    let c = asg();
    let mut off = Vec::new();
    for (name, text) in SCENARIOS {
        let scenario = Scenario::from_yaml(text).unwrap();
        let (original, r, replayed) = replay(&c, &scenario);
        off.extend(within(&original, &r, &replayed, name));
    }
    assert!(off.is_empty(), "outside the tolerance:\n{}", off.join("\n"));
}

#[test]
fn demand_and_pool_losses_read_back_exactly() {
    let c = quickstart();
    for (name, text) in SCENARIOS {
        let scenario = Scenario::from_yaml(text).unwrap();
        let (_, r, _) = replay(&c, &scenario);
        for m in 0..scenario.duration_minutes {
            assert_eq!(
                r.scenario.demand_at(m),
                scenario.demand_at(m),
                "{name} minute {m}"
            );
            for (p, q) in scenario.pools.iter().zip(&r.scenario.pools) {
                assert_eq!(p.instance_type, q.instance_type);
                assert_eq!(
                    q.available_at(m),
                    p.available_at(m),
                    "{name} {} minute {m}",
                    p.instance_type
                );
            }
        }
    }
}

// ---- bad exports -------------------------------------------------------------------

fn calm_exports() -> (StackConfig, export::Exported) {
    let c = quickstart();
    let s = Scenario::from_yaml(SCENARIOS[0].1).unwrap();
    let report = simulate(&c, &s).unwrap();
    let e = export::export(&c, &s, &report, START_EPOCH);
    (c, e)
}

fn read(c: &StackConfig, e: &export::Exported) -> Result<Reconstruction, HistoryError> {
    history::reconstruct(
        c,
        &exports_of(e),
        &Options {
            on_demand_price_per_hour: 0.096,
        },
    )
}

fn names(r: &Reconstruction) -> Vec<&'static str> {
    r.notes.iter().map(|n| n.name).collect()
}

#[test]
fn truncated_json_is_an_error_saying_the_file_ends_early() {
    let (c, mut e) = calm_exports();
    e.metrics.truncate(e.metrics.len() / 2);
    let err = read(&c, &e).unwrap_err();
    assert_eq!(err.file, history::file::METRICS);
    assert!(err.message.contains("ends early"), "{err}");
}

#[test]
fn a_metric_the_stack_does_not_write_is_an_error_naming_it() {
    let (c, mut e) = calm_exports();
    e.metrics = e
        .metrics
        .replace("\"Id\": \"demand\"", "\"Id\": \"Demand\"");
    let err = read(&c, &e).unwrap_err();
    assert!(
        err.message
            .contains("`Demand` is not one of the stack's metrics"),
        "{err}"
    );
}

#[test]
fn no_demand_datapoints_is_an_error_pointing_at_the_metric_names() {
    let (c, mut e) = calm_exports();
    let mut out: serde_json::Value = serde_json::from_str(&e.metrics).unwrap();
    for r in out["MetricDataResults"].as_array_mut().unwrap() {
        r["Timestamps"] = serde_json::json!([]);
        r["Values"] = serde_json::json!([]);
    }
    e.metrics = out.to_string();
    let err = read(&c, &e).unwrap_err();
    assert!(err.message.contains("no `demand` datapoints"), "{err}");
    assert!(err.message.contains("namespace `spotcover`"), "{err}");
}

#[test]
fn another_stack_s_metrics_are_an_error_naming_that_stack() {
    let (c, mut e) = calm_exports();
    e.metrics = e.metrics.replace(&format!("\"{} ", c.stack), "\"billing ");
    let err = read(&c, &e).unwrap_err();
    assert!(
        err.message
            .contains("another stack's export (stack `billing`)"),
        "{err}"
    );
}

#[test]
fn another_stack_s_manifest_is_an_error() {
    let (c, mut e) = calm_exports();
    e.manifest = e.manifest.replace(&c.stack, "billing");
    let err = read(&c, &e).unwrap_err();
    assert!(err.message.contains("another stack's data"), "{err}");
}

#[test]
fn activities_of_two_groups_are_an_error() {
    let (c, mut e) = calm_exports();
    let mut out: serde_json::Value = serde_json::from_str(&e.activities).unwrap();
    if let Some(a) = out["Activities"].as_array_mut().and_then(|a| a.first_mut()) {
        a["AutoScalingGroupName"] = serde_json::json!("other-group");
    }
    e.activities = out.to_string();
    let err = read(&c, &e).unwrap_err();
    assert!(err.message.contains("activities of 2 groups"), "{err}");
}

#[test]
fn a_gap_in_demand_is_a_missing_minutes_note_filled_with_the_higher_neighbour() {
    let (c, mut e) = calm_exports();
    let mut out: serde_json::Value = serde_json::from_str(&e.metrics).unwrap();
    for r in out["MetricDataResults"].as_array_mut().unwrap() {
        for key in ["Timestamps", "Values"] {
            let a = r[key].as_array_mut().unwrap();
            a.drain(40..50);
        }
    }
    e.metrics = out.to_string();
    let r = read(&c, &e).unwrap();
    assert!(names(&r).contains(&note::MISSING_MINUTES), "{:?}", r.notes);
    let msg = &r
        .notes
        .iter()
        .find(|n| n.name == note::MISSING_MINUTES)
        .unwrap()
        .message;
    assert!(msg.starts_with("10 minute(s)"), "{msg}");
}

#[test]
fn out_of_order_timestamps_are_sorted_with_a_note() {
    let (c, mut e) = calm_exports();
    let mut out: serde_json::Value = serde_json::from_str(&e.metrics).unwrap();
    for r in out["MetricDataResults"].as_array_mut().unwrap() {
        for key in ["Timestamps", "Values"] {
            r[key].as_array_mut().unwrap().swap(3, 7);
        }
    }
    e.metrics = out.to_string();
    let r = read(&c, &e).unwrap();
    assert!(names(&r).contains(&note::OUT_OF_ORDER), "{:?}", r.notes);
    let (c2, e2) = calm_exports();
    assert_eq!(r.scenario, read(&c2, &e2).unwrap().scenario);
}

#[test]
fn descending_timestamps_the_default_scan_order_need_no_note() {
    let (c, mut e) = calm_exports();
    let mut out: serde_json::Value = serde_json::from_str(&e.metrics).unwrap();
    for r in out["MetricDataResults"].as_array_mut().unwrap() {
        for key in ["Timestamps", "Values"] {
            r[key].as_array_mut().unwrap().reverse();
        }
    }
    e.metrics = out.to_string();
    let r = read(&c, &e).unwrap();
    assert!(!names(&r).contains(&note::OUT_OF_ORDER), "{:?}", r.notes);
}

#[test]
fn five_minute_datapoints_say_the_range_is_older_than_one_minute_retention() {
    let (c, mut e) = calm_exports();
    let mut out: serde_json::Value = serde_json::from_str(&e.metrics).unwrap();
    for r in out["MetricDataResults"].as_array_mut().unwrap() {
        for key in ["Timestamps", "Values"] {
            let kept: Vec<serde_json::Value> = r[key]
                .as_array()
                .unwrap()
                .iter()
                .step_by(5)
                .cloned()
                .collect();
            r[key] = serde_json::Value::Array(kept);
        }
    }
    e.metrics = out.to_string();
    let r = read(&c, &e).unwrap();
    assert!(
        names(&r).contains(&note::COARSE_DATAPOINTS),
        "{:?}",
        r.notes
    );
}

#[test]
fn a_range_beyond_one_minute_retention_is_refused_when_the_commands_are_printed() {
    let c = quickstart();
    let now = START_EPOCH + 30 * 24 * 3600;
    let start = now - 16 * 24 * 3600;
    let err = history::commands::plan(&c, None, start, start + 3600, "hist", now).unwrap_err();
    assert!(err.message.contains("beyond retention"), "{err}");
    assert!(err.message.contains("15 days"), "{err}");
}

#[test]
fn a_range_older_than_48_hours_notes_the_fleet_history_s_retention() {
    let c = quickstart();
    let now = START_EPOCH + 30 * 24 * 3600;
    let start = now - 3 * 24 * 3600;
    let plan = history::commands::plan(&c, None, start, start + 3600, "hist", now).unwrap();
    assert!(
        plan.notes
            .iter()
            .any(|n| n.name == note::FLEET_HISTORY_BEYOND_RETENTION),
        "{:?}",
        plan.notes
    );
}

#[test]
fn a_pool_never_tried_is_unavailable_and_said_so() {
    let (c, mut e) = calm_exports();
    let mut out: serde_json::Value =
        serde_json::from_str(e.fleet_history.as_ref().unwrap()).unwrap();
    out["HistoryRecords"]
        .as_array_mut()
        .unwrap()
        .retain(|r| !r.to_string().contains("m5.large"));
    e.fleet_history = Some(out.to_string());
    let r = read(&c, &e).unwrap();
    assert!(names(&r).contains(&note::POOL_NEVER_TRIED), "{:?}", r.notes);
    let pool = r
        .scenario
        .pools
        .iter()
        .find(|p| p.instance_type == "m5.large")
        .unwrap();
    assert!((0..r.scenario.duration_minutes).all(|m| !pool.available_at(m)));
}

#[test]
fn a_loss_shorter_than_a_minute_counts_as_that_whole_minute() {
    let (c, mut e) = calm_exports();
    let mut out: serde_json::Value =
        serde_json::from_str(e.fleet_history.as_ref().unwrap()).unwrap();
    let at = history::format_time(START_EPOCH + 20 * 60 + 15);
    let records = out["HistoryRecords"].as_array_mut().unwrap();
    records.push(serde_json::json!({"EventType": "information", "Timestamp": at,
        "EventInformation": {"EventSubType": "launchSpecTemporarilyBlacklisted",
        "EventDescription": "m5.large, ami-1, Linux/UNIX, us-east-1a, InsufficientInstanceCapacity"}}));
    records.push(
        serde_json::json!({"EventType": "instanceChange", "Timestamp": at,
        "EventInformation": {"EventSubType": "launched", "InstanceId": "i-9",
        "EventDescription": "{\"instanceType\":\"m5.large\"}"}}),
    );
    e.fleet_history = Some(out.to_string());
    let r = read(&c, &e).unwrap();
    assert!(
        names(&r).contains(&note::LOSS_UNDER_A_MINUTE),
        "{:?}",
        r.notes
    );
    let pool = r
        .scenario
        .pools
        .iter()
        .find(|p| p.instance_type == "m5.large")
        .unwrap();
    assert!(!pool.available_at(20) && pool.available_at(21) && pool.available_at(19));
}

#[test]
fn a_missing_export_is_a_named_note_not_an_error() {
    let (c, e) = calm_exports();
    let exports = Exports {
        fleet_history: None,
        activities: None,
        prices: None,
        ..exports_of(&e)
    };
    let r = history::reconstruct(
        &c,
        &exports,
        &Options {
            on_demand_price_per_hour: 0.096,
        },
    )
    .unwrap();
    assert_eq!(
        names(&r)
            .iter()
            .filter(|n| **n == note::MISSING_EXPORT)
            .count(),
        3,
        "{:?}",
        r.notes
    );
}

#[test]
fn the_scenario_file_reads_back_as_the_same_scenario_with_its_notes_as_comments() {
    let (c, e) = calm_exports();
    let r = read(&c, &e).unwrap();
    let text = r.to_yaml(&c.stack);
    assert!(
        text.lines().any(|l| l.starts_with("# - assumed:")),
        "{text}"
    );
    assert_eq!(Scenario::from_yaml(&text).unwrap(), r.scenario);
}

#[test]
fn the_default_policy_is_the_one_the_stack_writes() {
    assert_eq!(export::stack_policy(&quickstart()), PolicyName::Default);
    assert_eq!(export::stack_policy(&asg()), PolicyName::Fallback);
}
