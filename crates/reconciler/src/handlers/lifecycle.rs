//! The on-demand group's lifecycle hook event (`EC2 Instance-terminate Lifecycle Action`):
//! find the instance's container instance (`ListContainerInstances` filtered by
//! `ec2InstanceId` + `DescribeContainerInstances`); none: complete the lifecycle action
//! at once ("not in cluster"). Else set it DRAINING (`UpdateContainerInstancesState`,
//! whose answer carries the task counts after the change); no task: complete at once
//! ("drained"); else record the deadline (`PutAttributes` `spotcover.hook-deadline=<epoch>`)
//! for the scheduled runs, which finish the drain ([`super::schedule`]). The deadline is
//! the hook's timeout counted from the event's `time`, when the wait began, not from this
//! run (a delivery retried minutes later keeps its time).

use spotcover_reconciler_core::EpochSeconds;
use spotcover_reconciler_core::contract::events::{LifecycleEvent, TERMINATING_TRANSITION};
use spotcover_reconciler_core::drain::{hook_deadline, hook_margin_secs};

use crate::adapters::{Aws, find_instance};
use crate::apply::drain::Run;
use crate::config::Config;
use crate::error::Error;
use crate::report::{DrainReport, LifecycleEventReport, Report};

/// Handles the lifecycle hook's event for an instance of the on-demand group (see the
/// module docs).
pub async fn handle<A: Aws>(
    api: &A,
    config: &Config,
    ev: &LifecycleEvent,
    now: EpochSeconds,
    dry_run: bool,
) -> Report {
    let mut r = Report::new(now, dry_run);
    r.group = Some(config.group_name.clone());
    let mut report = DrainReport::new();
    let refused = if ev.transition != TERMINATING_TRANSITION {
        Some("not_terminating")
    } else if ev.group != config.group_name {
        Some("other_group")
    } else if config.drain.lifecycle_hook.as_deref() != Some(ev.hook.as_str()) {
        Some("other_hook")
    } else {
        None
    };
    report.lifecycle_event = Some(LifecycleEventReport {
        instance_id: ev.instance_id.clone(),
        group: ev.group.clone(),
        hook: ev.hook.clone(),
        refused,
    });
    if refused.is_some() {
        r.drain = Some(report);
        return r;
    }
    let Some(cluster) = config.cluster.as_deref() else {
        r.drain = Some(report);
        return r.fail(&Error::NoCluster);
    };
    let mut run = Run {
        api,
        cluster,
        group: &config.group_name,
        now,
        dry_run,
        calls: 0,
        report,
        error: None,
    };
    let (calls, found) = find_instance(api, cluster, &ev.instance_id).await;
    run.calls += calls;
    match found {
        Err(e) => {
            run.fail(e);
        }
        Ok(None) => run.complete_not_in_cluster(&ev.hook, &ev.instance_id).await,
        Ok(Some(m)) => {
            // The wait began when the event was sent (a retried delivery keeps its time).
            let began = ev.time.map_or(now, |t| t.min(now));
            let timeout = config.drain.hook_timeout_secs;
            let deadline = hook_deadline(&m, timeout, began);
            run.hold(&ev.hook, m, Some(deadline), hook_margin_secs(timeout))
                .await;
        }
    }
    r.absorb_drain(run.calls, run.report, run.error);
    r
}
