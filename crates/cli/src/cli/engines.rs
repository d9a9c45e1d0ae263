//! `spotcover simulate --engines both`: the scenario under both engines on the same
//! footing (`spotcover_simulate::compare_engines`), printed as one table or JSON.

use std::process::ExitCode;

use spotcover_stack::ConfigError;

use super::{SimulateArgs, SimulateFormat};
use crate::config_file::{Failure, load, pick_region};
use crate::input::read_text;
use crate::input::{self, emit};

/// Runs the comparison for `args` and prints it; no chart.
pub(super) fn simulate_both(args: &SimulateArgs) -> Result<ExitCode, Failure> {
    let resolved = load(&args.config)?;
    let chosen = pick_region(&resolved, args.region.as_deref(), &args.config)?;
    let text = read_text(&args.scenario, input::SCENARIO)?;
    let scenario_error = |e: ConfigError| Failure::Config(args.scenario.clone(), vec![e]);
    let scenario = spotcover_simulate::Scenario::from_yaml(&text).map_err(scenario_error)?;
    let comparison =
        spotcover_simulate::compare_engines(&chosen.config, &scenario).map_err(scenario_error)?;
    emit(&match args.format {
        SimulateFormat::Table => comparison.table(),
        SimulateFormat::Json => {
            let mut json =
                serde_json::to_string_pretty(&comparison).map_err(anyhow::Error::from)?;
            json.push('\n');
            json
        }
    })?;
    Ok(ExitCode::SUCCESS)
}
