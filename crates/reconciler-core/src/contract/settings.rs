//! What the template tells the reconciler Lambda: the one contract between them.
//!
//! The stack composes a [`Settings`] whose handles are CloudFormation expressions and
//! writes it with [`Settings::to_env`] into the function's environment; the Lambda reads
//! it back with [`Settings::from_lookup`]; the simulator takes the same value to build
//! the policies the Lambda would run. The variable names live in [`mod@env`] only, and the
//! metrics window the Lambda asks CloudWatch for is [`metrics_window`].

use std::collections::BTreeSet;
use std::fmt;

use super::ids::{FLEET, is_aws_id};
use crate::drain::{DEFAULT_HOOK_TIMEOUT_SECS, HOOK_TIMEOUT_RANGE};
use crate::interruption::InterruptionPolicy;
use crate::policy::demand::{
    self, DEFAULT_HOLD_SECS, DEFAULT_LAUNCH_GRACE_SECS, DEFAULT_MAX_HOLD_SECS,
};
use crate::policy::rule_2017::{
    self, DEFAULT_QUIET_PERIOD_SECS, DEFAULT_STALE_AFTER_SECS, InvalidSettings,
};
use crate::{time::EpochSeconds, time::seconds_before};

/// The environment variable names.
pub mod env {
    /// Fallback fleet id; a fleet id in the event wins.
    pub const FLEET_ID: &str = "SPOTCOVER_FLEET_ID";
    /// Name of the on-demand Auto Scaling group (required).
    pub const GROUP_NAME: &str = "SPOTCOVER_GROUP_NAME";
    /// Fleet capacity units per on-demand instance, integer >= 1 (required).
    pub const ON_DEMAND_WEIGHT: &str = "SPOTCOVER_ON_DEMAND_WEIGHT";
    /// Quiet period in seconds (default 600).
    pub const QUIET_PERIOD_SECONDS: &str = "SPOTCOVER_QUIET_PERIOD_SECONDS";
    /// Staleness bound in seconds (default 900).
    pub const STALE_AFTER_SECONDS: &str = "SPOTCOVER_STALE_AFTER_SECONDS";
    /// ECS cluster name of the stack (required for interruption events only).
    pub const CLUSTER: &str = "SPOTCOVER_CLUSTER";
    /// The fleet's weights, `type=units,...` (e.g. `m6i.large=2,m6i.xlarge=4`); optional.
    pub const SPOT_WEIGHTS: &str = "SPOTCOVER_SPOT_WEIGHTS";
    /// `true` or `false` (default): drain and cover on rebalance recommendations too.
    pub const DRAIN_ON_REBALANCE: &str = "SPOTCOVER_DRAIN_ON_REBALANCE";
    /// Name of the on-demand group's `EC2_INSTANCE_TERMINATING` lifecycle hook; optional.
    pub const LIFECYCLE_HOOK: &str = "SPOTCOVER_LIFECYCLE_HOOK";
    /// The hook's heartbeat timeout in seconds, 30 to 7200 (default 900).
    pub const HOOK_TIMEOUT_SECONDS: &str = "SPOTCOVER_HOOK_TIMEOUT_SECONDS";
    /// Which rule sizes the fleet and the cover: `demand` or `2017` (unset: `2017`, as
    /// before this variable existed; the template always sets it).
    pub const POLICY: &str = "SPOTCOVER_POLICY";
    /// `demand` policy: the fleet's headroom, percent (1-100; demand runs at this
    /// share of the target).
    pub const FLEET_TARGET_PERCENT: &str = "SPOTCOVER_FLEET_TARGET_PERCENT";
    /// `demand` policy: lowest and highest fleet target, units.
    pub const FLEET_MIN: &str = "SPOTCOVER_FLEET_MIN";
    pub const FLEET_MAX: &str = "SPOTCOVER_FLEET_MAX";
    /// `demand` policy: seconds the fleet target stays up after demand falls.
    pub const FLEET_HOLD_SECONDS: &str = "SPOTCOVER_FLEET_HOLD_SECONDS";
    /// `demand` policy: seconds a launching fleet gets before what it lacks is covered.
    pub const LAUNCH_GRACE_SECONDS: &str = "SPOTCOVER_LAUNCH_GRACE_SECONDS";
    /// `demand` policy: seconds the largest recent need is held; the longest hold.
    pub const HOLD_SECONDS: &str = "SPOTCOVER_HOLD_SECONDS";
    pub const MAX_HOLD_SECONDS: &str = "SPOTCOVER_MAX_HOLD_SECONDS";
    /// The CloudFormation stack's name: the `stack` dimension of the run's metrics
    /// ([`crate::contract::metrics`]); unset, the log line carries no metrics.
    pub const STACK: &str = "SPOTCOVER_STACK";
}

/// The `demand` policy's values, as the template writes them (see [`demand::Settings`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemandSettings {
    pub target_percent: u32,
    pub fleet_min: u32,
    pub fleet_max: u32,
    pub fleet_hold_secs: u64,
    pub launch_grace_secs: u64,
    pub hold_secs: u64,
    pub max_hold_secs: u64,
}

impl Default for DemandSettings {
    fn default() -> Self {
        DemandSettings {
            target_percent: 100,
            fleet_min: 0,
            fleet_max: 40,
            fleet_hold_secs: 300,
            launch_grace_secs: DEFAULT_LAUNCH_GRACE_SECS,
            hold_secs: DEFAULT_HOLD_SECS,
            max_hold_secs: DEFAULT_MAX_HOLD_SECS,
        }
    }
}

/// The reconciler function's timeout, seconds: the template's `Timeout`, and what a run
/// the Lambda does not give a deadline for (`bootstrap --once`) budgets.
pub const FUNCTION_TIMEOUT_SECS: u32 = 30;

/// What a run keeps of its time, after its last AWS call, to write its log line and
/// answer, milliseconds.
pub const ANSWER_RESERVE_MS: u64 = 2_000;

/// The time a run's AWS calls may take together, milliseconds, when `remaining_ms` are
/// left before the function's timeout: all of it but [`ANSWER_RESERVE_MS`].
pub fn call_budget_ms(remaining_ms: u64) -> u64 {
    remaining_ms.saturating_sub(ANSWER_RESERVE_MS)
}

/// Extra look-back beyond `max(quiet, stale_after)`: one 5-minute metric period, so the
/// datapoint just before the quiet period is seen.
pub const METRICS_WINDOW_MARGIN_SECS: u64 = 300;

/// How far back the metrics window reaches: `max(Q, S)` plus
/// [`METRICS_WINDOW_MARGIN_SECS`].
pub fn metrics_lookback_secs(policy: &rule_2017::Settings) -> u64 {
    policy.quiet_period_secs.max(policy.stale_after_secs) + METRICS_WINDOW_MARGIN_SECS
}

/// The metrics window asked of CloudWatch: `[now - max(Q, S) - 300, now + 60)`.
pub fn metrics_window(
    policy: &rule_2017::Settings,
    now: EpochSeconds,
) -> (EpochSeconds, EpochSeconds) {
    let back = metrics_lookback_secs(policy);
    (seconds_before(now, back), now + 60)
}

/// What the reconciler is told. `V` is how a handle is written: a name at run time
/// (`String`), a CloudFormation expression in the template.
///
/// `None` (and no spot weights) means the variable is not set, so the Lambda's default
/// applies; a value read back with [`Settings::from_lookup`] is the one written with
/// [`Settings::to_env`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings<V = String> {
    /// The Spot Fleet request id.
    pub fleet_id: Option<V>,
    /// The on-demand Auto Scaling group's name.
    pub group_name: V,
    /// Fleet capacity units per on-demand instance.
    pub on_demand_weight: u32,
    /// [`rule_2017::Settings::quiet_period_secs`]; `None`: [`DEFAULT_QUIET_PERIOD_SECS`].
    pub quiet_period_secs: Option<u64>,
    /// [`rule_2017::Settings::stale_after_secs`]; `None`: [`DEFAULT_STALE_AFTER_SECS`].
    pub stale_after_secs: Option<u64>,
    /// The stack's ECS cluster, where the reconciler drains (interruption notices,
    /// the group's lifecycle hook, the fleet's surplus).
    pub cluster: Option<V>,
    /// The fleet's weights per instance type, in the config's order; empty: not set.
    pub spot_weights: Vec<(String, u32)>,
    /// Drain and cover on rebalance recommendations; `None`: false.
    pub drain_on_rebalance: Option<bool>,
    /// The on-demand group's `EC2_INSTANCE_TERMINATING` lifecycle hook; `None`: no hook,
    /// lifecycle events are refused and scheduled runs complete no lifecycle action.
    pub lifecycle_hook: Option<V>,
    /// The hook's heartbeat timeout, seconds, within [`HOOK_TIMEOUT_RANGE`]; `None`:
    /// [`DEFAULT_HOOK_TIMEOUT_SECS`].
    pub hook_timeout_secs: Option<u64>,
    /// The `demand` policy's values; `None`: the `2017` policy.
    pub demand: Option<DemandSettings>,
    /// The stack's name, the `stack` dimension of the run's metrics; `None`: no metrics.
    pub stack: Option<V>,
}

/// A variable that is missing or unusable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettingsError {
    Missing(&'static str),
    Invalid {
        name: &'static str,
        want: &'static str,
        got: String,
    },
}

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SettingsError::Missing(name) => write!(f, "{name} is not set"),
            SettingsError::Invalid { name, want, got } => {
                write!(f, "{name} must be {want}, got {got:?}")
            }
        }
    }
}

impl std::error::Error for SettingsError {}

impl<V> Settings<V> {
    /// The shortfall decision's policy.
    pub fn policy(&self) -> Result<rule_2017::Settings, InvalidSettings> {
        rule_2017::Settings::with(
            self.on_demand_weight,
            self.quiet_period_secs.unwrap_or(DEFAULT_QUIET_PERIOD_SECS),
            self.stale_after_secs.unwrap_or(DEFAULT_STALE_AFTER_SECS),
        )
    }

    /// The interruption decision's policy.
    pub fn interruption_policy(&self) -> InterruptionPolicy {
        InterruptionPolicy {
            spot_weights: self.spot_weights.iter().cloned().collect(),
            drain_on_rebalance: self.drain_on_rebalance.unwrap_or(false),
        }
    }

    /// The `demand` policy, when the template chose it.
    pub fn need_policy(&self) -> Option<demand::Settings> {
        self.demand.map(|d| demand::Settings {
            on_demand_weight: self.on_demand_weight.max(1),
            target_percent: d.target_percent,
            fleet_min: d.fleet_min,
            fleet_max: d.fleet_max,
            fleet_hold_secs: d.fleet_hold_secs,
            launch_grace_secs: d.launch_grace_secs,
            hold_secs: d.hold_secs,
            max_hold_secs: d.max_hold_secs,
        })
    }

    /// The hook's heartbeat timeout, with the default applied.
    pub fn hook_timeout(&self) -> u64 {
        self.hook_timeout_secs.unwrap_or(DEFAULT_HOOK_TIMEOUT_SECS)
    }

    /// The variables to set, in [`mod@env`]'s order; unset ones are left out.
    pub fn to_env(&self) -> Vec<(&'static str, V)>
    where
        V: Clone + From<String>,
    {
        let text = |s: String| V::from(s);
        let mut out = Vec::new();
        if let Some(id) = &self.fleet_id {
            out.push((env::FLEET_ID, id.clone()));
        }
        out.push((env::GROUP_NAME, self.group_name.clone()));
        out.push((
            env::ON_DEMAND_WEIGHT,
            text(self.on_demand_weight.to_string()),
        ));
        if let Some(q) = self.quiet_period_secs {
            out.push((env::QUIET_PERIOD_SECONDS, text(q.to_string())));
        }
        if let Some(s) = self.stale_after_secs {
            out.push((env::STALE_AFTER_SECONDS, text(s.to_string())));
        }
        if let Some(c) = &self.cluster {
            out.push((env::CLUSTER, c.clone()));
        }
        if !self.spot_weights.is_empty() {
            out.push((env::SPOT_WEIGHTS, text(format_weights(&self.spot_weights))));
        }
        if let Some(d) = self.drain_on_rebalance {
            out.push((env::DRAIN_ON_REBALANCE, text(d.to_string())));
        }
        if let Some(h) = &self.lifecycle_hook {
            out.push((env::LIFECYCLE_HOOK, h.clone()));
        }
        if let Some(t) = self.hook_timeout_secs {
            out.push((env::HOOK_TIMEOUT_SECONDS, text(t.to_string())));
        }
        match &self.demand {
            None => out.push((env::POLICY, text("2017".to_owned()))),
            Some(d) => {
                out.push((env::POLICY, text("demand".to_owned())));
                for (name, v) in [
                    (env::FLEET_TARGET_PERCENT, u64::from(d.target_percent)),
                    (env::FLEET_MIN, u64::from(d.fleet_min)),
                    (env::FLEET_MAX, u64::from(d.fleet_max)),
                    (env::FLEET_HOLD_SECONDS, d.fleet_hold_secs),
                    (env::LAUNCH_GRACE_SECONDS, d.launch_grace_secs),
                    (env::HOLD_SECONDS, d.hold_secs),
                    (env::MAX_HOLD_SECONDS, d.max_hold_secs),
                ] {
                    out.push((name, text(v.to_string())));
                }
            }
        }
        if let Some(s) = &self.stack {
            out.push((env::STACK, s.clone()));
        }
        out
    }
}

impl Settings<String> {
    /// Reads the variables through `get` (the Lambda passes `std::env::var`). Blank
    /// values count as unset.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let fleet_id = non_empty(get(env::FLEET_ID));
        if let Some(id) = &fleet_id
            && !is_aws_id(id, FLEET)
        {
            return Err(SettingsError::Invalid {
                name: env::FLEET_ID,
                want: "a Spot Fleet request id (sfr-...)",
                got: id.clone(),
            });
        }
        let group_name =
            non_empty(get(env::GROUP_NAME)).ok_or(SettingsError::Missing(env::GROUP_NAME))?;
        let on_demand_weight: u32 = number(
            env::ON_DEMAND_WEIGHT,
            "an integer >= 1",
            get(env::ON_DEMAND_WEIGHT),
        )?
        .ok_or(SettingsError::Missing(env::ON_DEMAND_WEIGHT))?;
        let seconds = "a whole number of seconds";
        let quiet_period_secs = number(
            env::QUIET_PERIOD_SECONDS,
            seconds,
            get(env::QUIET_PERIOD_SECONDS),
        )?;
        let stale_after_secs = number(
            env::STALE_AFTER_SECONDS,
            seconds,
            get(env::STALE_AFTER_SECONDS),
        )?;
        let (low, high) = HOOK_TIMEOUT_RANGE;
        let hook_timeout = "a whole number of seconds from 30 to 7200";
        let hook_timeout_secs = number::<u64>(
            env::HOOK_TIMEOUT_SECONDS,
            hook_timeout,
            get(env::HOOK_TIMEOUT_SECONDS),
        )?;
        if let Some(t) = hook_timeout_secs
            && !(low..=high).contains(&t)
        {
            return Err(SettingsError::Invalid {
                name: env::HOOK_TIMEOUT_SECONDS,
                want: hook_timeout,
                got: t.to_string(),
            });
        }
        if on_demand_weight == 0 {
            return Err(SettingsError::Invalid {
                name: env::ON_DEMAND_WEIGHT,
                want: "an integer >= 1",
                got: on_demand_weight.to_string(),
            });
        }
        // An environment that names no policy was written before the demand policy
        // existed (or by hand, for `--once`): the 2017 rule, which needs no cluster.
        let demand = match non_empty(get(env::POLICY)).as_deref() {
            Some("demand") => Some(demand_settings(&get)?),
            None | Some("2017") => None,
            Some(other) => {
                return Err(SettingsError::Invalid {
                    name: env::POLICY,
                    want: "demand or 2017",
                    got: other.to_owned(),
                });
            }
        };
        Ok(Self {
            fleet_id,
            group_name,
            on_demand_weight,
            quiet_period_secs,
            stale_after_secs,
            cluster: non_empty(get(env::CLUSTER)),
            spot_weights: parse_weights(&get(env::SPOT_WEIGHTS).unwrap_or_default())?,
            drain_on_rebalance: boolean(env::DRAIN_ON_REBALANCE, get(env::DRAIN_ON_REBALANCE))?,
            lifecycle_hook: non_empty(get(env::LIFECYCLE_HOOK)),
            hook_timeout_secs,
            demand,
            stack: non_empty(get(env::STACK)),
        })
    }
}

/// The `demand` policy's variables; each left out takes [`DemandSettings::default`]'s
/// value.
fn demand_settings(get: &impl Fn(&str) -> Option<String>) -> Result<DemandSettings, SettingsError> {
    let d = DemandSettings::default();
    let seconds = "a whole number of seconds";
    let units = "a whole number of units";
    let u = |name: &'static str, want: &'static str, default: u32| {
        number::<u32>(name, want, get(name)).map(|v| v.unwrap_or(default))
    };
    let secs = |name: &'static str, default: u64| {
        number::<u64>(name, seconds, get(name)).map(|v| v.unwrap_or(default))
    };
    let out = DemandSettings {
        target_percent: u(
            env::FLEET_TARGET_PERCENT,
            "a percent from 1 to 100",
            d.target_percent,
        )?,
        fleet_min: u(env::FLEET_MIN, units, d.fleet_min)?,
        fleet_max: u(env::FLEET_MAX, units, d.fleet_max)?,
        fleet_hold_secs: secs(env::FLEET_HOLD_SECONDS, d.fleet_hold_secs)?,
        launch_grace_secs: secs(env::LAUNCH_GRACE_SECONDS, d.launch_grace_secs)?,
        hold_secs: secs(env::HOLD_SECONDS, d.hold_secs)?,
        max_hold_secs: secs(env::MAX_HOLD_SECONDS, d.max_hold_secs)?,
    };
    if !(1..=100).contains(&out.target_percent) {
        return Err(SettingsError::Invalid {
            name: env::FLEET_TARGET_PERCENT,
            want: "a percent from 1 to 100",
            got: out.target_percent.to_string(),
        });
    }
    if out.fleet_min > out.fleet_max {
        return Err(SettingsError::Invalid {
            name: env::FLEET_MIN,
            want: "at most SPOTCOVER_FLEET_MAX",
            got: out.fleet_min.to_string(),
        });
    }
    Ok(out)
}

/// `type=units,...`, the form [`parse_weights`] reads, with a type of the same family as
/// the one before written from its dot (`m5.large=1,.xlarge=2`): Lambda takes 4 KB of
/// environment in all, and a fleet may list 300 types.
fn format_weights(weights: &[(String, u32)]) -> String {
    let mut previous: Option<&str> = None;
    weights
        .iter()
        .map(|(t, w)| {
            let family = t.split_once('.').map(|(f, _)| f);
            let entry = match (family, previous) {
                (Some(f), Some(p)) if f == p => format!("{}={w}", &t[f.len()..]),
                _ => format!("{t}={w}"),
            };
            previous = family;
            entry
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Parses `type=units,...`: types non-empty and distinct, units integers >= 1, in the
/// order given; a type starting with `.` has the family of the one before. Blank entries
/// (`a=1,,b=2`, a trailing comma) are ignored.
pub fn parse_weights(s: &str) -> Result<Vec<(String, u32)>, SettingsError> {
    let invalid = || SettingsError::Invalid {
        name: env::SPOT_WEIGHTS,
        want: "instance-type=weight pairs separated by commas, weights integers >= 1",
        got: s.to_owned(),
    };
    let mut out: Vec<(String, u32)> = Vec::new();
    let mut seen = BTreeSet::new();
    for entry in s.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let (ty, w) = entry.split_once('=').ok_or_else(invalid)?;
        let (ty, w) = (ty.trim(), w.trim());
        let w: u32 = w.parse().map_err(|_| invalid())?;
        let ty = if ty.starts_with('.') {
            let family = out
                .last()
                .and_then(|(t, _)| t.split_once('.'))
                .map(|(f, _)| f)
                .ok_or_else(invalid)?;
            format!("{family}{ty}")
        } else {
            ty.to_owned()
        };
        if ty.is_empty() || w == 0 || !seen.insert(ty.clone()) {
            return Err(invalid());
        }
        out.push((ty, w));
    }
    Ok(out)
}

fn non_empty(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

fn boolean(name: &'static str, v: Option<String>) -> Result<Option<bool>, SettingsError> {
    match non_empty(v) {
        None => Ok(None),
        Some(s) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Some(s) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
        Some(s) => Err(SettingsError::Invalid {
            name,
            want: "true or false",
            got: s,
        }),
    }
}

fn number<T: std::str::FromStr>(
    name: &'static str,
    want: &'static str,
    v: Option<String>,
) -> Result<Option<T>, SettingsError> {
    non_empty(v)
        .map(|s| {
            s.parse()
                .map_err(|_| SettingsError::Invalid { name, want, got: s })
        })
        .transpose()
}

pub mod fallback;

#[cfg(test)]
mod tests;
