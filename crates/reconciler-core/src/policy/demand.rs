//! The demand policy: the fleet's target and the on-demand cover from what the cluster
//! needs now, as the ECS API shows it, with no reservation feedback loop.
//!
//! [`decide`] is a pure function of ([`Settings`], [`Observation`], [`State`],
//! now). The state is what must survive between runs; the Lambda keeps it in AWS (a tag
//! of the on-demand group, [`State::to_tag`] / [`State::from_tag`]), not in
//! memory, so any run, on any trigger, continues where the last one stopped.
//!
//! # Rules, in order
//!
//! Units are the fleet's capacity units; `W` is [`Settings::on_demand_weight`].
//!
//! 1. **Fleet target follows demand.** `target = ceil(held demand * 100 / target_percent)`
//!    within `[fleet_min, fleet_max]`, where the held demand is the largest demand, kept
//!    until demand has been lower for [`Settings::fleet_hold_secs`] (a rise applies at
//!    once, a fall after the hold). Demand counts what services want, placed or not, so on-demand cover
//!    arriving does not lower it and tasks that cannot be placed raise it only by
//!    their own size: the fleet can neither fall because cover arrived nor climb to
//!    its maximum because tasks wait.
//! 2. **Spot the fleet is still launching needs no cover.** Spot is *short* while the
//!    spot units registered in ECS (active or draining) are below demand;
//!    [`State::short_since`] records when that began. While short for less than
//!    [`Settings::launch_grace_secs`], with no fleet error seen within
//!    [`FLEET_ERROR_MEMORY_SECS`], the fleet is *delivering*: it is expected to reach
//!    its target, less what is draining (a warned instance is going away).
//! 3. **What spot cannot deliver is covered at once.** Otherwise only active spot
//!    units count. A fleet error event ([`State::fleet_error_at`]), a shortfall
//!    older than the grace, or an interruption warning (the instance is draining)
//!    each end the expectation at once. `need = ceil((demand - expected spot) / W)`.
//!    The cover is an absolute number of instances, never an increment: a repeated
//!    or late signal converges on the same desired capacity, and a warning never
//!    stacks on cover already bought.
//! 4. **Release is held, longer when losses repeat.** The largest need is held for
//!    `hold = min(hold_secs * 2^losses, max_hold_secs)` after the need first fell below it;
//!    `losses` counts cover episodes that began within `max_hold_secs` of the
//!    previous one. Releasing lowers the group, whose lifecycle hook drains each
//!    instance before it goes.
//! 5. **Never more cover than demand can use.** The cover is at most
//!    `floor(1.5 * demand / W) + 1` instances, then within the group's `[min, max]`.
//!    Scaling either way ignores the group's cooldown: this policy decides release
//!    itself.

use serde::Serialize;

use self::units::UnitSize;
use crate::ecs::Resources;
use crate::{group::Action, group::GroupState, time::EpochSeconds};

/// How long a fleet error event keeps the fleet from being trusted to deliver.
pub const FLEET_ERROR_MEMORY_SECS: u64 = 600;
/// Default launch grace: a spot launch and its ECS registration take a few minutes.
pub const DEFAULT_LAUNCH_GRACE_SECS: u64 = 300;
/// Default hold of the largest recent need before cover is released.
pub const DEFAULT_HOLD_SECS: u64 = 600;
/// Default longest hold, after repeated losses.
pub const DEFAULT_MAX_HOLD_SECS: u64 = 3600;

/// Tunables of the demand policy (from the template's settings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Settings {
    /// Fleet units one on-demand instance covers (>= 1).
    pub on_demand_weight: u32,
    /// The fleet runs demand at this percent of its target (1 to 100): headroom.
    pub target_percent: u32,
    /// Lowest and highest fleet target, units.
    pub fleet_min: u32,
    pub fleet_max: u32,
    /// Seconds the fleet target stays up after demand falls.
    pub fleet_hold_secs: u64,
    /// Seconds a fleet that is launching gets before its missing units are covered.
    pub launch_grace_secs: u64,
    /// Seconds the largest recent need is held before cover is released.
    pub hold_secs: u64,
    /// Longest hold, reached when losses repeat.
    pub max_hold_secs: u64,
}

/// The Spot Fleet as DescribeSpotFleetRequests shows it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FleetState {
    pub target: u32,
    pub fulfilled: f64,
}

/// What the reconciler sees at `now`, from the ECS API and the fleet and group
/// describes (all immediate: no metric period, no delay).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Observation {
    /// Units the cluster's services want now, placed or waiting.
    pub demand: u32,
    /// Units of spot container instances ACTIVE in the cluster.
    pub spot_active: u32,
    /// Units of spot container instances DRAINING (warned, or surplus on its way out).
    pub spot_draining: u32,
    pub fleet: Option<FleetState>,
    pub group: Option<GroupState>,
}

/// The largest recent value, and since when what is seen has been below it. It
/// changes only when the value is exceeded or the hold runs out, so a steady state
/// writes nothing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Held {
    pub value: u32,
    /// When the value seen first fell below [`Held::value`]; `None`: it has not.
    pub below_since: Option<EpochSeconds>,
}

impl Held {
    /// After seeing `v` at `now`: a rise (or the same) holds at once; a fall holds the
    /// old value until it has lasted `hold` seconds, then drops to `v`.
    pub fn update(self, v: u32, now: EpochSeconds, hold: u64) -> Held {
        if v >= self.value {
            return Held {
                value: v,
                below_since: None,
            };
        }
        let since = self.below_since.unwrap_or(now);
        if elapsed(now, since) >= hold {
            Held {
                value: v,
                below_since: None,
            }
        } else {
            Held {
                value: self.value,
                below_since: Some(since),
            }
        }
    }
}

/// What survives between runs (kept in a tag of the on-demand group).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct State {
    /// When spot last became short of demand; `None`: not short.
    pub short_since: Option<EpochSeconds>,
    /// When a fleet error event was last seen.
    pub fleet_error_at: Option<EpochSeconds>,
    /// Largest recent need, on-demand instances.
    pub cover: Held,
    /// Largest recent demand, units (the fleet target's hold).
    pub demand: Held,
    /// Cover episodes that began within the longest hold of the previous one.
    pub losses: u32,
    /// When the last cover episode began.
    pub last_loss_at: Option<EpochSeconds>,
    /// The fleet unit's size last observed, for runs that see no instance.
    pub unit: Option<UnitSize>,
}

/// Why: the machine-readable reason of a [`Decision`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// No group state: nothing to act on.
    GroupUnknown,
    /// The group's `min > max`.
    GroupBoundsInvalid,
    /// No fleet state: capacity is kept.
    FleetUnknown,
    /// The group already has the wanted capacity.
    Steady,
    /// Spot cannot deliver what is needed: cover it.
    CoverShortfall,
    /// Less is needed than the group has, after the hold: release (drained).
    ReleaseCover,
}

/// Figures behind a decision, for the log line and the metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Figures {
    pub demand: u32,
    /// Spot units counted on: registered, or launching within the grace.
    pub spot_expected: u32,
    /// Units of spot launching (counted on while the fleet delivers).
    pub spot_launching: u32,
    pub delivering: bool,
    /// Instances needed now, before the hold and the cap.
    pub need: u32,
    /// The hold in force, seconds.
    pub hold_secs: u64,
    /// Most cover the demand allows, instances.
    pub cap: u32,
}

/// The outcome of [`decide`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Decision {
    /// `ModifySpotFleetRequest` to this target, when it differs.
    pub fleet_target: Option<u32>,
    /// What to do to the on-demand group.
    pub action: Action,
    pub reason: Reason,
    /// The state to keep (write it when it differs from what was read).
    pub state: State,
    pub figures: Figures,
}

fn elapsed(now: EpochSeconds, since: EpochSeconds) -> u64 {
    u64::try_from(now.saturating_sub(since)).unwrap_or(0)
}

impl Settings {
    /// The hold after `losses` repeated losses.
    pub fn hold_for(&self, losses: u32) -> u64 {
        let factor = 1u64.checked_shl(losses.min(32)).unwrap_or(u64::MAX);
        self.hold_secs
            .saturating_mul(factor)
            .min(self.max_hold_secs.max(self.hold_secs))
    }

    /// The fleet target for `demand` units: with the headroom, within the bounds.
    pub fn fleet_target_for(&self, demand: u32) -> u32 {
        let pct = u64::from(self.target_percent.clamp(1, 100));
        let t = (u64::from(demand) * 100).div_ceil(pct);
        let (lo, hi) = (self.fleet_min, self.fleet_max.max(self.fleet_min));
        u32::try_from(t).unwrap_or(u32::MAX).clamp(lo, hi)
    }

    /// Most on-demand instances `demand` units can use: `floor(1.5 demand / W) + 1`.
    pub fn cover_cap(&self, demand: u32) -> u32 {
        let w = u64::from(self.on_demand_weight.max(1));
        let cap = (u64::from(demand) * 3) / (2 * w) + 1;
        u32::try_from(cap).unwrap_or(u32::MAX)
    }
}

/// Records a fleet error event seen at `at` (the event's time) into `state`.
pub fn note_fleet_error(state: &mut State, at: EpochSeconds) {
    state.fleet_error_at = Some(state.fleet_error_at.map_or(at, |e| e.max(at)));
}

/// When a shortfall the state does not record began. It begins now only when this run
/// starts it, by raising the fleet's target for a demand spot has not met yet, from a
/// state that knows every earlier raise (the fleet's target is no higher than the held
/// demand asks for). Otherwise its start is unknown: a run that raised the target or
/// saw the shortfall could not write the state, the state was lost, or spot went
/// missing without this policy asking for more. Unknown reads as one launch grace ago,
/// so the shortfall is past the grace and covered at once: the cover never waits on the
/// state's bookkeeping.
fn shortfall_start(
    policy: &Settings,
    fleet: Option<FleetState>,
    state: &State,
    wanted_target: u32,
    now: EpochSeconds,
) -> EpochSeconds {
    let started_here = fleet.is_some_and(|f| {
        wanted_target > f.target && f.target <= policy.fleet_target_for(state.demand.value)
    });
    if started_here {
        now
    } else {
        let grace = i64::try_from(policy.launch_grace_secs).unwrap_or(i64::MAX);
        now.saturating_sub(grace)
    }
}

/// The demand policy's decision (see the module docs for the rules).
pub fn decide(policy: &Settings, view: &Observation, state: &State, now: EpochSeconds) -> Decision {
    let mut next = *state;
    let w = policy.on_demand_weight.max(1);
    let demand = view.demand;

    // 1. The fleet target, on the held demand.
    next.demand = state.demand.update(demand, now, policy.fleet_hold_secs);
    let wanted_target = policy.fleet_target_for(next.demand.value);
    let fleet_target = view
        .fleet
        .filter(|f| f.target != wanted_target)
        .map(|_| wanted_target);

    // 2. Is the fleet still delivering?
    let registered = view.spot_active.saturating_add(view.spot_draining);
    let short = registered < demand;
    next.short_since = if short {
        Some(
            state
                .short_since
                .unwrap_or_else(|| shortfall_start(policy, view.fleet, state, wanted_target, now)),
        )
    } else {
        None
    };
    let fleet_failing = state
        .fleet_error_at
        .is_some_and(|e| elapsed(now, e) < FLEET_ERROR_MEMORY_SECS);
    let within_grace = next
        .short_since
        .is_some_and(|s| elapsed(now, s) < policy.launch_grace_secs);
    let delivering = short && within_grace && !fleet_failing && view.fleet.is_some();
    // The target the fleet works toward: the one this decision sets, when higher.
    let target = view.fleet.map_or(0, |f| f.target.max(wanted_target));
    let spot_expected = if delivering {
        view.spot_active
            .max(target.saturating_sub(view.spot_draining))
    } else {
        view.spot_active
    };
    let spot_launching = spot_expected.saturating_sub(view.spot_active);

    // 3. The need, in whole instances.
    let short_units = demand.saturating_sub(spot_expected);
    // Cover the group has, up to what active spot leaves uncovered, serves tasks now:
    // spot still launching defers new cover but never releases cover that serves.
    let serving = view
        .group
        .map_or(0, |g| g.desired)
        .min(demand.saturating_sub(view.spot_active).div_ceil(w));
    let need = short_units.div_ceil(w).max(serving);

    // 4. The hold, with backoff on repeated losses.
    if need > 0 && state.cover.value == 0 {
        // A new loss: repeated if the previous one began within the longest hold.
        next.losses = match state.last_loss_at {
            Some(t) if elapsed(now, t) < policy.max_hold_secs.max(policy.hold_secs) => {
                state.losses.saturating_add(1)
            }
            _ => 0,
        };
        next.last_loss_at = Some(now);
    }
    let hold = policy.hold_for(next.losses);
    next.cover = state.cover.update(need, now, hold);
    let held = next.cover.value;

    // 5. The cap and the group's bounds.
    let cap = policy.cover_cap(demand);
    let figures = Figures {
        demand,
        spot_expected,
        spot_launching,
        delivering,
        need,
        hold_secs: hold,
        cap,
    };
    let decision = |action, reason, state| Decision {
        fleet_target,
        action,
        reason,
        state,
        figures,
    };
    let Some(group) = view.group else {
        return decision(Action::None, Reason::GroupUnknown, next);
    };
    if group.min > group.max {
        return decision(Action::None, Reason::GroupBoundsInvalid, next);
    }
    if view.fleet.is_none() {
        // Keep capacity, within the bounds; the state is not advanced.
        let (desired, _) = group.clamp(f64::from(group.desired));
        let action = if desired == group.desired {
            Action::None
        } else {
            Action::SetDesired {
                desired,
                honor_cooldown: false,
            }
        };
        return decision(action, Reason::FleetUnknown, *state);
    }
    let (wanted, _) = group.clamp(f64::from(held.min(cap)));
    let (action, reason) = if wanted == group.desired {
        (Action::None, Reason::Steady)
    } else {
        let reason = if wanted > group.desired {
            Reason::CoverShortfall
        } else {
            Reason::ReleaseCover
        };
        (
            Action::SetDesired {
                desired: wanted,
                honor_cooldown: false,
            },
            reason,
        )
    };
    decision(action, reason, next)
}

/// The group's state tag ([`crate::contract::tags::STATE_TAG`]): what keeps [`State`]
/// between runs.
impl State {
    /// The tag value: `v1` then `key=value` fields separated by spaces; times are epoch
    /// seconds (`-`: none), held values `value@below-since`. Well under the 256
    /// characters of a tag value.
    pub fn to_tag(&self) -> String {
        let opt = |v: Option<EpochSeconds>| v.map_or("-".to_owned(), |t| t.to_string());
        let unit = self.unit.map_or("-".to_owned(), |UnitSize(u)| {
            format!("{}/{}", u.cpu_units, u.memory_mib)
        });
        format!(
            "v1 short={} err={} cover={}@{} demand={}@{} losses={} loss={} unit={unit}",
            opt(self.short_since),
            opt(self.fleet_error_at),
            self.cover.value,
            opt(self.cover.below_since),
            self.demand.value,
            opt(self.demand.below_since),
            self.losses,
            opt(self.last_loss_at),
        )
    }

    /// Reads [`State::to_tag`]'s form. A missing, foreign or damaged tag reads as
    /// the empty state.
    pub fn from_tag(tag: Option<&str>) -> State {
        tag.and_then(parse_tag).unwrap_or_default()
    }

    /// The state a run starts from: the tag's, or, when the tag is missing or damaged
    /// (never written, or a write that was lost), a state that holds the cover the group
    /// has now (`desired`), so that forgetting can only keep capacity a hold longer,
    /// never release it early.
    pub fn recall(tag: Option<&str>, desired: u32) -> State {
        match tag.and_then(parse_tag) {
            Some(st) => st,
            None => State {
                cover: Held {
                    value: desired,
                    below_since: None,
                },
                ..State::default()
            },
        }
    }
}

fn parse_tag(s: &str) -> Option<State> {
    let mut fields = s.split_whitespace();
    if fields.next()? != "v1" {
        return None;
    }
    let opt = |v: &str| -> Option<Option<EpochSeconds>> {
        if v == "-" {
            Some(None)
        } else {
            v.parse().ok().map(Some)
        }
    };
    let held = |v: &str| -> Option<Held> {
        let (value, since) = v.split_once('@')?;
        Some(Held {
            value: value.parse().ok()?,
            below_since: opt(since)?,
        })
    };
    let mut st = State::default();
    for f in fields {
        let (k, v) = f.split_once('=')?;
        match k {
            "short" => st.short_since = opt(v)?,
            "err" => st.fleet_error_at = opt(v)?,
            "cover" => st.cover = held(v)?,
            "demand" => st.demand = held(v)?,
            "losses" => st.losses = v.parse().ok()?,
            "loss" => st.last_loss_at = opt(v)?,
            "unit" if v == "-" => st.unit = None,
            "unit" => {
                let (cpu, memory) = v.split_once('/')?;
                st.unit = Some(UnitSize(Resources {
                    cpu_units: cpu.parse().ok()?,
                    memory_mib: memory.parse().ok()?,
                }));
            }
            _ => {}
        }
    }
    Some(st)
}

pub mod units;
