//! The invocation events the reconciler accepts.
//!
//! - EventBridge schedule with constant input, or a direct invocation:
//!   `{"fleetID": "sfr-..."}` or `{}` (then `SPOTCOVER_FLEET_ID` is used).
//!   Other keys are ignored.
//! - SNS-delivered CloudWatch alarm: `{"Records": [{"Sns": {"Message": "<alarm JSON>"}}]}`
//!   where the alarm JSON holds `Trigger.Dimensions: [{"name": "FleetRequestId", "value": "sfr-..."}]`.
//!
//! - EventBridge EC2 notices, the whole event: `detail-type` `"EC2 Spot Instance
//!   Interruption Warning"` (`detail: {"instance-id": "i-...", "instance-action": "terminate"}`)
//!   or `"EC2 Instance Rebalance Recommendation"` (`detail: {"instance-id": "i-..."}`).
//!   Any other `detail-type` is treated as before (the `fleetID` key, if any).
//! - EventBridge Auto Scaling lifecycle events: `detail-type` `"EC2 Instance-terminate
//!   Lifecycle Action"` (see [`crate::drain::parse_lifecycle`]).
//!
//! Anything else is malformed and leads to an error result, never to an action.

use serde::Deserialize;
use serde_json::Value;

use spotcover_reconciler_core::Notice;

use crate::config::valid_fleet_id;

/// `detail-type` of a spot interruption warning.
pub const DETAIL_INTERRUPTION_WARNING: &str = "EC2 Spot Instance Interruption Warning";
/// `detail-type` of a rebalance recommendation.
pub const DETAIL_REBALANCE_RECOMMENDATION: &str = "EC2 Instance Rebalance Recommendation";

/// An EC2 notice about one instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceNotice {
    pub notice: Notice,
    /// `i-...`
    pub instance_id: String,
    /// `instance-action` of a warning (`terminate`, `stop`, `hibernate`), if given.
    pub instance_action: Option<String>,
}

/// What an invocation asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invocation {
    /// Reconcile the fleet (the event's fleet id, if it names one).
    Reconcile { fleet_id: Option<String> },
    /// Handle an interruption warning or rebalance recommendation.
    Instance(InstanceNotice),
    /// Drain an instance the on-demand group's lifecycle hook holds.
    Lifecycle(crate::drain::LifecycleEvent),
}

/// An EC2 instance id: `i-` then letters and digits.
pub fn valid_instance_id(id: &str) -> bool {
    id.strip_prefix("i-")
        .is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// Classifies an event.
pub fn parse(event: &Value) -> Result<Invocation, EventError> {
    let notice = match event.get("detail-type").and_then(Value::as_str) {
        Some(DETAIL_INTERRUPTION_WARNING) => Notice::InterruptionWarning,
        Some(DETAIL_REBALANCE_RECOMMENDATION) => Notice::RebalanceRecommendation,
        Some(crate::drain::DETAIL_TERMINATE_LIFECYCLE_ACTION) => {
            return crate::drain::parse_lifecycle(event).map(Invocation::Lifecycle);
        }
        _ => {
            return fleet_id_of(event).map(|fleet_id| Invocation::Reconcile { fleet_id });
        }
    };
    let detail = event
        .get("detail")
        .and_then(Value::as_object)
        .ok_or_else(|| malformed("EC2 notice without a detail object"))?;
    let instance_id = match detail.get("instance-id") {
        Some(Value::String(id)) if valid_instance_id(id) => id.clone(),
        Some(other) => {
            return Err(malformed(format!(
                "detail.instance-id {other} is not an EC2 instance id"
            )));
        }
        None => return Err(malformed("EC2 notice without detail.instance-id")),
    };
    let instance_action = detail
        .get("instance-action")
        .and_then(Value::as_str)
        .map(str::to_owned);
    Ok(Invocation::Instance(InstanceNotice {
        notice,
        instance_id,
        instance_action,
    }))
}

/// Why an event was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("malformed event: {0}")]
    Malformed(String),
}

fn malformed(s: impl Into<String>) -> EventError {
    EventError::Malformed(s.into())
}

#[derive(Deserialize)]
struct SnsRecord {
    #[serde(rename = "Sns")]
    sns: SnsBody,
}

#[derive(Deserialize)]
struct SnsBody {
    #[serde(rename = "Message")]
    message: String,
}

#[derive(Deserialize)]
struct Alarm {
    #[serde(rename = "Trigger")]
    trigger: Trigger,
}

#[derive(Deserialize)]
struct Trigger {
    #[serde(rename = "Dimensions", default)]
    dimensions: Vec<Dimension>,
}

#[derive(Deserialize)]
struct Dimension {
    name: String,
    value: String,
}

fn checked(id: &str) -> Result<String, EventError> {
    if valid_fleet_id(id) {
        Ok(id.to_owned())
    } else {
        Err(malformed(format!("{id:?} is not a Spot Fleet request id")))
    }
}

/// The fleet id an event names, if any.
pub fn fleet_id_of(event: &Value) -> Result<Option<String>, EventError> {
    let obj = event
        .as_object()
        .ok_or_else(|| malformed("the event is not a JSON object"))?;
    if let Some(records) = obj.get("Records") {
        let records: Vec<SnsRecord> = serde_json::from_value(records.clone())
            .map_err(|e| malformed(format!("not an SNS event: {e}")))?;
        let first = records
            .first()
            .ok_or_else(|| malformed("SNS event without records"))?;
        let alarm: Alarm = serde_json::from_str(&first.sns.message)
            .map_err(|e| malformed(format!("SNS message is not a CloudWatch alarm: {e}")))?;
        let dim = alarm
            .trigger
            .dimensions
            .iter()
            .find(|d| d.name == "FleetRequestId")
            .ok_or_else(|| malformed("alarm has no FleetRequestId dimension"))?;
        return checked(&dim.value).map(Some);
    }
    match obj.get("fleetID") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => checked(s).map(Some),
        Some(other) => Err(malformed(format!("fleetID must be a string, got {other}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    pub(crate) fn sns(message: &str) -> Value {
        json!({"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0",
            "Sns": {"Type": "Notification", "Subject": "ALARM", "Message": message}}]})
    }

    #[test]
    fn accepted() {
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

    fn warning(detail: Value) -> Value {
        json!({"version": "0", "id": "1", "detail-type": DETAIL_INTERRUPTION_WARNING,
            "source": "aws.ec2", "account": "123456789012", "time": "2026-11-28T07:00:00Z",
            "region": "us-east-1", "resources": ["arn:aws:ec2:us-east-1a:instance/i-0abc"],
            "detail": detail})
    }

    #[test]
    fn notices() {
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
        // Existing events keep their meaning.
        assert_eq!(
            parse(&json!({"fleetID": "sfr-1"})).unwrap(),
            Invocation::Reconcile {
                fleet_id: Some("sfr-1".into())
            }
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
    fn rejected() {
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
}
