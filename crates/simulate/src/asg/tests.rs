//! One test per signal of the `engine: asg` world.

use super::*;
use crate::scenario::ReplacementPick;

fn config() -> StackConfig {
    spotcover_stack::load(include_str!("../../../../examples/asg.yaml"))
        .unwrap()
        .remove(0)
        .config
}

fn scenario(yaml: &str) -> Scenario {
    Scenario::from_yaml(yaml).unwrap()
}

fn outage(from: u32, to: u32, demand: u32) -> String {
    let pool = |ty: &str| {
        format!(
            "  - type: {ty}\n    price_per_hour: 0.035\n    launch_latency_minutes: 3\n    availability:\n      - {{ from_minute: {from}, to_minute: {to}, available: false }}\n"
        )
    };
    format!(
        "duration_minutes: 150\ndemand:\n  - {{ from_minute: 0, units: {demand} }}\npools:\n{}{}{}{}on_demand:\n  price_per_hour: 0.096\n  launch_latency_minutes: 4\n",
        pool("m6i.large"),
        pool("m6a.large"),
        pool("m5.large"),
        pool("m6i.xlarge")
    )
}

#[test]
fn without_a_fallback_an_outage_stays_uncovered_while_it_lasts() {
    let r = simulate(&config(), &scenario(&outage(30, 60, 8))).unwrap();
    let cp = r.policy(PolicyName::CapacityProviders).unwrap();
    // Every task is lost at minute 30 and waits until spot is back (plus launch).
    assert!(
        cp.uncovered_unit_minutes >= 8 * 30,
        "{}",
        cp.uncovered_unit_minutes
    );
    assert_eq!(cp.peak_on_demand_instances, 0);
}

#[test]
fn the_fallback_raises_the_base_and_covers_the_outage() {
    let r = simulate(&config(), &scenario(&outage(30, 60, 8))).unwrap();
    let cp = r.policy(PolicyName::CapacityProviders).unwrap();
    let fb = r.policy(PolicyName::Fallback).unwrap();
    assert!(
        fb.uncovered_unit_minutes * 5 <= cp.uncovered_unit_minutes,
        "fallback {} vs capacity providers {}",
        fb.uncovered_unit_minutes,
        cp.uncovered_unit_minutes
    );
    assert!(fb.peak_on_demand_instances >= 8);
}

#[test]
fn the_fallback_returns_to_spot_and_kills_no_task_doing_so() {
    let r = simulate(&config(), &scenario(&outage(30, 60, 8))).unwrap();
    let fb = r.policy(PolicyName::Fallback).unwrap();
    assert_eq!(fb.decisions["tasks_killed_by_return"], 0);
    let last = fb.minutes.last().unwrap();
    assert_eq!(last.on_demand_running, 0, "back on spot by the end");
    assert_eq!(last.on_demand_desired, 0, "the base back at the floor");
}

#[test]
fn the_return_kills_no_task_under_either_undocumented_answer() {
    for honors in [true, false] {
        for picks in [ReplacementPick::Oldest, ReplacementPick::Newest] {
            let mut s = scenario(&outage(30, 60, 8));
            s.asg.replacement_honors_protection = honors;
            s.asg.replacement_picks = picks;
            let r = simulate(&config(), &s).unwrap();
            for p in &r.policies {
                assert_eq!(
                    p.decisions["tasks_killed_by_return"], 0,
                    "{:?} honors {honors} picks {picks:?}",
                    p.policy
                );
            }
        }
    }
}

#[test]
fn a_replacement_that_ignores_protection_kills_a_busy_instances_task() {
    // The model of the switch itself: a base lowered below running on-demand
    // instances, each with a task, and spot to replace them.
    let c = config();
    let mut s = scenario(&outage(149, 150, 2));
    s.duration_minutes = 10;
    s.asg.replacement_honors_protection = false;
    let env = Env::new(&c, &s);
    let mut w = World::new(&env);
    w.base = 2;
    w.desired = 2;
    w.instances.clear();
    for t in 0..12 {
        w.reconcile(&env, t.min(9));
        w.place(&env, t.min(9));
    }
    assert_eq!(w.on_demand().count(), 2);
    w.base = 0;
    for t in 10..20 {
        w.reconcile(&env, t);
        w.place(&env, t);
    }
    assert!(w.counters.tasks_killed_by_return > 0, "{:?}", w.instances);
}

#[test]
fn managed_scaling_starts_from_no_instance() {
    let c = config();
    let s = scenario(&outage(149, 150, 5));
    let env = Env::new(&c, &s);
    let mut w = World::new(&env);
    w.instances.clear();
    w.desired = 0;
    w.place(&env, 0);
    w.managed_scaling(&env, 0);
    assert_eq!(w.reservation, 200, "no instance and tasks waiting");
    assert_eq!(w.desired, 5, "the estimate, within the step sizes");
}

#[test]
fn instance_warmup_blocks_the_next_scale_out() {
    let c = config();
    let s = scenario(&outage(149, 150, 3));
    let env = Env::new(&c, &s);
    let mut w = World::new(&env);
    w.instances.clear();
    w.desired = 0;
    w.place(&env, 0);
    w.managed_scaling(&env, 0);
    let after_first = w.desired;
    w.desired = 1; // as if the group lost the rest
    w.managed_scaling(&env, 1);
    assert_eq!(
        w.desired, 1,
        "warming up: no scale-out (first was {after_first})"
    );
}

#[test]
fn scale_in_waits_for_fifteen_datapoints() {
    let c = config();
    let s = scenario(&outage(149, 150, 2));
    let env = Env::new(&c, &s);
    let mut w = World::new(&env);
    w.desired = 6;
    for t in 0..6 {
        w.reconcile(&env, t);
    }
    for t in 6..20 {
        w.place(&env, t);
        w.managed_scaling(&env, t);
        assert_eq!(w.desired, 6, "minute {t}");
    }
    w.place(&env, 20);
    w.managed_scaling(&env, 20);
    assert_eq!(w.desired, 2);
}

#[test]
fn waiting_tasks_time_out_after_the_switch() {
    let c = config();
    let mut s = scenario(&outage(0, 150, 3));
    s.asg.provisioning_timeout_minutes = 10;
    let r = simulate(&c, &s).unwrap();
    let cp = r.policy(PolicyName::CapacityProviders).unwrap();
    assert!(cp.decisions["provisioning_timed_out"] >= 3 * 10);
}
