//! The simulation proper: the spot fleet (`fleet`, shared by every policy, since the fleet
//! does not see the on-demand group) and one on-demand group per policy.

use std::collections::{BTreeMap, BTreeSet};

use spotcover_reconciler_core::{
    Action, ContainerInstance, DEFAULT_STALE_AFTER_SECS, EpochSeconds, GroupState, InstanceStatus,
    InterruptionPolicy, Notice, Policy, decide, decide_interruption,
};
use spotcover_stack::StackConfig;

use crate::report::{MinuteRecord, PolicyName, PolicyReport, Report};
use crate::scenario::Scenario;
use spotcover_stack::ConfigError;

/// Epoch second of minute 0 (2026-01-01T00:00:00Z); only differences matter.
pub const START_EPOCH: EpochSeconds = 1_767_225_600;

/// Quiet period of the 2017 design, seconds.
pub const QUIET_2017_SECS: u64 = 600;
/// On-demand group cooldown of the 2017 design, seconds.
pub const COOLDOWN_2017_SECS: u32 = 2700;

mod fleet;

use fleet::{FleetRun, Rng, ceil_div, observe, run_fleet, window_minutes};

/// Minute records and costs common to every policy's bookkeeping.
struct Ledger {
    minutes: Vec<MinuteRecord>,
    od_instance_minutes: u64,
}

fn record(
    ledger: &mut Ledger,
    fleet: &FleetRun,
    t: u32,
    desired: u32,
    running: u32,
    alive: u32,
    weight: u32,
) {
    let i = t as usize;
    let covered = u64::from(fleet.fulfilled[i]) + u64::from(running) * u64::from(weight);
    let uncovered = u64::from(fleet.demand[i]).saturating_sub(covered);
    ledger.od_instance_minutes += u64::from(alive);
    ledger.minutes.push(MinuteRecord {
        minute: t,
        demand: fleet.demand[i],
        target: fleet.target[i],
        spot_fulfilled: fleet.fulfilled[i],
        on_demand_desired: desired,
        on_demand_running: running,
        on_demand_units: u32::try_from(u64::from(running) * u64::from(weight)).unwrap_or(u32::MAX),
        uncovered: uncovered as u32,
    });
}

/// The on-demand group driven by the real reconciler core.
fn run_reconciler(
    config: &StackConfig,
    scenario: &Scenario,
    fleet: &FleetRun,
    policy: Policy,
    cooldown_secs: u32,
    interruptions: Option<&InterruptionPolicy>,
) -> Outcome {
    let od = &config.on_demand;
    let (min, max) = (od.min_size, od.max_size);
    let mut rng = Rng::new(scenario.seed, 2);
    let window = window_minutes(&policy);
    // Warm start: the group at its minimum, running.
    let mut desired = min;
    let mut ready_at: Vec<u32> = vec![0; min as usize];
    let mut last_activity: Option<u32> = None;
    let mut refused = 0u32;
    let mut reasons: BTreeMap<String, u32> = BTreeMap::new();
    let mut warning_reasons: BTreeMap<String, u32> = BTreeMap::new();
    // The `spotcover.covered` ECS attribute, by instance.
    let mut covered: BTreeSet<u32> = BTreeSet::new();
    let mut ledger = Ledger {
        minutes: Vec::new(),
        od_instance_minutes: 0,
    };

    for t in 0..scenario.duration_minutes {
        let now = START_EPOCH + i64::from(t) * 60;
        let obs = observe(fleet, t, window);
        let group = GroupState { desired, min, max };
        let d = decide(&policy, &obs, Some(&group), now);
        let reason = reason_name(&d.reason);
        *reasons.entry(reason).or_default() += 1;
        // Auto Scaling's SetDesiredCapacity: refused inside the cooldown when it honours
        // it; any change it makes starts the cooldown.
        let mut set_desired = |action: Action, desired: &mut u32| {
            if let Action::SetDesired {
                desired: new,
                honor_cooldown,
            } = action
            {
                let cooling =
                    last_activity.is_some_and(|a| u64::from(t - a) * 60 < u64::from(cooldown_secs));
                if honor_cooldown && cooling {
                    refused += 1;
                } else {
                    *desired = new;
                    last_activity = Some(t);
                }
            }
        };
        set_desired(d.action, &mut desired);
        // Interruption warnings arriving during the minute, handled by the real core.
        if let Some(ip) = interruptions {
            for w in &fleet.warnings[t as usize] {
                let instance = w.registered.then(|| ContainerInstance {
                    status: InstanceStatus::Active,
                    instance_type: Some(w.instance_type.clone()),
                    covered: covered.contains(&w.instance),
                });
                let group = GroupState { desired, min, max };
                let d = decide_interruption(
                    &policy,
                    ip,
                    Notice::InterruptionWarning,
                    instance.as_ref(),
                    Some(&group),
                );
                *warning_reasons
                    .entry(interruption_reason_name(d.reason))
                    .or_default() += 1;
                set_desired(d.action, &mut desired);
                if d.mark_covered {
                    covered.insert(w.instance);
                }
            }
        }
        // The group converges on its desired capacity: launches take the latency,
        // terminations (launching instances first, then the newest) are immediate.
        while (ready_at.len() as u32) < desired {
            ready_at.push(
                t + scenario.on_demand.launch_latency_minutes
                    + rng.upto(scenario.on_demand.launch_jitter_minutes),
            );
        }
        while (ready_at.len() as u32) > desired {
            let k = (0..ready_at.len())
                .max_by_key(|&k| (ready_at[k], k))
                .expect("non-empty");
            ready_at.remove(k);
        }
        let running = ready_at.iter().filter(|&&r| r <= t).count() as u32;
        record(
            &mut ledger,
            fleet,
            t,
            desired,
            running,
            ready_at.len() as u32,
            od.weight,
        );
    }
    Outcome {
        ledger,
        refused,
        reasons,
        warning_reasons,
    }
}

/// What a run of the reconciler leaves.
struct Outcome {
    ledger: Ledger,
    refused: u32,
    reasons: BTreeMap<String, u32>,
    warning_reasons: BTreeMap<String, u32>,
}

fn interruption_reason_name(r: spotcover_reconciler_core::InterruptionReason) -> String {
    use spotcover_reconciler_core::InterruptionReason::*;
    match r {
        RebalanceIgnored => "rebalance_ignored",
        NotThisCluster => "not_this_cluster",
        AlreadyCovered => "already_covered",
        NotActive => "not_active",
        GroupUnknown => "group_unknown",
        GroupBoundsInvalid => "group_bounds_invalid",
        DrainAndCover => "drain_and_cover",
        CoverDraining => "cover_draining",
    }
    .to_owned()
}

fn reason_name(r: &spotcover_reconciler_core::Reason) -> String {
    use spotcover_reconciler_core::Reason::*;
    match r {
        GroupUnknown => "group_unknown",
        GroupBoundsInvalid => "group_bounds_invalid",
        FleetMetricsMissing => "fleet_metrics_missing",
        FleetMetricsPartial => "fleet_metrics_partial",
        FleetMetricsInvalid => "fleet_metrics_invalid",
        FleetMetricsStale => "fleet_metrics_stale",
        FleetStillScaling => "fleet_still_scaling",
        Steady => "steady",
        CoverShortfall => "cover_shortfall",
        ReleaseCover => "release_cover",
    }
    .to_owned()
}

/// The oracle: knows the fleet's future, so each instance is launched exactly the
/// latency ahead of the minute its cover is needed and terminated the minute it is not.
/// Before the latency has elapsed nothing launched at minute 0 or later can run, so the
/// oracle has the warm start's `min_size` instances then, as every policy does.
fn run_oracle(config: &StackConfig, scenario: &Scenario, fleet: &FleetRun) -> Ledger {
    let od = &config.on_demand;
    let (min, max) = (od.min_size, od.max_size.max(od.min_size));
    let latency = scenario.on_demand.launch_latency_minutes;
    let w = u64::from(od.weight.max(1));
    let n = scenario.duration_minutes as usize;
    let need: Vec<u32> = (0..n)
        .map(|i| {
            if (i as u32) < latency {
                return min;
            }
            let short = u64::from(fleet.demand[i]).saturating_sub(u64::from(fleet.fulfilled[i]));
            u32::try_from(ceil_div(short, w))
                .unwrap_or(u32::MAX)
                .clamp(min, max)
        })
        .collect();
    // Alive at minute m: the instances running at m, plus those launched for a later
    // minute u in (m, m + latency] (each increase of need at u launches at u - latency).
    let mut ledger = Ledger {
        minutes: Vec::new(),
        od_instance_minutes: 0,
    };
    for t in 0..n {
        let launching: u32 = (t + 1..=(t + latency as usize).min(n - 1))
            .map(|u| need[u].saturating_sub(need[u - 1]))
            .sum();
        // Desired as Auto Scaling would show it: everything launched or running.
        let alive = need[t] + launching;
        record(
            &mut ledger,
            fleet,
            t as u32,
            alive,
            need[t],
            alive,
            od.weight,
        );
    }
    ledger
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

impl Outcome {
    /// A run without reconciler decisions (spot-only, oracle).
    fn plain(ledger: Ledger) -> Self {
        Outcome {
            ledger,
            refused: 0,
            reasons: BTreeMap::new(),
            warning_reasons: BTreeMap::new(),
        }
    }
}

fn finish(name: PolicyName, outcome: Outcome, fleet: &FleetRun, od_price: f64) -> PolicyReport {
    let ledger = outcome.ledger;
    let hours = ledger.od_instance_minutes as f64 / 60.0;
    let od_cost = hours * od_price;
    PolicyReport {
        policy: name,
        uncovered_unit_minutes: ledger.minutes.iter().map(|m| u64::from(m.uncovered)).sum(),
        on_demand_instance_hours: round4(hours),
        on_demand_cost: round4(od_cost),
        spot_cost: round4(fleet.cost),
        total_cost: round4(od_cost + fleet.cost),
        scale_ins_refused: outcome.refused,
        decisions: outcome.reasons,
        interruption_decisions: outcome.warning_reasons,
        minutes: ledger.minutes,
    }
}

/// Runs the scenario against the config under the four policies (see the crate docs).
/// Fails when the scenario's pools are not exactly the config's spot instance types.
pub fn simulate(config: &StackConfig, scenario: &Scenario) -> Result<Report, ConfigError> {
    scenario.validate()?;
    scenario.check_against(config)?;
    let fleet = run_fleet(config, scenario);
    let od_price = scenario.on_demand.price_per_hour;
    let weight = config.on_demand.weight.max(1);
    let mut policies = Vec::new();

    // (a) spot only: no on-demand group at all.
    let mut ledger = Ledger {
        minutes: Vec::new(),
        od_instance_minutes: 0,
    };
    for t in 0..scenario.duration_minutes {
        record(&mut ledger, &fleet, t, 0, 0, 0, weight);
    }
    policies.push(finish(
        PolicyName::SpotOnly,
        Outcome::plain(ledger),
        &fleet,
        od_price,
    ));

    // (b) the 2017 design: 10-minute quiet period, 45-minute cooldown, no warnings.
    let p2017 =
        Policy::with(weight, QUIET_2017_SECS, DEFAULT_STALE_AFTER_SECS).expect("weight >= 1");
    let outcome = run_reconciler(config, scenario, &fleet, p2017, COOLDOWN_2017_SECS, None);
    policies.push(finish(PolicyName::Design2017, outcome, &fleet, od_price));

    // (c) the config's own values, acting on warnings as the deployed stack does: the
    // settings the template gives the Lambda.
    let settings = spotcover_stack::compose::reconciler_settings(config, (), (), ());
    let pdefault = settings
        .policy()
        .map_err(|e| ConfigError::at("", format!("the config's on_demand.weight: {e}")))?;
    let interruptions = settings
        .cluster
        .is_some()
        .then(|| settings.interruption_policy());
    let outcome = run_reconciler(
        config,
        scenario,
        &fleet,
        pdefault,
        config.on_demand.cooldown_seconds,
        interruptions.as_ref(),
    );
    policies.push(finish(PolicyName::Default, outcome, &fleet, od_price));

    // (d) the oracle.
    let ledger = run_oracle(config, scenario, &fleet);
    policies.push(finish(
        PolicyName::Oracle,
        Outcome::plain(ledger),
        &fleet,
        od_price,
    ));

    Ok(Report {
        stack: config.stack.clone(),
        duration_minutes: scenario.duration_minutes,
        seed: scenario.seed,
        policies,
    })
}
