//! One invocation's drain work: the calls that carry out [`hook_step`] and a
//! [`SurplusPlan`], in an order that is safe to repeat and to race, each recorded in the
//! [`DrainReport`].

use spotcover_reconciler_core::contract::attributes::COVERED as COVERED_ATTRIBUTE;
use spotcover_reconciler_core::contract::attributes::{
    HOOK_DEADLINE as HOOK_DEADLINE_ATTRIBUTE, SURPLUS as SURPLUS_ATTRIBUTE,
};
use spotcover_reconciler_core::drain::{
    CompleteReason, HookStep, Pick, SurplusBasis, SurplusPlan, hook_deadline, hook_step,
};
use spotcover_reconciler_core::ecs::{
    CapacityKind, ContainerInstance, CoverMark, InstanceStatus, SurplusMark,
};
use spotcover_reconciler_core::interruption::InterruptionDecision;
use spotcover_reconciler_core::{Action, EpochSeconds};

use crate::adapters::{Aws, Completion};
use crate::error::{ApiError, Error};
use crate::report::{DrainReport, InstanceReport, Step, Why};

/// The state of one invocation's drain work.
pub(crate) struct Run<'a, A> {
    pub(crate) api: &'a A,
    pub(crate) cluster: &'a str,
    pub(crate) group: &'a str,
    pub(crate) now: EpochSeconds,
    pub(crate) dry_run: bool,
    pub(crate) calls: u32,
    pub(crate) report: DrainReport,
    pub(crate) error: Option<Error>,
}

fn entry(m: &ContainerInstance, step: Step, why: Why, message: String) -> InstanceReport {
    InstanceReport {
        instance_id: m.ec2_instance_id.clone(),
        container_instance: m.arn.clone(),
        capacity: m.capacity,
        step,
        why,
        message,
        tasks: Some(m.tasks()),
        done: false,
        already_completed: false,
        error: None,
    }
}

fn pick_member(p: &Pick, status: InstanceStatus) -> ContainerInstance {
    ContainerInstance {
        status,
        running_tasks: p.tasks,
        capacity: CapacityKind::Spot,
        ..ContainerInstance::new(p.arn.clone(), p.ec2_instance_id.clone())
    }
}

impl<A: Aws> Run<'_, A> {
    pub(crate) fn fail(&mut self, e: ApiError) -> String {
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

    /// The container instance as ECS describes it now (`DescribeContainerInstances`);
    /// `None` when the read failed (recorded as the run's error) or ECS no longer knows it.
    async fn read_back(&mut self, m: &ContainerInstance) -> Option<ContainerInstance> {
        self.calls += 1;
        match self
            .api
            .describe_container_instances(self.cluster, std::slice::from_ref(&m.arn))
            .await
        {
            Ok(all) => all.into_iter().find(|c| c.arn == m.arn),
            Err(err) => {
                self.fail(err);
                None
            }
        }
    }

    /// Drives one container instance the hook holds: drain if ACTIVE, then
    /// complete if empty or due; `delete_mark`: remove the deadline attribute
    /// after completing.
    pub(crate) async fn hook_member(
        &mut self,
        hook: &str,
        m: ContainerInstance,
        deadline: EpochSeconds,
        margin: u64,
        delete_mark: bool,
    ) -> Option<ContainerInstance> {
        let mut m = m;
        let mut step = hook_step(&m, deadline, margin, self.now);
        if step == HookStep::Drain {
            let e = entry(&m, Step::Drain, Why::LifecycleHook, "lifecycle hook".into());
            if self.dry_run {
                self.push(e, Ok(()));
                return Some(m);
            }
            self.calls += 1;
            match self.api.set_status(self.cluster, &m.arn, true).await {
                Ok(_) => {
                    self.push(e, Ok(()));
                    // The write's own answer can be one ECS later loses: complete only on
                    // what a fresh read shows (DRAINING, no task); else the deadline is
                    // recorded and a scheduled run completes it.
                    m = match self.read_back(&m).await {
                        Some(now) => now,
                        None => return Some(m),
                    };
                    if m.status != InstanceStatus::Draining {
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
                        .delete_attribute(self.cluster, &m.arn, HOOK_DEADLINE_ATTRIBUTE)
                        .await
                    {
                        self.fail(err);
                    }
                }
            }
        }
        Some(m)
    }

    /// Drives an instance the hook holds, as its lifecycle event would: drain it, complete
    /// the action when it is empty or due, and else record `deadline` (when known and not
    /// recorded yet) for the scheduled runs.
    pub(crate) async fn hold(
        &mut self,
        hook: &str,
        m: ContainerInstance,
        deadline: Option<EpochSeconds>,
        margin: u64,
    ) {
        let marked = m.hook_deadline.is_some();
        let after = self
            .hook_member(
                hook,
                m,
                deadline.unwrap_or(EpochSeconds::MAX),
                margin,
                marked,
            )
            .await;
        // Not completed (tasks still run, or the completion failed): record the deadline.
        let completed = self
            .report
            .instances
            .last()
            .is_some_and(|i| i.step == Step::CompleteLifecycleAction && i.error.is_none());
        if let (Some(m), Some(deadline)) = (after, deadline)
            && !marked
            && !completed
            && !self.dry_run
        {
            self.calls += 1;
            if let Err(e) = self
                .api
                .put_attribute(
                    self.cluster,
                    &m.arn,
                    HOOK_DEADLINE_ATTRIBUTE,
                    &deadline.to_string(),
                )
                .await
            {
                self.fail(e);
            }
        }
    }

    /// An instance the group holds in `Terminating:Wait` whose container instance carries
    /// no deadline: its lifecycle event was lost, or is still on its way. Handled as the
    /// event would be; the deadline is counted from a heartbeat sent now (which restarts
    /// the hook's timeout), since the run cannot know when the wait began. When the
    /// heartbeat fails, the instance is still drained and completed once empty, but no
    /// deadline is recorded (the next run sends the heartbeat again).
    pub(crate) async fn hold_unmarked(
        &mut self,
        hook: &str,
        m: ContainerInstance,
        timeout_secs: u64,
        margin: u64,
    ) {
        let Some(id) = m.ec2_instance_id.clone() else {
            return;
        };
        let deadline = if self.dry_run {
            None
        } else {
            self.calls += 1;
            match self
                .api
                .record_lifecycle_heartbeat(self.group, hook, &id)
                .await
            {
                Ok(Completion::Completed) => Some(hook_deadline(&m, timeout_secs, self.now)),
                // Completed meanwhile (another run, or the timeout): nothing held.
                Ok(Completion::NoActiveAction) => return,
                Err(e) => {
                    self.fail(e);
                    None
                }
            }
        };
        self.hold(hook, m, deadline, margin).await;
    }

    /// Completes the lifecycle action of an instance with no container instance in the
    /// cluster (it never joined, or already left): nothing to drain.
    pub(crate) async fn complete_not_in_cluster(&mut self, hook: &str, instance_id: &str) {
        let m = ContainerInstance {
            status: InstanceStatus::Other,
            capacity: CapacityKind::OnDemand,
            ..ContainerInstance::new(String::new(), Some(instance_id.to_owned()))
        };
        let mut e = entry(
            &m,
            Step::CompleteLifecycleAction,
            Why::NotInCluster,
            "not in cluster".into(),
        );
        e.tasks = None;
        self.complete(hook, e).await;
    }

    /// Carries out the decision about a cover a notice claimed and never confirmed: drain
    /// if ACTIVE, raise the group, then the final mark (not after a failed drain),
    /// stopping at a failed raise.
    /// Returns the group's desired capacity when raised.
    pub(crate) async fn finish_cover(
        &mut self,
        group: &str,
        m: &ContainerInstance,
        d: &InterruptionDecision,
    ) -> Option<u32> {
        if !d.acts() {
            return None;
        }
        let message = match (d.action, d.cover) {
            (Action::SetDesired { desired, .. }, Some(n)) => {
                format!("claimed cover of {n} on-demand instances, desired {desired}")
            }
            _ => "claimed cover already in place".to_owned(),
        };
        let e = entry(m, Step::FinishCover, Why::ClaimedCover, message);
        if self.dry_run {
            self.push(e, Ok(()));
            return None;
        }
        // As the notice's handler: a failed drain holds back only the final mark.
        let mut drain_error = None;
        if d.drain {
            self.calls += 1;
            if let Err(err) = self.api.set_status(self.cluster, &m.arn, true).await {
                drain_error = Some(self.fail(err));
            }
        }
        let mut raised = None;
        if let Action::SetDesired {
            desired,
            honor_cooldown,
        } = d.action
        {
            self.calls += 1;
            if let Err(err) = self.api.set_desired(group, desired, honor_cooldown).await {
                let msg = self.fail(err);
                self.push(e, Err(msg));
                return None;
            }
            raised = Some(desired);
        }
        if let Some(msg) = drain_error {
            self.push(e, Err(msg));
        } else if d.mark_covered {
            self.calls += 1;
            let r = self
                .api
                .put_attribute(
                    self.cluster,
                    &m.arn,
                    COVERED_ATTRIBUTE,
                    &CoverMark::covered_value(self.now),
                )
                .await
                .map_err(|err| self.fail(err));
            self.push(e, r);
        } else {
            self.push(e, Ok(()));
        }
        raised
    }

    /// Completes the lifecycle action; true iff it is done (by this call or
    /// an earlier one).
    pub(crate) async fn complete(&mut self, hook: &str, mut e: InstanceReport) -> bool {
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
    pub(crate) async fn surplus(&mut self, plan: &SurplusPlan) {
        let units = format!(
            "fleet surplus {} of {} units",
            plan.surplus_units, plan.registered_units
        );
        self.terminate_drained(plan, &units).await;
        self.drain_surplus(plan, &units).await;
        self.wait_for_tasks(plan, &units);
        self.adopt_unmarked(plan, &units).await;
        self.give_back(plan, &units).await;
    }

    /// Terminates the marked, DRAINING, empty spot instances.
    async fn terminate_drained(&mut self, plan: &SurplusPlan, units: &str) {
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
    }

    /// Marks (when new) and drains the picked instances; drains again the marked ones found ACTIVE.
    async fn drain_surplus(&mut self, plan: &SurplusPlan, units: &str) {
        for p in plan.redrain.iter().chain(&plan.drain) {
            let fresh = plan.drain.contains(p);
            let m = pick_member(p, InstanceStatus::Active);
            let e = entry(&m, Step::Drain, Why::FleetSurplus, units.to_owned());
            if self.dry_run {
                self.push(e, Ok(()));
                continue;
            }
            if fresh {
                self.calls += 1;
                if let Err(err) = self
                    .api
                    .put_attribute(
                        self.cluster,
                        &p.arn,
                        SURPLUS_ATTRIBUTE,
                        &SurplusMark::value(self.now),
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
                .set_status(self.cluster, &p.arn, true)
                .await
                .map(|_| ())
                .map_err(|err| self.fail(err));
            self.push(e, r);
        }
    }

    /// Reports the marked instances still running tasks.
    fn wait_for_tasks(&mut self, plan: &SurplusPlan, units: &str) {
        for p in &plan.keep {
            if plan.terminate.contains(p) || plan.redrain.contains(p) {
                continue;
            }
            let m = pick_member(p, InstanceStatus::Draining);
            let msg = format!("draining, {} tasks still running ({units})", p.tasks);
            self.push(entry(&m, Step::Wait, Why::FleetSurplus, msg), Ok(()));
        }
    }

    /// Marks a spot instance DRAINING without any mark as surplus.
    async fn adopt_unmarked(&mut self, plan: &SurplusPlan, units: &str) {
        for p in &plan.adopt {
            let m = pick_member(p, InstanceStatus::Draining);
            let e = entry(
                &m,
                Step::Adopt,
                Why::LostMark,
                format!("draining without a mark, adopted ({units})"),
            );
            if self.dry_run {
                self.push(e, Ok(()));
                continue;
            }
            self.calls += 1;
            let r = self
                .api
                .put_attribute(
                    self.cluster,
                    &p.arn,
                    SURPLUS_ATTRIBUTE,
                    &SurplusMark::adopted_value(self.now),
                )
                .await
                .map_err(|err| self.fail(err));
            self.push(e, r);
        }
    }

    /// Gives back the marked instances the surplus no longer covers: ACTIVE, then the mark removed.
    async fn give_back(&mut self, plan: &SurplusPlan, units: &str) {
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
            if let Err(err) = self.api.set_status(self.cluster, &p.arn, false).await {
                let msg = self.fail(err);
                self.push(e, Err(msg));
                continue;
            }
            self.calls += 1;
            let r = self
                .api
                .delete_attribute(self.cluster, &p.arn, SURPLUS_ATTRIBUTE)
                .await
                .map_err(|err| self.fail(err));
            self.push(e, r);
        }
    }
}
