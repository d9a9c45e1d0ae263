//! What real AWS refuses at deploy time, refused offline by `load` (so by `validate`,
//! `synth` and every other command): one rule per test, each citing the AWS page.

use spotcover_stack::load;

const QUICKSTART: &str = include_str!("../../../examples/quickstart.yaml");

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

fn with_instances(block: &str) -> String {
    format!("{QUICKSTART}instances:\n{block}")
}

/// EC2 user guide, "Work with instance user data": "User data is limited to 16 KB, in
/// raw form, before it is base64-encoded."
/// https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instancedata-add-user-data.html
#[test]
fn user_data_over_16_kb_is_refused() {
    let script = |n: usize| format!("  user_data:\n    inline: \"echo {}\"\n", "x".repeat(n));
    assert_eq!(
        problems(&with_instances(&script(15_000))),
        Vec::<String>::new()
    );
    let e = the_problem(&with_instances(&script(16_400)));
    assert!(
        e.starts_with("instances.user_data: the spot instances' user data would be"),
        "{e}"
    );
    assert!(e.contains("16384 bytes"), "{e}");
}

/// Lambda developer guide, "Lambda quotas": environment variables, 4 KB for all of a
/// function's variables together.
/// https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
#[test]
fn a_reconciler_environment_over_4_kb_is_refused() {
    let families = ["m5", "m6i", "m7i", "c5", "c6i", "c7i", "r5", "r6i", "r7i"];
    let listed: Vec<&str> = include_str!("../data/instance-types.txt")
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter(|t| {
            let family = t.split('.').next().unwrap_or_default();
            families.iter().any(|f| family.starts_with(f))
        })
        .collect();
    let config = |types: &[&str]| {
        let types: String = types
            .iter()
            .enumerate()
            .map(|(i, t)| format!("    - {{ type: {t}, weight: {} }}\n", 1 + i % 4))
            .collect();
        format!(
            "stack: s\nspot:\n  instance_types:\n{types}  autoscaling: {{ max_capacity: 1000 }}\non_demand:\n  instance_types: [m6i.large]\n"
        )
    };
    // 300 types listed family by family fit: the weights variable writes a type of the
    // previous one's family from its dot.
    assert_eq!(problems(&config(&listed[..300])), Vec::<String>::new());
    // The same families taken in turn share nothing, and do not fit.
    let mut by_family: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
    for t in &listed {
        by_family
            .entry(t.split('.').next().unwrap_or_default())
            .or_default()
            .push(t);
    }
    let mut by_family: Vec<Vec<&str>> = by_family.into_values().collect();
    let mut interleaved = Vec::new();
    while interleaved.len() < 300 {
        for f in by_family.iter_mut() {
            if let Some(t) = f.pop()
                && interleaved.len() < 300
            {
                interleaved.push(t);
            }
        }
    }
    let e = the_problem(&config(&interleaved));
    assert!(
        e.starts_with("spot.instance_types: the reconciler's environment would be"),
        "{e}"
    );
    assert!(e.contains("SPOTCOVER_SPOT_WEIGHTS"), "{e}");
}

/// Amazon Linux 2023 does not support A1 instances (the AWS CDK's
/// `EcsMachineImageType.ECS_AL2023`, from the AL2023 user guide), and the template
/// launches the ECS-optimized AL2023 AMI.
/// https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_batch.EcsMachineImageType.html
#[test]
fn a1_types_are_refused_on_amazon_linux_2023() {
    let e = the_problem(&QUICKSTART.replace(
        "{ type: m5.large, weight: 2 }",
        "{ type: a1.large, weight: 2 }",
    ));
    assert!(
        e.starts_with("spot.instance_types[2].type: a1.large cannot run"),
        "{e}"
    );
    let p =
        problems(&QUICKSTART.replace("instance_types: [m6i.large]", "instance_types: [a1.large]"));
    assert!(
        p.iter()
            .any(|e| e.starts_with("on_demand.instance_types[0]: a1.large cannot run")),
        "{p:?}"
    );
}

/// EC2 API reference, `SpotPlacement.Tenancy`: "The host tenancy is not supported for
/// Spot Instances", and Mac instances run only on Dedicated Hosts.
/// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_SpotPlacement.html
#[test]
fn mac_types_are_refused_for_spot() {
    let e = the_problem(&QUICKSTART.replace(
        "{ type: m5.large, weight: 2 }",
        "{ type: mac-m4.metal, weight: 2 }",
    ));
    assert!(
        e.starts_with("spot.instance_types[2].type: mac-m4.metal cannot be used here"),
        "{e}"
    );
    assert!(e.contains("Spot does not support host tenancy"), "{e}");
}

/// The template selects each subnet by position (`Fn::Select`, one launch override per
/// subnet: EC2 API reference, `LaunchTemplateOverrides.SubnetId`); a parameter value with
/// fewer fails the deploy.
/// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_LaunchTemplateOverrides.html
#[test]
fn a_subnets_parameter_string_with_fewer_subnets_than_selected_is_refused() {
    let two = "subnet-0a1b2c3d4e5f60718,subnet-0b1c2d3e4f5061728";
    let e = the_problem(&format!("{QUICKSTART}parameters:\n  Subnets: \"{two}\"\n"));
    assert!(
        e.starts_with("parameters.Subnets: holds 2 subnets, but the template selects 3"),
        "{e}"
    );
    let agreed =
        format!("{QUICKSTART}network:\n  subnet_count: 2\nparameters:\n  Subnets: \"{two}\"\n");
    assert_eq!(problems(&agreed), Vec::<String>::new());
}

/// Registry schemas of AWS::ECS::Cluster and AWS::IAM::Role, `Tag.Value`: pattern
/// `^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$` (no tabs or line breaks); AWS::CloudWatch::Alarm,
/// `Tag.Value`: minLength 1 (the stack's alarm gets every tag).
/// https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-cloudwatch-alarm-tag.html
#[test]
fn tag_values_with_tabs_newlines_or_nothing_are_refused() {
    for value in ["\"a\\tb\"", "\"a\\nb\"", "\"\""] {
        let e = the_problem(&format!("{QUICKSTART}tags:\n  team: {value}\n"));
        assert!(e.starts_with("tags.team: "), "{value}: {e}");
    }
    assert_eq!(
        problems(&format!("{QUICKSTART}tags:\n  team: \"a b\"\n")),
        Vec::<String>::new()
    );
}

/// EventBridge user guide, "Using cron and rate expressions to schedule rules": cron has
/// six fields with their own values and wildcards, `?` in exactly one of day-of-month and
/// day-of-week; a rate's unit is minute(s), hour(s) or day(s).
/// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html
#[test]
fn invalid_cron_and_rate_expressions_are_refused() {
    let schedule = |s: &str| format!("{QUICKSTART}reconciler:\n  schedule: \"{s}\"\n");
    for ok in [
        "cron(0 12 * * ? *)",
        "cron(0/15 * ? * MON-FRI *)",
        "cron(0 8 L * ? 2030)",
        "cron(0 8 ? * 6#3 *)",
        "cron(15 10 ? * 6L 2019-2022)",
        "rate(1 minute)",
        "rate(5 minutes)",
    ] {
        assert_eq!(problems(&schedule(ok)), Vec::<String>::new(), "{ok}");
    }
    for bad in [
        "cron(0 12 * * * *)",
        "cron(0 12 ? * ? *)",
        "cron(60 12 * * ? *)",
        "cron(0 24 * * ? *)",
        "cron(0 12 32 * ? *)",
        "cron(0 12 * 13 ? *)",
        "cron(0 12 ? * 8 *)",
        "cron(0 12 * * ? 1969)",
        "cron(a b c d e f)",
        "rate(5 seconds)",
        "rate(1.5 minutes)",
    ] {
        let e = the_problem(&schedule(bad));
        assert!(e.starts_with("reconciler.schedule: "), "{bad}: {e}");
    }
    let e = the_problem(&schedule("rate(5 seconds)"));
    assert!(e.contains("minute(s), hour(s) or day(s)"), "{e}");
}

/// IAM API reference, `AttachRolePolicy` / CloudFormation `AWS::IAM::Role.ManagedPolicyArns`
/// (a set of ARNs): one policy once; spotcover attaches AmazonEC2ContainerServiceforEC2Role.
/// https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-iam-role.html
#[test]
fn duplicate_managed_policies_and_spotcovers_own_are_refused() {
    let e = the_problem(&with_instances(
        "  managed_policies: [AmazonSSMManagedInstanceCore, \"arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore\"]\n",
    ));
    assert!(e.starts_with("instances.managed_policies[1]: "), "{e}");
    assert!(e.contains("instances.managed_policies[0] again"), "{e}");
    let e = the_problem(&with_instances(
        "  managed_policies: [service-role/AmazonEC2ContainerServiceforEC2Role]\n",
    ));
    assert!(e.contains("attached by spotcover already"), "{e}");
}

/// A volume created from a snapshot is at least the snapshot's size (EBS user guide,
/// "Create an Amazon EBS volume"); the ECS-optimized AL2023 AMI's root snapshot is 30 GiB
/// (ECS developer guide, AMI storage configuration; an assumption spotcover cannot check
/// offline for an AMI given through the `EcsAmi*` parameters).
/// https://docs.aws.amazon.com/ebs/latest/userguide/ebs-creating-volume.html
#[test]
fn a_root_volume_smaller_than_the_amis_snapshot_is_refused() {
    let e = the_problem(&with_instances("  root_volume: { size_gib: 8 }\n"));
    assert!(
        e.starts_with("instances.root_volume.size_gib: 8 GiB is smaller than the 30 GiB snapshot"),
        "{e}"
    );
    assert_eq!(
        problems(&with_instances("  root_volume: { size_gib: 30 }\n")),
        Vec::<String>::new()
    );
}
