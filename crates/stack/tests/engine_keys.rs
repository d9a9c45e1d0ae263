//! `engine: fleet | asg`: each engine refuses the other's keys, naming the key and where
//! it is written.

use spotcover_stack::config::Engine;
use spotcover_stack::load;

const ASG: &str = include_str!("../../../examples/asg.yaml");
const QUICKSTART: &str = include_str!("../../../examples/quickstart.yaml");

fn errors(yaml: &str) -> Vec<String> {
    match load(yaml) {
        Ok(_) => Vec::new(),
        Err(errs) => errs.iter().map(ToString::to_string).collect(),
    }
}

fn refused(yaml: &str, needle: &str) {
    let errs = errors(yaml);
    assert!(
        errs.iter().any(|e| e.contains(needle)),
        "no error containing {needle:?} in {errs:#?}"
    );
}

#[test]
fn the_engine_is_fleet_unless_the_config_says_asg() {
    assert_eq!(load(QUICKSTART).unwrap()[0].config.engine, Engine::Fleet);
    assert_eq!(load(ASG).unwrap()[0].config.engine, Engine::Asg);
}

#[test]
fn an_asg_config_refuses_the_fleets_on_demand_group() {
    refused(
        &format!("{ASG}on_demand:\n  instance_types: [m6i.large]\n"),
        "on_demand: belongs to `engine: fleet`",
    );
}

#[test]
fn an_asg_config_refuses_fleet_keys_under_spot() {
    for (key, yaml) in [
        (
            "spot.autoscaling",
            "  autoscaling:\n    target_percent: 80\n",
        ),
        ("spot.target_capacity", "  target_capacity: 4\n"),
        ("spot.launch", "  launch: template\n"),
        (
            "spot.allocation_strategy",
            "  allocation_strategy: capacityOptimized\n",
        ),
    ] {
        let text = ASG.replace("spot:\n", &format!("spot:\n{yaml}"));
        refused(&text, &format!("{key}: belongs to `engine: fleet`"));
    }
}

#[test]
fn an_asg_config_refuses_interruptions_and_the_quiet_period() {
    refused(
        &format!("{ASG}interruptions:\n  enabled: true\n"),
        "interruptions: belongs to `engine: fleet`",
    );
    refused(
        &format!("{ASG}reconciler:\n  quiet_period_seconds: 60\n"),
        "reconciler.quiet_period_seconds: belongs to `engine: fleet`",
    );
}

/// ECS developer guide, "Amazon ECS capacity providers for EC2 workloads"
/// (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/asg-capacity-providers.html):
/// a capacity provider's group cannot have instance weighting, so a written weight is
/// refused, even 1, rather than ignored.
#[test]
fn an_asg_config_refuses_weights() {
    for w in [1, 2] {
        let text = ASG.replace(
            "{ type: m6a.large }",
            &format!("{{ type: m6a.large, weight: {w} }}"),
        );
        refused(
            &text,
            "spot.instance_types[1].weight: a capacity provider's Auto Scaling group cannot weight instance types",
        );
    }
}

#[test]
fn the_refusal_names_the_line_of_the_key() {
    let text = format!("{ASG}interruptions:\n  enabled: true\n");
    let line = text
        .lines()
        .position(|l| l.starts_with("interruptions:"))
        .unwrap()
        + 1;
    let errs = load(&text).unwrap_err();
    let e = errs.iter().find(|e| e.path == "interruptions").unwrap();
    // The mapping's value starts on the line below its key.
    let (at, _) = e.location.unwrap();
    assert!(
        at == line as u64 || at == line as u64 + 1,
        "{e:?} at {at}, key on {line}"
    );
}

#[test]
fn a_fleet_config_refuses_the_asg_section() {
    refused(
        &format!("{QUICKSTART}\nasg:\n  max_size: 4\n"),
        "asg: belongs to `engine: asg`",
    );
}

#[test]
fn a_fleet_config_still_needs_its_on_demand_group() {
    let without: String = QUICKSTART.split("on_demand:").next().unwrap().to_owned();
    refused(&without, "on_demand: required with `engine: fleet`");
}

#[test]
fn a_region_cannot_write_the_other_engines_keys() {
    let text = format!("{ASG}regions:\n  eu-west-1:\n    interruptions:\n      enabled: true\n");
    refused(
        &text,
        "regions.eu-west-1.interruptions: belongs to `engine: fleet`",
    );
}

#[test]
fn asg_sizes_and_fallback_bounds_are_checked() {
    for (from, to, needle) in [
        (
            "max_size: 40",
            "max_size: 0",
            "asg.max_size: expected at least 1",
        ),
        (
            "max_on_demand: 40",
            "max_on_demand: 50",
            "asg.max_on_demand: max_on_demand 50 is above max_size 40",
        ),
        (
            "on_demand_floor: 0",
            "on_demand_floor: 41",
            "asg.on_demand_floor: on_demand_floor 41 is above max_on_demand 40",
        ),
        (
            "target_capacity_percent: 100",
            "target_capacity_percent: 0",
            "asg.target_capacity_percent: expected a percentage from 1 to 100",
        ),
        (
            "maximum_scaling_step_size: 10",
            "maximum_scaling_step_size: 10001",
            "asg.maximum_scaling_step_size: expected 1 to 10000",
        ),
        (
            "instance_warmup_seconds: 300",
            "instance_warmup_seconds: 10001",
            "asg.instance_warmup_seconds: expected 0 to 10000",
        ),
        (
            "return_hold_seconds: 900",
            "return_hold_seconds: 0",
            "asg.return_hold_seconds: expected 1 to 86400",
        ),
        (
            "max_hold_seconds: 3600",
            "max_hold_seconds: 60",
            "asg.max_hold_seconds: expected return_hold_seconds (900) to 86400",
        ),
    ] {
        refused(&ASG.replace(from, to), needle);
    }
}

#[test]
fn an_asg_config_takes_one_architecture() {
    refused(
        &ASG.replace("{ type: m5.large }", "{ type: m7g.large }"),
        "spot.instance_types: expected instance types of one architecture with `engine: asg`",
    );
}
