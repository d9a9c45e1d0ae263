//! The shortfall decision: [`decide`] over the fleet's metrics and the group (see the
//! crate docs for its semantics).

use serde::Serialize;

use crate::{Action, Bound, EpochSeconds, GroupState, Policy, round_up, seconds_before};

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
