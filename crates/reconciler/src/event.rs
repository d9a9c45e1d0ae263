//! The invocation events the reconciler accepts.
//!
//! - EventBridge schedule with constant input, or a direct invocation:
//!   `{"fleetID": "sfr-..."}` or `{}` (then `SPOTCOVER_FLEET_ID` is used).
//!   Other keys are ignored.
//! - SNS-delivered CloudWatch alarm: `{"Records": [{"Sns": {"Message": "<alarm JSON>"}}]}`
//!   where the alarm JSON holds `Trigger.Dimensions: [{"name": "FleetRequestId", "value": "sfr-..."}]`.
//!
//! Anything else is malformed and leads to an error result, never to an action.

use serde::Deserialize;
use serde_json::Value;

use crate::config::valid_fleet_id;

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
