//! The interruption decision: [`decide_interruption`] for a spot interruption warning or
//! a rebalance recommendation, shared by the fleet engine's policies.
//!
//! A spot interruption warning (or a rebalance recommendation, when
//! [`InterruptionPolicy::drain_on_rebalance`] is set) for an instance of the
//! stack's cluster: drain its container instance and add
//! `ceil(instance weight / W)` on-demand instances at once (clamped to the
//! group's max), then mark it covered so a repeated notice does nothing. An
//! instance type missing from the fleet's weights counts as the largest fleet
//! weight. See [`decide_interruption`] for the rules.

use serde::Serialize;

use crate::contract::events::Notice;
use crate::ecs::{ContainerInstance, InstanceStatus};
use crate::policy::rule_2017::Settings as Rule2017Settings;
use crate::{group::Action, group::Bound, group::GroupState};

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
    /// Put the [`COVERED`](crate::contract::attributes::COVERED) attribute on the container instance (after the
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
        self.action.resulting_desired(group)
    }

    /// True iff the decision changes anything.
    pub fn acts(&self) -> bool {
        self.drain || self.mark_covered || self.action != Action::None
    }
}

/// The weight of an instance type, with its fallback (see [`WeightSource`]).
pub fn instance_weight(
    policy: &Rule2017Settings,
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
/// 3. already covered ([`ContainerInstance::cover`]): nothing,
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
    policy: &Rule2017Settings,
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
    if ci.cover.is_covered() {
        return InterruptionDecision::nothing(R::AlreadyCovered);
    }
    let drain = match ci.status {
        InstanceStatus::Active => true,
        InstanceStatus::Draining => false,
        _ => return InterruptionDecision::nothing(R::NotActive),
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
    let (target, bound) = g.clamp(f64::from(raised));
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

/// The group as the interruption decision should see it when a claim was found: desired
/// = the claim's base (the desired capacity before the cover), so every handler of the
/// same notice sets the same absolute capacity.
pub fn claim_base_group(g: &GroupState, claim: Option<u32>) -> GroupState {
    GroupState {
        desired: claim.unwrap_or(g.desired),
        ..*g
    }
}

/// Never lower the group from a notice: a raise to at most what it already has is no
/// call at all.
pub fn raise_only(action: Action, current: u32) -> Action {
    match action {
        Action::SetDesired { desired, .. } if desired <= current => Action::None,
        a => a,
    }
}

/// What the scheduled run does about a cover a notice claimed (`spotcover.covered =
/// claim-<base>`) and never confirmed (its raise or its final mark failed on every
/// delivery): the decision the notice's handler would make from the claim's base (drain
/// if still ACTIVE, desired `base + n` clamped, the final mark), never lowering the
/// group below `group.desired`. Every handler of the claim sets the same absolute
/// capacity, so finishing it twice, or racing a late delivery, covers once.
pub fn finish_claimed_cover(
    policy: &Rule2017Settings,
    ip: &InterruptionPolicy,
    instance: &ContainerInstance,
    base: u32,
    group: &GroupState,
) -> InterruptionDecision {
    let unclaimed = ContainerInstance {
        cover: crate::ecs::CoverMark::None,
        ..instance.clone()
    };
    let mut d = decide_interruption(
        policy,
        ip,
        Notice::InterruptionWarning,
        Some(&unclaimed),
        Some(&claim_base_group(group, Some(base))),
    );
    d.action = raise_only(d.action, group.desired);
    d
}
