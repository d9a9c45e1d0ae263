//! The reconciler's Lambda artifact: the zips shipped inside spotcover (built and hashed
//! by `build.rs`), a zip given with `--reconciler-zip`, or one built from a checkout by
//! `spotcover reconciler build`.

use std::borrow::Cow;
use std::io::Cursor;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use spotcover_stack::config::LambdaArchitecture;

use crate::lambda_build;

/// The zips `build.rs` embedded, with their hashes and the `--version` text.
pub mod shipped {
    /// One architecture's zip.
    pub struct Shipped {
        pub arch: &'static str,
        pub sha256: &'static str,
        pub zip: &'static [u8],
    }
    include!(concat!(env!("OUT_DIR"), "/shipped.rs"));
}

/// A zip holding one executable `bootstrap`, as `provided.al2023` expects.
pub struct Asset {
    pub bytes: Cow<'static, [u8]>,
    pub sha256: String,
}

impl Asset {
    pub fn new(bytes: Vec<u8>) -> Asset {
        let sha256 = lambda_build::sha256_hex(&bytes);
        Asset {
            bytes: bytes.into(),
            sha256,
        }
    }

    /// The zip this spotcover ships for `arch`, hashed when spotcover was built.
    pub fn shipped(arch: LambdaArchitecture) -> Asset {
        let s = shipped::SHIPPED
            .iter()
            .find(|s| s.arch == arch.as_str())
            .expect("build.rs ships every architecture");
        Asset {
            bytes: Cow::Borrowed(s.zip),
            sha256: s.sha256.to_owned(),
        }
    }
}

/// Zips a `bootstrap` binary: fixed timestamp, mode 0755, nothing else in the archive.
pub fn zip_bootstrap(binary: &[u8]) -> anyhow::Result<Vec<u8>> {
    lambda_build::zip_bootstrap(binary).map_err(anyhow::Error::msg)
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

/// The checkout at or above `dir`.
pub fn find_source_tree(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .find(|d| lambda_build::is_source_tree(d))
        .map(Path::to_owned)
}

/// Builds the reconciler for `arch` from the checkout at `root` as the shipped zips are
/// built (pinned toolchain, paths remapped), and writes its zip; returns the zip's path.
pub fn build(root: &Path, arch: LambdaArchitecture) -> anyhow::Result<PathBuf> {
    let root = root
        .canonicalize()
        .with_context(|| format!("{}", root.display()))?;
    if !lambda_build::is_source_tree(&root) {
        bail!(
            "{} is not a spotcover checkout (no crates/reconciler)",
            root.display()
        );
    }
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(|t| root.join(t))
        .unwrap_or_else(|| root.join("target"))
        .join("reconciler");
    let binary = lambda_build::build_bootstrap(&root, arch.rust_target(), &target_dir)
        .map_err(anyhow::Error::msg)?;
    let bytes = std::fs::read(&binary).with_context(|| format!("reading {}", binary.display()))?;
    let zip = target_dir.join(format!("reconciler-{}.zip", arch.as_str()));
    std::fs::write(&zip, zip_bootstrap(&bytes)?)
        .with_context(|| format!("writing {}", zip.display()))?;
    Ok(zip)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_architecture_ships_a_zip_named_by_its_hash() {
        for arch in [LambdaArchitecture::X86_64, LambdaArchitecture::Arm64] {
            let asset = Asset::shipped(arch);
            check_zip(&asset.bytes, Path::new("shipped.zip")).unwrap();
            assert_eq!(lambda_build::sha256_hex(&asset.bytes), asset.sha256);
            assert!(shipped::VERSION.contains(&format!("{} {}", arch.as_str(), asset.sha256)));
        }
    }

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
        out.start_file("main", zip::write::SimpleFileOptions::default())
            .unwrap();
        let bytes = out.finish().unwrap().into_inner();
        let err = check_zip(&bytes, Path::new("x.zip")).unwrap_err();
        assert!(err.to_string().contains("no `bootstrap` entry"), "{err}");
        assert!(check_zip(b"not a zip", Path::new("y.zip")).is_err());
    }
}
