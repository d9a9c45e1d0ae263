use super::*;
use serde_json::json;

fn sns(message: &str) -> Value {
    json!({"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0",
        "Sns": {"Type": "Notification", "Subject": "ALARM", "Message": message}}]})
}

#[test]
fn schedule_inputs_and_alarms_name_the_fleet() {
    assert_eq!(
        fleet_id_of(&json!({"fleetID": "sfr-1a2b"}))
            .unwrap()
            .as_deref(),
        Some("sfr-1a2b")
    );
    assert_eq!(fleet_id_of(&json!({})).unwrap(), None);
    assert_eq!(
        fleet_id_of(&json!({"fleetID": null, "x": 1})).unwrap(),
        None
    );
    let alarm = json!({"AlarmName": "pending", "NewStateValue": "ALARM",
        "Trigger": {"MetricName": "PendingCapacity", "Namespace": "AWS/EC2Spot",
            "Dimensions": [{"name": "FleetRequestId", "value": "sfr-42"}]}});
    assert_eq!(
        fleet_id_of(&sns(&alarm.to_string())).unwrap().as_deref(),
        Some("sfr-42")
    );
}

#[test]
fn the_schedule_input_as_composed_parses_to_its_fleet() {
    let input = format!("{SCHEDULE_INPUT_PREFIX}sfr-0abc{SCHEDULE_INPUT_SUFFIX}");
    let v: Value = serde_json::from_str(&input).unwrap();
    assert_eq!(
        parse(&v).unwrap(),
        Invocation::Reconcile {
            fleet_id: Some("sfr-0abc".into())
        }
    );
}

fn warning(detail: Value) -> Value {
    json!({"version": "0", "id": "1", "detail-type": DETAIL_INTERRUPTION_WARNING,
        "source": "aws.ec2", "account": "123456789012", "time": "2026-11-28T07:00:00Z",
        "region": "us-east-1", "resources": ["arn:aws:ec2:us-east-1a:instance/i-0abc"],
        "detail": detail})
}

#[test]
fn notices_are_parsed_and_malformed_ones_refused() {
    assert_eq!(
        parse(&warning(
            json!({"instance-id": "i-0abc123", "instance-action": "terminate"})
        ))
        .unwrap(),
        Invocation::Instance(InstanceNotice {
            notice: Notice::InterruptionWarning,
            instance_id: "i-0abc123".into(),
            instance_action: Some("terminate".into()),
        })
    );
    let rebalance = json!({"detail-type": DETAIL_REBALANCE_RECOMMENDATION,
        "source": "aws.ec2", "detail": {"instance-id": "i-9"}});
    assert_eq!(
        parse(&rebalance).unwrap(),
        Invocation::Instance(InstanceNotice {
            notice: Notice::RebalanceRecommendation,
            instance_id: "i-9".into(),
            instance_action: None,
        })
    );
    assert_eq!(
        parse(&json!({"detail-type": "Scheduled Event", "source": "aws.events", "detail": {}}))
            .unwrap(),
        Invocation::Reconcile { fleet_id: None }
    );
    for bad in [
        warning(json!({})),
        warning(json!({"instance-id": 7})),
        warning(json!({"instance-id": "sfr-1"})),
        warning(json!({"instance-id": "i-"})),
        warning(json!({"instance-id": "i-1; drop"})),
        json!({"detail-type": DETAIL_INTERRUPTION_WARNING}),
        json!({"detail-type": DETAIL_REBALANCE_RECOMMENDATION, "detail": "i-1"}),
    ] {
        assert!(parse(&bad).is_err(), "{bad}");
    }
}

#[test]
fn schedule_inputs_that_are_not_fleet_ids_are_refused() {
    for bad in [
        json!([]),
        json!("sfr-1"),
        json!({"fleetID": 7}),
        json!({"fleetID": "i-123"}),
        json!({"fleetID": "sfr-"}),
        json!({"Records": []}),
        json!({"Records": [{"Sns": {}}]}),
        sns("not json"),
        sns(r#"{"Trigger": {"Dimensions": [{"name": "AutoScalingGroupName", "value": "g"}]}}"#),
        sns(r#"{"Trigger": {"Dimensions": [{"name": "FleetRequestId", "value": "x"}]}}"#),
    ] {
        assert!(fleet_id_of(&bad).is_err(), "{bad}");
    }
}

#[test]
fn lifecycle_event_parses_the_aws_example() {
    // aws_lambda_events fixture example-autoscaling-event-terminate-action.json
    let ev = json!({
        "version": "0", "id": "12345678-1234-1234-1234-123456789012",
        "detail-type": "EC2 Instance-terminate Lifecycle Action",
        "source": "aws.autoscaling", "account": "123456789012",
        "time": "1970-01-01T00:00:00Z", "region": "us-west-2",
        "resources": ["auto-scaling-group-arn"],
        "detail": {
            "LifecycleActionToken": "87654321-4321-4321-4321-210987654321",
            "AutoScalingGroupName": "my-asg",
            "LifecycleHookName": "my-lifecycle-hook",
            "EC2InstanceId": "i-1234567890abcdef0",
            "LifecycleTransition": "autoscaling:EC2_INSTANCE_TERMINATING"
        }
    });
    assert_eq!(
        parse(&ev).unwrap(),
        Invocation::Lifecycle(LifecycleEvent {
            group: "my-asg".into(),
            hook: "my-lifecycle-hook".into(),
            instance_id: "i-1234567890abcdef0".into(),
            transition: TERMINATING_TRANSITION.into(),
            token: Some("87654321-4321-4321-4321-210987654321".into()),
            time: Some(0),
        })
    );
}

#[test]
fn malformed_lifecycle_events_are_rejected() {
    let base = |detail: Value| {
        json!({"detail-type": DETAIL_TERMINATE_LIFECYCLE_ACTION,
            "source": "aws.autoscaling", "detail": detail})
    };
    let ok = json!({"AutoScalingGroupName": "g", "LifecycleHookName": "h",
        "EC2InstanceId": "i-1", "LifecycleTransition": TERMINATING_TRANSITION});
    assert!(parse_lifecycle(&base(ok.clone())).is_ok());
    for key in [
        "AutoScalingGroupName",
        "LifecycleHookName",
        "EC2InstanceId",
        "LifecycleTransition",
    ] {
        let mut d = ok.clone();
        d.as_object_mut().unwrap().remove(key);
        assert!(parse_lifecycle(&base(d)).is_err(), "without {key}");
    }
    let mut d = ok.clone();
    d["EC2InstanceId"] = json!("sfr-1");
    assert!(parse_lifecycle(&base(d)).is_err());
    assert!(parse_lifecycle(&json!({"detail-type": DETAIL_TERMINATE_LIFECYCLE_ACTION})).is_err());
}

/// The example of the EC2 user guide, "Spot Fleet event types".
#[test]
fn spot_fleet_events_name_their_fleet() {
    for dt in SPOT_FLEET_DETAIL_TYPES {
        let ev = json!({"version": "0", "id": "d1af1091-6cc3-2e24-203a-3b870e455d5b",
            "detail-type": dt, "source": "aws.ec2spotfleet", "account": "123456789012",
            "time": "2020-11-09T08:57:06Z", "region": "us-east-1",
            "resources": ["arn:aws:ec2:us-east-1:123456789012:spot-fleet-request/sfr-4b6d274d-0cea-4b2c-b3be-9dc627ad1f55"],
            "detail": {"sub-type": "submitted"}});
        assert_eq!(
            parse(&ev).unwrap(),
            Invocation::Fleet(FleetEvent {
                detail_type: dt.into(),
                fleet_id: Some("sfr-4b6d274d-0cea-4b2c-b3be-9dc627ad1f55".into()),
                sub_type: Some("submitted".into()),
            }),
            "{dt}"
        );
    }
    let other = json!({"detail-type": "EC2 Spot Fleet Error", "source": "aws.ec2spotfleet",
        "resources": ["arn:aws:ec2:us-east-1:1:spot-fleet-request/fleet"]});
    assert!(parse(&other).is_err());
}

#[test]
fn utc_times_are_read_as_eventbridge_writes_them() {
    assert_eq!(parse_utc("1970-01-01T00:00:00Z"), Some(0));
    assert_eq!(parse_utc("2020-11-09T08:57:06Z"), Some(1_604_912_226));
    assert_eq!(parse_utc("2024-02-29T23:59:59.123Z"), Some(1_709_251_199));
    for bad in [
        "2020-11-09 08:57:06Z",
        "2020-13-01T00:00:00Z",
        "yesterday",
        "",
    ] {
        assert_eq!(parse_utc(bad), None, "{bad}");
    }
}

#[test]
fn every_fleet_error_event_means_the_fleet_cannot_launch() {
    for sub in [
        "iamFleetRoleInvalid",
        "allLaunchSpecsTemporarilyBlacklisted",
        "spotInstanceCountLimitExceeded",
        "spotFleetRequestConfigurationInvalid",
    ] {
        assert!(fleet_cannot_launch(DETAIL_FLEET_ERROR, sub), "{sub}");
    }
}

#[test]
fn one_unusable_launch_specification_is_not_a_fleet_failure() {
    assert!(!fleet_cannot_launch(
        DETAIL_FLEET_INFORMATION,
        "launchSpecUnusable"
    ));
    assert!(!fleet_cannot_launch(
        DETAIL_FLEET_INFORMATION,
        "launchSpecTemporarilyBlacklisted"
    ));
    assert!(fleet_cannot_launch(
        DETAIL_FLEET_INFORMATION,
        "fleetProgressHalted"
    ));
}

#[test]
fn fleet_instance_changes_are_not_failures() {
    assert!(!fleet_cannot_launch(
        DETAIL_FLEET_INSTANCE_CHANGE,
        "termination_notified"
    ));
}

/// Amazon EC2 Auto Scaling event reference, "Unsuccessful scaling events": an
/// `EC2 Instance Launch Unsuccessful` event names its group in `detail`.
#[test]
fn a_failed_launch_of_the_asg_engines_group_is_a_launch_failure() {
    let ev = json!({
        "source": SOURCE_AUTOSCALING,
        "detail-type": DETAIL_LAUNCH_UNSUCCESSFUL,
        "detail": {"StatusCode": "Failed", "AutoScalingGroupName": "spot-group",
            "EC2InstanceId": "", "StatusMessage": "We currently do not have sufficient capacity"},
    });
    assert_eq!(
        parse(&ev).unwrap(),
        Invocation::LaunchFailure(LaunchFailure {
            group: "spot-group".into()
        })
    );
    let without = json!({"source": SOURCE_AUTOSCALING, "detail-type": DETAIL_LAUNCH_UNSUCCESSFUL, "detail": {}});
    assert!(parse(&without).is_err());
}
