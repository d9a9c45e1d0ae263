//! The Spot Fleet's own record of its pools: `aws ec2 describe-spot-fleet-request-history`.
//!
//! The shape, from the EC2 API reference (`DescribeSpotFleetRequestHistory`,
//! `HistoryRecord`, `EventInformation`): `{"HistoryRecords": [{"EventType":
//! "instanceChange" | "fleetRequestChange" | "error" | "information", "Timestamp",
//! "EventInformation": {"EventSubType", "InstanceId"?, "EventDescription"?}}],
//! "SpotFleetRequestId", "StartTime", "LastEvaluatedTime", "NextToken"?}`. Events are
//! kept 48 hours. The AWS CLI does not page this call by itself (botocore has no
//! paginator for it): a `NextToken` in the file means records were left out.
//!
//! What a replay reads from it, per pool (instance type):
//! - a **loss**: an `instanceChange` `terminated` of one of its instances that the fleet
//!   did not announce with `termination_notified` (its own scale-in), an `information`
//!   `launchSpecTemporarilyBlacklisted` or `launchSpecUnusable` naming the type, or an
//!   `error` `allLaunchSpecsTemporarilyBlacklisted` (every pool);
//! - a **recovery**: an `instanceChange` `launched` into it. The type is in the event's
//!   description (`{"instanceType": ...}`) or named in its text.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::{CliTime, Epoch, HistoryError, Note, file, note, parse_json};

/// The command whose output [`read`] takes.
pub const COMMAND: &str = "aws ec2 describe-spot-fleet-request-history";

/// How long EC2 keeps a fleet's events: 48 hours.
pub const RETENTION_SECS: i64 = 48 * 3600;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Output {
    #[serde(default)]
    pub history_records: Vec<HistoryRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_evaluated_time: Option<CliTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    #[serde(default)]
    pub spot_fleet_request_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<CliTime>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct HistoryRecord {
    #[serde(default)]
    pub event_information: EventInformation,
    pub event_type: String,
    pub timestamp: CliTime,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EventInformation {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_sub_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_id: Option<String>,
}

/// What happened to the pools, in time order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PoolEvents {
    /// `(time, pool)`: the pool could not hold or take instances from then.
    pub losses: Vec<(Epoch, String)>,
    /// `(time, pool)`: an instance was launched into it.
    pub launches: Vec<(Epoch, String)>,
    /// First time the history covers (the request's StartTime, else its first record).
    pub covers_from: Option<Epoch>,
    /// The fleet's id, for the warnings.
    pub fleet_id: String,
}

/// The type an event names: its description's `instanceType`, else the one of `types`
/// its text names as a word.
fn named_type(description: Option<&str>, types: &[String]) -> Option<String> {
    let d = description?;
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(d)
        && let Some(t) = v.get("instanceType").and_then(|t| t.as_str())
    {
        return Some(t.to_owned());
    }
    let words: BTreeSet<&str> = d
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-'))
        .map(|w| w.trim_end_matches('.'))
        .collect();
    types.iter().find(|t| words.contains(t.as_str())).cloned()
}

/// Reads the fleet's history: losses and launches per pool of `types`.
pub fn read(
    text: &str,
    types: &[String],
    notes: &mut Vec<Note>,
) -> Result<PoolEvents, HistoryError> {
    let out: Output = parse_json(file::FLEET_HISTORY, COMMAND, text)?;
    if out.next_token.is_some() {
        notes.push(Note {
            name: note::PARTIAL_DATA,
            message: format!(
                "{} has a NextToken: the fleet has more events than this page (run the command again with --next-token and merge the HistoryRecords)",
                file::FLEET_HISTORY
            ),
        });
    }
    let mut records = Vec::with_capacity(out.history_records.len());
    for (i, r) in out.history_records.iter().enumerate() {
        let at = r.timestamp.epoch().ok_or_else(|| {
            HistoryError::new(
                file::FLEET_HISTORY,
                format!(
                    "HistoryRecords[{i}].Timestamp {} is not a time",
                    r.timestamp
                ),
            )
        })?;
        records.push((at, r));
    }
    // The API lists records in time order; sorting keeps a merged file's pages right.
    records.sort_by_key(|(at, _)| *at);
    let mut events = PoolEvents {
        covers_from: out
            .start_time
            .as_ref()
            .and_then(CliTime::epoch)
            .or(records.first().map(|r| r.0)),
        fleet_id: out.spot_fleet_request_id.clone(),
        ..PoolEvents::default()
    };
    let mut instance_type: BTreeMap<&str, String> = BTreeMap::new();
    let mut notified: BTreeSet<&str> = BTreeSet::new();
    let mut unknown = 0usize;
    for (at, r) in records {
        let info = &r.event_information;
        let sub = info.event_sub_type.as_deref().unwrap_or("");
        let named = named_type(info.event_description.as_deref(), types);
        match (r.event_type.as_str(), sub) {
            ("instanceChange", "launched") => {
                if let Some(t) = named {
                    if let Some(id) = info.instance_id.as_deref() {
                        instance_type.insert(id, t.clone());
                    }
                    events.launches.push((at, t));
                }
            }
            ("instanceChange", "termination_notified") => {
                if let Some(id) = info.instance_id.as_deref() {
                    notified.insert(id);
                }
            }
            ("instanceChange", "terminated") => {
                let id = info.instance_id.as_deref().unwrap_or("");
                if notified.contains(id) {
                    continue; // the fleet's own scale-in
                }
                match named.or_else(|| instance_type.get(id).cloned()) {
                    Some(t) => events.losses.push((at, t)),
                    None => unknown += 1,
                }
            }
            ("information", "launchSpecTemporarilyBlacklisted" | "launchSpecUnusable") => {
                if let Some(t) = named {
                    events.losses.push((at, t));
                }
            }
            ("error", "allLaunchSpecsTemporarilyBlacklisted") => {
                for t in types {
                    events.losses.push((at, t.clone()));
                }
            }
            _ => {}
        }
    }
    if unknown > 0 {
        notes.push(Note {
            name: note::UNKNOWN_INSTANCE,
            message: format!(
                "{unknown} terminated instance(s) of fleet {} were launched before its history begins: their pools are not known, so they count as no loss",
                events.fleet_id
            ),
        });
    }
    Ok(events)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn types() -> Vec<String> {
        vec!["m6i.large".into(), "m6i.xlarge".into()]
    }

    #[test]
    fn a_launch_names_its_pool_by_the_description_s_instance_type() {
        let d = r#"{"instanceType":"m6i.xlarge","image":"ami-1","productDescription":"Linux/UNIX","availabilityZone":"us-east-1a"}"#;
        assert_eq!(named_type(Some(d), &types()), Some("m6i.xlarge".into()));
    }

    #[test]
    fn an_error_text_names_its_pool_as_a_whole_word() {
        let d = "m6i.xlarge, ami-1, Linux/UNIX, us-east-1a, InsufficientInstanceCapacity";
        assert_eq!(named_type(Some(d), &types()), Some("m6i.xlarge".into()));
    }

    #[test]
    fn a_termination_the_fleet_announced_is_its_scale_in_not_a_loss() {
        let text = r#"{"HistoryRecords": [
          {"EventType": "instanceChange", "Timestamp": "2026-01-01T00:00:00Z",
           "EventInformation": {"EventSubType": "launched", "InstanceId": "i-1",
             "EventDescription": "{\"instanceType\":\"m6i.large\"}"}},
          {"EventType": "instanceChange", "Timestamp": "2026-01-01T00:10:00Z",
           "EventInformation": {"EventSubType": "termination_notified", "InstanceId": "i-1"}},
          {"EventType": "instanceChange", "Timestamp": "2026-01-01T00:12:00Z",
           "EventInformation": {"EventSubType": "terminated", "InstanceId": "i-1"}}],
          "SpotFleetRequestId": "sfr-1"}"#;
        let e = read(text, &types(), &mut vec![]).unwrap();
        assert!(e.losses.is_empty(), "{e:?}");
        assert_eq!(e.launches.len(), 1);
    }

    #[test]
    fn an_unannounced_termination_is_a_loss_of_the_instance_s_pool() {
        let text = r#"{"HistoryRecords": [
          {"EventType": "instanceChange", "Timestamp": "2026-01-01T00:00:00Z",
           "EventInformation": {"EventSubType": "launched", "InstanceId": "i-1",
             "EventDescription": "{\"instanceType\":\"m6i.large\"}"}},
          {"EventType": "instanceChange", "Timestamp": "2026-01-01T00:12:00Z",
           "EventInformation": {"EventSubType": "terminated", "InstanceId": "i-1"}}],
          "SpotFleetRequestId": "sfr-1"}"#;
        let e = read(text, &types(), &mut vec![]).unwrap();
        assert_eq!(
            e.losses,
            vec![(1_767_225_600 + 720, "m6i.large".to_owned())]
        );
    }
}
