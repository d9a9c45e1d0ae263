//! The seam between the triggers and the policies: a trigger (`handlers`) reads
//! what it must and hands it to the configured policy here, the one place the Lambda
//! branches on the template's choice (`SPOTCOVER_POLICY`).
//!
//! - [`demand`]: the default; every trigger runs it (an interruption warning is drained
//!   and covered first, from the warning alone, a fleet error event ends the launch grace
//!   first);
//! - [`rule_2017`]: `policy: 2017`, the fleet's metrics -> the cover, and its per-notice
//!   cover with a claim.
//!
//! `engine: asg`'s fallback ([`spotcover_reconciler_core::policy::fallback`]) gets its
//! run here too, as a [`Chosen`] variant and a module of its own, with its triggers
//! (Auto Scaling's launch failure events, the teardown custom resource) as handlers.

pub mod demand;
pub mod rule_2017;

use spotcover_reconciler_core::EpochSeconds;
use spotcover_reconciler_core::contract::events::InstanceNotice;
use spotcover_reconciler_core::ecs::ContainerInstance;
use spotcover_reconciler_core::policy::{demand as demand_policy, rule_2017 as rule_2017_policy};

use crate::adapters::Aws;
use crate::config::Config;
use crate::report::{InterruptionReport, Report};

/// The policy the template chose, with its settings.
#[derive(Debug, Clone, Copy)]
pub enum Chosen<'a> {
    /// `SPOTCOVER_POLICY=demand`.
    Demand(&'a demand_policy::Settings),
    /// `SPOTCOVER_POLICY=2017` (or unset).
    Rule2017(&'a rule_2017_policy::Settings),
}

/// The configured policy.
pub fn chosen(config: &Config) -> Chosen<'_> {
    match &config.need {
        Some(settings) => Chosen::Demand(settings),
        None => Chosen::Rule2017(&config.policy),
    }
}

/// A run of the configured policy for `fleet_id` (a schedule, the alarm, a direct
/// invocation, a fleet event). `fleet_error_at`: a fleet event that says the fleet cannot
/// launch, heard at that time (the 2017 rule reads the fleet's metrics instead).
pub async fn reconcile<A: Aws>(
    api: &A,
    config: &Config,
    fleet_id: &str,
    fleet_error_at: Option<EpochSeconds>,
    now: EpochSeconds,
    dry_run: bool,
) -> Report {
    match chosen(config) {
        Chosen::Demand(s) => {
            demand::run(api, config, s, fleet_id, fleet_error_at, now, dry_run).await
        }
        Chosen::Rule2017(s) => rule_2017::run(api, config, s, fleet_id, now, dry_run).await,
    }
}

/// The configured policy's cover of an interruption notice for `ci`, an instance of the
/// stack's cluster.
pub async fn cover_notice<A: Aws>(
    api: &A,
    config: &Config,
    notice: &InstanceNotice,
    ci: ContainerInstance,
    ir: InterruptionReport,
    r: Report,
) -> Report {
    match chosen(config) {
        Chosen::Demand(s) => demand::cover_notice(api, config, s, notice, ci, ir, r).await,
        Chosen::Rule2017(s) => rule_2017::cover_notice(api, config, s, notice, ci, ir, r).await,
    }
}
