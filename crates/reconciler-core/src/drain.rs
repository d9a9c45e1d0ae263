//! Scale-in without killing tasks: the pure decisions.
//!
//! Two paths take instances away from the stack's ECS cluster, and both drain
//! first:
//!
//! - **The on-demand group** (the reconciler lowering it, Auto Scaling's AZ
//!   rebalancing, an operator): an `autoscaling:EC2_INSTANCE_TERMINATING`
//!   lifecycle hook holds the instance in `Terminating:Wait`. The reconciler
//!   sets its container instance DRAINING, records the hook's deadline in the
//!   [`HOOK_DEADLINE_ATTRIBUTE`], and completes the lifecycle action
//!   (`CONTINUE`) when the instance runs no task any more, or shortly before the
//!   hook would time out, whichever comes first ([`hook_step`]).
//! - **The fleet** (its target lowered by Application Auto Scaling): the fleet's
//!   `ExcessCapacityTerminationPolicy` is `NoTermination`, so its surplus stays
//!   running; the reconciler drains surplus spot instances, marks them with the
//!   [`SURPLUS_ATTRIBUTE`], and terminates a marked instance only once it is
//!   DRAINING with no task ([`plan_surplus`]). When the surplus disappears
//!   before that (the target rose), marked instances go back to ACTIVE.
//!
//! Everything here is a function of what ECS and the fleet metrics say now,
//! so two runs that overlap decide the same, and every step is safe to repeat.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::{EpochSeconds, InstanceStatus, round_down, seconds_after, seconds_before};

/// ECS attribute on a container instance of the on-demand group whose
/// termination is held by the lifecycle hook: the epoch second by which the
/// reconciler completes the lifecycle action at the latest (the hook's
/// heartbeat timeout after the reconciler first saw the instance).
pub const HOOK_DEADLINE_ATTRIBUTE: &str = "spotcover.hook-deadline";
/// ECS attribute on a spot container instance the reconciler drains as fleet
/// surplus: the epoch second it was marked.
pub const SURPLUS_ATTRIBUTE: &str = "spotcover.surplus";
/// ECS attribute (set by the instance's user data through
/// `ECS_INSTANCE_ATTRIBUTES`) that says which capacity an instance is:
/// [`CAPACITY_SPOT`] or [`CAPACITY_ON_DEMAND`].
pub const CAPACITY_ATTRIBUTE: &str = "spotcover.capacity";
/// [`CAPACITY_ATTRIBUTE`] value of the fleet's instances.
pub const CAPACITY_SPOT: &str = "spot";
/// [`CAPACITY_ATTRIBUTE`] value of the on-demand group's instances.
pub const CAPACITY_ON_DEMAND: &str = "on-demand";
/// ECS's own attribute with the EC2 instance type.
pub const INSTANCE_TYPE_ATTRIBUTE: &str = "ecs.instance-type";

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

/// One container instance of the cluster, as the drain decisions see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Member {
    pub arn: String,
    pub ec2_instance_id: Option<String>,
    pub status: InstanceStatus,
    /// ECS `runningTasksCount`.
    pub running_tasks: u32,
    /// ECS `pendingTasksCount`.
    pub pending_tasks: u32,
    /// The `ecs.instance-type` attribute.
    pub instance_type: Option<String>,
    /// The [`CAPACITY_ATTRIBUTE`] value.
    pub capacity: Option<String>,
    /// The [`HOOK_DEADLINE_ATTRIBUTE`] value, as written.
    pub hook_deadline: Option<String>,
    /// The [`SURPLUS_ATTRIBUTE`] value, as written.
    pub surplus_mark: Option<String>,
}

impl Member {
    /// Running plus pending tasks: an instance is empty only when both are 0.
    pub fn tasks(&self) -> u32 {
        self.running_tasks.saturating_add(self.pending_tasks)
    }

    /// True iff the [`CAPACITY_ATTRIBUTE`] says spot.
    pub fn is_spot(&self) -> bool {
        self.capacity.as_deref() == Some(CAPACITY_SPOT)
    }

    /// The hook deadline, if the attribute is present; an unreadable value
    /// counts as already passed (the hook would not wait longer either).
    pub fn deadline(&self) -> Option<EpochSeconds> {
        self.hook_deadline
            .as_deref()
            .map(|v| v.trim().parse().unwrap_or(EpochSeconds::MIN))
    }
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
/// with its deadline (see [`Member::deadline`]). Rules, first match wins:
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
    m: &Member,
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
pub fn hook_deadline(m: &Member, timeout_secs: u64, now: EpochSeconds) -> EpochSeconds {
    m.deadline()
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
    fn of(m: &Member, weight: u32) -> Self {
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
}

impl SurplusPlan {
    /// True iff the plan calls for any change.
    pub fn acts(&self) -> bool {
        !(self.terminate.is_empty()
            && self.redrain.is_empty()
            && self.drain.is_empty()
            && self.reactivate.is_empty())
    }
}

/// Decides which spot instances to drain, terminate or give back. Pure.
///
/// `fleet` is `(target, fulfilled)` in fleet units when the fleet metrics are
/// trusted (the shortfall decision found no doubt), else `None`. `weights` are
/// the fleet's weights by instance type.
///
/// - A spot instance is a member with [`CAPACITY_ATTRIBUTE`] `spot`, status
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
/// - Marked instances (with [`SURPLUS_ATTRIBUTE`]), fewest tasks first, are
///   kept while their units fit in the surplus; the rest go back to ACTIVE.
///   A kept one that is DRAINING with no task is terminated; a kept one that is
///   ACTIVE is drained again.
/// - Then unmarked ACTIVE spot instances, fewest tasks first (then the
///   heavier, then by ARN), are picked while their weight fits in what is left.
///
/// So the units kept and picked never exceed the surplus, and only a DRAINING
/// instance with no running or pending task is ever terminated.
pub fn plan_surplus(
    weights: &BTreeMap<String, u32>,
    fleet: Option<(f64, f64)>,
    members: &[Member],
) -> SurplusPlan {
    let weight_of = |m: &Member| {
        m.instance_type
            .as_deref()
            .and_then(|t| weights.get(t))
            .copied()
            .filter(|w| *w > 0)
    };
    let spot: Vec<(&Member, u32)> = members
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
    };

    let order = |a: &(&Member, u32), b: &(&Member, u32)| {
        (a.0.tasks(), std::cmp::Reverse(a.1), &a.0.arn).cmp(&(
            b.0.tasks(),
            std::cmp::Reverse(b.1),
            &b.0.arn,
        ))
    };
    let mut marked: Vec<(&Member, u32)> = spot
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
        } else {
            plan.reactivate.push(pick);
        }
    }
    let mut candidates: Vec<(&Member, u32)> = spot
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
    plan
}
