//! Deploy the quickstart into moto server with the real `aws` CLI, then look for every
//! resource in its own service's API: moto skips some resources silently, so
//! CREATE_COMPLETE alone proves little.

mod common;

use std::process::Command;

use common::moto::*;
use common::*;
use std::collections::BTreeMap;

use serde_json::Value;

#[test]
fn quickstart_deploys_and_every_resource_is_wired_in_its_own_api() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    synth(
        &example("quickstart"),
        &out,
        &fixture_zip(tmp.path()),
        "yaml",
    );
    let stack = unique("qs");
    let (ids, net) = deploy_into_network(&out, &stack);
    let cluster_name = quickstart_cluster(&ids);
    quickstart_fleet(&ids, &net, &cluster_name);
    quickstart_group_and_drain_hook(&ids);
    let function_arn = quickstart_function(&ids);
    quickstart_invokers(&ids, &function_arn);
    quickstart_role_scope(&ids);
}

fn quickstart_cluster(ids: &BTreeMap<String, String>) -> String {
    let id = |logical: &str| physical(ids, logical);
    let clusters = aws(&["ecs", "describe-clusters", "--clusters", id("EcsCluster")]);
    assert_eq!(clusters["clusters"][0]["status"], "ACTIVE");
    s(&clusters["clusters"][0]["clusterName"]).to_owned()
}

fn quickstart_fleet(ids: &BTreeMap<String, String>, net: &Network, cluster_name: &str) {
    let id = |logical: &str| physical(ids, logical);
    let fleets = aws(&[
        "ec2",
        "describe-spot-fleet-requests",
        "--spot-fleet-request-ids",
        id("SpotFleet"),
    ]);
    let fleet = &fleets["SpotFleetRequestConfigs"][0];
    assert_eq!(fleet["SpotFleetRequestState"], "active");
    let config = &fleet["SpotFleetRequestConfig"];
    assert_eq!(config["TargetCapacity"], 4);
    assert_eq!(config["AllocationStrategy"], "priceCapacityOptimized");
    assert!(s(&config["IamFleetRole"]).ends_with(&format!("role/{}", id("SpotFleetRole"))));
    // One launch override per instance type and subnet (Spot Fleet's
    // LaunchTemplateOverrides.SubnetId takes one subnet: EC2 API reference), each subnet
    // of the three the deploy passed. moto lists each override as a launch
    // specification (tools/moto_server.py) and resolved every subnet id to launch.
    let overrides: Vec<(String, String)> = config["LaunchSpecifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                s(&o["InstanceType"]).to_owned(),
                s(&o["SubnetId"]).to_owned(),
            )
        })
        .collect();
    let mut expected = Vec::new();
    for t in ["m6i.large", "m6a.large", "m5.large", "m6i.xlarge"] {
        for subnet in &net.subnets {
            expected.push((t.to_owned(), subnet.clone()));
        }
    }
    assert_eq!(net.subnets.len(), 3);
    assert_eq!(overrides, expected);
    let spec = &config["LaunchSpecifications"][0];
    assert!(s(&spec["IamInstanceProfile"]["Arn"]).ends_with(id("InstanceProfile")));
    let user_data = base64_decode(s(&spec["UserData"]));
    assert!(
        user_data.contains(&format!("ECS_CLUSTER={cluster_name}\n")),
        "{user_data}"
    );
}

fn quickstart_group_and_drain_hook(ids: &BTreeMap<String, String>) {
    let id = |logical: &str| physical(ids, logical);
    let groups = aws(&[
        "autoscaling",
        "describe-auto-scaling-groups",
        "--auto-scaling-group-names",
        id("OnDemandGroup"),
    ]);
    let group = &groups["AutoScalingGroups"][0];
    assert_eq!(
        (
            &group["MinSize"],
            &group["MaxSize"],
            &group["DesiredCapacity"],
            &group["DefaultCooldown"]
        ),
        (
            &Value::from(0),
            &Value::from(200),
            &Value::from(0),
            &Value::from(2700)
        )
    );
    assert_eq!(
        group["MixedInstancesPolicy"]["LaunchTemplate"]["LaunchTemplateSpecification"]["LaunchTemplateId"],
        id("OnDemandLaunchTemplate")
    );
    let hooks = aws(&[
        "autoscaling",
        "describe-lifecycle-hooks",
        "--auto-scaling-group-name",
        id("OnDemandGroup"),
    ]);
    let hook = &hooks["LifecycleHooks"][0];
    assert_eq!(hook["LifecycleHookName"], "spotcover-scale-in-drain");
    assert_eq!(
        hook["LifecycleTransition"],
        "autoscaling:EC2_INSTANCE_TERMINATING"
    );
    assert_eq!(hook["HeartbeatTimeout"], 900);
    assert_eq!(hook["DefaultResult"], "CONTINUE");
    let drain_rule = aws(&["events", "describe-rule", "--name", id("DrainHookRule")]);
    let pattern: Value = serde_json::from_str(s(&drain_rule["EventPattern"])).unwrap();
    assert_eq!(
        pattern["detail"]["AutoScalingGroupName"],
        serde_json::json!([id("OnDemandGroup")])
    );
}

fn quickstart_function(ids: &BTreeMap<String, String>) -> String {
    let id = |logical: &str| physical(ids, logical);
    let function = aws(&[
        "lambda",
        "get-function-configuration",
        "--function-name",
        id("ReconcilerFunction"),
    ]);
    assert_eq!(function["Runtime"], "provided.al2023");
    assert_eq!(function["Handler"], "bootstrap");
    let env = &function["Environment"]["Variables"];
    assert_eq!(env["SPOTCOVER_FLEET_ID"], id("SpotFleet"));
    assert_eq!(env["SPOTCOVER_GROUP_NAME"], id("OnDemandGroup"));
    assert!(s(&function["Role"]).ends_with(&format!("role/{}", id("ReconcilerRole"))));
    // None reserved: low-quota accounts refuse a reservation (issue 9).
    let concurrency = aws(&[
        "lambda",
        "get-function-concurrency",
        "--function-name",
        id("ReconcilerFunction"),
    ]);
    assert!(
        concurrency.get("ReservedConcurrentExecutions").is_none(),
        "{concurrency}"
    );
    s(&function["FunctionArn"]).to_owned()
}

fn quickstart_invokers(ids: &BTreeMap<String, String>, function_arn: &str) {
    let id = |logical: &str| physical(ids, logical);
    let policy = aws(&[
        "lambda",
        "get-policy",
        "--function-name",
        id("ReconcilerFunction"),
    ]);
    let policy: Value = serde_json::from_str(s(&policy["Policy"])).unwrap();
    let sources: Vec<(String, String)> = policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .map(|st| {
            (
                s(&st["Principal"]["Service"]).to_owned(),
                s(&st["Condition"]["ArnLike"]["AWS:SourceArn"]).to_owned(),
            )
        })
        .collect();
    assert!(
        sources.iter().any(|(p, arn)| p == "events.amazonaws.com"
            && arn.ends_with(&format!("rule/{}", id("ReconcilerSchedule")))),
        "{sources:?}"
    );
    assert!(
        sources
            .iter()
            .any(|(p, arn)| p == "sns.amazonaws.com" && arn == id("PendingCapacityTopic")),
        "{sources:?}"
    );

    let rule = aws(&[
        "events",
        "describe-rule",
        "--name",
        id("ReconcilerSchedule"),
    ]);
    assert_eq!(rule["ScheduleExpression"], "rate(1 minute)");
    assert_eq!(rule["State"], "ENABLED");
    let targets = aws(&[
        "events",
        "list-targets-by-rule",
        "--rule",
        id("ReconcilerSchedule"),
    ]);
    let target = &targets["Targets"][0];
    assert_eq!(target["Arn"], function_arn);
    let input: Value = serde_json::from_str(s(&target["Input"])).unwrap();
    assert_eq!(input, serde_json::json!({"fleetID": id("SpotFleet")}));

    let subs = aws(&[
        "sns",
        "list-subscriptions-by-topic",
        "--topic-arn",
        id("PendingCapacityTopic"),
    ]);
    assert_eq!(subs["Subscriptions"][0]["Protocol"], "lambda");
    assert_eq!(subs["Subscriptions"][0]["Endpoint"], function_arn);
}

fn quickstart_role_scope(ids: &BTreeMap<String, String>) {
    let id = |logical: &str| physical(ids, logical);
    let role_policy = aws(&[
        "iam",
        "get-role-policy",
        "--role-name",
        id("ReconcilerRole"),
        "--policy-name",
        "reconciler",
    ]);
    let doc = role_policy["PolicyDocument"].to_string();
    assert!(
        doc.contains(&format!(
            ":autoScalingGroup:*:autoScalingGroupName/{}",
            id("OnDemandGroup")
        )),
        "SetDesiredCapacity is not scoped to the group: {doc}"
    );
    assert!(
        doc.contains("aws:ResourceTag/spotcover:capacity"),
        "TerminateInstances is not scoped by tag: {doc}"
    );
}

#[test]
fn a_parameters_file_deploys_as_is() {
    let tmp = tempfile::tempdir().unwrap();
    let stack = unique("params");
    let net = network(&stack);
    // The bucket comes first: the parameters file names it.
    let bucket = format!("{stack}-assets");
    let config = tmp.path().join("stack.yaml");
    let text = std::fs::read_to_string(example("quickstart")).unwrap();
    std::fs::write(
        &config,
        format!(
            "{text}interruptions:\n  enabled: true\nparameters:\n  AssetBucket: {bucket}\n  Subnets: [{}]\n  SecurityGroups: [{}]\n",
            net.subnets.join(", "), net.security_group
        ),
    )
    .unwrap();
    let out = tmp.path().join("out");
    synth(&config, &out, &fixture_zip(tmp.path()), "yaml");
    assert_eq!(upload_asset(&out, &stack), bucket);
    let file = out.join("spotcover-quickstart.parameters.json");
    let ids = deploy_template(&out, 0, &stack, &[format!("file://{}", file.display())]);
    let function = aws(&[
        "lambda",
        "get-function-configuration",
        "--function-name",
        &ids["ReconcilerFunction"],
    ]);
    assert_eq!(
        function["Environment"]["Variables"]["SPOTCOVER_FLEET_ID"],
        ids["SpotFleet"].as_str()
    );
    let group = aws(&[
        "autoscaling",
        "describe-auto-scaling-groups",
        "--auto-scaling-group-names",
        &ids["OnDemandGroup"],
    ]);
    assert_eq!(
        group["AutoScalingGroups"][0]["VPCZoneIdentifier"],
        net.subnets.join(",").as_str()
    );
    // With interruptions on: the warning rule exists, matches, and targets the function.
    let rule = aws(&[
        "events",
        "describe-rule",
        "--name",
        &ids["InterruptionWarningRule"],
    ]);
    let pattern: Value = serde_json::from_str(s(&rule["EventPattern"])).unwrap();
    assert_eq!(
        pattern["detail-type"],
        serde_json::json!(["EC2 Spot Instance Interruption Warning"])
    );
    let targets = aws(&[
        "events",
        "list-targets-by-rule",
        "--rule",
        &ids["InterruptionWarningRule"],
    ]);
    assert_eq!(targets["Targets"][0]["Arn"], function["FunctionArn"]);
    assert_eq!(
        function["Environment"]["Variables"]["SPOTCOVER_CLUSTER"],
        ids["EcsCluster"].as_str()
    );
}

fn base64_decode(text: &str) -> String {
    let out = Command::new(venv_bin("python"))
        .args([
            "-c",
            "import base64, sys; sys.stdout.write(base64.b64decode(sys.argv[1]).decode())",
            text,
        ])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap()
}

/// The tags the production example gives every resource.
fn has_production_tags(tags: &Value) -> bool {
    let tags = tags.as_array().unwrap_or_else(|| panic!("no tags: {tags}"));
    let find = |k: &str| {
        tags.iter()
            .find(|t| t["Key"] == k || t["key"] == k)
            .map(|t| t.get("Value").or(t.get("value")).unwrap().clone())
    };
    find("team") == Some("platform".into())
        && find("cost-center") == Some("4711".into())
        && find("environment") == Some("production".into())
}

#[test]
fn production_deploys_with_its_instance_settings_tags_and_policies_in_each_api() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    synth(
        &example("production"),
        &out,
        &fixture_zip(tmp.path()),
        "yaml",
    );
    let stack = unique("prod");
    let (ids, _net) = deploy_into_network(&out, &stack);
    let cluster_name = production_cluster(&ids);
    production_launch_templates(&ids, &cluster_name);
    production_instances_group_and_role(&ids);
}

fn production_cluster(ids: &BTreeMap<String, String>) -> String {
    let id = |logical: &str| physical(ids, logical);
    let clusters = aws(&[
        "ecs",
        "describe-clusters",
        "--clusters",
        id("EcsCluster"),
        "--include",
        "TAGS",
    ]);
    let cluster = &clusters["clusters"][0];
    assert!(has_production_tags(&cluster["tags"]), "{cluster}");
    s(&cluster["clusterName"]).to_owned()
}

fn production_launch_templates(ids: &BTreeMap<String, String>, cluster_name: &str) {
    let id = |logical: &str| physical(ids, logical);
    // Each launch template's data: root volume, key pair, instance and volume tags,
    // user data with the agent settings and the example's script.
    for (lt, capacity) in [
        ("LaunchTemplateX8664", "spot"),
        ("OnDemandLaunchTemplate", "on-demand"),
    ] {
        let versions = aws(&[
            "ec2",
            "describe-launch-template-versions",
            "--launch-template-id",
            id(lt),
        ]);
        let data = &versions["LaunchTemplateVersions"][0]["LaunchTemplateData"];
        let ebs = &data["BlockDeviceMappings"][0];
        assert_eq!(ebs["DeviceName"], "/dev/xvda");
        assert_eq!(
            (
                &ebs["Ebs"]["VolumeSize"],
                &ebs["Ebs"]["VolumeType"],
                &ebs["Ebs"]["Encrypted"]
            ),
            (&Value::from(50), &Value::from("gp3"), &Value::from(true)),
            "{lt}"
        );
        assert_eq!(data["KeyName"], "platform-ops");
        let specs = data["TagSpecifications"].as_array().unwrap();
        for kind in ["instance", "volume"] {
            let spec = specs.iter().find(|t| t["ResourceType"] == kind).unwrap();
            assert!(has_production_tags(&spec["Tags"]), "{lt} {kind}");
        }
        let script = base64_decode(s(&data["UserData"]));
        assert!(
            script.contains("ECS_RESERVED_MEMORY=256\n")
                && script.contains(&format!("echo \"joined {cluster_name} as {capacity}\""))
                && script.contains("${HOSTNAME:-unknown}"),
            "{script}"
        );
        let templates = aws(&[
            "ec2",
            "describe-launch-templates",
            "--launch-template-ids",
            id(lt),
        ]);
        assert!(
            has_production_tags(&templates["LaunchTemplates"][0]["Tags"]),
            "{templates}"
        );
    }
}

fn production_instances_group_and_role(ids: &BTreeMap<String, String>) {
    let id = |logical: &str| physical(ids, logical);
    // The fleet's instances carry the tags (the launch template's instance tags).
    let fleet_instances = aws(&[
        "ec2",
        "describe-spot-fleet-instances",
        "--spot-fleet-request-id",
        id("SpotFleet"),
    ]);
    let instance = s(&fleet_instances["ActiveInstances"][0]["InstanceId"]).to_owned();
    let described = aws(&["ec2", "describe-instances", "--instance-ids", &instance]);
    let tags = &described["Reservations"][0]["Instances"][0]["Tags"];
    assert!(has_production_tags(tags), "{tags}");

    let group = aws(&[
        "autoscaling",
        "describe-auto-scaling-groups",
        "--auto-scaling-group-names",
        id("OnDemandGroup"),
    ]);
    let group = &group["AutoScalingGroups"][0];
    assert!(has_production_tags(&group["Tags"]), "{group}");
    assert!(
        group["Tags"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["PropagateAtLaunch"] == true)
    );
    // The example's override.
    assert_eq!(group["HealthCheckGracePeriod"], 300);

    // IAM's own answer (moto attaches ManagedPolicyArns through tools/moto_server.py).
    let attached = aws(&[
        "iam",
        "list-attached-role-policies",
        "--role-name",
        id("InstanceRole"),
    ]);
    let mut arns: Vec<&str> = attached["AttachedPolicies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| s(&p["PolicyArn"]))
        .collect();
    arns.sort();
    assert_eq!(
        arns,
        [
            "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
            "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy",
            "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role",
        ]
    );
    let role_tags = aws(&["iam", "list-role-tags", "--role-name", id("InstanceRole")]);
    assert!(has_production_tags(&role_tags["Tags"]), "{role_tags}");

    // moto's Lambda and SNS handlers drop `Tags` from CloudFormation, and its ECS one
    // too (tools/moto_server.py fills that one): the wiring test
    // `tags_reach_every_taggable_resource` covers the function, log group, topic, rules
    // and alarm.
}

/// The README's deploy block: its shell lines, the user's values on the lines that set
/// them (`name=value` before the first command).
fn readme_deploy_block() -> Vec<String> {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let start = readme
        .find("```sh\n# Yours:")
        .expect("the README's deploy block starts with `# Yours:`");
    let block = &readme[start + "```sh\n".len()..];
    let end = block.find("```").unwrap();
    block[..end].lines().map(str::to_owned).collect()
}

#[test]
fn the_readmes_deploy_steps_run_verbatim_and_deploy_the_quickstart_with_its_dashboard() {
    let tmp = tempfile::tempdir().unwrap();
    let stack = unique("readme");
    let net = network(&stack);
    let bucket = format!("{stack}-assets");
    aws(&["s3", "mb", &format!("s3://{bucket}")]);
    let ours = [
        ("bucket", bucket.clone()),
        ("stack", stack.clone()),
        ("subnets", net.subnets.join(",")),
        ("security_groups", net.security_group.clone()),
    ];
    // Only the values of the four lines that set them change; every other line is the
    // README's.
    let mut replaced = 0;
    let script: Vec<String> = readme_deploy_block()
        .into_iter()
        .map(|line| match line.split_once('=') {
            Some((name, _)) if !line.starts_with(' ') && !name.contains(' ') => {
                let (_, v) = ours.iter().find(|(n, _)| *n == name).unwrap_or_else(|| {
                    panic!("the README sets {name}, which the test does not know")
                });
                replaced += 1;
                format!("{name}={v}")
            }
            _ => line,
        })
        .collect();
    assert_eq!(replaced, ours.len(), "{script:?}");

    // As a user runs it: in a directory with the example, `spotcover` and `aws` on PATH,
    // the aws CLI pointed at moto by AWS_ENDPOINT_URL.
    let work = tmp.path().join("work");
    std::fs::create_dir_all(work.join("examples")).unwrap();
    std::fs::copy(example("quickstart"), work.join("examples/quickstart.yaml")).unwrap();
    let bin = tmp.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_spotcover"), bin.join("spotcover")).unwrap();
    std::os::unix::fs::symlink(venv_bin("aws"), bin.join("aws")).unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let run = Command::new("bash")
        .args(["-euo", "pipefail", "-c", &script.join("\n")])
        .current_dir(&work)
        .env("PATH", path)
        .env("AWS_ENDPOINT_URL", endpoint())
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );

    let stacks = aws(&["cloudformation", "describe-stacks", "--stack-name", &stack]);
    assert_eq!(stacks["Stacks"][0]["StackStatus"], "CREATE_COMPLETE");
    // The function's code is the synced zip (moto reads the object when it creates it,
    // so CREATE_COMPLETE says the key was there).
    let resources = aws(&[
        "cloudformation",
        "describe-stack-resources",
        "--stack-name",
        &stack,
    ]);
    let name = resources["StackResources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["LogicalResourceId"] == "Dashboard")
        .map(|r| s(&r["PhysicalResourceId"]).to_owned())
        .expect("a Dashboard in the stack");
    let board = aws(&["cloudwatch", "get-dashboard", "--dashboard-name", &name]);
    let body: Value = serde_json::from_str(s(&board["DashboardBody"]))
        .unwrap_or_else(|e| panic!("the dashboard body does not parse: {e}: {board}"));
    let widgets = body["widgets"].as_array().unwrap();
    assert_eq!(widgets.len(), 7);
    // CloudFormation filled in the region and this stack's name.
    assert!(
        widgets
            .iter()
            .all(|w| w["properties"]["region"] == "us-east-1")
    );
    assert_eq!(widgets[0]["properties"]["metrics"][0][0], "spotcover");
    assert_eq!(widgets[0]["properties"]["metrics"][0][3], stack.as_str());
}

#[test]
fn the_asked_alarms_and_their_topic_deploy_each_with_its_metric_statistic_and_threshold() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("stack.yaml");
    let text = std::fs::read_to_string(example("quickstart")).unwrap();
    std::fs::write(
        &config,
        format!(
            "{text}observability:\n  alarm_email: ops@example.com\n  alarms:\n    uncovered_minutes: 5\n    reconciler_errors: true\n    group_at_max: true\n"
        ),
    )
    .unwrap();
    let out = tmp.path().join("out");
    synth(&config, &out, &fixture_zip(tmp.path()), "yaml");
    let stack = unique("alarms");
    let ids = deploy(&out, &stack);
    let topic = ids["AlarmTopic"].clone();
    let subs = aws(&["sns", "list-subscriptions-by-topic", "--topic-arn", &topic]);
    assert_eq!(subs["Subscriptions"][0]["Protocol"], "email");
    assert_eq!(subs["Subscriptions"][0]["Endpoint"], "ops@example.com");

    let alarm = |logical: &str| {
        let a = aws(&[
            "cloudwatch",
            "describe-alarms",
            "--alarm-names",
            &ids[logical],
        ]);
        a["MetricAlarms"][0].clone()
    };
    // (namespace, metric, dimension, statistic, threshold, comparison, minutes)
    let expect = [
        (
            "UncoveredAlarm",
            "spotcover",
            "uncovered",
            ("stack", stack.clone()),
            "Maximum",
            0.0,
            "GreaterThanThreshold",
            // 5 minutes uncovered out of 6: M out of N (`uncovered_window`).
            6,
        ),
        (
            "ReconcilerErrorsAlarm",
            "AWS/Lambda",
            "Errors",
            ("FunctionName", ids["ReconcilerFunction"].clone()),
            "Sum",
            0.0,
            "GreaterThanThreshold",
            1,
        ),
        (
            "OnDemandGroupAtMaxAlarm",
            "AWS/AutoScaling",
            "GroupDesiredCapacity",
            ("AutoScalingGroupName", ids["OnDemandGroup"].clone()),
            "Maximum",
            200.0,
            "GreaterThanOrEqualToThreshold",
            1,
        ),
    ];
    for (logical, ns, metric, (dim, value), stat, threshold, cmp, minutes) in expect {
        let a = alarm(logical);
        assert_eq!(a["Namespace"], ns, "{logical}: {a}");
        assert_eq!(a["MetricName"], metric, "{logical}");
        assert_eq!(
            a["Dimensions"],
            serde_json::json!([{"Name": dim, "Value": value}]),
            "{logical}"
        );
        assert_eq!(a["Statistic"], stat, "{logical}");
        assert_eq!(a["Threshold"], threshold, "{logical}");
        assert_eq!(a["ComparisonOperator"], cmp, "{logical}");
        assert_eq!(a["Period"], 60, "{logical}");
        assert_eq!(a["EvaluationPeriods"], minutes, "{logical}");
        assert_eq!(a["AlarmActions"], serde_json::json!([topic]), "{logical}");
    }
}

// CloudFormation deletes a resource after everything that refers to it (DependsOn
// attribute page); the drain hook depends on the reconciler and its triggers, so it goes
// first, and the group's deletion terminates its instances without a hook to wait on.
// tools/moto_server.py deletes in that order and fails a group's deletion that would
// leave instances in Terminating:Wait; with the hook inside the group this deletion
// failed there.
#[test]
fn the_quickstart_stack_deletes_with_an_instance_running_and_none_left_waiting() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    synth(
        &example("quickstart"),
        &out,
        &fixture_zip(tmp.path()),
        "yaml",
    );
    let stack = unique("qsdel");
    let ids = deploy(&out, &stack);
    let group = ids["OnDemandGroup"].clone();
    let hooks = aws(&[
        "autoscaling",
        "describe-lifecycle-hooks",
        "--auto-scaling-group-name",
        &group,
    ]);
    assert_eq!(
        hooks["LifecycleHooks"][0]["LifecycleHookName"],
        "spotcover-scale-in-drain"
    );
    aws(&[
        "autoscaling",
        "set-desired-capacity",
        "--auto-scaling-group-name",
        &group,
        "--desired-capacity",
        "1",
    ]);
    let groups = aws(&[
        "autoscaling",
        "describe-auto-scaling-groups",
        "--auto-scaling-group-names",
        &group,
    ]);
    let instance = s(&groups["AutoScalingGroups"][0]["Instances"][0]["InstanceId"]).to_owned();

    let stack_id = s(&aws(&["cloudformation", "describe-stacks", "--stack-name", &stack])
        ["Stacks"][0]["StackId"])
    .to_owned();
    aws(&["cloudformation", "delete-stack", "--stack-name", &stack_id]);
    aws(&[
        "cloudformation",
        "wait",
        "stack-delete-complete",
        "--stack-name",
        &stack_id,
    ]);
    let status = aws(&[
        "cloudformation",
        "describe-stacks",
        "--stack-name",
        &stack_id,
    ]);
    assert_eq!(status["Stacks"][0]["StackStatus"], "DELETE_COMPLETE");
    let groups = aws(&[
        "autoscaling",
        "describe-auto-scaling-groups",
        "--auto-scaling-group-names",
        &group,
    ]);
    assert_eq!(groups["AutoScalingGroups"], serde_json::json!([]));
    let state = aws(&["ec2", "describe-instances", "--instance-ids", &instance]);
    assert_eq!(
        state["Reservations"][0]["Instances"][0]["State"]["Name"],
        "terminated"
    );
}
