//! The one model of an ECS container instance, as `DescribeContainerInstances` answers it
//! and as every decision reads it: the interruption cover, the lifecycle hook's drain, the
//! fleet surplus, and the demand/supply policy (registered and remaining resources).
//!
//! The marks the reconciler keeps on an instance are ECS custom attributes (names in
//! [`crate::contract::attributes`]); they are read into typed fields here by
//! [`ContainerInstance::set_attribute`], the one place that knows their value formats.

use serde::Serialize;

use crate::contract::attributes;
use crate::time::EpochSeconds;

/// ECS status of a container instance (`DescribeContainerInstances` `status`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum InstanceStatus {
    #[default]
    Active,
    Draining,
    Registering,
    Deregistering,
    Inactive,
    /// Any other value (`REGISTRATION_FAILED`, a status ECS adds later).
    Other,
}

impl InstanceStatus {
    /// From ECS's `status` string.
    pub fn parse(s: &str) -> Self {
        match s {
            "ACTIVE" => InstanceStatus::Active,
            "DRAINING" => InstanceStatus::Draining,
            "REGISTERING" => InstanceStatus::Registering,
            "DEREGISTERING" => InstanceStatus::Deregistering,
            "INACTIVE" => InstanceStatus::Inactive,
            _ => InstanceStatus::Other,
        }
    }
}

/// Which side of the stack an instance is on: the [`attributes::CAPACITY`] attribute its
/// user data sets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CapacityKind {
    /// [`attributes::CAPACITY_SPOT`]: the fleet's.
    Spot,
    /// [`attributes::CAPACITY_ON_DEMAND`]: the on-demand group's.
    OnDemand,
    /// No attribute, or another value: never drained or terminated as the stack's own.
    #[default]
    Unknown,
}

impl CapacityKind {
    /// From the attribute's value.
    pub fn parse(value: Option<&str>) -> Self {
        match value {
            Some(attributes::CAPACITY_SPOT) => CapacityKind::Spot,
            Some(attributes::CAPACITY_ON_DEMAND) => CapacityKind::OnDemand,
            _ => CapacityKind::Unknown,
        }
    }
}

/// CPU units and memory (MiB), as ECS's `registeredResources` / `remainingResources`
/// (`CPU` and `MEMORY`, type `INTEGER`) give them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
pub struct Resources {
    /// `CPU`: 1,024 units per vCPU.
    pub cpu_units: u32,
    /// `MEMORY`, MiB.
    pub memory_mib: u32,
}

/// The [`attributes::COVERED`] attribute: how far the cover of an interruption notice got.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum CoverMark {
    /// No attribute: not covered.
    #[default]
    None,
    /// The claim (`claim-<base>`): a handler covers from the group's desired capacity
    /// `base`, and has not confirmed the cover yet.
    Claimed { base: u32 },
    /// The final mark (any other value, written as the epoch second): covered.
    Covered,
}

/// Prefix of a claim's value.
pub const CLAIM_PREFIX: &str = "claim-";

impl CoverMark {
    /// From the attribute's value.
    pub fn parse(value: Option<&str>) -> Self {
        match value {
            None => CoverMark::None,
            Some(v) => match v.strip_prefix(CLAIM_PREFIX).map(str::parse::<u32>) {
                Some(Ok(base)) => CoverMark::Claimed { base },
                _ => CoverMark::Covered,
            },
        }
    }

    /// The claim's value for a cover from `base`.
    pub fn claim_value(base: u32) -> String {
        format!("{CLAIM_PREFIX}{base}")
    }

    /// The final mark's value.
    pub fn covered_value(now: EpochSeconds) -> String {
        now.to_string()
    }

    /// True iff the cover is complete.
    pub fn is_covered(self) -> bool {
        self == CoverMark::Covered
    }

    /// The claim's base, if claimed.
    pub fn claim(self) -> Option<u32> {
        match self {
            CoverMark::Claimed { base } => Some(base),
            _ => None,
        }
    }
}

/// The [`attributes::SURPLUS`] attribute: drained as fleet surplus since `at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct SurplusMark {
    /// When the mark was put; an unreadable value counts as long ago.
    pub at: EpochSeconds,
    /// Put on an instance found DRAINING without any mark (`adopted-<epoch>`), rather
    /// than on one the reconciler picked (`<epoch>`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub adopted: bool,
}

/// Prefix of an adopted surplus mark's value.
pub const ADOPTED_PREFIX: &str = "adopted-";

impl SurplusMark {
    pub fn parse(value: &str) -> Self {
        let v = value.trim();
        let (adopted, at) = match v.strip_prefix(ADOPTED_PREFIX) {
            Some(rest) => (true, rest),
            None => (false, v),
        };
        Self {
            at: at.parse().unwrap_or(EpochSeconds::MIN),
            adopted,
        }
    }

    /// The mark of an instance picked as surplus at `now`.
    pub fn value(now: EpochSeconds) -> String {
        now.to_string()
    }

    /// The mark of an instance adopted at `now`.
    pub fn adopted_value(now: EpochSeconds) -> String {
        format!("{ADOPTED_PREFIX}{now}")
    }
}

/// One container instance of the stack's cluster.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ContainerInstance {
    /// `containerInstanceArn`.
    pub arn: String,
    /// `ec2InstanceId`.
    pub ec2_instance_id: Option<String>,
    pub status: InstanceStatus,
    /// The `ecs.instance-type` attribute.
    pub instance_type: Option<String>,
    /// The [`attributes::CAPACITY`] attribute.
    pub capacity: CapacityKind,
    /// `registeredResources`: what the instance offers tasks.
    pub registered: Resources,
    /// `remainingResources`: what is not reserved by its tasks.
    pub remaining: Resources,
    /// `runningTasksCount`.
    pub running_tasks: u32,
    /// `pendingTasksCount`.
    pub pending_tasks: u32,
    /// The covered mark or the claim mark ([`attributes::COVERED`]).
    pub cover: CoverMark,
    /// The lifecycle hook's deadline ([`attributes::HOOK_DEADLINE`]); an unreadable value
    /// counts as already passed (the hook would not wait longer either).
    pub hook_deadline: Option<EpochSeconds>,
    /// Drained as fleet surplus ([`attributes::SURPLUS`]).
    pub surplus_mark: Option<SurplusMark>,
    /// `registeredAt`, seconds since the epoch.
    pub registered_at: Option<EpochSeconds>,
}

impl ContainerInstance {
    /// An instance with only its ARN and EC2 id known (ACTIVE, nothing else).
    pub fn new(arn: impl Into<String>, ec2_instance_id: Option<String>) -> Self {
        Self {
            arn: arn.into(),
            ec2_instance_id,
            ..Self::default()
        }
    }

    /// Running plus pending tasks: an instance is empty only when both are 0.
    pub fn tasks(&self) -> u32 {
        self.running_tasks.saturating_add(self.pending_tasks)
    }

    /// True iff the capacity attribute says spot.
    pub fn is_spot(&self) -> bool {
        self.capacity == CapacityKind::Spot
    }

    /// Reads (`Some`) or removes (`None`) one attribute into the typed fields. Attributes
    /// the reconciler does not read are ignored.
    pub fn set_attribute(&mut self, name: &str, value: Option<&str>) {
        match name {
            attributes::INSTANCE_TYPE => self.instance_type = value.map(str::to_owned),
            attributes::CAPACITY => self.capacity = CapacityKind::parse(value),
            attributes::COVERED => self.cover = CoverMark::parse(value),
            attributes::HOOK_DEADLINE => {
                self.hook_deadline = value.map(|v| v.trim().parse().unwrap_or(EpochSeconds::MIN));
            }
            attributes::SURPLUS => self.surplus_mark = value.map(SurplusMark::parse),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_round_trip_and_are_not_covered() {
        let claim = CoverMark::claim_value(7);
        assert_eq!(
            CoverMark::parse(Some(&claim)),
            CoverMark::Claimed { base: 7 }
        );
        assert_eq!(CoverMark::parse(Some("1800000000")), CoverMark::Covered);
        assert!(!CoverMark::parse(Some("claim-3")).is_covered());
        assert!(!CoverMark::parse(None).is_covered());
    }

    #[test]
    fn attributes_are_read_into_the_typed_fields_and_removed() {
        let mut ci = ContainerInstance::new("arn", None);
        ci.set_attribute(attributes::CAPACITY, Some("spot"));
        ci.set_attribute(attributes::HOOK_DEADLINE, Some("x"));
        ci.set_attribute(attributes::INSTANCE_TYPE, Some("m6i.large"));
        assert!(ci.is_spot());
        assert_eq!(ci.hook_deadline, Some(EpochSeconds::MIN));
        assert_eq!(ci.instance_type.as_deref(), Some("m6i.large"));
        ci.set_attribute(attributes::HOOK_DEADLINE, None);
        ci.set_attribute(attributes::CAPACITY, Some("reserved"));
        assert_eq!(ci.hook_deadline, None);
        assert_eq!(ci.capacity, CapacityKind::Unknown);
    }

    #[test]
    fn every_ecs_status_is_told_apart() {
        for (s, want) in [
            ("ACTIVE", InstanceStatus::Active),
            ("DRAINING", InstanceStatus::Draining),
            ("REGISTERING", InstanceStatus::Registering),
            ("DEREGISTERING", InstanceStatus::Deregistering),
            ("INACTIVE", InstanceStatus::Inactive),
            ("REGISTRATION_FAILED", InstanceStatus::Other),
        ] {
            assert_eq!(InstanceStatus::parse(s), want, "{s}");
        }
    }
}
