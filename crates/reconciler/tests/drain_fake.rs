//! The drain pass over the recording fake: call counts, dry runs and failures.

use serde_json::json;
use spotcover_reconciler::api::{ApiError, Call, DrainCall, FakeApi};
use spotcover_reconciler::config::Config;
use spotcover_reconciler::drain::{DrainSettings, Step};
use spotcover_reconciler::{Outcome, handle_event};
use spotcover_reconciler_core::drain::{CAPACITY_ON_DEMAND, CAPACITY_SPOT, Member};
use spotcover_reconciler_core::settings::parse_weights;
use spotcover_reconciler_core::{Datapoint, GroupState, InstanceStatus, Observation, Policy};

const NOW: i64 = 1_800_000_000;

fn steady(t: f64, f: f64) -> Observation {
    let pts = |v| (1..=15).map(|m| Datapoint::new(NOW - m * 60, v)).collect();
    Observation {
        target: pts(t),
        fulfilled: pts(f),
    }
}

fn config() -> Config {
    Config {
        fleet_id: Some("sfr-1".into()),
        group_name: "od".into(),
        policy: Policy::new(2).unwrap(),
        cluster: Some("c".into()),
        interruption: spotcover_reconciler_core::InterruptionPolicy {
            spot_weights: parse_weights("m6i.large=2").unwrap().into_iter().collect(),
            drain_on_rebalance: false,
        },
        drain: DrainSettings {
            lifecycle_hook: Some("h".into()),
            hook_timeout_secs: 900,
        },
    }
}

fn member(n: &str, capacity: &str, status: InstanceStatus, tasks: u32) -> Member {
    Member {
        arn: format!("arn-{n}"),
        ec2_instance_id: Some(format!("i-{n}")),
        status,
        running_tasks: tasks,
        pending_tasks: 0,
        instance_type: Some("m6i.large".into()),
        capacity: Some(capacity.into()),
        hook_deadline: None,
        surplus_mark: None,
    }
}

fn fake(obs: Observation, members: Vec<Member>) -> FakeApi {
    let api = FakeApi::new(
        obs,
        Some(GroupState {
            desired: 1,
            min: 1,
            max: 10,
        }),
    );
    {
        let mut d = api.drain.lock().unwrap();
        d.members = members.into_iter().map(|m| ("c".to_owned(), m)).collect();
        d.lifecycle_actions
            .push(("od".into(), "h".into(), "i-od".into()));
    }
    api
}

fn writes(api: &FakeApi) -> Vec<DrainCall> {
    api.calls()
        .into_iter()
        .filter_map(|c| match c {
            Call::ScaleIn(DrainCall::List { .. } | DrainCall::Describe { .. }) => None,
            Call::ScaleIn(d) => Some(d),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn nothing_draining_costs_one_list_and_one_describe() {
    let api = fake(
        steady(2.0, 2.0),
        vec![
            member("spot", CAPACITY_SPOT, InstanceStatus::Active, 3),
            member("od", CAPACITY_ON_DEMAND, InstanceStatus::Active, 1),
        ],
    );
    let r = handle_event(&api, Ok(config()), &json!({}), NOW, false).await;
    assert_eq!(
        (r.result, r.api_calls),
        (Outcome::NoAction, 4),
        "{}",
        r.to_line()
    );
    assert!(writes(&api).is_empty());
}

#[tokio::test]
async fn an_empty_cluster_costs_only_the_list() {
    let api = fake(steady(2.0, 2.0), vec![]);
    let r = handle_event(&api, Ok(config()), &json!({}), NOW, false).await;
    assert_eq!(r.api_calls, 3, "{}", r.to_line());
}

#[tokio::test]
async fn dry_run_reports_the_plan_and_writes_nothing() {
    let mut held = member("od", CAPACITY_ON_DEMAND, InstanceStatus::Draining, 0);
    held.hook_deadline = Some((NOW + 600).to_string());
    let api = fake(
        steady(0.0, 2.0),
        vec![
            held,
            member("spot", CAPACITY_SPOT, InstanceStatus::Active, 1),
        ],
    );
    let r = handle_event(&api, Ok(config()), &json!({}), NOW, true).await;
    assert_eq!(r.result, Outcome::DryRun, "{}", r.to_line());
    assert!(writes(&api).is_empty(), "{:?}", api.calls());
    let steps: Vec<Step> = r
        .drain
        .as_ref()
        .unwrap()
        .instances
        .iter()
        .map(|i| i.step)
        .collect();
    assert_eq!(steps, [Step::CompleteLifecycleAction, Step::Drain]);
    assert!(r.drain.as_ref().unwrap().instances.iter().all(|i| !i.done));
}

#[tokio::test]
async fn a_failed_completion_keeps_the_deadline_mark_for_the_next_run() {
    let mut held = member("od", CAPACITY_ON_DEMAND, InstanceStatus::Draining, 0);
    held.hook_deadline = Some((NOW + 600).to_string());
    let api = fake(steady(2.0, 2.0), vec![held]);
    api.drain.lock().unwrap().complete_error = Some(ApiError::Throttled {
        service: "autoscaling",
        op: "CompleteLifecycleAction",
        message: "slow down".into(),
    });
    let r = handle_event(&api, Ok(config()), &json!({}), NOW, false).await;
    assert_eq!(
        r.error.as_ref().unwrap().kind,
        "throttled",
        "{}",
        r.to_line()
    );
    let mark = |api: &FakeApi| api.drain.lock().unwrap().members[0].1.hook_deadline.clone();
    assert!(mark(&api).is_some(), "kept");
    api.drain.lock().unwrap().complete_error = None;
    let r = handle_event(&api, Ok(config()), &json!({}), NOW + 60, false).await;
    assert!(r.error.is_none(), "{}", r.to_line());
    assert!(mark(&api).is_none(), "removed once completed");
    assert!(api.drain.lock().unwrap().lifecycle_actions.is_empty());
}
