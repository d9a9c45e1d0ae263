//! `spotcover history`: print the AWS CLI commands that export a deployed stack's history
//! (writing the queries file they read), or read those exports back into a scenario file.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, anyhow};
use spotcover_simulate::history::{self, Exports, Note, file};

use crate::config_file::{Failure, load, pick_region};
use crate::input::emit;
use crate::input::{self, read_text, warn};

#[derive(Debug, clap::Args)]
pub struct HistoryArgs {
    /// The stack config (YAML) the stack was deployed from.
    pub config: PathBuf,
    /// The history directory: `spotcover history` writes the queries file into it and
    /// the printed commands write their exports there.
    #[arg(long, value_name = "DIR")]
    pub dir: PathBuf,
    /// First minute to export, RFC 3339 (2026-12-01T00:00:00Z); at most 15 days ago
    /// (CloudWatch keeps 1-minute data 15 days).
    #[arg(long, value_name = "TIME", required_unless_present = "to_scenario")]
    pub start: Option<String>,
    /// End of the range (excluded), RFC 3339; at most one week after --start.
    #[arg(long, value_name = "TIME", required_unless_present = "to_scenario")]
    pub end: Option<String>,
    /// Read the exports in --dir and write the replay scenario to this file.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["start", "end"], requires = "on_demand_price")]
    pub to_scenario: Option<PathBuf>,
    /// With --to-scenario: the on-demand instance type's price per hour in dollars (no
    /// export carries it).
    #[arg(long, value_name = "DOLLARS")]
    pub on_demand_price: Option<f64>,
    /// With `regions:`, the region of the stack (default: the first); the commands get
    /// `--region`.
    #[arg(long)]
    pub region: Option<String>,
}

fn time_arg(flag: &str, v: &str) -> anyhow::Result<i64> {
    history::parse_time(v).ok_or_else(|| {
        anyhow!("{flag}: expected an RFC 3339 time such as 2026-12-01T00:00:00Z, found {v:?}")
    })
}

fn warn_notes(notes: &[Note]) {
    for n in notes {
        warn(&format!("spotcover: warning: {n}"));
    }
}

pub fn run(args: HistoryArgs) -> Result<ExitCode, Failure> {
    let resolved = load(&args.config)?;
    let chosen = pick_region(&resolved, args.region.as_deref(), &args.config)?;
    let config = &chosen.config;
    let region = chosen.region.as_deref().or(args.region.as_deref());
    match &args.to_scenario {
        None => {
            let (Some(start), Some(end)) = (&args.start, &args.end) else {
                return Err(anyhow!("--start and --end are required without --to-scenario").into());
            };
            let (start, end) = (time_arg("--start", start)?, time_arg("--end", end)?);
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64);
            let dir = args.dir.to_string_lossy();
            let plan = history::commands::plan(config, region, start, end, &dir, now)
                .map_err(|e| anyhow!("{e}"))?;
            std::fs::create_dir_all(&args.dir)
                .with_context(|| format!("creating {}", args.dir.display()))?;
            for (name, text) in [
                (file::MANIFEST, &plan.manifest),
                (file::QUERIES, &plan.queries),
            ] {
                let path = args.dir.join(name);
                crate::input::refuse_overwriting_inputs(&path, &[&args.config])?;
                std::fs::write(&path, text)
                    .with_context(|| format!("writing {}", path.display()))?;
            }
            warn_notes(&plan.notes);
            emit(&plan.script)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(out) => {
            let price = args.on_demand_price.unwrap_or(f64::NAN);
            let read = |name: &str| -> anyhow::Result<Option<String>> {
                let path = args.dir.join(name);
                if !path.exists() {
                    return Ok(None);
                }
                read_text(&path, input::EXPORT).map(Some)
            };
            let required = |name: &str| -> anyhow::Result<String> {
                read(name)?.ok_or_else(|| {
                    anyhow!(
                        "{}: not found: run the commands `spotcover history {} --dir {} --start TIME --end TIME` prints",
                        args.dir.join(name).display(),
                        args.config.display(),
                        args.dir.display()
                    )
                })
            };
            let manifest = required(file::MANIFEST)?;
            let metrics = required(file::METRICS)?;
            let (fleet, activities, prices) = (
                read(file::FLEET_HISTORY)?,
                read(file::ACTIVITIES)?,
                read(file::PRICES)?,
            );
            let exports = Exports {
                manifest: &manifest,
                metrics: &metrics,
                fleet_history: fleet.as_deref(),
                activities: activities.as_deref(),
                prices: prices.as_deref(),
            };
            let options = history::Options {
                on_demand_price_per_hour: price,
            };
            let r = history::reconstruct(config, &exports, &options)
                .map_err(|e| anyhow!("{}: {}", args.dir.join(e.file).display(), e.message))?;
            let inputs: Vec<PathBuf> = [
                file::MANIFEST,
                file::METRICS,
                file::FLEET_HISTORY,
                file::ACTIVITIES,
                file::PRICES,
                file::QUERIES,
            ]
            .iter()
            .map(|n| args.dir.join(n))
            .chain([args.config.clone()])
            .collect();
            let inputs: Vec<&Path> = inputs.iter().map(PathBuf::as_path).collect();
            crate::input::refuse_overwriting_inputs(out, &inputs)?;
            std::fs::write(out, r.to_yaml(&config.stack))
                .with_context(|| format!("writing {}", out.display()))?;
            warn_notes(&r.notes);
            emit(&format!(
                "{}: {} minutes of stack {} from {}; observed {:.0} uncovered unit-minutes; replay with `spotcover simulate {} --scenario {}`\n",
                out.display(),
                r.scenario.duration_minutes,
                config.stack,
                history::format_time(r.start),
                r.observed.uncovered_unit_minutes,
                args.config.display(),
                out.display()
            ))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
