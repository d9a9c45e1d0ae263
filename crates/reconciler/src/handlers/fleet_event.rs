//! A Spot Fleet event (`aws.ec2spotfleet`: state, instance and request changes,
//! information, errors), for this stack's fleet only: the configured policy's run
//! ([`crate::policies::reconcile`]), told when the event says the fleet cannot launch
//! ([`fleet_cannot_launch`]; the demand policy then ends the launch grace at once and
//! keeps that in the group's state tag).

use spotcover_reconciler_core::EpochSeconds;
use spotcover_reconciler_core::contract::events::{FleetEvent, fleet_cannot_launch};

use super::schedule;
use crate::adapters::Aws;
use crate::config::Config;
use crate::policies;
use crate::report::Report;

/// Runs the configured policy for the event's fleet, when it is the configured one (or
/// no fleet is configured); another fleet's event changes nothing.
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
    let Some(fleet_id) = ev.fleet_id.clone().or(config.fleet_id.clone()) else {
        return schedule::handle(api, config, None, now, dry_run).await;
    };
    let failing = fleet_cannot_launch(&ev.detail_type, ev.sub_type.as_deref().unwrap_or(""));
    let at = failing.then_some(now);
    policies::reconcile(api, config, &fleet_id, at, now, dry_run).await
}
