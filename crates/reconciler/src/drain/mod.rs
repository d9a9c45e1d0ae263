//! Scale-in without killing tasks: the shell around
//! [`spotcover_reconciler_core::drain`].
//!
//! - **Lifecycle hook event** (`EC2 Instance-terminate Lifecycle Action` for the
//!   on-demand group): find the instance's container instance
//!   (`ListContainerInstances` filtered by `ec2InstanceId` +
//!   `DescribeContainerInstances`); none: complete the lifecycle action at once
//!   ("not in cluster"). Else set it DRAINING (`UpdateContainerInstancesState`,
//!   whose answer carries the task counts after the change); no task: complete at
//!   once ("drained"); else record the deadline (`PutAttributes`
//!   `spotcover.hook-deadline=<epoch>`) for the scheduled runs.
//! - **Scheduled run** (with `SPOTCOVER_CLUSTER` set), after the shortfall
//!   decision: one `ListContainerInstances` + one `DescribeContainerInstances`
//!   over the whole cluster (per 100 instances), then
//!   - for each container instance with `spotcover.hook-deadline` (when
//!     `SPOTCOVER_LIFECYCLE_HOOK` is set): drain it if still ACTIVE; complete
//!     the lifecycle action when it runs no task ("drained") or when the deadline
//!     minus the safety margin has passed ("timeout, N tasks still running"),
//!     then remove the attribute (`DeleteAttributes`);
//!   - the fleet's surplus ([`plan_surplus`]): terminate marked, DRAINING, empty
//!     spot instances (EC2 `TerminateInstances`); drain again marked ones found
//!     ACTIVE; mark (`PutAttributes spotcover.surplus=<epoch>`) then drain newly
//!     picked ones; give back (ACTIVE, then `DeleteAttributes`) marked ones the
//!     surplus no longer covers.
//!
//! With nothing draining and no surplus, the scheduled run adds exactly the two
//! ECS reads. Every write is safe to repeat and to race with an overlapping
//! run: draining a DRAINING instance, putting or deleting an attribute again,
//! terminating a terminated instance all succeed, and a lifecycle action that
//! another run already completed answers "No active Lifecycle Action", which is
//! taken as done.

pub mod api;
pub mod ec2;
pub mod sdk;

use serde::Serialize;
use serde_json::Value;
use spotcover_reconciler_core::drain::{
    CAPACITY_ON_DEMAND, CompleteReason, DEFAULT_HOOK_TIMEOUT_SECS, HOOK_DEADLINE_ATTRIBUTE,
    HOOK_TIMEOUT_RANGE, HookStep, Member, Pick, SURPLUS_ATTRIBUTE, SurplusBasis, SurplusPlan,
    hook_deadline, hook_margin_secs, hook_step, plan_surplus,
};
use spotcover_reconciler_core::{Decision, EpochSeconds, InstanceStatus, Reason};

pub use self::api::{Completion, DrainApi};
use crate::config::{Config, ConfigError, ENV_HOOK_TIMEOUT, ENV_LIFECYCLE_HOOK};
use crate::event::{EventError, valid_instance_id};
use crate::{Error, Outcome, Report};

/// `detail-type` of the lifecycle hook's EventBridge event.
pub const DETAIL_TERMINATE_LIFECYCLE_ACTION: &str = "EC2 Instance-terminate Lifecycle Action";
/// `detail.LifecycleTransition` of a terminating instance.
pub const TERMINATING_TRANSITION: &str = "autoscaling:EC2_INSTANCE_TERMINATING";

/// The lifecycle hook settings (`SPOTCOVER_LIFECYCLE_HOOK`,
/// `SPOTCOVER_HOOK_TIMEOUT_SECONDS`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrainSettings {
    /// The hook's name; `None`: no hook, lifecycle events are refused and the
    /// scheduled run completes nothing.
    pub lifecycle_hook: Option<String>,
    /// The hook's heartbeat timeout, seconds.
    pub hook_timeout_secs: u64,
}

impl Default for DrainSettings {
    fn default() -> Self {
        Self {
            lifecycle_hook: None,
            hook_timeout_secs: DEFAULT_HOOK_TIMEOUT_SECS,
        }
    }
}

impl DrainSettings {
    /// Reads the two variables through `get`.
    pub fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let trimmed = |k| {
            get(k)
                .map(|s: String| s.trim().to_owned())
                .filter(|s| !s.is_empty())
        };
        let hook_timeout_secs = match trimmed(ENV_HOOK_TIMEOUT) {
            None => DEFAULT_HOOK_TIMEOUT_SECS,
            Some(s) => s
                .parse()
                .ok()
                .filter(|t| (HOOK_TIMEOUT_RANGE.0..=HOOK_TIMEOUT_RANGE.1).contains(t))
                .ok_or(ConfigError::Invalid {
                    name: ENV_HOOK_TIMEOUT,
                    want: "a whole number of seconds from 30 to 7200",
                    got: s,
                })?,
        };
        Ok(Self {
            lifecycle_hook: trimmed(ENV_LIFECYCLE_HOOK),
            hook_timeout_secs,
        })
    }
}

/// An `EC2 Instance-terminate Lifecycle Action` event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LifecycleEvent {
    pub group: String,
    pub hook: String,
    pub instance_id: String,
    pub transition: String,
    /// `LifecycleActionToken` (not needed: actions are completed by instance id).
    pub token: Option<String>,
}

/// Parses the lifecycle hook's event: `detail` with `AutoScalingGroupName`,
/// `LifecycleHookName`, `EC2InstanceId` and `LifecycleTransition` (strings).
pub fn parse_lifecycle(event: &Value) -> Result<LifecycleEvent, EventError> {
    let malformed = |s: String| EventError::Malformed(s);
    let detail = event
        .get("detail")
        .and_then(Value::as_object)
        .ok_or_else(|| malformed("lifecycle action event without a detail object".into()))?;
    let field = |k: &str| match detail.get(k) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        Some(other) => Err(malformed(format!(
            "detail.{k} must be a string, got {other}"
        ))),
        None => Err(malformed(format!(
            "lifecycle action event without detail.{k}"
        ))),
    };
    let instance_id = field("EC2InstanceId")?;
    if !valid_instance_id(&instance_id) {
        return Err(malformed(format!(
            "detail.EC2InstanceId {instance_id:?} is not an EC2 instance id"
        )));
    }
    Ok(LifecycleEvent {
        group: field("AutoScalingGroupName")?,
        hook: field("LifecycleHookName")?,
        instance_id,
        transition: field("LifecycleTransition")?,
        token: field("LifecycleActionToken").ok(),
    })
}

/// What was done (or, in a dry run, would be done) to one instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// `UpdateContainerInstancesState` DRAINING.
    Drain,
    /// `CompleteLifecycleAction` CONTINUE.
    CompleteLifecycleAction,
    /// EC2 `TerminateInstances`.
    Terminate,
    /// `UpdateContainerInstancesState` ACTIVE and the surplus mark removed.
    Reactivate,
    /// Nothing yet: tasks still run.
    Wait,
}

/// Why, machine-readable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Why {
    /// The lifecycle hook holds the instance.
    LifecycleHook,
    Drained,
    Timeout,
    NotInCluster,
    /// Fleet capacity above its target.
    FleetSurplus,
    /// The surplus is gone (the target rose, or the metrics are in doubt).
    SurplusGone,
}

/// One line of the drain report: an instance, what happened and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InstanceReport {
    pub instance_id: Option<String>,
    pub container_instance: String,
    /// The `spotcover.capacity` attribute (`spot`, `on-demand`).
    pub capacity: Option<String>,
    pub step: Step,
    pub why: Why,
    /// Human-readable: "drained", "timeout, 2 tasks still running", "not in
    /// cluster", ...
    pub message: String,
    /// Running plus pending tasks when decided.
    pub tasks: Option<u32>,
    /// The call succeeded (false in a dry run, on error, and for `wait`).
    pub done: bool,
    /// `CompleteLifecycleAction` found no active action (another run, or the
    /// hook's timeout, completed it): done all the same.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub already_completed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The fleet surplus as decided.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SurplusReport {
    pub basis: SurplusBasis,
    pub target: Option<f64>,
    pub fulfilled: Option<f64>,
    pub registered_units: u32,
    pub surplus_units: u32,
}

/// The lifecycle event, as received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LifecycleEventReport {
    pub instance_id: String,
    pub group: String,
    pub hook: String,
    /// Set when the event is not for this stack's group and hook (or not a
    /// termination): nothing was done.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refused: Option<&'static str>,
}

/// The drain part of the log line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DrainReport {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lifecycle_event: Option<LifecycleEventReport>,
    /// Container instances seen in the cluster (scheduled runs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub members: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub surplus: Option<SurplusReport>,
    pub instances: Vec<InstanceReport>,
}

impl DrainReport {
    fn new() -> Self {
        Self {
            lifecycle_event: None,
            members: None,
            surplus: None,
            instances: Vec::new(),
        }
    }

    /// True iff any call changed something.
    pub fn changed(&self) -> bool {
        self.instances
            .iter()
            .any(|i| i.done && i.step != Step::Wait)
    }

    /// True iff anything would change (dry run) or changed.
    pub fn acts(&self) -> bool {
        self.instances.iter().any(|i| i.step != Step::Wait)
    }
}

/// The state of one invocation's drain work.
struct Run<'a, A> {
    api: &'a A,
    cluster: &'a str,
    group: &'a str,
    now: EpochSeconds,
    dry_run: bool,
    calls: u32,
    report: DrainReport,
    error: Option<Error>,
}

fn entry(m: &Member, step: Step, why: Why, message: String) -> InstanceReport {
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
        capacity: Some(spotcover_reconciler_core::drain::CAPACITY_SPOT.to_owned()),
        hook_deadline: None,
        surplus_mark: None,
    }
}

impl<A: DrainApi> Run<'_, A> {
    fn fail(&mut self, e: crate::ApiError) -> String {
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
    async fn hook_member(
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
    async fn complete(&mut self, hook: &str, mut e: InstanceReport) -> bool {
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
    async fn surplus(&mut self, plan: &SurplusPlan) {
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

/// `(target, fulfilled)` when the shortfall decision trusted the fleet metrics.
pub fn trusted_fleet(d: Option<&Decision>) -> Option<(f64, f64)> {
    let d = d?;
    let trusted = !d.reason.in_doubt()
        && !matches!(d.reason, Reason::GroupUnknown | Reason::GroupBoundsInvalid);
    match (trusted, d.target, d.fulfilled) {
        (true, Some(t), Some(f)) => Some((t, f)),
        _ => None,
    }
}

/// Folds the drain work into the invocation's report.
fn finish(r: &mut Report, run_calls: u32, report: DrainReport, error: Option<Error>) {
    r.api_calls += run_calls;
    if r.error.is_none()
        && let Some(e) = &error
    {
        *r = std::mem::replace(r, Report::new(0, false)).fail(e);
    }
    if r.result == Outcome::NoAction && report.acts() {
        r.result = if r.dry_run {
            Outcome::DryRun
        } else if report.changed() {
            Outcome::Applied
        } else {
            r.result
        };
    }
    r.drain = Some(report);
}

/// The scheduled run's drain pass (see the module docs); adds to `r`.
pub async fn scheduled_pass<A: DrainApi>(api: &A, config: &Config, r: &mut Report) {
    let Some(cluster) = config.cluster.as_deref() else {
        return;
    };
    let mut run = Run {
        api,
        cluster,
        group: &config.group_name,
        now: r.now,
        dry_run: r.dry_run,
        calls: 1,
        report: DrainReport::new(),
        error: None,
    };
    let members = match api.list_member_arns(cluster, None).await {
        Ok(arns) if arns.is_empty() => Ok(Vec::new()),
        Ok(arns) => {
            run.calls += 1;
            api.describe_members(cluster, &arns).await
        }
        Err(e) => Err(e),
    };
    let members = match members {
        Ok(m) => m,
        Err(e) => {
            run.fail(e);
            let (calls, report, error) = (run.calls, run.report, run.error);
            return finish(r, calls, report, error);
        }
    };
    run.report.members = Some(members.len());

    if let Some(hook) = config.drain.lifecycle_hook.as_deref() {
        let margin = hook_margin_secs(config.drain.hook_timeout_secs);
        for m in members.iter().filter(|m| m.hook_deadline.is_some()) {
            let deadline = m.deadline().unwrap_or(EpochSeconds::MIN);
            run.hook_member(hook, m.clone(), deadline, margin, true)
                .await;
        }
    }

    let fleet = trusted_fleet(r.decision.as_ref());
    let plan = plan_surplus(&config.interruption.spot_weights, fleet, &members);
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
    let (calls, report, error) = (run.calls, run.report, run.error);
    finish(r, calls, report, error);
}

/// Handles the lifecycle hook's event for an instance of the on-demand group
/// (see the module docs).
pub async fn handle_lifecycle<A: DrainApi>(
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
        calls: 1,
        report,
        error: None,
    };
    let found = match api.list_member_arns(cluster, Some(&ev.instance_id)).await {
        Ok(arns) if arns.is_empty() => Ok(None),
        Ok(arns) => {
            run.calls += 1;
            api.describe_members(cluster, &arns).await.map(|all| {
                all.into_iter()
                    .find(|m| m.ec2_instance_id.as_deref() == Some(ev.instance_id.as_str()))
            })
        }
        Err(e) => Err(e),
    };
    match found {
        Err(e) => {
            run.fail(e);
        }
        Ok(None) => {
            let m = Member {
                arn: String::new(),
                ec2_instance_id: Some(ev.instance_id.clone()),
                status: InstanceStatus::Other,
                running_tasks: 0,
                pending_tasks: 0,
                instance_type: None,
                capacity: Some(CAPACITY_ON_DEMAND.into()),
                hook_deadline: None,
                surplus_mark: None,
            };
            let mut e = entry(
                &m,
                Step::CompleteLifecycleAction,
                Why::NotInCluster,
                "not in cluster".into(),
            );
            e.tasks = None;
            run.complete(&ev.hook, e).await;
        }
        Ok(Some(m)) => {
            let timeout = config.drain.hook_timeout_secs;
            let deadline = hook_deadline(&m, timeout, now);
            let marked = m.hook_deadline.is_some();
            let after = run
                .hook_member(&ev.hook, m, deadline, hook_margin_secs(timeout), marked)
                .await;
            // Not completed (tasks still run, or the completion failed): record
            // the deadline for the scheduled runs.
            let completed = run
                .report
                .instances
                .last()
                .is_some_and(|i| i.step == Step::CompleteLifecycleAction && i.error.is_none());
            if let Some(m) = after
                && !marked
                && !completed
                && !dry_run
            {
                run.calls += 1;
                if let Err(e) = api
                    .put_member_attribute(
                        cluster,
                        &m.arn,
                        HOOK_DEADLINE_ATTRIBUTE,
                        &deadline.to_string(),
                    )
                    .await
                {
                    run.fail(e);
                }
            }
        }
    }
    let (calls, report, error) = (run.calls, run.report, run.error);
    finish(&mut r, calls, report, error);
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lifecycle_event_parses_the_aws_example() {
        // aws_lambda_events fixture example-autoscaling-event-terminate-action.json
        let ev = json!({
            "version": "0", "id": "12345678-1234-1234-1234-123456789012",
            "detail-type": "EC2 Instance-terminate Lifecycle Action",
            "source": "aws.autoscaling", "account": "123456789012",
            "time": "1970-01-01T00:00:00Z", "region": "us-west-2",
            "resources": ["auto-scaling-group-arn"],
            "detail": {
                "LifecycleActionToken": "87654321-4321-4321-4321-210987654321",
                "AutoScalingGroupName": "my-asg",
                "LifecycleHookName": "my-lifecycle-hook",
                "EC2InstanceId": "i-1234567890abcdef0",
                "LifecycleTransition": "autoscaling:EC2_INSTANCE_TERMINATING"
            }
        });
        assert_eq!(
            crate::event::parse(&ev).unwrap(),
            crate::event::Invocation::Lifecycle(LifecycleEvent {
                group: "my-asg".into(),
                hook: "my-lifecycle-hook".into(),
                instance_id: "i-1234567890abcdef0".into(),
                transition: TERMINATING_TRANSITION.into(),
                token: Some("87654321-4321-4321-4321-210987654321".into()),
            })
        );
    }

    #[test]
    fn malformed_lifecycle_events_are_rejected() {
        let base = |detail: Value| {
            json!({"detail-type": DETAIL_TERMINATE_LIFECYCLE_ACTION,
                "source": "aws.autoscaling", "detail": detail})
        };
        let ok = json!({"AutoScalingGroupName": "g", "LifecycleHookName": "h",
            "EC2InstanceId": "i-1", "LifecycleTransition": TERMINATING_TRANSITION});
        assert!(parse_lifecycle(&base(ok.clone())).is_ok());
        for key in [
            "AutoScalingGroupName",
            "LifecycleHookName",
            "EC2InstanceId",
            "LifecycleTransition",
        ] {
            let mut d = ok.clone();
            d.as_object_mut().unwrap().remove(key);
            assert!(parse_lifecycle(&base(d)).is_err(), "without {key}");
        }
        let mut d = ok.clone();
        d["EC2InstanceId"] = json!("sfr-1");
        assert!(parse_lifecycle(&base(d)).is_err());
        assert!(
            parse_lifecycle(&json!({"detail-type": DETAIL_TERMINATE_LIFECYCLE_ACTION})).is_err()
        );
    }

    /// PutLifecycleHook `HeartbeatTimeout` (Amazon EC2 Auto Scaling API
    /// Reference, https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_PutLifecycleHook.html):
    /// "The range is from 30 to 7200 seconds. The default value is 3600 seconds"
    /// (the template's default is 900).
    #[test]
    fn hook_settings_default_and_bounds() {
        let get = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(
            DrainSettings::from_lookup(&get(&[])).unwrap(),
            DrainSettings::default()
        );
        assert_eq!(DrainSettings::default().hook_timeout_secs, 900);
        let s = DrainSettings::from_lookup(&get(&[
            (ENV_LIFECYCLE_HOOK, " drain "),
            (ENV_HOOK_TIMEOUT, "30"),
        ]))
        .unwrap();
        assert_eq!(s.lifecycle_hook.as_deref(), Some("drain"));
        assert_eq!(s.hook_timeout_secs, 30);
        assert_eq!(
            DrainSettings::from_lookup(&get(&[(ENV_HOOK_TIMEOUT, "7200")]))
                .unwrap()
                .hook_timeout_secs,
            7200
        );
        for bad in [
            &[(ENV_HOOK_TIMEOUT, "29")][..],
            &[(ENV_HOOK_TIMEOUT, "7201")],
            &[(ENV_HOOK_TIMEOUT, "15m")],
        ] {
            let e = DrainSettings::from_lookup(&get(bad)).unwrap_err();
            assert!(e.to_string().starts_with(ENV_HOOK_TIMEOUT), "{e}");
        }
    }
}
