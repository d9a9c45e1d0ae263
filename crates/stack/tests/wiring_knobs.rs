//! One test per wiring rule of the instance settings, tags, spot prices and overrides
//! (issue 14), in `wiring.rs`'s style: cfn-lint checks shapes, not whether the pieces
//! connect. Each cites the AWS page it relies on.

use serde_json::{Value, json};
use spotcover_stack::{Asset, load, load_with};

const SHA: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const QUICKSTART: &str = include_str!("../../../examples/quickstart.yaml");
const SEED: &str = include_str!("../../../examples/seed-2017.yaml");

/// Composes every resolved config and applies its overrides, as synth does.
fn synth(yaml: &str) -> Vec<Value> {
    let resolved = load(yaml).unwrap_or_else(|e| panic!("config errors: {e:?}"));
    resolved
        .iter()
        .map(|r| {
            let t = spotcover_stack::compose(&r.config, &Asset { sha256: SHA.into() }).unwrap();
            let mut doc = t.to_value().unwrap();
            spotcover_stack::overrides::apply(&r.config, &mut doc, "").unwrap();
            doc
        })
        .collect()
}

fn one(yaml: &str) -> Value {
    synth(yaml).remove(0)
}

/// The quickstart (launch templates) and the 2017 form with a launch configuration, each
/// with `extra` appended.
fn both_forms(extra: &str) -> [Value; 2] {
    let seed = SEED.replace("on_demand:\n", "on_demand:\n  launch: configuration\n");
    [
        one(&format!("{QUICKSTART}\n{extra}")),
        one(&format!("{seed}\n{extra}")),
    ]
}

fn props<'a>(doc: &'a Value, id: &str) -> &'a Value {
    &doc["Resources"]
        .get(id)
        .unwrap_or_else(|| panic!("no resource {id}"))["Properties"]
}

fn of_type<'a>(doc: &'a Value, kind: &str) -> Vec<(&'a String, &'a Value)> {
    doc["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"] == kind)
        .collect()
}

/// Every place an instance is described: launch template data, launch specifications,
/// the launch configuration.
fn launch_forms(doc: &Value) -> Vec<&Value> {
    let mut out: Vec<&Value> = of_type(doc, "AWS::EC2::LaunchTemplate")
        .into_iter()
        .map(|(_, r)| &r["Properties"]["LaunchTemplateData"])
        .collect();
    for (_, fleet) in of_type(doc, "AWS::EC2::SpotFleet") {
        if let Some(specs) =
            fleet["Properties"]["SpotFleetRequestConfigData"]["LaunchSpecifications"].as_array()
        {
            out.extend(specs);
        }
    }
    out.extend(
        of_type(doc, "AWS::AutoScaling::LaunchConfiguration")
            .into_iter()
            .map(|(_, r)| &r["Properties"]),
    );
    out
}

fn script(form: &Value) -> &str {
    form["UserData"]["Fn::Base64"]["Fn::Sub"].as_str().unwrap()
}

fn errors(yaml: &str) -> Vec<String> {
    load(yaml)
        .expect_err("the config should be refused")
        .iter()
        .map(ToString::to_string)
        .collect()
}

// Amazon EC2 user guide, "Block device mappings" (a mapping for the AMI's root device
// name replaces its root volume); AWS builds the ECS-optimized AL2023 AMI with its root
// device at /dev/xvda (aws/amazon-ecs-ami, al2023.pkr.hcl, launch_block_device_mappings).
#[test]
fn the_root_volume_is_encrypted_gp3_on_xvda_in_every_launch_form() {
    for doc in both_forms("instances:\n  root_volume: { size_gib: 60 }\n") {
        let forms = launch_forms(&doc);
        assert!(forms.len() >= 2);
        for form in forms {
            assert_eq!(
                form["BlockDeviceMappings"],
                json!([{"DeviceName": "/dev/xvda", "Ebs": {
                    "DeleteOnTermination": true, "Encrypted": true,
                    "VolumeSize": 60, "VolumeType": "gp3"}}])
            );
        }
    }
}

#[test]
fn without_a_root_volume_instances_keep_the_amis_own() {
    for doc in both_forms("") {
        for form in launch_forms(&doc) {
            assert!(form.get("BlockDeviceMappings").is_none());
        }
    }
}

// Amazon EC2 user guide, "Run commands when you launch an EC2 instance with user data":
// the user data script runs once, as root, at first boot; CloudFormation's `Fn::Sub`
// writes `${!Literal}` for a literal `${Literal}`.
#[test]
fn the_configs_script_runs_after_spotcovers_with_the_cluster_name() {
    let extra =
        "instances:\n  user_data:\n    inline: |\n      echo {{cluster}} {{capacity}} ${HOME}\n";
    for doc in both_forms(extra) {
        for form in launch_forms(&doc) {
            let s = script(form);
            let (own, theirs) = s.split_once("ECS_CONFIG\n#").unwrap();
            assert!(own.contains("ECS_CLUSTER=${EcsCluster}"));
            let capacity = if own.contains("\"spot\"") {
                "spot"
            } else {
                "on-demand"
            };
            assert!(
                theirs.ends_with(&format!("echo ${{EcsCluster}} {capacity} ${{!HOME}}\n")),
                "{theirs}"
            );
        }
    }
}

#[test]
fn a_user_data_file_is_read_relative_to_the_config_by_the_caller() {
    let yaml = format!("{QUICKSTART}\ninstances:\n  user_data: {{ file: extra.sh }}\n");
    let read = |name: &str| {
        assert_eq!(name, "extra.sh");
        Ok("echo from-file\n".to_owned())
    };
    let r = load_with(&yaml, &read).unwrap().remove(0);
    let doc = spotcover_stack::compose(&r.config, &Asset { sha256: SHA.into() })
        .unwrap()
        .to_value()
        .unwrap();
    assert!(
        script(&props(&doc, "OnDemandLaunchTemplate")["LaunchTemplateData"])
            .ends_with("echo from-file\n")
    );
}

// Amazon ECS developer guide, "Amazon ECS container agent configuration": the agent
// reads `KEY=value` lines from /etc/ecs/ecs.config at start.
#[test]
fn ecs_agent_settings_reach_every_instances_ecs_config() {
    let extra = "instances:\n  ecs_config:\n    ECS_RESERVED_MEMORY: \"256\"\n    ECS_CONTAINER_STOP_TIMEOUT: 2m\n";
    for doc in both_forms(extra) {
        for form in launch_forms(&doc) {
            let s = script(form);
            let agent = s.split("<<'ECS_CONFIG'\n").nth(1).unwrap();
            let agent = agent.split("\nECS_CONFIG\n").next().unwrap();
            assert!(agent.contains("\nECS_CONTAINER_STOP_TIMEOUT=2m\nECS_RESERVED_MEMORY=256"));
        }
    }
}

#[test]
fn ecs_settings_spotcover_owns_or_malformed_keys_are_refused() {
    let e = errors(&format!(
        "{QUICKSTART}\ninstances:\n  ecs_config:\n    ECS_CLUSTER: other\n    ecs_lower: x\n"
    ));
    assert!(
        e.iter()
            .any(|m| m
                .contains("instances.ecs_config.ECS_CLUSTER: spotcover sets ECS_CLUSTER itself")),
        "{e:?}"
    );
    assert!(
        e.iter()
            .any(|m| m.contains("instances.ecs_config.ecs_lower") && m.contains("ECS_[A-Z0-9_]+")),
        "{e:?}"
    );
}

// IAM user guide, "AWS managed policies": their ARNs are arn:PARTITION:iam::aws:policy/NAME;
// AWS Systems Manager user guide, "Configure instance permissions": Session Manager needs
// AmazonSSMManagedInstanceCore on the instance role.
#[test]
fn extra_managed_policies_attach_to_the_instance_role_in_this_partition() {
    let doc = one(&format!(
        "{QUICKSTART}\ninstances:\n  managed_policies:\n    - AmazonSSMManagedInstanceCore\n    - arn:aws:iam::123456789012:policy/mine\n"
    ));
    assert_eq!(
        props(&doc, "InstanceRole")["ManagedPolicyArns"],
        json!([
            {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"},
            {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"},
            "arn:aws:iam::123456789012:policy/mine"
        ])
    );
}

// CloudFormation reference: `KeyName` of AWS::EC2::LaunchTemplate LaunchTemplateData,
// AWS::EC2::SpotFleet SpotFleetLaunchSpecification and AWS::AutoScaling::LaunchConfiguration.
#[test]
fn a_key_pair_goes_into_every_launch_form() {
    for doc in both_forms("instances:\n  key_name: ops\n") {
        for form in launch_forms(&doc) {
            assert_eq!(form["KeyName"], "ops");
        }
    }
}

const TAGS: &str = "tags:\n  team: platform\n  cost-center: \"4711\"\n";

fn has_user_tags(tags: &Value) -> bool {
    let tags = tags.as_array().unwrap();
    let find = |k: &str| tags.iter().find(|t| t["Key"] == k).map(|t| &t["Value"]);
    find("team") == Some(&json!("platform")) && find("cost-center") == Some(&json!("4711"))
}

// CloudFormation reference: the `Tags` property of AWS::ECS::Cluster, AWS::IAM::Role,
// AWS::Logs::LogGroup, AWS::Lambda::Function, AWS::SNS::Topic, AWS::Events::Rule,
// AWS::CloudWatch::Alarm, AWS::CloudWatch::Dashboard (its registry schema's `Tags`) and
// AWS::ApplicationAutoScaling::ScalableTarget (the `2017` policy's, in
// `the_2017_policys_scalable_target_is_tagged`).
#[test]
fn tags_reach_every_taggable_resource() {
    let doc = one(&format!(
        "{QUICKSTART}\ninterruptions:\n  enabled: true\n{TAGS}"
    ));
    let taggable = [
        "AWS::ECS::Cluster",
        "AWS::IAM::Role",
        "AWS::Logs::LogGroup",
        "AWS::Lambda::Function",
        "AWS::SNS::Topic",
        "AWS::Events::Rule",
        "AWS::CloudWatch::Alarm",
        "AWS::CloudWatch::Dashboard",
    ];
    for kind in taggable {
        let all = of_type(&doc, kind);
        assert!(!all.is_empty(), "{kind}");
        for (id, r) in all {
            assert!(has_user_tags(&r["Properties"]["Tags"]), "{id}");
        }
    }
}

#[test]
fn the_2017_policys_scalable_target_is_tagged() {
    let doc = one(&format!(
        "{QUICKSTART}\nreconciler:\n  policy: \"2017\"\n{TAGS}"
    ));
    let all = of_type(&doc, "AWS::ApplicationAutoScaling::ScalableTarget");
    assert_eq!(all.len(), 1);
    assert!(has_user_tags(&all[0].1["Properties"]["Tags"]));
}

// EC2 user guide, "Tag your resources" (tag on launch): a launch template's
// TagSpecifications tag the instances and volumes it launches; CloudFormation reference,
// AWS::EC2::LaunchTemplate `TagSpecifications` (ResourceType `launch-template`) tags the
// template itself.
#[test]
fn launch_templates_tag_instances_volumes_and_themselves() {
    let doc = one(&format!("{QUICKSTART}\n{TAGS}"));
    for (id, lt) in of_type(&doc, "AWS::EC2::LaunchTemplate") {
        let specs = lt["Properties"]["LaunchTemplateData"]["TagSpecifications"]
            .as_array()
            .unwrap();
        for kind in ["instance", "volume"] {
            let spec = specs.iter().find(|s| s["ResourceType"] == kind).unwrap();
            assert!(has_user_tags(&spec["Tags"]), "{id} {kind}");
        }
        let own = &lt["Properties"]["TagSpecifications"][0];
        assert_eq!(own["ResourceType"], "launch-template");
        assert!(has_user_tags(&own["Tags"]), "{id}");
    }
}

// CloudFormation reference, AWS::EC2::SpotFleet SpotFleetRequestConfigData
// `TagSpecifications` (ResourceType `spot-fleet-request`) and SpotFleetTagSpecification
// (launch specifications tag `instance` only); AWS::AutoScaling::AutoScalingGroup
// TagProperty `PropagateAtLaunch`.
#[test]
fn the_fleet_request_its_launch_specifications_and_the_groups_instances_carry_tags() {
    for doc in both_forms(TAGS) {
        let cfg = &props(&doc, "SpotFleet")["SpotFleetRequestConfigData"];
        assert_eq!(
            cfg["TagSpecifications"][0]["ResourceType"],
            "spot-fleet-request"
        );
        assert!(has_user_tags(&cfg["TagSpecifications"][0]["Tags"]));
        if let Some(specs) = cfg["LaunchSpecifications"].as_array() {
            for spec in specs {
                assert_eq!(spec["TagSpecifications"][0]["ResourceType"], "instance");
                assert!(has_user_tags(&spec["TagSpecifications"][0]["Tags"]));
            }
        }
        let group = props(&doc, "OnDemandGroup")["Tags"].as_array().unwrap();
        assert!(group.iter().all(|t| t["PropagateAtLaunch"] == true));
        assert!(has_user_tags(&props(&doc, "OnDemandGroup")["Tags"]));
    }
}

#[test]
fn without_tags_the_fleet_request_is_not_tagged_so_it_is_not_replaced() {
    let doc = one(QUICKSTART);
    assert!(
        props(&doc, "SpotFleet")["SpotFleetRequestConfigData"]
            .get("TagSpecifications")
            .is_none()
    );
}

// AWS General Reference, "Tagging your AWS resources" (tag naming limits): `aws:` is
// reserved; spotcover's own keys scope the reconciler's IAM rights.
#[test]
fn user_tags_cannot_replace_spotcovers_or_awss() {
    let e = errors(&format!(
        "{QUICKSTART}\ntags:\n  Name: x\n  spotcover:stack: y\n  AWS:thing: z\n"
    ));
    assert!(
        e.iter()
            .any(|m| m.starts_with("tags.Name: spotcover names instances")),
        "{e:?}"
    );
    assert!(
        e.iter()
            .any(|m| m.starts_with("tags.spotcover:stack: spotcover sets")),
        "{e:?}"
    );
    assert!(
        e.iter()
            .any(|m| m.starts_with("tags.AWS:thing: the `aws:` prefix is reserved")),
        "{e:?}"
    );
}

// Same page: keys up to 128 characters, values up to 256, 50 tags per resource.
#[test]
fn tags_longer_or_more_than_aws_allows_are_refused() {
    let long_key = "k".repeat(129);
    let long_value = "v".repeat(257);
    let e = errors(&format!(
        "{QUICKSTART}\ntags:\n  {long_key}: a\n  b: {long_value}\n"
    ));
    assert!(e.iter().any(|m| m.contains("1 to 128 characters")), "{e:?}");
    assert!(
        e.iter().any(|m| m.contains("at most 256 characters")),
        "{e:?}"
    );
    let many: String = (0..48).map(|i| format!("  t{i}: v\n")).collect();
    let e = errors(&format!("{QUICKSTART}\ntags:\n{many}"));
    assert!(
        e.iter().any(|m| m.contains("AWS allows 50 per resource")),
        "{e:?}"
    );
}

#[test]
fn regions_merge_tags_key_by_key() {
    let docs = synth(&format!(
        "{QUICKSTART}\n{TAGS}regions:\n  eu-west-1:\n    tags: {{ team: eu-platform }}\n  us-east-1: {{}}\n"
    ));
    let team = |doc: &Value| {
        props(doc, "EcsCluster")["Tags"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["Key"] == "team")
            .unwrap()["Value"]
            .clone()
    };
    assert_eq!(team(&docs[0]), "eu-platform");
    assert!(has_user_tags(&props(&docs[1], "EcsCluster")["Tags"]));
    assert!(
        props(&docs[0], "EcsCluster")["Tags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["Key"] == "cost-center")
    );
}

// CloudFormation reference, AWS::EC2::SpotFleet: `SpotPrice` of SpotFleetRequestConfigData
// (the default for every pool), of LaunchTemplateOverrides and of
// SpotFleetLaunchSpecification (per pool, over the fleet's).
#[test]
fn maximum_prices_go_to_their_pool_and_to_the_fleet() {
    let priced = |yaml: &str| {
        yaml.replacen("weight: 2 }", "weight: 2, max_price: \"0.07\" }", 1)
            .replacen("weight: 1 }", "weight: 1, max_price: \"0.07\" }", 1)
            .replace("spot:\n", "spot:\n  max_price: \"0.09\"\n")
    };
    for yaml in [priced(QUICKSTART), priced(SEED)] {
        let doc = one(&yaml);
        let cfg = &props(&doc, "SpotFleet")["SpotFleetRequestConfigData"];
        assert_eq!(cfg["SpotPrice"], "0.09");
        let pools: Vec<&Value> = match cfg["LaunchSpecifications"].as_array() {
            Some(specs) => specs.iter().collect(),
            None => cfg["LaunchTemplateConfigs"][0]["Overrides"]
                .as_array()
                .unwrap()
                .iter()
                .collect(),
        };
        let first_type = &pools[0]["InstanceType"];
        for p in pools {
            let expected = if p["InstanceType"] == *first_type {
                json!("0.07")
            } else {
                Value::Null
            };
            assert_eq!(p.get("SpotPrice").cloned().unwrap_or(Value::Null), expected);
        }
    }
}

// EC2 API reference, `SpotFleetRequestConfigData.SpotPrice`, `LaunchTemplateOverrides.SpotPrice`
// and `SpotFleetLaunchSpecification.SpotPrice`: "The maximum price per unit hour that you
// are willing to pay for a Spot Instance." The template writes both keys as given (above),
// so both are documented per unit hour, in the schema users' editors show.
#[test]
fn both_maximum_prices_are_documented_per_unit_hour() {
    let schema: Value = serde_json::from_str(&spotcover_stack::config_schema()).unwrap();
    let defs = &schema["$defs"];
    for description in [
        &defs["SpotConfig"]["properties"]["max_price"]["description"],
        &defs["WeightedInstanceType"]["properties"]["max_price"]["description"],
    ] {
        let text = description.as_str().unwrap();
        assert!(text.contains("per unit hour"), "{text}");
        assert!(!text.contains("per instance hour"), "{text}");
    }
}

// EC2 API reference, `SpotPrice`: "If you specify a maximum price, your instances will be
// interrupted more frequently than if you do not specify this parameter."
#[test]
fn a_maximum_price_is_valid_but_warns_with_awss_advice() {
    let yaml = QUICKSTART.replace("spot:\n", "spot:\n  max_price: \"0.09\"\n");
    let r = load(&yaml).unwrap().remove(0);
    assert_eq!(r.warnings.len(), 1);
    assert_eq!(r.warnings[0].path, "spot.max_price");
    assert!(
        r.warnings[0]
            .message
            .contains("interrupted more frequently")
    );
    assert!(load(QUICKSTART).unwrap()[0].warnings.is_empty());
}

/// What `load` (every command, `validate` included) refuses in the quickstart with
/// `extra` appended: overrides are applied to the composed template as synth applies them.
fn override_errors(extra: &str) -> Vec<String> {
    load(&format!("{QUICKSTART}\n{extra}"))
        .expect_err("the override should be refused")
        .iter()
        .map(ToString::to_string)
        .collect()
}

// CloudFormation user guide, "Resource type schema": a resource's `properties` are what
// its template may set; the pinned cfn-lint ships these schemas.
#[test]
fn an_override_sets_or_deletes_a_property_the_schema_has() {
    let doc = one(&format!(
        "{QUICKSTART}\noverrides:\n  - {{ resource: OnDemandGroup, path: Properties.HealthCheckGracePeriod, value: 300 }}\n  - {{ resource: LaunchTemplateX8664, path: Properties.LaunchTemplateData.Monitoring, delete: true }}\n  - {{ resource: OnDemandGroup, path: 'Properties.Tags[0].Value', value: {{ 'Fn::Sub': '${{AWS::StackName}}-od' }} }}\n"
    ));
    assert_eq!(props(&doc, "OnDemandGroup")["HealthCheckGracePeriod"], 300);
    assert!(
        props(&doc, "LaunchTemplateX8664")["LaunchTemplateData"]
            .get("Monitoring")
            .is_none()
    );
    assert_eq!(
        props(&doc, "OnDemandGroup")["Tags"][0]["Value"],
        json!({"Fn::Sub": "${AWS::StackName}-od"})
    );
}

#[test]
fn an_override_of_an_unknown_logical_id_is_refused() {
    let e = override_errors(
        "overrides:\n  - { resource: NoSuchThing, path: Properties.X, value: 1 }\n",
    );
    assert!(
        e[0].starts_with("overrides[0]: the template has no resource \"NoSuchThing\""),
        "{e:?}"
    );
}

#[test]
fn an_override_of_a_property_the_schema_lacks_is_refused() {
    let e = override_errors(
        "overrides:\n  x: { resource: OnDemandGroup, path: Properties.HealthCheckGracePeriodd, value: 1 }\n",
    );
    assert!(
        e[0].starts_with("overrides.x: AWS::AutoScaling::AutoScalingGroup has no property"),
        "{e:?}"
    );
}

#[test]
fn an_override_of_what_spotcover_relies_on_is_refused_with_the_reason() {
    for (resource, path) in [
        (
            "ReconcilerFunction",
            "Properties.Environment.Variables.SPOTCOVER_FLEET_ID",
        ),
        ("OnDemandGroup", "Properties.LifecycleHookSpecificationList"),
        (
            "SpotFleet",
            "Properties.SpotFleetRequestConfigData.ExcessCapacityTerminationPolicy",
        ),
        ("SpotFleet", "Properties.SpotFleetRequestConfigData"),
        ("ReconcilerRole", "Properties.Policies[0].PolicyDocument"),
        ("ReconcilerSchedule", "Properties.Targets[0].Input"),
        ("DrainHookRule", "Properties.EventPattern"),
        ("PendingCapacityAlarm", "Properties.AlarmActions"),
        (
            "LaunchTemplateX8664",
            "Properties.LaunchTemplateData.TagSpecifications[0].Tags",
        ),
    ] {
        let e = override_errors(&format!(
            "overrides:\n  - {{ resource: {resource}, path: '{path}', value: 1 }}\n"
        ));
        assert!(
            e[0].contains(": spotcover relies on "),
            "{resource} {path}: {e:?}"
        );
    }
}

#[test]
fn named_overrides_change_per_region_one_by_one() {
    let docs = synth(&format!(
        "{QUICKSTART}\noverrides:\n  grace: {{ resource: OnDemandGroup, path: Properties.HealthCheckGracePeriod, value: 300 }}\nregions:\n  eu-west-1:\n    overrides:\n      grace: {{ value: 60 }}\n  us-east-1: {{}}\n"
    ));
    assert_eq!(
        props(&docs[0], "OnDemandGroup")["HealthCheckGracePeriod"],
        60
    );
    assert_eq!(
        props(&docs[1], "OnDemandGroup")["HealthCheckGracePeriod"],
        300
    );
}
