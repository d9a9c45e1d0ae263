//! The demand policy's run, for every trigger under `SPOTCOVER_POLICY=demand`: observe
//! the cluster, the fleet and the group -> [`demand::decide`] -> apply -> the drain pass.
//!
//! **Reads**, concurrently: `DescribeAutoScalingGroups` (the group, its instances in
//! `Terminating:Wait`, and the state tag), `DescribeSpotFleetRequests` (target and
//! fulfilled capacity, at once: no metric period, no delay), `ListContainerInstances` +
//! `DescribeContainerInstances` (per 100 instances), `ListServices` (per 100 services) +
//! `DescribeServices` (per 10). That is 6 calls for a cluster of up to 10 services and
//! 100 instances; beyond, one more per 10 services and per 100 instances.
//!
//! **Writes**, each only when the decision changes something, each safe to repeat:
//! `SetDesiredCapacity` (HonorCooldown=false: the hold, not the group's cooldown,
//! decides release), `ModifySpotFleetRequest` (noTermination), `CreateOrUpdateTags` (the
//! state). The cover is an absolute number: a repeated, late or overlapping run
//! converges on the same desired capacity.
//!
//! **Then** the drain pass over the instances already read (no second read): the
//! lifecycle hook's instances and the fleet's surplus against the target now in force.
//!
//! A failed read of the group, the cluster's instances or its services decides nothing
//! and writes nothing; a failed read of the fleet keeps the cover as it is and plans no
//! surplus. Either way the run is an error (Lambda retries the invocation), and its log
//! line names the reads that failed (`need.undecided`).
//!
//! The cover is written first, and a failed state write (`CreateOrUpdateTags`) takes
//! nothing back: the group keeps the cover just set; the run reports the error.

use spotcover_reconciler_core::contract::tags::STATE_TAG;
use spotcover_reconciler_core::ecs::{CapacityKind, ContainerInstance, InstanceStatus};
use spotcover_reconciler_core::interruption;
use spotcover_reconciler_core::policy::demand::units::{Weighted, units};
use spotcover_reconciler_core::policy::demand::{self, FleetState, note_fleet_error};
use spotcover_reconciler_core::{Action, EpochSeconds};

use crate::adapters::{Aws, GroupView, ServiceView, cluster_instances, cluster_services};
use crate::apply::drain_pass::{FleetRead, drain_with};
use crate::config::Config;
use crate::error::{ApiError, Error};
use crate::report::{InterruptionReport, NeedReport, Outcome, Report};
use spotcover_reconciler_core::contract::events::InstanceNotice;

/// The fleet units a container instance counts for: its type's weight for spot (an
/// unknown type counts as the largest weight), the on-demand weight, 0 for an instance
/// that is neither (it still serves tasks; it sizes no unit).
fn weight(config: &Config, ci: &ContainerInstance) -> u32 {
    let weights = &config.interruption.spot_weights;
    match ci.capacity {
        CapacityKind::Spot => ci
            .instance_type
            .as_deref()
            .and_then(|t| weights.get(t).copied())
            .or_else(|| weights.values().copied().max())
            .unwrap_or(1),
        CapacityKind::OnDemand => config.policy.on_demand_weight,
        CapacityKind::Unknown => 0,
    }
}

/// The demand policy's run (see the module docs). `fleet_error_at`: a fleet event that
/// says the fleet cannot launch, heard at that time.
pub async fn run<A: Aws>(
    api: &A,
    config: &Config,
    policy: &demand::Settings,
    fleet_id: &str,
    fleet_error_at: Option<EpochSeconds>,
    now: EpochSeconds,
    dry_run: bool,
) -> Report {
    run_with(
        api,
        config,
        policy,
        fleet_id,
        fleet_error_at,
        now,
        dry_run,
        false,
    )
    .await
}

/// [`run`]; `raise_only`: never lower the group in this run (after a warning's own cover,
/// which the state does not record yet: the next scheduled run decides the release).
#[allow(clippy::too_many_arguments)] // `run`'s arguments, and the one switch
async fn run_with<A: Aws>(
    api: &A,
    config: &Config,
    policy: &demand::Settings,
    fleet_id: &str,
    fleet_error_at: Option<EpochSeconds>,
    now: EpochSeconds,
    dry_run: bool,
    raise_only: bool,
) -> Report {
    let mut r = Report::new(now, dry_run);
    r.fleet_id = Some(fleet_id.to_owned());
    r.group = Some(config.group_name.clone());
    let Some(cluster) = config.cluster.as_deref() else {
        return r.fail(&Error::NoCluster);
    };
    let (group, fleet, instances, services) = tokio::join!(
        api.describe_group(&config.group_name),
        api.describe_spot_fleet(fleet_id),
        cluster_instances(api, cluster),
        cluster_services(api, cluster),
    );
    r.api_calls = 2 + instances.0 + services.0;
    let mut nr = NeedReport {
        fleet: fleet.as_ref().ok().copied(),
        waiting_tasks: 0,
        on_demand_units: 0,
        unit: None,
        view: None,
        decision: None,
        fleet_modified: false,
        group_set: false,
        state_written: false,
        undecided: Vec::new(),
    };
    // What failed to read, for the log line: a run missing any of these could not decide.
    for (name, failed) in [
        ("group", group.is_err()),
        ("fleet", fleet.is_err()),
        ("container_instances", instances.1.is_err()),
        ("services", services.1.is_err()),
    ] {
        if failed {
            nr.undecided.push(name);
        }
    }
    let view_group = group.as_ref().ok().cloned();
    let read: Result<_, ApiError> = match (&group, &instances.1, services.1) {
        (Ok(g), Ok(members), Ok(svcs)) => Ok((g.clone(), members.clone(), svcs)),
        (Err(e), _, _) | (_, Err(e), _) => Err(e.clone()),
        (_, _, Err(e)) => Err(e),
    };
    let (g, members, svcs) = match read {
        Ok(x) => x,
        Err(e) => {
            r = r.fail(&e.into());
            r.need = Some(nr);
            // The lifecycle hook's instances still get their drain; no surplus.
            // (The instances' calls are counted above.)
            let read = (0, instances.1);
            drain_with(
                api,
                config,
                None,
                view_group.as_ref(),
                read,
                FleetRead::Failed,
                &mut r,
            )
            .await;
            return r;
        }
    };
    let fleet_error = fleet.as_ref().err().cloned();
    let fleet = fleet.ok();
    let mut d = decide_on(
        config,
        policy,
        &g,
        fleet,
        &members,
        &svcs,
        fleet_error_at,
        now,
        &mut nr,
    );
    if raise_only {
        d.action = interruption::raise_only(d.action, g.state.desired);
    }
    let (target_now, error) = apply(api, config, fleet_id, &g, &d, &mut nr, &mut r).await;
    r.need = Some(nr);
    // A failed fleet read kept the cover as it was (`fleet_unknown`): still an error, so
    // Lambda retries the invocation rather than wait for the next scheduled run.
    if let Some(e) = fleet_error.map(Error::from).or(error) {
        r = r.fail(&e);
    }
    let fleet_read = match (fleet, target_now.or(fleet.map(|f| f.target))) {
        (Some(f), Some(t)) => FleetRead::Read(Some((f64::from(t), f.fulfilled))),
        _ => FleetRead::Failed,
    };
    drain_with(
        api,
        config,
        None,
        view_group.as_ref(),
        (0, Ok(members)),
        fleet_read,
        &mut r,
    )
    .await;
    r
}

/// What the cluster, the fleet and the group show, as the policy's observation and
/// state, then its decision; both recorded in `nr`.
#[allow(clippy::too_many_arguments)] // the run's reads, passed as read
fn decide_on(
    config: &Config,
    policy: &demand::Settings,
    g: &GroupView,
    fleet: Option<FleetState>,
    members: &[ContainerInstance],
    svcs: &[ServiceView],
    fleet_error_at: Option<EpochSeconds>,
    now: EpochSeconds,
    nr: &mut NeedReport,
) -> demand::Decision {
    // Task sizes are estimated from what is placed (see the core's `demand` docs).
    let needs: Vec<_> = svcs.iter().map(|s| s.need).collect();

    let mut state = demand::State::recall(g.state_tag.as_deref(), g.state.desired);
    if let Some(at) = fleet_error_at {
        note_fleet_error(&mut state, at);
    }
    let weighted: Vec<Weighted> = members
        .iter()
        .map(|ci| Weighted {
            instance: ci,
            weight: weight(config, ci),
        })
        .collect();
    let u = units(&weighted, &needs, state.unit);
    state.unit = Some(u.unit);
    nr.waiting_tasks = u.waiting_tasks;
    nr.on_demand_units = weighted
        .iter()
        .filter(|w| w.instance.capacity == CapacityKind::OnDemand)
        .filter(|w| w.instance.status == InstanceStatus::Active)
        .map(|w| w.weight)
        .sum();
    nr.unit = Some(u.unit);
    let view = demand::Observation {
        demand: u.demand,
        spot_active: u.spot_active,
        spot_draining: u.spot_draining,
        fleet,
        group: Some(g.state),
    };
    let d = demand::decide(policy, &view, &state, now);
    nr.view = Some(view);
    nr.decision = Some(d);
    d
}

/// Applies the decision (unless a dry run): the group, the fleet's target, the state
/// tag, each only when it changes something, all attempted; answers the fleet's target
/// now in force when this run changed it, and the first error.
async fn apply<A: Aws>(
    api: &A,
    config: &Config,
    fleet_id: &str,
    g: &GroupView,
    d: &demand::Decision,
    nr: &mut NeedReport,
    r: &mut Report,
) -> (Option<u32>, Option<Error>) {
    let mut target_now = None;
    let acts = d.action != Action::None
        || d.fleet_target.is_some()
        || d.state.to_tag() != g.state_tag.clone().unwrap_or_default();
    if r.dry_run {
        r.result = if acts {
            Outcome::DryRun
        } else {
            Outcome::NoAction
        };
        return (None, None);
    }
    let mut first_error: Option<Error> = None;
    if let Action::SetDesired { desired, .. } = d.action {
        r.api_calls += 1;
        match api.set_desired(&config.group_name, desired, false).await {
            Ok(_) => nr.group_set = true,
            Err(e) => first_error = first_error.or(Some(e.into())),
        }
    }
    if let Some(target) = d.fleet_target {
        r.api_calls += 1;
        match api.modify_spot_fleet_target(fleet_id, target).await {
            Ok(()) => {
                nr.fleet_modified = true;
                target_now = Some(target);
            }
            Err(e) => first_error = first_error.or(Some(e.into())),
        }
    }
    let tag = d.state.to_tag();
    if g.state_tag.as_deref() != Some(tag.as_str()) {
        r.api_calls += 1;
        match api.put_group_tag(&config.group_name, STATE_TAG, &tag).await {
            Ok(()) => nr.state_written = true,
            Err(e) => first_error = first_error.or(Some(e.into())),
        }
    }
    r.result = if nr.group_set || nr.fleet_modified {
        Outcome::Applied
    } else {
        Outcome::NoAction
    };
    (target_now, first_error)
}

/// Under the demand policy, a warning is covered in its own invocation, from what the
/// warning says and the group's desired capacity alone: the 2017 rule's per-notice cover
/// ([`super::rule_2017::cover_notice`]: `DescribeAutoScalingGroups`, DRAINING, the claim
/// read back, `SetDesiredCapacity` raised by the instance's units in on-demand
/// instances, the final mark), so no read of the fleet, the services or the other
/// instances can hold it back, and a repeated delivery finds the claim or the mark and
/// adds nothing. Then the demand policy's run, which counts the instance as leaving
/// (DRAINING) and sets the cover it decides, an absolute number, in this invocation only
/// upward (the warning's cover is not in the state tag: lowering it now would undo it
/// before the instance is gone; the next scheduled run decides the release). An error of either part
/// is the invocation's error (Lambda retries; the retry's cover is a no-op once marked).
pub async fn cover_notice<A: Aws>(
    api: &A,
    config: &Config,
    need: &demand::Settings,
    notice: &InstanceNotice,
    ci: ContainerInstance,
    ir: InterruptionReport,
    r: Report,
) -> Report {
    let (now, dry_run) = (r.now, r.dry_run);
    let covered =
        super::rule_2017::cover_notice(api, config, &config.policy, notice, ci, ir, r).await;
    let Some(fleet_id) = config.fleet_id.clone() else {
        return match covered.is_error() {
            true => covered,
            false => covered.fail(&Error::NoFleetId),
        };
    };
    let mut out = run_with(api, config, need, &fleet_id, None, now, dry_run, true).await;
    out.api_calls += covered.api_calls;
    let ir = covered.interruption.clone();
    if out.result == Outcome::NoAction && covered.result == Outcome::Applied {
        out.result = Outcome::Applied;
    }
    out.interruption = ir;
    if covered.is_error() {
        out.result = Outcome::Error;
        out.error = covered.error;
    }
    out
}
