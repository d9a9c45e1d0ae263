//! Overrides are checked like the rest of the config, by `load` (so `validate` refuses
//! what `synth` refuses): values against the property's registry schema (the schemas the
//! pinned cfn-lint ships, `crates/stack/src/property_paths.txt`), `Fn::GetAtt` against the
//! type's attributes, YAML short tags read as intrinsics, required properties kept, and
//! what the reconciler relies on guarded in every launch form.

use serde_json::{Value, json};
use spotcover_stack::{Asset, load};

const QUICKSTART: &str = include_str!("../../../examples/quickstart.yaml");
const SEED: &str = include_str!("../../../examples/seed-2017.yaml");

fn refused(base: &str, overrides: &str) -> String {
    let errors = load(&format!("{base}\noverrides:\n{overrides}"))
        .expect_err("the override should be refused");
    assert_eq!(errors.len(), 1, "{errors:?}");
    errors[0].to_string()
}

fn applied(base: &str, overrides: &str) -> Value {
    let r = load(&format!("{base}\noverrides:\n{overrides}"))
        .unwrap_or_else(|e| panic!("{e:?}"))
        .remove(0);
    let asset = Asset {
        sha256: "0".repeat(64),
    };
    let mut doc = spotcover_stack::compose(&r.config, &asset)
        .unwrap()
        .to_value()
        .unwrap();
    spotcover_stack::overrides::apply(&r.config, &mut doc, "").unwrap();
    doc
}

// Registry schema of AWS::AutoScaling::AutoScalingGroup: HealthCheckGracePeriod is an
// integer.
// https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-autoscaling-autoscalinggroup.html
#[test]
fn a_value_of_the_wrong_type_is_refused() {
    let e = refused(
        QUICKSTART,
        "  - { resource: OnDemandGroup, path: Properties.HealthCheckGracePeriod, value: soon }\n",
    );
    assert!(e.contains("expected integer"), "{e}");
    // A number written as a string is what CloudFormation converts.
    applied(
        QUICKSTART,
        "  - { resource: OnDemandGroup, path: Properties.HealthCheckGracePeriod, value: \"300\" }\n",
    );
}

// Registry schema of AWS::Lambda::Function: MemorySize has minimum 128.
// https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-lambda-function.html
#[test]
fn a_value_out_of_the_schemas_bounds_is_refused() {
    let e = refused(
        QUICKSTART,
        "  - { resource: ReconcilerFunction, path: Properties.MemorySize, value: 64 }\n",
    );
    assert!(e.contains("expected at least 128"), "{e}");
}

// Registry schema of AWS::Logs::LogGroup: LogGroupClass is one of STANDARD,
// INFREQUENT_ACCESS, DELIVERY.
// https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-logs-loggroup.html
#[test]
fn a_value_outside_the_schemas_choices_is_refused() {
    let e = refused(
        QUICKSTART,
        "  - { resource: ReconcilerLogGroup, path: Properties.LogGroupClass, value: CHEAP }\n",
    );
    assert!(
        e.contains("expected one of STANDARD, INFREQUENT_ACCESS"),
        "{e}"
    );
}

// CloudFormation template reference, `Fn::GetAtt`: the attribute must be one the type
// returns (its schema's readOnlyProperties; AWS::ECS::Cluster has Arn).
// https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-getatt.html
#[test]
fn get_att_of_an_attribute_the_type_lacks_is_refused() {
    let e = refused(
        QUICKSTART,
        "  - { resource: OnDemandGroup, path: 'Properties.Tags[0].Value', value: { 'Fn::GetAtt': [EcsCluster, Name] } }\n",
    );
    assert!(
        e.contains("AWS::ECS::Cluster has no attribute \"Name\"; it has Arn"),
        "{e}"
    );
    let doc = applied(
        QUICKSTART,
        "  - { resource: OnDemandGroup, path: 'Properties.Tags[0].Value', value: { 'Fn::GetAtt': [EcsCluster, Arn] } }\n",
    );
    assert_eq!(
        doc["Resources"]["OnDemandGroup"]["Properties"]["Tags"][0]["Value"],
        json!({"Fn::GetAtt": ["EcsCluster", "Arn"]})
    );
}

// CloudFormation template reference, "Intrinsic function reference": `!Ref X` is the
// short form of `{Ref: X}`.
// https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-ref.html
#[test]
fn yaml_short_tags_in_values_are_read_as_intrinsics() {
    let doc = applied(
        QUICKSTART,
        "  - resource: OnDemandGroup\n    path: Properties.Tags[0].Value\n    value: !Ref AWS::StackName\n",
    );
    assert_eq!(
        doc["Resources"]["OnDemandGroup"]["Properties"]["Tags"][0]["Value"],
        json!({"Ref": "AWS::StackName"})
    );
    let doc = applied(
        QUICKSTART,
        "  named:\n    resource: OnDemandGroup\n    path: Properties.Tags[0].Value\n    value: !GetAtt EcsCluster.Arn\n",
    );
    assert_eq!(
        doc["Resources"]["OnDemandGroup"]["Properties"]["Tags"][0]["Value"],
        json!({"Fn::GetAtt": ["EcsCluster", "Arn"]})
    );
}

// Registry schema of AWS::AutoScaling::AutoScalingGroup: `required` lists MaxSize.
#[test]
fn deleting_a_required_property_is_refused() {
    let e = refused(
        QUICKSTART,
        "  - { resource: OnDemandGroup, path: Properties.MaxSize, delete: true }\n",
    );
    assert!(e.contains("requires Properties.MaxSize"), "{e}");
}

#[test]
fn what_the_reconciler_relies_on_is_guarded_in_every_launch_form() {
    let seed_config = SEED.replace("on_demand:\n", "on_demand:\n  launch: configuration\n");
    for (base, resource, path) in [
        (QUICKSTART, "OnDemandGroup", "Properties.Tags[1].Value"),
        (QUICKSTART, "OnDemandGroup", "Properties.Tags"),
        (QUICKSTART, "ReconcilerFunction", "Properties.Architectures"),
        (
            SEED,
            "SpotFleet",
            "Properties.SpotFleetRequestConfigData.LaunchSpecifications[0].UserData",
        ),
        (
            SEED,
            "SpotFleet",
            "Properties.SpotFleetRequestConfigData.LaunchSpecifications[0].IamInstanceProfile",
        ),
        (
            seed_config.as_str(),
            "OnDemandLaunchConfiguration",
            "Properties.UserData",
        ),
        (
            seed_config.as_str(),
            "OnDemandLaunchConfiguration",
            "Properties.IamInstanceProfile",
        ),
    ] {
        let errors = load(&format!(
            "{base}\noverrides:\n  - {{ resource: {resource}, path: '{path}', value: x }}\n"
        ))
        .expect_err(path);
        assert!(
            errors
                .iter()
                .any(|e| e.message.contains("spotcover relies on")),
            "{resource} {path}: {errors:?}"
        );
    }
}
