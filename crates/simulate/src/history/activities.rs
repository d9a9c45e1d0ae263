//! A group's scaling activities: `aws autoscaling describe-scaling-activities`.
//!
//! The shape, from the Amazon EC2 Auto Scaling API reference (`DescribeScalingActivities`,
//! `Activity`): `{"Activities": [{"ActivityId", "AutoScalingGroupName", "Description",
//! "Cause", "StartTime", "EndTime"?, "StatusCode", "StatusMessage"?, "Progress",
//! "Details"?}], "NextToken"?}`. "If the scaling event succeeds, the value of the
//! StatusCode element in the response is Successful. If an attempt to launch instances
//! failed, the StatusCode value is Failed or Cancelled and the StatusMessage element in
//! the response indicates the cause of the failure." Only activities of the last six
//! weeks are returned. The AWS CLI pages through them by itself.
//!
//! A replay reads from it the launch latency (a successful launch's StartTime to
//! EndTime: the instance is InService) and, for `engine: asg`, the spot launches that
//! failed (a pool lost from then until a launch succeeds).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::{CliTime, Epoch, HistoryError, Note, file, note, parse_json};

/// The command whose output [`read`] takes.
pub const COMMAND: &str = "aws autoscaling describe-scaling-activities";

/// How long Auto Scaling keeps activities: six weeks.
pub const RETENTION_SECS: i64 = 42 * 24 * 3600;

/// The description of a launch activity starts so ("Launching a new EC2 instance: i-...").
pub const LAUNCH_PREFIX: &str = "Launching a new EC2 instance";

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Output {
    #[serde(default)]
    pub activities: Vec<Activity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Activity {
    #[serde(default)]
    pub activity_id: String,
    #[serde(default)]
    pub auto_scaling_group_name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub cause: String,
    pub start_time: CliTime,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time: Option<CliTime>,
    pub status_code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_message: Option<String>,
    #[serde(default)]
    pub progress: u32,
}

/// What the activities tell.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Launches {
    /// The group the activities are of.
    pub group: Option<String>,
    /// `(start, seconds to InService)` of every launch that succeeded.
    pub succeeded: Vec<(Epoch, i64)>,
    /// `(start, the type the status message names, if any)` of every launch that failed.
    pub failed: Vec<(Epoch, Option<String>)>,
}

/// Reads the activities of one group; `types` are the pools a failure may name.
pub fn read(text: &str, types: &[String], notes: &mut Vec<Note>) -> Result<Launches, HistoryError> {
    let out: Output = parse_json(file::ACTIVITIES, COMMAND, text)?;
    if out.next_token.is_some() {
        notes.push(Note {
            name: note::PARTIAL_DATA,
            message: format!(
                "{} has a NextToken: older activities were not exported (run the printed command without --max-items)",
                file::ACTIVITIES
            ),
        });
    }
    let groups: BTreeSet<&str> = out
        .activities
        .iter()
        .map(|a| a.auto_scaling_group_name.as_str())
        .filter(|g| !g.is_empty())
        .collect();
    if groups.len() > 1 {
        return Err(HistoryError::new(
            file::ACTIVITIES,
            format!(
                "activities of {} groups ({}): export the stack's group alone (--auto-scaling-group-name)",
                groups.len(),
                groups.into_iter().collect::<Vec<_>>().join(", ")
            ),
        ));
    }
    let mut launches = Launches {
        group: groups.first().map(|g| (*g).to_owned()),
        ..Launches::default()
    };
    let time = |i: usize, field: &str, v: &CliTime| {
        v.epoch().ok_or_else(|| {
            HistoryError::new(
                file::ACTIVITIES,
                format!("Activities[{i}].{field} {v} is not a time"),
            )
        })
    };
    for (i, a) in out.activities.iter().enumerate() {
        if !a.description.starts_with(LAUNCH_PREFIX) {
            continue;
        }
        let start = time(i, "StartTime", &a.start_time)?;
        match a.status_code.as_str() {
            "Successful" => {
                let Some(end) = a.end_time.as_ref() else {
                    continue;
                };
                let end = time(i, "EndTime", end)?;
                if end < start {
                    return Err(HistoryError::new(
                        file::ACTIVITIES,
                        format!("Activities[{i}] ends before it starts"),
                    ));
                }
                launches.succeeded.push((start, end - start));
            }
            "Failed" | "Cancelled" => {
                let msg = a.status_message.as_deref().unwrap_or("");
                let named = types
                    .iter()
                    .find(|t| {
                        msg.split(|c: char| !(c.is_ascii_alphanumeric() || c == '.'))
                            .any(|w| w.trim_end_matches('.') == t.as_str())
                    })
                    .cloned();
                launches.failed.push((start, named));
            }
            _ => {}
        }
    }
    launches.succeeded.sort_unstable();
    launches.failed.sort();
    Ok(launches)
}

/// Launch latency in whole minutes, rounded up (an instance serves from the minute after
/// it is InService): the median, and the spread above it as jitter.
pub fn latency_minutes(succeeded: &[(Epoch, i64)]) -> Option<(u32, u32)> {
    let mut mins: Vec<u32> = succeeded
        .iter()
        .map(|(_, secs)| u32::try_from((secs + 59) / 60).unwrap_or(u32::MAX))
        .collect();
    if mins.is_empty() {
        return None;
    }
    mins.sort_unstable();
    let median = mins[(mins.len() - 1) / 2];
    let max = *mins.last().unwrap_or(&median);
    Some((median, max - median))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_is_the_median_launch_and_jitter_the_spread_above_it() {
        let l = [(0, 240), (0, 300), (0, 230), (0, 180)];
        assert_eq!(latency_minutes(&l), Some((4, 1)));
        assert_eq!(latency_minutes(&[]), None);
    }

    #[test]
    fn a_failed_launch_names_the_type_its_message_names() {
        let text = r#"{"Activities": [{"ActivityId": "a", "AutoScalingGroupName": "g",
          "Description": "Launching a new EC2 instance.  Status Reason: ...",
          "Cause": "c", "StartTime": "2026-01-01T00:05:00Z", "StatusCode": "Failed",
          "StatusMessage": "We currently do not have sufficient m5.large capacity in the Availability Zone you requested (us-east-1a).",
          "Progress": 100}]}"#;
        let l = read(text, &["m5.large".into(), "m6i.large".into()], &mut vec![]).unwrap();
        assert_eq!(l.failed, vec![(1_767_225_900, Some("m5.large".into()))]);
    }
}
