//! The config reference, `docs/config.md`, is what `spotcover schema --markdown` prints:
//! generated from the doc comments of the config types, through the JSON Schema, so it
//! cannot drift from the loader or repeat a key. After changing a doc comment:
//! `SPOTCOVER_UPDATE_DOCS=1 cargo test -p spotcover-stack --test config_reference`.

use std::path::{Path, PathBuf};

fn committed() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/config.md")
}

#[test]
fn the_committed_config_reference_is_the_generated_one() {
    let want = spotcover_stack::config_reference();
    if std::env::var_os("SPOTCOVER_UPDATE_DOCS").is_some() {
        std::fs::write(committed(), &want).unwrap();
        return;
    }
    let have = std::fs::read_to_string(committed()).unwrap_or_default();
    assert!(
        have == want,
        "docs/config.md is stale: SPOTCOVER_UPDATE_DOCS=1 cargo test -p spotcover-stack --test config_reference"
    );
}

#[test]
fn every_config_key_has_a_description() {
    let schema: serde_json::Value =
        serde_json::from_str(&spotcover_stack::config_schema()).unwrap();
    let undocumented: Vec<String> = spotcover_stack::reference::keys(&schema)
        .into_iter()
        .filter(|k| k.description.trim().is_empty())
        .map(|k| k.path)
        .collect();
    assert!(
        undocumented.is_empty(),
        "keys without a doc comment in crates/stack/src/config.rs: {undocumented:?}"
    );
}

#[test]
fn every_config_key_is_listed_once() {
    let schema: serde_json::Value =
        serde_json::from_str(&spotcover_stack::config_schema()).unwrap();
    let mut paths: Vec<String> = spotcover_stack::reference::keys(&schema)
        .into_iter()
        .map(|k| k.path)
        .collect();
    let all = paths.len();
    paths.sort();
    paths.dedup();
    assert_eq!(paths.len(), all, "a key listed twice");
}
