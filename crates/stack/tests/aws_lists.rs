//! The regions and instance types spotcover ships are what the pinned botocore has.

use std::path::Path;
use std::process::Command;

#[test]
fn the_committed_lists_equal_what_the_pinned_botocore_gives() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let venv = std::env::var_os("SPOTCOVER_VENV")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| root.join(".venv"));
    assert!(
        venv.join("bin/python").exists(),
        "{} is missing: run the tests with tools/test (it installs the venv)",
        venv.display()
    );
    let o = Command::new(root.join("tools/update-aws-lists"))
        .arg("--check")
        .env("SPOTCOVER_VENV", &venv)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}
