//! Flags and the one place that turns outcomes into exit codes: 0 done, 1 "differs"
//! (reserved for checks), 2 bad input or failure.
//!
//! One file on purpose: the clap definitions and `execute`'s match are one table of
//! commands, each arm one line calling that subcommand's function below, and splitting them
//! would scatter the choice of exit codes this file exists to keep in one place.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use std::io::IsTerminal;

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use serde_json::Value;
use spotcover_stack::config::LambdaArchitecture;
use spotcover_stack::diff::Templates;
use spotcover_stack::{ConfigError, Format, Resolved};

mod engines;

use crate::asset::{self, Asset};
use crate::config_file::{Failure, load, pick_region};
use crate::input::{self, emit, read_text, refuse_overwriting_inputs, warn};
use crate::synth;

#[derive(Debug, Parser)]
#[command(
    name = "spotcover",
    version = asset::shipped::VERSION,
    about = "CloudFormation for ECS on EC2 Spot with an on-demand safety net",
    long_about = "spotcover turns a short stack config into a CloudFormation template: an ECS \
cluster on a Spot Fleet that follows the cluster's demand, a backup on-demand Auto Scaling \
group, and the reconciler Lambda that sets the fleet's target from the demand ECS reports and \
sizes the group to cover what spot cannot deliver, giving it back drained when spot returns."
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
    /// Compare two stacks: what CloudFormation will add, remove, update or REPLACE.
    ///
    /// Each side is a template file, a synth output directory, or a config (synthesized
    /// on the fly). Exit status 0 when equal, 1 when different, 2 on bad input.
    #[command(
        after_help = "Examples:\n  spotcover diff spotcover.out examples/quickstart.yaml\n  spotcover diff old.template.yaml new.template.yaml --format markdown > comment.md"
    )]
    Diff(DiffArgs),
    /// Draw the stack's resources and control flow (Mermaid for Markdown, or DOT).
    #[command(
        after_help = "Examples:\n  spotcover graph examples/quickstart.yaml\n  spotcover graph examples/quickstart.yaml --format dot | dot -Tsvg > stack.svg"
    )]
    Graph(GraphArgs),
    /// Simulate spot outages minute by minute and compare reconciler policies:
    /// uncovered capacity, on-demand hours and cost, against spot-only, the 2017 policy
    /// and an oracle. Prints a table and writes an SVG chart.
    #[command(
        after_help = "Examples:\n  spotcover simulate examples/quickstart.yaml --scenario examples/scenarios/full-outage.yaml\n  spotcover simulate examples/asg.yaml --scenario examples/scenarios/blips.yaml --engines both"
    )]
    Simulate(SimulateArgs),
    /// Print the config's JSON Schema (for editors and CI checks), or its reference.
    #[command(
        after_help = "Examples:\n  spotcover schema > spotcover.schema.json\n  spotcover schema --markdown > config.md"
    )]
    Schema {
        /// Print the reference in Markdown instead: every key with its type, default and
        /// description, from the schema (as docs/config.md holds it).
        #[arg(long)]
        markdown: bool,
    },
    /// Export a deployed stack's history (prints the AWS CLI commands), or read the
    /// exports back into a scenario that replays it (`--to-scenario`).
    #[command(
        after_help = "Examples:\n  spotcover history stack.yaml --dir hist --start 2026-12-01T00:00:00Z --end 2026-12-08T00:00:00Z | sh\n  spotcover history stack.yaml --dir hist --to-scenario replay.yaml --on-demand-price 0.096"
    )]
    History(crate::history::HistoryArgs),
    /// Sweep the knobs that trade capacity against dollars over scenarios: the Pareto
    /// frontier, a chart, and the recommended values as a config diff.
    #[command(
        after_help = "Example:\n  spotcover tune stack.yaml --scenario replay.yaml --chart tune.svg"
    )]
    Tune(crate::tune::TuneArgs),
    /// Build the reconciler Lambda from a spotcover checkout (for changing it).
    #[command(subcommand)]
    Reconciler(ReconcilerCommand),
    /// Print a shell completion script.
    #[command(
        after_help = "Example:\n  spotcover completions bash > /etc/bash_completion.d/spotcover"
    )]
    Completions { shell: clap_complete::Shell },
}

#[derive(Debug, Subcommand)]
pub enum ReconcilerCommand {
    /// Build the reconciler's zip from source, as the shipped ones are built (the pinned
    /// toolchain of rust-toolchain.toml, cargo-zigbuild from tools/setup), and print
    /// `ARCH=PATH` for each: a value for `synth --reconciler-zip`.
    #[command(
        after_help = "Example:\n  spotcover synth stack.yaml --reconciler-zip \"$(spotcover reconciler build --arch arm64)\""
    )]
    Build {
        /// Lambda architecture; repeatable.
        #[arg(long, value_name = "ARCH", value_parser = parse_arch, default_value = "x86_64")]
        arch: Vec<LambdaArchitecture>,
        /// The spotcover checkout (default: the one holding the current directory).
        #[arg(long, value_name = "DIR")]
        source: Option<PathBuf>,
    },
}

fn parse_arch(s: &str) -> Result<LambdaArchitecture, String> {
    match s {
        "x86_64" => Ok(LambdaArchitecture::X86_64),
        "arm64" => Ok(LambdaArchitecture::Arm64),
        _ => Err(format!(
            "unknown architecture {s:?}: expected x86_64 or arm64"
        )),
    }
}

#[derive(Debug, clap::Args)]
pub struct GraphArgs {
    /// The stack config (YAML).
    config: PathBuf,
    #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
    format: GraphFormat,
    /// With `regions:`, the region to draw (default: the first).
    #[arg(long)]
    region: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// The old side: template file, synth output directory, or config.
    pub old: PathBuf,
    /// The new side: template file, synth output directory, or config.
    pub new: PathBuf,
    #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
    pub format: DiffFormat,
    /// For a config side: use this reconciler zip instead of the one spotcover ships.
    #[arg(long, value_name = "[ARCH=]PATH", value_parser = parse_zip_arg)]
    pub reconciler_zip: Vec<ZipArg>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DiffFormat {
    /// Coloured when printing to a terminal (NO_COLOR turns colour off).
    Text,
    Markdown,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct SimulateArgs {
    /// The stack config (YAML).
    pub config: PathBuf,
    /// The scenario (YAML): demand, spot pools' availability and prices, on-demand price.
    #[arg(long)]
    pub scenario: PathBuf,
    #[arg(long, value_enum, default_value_t = SimulateFormat::Table)]
    pub format: SimulateFormat,
    /// Where to write the chart (default: the scenario's name with `.svg`, in the
    /// current directory).
    #[arg(long, value_name = "PATH")]
    pub chart: Option<PathBuf>,
    /// With `regions:`, the region to simulate (default: the first).
    #[arg(long)]
    pub region: Option<String>,
    /// `config`: the config's engine, every policy, and a chart. `both`: the fleet and
    /// the asg engine on the same scenario, demand read as tasks of one instance each,
    /// uncovered task-minutes and total $ for each (no chart).
    #[arg(long, value_enum, default_value_t = SimulateEngines::Config, conflicts_with = "chart")]
    pub engines: SimulateEngines,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SimulateEngines {
    Config,
    Both,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SimulateFormat {
    Table,
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum GraphFormat {
    Mermaid,
    Dot,
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
    /// Use this reconciler zip (holding an executable `bootstrap`) instead of the one
    /// spotcover ships. `arm64=PATH` or `x86_64=PATH` gives one architecture's zip;
    /// a bare PATH serves every architecture the config uses. Repeatable.
    #[arg(long, value_name = "[ARCH=]PATH", value_parser = parse_zip_arg)]
    pub reconciler_zip: Vec<ZipArg>,
    /// Write nothing; exit 1 naming every file in --out that differs from what synth
    /// would write now (a CI gate for committed output).
    #[arg(long)]
    pub check: bool,
}

/// A prebuilt zip, for one architecture or (`arch: None`) for all.
#[derive(Debug, Clone, PartialEq)]
pub struct ZipArg {
    pub arch: Option<LambdaArchitecture>,
    pub path: PathBuf,
}

fn parse_zip_arg(s: &str) -> Result<ZipArg, String> {
    let arch = |name: &str| parse_arch(name).ok();
    // A file that exists is a path, whatever its name (`a=b.zip`).
    if Path::new(s).exists() {
        return Ok(ZipArg {
            arch: None,
            path: s.into(),
        });
    }
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

pub fn run(cli: Cli) -> ExitCode {
    match execute(cli) {
        Ok(code) => code,
        Err(Failure::Config(file, errors)) => {
            for e in errors {
                warn(&format!("spotcover: {}", e.in_file(file.display())));
            }
            ExitCode::from(2)
        }
        Err(Failure::Other(e)) => {
            warn(&format!("spotcover: {e:#}"));
            ExitCode::from(2)
        }
    }
}

fn execute(cli: Cli) -> Result<ExitCode, Failure> {
    match cli.command {
        Command::Synth(args) => run_synth(&args),
        Command::Validate { config } => run_validate(&config),
        Command::Diff(args) => run_diff(&args),
        Command::Graph(args) => run_graph(&args),
        Command::Simulate(args) if args.engines == SimulateEngines::Both => {
            engines::simulate_both(&args)
        }
        Command::Simulate(args) => run_simulate(&args),
        Command::History(args) => crate::history::run(args),
        Command::Tune(args) => crate::tune::run(args),
        Command::Schema { markdown } => run_schema(markdown),
        Command::Reconciler(command) => run_reconciler(command),
        Command::Completions { shell } => run_completions(shell),
    }
}

/// `spotcover synth`: render every region's files, then check them (`--check`: exit 1 when
/// the out dir differs) or write them.
fn run_synth(args: &SynthArgs) -> Result<ExitCode, Failure> {
    let resolved = load(&args.config)?;
    print_warnings(&args.config, &resolved);
    warn_unused_zips(&[&resolved], &args.reconciler_zip);
    let assets = assets(&resolved, &args.reconciler_zip)?;
    let files = synth::render_all(&resolved, &assets, args.format.into())
        .map_err(|e| synth_failure(e, &args.config))?;
    if args.check {
        let problems = synth::check_out_dir(&args.out, &files)?;
        for (path, what) in &problems {
            warn(&format!("spotcover: {} {what}", path.display()));
        }
        if !problems.is_empty() {
            warn(&format!(
                "spotcover: {} is out of date: run `spotcover synth {} --out {}`",
                args.out.display(),
                args.config.display(),
                args.out.display()
            ));
            return Ok(ExitCode::from(1));
        }
        emit(&format!("{}: up to date\n", args.out.display()))?;
        return Ok(ExitCode::SUCCESS);
    }
    let out = synth::resolve_out(&args.out, &inputs(&args.config, &resolved))?;
    synth::write_out_dir(&out, &files)?;
    let listing: String = files
        .iter()
        .map(|f| format!("{}\n", args.out.join(&f.path).display()))
        .collect();
    emit(&listing)?;
    Ok(ExitCode::SUCCESS)
}

/// `spotcover validate`: every problem, or `ok` with the regions.
fn run_validate(config: &Path) -> Result<ExitCode, Failure> {
    let resolved = load(config)?;
    print_warnings(config, &resolved);
    let regions: Vec<_> = resolved
        .iter()
        .filter_map(|r| r.region.as_deref())
        .collect();
    if regions.is_empty() {
        emit(&format!("{}: ok\n", config.display()))?;
    } else {
        emit(&format!(
            "{}: ok ({})\n",
            config.display(),
            regions.join(", ")
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `spotcover diff`: exit 0 when equal, 1 when different.
fn run_diff(args: &DiffArgs) -> Result<ExitCode, Failure> {
    let old = side(&args.old, &args.reconciler_zip)?;
    let new = side(&args.new, &args.reconciler_zip)?;
    let d = spotcover_stack::diff::diff(&old, &new);
    let text = match args.format {
        DiffFormat::Text => {
            let color = std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
            spotcover_stack::diff::render_text(&d, color)
        }
        DiffFormat::Markdown => spotcover_stack::diff::render_markdown(&d),
        DiffFormat::Json => {
            let mut json = serde_json::to_string_pretty(&d).map_err(anyhow::Error::from)?;
            json.push('\n');
            json
        }
    };
    emit(&text)?;
    Ok(if d.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `spotcover graph`: one region's resources and control flow.
fn run_graph(args: &GraphArgs) -> Result<ExitCode, Failure> {
    let resolved = load(&args.config)?;
    let chosen = pick_region(&resolved, args.region.as_deref(), &args.config)?;
    // The picture does not depend on the reconciler's code: no build.
    let asset = spotcover_stack::Asset {
        sha256: "0".repeat(64),
    };
    let doc = spotcover_stack::compose(&chosen.config, &asset)
        .and_then(|t| t.to_value())
        .map_err(anyhow::Error::from)?;
    let graph = spotcover_stack::graph::Graph::from_template(&doc);
    emit(&match args.format {
        GraphFormat::Mermaid => graph.mermaid(),
        GraphFormat::Dot => graph.dot(),
    })?;
    Ok(ExitCode::SUCCESS)
}

/// `spotcover simulate`: the table or JSON on stdout, the chart beside.
fn run_simulate(args: &SimulateArgs) -> Result<ExitCode, Failure> {
    let resolved = load(&args.config)?;
    let chosen = pick_region(&resolved, args.region.as_deref(), &args.config)?;
    let text = read_text(&args.scenario, input::SCENARIO)?;
    let scenario_error = |e: ConfigError| {
        let mut errors = vec![e];
        spotcover_stack::locate(&text, &mut errors);
        Failure::Config(args.scenario.clone(), errors)
    };
    let scenario = spotcover_simulate::Scenario::from_yaml(&text).map_err(scenario_error)?;
    let report = spotcover_simulate::simulate(&chosen.config, &scenario).map_err(scenario_error)?;
    let chart = args.chart.clone().unwrap_or_else(|| {
        let stem = args.scenario.file_stem().unwrap_or_default();
        PathBuf::from(stem).with_extension("svg")
    });
    refuse_overwriting_inputs(&chart, &[&args.config, &args.scenario])?;
    std::fs::write(&chart, report.svg())
        .with_context(|| format!("writing the chart {}", chart.display()))?;
    warn(&format!("spotcover: chart written to {}", chart.display()));
    emit(&match args.format {
        SimulateFormat::Table => report.table(),
        SimulateFormat::Json => {
            let mut json = serde_json::to_string_pretty(&report).map_err(anyhow::Error::from)?;
            json.push('\n');
            json
        }
    })?;
    Ok(ExitCode::SUCCESS)
}

/// `spotcover schema`.
/// `spotcover schema`: the JSON Schema, or (`--markdown`) the reference docs/config.md holds.
fn run_schema(markdown: bool) -> Result<ExitCode, Failure> {
    emit(&if markdown {
        spotcover_stack::config_reference()
    } else {
        spotcover_stack::config_schema()
    })?;
    Ok(ExitCode::SUCCESS)
}

/// `spotcover reconciler build`: `ARCH=PATH` per architecture.
fn run_reconciler(command: ReconcilerCommand) -> Result<ExitCode, Failure> {
    let ReconcilerCommand::Build { arch, source } = command;
    let root = match source {
        Some(dir) => dir,
        None => {
            let cwd = std::env::current_dir().context("the current directory")?;
            asset::find_source_tree(&cwd).with_context(|| {
                format!(
                    "{} is not inside a spotcover checkout: run this in one, or pass --source",
                    cwd.display()
                )
            })?
        }
    };
    let mut arches = arch;
    arches.dedup();
    for a in arches {
        let zip = asset::build(&root, a)?;
        emit(&format!("{}={}\n", a.as_str(), zip.display()))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `spotcover completions SHELL`.
fn run_completions(shell: clap_complete::Shell) -> Result<ExitCode, Failure> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "spotcover", &mut script);
    emit(&String::from_utf8_lossy(&script))?;
    Ok(ExitCode::SUCCESS)
}

fn synth_failure(e: synth::Error, config: &Path) -> Failure {
    match e {
        synth::Error::Config(errors) => Failure::Config(config.to_owned(), errors),
        synth::Error::Other(e) => Failure::Other(e),
    }
}

/// One side of a diff, as templates by name (`<stack>` or `<stack>.<region>`).
fn side(path: &Path, zips: &[ZipArg]) -> Result<Templates, Failure> {
    let strip = |file: &str| {
        [".template.yaml", ".template.json", ".yaml", ".yml", ".json"]
            .iter()
            .find_map(|ext| file.strip_suffix(ext))
            .unwrap_or(file)
            .to_owned()
    };
    let read_template = |p: &Path| -> Result<Value, Failure> {
        let text = read_text(p, input::TEMPLATE)?;
        let doc = spotcover_stack::template_text::parse_template(&text).map_err(|e| {
            anyhow::anyhow!(
                "{}: not a YAML or JSON template: {}",
                p.display(),
                spotcover_stack::elide(&e)
            )
        })?;
        Ok(doc)
    };
    if path.is_dir() {
        let mut out = Vec::new();
        for entry in
            std::fs::read_dir(path).with_context(|| format!("reading {}", path.display()))?
        {
            let p = entry.map_err(anyhow::Error::from)?.path();
            let name = p
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            if name.contains(".template.") {
                out.push((strip(&name), read_template(&p)?));
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        if out.is_empty() {
            return Err(Failure::Other(anyhow::anyhow!(
                "{}: no *.template.yaml or *.template.json in this directory",
                path.display()
            )));
        }
        return Ok(out);
    }
    let doc = read_template(path)?;
    let is_json = path.extension().is_some_and(|e| e == "json");
    let is_config = doc.get("stack").is_some() && doc.get("Resources").is_none();
    if !is_config || is_json {
        if let Err(why) = spotcover_stack::template_text::check_template(&doc) {
            return Err(Failure::Other(anyhow::anyhow!(
                "{}: not a CloudFormation template: {why}{}",
                path.display(),
                if is_json {
                    ""
                } else {
                    " (or a spotcover config, with `stack:`)"
                }
            )));
        }
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        return Ok(vec![(strip(&name), doc)]);
    }
    let resolved = load(path)?;
    let assets = assets(&resolved, zips)?;
    let composed = synth::compose_all(&resolved, &assets).map_err(|e| synth_failure(e, path))?;
    Ok(composed.into_iter().map(|t| (t.name, t.doc)).collect())
}

/// A `--reconciler-zip ARCH=PATH` for an architecture no template uses would be ignored:
/// say so, so that a typo in the config or the flag does not go unnoticed.
fn warn_unused_zips(configs: &[&[Resolved]], zips: &[ZipArg]) {
    for z in zips {
        let Some(arch) = z.arch else { continue };
        let used = configs
            .iter()
            .flat_map(|c| c.iter())
            .any(|r| r.config.reconciler.architecture == arch);
        if !used && configs.iter().any(|c| !c.is_empty()) {
            warn(&format!(
                "spotcover: warning: --reconciler-zip {}={} is not used: no reconciler in the config runs on {}",
                arch.as_str(),
                z.path.display(),
                arch.as_str()
            ));
        }
    }
}

/// Prints what is valid but fails in some accounts; it changes no exit status.
fn print_warnings(path: &Path, resolved: &[Resolved]) {
    use std::io::Write;
    let mut stderr = std::io::stderr().lock();
    for w in resolved.iter().flat_map(|r| &r.warnings) {
        // A closed stderr loses the warning, nothing else.
        let _ = writeln!(stderr, "spotcover: warning: {}", w.in_file(path.display()));
    }
}

/// The files a synth reads: the config and the user-data files it names (relative to it).
fn inputs(config: &Path, resolved: &[Resolved]) -> Vec<PathBuf> {
    let dir = config.parent().unwrap_or(Path::new(""));
    let mut out = vec![config.to_owned()];
    for r in resolved {
        if let Some(file) = r
            .config
            .instances
            .user_data
            .as_ref()
            .and_then(|u| u.file.as_ref())
        {
            out.push(dir.join(file));
        }
    }
    out
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
            None => Asset::shipped(arch),
        };
        out.insert(arch, asset);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(parse_zip_arg("./dir=x/a.zip").unwrap().arch, None);
        assert!(parse_zip_arg("mips=a.zip").is_err());
    }
}
