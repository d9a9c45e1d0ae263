//! Building the reconciler Lambda (`bootstrap`) from source and zipping it, byte for byte
//! the same on every machine and at every checkout path.
//!
//! Shared by `build.rs` (the zips spotcover ships) and `spotcover reconciler build`, so both
//! make the same bytes. No dependencies beyond `std`, `zip` and `sha2`: `build.rs` includes
//! this file with `#[path]`.

use std::ffi::OsString;
use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Lambda architectures and their Rust targets, in the order spotcover ships them.
pub const ARCHES: [(&str, &str); 2] = [
    ("x86_64", "x86_64-unknown-linux-musl"),
    ("arm64", "aarch64-unknown-linux-musl"),
];

/// Whether `dir` is a spotcover checkout: the reconciler's sources are there.
pub fn is_source_tree(dir: &Path) -> bool {
    dir.join("crates/reconciler/Cargo.toml").is_file() && dir.join("Cargo.lock").is_file()
}

/// The toolchain `rust-toolchain.toml` pins (`channel = "..."`).
pub fn pinned_toolchain(root: &Path) -> Result<String, String> {
    let path = root.join("rust-toolchain.toml");
    let text =
        std::fs::read_to_string(&path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("channel"))
        .filter_map(|l| l.trim().strip_prefix('='))
        .map(|v| v.trim().trim_matches('"').to_owned())
        .next()
        .ok_or_else(|| format!("{}: no `channel = \"...\"`", path.display()))
}

/// Cargo's home: where registry sources are unpacked.
fn cargo_home() -> PathBuf {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_default()
}

/// A cargo command with the pinned toolchain and none of the environment a surrounding
/// cargo (when this runs in a build script) or the user set that could change the bytes.
/// `RUSTUP_*` stays (`RUSTUP_HOME`, `RUSTUP_AUTO_INSTALL=0`), but for the toolchain.
fn cargo(root: &Path, toolchain: &str) -> Command {
    tool("cargo", root, toolchain)
}

fn tool(name: &str, root: &Path, toolchain: &str) -> Command {
    let mut cmd = Command::new(name);
    for (key, _) in std::env::vars_os() {
        let Some(key) = key.to_str() else { continue };
        let keep = matches!(
            key,
            "CARGO_HOME" | "CARGO_MAKEFLAGS" | "CARGO_NET_OFFLINE" | "CARGO_TERM_COLOR"
        ) || key.starts_with("CARGO_HTTP_")
            || key.starts_with("CARGO_NET_")
            || key.starts_with("CARGO_REGISTRIES_")
            || key.starts_with("CARGO_REGISTRY_");
        let drop = key.starts_with("CARGO")
            || key.starts_with("__CARGO")
            || key.starts_with("RUSTC")
            || key.starts_with("RUSTDOC")
            || key == "RUSTFLAGS"
            || key.starts_with("DEP_")
            || key.starts_with("CC")
            || key.starts_with("CXX")
            || key.starts_with("CFLAGS")
            || key.starts_with("AR_")
            || key.starts_with("TARGET_")
            || key.starts_with("HOST_")
            || matches!(
                key,
                "AR" | "LDFLAGS"
                    | "TARGET"
                    | "HOST"
                    | "OUT_DIR"
                    | "PROFILE"
                    | "OPT_LEVEL"
                    | "DEBUG"
                    | "NUM_JOBS"
                    | "LD_LIBRARY_PATH"
            );
        if drop && !keep {
            cmd.env_remove(key);
        }
    }
    // The venv holds cargo-zigbuild and zig (tools/setup).
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs = vec![root.join(".venv/bin")];
    dirs.extend(std::env::split_paths(&path));
    cmd.env("PATH", std::env::join_paths(dirs).unwrap_or(path))
        .env("RUSTUP_TOOLCHAIN", toolchain)
        .current_dir(root);
    cmd
}

fn run(cmd: &mut Command, what: &str) -> Result<(), String> {
    let status = cmd
        .status()
        .map_err(|e| format!("{what}: cannot run cargo: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{what} failed ({status})"))
    }
}

/// Checks that `rustc` is the pinned toolchain: other versions give other bytes.
fn check_toolchain(root: &Path, toolchain: &str) -> Result<(), String> {
    let out = tool("rustc", root, toolchain)
        .arg("-vV")
        .output()
        .map_err(|e| format!("cannot run rustc: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let want = format!(
        "release: {}",
        toolchain.split('-').next().unwrap_or(toolchain)
    );
    if !out.status.success() || !text.lines().any(|l| l.trim() == want) {
        return Err(format!(
            "the reconciler is built with Rust {toolchain} (rust-toolchain.toml), for the same bytes everywhere, but `rustc` is: {}{}; run tools/setup (it installs that toolchain and the targets)",
            text.lines().next().unwrap_or(""),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(())
}

/// `--remap-path-prefix` for every absolute path that could reach the binary (panic
/// locations): registry sources, the checkout, the target directory. The last matching
/// prefix wins, so the more specific ones come later.
fn remaps(root: &Path, target_dir: &Path) -> Vec<(PathBuf, String)> {
    let home = cargo_home();
    let mut out = vec![(home.clone(), "/cargo".to_owned())];
    // The source directory's name carries a hash of the registry's URL: a mirror must not
    // change the bytes.
    for kind in ["registry/src", "git/checkouts"] {
        if let Ok(dirs) = std::fs::read_dir(home.join(kind)) {
            let mut dirs: Vec<PathBuf> = dirs.filter_map(|d| Some(d.ok()?.path())).collect();
            dirs.sort();
            for d in dirs {
                out.push((d, format!("/{}", kind.replace('/', "-"))));
            }
        }
    }
    out.push((root.to_owned(), "/spotcover".to_owned()));
    out.push((target_dir.to_owned(), "/target".to_owned()));
    out
}

fn toml_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Builds `bootstrap` for `target` with the `lambda` profile into `target_dir` and returns
/// the binary's path. `root` is the checkout (canonical).
pub fn build_bootstrap(root: &Path, target: &str, target_dir: &Path) -> Result<PathBuf, String> {
    let mut binaries = build_bootstraps(root, &[target], target_dir)?;
    Ok(binaries.remove(0))
}

/// [`build_bootstrap`] for several targets in one cargo run, which builds them side by
/// side: with `codegen-units = 1` and LTO, one target's build is mostly one long chain of
/// single-threaded steps, so a second target keeps another core busy. Each target's bytes
/// are what a build of it alone gives (its own flags; `tools/repro` compares). Returns the
/// binaries' paths in the order of `targets`.
pub fn build_bootstraps(
    root: &Path,
    targets: &[&str],
    target_dir: &Path,
) -> Result<Vec<PathBuf>, String> {
    let toolchain = pinned_toolchain(root)?;
    check_toolchain(root, &toolchain)?;
    let mut fetch = cargo(root, &toolchain);
    fetch.args(["fetch", "--locked"]);
    for target in targets {
        fetch.args(["--target", target]);
    }
    // Registry sources must be unpacked before their paths can be remapped.
    run(&mut fetch, "cargo fetch")?;
    let mut rustflags: Vec<String> = remaps(root, target_dir)
        .iter()
        .map(|(from, to)| format!("--remap-path-prefix={}={to}", from.display()))
        .collect();
    rustflags.extend(RUSTFLAGS.iter().map(|f| f.to_string()));
    let rustflags = format!(
        "[{}]",
        rustflags
            .iter()
            .map(|f| toml_string(f))
            .collect::<Vec<_>>()
            .join(", ")
    );
    // The same for C (ring), through cc-rs.
    let cflags: Vec<String> = remaps(root, target_dir)
        .iter()
        .map(|(from, to)| format!("-ffile-prefix-map={}={to}", from.display()))
        .collect();
    let mut cmd = cargo(root, &toolchain);
    // zig is the C compiler and linker for both targets: a pinned version from PyPI
    // (tools/requirements.txt), where a system musl-gcc would differ between machines.
    cmd.arg("zigbuild")
        .args(["--profile", "lambda", "--locked"])
        .args(["-p", "spotcover-reconciler", "--bin", "bootstrap"])
        .arg("--target-dir")
        .arg(target_dir);
    for target in targets {
        cmd.args(["--target", target])
            .args([
                "--config",
                &format!("target.{target}.rustflags={rustflags}"),
            ])
            .env(
                format!("CFLAGS_{}", target.replace('-', "_")),
                OsString::from(cflags.join(" ")),
            );
    }
    run(
        &mut cmd,
        &format!("building the reconciler for {}", targets.join(" and ")),
    )
    .map_err(|e| format!("{e}; run tools/setup once (toolchain, targets, cargo-zigbuild)"))?;
    Ok(targets
        .iter()
        .map(|target| target_dir.join(target).join("lambda").join("bootstrap"))
        .collect())
}

/// Code generation flags of the Lambda beyond the `lambda` profile: a static, non-PIE
/// executable has no run-time relocations to store or apply.
pub const RUSTFLAGS: &[&str] = &["-Crelocation-model=static"];

/// Zips a `bootstrap` binary: fixed timestamp, mode 0755, nothing else in the archive.
pub fn zip_bootstrap(binary: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(9))
        .last_modified_time(zip::DateTime::default())
        .unix_permissions(0o755);
    let e = |e: zip::result::ZipError| format!("zipping bootstrap: {e}");
    out.start_file("bootstrap", options).map_err(e)?;
    out.write_all(binary)
        .map_err(|err| format!("zipping bootstrap: {err}"))?;
    Ok(out.finish().map_err(e)?.into_inner())
}

/// Lower-case hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The files a build of `bootstrap` read inside `root`, from cargo's dep-info next to it:
/// what a build script watches.
pub fn sources_read(binary: &Path, root: &Path) -> Vec<PathBuf> {
    let Ok(text) = std::fs::read_to_string(binary.with_extension("d")) else {
        return Vec::new();
    };
    let Some((_, deps)) = text.split_once(": ") else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = deps
        .replace("\\ ", "\u{0}")
        .split_whitespace()
        .map(|p| PathBuf::from(p.replace('\u{0}', " ")))
        .filter(|p| p.starts_with(root))
        .collect();
    out.sort();
    out.dedup();
    out
}
