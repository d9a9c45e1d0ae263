//! Reviewing changes: `diff`, `synth --check`, `graph`, deploy inputs, completions, the CI
//! example, and the update facts behind `diff`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use clap::Parser;
use common::*;
use serde_json::Value;

/// Writes a variant of an example with `edits` (find, replace) applied.
fn variant(dir: &Path, name: &str, edits: &[(&str, &str)]) -> PathBuf {
    let mut text = std::fs::read_to_string(example(name)).unwrap();
    for (from, to) in edits {
        assert!(text.contains(from), "{from:?} not in {name}");
        text = text.replacen(from, to, 1);
    }
    let path = dir.join(format!("{name}-{}.yaml", edits.len()));
    std::fs::write(&path, text).unwrap();
    path
}

fn diff(old: &Path, new: &Path, zip: &Path, format: &str) -> (i32, String) {
    let o = spotcover(&[
        "diff",
        old.to_str().unwrap(),
        new.to_str().unwrap(),
        "--format",
        format,
        "--reconciler-zip",
        zip.to_str().unwrap(),
    ]);
    assert!(
        o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    (
        o.status.code().unwrap(),
        String::from_utf8(o.stdout).unwrap(),
    )
}

fn diff_json(old: &Path, new: &Path, zip: &Path) -> (i32, Value) {
    let (code, out) = diff(old, new, zip, "json");
    (code, serde_json::from_str(&out).unwrap())
}

fn resource<'a>(d: &'a Value, id: &str) -> &'a Value {
    d["templates"][0]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("{id} unchanged: {d}"))
}

#[test]
fn no_change_exits_0() {
    let tmp = tempfile::tempdir().unwrap();
    let zip = fixture_zip(tmp.path());
    let out = tmp.path().join("out");
    synth(&example("quickstart"), &out, &zip, "yaml");
    let (code, text) = diff(&out, &example("quickstart"), &zip, "text");
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("no changes"));
}

#[test]
fn in_place_changes_name_paths_values_and_managed_resets() {
    let tmp = tempfile::tempdir().unwrap();
    let zip = fixture_zip(tmp.path());
    let new = variant(
        tmp.path(),
        "quickstart",
        &[
            ("target_capacity: 4", "target_capacity: 6"),
            ("  weight: 2\n", "  weight: 2\n  cooldown_seconds: 1800\n"),
        ],
    );
    let (code, d) = diff_json(&example("quickstart"), &new, &zip);
    assert_eq!(code, 1);
    let fleet = resource(&d, "SpotFleet");
    assert_eq!(fleet["action"], "in_place");
    assert_eq!(
        fleet["properties"][0]["path"],
        "SpotFleetRequestConfigData.TargetCapacity"
    );
    assert_eq!(
        (
            &fleet["properties"][0]["old"],
            &fleet["properties"][0]["new"]
        ),
        (&Value::from(4), &Value::from(6))
    );
    assert!(
        fleet["warnings"][0]
            .as_str()
            .unwrap()
            .contains("Application Auto Scaling")
    );
    let group = resource(&d, "OnDemandGroup");
    assert_eq!(group["action"], "in_place");
    assert_eq!(group["properties"][0]["path"], "Cooldown");
    assert_eq!(
        (
            &group["properties"][0]["old"],
            &group["properties"][0]["new"]
        ),
        (&Value::from("2700"), &Value::from("1800"))
    );
}

#[test]
fn replacing_changes_are_flagged() {
    let tmp = tempfile::tempdir().unwrap();
    let zip = fixture_zip(tmp.path());
    // The 2017 fleet's instance types live in launch specifications: create-only.
    let seed = variant(
        tmp.path(),
        "seed-2017",
        &[("type: r4.large", "type: r5.large")],
    );
    let (code, d) = diff_json(&example("seed-2017"), &seed, &zip);
    assert_eq!(code, 1);
    assert_eq!(resource(&d, "SpotFleet")["action"], "replace");
    // Switching the fleet from launch templates to launch specifications.
    let switched = variant(
        tmp.path(),
        "quickstart",
        &[("spot:\n", "spot:\n  launch: specifications\n")],
    );
    let (_, d) = diff_json(&example("quickstart"), &switched, &zip);
    assert_eq!(resource(&d, "SpotFleet")["action"], "replace");
    // Switching the group to a launch configuration: may replace, by update policy.
    let lc = variant(
        tmp.path(),
        "quickstart",
        &[("  weight: 2\n", "  weight: 2\n  launch: configuration\n")],
    );
    let (_, d) = diff_json(&example("quickstart"), &lc, &zip);
    assert_eq!(resource(&d, "OnDemandGroup")["action"], "conditional");
    assert_eq!(
        resource(&d, "OnDemandLaunchConfiguration")["change"],
        "added"
    );
}

#[test]
fn quickstart_instance_types_modify_the_fleet_in_place() {
    // LaunchTemplateConfigs is not create-only in AWS::EC2::SpotFleet's registry schema:
    // CloudFormation modifies the fleet. diff says so, and says what that means.
    let tmp = tempfile::tempdir().unwrap();
    let zip = fixture_zip(tmp.path());
    let new = variant(
        tmp.path(),
        "quickstart",
        &[("type: m6a.large", "type: c6i.large")],
    );
    for format in ["text", "markdown", "json"] {
        let (code, out) = diff(&example("quickstart"), &new, &zip, format);
        assert_eq!(code, 1);
        assert!(out.contains("c6i.large"), "{format}: {out}");
        assert!(out.contains("running ones stay"), "{format}: {out}");
    }
    let (_, d) = diff_json(&example("quickstart"), &new, &zip);
    assert_eq!(resource(&d, "SpotFleet")["action"], "in_place");
}

#[test]
fn regions_added_and_removed() {
    let tmp = tempfile::tempdir().unwrap();
    let zip = fixture_zip(tmp.path());
    let fewer = variant(
        tmp.path(),
        "multi-region",
        &[
            ("  ap-southeast-2:\n", "  us-west-2:\n"),
            (
                "subnets: [subnet-0a1b2c3d4e5f60718, subnet-0b1c2d3e4f5061728]",
                "subnets: [subnet-0a1b2c3d4e5f60718]",
            ),
        ],
    );
    let (code, d) = diff_json(&example("multi-region"), &fewer, &zip);
    assert_eq!(code, 1);
    let changes: Vec<(String, String)> = d["templates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap().to_owned(),
                t["change"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        changes,
        [
            (
                "spotcover-global.ap-southeast-2".to_owned(),
                "removed".to_owned()
            ),
            (
                "spotcover-global.eu-west-1".to_owned(),
                "unchanged".to_owned()
            ),
            (
                "spotcover-global.us-east-1".to_owned(),
                "unchanged".to_owned()
            ),
            ("spotcover-global.us-west-2".to_owned(), "added".to_owned()),
        ]
    );
}

#[test]
fn markdown_for_a_pull_request() {
    let tmp = tempfile::tempdir().unwrap();
    let zip = fixture_zip(tmp.path());
    let new = variant(
        tmp.path(),
        "quickstart",
        &[
            ("spot:\n", "spot:\n  allocation_strategy: diversified\n"),
            ("max_capacity: 40", "max_capacity: 60"),
        ],
    );
    let (code, md) = diff(&example("quickstart"), &new, &zip, "markdown");
    assert_eq!(code, 1);
    insta::with_settings!({snapshot_path => "../../../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("diff_markdown", md);
    });
}

#[test]
fn template_files_and_out_dirs_are_sides_too() {
    let tmp = tempfile::tempdir().unwrap();
    let zip = fixture_zip(tmp.path());
    let a = tmp.path().join("a");
    let b = tmp.path().join("b");
    synth(&example("quickstart"), &a, &zip, "yaml");
    synth(
        &variant(
            tmp.path(),
            "quickstart",
            &[("max_capacity: 40", "max_capacity: 41")],
        ),
        &b,
        &zip,
        "json",
    );
    let (code, _) = diff(&a, &b, &zip, "text");
    assert_eq!(code, 1);
    let (code, text) = diff(
        &a.join("spotcover-quickstart.template.yaml"),
        &b.join("spotcover-quickstart.template.json"),
        &zip,
        "text",
    );
    assert_eq!(code, 1);
    // The demand policy tells the reconciler the fleet's bounds.
    assert!(
        text.contains("SPOTCOVER_FLEET_MAX: \"40\" -> \"41\""),
        "{text}"
    );
    let o = spotcover(&["diff", "/nonexistent", a.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn synth_check_passes_fresh_and_fails_after_an_edit() {
    let tmp = tempfile::tempdir().unwrap();
    let zip = fixture_zip(tmp.path());
    let out = tmp.path().join("out");
    let config = tmp.path().join("stack.yaml");
    std::fs::copy(example("multi-region"), &config).unwrap();
    synth(&config, &out, &zip, "yaml");
    let check = |config: &Path| try_synth(config, &out, &zip, &["--check"]);
    assert!(check(&config).status.success());
    let edited = variant(
        tmp.path(),
        "multi-region",
        &[("max_size: 50", "max_size: 60")],
    );
    let o = check(&edited);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(
        err.contains("spotcover-global.ap-southeast-2.template.yaml differs"),
        "{err}"
    );
    assert!(
        !err.contains("us-east-1.template.yaml"),
        "only the changed file: {err}"
    );
    std::fs::write(out.join("stray.txt"), "x").unwrap();
    let err = String::from_utf8(check(&config).stderr).unwrap();
    assert!(
        err.contains("stray.txt is not something synth writes"),
        "{err}"
    );
}

#[test]
fn graphs() {
    for format in ["mermaid", "dot"] {
        let o = spotcover(&[
            "graph",
            example("quickstart").to_str().unwrap(),
            "--format",
            format,
        ]);
        assert!(o.status.success());
        let text = String::from_utf8(o.stdout).unwrap();
        insta::with_settings!({snapshot_path => "../../../snapshots", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!(format!("graph_quickstart_{format}"), text);
        });
    }
    let o = spotcover(&[
        "graph",
        example("multi-region").to_str().unwrap(),
        "--region",
        "eu-west-1",
    ]);
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.contains("LaunchTemplateArm64"), "{text}");
}

#[test]
fn the_control_flow_is_drawn() {
    let o = spotcover(&["graph", example("quickstart").to_str().unwrap()]);
    let text = String::from_utf8(o.stdout).unwrap();
    for edge in [
        "PendingCapacityAlarm -->|\"notifies\"| PendingCapacityTopic",
        "PendingCapacityTopic -->|\"invokes\"| ReconcilerFunction",
        "ReconcilerFunction -->|\"SetDesiredCapacity\"| OnDemandGroup",
        "ReconcilerSchedule -->|\"invokes\"| ReconcilerFunction",
        "SpotFleet -->|\"fleet events\"| FleetEventRule",
        "FleetEventRule -->|\"invokes\"| ReconcilerFunction",
    ] {
        assert!(text.contains(edge), "missing {edge}");
    }
    assert!(!text.contains("SpotFleetScalableTarget"), "{text}");
}

#[test]
fn under_the_2017_policy_target_tracking_is_drawn() {
    let tmp = tempfile::tempdir().unwrap();
    let config = variant(
        tmp.path(),
        "quickstart",
        &[("on_demand:", "reconciler:\n  policy: \"2017\"\non_demand:")],
    );
    let o = spotcover(&["graph", config.to_str().unwrap()]);
    let text = String::from_utf8(o.stdout).unwrap();
    for edge in [
        "SpotFleetScalingPolicy -->|\"scales\"| SpotFleetScalableTarget",
        "SpotFleetScalableTarget -->|\"TargetCapacity\"| SpotFleet",
    ] {
        assert!(text.contains(edge), "missing {edge}");
    }
}

#[test]
fn parameters_files_hold_each_regions_deploy_inputs() {
    let tmp = tempfile::tempdir().unwrap();
    let zip = fixture_zip(tmp.path());
    let out = tmp.path().join("out");
    synth(&example("multi-region"), &out, &zip, "yaml");
    let read = |f: &str| -> Vec<String> {
        serde_json::from_slice(&std::fs::read(out.join(f)).unwrap()).unwrap()
    };
    assert_eq!(
        read("spotcover-global.us-east-1.parameters.json"),
        [
            "AssetBucket=spotcover-assets-us-east-1",
            "SecurityGroups=sg-0123456789abcdef0",
            "Subnets=subnet-0123456789abcdef0,subnet-0123456789abcdef1"
        ]
    );
    assert_eq!(
        read("spotcover-global.ap-southeast-2.parameters.json"),
        [
            "AssetBucket=spotcover-assets-ap-southeast-2",
            "SecurityGroups=sg-0123456789abcdef0"
        ]
    );
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(
        manifest["templates"][2]["parameters_file"],
        "spotcover-global.us-east-1.parameters.json"
    );
}

#[test]
fn a_parameter_the_template_lacks_is_a_config_error() {
    let tmp = tempfile::tempdir().unwrap();
    // ap-southeast-2 pins its subnets, so its template has no Subnets parameter.
    let bad = variant(
        tmp.path(),
        "multi-region",
        &[(
            "      AssetBucket: spotcover-assets-ap-southeast-2\n",
            "      AssetBucket: spotcover-assets-ap-southeast-2\n      Subnets: [subnet-0123456789abcdef0]\n",
        )],
    );
    let zip = fixture_zip(tmp.path());
    let out = tmp.path().join("out");
    let o = try_synth(&bad, &out, &zip, &[]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(
        err.contains("regions.ap-southeast-2.parameters.Subnets: not a parameter of this template"),
        "{err}"
    );
    assert!(!out.exists());
}

#[test]
fn every_subcommand_has_help_with_an_example_and_completions_exist() {
    for sub in [
        "synth",
        "validate",
        "diff",
        "graph",
        "schema",
        "completions",
        "reconciler build",
    ] {
        let mut args: Vec<&str> = sub.split(' ').collect();
        args.push("--help");
        let o = spotcover(&args);
        assert!(o.status.success(), "{sub}");
        assert!(
            String::from_utf8(o.stdout).unwrap().contains("Example"),
            "{sub} --help has no example"
        );
    }
    for shell in ["bash", "zsh", "fish"] {
        let o = spotcover(&["completions", shell]);
        assert!(o.status.success());
        let script = String::from_utf8(o.stdout).unwrap();
        assert!(
            script.contains("synth") && script.contains("diff"),
            "{shell}"
        );
    }
}

#[test]
fn the_ci_example_is_valid_and_runs_only_real_commands() {
    let path = root().join("examples/ci/github-actions.yml");
    let text = std::fs::read_to_string(&path).unwrap();
    let workflow: Value = serde_saphyr::from_str(&text).unwrap();
    let mut invocations = 0;
    for (_, job) in workflow["jobs"].as_object().unwrap() {
        for step in job["steps"].as_array().unwrap() {
            let Some(run) = step["run"].as_str() else {
                continue;
            };
            for line in run.lines() {
                let words: Vec<&str> = line.split_whitespace().collect();
                let Some(start) = words.iter().position(|w| *w == "spotcover") else {
                    continue;
                };
                // Up to a shell operator.
                let args: Vec<&str> = words[start..]
                    .iter()
                    .take_while(|w| !matches!(**w, ">" | "||" | "|" | "&&"))
                    .copied()
                    .collect();
                if let Err(e) = spotcover::cli::Cli::try_parse_from(&args) {
                    assert_eq!(
                        e.kind(),
                        clap::error::ErrorKind::DisplayVersion,
                        "`{}` is not a spotcover command: {e}",
                        args.join(" ")
                    );
                }
                invocations += 1;
            }
        }
    }
    assert!(invocations >= 3, "expected synth, synth --check and diff");
}

#[test]
fn update_facts_match_the_registry_schemas_cfn_lint_ships() {
    let types: Vec<&str> = spotcover_cfn::update::UPDATE_FACTS
        .iter()
        .map(|f| f.type_name)
        .collect();
    let script = r#"
import json, sys, os, cfnlint
base = os.path.join(os.path.dirname(cfnlint.__file__), "data", "schemas")
provider = json.load(open(os.path.join(base, "providers", "us-east-1.json")))
out = {}
for t in sys.argv[1:]:
    d = json.load(open(os.path.join(base, "resources", provider[t] + ".json")))
    strip = lambda ps: sorted(p.removeprefix("/properties/") for p in (ps or []))
    out[t] = [strip(d.get("createOnlyProperties")), strip(d.get("conditionalCreateOnlyProperties"))]
print(json.dumps(out))
"#;
    let o = Command::new(venv_bin("python"))
        .arg("-c")
        .arg(script)
        .args(&types)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let schemas: Value = serde_json::from_slice(&o.stdout).unwrap();
    for f in spotcover_cfn::update::UPDATE_FACTS {
        let mut replace: Vec<&str> = f.replace.to_vec();
        replace.sort();
        let mut conditional: Vec<&str> = f.conditional.to_vec();
        conditional.sort();
        assert_eq!(
            schemas[f.type_name][0],
            serde_json::json!(replace),
            "{} createOnlyProperties",
            f.type_name
        );
        assert_eq!(
            schemas[f.type_name][1],
            serde_json::json!(conditional),
            "{} conditional",
            f.type_name
        );
    }
}
