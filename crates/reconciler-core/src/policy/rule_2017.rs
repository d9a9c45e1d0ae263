//! The `2017` rule: the on-demand cover follows the Spot Fleet's pending capacity
//! (`TargetCapacity - FulfilledCapacity` in CloudWatch's `AWS/EC2Spot` metrics), the rule
//! spotcover started with, selectable with `policy: 2017` and kept for comparison.
//!
//! [`decide`] is a pure function of ([`Settings`], [`Observation`], the group, now) ->
//! [`Decision`] with a [`Reason`]. **State:** none; the rule keeps nothing between runs
//! (the group's cooldown holds a release), so it has no `State` type and no tag.
//!
//! ```
//! use spotcover_reconciler_core::policy::rule_2017::{decide, Datapoint, Observation, Reason, Settings};
//! use spotcover_reconciler_core::{Action, GroupState};
//! let settings = Settings::new(4).unwrap(); // one on-demand instance = 4 fleet units
//! let now = 10_000;
//! let obs = Observation {
//!     target: vec![Datapoint::new(now - 60, 20.0)],
//!     fulfilled: vec![Datapoint::new(now - 60, 11.0)],
//! };
//! let group = GroupState { desired: 0, min: 0, max: 200 };
//! let d = decide(&settings, &obs, Some(&group), now);
//! // 9 units missing -> ceil(9 / 4) = 3 instances, scaling out ignores the cooldown.
//! assert_eq!(d.action, Action::SetDesired { desired: 3, honor_cooldown: false });
//! assert_eq!(d.reason, Reason::CoverShortfall);
//! ```
//!
//! # Semantics of [`decide`]
//!
//! Times are whole seconds since the Unix epoch. Write `Q` for
//! [`Settings::quiet_period_secs`], `S` for [`Settings::stale_after_secs`] and `W`
//! for [`Settings::on_demand_weight`]. The *latest* datapoint of a series is the
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

use serde::Serialize;

use crate::{
    group::Action, group::Bound, group::GroupState, group::round_up, time::EpochSeconds,
    time::seconds_before,
};

/// Default quiet period: a fleet target change within the last 10 minutes
/// blocks any action.
pub const DEFAULT_QUIET_PERIOD_SECS: u64 = 600;
/// Default staleness bound: metrics older than 15 minutes are in doubt.
pub const DEFAULT_STALE_AFTER_SECS: u64 = 900;

/// Tunables of the 2017 rule (from the template's settings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Settings {
    /// Fleet capacity units one on-demand instance stands for (>= 1).
    pub on_demand_weight: u32,
    /// A TargetCapacity change within this many seconds blocks any action.
    pub quiet_period_secs: u64,
    /// A latest datapoint older than this many seconds is stale.
    pub stale_after_secs: u64,
}

/// Settings that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidSettings(pub &'static str);

impl std::fmt::Display for InvalidSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for InvalidSettings {}

impl Settings {
    /// Settings with the default quiet period and staleness bound.
    pub fn new(on_demand_weight: u32) -> Result<Self, InvalidSettings> {
        Self::with(
            on_demand_weight,
            DEFAULT_QUIET_PERIOD_SECS,
            DEFAULT_STALE_AFTER_SECS,
        )
    }

    /// Settings with every field given; the weight must be at least 1.
    pub fn with(
        on_demand_weight: u32,
        quiet_period_secs: u64,
        stale_after_secs: u64,
    ) -> Result<Self, InvalidSettings> {
        if on_demand_weight == 0 {
            return Err(InvalidSettings("on-demand weight must be at least 1"));
        }
        Ok(Self {
            on_demand_weight,
            quiet_period_secs,
            stale_after_secs,
        })
    }
}

/// One CloudWatch datapoint.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Datapoint {
    /// Start of the datapoint's period, seconds since the epoch.
    pub at: EpochSeconds,
    pub value: f64,
}

impl Datapoint {
    pub fn new(at: EpochSeconds, value: f64) -> Self {
        Self { at, value }
    }
}

/// The fleet's CloudWatch metrics over a window ending at `now`, in any order.
///
/// The window should reach back at least `max(Q, S)` plus one metric period,
/// so that the datapoint just before the quiet period is seen.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Observation {
    /// `AWS/EC2Spot` `TargetCapacity` datapoints.
    pub target: Vec<Datapoint>,
    /// `AWS/EC2Spot` `FulfilledCapacity` datapoints.
    pub fulfilled: Vec<Datapoint>,
}

/// Why: the machine-readable reason of a [`Decision`] (snake_case in JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// No group state: nothing to act on.
    GroupUnknown,
    /// The group's `min > max`.
    GroupBoundsInvalid,
    /// No fleet datapoint at all.
    FleetMetricsMissing,
    /// TargetCapacity without FulfilledCapacity or the other way round.
    FleetMetricsPartial,
    /// A datapoint is NaN, infinite or negative.
    FleetMetricsInvalid,
    /// The latest datapoint of a series is older than the staleness bound.
    FleetMetricsStale,
    /// The fleet target changed within the quiet period.
    FleetStillScaling,
    /// The group already has the wanted capacity.
    Steady,
    /// Scale out to cover the fleet's shortfall.
    CoverShortfall,
    /// Scale in: the fleet needs less cover (honouring the cooldown).
    ReleaseCover,
}

impl Reason {
    /// True for the reasons under which the metrics are not trusted.
    pub fn in_doubt(self) -> bool {
        matches!(
            self,
            Reason::FleetMetricsMissing
                | Reason::FleetMetricsPartial
                | Reason::FleetMetricsInvalid
                | Reason::FleetMetricsStale
                | Reason::FleetStillScaling
        )
    }
}

/// The outcome of [`decide`], with what it was computed from (for the log).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    pub action: Action,
    pub reason: Reason,
    /// Latest TargetCapacity, when there is one.
    pub target: Option<f64>,
    /// Latest FulfilledCapacity, when there is one.
    pub fulfilled: Option<f64>,
    /// `max(0, target - fulfilled)`, in the normal case only.
    pub pending: Option<f64>,
    /// On-demand instances wanted after clamping, in the normal case only.
    pub wanted: Option<u32>,
    /// Set when a group bound decided the desired capacity.
    pub bound: Option<Bound>,
}

impl Decision {
    /// The desired capacity the group has after this decision is applied.
    pub fn resulting_desired(&self, group: &GroupState) -> u32 {
        self.action.resulting_desired(group)
    }

    /// The latest `(target, fulfilled)` when the decision trusted the fleet metrics (the
    /// group known with valid bounds, and no doubt): what the fleet's surplus is
    /// computed from ([`plan_surplus`](crate::drain::plan_surplus)).
    pub fn trusted_fleet(&self) -> Option<(f64, f64)> {
        let trusted = !self.reason.in_doubt()
            && !matches!(
                self.reason,
                Reason::GroupUnknown | Reason::GroupBoundsInvalid
            );
        match (trusted, self.target, self.fulfilled) {
            (true, Some(t), Some(f)) => Some((t, f)),
            _ => None,
        }
    }
}

fn latest(series: &[Datapoint]) -> Option<Datapoint> {
    series.iter().copied().max_by_key(|p| p.at)
}

fn age(p: Datapoint, now: EpochSeconds) -> u64 {
    u64::try_from(now.saturating_sub(p.at)).unwrap_or(0)
}

fn valid(series: &[Datapoint]) -> bool {
    series.iter().all(|p| p.value.is_finite() && p.value >= 0.0)
}

/// True iff the TargetCapacity series changed within the quiet period
/// (see the crate docs for the exact rule).
fn still_scaling(target: &[Datapoint], latest: Datapoint, quiet: u64, now: EpochSeconds) -> bool {
    let start = seconds_before(now, quiet);
    let in_window = target.iter().filter(|p| p.at >= start);
    let before = target.iter().filter(|p| p.at < start).max_by_key(|p| p.at);
    in_window.chain(before).any(|p| p.value != latest.value)
}

/// The latest (target, fulfilled) datapoints when the metrics can be trusted,
/// else the reason they cannot.
fn classify(
    policy: &Settings,
    obs: &Observation,
    t: Option<Datapoint>,
    f: Option<Datapoint>,
    now: EpochSeconds,
) -> Result<(Datapoint, Datapoint), Reason> {
    let (t, f) = match (t, f) {
        (None, None) => return Err(Reason::FleetMetricsMissing),
        (Some(t), Some(f)) => (t, f),
        _ => return Err(Reason::FleetMetricsPartial),
    };
    if !valid(&obs.target) || !valid(&obs.fulfilled) {
        return Err(Reason::FleetMetricsInvalid);
    }
    if age(t, now) > policy.stale_after_secs || age(f, now) > policy.stale_after_secs {
        return Err(Reason::FleetMetricsStale);
    }
    if still_scaling(&obs.target, t, policy.quiet_period_secs, now) {
        return Err(Reason::FleetStillScaling);
    }
    Ok((t, f))
}

/// Decides what to do to the on-demand group. Pure; see the crate docs for
/// the complete semantics.
pub fn decide(
    policy: &Settings,
    obs: &Observation,
    group: Option<&GroupState>,
    now: EpochSeconds,
) -> Decision {
    let t = latest(&obs.target);
    let f = latest(&obs.fulfilled);
    let mut d = Decision {
        action: Action::None,
        reason: Reason::Steady,
        target: t.map(|p| p.value),
        fulfilled: f.map(|p| p.value),
        pending: None,
        wanted: None,
        bound: None,
    };
    let Some(g) = group else {
        d.reason = Reason::GroupUnknown;
        return d;
    };
    if g.min > g.max {
        d.reason = Reason::GroupBoundsInvalid;
        return d;
    }

    let (t, f) = match classify(policy, obs, t, f, now) {
        Ok(tf) => tf,
        Err(reason) => {
            d.reason = reason;
            // Keep capacity; only bring it inside the group's own bounds.
            let (desired, bound) = g.clamp(f64::from(g.desired));
            if let Some(b) = bound {
                d.bound = bound;
                d.action = Action::SetDesired {
                    desired,
                    // Lowering to max is the operator's bound, not a scale-in for the
                    // metrics; it still honours the cooldown.
                    honor_cooldown: b == Bound::Max,
                };
            }
            return d;
        }
    };

    let pending = (t.value - f.value).max(0.0);
    let instances = pending / f64::from(policy.on_demand_weight);
    let raw = round_up(instances).max(0.0);
    let (wanted, bound) = g.clamp(raw);
    d.pending = Some(pending);
    d.wanted = Some(wanted);
    d.bound = bound;
    if wanted == g.desired {
        d.reason = Reason::Steady;
    } else if wanted > g.desired {
        d.reason = Reason::CoverShortfall;
        d.action = Action::SetDesired {
            desired: wanted,
            honor_cooldown: false,
        };
    } else {
        d.reason = Reason::ReleaseCover;
        d.action = Action::SetDesired {
            desired: wanted,
            honor_cooldown: true,
        };
    }
    d
}
