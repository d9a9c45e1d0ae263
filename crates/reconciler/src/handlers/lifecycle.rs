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
mod report;
mod run;
pub mod sdk;

use serde_json::Value;
use spotcover_reconciler_core::drain::{
    CAPACITY_ON_DEMAND, DEFAULT_HOOK_TIMEOUT_SECS, HOOK_DEADLINE_ATTRIBUTE, Member, hook_deadline,
    hook_margin_secs, plan_surplus,
};
use spotcover_reconciler_core::{Decision, EpochSeconds, InstanceStatus};

pub use self::api::{Completion, DrainApi};
pub use self::report::*;
use self::run::{Run, entry};
use crate::config::Config;
use crate::event::{EventError, valid_instance_id};
use crate::{Error, Outcome, Report};

/// `detail-type` of the lifecycle hook's EventBridge event.
pub const DETAIL_TERMINATE_LIFECYCLE_ACTION: &str = "EC2 Instance-terminate Lifecycle Action";
/// `detail.LifecycleTransition` of a terminating instance.
pub const TERMINATING_TRANSITION: &str = "autoscaling:EC2_INSTANCE_TERMINATING";

/// The lifecycle hook settings, as [`Config`] reads them from the core's
/// [`Settings`](spotcover_reconciler_core::settings::Settings)
/// (`SPOTCOVER_LIFECYCLE_HOOK`, `SPOTCOVER_HOOK_TIMEOUT_SECONDS`).
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

    let fleet = r.decision.as_ref().and_then(Decision::trusted_fleet);
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
}
