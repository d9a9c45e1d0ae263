//! Pure decision logic of the spotcover reconciler.
//!
//! The reconciler keeps an on-demand Auto Scaling group ("the group") large
//! enough to cover what an EC2 Spot Fleet ("the fleet") fails to fulfil. This
//! crate holds the one decision it makes, as a pure function with no I/O, no
//! clock and no AWS types:
//!
//! ```
//! use spotcover_reconciler_core::*;
//! let policy = Policy::new(4).unwrap(); // one on-demand instance = 4 fleet units
//! let now = 10_000;
//! let obs = Observation {
//!     target: vec![Datapoint::new(now - 60, 20.0)],
//!     fulfilled: vec![Datapoint::new(now - 60, 11.0)],
//! };
//! let group = GroupState { desired: 0, min: 0, max: 200 };
//! let d = decide(&policy, &obs, Some(&group), now);
//! // 9 units missing -> ceil(9 / 4) = 3 instances, scaling out ignores the cooldown.
//! assert_eq!(d.action, Action::SetDesired { desired: 3, honor_cooldown: false });
//! assert_eq!(d.reason, Reason::CoverShortfall);
//! ```
//!
//! # Semantics of [`decide`]
//!
//! Times are whole seconds since the Unix epoch. Write `Q` for
//! [`Policy::quiet_period_secs`], `S` for [`Policy::stale_after_secs`] and `W`
//! for [`Policy::on_demand_weight`]. The *latest* datapoint of a series is the
//! one with the greatest timestamp; the *age* of a datapoint is
//! `max(0, now - timestamp)` (a timestamp in the future, from clock skew, has
//! age 0). The checks run in this order and the first that applies wins:
//!
//! 1. **Group unknown** (`group` is `None`): no action, [`Reason::GroupUnknown`].
//! 2. **Group bounds invalid** (`min > max`): no action, [`Reason::GroupBoundsInvalid`].
//! 3. **Fleet data in doubt** — the decision then *keeps capacity* (see below):
//!    - both series empty: [`Reason::FleetMetricsMissing`];
//!    - exactly one series empty: [`Reason::FleetMetricsPartial`];
//!    - any datapoint not finite or negative: [`Reason::FleetMetricsInvalid`];
//!    - the latest TargetCapacity or the latest FulfilledCapacity datapoint is
//!      older than `S`: [`Reason::FleetMetricsStale`] (Spot Fleet metrics may
//!      arrive at 5-minute granularity, hence the default of 900 s);
//!    - the fleet target changed recently: [`Reason::FleetStillScaling`].
//!      The target is *quiet* iff every TargetCapacity datapoint whose
//!      timestamp is `>= now - Q`, **and** the most recent datapoint before
//!      `now - Q` (if any: it bounds when a change seen at the start of the
//!      window could have happened), equals the latest TargetCapacity value.
//!      While the fleet is still scaling its pending capacity is expected and
//!      says nothing about the Spot market.
//! 4. **Normal case**: `pending = max(0, target - fulfilled)` in fleet units
//!    (latest datapoints), `wanted = ceil(pending / W)` clamped to
//!    `[min, max]` (a relative tolerance of 1e-9 absorbs float noise, so
//!    8.000000001 units at weight 4 is 2 instances, not 3). Then:
//!    - `wanted == desired`: no action, [`Reason::Steady`];
//!    - `wanted > desired`: `SetDesired { wanted, honor_cooldown: false }`,
//!      [`Reason::CoverShortfall`] — cover the shortfall now;
//!    - `wanted < desired`: `SetDesired { wanted, honor_cooldown: true }`,
//!      [`Reason::ReleaseCover`] — the group's (long) cooldown lets paid-for
//!      instances live on; Auto Scaling refuses the call inside the cooldown
//!      and the next run retries.
//!
//! ## Keeping capacity when in doubt, and the group bounds
//!
//! Data in doubt (case 3) never lowers capacity *because of the metrics*:
//! the current desired capacity is kept. The group's own bounds are still
//! enforced, because the core must not rely on Auto Scaling (or an emulator)
//! to do it: a desired capacity below `min` is raised to `min`
//! (`honor_cooldown: false`), and one above `max` is lowered to `max`
//! (`honor_cooldown: true`). The latter is not a metric-driven scale-in: real
//! Auto Scaling never holds `desired > max`, the operator's bound forbids that
//! capacity whatever the fleet does. In the normal case the clamp of `wanted`
//! to `[min, max]` does the same. Thus, in every case where the group is known
//! and its bounds are valid, the resulting desired capacity lies in
//! `[min, max]`, and deciding again after applying a decision gives no action.
//!
//! # Interruption notices: [`decide_interruption`]
//!
//! A spot interruption warning (or a rebalance recommendation, when
//! [`InterruptionPolicy::drain_on_rebalance`] is set) for an instance of the
//! stack's cluster: drain its container instance and add
//! `ceil(instance weight / W)` on-demand instances at once (clamped to the
//! group's max), then mark it covered so a repeated notice does nothing. An
//! instance type missing from the fleet's weights counts as the largest fleet
//! weight. See [`decide_interruption`] for the rules.

// No I/O here (ARCHITECTURE.md): printing, and the file-system, environment and process
// calls in clippy.toml, do not compile.
#![deny(
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::disallowed_methods,
    clippy::disallowed_types
)]

use serde::Serialize;

pub mod custom_resource;
pub mod demand;
pub mod drain;
pub mod ecs;
pub mod events;
pub mod fallback;
mod interruption;
pub mod launch_failure;
pub mod metrics;
pub mod need;
pub mod settings;
mod shortfall;

pub use ecs::{CapacityKind, ContainerInstance, CoverMark, InstanceStatus, Resources, SurplusMark};
pub use interruption::*;
pub use shortfall::*;

/// Seconds since the Unix epoch.
pub type EpochSeconds = i64;

/// Default quiet period: a fleet target change within the last 10 minutes
/// blocks any action.
pub const DEFAULT_QUIET_PERIOD_SECS: u64 = 600;
/// Default staleness bound: metrics older than 15 minutes are in doubt.
pub const DEFAULT_STALE_AFTER_SECS: u64 = 900;

/// Tunables of the decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Policy {
    /// Fleet capacity units one on-demand instance stands for (>= 1).
    pub on_demand_weight: u32,
    /// A TargetCapacity change within this many seconds blocks any action.
    pub quiet_period_secs: u64,
    /// A latest datapoint older than this many seconds is stale.
    pub stale_after_secs: u64,
}

/// A policy that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidPolicy(pub &'static str);

impl std::fmt::Display for InvalidPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for InvalidPolicy {}

impl Policy {
    /// A policy with the default quiet period and staleness bound.
    pub fn new(on_demand_weight: u32) -> Result<Self, InvalidPolicy> {
        Self::with(
            on_demand_weight,
            DEFAULT_QUIET_PERIOD_SECS,
            DEFAULT_STALE_AFTER_SECS,
        )
    }

    /// A policy with every field given; the weight must be at least 1.
    pub fn with(
        on_demand_weight: u32,
        quiet_period_secs: u64,
        stale_after_secs: u64,
    ) -> Result<Self, InvalidPolicy> {
        if on_demand_weight == 0 {
            return Err(InvalidPolicy("on-demand weight must be at least 1"));
        }
        Ok(Self {
            on_demand_weight,
            quiet_period_secs,
            stale_after_secs,
        })
    }
}

/// The on-demand group as Auto Scaling describes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct GroupState {
    pub desired: u32,
    pub min: u32,
    pub max: u32,
}

/// What to do to the group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    /// Leave the group alone.
    None,
    /// Call `SetDesiredCapacity`.
    SetDesired { desired: u32, honor_cooldown: bool },
}

/// Which group bound changed the outcome, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Bound {
    Min,
    Max,
}

impl Action {
    /// The desired capacity the group has after this action is applied.
    pub fn resulting_desired(&self, group: &GroupState) -> u32 {
        match *self {
            Action::None => group.desired,
            Action::SetDesired { desired, .. } => desired,
        }
    }
}

/// `at` moved back by `secs`, saturating: the one conversion of a duration into an
/// epoch offset, shared by the decisions and the metrics window.
pub(crate) fn seconds_before(at: EpochSeconds, secs: u64) -> EpochSeconds {
    at.saturating_sub(i64::try_from(secs).unwrap_or(i64::MAX))
}

/// `at` moved forward by `secs`, saturating.
pub(crate) fn seconds_after(at: EpochSeconds, secs: u64) -> EpochSeconds {
    at.saturating_add(i64::try_from(secs).unwrap_or(i64::MAX))
}

/// Relative tolerance when fleet units are rounded to whole numbers: float noise such
/// as 8.000000001 units at weight 4 is 2 instances, not 3.
const ROUNDING_TOLERANCE: f64 = 1e-9;

/// `x` rounded up to a whole number, within [`ROUNDING_TOLERANCE`].
pub(crate) fn round_up(x: f64) -> f64 {
    (x - x.abs() * ROUNDING_TOLERANCE).ceil()
}

/// `x` rounded down to a whole number, within [`ROUNDING_TOLERANCE`] (2.999999999
/// units are 3).
pub(crate) fn round_down(x: f64) -> f64 {
    (x + x.abs() * ROUNDING_TOLERANCE).floor()
}

impl GroupState {
    /// `wanted` (a whole number of instances, `>= 0`) brought into `[min, max]`, with
    /// the bound that applied. The one clamp both decisions use.
    pub(crate) fn clamp(&self, wanted: f64) -> (u32, Option<Bound>) {
        if wanted > f64::from(self.max) {
            (self.max, Some(Bound::Max))
        } else if wanted < f64::from(self.min) {
            (self.min, Some(Bound::Min))
        } else {
            // In [min, max], so it fits in u32 and is a whole number.
            (wanted as u32, None)
        }
    }
}
