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

/// `spotcover validate` on `yaml` written as `stack.yaml` in `dir`: exit code, stderr.
fn validate_in(dir: &std::path::Path, yaml: &str) -> (Option<i32>, String) {
    let config = dir.join("stack.yaml");
    std::fs::write(&config, yaml).unwrap();
    let o = spotcover(&["validate", config.to_str().unwrap()]);
    (o.status.code(), String::from_utf8(o.stderr).unwrap())
}

// A FIFO opens only when something writes to it: reading one hangs. It is refused
// without being opened (checked before and after opening), as every non-regular file.
#[cfg(unix)]
#[test]
fn a_fifo_as_user_data_is_refused_unread_and_nothing_hangs() {
    let tmp = tempfile::tempdir().unwrap();
    let fifo = tmp.path().join("user-data.sh");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let started = std::time::Instant::now();
    let (code, err) = validate_in(
        tmp.path(),
        &format!("{GOOD}instances:\n  user_data:\n    file: user-data.sh\n"),
    );
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains(":9:11: instances.user_data.file: cannot read user-data.sh:")
            && err.contains("not a regular file"),
        "{err}"
    );
    // Not a timed test: a hang would never return at all.
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
}

#[cfg(unix)]
#[test]
fn a_fifo_as_the_config_is_refused_unread() {
    let tmp = tempfile::tempdir().unwrap();
    let fifo = tmp.path().join("stack.yaml");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let o = spotcover(&["validate", fifo.to_str().unwrap()]);
    let err = String::from_utf8(o.stderr).unwrap();
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("the config is not a regular file"), "{err}");
}

#[test]
fn user_data_outside_the_config_directory_is_refused_unless_allowed() {
    let tmp = tempfile::tempdir().unwrap();
    let inner = tmp.path().join("config");
    std::fs::create_dir(&inner).unwrap();
    std::fs::write(tmp.path().join("secret.sh"), "echo secret-text\n").unwrap();
    for file in [
        "../secret.sh",
        tmp.path().join("secret.sh").to_str().unwrap(),
    ] {
        let (code, err) = validate_in(
            &inner,
            &format!("{GOOD}instances:\n  user_data:\n    file: {file}\n"),
        );
        assert_eq!(code, Some(2), "{err}");
        assert!(
            err.contains(":9:11: instances.user_data.file:")
                && err.contains("outside the config's directory")
                && err.contains("allow_outside_config_dir"),
            "{err}"
        );
        assert!(!err.contains("secret-text"), "{err}");
    }
    let (code, err) = validate_in(
        &inner,
        &format!(
            "{GOOD}instances:\n  user_data:\n    file: ../secret.sh\n    allow_outside_config_dir: true\n"
        ),
    );
    assert_eq!(code, Some(0), "{err}");
}

#[cfg(unix)]
#[test]
fn a_symbolic_link_out_of_the_config_directory_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let inner = tmp.path().join("config");
    std::fs::create_dir(&inner).unwrap();
    std::fs::write(tmp.path().join("secret.sh"), "echo secret-text\n").unwrap();
    std::os::unix::fs::symlink(tmp.path().join("secret.sh"), inner.join("user-data.sh")).unwrap();
    let (code, err) = validate_in(
        &inner,
        &format!("{GOOD}instances:\n  user_data:\n    file: user-data.sh\n"),
    );
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("through a symbolic link"), "{err}");
}

// EC2: user data is "limited to 16 KB, in raw form, before it is base64-encoded".
#[test]
fn a_user_data_file_over_16_kb_is_refused_as_user_data() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("big.sh"), "#".repeat(17 * 1024)).unwrap();
    let (code, err) = validate_in(
        tmp.path(),
        &format!("{GOOD}instances:\n  user_data:\n    file: big.sh\n"),
    );
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("the user data is larger than 16 KB"), "{err}");
    assert!(!err.contains("YAML") && !err.contains("MiB"), "{err}");
}

// EventBridge "Rate expressions reference": the value is a positive number; cfn-lint's
// E3027 rejects `+5`.
#[test]
fn a_signed_rate_is_refused_at_its_line() {
    let err = synth_fails(&format!(
        "{GOOD}reconciler:\n  schedule: rate(+5 minutes)\n"
    ));
    assert!(err.contains(":8:13: reconciler.schedule:"), "{err}");
}

// EC2 tag restrictions: `aws:` is reserved in tag keys and values.
#[test]
fn a_tag_value_with_the_aws_prefix_is_refused() {
    let err = synth_fails(&format!("{GOOD}tags:\n  team: \"aws:platform\"\n"));
    assert!(
        err.contains(":8:9: tags.team:") && err.contains("aws:"),
        "{err}"
    );
}

#[test]
fn an_arn_of_another_partition_in_a_region_is_refused() {
    let err = synth_fails(&format!(
        "{GOOD}iam:\n  permissions_boundary: arn:aws:iam::123456789012:policy/Boundary\nregions:\n  cn-north-1: {{}}\n"
    ));
    assert!(
        err.contains("iam.permissions_boundary") && err.contains("aws-cn"),
        "{err}"
    );
}

// A handlebars variable the script does not have is named in the script's terms: no
// library text, no Rust Debug text (`Some("region")`).
#[test]
fn an_unknown_user_data_variable_is_named_in_the_scripts_terms() {
    let err = synth_fails(&format!(
        "{GOOD}instances:\n  user_data:\n    inline: \"echo {{{{region}}}}\\n\"\n"
    ));
    assert!(
        err.contains("`{{region}}` is not one of its variables"),
        "{err}"
    );
    assert!(
        !err.contains("Some(") && !err.contains("strict mode"),
        "{err}"
    );
}

// Valid, and applied, but said with the consequence.
#[test]
fn overrides_that_switch_the_reconciler_off_are_warned_about() {
    let tmp = tempfile::tempdir().unwrap();
    let (code, err) = validate_in(
        tmp.path(),
        &format!(
            "{GOOD}overrides:\n  - resource: ReconcilerFunction\n    path: Properties.ReservedConcurrentExecutions\n    value: 0\n  - resource: ReconcilerSchedule\n    path: Properties.State\n    value: DISABLED\n"
        ),
    );
    assert_eq!(code, Some(0), "{err}");
    assert!(
        err.contains("warning: ") && err.contains(":10:12: overrides[0].value: reserved concurrency 0 stops ReconcilerFunction from ever running"),
        "{err}"
    );
    assert!(
        err.contains(
            ":13:12: overrides[1].value: ReconcilerSchedule no longer invokes the reconciler"
        ),
        "{err}"
    );
}
