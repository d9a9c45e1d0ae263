//! Shared by the integration tests: paths, the tools `tools/test` provides, running synth.
#![allow(dead_code)]

pub mod moto;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// The stack configs in `examples/` (`NAME.yaml`), by name, sorted: every test that goes
/// over every example takes a new one without a list to update.
pub fn examples() -> Vec<String> {
    yaml_names(&root().join("examples"))
}

/// The scenarios in `examples/scenarios/`, by name, sorted.
pub fn scenarios() -> Vec<String> {
    yaml_names(&root().join("examples/scenarios"))
}

fn yaml_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(!names.is_empty(), "no *.yaml in {}", dir.display());
    names
}

pub fn example(name: &str) -> PathBuf {
    root().join("examples").join(format!("{name}.yaml"))
}

/// A tool from the project venv. `tools/test` sets SPOTCOVER_VENV; `tools/setup` makes it.
pub fn venv_bin(tool: &str) -> PathBuf {
    let venv = std::env::var_os("SPOTCOVER_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join(".venv"));
    let bin = venv.join("bin").join(tool);
    assert!(
        bin.exists(),
        "{} is missing: run the tests with tools/test (it installs the venv)",
        bin.display()
    );
    bin
}

/// The moto server `tools/test` started.
pub fn moto() -> String {
    std::env::var("SPOTCOVER_TEST_MOTO").expect(
        "SPOTCOVER_TEST_MOTO is not set: run the tests with tools/test, which starts moto server",
    )
}

/// A stand-in reconciler zip: the template only needs its hash.
pub fn fixture_zip(dir: &Path) -> PathBuf {
    let path = dir.join("fixture.zip");
    let bytes =
        spotcover::asset::zip_bootstrap(b"#!/bin/sh\necho spotcover test fixture\n").unwrap();
    std::fs::write(&path, bytes).unwrap();
    path
}

pub fn spotcover(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_spotcover"))
        .args(args)
        .current_dir(root())
        .output()
        .unwrap()
}

/// `spotcover synth CONFIG --out OUT --reconciler-zip ZIP EXTRA...`, whatever its outcome.
pub fn try_synth(config: &Path, out: &Path, zip: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "synth",
        config.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--reconciler-zip",
        zip.to_str().unwrap(),
    ];
    args.extend(extra);
    spotcover(&args)
}

/// Synth that must succeed.
pub fn synth(config: &Path, out: &Path, zip: &Path, format: &str) -> Output {
    let output = try_synth(config, out, zip, &["--format", format]);
    assert!(
        output.status.success(),
        "synth {} failed: {}",
        config.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Template files in an out dir, sorted.
pub fn templates(out: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains(".template."))
        .collect();
    files.sort();
    files
}

/// Every file under a directory with its bytes, by relative path.
pub fn tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((
                    p.strip_prefix(dir).unwrap().to_owned(),
                    std::fs::read(&p).unwrap(),
                ));
            }
        }
    }
    out.sort();
    out
}
