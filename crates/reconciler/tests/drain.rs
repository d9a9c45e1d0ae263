//! Scale-in drain against moto: the on-demand group's lifecycle hook and the
//! fleet's surplus, each with a container instance that runs a task; and two
//! overlapping runs. Needs SPOTCOVER_TEST_MOTO and SPOTCOVER_TEST_CLOUDWATCH
//! (see tests/common), and moto started through `tools/moto_server.py` (its
//! `CompleteLifecycleAction`).
//!
//! moto gaps and how they are filled:
//! - no `CompleteLifecycleAction`, no `Terminating:Wait`: `tools/moto_server.py`
//!   adds the call over moto's state (an action is pending for an instance of a
//!   group that has the terminating hook, until completed once; completing it
//!   terminates the instance and removes it from the group, as AWS does after
//!   the wait). The tests send the hook's EventBridge event themselves.
//! - ECS ignores the `ListContainerInstances` filter: the reconciler matches on
//!   the EC2 instance id it describes.
//! - ECS keeps a terminated instance's container instance registered (AWS
//!   deregisters it): the tests stop after the termination.
//! - The `spotcover.capacity` attribute comes from `ECS_INSTANCE_ATTRIBUTES` in
//!   user data on AWS; here `PutAttributes` sets it.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;

use common::*;
use serde_json::{Value, json};
use spotcover_reconciler::ApiError;
use spotcover_reconciler::adapters::{AutoScaling, Completion, Ec2, Ecs};
use spotcover_reconciler::config::{Config, ConfigError, DrainSettings};
use spotcover_reconciler::report::{Step, Why};
use spotcover_reconciler::{Outcome, Report, handle_event};
use spotcover_reconciler_core::contract::attributes::{
    CAPACITY as CAPACITY_ATTRIBUTE, CAPACITY_ON_DEMAND, CAPACITY_SPOT,
    HOOK_DEADLINE as HOOK_DEADLINE_ATTRIBUTE, SURPLUS as SURPLUS_ATTRIBUTE,
};
use spotcover_reconciler_core::contract::settings::parse_weights;
use spotcover_reconciler_core::interruption::InterruptionPolicy;
use spotcover_reconciler_core::policy::rule_2017;

const HOOK: &str = "spotcover-drain";
const TIMEOUT: u64 = 900;

fn drain_config(group: &str, cluster: &str, fleet: &str) -> Result<Config, ConfigError> {
    Ok(Config {
        fleet_id: Some(fleet.to_owned()),
        group_name: group.to_owned(),
        policy: rule_2017::Settings::new(2).unwrap(),
        cluster: Some(cluster.to_owned()),
        interruption: InterruptionPolicy {
            spot_weights: parse_weights("m6i.large=2,m6i.xlarge=4")
                .unwrap()
                .into_iter()
                .collect(),
            drain_on_rebalance: false,
        },
        drain: DrainSettings {
            lifecycle_hook: Some(HOOK.to_owned()),
            hook_timeout_secs: TIMEOUT,
        },
        need: None,
    })
}

/// The hook's EventBridge event, shaped as AWS sends it (the aws_lambda_events
/// fixture example-autoscaling-event-terminate-action.json), sent now: its `time` is when
/// the wait began, which the hook's deadline counts from.
fn lifecycle_event(group: &str, hook: &str, instance_id: &str) -> Value {
    let time = aws_smithy_types::DateTime::from_secs(now())
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap();
    json!({
        "version": "0", "id": "12345678-1234-1234-1234-123456789012",
        "detail-type": "EC2 Instance-terminate Lifecycle Action",
        "source": "aws.autoscaling", "account": "123456789012",
        "time": time, "region": "us-east-1",
        "resources": ["auto-scaling-group-arn"],
        "detail": {
            "LifecycleActionToken": "87654321-4321-4321-4321-210987654321",
            "AutoScalingGroupName": group,
            "LifecycleHookName": hook,
            "EC2InstanceId": instance_id,
            "LifecycleTransition": "autoscaling:EC2_INSTANCE_TERMINATING"
        }
    })
}

/// A group of one on-demand instance with the terminating hook; returns the
/// group and its instance. Its min is 1: moto terminates at once when the
/// desired capacity drops (no `Terminating:Wait`), so the scheduled runs must
/// not release it; the tests send the hook's event themselves.
async fn group_with_hook() -> (String, String) {
    let group = create_group(1, 1, 10).await;
    let c = asg_client(&moto()).await;
    c.put_lifecycle_hook()
        .auto_scaling_group_name(&group)
        .lifecycle_hook_name(HOOK)
        .lifecycle_transition("autoscaling:EC2_INSTANCE_TERMINATING")
        .heartbeat_timeout(TIMEOUT as i32)
        .default_result("CONTINUE")
        .send()
        .await
        .expect("put lifecycle hook");
    (group.clone(), group_instances(&group).await[0].clone())
}

async fn group_instances(group: &str) -> Vec<String> {
    let out = asg_client(&moto())
        .await
        .describe_auto_scaling_groups()
        .auto_scaling_group_names(group)
        .send()
        .await
        .expect("describe group");
    out.auto_scaling_groups()[0]
        .instances()
        .iter()
        .filter_map(|i| i.instance_id().map(str::to_owned))
        .collect()
}

/// Status, running tasks and attributes of a container instance.
async fn member(
    cluster: &str,
    arn: &str,
) -> (String, i32, std::collections::BTreeMap<String, String>) {
    let out = ecs_client(&moto())
        .await
        .describe_container_instances()
        .cluster(cluster)
        .container_instances(arn)
        .send()
        .await
        .expect("describe container instances");
    let ci = &out.container_instances()[0];
    let (status, attrs) = container_instance(cluster, arn).await;
    (status, ci.running_tasks_count(), attrs)
}

/// The EC2 state of an instance, read from moto (an unsigned query, as
/// `run_instance` does: the tests have no EC2 client).
fn instance_state(instance_id: &str) -> String {
    let moto = moto();
    let host = moto.trim_start_matches("http://").trim_end_matches('/');
    let body = format!("Action=DescribeInstances&Version=2016-11-15&InstanceId.1={instance_id}");
    let mut s = TcpStream::connect(host).expect("connect to moto");
    write!(
        s,
        "POST / HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=testing/20261128/us-east-1/ec2/aws4_request, \
         SignedHeaders=host, Signature=0\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let state = out
        .find("<instanceState>")
        .unwrap_or_else(|| panic!("DescribeInstances: {out}"));
    let rest = &out[state..];
    let start = rest.find("<name>").unwrap() + "<name>".len();
    let end = start + rest[start..].find('<').unwrap();
    rest[start..end].to_owned()
}

fn entries(r: &Report, step: Step) -> Vec<&spotcover_reconciler::report::InstanceReport> {
    r.drain
        .as_ref()
        .map(|d| d.instances.iter().filter(|i| i.step == step).collect())
        .unwrap_or_default()
}

fn scheduled() -> Value {
    json!({})
}

// --- the on-demand group: lifecycle hook ---------------------------------

#[tokio::test]
async fn lifecycle_hook_drains_and_waits_while_a_task_runs_then_completes_drained() {
    let api = moto_api().await;
    let (group, instance) = group_with_hook().await;
    let cluster = create_cluster().await;
    let arn = join(&cluster, &instance, CAPACITY_ON_DEMAND).await;
    let task = start_task(&cluster, &arn).await;
    let fleet = unique_fleet();
    put_steady_fleet(&fleet, 4.0, 4.0).await;
    let cfg = || drain_config(&group, &cluster, &fleet);
    let t0 = now();

    // The hook's event: drained, deadline recorded, not completed (a task runs).
    let r = handle_event(
        &api,
        cfg(),
        &lifecycle_event(&group, HOOK, &instance),
        t0,
        false,
    )
    .await;
    assert_eq!(r.result, Outcome::Applied, "{}", r.to_line());
    let (status, running, attrs) = member(&cluster, &arn).await;
    assert_eq!((status.as_str(), running), ("DRAINING", 1));
    assert_eq!(
        attrs.get(HOOK_DEADLINE_ATTRIBUTE),
        Some(&(t0 + TIMEOUT as i64).to_string())
    );
    assert!(entries(&r, Step::CompleteLifecycleAction).is_empty());
    let wait = entries(&r, Step::Wait);
    assert_eq!(wait.len(), 1, "{}", r.to_line());
    assert!(
        wait[0].message.contains("1 tasks still running"),
        "{}",
        r.to_line()
    );
    assert_eq!(
        group_instances(&group).await,
        std::slice::from_ref(&instance),
        "not completed"
    );
    assert_eq!(instance_state(&instance), "running");

    // A scheduled run while the task still runs: nothing completed.
    let r = handle_event(&api, cfg(), &scheduled(), t0 + 60, false).await;
    assert!(r.error.is_none(), "{}", r.to_line());
    assert!(
        entries(&r, Step::CompleteLifecycleAction).is_empty(),
        "{}",
        r.to_line()
    );
    assert_eq!(
        group_instances(&group).await,
        std::slice::from_ref(&instance)
    );

    // The task stops: the next scheduled run completes the action, "drained".
    stop_task(&cluster, &task).await;
    let r = handle_event(&api, cfg(), &scheduled(), t0 + 120, false).await;
    let done = entries(&r, Step::CompleteLifecycleAction);
    assert_eq!(done.len(), 1, "{}", r.to_line());
    assert_eq!(
        (done[0].why, done[0].message.as_str()),
        (Why::Drained, "drained")
    );
    assert!(done[0].done && !done[0].already_completed);
    assert!(
        r.to_line().contains(r#""message":"drained""#),
        "{}",
        r.to_line()
    );
    assert_eq!(r.result, Outcome::Applied, "{}", r.to_line());
    // AWS (moto's stand-in) let the termination proceed.
    assert!(group_instances(&group).await.is_empty());
    assert_eq!(instance_state(&instance), "terminated");
    // The mark is gone: the next run does not complete it again.
    let (_, _, attrs) = member(&cluster, &arn).await;
    assert!(!attrs.contains_key(HOOK_DEADLINE_ATTRIBUTE), "{attrs:?}");
}

#[tokio::test]
async fn lifecycle_hook_completes_before_the_timeout_with_tasks_still_running() {
    let api = moto_api().await;
    let (group, instance) = group_with_hook().await;
    let cluster = create_cluster().await;
    let arn = join(&cluster, &instance, CAPACITY_ON_DEMAND).await;
    start_task(&cluster, &arn).await;
    let fleet = unique_fleet();
    let cfg = || drain_config(&group, &cluster, &fleet);
    let t0 = now();
    handle_event(
        &api,
        cfg(),
        &lifecycle_event(&group, HOOK, &instance),
        t0,
        false,
    )
    .await;

    // One second before deadline - 60 s: still waiting.
    let due = t0 + TIMEOUT as i64 - 60;
    let r = handle_event(&api, cfg(), &scheduled(), due - 1, false).await;
    assert!(
        entries(&r, Step::CompleteLifecycleAction).is_empty(),
        "{}",
        r.to_line()
    );
    // At deadline - 60 s: completed, and the line says why.
    let r = handle_event(&api, cfg(), &scheduled(), due, false).await;
    let done = entries(&r, Step::CompleteLifecycleAction);
    assert_eq!(done.len(), 1, "{}", r.to_line());
    assert_eq!(done[0].why, Why::Timeout);
    assert_eq!(done[0].message, "timeout, 1 tasks still running");
    assert!(group_instances(&group).await.is_empty());
}

#[tokio::test]
async fn lifecycle_hook_completes_at_once_for_an_instance_not_in_the_cluster() {
    let api = moto_api().await;
    let (group, instance) = group_with_hook().await;
    let cluster = create_cluster().await;
    let r = handle_event(
        &api,
        drain_config(&group, &cluster, &unique_fleet()),
        &lifecycle_event(&group, HOOK, &instance),
        now(),
        false,
    )
    .await;
    let done = entries(&r, Step::CompleteLifecycleAction);
    assert_eq!(done.len(), 1, "{}", r.to_line());
    assert_eq!(
        (done[0].why, done[0].message.as_str()),
        (Why::NotInCluster, "not in cluster")
    );
    assert_eq!(r.api_calls, 2, "list (nothing), complete: {}", r.to_line());
    assert!(group_instances(&group).await.is_empty());
}

#[tokio::test]
async fn lifecycle_hook_completes_an_idle_instance_at_once_after_draining_it() {
    let api = moto_api().await;
    let (group, instance) = group_with_hook().await;
    let cluster = create_cluster().await;
    let arn = join(&cluster, &instance, CAPACITY_ON_DEMAND).await;
    let r = handle_event(
        &api,
        drain_config(&group, &cluster, &unique_fleet()),
        &lifecycle_event(&group, HOOK, &instance),
        now(),
        false,
    )
    .await;
    assert_eq!(entries(&r, Step::Drain).len(), 1, "{}", r.to_line());
    let done = entries(&r, Step::CompleteLifecycleAction);
    assert_eq!(
        (done.len(), done[0].why),
        (1, Why::Drained),
        "{}",
        r.to_line()
    );
    // list, describe, drain, describe again (DRAINING?), complete; no deadline
    // attribute needed.
    assert_eq!(r.api_calls, 5, "{}", r.to_line());
    let (status, _, attrs) = member(&cluster, &arn).await;
    assert_eq!(status, "DRAINING");
    assert!(!attrs.contains_key(HOOK_DEADLINE_ATTRIBUTE));
}

#[tokio::test]
async fn lifecycle_events_for_another_group_or_hook_change_nothing() {
    let api = moto_api().await;
    let (group, instance) = group_with_hook().await;
    let cluster = create_cluster().await;
    let arn = join(&cluster, &instance, CAPACITY_ON_DEMAND).await;
    for (g, h, refused) in [
        ("another-group", HOOK, "other_group"),
        (group.as_str(), "another-hook", "other_hook"),
    ] {
        let r = handle_event(
            &api,
            drain_config(&group, &cluster, &unique_fleet()),
            &lifecycle_event(g, h, &instance),
            now(),
            false,
        )
        .await;
        assert_eq!(
            (r.result, r.api_calls),
            (Outcome::NoAction, 0),
            "{}",
            r.to_line()
        );
        let ev = r.drain.as_ref().unwrap().lifecycle_event.as_ref().unwrap();
        assert_eq!(ev.refused, Some(refused));
    }
    assert_eq!(member(&cluster, &arn).await.0, "ACTIVE");
    assert_eq!(group_instances(&group).await, [instance]);
}

/// CompleteLifecycleAction (Amazon EC2 Auto Scaling API Reference,
/// https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_CompleteLifecycleAction.html):
/// completes the pending action by InstanceId (or token) with `CONTINUE` or
/// `ABANDON`; once completed, or when none is pending, AWS answers a
/// `ValidationError` "No active Lifecycle Action found with instance ID ...",
/// which the adapter reads as done by someone else, not as an error.
#[tokio::test]
async fn completing_a_lifecycle_action_twice_is_not_an_error() {
    let api = moto_api().await;
    let (group, instance) = group_with_hook().await;
    assert_eq!(
        api.complete_lifecycle_action(&group, HOOK, &instance).await,
        Ok(Completion::Completed)
    );
    assert_eq!(
        api.complete_lifecycle_action(&group, HOOK, &instance).await,
        Ok(Completion::NoActiveAction)
    );
    // No hook of that name: no action either.
    let (g2, i2) = group_with_hook().await;
    assert_eq!(
        api.complete_lifecycle_action(&g2, "no-such-hook", &i2)
            .await,
        Ok(Completion::NoActiveAction)
    );
}

// --- the fleet's surplus -----------------------------------------------------

/// Two spot instances of weight 2 in `cluster`: `busy` runs two tasks, `one`
/// runs one (returned with its task).
async fn two_spot_instances(cluster: &str) -> ((String, String, String), (String, String)) {
    let (i1, i2) = (run_instance("m6i.large"), run_instance("m6i.large"));
    let one = join(cluster, &i1, CAPACITY_SPOT).await;
    let busy = join(cluster, &i2, CAPACITY_SPOT).await;
    let task = start_task(cluster, &one).await;
    start_task(cluster, &busy).await;
    start_task(cluster, &busy).await;
    ((i1, one, task), (i2, busy))
}

#[tokio::test]
async fn fleet_surplus_drains_the_least_busy_instance_and_terminates_it_only_once_empty() {
    let api = moto_api().await;
    let group = create_group(0, 0, 10).await;
    let cluster = create_cluster().await;
    let ((i1, one, task), (i2, busy)) = two_spot_instances(&cluster).await;
    // Target 2, fulfilled 4: one instance of weight 2 is surplus.
    let fleet = unique_fleet();
    put_steady_fleet(&fleet, 2.0, 4.0).await;
    let cfg = || drain_config(&group, &cluster, &fleet);

    let r = handle_event(&api, cfg(), &scheduled(), now(), false).await;
    assert!(r.error.is_none(), "{}", r.to_line());
    let drained = entries(&r, Step::Drain);
    assert_eq!(drained.len(), 1, "{}", r.to_line());
    assert_eq!(drained[0].container_instance, one);
    assert_eq!(drained[0].why, Why::FleetSurplus);
    let s = r.drain.as_ref().unwrap().surplus.as_ref().unwrap();
    assert_eq!((s.registered_units, s.surplus_units), (4, 2));
    let (status, running, attrs) = member(&cluster, &one).await;
    assert_eq!((status.as_str(), running), ("DRAINING", 1));
    assert!(attrs.contains_key(SURPLUS_ATTRIBUTE));
    assert_eq!(member(&cluster, &busy).await.0, "ACTIVE");
    assert_eq!(
        instance_state(&i1),
        "running",
        "a task runs: not terminated"
    );

    // Again, task still running: waits.
    let r = handle_event(&api, cfg(), &scheduled(), now(), false).await;
    assert!(entries(&r, Step::Terminate).is_empty(), "{}", r.to_line());
    assert_eq!(entries(&r, Step::Wait).len(), 1, "{}", r.to_line());
    assert_eq!(instance_state(&i1), "running");

    // The task stops: terminated, and the line says so.
    stop_task(&cluster, &task).await;
    let r = handle_event(&api, cfg(), &scheduled(), now(), false).await;
    let t = entries(&r, Step::Terminate);
    assert_eq!(t.len(), 1, "{}", r.to_line());
    assert_eq!(t[0].instance_id.as_deref(), Some(i1.as_str()));
    assert!(
        t[0].done && t[0].message.starts_with("drained, no task"),
        "{}",
        r.to_line()
    );
    assert_ne!(instance_state(&i1), "running");
    assert_eq!(instance_state(&i2), "running");
    assert_eq!(member(&cluster, &busy).await.0, "ACTIVE");
}

#[tokio::test]
async fn marked_instances_go_back_to_active_when_the_surplus_disappears() {
    let api = moto_api().await;
    let group = create_group(0, 0, 10).await;
    let cluster = create_cluster().await;
    let ((i1, one, _), _) = two_spot_instances(&cluster).await;
    let fleet = unique_fleet();
    put_steady_fleet(&fleet, 2.0, 4.0).await;
    let cfg = || drain_config(&group, &cluster, &fleet);
    handle_event(&api, cfg(), &scheduled(), now(), false).await;
    assert_eq!(member(&cluster, &one).await.0, "DRAINING");

    // The target rises to 4: no surplus (the metrics are in doubt while the
    // target changes, which gives the instance back too).
    put_fleet(&fleet, &[(0, 4.0, 4.0)]).await;
    let r = handle_event(&api, cfg(), &scheduled(), now(), false).await;
    let back = entries(&r, Step::Reactivate);
    assert_eq!(back.len(), 1, "{}", r.to_line());
    assert_eq!(back[0].why, Why::SurplusGone);
    let (status, _, attrs) = member(&cluster, &one).await;
    assert_eq!(status, "ACTIVE");
    assert!(!attrs.contains_key(SURPLUS_ATTRIBUTE), "{attrs:?}");
    assert_eq!(instance_state(&i1), "running");
}

#[tokio::test]
async fn steady_state_adds_only_the_two_ecs_reads() {
    let api = moto_api().await;
    let group = create_group(0, 0, 10).await;
    let cluster = create_cluster().await;
    let i = run_instance("m6i.large");
    join(&cluster, &i, CAPACITY_SPOT).await;
    let fleet = unique_fleet();
    put_steady_fleet(&fleet, 2.0, 2.0).await;
    let r = handle_event(
        &api,
        drain_config(&group, &cluster, &fleet),
        &scheduled(),
        now(),
        false,
    )
    .await;
    assert_eq!(r.result, Outcome::NoAction, "{}", r.to_line());
    // GetMetricData, DescribeAutoScalingGroups, ListContainerInstances,
    // DescribeContainerInstances.
    assert_eq!(r.api_calls, 4, "{}", r.to_line());
    assert!(r.drain.as_ref().unwrap().instances.is_empty());
}

// --- overlapping runs ----------------------------------------------------------

#[tokio::test]
async fn two_overlapping_scheduled_runs_leave_the_group_where_one_would() {
    let api = moto_api().await;
    let group = create_group(0, 0, 200).await;
    let cluster = create_cluster().await;
    let fleet = unique_fleet();
    put_steady_fleet(&fleet, 20.0, 11.0).await;
    let cfg = || drain_config(&group, &cluster, &fleet);
    let t = now();
    let ev = scheduled();
    let (a, b) = tokio::join!(
        handle_event(&api, cfg(), &ev, t, false),
        handle_event(&api, cfg(), &ev, t, false)
    );
    assert!(
        a.error.is_none() && b.error.is_none(),
        "{}\n{}",
        a.to_line(),
        b.to_line()
    );
    // 9 units short at weight 2: 5 on-demand instances, not 10.
    assert_eq!(desired_of(&group).await, 5);
}

#[tokio::test]
async fn two_overlapping_handlers_of_one_interruption_warning_cover_once() {
    let api = moto_api().await;
    let group = create_group(1, 0, 200).await;
    let cluster = create_cluster().await;
    let spot = run_instance("m6i.xlarge");
    register_instance(&cluster, &spot).await;
    let cfg = || drain_config(&group, &cluster, &unique_fleet());
    let ev = warning_event(&spot);
    let (a, b) = tokio::join!(
        handle_event(&api, cfg(), &ev, now(), false),
        handle_event(&api, cfg(), &ev, now(), false)
    );
    assert!(
        a.error.is_none() && b.error.is_none(),
        "{}\n{}",
        a.to_line(),
        b.to_line()
    );
    // Weight 4 at on-demand weight 2: 1 + 2, where one handler leaves it.
    assert_eq!(desired_of(&group).await, 3);
}

#[tokio::test]
async fn two_overlapping_lifecycle_runs_complete_once_without_error() {
    let api = moto_api().await;
    let (group, instance) = group_with_hook().await;
    let cluster = create_cluster().await;
    join(&cluster, &instance, CAPACITY_ON_DEMAND).await;
    let cfg = || drain_config(&group, &cluster, &unique_fleet());
    let ev = lifecycle_event(&group, HOOK, &instance);
    let (a, b) = tokio::join!(
        handle_event(&api, cfg(), &ev, now(), false),
        handle_event(&api, cfg(), &ev, now(), false)
    );
    assert!(
        a.error.is_none() && b.error.is_none(),
        "{}\n{}",
        a.to_line(),
        b.to_line()
    );
    let completed: Vec<bool> = [&a, &b]
        .iter()
        .flat_map(|r| entries(r, Step::CompleteLifecycleAction))
        .map(|e| e.already_completed)
        .collect();
    assert_eq!(completed.len(), 2);
    assert_eq!(
        completed.iter().filter(|c| !**c).count(),
        1,
        "one completes, the other finds it done"
    );
    assert!(group_instances(&group).await.is_empty());
}

#[tokio::test]
async fn two_overlapping_surplus_runs_drain_and_terminate_the_same_instance() {
    let api = moto_api().await;
    let group = create_group(0, 0, 10).await;
    let cluster = create_cluster().await;
    let ((i1, one, task), (i2, busy)) = two_spot_instances(&cluster).await;
    let fleet = unique_fleet();
    put_steady_fleet(&fleet, 2.0, 4.0).await;
    let cfg = || drain_config(&group, &cluster, &fleet);
    let ev = scheduled();
    let (a, b) = tokio::join!(
        handle_event(&api, cfg(), &ev, now(), false),
        handle_event(&api, cfg(), &ev, now(), false)
    );
    for r in [&a, &b] {
        assert!(r.error.is_none(), "{}", r.to_line());
        let d = entries(r, Step::Drain);
        assert!(
            d.iter().all(|e| e.container_instance == one),
            "{}",
            r.to_line()
        );
    }
    assert_eq!(member(&cluster, &one).await.0, "DRAINING");
    assert_eq!(member(&cluster, &busy).await.0, "ACTIVE");
    stop_task(&cluster, &task).await;
    let ev = scheduled();
    let (a, b) = tokio::join!(
        handle_event(&api, cfg(), &ev, now(), false),
        handle_event(&api, cfg(), &ev, now(), false)
    );
    assert!(
        a.error.is_none() && b.error.is_none(),
        "{}\n{}",
        a.to_line(),
        b.to_line()
    );
    assert_ne!(instance_state(&i1), "running");
    assert_eq!(instance_state(&i2), "running");
}

// --- the adapter's calls, against moto, with AWS's documented rules ---------

/// ECS `Attribute` (Amazon ECS API Reference,
/// https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Attribute.html):
/// a name of 1 to 128 letters, numbers, hyphens, underscores, forward and back
/// slashes or periods; a value of 1 to 128 letters, numbers, hyphens,
/// underscores, periods, at signs, slashes, colons or spaces, not starting or
/// ending with a space.
#[test]
fn attribute_names_and_values_follow_the_ecs_rules() {
    let name_ok = |n: &str| {
        (1..=128).contains(&n.len())
            && n.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_/\\.".contains(c))
    };
    let value_ok = |v: &str| {
        (1..=128).contains(&v.len())
            && v.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.@/\\: ".contains(c))
            && !v.starts_with(' ')
            && !v.ends_with(' ')
    };
    for n in [
        HOOK_DEADLINE_ATTRIBUTE,
        SURPLUS_ATTRIBUTE,
        CAPACITY_ATTRIBUTE,
        "spotcover.covered",
    ] {
        assert!(name_ok(n), "{n}");
    }
    for v in [
        CAPACITY_SPOT,
        CAPACITY_ON_DEMAND,
        &i64::MAX.to_string(),
        &now().to_string(),
    ] {
        assert!(value_ok(v), "{v}");
    }
}

/// `UpdateContainerInstancesState` (Amazon ECS API Reference,
/// https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateContainerInstancesState.html):
/// only an ACTIVE instance can be set DRAINING, a drained one can be set
/// ACTIVE again; the answer carries the container instances as updated.
/// `DescribeContainerInstances` gives `runningTasksCount`; `PutAttributes` and
/// `DeleteAttributes` add and remove a custom attribute (DeleteAttributes,
/// https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeleteAttributes.html:
/// "For custom attributes, specify the attribute name and target ID, but don't
/// specify the value", which is what the adapter sends); `ListContainerInstances`
/// (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ListContainerInstances.html)
/// without a status lists every status but INACTIVE.
#[tokio::test]
async fn ecs_drain_calls_against_moto() {
    let api = moto_api().await;
    let cluster = create_cluster().await;
    let i = run_instance("m6i.large");
    let arn = join(&cluster, &i, CAPACITY_SPOT).await;
    start_task(&cluster, &arn).await;
    let all = api.list_container_instances(&cluster, None).await.unwrap();
    assert_eq!(all, std::slice::from_ref(&arn));
    let ms = api
        .describe_container_instances(&cluster, &all)
        .await
        .unwrap();
    assert_eq!(ms.len(), 1);
    assert_eq!(ms[0].ec2_instance_id.as_deref(), Some(i.as_str()));
    assert_eq!((ms[0].running_tasks, ms[0].tasks()), (1, 1));
    assert_eq!(ms[0].instance_type.as_deref(), Some("m6i.large"));
    assert!(ms[0].is_spot());
    let after = api.set_status(&cluster, &arn, true).await.unwrap();
    assert_eq!(
        after.map(|m| (m.status, m.running_tasks)),
        Some((spotcover_reconciler_core::ecs::InstanceStatus::Draining, 1))
    );
    api.put_attribute(&cluster, &arn, SURPLUS_ATTRIBUTE, "1800000000")
        .await
        .unwrap();
    let ms = api
        .describe_container_instances(&cluster, &all)
        .await
        .unwrap();
    assert_eq!(
        ms[0].surplus_mark,
        Some(spotcover_reconciler_core::ecs::SurplusMark {
            at: 1_800_000_000,
            adopted: false
        })
    );
    api.delete_attribute(&cluster, &arn, SURPLUS_ATTRIBUTE)
        .await
        .unwrap();
    api.set_status(&cluster, &arn, false).await.unwrap();
    let ms = api
        .describe_container_instances(&cluster, &all)
        .await
        .unwrap();
    assert_eq!(ms[0].surplus_mark, None);
    assert_eq!(
        ms[0].status,
        spotcover_reconciler_core::ecs::InstanceStatus::Active
    );
}

/// `TerminateInstances` (Amazon EC2 API Reference,
/// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_TerminateInstances.html):
/// "This operation is idempotent; if you terminate an instance more than once,
/// each call succeeds." Our signed Query request, against moto's EC2.
#[tokio::test]
async fn terminate_instances_is_idempotent_against_moto() {
    let api = moto_api().await;
    let i = run_instance("m6i.large");
    api.terminate_instance(&i).await.unwrap();
    assert_ne!(instance_state(&i), "running");
    api.terminate_instance(&i).await.unwrap();
    // An instance EC2 does not know counts as gone.
    assert_eq!(api.terminate_instance("i-0123456789abcdef0").await, Ok(()));
    // Nothing listening: a transport error, never a success.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let r = common::api(&dead, &dead).await.terminate_instance(&i).await;
    assert!(matches!(r, Err(ApiError::Transport { .. })), "{r:?}");
}
