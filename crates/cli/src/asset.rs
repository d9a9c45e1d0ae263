//! The reconciler's Lambda artifact: built with cargo, zipped byte-for-byte reproducibly,
//! named by its SHA-256.

use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use sha2::{Digest, Sha256};
use spotcover_stack::config::LambdaArchitecture;
use zip::write::SimpleFileOptions;

/// A zip holding one executable `bootstrap`, as `provided.al2023` expects.
pub struct Asset {
    pub bytes: Vec<u8>,
    pub sha256: String,
}

impl Asset {
    pub fn new(bytes: Vec<u8>) -> Asset {
        let sha256 = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Asset { bytes, sha256 }
    }
}

/// Zips a `bootstrap` binary: fixed timestamp, mode 0755, nothing else in the archive.
pub fn zip_bootstrap(binary: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(9))
        .last_modified_time(zip::DateTime::default())
        .unix_permissions(0o755);
    out.start_file("bootstrap", options)?;
    out.write_all(binary)?;
    Ok(out.finish()?.into_inner())
}

/// Checks a user-supplied zip the way Lambda will use it.
pub fn check_zip(bytes: &[u8], path: &Path) -> anyhow::Result<()> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .with_context(|| format!("{}: not a zip archive", path.display()))?;
    let entry = archive.by_name("bootstrap").with_context(|| {
        format!(
            "{}: no `bootstrap` entry; provided.al2023 runs the file named bootstrap",
            path.display()
        )
    })?;
    if entry.unix_mode().is_some_and(|m| m & 0o111 == 0) {
        bail!(
            "{}: `bootstrap` is not executable (mode {:o})",
            path.display(),
            entry.unix_mode().unwrap_or(0)
        );
    }
    Ok(())
}

/// Where the reconciler's sources are: this workspace, as built.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Builds `bootstrap` for the architecture with the `lambda` profile and zips it.
pub fn build(arch: LambdaArchitecture) -> anyhow::Result<Asset> {
    let root = workspace_root();
    if !root.join("crates/reconciler/Cargo.toml").is_file() {
        bail!(
            "cannot build the reconciler: its sources are not at {}; pass --reconciler-zip with a prebuilt zip",
            root.display()
        );
    }
    let root = root.canonicalize()?;
    let target = arch.rust_target();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_default();
    // Paths would otherwise end up in panic messages, and so in the hash.
    let rustflags = format!(
        "target.{target}.rustflags=[\"--remap-path-prefix={}=/cargo\", \"--remap-path-prefix={}=/spotcover\"]",
        cargo_home.display(),
        root.display()
    );
    let mut cmd = Command::new(&cargo);
    match arch {
        LambdaArchitecture::X86_64 => {
            cmd.arg("build");
        }
        // No aarch64 musl C compiler ships with Debian; zig's serves as one. tools/setup
        // installs cargo-zigbuild into the project venv.
        LambdaArchitecture::Arm64 => {
            let venv_bin = root.join(".venv/bin");
            let path = std::env::var_os("PATH").unwrap_or_default();
            let mut dirs = vec![venv_bin];
            dirs.extend(std::env::split_paths(&path));
            cmd.arg("zigbuild").env("PATH", std::env::join_paths(dirs)?);
        }
    }
    cmd.args(["--profile", "lambda", "--locked", "--target", target])
        .args(["-p", "spotcover-reconciler", "--bin", "bootstrap"])
        .args(["--config", &rustflags])
        .current_dir(&root);
    let status = cmd
        .status()
        .with_context(|| format!("running {}", Path::new(&cargo).display()))?;
    if !status.success() {
        bail!(
            "building the reconciler for {target} failed ({status}); run `tools/setup` once to install the target and its linker"
        );
    }
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let binary = target_dir.join(target).join("lambda").join("bootstrap");
    let bytes = std::fs::read(&binary).with_context(|| format!("reading {}", binary.display()))?;
    Ok(Asset::new(zip_bootstrap(&bytes)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zips_are_reproducible_and_executable() {
        let a = zip_bootstrap(b"#!/bin/sh\n").unwrap();
        let b = zip_bootstrap(b"#!/bin/sh\n").unwrap();
        assert_eq!(a, b);
        check_zip(&a, Path::new("a.zip")).unwrap();
        let archive = zip::ZipArchive::new(Cursor::new(&a)).unwrap();
        assert_eq!(archive.len(), 1);
        assert_ne!(
            Asset::new(a).sha256,
            Asset::new(zip_bootstrap(b"x").unwrap()).sha256
        );
    }

    #[test]
    fn a_zip_without_bootstrap_is_refused() {
        let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
        out.start_file("main", SimpleFileOptions::default())
            .unwrap();
        let bytes = out.finish().unwrap().into_inner();
        let err = check_zip(&bytes, Path::new("x.zip")).unwrap_err();
        assert!(err.to_string().contains("no `bootstrap` entry"), "{err}");
        assert!(check_zip(b"not a zip", Path::new("y.zip")).is_err());
    }
}
