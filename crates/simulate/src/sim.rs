//! The simulation proper: one world per policy (spot pools, the fleet and its target
//! tracking on the cluster's reservation, the on-demand group), stepped minute by minute.
//! The fleet sees the group through the reservation, so every policy has its own fleet.
//!
//! - `world`: a policy's world, its state, and the figures of a minute (ECS placement,
//!   CPUReservation, billing);
//! - `fleet`: the Spot Fleet (`maintain`, pool losses, interruption warnings);
//! - `caps`: the fleet's maximum prices (`max_price`, per unit hour);
//! - `tracking`: target tracking of the fleet on the reservation;
//! - `group`: the on-demand Auto Scaling group and its cooldown;
//! - `metrics`: the fleet's metrics as CloudWatch gives them to the reconciler;
//! - `policies`: who drives the group, and one policy's run.

use spotcover_reconciler_core::{DEFAULT_STALE_AFTER_SECS, EpochSeconds, Policy};
use spotcover_stack::{ConfigError, StackConfig};

use crate::report::{PolicyName, Report};
use crate::scenario::Scenario;

mod caps;
mod fleet;
mod group;
mod metrics;
mod policies;
#[cfg(test)]
mod tests;
mod tracking;
mod world;

use policies::{Driver, run};
pub use tracking::{SCALE_IN_DATAPOINTS, SCALE_IN_FRACTION, SCALE_OUT_DATAPOINTS};
use world::Env;

/// Epoch second of minute 0 (2026-01-01T00:00:00Z); only differences matter.
pub const START_EPOCH: EpochSeconds = 1_767_225_600;

/// Quiet period of the 2017 design, seconds.
pub const QUIET_2017_SECS: u64 = 600;
/// On-demand group cooldown of the 2017 design, seconds.
pub const COOLDOWN_2017_SECS: u32 = 2700;

/// Runs the scenario against the config under every policy (see the crate docs).
/// Fails when the scenario's pools are not exactly the config's spot instance types.
pub fn simulate(config: &StackConfig, scenario: &Scenario) -> Result<Report, ConfigError> {
    scenario.validate()?;
    scenario.check_against(config)?;
    let env = Env::new(config, scenario);
    let weight = env.od_weight;
    let mut policies = Vec::new();

    // (a) spot only: no on-demand group at all (not even its minimum).
    let mut spot_only = config.clone();
    spot_only.on_demand.min_size = 0;
    spot_only.on_demand.max_size = 0;
    let env0 = Env::new(&spot_only, scenario);
    policies.push(run(&env0, PolicyName::SpotOnly, Driver::None));

    // (b) the 2017 design: 10-minute quiet period, 45-minute cooldown, no warnings.
    let p2017 =
        Policy::with(weight, QUIET_2017_SECS, DEFAULT_STALE_AFTER_SECS).expect("weight >= 1");
    policies.push(run(
        &env,
        PolicyName::Design2017,
        Driver::Reconciler {
            policy: p2017,
            cooldown_secs: COOLDOWN_2017_SECS,
            interruptions: None,
        },
    ));

    // (c) the config's own policy and values, as the deployed stack runs them: the
    // settings the template gives the Lambda.
    let settings = spotcover_stack::compose::reconciler_settings(
        config,
        String::new(),
        String::new(),
        String::new(),
    );
    let pdefault = settings
        .policy()
        .map_err(|e| ConfigError::at("", format!("the config's on_demand.weight: {e}")))?;
    // Warnings reach the Lambda only through the rules `interruptions.enabled` adds.
    let interruptions = config
        .interruptions
        .enabled
        .then(|| settings.interruption_policy());
    let driver = match settings.need_policy() {
        Some(policy) => Driver::Need { policy },
        None => Driver::Reconciler {
            policy: pdefault,
            cooldown_secs: config.on_demand.cooldown_seconds,
            interruptions: interruptions.as_ref(),
        },
    };
    policies.push(run(&env, PolicyName::Default, driver));

    // (d) the reachable floor and (e) the oracle.
    policies.push(run(&env, PolicyName::ReactiveFloor, Driver::Floor));
    policies.push(run(&env, PolicyName::Oracle, Driver::Oracle));

    Ok(Report {
        stack: config.stack.clone(),
        duration_minutes: scenario.duration_minutes,
        seed: scenario.seed,
        policies,
    })
}
