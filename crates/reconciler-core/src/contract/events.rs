//! The event contract between the template and the reconciler Lambda, written once.
//!
//! The stack composes its EventBridge rules (source, detail-type, detail filters) and the
//! schedule's constant input from these names; the Lambda classifies what it receives
//! with [`parse`]. The ECS attributes on container instances are in
//! [`super::attributes`], the tags in [`super::tags`].
//!
//! Accepted invocations:
//! - the schedule's constant input, or a direct invocation: `{"fleetID": "sfr-..."}` or
//!   `{}` (then `SPOTCOVER_FLEET_ID` is used); other keys are ignored;
//! - an SNS-delivered CloudWatch alarm: `{"Records": [{"Sns": {"Message": "<alarm>"}}]}`
//!   whose `Trigger.Dimensions` name the `FleetRequestId`;
//! - EventBridge EC2 notices ([`SOURCE_EC2`]): [`DETAIL_INTERRUPTION_WARNING`]
//!   (`detail: {"instance-id", "instance-action"}`) and
//!   [`DETAIL_REBALANCE_RECOMMENDATION`] (`detail: {"instance-id"}`);
//! - the on-demand group's lifecycle hook ([`SOURCE_AUTOSCALING`],
//!   [`DETAIL_TERMINATE_LIFECYCLE_ACTION`]);
//! - Spot Fleet events ([`SOURCE_SPOT_FLEET`], any of [`SPOT_FLEET_DETAIL_TYPES`]);
//! - `engine: asg`'s failed launches ([`SOURCE_AUTOSCALING`],
//!   [`DETAIL_LAUNCH_UNSUCCESSFUL`]).
//!
//! Any other `detail-type` is read as a schedule (its `fleetID` key, if any). Anything
//! malformed is an [`EventError`], which never leads to an action.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::ids::{FLEET, INSTANCE, is_aws_id};
use crate::time::EpochSeconds;

/// The EventBridge notice being handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Notice {
    /// `EC2 Spot Instance Interruption Warning`: the instance goes in two minutes.
    InterruptionWarning,
    /// `EC2 Instance Rebalance Recommendation`: the instance is at elevated risk.
    RebalanceRecommendation,
}

/// `source` of EC2's instance notices.
pub const SOURCE_EC2: &str = "aws.ec2";
/// `source` of Auto Scaling's lifecycle events.
pub const SOURCE_AUTOSCALING: &str = "aws.autoscaling";
/// `source` of Spot Fleet's events (EC2 user guide, "Spot Fleet event types").
pub const SOURCE_SPOT_FLEET: &str = "aws.ec2spotfleet";

/// `detail-type` of a spot interruption warning.
pub const DETAIL_INTERRUPTION_WARNING: &str = "EC2 Spot Instance Interruption Warning";
/// `detail-type` of a rebalance recommendation.
pub const DETAIL_REBALANCE_RECOMMENDATION: &str = "EC2 Instance Rebalance Recommendation";
/// `detail-type` of the lifecycle hook's event.
pub const DETAIL_TERMINATE_LIFECYCLE_ACTION: &str = "EC2 Instance-terminate Lifecycle Action";
/// The lifecycle event's `detail` field naming the group (the rule filters on it).
pub const DETAIL_GROUP_NAME: &str = "AutoScalingGroupName";
/// `detail.LifecycleTransition` of a terminating instance, and the on-demand group's
/// lifecycle hook's `LifecycleTransition` in the template.
pub const TERMINATING_TRANSITION: &str = "autoscaling:EC2_INSTANCE_TERMINATING";
/// `detail-type` of Auto Scaling's event for a failed launch (EventBridge events
/// reference, "Amazon EC2 Auto Scaling events"), from [`SOURCE_AUTOSCALING`]: the
/// trigger of `engine: asg`'s fallback.
pub const DETAIL_LAUNCH_UNSUCCESSFUL: &str = "EC2 Instance Launch Unsuccessful";

/// The fleet cannot launch (`iamFleetRoleInvalid`, `allLaunchSpecsTemporarilyBlacklisted`:
/// "none of the configurations are valid, and several attempts to launch instances
/// have failed", `spotInstanceCountLimitExceeded`, `spotFleetRequestConfigurationInvalid`;
/// EC2 API reference, `EventInformation`).
pub const DETAIL_FLEET_ERROR: &str = "EC2 Spot Fleet Error";
/// About one launch specification (`launchSpecTemporarilyBlacklisted`,
/// `launchSpecUnusable`) or all of them (`fleetProgressHalted`: "the price in every
/// launch specification is not valid").
pub const DETAIL_FLEET_INFORMATION: &str = "EC2 Spot Fleet Information";
/// An instance `launched`, `terminated` or `termination_notified`.
pub const DETAIL_FLEET_INSTANCE_CHANGE: &str = "EC2 Spot Fleet Instance Change";

/// The five Spot Fleet event types (EC2 user guide, "Spot Fleet event types").
pub const SPOT_FLEET_DETAIL_TYPES: [&str; 5] = [
    "EC2 Spot Fleet State Change",
    "EC2 Spot Fleet Spot Instance Request Change",
    DETAIL_FLEET_INSTANCE_CHANGE,
    DETAIL_FLEET_INFORMATION,
    DETAIL_FLEET_ERROR,
];

/// The Spot Fleet event types the template routes to the reconciler (the `demand`
/// policy's rule), in that order. All are best effort: the scheduled run is the
/// backstop.
pub const ROUTED_FLEET_DETAIL_TYPES: [&str; 3] = [
    DETAIL_FLEET_ERROR,
    DETAIL_FLEET_INFORMATION,
    DETAIL_FLEET_INSTANCE_CHANGE,
];

/// Whether a fleet event of `detail_type` and `sub_type` says the fleet cannot launch at
/// all: every error event, and the information event that halts the fleet. One
/// unusable or blacklisted launch specification is not enough: a diversified fleet
/// launches from its other pools.
pub fn fleet_cannot_launch(detail_type: &str, sub_type: &str) -> bool {
    detail_type == DETAIL_FLEET_ERROR
        || (detail_type == DETAIL_FLEET_INFORMATION && sub_type == "fleetProgressHalted")
}

/// The schedule's input key naming the fleet.
pub const FLEET_ID_KEY: &str = "fleetID";
/// The schedule's constant input is this, the fleet id, then [`SCHEDULE_INPUT_SUFFIX`].
pub const SCHEDULE_INPUT_PREFIX: &str = "{\"fleetID\": \"";
/// See [`SCHEDULE_INPUT_PREFIX`].
pub const SCHEDULE_INPUT_SUFFIX: &str = "\"}";
/// The alarm dimension naming the fleet.
pub const FLEET_DIMENSION: &str = "FleetRequestId";

/// An EC2 notice about one instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceNotice {
    pub notice: Notice,
    /// `i-...`
    pub instance_id: String,
    /// `instance-action` of a warning (`terminate`, `stop`, `hibernate`), if given.
    pub instance_action: Option<String>,
}

/// An `EC2 Instance-terminate Lifecycle Action` event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LifecycleEvent {
    pub group: String,
    pub hook: String,
    pub instance_id: String,
    pub transition: String,
    /// `LifecycleActionToken` (not needed: actions are completed by instance id).
    pub token: Option<String>,
    /// The event's `time`: when the instance entered `Terminating:Wait`.
    pub time: Option<EpochSeconds>,
}

/// A Spot Fleet event (`aws.ec2spotfleet`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FleetEvent {
    pub detail_type: String,
    /// The fleet named in `resources` (`arn:...:spot-fleet-request/sfr-...`).
    pub fleet_id: Option<String>,
    /// `detail.sub-type`.
    pub sub_type: Option<String>,
}

/// Auto Scaling's event for a failed launch of `engine: asg`'s group
/// ([`DETAIL_LAUNCH_UNSUCCESSFUL`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaunchFailure {
    /// `detail.AutoScalingGroupName`.
    pub group: String,
}

/// What an invocation asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invocation {
    /// Reconcile the fleet (the event's fleet id, if it names one): the schedule.
    Reconcile { fleet_id: Option<String> },
    /// An interruption warning or rebalance recommendation.
    Instance(InstanceNotice),
    /// An instance the on-demand group's lifecycle hook holds.
    Lifecycle(LifecycleEvent),
    /// A Spot Fleet event.
    Fleet(FleetEvent),
    /// A failed launch of `engine: asg`'s group.
    LaunchFailure(LaunchFailure),
}

/// Why an event was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventError {
    Malformed(String),
}

impl std::fmt::Display for EventError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EventError::Malformed(s) => write!(f, "malformed event: {s}"),
        }
    }
}

impl std::error::Error for EventError {}

fn malformed(s: impl Into<String>) -> EventError {
    EventError::Malformed(s.into())
}

/// Classifies an event.
pub fn parse(event: &Value) -> Result<Invocation, EventError> {
    let detail_type = event.get("detail-type").and_then(Value::as_str);
    let source = event.get("source").and_then(Value::as_str);
    let notice = match detail_type {
        Some(DETAIL_INTERRUPTION_WARNING) => Notice::InterruptionWarning,
        Some(DETAIL_REBALANCE_RECOMMENDATION) => Notice::RebalanceRecommendation,
        Some(DETAIL_TERMINATE_LIFECYCLE_ACTION) => {
            return parse_lifecycle(event).map(Invocation::Lifecycle);
        }
        Some(DETAIL_LAUNCH_UNSUCCESSFUL) if source == Some(SOURCE_AUTOSCALING) => {
            return parse_launch_failure(event).map(Invocation::LaunchFailure);
        }
        Some(dt) if source == Some(SOURCE_SPOT_FLEET) && SPOT_FLEET_DETAIL_TYPES.contains(&dt) => {
            return parse_fleet_event(event, dt).map(Invocation::Fleet);
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
        Some(Value::String(id)) if is_aws_id(id, INSTANCE) => id.clone(),
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

/// Parses a failed launch's event: `detail.AutoScalingGroupName`, a non-empty string.
fn parse_launch_failure(event: &Value) -> Result<LaunchFailure, EventError> {
    match event.get("detail").and_then(|d| d.get(DETAIL_GROUP_NAME)) {
        Some(Value::String(group)) if !group.is_empty() => Ok(LaunchFailure {
            group: group.clone(),
        }),
        Some(other) => Err(malformed(format!(
            "detail.{DETAIL_GROUP_NAME} must be a group name, got {other}"
        ))),
        None => Err(malformed(format!(
            "launch failure event without detail.{DETAIL_GROUP_NAME}"
        ))),
    }
}

/// Parses the lifecycle hook's event: `detail` with `AutoScalingGroupName`,
/// `LifecycleHookName`, `EC2InstanceId` and `LifecycleTransition` (strings); `time`, when
/// it is an RFC 3339 UTC time, is kept.
pub fn parse_lifecycle(event: &Value) -> Result<LifecycleEvent, EventError> {
    let detail = event
        .get("detail")
        .and_then(Value::as_object)
        .ok_or_else(|| malformed("lifecycle action event without a detail object"))?;
    let field = |k: &str| match detail.get(k) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        Some(other) => Err(malformed(format!(
            "detail.{k} must be a string, got {other}"
        ))),
        None => Err(malformed(format!(
            "lifecycle action event without detail.{k}"
        ))),
    };
    let instance_id = field("EC2InstanceId")?;
    if !is_aws_id(&instance_id, INSTANCE) {
        return Err(malformed(format!(
            "detail.EC2InstanceId {instance_id:?} is not an EC2 instance id"
        )));
    }
    Ok(LifecycleEvent {
        group: field(DETAIL_GROUP_NAME)?,
        hook: field("LifecycleHookName")?,
        instance_id,
        transition: field("LifecycleTransition")?,
        token: field("LifecycleActionToken").ok(),
        time: event
            .get("time")
            .and_then(Value::as_str)
            .and_then(parse_utc),
    })
}

fn parse_fleet_event(event: &Value, detail_type: &str) -> Result<FleetEvent, EventError> {
    let resources = event
        .get("resources")
        .and_then(Value::as_array)
        .ok_or_else(|| malformed("Spot Fleet event without resources"))?;
    let fleet_id = resources
        .iter()
        .filter_map(Value::as_str)
        .find_map(|arn| arn.rsplit_once(":spot-fleet-request/").map(|(_, id)| id))
        .map(|id| {
            if is_aws_id(id, FLEET) {
                Ok(id.to_owned())
            } else {
                Err(malformed(format!("{id:?} is not a Spot Fleet request id")))
            }
        })
        .transpose()?;
    let sub_type = event
        .get("detail")
        .and_then(|d| d.get("sub-type"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    Ok(FleetEvent {
        detail_type: detail_type.to_owned(),
        fleet_id,
        sub_type,
    })
}

/// Seconds since the epoch of an RFC 3339 time in UTC (`2026-11-28T07:00:00Z`, with
/// optional fractional seconds), as EventBridge writes `time`.
pub fn parse_utc(s: &str) -> Option<EpochSeconds> {
    let s = s.strip_suffix('Z').or_else(|| s.strip_suffix("+00:00"))?;
    let (date, time) = s.split_once('T')?;
    let mut d = date.splitn(3, '-').map(str::parse::<i64>);
    let (y, m, day) = (d.next()?.ok()?, d.next()?.ok()?, d.next()?.ok()?);
    let time = time.split('.').next()?;
    let mut t = time.splitn(3, ':').map(str::parse::<i64>);
    let (hh, mm, ss) = (t.next()?.ok()?, t.next()?.ok()?, t.next()?.ok()?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&day) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss)
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
    if is_aws_id(id, FLEET) {
        Ok(id.to_owned())
    } else {
        Err(malformed(format!("{id:?} is not a Spot Fleet request id")))
    }
}

/// The fleet id a schedule input or an SNS alarm names, if any.
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
            .find(|d| d.name == FLEET_DIMENSION)
            .ok_or_else(|| malformed("alarm has no FleetRequestId dimension"))?;
        return checked(&dim.value).map(Some);
    }
    match obj.get(FLEET_ID_KEY) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => checked(s).map(Some),
        Some(other) => Err(malformed(format!("fleetID must be a string, got {other}"))),
    }
}

#[cfg(test)]
mod tests;
