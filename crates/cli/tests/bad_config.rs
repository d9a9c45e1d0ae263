//! Bad input: exit 2, a message naming the file, the key path and what was expected, and
//! nothing written.

mod common;

use common::*;

const GOOD: &str = "stack: s
spot:
  instance_types:
    - { type: m5.large, weight: 2 }
on_demand:
  instance_types: [m5.large]
";

/// Runs synth on `yaml`; asserts exit 2, no output dir, and returns stderr.
fn synth_fails(yaml: &str) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("stack.yaml");
    std::fs::write(&config, yaml).unwrap();
    let out = tmp.path().join("out");
    let zip = fixture_zip(tmp.path());
    let o = try_synth(&config, &out, &zip, &[]);
    let stderr = String::from_utf8(o.stderr).unwrap();
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(!out.exists(), "synth left output behind");
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().starts_with(".spotcover"))
        .collect();
    assert!(leftovers.is_empty(), "staging left behind: {leftovers:?}");
    assert!(stderr.starts_with("spotcover: "), "{stderr}");
    assert!(
        stderr.contains(config.to_str().unwrap()),
        "no file name: {stderr}"
    );
    stderr
}

#[test]
fn the_good_config_synthesizes() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("stack.yaml");
    std::fs::write(&config, GOOD).unwrap();
    synth(
        &config,
        &tmp.path().join("out"),
        &fixture_zip(tmp.path()),
        "yaml",
    );
}

#[test]
fn unknown_key() {
    let err = synth_fails(&GOOD.replace("weight: 2", "wieght: 2"));
    assert!(
        err.contains(":4:25: spot.instance_types[0].wieght: unknown field `wieght`"),
        "{err}"
    );
}

#[test]
fn wrong_type() {
    let err = synth_fails(&format!("{GOOD}  max_size: lots\n"));
    assert!(
        err.contains(":7:13: on_demand.max_size: expected a whole number"),
        "{err}"
    );
}

#[test]
fn min_above_max() {
    let err = synth_fails(&GOOD.replace(
        "    - { type: m5.large, weight: 2 }\n",
        "    - { type: m5.large, weight: 2 }\n  autoscaling: { min_capacity: 10, max_capacity: 5 }\n",
    ));
    assert!(
        err.contains("spot.autoscaling.min_capacity: min_capacity 10 is above max_capacity 5"),
        "{err}"
    );
}

#[test]
fn no_instance_types() {
    let err = synth_fails(&GOOD.replace("    - { type: m5.large, weight: 2 }\n", "    []\n"));
    assert!(
        err.contains("spot.instance_types: expected at least one instance type"),
        "{err}"
    );
}

#[test]
fn zero_weight() {
    let err = synth_fails(&GOOD.replace("weight: 2", "weight: 0"));
    assert!(
        err.contains("spot.instance_types[0].weight: expected a weight of at least 1"),
        "{err}"
    );
}

#[test]
fn unknown_key_in_a_region() {
    let err = synth_fails(&format!(
        "{GOOD}regions:\n  eu-west-1:\n    on_demand:\n      max_sise: 5\n"
    ));
    assert!(
        err.contains("regions.eu-west-1.on_demand.max_sise: unknown field `max_sise`"),
        "{err}"
    );
}

#[test]
fn impossible_capacity_in_a_region() {
    let err = synth_fails(&format!(
        "{GOOD}regions:\n  eu-west-1:\n    on_demand:\n      min_size: 300\n"
    ));
    assert!(
        err.contains("regions.eu-west-1.on_demand.min_size: min_size 300 is above max_size 200"),
        "{err}"
    );
}

#[test]
fn bad_region_name() {
    let err = synth_fails(&format!("{GOOD}regions:\n  europe:\n    {{}}\n"));
    assert!(
        err.contains("regions.europe: expected an AWS region name"),
        "{err}"
    );
}

#[test]
fn bad_instance_type() {
    let err = synth_fails(&GOOD.replace("[m5.large]", "[m5.lrage]"));
    assert!(
        err.contains("on_demand.instance_types[0]: \"m5.lrage\" is not an instance type"),
        "{err}"
    );
}

#[test]
fn bad_arn() {
    let err = synth_fails(&format!(
        "{GOOD}iam:\n  permissions_boundary: arn:aws:s3:::bucket\n"
    ));
    assert!(
        err.contains("iam.permissions_boundary: \"arn:aws:s3:::bucket\" is not a policy ARN"),
        "{err}"
    );
}

#[test]
fn every_problem_is_reported_not_only_the_first() {
    let yaml = GOOD
        .replace("weight: 2", "weight: 0")
        .replace("[m5.large]", "[m5.lrage]");
    let err = synth_fails(&yaml);
    assert_eq!(err.lines().count(), 2, "{err}");
}

#[test]
fn a_missing_config_file() {
    let o = spotcover(&["synth", "/nonexistent/stack.yaml"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(
        err.contains("reading config /nonexistent/stack.yaml"),
        "{err}"
    );
}

#[test]
fn a_bad_reconciler_zip() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("stack.yaml");
    std::fs::write(&config, GOOD).unwrap();
    let zip = tmp.path().join("r.zip");
    std::fs::write(&zip, b"not a zip").unwrap();
    let out = tmp.path().join("out");
    let o = try_synth(&config, &out, &zip, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8(o.stderr)
            .unwrap()
            .contains("not a zip archive")
    );
    assert!(!out.exists());
}

#[test]
fn a_failed_synth_keeps_the_previous_output() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("stack.yaml");
    std::fs::write(&config, GOOD).unwrap();
    let out = tmp.path().join("out");
    let zip = fixture_zip(tmp.path());
    synth(&config, &out, &zip, "yaml");
    let before = tree(&out);
    std::fs::write(&config, GOOD.replace("weight: 2", "weight: 0")).unwrap();
    let o = try_synth(&config, &out, &zip, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(tree(&out), before);
}

#[test]
fn synth_refuses_to_replace_a_directory_it_did_not_write() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("stack.yaml");
    std::fs::write(&config, GOOD).unwrap();
    let out = tmp.path().join("precious");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    let zip = fixture_zip(tmp.path());
    let o = try_synth(&config, &out, &zip, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8(o.stderr)
            .unwrap()
            .contains("refusing to replace")
    );
    assert_eq!(
        std::fs::read_to_string(out.join("notes.txt")).unwrap(),
        "mine"
    );
}

#[test]
fn validate_reports_ok_and_errors() {
    let o = spotcover(&["validate", example("multi-region").to_str().unwrap()]);
    assert!(o.status.success());
    assert!(
        String::from_utf8(o.stdout)
            .unwrap()
            .ends_with(": ok (ap-southeast-2, eu-west-1, us-east-1)\n")
    );
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("stack.yaml");
    std::fs::write(&config, GOOD.replace("weight: 2", "weight: 0")).unwrap();
    let o = spotcover(&["validate", config.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn the_committed_schema_is_current() {
    let o = spotcover(&["schema"]);
    assert!(o.status.success());
    let committed = std::fs::read_to_string(root().join("schema/spotcover.schema.json")).unwrap();
    assert!(
        String::from_utf8(o.stdout).unwrap() == committed,
        "schema/spotcover.schema.json is stale: run `cargo run -p spotcover -- schema > schema/spotcover.schema.json`"
    );
}
