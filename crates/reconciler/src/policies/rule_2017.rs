//! The 2017 rule's run (`SPOTCOVER_POLICY=2017`): observe the fleet's metrics and the
//! group (concurrently) -> [`rule_2017::decide`] -> `SetDesiredCapacity` when the decision
//! says so, then the drain pass (`apply::drain_pass`); and its cover of an
//! interruption notice (the notice handler's).

use spotcover_reconciler_core::contract::settings::metrics_window;
use spotcover_reconciler_core::policy::rule_2017::{self, Datapoint, Observation, decide};
use spotcover_reconciler_core::{Action, EpochSeconds};

use spotcover_reconciler_core::GroupState;
use spotcover_reconciler_core::contract::attributes::COVERED;
use spotcover_reconciler_core::contract::events::InstanceNotice;
use spotcover_reconciler_core::ecs::{ContainerInstance, CoverMark};
use spotcover_reconciler_core::interruption::{
    InterruptionReason, claim_base_group, decide_interruption, raise_only,
};

use crate::adapters::{AutoScaling, Aws, FleetMetrics, GroupView, SetOutcome};
use crate::apply::cover;
use crate::apply::drain_pass::drain_pass;
use crate::config::Config;
use crate::error::Error;
use crate::report::{InterruptionReport, Observed, Outcome, Report, of_notice};

/// The scheduled run: observe, decide, apply, then the drain pass.
pub async fn run<A: Aws>(
    api: &A,
    config: &Config,
    settings: &rule_2017::Settings,
    fleet_id: &str,
    now: EpochSeconds,
    dry_run: bool,
) -> Report {
    let (mut r, group) =
        observe_decide_apply(api, fleet_id, &config.group_name, settings, now, dry_run).await;
    drain_pass(api, config, Some(settings), group.as_ref(), &mut r).await;
    r
}

/// Observe, decide and (unless `dry_run`) apply, for one fleet and group.
pub async fn reconcile<A: FleetMetrics + AutoScaling>(
    api: &A,
    fleet_id: &str,
    group: &str,
    policy: &rule_2017::Settings,
    now: EpochSeconds,
    dry_run: bool,
) -> Report {
    observe_decide_apply(api, fleet_id, group, policy, now, dry_run)
        .await
        .0
}

/// [`reconcile`], with the group as described (for the drain pass), when it was read.
async fn observe_decide_apply<A: FleetMetrics + AutoScaling>(
    api: &A,
    fleet_id: &str,
    group: &str,
    policy: &rule_2017::Settings,
    now: EpochSeconds,
    dry_run: bool,
) -> (Report, Option<GroupView>) {
    let mut r = Report::new(now, dry_run);
    r.fleet_id = Some(fleet_id.to_owned());
    r.group = Some(group.to_owned());
    let (start, end) = metrics_window(policy, now);
    let (obs, grp) = tokio::join!(
        api.observe_fleet(fleet_id, start, end),
        api.describe_group(group)
    );
    r.api_calls = 2;
    let latest = |s: &[Datapoint]| s.iter().copied().max_by_key(|p| p.at);
    let empty = Observation::default();
    let o = obs.as_ref().unwrap_or(&empty);
    r.observed = Some(Observed {
        window: (start, end),
        target_latest: latest(&o.target),
        fulfilled_latest: latest(&o.fulfilled),
        target_points: o.target.len(),
        fulfilled_points: o.fulfilled.len(),
        group: grp.as_ref().ok().map(|g| g.state),
    });
    let view = grp.as_ref().ok().cloned();
    let (obs, grp) = match (obs, grp) {
        (Ok(o), Ok(g)) => (o, g.state),
        (Err(e), _) | (_, Err(e)) => return (r.fail(&e.into()), view),
    };
    let d = decide(policy, &obs, Some(&grp), now);
    let action = d.action;
    r.decision = Some(d);
    let Action::SetDesired {
        desired,
        honor_cooldown,
    } = action
    else {
        r.result = Outcome::NoAction;
        return (r, view);
    };
    if dry_run {
        r.result = Outcome::DryRun;
        return (r, view);
    }
    r.api_calls += 1;
    match api.set_desired(group, desired, honor_cooldown).await {
        Ok(SetOutcome::Applied) => r.result = Outcome::Applied,
        Ok(SetOutcome::InCooldown) => r.result = Outcome::InCooldown,
        Err(e) => return (r.fail(&e.into()), view),
    }
    (r, view)
}

/// The 2017 rule's cover of an interruption notice for `ci`, an instance of the stack's
/// cluster (the notice handler's): the group only when the instance is to be
/// covered, the claim read back before the raise, the final mark last.
pub async fn cover_notice<A: Aws>(
    api: &A,
    config: &Config,
    settings: &rule_2017::Settings,
    notice: &InstanceNotice,
    ci: ContainerInstance,
    mut ir: InterruptionReport,
    mut r: Report,
) -> Report {
    let (now, dry_run) = (r.now, r.dry_run);
    let Some(cluster) = config.cluster.as_deref() else {
        return of_notice(r, ir, Some(Error::NoCluster));
    };
    let decide = |ci: Option<&ContainerInstance>, g: Option<&GroupState>| {
        decide_interruption(settings, &config.interruption, notice.notice, ci, g)
    };
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
                    Err(e) => return of_notice(r, ir, Some(e.into())),
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
        return of_notice(r, ir, err);
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
        // Read back: a lost drain write holds the final mark back and is an error, so
        // Lambda's retry drains again.
        if ir.drained {
            r.api_calls += 1;
            match cover::draining_now(api, cluster, &arn).await {
                Ok(true) => {}
                Ok(false) => {
                    ir.drained = false;
                    drain_failed = true;
                    err = err.or(Some(Error::DrainLost));
                }
                Err(e) => {
                    drain_failed = true;
                    err = err.or(Some(e.into()));
                }
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
                .put_attribute(cluster, &arn, COVERED, &CoverMark::claim_value(g.desired))
                .await
            {
                return of_notice(r, ir, Some(e.into()));
            }
            // Raise only on a claim that reads back: a claim whose write was lost would
            // let a later delivery add the cover again.
            r.api_calls += 1;
            match cover::recheck(api, cluster, &arn).await {
                Ok(CoverMark::Claimed { base }) if base == g.desired => {}
                Ok(other) => {
                    return of_notice(r, ir, Some(Error::ClaimLost(format!("{other:?}"))));
                }
                Err(e) => return of_notice(r, ir, Some(e.into())),
            }
        }
        r.api_calls += 1;
        match api
            .set_desired(&config.group_name, desired, honor_cooldown)
            .await
        {
            Ok(_) => ir.raised = true,
            Err(e) => return of_notice(r, ir, Some(e.into())),
        }
    }
    if d.mark_covered && !drain_failed {
        r.api_calls += 1;
        match api
            .put_attribute(cluster, &arn, COVERED, &CoverMark::covered_value(now))
            .await
        {
            Ok(()) => ir.marked = true,
            Err(e) => return of_notice(r, ir, Some(e.into())),
        }
    }
    of_notice(r, ir, err)
}
