//! Pure decision logic of the spotcover reconciler.
//!
//! The reconciler Lambda keeps an on-demand Auto Scaling group ("the group") just
//! large enough to cover what spot capacity cannot deliver, gives it back when spot
//! returns, and never kills a running task. This crate holds every decision it makes,
//! as pure functions of (settings, observations, state, now): no I/O, no clock, no AWS
//! types.
//!
//! # Policies
//!
//! The template chooses one policy (`SPOTCOVER_POLICY`, [`contract::settings`]); each is
//! one module under [`policy`], named alike: `Settings`, `Observation`, `Decision`,
//! `Reason`, `State` (what survives between runs, kept in a tag of the group) and a
//! pure `decide`.
//!
//! - [`policy::demand`], the default: the fleet's target and the on-demand cover from
//!   what the cluster needs now, as the ECS API shows it.
//! - [`policy::rule_2017`], `policy: 2017`, kept for comparison: the cover follows the
//!   fleet's pending capacity in CloudWatch's `AWS/EC2Spot` metrics.
//! - [`policy::fallback`], for `engine: asg`: spot on an Auto Scaling group, and the
//!   group's on-demand base raised while spot fails.
//!
//! Decisions several policies share are modules of their own: [`interruption`] (a spot
//! interruption warning or rebalance recommendation), [`drain`] (scale-in: the lifecycle
//! hook and the fleet's surplus) and [`ecs`] (the one model of a container instance).
//!
//! # Contracts
//!
//! Everything the template and the Lambda must agree on (environment variables, event
//! sources and detail-types, schedule inputs, ECS attributes, tags, metrics, the teardown
//! custom resource's properties, id formats) is written once under [`contract`]; the
//! stack composes from it and the Lambda parses with it.
//!
//! The crate root keeps only the primitives every policy shares: [`EpochSeconds`],
//! [`GroupState`] (with its one clamp to the group's bounds), [`Action`], [`Bound`], and
//! the rounding and epoch helpers.

// No I/O here (ARCHITECTURE.md): printing, and the file-system, environment and process
// calls in clippy.toml, do not compile.
#![deny(
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::disallowed_methods,
    clippy::disallowed_types
)]

use serde::Serialize;

pub mod contract;
pub mod drain;
pub mod ecs;
pub mod interruption;
pub mod policy;

/// Seconds since the Unix epoch.
pub type EpochSeconds = i64;

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
