//! The scenario file: what the market and the workload do over time.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use spotcover_stack::{ConfigError, StackConfig};

/// Longest scenario accepted: one week of minutes.
pub const MAX_DURATION_MINUTES: u32 = 7 * 24 * 60;

/// A scenario: demand over time and the behaviour of every spot pool.
///
/// ```yaml
/// duration_minutes: 180
/// seed: 7                     # drives the launch-latency jitter
/// warning_minutes: 2          # optional: interruption warnings come this far ahead
/// metric_period_minutes: 5    # optional: AWS/EC2Spot datapoints, one per period
/// metric_delay_minutes: 3     # optional: a period's datapoint is readable this late
/// ecs_registration_minutes: 1 # optional: from instance running to ECS ACTIVE
/// demand:                     # capacity units reserved by ECS tasks, as steps
///   - { from_minute: 0, units: 12 }
///   - { from_minute: 60, units: 20 }
/// pools:                      # exactly the config's spot.instance_types
///   - type: m6i.large
///     price_per_hour: 0.035
///     launch_latency_minutes: 3
///     launch_jitter_minutes: 1   # optional, each launch adds 0..=jitter minutes
///     availability:              # optional; a pool is available outside these windows
///       - { from_minute: 30, to_minute: 60, available: false }
/// on_demand:
///   price_per_hour: 0.096
///   launch_latency_minutes: 4
/// ```
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Minutes simulated; minute `m` covers `[m, m + 1)`.
    pub duration_minutes: u32,
    /// Seed of the pseudo-random launch-latency jitter. Same seed, same report.
    #[serde(default)]
    pub seed: u64,
    /// Minutes between a pool's spot interruption warning and the interruption (AWS
    /// gives two). A pool lost at minute `t` warns its instances at `t - warning_minutes`
    /// (at minute 0 for losses before `warning_minutes`); 0: no warnings.
    #[serde(default = "default_warning_minutes")]
    pub warning_minutes: u32,
    /// Minutes per `AWS/EC2Spot` datapoint the reconciler reads (TargetCapacity,
    /// FulfilledCapacity). Default 5. Sources: the EC2 user guide's Spot Fleet
    /// CloudWatch metrics page recommends detailed monitoring on the instances for
    /// accurate fleet metrics, without stating a period; basic monitoring, which the
    /// template leaves on, publishes in 5-minute periods (EC2 user guide, "Enable or
    /// turn off detailed monitoring for your instances", `using-cloudwatch-new.html`).
    /// 1 models detailed monitoring.
    #[serde(default = "default_metric_period_minutes")]
    pub metric_period_minutes: u32,
    /// Minutes after the end of a period until its datapoint can be read. Default 3:
    /// an estimate ("a few minutes"); AWS documents no figure for these metrics.
    #[serde(default = "default_metric_delay_minutes")]
    pub metric_delay_minutes: u32,
    /// Minutes from an instance running (EC2, after `launch_latency_minutes`) until its
    /// ECS agent has registered it and tasks can be placed on it (spot and on-demand
    /// alike). Default 1: an estimate; AWS documents no figure.
    #[serde(default = "default_ecs_registration_minutes")]
    pub ecs_registration_minutes: u32,
    /// Whether the fleet's EventBridge events reach the reconciler (`demand` policy).
    /// Default true. Spot Fleet emits `EC2 Spot Fleet Error` /
    /// `allLaunchSpecsTemporarilyBlacklisted` when "none of the configurations are
    /// valid, and several attempts to launch instances have failed" (EC2 API reference,
    /// `EventInformation`; EC2 user guide, "Spot Fleet event types"), but fleet events
    /// are emitted on a best-effort basis (EC2 user guide, "Monitor fleet events using
    /// Amazon EventBridge"): false models them all lost.
    #[serde(default = "yes")]
    pub fleet_events: bool,
    /// Minutes from the fleet's first failed launch (no pool can take one) until its
    /// error event reaches the reconciler. Default 1: "several attempts" is all AWS says.
    #[serde(default = "default_fleet_event_delay_minutes")]
    pub fleet_event_delay_minutes: u32,
    /// Minutes from `ModifySpotFleetRequest` until the fleet acts on the new target
    /// (`demand` policy). Default 1: the request goes `modify_in_progress` then
    /// `modify_successful` (EC2 API reference, `EventInformation`); AWS documents no
    /// duration.
    #[serde(default = "default_fleet_modify_latency_minutes")]
    pub fleet_modify_latency_minutes: u32,
    /// Whether every write of the demand policy's state is lost (`demand` policy).
    /// Default false. The Lambda keeps that state in a tag of the on-demand group, and
    /// `CreateOrUpdateTags` can be throttled, refused (a missing right, the tag limit)
    /// or lost; true models every write failing: each run reads the group's tag as it
    /// was before the run began, never written, and a fleet error event counts only in
    /// the run it reaches.
    #[serde(default)]
    pub state_writes_lost: bool,
    /// Capacity units required by ECS (the reservation), as steps: each holds from its
    /// `from_minute` until the next step. The first step starts at minute 0.
    pub demand: Vec<DemandStep>,
    /// One spot pool per spot instance type of the config, in any order.
    pub pools: Vec<PoolSpec>,
    pub on_demand: OnDemandSpec,
    /// What only the `engine: asg` world reads (ECS and Auto Scaling behaviour AWS does
    /// not pin down); optional, every key with its default.
    #[serde(default)]
    pub asg: AsgSwitches,
}

/// Behaviour of ECS capacity providers and Auto Scaling that AWS documents loosely or
/// not at all: each is a switch, so a result can be checked under either answer.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AsgSwitches {
    /// Minutes a task waits in PROVISIONING before ECS stops it (the service starts a
    /// new one). AWS says tasks wait "10 to 30 minutes". Default 30.
    #[serde(default = "default_provisioning_timeout")]
    pub provisioning_timeout_minutes: u32,
    /// Most tasks in PROVISIONING per cluster (an ECS service quota, 500 by default);
    /// the rest are not started.
    #[serde(default = "default_provisioning_cap")]
    pub provisioning_cap: u32,
    /// Whether the "gradual replacement" after a lower `OnDemandBaseCapacity` skips
    /// instances protected from scale-in (undocumented). Default true.
    #[serde(default = "yes")]
    pub replacement_honors_protection: bool,
    /// Which on-demand instance that replacement terminates (undocumented): `oldest`
    /// (default) or `newest`.
    #[serde(default)]
    pub replacement_picks: ReplacementPick,
    /// Consecutive minutes above target before managed scaling scales out (its alarm's
    /// datapoints; not documented). Default 1.
    #[serde(default = "one")]
    pub scale_out_datapoints: u32,
}

impl Default for AsgSwitches {
    fn default() -> Self {
        AsgSwitches {
            provisioning_timeout_minutes: default_provisioning_timeout(),
            provisioning_cap: default_provisioning_cap(),
            replacement_honors_protection: true,
            replacement_picks: ReplacementPick::default(),
            scale_out_datapoints: 1,
        }
    }
}

/// See [`AsgSwitches::replacement_picks`].
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ReplacementPick {
    #[default]
    Oldest,
    Newest,
}

fn default_provisioning_timeout() -> u32 {
    30
}
fn default_provisioning_cap() -> u32 {
    500
}
fn yes() -> bool {
    true
}
fn one() -> u32 {
    1
}

/// Longest interruption warning accepted, minutes.
pub const MAX_WARNING_MINUTES: u32 = 60;

/// AWS's spot interruption warning: two minutes.
pub const DEFAULT_WARNING_MINUTES: u32 = 2;

fn default_warning_minutes() -> u32 {
    DEFAULT_WARNING_MINUTES
}

/// Default [`Scenario::metric_period_minutes`].
pub const DEFAULT_METRIC_PERIOD_MINUTES: u32 = 5;
/// Default [`Scenario::metric_delay_minutes`].
pub const DEFAULT_METRIC_DELAY_MINUTES: u32 = 3;
/// Default [`Scenario::ecs_registration_minutes`].
pub const DEFAULT_ECS_REGISTRATION_MINUTES: u32 = 1;
/// Longest metric period, publication delay, registration delay, launch latency
/// and launch jitter accepted, minutes.
pub const MAX_DELAY_MINUTES: u32 = 60;

/// Default [`Scenario::fleet_event_delay_minutes`].
pub const DEFAULT_FLEET_EVENT_DELAY_MINUTES: u32 = 1;
/// Default [`Scenario::fleet_modify_latency_minutes`].
pub const DEFAULT_FLEET_MODIFY_LATENCY_MINUTES: u32 = 1;
fn default_fleet_event_delay_minutes() -> u32 {
    DEFAULT_FLEET_EVENT_DELAY_MINUTES
}
fn default_fleet_modify_latency_minutes() -> u32 {
    DEFAULT_FLEET_MODIFY_LATENCY_MINUTES
}

fn default_metric_period_minutes() -> u32 {
    DEFAULT_METRIC_PERIOD_MINUTES
}
fn default_metric_delay_minutes() -> u32 {
    DEFAULT_METRIC_DELAY_MINUTES
}
fn default_ecs_registration_minutes() -> u32 {
    DEFAULT_ECS_REGISTRATION_MINUTES
}

/// From `from_minute` on (until the next step), ECS tasks reserve `units` capacity units.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DemandStep {
    pub from_minute: u32,
    pub units: u32,
}

/// A spot pool: one instance type of the fleet.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PoolSpec {
    /// An instance type of the config's `spot.instance_types`.
    #[serde(rename = "type")]
    pub instance_type: String,
    /// Spot price per instance-hour, in dollars.
    pub price_per_hour: f64,
    /// Minutes from the fleet's launch request until the instance is running; it
    /// serves ECS `ecs_registration_minutes` later. The fleet counts it in
    /// FulfilledCapacity from the launch request.
    pub launch_latency_minutes: u32,
    /// Each launch takes `0..=launch_jitter_minutes` extra minutes (seeded).
    #[serde(default)]
    pub launch_jitter_minutes: u32,
    /// Windows where availability differs from "available". Later windows override
    /// earlier ones where they overlap.
    #[serde(default)]
    pub availability: Vec<Window>,
}

/// `[from_minute, to_minute)`: the pool is `available` (or not) in these minutes.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Window {
    pub from_minute: u32,
    pub to_minute: u32,
    pub available: bool,
}

/// The on-demand group's instances.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OnDemandSpec {
    /// On-demand price per instance-hour, in dollars.
    pub price_per_hour: f64,
    /// Minutes from the group's launch until the instance is running (InService); it
    /// serves ECS `ecs_registration_minutes` later.
    pub launch_latency_minutes: u32,
    /// Each launch takes `0..=launch_jitter_minutes` extra minutes (seeded).
    #[serde(default)]
    pub launch_jitter_minutes: u32,
}

/// A problem with a scenario: where (`path`, such as `pools[1].availability[0]`) and what;
/// the same located error a config has.
fn err(path: impl Into<String>, message: impl Into<String>) -> ConfigError {
    ConfigError::at(path, message)
}

impl Scenario {
    /// Parses a scenario and checks what the types cannot (steps in order, windows
    /// non-empty, prices finite, pools unique). Unknown keys are errors.
    pub fn from_yaml(text: &str) -> Result<Scenario, ConfigError> {
        let scenario: Scenario = spotcover_stack::load::parse(text)?;
        scenario.validate()?;
        Ok(scenario)
    }

    /// The checks of [`Scenario::from_yaml`] beyond parsing, for scenarios built in code.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.duration_minutes == 0 || self.duration_minutes > MAX_DURATION_MINUTES {
            return Err(err(
                "duration_minutes",
                format!("expected 1 to {MAX_DURATION_MINUTES} minutes"),
            ));
        }
        if self.warning_minutes > MAX_WARNING_MINUTES {
            return Err(err(
                "warning_minutes",
                format!("expected 0 to {MAX_WARNING_MINUTES} minutes"),
            ));
        }
        if self.metric_period_minutes == 0 || self.metric_period_minutes > MAX_DELAY_MINUTES {
            return Err(err(
                "metric_period_minutes",
                format!("expected 1 to {MAX_DELAY_MINUTES} minutes"),
            ));
        }
        for (v, path) in [
            (self.metric_delay_minutes, "metric_delay_minutes"),
            (self.ecs_registration_minutes, "ecs_registration_minutes"),
            (self.fleet_event_delay_minutes, "fleet_event_delay_minutes"),
            (
                self.fleet_modify_latency_minutes,
                "fleet_modify_latency_minutes",
            ),
            (
                self.on_demand.launch_latency_minutes,
                "on_demand.launch_latency_minutes",
            ),
            (
                self.on_demand.launch_jitter_minutes,
                "on_demand.launch_jitter_minutes",
            ),
        ] {
            check_minutes(v, path)?;
        }
        self.check_numbers()?;
        match self.demand.first() {
            None => return Err(err("demand", "expected at least one step")),
            Some(s) if s.from_minute != 0 => {
                return Err(err("demand[0].from_minute", "the first step starts at 0"));
            }
            Some(_) => {}
        }
        for (i, pair) in self.demand.windows(2).enumerate() {
            if pair[1].from_minute <= pair[0].from_minute {
                return Err(err(
                    format!("demand[{}].from_minute", i + 1),
                    "expected steps in increasing from_minute order",
                ));
            }
        }
        if self.pools.is_empty() {
            return Err(err("pools", "expected at least one pool"));
        }
        let mut seen = BTreeSet::new();
        for (i, p) in self.pools.iter().enumerate() {
            if !seen.insert(p.instance_type.as_str()) {
                return Err(err(
                    format!("pools[{i}].type"),
                    format!("pool `{}` is listed twice", p.instance_type),
                ));
            }
            check_price(p.price_per_hour, &format!("pools[{i}].price_per_hour"))?;
            check_minutes(
                p.launch_latency_minutes,
                &format!("pools[{i}].launch_latency_minutes"),
            )?;
            check_minutes(
                p.launch_jitter_minutes,
                &format!("pools[{i}].launch_jitter_minutes"),
            )?;
            for (j, w) in p.availability.iter().enumerate() {
                if w.to_minute <= w.from_minute {
                    return Err(err(
                        format!("pools[{i}].availability[{j}].to_minute"),
                        "expected to_minute > from_minute",
                    ));
                }
            }
        }
        check_price(self.on_demand.price_per_hour, "on_demand.price_per_hour")?;
        let a = &self.asg;
        if a.provisioning_timeout_minutes == 0 || a.provisioning_timeout_minutes > MAX_DELAY_MINUTES
        {
            return Err(err(
                "asg.provisioning_timeout_minutes",
                format!("expected 1 to {MAX_DELAY_MINUTES} minutes"),
            ));
        }
        if a.provisioning_cap > MAX_DEMAND_UNITS {
            return Err(err(
                "asg.provisioning_cap",
                format!("expected 0 to {MAX_DEMAND_UNITS} tasks"),
            ));
        }
        if a.scale_out_datapoints == 0 || a.scale_out_datapoints > MAX_DELAY_MINUTES {
            return Err(err(
                "asg.scale_out_datapoints",
                format!("expected 1 to {MAX_DELAY_MINUTES} datapoints"),
            ));
        }
        Ok(())
    }

    /// Numbers the simulator adds, multiplies or allocates by: minutes within the
    /// scenario, demand within what a fleet and a group can hold, and at most one demand
    /// step or availability window per minute, so no sum wraps and no allocation grows
    /// with a number the user wrote.
    fn check_numbers(&self) -> Result<(), ConfigError> {
        let minutes = |v: u32, path: String| {
            if v <= self.duration_minutes {
                Ok(())
            } else {
                Err(err(
                    path,
                    format!(
                        "expected a minute from 0 to duration_minutes ({}), found {v}",
                        self.duration_minutes
                    ),
                ))
            }
        };
        let per_minute = |n: usize, path: &str| {
            if n <= self.duration_minutes as usize {
                Ok(())
            } else {
                Err(err(
                    path,
                    format!(
                        "expected at most one entry per minute ({}), found {n}",
                        self.duration_minutes
                    ),
                ))
            }
        };
        per_minute(self.demand.len(), "demand")?;
        for (i, step) in self.demand.iter().enumerate() {
            minutes(step.from_minute, format!("demand[{i}].from_minute"))?;
            if step.units > MAX_DEMAND_UNITS {
                return Err(err(
                    format!("demand[{i}].units"),
                    format!(
                        "expected at most {MAX_DEMAND_UNITS} units, found {}",
                        step.units
                    ),
                ));
            }
        }
        for (i, p) in self.pools.iter().enumerate() {
            per_minute(p.availability.len(), &format!("pools[{i}].availability"))?;
            for (j, w) in p.availability.iter().enumerate() {
                let at = format!("pools[{i}].availability[{j}]");
                minutes(w.from_minute, format!("{at}.from_minute"))?;
                minutes(w.to_minute, format!("{at}.to_minute"))?;
            }
            check_price_bound(p.price_per_hour, &format!("pools[{i}].price_per_hour"))?;
        }
        check_price_bound(self.on_demand.price_per_hour, "on_demand.price_per_hour")
    }

    /// Checks that the pools are exactly the config's spot instance types.
    pub fn check_against(&self, config: &StackConfig) -> Result<(), ConfigError> {
        for (i, p) in self.pools.iter().enumerate() {
            if !config
                .spot
                .instance_types
                .iter()
                .any(|t| t.instance_type == p.instance_type)
            {
                return Err(err(
                    format!("pools[{i}].type"),
                    format!(
                        "`{}` is not one of the config's spot.instance_types",
                        p.instance_type
                    ),
                ));
            }
        }
        for (i, t) in config.spot.instance_types.iter().enumerate() {
            if !self
                .pools
                .iter()
                .any(|p| p.instance_type == t.instance_type)
            {
                return Err(err(
                    "pools",
                    format!(
                        "no pool for `{}` (the config's spot.instance_types[{i}])",
                        t.instance_type
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Units required at `minute`.
    pub fn demand_at(&self, minute: u32) -> u32 {
        self.demand
            .iter()
            .rev()
            .find(|s| s.from_minute <= minute)
            .map_or(0, |s| s.units)
    }
}

impl PoolSpec {
    /// Whether the pool can be used (and keeps its instances) at `minute`.
    pub fn available_at(&self, minute: u32) -> bool {
        self.availability
            .iter()
            .rev()
            .find(|w| w.from_minute <= minute && minute < w.to_minute)
            .is_none_or(|w| w.available)
    }

    /// Whether the pool is lost at `minute`: unavailable then, available the minute
    /// before. Minute 0 is never a loss (nothing runs before it).
    pub fn lost_at(&self, minute: u32) -> bool {
        minute > 0 && !self.available_at(minute) && self.available_at(minute - 1)
    }
}

fn check_minutes(v: u32, path: &str) -> Result<(), ConfigError> {
    if v <= MAX_DELAY_MINUTES {
        Ok(())
    } else {
        Err(err(
            path,
            format!("expected 0 to {MAX_DELAY_MINUTES} minutes"),
        ))
    }
}

/// Most demand a scenario may ask for: ten full Spot Fleets (10,000 units each, the
/// target capacity per fleet,
/// <https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/fleet-quotas.html>).
pub const MAX_DEMAND_UNITS: u32 = 100_000;

/// Highest price per instance-hour accepted, dollars: far above any EC2 price, low
/// enough that a week of costs stays an exact sum.
pub const MAX_PRICE_PER_HOUR: f64 = 1_000.0;

fn check_price_bound(p: f64, path: &str) -> Result<(), ConfigError> {
    if p <= MAX_PRICE_PER_HOUR || !p.is_finite() {
        Ok(()) // non-finite prices are refused by check_price
    } else {
        Err(err(
            path,
            format!("expected at most {MAX_PRICE_PER_HOUR} dollars per hour, found {p}"),
        ))
    }
}

fn check_price(p: f64, path: &str) -> Result<(), ConfigError> {
    if p.is_finite() && p >= 0.0 {
        Ok(())
    } else {
        Err(err(path, "expected a price of 0 or more"))
    }
}
