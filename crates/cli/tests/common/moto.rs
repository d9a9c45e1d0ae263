//! moto and the real `aws` CLI: a network like a user's account, and a deploy.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use super::venv_bin;

/// The moto server `tools/test` started.
pub fn endpoint() -> String {
    std::env::var("SPOTCOVER_TEST_MOTO").expect(
        "SPOTCOVER_TEST_MOTO is not set: run the tests with tools/test, which starts moto server",
    )
}

/// A stack or bucket name no other test run uses against the shared moto.
pub fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{prefix}-{}-{nanos}", std::process::id())
}

/// Runs `aws --endpoint-url <moto> ARGS --output json`: the answer, parsed where it is JSON.
pub fn aws(args: &[&str]) -> Value {
    let out = Command::new(venv_bin("aws"))
        .args([
            "--endpoint-url",
            &endpoint(),
            "--region",
            "us-east-1",
            "--output",
            "json",
        ])
        .args(args)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "aws {}: {}{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // `s3` and `deploy` print text, not JSON.
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&out.stdout).into_owned()))
}

pub fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

/// A VPC with three subnets (one per Availability Zone) and a security group, as a
/// user's account would have.
pub struct Network {
    pub subnets: Vec<String>,
    pub security_group: String,
}

pub fn network(tag: &str) -> Network {
    let vpc = aws(&["ec2", "create-vpc", "--cidr-block", "10.0.0.0/16"]);
    let vpc = s(&vpc["Vpc"]["VpcId"]).to_owned();
    let subnets = [
        ("10.0.1.0/24", "us-east-1a"),
        ("10.0.2.0/24", "us-east-1b"),
        ("10.0.3.0/24", "us-east-1c"),
    ]
    .iter()
    .map(|(cidr, zone)| {
        let sn = aws(&[
            "ec2",
            "create-subnet",
            "--vpc-id",
            &vpc,
            "--cidr-block",
            cidr,
            "--availability-zone",
            zone,
        ]);
        s(&sn["Subnet"]["SubnetId"]).to_owned()
    })
    .collect();
    let sg = aws(&[
        "ec2",
        "create-security-group",
        "--group-name",
        tag,
        "--description",
        "ecs",
        "--vpc-id",
        &vpc,
    ]);
    Network {
        subnets,
        security_group: s(&sg["GroupId"]).to_owned(),
    }
}

/// Uploads the asset to a new bucket; returns the bucket's name.
pub fn upload_asset(out: &Path, stack: &str) -> String {
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    let bucket = format!("{stack}-assets");
    aws(&["s3", "mb", &format!("s3://{bucket}")]);
    let asset = &manifest["assets"][0];
    let local = out.join(s(&asset["file"]));
    aws(&[
        "s3",
        "cp",
        local.to_str().unwrap(),
        &format!("s3://{bucket}/{}", s(&asset["s3_key"])),
    ]);
    bucket
}

/// Uploads the asset and deploys a synth output dir's one template into a new network;
/// returns the stack's physical resource ids by logical id.
/// The physical id of `logical` in a deployed stack's ids.
pub fn physical<'a>(ids: &'a BTreeMap<String, String>, logical: &str) -> &'a str {
    ids.get(logical)
        .unwrap_or_else(|| panic!("{logical} not in the stack: {ids:?}"))
        .as_str()
}

pub fn deploy(out: &Path, stack: &str) -> BTreeMap<String, String> {
    deploy_into_network(out, stack).0
}

/// [`deploy`], also returning the network it deployed into.
pub fn deploy_into_network(out: &Path, stack: &str) -> (BTreeMap<String, String>, Network) {
    let bucket = upload_asset(out, stack);
    let net = network(stack);
    let ids = deploy_template(
        out,
        0,
        stack,
        &[
            format!("AssetBucket={bucket}"),
            // All three: the quickstart's Subnets parameter holds three (the default
            // network.subnet_count), one fleet override per instance type and subnet.
            format!("Subnets={}", net.subnets.join(",")),
            format!("SecurityGroups={}", net.security_group),
        ],
    );
    (ids, net)
}

/// `aws cloudformation deploy` of the out dir's `index`th template with these
/// `--parameter-overrides` arguments; asserts CREATE_COMPLETE.
pub fn deploy_template(
    out: &Path,
    index: usize,
    stack: &str,
    overrides: &[String],
) -> BTreeMap<String, String> {
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    let template = out.join(s(&manifest["templates"][index]["file"]));
    let mut args = vec![
        "cloudformation",
        "deploy",
        "--template-file",
        template.to_str().unwrap(),
        "--stack-name",
        stack,
        "--capabilities",
        "CAPABILITY_IAM",
        "--parameter-overrides",
    ];
    args.extend(overrides.iter().map(String::as_str));
    aws(&args);
    let stacks = aws(&["cloudformation", "describe-stacks", "--stack-name", stack]);
    assert_eq!(stacks["Stacks"][0]["StackStatus"], "CREATE_COMPLETE");
    let resources = aws(&[
        "cloudformation",
        "describe-stack-resources",
        "--stack-name",
        stack,
    ]);
    resources["StackResources"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| {
            Some((
                r["LogicalResourceId"].as_str()?.to_owned(),
                r["PhysicalResourceId"].as_str()?.to_owned(),
            ))
        })
        .collect()
}
