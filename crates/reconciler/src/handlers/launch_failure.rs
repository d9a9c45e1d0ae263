//! The capacity provider group's `EC2 Instance Launch Unsuccessful` event: the
//! fallback's run ([`crate::fallback_run`]) with the failure the event tells, so a spot
//! capacity failure raises the base at once, before the group's scaling activities show
//! it. The event is best effort, may come twice or late: the run's decision counts
//! from what the group shows (`desired - spot`), so a repeat computes the same base,
//! and the scheduled run reads the same failure from the activities when the event is
//! lost. An event of another group decides nothing.

use spotcover_reconciler_core::EpochSeconds;
use spotcover_reconciler_core::launch_failure::LaunchFailure;
use spotcover_reconciler_core::policy::fallback::Settings;

use crate::adapters::Aws;
use crate::fallback_run;
use crate::report::Report;

/// Handles one launch-failure event.
pub async fn handle<A: Aws>(
    api: &A,
    settings: &Settings,
    ev: &LaunchFailure,
    now: EpochSeconds,
    dry_run: bool,
) -> Report {
    if ev.group != settings.group_name {
        let mut r = Report::new(now, dry_run);
        r.group = Some(ev.group.clone());
        return r;
    }
    fallback_run::run(api, settings, ev.spot_failure_at(), now, dry_run).await
}
