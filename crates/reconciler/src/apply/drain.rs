//! One invocation's drain work: the calls that carry out [`hook_step`] and a
//! [`SurplusPlan`], in an order that is safe to repeat and to race, each recorded in the
//! [`DrainReport`].

use spotcover_reconciler_core::drain::{
    CAPACITY_SPOT, CompleteReason, HOOK_DEADLINE_ATTRIBUTE, HookStep, Member, Pick,
    SURPLUS_ATTRIBUTE, SurplusBasis, SurplusPlan, hook_step,
};
use spotcover_reconciler_core::{EpochSeconds, InstanceStatus};

use super::api::{Completion, DrainApi};
use super::report::{DrainReport, InstanceReport, Step, Why};
use crate::Error;

/// The state of one invocation's drain work.
pub(super) struct Run<'a, A> {
    pub(super) api: &'a A,
    pub(super) cluster: &'a str,
    pub(super) group: &'a str,
    pub(super) now: EpochSeconds,
    pub(super) dry_run: bool,
    pub(super) calls: u32,
    pub(super) report: DrainReport,
    pub(super) error: Option<Error>,
}

pub(super) fn entry(m: &Member, step: Step, why: Why, message: String) -> InstanceReport {
    InstanceReport {
        instance_id: m.ec2_instance_id.clone(),
        container_instance: m.arn.clone(),
        capacity: m.capacity.clone(),
        step,
        why,
        message,
        tasks: Some(m.tasks()),
        done: false,
        already_completed: false,
        error: None,
    }
}

fn pick_member(p: &Pick, status: InstanceStatus) -> Member {
    Member {
        arn: p.arn.clone(),
        ec2_instance_id: p.ec2_instance_id.clone(),
        status,
        running_tasks: p.tasks,
        pending_tasks: 0,
        instance_type: None,
        capacity: Some(CAPACITY_SPOT.to_owned()),
        hook_deadline: None,
        surplus_mark: None,
    }
}

impl<A: DrainApi> Run<'_, A> {
    pub(super) fn fail(&mut self, e: crate::ApiError) -> String {
        let msg = e.to_string();
        if self.error.is_none() {
            self.error = Some(Error::Api(e));
        }
        msg
    }

    fn push(&mut self, mut e: InstanceReport, result: Result<(), String>) {
        match result {
            Ok(()) => e.done = !self.dry_run && e.step != Step::Wait,
            Err(msg) => e.error = Some(msg),
        }
        self.report.instances.push(e);
    }

    /// Drives one container instance the hook holds: drain if ACTIVE, then
    /// complete if empty or due; `delete_mark`: remove the deadline attribute
    /// after completing.
    pub(super) async fn hook_member(
        &mut self,
        hook: &str,
        m: Member,
        deadline: EpochSeconds,
        margin: u64,
        delete_mark: bool,
    ) -> Option<Member> {
        let mut m = m;
        let mut step = hook_step(&m, deadline, margin, self.now);
        if step == HookStep::Drain {
            let e = entry(&m, Step::Drain, Why::LifecycleHook, "lifecycle hook".into());
            if self.dry_run {
                self.push(e, Ok(()));
                return Some(m);
            }
            self.calls += 1;
            match self.api.set_member_status(self.cluster, &m.arn, true).await {
                Ok(after) => {
                    self.push(e, Ok(()));
                    m = after.unwrap_or(Member {
                        status: InstanceStatus::Draining,
                        ..m
                    });
                    if m.status == InstanceStatus::Active {
                        // ECS did not take it: never complete with tasks placeable.
                        return Some(m);
                    }
                    step = hook_step(&m, deadline, margin, self.now);
                }
                Err(err) => {
                    let msg = self.fail(err);
                    self.push(e, Err(msg));
                    return None;
                }
            }
        }
        match step {
            HookStep::Drain => {}
            HookStep::Wait { seconds_left } => {
                let msg = format!(
                    "draining, {} tasks still running, {seconds_left} s before the timeout",
                    m.tasks()
                );
                self.push(entry(&m, Step::Wait, Why::LifecycleHook, msg), Ok(()));
            }
            HookStep::Complete { reason } => {
                let (why, msg) = match reason {
                    CompleteReason::Drained => (Why::Drained, "drained".to_owned()),
                    CompleteReason::Timeout => (
                        Why::Timeout,
                        format!("timeout, {} tasks still running", m.tasks()),
                    ),
                    CompleteReason::NotInCluster => (Why::NotInCluster, "not in cluster".into()),
                };
                let e = entry(&m, Step::CompleteLifecycleAction, why, msg);
                // Keep the mark when the completion failed: the next run retries.
                if self.complete(hook, e).await && delete_mark {
                    self.calls += 1;
                    if let Err(err) = self
                        .api
                        .delete_member_attribute(self.cluster, &m.arn, HOOK_DEADLINE_ATTRIBUTE)
                        .await
                    {
                        self.fail(err);
                    }
                }
            }
        }
        Some(m)
    }

    /// Completes the lifecycle action; true iff it is done (by this call or
    /// an earlier one).
    pub(super) async fn complete(&mut self, hook: &str, mut e: InstanceReport) -> bool {
        let Some(id) = e.instance_id.clone() else {
            e.error = Some("the container instance names no EC2 instance".into());
            self.report.instances.push(e);
            return false;
        };
        if self.dry_run {
            self.push(e, Ok(()));
            return false;
        }
        self.calls += 1;
        match self
            .api
            .complete_lifecycle_action(self.group, hook, &id)
            .await
        {
            Ok(c) => {
                e.already_completed = c == Completion::NoActiveAction;
                self.push(e, Ok(()));
                true
            }
            Err(err) => {
                let msg = self.fail(err);
                self.push(e, Err(msg));
                false
            }
        }
    }

    /// Applies a surplus plan, in the order that never strands an instance
    /// DRAINING without a mark: mark before draining, reactivate before
    /// removing the mark.
    pub(super) async fn surplus(&mut self, plan: &SurplusPlan) {
        let units = format!(
            "fleet surplus {} of {} units",
            plan.surplus_units, plan.registered_units
        );
        for p in &plan.terminate {
            let m = pick_member(p, InstanceStatus::Draining);
            let e = entry(
                &m,
                Step::Terminate,
                Why::Drained,
                format!("drained, no task ({units})"),
            );
            let r = match (&p.ec2_instance_id, self.dry_run) {
                (_, true) => Ok(()),
                (None, false) => Err("the container instance names no EC2 instance".to_owned()),
                (Some(id), false) => {
                    self.calls += 1;
                    self.api
                        .terminate_instance(id)
                        .await
                        .map_err(|err| self.fail(err))
                }
            };
            self.push(e, r);
        }
        for p in plan.redrain.iter().chain(&plan.drain) {
            let fresh = plan.drain.contains(p);
            let m = pick_member(p, InstanceStatus::Active);
            let e = entry(&m, Step::Drain, Why::FleetSurplus, units.clone());
            if self.dry_run {
                self.push(e, Ok(()));
                continue;
            }
            if fresh {
                self.calls += 1;
                if let Err(err) = self
                    .api
                    .put_member_attribute(
                        self.cluster,
                        &p.arn,
                        SURPLUS_ATTRIBUTE,
                        &self.now.to_string(),
                    )
                    .await
                {
                    let msg = self.fail(err);
                    self.push(e, Err(msg));
                    continue;
                }
            }
            self.calls += 1;
            let r = self
                .api
                .set_member_status(self.cluster, &p.arn, true)
                .await
                .map(|_| ())
                .map_err(|err| self.fail(err));
            self.push(e, r);
        }
        for p in &plan.keep {
            if plan.terminate.contains(p) || plan.redrain.contains(p) {
                continue;
            }
            let m = pick_member(p, InstanceStatus::Draining);
            let msg = format!("draining, {} tasks still running ({units})", p.tasks);
            self.push(entry(&m, Step::Wait, Why::FleetSurplus, msg), Ok(()));
        }
        for p in &plan.reactivate {
            let m = pick_member(p, InstanceStatus::Draining);
            let msg = match plan.basis {
                SurplusBasis::Metrics => format!("surplus gone ({units})"),
                SurplusBasis::MetricsInDoubt => "surplus unknown: fleet metrics in doubt".into(),
            };
            let e = entry(&m, Step::Reactivate, Why::SurplusGone, msg);
            if self.dry_run {
                self.push(e, Ok(()));
                continue;
            }
            self.calls += 1;
            if let Err(err) = self
                .api
                .set_member_status(self.cluster, &p.arn, false)
                .await
            {
                let msg = self.fail(err);
                self.push(e, Err(msg));
                continue;
            }
            self.calls += 1;
            let r = self
                .api
                .delete_member_attribute(self.cluster, &p.arn, SURPLUS_ATTRIBUTE)
                .await
                .map_err(|err| self.fail(err));
            self.push(e, r);
        }
    }
}
