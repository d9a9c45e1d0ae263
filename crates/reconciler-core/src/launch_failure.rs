//! The capacity provider group's `EC2 Instance Launch Unsuccessful` event (source
//! `aws.autoscaling`), which the template routes to the reconciler under `engine: asg`.
//!
//! Shape: Amazon EC2 Auto Scaling user guide, "Amazon EC2 Auto Scaling event reference",
//! unsuccessful scaling events: `detail` with `StatusCode` (`Failed`),
//! `AutoScalingGroupName`, `StatusMessage`, `StartTime`, `EndTime`, `Cause`. Events are
//! best effort: the scheduled run reads the same failures from the group's scaling
//! activities.

use serde_json::Value;

use crate::contract::events::{DETAIL_GROUP_NAME, EventError, SOURCE_AUTOSCALING, parse_utc};
use crate::policy::fallback::{self, Activity};
use crate::time::EpochSeconds;

/// The detail-type of Auto Scaling's event for a failed launch.
pub const DETAIL_LAUNCH_UNSUCCESSFUL: &str = "EC2 Instance Launch Unsuccessful";

/// A failed launch of the group, as the event tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaunchFailure {
    pub group: String,
    /// The failed activity, as the backstop would read it from the group.
    pub activity: Activity,
}

impl LaunchFailure {
    /// When spot failed for lack of capacity, if this event says so
    /// ([`fallback::latest_spot_failure`]): the observation's `spot_failure_at`.
    pub fn spot_failure_at(&self) -> Option<EpochSeconds> {
        fallback::latest_spot_failure(std::slice::from_ref(&self.activity))
    }
}

/// Whether `event` is a launch-failure event (source and detail-type).
pub fn is_launch_failure(event: &Value) -> bool {
    event.get("source").and_then(Value::as_str) == Some(SOURCE_AUTOSCALING)
        && event.get("detail-type").and_then(Value::as_str) == Some(DETAIL_LAUNCH_UNSUCCESSFUL)
}

/// Reads a launch-failure event. The start time is `detail.StartTime`, else the
/// event's `time`; neither readable is an error (the failure's age decides whether it
/// raises the base).
pub fn parse(event: &Value) -> Result<LaunchFailure, EventError> {
    let malformed = |s: String| EventError::Malformed(s);
    let detail = event
        .get("detail")
        .and_then(Value::as_object)
        .ok_or_else(|| malformed("launch failure event without a detail object".into()))?;
    let text = |k: &str| detail.get(k).and_then(Value::as_str).unwrap_or_default();
    let group = text(DETAIL_GROUP_NAME);
    if group.is_empty() {
        return Err(malformed(format!(
            "launch failure event without detail.{DETAIL_GROUP_NAME}"
        )));
    }
    let start = parse_utc(text("StartTime"))
        .or_else(|| {
            event
                .get("time")
                .and_then(Value::as_str)
                .and_then(parse_utc)
        })
        .ok_or_else(|| {
            malformed("launch failure event without a readable StartTime or time".into())
        })?;
    Ok(LaunchFailure {
        group: group.to_owned(),
        activity: Activity {
            status_code: text("StatusCode").to_owned(),
            status_message: text("StatusMessage").to_owned(),
            start,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The example of the Auto Scaling user guide's event reference ("Unsuccessful
    /// scaling events"), with a spot capacity message as activities show it.
    fn event(message: &str) -> Value {
        json!({
            "version": "0", "id": "12345678-1234-1234-1234-123456789012",
            "detail-type": "EC2 Instance Launch Unsuccessful", "source": "aws.autoscaling",
            "account": "123456789012", "time": "2026-12-08T01:00:30Z", "region": "us-west-2",
            "resources": ["auto-scaling-group-arn"],
            "detail": {
                "StatusCode": "Failed", "AutoScalingGroupName": "my-asg",
                "ActivityId": "87654321-4321-4321-4321-210987654321",
                "Details": {"Availability Zone": "us-west-2b", "Subnet ID": "subnet-12345678"},
                "RequestId": "12345678-1234-1234-1234-123456789012",
                "StatusMessage": message,
                "EndTime": "2026-12-08T01:00:20Z", "StartTime": "2026-12-08T01:00:00Z",
                "Cause": "description-text"
            }
        })
    }

    #[test]
    fn a_spot_capacity_failure_is_dated_by_its_start_time() {
        let ev = event(
            "Could not launch Spot Instances. UnfulfillableCapacity - Unable to fulfill capacity due to your request configuration.",
        );
        assert!(is_launch_failure(&ev));
        let f = parse(&ev).unwrap();
        assert_eq!(f.group, "my-asg");
        assert_eq!(f.spot_failure_at(), parse_utc("2026-12-08T01:00:00Z"));
    }

    #[test]
    fn a_failure_that_is_not_spot_capacity_raises_nothing() {
        let f = parse(&event("The image id 'ami-1' does not exist")).unwrap();
        assert_eq!(f.spot_failure_at(), None);
    }

    #[test]
    fn without_a_group_the_event_is_malformed() {
        let mut ev = event("x");
        ev["detail"]["AutoScalingGroupName"] = json!("");
        assert!(parse(&ev).is_err());
    }

    #[test]
    fn other_autoscaling_events_are_not_launch_failures() {
        let mut ev = event("x");
        ev["detail-type"] = json!("EC2 Instance-terminate Lifecycle Action");
        assert!(!is_launch_failure(&ev));
    }
}
