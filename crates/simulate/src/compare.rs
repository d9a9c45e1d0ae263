//! The two engines side by side on one scenario, on the same footing: the scenario's
//! demand `units` are tasks of one instance each for both (the `engine: asg` world's
//! reading; the fleet is run with every weight 1), and each engine is reported by
//! uncovered task-minutes and total dollars (spot plus on-demand).
//!
//! The config given is one engine's; the other engine's config is derived from it
//! (the same instance types, sizes and on-demand cap; every other key at its default),
//! so a user choosing an engine compares like with like. AWS's lever against managed
//! scaling's lag that a spot group can use is priced too: the capacity provider's
//! target capacity below 100 % (spare instances, "A value of 100 results in the Amazon
//! EC2 instances in your Auto Scaling group being completely used", ECS API reference,
//! `ManagedScaling`). Warm pools are not: Auto Scaling refuses a warm pool on a group
//! with a mixed instances policy or one that requests Spot Instances (Auto Scaling API
//! reference, `PutWarmPool`), which is what `engine: asg`'s group is.

use std::fmt::Write as _;

use serde::Serialize;
use spotcover_stack::StackConfig;
use spotcover_stack::config::Engine;

use crate::engine::simulate;
use crate::report::{PolicyName, Report};
use crate::scenario::Scenario;
use spotcover_stack::ConfigError;

/// Capacity provider targets priced besides the config's own: spare instances against
/// the lag of managed scaling.
pub const PRICED_TARGETS: [u32; 2] = [90, 75];

/// One engine and policy under one setting.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EngineRow {
    /// `fleet` or `asg`.
    pub engine: &'static str,
    pub policy: PolicyName,
    /// What distinguishes the row (the asg target capacity), for a reader.
    pub setting: String,
    /// Task-minutes (one task per instance) without a running instance.
    pub uncovered_task_minutes: u64,
    pub spot_cost: f64,
    pub on_demand_cost: f64,
    pub total_cost: f64,
}

/// [`compare_engines`]'s result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub stack: String,
    pub duration_minutes: u32,
    pub seed: u64,
    pub rows: Vec<EngineRow>,
}

impl Comparison {
    /// A markdown table, one row per engine, policy and setting.
    pub fn table(&self) -> String {
        let mut s = String::from(
            "| engine | policy | setting | uncovered task-min | spot $ | on-demand $ | total $ |\n|---|---|---|---:|---:|---:|---:|\n",
        );
        for r in &self.rows {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {:.2} | {:.2} | {:.2} |",
                r.engine,
                r.policy.as_str(),
                r.setting,
                r.uncovered_task_minutes,
                r.spot_cost,
                r.on_demand_cost,
                r.total_cost
            );
        }
        s
    }

    /// The row of this engine, policy and setting.
    pub fn row(&self, engine: &str, policy: PolicyName, setting: &str) -> Option<&EngineRow> {
        self.rows
            .iter()
            .find(|r| r.engine == engine && r.policy == policy && r.setting == setting)
    }
}

/// The setting label of an asg row at this target capacity.
pub fn target_setting(percent: u32) -> String {
    format!("target {percent} %")
}

/// The setting label of the fleet's rows.
pub const FLEET_SETTING: &str = "weights 1";

/// Both engines on the scenario (see the module docs): the fleet's `default` policy
/// (the reconciler) and `spot-only`; the asg's `capacity-providers` and `fallback` at the
/// config's target and at each of [`PRICED_TARGETS`].
pub fn compare_engines(
    config: &StackConfig,
    scenario: &Scenario,
) -> Result<Comparison, ConfigError> {
    let (fleet, asg) = counterparts(config);
    let mut rows = Vec::new();
    let push = |rows: &mut Vec<EngineRow>, engine, report: &Report, policy, setting: String| {
        let p = report.policy(policy).expect("the engine runs this policy");
        rows.push(EngineRow {
            engine,
            policy,
            setting,
            uncovered_task_minutes: p.uncovered_unit_minutes,
            spot_cost: p.spot_cost,
            on_demand_cost: p.on_demand_cost,
            total_cost: p.total_cost,
        });
    };
    let f = simulate(&fleet, scenario)?;
    for policy in [PolicyName::SpotOnly, PolicyName::Default] {
        push(&mut rows, "fleet", &f, policy, FLEET_SETTING.to_owned());
    }
    let own = asg.asg.target_capacity_percent;
    let mut targets = vec![own];
    targets.extend(PRICED_TARGETS.iter().copied().filter(|t| *t < own));
    for (k, target) in targets.into_iter().enumerate() {
        let mut c = asg.clone();
        c.asg.target_capacity_percent = target;
        let r = simulate(&c, scenario)?;
        if k == 0 {
            push(
                &mut rows,
                "asg",
                &r,
                PolicyName::CapacityProviders,
                target_setting(target),
            );
        }
        push(
            &mut rows,
            "asg",
            &r,
            PolicyName::Fallback,
            target_setting(target),
        );
    }
    Ok(Comparison {
        stack: config.stack.clone(),
        duration_minutes: scenario.duration_minutes,
        seed: scenario.seed,
        rows,
    })
}

/// The config as both engines, in instances: `(fleet, asg)`. A fleet config keeps its
/// keys with every weight 1; an asg config keeps its own. The other engine gets the same
/// instance types, the same most instances, and the same on-demand floor and cap.
pub fn counterparts(config: &StackConfig) -> (StackConfig, StackConfig) {
    match config.engine {
        Engine::Fleet => {
            let mut fleet = config.clone();
            for t in &mut fleet.spot.instance_types {
                t.weight = 1;
            }
            fleet.on_demand.weight = 1;
            let mut asg = fleet.clone();
            asg.engine = Engine::Asg;
            asg.asg = spotcover_stack::config::AsgConfig {
                max_size: config.spot.autoscaling.max_capacity.max(1),
                on_demand_floor: config.on_demand.min_size,
                max_on_demand: config.on_demand.max_size,
                ..Default::default()
            };
            (fleet, asg)
        }
        Engine::Asg => {
            let a = &config.asg;
            let mut fleet = config.clone();
            fleet.engine = Engine::Fleet;
            // An asg config's fleet keys are at their defaults (the loader refuses them).
            for t in &mut fleet.spot.instance_types {
                t.weight = 1;
            }
            fleet.spot.autoscaling.min_capacity = a.min_size.max(1);
            fleet.spot.autoscaling.max_capacity = a.max_size;
            fleet.on_demand = spotcover_stack::config::OnDemandConfig {
                instance_types: vec![config.spot.instance_types[0].instance_type.clone()],
                weight: 1,
                min_size: a.on_demand_floor,
                max_size: a.max_on_demand.max(1),
                ..Default::default()
            };
            (fleet, config.clone())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> StackConfig {
        spotcover_stack::load(text).unwrap().remove(0).config
    }

    #[test]
    fn both_engines_read_the_same_instances_from_either_config() {
        let asg = load(include_str!("../../../examples/asg.yaml"));
        let (fleet, same) = counterparts(&asg);
        assert_eq!(same, asg);
        assert_eq!(fleet.engine, Engine::Fleet);
        assert!(fleet.spot.instance_types.iter().all(|t| t.weight == 1));
        assert_eq!(fleet.on_demand.weight, 1);
        assert_eq!(fleet.spot.autoscaling.max_capacity, asg.asg.max_size);
        assert_eq!(fleet.on_demand.max_size, asg.asg.max_on_demand);

        let quick = load(include_str!("../../../examples/quickstart.yaml"));
        let (fleet, asg) = counterparts(&quick);
        assert_eq!(fleet.spot.autoscaling, quick.spot.autoscaling);
        assert!(fleet.spot.instance_types.iter().all(|t| t.weight == 1));
        assert_eq!(asg.engine, Engine::Asg);
        assert_eq!(asg.asg.max_size, quick.spot.autoscaling.max_capacity);
        assert_eq!(asg.asg.max_on_demand, quick.on_demand.max_size);
    }

    #[test]
    fn the_comparison_prices_lower_capacity_provider_targets() {
        let asg = load(include_str!("../../../examples/asg.yaml"));
        let s = crate::market::random_market(3);
        let c = compare_engines(&asg, &s).unwrap();
        for t in [100, 90, 75] {
            assert!(
                c.row("asg", PolicyName::Fallback, &target_setting(t))
                    .is_some(),
                "{t}"
            );
        }
        assert!(c.row("fleet", PolicyName::Default, FLEET_SETTING).is_some());
        // Spare instances cost spot dollars: a lower target never buys less spot.
        let spot = |t| {
            c.row("asg", PolicyName::Fallback, &target_setting(t))
                .unwrap()
                .spot_cost
        };
        assert!(spot(75) >= spot(100), "{} < {}", spot(75), spot(100));
    }
}
