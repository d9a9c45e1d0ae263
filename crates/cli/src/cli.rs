//! Flags and the one place that turns outcomes into exit codes: 0 done, 1 "differs"
//! (reserved for checks), 2 bad input or failure.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use spotcover_stack::config::LambdaArchitecture;
use spotcover_stack::{ConfigError, Format, Resolved};

use crate::asset::{self, Asset};
use crate::synth;

#[derive(Debug, Parser)]
#[command(
    name = "spotcover",
    version,
    about = "CloudFormation for ECS on EC2 Spot with an on-demand safety net",
    long_about = "spotcover turns a short stack config into a CloudFormation template: an ECS \
cluster on a Spot Fleet that follows the cluster's reservation, a backup on-demand Auto \
Scaling group, and the reconciler Lambda that sizes the group to cover what spot leaves pending."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write the template(s), the reconciler's zip and manifest.json into a directory.
    #[command(
        after_help = "Example:\n  spotcover synth examples/quickstart.yaml --out spotcover.out"
    )]
    Synth(SynthArgs),
    /// Check a config and report every problem, writing nothing.
    #[command(after_help = "Example:\n  spotcover validate examples/quickstart.yaml")]
    Validate {
        /// The stack config (YAML).
        config: PathBuf,
    },
    /// Print the config's JSON Schema (for editors and CI checks).
    #[command(after_help = "Example:\n  spotcover schema > spotcover.schema.json")]
    Schema,
}

#[derive(Debug, clap::Args)]
pub struct SynthArgs {
    /// The stack config (YAML).
    pub config: PathBuf,
    /// Output directory; replaced as a whole, never half-written.
    #[arg(long, default_value = "spotcover.out")]
    pub out: PathBuf,
    /// Template format.
    #[arg(long, value_enum, default_value_t = FormatArg::Yaml)]
    pub format: FormatArg,
    /// Use a prebuilt reconciler zip (holding an executable `bootstrap`) instead of
    /// building it with cargo. `arm64=PATH` or `x86_64=PATH` gives one architecture's zip;
    /// a bare PATH serves every architecture the config uses. Repeatable.
    #[arg(long, value_name = "[ARCH=]PATH", value_parser = parse_zip_arg)]
    pub reconciler_zip: Vec<ZipArg>,
}

/// A prebuilt zip, for one architecture or (`arch: None`) for all.
#[derive(Debug, Clone, PartialEq)]
pub struct ZipArg {
    pub arch: Option<LambdaArchitecture>,
    pub path: PathBuf,
}

fn parse_zip_arg(s: &str) -> Result<ZipArg, String> {
    let arch = |name: &str| match name {
        "x86_64" => Some(LambdaArchitecture::X86_64),
        "arm64" => Some(LambdaArchitecture::Arm64),
        _ => None,
    };
    match s.split_once('=') {
        Some((name, path)) if arch(name).is_some() => Ok(ZipArg {
            arch: arch(name),
            path: path.into(),
        }),
        Some((name, _)) if !name.contains('/') => Err(format!(
            "unknown architecture {name:?}: expected x86_64 or arm64"
        )),
        _ => Ok(ZipArg {
            arch: None,
            path: s.into(),
        }),
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FormatArg {
    Yaml,
    Json,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Yaml => Format::Yaml,
            FormatArg::Json => Format::Json,
        }
    }
}

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

pub fn run(cli: Cli) -> ExitCode {
    match execute(cli) {
        Ok(code) => code,
        Err(Failure::Config(file, errors)) => {
            for e in errors {
                eprintln!("spotcover: {}{e}", file.display());
            }
            ExitCode::from(2)
        }
        Err(Failure::Other(e)) => {
            eprintln!("spotcover: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn execute(cli: Cli) -> Result<ExitCode, Failure> {
    match cli.command {
        Command::Synth(args) => {
            let resolved = load(&args.config)?;
            let assets = assets(&resolved, &args.reconciler_zip)?;
            let files = synth::render_all(&resolved, &assets, args.format.into())?;
            synth::write_out_dir(&args.out, &files)?;
            for f in &files {
                println!("{}", args.out.join(&f.path).display());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Validate { config } => {
            let resolved = load(&config)?;
            let regions: Vec<_> = resolved
                .iter()
                .filter_map(|r| r.region.as_deref())
                .collect();
            if regions.is_empty() {
                println!("{}: ok", config.display());
            } else {
                println!("{}: ok ({})", config.display(), regions.join(", "));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Schema => {
            print!("{}", spotcover_stack::config_schema());
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn load(path: &Path) -> Result<Vec<Resolved>, Failure> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading config {}", path.display()))?;
    spotcover_stack::load(&text).map_err(|errors| Failure::Config(path.to_owned(), errors))
}

fn assets(
    resolved: &[Resolved],
    prebuilt: &[ZipArg],
) -> anyhow::Result<BTreeMap<LambdaArchitecture, Asset>> {
    let mut out = BTreeMap::new();
    for r in resolved {
        let arch = r.config.reconciler.architecture;
        if out.contains_key(&arch) {
            continue;
        }
        let zip = prebuilt
            .iter()
            .find(|z| z.arch == Some(arch))
            .or_else(|| prebuilt.iter().find(|z| z.arch.is_none()))
            .map(|z| z.path.as_path());
        let asset = match zip {
            Some(path) => {
                let bytes =
                    std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
                asset::check_zip(&bytes, path)?;
                Asset::new(bytes)
            }
            None => asset::build(arch)?,
        };
        out.insert(arch, asset);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn flags_are_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn synth_defaults() {
        let cli = Cli::try_parse_from(["spotcover", "synth", "c.yaml"]).unwrap();
        let Command::Synth(args) = cli.command else {
            panic!("not synth")
        };
        assert_eq!(args.out, PathBuf::from("spotcover.out"));
        assert!(matches!(args.format, FormatArg::Yaml));
    }

    #[test]
    fn reconciler_zip_takes_an_optional_architecture() {
        assert_eq!(
            parse_zip_arg("arm64=a.zip"),
            Ok(ZipArg {
                arch: Some(LambdaArchitecture::Arm64),
                path: "a.zip".into()
            })
        );
        assert_eq!(parse_zip_arg("dir=x/a.zip").unwrap().arch, None);
        assert!(parse_zip_arg("mips=a.zip").is_err());
    }
}
