//! Unit tests of the signals: one per signal a real reconciler gets.

use spotcover_reconciler_core::policy::rule_2017::Observation;
use spotcover_stack::StackConfig;

use super::batches::OdBatch;
use super::clock::START_EPOCH;
use super::metrics::{History, observe};
use super::world::{Env, World};
use crate::scenario::Scenario;

const CONFIG: &str = "\
stack: unit
spot:
  instance_types:
    - { type: m6i.large, weight: 2 }
  target_capacity: 4
  autoscaling:
    { target_percent: 75, min_capacity: 2, max_capacity: 40, scale_out_cooldown_seconds: 60 }
on_demand:
  instance_types: [m6i.large]
  weight: 2
  cooldown_seconds: 600
";

const SCENARIO: &str = "\
duration_minutes: 60
demand: [{ from_minute: 0, units: 12 }]
ecs_registration_minutes: 2
pools:
  - { type: m6i.large, price_per_hour: 0.03, launch_latency_minutes: 3 }
on_demand: { price_per_hour: 0.1, launch_latency_minutes: 4 }
";

fn fixture() -> (StackConfig, Scenario) {
    let config = spotcover_stack::load(CONFIG).unwrap().remove(0).config;
    (config, Scenario::from_yaml(SCENARIO).unwrap())
}

fn latest_target(obs: &Observation) -> f64 {
    obs.target.iter().max_by_key(|p| p.at).unwrap().value
}

#[test]
fn a_metric_value_changes_only_at_period_boundaries_and_after_the_delay() {
    // TargetCapacity 10 until minute 7, then 20. Periods of 5 minutes, 3 late: the
    // period [5, 10) holding the change is readable from minute 13.
    let h = History {
        target: (0..30).map(|m| if m < 7 { 10 } else { 20 }).collect(),
        fulfilled: vec![10; 30],
        initial: (10, 10),
    };
    for t in 7..13 {
        assert_eq!(latest_target(&observe(&h, t, 20, 5, 3)), 10.0, "minute {t}");
    }
    assert_eq!(latest_target(&observe(&h, 13, 20, 5, 3)), 20.0);
    // Datapoints are stamped at their period's start, one per period.
    let obs = observe(&h, 13, 20, 5, 3);
    assert!(obs.target.iter().all(|p| (p.at - START_EPOCH) % 300 == 0));
    // Per minute and at once, the change shows at the next minute.
    assert_eq!(latest_target(&observe(&h, 7, 20, 1, 0)), 10.0);
    assert_eq!(latest_target(&observe(&h, 8, 20, 1, 0)), 20.0);
}

#[test]
fn adding_on_demand_instances_lowers_the_reservation_the_fleet_sees() {
    let (config, scenario) = fixture();
    let env = Env::new(&config, &scenario);
    let mut w = World::new(&env);
    let before = w.measure(&env, 0).reservation.unwrap();
    w.od.push(OdBatch {
        count: 2,
        running_at: 0,
        serve_at: 0,
    });
    let after = w.measure(&env, 0).reservation.unwrap();
    // 12 units on 16 spot units; then on 16 + 2 * 2.
    assert_eq!(before, 75.0);
    assert_eq!(after, 60.0);
}

#[test]
fn tasks_that_cannot_be_placed_reserve_nothing() {
    let (config, mut scenario) = fixture();
    scenario.demand[0].units = 100;
    let env = Env::new(&config, &scenario);
    let mut w = World::new(&env);
    w.target = 16;
    w.maintain(&env, 0);
    w.spot.truncate(1);
    let m = w.measure(&env, 0);
    assert_eq!(m.reservation, Some(100.0), "{m:?}");
    assert_eq!(m.uncovered, 100 - m.spot_registered);
    // Nothing registered: no datapoint at all.
    w.spot.clear();
    assert_eq!(w.measure(&env, 0).reservation, None);
}

#[test]
fn a_target_tracking_scale_out_needs_its_datapoints() {
    let (config, scenario) = fixture();
    let env = Env::new(&config, &scenario);
    let mut w = World::new(&env);
    let start = w.target;
    w.last_reservation = Some(100.0);
    assert!(!w.track(&env, 1));
    assert!(!w.track(&env, 2));
    assert_eq!(w.target, start);
    // The third datapoint above 75 %: target * 100 / 75.
    assert!(w.track(&env, 3));
    assert_eq!(w.target, (start * 4).div_ceil(3));
    // A datapoint back at the target breaks the run.
    w.last_reservation = Some(75.0);
    assert!(!w.track(&env, 4));
    w.last_reservation = Some(100.0);
    assert!(!w.track(&env, 5));
    assert!(!w.track(&env, 6));
    assert!(w.track(&env, 7));
}

#[test]
fn a_target_tracking_scale_in_needs_fifteen_datapoints_below_ninety_percent_of_target() {
    let (config, scenario) = fixture();
    let env = Env::new(&config, &scenario);
    let mut w = World::new(&env);
    w.target = 30;
    // 68 % is below 75 % but not below 67.5 %: never a scale-in.
    w.last_reservation = Some(68.0);
    for t in 1..40 {
        assert!(!w.track(&env, t));
    }
    w.last_reservation = Some(50.0);
    for t in 40..54 {
        assert!(!w.track(&env, t), "minute {t}");
    }
    assert!(w.track(&env, 54));
    assert_eq!(w.target, 20);
}

#[test]
fn target_tracking_scales_out_again_only_after_its_cooldown() {
    let (mut config, scenario) = fixture();
    config.spot.autoscaling.scale_out_cooldown_seconds = 300;
    let env = Env::new(&config, &scenario);
    let mut w = World::new(&env);
    w.last_reservation = Some(100.0);
    let changes: Vec<u32> = (1..15).filter(|&t| w.track(&env, t)).collect();
    assert_eq!(changes, [3, 8, 13]);
}

#[test]
fn fulfilled_capacity_counts_instances_before_they_register() {
    let (config, scenario) = fixture();
    let env = Env::new(&config, &scenario);
    let mut w = World::new(&env);
    w.measure(&env, 0);
    w.target = 24;
    w.maintain(&env, 10);
    let m = w.measure(&env, 10);
    assert_eq!(m.fulfilled, 24);
    assert_eq!(m.spot_registered, 16);
    // Latency 3 plus registration 2.
    assert_eq!(w.measure(&env, 14).spot_registered, 16);
    assert_eq!(w.measure(&env, 15).spot_registered, 24);
}

#[test]
fn an_instance_serves_ecs_only_after_its_registration_delay() {
    let (config, scenario) = fixture();
    let env = Env::new(&config, &scenario);
    let mut w = World::new(&env);
    assert!(w.set_desired(&env, 10, 1, false, 600, false));
    // Running (InService) at 14, registered at 16.
    assert_eq!(w.od[0].running_at, 14);
    assert_eq!(w.measure(&env, 15).od_registered, 0);
    assert_eq!(w.measure(&env, 16).od_registered, 1);
}

#[test]
fn the_group_cooldown_counts_from_the_end_of_its_scaling_activity() {
    let (config, scenario) = fixture();
    let env = Env::new(&config, &scenario);
    let mut w = World::new(&env);
    assert!(w.set_desired(&env, 10, 2, false, 600, false));
    // The activity ends at 14, when the instances are InService: a scale-in that
    // honours the 600 s cooldown is refused until 24, not 20.
    assert!(!w.set_desired(&env, 20, 0, true, 600, false));
    assert!(!w.set_desired(&env, 23, 0, true, 600, false));
    assert!(w.set_desired(&env, 24, 0, true, 600, false));
    assert_eq!(w.od_alive(), 0);
}
