//! Every input either works or gets exit 2 with a message a user can act on: closed
//! pipes, huge and non-UTF-8 files, paths that are inputs, templates with short-form
//! intrinsics, things that are not templates, concurrent synths.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use common::*;

fn write(dir: &Path, name: &str, text: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_owned()
}

fn stderr_of(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs spotcover with stderr (and, with `close_stdout`, stdout) connected to a pipe
/// whose reading end is closed at once; returns the exit code.
fn with_closed_pipes(args: &[&str], close_stdout: bool) -> Option<i32> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_spotcover"))
        .args(args)
        .current_dir(root())
        .stdin(Stdio::null())
        .stdout(if close_stdout {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stderr.take());
    drop(child.stdout.take());
    child.wait().unwrap().code()
}

#[test]
fn a_closed_stderr_is_not_a_panic() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = write(tmp.path(), "bad.yaml", b"stack: 1x\n");
    assert_eq!(with_closed_pipes(&["validate", &bad], false), Some(2));
}

#[test]
fn simulate_with_closed_stdout_and_stderr_is_not_a_panic() {
    let tmp = tempfile::tempdir().unwrap();
    let chart = tmp.path().join("c.svg");
    let scenario = root().join("examples/scenarios/full-outage.yaml");
    let code = with_closed_pipes(
        &[
            "simulate",
            example("quickstart").to_str().unwrap(),
            "--scenario",
            scenario.to_str().unwrap(),
            "--chart",
            chart.to_str().unwrap(),
        ],
        true,
    );
    assert_eq!(code, Some(0));
}

#[test]
fn an_endless_device_is_refused_without_being_read() {
    let o = spotcover(&["validate", "/dev/zero"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr_of(&o).contains("is not a regular file"),
        "{}",
        stderr_of(&o)
    );
}

#[test]
fn an_input_over_the_size_cap_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.yaml");
    std::fs::write(&big, vec![b'#'; 4 * 1024 * 1024 + 1]).unwrap();
    let o = spotcover(&["validate", big.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr_of(&o).contains("4 MiB"), "{}", stderr_of(&o));
}

#[test]
fn non_utf8_input_is_located() {
    let tmp = tempfile::tempdir().unwrap();
    let f = write(tmp.path(), "c.yaml", b"# ok\nstack: ab\xffc\n");
    let o = spotcover(&["validate", &f]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr_of(&o).contains("c.yaml:2:10: the config is not UTF-8 text"),
        "{}",
        stderr_of(&o)
    );
}

#[test]
fn a_long_value_is_elided_in_the_message() {
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(example("quickstart"))
        .unwrap()
        .replace(
            "stack: spotcover-quickstart",
            &format!("stack: {}", "a_".repeat(500_000)),
        );
    let f = write(tmp.path(), "c.yaml", text.as_bytes());
    let o = spotcover(&["validate", &f]);
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stderr.len() < 400, "{}", stderr_of(&o));
    assert!(
        stderr_of(&o).contains("(1000002 characters)"),
        "{}",
        stderr_of(&o)
    );
}

#[test]
fn the_chart_is_never_written_onto_an_input() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("c.yaml");
    std::fs::copy(example("quickstart"), &config).unwrap();
    let before = std::fs::read(&config).unwrap();
    let scenario = root().join("examples/scenarios/full-outage.yaml");
    let o = spotcover(&[
        "simulate",
        config.to_str().unwrap(),
        "--scenario",
        scenario.to_str().unwrap(),
        "--chart",
        config.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr_of(&o));
    assert!(stderr_of(&o).contains("refusing to write the chart onto"));
    assert_eq!(std::fs::read(&config).unwrap(), before);
}

#[test]
fn a_zip_for_an_architecture_no_reconciler_uses_is_warned_about() {
    let tmp = tempfile::tempdir().unwrap();
    let zip = fixture_zip(tmp.path());
    let both = format!("x86_64={}", zip.display());
    let arm = format!("arm64={}", zip.display());
    let o = try_synth(
        &example("quickstart"),
        &tmp.path().join("out"),
        &zip,
        &["--reconciler-zip", &both, "--reconciler-zip", &arm],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr_of(&o));
    assert!(
        stderr_of(&o).contains("warning: --reconciler-zip arm64="),
        "{}",
        stderr_of(&o)
    );
}

#[test]
fn a_zip_whose_name_holds_an_equals_sign_is_a_path_when_it_exists() {
    let tmp = tempfile::tempdir().unwrap();
    let zip = fixture_zip(tmp.path());
    let odd = tmp.path().join("a=b.zip");
    std::fs::copy(&zip, &odd).unwrap();
    let o = try_synth(&example("quickstart"), &tmp.path().join("out"), &odd, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr_of(&o));
}

#[test]
fn diff_reads_short_form_intrinsics() {
    let tmp = tempfile::tempdir().unwrap();
    let head = "Parameters:\n  Name: {Type: String}\nResources:\n  T:\n    Type: AWS::SNS::Topic\n    Properties:\n";
    let short = write(
        tmp.path(),
        "a.yaml",
        format!("{head}      TopicName: !Ref Name\n").as_bytes(),
    );
    let literal = write(
        tmp.path(),
        "b.yaml",
        format!("{head}      TopicName: Name\n").as_bytes(),
    );
    let long = write(
        tmp.path(),
        "c.yaml",
        format!("{head}      TopicName: {{Ref: Name}}\n").as_bytes(),
    );
    assert_eq!(
        spotcover(&["diff", &short, &literal]).status.code(),
        Some(1)
    );
    let same = spotcover(&["diff", &short, &long]);
    assert_eq!(
        same.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&same.stdout)
    );
}

#[test]
fn diff_refuses_what_is_not_a_template() {
    let tmp = tempfile::tempdir().unwrap();
    let good = write(
        tmp.path(),
        "good.yaml",
        b"Resources:\n  T: {Type: AWS::SNS::Topic}\n",
    );
    for (name, text) in [
        ("five.yaml", "Resources: 5\n"),
        ("other.json", "{\"name\": \"not a template\"}\n"),
    ] {
        let bad = write(tmp.path(), name, text.as_bytes());
        let o = spotcover(&["diff", &good, &bad]);
        assert_eq!(o.status.code(), Some(2), "{name}: {}", stderr_of(&o));
        assert!(
            stderr_of(&o).contains("not a CloudFormation template"),
            "{name}: {}",
            stderr_of(&o)
        );
    }
}

#[test]
fn concurrent_synths_into_one_out_all_succeed_and_leave_one_complete_output() {
    let tmp = tempfile::tempdir().unwrap();
    let zip = fixture_zip(tmp.path());
    let out = tmp.path().join("out");
    let children: Vec<_> = (0..48)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_spotcover"))
                .args(["synth", example("quickstart").to_str().unwrap(), "--out"])
                .arg(&out)
                .arg("--reconciler-zip")
                .arg(&zip)
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let o = c.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", stderr_of(&o));
    }
    let check = try_synth(&example("quickstart"), &out, &zip, &["--check"]);
    assert_eq!(check.status.code(), Some(0), "{}", stderr_of(&check));
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().starts_with(".spotcover"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn validate_refuses_a_parameter_synth_would_refuse() {
    let tmp = tempfile::tempdir().unwrap();
    let text = format!(
        "{}parameters: {{Bogus: x}}\n",
        std::fs::read_to_string(example("quickstart")).unwrap()
    );
    let f = write(tmp.path(), "c.yaml", text.as_bytes());
    for command in ["validate", "graph"] {
        let o = spotcover(&[command, &f]);
        assert_eq!(o.status.code(), Some(2), "{command}: {}", stderr_of(&o));
        assert!(
            stderr_of(&o).contains("parameters.Bogus: not a parameter"),
            "{}",
            stderr_of(&o)
        );
    }
}
