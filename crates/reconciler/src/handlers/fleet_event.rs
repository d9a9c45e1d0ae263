//! A Spot Fleet event (`aws.ec2spotfleet`: state, instance and request changes,
//! information, errors), for this stack's fleet only. Under the demand policy an event
//! that says the fleet cannot launch ([`fleet_cannot_launch`]) ends the launch grace at
//! once (it is kept in the group's state tag), then the demand policy's run; any other
//! event just runs it. Under the 2017 rule it runs the scheduled path.

use spotcover_reconciler_core::EpochSeconds;
use spotcover_reconciler_core::events::{FleetEvent, fleet_cannot_launch};

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
    if let Some(policy) = &config.need {
        let fleet_id = ev.fleet_id.clone().or(config.fleet_id.clone());
        let Some(fleet_id) = fleet_id else {
            return schedule::handle(api, config, None, now, dry_run).await;
        };
        let failing = fleet_cannot_launch(&ev.detail_type, ev.sub_type.as_deref().unwrap_or(""));
        let at = failing.then_some(now);
        return super::demand::run(api, config, policy, &fleet_id, at, now, dry_run).await;
    }
    schedule::handle(api, config, ev.fleet_id.clone(), now, dry_run).await
}
