//! A Spot Fleet event (`aws.ec2spotfleet`: state, instance and request changes,
//! information, errors). For now it runs the scheduled path at once, for this stack's
//! fleet only; the decision that reads the event itself comes with the demand policy.

use spotcover_reconciler_core::EpochSeconds;
use spotcover_reconciler_core::events::FleetEvent;

use super::schedule;
use crate::adapters::Aws;
use crate::config::Config;
use crate::report::Report;

/// Runs the scheduled path for the event's fleet, when it is the configured one (or no
/// fleet is configured); another fleet's event changes nothing.
pub async fn handle<A: Aws>(
    api: &A,
    config: &Config,
    ev: &FleetEvent,
    now: EpochSeconds,
    dry_run: bool,
) -> Report {
    let ours = match (&config.fleet_id, &ev.fleet_id) {
        (Some(mine), Some(theirs)) => mine == theirs,
        _ => true,
    };
    if !ours {
        let mut r = Report::new(now, dry_run);
        r.group = Some(config.group_name.clone());
        r.fleet_id = ev.fleet_id.clone();
        return r;
    }
    schedule::handle(api, config, ev.fleet_id.clone(), now, dry_run).await
}
