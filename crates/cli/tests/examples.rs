//! Every example: snapshot, byte-identical reruns, YAML equal to JSON for a YAML 1.1
//! reader, and cfn-lint clean.

mod common;

use std::process::Command;

use common::*;

#[test]
fn examples_match_their_snapshots() {
    let tmp = tempfile::tempdir().unwrap();
    let zip = fixture_zip(tmp.path());
    for name in &examples() {
        let out = tmp.path().join(name);
        synth(&example(name), &out, &zip, "yaml");
        for file in templates(&out)
            .into_iter()
            .chain([out.join("manifest.json")])
        {
            let text = std::fs::read_to_string(&file).unwrap();
            let file_name = file
                .file_name()
                .unwrap()
                .to_string_lossy()
                .replace('.', "_");
            let snap = format!("{name}__{file_name}");
            insta::with_settings!({
                snapshot_path => "../../../snapshots",
                prepend_module_to_snapshot => false,
                snapshot_suffix => "",
                input_file => example(name),
            }, {
                insta::assert_snapshot!(snap, text);
            });
        }
    }
}

#[test]
fn reruns_are_byte_identical() {
    let tmp = tempfile::tempdir().unwrap();
    let zip = fixture_zip(tmp.path());
    for name in &examples() {
        for format in ["yaml", "json"] {
            let a = tmp.path().join(format!("{name}-{format}-a"));
            let b = tmp.path().join(format!("{name}-{format}-b"));
            synth(&example(name), &a, &zip, format);
            synth(&example(name), &b, &zip, format);
            // Rerun into an existing out dir replaces it whole.
            synth(&example(name), &b, &zip, format);
            assert_eq!(tree(&a), tree(&b), "{name} {format}");
        }
    }
}

#[test]
fn yaml_read_by_a_yaml_1_1_reader_equals_the_json() {
    let tmp = tempfile::tempdir().unwrap();
    let zip = fixture_zip(tmp.path());
    for name in &examples() {
        let y = tmp.path().join(format!("{name}-yaml"));
        let j = tmp.path().join(format!("{name}-json"));
        synth(&example(name), &y, &zip, "yaml");
        synth(&example(name), &j, &zip, "json");
        for (yf, jf) in templates(&y).into_iter().zip(templates(&j)) {
            // PyYAML is what cfn-lint and the aws CLI read templates with.
            let out = Command::new(venv_bin("python"))
                .args([
                    "-c",
                    "import json, sys, yaml\n\
                     y = yaml.safe_load(open(sys.argv[1]))\n\
                     j = json.load(open(sys.argv[2]))\n\
                     sys.exit(0 if y == j else 1)",
                ])
                .arg(&yf)
                .arg(&jf)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{} read by PyYAML differs from {}: {}",
                yf.display(),
                jf.display(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

#[test]
fn every_template_passes_cfn_lint_without_warnings() {
    let tmp = tempfile::tempdir().unwrap();
    let zip = fixture_zip(tmp.path());
    let mut files = Vec::new();
    for name in &examples() {
        for format in ["yaml", "json"] {
            let out = tmp.path().join(format!("{name}-{format}"));
            synth(&example(name), &out, &zip, format);
            files.extend(templates(&out));
        }
        // `engine: asg` composes no dashboard or alarm, and refuses `observability:`.
        if name != "asg" {
            let out = tmp.path().join(format!("{name}-observability"));
            synth(&with_every_alarm(tmp.path(), name), &out, &zip, "yaml");
            files.extend(templates(&out));
        }
    }
    assert_eq!(files.len(), 20);
    let out = Command::new(venv_bin("cfn-lint"))
        .args(&files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cfn-lint exit {:?}:\n{}{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn manifest_lists_templates_assets_and_parameters() {
    let tmp = tempfile::tempdir().unwrap();
    let zip = fixture_zip(tmp.path());
    let out = tmp.path().join("out");
    synth(&example("multi-region"), &out, &zip, "yaml");
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    let files: Vec<&str> = m["templates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["file"].as_str().unwrap())
        .collect();
    assert_eq!(
        files,
        [
            "spotcover-global.ap-southeast-2.template.yaml",
            "spotcover-global.eu-west-1.template.yaml",
            "spotcover-global.us-east-1.template.yaml"
        ]
    );
    for t in m["templates"].as_array().unwrap() {
        assert!(out.join(t["file"].as_str().unwrap()).is_file());
        assert!(out.join(t["asset"].as_str().unwrap()).is_file());
        let params: Vec<&str> = t["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert!(params.contains(&"AssetBucket"));
        // ap-southeast-2 pins its subnets, so it takes no Subnets parameter.
        assert_eq!(params.contains(&"Subnets"), t["region"] != "ap-southeast-2");
    }
    let asset = &m["assets"][0];
    let sha = asset["sha256"].as_str().unwrap();
    // `aws s3 sync spotcover.out/assets/ s3://BUCKET/spotcover/` puts the zip at the
    // key the template names.
    assert_eq!(asset["file"], format!("assets/reconciler-{sha}.zip"));
    assert_eq!(
        asset["s3_key"],
        format!("spotcover/reconciler-{sha}.zip"),
        "the key is the file's path under assets/, below the deploy block's sync prefix"
    );
    assert_eq!(
        asset["architectures"],
        serde_json::json!(["x86_64", "arm64"])
    );
}

/// Every instance setting, tags, a fleet price and an override, for the 2017 form.
const KNOBS: &str = "instances:
  root_volume: { size_gib: 40 }
  user_data:
    inline: |
      echo {{cluster}} > /etc/cluster-name
  ecs_config: { ECS_RESERVED_MEMORY: \"256\" }
  managed_policies: [AmazonSSMManagedInstanceCore]
  key_name: ops
tags: { team: platform }
overrides:
  - { resource: OnDemandGroup, path: Properties.HealthCheckGracePeriod, value: 120 }
";

/// Every observability option: the dashboard (on by default), every alarm and a topic.
const EVERY_ALARM: &str = "observability:
  alarm_email: ops@example.com
  alarms:
    uncovered_minutes: 5
    reconciler_errors: true
    group_at_max: true
";

/// The example with [`EVERY_ALARM`], as a config file in `dir` beside the scripts the
/// examples name.
fn with_every_alarm(dir: &std::path::Path, name: &str) -> std::path::PathBuf {
    for f in std::fs::read_dir(root().join("examples")).unwrap() {
        let f = f.unwrap().path();
        if f.extension().is_some_and(|e| e == "sh") {
            std::fs::copy(&f, dir.join(f.file_name().unwrap())).unwrap();
        }
    }
    let text = std::fs::read_to_string(example(name)).unwrap();
    let path = dir.join(format!("{name}-every-alarm.yaml"));
    // `engine: asg`'s fallback writes no `uncovered` metric: that alarm could never fire,
    // and validate refuses it.
    let alarms = if text.contains("\nengine: asg") {
        EVERY_ALARM.replace("    uncovered_minutes: 5\n", "")
    } else {
        EVERY_ALARM.to_owned()
    };
    std::fs::write(&path, format!("{text}\n{alarms}")).unwrap();
    path
}

/// checkov from its own venv (`tools/setup` makes `.venv-checkov`; `tools/test` sets
/// SPOTCOVER_CHECKOV_VENV): it pins an old boto3 that breaks moto.
fn checkov() -> std::path::PathBuf {
    let venv = std::env::var_os("SPOTCOVER_CHECKOV_VENV")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| root().join(".venv-checkov"));
    let bin = venv.join("bin/checkov");
    assert!(
        bin.exists(),
        "{} is missing: run the tests with tools/test (tools/setup installs it)",
        bin.display()
    );
    bin
}

/// Every example, each again with every alarm and its topic, and the 2017 form's launch
/// configuration and the opt-in features (with every instance setting, tags and prices,
/// so launch specifications and the launch configuration carry them too), as templates
/// in `dir`.
fn every_template_form(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let zip = fixture_zip(dir);
    let mut configs: Vec<std::path::PathBuf> = examples().iter().map(|e| example(e)).collect();
    let seed = std::fs::read_to_string(example("seed-2017")).unwrap();
    let variant = dir.join("variant.yaml");
    std::fs::write(
        &variant,
        seed.replace("on_demand:\n", "on_demand:\n  launch: configuration\n")
            .replace("spot:\n", "spot:\n  max_price: \"0.05\"\n")
            .replace("reconciler:\n", "reconciler:\n  reserved_concurrency: 2\n")
            + "interruptions:\n  enabled: true\n  drain_on_rebalance: true\n"
            + KNOBS,
    )
    .unwrap();
    configs.push(variant);
    // `engine: asg` composes no dashboard or alarm, and refuses `observability:`.
    configs.extend(
        examples()
            .iter()
            .filter(|e| e.as_str() != "asg")
            .map(|e| with_every_alarm(dir, e)),
    );
    let mut files = Vec::new();
    for (i, config) in configs.iter().enumerate() {
        let out = dir.join(format!("out-{i}"));
        synth(config, &out, &zip, "yaml");
        files.extend(templates(&out));
    }
    files
}

/// The checks spotcover skips, each in the resource's metadata with its reason: CloudWatch
/// cannot publish alarms to an SNS topic under the AWS-managed key, the Lambda needs no
/// VPC, dead-letter queue or customer-managed keys for ids and numbers, and reserved
/// concurrency is opt-in (low-quota accounts refuse it).
const STATED_CHECKOV_SKIPS: [&str; 6] = [
    "CKV_AWS_26",
    "CKV_AWS_115",
    "CKV_AWS_116",
    "CKV_AWS_117",
    "CKV_AWS_158",
    "CKV_AWS_173",
];

#[test]
fn every_template_passes_checkov_with_only_the_stated_skips() {
    let tmp = tempfile::tempdir().unwrap();
    let files = every_template_form(tmp.path());
    assert_eq!(files.len(), 14);
    let mut cmd = Command::new(checkov());
    cmd.args([
        "--framework",
        "cloudformation",
        "--output",
        "json",
        "--skip-download",
    ])
    // No network here: checkov's guideline download would wait on DNS.
    .env("BC_SKIP_MAPPING", "TRUE");
    for f in &files {
        cmd.arg("--file").arg(f);
    }
    let out = cmd.output().unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "checkov printed no JSON ({e}): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let failed: Vec<String> = report["results"]["failed_checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| format!("{} {} in {}", c["check_id"], c["resource"], c["file_path"]))
        .collect();
    assert!(failed.is_empty(), "checkov findings: {failed:#?}");
    assert!(report["summary"]["passed"].as_u64().unwrap() > 0);
    for skip in report["results"]["skipped_checks"].as_array().unwrap() {
        let id = skip["check_id"].as_str().unwrap();
        assert!(STATED_CHECKOV_SKIPS.contains(&id), "unstated skip {id}");
        let why = skip["check_result"]["suppress_comment"]
            .as_str()
            .unwrap_or("");
        assert!(why.len() > 40, "{id} skipped without a reason: {why:?}");
    }
}
