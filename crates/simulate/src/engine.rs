//! Which world a config runs in: the Spot Fleet's or `engine: asg`'s.

use spotcover_stack::ConfigError;

use crate::report::Report;
use crate::scenario::Scenario;
use crate::{asg, sim};

/// Runs the scenario against the config under every policy of its engine: the fleet's
/// five, or `engine: asg`'s three (`capacity-providers`, `fallback`, `oracle`; the model
/// is on the `asg` module).
pub fn simulate(
    config: &spotcover_stack::StackConfig,
    scenario: &Scenario,
) -> Result<Report, ConfigError> {
    match config.engine {
        spotcover_stack::config::Engine::Fleet => sim::simulate(config, scenario),
        spotcover_stack::config::Engine::Asg => asg::simulate(config, scenario),
    }
}
