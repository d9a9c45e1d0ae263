//! The template against the Lambda's own parsers, for both engines: every EventBridge rule
//! pattern, every rule input and the alarm the synthesized examples compose is turned
//! into the event AWS would deliver, and `spotcover_reconciler_core::contract::events::parse`
//! must read it as the invocation the trigger is for; every reconciler environment must
//! read back with the settings contract's `from_lookup`. A rule whose event the Lambda
//! would take for a plain schedule (or refuse) fails here, not in an account.

use serde_json::{Map, Value, json};
use spotcover_reconciler_core::contract::events::{self, Invocation};
use spotcover_reconciler_core::contract::settings::{self, Settings};
use spotcover_reconciler_core::policy::fallback;
use spotcover_stack::{Asset, load_with};

const SHA: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
/// What every `Ref`, `Fn::GetAtt` and `${...}` stands for in the delivered event.
const FLEET: &str = "sfr-0123abcd-4567-89ef-0123-456789abcdef";
const NAME: &str = "spotcover-sample";

fn synth(yaml: &str) -> Vec<Value> {
    let read = |path: &str| match path {
        "production-user-data.sh" => {
            Ok(include_str!("../../../examples/production-user-data.sh").to_owned())
        }
        other => Err(format!("no file {other} in this test")),
    };
    load_with(yaml, &read)
        .unwrap_or_else(|e| panic!("config errors: {e:?}"))
        .iter()
        .map(|r| {
            spotcover_stack::compose(&r.config, &Asset { sha256: SHA.into() })
                .unwrap()
                .to_value()
                .unwrap()
        })
        .collect()
}

fn examples() -> Vec<(&'static str, Value)> {
    let mut out = Vec::new();
    for (name, yaml) in [
        (
            "quickstart",
            include_str!("../../../examples/quickstart.yaml"),
        ),
        (
            "production",
            include_str!("../../../examples/production.yaml"),
        ),
        (
            "seed-2017",
            include_str!("../../../examples/seed-2017.yaml"),
        ),
        ("asg", include_str!("../../../examples/asg.yaml")),
        (
            "multi-region",
            include_str!("../../../examples/multi-region.yaml"),
        ),
    ] {
        out.extend(synth(yaml).into_iter().map(|t| (name, t)));
    }
    out
}

/// A value of the template as it is at run time: intrinsics become sample names.
fn resolve(v: &Value) -> Value {
    match v {
        Value::Object(o) if o.contains_key("Fn::Sub") => {
            let s = o["Fn::Sub"].as_str().expect("Fn::Sub with a string");
            let mut out = String::new();
            let mut rest = s;
            while let Some(i) = rest.find("${") {
                out.push_str(&rest[..i]);
                let end = rest[i..].find('}').expect("closed ${") + i;
                out.push_str(FLEET);
                rest = &rest[end + 1..];
            }
            out.push_str(rest);
            Value::String(out)
        }
        Value::Object(o) if o.contains_key("Ref") || o.contains_key("Fn::GetAtt") => {
            Value::String(NAME.into())
        }
        Value::Object(o) => Value::Object(o.iter().map(|(k, v)| (k.clone(), resolve(v))).collect()),
        Value::Array(a) => Value::Array(a.iter().map(resolve).collect()),
        other => other.clone(),
    }
}

/// The `detail` of AWS's example event of each detail-type a rule may match.
fn example_detail(detail_type: &str) -> Value {
    match detail_type {
        // EC2 user guide, "Spot Instance interruption notices".
        events::DETAIL_INTERRUPTION_WARNING => {
            json!({"instance-id": "i-1234567890abcdef0", "instance-action": "terminate"})
        }
        // EC2 user guide, "EC2 instance rebalance recommendations".
        events::DETAIL_REBALANCE_RECOMMENDATION => json!({"instance-id": "i-1234567890abcdef0"}),
        // EC2 Auto Scaling user guide, "Amazon EventBridge events for lifecycle hooks".
        events::DETAIL_TERMINATE_LIFECYCLE_ACTION => json!({
            "LifecycleActionToken": "87654321-4321-4321-4321-210987654321",
            "AutoScalingGroupName": "my-asg",
            "LifecycleHookName": "my-lifecycle-hook",
            "EC2InstanceId": "i-1234567890abcdef0",
            "LifecycleTransition": "autoscaling:EC2_INSTANCE_TERMINATING"
        }),
        // Amazon EC2 Auto Scaling event reference, "Unsuccessful scaling events".
        events::DETAIL_LAUNCH_UNSUCCESSFUL => json!({
            "StatusCode": "Failed",
            "AutoScalingGroupName": "my-auto-scaling-group",
            "ActivityId": "87654321-4321-4321-4321-210987654321",
            "StatusMessage": "message-text",
            "EC2InstanceId": "i-1234567890abcdef0",
            "Cause": "description-text"
        }),
        // EC2 user guide, "Spot Fleet event types".
        dt if events::SPOT_FLEET_DETAIL_TYPES.contains(&dt) => json!({"sub-type": "submitted"}),
        other => panic!("no example event for detail-type {other:?}: add AWS's example here"),
    }
}

/// The event EventBridge delivers for `pattern`, with every detail filter's value.
fn events_for(pattern: &Value) -> Vec<Value> {
    let list = |k: &str| -> Vec<String> {
        pattern[k]
            .as_array()
            .unwrap_or_else(|| panic!("pattern without {k}: {pattern}"))
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect()
    };
    let mut out = Vec::new();
    for source in list("source") {
        for dt in list("detail-type") {
            let mut detail: Map<String, Value> = example_detail(&dt).as_object().unwrap().clone();
            if let Some(filters) = pattern.get("detail").and_then(Value::as_object) {
                for (k, values) in filters {
                    detail.insert(k.clone(), values[0].clone());
                }
            }
            out.push(json!({
                "version": "0", "id": "d1af1091-6cc3-2e24-203a-3b870e455d5b",
                "detail-type": dt, "source": source, "account": "123456789012",
                "time": "2026-11-28T07:00:00Z", "region": "us-east-1",
                "resources": [format!("arn:aws:ec2:us-east-1:123456789012:spot-fleet-request/{FLEET}")],
                "detail": detail,
            }));
        }
    }
    out
}

fn of_type<'a>(t: &'a Value, kind: &str) -> Vec<(&'a String, &'a Value)> {
    t["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"] == kind)
        .collect()
}

#[test]
fn every_rule_pattern_reaches_the_lambda_as_the_event_it_is_for() {
    let mut seen = 0;
    for (example, t) in examples() {
        for (id, rule) in of_type(&t, "AWS::Events::Rule") {
            let Some(pattern) = rule["Properties"].get("EventPattern") else {
                continue;
            };
            for ev in events_for(&resolve(pattern)) {
                seen += 1;
                let parsed = events::parse(&ev)
                    .unwrap_or_else(|e| panic!("{example} {id}: the Lambda refuses {ev}: {e}"));
                match parsed {
                    Invocation::Reconcile { .. } => {
                        panic!("{example} {id}: the Lambda takes {ev} for a schedule")
                    }
                    Invocation::Lifecycle(l) => {
                        assert_eq!(l.group, NAME, "{example} {id}: the rule's group filter");
                        assert_eq!(l.transition, events::TERMINATING_TRANSITION);
                    }
                    Invocation::Instance(_) => {}
                    Invocation::Fleet(f) => assert_eq!(f.fleet_id.as_deref(), Some(FLEET)),
                    Invocation::LaunchFailure(l) => {
                        assert_eq!(l.group, NAME, "{example} {id}: the rule's group filter");
                    }
                }
            }
        }
    }
    assert!(seen >= 3, "the examples compose rules: {seen}");
}

#[test]
fn every_rule_input_reaches_the_lambda_as_a_run_for_the_stacks_fleet() {
    let mut seen = 0;
    for (example, t) in examples() {
        for (id, rule) in of_type(&t, "AWS::Events::Rule") {
            for target in rule["Properties"]["Targets"].as_array().unwrap() {
                let Some(input) = target.get("Input") else {
                    continue;
                };
                seen += 1;
                let text = resolve(input);
                let ev: Value = serde_json::from_str(text.as_str().unwrap())
                    .unwrap_or_else(|e| panic!("{example} {id}: input {text} is not JSON: {e}"));
                assert_eq!(
                    events::parse(&ev).unwrap(),
                    Invocation::Reconcile {
                        fleet_id: Some(FLEET.into())
                    },
                    "{example} {id}"
                );
            }
        }
    }
    assert!(seen >= 3, "every example has a schedule: {seen}");
}

/// CloudWatch's alarm message through SNS (CloudWatch user guide, "Using Amazon SNS
/// notifications"): `Trigger.Dimensions` as `{"name", "value"}` pairs.
#[test]
fn the_alarm_through_sns_reaches_the_lambda_as_a_run_for_the_stacks_fleet() {
    let mut seen = 0;
    for (example, t) in examples() {
        for (id, alarm) in of_type(&t, "AWS::CloudWatch::Alarm") {
            seen += 1;
            let p = resolve(&alarm["Properties"]);
            let dims: Vec<Value> = p["Dimensions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| {
                    let v = if d["Value"] == NAME {
                        json!(FLEET)
                    } else {
                        d["Value"].clone()
                    };
                    json!({"name": d["Name"], "value": v})
                })
                .collect();
            let message = json!({"AlarmName": id, "NewStateValue": "ALARM",
                "Trigger": {"MetricName": p["MetricName"], "Namespace": p["Namespace"],
                    "Dimensions": dims}});
            let ev = json!({"Records": [{"EventSource": "aws:sns",
                "Sns": {"Type": "Notification", "Message": message.to_string()}}]});
            assert_eq!(
                events::parse(&ev).unwrap(),
                Invocation::Reconcile {
                    fleet_id: Some(FLEET.into())
                },
                "{example} {id}"
            );
        }
    }
    assert!(seen >= 1);
}

/// The reconciler function's `Environment.Variables`, each value as it is at run time
/// (the fleet's `Ref` is its request id).
fn environments(t: &Value) -> Vec<(&String, Map<String, Value>)> {
    of_type(t, "AWS::Lambda::Function")
        .into_iter()
        .filter_map(|(id, f)| {
            let mut vars = resolve(&f["Properties"]["Environment"]["Variables"])
                .as_object()?
                .clone();
            if vars.contains_key(settings::env::FLEET_ID) {
                vars.insert(settings::env::FLEET_ID.into(), json!(FLEET));
            }
            Some((id, vars))
        })
        .collect()
}

#[test]
fn every_reconciler_environment_reads_back_with_the_lambdas_own_settings_parser() {
    let (mut fleet_engine, mut asg_engine) = (0, 0);
    for (example, t) in examples() {
        for (id, vars) in environments(&t) {
            let get = |k: &str| vars.get(k).and_then(Value::as_str).map(str::to_owned);
            if vars.contains_key(settings::env::GROUP_NAME) {
                fleet_engine += 1;
                let s = Settings::from_lookup(get).unwrap_or_else(|e| {
                    panic!("{example} {id}: the Lambda refuses its environment: {e}")
                });
                assert_eq!(s.group_name, NAME, "{example} {id}");
            }
            if vars.contains_key(settings::fallback::env::GROUP_NAME) {
                asg_engine += 1;
                let s = fallback::Settings::from_lookup(get).unwrap_or_else(|e| {
                    panic!("{example} {id}: the Lambda refuses its environment: {e}")
                });
                assert_eq!(s.group_name, NAME, "{example} {id}");
            }
        }
    }
    assert!(
        fleet_engine >= 3,
        "the fleet examples' reconcilers: {fleet_engine}"
    );
    assert!(
        asg_engine >= 1,
        "the asg example's reconciler: {asg_engine}"
    );
}
