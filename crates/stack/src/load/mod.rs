//! Reading a config: parse (with line, column and key path on failure, [`parse`]),
//! expand regions (`regions`), then check what types alone cannot ([`validate`]).

pub mod bounds;
mod engine;
mod intrinsics;
mod knobs;
mod known;
pub mod limits;
mod parameters;
mod parse;
mod partition;
pub mod regions;
mod validate;

use crate::config::StackConfig;
pub use crate::error::ConfigError;
pub use parse::parse;
pub use validate::{check_instance_type, validate, warnings};

/// The config as it applies to one template: the base, or one region's merge.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    /// `None` for a region-neutral template.
    pub region: Option<String>,
    pub config: StackConfig,
    /// Valid choices that fail in some accounts ([`warnings`]), located like errors.
    pub warnings: Vec<ConfigError>,
}

/// Reads a file a config names (`instances.user_data.file`), relative to the config.
pub type ReadFile<'a> = &'a dyn Fn(&str) -> Result<String, String>;

/// Parses and checks a config that names no files. Every problem found is returned, not
/// only the first.
pub fn load(text: &str) -> Result<Vec<Resolved>, Vec<ConfigError>> {
    load_with(text, &|path| {
        Err(format!(
            "cannot read {path}: this caller reads no files (the CLI does)"
        ))
    })
}

/// Parses and checks a config, reading the files it names with `read` (the stack crate
/// does no I/O itself).
pub fn load_with(text: &str, read: ReadFile<'_>) -> Result<Vec<Resolved>, Vec<ConfigError>> {
    let mut base: StackConfig = parse(text).map_err(|e| vec![e])?;
    if let Some(tagged) = intrinsics::read(text) {
        intrinsics::patch_typed(&mut base.overrides, &tagged["overrides"]);
    }
    let mut errors = read_files(&mut base, "", read);
    errors.extend(checks(&base, ""));
    errors.extend(engine::check(text, &base, ""));
    errors.extend(known::regions(&base));
    let mut out = Vec::new();
    if base.regions.is_empty() {
        out.push(Resolved {
            region: None,
            warnings: all_warnings(&base, ""),
            config: base,
        });
    } else {
        for (region, merged) in regions::expand(text, &base).map_err(|e| vec![e])? {
            match merged {
                Ok(mut config) => {
                    let prefix = regions::prefix(&region);
                    errors.extend(read_files(&mut config, &prefix, read));
                    errors.extend(checks(&config, &prefix));
                    errors.extend(engine::check(text, &config, &prefix));
                    errors.extend(partition::check(&config, &region, &prefix));
                    out.push(Resolved {
                        warnings: all_warnings(&config, &prefix),
                        region: Some(region),
                        config,
                    });
                }
                Err(e) => errors.push(e),
            }
        }
    }
    if errors.is_empty() {
        // Warnings name their line too.
        if let Some(positions) = parse::Positions::of(text) {
            for w in out.iter_mut().flat_map(|r| r.warnings.iter_mut()) {
                if w.location.is_none() {
                    w.location = positions.written(&w.path);
                }
            }
        }
        Ok(out)
    } else {
        if let Some(positions) = parse::Positions::of(text) {
            for e in errors.iter_mut().filter(|e| e.location.is_none()) {
                e.location = positions.written(&e.path);
            }
        }
        Err(errors)
    }
}

/// Gives each problem without a line the line and column of its key path in `text`
/// (a scenario's, say: its checks know the key, not the line).
pub fn locate(text: &str, problems: &mut [ConfigError]) {
    if let Some(positions) = parse::Positions::of(text) {
        for e in problems.iter_mut().filter(|e| e.location.is_none()) {
            e.location = positions.written(&e.path);
        }
    }
}

/// Every check of one config (the base, or a region's merge).
fn checks(c: &StackConfig, prefix: &str) -> Vec<ConfigError> {
    let mut errors = validate(c, prefix);
    errors.extend(knobs::validate(c, prefix));
    errors.extend(bounds::check(c, prefix));
    errors.extend(known::instance_types(c, prefix));
    errors.extend(limits::check(c, prefix));
    if errors.is_empty() {
        // Against the template this config composes, which needs a valid config.
        errors.extend(parameters::check(c, prefix));
        errors.extend(overrides(c, prefix));
    }
    errors
}

/// The overrides, applied to the template this config composes as synth applies them,
/// so that every command refuses what synth refuses.
fn overrides(c: &StackConfig, prefix: &str) -> Vec<ConfigError> {
    if c.overrides.entries().is_empty() {
        return Vec::new();
    }
    let asset = crate::compose::Asset {
        sha256: "0".repeat(64),
    };
    let Ok(mut doc) = crate::compose(c, &asset).and_then(|t| t.to_value()) else {
        return Vec::new(); // composing fails for its own reasons, reported by synth
    };
    crate::overrides::apply(c, &mut doc, prefix)
        .err()
        .unwrap_or_default()
}

fn all_warnings(c: &StackConfig, prefix: &str) -> Vec<ConfigError> {
    let mut out = warnings(c, prefix);
    out.extend(knobs::warnings(c, prefix));
    out.extend(engine::warnings(c, prefix));
    out
}

/// Fills `instances.user_data.text`: the inline script, or the file's contents.
fn read_files(c: &mut StackConfig, prefix: &str, read: ReadFile<'_>) -> Vec<ConfigError> {
    let Some(u) = c.instances.user_data.as_mut() else {
        return Vec::new();
    };
    u.text = u.inline.clone();
    if let (Some(file), None) = (&u.file, &u.inline) {
        if file.trim().is_empty() {
            return vec![ConfigError::at(
                parse::join_path(prefix, "instances.user_data.file"),
                "expected the path of a script, relative to the config file; found an empty string",
            )];
        }
        if validate::outside_config_dir(file) && !u.allow_outside_config_dir {
            return vec![ConfigError::at(
                parse::join_path(prefix, "instances.user_data.file"),
                format!(
                    "{file} is outside the config's directory, and spotcover reads only files beside the config unless it says otherwise: the whole script goes into every template and into `spotcover diff` output; move the script beside the config, or set instances.user_data.allow_outside_config_dir: true"
                ),
            )];
        }
        match read(file) {
            Ok(text) => u.text = Some(text),
            Err(e) => {
                return vec![ConfigError::at(
                    parse::join_path(prefix, "instances.user_data.file"),
                    e,
                )];
            }
        }
    }
    Vec::new()
}
