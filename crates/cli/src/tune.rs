//! `spotcover tune`: sweep the knobs over scenarios (a replay of the stack's history, or
//! shipped ones), print the Pareto frontier and the recommended config diff, write its
//! chart.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;

use anyhow::Context;
use clap::ValueEnum;
use spotcover_simulate::Scenario;
use spotcover_simulate::tune::{self, Preference};
use spotcover_stack::ConfigError;

use crate::config_file::{Failure, load, pick_region};
use crate::input::emit;
use crate::input::{self, read_text, refuse_overwriting_inputs, warn};

#[derive(Debug, clap::Args)]
pub struct TuneArgs {
    /// The stack config (YAML).
    pub config: PathBuf,
    /// A scenario to tune on (`spotcover history --to-scenario` writes the stack's own);
    /// repeatable: the figures are summed over them.
    #[arg(long, value_name = "FILE", required = true)]
    pub scenario: Vec<PathBuf>,
    /// What the recommendation optimises.
    #[arg(long, value_enum, default_value_t = Prefer::Cheapest)]
    pub prefer: Prefer,
    /// Where to write the chart of the frontier.
    #[arg(long, value_name = "PATH", default_value = "tune.svg")]
    pub chart: PathBuf,
    /// With `regions:`, the region to tune (default: the first).
    #[arg(long)]
    pub region: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Prefer {
    /// The least $ with uncovered unit-minutes at most the current config's.
    Cheapest,
    /// The fewest uncovered unit-minutes with $ at most the current config's.
    Covered,
}

pub fn run(args: TuneArgs) -> Result<ExitCode, Failure> {
    let resolved = load(&args.config)?;
    let chosen = pick_region(&resolved, args.region.as_deref(), &args.config)?;
    let config = &chosen.config;
    let mut scenarios = Vec::new();
    for path in &args.scenario {
        let text = read_text(path, input::SCENARIO)?;
        let located = |e: ConfigError| Failure::Config(path.clone(), vec![e]);
        let s = Scenario::from_yaml(&text).map_err(located)?;
        s.check_against(config).map_err(located)?;
        scenarios.push(s);
    }
    let mut inputs: Vec<&Path> = args.scenario.iter().map(PathBuf::as_path).collect();
    inputs.push(&args.config);
    refuse_overwriting_inputs(&args.chart, &inputs)?;

    let grid = tune::default_grid(config);
    // Progress on stderr, a line per tenth of the sweep.
    let shown = Mutex::new(0usize);
    let progress = |done: usize, total: usize| {
        let tenth = done * 10 / total.max(1);
        if let Ok(mut last) = shown.lock()
            && tenth > *last
        {
            *last = tenth;
            warn(&format!(
                "spotcover: tune: {done}/{total} combinations simulated"
            ));
        }
    };
    let t = tune::tune(config, &scenarios, &grid, &progress)
        .map_err(|e| Failure::Config(args.scenario[0].clone(), vec![e]))?;
    let pref = match args.prefer {
        Prefer::Cheapest => Preference::Cheapest,
        Prefer::Covered => Preference::Covered,
    };
    let rec = t.recommend(pref);
    std::fs::write(&args.chart, t.svg(rec))
        .with_context(|| format!("writing the chart {}", args.chart.display()))?;
    warn(&format!(
        "spotcover: chart written to {}",
        args.chart.display()
    ));
    let p = &t.points[rec];
    let diff = t.config_diff(rec, &args.config.display().to_string());
    let mut out = format!(
        "{} combinations on {} scenario(s); the Pareto frontier of (uncovered unit-minutes, total $):\n\n{}\nRecommended ({}): {} uncovered unit-minutes, ${:.2} (current: {}, ${:.2})\n",
        t.points.len(),
        scenarios.len(),
        t.table(),
        pref.describe(),
        p.uncovered_unit_minutes,
        p.total_cost,
        t.current().uncovered_unit_minutes,
        t.current().total_cost
    );
    if diff.is_empty() {
        out.push_str("The current config is the recommendation: no change.\n");
    } else {
        out.push('\n');
        out.push_str(&diff);
    }
    emit(&out)?;
    Ok(ExitCode::SUCCESS)
}
