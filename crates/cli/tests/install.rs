//! spotcover as a user has it: installed with `cargo install` (by `tools/test`), then run
//! with no cargo, no Rust toolchain and no spotcover checkout in reach.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The binary `tools/test` installed with `cargo install --path crates/cli --root ...`.
fn installed() -> PathBuf {
    std::env::var_os("SPOTCOVER_TEST_INSTALLED")
        .map(PathBuf::from)
        .expect("SPOTCOVER_TEST_INSTALLED is not set: run the tests with tools/test, which installs spotcover first")
}

/// Runs `bin ARGS` in `dir` with a bare environment (PATH without cargo), in a mount
/// namespace where the checkout, cargo's home and rustup's home are empty directories.
fn run_out_of_reach(bin: &Path, dir: &Path, args: &[&str]) -> Output {
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap();
    let hidden = [
        common::root(),
        std::env::var_os("CARGO_HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| home.join(".cargo")),
        std::env::var_os("RUSTUP_HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| home.join(".rustup")),
    ];
    let script = r#"set -e
bin=$1 checkout=$2; shift 2
while [ "$1" != -- ]; do [ -d "$1" ] && mount -t tmpfs none "$1"; shift; done; shift
if command -v cargo >/dev/null || command -v rustc >/dev/null; then echo "cargo or rustc in reach" >&2; exit 99; fi
if [ -n "$(ls -A "$checkout")" ]; then echo "checkout in reach" >&2; exit 99; fi
exec "$bin" "$@""#;
    let mut cmd = Command::new("unshare");
    cmd.args([
        "--mount",
        "--propagation",
        "private",
        "sh",
        "-c",
        script,
        "sh",
    ])
    .arg(bin)
    .arg(&hidden[0])
    .args(&hidden)
    .arg("--")
    .args(args)
    .env_clear()
    .env("PATH", "/usr/bin:/bin")
    .env("HOME", dir)
    .current_dir(dir);
    let out = cmd.output().expect("unshare (util-linux) runs");
    assert_ne!(
        out.status.code(),
        Some(99),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn an_installed_spotcover_synthesizes_the_zip_its_version_names_without_cargo_or_checkout() {
    let tmp = tempfile::tempdir().unwrap();
    let bin = tmp.path().join("bin/spotcover");
    std::fs::create_dir_all(bin.parent().unwrap()).unwrap();
    std::fs::copy(installed(), &bin).unwrap();
    let work = tmp.path().join("infra");
    std::fs::create_dir(&work).unwrap();
    std::fs::copy(common::example("quickstart"), work.join("stack.yaml")).unwrap();

    let version = run_out_of_reach(&bin, &work, &["--version"]);
    assert!(version.status.success(), "{version:?}");
    let version = String::from_utf8(version.stdout).unwrap();
    let sha = version
        .lines()
        .find_map(|l| l.strip_prefix("reconciler x86_64 "))
        .unwrap_or_else(|| panic!("no x86_64 hash in --version: {version}"))
        .to_owned();

    let synth = run_out_of_reach(&bin, &work, &["synth", "stack.yaml"]);
    assert!(
        synth.status.success(),
        "{}",
        String::from_utf8_lossy(&synth.stderr)
    );
    let out = work.join("spotcover.out");
    let zip = std::fs::read(out.join(format!("assets/reconciler-{sha}.zip"))).unwrap();
    assert_eq!(spotcover::asset::Asset::new(zip).sha256, sha);
    let template = std::fs::read_to_string(out.join("spotcover-quickstart.template.yaml")).unwrap();
    assert!(template.contains(&format!("reconciler-{sha}.zip")));
}
