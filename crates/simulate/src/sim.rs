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
//! - `batches`: the world's instances as batches, and interruption warnings;
//! - `clock`: minute 0 as an epoch second;
//! - `metrics`: the fleet's metrics as CloudWatch gives them to the reconciler;
//! - `policies`: the minute loop of one policy's world, and one driver per policy
//!   (`spot_only`, `rule_2017`, `demand`, `reactive_floor`, `oracle`).

use spotcover_reconciler_core::policy::rule_2017::{self, DEFAULT_STALE_AFTER_SECS};
use spotcover_stack::{ConfigError, StackConfig};

use crate::report::{PolicyName, Report};
use crate::scenario::Scenario;

mod batches;
mod caps;
mod clock;
mod fleet;
mod group;
mod metrics;
mod policies;
#[cfg(test)]
mod tests;
mod tracking;
mod world;

pub use clock::START_EPOCH;
use policies::demand::Demand;
use policies::oracle::Oracle;
use policies::reactive_floor::ReactiveFloor;
use policies::rule_2017::Rule2017;
use policies::run;
use policies::spot_only::SpotOnly;
pub use tracking::{SCALE_IN_DATAPOINTS, SCALE_IN_FRACTION, SCALE_OUT_DATAPOINTS};
use world::Env;

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
    policies.push(run(&env0, PolicyName::SpotOnly, &mut SpotOnly));

    // (b) the 2017 design: 10-minute quiet period, 45-minute cooldown, no warnings.
    let p2017 = rule_2017::Settings::with(weight, QUIET_2017_SECS, DEFAULT_STALE_AFTER_SECS)
        .expect("weight >= 1");
    policies.push(run(
        &env,
        PolicyName::Design2017,
        &mut Rule2017 {
            settings: p2017,
            cooldown_secs: COOLDOWN_2017_SECS,
            interruptions: None,
            covered: Default::default(),
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
    let default = match settings.need_policy() {
        Some(settings) => run(
            &env,
            PolicyName::Default,
            &mut Demand {
                settings,
                state: Default::default(),
            },
        ),
        None => run(
            &env,
            PolicyName::Default,
            &mut Rule2017 {
                settings: pdefault,
                cooldown_secs: config.on_demand.cooldown_seconds,
                interruptions: interruptions.as_ref(),
                covered: Default::default(),
            },
        ),
    };
    policies.push(default);

    // (d) the reachable floor and (e) the oracle.
    policies.push(run(&env, PolicyName::ReactiveFloor, &mut ReactiveFloor));
    policies.push(run(&env, PolicyName::Oracle, &mut Oracle));

    Ok(Report {
        stack: config.stack.clone(),
        duration_minutes: scenario.duration_minutes,
        seed: scenario.seed,
        policies,
    })
}
