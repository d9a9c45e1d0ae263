//! Scenario errors name the key path.

use spotcover_simulate::{Scenario, simulate};

const FULL: &str = include_str!("../../../examples/scenarios/full-outage.yaml");

fn quickstart() -> spotcover_stack::StackConfig {
    spotcover_stack::load(include_str!("../../../examples/quickstart.yaml"))
        .unwrap()
        .remove(0)
        .config
}

fn parse_err(text: &str) -> String {
    Scenario::from_yaml(text).unwrap_err().to_string()
}

#[test]
fn unknown_key_is_named_with_its_path() {
    let text = FULL.replace(
        "    launch_jitter_minutes: 1\n    availability:",
        "    launch_jitter_minutes: 1\n    colour: red\n    availability:",
    );
    let e = parse_err(&text);
    assert!(
        e.starts_with("pools[0].colour: unknown field `colour`"),
        "{e}"
    );
}

#[test]
fn wrong_type_is_named_with_its_path() {
    let text = FULL.replace("price_per_hour: 0.0380", "price_per_hour: cheap");
    let e = parse_err(&text);
    assert!(e.starts_with("pools[2].price_per_hour: "), "{e}");
    let err = Scenario::from_yaml(&text).unwrap_err();
    assert!(err.location.is_some());
}

#[test]
fn empty_window_is_refused() {
    let text = FULL.replacen("to_minute: 90", "to_minute: 60", 1);
    assert_eq!(
        parse_err(&text),
        "pools[0].availability[0].to_minute: expected to_minute > from_minute"
    );
}

#[test]
fn demand_steps_in_order() {
    let text = FULL.replace(
        "  - { from_minute: 0, units: 15 }",
        "  - { from_minute: 0, units: 15 }\n  - { from_minute: 50, units: 3 }\n  - { from_minute: 20, units: 3 }",
    );
    assert_eq!(
        parse_err(&text),
        "demand[2].from_minute: expected steps in increasing from_minute order"
    );
    let text = FULL.replace(
        "{ from_minute: 0, units: 15 }",
        "{ from_minute: 5, units: 15 }",
    );
    assert_eq!(
        parse_err(&text),
        "demand[0].from_minute: the first step starts at 0"
    );
}

#[test]
fn duplicate_pool_is_refused() {
    let text = FULL.replace("type: m5.large", "type: m6i.large");
    assert_eq!(
        parse_err(&text),
        "pools[2].type: pool `m6i.large` is listed twice"
    );
}

#[test]
fn pool_not_in_the_config_is_refused() {
    let text = FULL.replace("type: m5.large", "type: c7g.large");
    let s = Scenario::from_yaml(&text).unwrap();
    let e = simulate(&quickstart(), &s).unwrap_err().to_string();
    assert_eq!(
        e,
        "pools[2].type: `c7g.large` is not one of the config's spot.instance_types"
    );
}

#[test]
fn config_type_without_pool_is_refused() {
    let mut s = Scenario::from_yaml(FULL).unwrap();
    s.pools.retain(|p| p.instance_type != "m6i.xlarge");
    let e = simulate(&quickstart(), &s).unwrap_err().to_string();
    assert_eq!(
        e,
        "pools: no pool for `m6i.xlarge` (the config's spot.instance_types[3])"
    );
}

#[test]
fn zero_duration_is_refused() {
    let text = FULL.replace("duration_minutes: 180", "duration_minutes: 0");
    assert_eq!(
        parse_err(&text),
        "duration_minutes: expected 1 to 10080 minutes"
    );
}

#[test]
fn warning_minutes_is_bounded() {
    let e = parse_err(&format!("warning_minutes: 61\n{FULL}"));
    assert!(e.starts_with("warning_minutes: expected 0 to 60"), "{e}");
    assert!(Scenario::from_yaml(&format!("warning_minutes: 60\n{FULL}")).is_ok());
}

#[test]
fn signal_fields_are_optional_and_bounded() {
    let s = Scenario::from_yaml(FULL).unwrap();
    assert_eq!(
        (
            s.metric_period_minutes,
            s.metric_delay_minutes,
            s.ecs_registration_minutes
        ),
        (5, 3, 1)
    );
    let e = parse_err(&format!("metric_period_minutes: 0\n{FULL}"));
    assert!(
        e.starts_with("metric_period_minutes: expected 1 to 60"),
        "{e}"
    );
    let e = parse_err(&format!("metric_delay_minutes: 61\n{FULL}"));
    assert!(
        e.starts_with("metric_delay_minutes: expected 0 to 60"),
        "{e}"
    );
    let e = parse_err(&format!("ecs_registration_minutes: 61\n{FULL}"));
    assert!(
        e.starts_with("ecs_registration_minutes: expected 0 to 60"),
        "{e}"
    );
    let e = parse_err(&FULL.replacen(
        "launch_latency_minutes: 3",
        "launch_latency_minutes: 4000000000",
        1,
    ));
    assert!(
        e.starts_with("pools[0].launch_latency_minutes: expected 0 to 60"),
        "{e}"
    );
}
