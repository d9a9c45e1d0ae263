//! The drain pass every fleet-engine policy ends its run with: one
//! `ListContainerInstances` + one `DescribeContainerInstances` over the whole cluster (per
//! 100 instances), or the instances the run already read, then
//!
//! - for each container instance with `spotcover.hook-deadline` (when the hook is
//!   configured): drain it if still ACTIVE; complete the lifecycle action when it runs no
//!   task ("drained") or when the deadline minus the safety margin has passed ("timeout,
//!   N tasks still running"), then remove the attribute (`DeleteAttributes`);
//! - the fleet's surplus ([`plan_surplus`]): terminate marked, DRAINING, empty spot
//!   instances (EC2 `TerminateInstances`); drain again marked ones found ACTIVE; mark
//!   (`PutAttributes spotcover.surplus=<epoch>`) then drain newly picked ones; give back
//!   (ACTIVE, then `DeleteAttributes`) marked ones the surplus no longer covers.
//!
//! Besides, from the same two reads and the group it described:
//!
//! - every instance the group holds in `Terminating:Wait` whose container instance has no
//!   deadline recorded (its lifecycle event was lost) is handled as the event would be:
//!   `RecordLifecycleActionHeartbeat` (the deadline is the hook's timeout from now), then
//!   drained and completed like the others; one not in the cluster is completed at once;
//! - a cover an interruption notice claimed and never confirmed is finished from the
//!   claim's base ([`finish_claimed_cover`]);
//! - a spot instance DRAINING without any mark is adopted (see [`plan_surplus`]).
//!
//! A failed read of the fleet's metrics or the group plans no surplus at all: nothing is
//! drained or given back on a guess. With nothing draining and no surplus, the run adds
//! exactly the two ECS reads. Every write is safe to repeat and to race with an
//! overlapping run: draining a DRAINING instance, putting or deleting an attribute again,
//! terminating a terminated instance all succeed, and a lifecycle action that another run
//! already completed answers "No active Lifecycle Action", which is taken as done.

use spotcover_reconciler_core::EpochSeconds;
use spotcover_reconciler_core::GroupState;
use spotcover_reconciler_core::drain::{hook_margin_secs, plan_surplus};
use spotcover_reconciler_core::ecs::{ContainerInstance, InstanceStatus};
use spotcover_reconciler_core::interruption::finish_claimed_cover;
use spotcover_reconciler_core::policy::rule_2017;

use crate::adapters::{Aws, GroupView, cluster_instances};
use crate::apply::drain::Run;
use crate::config::Config;
use crate::error::ApiError;
use crate::report::{DrainReport, Outcome, Report, SurplusReport};

/// What the run knows of the fleet, for its surplus.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FleetRead {
    /// The fleet (or the group) could not be read: no surplus is planned.
    Failed,
    /// Read: `(target, fulfilled)` when trusted.
    Read(Option<(f64, f64)>),
}

/// The drain pass (see the module docs); adds to `r`. `group` is the group as the run
/// described it, when it could. Reads the cluster's container instances; the fleet's
/// surplus comes from the 2017 decision's metrics.
pub async fn drain_pass<A: Aws>(
    api: &A,
    config: &Config,
    claims: Option<&rule_2017::Settings>,
    group: Option<&GroupView>,
    r: &mut Report,
) {
    let Some(cluster) = config.cluster.as_deref() else {
        return;
    };
    let read = cluster_instances(api, cluster).await;
    let fleet = match &r.decision {
        None => FleetRead::Failed,
        Some(d) => FleetRead::Read(d.trusted_fleet()),
    };
    drain_with(api, config, claims, group, read, fleet, r).await;
}

/// The drain pass over container instances already read (`read`: the calls it took and
/// what they answered) and the fleet as the run read it. `claims`: the 2017 rule's
/// settings when the run finishes covers that interruption notices claimed (the demand
/// policy's cover is absolute and needs no claim).
pub async fn drain_with<A: Aws>(
    api: &A,
    config: &Config,
    claims: Option<&rule_2017::Settings>,
    group: Option<&GroupView>,
    read: (u32, Result<Vec<ContainerInstance>, ApiError>),
    fleet: FleetRead,
    r: &mut Report,
) {
    let Some(cluster) = config.cluster.as_deref() else {
        return;
    };
    let mut run = Run {
        api,
        cluster,
        group: &config.group_name,
        now: r.now,
        dry_run: r.dry_run,
        calls: 0,
        report: DrainReport::new(),
        error: None,
    };
    let (calls, members) = read;
    run.calls += calls;
    let members = match members {
        Ok(m) => m,
        Err(e) => {
            run.fail(e);
            return r.absorb_drain(run.calls, run.report, run.error);
        }
    };
    run.report.members = Some(members.len());
    hook_phase(&mut run, config, group, &members).await;
    if let (Some(settings), Some(g)) = (claims, group) {
        claims_phase(&mut run, config, settings, g, r, &members).await;
    }
    surplus_phase(run, config, fleet, &members, r).await;
}

/// The lifecycle hook's instances: those held with no deadline recorded (their event was
/// lost) handled as the event would be, then every held one drained and completed when
/// empty or near its deadline.
async fn hook_phase<A: Aws>(
    run: &mut Run<'_, A>,
    config: &Config,
    group: Option<&GroupView>,
    members: &[ContainerInstance],
) {
    let Some(hook) = config.drain.lifecycle_hook.as_deref() else {
        return;
    };
    let timeout = config.drain.hook_timeout_secs;
    let margin = hook_margin_secs(timeout);
    // Held by the hook with no deadline recorded: the event was lost (or is on its
    // way); handled as the event would be.
    for id in group
        .map(|g| g.terminating_wait.as_slice())
        .unwrap_or_default()
    {
        match members
            .iter()
            .find(|m| m.ec2_instance_id.as_deref() == Some(id.as_str()))
        {
            Some(m) if m.hook_deadline.is_some() => {}
            Some(m) => run.hold_unmarked(hook, m.clone(), timeout, margin).await,
            None => run.complete_not_in_cluster(hook, id).await,
        }
    }
    for m in members.iter().filter(|m| m.hook_deadline.is_some()) {
        let deadline = m.hook_deadline.unwrap_or(EpochSeconds::MIN);
        run.hook_member(hook, m.clone(), deadline, margin, true)
            .await;
    }
}

/// Finishes a cover an interruption notice claimed and never confirmed (the 2017 rule's
/// per-notice cover), from the claim's base.
async fn claims_phase<A: Aws>(
    run: &mut Run<'_, A>,
    config: &Config,
    settings: &rule_2017::Settings,
    g: &GroupView,
    r: &Report,
    members: &[ContainerInstance],
) {
    let current = match (&r.decision, r.result) {
        (Some(d), Outcome::Applied) => d.resulting_desired(&g.state),
        _ => g.state.desired,
    };
    let mut state = GroupState {
        desired: current,
        ..g.state
    };
    for m in members.iter().filter(|m| {
        m.cover.claim().is_some()
            && matches!(m.status, InstanceStatus::Active | InstanceStatus::Draining)
    }) {
        let base = m.cover.claim().unwrap_or(state.desired);
        let d = finish_claimed_cover(settings, &config.interruption, m, base, &state);
        if let Some(desired) = run.finish_cover(&config.group_name, m, &d).await {
            state.desired = desired;
        }
    }
}

/// The fleet's surplus, only from what was read: a failed read of the fleet's metrics
/// or of the group changes nothing (no drain, nothing given back).
async fn surplus_phase<A: Aws>(
    mut run: Run<'_, A>,
    config: &Config,
    fleet: FleetRead,
    members: &[ContainerInstance],
    r: &mut Report,
) {
    let FleetRead::Read(fleet) = fleet else {
        run.report.surplus_skipped = Some("fleet metrics or group not read");
        return r.absorb_drain(run.calls, run.report, run.error);
    };
    let plan = plan_surplus(&config.interruption.spot_weights, fleet, members, r.now);
    if plan.registered_units > 0 || plan.acts() || !plan.keep.is_empty() {
        run.report.surplus = Some(SurplusReport {
            basis: plan.basis,
            target: fleet.map(|f| f.0),
            fulfilled: fleet.map(|f| f.1),
            registered_units: plan.registered_units,
            surplus_units: plan.surplus_units,
        });
    }
    run.surplus(&plan).await;
    r.absorb_drain(run.calls, run.report, run.error);
}
