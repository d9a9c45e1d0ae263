//! The simulator's JSON and chart speak the names of the reconciler's metrics
//! (`spotcover_reconciler_core::contract::metrics`), so a simulated run and the live dashboard
//! read alike.

use spotcover_reconciler_core::contract::metrics::{self, ALL, DECISIONS};
use spotcover_simulate::{MinuteRecord, PolicyName, Scenario, simulate};

const CONFIG: &str = "\
stack: names
spot:
  instance_types:
    - { type: m6i.large, weight: 2 }
  autoscaling: { target_percent: 100, min_capacity: 1, max_capacity: 10 }
on_demand:
  instance_types: [m6i.large]
  weight: 2
";

const SCENARIO: &str = "\
duration_minutes: 30
seed: 1
demand: [{ from_minute: 0, units: 4 }, { from_minute: 10, units: 12 }]
pools:
  - type: m6i.large
    price_per_hour: 0.06
    launch_latency_minutes: 2
    availability: [{ from_minute: 5, to_minute: 20, available: false }]
on_demand: { price_per_hour: 0.12, launch_latency_minutes: 3 }
";

fn a_minute() -> MinuteRecord {
    MinuteRecord {
        minute: 0,
        demand: 1,
        target: 2,
        spot_fulfilled: 3,
        spot_registered: 4,
        on_demand_desired: 5,
        on_demand_running: 6,
        on_demand_units: 7,
        reservation_percent: Some(8),
        uncovered: 9,
    }
}

#[test]
fn each_metric_the_simulator_figures_is_a_field_of_its_minute_json_under_the_same_name() {
    let json = serde_json::to_value(a_minute()).unwrap();
    let simulated: Vec<&str> = ALL.iter().filter(|m| m.simulated).map(|m| m.name).collect();
    assert!(!simulated.is_empty());
    for name in simulated {
        assert!(
            json.get(name).is_some(),
            "MinuteRecord has no field {name}: {json}"
        );
    }
}

#[test]
fn the_simulators_decision_counts_are_keyed_by_the_metrics_reason_names() {
    let config = spotcover_stack::load(CONFIG).unwrap().remove(0).config;
    let r = simulate(&config, &Scenario::from_yaml(SCENARIO).unwrap()).unwrap();
    let json = serde_json::to_value(r.policy(PolicyName::Default).unwrap()).unwrap();
    let counts = json[DECISIONS.name].as_object().unwrap();
    assert!(!counts.is_empty());
    let names: Vec<&str> = metrics::REASON_NAMES.to_vec();
    for reason in counts.keys() {
        assert!(
            names.contains(&reason.as_str()),
            "{reason} is not a reason the metrics name"
        );
    }
}

#[test]
fn the_chart_labels_its_lines_with_the_metric_names() {
    let config = spotcover_stack::load(CONFIG).unwrap().remove(0).config;
    let svg = simulate(&config, &Scenario::from_yaml(SCENARIO).unwrap())
        .unwrap()
        .svg();
    for m in [
        metrics::DEMAND,
        metrics::SPOT_REGISTERED,
        metrics::ON_DEMAND_UNITS,
        metrics::UNCOVERED,
    ] {
        assert!(svg.lines().any(|l| l.trim() == m.name), "{}", m.name);
    }
}
