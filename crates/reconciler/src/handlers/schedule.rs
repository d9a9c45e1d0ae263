//! The scheduled run (also a direct invocation and the PendingCapacity alarm): the
//! event's fleet id, else the configured one, handed to the configured policy's run
//! ([`crate::policies::reconcile`]), which ends with the drain pass
//! (`apply::drain_pass`).

use spotcover_reconciler_core::EpochSeconds;

use crate::adapters::Aws;
use crate::config::Config;
use crate::error::Error;
use crate::policies;
use crate::report::Report;

/// The scheduled run for the event's fleet id, else the configured one.
pub async fn handle<A: Aws>(
    api: &A,
    config: &Config,
    fleet_id: Option<String>,
    now: EpochSeconds,
    dry_run: bool,
) -> Report {
    let Some(fleet_id) = fleet_id.or(config.fleet_id.clone()) else {
        let mut r = Report::new(now, dry_run).fail(&Error::NoFleetId);
        r.group = Some(config.group_name.clone());
        return r;
    };
    policies::reconcile(api, config, &fleet_id, None, now, dry_run).await
}
