//! One handler per trigger, each doing observe -> the core's decision -> apply, and
//! answering one [`Report`]:
//!
//! - [`schedule`]: the schedule, a direct invocation, the PendingCapacity alarm;
//! - [`notice`]: a spot interruption warning or rebalance recommendation;
//! - [`lifecycle`]: the on-demand group's lifecycle hook;
//! - [`fleet_event`]: a Spot Fleet event (`aws.ec2spotfleet`);
//! - under `engine: asg` ([`handle_fallback_event`]): [`launch_failure`], the schedule
//!   (both run [`crate::fallback_run`]), and [`teardown`], the custom resource, which
//!   the Lambda answers whatever its engine.
//!
//! A handler of the fleet engine hands what it read to the configured policy through
//! [`crate::policies`], the one place the Lambda branches on the policy.
//!
//! [`handle_event`] classifies the event with the core's parser
//! ([`spotcover_reconciler_core::contract::events::parse`], the contract the template's rules
//! are composed from) and dispatches.

pub mod fleet_event;
pub mod launch_failure;
pub mod lifecycle;
pub mod notice;
pub mod schedule;
pub mod teardown;

use serde_json::Value;
use spotcover_reconciler_core::EpochSeconds;
use spotcover_reconciler_core::contract::events::{self, Invocation};

use crate::adapters::Aws;
use crate::config::{Config, ConfigError};
use crate::report::Report;

/// Handles one invocation event.
pub async fn handle_event<A: Aws>(
    api: &A,
    config: Result<Config, ConfigError>,
    event: &Value,
    now: EpochSeconds,
    dry_run: bool,
) -> Report {
    let r = Report::new(now, dry_run);
    let config = match config {
        Ok(c) => c,
        Err(e) => return r.fail(&e.into()),
    };
    match events::parse(event) {
        Ok(Invocation::Reconcile { fleet_id }) => {
            schedule::handle(api, &config, fleet_id, now, dry_run).await
        }
        Ok(Invocation::Instance(notice)) => {
            notice::handle(api, &config, &notice, now, dry_run).await
        }
        Ok(Invocation::Lifecycle(ev)) => lifecycle::handle(api, &config, &ev, now, dry_run).await,
        Ok(Invocation::Fleet(ev)) => fleet_event::handle(api, &config, &ev, now, dry_run).await,
        // `engine: asg`'s fallback run is handed its launch failures here, through
        // `crate::policies`; until it is, the event only reports its group.
        Ok(Invocation::LaunchFailure(ev)) => {
            let mut r = r;
            r.group = Some(ev.group);
            r
        }
        Err(e) => {
            let mut r = r.fail(&e.into());
            r.group = Some(config.group_name);
            r
        }
    }
}

/// Whether the environment is `engine: asg`'s: the fallback's group variable is set.
pub fn is_fallback(get: impl Fn(&str) -> Option<String>) -> bool {
    get(spotcover_reconciler_core::contract::settings::fallback::env::GROUP_NAME).is_some()
}

/// Handles one invocation under `engine: asg`: the group's launch-failure event, or
/// anything else as the scheduled backstop (the schedule, a direct invocation).
/// Custom resource requests go to [`teardown`] before this (they need no settings).
pub async fn handle_fallback_event<A: Aws>(
    api: &A,
    settings: Result<
        spotcover_reconciler_core::policy::fallback::Settings,
        spotcover_reconciler_core::contract::settings::fallback::SettingsError,
    >,
    event: &Value,
    now: EpochSeconds,
    dry_run: bool,
) -> Report {
    use spotcover_reconciler_core::launch_failure as lf;
    let s = match settings {
        Ok(s) => s,
        Err(e) => {
            return Report::new(now, dry_run).fail(&crate::error::Error::Fallback {
                kind: "config",
                message: format!("configuration: {e}"),
            });
        }
    };
    if lf::is_launch_failure(event) {
        return match lf::parse(event) {
            Ok(ev) => launch_failure::handle(api, &s, &ev, now, dry_run).await,
            Err(e) => {
                let mut r = Report::new(now, dry_run).fail(&e.into());
                r.group = Some(s.group_name);
                r
            }
        };
    }
    crate::fallback_run::run(api, &s, None, now, dry_run).await
}
