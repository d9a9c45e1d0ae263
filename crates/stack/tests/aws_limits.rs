//! Bounds from what AWS allows, and names AWS has: each rule on the quickstart with one
//! value out of bounds, found by `load` (so by every command).

use spotcover_stack::load;

const QUICKSTART: &str = include_str!("../../../examples/quickstart.yaml");

/// The problems `load` finds in the quickstart with `extra` appended (later keys of a
/// mapping are given as a region-free override through `replace`).
fn problems(text: &str) -> Vec<String> {
    match load(text) {
        Ok(_) => Vec::new(),
        Err(errors) => errors.iter().map(|e| e.to_string()).collect(),
    }
}

fn the_problem(text: &str) -> String {
    let mut p = problems(text);
    assert_eq!(p.len(), 1, "{p:?}");
    p.remove(0)
}

/// Target capacity per EC2 Fleet or Spot Fleet: 10,000.
/// https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/fleet-quotas.html
#[test]
fn the_fleet_takes_at_most_10000_units() {
    let ok = QUICKSTART.replace("max_capacity: 40", "max_capacity: 10000");
    assert_eq!(problems(&ok), Vec::<String>::new());
    let e = the_problem(&QUICKSTART.replace("max_capacity: 40", "max_capacity: 10001"));
    assert!(
        e.starts_with("spot.autoscaling.max_capacity: expected at most 10000"),
        "{e}"
    );
    assert!(e.contains("fleet-quotas"), "{e}");
}

/// WeightedCapacity: 1 to 999.
/// https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_LaunchTemplateOverrides.html
#[test]
fn a_weight_is_at_most_999() {
    let e = the_problem(&QUICKSTART.replace("m6i.xlarge, weight: 4", "m6i.xlarge, weight: 1000"));
    assert!(
        e.starts_with("spot.instance_types[3].weight: expected at most 999"),
        "{e}"
    );
    let e = the_problem(&QUICKSTART.replace("  weight: 2\n", "  weight: 1000\n"));
    assert!(
        e.starts_with("on_demand.weight: expected at most 999"),
        "{e}"
    );
}

/// The group covers at most a full fleet (10,000 units, fleet-quotas above).
#[test]
fn the_on_demand_group_is_at_most_10000_instances() {
    let e = the_problem(&format!("{QUICKSTART}  max_size: 10001\n"));
    assert!(
        e.starts_with("on_demand.max_size: expected at most 10000"),
        "{e}"
    );
}

/// AWS documents no maximum cooldown; spotcover takes at most a day.
#[test]
fn a_cooldown_is_at_most_a_day() {
    let e = the_problem(&format!("{QUICKSTART}  cooldown_seconds: 86401\n"));
    assert!(
        e.starts_with("on_demand.cooldown_seconds: expected at most 86400"),
        "{e}"
    );
}

/// Spot capacity pools per Spot Fleet: 300 (fleet-quotas above).
#[test]
fn the_fleet_takes_at_most_300_instance_types() {
    let types: String = (1..=301)
        .map(|i| format!("    - {{ type: m6i.large, weight: {} }}\n", i % 900 + 1))
        .collect();
    let text = QUICKSTART.replace("    - { type: m6i.large, weight: 2 }\n", &types);
    let p = problems(&text);
    assert!(
        p.iter()
            .any(|e| e.starts_with("spot.instance_types: expected at most 300 instance types")),
        "{p:?}"
    );
}

#[test]
fn u32_max_in_every_numeric_field_is_refused_not_wrapped() {
    let max = u32::MAX;
    let text = format!(
        "stack: s
spot:
  instance_types: [{{type: m6i.large, weight: {max}}}]
  target_capacity: {max}
  autoscaling: {{target_percent: {max}, min_capacity: {max}, max_capacity: {max}, scale_in_cooldown_seconds: {max}, scale_out_cooldown_seconds: {max}}}
on_demand: {{instance_types: [m6i.large], weight: {max}, min_size: {max}, max_size: {max}, desired_capacity: {max}, cooldown_seconds: {max}}}
reconciler: {{quiet_period_seconds: {max}, memory_mb: {max}, log_retention_days: {max}}}
"
    );
    let p = problems(&text);
    for field in [
        "spot.instance_types[0].weight",
        "spot.target_capacity",
        "spot.autoscaling.target_percent",
        "spot.autoscaling.min_capacity",
        "spot.autoscaling.max_capacity",
        "spot.autoscaling.scale_in_cooldown_seconds",
        "spot.autoscaling.scale_out_cooldown_seconds",
        "on_demand.weight",
        "on_demand.min_size",
        "on_demand.max_size",
        "on_demand.desired_capacity",
        "on_demand.cooldown_seconds",
        "reconciler.quiet_period_seconds",
        "reconciler.memory_mb",
        "reconciler.log_retention_days",
    ] {
        assert!(
            p.iter().any(|e| e.starts_with(&format!("{field}: "))),
            "{field} not refused: {p:?}"
        );
    }
}

#[test]
fn a_made_up_instance_type_is_refused() {
    let e = the_problem(&QUICKSTART.replace("m5.large", "zz99.large"));
    assert!(
        e.starts_with("spot.instance_types[2].type: \"zz99.large\" is not an EC2 instance type"),
        "{e}"
    );
    assert!(e.contains("allow.instance_types"), "{e}");
}

#[test]
fn allow_accepts_an_instance_type_newer_than_the_list() {
    let text = format!(
        "{}allow: {{instance_types: [zz99.large]}}\n",
        QUICKSTART.replace("m5.large", "zz99.large")
    );
    assert_eq!(problems(&text), Vec::<String>::new());
}

#[test]
fn a_made_up_region_is_refused() {
    for region in ["us-east-9", "xx-fake-1"] {
        let e = the_problem(&format!("{QUICKSTART}regions:\n  {region}: {{}}\n"));
        assert!(
            e.starts_with(&format!(
                "regions.{region}: \"{region}\" is not an AWS region"
            )),
            "{e}"
        );
        assert!(e.contains("allow.regions"), "{e}");
    }
}

#[test]
fn allow_accepts_a_region_newer_than_the_list() {
    let text =
        format!("{QUICKSTART}regions:\n  xx-fake-1: {{}}\nallow: {{regions: [xx-fake-1]}}\n");
    assert_eq!(problems(&text), Vec::<String>::new());
}
