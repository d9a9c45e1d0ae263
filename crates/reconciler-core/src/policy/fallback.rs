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
//! market is not known yet), `R` for the registered on-demand instances, `P` for the
//! tasks in PROVISIONING and `B` for the base. The group launches on-demand up to `B`
//! and spot above it (`OnDemandPercentageAboveBaseCapacity: 0`), so `need = D - S`
//! on-demand instances would fill what spot leaves empty. In this order, the first that
//! applies wins:
//!
//! 1. **Raise** ([`Reason::SpotFailing`]): a spot launch failure was seen within
//!    [`FAILURE_FRESH_SECS`] and the raised base `min(need, R + P) - drained`, at least
//!    `R`, at most `max_on_demand`, exceeds `B` (or the failure is newer than a return's
//!    last step): set the base to it. Only instances that waiting tasks need count
//!    (each waiting task needs at most one instance besides the registered ones), so
//!    capacity ECS asked for with no task waiting (spare capacity, or the new home of
//!    a drained instance whose return is abandoned: `drained`) is not bought on-demand.
//!    Counting from `D - S` (not `B + missing`) makes the rule idempotent: a repeated
//!    event or an overlapping run computes the same base. A return in progress is
//!    abandoned: its drained instances go back to ACTIVE. If spot had already taken
//!    instances of that return (`returned > 0`), the market flaps: the next hold
//!    doubles (`attempts + 1`). A first step that found spot still lost does not double
//!    it: the next probe comes after the same hold.
//! 2. **Realign** ([`Reason::Realign`]): `B` is below the registered on-demand
//!    instances (a stack update resets it to the floor): raise it back to them (at most
//!    `max_on_demand`), so none is left to Auto Scaling's replacement.
//! 3. **Follow demand down** ([`Reason::DemandFell`]): `B` exceeds
//!    `max(floor, O, need)`: lower it to that at once. It never goes below `O`, so no
//!    running instance is replaced: only the unfilled part of a stale base goes.
//! 4. **Return to spot, in steps as large as spot has proven** ([`Reason::ReturnDrain`],
//!    [`Reason::ReturnRetire`]): when `B > floor`, the base is filled (`O >= B`) and no
//!    spot failure was seen for the hold (`return_hold_secs * 2^attempts`, at most
//!    `max_hold_secs`):
//!    - every drained instance that runs no task retires: the base one lower for each
//!      and exactly those terminated, keeping the desired capacity (`returned` counts
//!      them);
//!    - otherwise, when no drained instance is left, nothing is PROVISIONING and the
//!      last step was at least [`STEP_SECS`] ago, the next step drains
//!      `returned / 2^attempts + 1` on-demand instances (1, 2, 4, 8, ... in a steady
//!      market; one at a time in one that flapped), never below the floor, and no more
//!      than the state tag can name ([`MAX_STATE_LEN`]). ECS moves their tasks;
//!      managed scaling launches their new homes above the base, so spot, before
//!      anything leaves.
//! 5. Otherwise, nothing ([`Reason::Steady`]); at the floor a drain left over is
//!    reactivated.
//!
//! The memory of a flapping market (`attempts`, `returned`) is forgotten once no spot
//! failure was seen for the longest hold (`max_hold_secs`): a loss long after the last
//! one starts from the first hold again.
//!
//! ## Why a return never kills a task, whatever Auto Scaling does
//!
//! AWS documents that a change of the base starts "a gradual replacement" that launches
//! before it terminates, but not whether that replacement honours scale-in protection,
//! nor which instance it picks. The rules never leave it anything to pick: the base is
//! lowered only when `O` is at least it and `k` on-demand instances are already empty
//! and drained, by `k`, and those instances are terminated in the same step, so `O`
//! equals the new base again and no replacement is due. If the replacement had started in between and
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
    /// Returns that a spot failure interrupted after spot had taken some of their
    /// instances (the market flaps); forgotten once spot has launched without a failure
    /// for `max_hold_secs`.
    pub attempts: u32,
    /// On-demand instances the current return has retired (their tasks moved to spot):
    /// what spot has proven able to launch since the last raise.
    pub returned: u32,
    /// The on-demand instances the return is draining.
    pub draining: Vec<String>,
}

/// The longest [`STATE_TAG`] value: an Auto Scaling tag value's limit.
pub const MAX_STATE_LEN: usize = 256;

/// A [`STATE_TAG`] value that does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadState(pub String);

impl fmt::Display for BadState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{STATE_TAG} tag {:?} is not `failed=..;stepped=..;attempts=..;returned=..;draining=..`",
            self.0
        )
    }
}

impl std::error::Error for BadState {}

/// The tag value:
/// `failed=<epoch|->;stepped=<epoch|->;attempts=<n>;returned=<n>;draining=<id,id,..|->`.
/// [`decide`] drains no more instances than keep it within [`MAX_STATE_LEN`].
pub fn format_state(s: &State) -> String {
    let opt = |v: Option<EpochSeconds>| v.map_or_else(|| "-".to_owned(), |t| t.to_string());
    let draining = if s.draining.is_empty() {
        "-".to_owned()
    } else {
        s.draining.join(",")
    };
    format!(
        "failed={};stepped={};attempts={};returned={};draining={draining}",
        opt(s.failed_at),
        opt(s.stepped_at),
        s.attempts,
        s.returned,
    )
}

/// Reads [`format_state`]'s value back. No tag (`None`) is the state at rest.
pub fn parse_state(value: Option<&str>) -> Result<State, BadState> {
    let Some(value) = value else {
        return Ok(State::default());
    };
    let bad = || BadState(value.to_owned());
    const KEYS: [&str; 5] = ["failed", "stepped", "attempts", "returned", "draining"];
    let mut fields = [None; KEYS.len()];
    for part in value.split(';') {
        let (k, v) = part.split_once('=').ok_or_else(bad)?;
        let i = KEYS.iter().position(|name| *name == k).ok_or_else(bad)?;
        if fields[i].replace(v).is_some() {
            return Err(bad());
        }
    }
    let [
        Some(failed),
        Some(stepped),
        Some(attempts),
        Some(returned),
        Some(draining),
    ] = fields
    else {
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
    let draining = match draining {
        "-" => Vec::new(),
        ids => ids
            .split(',')
            .map(|id| {
                if is_id(id) {
                    Ok(id.to_owned())
                } else {
                    Err(bad())
                }
            })
            .collect::<Result<_, _>>()?,
    };
    Ok(State {
        failed_at: time(failed)?,
        stepped_at: time(stepped)?,
        attempts: attempts.parse().map_err(|_| bad())?,
        returned: returned.parse().map_err(|_| bad())?,
        draining,
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
    /// Set these container instances DRAINING.
    pub drain: Vec<String>,
    /// Set these container instances back to ACTIVE (an abandoned return).
    pub reactivate: Vec<String>,
    /// Terminate these (drained, empty) instances without changing the desired capacity.
    pub terminate: Vec<String>,
    pub state: State,
    pub reason: Reason,
}

impl Decision {
    fn steady(state: State, reason: Reason) -> Self {
        Decision {
            base: None,
            drain: Vec::new(),
            reactivate: Vec::new(),
            terminate: Vec::new(),
            state,
            reason,
        }
    }
}

/// The fallback's decision (see the module's rules).
#[allow(clippy::too_many_lines)] // the fallback's rule table, one rule after another in the order the module doc states them
pub fn decide<V>(
    settings: &Settings<V>,
    obs: &Observation,
    state: &State,
    now: EpochSeconds,
) -> Decision {
    let floor = settings.floor.min(settings.max_on_demand);
    let need = obs.need();
    let registered = u32::try_from(obs.on_demand.len()).unwrap_or(u32::MAX);
    let live_on_demand = registered.saturating_add(obs.unknown);
    let mut state = state.clone();
    // A drained instance that is gone (terminated by anyone) leaves the return.
    state
        .draining
        .retain(|id| obs.on_demand.iter().any(|i| &i.id == id));
    let failure = obs
        .spot_failure_at
        .max(state.failed_at)
        .filter(|t| *t <= now.saturating_add(60));
    // Memory of a flapping market: forgotten once no failure was seen for the longest
    // hold.
    let longest = settings.max_hold_secs.max(settings.return_hold_secs);
    if failure.is_none_or(|t| age(now, t) >= longest) {
        state.attempts = 0;
        state.returned = 0;
    }

    // 1. Raise.
    let fresh = failure.is_some_and(|t| age(now, t) <= FAILURE_FRESH_SECS);
    let new_failure = obs
        .spot_failure_at
        .is_some_and(|t| state.failed_at.is_none_or(|f| t > f));
    // A failure no older than the return's last step: spot could not take its tasks.
    let returning = !state.draining.is_empty()
        && obs
            .spot_failure_at
            .is_some_and(|t| state.stepped_at.is_none_or(|s| t >= s));
    // Managed scaling asked for a new home for each drained instance's tasks; once the
    // return is abandoned they have their instance back, so those are not missing.
    let drained = u32::try_from(state.draining.len()).unwrap_or(u32::MAX);
    // Only instances tasks wait for: a capacity ECS asked for with no task waiting
    // (a new home for a drained instance's tasks, spare capacity below the target) is
    // not spot's to cover. Each waiting task needs at most one instance besides the
    // registered ones (a launching instance is one of those). Never below the on-demand
    // instances already registered (see Realign).
    let raised = need
        .min(registered.saturating_add(obs.provisioning))
        .saturating_sub(drained)
        .max(registered)
        .min(settings.max_on_demand);
    if fresh && (raised > obs.base || (returning && new_failure)) {
        let mut next = state.clone();
        next.failed_at = failure;
        if state.returned > 0 {
            // Spot had taken part of the return and failed again: the market flaps.
            next.attempts = next.attempts.saturating_add(1);
        }
        next.returned = 0;
        next.draining = Vec::new();
        next.stepped_at = None;
        return Decision {
            base: Some(raised).filter(|b| *b > obs.base),
            reactivate: state.draining,
            ..Decision::steady(next, Reason::SpotFailing)
        };
    }
    if fresh && new_failure {
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
        return Decision {
            base: Some(keep),
            ..Decision::steady(state, Reason::DemandFell)
        };
    }

    // 4. Return to spot.
    if obs.base <= floor {
        // Nothing above the floor to return: a drain left over goes back to work.
        let reactivate = std::mem::take(&mut state.draining);
        return Decision {
            reactivate,
            ..Decision::steady(state, Reason::Steady)
        };
    }
    let hold = settings.hold_secs(state.attempts);
    let held = failure.is_none_or(|t| age(now, t) >= hold);
    if !held || live_on_demand < obs.base {
        return Decision::steady(state, Reason::ReturnWaiting);
    }
    // 4a. Retire every drained instance that runs no task: the base one lower for each
    // (unless on-demand of unknown market already exceeds it), and exactly those
    // terminated, so on-demand equals the base again.
    let empty: Vec<String> = state
        .draining
        .iter()
        .filter(|id| obs.on_demand.iter().any(|i| &i.id == *id && i.tasks == 0))
        .cloned()
        .collect();
    if !empty.is_empty() {
        let k = u32::try_from(empty.len()).unwrap_or(u32::MAX);
        let base = obs.base.min(live_on_demand.saturating_sub(k)).max(floor);
        state.draining.retain(|id| !empty.contains(id));
        state.returned = state.returned.saturating_add(k);
        state.stepped_at = Some(now);
        return Decision {
            base: Some(base).filter(|b| *b != obs.base),
            terminate: empty,
            ..Decision::steady(state, Reason::ReturnRetire)
        };
    }
    // 4b. Drain the next step: as many instances as spot has taken in this return (at
    // least one), once the last step is done and nothing waits.
    let paced = state.stepped_at.is_none_or(|t| age(now, t) >= STEP_SECS);
    if !state.draining.is_empty() || obs.provisioning > 0 || !paced {
        return Decision::steady(state, Reason::ReturnWaiting);
    }
    // In a market that flaps, spot's proof counts for less: halved per interrupted return.
    let proven = state.returned.checked_shr(state.attempts).unwrap_or(0);
    let step = proven.saturating_add(1).min(obs.base - floor);
    // The on-demand instances with the fewest tasks move the fewest; a draining one
    // (someone else's) is left alone.
    let mut candidates: Vec<&OnDemandInstance> =
        obs.on_demand.iter().filter(|i| !i.draining).collect();
    candidates.sort_by(|a, b| a.tasks.cmp(&b.tasks).then_with(|| a.id.cmp(&b.id)));
    let last_step = state.stepped_at.replace(now);
    let mut drain = Vec::new();
    for i in candidates.into_iter().take(step as usize) {
        state.draining.push(i.id.clone());
        if format_state(&state).len() > MAX_STATE_LEN {
            state.draining.pop();
            break;
        }
        drain.push(i.id.clone());
    }
    if drain.is_empty() {
        state.stepped_at = last_step;
        return Decision::steady(state, Reason::ReturnWaiting);
    }
    Decision {
        drain,
        ..Decision::steady(state, Reason::ReturnDrain)
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
