//! The config file as every command reads it: loaded with the files it names, one region
//! picked, and the [`Failure`] a command answers with (the CLI turns it into exit 2).

use std::path::{Path, PathBuf};

use anyhow::Context;
use spotcover_stack::{ConfigError, Resolved};

use crate::input::{self, read_text};

/// Why a command failed.
pub enum Failure {
    /// The config is wrong; each problem is printed with the file's name.
    Config(PathBuf, Vec<ConfigError>),
    Other(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure::Other(e)
    }
}

/// The config at `path`, every region resolved; files it names are read relative to it.
pub fn load(path: &Path) -> Result<Vec<Resolved>, Failure> {
    let text = read_text(path, input::CONFIG)?;
    // Files the config names (`instances.user_data.file`) are relative to it, and read
    // with user data's own cap (the stack crate refuses, before asking, a path outside
    // the config's directory that the config does not allow).
    let dir = path.parent().unwrap_or(Path::new("")).to_owned();
    let read = |name: &str| {
        input::refuse_link_out_of(&dir, name)?;
        read_text(&dir.join(name), input::USER_DATA)
            .map_err(|e| format!("cannot read {name}: {}", e.root_cause()))
    };
    spotcover_stack::load_with(&text, &read)
        .map_err(|errors| Failure::Config(path.to_owned(), errors))
}

/// The region a command works on: `--region`, or the first.
pub fn pick_region<'a>(
    resolved: &'a [Resolved],
    region: Option<&str>,
    config: &Path,
) -> anyhow::Result<&'a Resolved> {
    match region {
        Some(name) => resolved
            .iter()
            .find(|r| r.region.as_deref() == Some(name))
            .with_context(|| format!("{}: no region {name} under `regions:`", config.display())),
        None => Ok(&resolved[0]),
    }
}
