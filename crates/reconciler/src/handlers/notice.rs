//! An EC2 spot interruption warning (or, when configured, a rebalance recommendation):
//! find the instance's container instance in the stack's cluster
//! (`ListContainerInstances` + `DescribeContainerInstances`), then
//! `DescribeAutoScalingGroups` -> [`decide_interruption`] -> apply in order, stopping at
//! the first error (but a failed drain, which only holds back the final mark):
//! `UpdateContainerInstancesState` DRAINING, the claim (`PutAttributes`
//! `spotcover.covered=claim-<base>`, see `apply::cover`) read back
//! (`DescribeContainerInstances`), `SetDesiredCapacity` (HonorCooldown=false), the final
//! mark (`PutAttributes` `spotcover.covered=<epoch>`). The final mark, put last, makes a
//! repeated notice a no-op; a retry after a failed step completes what is missing, from
//! the claim's base; and the scheduled run finishes a claim no delivery confirmed. At
//! most 9 AWS calls; 1 for another cluster's instance, 0 for an ignored rebalance
//! recommendation.

use spotcover_reconciler_core::events::InstanceNotice;
use spotcover_reconciler_core::{
    Action, ContainerInstance, CoverMark, EpochSeconds, GroupState, InterruptionReason,
    claim_base_group, decide_interruption, raise_only,
};

use crate::adapters::{Aws, find_instance};
use crate::apply::cover;
use crate::config::Config;
use crate::error::Error;
use crate::report::{InterruptionReport, Outcome, Report};

/// Handles an interruption warning or rebalance recommendation (see the module docs).
#[allow(clippy::too_many_lines)] // split in progress elsewhere
pub async fn handle<A: Aws>(
    api: &A,
    config: &Config,
    notice: &InstanceNotice,
    now: EpochSeconds,
    dry_run: bool,
) -> Report {
    let mut r = Report::new(now, dry_run);
    r.group = Some(config.group_name.clone());
    let mut ir = InterruptionReport {
        notice: notice.notice,
        instance_id: notice.instance_id.clone(),
        instance_action: notice.instance_action.clone(),
        cluster: config.cluster.clone(),
        container_instance: None,
        group_state: None,
        decision: None,
        drained: false,
        raised: false,
        marked: false,
    };
    let (policy, ip) = (&config.policy, &config.interruption);
    let decide = |ci: Option<&ContainerInstance>, g: Option<&GroupState>| {
        decide_interruption(policy, ip, notice.notice, ci, g)
    };
    let done = |mut r: Report, ir: InterruptionReport, err: Option<Error>| {
        r.result = match (&err, &ir.decision) {
            (Some(_), _) => Outcome::Error,
            (None, Some(d)) if d.acts() && dry_run => Outcome::DryRun,
            (None, _) if ir.drained || ir.raised || ir.marked => Outcome::Applied,
            _ => Outcome::NoAction,
        };
        r.interruption = Some(ir);
        match err {
            Some(e) => r.fail(&e),
            None => r,
        }
    };

    if !ip.acts_on(notice.notice) {
        ir.decision = Some(decide(None, None));
        return done(r, ir, None);
    }
    let Some(cluster) = config.cluster.as_deref() else {
        return done(r, ir, Some(Error::NoCluster));
    };
    let (calls, found) = find_instance(api, cluster, &notice.instance_id).await;
    r.api_calls += calls;
    let ci = match found {
        Ok(Some(ci)) => ci,
        Ok(None) => {
            ir.decision = Some(decide(None, None));
            return done(r, ir, None);
        }
        Err(e) => return done(r, ir, Some(e.into())),
    };
    if let Some(need) = &config.need {
        return under_demand(api, config, need, ci, ir, r).await;
    }
    let mut claim = ci.cover.claim();
    let arn = ci.arn.clone();
    ir.container_instance = Some(ci.clone());

    // The group is needed only when the instance is to be covered.
    let mut err = None;
    let mut d = decide(Some(&ci), None);
    if d.reason == InterruptionReason::GroupUnknown {
        r.api_calls += 1;
        match api.describe_group(&config.group_name).await {
            Ok(view) => {
                let g = view.state;
                ir.group_state = Some(g);
                // Another handler's claim, read after the group (see `apply::cover`).
                r.api_calls += 1;
                let mut ci = ci.clone();
                match cover::recheck(api, cluster, &arn).await {
                    Ok(CoverMark::None) => claim = None,
                    Ok(CoverMark::Claimed { base }) => claim = Some(base),
                    Ok(CoverMark::Covered) => ci.cover = CoverMark::Covered,
                    Err(e) => return done(r, ir, Some(e.into())),
                }
                d = decide(Some(&ci), Some(&claim_base_group(&g, claim)));
                d.action = raise_only(d.action, g.desired);
            }
            // Still drain (the decision without a group), then report the error.
            Err(e) => err = Some(Error::from(e)),
        }
    }
    ir.decision = Some(d.clone());
    if dry_run || !d.acts() {
        return done(r, ir, err);
    }
    // A failed drain does not hold the cover back (the ECS agent drains a spot instance
    // on its warning too); the final mark then waits, so a later delivery or the
    // scheduled run drains it again.
    let mut drain_failed = false;
    if d.drain {
        r.api_calls += 1;
        match api.set_status(cluster, &arn, true).await {
            Ok(_) => ir.drained = true,
            Err(e) => {
                drain_failed = true;
                err = err.or(Some(e.into()));
            }
        }
    }
    if let Action::SetDesired {
        desired,
        honor_cooldown,
    } = d.action
    {
        if claim.is_none()
            && let Some(g) = ir.group_state
        {
            r.api_calls += 1;
            if let Err(e) = api
                .put_attribute(
                    cluster,
                    &arn,
                    spotcover_reconciler_core::COVERED_ATTRIBUTE,
                    &CoverMark::claim_value(g.desired),
                )
                .await
            {
                return done(r, ir, Some(e.into()));
            }
            // Raise only on a claim that reads back: a claim whose write was lost would
            // let a later delivery add the cover again.
            r.api_calls += 1;
            match cover::recheck(api, cluster, &arn).await {
                Ok(CoverMark::Claimed { base }) if base == g.desired => {}
                Ok(other) => {
                    return done(r, ir, Some(Error::ClaimLost(format!("{other:?}"))));
                }
                Err(e) => return done(r, ir, Some(e.into())),
            }
        }
        r.api_calls += 1;
        match api
            .set_desired(&config.group_name, desired, honor_cooldown)
            .await
        {
            Ok(_) => ir.raised = true,
            Err(e) => return done(r, ir, Some(e.into())),
        }
    }
    if d.mark_covered && !drain_failed {
        r.api_calls += 1;
        match api
            .put_attribute(
                cluster,
                &arn,
                spotcover_reconciler_core::COVERED_ATTRIBUTE,
                &CoverMark::covered_value(now),
            )
            .await
        {
            Ok(()) => ir.marked = true,
            Err(e) => return done(r, ir, Some(e.into())),
        }
    }
    done(r, ir, err)
}

/// Under the demand policy: drain the warned instance, then the demand policy's run,
/// which counts it as leaving (DRAINING) and covers what the cluster then lacks, as an
/// absolute number: a repeated or lost delivery converges on the same cover, and no
/// claim mark is needed. A failed drain does not hold the run back (the ECS agent
/// drains a spot instance on its warning too; the scheduled run sees it then).
async fn under_demand<A: Aws>(
    api: &A,
    config: &Config,
    need: &spotcover_reconciler_core::need::NeedPolicy,
    ci: ContainerInstance,
    mut ir: InterruptionReport,
    r: Report,
) -> Report {
    let (now, dry_run) = (r.now, r.dry_run);
    let mut calls = r.api_calls;
    let mut drain_error = None;
    if !dry_run && ci.status == spotcover_reconciler_core::InstanceStatus::Active {
        calls += 1;
        match (config.cluster.as_deref(), &ci) {
            (Some(cluster), ci) => match api.set_status(cluster, &ci.arn, true).await {
                Ok(_) => ir.drained = true,
                Err(e) => drain_error = Some(Error::from(e)),
            },
            (None, _) => drain_error = Some(Error::NoCluster),
        }
    }
    ir.container_instance = Some(ci);
    let Some(fleet_id) = config.fleet_id.clone() else {
        let mut r = r.fail(&Error::NoFleetId);
        r.interruption = Some(ir);
        return r;
    };
    let mut out = super::demand::run(api, config, need, &fleet_id, None, now, dry_run).await;
    out.api_calls += calls;
    ir.raised = out.need.as_ref().is_some_and(|n| n.group_set);
    if ir.drained && out.result == Outcome::NoAction {
        out.result = Outcome::Applied;
    }
    out.interruption = Some(ir);
    match drain_error {
        Some(e) if !out.is_error() => out.fail(&e),
        _ => out,
    }
}
