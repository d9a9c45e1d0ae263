//! Who drives the on-demand group: one [`Driver`] per policy, each in its own module
//! (none: [`spot_only`]; the real reconciler core: [`rule_2017`] on the CloudWatch
//! metrics, [`demand`] on the ECS API's view; the references: [`reactive_floor`],
//! [`oracle`]), and [`run`], the minute loop of one policy's world into its
//! [`PolicyReport`].

pub(super) mod demand;
pub(super) mod oracle;
pub(super) mod reactive_floor;
pub(super) mod rule_2017;
pub(super) mod spot_only;

use std::collections::BTreeMap;

use super::batches::Warning;
use super::clock::START_EPOCH;
use super::metrics::History;
use super::world::{Env, World, ceil_div, to_u32};
use crate::report::{MinuteRecord, PolicyName, PolicyReport};

/// A policy's part of a minute: what it sees and decides, applied to its world.
pub(super) trait Driver {
    /// Whether the fleet's target tracks the cluster's reservation (false: the policy
    /// sets the target itself).
    fn tracked(&self) -> bool {
        true
    }

    /// The policy's minute `m.t`, after the fleet's step.
    fn step(&mut self, m: &mut Minute<'_, '_>);
}

/// One minute of one world, as a driver sees and changes it.
pub(super) struct Minute<'a, 'e> {
    pub(super) env: &'a Env<'e>,
    pub(super) world: &'a mut World,
    pub(super) t: u32,
    /// The fleet's metrics so far (what CloudWatch can give).
    pub(super) hist: &'a History,
    /// Interruption warnings issued during the minute.
    pub(super) warnings: &'a [Warning],
    pub(super) tally: &'a mut Tally,
}

impl Minute<'_, '_> {
    /// Epoch seconds of this minute.
    pub(super) fn now(&self) -> spotcover_reconciler_core::EpochSeconds {
        START_EPOCH + i64::from(self.t) * 60
    }
}

/// What the drivers count over a run.
#[derive(Debug, Default)]
pub(super) struct Tally {
    /// Scale-ins refused inside the group's cooldown.
    pub(super) refused: u32,
    /// Decisions by reason name.
    pub(super) reasons: BTreeMap<String, u32>,
    /// Interruption decisions by reason name.
    pub(super) warning_reasons: BTreeMap<String, u32>,
}

/// Instances that cover `demand` beyond `spot` registered units.
pub(super) fn cover(env: &Env, demand: u32, spot: u32) -> u32 {
    let (min, max) = env.bounds();
    let short = u64::from(demand).saturating_sub(u64::from(spot));
    to_u32(ceil_div(short, u64::from(env.od_weight))).clamp(min, max)
}

/// Spot units registered in ECS at minute `t` (tasks can be placed on them).
pub(super) fn spot_serving(env: &Env, world: &World, t: u32) -> u64 {
    world
        .spot
        .iter()
        .filter(|b| b.serve_at <= t)
        .map(|b| u64::from(b.count) * u64::from(env.pools[b.pool].weight))
        .sum()
}

/// The minute loop: the fleet's step, the policy's, then the minute's figures.
pub(super) fn run(env: &Env, name: PolicyName, driver: &mut dyn Driver) -> PolicyReport {
    let sc = env.scenario;
    let n = sc.duration_minutes;
    let mut world = World::new(env);
    world.tracked = driver.tracked();
    let mut hist = History {
        target: Vec::with_capacity(n as usize),
        fulfilled: Vec::with_capacity(n as usize),
        initial: (world.target, to_u32(world.units_in_flight(env))),
    };
    let mut minutes = Vec::with_capacity(n as usize);
    let mut target_changes = 0u32;
    let mut tally = Tally::default();

    for t in 0..n {
        let (changed, warnings) = world.fleet_step(env, t);
        target_changes += u32::from(changed);
        driver.step(&mut Minute {
            env,
            world: &mut world,
            t,
            hist: &hist,
            warnings: &warnings,
            tally: &mut tally,
        });
        let m = world.measure(env, t);
        hist.target.push(m.target);
        hist.fulfilled.push(m.fulfilled);
        minutes.push(MinuteRecord {
            minute: t,
            demand: m.demand,
            target: m.target,
            spot_fulfilled: m.fulfilled,
            spot_registered: m.spot_registered,
            on_demand_desired: m.od_alive,
            on_demand_running: m.od_registered,
            on_demand_units: to_u32(u64::from(m.od_registered) * u64::from(env.od_weight)),
            reservation_percent: m.reservation.map(|r| r.round() as u32),
            uncovered: m.uncovered,
        });
    }
    report(env, name, &world, minutes, target_changes, tally)
}

/// The run's report from its minutes and counts.
fn report(
    env: &Env,
    name: PolicyName,
    world: &World,
    minutes: Vec<MinuteRecord>,
    target_changes: u32,
    tally: Tally,
) -> PolicyReport {
    let sc = env.scenario;
    let hours = world.od_instance_minutes as f64 / 60.0;
    let od_cost = hours * sc.on_demand.price_per_hour;
    PolicyReport {
        policy: name,
        uncovered_unit_minutes: minutes.iter().map(|m| u64::from(m.uncovered)).sum(),
        on_demand_instance_hours: round4(hours),
        on_demand_cost: round4(od_cost),
        spot_cost: round4(world.spot_cost),
        total_cost: round4(od_cost + world.spot_cost),
        peak_on_demand_instances: minutes
            .iter()
            .map(|m| m.on_demand_desired)
            .max()
            .unwrap_or(0),
        fleet_target_changes: target_changes,
        scale_ins_refused: tally.refused,
        decisions: tally.reasons,
        interruption_decisions: tally.warning_reasons,
        minutes,
    }
}

pub(super) fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}
