//! Scale-in without killing tasks: the pure decisions.
//!
//! Two paths take instances away from the stack's ECS cluster, and both drain
//! first:
//!
//! - **The on-demand group** (the reconciler lowering it, Auto Scaling's AZ
//!   rebalancing, an operator): an `autoscaling:EC2_INSTANCE_TERMINATING`
//!   lifecycle hook holds the instance in `Terminating:Wait`. The reconciler
//!   sets its container instance DRAINING, records the hook's deadline in the
//!   [`crate::contract::attributes::HOOK_DEADLINE`], and completes the lifecycle action
//!   (`CONTINUE`) when the instance runs no task any more, or shortly before the
//!   hook would time out, whichever comes first ([`hook_step`]).
//! - **The fleet** (its target lowered by Application Auto Scaling): the fleet's
//!   `ExcessCapacityTerminationPolicy` is `NoTermination`, so its surplus stays
//!   running; the reconciler drains surplus spot instances, marks them with the
//!   [`crate::contract::attributes::SURPLUS`], and terminates a marked instance only once it is
//!   DRAINING with no task ([`plan_surplus`]). When the surplus disappears
//!   before that (the target rose), marked instances go back to ACTIVE.
//!
//! Everything here is a function of what ECS and the fleet metrics say now,
//! so two runs that overlap decide the same, and every step is safe to repeat.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::ecs::{ContainerInstance, CoverMark, InstanceStatus};
use crate::{group::round_down, time::EpochSeconds, time::seconds_after, time::seconds_before};

/// Default heartbeat timeout of the lifecycle hook, seconds (Auto Scaling's
/// own default is 3600; the template's is 900).
pub const DEFAULT_HOOK_TIMEOUT_SECS: u64 = 900;
/// Smallest and largest heartbeat timeout Auto Scaling accepts, seconds.
pub const HOOK_TIMEOUT_RANGE: (u64, u64) = (30, 7200);
/// How long before the hook's deadline the reconciler completes the action
/// itself (at most; see [`hook_margin_secs`]).
pub const HOOK_SAFETY_MARGIN_SECS: u64 = 60;

/// The safety margin for a heartbeat timeout: [`HOOK_SAFETY_MARGIN_SECS`], or
/// half the timeout when that is shorter.
pub fn hook_margin_secs(timeout_secs: u64) -> u64 {
    HOOK_SAFETY_MARGIN_SECS.min(timeout_secs / 2)
}

// ---------------------------------------------------------------------------
// The on-demand group: the lifecycle hook.
// ---------------------------------------------------------------------------

/// Why a lifecycle action is completed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CompleteReason {
    /// The container instance is DRAINING and runs no task.
    Drained,
    /// The hook's deadline minus the safety margin has passed; tasks may
    /// still run (Auto Scaling would continue at the timeout anyway).
    Timeout,
    /// The EC2 instance has no container instance in the cluster (it never
    /// joined, or already left): nothing to drain.
    NotInCluster,
}

/// What to do next about one instance held by the lifecycle hook.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum HookStep {
    /// Set it DRAINING (it is ACTIVE), then ask again with what ECS answers.
    Drain,
    /// `CompleteLifecycleAction` with `CONTINUE`.
    Complete { reason: CompleteReason },
    /// Tasks still run and the deadline is not near: wait for the next run.
    Wait { seconds_left: i64 },
}

/// The next step for a container instance whose termination the hook holds,
/// with its deadline (see [`ContainerInstance::hook_deadline`]). Rules, first match wins:
///
/// 1. ACTIVE: [`HookStep::Drain`] (never complete an instance that could
///    still receive tasks: the caller drains, then asks again);
/// 2. no running and no pending task: complete, [`CompleteReason::Drained`];
/// 3. `now >= deadline - margin`: complete, [`CompleteReason::Timeout`];
/// 4. otherwise wait.
///
/// A member of another status (DEREGISTERING, REGISTERING, ...) is treated as
/// draining: it gets no new tasks from the scheduler either.
pub fn hook_step(
    m: &ContainerInstance,
    deadline: EpochSeconds,
    margin_secs: u64,
    now: EpochSeconds,
) -> HookStep {
    if m.status == InstanceStatus::Active {
        return HookStep::Drain;
    }
    if m.tasks() == 0 {
        return HookStep::Complete {
            reason: CompleteReason::Drained,
        };
    }
    let due = seconds_before(deadline, margin_secs);
    if now >= due {
        HookStep::Complete {
            reason: CompleteReason::Timeout,
        }
    } else {
        HookStep::Wait {
            seconds_left: due - now,
        }
    }
}

/// The deadline to record when the hook's event arrives at `now`: the one
/// already recorded (a repeated event, or an overlapping run, never extends
/// it), else `now + timeout`.
pub fn hook_deadline(m: &ContainerInstance, timeout_secs: u64, now: EpochSeconds) -> EpochSeconds {
    m.hook_deadline
        .unwrap_or_else(|| seconds_after(now, timeout_secs))
}

// ---------------------------------------------------------------------------
// The fleet: draining and terminating its surplus.
// ---------------------------------------------------------------------------

/// A spot container instance picked by [`plan_surplus`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pick {
    pub arn: String,
    pub ec2_instance_id: Option<String>,
    /// Fleet units (its type's weight).
    pub weight: u32,
    /// Running plus pending tasks when observed.
    pub tasks: u32,
}

impl Pick {
    fn of(m: &ContainerInstance, weight: u32) -> Self {
        Self {
            arn: m.arn.clone(),
            ec2_instance_id: m.ec2_instance_id.clone(),
            weight,
            tasks: m.tasks(),
        }
    }
}

/// Why [`plan_surplus`] found no surplus to act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SurplusBasis {
    /// The fleet metrics are trusted: surplus = min(fulfilled, registered) - target.
    Metrics,
    /// The fleet metrics are in doubt (missing, stale, the target still
    /// changing): no surplus, marked instances go back to ACTIVE.
    MetricsInDoubt,
}

/// What to do about the fleet's surplus. Each list is in the order to act.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SurplusPlan {
    pub basis: SurplusBasis,
    /// Fleet units of the spot container instances in the cluster that are
    /// ACTIVE or marked as surplus (of a type with a known weight).
    pub registered_units: u32,
    /// Surplus in fleet units (0 when in doubt).
    pub surplus_units: u32,
    /// Already marked, and kept marked (their units fit in the surplus).
    pub keep: Vec<Pick>,
    /// Kept, DRAINING and empty: `TerminateInstances`.
    pub terminate: Vec<Pick>,
    /// Kept but ACTIVE (a drain that failed, or was undone): drain again.
    pub redrain: Vec<Pick>,
    /// Newly picked: mark, then set DRAINING.
    pub drain: Vec<Pick>,
    /// Marked but no longer surplus: set ACTIVE, then remove the mark.
    pub reactivate: Vec<Pick>,
    /// Found DRAINING with no mark at all (a mark whose write was lost, or a drain
    /// whose reactivation was): put an adopted mark, so later runs finish them like
    /// the marked ones.
    pub adopt: Vec<Pick>,
}

/// How long an adopted mark keeps its instance from being given back: longer than a
/// spot interruption's two-minute warning, so an instance the ECS agent drained for an
/// interruption whose notice was lost is gone before it could be reactivated.
pub const ADOPTION_GRACE_SECS: u64 = 300;

impl SurplusPlan {
    /// True iff the plan calls for any change.
    pub fn acts(&self) -> bool {
        !(self.terminate.is_empty()
            && self.redrain.is_empty()
            && self.drain.is_empty()
            && self.reactivate.is_empty()
            && self.adopt.is_empty())
    }
}

/// Decides which spot instances to drain, terminate or give back. Pure.
///
/// `fleet` is `(target, fulfilled)` in fleet units when the fleet metrics are
/// trusted (the shortfall decision found no doubt), else `None`. `weights` are
/// the fleet's weights by instance type.
///
/// - A spot instance is a member with [`crate::contract::attributes::CAPACITY`] `spot`, status
///   ACTIVE or DRAINING and a type with a weight; nothing else is ever touched
///   (the on-demand group's instances, instances drained for an interruption
///   notice, unknown types).
/// - `registered` = the units of the spot instances that are ACTIVE or marked
///   (a DRAINING one without the mark is leaving anyway: an interruption
///   notice, an operator); `surplus =
///   floor(min(fulfilled, registered) - target)`, at least 0. `registered`
///   makes it conservative while the metric still counts instances already
///   terminated (FulfilledCapacity lags) and ignores instances not yet
///   registered with ECS.
/// - Marked instances (with [`crate::contract::attributes::SURPLUS`]), fewest tasks first, are
///   kept while their units fit in the surplus; the rest go back to ACTIVE.
///   A kept one that is DRAINING with no task is terminated; a kept one that is
///   ACTIVE is drained again.
/// - Then unmarked ACTIVE spot instances, fewest tasks first (then the
///   heavier, then by ARN), are picked while their weight fits in what is left.
/// - A spot instance DRAINING with no surplus mark and no cover mark (not an
///   interruption the reconciler handled) is adopted: it gets an adopted mark, and is
///   finished like a marked one from the next run on (terminated once empty if the
///   surplus holds it, else given back). An adopted mark younger than
///   [`ADOPTION_GRACE_SECS`] is never given back (the instance may be leaving on a
///   spot interruption whose notice was lost).
///
/// So the units kept and picked never exceed the surplus, and only a DRAINING
/// instance with no running or pending task is ever terminated.
pub fn plan_surplus(
    weights: &BTreeMap<String, u32>,
    fleet: Option<(f64, f64)>,
    members: &[ContainerInstance],
    now: EpochSeconds,
) -> SurplusPlan {
    let weight_of = |m: &ContainerInstance| {
        m.instance_type
            .as_deref()
            .and_then(|t| weights.get(t))
            .copied()
            .filter(|w| *w > 0)
    };
    let spot: Vec<(&ContainerInstance, u32)> = members
        .iter()
        .filter(|m| {
            m.is_spot() && matches!(m.status, InstanceStatus::Active | InstanceStatus::Draining)
        })
        .filter_map(|m| weight_of(m).map(|w| (m, w)))
        .collect();
    // A DRAINING instance without the mark is leaving for another reason (a
    // spot interruption, an operator): not capacity to count on.
    let registered: u32 = spot
        .iter()
        .filter(|(m, _)| m.status == InstanceStatus::Active || m.surplus_mark.is_some())
        .fold(0u32, |acc, (_, w)| acc.saturating_add(*w));
    let (basis, surplus) = match fleet {
        Some((target, fulfilled))
            if target.is_finite() && fulfilled.is_finite() && target >= 0.0 =>
        {
            let have = fulfilled.min(f64::from(registered));
            let s = have - target;
            // The shortfall's tolerance: 2.999999999 units are 3.
            let s = round_down(s).max(0.0);
            (SurplusBasis::Metrics, s.min(f64::from(registered)) as u32)
        }
        Some(_) | None => (SurplusBasis::MetricsInDoubt, 0),
    };
    let mut plan = SurplusPlan {
        basis,
        registered_units: registered,
        surplus_units: surplus,
        keep: Vec::new(),
        terminate: Vec::new(),
        redrain: Vec::new(),
        drain: Vec::new(),
        reactivate: Vec::new(),
        adopt: Vec::new(),
    };

    let order = |a: &(&ContainerInstance, u32), b: &(&ContainerInstance, u32)| {
        (a.0.tasks(), std::cmp::Reverse(a.1), &a.0.arn).cmp(&(
            b.0.tasks(),
            std::cmp::Reverse(b.1),
            &b.0.arn,
        ))
    };
    let mut marked: Vec<(&ContainerInstance, u32)> = spot
        .iter()
        .copied()
        .filter(|(m, _)| m.surplus_mark.is_some())
        .collect();
    marked.sort_by(order);
    let mut left = surplus;
    for (m, w) in marked {
        let pick = Pick::of(m, w);
        if w <= left {
            left -= w;
            match m.status {
                InstanceStatus::Draining if m.tasks() == 0 => plan.terminate.push(pick.clone()),
                InstanceStatus::Active => plan.redrain.push(pick.clone()),
                _ => {}
            }
            plan.keep.push(pick);
        } else if m
            .surplus_mark
            .is_some_and(|k| k.adopted && now < seconds_after(k.at, ADOPTION_GRACE_SECS))
        {
            // Too young to give back: left as it is.
        } else {
            plan.reactivate.push(pick);
        }
    }
    let mut candidates: Vec<(&ContainerInstance, u32)> = spot
        .iter()
        .copied()
        .filter(|(m, _)| m.surplus_mark.is_none() && m.status == InstanceStatus::Active)
        .collect();
    candidates.sort_by(order);
    for (m, w) in candidates {
        if w <= left {
            left -= w;
            plan.drain.push(Pick::of(m, w));
        }
    }
    plan.adopt = spot
        .iter()
        .filter(|(m, _)| {
            m.status == InstanceStatus::Draining
                && m.surplus_mark.is_none()
                && m.cover == CoverMark::None
        })
        .map(|(m, w)| Pick::of(m, *w))
        .collect();
    plan
}
