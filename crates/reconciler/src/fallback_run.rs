//! `engine: asg`'s fallback run, which the schedule (the backstop) and the group's
//! launch-failure event both take: observe the capacity provider's group and cluster ->
//! [`fallback::decide`] -> apply.
//!
//! **Reads**, concurrently: `DescribeAutoScalingGroups` (desired capacity, the
//! on-demand base, instances, the state tag), `DescribeScalingActivities` (spot launch
//! failures an event missed), `ListContainerInstances` + `DescribeContainerInstances`
//! (each instance's market from its `spotcover.capacity` attribute, its tasks, its
//! status), `ListTasks` (desired status RUNNING) + `DescribeTasks` (the capacity
//! provider's tasks waiting in PROVISIONING), and `ListServices` + `DescribeServices`
//! (services that name a launch type, whose unplaced tasks no capacity provider sees).
//! Any failed read decides nothing and writes nothing.
//!
//! **Writes**, each only when the decision asks, each safe to repeat, in this order:
//! `UpdateContainerInstancesState` ACTIVE (an abandoned return's instance),
//! `UpdateAutoScalingGroup` (the base only), `TerminateInstanceInAutoScalingGroup`
//! (the drained, empty instance, desired capacity kept; refused here unless its
//! container instance is DRAINING with no task), `CreateOrUpdateTags` (the state), then
//! `UpdateContainerInstancesState` DRAINING. The state goes before the drain: a drain
//! whose state was lost would leave an instance DRAINING that no later run knows; a
//! state whose drain was lost is repaired by the next run, which drains the instance
//! the state names whenever ECS does not show it DRAINING. The first failed write
//! stops the run; the next one starts again from what AWS shows.

use std::collections::HashMap;

use spotcover_reconciler_core::EpochSeconds;
use spotcover_reconciler_core::contract::metrics::fallback_reason_name;
use spotcover_reconciler_core::contract::tags::FALLBACK_STATE_TAG;
use spotcover_reconciler_core::ecs::{CapacityKind, ContainerInstance, InstanceStatus};
use spotcover_reconciler_core::policy::fallback::{
    self, Observation, OnDemandInstance, Settings, format_state, latest_spot_failure, parse_state,
};

use crate::adapters::fallback::{FallbackGroup, TaskView};
use crate::adapters::{Aws, ServiceView, cluster_instances, cluster_services};
use crate::error::{ApiError, Error};
use crate::report::{FallbackDecided, FallbackReport, FallbackSeen, Outcome, Report};

/// `lastStatus` of a task waiting for capacity from its capacity provider.
pub const PROVISIONING: &str = "PROVISIONING";

/// The tasks of the cluster ECS wants running: the list, then one describe per 100.
async fn desired_running_tasks<A: Aws>(
    api: &A,
    cluster: &str,
) -> (u32, Result<Vec<TaskView>, ApiError>) {
    match api.list_tasks(cluster, "RUNNING").await {
        Ok(arns) if arns.is_empty() => (1, Ok(Vec::new())),
        Ok(arns) => (
            1 + u32::try_from(arns.len().div_ceil(100)).unwrap_or(u32::MAX),
            api.describe_tasks(cluster, &arns).await,
        ),
        Err(e) => (1, Err(e)),
    }
}

/// The capacity provider's tasks in PROVISIONING.
pub fn provisioning(tasks: &[TaskView], provider: &str) -> u32 {
    let n = tasks
        .iter()
        .filter(|t| {
            t.last_status == PROVISIONING && t.capacity_provider.as_deref() == Some(provider)
        })
        .count();
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Unplaced tasks of services that name the EC2 launch type: "Tasks without a capacity
/// provider strategy are ignored by capacity providers" (ECS developer guide, managed
/// scaling behaviour), so these wait for an instance that never comes. A service's
/// tasks that could not be placed exist nowhere: `desired - running - pending`.
pub fn waiting_without_provider(services: &[ServiceView]) -> u32 {
    services
        .iter()
        .filter(|s| s.launch_type.as_deref() == Some("EC2"))
        .map(|s| {
            s.need
                .desired
                .saturating_sub(s.need.running.saturating_add(s.need.pending))
        })
        .sum()
}

/// The group and the cluster as the core's [`Observation`]: each live instance of the
/// group is spot or on-demand by its container instance's `spotcover.capacity`
/// attribute, of unknown market until it registers.
pub fn observe(
    g: &FallbackGroup,
    members: &[ContainerInstance],
    spot_failure_at: Option<EpochSeconds>,
    provisioning: u32,
) -> Observation {
    let by_id: HashMap<&str, &ContainerInstance> = members
        .iter()
        .filter_map(|ci| ci.ec2_instance_id.as_deref().map(|id| (id, ci)))
        .collect();
    let mut obs = Observation {
        base: g.base,
        desired: g.desired,
        spot: 0,
        on_demand: Vec::new(),
        unknown: 0,
        spot_failure_at,
        provisioning,
    };
    for i in g.instances.iter().filter(|i| i.is_live()) {
        match by_id.get(i.id.as_str()) {
            Some(ci) if ci.capacity == CapacityKind::Spot => obs.spot += 1,
            Some(ci) if ci.capacity == CapacityKind::OnDemand => {
                obs.on_demand.push(OnDemandInstance {
                    id: i.id.clone(),
                    tasks: ci.tasks(),
                    draining: ci.status == InstanceStatus::Draining,
                });
            }
            _ => obs.unknown += 1,
        }
    }
    obs
}

fn refused(message: String) -> Error {
    Error::Fallback {
        kind: "refused_unsafe",
        message,
    }
}

/// The fallback's run (see the module docs). `event_failure_at`: the spot failure a
/// launch-failure event told, if this run is that event's.
pub async fn run<A: Aws>(
    api: &A,
    s: &Settings,
    event_failure_at: Option<EpochSeconds>,
    now: EpochSeconds,
    dry_run: bool,
) -> Report {
    let mut r = Report::new(now, dry_run);
    r.group = Some(s.group_name.clone());
    let mut fr = FallbackReport {
        event_failure_at,
        ..FallbackReport::default()
    };
    let (group, activities, instances, tasks, services) = tokio::join!(
        api.describe_fallback_group(&s.group_name),
        api.describe_scaling_activities(&s.group_name),
        cluster_instances(api, &s.cluster),
        desired_running_tasks(api, &s.cluster),
        cluster_services(api, &s.cluster),
    );
    r.api_calls = 2 + instances.0 + tasks.0 + services.0;
    if let Ok(svcs) = &services.1 {
        fr.waiting_without_provider = Some(waiting_without_provider(svcs));
    }
    let read = (|| -> Result<_, ApiError> {
        Ok((group?, activities?, instances.1?, tasks.1?, services.1?))
    })();
    let (g, activities, members, tasks, _) = match read {
        Ok(x) => x,
        Err(e) => {
            r.fallback = Some(fr);
            return r.fail(&e.into());
        }
    };
    let state = match parse_state(g.state_tag.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            r.fallback = Some(fr);
            return r.fail(&Error::Fallback {
                kind: "bad_state",
                message: e.to_string(),
            });
        }
    };
    let failure = latest_spot_failure(&activities).max(event_failure_at);
    let obs = observe(
        &g,
        &members,
        failure,
        provisioning(&tasks, &s.capacity_provider),
    );
    let d = fallback::decide(s, &obs, &state, now);
    fr.seen = Some(FallbackSeen::from(&obs));
    fr.decided = Some(FallbackDecided::from(&d));
    fr.reason = Some(fallback_reason_name(d.reason));
    let state_text = format_state(&d.state);
    let state_changes = g.state_tag.as_deref() != Some(state_text.as_str());
    // A return's instance the state names but ECS does not show DRAINING: its drain
    // call was lost (see the module docs); drain it again.
    let redrain: Vec<String> = if d.drain.is_empty() && d.terminate.is_empty() {
        d.state
            .draining
            .iter()
            .filter(|id| obs.on_demand.iter().any(|i| &i.id == *id && !i.draining))
            .cloned()
            .collect()
    } else {
        Vec::new()
    };
    let mut drain = d.drain.clone();
    drain.extend(redrain.into_iter().filter(|id| !d.drain.contains(id)));
    let acts = !d.reactivate.is_empty()
        || d.base.is_some()
        || !d.terminate.is_empty()
        || !drain.is_empty()
        || state_changes;
    if !acts {
        r.fallback = Some(fr);
        return r;
    }
    if dry_run {
        r.result = Outcome::DryRun;
        r.fallback = Some(fr);
        return r;
    }
    let arn_of = |id: &str| {
        members
            .iter()
            .find(|ci| ci.ec2_instance_id.as_deref() == Some(id))
            .map(|ci| ci.arn.clone())
    };
    let result = apply(
        api,
        s,
        &d,
        &drain,
        state_changes.then_some(&state_text),
        &members,
        &arn_of,
        &mut r.api_calls,
        &mut fr.applied,
    )
    .await;
    r.fallback = Some(fr);
    match result {
        Ok(()) => {
            r.result = Outcome::Applied;
            r
        }
        Err(e) => r.fail(&e),
    }
}

#[allow(clippy::too_many_arguments)]
async fn apply<A: Aws>(
    api: &A,
    s: &Settings,
    d: &fallback::Decision,
    drain: &[String],
    state: Option<&String>,
    members: &[ContainerInstance],
    arn_of: &impl Fn(&str) -> Option<String>,
    calls: &mut u32,
    applied: &mut Vec<&'static str>,
) -> Result<(), Error> {
    for id in &d.reactivate {
        if let Some(arn) = arn_of(id) {
            *calls += 1;
            api.set_status(&s.cluster, &arn, false).await?;
            applied.push("reactivate");
        }
    }
    if let Some(base) = d.base {
        *calls += 1;
        api.set_on_demand_base(&s.group_name, base).await?;
        applied.push("base");
    }
    for id in &d.terminate {
        // The one rule that keeps every task alive: only a DRAINING container
        // instance with no running or pending task is terminated.
        let ci = members
            .iter()
            .find(|ci| ci.ec2_instance_id.as_deref() == Some(id.as_str()));
        match ci {
            Some(ci) if ci.status == InstanceStatus::Draining && ci.tasks() == 0 => {}
            Some(ci) => {
                return Err(refused(format!(
                    "not terminating {id}: its container instance is {:?} with {} tasks",
                    ci.status,
                    ci.tasks()
                )));
            }
            None => {
                return Err(refused(format!(
                    "not terminating {id}: no container instance in {}",
                    s.cluster
                )));
            }
        }
        *calls += 1;
        api.terminate_in_group(id).await?;
        applied.push("terminate");
    }
    if let Some(text) = state {
        *calls += 1;
        api.put_group_tag(&s.group_name, FALLBACK_STATE_TAG, text)
            .await?;
        applied.push("state");
    }
    for id in drain {
        let Some(arn) = arn_of(id) else { continue };
        *calls += 1;
        api.set_status(&s.cluster, &arn, true).await?;
        applied.push("drain");
    }
    Ok(())
}
