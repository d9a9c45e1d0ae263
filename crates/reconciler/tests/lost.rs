//! Nothing lost when AWS drops an event or a call, over the recording fake (the same
//! faults against moto are in `faults_moto.rs`):
//!
//! - a lifecycle event lost (or failing on every delivery) is handled by the scheduled
//!   run, from the group's `Terminating:Wait` instances, with the hook's deadline counted
//!   from when the wait began;
//! - a call that never answers is cut off by the run's time budget;
//! - an interruption warning is covered exactly once whatever write is lost or repeated;
//! - the fleet-surplus drain changes nothing on a failed read, and finishes an instance
//!   left DRAINING without its mark.

mod common;

use std::time::{Duration, Instant};

use common::fake::{Call, FakeApi, Fault, throttled};
use serde_json::{Value, json};
use spotcover_reconciler::adapters::budget::Budgeted;
use spotcover_reconciler::config::{Config, DrainSettings};
use spotcover_reconciler::report::{Step, Why};
use spotcover_reconciler::{Outcome, Report, handle_event};
use spotcover_reconciler_core::GroupState;
use spotcover_reconciler_core::contract::attributes::COVERED as COVERED_ATTRIBUTE;
use spotcover_reconciler_core::contract::settings::parse_weights;
use spotcover_reconciler_core::ecs::{
    CapacityKind, ContainerInstance, CoverMark, InstanceStatus, SurplusMark,
};
use spotcover_reconciler_core::interruption::InterruptionPolicy;
use spotcover_reconciler_core::policy::rule_2017::{self, Datapoint, Observation};

const NOW: i64 = 1_800_000_000;
const HOOK: &str = "drain";
const TIMEOUT: u64 = 900;

fn config() -> Config {
    Config {
        fleet_id: Some("sfr-1".into()),
        group_name: "od".into(),
        policy: rule_2017::Settings::new(2).unwrap(),
        cluster: Some("c".into()),
        interruption: InterruptionPolicy {
            spot_weights: parse_weights("m6i.large=2,m6i.xlarge=4")
                .unwrap()
                .into_iter()
                .collect(),
            drain_on_rebalance: false,
        },
        drain: DrainSettings {
            lifecycle_hook: Some(HOOK.into()),
            hook_timeout_secs: TIMEOUT,
        },
        need: None,
    }
}

fn steady(t: f64, f: f64) -> Observation {
    let pts = |v| (1..=15).map(|m| Datapoint::new(NOW - m * 60, v)).collect();
    Observation {
        target: pts(t),
        fulfilled: pts(f),
    }
}

fn group(desired: u32) -> Option<GroupState> {
    Some(GroupState {
        desired,
        min: 0,
        max: 10,
    })
}

fn instance(
    n: &str,
    capacity: CapacityKind,
    status: InstanceStatus,
    tasks: u32,
) -> ContainerInstance {
    ContainerInstance {
        status,
        running_tasks: tasks,
        capacity,
        instance_type: Some("m6i.large".into()),
        ..ContainerInstance::new(format!("arn-{n}"), Some(format!("i-{n}")))
    }
}

async fn scheduled(api: &FakeApi, at: i64) -> Report {
    handle_event(api, Ok(config()), &json!({}), at, false).await
}

fn lifecycle_event(id: &str, time: &str) -> Value {
    json!({"version": "0", "detail-type": "EC2 Instance-terminate Lifecycle Action",
        "source": "aws.autoscaling", "time": time, "region": "us-east-1",
        "detail": {"AutoScalingGroupName": "od", "LifecycleHookName": HOOK,
            "EC2InstanceId": id, "LifecycleTransition": "autoscaling:EC2_INSTANCE_TERMINATING"}})
}

/// An on-demand instance `i-od` with `tasks`, held by the hook in `Terminating:Wait`.
fn held(tasks: u32) -> FakeApi {
    let api = FakeApi::new(Observation::default(), group(1));
    api.add_instance(
        "c",
        instance("od", CapacityKind::OnDemand, InstanceStatus::Active, tasks),
    );
    api.terminating_wait.lock().unwrap().push("i-od".into());
    api.lifecycle_actions
        .lock()
        .unwrap()
        .push(("od".into(), HOOK.into(), "i-od".into()));
    api
}

fn set_tasks(api: &FakeApi, arn: &str, tasks: u32) {
    let mut all = api.instances.lock().unwrap();
    let (_, ci) = all.iter_mut().find(|(_, ci)| ci.arn == arn).unwrap();
    ci.running_tasks = tasks;
}

// --- lost lifecycle events ---------------------------------------------------

/// EC2 Auto Scaling user guide, "Amazon EC2 Auto Scaling lifecycle hooks": lifecycle
/// events are delivered on a best-effort basis; "RecordLifecycleActionHeartbeat" restarts
/// the heartbeat timeout (API reference, RecordLifecycleActionHeartbeat).
#[tokio::test]
async fn a_lost_lifecycle_event_is_handled_by_the_scheduled_run() {
    let api = held(2);
    let r = scheduled(&api, NOW).await;
    assert!(r.error.is_none(), "{}", r.to_line());
    let ci = api.instance("arn-od");
    assert_eq!(
        ci.status,
        InstanceStatus::Draining,
        "drained as the event would"
    );
    assert_eq!(
        ci.hook_deadline,
        Some(NOW + TIMEOUT as i64),
        "counted from the heartbeat"
    );
    assert!(api.writes().contains(&Call::Heartbeat {
        group: "od".into(),
        hook: HOOK.into(),
        instance_id: "i-od".into()
    }));
    assert!(api.completed.lock().unwrap().is_empty(), "tasks still run");
    // Tasks gone: the next run completes, and nothing was completed with tasks on it.
    set_tasks(&api, "arn-od", 0);
    let r = scheduled(&api, NOW + 60).await;
    assert!(r.error.is_none(), "{}", r.to_line());
    assert_eq!(*api.completed.lock().unwrap(), [("i-od".to_owned(), 0)]);
}

#[tokio::test]
async fn a_lifecycle_event_failing_on_every_delivery_is_finished_by_the_scheduled_run() {
    for op in [
        "ListContainerInstances",
        "DescribeContainerInstances",
        "UpdateContainerInstancesState",
    ] {
        let api = held(1);
        api.fail(op, throttled(op));
        for _ in 0..3 {
            let r = handle_event(
                &api,
                Ok(config()),
                &lifecycle_event("i-od", "2027-01-15T08:00:00Z"),
                NOW,
                false,
            )
            .await;
            assert_eq!(r.error.as_ref().unwrap().kind, "throttled", "{op}");
        }
        api.heal();
        scheduled(&api, NOW + 60).await;
        assert_eq!(
            api.instance("arn-od").status,
            InstanceStatus::Draining,
            "{op}"
        );
        set_tasks(&api, "arn-od", 0);
        scheduled(&api, NOW + 120).await;
        assert_eq!(
            *api.completed.lock().unwrap(),
            [("i-od".to_owned(), 0)],
            "{op}"
        );
    }
}

#[tokio::test]
async fn a_held_instance_not_in_the_cluster_is_completed_by_the_scheduled_run() {
    let api = held(0);
    api.instances.lock().unwrap().clear();
    let r = scheduled(&api, NOW).await;
    let e = &r.drain.as_ref().unwrap().instances[0];
    assert_eq!(
        (e.step, e.why),
        (Step::CompleteLifecycleAction, Why::NotInCluster)
    );
    assert!(api.lifecycle_actions.lock().unwrap().is_empty());
}

#[tokio::test]
async fn the_hook_deadline_counts_from_the_events_time() {
    // The wait began 10 minutes before this (retried) delivery.
    let api = held(3);
    let r = handle_event(
        &api,
        Ok(config()),
        &lifecycle_event("i-od", "2027-01-15T08:00:00Z"),
        NOW + 600,
        false,
    )
    .await;
    assert!(r.error.is_none(), "{}", r.to_line());
    // 2027-01-15T08:00:00Z is NOW.
    assert_eq!(
        api.instance("arn-od").hook_deadline,
        Some(NOW + TIMEOUT as i64)
    );
}

#[tokio::test]
async fn a_failed_heartbeat_still_drains_and_records_no_guessed_deadline() {
    let api = held(2);
    api.fail(
        "RecordLifecycleActionHeartbeat",
        throttled("RecordLifecycleActionHeartbeat"),
    );
    let r = scheduled(&api, NOW).await;
    assert_eq!(r.error.as_ref().unwrap().kind, "throttled");
    let ci = api.instance("arn-od");
    assert_eq!(
        (ci.status, ci.hook_deadline),
        (InstanceStatus::Draining, None)
    );
    assert!(api.completed.lock().unwrap().is_empty());
}

// --- the run's time budget ---------------------------------------------------

#[tokio::test]
async fn a_call_that_never_answers_is_cut_off_by_the_run_budget() {
    for op in [
        "ListContainerInstances",
        "DescribeAutoScalingGroups",
        "SetDesiredCapacity",
    ] {
        let api = FakeApi::new(Observation::default(), group(1));
        api.add_instance(
            "c",
            ContainerInstance {
                instance_type: Some("m6i.xlarge".into()),
                ..instance("spot", CapacityKind::Spot, InstanceStatus::Active, 1)
            },
        );
        api.fault(op, Fault::hang(None));
        let budget = Duration::from_millis(300);
        let started = Instant::now();
        let r = handle_event(
            &Budgeted::new(&api, budget),
            Ok(config()),
            &common::warning_event("i-spot"),
            NOW,
            false,
        )
        .await;
        let took = started.elapsed();
        assert!(took < budget + Duration::from_millis(200), "{op}: {took:?}");
        let e = r.error.as_ref().unwrap();
        assert_eq!(e.kind, "transport", "{op}");
        assert!(e.message.contains("budget"), "{op}: {}", e.message);
    }
}

// --- one cover per warning ---------------------------------------------------

/// `i-spot` (m6i.xlarge, weight 4: 2 on-demand instances at weight 2), ACTIVE; the group
/// at `desired`; no fleet metrics (the scheduled run keeps capacity).
fn warned(desired: u32) -> FakeApi {
    let api = FakeApi::new(Observation::default(), group(desired));
    api.add_instance(
        "c",
        ContainerInstance {
            instance_type: Some("m6i.xlarge".into()),
            ..instance("spot", CapacityKind::Spot, InstanceStatus::Active, 1)
        },
    );
    api
}

fn highest_desired_set(api: &FakeApi) -> u32 {
    api.calls()
        .iter()
        .filter_map(|c| match c {
            Call::SetDesired { desired, .. } => Some(*desired),
            _ => None,
        })
        .max()
        .unwrap_or(0)
}

/// Every call of the interruption path, failed before or after applying (lost answer),
/// or, for the attributes, acknowledged and not applied (lost write), once or on every
/// delivery; three deliveries, then a scheduled run: the warning is covered exactly once.
#[tokio::test]
async fn a_warning_is_covered_exactly_once_whatever_write_is_lost_or_repeated() {
    let ops = [
        "UpdateContainerInstancesState",
        "PutAttributes",
        "SetDesiredCapacity",
        "DescribeContainerInstances",
        "DescribeAutoScalingGroups",
    ];
    for op in ops {
        let mut faults: Vec<(&str, Fault)> = vec![
            ("before, once", Fault::before(throttled(op), Some(1))),
            ("after, once", Fault::after(throttled(op), Some(1))),
        ];
        // Acknowledged and not applied: the reconciler's own state (ECS attributes),
        // which a later read may not show.
        if op == "PutAttributes" {
            faults.push(("dropped, once", Fault::dropped(Some(1))));
        }
        // On every delivery: where what the deliveries wrote lets a later run finish (a
        // read, or the claim's write, failing on every delivery records nothing; the
        // shortfall decision covers then).
        if op != "DescribeContainerInstances" && op != "DescribeAutoScalingGroups" {
            faults.push(("after, always", Fault::after(throttled(op), None)));
            if op != "PutAttributes" {
                faults.push(("before, always", Fault::before(throttled(op), None)));
            }
        }
        for (how, fault) in faults {
            let api = warned(1);
            api.fault(op, fault);
            for _ in 0..3 {
                handle_event(
                    &api,
                    Ok(config()),
                    &common::warning_event("i-spot"),
                    NOW,
                    false,
                )
                .await;
            }
            api.heal();
            let r = scheduled(&api, NOW + 60).await;
            let case = format!("{op} {how}: {}", r.to_line());
            assert_eq!(api.desired(), 3, "{case}");
            assert!(
                highest_desired_set(&api) <= 3,
                "never above one cover: {case}"
            );
            assert_eq!(api.instance("arn-spot").cover, CoverMark::Covered, "{case}");
            // Delivered again later: nothing more.
            handle_event(
                &api,
                Ok(config()),
                &common::warning_event("i-spot"),
                NOW + 90,
                false,
            )
            .await;
            assert_eq!(api.desired(), 3, "{case}");
        }
    }
}

#[tokio::test]
async fn the_scheduled_run_finishes_a_cover_a_notice_claimed_and_never_applied() {
    let api = warned(1);
    api.fail("SetDesiredCapacity", throttled("SetDesiredCapacity"));
    for _ in 0..3 {
        let r = handle_event(
            &api,
            Ok(config()),
            &common::warning_event("i-spot"),
            NOW,
            false,
        )
        .await;
        assert_eq!(r.error.as_ref().unwrap().kind, "throttled");
    }
    assert_eq!(
        api.instance("arn-spot").cover,
        CoverMark::Claimed { base: 1 }
    );
    api.heal();
    let r = scheduled(&api, NOW + 60).await;
    assert!(r.error.is_none(), "{}", r.to_line());
    let e = &r.drain.as_ref().unwrap().instances[0];
    assert_eq!(
        (e.step, e.why, e.done),
        (Step::FinishCover, Why::ClaimedCover, true)
    );
    assert_eq!(api.desired(), 3);
    assert_eq!(api.instance("arn-spot").cover, CoverMark::Covered);
    // The next run: nothing.
    let before = api.writes().len();
    scheduled(&api, NOW + 120).await;
    assert_eq!(api.writes().len(), before, "{:?}", api.writes());
}

#[tokio::test]
async fn a_claim_whose_write_was_lost_is_not_raised_on() {
    let api = warned(1);
    api.fault("PutAttributes", Fault::dropped(Some(1)));
    let r = handle_event(
        &api,
        Ok(config()),
        &common::warning_event("i-spot"),
        NOW,
        false,
    )
    .await;
    assert_eq!(
        r.error.as_ref().unwrap().kind,
        "claim_lost",
        "{}",
        r.to_line()
    );
    assert_eq!(
        api.desired(),
        1,
        "not raised on a claim that did not read back"
    );
}

// --- the fleet-surplus drain -------------------------------------------------

fn surplus_member(n: &str, status: InstanceStatus, tasks: u32) -> ContainerInstance {
    ContainerInstance {
        surplus_mark: Some(SurplusMark {
            at: NOW - 600,
            adopted: false,
        }),
        ..instance(n, CapacityKind::Spot, status, tasks)
    }
}

#[tokio::test]
async fn a_failed_read_gives_no_draining_instance_back() {
    for op in ["GetMetricData", "DescribeAutoScalingGroups"] {
        let api = FakeApi::new(steady(2.0, 4.0), group(1));
        api.add_instance("c", surplus_member("a", InstanceStatus::Draining, 1));
        api.fail(op, throttled(op));
        let r = scheduled(&api, NOW).await;
        assert_eq!(r.error.as_ref().unwrap().kind, "throttled");
        assert_eq!(
            r.drain.as_ref().unwrap().surplus_skipped,
            Some("fleet metrics or group not read")
        );
        assert!(api.writes().is_empty(), "{op}: {:?}", api.writes());
        assert_eq!(api.instance("arn-a").status, InstanceStatus::Draining);
    }
}

#[tokio::test]
async fn an_instance_left_draining_without_its_mark_is_found_and_finished() {
    // The surplus mark's write was lost; the drain went through.
    let api = FakeApi::new(steady(0.0, 2.0), group(1));
    api.add_instance(
        "c",
        instance("a", CapacityKind::Spot, InstanceStatus::Draining, 1),
    );
    let r = scheduled(&api, NOW).await;
    let e = &r.drain.as_ref().unwrap().instances[0];
    assert_eq!(
        (e.step, e.why, e.done),
        (Step::Adopt, Why::LostMark, true),
        "{}",
        r.to_line()
    );
    assert!(api.instance("arn-a").surplus_mark.is_some());
    // Tasks still run: kept. Then empty: terminated, with no task on it.
    scheduled(&api, NOW + 60).await;
    assert!(api.terminated.lock().unwrap().is_empty());
    set_tasks(&api, "arn-a", 0);
    scheduled(&api, NOW + 120).await;
    assert_eq!(*api.terminated.lock().unwrap(), [("i-a".to_owned(), 0)]);
}

#[tokio::test]
async fn no_surplus_fault_terminates_an_instance_with_tasks() {
    let ops = [
        "ListContainerInstances",
        "DescribeContainerInstances",
        "UpdateContainerInstancesState",
        "PutAttributes",
        "DeleteAttributes",
        "GetMetricData",
    ];
    for op in ops {
        for fault in [
            Fault::before(throttled(op), Some(1)),
            Fault::after(throttled(op), Some(1)),
            Fault::dropped(Some(1)),
        ] {
            let api = FakeApi::new(steady(2.0, 6.0), group(1));
            for n in ["a", "b", "c"] {
                api.add_instance(
                    "c",
                    instance(n, CapacityKind::Spot, InstanceStatus::Active, 1),
                );
            }
            api.fault(op, fault);
            for minute in 0..6 {
                scheduled(&api, NOW + minute * 60).await;
                if minute == 2 {
                    // The drained instances' tasks move elsewhere.
                    for n in ["a", "b", "c"] {
                        let drained =
                            api.instance(&format!("arn-{n}")).status == InstanceStatus::Draining;
                        if drained {
                            set_tasks(&api, &format!("arn-{n}"), 0);
                        }
                    }
                }
            }
            let t = api.terminated.lock().unwrap().clone();
            assert!(t.iter().all(|(_, tasks)| *tasks == 0), "{op}: {t:?}");
            assert_eq!(t.len(), 2, "{op}: the 4-unit surplus, in the end: {t:?}");
        }
    }
}

/// A run that marked the cover and lost nothing does not repeat itself.
#[tokio::test]
async fn a_covered_warning_is_left_alone_by_the_scheduled_run() {
    let api = warned(3);
    {
        let mut all = api.instances.lock().unwrap();
        all[0]
            .1
            .set_attribute(COVERED_ATTRIBUTE, Some("1799999000"));
        all[0].1.status = InstanceStatus::Draining;
    }
    let r = scheduled(&api, NOW).await;
    assert_eq!(r.result, Outcome::NoAction, "{}", r.to_line());
    assert!(api.writes().is_empty());
}
