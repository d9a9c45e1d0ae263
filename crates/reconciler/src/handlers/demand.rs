//! The demand policy's run, for every trigger under `SPOTCOVER_POLICY=demand`: observe
//! the cluster, the fleet and the group -> [`decide_need`] -> apply -> the drain pass.
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
//! surplus.

use spotcover_reconciler_core::demand::{Weighted, units};
use spotcover_reconciler_core::need::{
    ClusterView, NeedPolicy, NeedState, STATE_TAG, decide_need, note_fleet_error,
};
use spotcover_reconciler_core::{Action, CapacityKind, ContainerInstance, EpochSeconds};

use super::schedule::{FleetRead, drain_with};
use crate::adapters::{Aws, cluster_instances, cluster_services};
use crate::config::Config;
use crate::error::{ApiError, Error};
use crate::report::{NeedReport, Outcome, Report};

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
#[allow(clippy::too_many_lines)] // split in progress elsewhere
pub async fn run<A: Aws>(
    api: &A,
    config: &Config,
    policy: &NeedPolicy,
    fleet_id: &str,
    fleet_error_at: Option<EpochSeconds>,
    now: EpochSeconds,
    dry_run: bool,
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
    };
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
                view_group.as_ref(),
                read,
                FleetRead::Failed,
                &mut r,
            )
            .await;
            return r;
        }
    };
    // Task sizes are estimated from what is placed (see the core's `demand` docs).
    let needs: Vec<_> = svcs.iter().map(|s| s.need).collect();

    let mut state = NeedState::recall(g.state_tag.as_deref(), g.state.desired);
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
        .filter(|w| w.instance.status == spotcover_reconciler_core::InstanceStatus::Active)
        .map(|w| w.weight)
        .sum();
    nr.unit = Some(u.unit);
    let view = ClusterView {
        demand: u.demand,
        spot_active: u.spot_active,
        spot_draining: u.spot_draining,
        fleet: fleet.as_ref().ok().copied(),
        group: Some(g.state),
    };
    let d = decide_need(policy, &view, &state, now);
    nr.view = Some(view);
    nr.decision = Some(d);

    let mut target_now = view.fleet.map(|f| f.target);
    let mut first_error: Option<Error> = None;
    let acts = d.action != Action::None
        || d.fleet_target.is_some()
        || d.state.to_tag() != g.state_tag.clone().unwrap_or_default();
    if dry_run {
        r.result = if acts {
            Outcome::DryRun
        } else {
            Outcome::NoAction
        };
    } else {
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
    }
    r.need = Some(nr);
    if let Some(e) = first_error {
        r = r.fail(&e);
    }
    let fleet_read = match (fleet.ok(), target_now) {
        (Some(f), Some(t)) => FleetRead::Read(Some((f64::from(t), f.fulfilled))),
        _ => FleetRead::Failed,
    };
    drain_with(
        api,
        config,
        view_group.as_ref(),
        (0, Ok(members)),
        fleet_read,
        &mut r,
    )
    .await;
    r
}
