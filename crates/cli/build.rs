//! The reconciler zips spotcover ships, one per Lambda architecture, embedded in the binary
//! with their SHA-256 computed here, so that synth only copies bytes.
//!
//! - From a published package: the zips travel in the package (`reconciler/<arch>.zip`,
//!   put there by `tools/package`) and are used as they are; no toolchain for musl needed.
//! - From this repository: the reconciler's sources are beside this crate, and the zips
//!   are built from them with the pinned toolchain into `<target>/reconciler`, a target
//!   directory of their own (a nested cargo cannot share the one this build holds locked).
//!   Zips lying in `reconciler/` are ignored here: the sources win, so nothing stale ships.

#[path = "src/lambda_build.rs"]
#[allow(dead_code)]
mod lambda_build;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    if let Err(e) = run() {
        // Cargo shows a build script's stderr on failure.
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let manifest_dir = PathBuf::from(env("CARGO_MANIFEST_DIR")?);
    let out_dir = PathBuf::from(env("OUT_DIR")?);
    let checkout = manifest_dir.join("../..");
    let mut code = String::new();
    let mut version = env("CARGO_PKG_VERSION")?;
    let source_tree = lambda_build::is_source_tree(&checkout);
    // Both architectures in one cargo run (side by side), then each zipped.
    let built = if source_tree {
        let root = checkout
            .canonicalize()
            .map_err(|e| format!("{}: {e}", checkout.display()))?;
        build(&root, &out_dir)?
    } else {
        Vec::new()
    };
    for (i, (arch, _)) in lambda_build::ARCHES.iter().enumerate() {
        let zip = if source_tree {
            built[i].clone()
        } else {
            let packaged = manifest_dir.join("reconciler").join(format!("{arch}.zip"));
            println!("cargo::rerun-if-changed={}", packaged.display());
            std::fs::read(&packaged).map_err(|e| {
                format!(
                    "{}: {e}: a spotcover package carries its reconciler zips; a checkout builds them",
                    packaged.display()
                )
            })?
        };
        let sha256 = lambda_build::sha256_hex(&zip);
        let file = out_dir.join(format!("reconciler-{arch}.zip"));
        write_if_changed(&file, &zip)?;
        writeln!(
            code,
            "    Shipped {{ arch: {arch:?}, sha256: {sha256:?}, zip: include_bytes!({:?}) }},",
            file.display()
        )
        .unwrap();
        write!(version, "\nreconciler {arch} {sha256}").unwrap();
    }
    let code = format!(
        "/// `spotcover --version`: the package version and the shipped zips' SHA-256.\n\
         pub const VERSION: &str = {version:?};\n\
         /// The shipped reconciler zips, x86_64 then arm64.\n\
         pub static SHIPPED: [Shipped; 2] = [\n{code}];\n"
    );
    write_if_changed(&out_dir.join("shipped.rs"), code.as_bytes())
}

/// Builds and zips `bootstrap` for every architecture, in [`lambda_build::ARCHES`]'s order;
/// each zip is cached beside its binary, keyed by the binary's hash (zipping 4 MB in an
/// unoptimized build script takes seconds).
fn build(root: &Path, out_dir: &Path) -> Result<Vec<Vec<u8>>, String> {
    let target_dir = reconciler_target_dir(out_dir)?;
    let targets: Vec<&str> = lambda_build::ARCHES.iter().map(|(_, t)| *t).collect();
    let binaries = lambda_build::build_bootstraps(root, &targets, &target_dir)?;
    for path in ["Cargo.toml", "Cargo.lock", "rust-toolchain.toml"] {
        println!("cargo::rerun-if-changed={}", root.join(path).display());
    }
    if let Ok(crates) = std::fs::read_dir(root.join("crates")) {
        for c in crates.flatten() {
            println!(
                "cargo::rerun-if-changed={}",
                c.path().join("Cargo.toml").display()
            );
        }
    }
    let mut zips = Vec::new();
    for ((arch, _), binary) in lambda_build::ARCHES.iter().zip(&binaries) {
        for path in lambda_build::sources_read(binary, root) {
            println!("cargo::rerun-if-changed={}", path.display());
        }
        let bytes = std::fs::read(binary).map_err(|e| format!("{}: {e}", binary.display()))?;
        let key = lambda_build::sha256_hex(&bytes);
        let cached = binary.with_file_name(format!("bootstrap-{arch}-{key}.zip"));
        if let Ok(zip) = std::fs::read(&cached) {
            zips.push(zip);
            continue;
        }
        let zip = lambda_build::zip_bootstrap(&bytes)?;
        // Written whole, then renamed: another build (tools/test runs rustdoc beside the
        // test build) may read the cache at the same moment.
        let partial = cached.with_extension(format!("zip.{}", std::process::id()));
        std::fs::write(&partial, &zip)
            .and_then(|()| std::fs::rename(&partial, &cached))
            .map_err(|e| format!("{}: {e}", cached.display()))?;
        zips.push(zip);
    }
    Ok(zips)
}

/// `<target dir>/reconciler`: OUT_DIR is `<target dir>/[<triple>/]<profile>/build/<pkg>/out`.
/// Shared by every profile of the outer build, and by `spotcover reconciler build`.
/// `SPOTCOVER_RECONCILER_TARGET_DIR` overrides it, so that several worktrees share one
/// release build of the reconciler's dependencies (the bytes do not depend on the path: see
/// `lambda_build::remaps`).
fn reconciler_target_dir(out_dir: &Path) -> Result<PathBuf, String> {
    println!("cargo::rerun-if-env-changed=SPOTCOVER_RECONCILER_TARGET_DIR");
    if let Some(dir) = std::env::var_os("SPOTCOVER_RECONCILER_TARGET_DIR") {
        return Ok(PathBuf::from(dir));
    }
    out_dir
        .ancestors()
        .find(|p| p.file_name().is_some_and(|n| n == "build"))
        .and_then(|build| build.parent()?.parent())
        .map(|t| t.join("reconciler"))
        .ok_or_else(|| format!("no target directory above {}", out_dir.display()))
}

fn env(key: &str) -> Result<String, String> {
    std::env::var(key).map_err(|_| format!("{key} is not set"))
}

/// Keeps mtimes (and so cargo's freshness) when nothing changed.
fn write_if_changed(path: &Path, bytes: &[u8]) -> Result<(), String> {
    if std::fs::read(path).is_ok_and(|old| old == bytes) {
        return Ok(());
    }
    std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))
}
