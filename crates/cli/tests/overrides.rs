//! The escape hatch and the issue-14 knobs through the command: an override shows in the
//! template and in `diff`, a bad one exits 2 with the reason, a maximum price warns, and
//! the property paths spotcover checks overrides against are the pinned cfn-lint's.

mod common;

use std::process::Command;

use common::*;

/// The quickstart with `extra` appended, written into `dir`.
fn config(dir: &std::path::Path, name: &str, extra: &str) -> std::path::PathBuf {
    let text = std::fs::read_to_string(example("quickstart")).unwrap();
    let path = dir.join(format!("{name}.yaml"));
    std::fs::write(&path, format!("{text}\n{extra}")).unwrap();
    path
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const GRACE: &str = "overrides:\n  - { resource: OnDemandGroup, path: Properties.HealthCheckGracePeriod, value: 300 }\n";

#[test]
fn an_override_is_in_the_template_and_in_diff() {
    let tmp = tempfile::tempdir().unwrap();
    let zip = fixture_zip(tmp.path());
    let out = tmp.path().join("out");
    synth(&example("quickstart"), &out, &zip, "json");
    let edited = config(tmp.path(), "edited", GRACE);
    let new_out = tmp.path().join("new");
    synth(&edited, &new_out, &zip, "json");
    let doc: serde_json::Value = serde_json::from_slice(
        &std::fs::read(new_out.join("spotcover-quickstart.template.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        doc["Resources"]["OnDemandGroup"]["Properties"]["HealthCheckGracePeriod"],
        300
    );
    let o = spotcover(&[
        "diff",
        out.to_str().unwrap(),
        edited.to_str().unwrap(),
        "--reconciler-zip",
        zip.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("~ OnDemandGroup (AWS::AutoScaling::AutoScalingGroup) update in place\n      HealthCheckGracePeriod: (none) -> 300  [update in place]"),
        "{text}"
    );
}

fn refused(extra: &str) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let zip = fixture_zip(tmp.path());
    let bad = config(tmp.path(), "bad", extra);
    let out = tmp.path().join("out");
    let o = try_synth(&bad, &out, &zip, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(!out.exists(), "nothing is written");
    stderr(&o)
}

#[test]
fn an_override_of_an_unknown_logical_id_exits_2_with_the_reason() {
    let e = refused(
        "overrides:\n  - { resource: OnDemandGrup, path: Properties.MaxSize, value: \"9\" }\n",
    );
    assert!(
        e.contains("overrides[0]: the template has no resource \"OnDemandGrup\"; it has "),
        "{e}"
    );
}

#[test]
fn an_override_of_a_property_the_schema_lacks_exits_2_with_the_reason() {
    let e = refused(
        "overrides:\n  - { resource: OnDemandGroup, path: Properties.MaxSiz, value: \"9\" }\n",
    );
    assert!(
        e.contains("overrides[0]: AWS::AutoScaling::AutoScalingGroup has no property Properties.MaxSiz in its registry schema"),
        "{e}"
    );
}

#[test]
fn an_override_of_the_reconcilers_environment_exits_2_with_the_reason() {
    let e = refused(
        "overrides:\n  env: { resource: ReconcilerFunction, path: Properties.Environment.Variables.X, value: y }\n",
    );
    assert!(
        e.contains("overrides.env: spotcover relies on ReconcilerFunction.Properties.Environment: it is the reconciler's configuration"),
        "{e}"
    );
}

/// `validate` applies the overrides to the composed template as `synth` does: every
/// override `synth` refuses, `validate` refuses with the same words.
#[test]
fn validate_refuses_what_synth_refuses() {
    for extra in [
        "overrides:\n  - { resource: OnDemandGrup, path: Properties.MaxSize, value: \"9\" }\n",
        "overrides:\n  - { resource: OnDemandGroup, path: Properties.HealthCheckGracePeriod, value: soon }\n",
        "overrides:\n  - { resource: OnDemandGroup, path: Properties.MaxSize, delete: true }\n",
    ] {
        let synth_said = refused(extra);
        let tmp = tempfile::tempdir().unwrap();
        let bad = config(tmp.path(), "bad", extra);
        let o = spotcover(&["validate", bad.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{extra}: {}", stderr(&o));
        // `spotcover: FILE:LINE:COL: overrides[0]: why`: the same from the key on.
        let from_key = |s: &str| s.find("overrides[0]").map(|i| s[i..].trim_end().to_owned());
        assert_eq!(from_key(&stderr(&o)), from_key(&synth_said), "{extra}");
        assert!(from_key(&synth_said).is_some(), "{synth_said}");
    }
}

#[test]
fn a_maximum_price_warns_and_validates() {
    let tmp = tempfile::tempdir().unwrap();
    let priced = tmp.path().join("priced.yaml");
    let text = std::fs::read_to_string(example("quickstart")).unwrap();
    std::fs::write(
        &priced,
        text.replace("spot:\n", "spot:\n  max_price: \"0.09\"\n"),
    )
    .unwrap();
    let o = spotcover(&["validate", priced.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        stderr(&o).contains("warning: ") && stderr(&o).contains("spot.max_price: AWS: \"If you specify a maximum price, your instances will be interrupted more frequently"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_user_data_file_is_read_beside_the_config_or_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let zip = fixture_zip(tmp.path());
    let cfg = config(
        tmp.path(),
        "c",
        "instances:\n  user_data: { file: extra.sh }\n",
    );
    let out = tmp.path().join("out");
    let o = try_synth(&cfg, &out, &zip, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("instances.user_data.file: cannot read extra.sh"),
        "{}",
        stderr(&o)
    );
    std::fs::write(tmp.path().join("extra.sh"), "echo beside\n").unwrap();
    synth(&cfg, &out, &zip, "yaml");
    let t = std::fs::read_to_string(out.join("spotcover-quickstart.template.yaml")).unwrap();
    assert!(t.contains("echo beside\n"));
}

#[test]
fn property_paths_are_what_the_pinned_cfn_lint_ships() {
    let types: Vec<&str> = spotcover_cfn::update::UPDATE_FACTS
        .iter()
        .map(|f| f.type_name)
        .collect();
    let o = Command::new(venv_bin("python"))
        .arg(root().join("tools/property_paths.py"))
        .args(&types)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let committed = spotcover_stack::overrides::PROPERTY_PATHS;
    assert!(
        String::from_utf8_lossy(&o.stdout) == committed,
        "crates/stack/src/property_paths.txt is stale: run `.venv/bin/python tools/property_paths.py {} > crates/stack/src/property_paths.txt`",
        types.join(" ")
    );
}

#[test]
fn every_resource_type_spotcover_emits_has_property_paths() {
    let tmp = tempfile::tempdir().unwrap();
    let zip = fixture_zip(tmp.path());
    for name in &examples() {
        let out = tmp.path().join(name);
        synth(&example(name), &out, &zip, "json");
        for file in templates(&out) {
            let doc: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
            for r in doc["Resources"].as_object().unwrap().values() {
                let kind = r["Type"].as_str().unwrap();
                assert!(
                    spotcover_stack::overrides::PROPERTY_PATHS
                        .lines()
                        .any(|l| l.starts_with(&format!("{kind} "))),
                    "{kind} has no property paths"
                );
            }
        }
    }
}
