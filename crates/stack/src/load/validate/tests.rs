//! One test per rule of `validate`, each from the quickstart with one thing wrong.

use super::*;

fn quickstart() -> StackConfig {
    super::super::parse(include_str!("../../../../../examples/quickstart.yaml")).unwrap()
}

/// The one problem `change` makes in the quickstart, as `path: message`.
fn the_problem(change: impl FnOnce(&mut StackConfig)) -> String {
    let mut c = quickstart();
    change(&mut c);
    let mut problems: Vec<String> = validate(&c, "").iter().map(|e| e.to_string()).collect();
    assert_eq!(problems.len(), 1, "{problems:?}");
    problems.remove(0)
}

#[test]
fn the_quickstart_is_valid() {
    assert_eq!(validate(&quickstart(), ""), Vec::new());
}

#[test]
fn every_problem_is_reported_not_only_the_first() {
    let mut c = quickstart();
    c.spot.instance_types[0].weight = 0;
    c.on_demand.weight = 0;
    assert_eq!(validate(&c, "").len(), 2);
}

#[test]
fn a_region_prefix_locates_the_problem() {
    let mut c = quickstart();
    c.on_demand.weight = 0;
    let e = validate(&c, "regions.eu-west-1").remove(0);
    assert_eq!(e.path, "regions.eu-west-1.on_demand.weight");
}

#[test]
fn stack_name_starts_with_a_letter() {
    let e = the_problem(|c| c.stack = "1stack".into());
    assert!(
        e.starts_with("stack: \"1stack\" is not a stack name"),
        "{e}"
    );
}

#[test]
fn spot_needs_an_instance_type() {
    let e = the_problem(|c| c.spot.instance_types.clear());
    assert_eq!(
        e,
        "spot.instance_types: expected at least one instance type"
    );
}

#[test]
fn spot_weight_is_at_least_one() {
    let e = the_problem(|c| c.spot.instance_types[1].weight = 0);
    assert!(
        e.starts_with("spot.instance_types[1].weight: expected a weight"),
        "{e}"
    );
}

#[test]
fn spot_instance_type_is_listed_once() {
    let e = the_problem(|c| c.spot.instance_types[1].instance_type = "m6i.large".into());
    assert_eq!(e, "spot.instance_types[1].type: m6i.large is listed twice");
}

#[test]
fn autoscaling_min_is_not_above_max() {
    let e = the_problem(|c| c.spot.autoscaling.min_capacity = 41);
    assert_eq!(
        e,
        "spot.autoscaling.min_capacity: min_capacity 41 is above max_capacity 40"
    );
}

#[test]
fn target_capacity_is_inside_the_autoscaling_range() {
    let e = the_problem(|c| c.spot.target_capacity = 1);
    assert_eq!(
        e,
        "spot.target_capacity: 1 is outside autoscaling's range 2..=40"
    );
}

#[test]
fn target_percent_is_a_percentage() {
    let e = the_problem(|c| c.spot.autoscaling.target_percent = 101);
    assert!(e.starts_with("spot.autoscaling.target_percent: "), "{e}");
}

#[test]
fn on_demand_types_share_one_architecture() {
    let e = the_problem(|c| c.on_demand.instance_types.push("m7g.large".into()));
    assert!(
        e.starts_with("on_demand.instance_types: expected instance types of one architecture"),
        "{e}"
    );
}

#[test]
fn a_launch_configuration_takes_one_instance_type() {
    let e = the_problem(|c| {
        c.on_demand.launch = OnDemandLaunch::Configuration;
        c.on_demand.instance_types.push("m5.large".into());
    });
    assert!(
        e.starts_with("on_demand.instance_types: a launch configuration takes exactly one"),
        "{e}"
    );
}

#[test]
fn on_demand_min_size_is_not_above_max_size() {
    let e = the_problem(|c| c.on_demand.min_size = c.on_demand.max_size + 1);
    assert!(e.starts_with("on_demand.min_size: min_size "), "{e}");
}

#[test]
fn desired_capacity_is_inside_the_sizes() {
    let e = the_problem(|c| c.on_demand.desired_capacity = Some(c.on_demand.max_size + 1));
    assert!(e.starts_with("on_demand.desired_capacity: "), "{e}");
}

#[test]
fn schedule_is_as_eventbridge_takes_it() {
    let e = the_problem(|c| c.reconciler.schedule = "every minute".into());
    assert!(e.starts_with("reconciler.schedule: "), "{e}");
}

#[test]
fn memory_is_inside_lambdas_range() {
    let e = the_problem(|c| c.reconciler.memory_mb = 64);
    assert_eq!(
        e,
        "reconciler.memory_mb: expected 128 to 10240 MB, found 64"
    );
}

#[test]
fn quiet_period_is_at_most_a_day() {
    let e = the_problem(|c| c.reconciler.quiet_period_seconds = 86_401);
    assert!(
        e.starts_with("reconciler.quiet_period_seconds: expected at most 86400"),
        "{e}"
    );
}

#[test]
fn log_retention_is_a_cloudwatch_period() {
    let e = the_problem(|c| c.reconciler.log_retention_days = 2);
    assert!(
        e.starts_with("reconciler.log_retention_days: expected one of"),
        "{e}"
    );
}

#[test]
fn subnet_ids_are_well_formed() {
    let e = the_problem(|c| {
        c.network.subnets = Some(vec!["subnet-xyz".into()]);
        c.network.subnet_count = None;
    });
    assert!(
        e.starts_with("network.subnets[0]: \"subnet-xyz\" is not a subnet id"),
        "{e}"
    );
}

#[test]
fn security_groups_are_not_an_empty_list() {
    let e = the_problem(|c| c.network.security_groups = Some(Vec::new()));
    assert_eq!(
        e,
        "network.security_groups: expected at least one security group"
    );
}

#[test]
fn permissions_boundary_is_a_policy_arn() {
    let e = the_problem(|c| c.iam.permissions_boundary = Some("arn:aws:s3:::b".into()));
    assert!(
        e.starts_with("iam.permissions_boundary: \"arn:aws:s3:::b\" is not a policy ARN"),
        "{e}"
    );
}

#[test]
fn instance_types() {
    for ok in [
        "m5.large",
        "c7gn.16xlarge",
        "m7i-flex.xlarge",
        "x2iedn.metal",
        "t4g.nano",
        "c7i.metal-24xl",
    ] {
        assert_eq!(check_instance_type(ok), Ok(()), "{ok}");
    }
    for bad in [
        "m5",
        "m5.lrage",
        "M5.large",
        "large.m5",
        "mm.large",
        "m5.large ",
    ] {
        assert!(check_instance_type(bad).is_err(), "{bad}");
    }
}

#[test]
fn schedules() {
    assert!(check_schedule("rate(1 minute)").is_ok());
    assert!(check_schedule("rate(5 minutes)").is_ok());
    assert!(check_schedule("cron(0/5 * * * ? *)").is_ok());
    assert!(check_schedule("rate(1 minutes)").is_err());
    assert!(check_schedule("rate(0 minutes)").is_err());
    assert!(check_schedule("every minute").is_err());
}

// EventBridge user guide, "Rate expressions reference": the value is "a positive
// number", written as digits; cfn-lint's E3027 takes digits only, so `+5` writes a
// template it rejects. Cron fields are separated by one space each (cfn-lint splits on
// one space).
#[test]
fn a_rate_is_digits_and_cron_fields_one_space_apart() {
    for bad in [
        "rate(+5 minutes)",
        "rate(-5 minutes)",
        "rate( 5 minutes)",
        "rate(5  minutes)",
        "rate(5\tminutes)",
        "rate(٥ minutes)",
        "cron(0/5  * * * ? *)",
        "cron( 0/5 * * * ? *)",
        "cron(0/5\t* * * ? *)",
    ] {
        assert!(check_schedule(bad).is_err(), "{bad}");
    }
    assert!(check_schedule("rate(05 minutes)").is_ok());
}

#[test]
fn policy_arns() {
    assert!(check_policy_arn("arn:aws:iam::123456789012:policy/Boundary").is_ok());
    assert!(check_policy_arn("arn:aws-cn:iam::aws:policy/a/b").is_ok());
    assert!(check_policy_arn("arn:aws:iam::12345:policy/x").is_err());
    assert!(check_policy_arn("arn:aws:s3:::bucket").is_err());
    assert!(check_policy_arn("Boundary").is_err());
}

fn literal_subnets(c: &mut StackConfig, ids: &[&str]) {
    c.network.subnets = Some(ids.iter().map(|s| (*s).to_owned()).collect());
    c.network.subnet_count = None;
}

// Spot Fleet launches one instance pool per (type, subnet) and takes at most one
// subnet per Availability Zone (AWS CLI `request-spot-fleet` examples); a subnet listed
// twice is never what was meant.
#[test]
fn a_subnet_is_listed_once() {
    let e = the_problem(|c| literal_subnets(c, &["subnet-0123abcd", "subnet-0123abcd"]));
    assert!(
        e.starts_with("network.subnets[1]: subnet-0123abcd is listed twice"),
        "{e}"
    );
}

// Spot Fleet's `LaunchTemplateOverrides.SubnetId` takes one subnet (EC2 API reference),
// so the template needs to know how many to pick from the Subnets parameter.
#[test]
fn a_subnets_parameter_of_unsaid_size_holds_three() {
    let c = quickstart();
    assert_eq!(c.network.subnet_count, None);
    assert_eq!(validate(&c, ""), Vec::new());
    assert_eq!(c.subnet_parameter_count(), Some(3));
}

#[test]
fn the_subnets_parameter_size_comes_from_the_listed_parameter() {
    let mut c = quickstart();
    c.parameters.insert(
        "Subnets".into(),
        ParameterValue::List(vec!["subnet-0123abcd".into(), "subnet-0123abce".into()]),
    );
    assert_eq!(validate(&c, ""), Vec::new());
    assert_eq!(c.subnet_parameter_count(), Some(2));
}

#[test]
fn subnet_count_agrees_with_the_listed_parameter() {
    let e = the_problem(|c| {
        c.network.subnet_count = Some(2);
        c.parameters.insert(
            "Subnets".into(),
            ParameterValue::List(vec!["subnet-0123abcd".into()]),
        );
    });
    assert!(
        e.starts_with("network.subnet_count: is 2, but parameters.Subnets lists 1"),
        "{e}"
    );
}

#[test]
fn subnet_count_and_literal_subnets_exclude_each_other() {
    let e = the_problem(|c| {
        c.network.subnets = Some(vec!["subnet-0123abcd".into()]);
        c.network.subnet_count = Some(1);
    });
    assert!(
        e.starts_with("network.subnet_count: give either `subnets`"),
        "{e}"
    );
}

#[test]
fn subnet_count_is_one_to_sixteen() {
    for n in [0, 17] {
        let e = the_problem(|c| c.network.subnet_count = Some(n));
        assert!(
            e.starts_with("network.subnet_count: expected 1 to 16"),
            "{e}"
        );
    }
}

// PutLifecycleHook (EC2 Auto Scaling API reference): HeartbeatTimeout is 30 to 7200.
#[test]
fn drain_timeout_is_a_lifecycle_hook_timeout() {
    for s in [29, 7201] {
        let e = the_problem(|c| c.on_demand.drain_timeout_seconds = s);
        assert!(
            e.starts_with("on_demand.drain_timeout_seconds: expected 30 to 7200"),
            "{e}"
        );
    }
}

#[test]
fn reserved_concurrency_is_at_least_one() {
    let e = the_problem(|c| c.reconciler.reserved_concurrency = Some(0));
    assert!(
        e.starts_with("reconciler.reserved_concurrency: expected at least 1"),
        "{e}"
    );
}

// EC2 Auto Scaling user guide, "Launch configurations": accounts created on or after
// October 1, 2024 cannot create launch configurations by any method.
#[test]
fn a_launch_configuration_is_valid_with_a_warning() {
    let mut c = quickstart();
    c.on_demand.launch = OnDemandLaunch::Configuration;
    assert_eq!(validate(&c, ""), Vec::new());
    let w = warnings(&c, "");
    assert_eq!(w.len(), 1);
    assert!(
        w[0].to_string()
            .contains("accounts created on or after 2024-10-01"),
        "{}",
        w[0]
    );
}

#[test]
fn the_quickstart_has_no_warning() {
    assert_eq!(warnings(&quickstart(), ""), Vec::new());
}

#[test]
fn uncovered_alarm_minutes_are_1_to_1440() {
    let p = the_problem(|c| c.observability.alarms.uncovered_minutes = Some(0));
    assert!(
        p.contains("observability.alarms.uncovered_minutes") && p.contains("1 to 1440"),
        "{p}"
    );
    let mut c = quickstart();
    c.observability.alarms.uncovered_minutes = Some(1440);
    assert_eq!(validate(&c, ""), Vec::new());
}

#[test]
fn alarm_email_and_alarm_topic_arn_exclude_each_other() {
    let p = the_problem(|c| {
        c.observability.alarms.reconciler_errors = true;
        c.observability.alarm_email = Some("ops@example.com".into());
        c.observability.alarm_topic_arn = Some("arn:aws:sns:us-east-1:123456789012:ops".into());
    });
    assert!(
        p.contains("at most one of alarm_email and alarm_topic_arn"),
        "{p}"
    );
}

#[test]
fn a_topic_needs_an_alarm_to_notify() {
    let p = the_problem(|c| c.observability.alarm_email = Some("ops@example.com".into()));
    assert!(
        p.contains("observability.alarm_email") && p.contains("no alarm to notify"),
        "{p}"
    );
}

#[test]
fn alarm_email_is_an_address() {
    let p = the_problem(|c| {
        c.observability.alarms.reconciler_errors = true;
        c.observability.alarm_email = Some("ops".into());
    });
    assert!(p.contains("is not an email address"), "{p}");
}

#[test]
fn alarm_topic_arn_is_an_sns_topic_arn() {
    let p = the_problem(|c| {
        c.observability.alarms.reconciler_errors = true;
        c.observability.alarm_topic_arn = Some("arn:aws:sqs:us-east-1:123456789012:q".into());
    });
    assert!(p.contains("is not an SNS topic ARN"), "{p}");
}

#[test]
fn a_quiet_period_under_the_demand_policy_is_a_warning() {
    let mut c = quickstart();
    c.reconciler.quiet_period_seconds = 300;
    let w = warnings(&c, "");
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].to_string()
            .starts_with("reconciler.quiet_period_seconds: ")
    );
    c.reconciler.policy = crate::config::CoverPolicy::Design2017;
    assert_eq!(warnings(&c, ""), Vec::new());
}

#[test]
fn a_hold_outside_a_minute_to_a_day_is_refused() {
    assert!(
        the_problem(|c| c.reconciler.hold_seconds = 30)
            .starts_with("reconciler.hold_seconds: expected 60 to 86400")
    );
}

#[test]
fn a_longest_hold_shorter_than_the_hold_is_refused() {
    assert!(
        the_problem(|c| c.reconciler.max_hold_seconds = 300)
            .starts_with("reconciler.max_hold_seconds: expected reconciler.hold_seconds (600)")
    );
}

#[test]
fn a_launch_grace_over_an_hour_is_refused() {
    assert!(
        the_problem(|c| c.reconciler.launch_grace_seconds = 3601)
            .starts_with("reconciler.launch_grace_seconds: expected 0 to 3600")
    );
}

// The 2017 rule never writes `uncovered` (reconciler-core `metrics::written_by`); with
// TreatMissingData notBreaching the alarm would stay OK forever.
#[test]
fn the_uncovered_alarm_needs_a_policy_that_writes_uncovered() {
    let p = the_problem(|c| {
        c.reconciler.policy = CoverPolicy::Design2017;
        c.observability.alarms.uncovered_minutes = Some(5);
    });
    assert!(
        p.starts_with("observability.alarms.uncovered_minutes: this alarm could never fire")
            && p.contains("reconciler.policy: \"2017\""),
        "{p}"
    );
    let mut c = quickstart();
    c.reconciler.policy = CoverPolicy::Design2017;
    c.observability.alarms.reconciler_errors = true;
    c.observability.alarms.group_at_max = true;
    assert_eq!(validate(&c, ""), Vec::new());
}
