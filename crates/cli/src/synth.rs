//! `spotcover synth`: templates, assets and manifest into an output directory, all or
//! nothing.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::Serialize;
use serde_json::Value;
use spotcover_stack::config::LambdaArchitecture;
use spotcover_stack::{ConfigError, Format, Resolved};

use crate::asset::Asset;

/// One file of the output, relative to the output directory.
pub struct OutFile {
    pub path: PathBuf,
    /// Borrowed for a shipped zip: synth copies it once, into the file.
    pub bytes: Cow<'static, [u8]>,
}

#[derive(Serialize)]
struct Manifest {
    spotcover: &'static str,
    stack: String,
    templates: Vec<TemplateEntry>,
    assets: Vec<AssetEntry>,
}

#[derive(Serialize)]
struct TemplateEntry {
    file: String,
    region: Option<String>,
    asset: String,
    /// `aws cloudformation deploy --parameter-overrides file://<this>`, when the config
    /// gives parameter values.
    parameters_file: Option<String>,
    parameters: Vec<ParameterEntry>,
}

#[derive(Serialize)]
struct ParameterEntry {
    name: String,
    #[serde(rename = "type")]
    kind: String,
    default: Option<String>,
    description: String,
}

#[derive(Serialize)]
struct AssetEntry {
    file: String,
    sha256: String,
    s3_key: String,
    architectures: Vec<&'static str>,
}

/// Why synth could not produce its files.
pub enum Error {
    /// The config is wrong in a way only the composed template shows.
    Config(Vec<ConfigError>),
    Other(anyhow::Error),
}

impl From<anyhow::Error> for Error {
    fn from(e: anyhow::Error) -> Self {
        Error::Other(e)
    }
}

/// One composed template.
pub struct Synthesized {
    /// `<stack>` or `<stack>.<region>`: file names derive from it.
    pub name: String,
    pub region: Option<String>,
    pub doc: Value,
    /// `Key=Value` parameter overrides from the config; empty when it gives none.
    pub overrides: Vec<String>,
    pub asset_sha256: String,
}

/// Composes every resolved config's template.
pub fn compose_all(
    resolved: &[Resolved],
    assets: &BTreeMap<LambdaArchitecture, Asset>,
) -> Result<Vec<Synthesized>, Error> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for r in resolved {
        let asset = &assets[&r.config.reconciler.architecture];
        let template = spotcover_stack::compose(
            &r.config,
            &spotcover_stack::Asset {
                sha256: asset.sha256.clone(),
            },
        )
        .with_context(|| format!("composing the template for {}", r.config.stack))?;
        let mut doc = template.to_value().map_err(anyhow::Error::from)?;
        let prefix = r
            .region
            .as_ref()
            .map(|region| format!("regions.{region}"))
            .unwrap_or_default();
        if let Err(e) = spotcover_stack::overrides::apply(&r.config, &mut doc, &prefix) {
            errors.extend(e);
        }
        let overrides = match spotcover_stack::compose::parameter_overrides(&r.config, &doc) {
            Ok(o) => o,
            Err(mut e) => {
                if let Some(region) = &r.region {
                    e.path = format!("regions.{region}.{}", e.path);
                }
                errors.push(e);
                Vec::new()
            }
        };
        out.push(Synthesized {
            name: match &r.region {
                Some(region) => format!("{}.{region}", r.config.stack),
                None => r.config.stack.clone(),
            },
            region: r.region.clone(),
            doc,
            overrides,
            asset_sha256: asset.sha256.clone(),
        });
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(Error::Config(errors))
    }
}

/// Everything synth writes, in memory. `assets` holds one zip per Lambda architecture used.
pub fn render_all(
    resolved: &[Resolved],
    assets: &BTreeMap<LambdaArchitecture, Asset>,
    format: Format,
) -> Result<Vec<OutFile>, Error> {
    let mut files = Vec::new();
    let mut manifest = Manifest {
        spotcover: env!("CARGO_PKG_VERSION"),
        stack: resolved
            .first()
            .map(|r| r.config.stack.clone())
            .unwrap_or_default(),
        templates: Vec::new(),
        assets: Vec::new(),
    };
    for (arch, asset) in assets {
        let stack_asset = spotcover_stack::Asset {
            sha256: asset.sha256.clone(),
        };
        let file = format!("assets/{}", stack_asset.file_name());
        // One prebuilt zip may serve several architectures: list it once.
        if let Some(entry) = manifest.assets.iter_mut().find(|a| a.file == file) {
            entry.architectures.push(arch.as_str());
            continue;
        }
        manifest.assets.push(AssetEntry {
            file: file.clone(),
            sha256: asset.sha256.clone(),
            s3_key: stack_asset.s3_key(),
            architectures: vec![arch.as_str()],
        });
        files.push(OutFile {
            path: file.into(),
            bytes: asset.bytes.clone(),
        });
    }
    for t in compose_all(resolved, assets)? {
        let file = format!("{}.template.{}", t.name, format.extension());
        let parameters_file =
            (!t.overrides.is_empty()).then(|| format!("{}.parameters.json", t.name));
        manifest.templates.push(TemplateEntry {
            file: file.clone(),
            region: t.region.clone(),
            asset: format!(
                "assets/{}",
                spotcover_stack::Asset {
                    sha256: t.asset_sha256.clone()
                }
                .file_name()
            ),
            parameters_file: parameters_file.clone(),
            parameters: parameters(&t.doc),
        });
        files.push(OutFile {
            path: file.into(),
            bytes: spotcover_stack::render(&t.doc, format).into_bytes().into(),
        });
        if let Some(pf) = parameters_file {
            let mut json =
                serde_json::to_string_pretty(&t.overrides).map_err(anyhow::Error::from)?;
            json.push('\n');
            files.push(OutFile {
                path: pf.into(),
                bytes: json.into_bytes().into(),
            });
        }
    }
    let mut json = serde_json::to_string_pretty(&manifest).map_err(anyhow::Error::from)?;
    json.push('\n');
    files.push(OutFile {
        path: "manifest.json".into(),
        bytes: json.into_bytes().into(),
    });
    Ok(files)
}

/// Files of `out` that differ from `files`: changed, missing, or not synth's.
pub fn check_out_dir(
    out: &Path,
    files: &[OutFile],
) -> anyhow::Result<Vec<(PathBuf, &'static str)>> {
    let mut problems = Vec::new();
    for f in files {
        let path = out.join(&f.path);
        match std::fs::read(&path) {
            Ok(bytes) if bytes == *f.bytes => {}
            Ok(_) => problems.push((path, "differs from what synth writes now")),
            Err(_) => problems.push((path, "is missing")),
        }
    }
    if out.is_dir() {
        let expected: Vec<PathBuf> = files.iter().map(|f| out.join(&f.path)).collect();
        let mut stack = vec![out.to_owned()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir)? {
                let path = entry?.path();
                if path.is_dir() {
                    stack.push(path);
                } else if !expected.contains(&path) {
                    problems.push((path, "is not something synth writes"));
                }
            }
        }
    }
    problems.sort();
    Ok(problems)
}

fn parameters(doc: &Value) -> Vec<ParameterEntry> {
    let Some(params) = doc.get("Parameters").and_then(Value::as_object) else {
        return Vec::new();
    };
    params
        .iter()
        .map(|(name, p)| ParameterEntry {
            name: name.clone(),
            kind: p["Type"].as_str().unwrap_or_default().to_owned(),
            default: p.get("Default").and_then(Value::as_str).map(str::to_owned),
            description: p["Description"].as_str().unwrap_or_default().to_owned(),
        })
        .collect()
}

/// Where synth writes for `--out`: a symlink is followed (the directory it names is
/// replaced, the link stays); refused when it is a file, a dangling link, or holds one of
/// `inputs` (the config, a user-data file), because the swap deletes what `out` held.
pub fn resolve_out(out: &Path, inputs: &[PathBuf]) -> anyhow::Result<PathBuf> {
    let meta = match std::fs::symlink_metadata(out) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out.to_owned()),
        Err(e) => return Err(e).with_context(|| format!("reading --out {}", out.display())),
    };
    let target = if meta.file_type().is_symlink() {
        out.canonicalize().with_context(|| {
            format!(
                "--out {} is a symbolic link to nothing: expected a directory, a link to one, or a new path",
                out.display()
            )
        })?
    } else {
        out.to_owned()
    };
    if !target.is_dir() {
        bail!(
            "--out {} is not a directory: expected a directory synth may replace, or a new path",
            out.display()
        );
    }
    let whole = target.canonicalize()?;
    for input in inputs {
        if let Ok(input) = input.canonicalize()
            && input.starts_with(&whole)
        {
            bail!(
                "refusing to write into --out {}: it holds {}, an input of this synth, and synth replaces the whole directory; expected an --out that holds no input, such as spotcover.out",
                out.display(),
                input.display()
            );
        }
    }
    Ok(target)
}

/// Writes the files into a fresh directory beside `out`, then swaps it in: a failure
/// leaves the previous output as it was.
pub fn write_out_dir(out: &Path, files: &[OutFile]) -> anyhow::Result<()> {
    if out.exists() && !is_replaceable(out)? {
        bail!(
            "refusing to replace {}: it is not empty and holds no manifest.json of an earlier synth",
            out.display()
        );
    }
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).with_context(|| format!("creating {}", parent.display()))?;
    let staging = tempfile::Builder::new()
        .prefix(".spotcover-staging-")
        .tempdir_in(&parent)
        .with_context(|| format!("creating a staging directory in {}", parent.display()))?;
    for f in files {
        let path = staging.path().join(&f.path);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&path, &f.bytes).with_context(|| format!("writing {}", path.display()))?;
    }
    let staged = staging.keep();
    let swapped = swap_in(&staged, out, &parent);
    if swapped.is_err() {
        std::fs::remove_dir_all(&staged).ok();
    }
    swapped
}

/// Puts `staged` in place of `out`. Concurrent synths into one `--out` each succeed, and
/// `out` is always one run's complete output: every step is a rename of a whole
/// directory, each run moves the current output aside into its own uniquely named
/// directory, and a run that finds `out` gone, or taken again by another run, tries again.
fn swap_in(staged: &Path, out: &Path, parent: &Path) -> anyhow::Result<()> {
    const ATTEMPTS: usize = 10_000;
    for _ in 0..ATTEMPTS {
        match std::fs::rename(staged, out) {
            Ok(()) => return Ok(()),
            Err(e) if occupied(&e) => {}
            Err(e) => {
                return Err(e)
                    .with_context(|| format!("moving the new output to {}", out.display()));
            }
        }
        // The current output goes into a temporary directory, deleted with it.
        let old = tempfile::Builder::new()
            .prefix(".spotcover-old-")
            .tempdir_in(parent)?;
        match std::fs::rename(out, old.path().join("out")) {
            Ok(()) => {}
            // Another run moved it aside first: try again.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                return Err(e)
                    .with_context(|| format!("moving the previous {} aside", out.display()));
            }
        }
        match std::fs::rename(staged, out) {
            Ok(()) => return Ok(()),
            // Another run's complete output took the place: replace it in turn.
            Err(e) if occupied(&e) => continue,
            Err(e) => {
                std::fs::rename(old.path().join("out"), out).ok();
                return Err(e)
                    .with_context(|| format!("moving the new output to {}", out.display()));
            }
        }
    }
    bail!(
        "moving the new output to {}: other runs kept replacing it",
        out.display()
    )
}

/// `rename` failed because the target is a directory that is not empty.
fn occupied(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::DirectoryNotEmpty | std::io::ErrorKind::AlreadyExists
    )
}

fn is_replaceable(out: &Path) -> anyhow::Result<bool> {
    if !out.is_dir() {
        // Gone since `exists()`: a concurrent synth is swapping it.
        return Ok(!out.exists());
    }
    // One listing decides, so a concurrent synth swapping `out` between two looks cannot
    // make a complete output look foreign.
    match std::fs::read_dir(out) {
        Ok(entries) => {
            let names: Vec<_> = entries
                .filter_map(|e| e.ok().map(|e| e.file_name()))
                .collect();
            Ok(names.is_empty() || names.iter().any(|n| n == "manifest.json"))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(true),
        Err(e) => Err(e.into()),
    }
}
