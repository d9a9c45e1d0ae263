//! The on-demand fallback of `engine: asg`: one Auto Scaling group of spot instances
//! behind an ECS capacity provider, whose `OnDemandBaseCapacity` the reconciler raises
//! while spot cannot launch and lowers again when it can.
//!
//! ECS owns the group's desired capacity (managed scaling); nothing here ever writes
//! it. The fallback only changes the *purchase option* of the capacity ECS asks for:
//! tasks are bound to their capacity provider when they are created, so the cover has
//! to come from the same group.
//!
//! # The rules of [`decide`]
//!
//! Write `D` for the group's desired capacity, `S` for its live spot instances
//! (launching or in service), `O` for its live on-demand instances (with those whose
//! market is not known yet) and `B` for its base. The group launches on-demand up to `B` and spot above it
//! (`OnDemandPercentageAboveBaseCapacity: 0`), so `need = D - S` on-demand instances
//! would fill what spot leaves empty. In this order, the first that applies wins:
//!
//! 1. **Raise** ([`Reason::SpotFailing`]): a spot launch failure was seen within
//!    [`FAILURE_FRESH_SECS`] and `need > B`: set the base to `min(max(need, O),
//!    max_on_demand)`.
//!    Counting from `D - S` (not `B + missing`) makes the rule idempotent: a repeated
//!    event or an overlapping run computes the same base. A return to spot in progress
//!    is abandoned (its drained instance goes back to ACTIVE) and the next hold doubles.
//! 2. **Realign** ([`Reason::Realign`]): `B` is below the registered on-demand
//!    instances (a stack update resets it to the floor): raise it back to them (at most
//!    `max_on_demand`), so none is left to Auto Scaling's replacement.
//! 3. **Follow demand down** ([`Reason::DemandFell`]): `B` exceeds
//!    `max(floor, O, need)`: lower it to that at once. It never goes below `O`, so no
//!    running instance is replaced: only the unfilled part of a stale base goes.
//! 4. **Return to spot, one instance at a time** ([`Reason::ReturnDrain`],
//!    [`Reason::ReturnRetire`]): when `B > floor`, the base is filled (`O >= B`),
//!    nothing is PROVISIONING, no spot failure was seen for the current hold
//!    (`return_hold_secs * 2^attempts`, at most `max_hold_secs`), and the last step
//!    was at least [`STEP_SECS`] ago: drain one on-demand instance (ECS moves its
//!    tasks; managed scaling launches their new home above the base, so spot, before
//!    anything leaves); once it runs no task, lower the base by one and terminate
//!    exactly that instance, keeping the desired capacity.
//! 5. Otherwise, nothing ([`Reason::Steady`]).
//!
//! ## Why a return never kills a task, whatever Auto Scaling does
//!
//! AWS documents that a change of the base starts "a gradual replacement" that launches
//! before it terminates, but not whether that replacement honours scale-in protection,
//! nor which instance it picks. The rules never leave it anything to pick: the base is
//! lowered only when `O` equals it and one on-demand instance is already empty and
//! drained, and that instance is terminated in the same step, so `O` equals the new
//! base again and no replacement is due. If the replacement had started in between and
//! did ignore protection, its launch comes first and takes minutes; the terminate call
//! follows within the same run.

use std::fmt;

use crate::contract::tags::FALLBACK_STATE_TAG as STATE_TAG;
use crate::time::EpochSeconds;

/// A spot launch failure older than this no longer raises the base (it still counts
/// against the return's hold).
pub const FAILURE_FRESH_SECS: u64 = 600;

/// Seconds between two steps of a return to spot: one step per scheduled run at most.
pub const STEP_SECS: u64 = 60;

/// What the template tells the reconciler about the fallback. `V` is a name at run
/// time, a CloudFormation expression in the template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings<V = String> {
    pub group_name: V,
    pub cluster: V,
    pub capacity_provider: V,
    pub floor: u32,
    pub max_on_demand: u32,
    pub return_hold_secs: u64,
    pub max_hold_secs: u64,
}

impl<V> Settings<V> {
    /// The hold before the next return step after `attempts` failed returns:
    /// `return_hold_secs * 2^attempts`, at most `max_hold_secs`.
    pub fn hold_secs(&self, attempts: u32) -> u64 {
        let doubled = self
            .return_hold_secs
            .saturating_mul(1u64.checked_shl(attempts.min(40)).unwrap_or(u64::MAX));
        doubled.min(self.max_hold_secs.max(self.return_hold_secs))
    }
}

/// What the fallback remembers between runs, in the group's [`STATE_TAG`] tag.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct State {
    /// The latest spot launch failure acted on.
    pub failed_at: Option<EpochSeconds>,
    /// The latest return step (drain or retire).
    pub stepped_at: Option<EpochSeconds>,
    /// Returns that spot failures interrupted since the base was last at the floor.
    pub attempts: u32,
    /// The on-demand instance a return is draining.
    pub draining: Option<String>,
}

/// A [`STATE_TAG`] value that does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadState(pub String);

impl fmt::Display for BadState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{STATE_TAG} tag {:?} is not `failed=..;stepped=..;attempts=..;draining=..`",
            self.0
        )
    }
}

impl std::error::Error for BadState {}

/// The tag value: `failed=<epoch|->;stepped=<epoch|->;attempts=<n>;draining=<id|->`,
/// at most 256 characters (an Auto Scaling tag value's limit) for any instance id.
pub fn format_state(s: &State) -> String {
    let opt = |v: Option<EpochSeconds>| v.map_or_else(|| "-".to_owned(), |t| t.to_string());
    format!(
        "failed={};stepped={};attempts={};draining={}",
        opt(s.failed_at),
        opt(s.stepped_at),
        s.attempts,
        s.draining.as_deref().unwrap_or("-")
    )
}

/// Reads [`format_state`]'s value back. No tag (`None`) is the state at rest.
pub fn parse_state(value: Option<&str>) -> Result<State, BadState> {
    let Some(value) = value else {
        return Ok(State::default());
    };
    let bad = || BadState(value.to_owned());
    let mut fields = [None; 4];
    for part in value.split(';') {
        let (k, v) = part.split_once('=').ok_or_else(bad)?;
        let i = ["failed", "stepped", "attempts", "draining"]
            .iter()
            .position(|name| *name == k)
            .ok_or_else(bad)?;
        if fields[i].replace(v).is_some() {
            return Err(bad());
        }
    }
    let [Some(failed), Some(stepped), Some(attempts), Some(draining)] = fields else {
        return Err(bad());
    };
    let time = |v: &str| -> Result<Option<EpochSeconds>, BadState> {
        if v == "-" {
            Ok(None)
        } else {
            v.parse().map(Some).map_err(|_| bad())
        }
    };
    let is_id = |v: &str| {
        !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    Ok(State {
        failed_at: time(failed)?,
        stepped_at: time(stepped)?,
        attempts: attempts.parse().map_err(|_| bad())?,
        draining: match draining {
            "-" => None,
            id if is_id(id) => Some(id.to_owned()),
            _ => return Err(bad()),
        },
    })
}

/// One on-demand instance of the group, as ECS sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnDemandInstance {
    pub id: String,
    /// Running and pending tasks on it.
    pub tasks: u32,
    /// Its container instance is DRAINING.
    pub draining: bool,
}

/// What the reconciler saw of the group and its capacity provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    /// The group's `OnDemandBaseCapacity`.
    pub base: u32,
    /// The group's desired capacity (ECS's).
    pub desired: u32,
    /// Live spot instances (pending or in service; not terminating).
    pub spot: u32,
    /// Live on-demand instances.
    pub on_demand: Vec<OnDemandInstance>,
    /// Live instances whose market is not known yet (launching, not yet registered in
    /// ECS, where each writes its market): never counted as spot, and counted as
    /// on-demand wherever that keeps the base up.
    pub unknown: u32,
    /// The latest spot launch failure seen (the launch-failure event, or the group's
    /// scaling activities), if any.
    pub spot_failure_at: Option<EpochSeconds>,
    /// Tasks in PROVISIONING on this capacity provider.
    pub provisioning: u32,
}

impl Observation {
    /// On-demand instances that would fill what spot leaves empty: `desired - spot`.
    pub fn need(&self) -> u32 {
        self.desired.saturating_sub(self.spot)
    }
}

/// Why the decision is what it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    SpotFailing,
    /// The base was below the registered on-demand instances; raised back to them.
    Realign,
    DemandFell,
    ReturnDrain,
    ReturnRetire,
    /// A return's instance is still running tasks, or the hold is not over.
    ReturnWaiting,
    Steady,
}

/// What to do. The reconciler applies the fields in this order: `reactivate`,
/// `base`, `terminate`, `drain`, then writes `state` (unless it equals the old one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// A new `OnDemandBaseCapacity`.
    pub base: Option<u32>,
    /// Set this container instance DRAINING.
    pub drain: Option<String>,
    /// Set this container instance back to ACTIVE (an abandoned return).
    pub reactivate: Option<String>,
    /// Terminate this (drained, empty) instance without changing the desired capacity.
    pub terminate: Option<String>,
    pub state: State,
    pub reason: Reason,
}

impl Decision {
    fn steady(state: State, reason: Reason) -> Self {
        Decision {
            base: None,
            drain: None,
            reactivate: None,
            terminate: None,
            state,
            reason,
        }
    }
}

/// The fallback's decision (see the module's rules).
pub fn decide<V>(
    settings: &Settings<V>,
    obs: &Observation,
    state: &State,
    now: EpochSeconds,
) -> Decision {
    let floor = settings.floor.min(settings.max_on_demand);
    let need = obs.need();
    let live_on_demand = u32::try_from(obs.on_demand.len())
        .unwrap_or(u32::MAX)
        .saturating_add(obs.unknown);
    let mut state = state.clone();
    // A drained instance that is gone (terminated by anyone) ends its return step.
    if let Some(id) = &state.draining
        && !obs.on_demand.iter().any(|i| &i.id == id)
    {
        state.draining = None;
    }
    let failure = obs
        .spot_failure_at
        .max(state.failed_at)
        .filter(|t| *t <= now.saturating_add(60));

    // 1. Raise.
    let fresh = failure.is_some_and(|t| age(now, t) <= FAILURE_FRESH_SECS);
    let registered = u32::try_from(obs.on_demand.len()).unwrap_or(u32::MAX);
    // Never below the on-demand instances already registered (see Realign).
    let raised = need.max(registered).min(settings.max_on_demand);
    if fresh && raised > obs.base {
        let returning = obs.base > floor || state.draining.is_some();
        let mut next = state.clone();
        next.failed_at = failure;
        if returning && state.stepped_at.is_some() {
            next.attempts = next.attempts.saturating_add(1);
        }
        next.draining = None;
        next.stepped_at = None;
        return Decision {
            base: Some(raised),
            reactivate: state.draining.clone(),
            ..Decision::steady(next, Reason::SpotFailing)
        };
    }
    if fresh && obs.spot_failure_at > state.failed_at {
        state.failed_at = obs.spot_failure_at;
    }

    // 2. Realign: a base below the registered on-demand instances (a stack update
    // resets it to the floor) would leave them to Auto Scaling's replacement; take it
    // back up to them, so they leave only through returns.
    let realigned = registered.min(settings.max_on_demand);
    if obs.base < realigned {
        return Decision {
            base: Some(realigned),
            ..Decision::steady(state, Reason::Realign)
        };
    }

    // 3. Follow demand down: only the unfilled part of the base.
    let keep = floor
        .max(live_on_demand)
        .max(need.min(settings.max_on_demand));
    if obs.base > keep {
        if keep <= floor {
            state.attempts = 0;
        }
        return Decision {
            base: Some(keep),
            ..Decision::steady(state, Reason::DemandFell)
        };
    }

    // 4. Return to spot.
    if obs.base <= floor {
        if obs.base == floor && state.draining.is_none() {
            state.attempts = 0;
        }
        return Decision::steady(state, Reason::Steady);
    }
    let hold = settings.hold_secs(state.attempts);
    let held = failure.is_none_or(|t| age(now, t) >= hold);
    let paced = state.stepped_at.is_none_or(|t| age(now, t) >= STEP_SECS);
    if !held || obs.provisioning > 0 || live_on_demand < obs.base {
        return Decision::steady(state, Reason::ReturnWaiting);
    }
    match state.draining.clone() {
        Some(id) => {
            let empty = obs.on_demand.iter().any(|i| i.id == id && i.tasks == 0);
            if !empty {
                return Decision::steady(state, Reason::ReturnWaiting);
            }
            // One lower, unless on-demand already exceeds the base (instances of
            // unknown market): then the drained one leaves alone.
            let base = if live_on_demand > obs.base {
                obs.base
            } else {
                obs.base - 1
            };
            state.draining = None;
            state.stepped_at = Some(now);
            if base <= floor {
                state.attempts = 0;
            }
            Decision {
                base: Some(base).filter(|b| *b != obs.base),
                terminate: Some(id),
                ..Decision::steady(state, Reason::ReturnRetire)
            }
        }
        None if paced => {
            // The on-demand instance with the fewest tasks moves the fewest; a
            // draining one (someone else's) is left alone.
            let Some(pick) = obs
                .on_demand
                .iter()
                .filter(|i| !i.draining)
                .min_by(|a, b| a.tasks.cmp(&b.tasks).then_with(|| a.id.cmp(&b.id)))
            else {
                return Decision::steady(state, Reason::ReturnWaiting);
            };
            state.draining = Some(pick.id.clone());
            state.stepped_at = Some(now);
            Decision {
                drain: Some(pick.id.clone()),
                ..Decision::steady(state, Reason::ReturnDrain)
            }
        }
        None => Decision::steady(state, Reason::ReturnWaiting),
    }
}

/// Seconds from `t` to `now`; 0 for a time in the future (clock skew).
fn age(now: EpochSeconds, t: EpochSeconds) -> u64 {
    u64::try_from(now.saturating_sub(t)).unwrap_or(0)
}

/// Whether an Auto Scaling launch failure message (the `EC2 Instance Launch
/// Unsuccessful` event's `StatusMessage`, or a scaling activity's) says spot has no
/// capacity. Other failures (a bad AMI, a quota) are not the fallback's to cover.
pub fn is_spot_capacity_failure(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    let spot = m.contains("spot");
    let capacity = [
        "insufficientinstancecapacity",
        "insufficient capacity",
        "unfulfillablecapacity",
        "capacity-not-available",
        "capacitynotavailable",
        "no spot capacity",
        "spot market capacity",
        "maxspotinstancecountexceeded",
    ]
    .iter()
    .any(|k| m.contains(k));
    spot && capacity
}

/// One of the group's scaling activities (`DescribeScalingActivities`), or the detail
/// of an `EC2 Instance Launch Unsuccessful` event, as the backstop and the event handler
/// read them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    /// `StatusCode`: `Failed`, `Successful`, `InProgress`, ...
    pub status_code: String,
    pub status_message: String,
    /// `StartTime`, epoch seconds.
    pub start: EpochSeconds,
}

/// The latest activity that failed to launch spot for lack of capacity: the
/// observation's `spot_failure_at`.
pub fn latest_spot_failure(activities: &[Activity]) -> Option<EpochSeconds> {
    activities
        .iter()
        .filter(|a| a.status_code == "Failed" && is_spot_capacity_failure(&a.status_message))
        .map(|a| a.start)
        .max()
}

#[cfg(test)]
mod tests;
