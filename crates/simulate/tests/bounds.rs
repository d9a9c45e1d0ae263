//! A scenario's numbers are bounded before the simulator adds or allocates by them:
//! `u32::MAX` in any numeric field is refused, naming the field.

use spotcover_simulate::Scenario;

const GOOD: &str = "duration_minutes: 60
seed: 1
warning_minutes: 2
metric_period_minutes: 5
metric_delay_minutes: 3
ecs_registration_minutes: 1
demand:
  - { from_minute: 0, units: 10 }
  - { from_minute: 30, units: 12 }
pools:
  - type: m6i.large
    price_per_hour: 0.035
    launch_latency_minutes: 3
    launch_jitter_minutes: 1
    availability:
      - { from_minute: 10, to_minute: 20, available: false }
on_demand:
  price_per_hour: 0.096
  launch_latency_minutes: 4
  launch_jitter_minutes: 1
";

#[test]
fn the_good_scenario_is_accepted() {
    Scenario::from_yaml(GOOD).unwrap();
}

#[test]
fn u32_max_in_every_numeric_field_is_refused() {
    let max = u32::MAX.to_string();
    for (from, to, path) in [
        (
            "duration_minutes: 60",
            "duration_minutes: MAX",
            "duration_minutes",
        ),
        (
            "warning_minutes: 2",
            "warning_minutes: MAX",
            "warning_minutes",
        ),
        (
            "metric_period_minutes: 5",
            "metric_period_minutes: MAX",
            "metric_period_minutes",
        ),
        (
            "metric_delay_minutes: 3",
            "metric_delay_minutes: MAX",
            "metric_delay_minutes",
        ),
        (
            "ecs_registration_minutes: 1",
            "ecs_registration_minutes: MAX",
            "ecs_registration_minutes",
        ),
        (
            "from_minute: 30, units: 12",
            "from_minute: MAX, units: 12",
            "demand[1].from_minute",
        ),
        ("units: 12", "units: MAX", "demand[1].units"),
        (
            "launch_latency_minutes: 3",
            "launch_latency_minutes: MAX",
            "pools[0].launch_latency_minutes",
        ),
        (
            "launch_jitter_minutes: 1\n    avail",
            "launch_jitter_minutes: MAX\n    avail",
            "pools[0].launch_jitter_minutes",
        ),
        (
            "from_minute: 10,",
            "from_minute: MAX,",
            "pools[0].availability[0].from_minute",
        ),
        (
            "to_minute: 20",
            "to_minute: MAX",
            "pools[0].availability[0].to_minute",
        ),
        (
            "launch_latency_minutes: 4",
            "launch_latency_minutes: MAX",
            "on_demand.launch_latency_minutes",
        ),
    ] {
        assert!(GOOD.contains(from), "{from}");
        let text = GOOD.replacen(from, &to.replace("MAX", &max), 1);
        let e = Scenario::from_yaml(&text).expect_err(path);
        assert_eq!(e.path, path, "{e}");
    }
}

#[test]
fn demand_is_at_most_ten_full_fleets() {
    let e = Scenario::from_yaml(&GOOD.replace("units: 12", "units: 100001")).unwrap_err();
    assert_eq!(e.path, "demand[1].units");
}

#[test]
fn a_price_is_at_most_1000_dollars_an_hour() {
    let e = Scenario::from_yaml(&GOOD.replace("price_per_hour: 0.096", "price_per_hour: 1e300"))
        .unwrap_err();
    assert_eq!(e.path, "on_demand.price_per_hour");
}
