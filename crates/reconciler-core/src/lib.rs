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

pub mod drain;

use serde::Serialize;

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

/// Which group bound changed the outcome, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Bound {
    Min,
    Max,
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
        match self.action {
            Action::None => group.desired,
            Action::SetDesired { desired, .. } => desired,
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
    let start = now.saturating_sub(i64::try_from(quiet).unwrap_or(i64::MAX));
    let in_window = target.iter().filter(|p| p.at >= start);
    let before = target.iter().filter(|p| p.at < start).max_by_key(|p| p.at);
    in_window.chain(before).any(|p| p.value != latest.value)
}

/// The latest (target, fulfilled) datapoints when the metrics can be trusted,
/// else the reason they cannot.
fn classify(
    policy: &Policy,
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
    policy: &Policy,
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
            if g.desired < g.min {
                d.bound = Some(Bound::Min);
                d.action = Action::SetDesired {
                    desired: g.min,
                    honor_cooldown: false,
                };
            } else if g.desired > g.max {
                d.bound = Some(Bound::Max);
                d.action = Action::SetDesired {
                    desired: g.max,
                    honor_cooldown: true,
                };
            }
            return d;
        }
    };

    let pending = (t.value - f.value).max(0.0);
    let instances = pending / f64::from(policy.on_demand_weight);
    let raw = (instances - instances * 1e-9).ceil().max(0.0);
    let (wanted, bound) = if raw > f64::from(g.max) {
        (g.max, Some(Bound::Max))
    } else if raw < f64::from(g.min) {
        (g.min, Some(Bound::Min))
    } else {
        // In [min, max], so it fits in u32 and is a whole number.
        (raw as u32, None)
    };
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

// ---------------------------------------------------------------------------
// Spot interruption warnings and rebalance recommendations.
// ---------------------------------------------------------------------------

/// Name of the ECS custom attribute the reconciler puts on a container
/// instance once it has covered it; its presence makes a repeated (or
/// retried) notice for the same instance a no-op.
pub const COVERED_ATTRIBUTE: &str = "spotcover.covered";

/// The EventBridge notice being handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Notice {
    /// `EC2 Spot Instance Interruption Warning`: the instance goes in two minutes.
    InterruptionWarning,
    /// `EC2 Instance Rebalance Recommendation`: the instance is at elevated risk.
    RebalanceRecommendation,
}

/// What is configured for interruption handling.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct InterruptionPolicy {
    /// Fleet capacity units per spot instance type (the fleet's weights).
    pub spot_weights: std::collections::BTreeMap<String, u32>,
    /// Act on rebalance recommendations too (default: only log them).
    pub drain_on_rebalance: bool,
}

impl InterruptionPolicy {
    /// True iff a notice of this kind is acted on (else nothing is looked up).
    pub fn acts_on(&self, notice: Notice) -> bool {
        match notice {
            Notice::InterruptionWarning => true,
            Notice::RebalanceRecommendation => self.drain_on_rebalance,
        }
    }
}

/// ECS status of a container instance, as far as the decision cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InstanceStatus {
    Active,
    Draining,
    /// `REGISTERING`, `DEREGISTERING`, `INACTIVE`, `REGISTRATION_FAILED`, ...
    Other,
}

impl InstanceStatus {
    /// From ECS's `status` string.
    pub fn parse(s: &str) -> Self {
        match s {
            "ACTIVE" => InstanceStatus::Active,
            "DRAINING" => InstanceStatus::Draining,
            _ => InstanceStatus::Other,
        }
    }
}

/// The container instance of the interrupted EC2 instance in this stack's cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContainerInstance {
    pub status: InstanceStatus,
    /// The `ecs.instance-type` attribute, when present.
    pub instance_type: Option<String>,
    /// The [`COVERED_ATTRIBUTE`] is present: this instance was covered before.
    pub covered: bool,
}

/// Where the interrupted instance's weight came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WeightSource {
    /// Its instance type's weight in [`InterruptionPolicy::spot_weights`].
    Fleet,
    /// Type unknown or not in the weights: the largest fleet weight (cover too
    /// much rather than too little).
    LargestFleetWeight,
    /// Type unknown and no fleet weights configured: one on-demand instance.
    OnDemandWeight,
}

/// Why: the machine-readable reason of an [`InterruptionDecision`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InterruptionReason {
    /// A rebalance recommendation while `drain_on_rebalance` is off.
    RebalanceIgnored,
    /// The EC2 instance has no container instance in this stack's cluster
    /// (another fleet's, or not ECS at all).
    NotThisCluster,
    /// The instance was already covered by an earlier notice.
    AlreadyCovered,
    /// The container instance is neither ACTIVE nor DRAINING (registering,
    /// deregistering, inactive): nothing to drain, nothing to cover.
    NotActive,
    /// No group state: drain only.
    GroupUnknown,
    /// The group's `min > max`: drain only.
    GroupBoundsInvalid,
    /// ACTIVE: drain it and cover its weight.
    DrainAndCover,
    /// Already DRAINING (the ECS agent's spot draining, or an operator) but not
    /// yet covered: cover its weight.
    CoverDraining,
}

/// The outcome of [`decide_interruption`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InterruptionDecision {
    pub reason: InterruptionReason,
    /// Call `UpdateContainerInstancesState` DRAINING.
    pub drain: bool,
    /// What to do to the on-demand group (never with the cooldown honoured).
    pub action: Action,
    /// Put the [`COVERED_ATTRIBUTE`] on the container instance (after the
    /// group call succeeded).
    pub mark_covered: bool,
    /// The interrupted instance's weight in fleet units, when covering.
    pub instance_weight: Option<u32>,
    pub weight_source: Option<WeightSource>,
    /// `ceil(instance_weight / on_demand_weight)`: on-demand instances to add.
    pub cover: Option<u32>,
    /// Set when a group bound limited the raise.
    pub bound: Option<Bound>,
}

impl InterruptionDecision {
    fn nothing(reason: InterruptionReason) -> Self {
        Self {
            reason,
            drain: false,
            action: Action::None,
            mark_covered: false,
            instance_weight: None,
            weight_source: None,
            cover: None,
            bound: None,
        }
    }

    /// The desired capacity the group has after this decision is applied.
    pub fn resulting_desired(&self, group: &GroupState) -> u32 {
        match self.action {
            Action::None => group.desired,
            Action::SetDesired { desired, .. } => desired,
        }
    }

    /// True iff the decision changes anything.
    pub fn acts(&self) -> bool {
        self.drain || self.mark_covered || self.action != Action::None
    }
}

/// The weight of an instance type, with its fallback (see [`WeightSource`]).
pub fn instance_weight(
    policy: &Policy,
    ip: &InterruptionPolicy,
    instance_type: Option<&str>,
) -> (u32, WeightSource) {
    if let Some(w) = instance_type.and_then(|t| ip.spot_weights.get(t)) {
        return (*w, WeightSource::Fleet);
    }
    match ip.spot_weights.values().copied().max() {
        Some(w) => (w, WeightSource::LargestFleetWeight),
        None => (policy.on_demand_weight, WeightSource::OnDemandWeight),
    }
}

/// Decides what to do about an interruption warning or rebalance
/// recommendation for one EC2 instance. Pure.
///
/// `instance` is the instance's container instance in this stack's cluster
/// (`None`: not in the cluster), `group` the on-demand group. The first rule
/// that applies wins:
///
/// 1. a rebalance recommendation while [`InterruptionPolicy::drain_on_rebalance`]
///    is off: nothing, [`InterruptionReason::RebalanceIgnored`];
/// 2. no container instance: nothing, [`InterruptionReason::NotThisCluster`];
/// 3. already covered ([`ContainerInstance::covered`]): nothing,
///    [`InterruptionReason::AlreadyCovered`] — a repeated or retried notice
///    changes nothing;
/// 4. status neither ACTIVE nor DRAINING: nothing, [`InterruptionReason::NotActive`];
/// 5. drain if ACTIVE; then, with no group or `min > max`, drain only
///    ([`InterruptionReason::GroupUnknown`], [`InterruptionReason::GroupBoundsInvalid`]);
/// 6. cover: the instance's weight `w` (its type's fleet weight; an unknown
///    type counts as the largest fleet weight, or as one on-demand instance
///    when no weights are configured), `n = ceil(w / W)` on-demand instances,
///    `desired' = desired + n` clamped to `[min, max]`. If `desired' > desired`:
///    `SetDesired { desired', honor_cooldown: false }` (at once, whatever the
///    fleet's PendingCapacity says); else no group call (already at max).
///    Mark the instance covered either way. Reason
///    [`InterruptionReason::DrainAndCover`] (ACTIVE) or
///    [`InterruptionReason::CoverDraining`] (already DRAINING, e.g. by the ECS
///    agent's own spot draining, which usually wins the race).
pub fn decide_interruption(
    policy: &Policy,
    ip: &InterruptionPolicy,
    notice: Notice,
    instance: Option<&ContainerInstance>,
    group: Option<&GroupState>,
) -> InterruptionDecision {
    use InterruptionReason as R;
    if !ip.acts_on(notice) {
        return InterruptionDecision::nothing(R::RebalanceIgnored);
    }
    let Some(ci) = instance else {
        return InterruptionDecision::nothing(R::NotThisCluster);
    };
    if ci.covered {
        return InterruptionDecision::nothing(R::AlreadyCovered);
    }
    let drain = match ci.status {
        InstanceStatus::Active => true,
        InstanceStatus::Draining => false,
        InstanceStatus::Other => return InterruptionDecision::nothing(R::NotActive),
    };
    let mut d = InterruptionDecision::nothing(if drain {
        R::DrainAndCover
    } else {
        R::CoverDraining
    });
    d.drain = drain;
    let g = match group {
        None => {
            d.reason = R::GroupUnknown;
            return d;
        }
        Some(g) if g.min > g.max => {
            d.reason = R::GroupBoundsInvalid;
            return d;
        }
        Some(g) => g,
    };
    let (w, source) = instance_weight(policy, ip, ci.instance_type.as_deref());
    let n = w.div_ceil(policy.on_demand_weight);
    let raised = g.desired.saturating_add(n);
    let (target, bound) = if raised > g.max {
        (g.max, Some(Bound::Max))
    } else if raised < g.min {
        (g.min, Some(Bound::Min))
    } else {
        (raised, None)
    };
    d.instance_weight = Some(w);
    d.weight_source = Some(source);
    d.cover = Some(n);
    d.bound = bound;
    d.mark_covered = true;
    if target > g.desired {
        d.action = Action::SetDesired {
            desired: target,
            honor_cooldown: false,
        };
    }
    d
}
