//! A scenario small enough to follow minute by minute, with every figure worked out by
//! hand from the model in the crate docs.

use spotcover_simulate::{MinuteRecord, PolicyName, PolicyReport, Scenario, simulate};

const CONFIG: &str = "\
stack: tiny
spot:
  instance_types:
    - { type: m6i.large, weight: 2 }
  autoscaling: { target_percent: 100, min_capacity: 1, max_capacity: 10 }
on_demand:
  instance_types: [m6i.large]
  weight: 2
  cooldown_seconds: 600
";

// Demand 4 units: target 4, two spot instances. The pool is lost in minutes 5-9; the
// fleet relaunches at 10, running from 12 (latency 2). Metrics per minute and at once, and
// registration without delay, so every figure follows from the rules alone.
const SCENARIO: &str = "\
duration_minutes: 20
seed: 9
metric_period_minutes: 1
metric_delay_minutes: 0
ecs_registration_minutes: 0
demand: [{ from_minute: 0, units: 4 }]
pools:
  - type: m6i.large
    price_per_hour: 0.06
    launch_latency_minutes: 2
    availability: [{ from_minute: 5, to_minute: 10, available: false }]
on_demand: { price_per_hour: 0.12, launch_latency_minutes: 3 }
";

/// Without interruption handling the reconciler only sees the loss in the metrics; the
/// 2017 policy, whose figures the first two tests work out.
const NO_WARNINGS: &str = "interruptions: { enabled: false }\nreconciler: { policy: \"2017\" }\n";

/// One figure of every minute of a policy's run.
fn minute_by_minute(p: &PolicyReport, figure: impl Fn(&MinuteRecord) -> u32) -> Vec<u32> {
    p.minutes.iter().map(figure).collect()
}

#[test]
fn every_figure_as_worked_out_by_hand() {
    let config = spotcover_stack::load(&format!("{CONFIG}{NO_WARNINGS}"))
        .unwrap()
        .remove(0)
        .config;
    let r = simulate(&config, &Scenario::from_yaml(SCENARIO).unwrap()).unwrap();
    // FulfilledCapacity counts the relaunch at 10; ECS has the instances from 12.
    let p = r.policy(PolicyName::SpotOnly).unwrap();
    assert_eq!(
        minute_by_minute(p, |m| m.spot_fulfilled),
        [4, 4, 4, 4, 4, 0, 0, 0, 0, 0, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4]
    );
    assert_eq!(
        minute_by_minute(p, |m| m.spot_registered),
        [4, 4, 4, 4, 4, 0, 0, 0, 0, 0, 0, 0, 4, 4, 4, 4, 4, 4, 4, 4]
    );
    // Spot only: 4 units uncovered in minutes 5-11.
    assert_eq!(p.uncovered_unit_minutes, 28);

    // Spot: 2 instances in minutes 0-4 and 10-19: 30 instance-minutes at $0.001, in
    // every world (the reservation stays at or above the target: no scale-in).
    for p in &r.policies {
        assert!((p.spot_cost - 0.03).abs() < 1e-9, "{p:?}");
        assert_eq!(p.fleet_target_changes, 0);
    }

    // Default: the run at minute 6 sees minute 5 short by 4 units and sets desired 2
    // (InService and registered from 9): minutes 5-8 uncovered. The scale-out activity
    // ends at 9, so the 600 s cooldown runs to 19: the run at 11 sees the fleet whole
    // (FulfilledCapacity is back at 10) and asks to scale in, refused 11-18, done at 19.
    // Instances alive in minutes 6-18: 26 instance-minutes at $0.002.
    let p = r.policy(PolicyName::Default).unwrap();
    assert_eq!(p.uncovered_unit_minutes, 16);
    assert_eq!(p.scale_ins_refused, 8);
    assert_eq!(p.peak_on_demand_instances, 2);
    assert!((p.on_demand_cost - 0.052).abs() < 1e-9);
    assert_eq!(
        minute_by_minute(p, |m| m.on_demand_desired),
        [0, 0, 0, 0, 0, 0, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 0]
    );
    assert_eq!(
        minute_by_minute(p, |m| m.on_demand_running),
        [0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 0]
    );
    // On-demand instances count in the reservation: 4 units on 8 registered.
    assert_eq!(p.minutes[12].reservation_percent, Some(50));

    // 2017: same cover, but the 2700 s cooldown keeps both instances to the end.
    let p = r.policy(PolicyName::Design2017).unwrap();
    assert_eq!(p.uncovered_unit_minutes, 16);
    assert_eq!(p.scale_ins_refused, 9);
    assert!((p.on_demand_cost - 0.056).abs() < 1e-9);

    // Reactive floor: sees minute 5 at once, sets desired 2 at 5 (registered from 8);
    // cooldown from 8 to 18; it asks to scale in from 12 (spot registered again),
    // refused 12-17.
    let p = r.policy(PolicyName::ReactiveFloor).unwrap();
    assert_eq!(p.uncovered_unit_minutes, 12);
    assert_eq!(p.scale_ins_refused, 6);
    assert_eq!(
        minute_by_minute(p, |m| m.on_demand_desired),
        [0, 0, 0, 0, 0, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 0, 0]
    );

    // Oracle: 2 instances launched at minute 2, serving 5-11, gone at 12: 10 minutes
    // each, 20 instance-minutes, nothing uncovered.
    let p = r.policy(PolicyName::Oracle).unwrap();
    assert_eq!(p.uncovered_unit_minutes, 0);
    assert!((p.on_demand_cost - 0.04).abs() < 1e-9);
    assert_eq!(
        minute_by_minute(p, |m| m.on_demand_running),
        [0, 0, 0, 0, 0, 2, 2, 2, 2, 2, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0]
    );
}

#[test]
fn warnings_as_worked_out_by_hand() {
    // Interruptions on. The pool is lost at minute 5, so at minute 3 both
    // running instances (weight 2 each) get a warning. The run at minute 3 is steady;
    // each warning then raises desired by ceil(2 / 2) = 1 at once: desired 2 at minute 3,
    // InService and registered from 6 (latency 3). Uncovered: 4 units in minute 5 only.
    let config = spotcover_stack::load(&format!(
        "{CONFIG}interruptions: {{ enabled: true }}\nreconciler: {{ policy: \"2017\" }}\n"
    ))
    .unwrap()
    .remove(0)
    .config;
    assert!(config.interruptions.enabled);
    let r = simulate(&config, &Scenario::from_yaml(SCENARIO).unwrap()).unwrap();
    let p = r.policy(PolicyName::Default).unwrap();
    assert_eq!(p.uncovered_unit_minutes, 4);
    assert_eq!(p.interruption_decisions.len(), 1, "{p:?}");
    assert_eq!(p.interruption_decisions["drain_and_cover"], 2);
    // The cooldown runs from 6 (end of the activity) to 16. The runs at 4 and 5 still
    // see the fleet whole and ask to scale in: refused. Runs 6-10 see the shortfall:
    // steady. Runs 11-15 see the fleet whole again: refused; 16 goes through.
    assert_eq!(
        minute_by_minute(p, |m| m.on_demand_desired),
        [0, 0, 0, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 0, 0, 0, 0]
    );
    assert_eq!(
        minute_by_minute(p, |m| m.on_demand_running),
        [0, 0, 0, 0, 0, 0, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 0, 0, 0, 0]
    );
    assert_eq!(p.scale_ins_refused, 7);
    // Alive in minutes 3-15: 26 instance-minutes at $0.002.
    assert!((p.on_demand_cost - 0.052).abs() < 1e-9);

    // 2017 never acts on warnings: its figures are those without them.
    let p = r.policy(PolicyName::Design2017).unwrap();
    assert_eq!(p.uncovered_unit_minutes, 16);
    assert!(p.interruption_decisions.is_empty());

    // warning_minutes: 0 turns the warnings off.
    let s = Scenario::from_yaml(&format!("warning_minutes: 0\n{SCENARIO}")).unwrap();
    let r = simulate(&config, &s).unwrap();
    assert_eq!(
        r.policy(PolicyName::Default)
            .unwrap()
            .uncovered_unit_minutes,
        16
    );
}

#[test]
fn the_demand_policy_as_worked_out_by_hand() {
    // The default policy. The ECS agent drains both instances on their warning at
    // minute 3 (the pool is lost at 5, two minutes later): the run at 3 sees 0 units
    // active for a demand of 4 and sets desired 2 at once (registered from 6). At 5 the
    // instances are gone and the fleet cannot launch: spot is short from 5, and within
    // the grace the fleet would be trusted, but the hold keeps the 2 instances; the
    // fleet's error event arrives at 6. Uncovered: 4 units in minute 5 only. The pool
    // is back at 10 and its instances serve from 12; the need was last 2 at minute 11
    // (the error is remembered for 10 minutes), so the 600 s hold keeps the cover past
    // the end of the run.
    let config = spotcover_stack::load(CONFIG).unwrap().remove(0).config;
    let r = simulate(&config, &Scenario::from_yaml(SCENARIO).unwrap()).unwrap();
    let p = r.policy(PolicyName::Default).unwrap();
    assert_eq!(p.uncovered_unit_minutes, 4);
    assert_eq!(
        minute_by_minute(p, |m| m.on_demand_desired),
        [0, 0, 0, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2]
    );
    assert_eq!(
        minute_by_minute(p, |m| m.on_demand_running),
        [0, 0, 0, 0, 0, 0, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2]
    );
    // Alive in minutes 3-19: 34 instance-minutes at $0.002.
    assert!(
        (p.on_demand_cost - 0.068).abs() < 1e-9,
        "{}",
        p.on_demand_cost
    );
    assert_eq!(p.fleet_target_changes, 0);

    // Without the fleet's events, the grace (300 s from minute 5) ends at 10, which the
    // hold from minute 4 (the last run that needed 2 before) outlasts anyway.
    let s = Scenario::from_yaml(&format!("fleet_events: false\n{SCENARIO}")).unwrap();
    let r = simulate(&config, &s).unwrap();
    assert_eq!(
        r.policy(PolicyName::Default)
            .unwrap()
            .uncovered_unit_minutes,
        4
    );
}
