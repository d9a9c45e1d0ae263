//! The `engine: asg` world: one Auto Scaling group of spot instances behind an ECS
//! capacity provider, minute by minute, under three policies.
//!
//! # The model
//!
//! - **Instances, not units**: a capacity provider's group cannot weight instance types,
//!   so the scenario's demand `units` are read as tasks of one instance each.
//! - **Spot pools** as in the fleet's world: a minute in an `available: false` window
//!   interrupts every instance of the pool (its task is killed) and takes no launches.
//!   Interruption warnings and rebalance recommendations are not modelled.
//! - **The group** launches towards its desired capacity: on-demand up to
//!   `min(OnDemandBaseCapacity, desired)`, spot above it in the available pool holding
//!   fewest of its instances (price-capacity-optimized, without a capacity signal), and
//!   when no pool takes a launch it records a failed spot launch and retries the next
//!   minute; it never falls back to on-demand by itself. Scale-in terminates only
//!   instances running no task (managed termination protection), on-demand above the
//!   base first, then not yet serving ones, then the newest (managed draining has
//!   nothing to drain on an empty instance). On-demand instances above a lowered base
//!   are replaced gradually, launch before terminate: which one goes and whether
//!   scale-in protection stops it are the scenario's `asg.replacement_*` switches.
//! - **ECS**: an instance serves `launch latency + jitter + ecs_registration_minutes`
//!   after its launch. Tasks keep their instance; waiting tasks are PROVISIONING (at most
//!   `asg.provisioning_cap` count for scaling) and are stopped and started again after
//!   `asg.provisioning_timeout_minutes`; a DRAINING instance's task moves when a new home
//!   serves (the service starts the new task before it stops the old).
//! - **Managed scaling** every minute: `CapacityProviderReservation = M / N * 100` (M:
//!   instances the running and provisioning tasks need, N: the group's instances; 200
//!   with no instance and tasks waiting, 100 with neither), tracked at the config's
//!   `target_capacity_percent`: above it for `asg.scale_out_datapoints` minutes and no
//!   scale-out warming up (`instance_warmup_seconds`), desired grows by
//!   `ceil(M * 100 / target) - N` clamped to the step sizes (from no instance, that
//!   first step is the 200 % reading's); below it for 15 minutes, desired falls to the
//!   estimate.
//! - **Billing** per minute from the launch, at the pool's or the on-demand price.
//!
//! # The policies
//!
//! - `capacity-providers`: what AWS gives, no fallback: the base stays at the floor.
//! - `fallback`: every minute, `spotcover_reconciler_core::policy::fallback::decide` on what the
//!   Lambda sees (the group's base, desired and instances, the latest failed spot
//!   launch, PROVISIONING tasks), its state kept as the group's tag text; applied as
//!   the Lambda does (reactivate, base, terminate keeping desired, drain).
//! - `oracle`: the fallback with the market known ahead: the base covers the demand
//!   whenever no pool can launch within the on-demand latency ahead; it stays on
//!   on-demand across a gap before the next loss of every pool shorter than the longest
//!   hold the settings allow (`max(return_hold_seconds, max_hold_seconds)`: the most the
//!   fallback could hold); otherwise on-demand above the floor is drained all at once,
//!   each leaving (with the base one lower) as soon as it is empty. Not a strict bound:
//!   it cannot launch on-demand before the loss (the world has no replacement towards a
//!   raised base while spot fills the group).

mod world;

use std::collections::BTreeMap;

use spotcover_reconciler_core::policy::fallback::{self, OnDemandInstance};
use spotcover_stack::{ConfigError, StackConfig};

use crate::report::{MinuteRecord, PolicyName, PolicyReport, Report};
use crate::scenario::Scenario;
use world::{Env, Market, World};

/// Runs the scenario against an `engine: asg` config under its three policies.
pub(crate) fn simulate(config: &StackConfig, scenario: &Scenario) -> Result<Report, ConfigError> {
    scenario.validate()?;
    scenario.check_against(config)?;
    let env = Env::new(config, scenario);
    let settings = spotcover_stack::compose::fallback_settings(
        config,
        String::new(),
        String::new(),
        String::new(),
    );
    let policies = vec![
        run(&env, PolicyName::CapacityProviders, &mut |_, _, _| {}),
        {
            let mut tag: Option<String> = None;
            run(&env, PolicyName::Fallback, &mut |w, t, decisions| {
                fallback_step(&env, &settings, &mut tag, w, t, decisions);
            })
        },
        run(&env, PolicyName::Oracle, &mut |w, t, _| {
            oracle_step(&env, w, t);
        }),
    ];
    Ok(Report {
        stack: config.stack.clone(),
        duration_minutes: scenario.duration_minutes,
        seed: scenario.seed,
        policies,
    })
}

type Step<'a> = dyn FnMut(&mut World, u32, &mut BTreeMap<String, u32>) + 'a;

fn run(env: &Env<'_>, name: PolicyName, policy: &mut Step<'_>) -> PolicyReport {
    let mut w = World::new(env);
    let mut minutes = Vec::new();
    let mut decisions = BTreeMap::new();
    let mut uncovered_total = 0u64;
    let mut peak_od = 0u32;
    for t in 0..env.scenario.duration_minutes {
        w.interrupt(env, t);
        policy(&mut w, t, &mut decisions);
        w.reconcile(env, t);
        w.place(env, t);
        w.managed_scaling(env, t);
        w.bill(env);
        let demand = env.demand(t);
        let running = w.instances.iter().filter(|i| i.task).count() as u32;
        let uncovered = demand.saturating_sub(running);
        uncovered_total += u64::from(uncovered);
        let od: Vec<_> = w.on_demand().collect();
        peak_od = peak_od.max(od.len() as u32);
        minutes.push(MinuteRecord {
            minute: t,
            demand,
            target: w.desired,
            spot_fulfilled: w.spot_count(),
            spot_registered: w
                .instances
                .iter()
                .filter(|i| i.market != Market::OnDemand && i.serving(t))
                .count() as u32,
            on_demand_desired: w.base,
            on_demand_running: od.len() as u32,
            on_demand_units: od.iter().filter(|i| i.serving(t)).count() as u32,
            reservation_percent: Some(w.reservation),
            uncovered,
        });
    }
    let c = &w.counters;
    for (k, v) in [
        ("spot_launch_failures", c.spot_failures),
        ("provisioning_timed_out", c.provisioning_timed_out),
        (
            "tasks_killed_by_interruption",
            c.tasks_killed_by_interruption,
        ),
        ("tasks_killed_by_return", c.tasks_killed_by_return),
        ("managed_scale_outs", c.scale_outs),
        ("managed_scale_ins", c.scale_ins),
    ] {
        decisions.insert(k.to_owned(), v);
    }
    let round = |x: f64| (x * 10_000.0).round() / 10_000.0;
    PolicyReport {
        policy: name,
        uncovered_unit_minutes: uncovered_total,
        on_demand_instance_hours: round(w.od_instance_minutes as f64 / 60.0),
        on_demand_cost: round(w.od_cost),
        spot_cost: round(w.spot_cost),
        total_cost: round(w.od_cost + w.spot_cost),
        peak_on_demand_instances: peak_od,
        fleet_target_changes: c.scale_outs + c.scale_ins,
        scale_ins_refused: 0,
        decisions,
        interruption_decisions: BTreeMap::new(),
        minutes,
    }
}

fn epoch(t: u32) -> i64 {
    crate::sim::START_EPOCH + i64::from(t) * 60
}

/// One run of the Lambda's fallback: observe, decide (the core's function), apply.
fn fallback_step(
    env: &Env<'_>,
    settings: &fallback::Settings,
    tag: &mut Option<String>,
    w: &mut World,
    t: u32,
    decisions: &mut BTreeMap<String, u32>,
) {
    let state = fallback::parse_state(tag.as_deref()).expect("the tag the policy wrote");
    // What the Lambda sees: an instance's market once it has registered in ECS (it
    // writes it there at boot); before, unknown.
    let registered = |i: &&world::Instance| i.serving(t);
    let obs = fallback::Observation {
        base: w.base,
        desired: w.desired,
        spot: w
            .instances
            .iter()
            .filter(registered)
            .filter(|i| i.market != Market::OnDemand)
            .count() as u32,
        on_demand: w
            .on_demand()
            .filter(registered)
            .map(|i| OnDemandInstance {
                id: i.name(),
                tasks: u32::from(i.task),
                draining: i.draining,
            })
            .collect(),
        unknown: w.instances.iter().filter(|i| !i.serving(t)).count() as u32,
        spot_failure_at: w.last_spot_failure.map(epoch),
        provisioning: w.provisioning(env),
    };
    let d = fallback::decide(settings, &obs, &state, epoch(t));
    *decisions.entry(format!("{:?}", d.reason)).or_default() += 1;
    for id in &d.reactivate {
        w.set_draining(id, false);
    }
    if let Some(b) = d.base {
        w.base = b;
    }
    for id in &d.terminate {
        w.terminate(id);
    }
    for id in &d.drain {
        w.set_draining(id, true);
    }
    if d.state != state {
        *tag = Some(fallback::format_state(&d.state));
    }
}

/// The clairvoyant lower bound (see the module docs).
fn oracle_step(env: &Env<'_>, w: &mut World, t: u32) {
    let a = &env.config.asg;
    let s = &env.scenario;
    let ahead = s.on_demand.launch_latency_minutes
        + s.on_demand.launch_jitter_minutes
        + s.ecs_registration_minutes;
    let horizon = t..=(t + ahead).min(s.duration_minutes.saturating_sub(1));
    let outage = horizon.clone().any(|u| !env.any_spot(u));
    if outage {
        let need = horizon
            .map(|u| env.demand(u))
            .max()
            .unwrap_or(0)
            .min(a.max_size);
        let base = need.clamp(a.on_demand_floor, a.max_on_demand.max(a.on_demand_floor));
        if base > w.base {
            w.base = base;
        }
        for id in w.on_demand_ids() {
            w.set_draining(&id, false);
        }
        return;
    }
    // Spot can launch, but every pool is lost again within the longest hold the
    // fallback's settings allow: stay on on-demand across the gap.
    let bridge = a.max_hold_seconds.max(a.return_hold_seconds).div_ceil(60);
    let gap = t..(t + bridge).min(s.duration_minutes);
    if w.base > a.on_demand_floor && gap.into_iter().any(|u| !env.any_spot(u)) {
        for id in w.on_demand_ids() {
            w.set_draining(&id, false);
        }
        return;
    }
    // Spot can launch for good: every on-demand instance above the floor drains now and
    // leaves, with the base one lower, as soon as it is empty.
    let mut od: Vec<(String, bool, bool)> = w
        .on_demand()
        .map(|i| (i.name(), i.task, i.draining))
        .collect();
    od.sort();
    let keep = a.on_demand_floor as usize;
    for (id, task, draining) in od.into_iter().skip(keep) {
        if draining && !task {
            w.terminate(&id);
            w.base = w.base.saturating_sub(1).max(a.on_demand_floor);
        } else if !draining {
            w.set_draining(&id, true);
        }
    }
    let od_now = w.on_demand().count() as u32;
    w.base = w.base.min(od_now.max(a.on_demand_floor));
}

impl World {
    fn set_draining(&mut self, id: &str, on: bool) {
        if let Some(i) = self.instances.iter_mut().find(|i| i.name() == id) {
            i.draining = on;
        }
    }
    /// Terminates the instance, keeping the desired capacity (the group launches a
    /// replacement above the base: spot).
    fn terminate(&mut self, id: &str) {
        self.instances.retain(|i| i.name() != id);
    }
    fn on_demand_ids(&self) -> Vec<String> {
        self.on_demand().map(|i| i.name()).collect()
    }
}

#[cfg(test)]
mod tests;
