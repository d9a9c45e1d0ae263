//! The drain pass over the recording fake: call counts, dry runs and failures.

mod common;

use common::fake::{Call, FakeApi};
use serde_json::json;
use spotcover_reconciler::ApiError;
use spotcover_reconciler::config::{Config, DrainSettings};
use spotcover_reconciler::report::Step;
use spotcover_reconciler::{Outcome, handle_event};
use spotcover_reconciler_core::GroupState;
use spotcover_reconciler_core::contract::settings::parse_weights;
use spotcover_reconciler_core::ecs::{CapacityKind, ContainerInstance as Member, InstanceStatus};
use spotcover_reconciler_core::policy::rule_2017::{self, Datapoint, Observation};

const CAPACITY_SPOT: CapacityKind = CapacityKind::Spot;
const CAPACITY_ON_DEMAND: CapacityKind = CapacityKind::OnDemand;

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
        policy: rule_2017::Settings::new(2).unwrap(),
        cluster: Some("c".into()),
        interruption: spotcover_reconciler_core::interruption::InterruptionPolicy {
            spot_weights: parse_weights("m6i.large=2").unwrap().into_iter().collect(),
            drain_on_rebalance: false,
        },
        drain: DrainSettings {
            lifecycle_hook: Some("h".into()),
            hook_timeout_secs: 900,
        },
        need: None,
    }
}

fn member(n: &str, capacity: CapacityKind, status: InstanceStatus, tasks: u32) -> Member {
    Member {
        status,
        running_tasks: tasks,
        instance_type: Some("m6i.large".into()),
        capacity,
        ..Member::new(format!("arn-{n}"), Some(format!("i-{n}")))
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
    for m in members {
        api.add_instance("c", m);
    }
    api.lifecycle_actions
        .lock()
        .unwrap()
        .push(("od".into(), "h".into(), "i-od".into()));
    api
}

fn writes(api: &FakeApi) -> Vec<Call> {
    api.writes()
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
    held.hook_deadline = Some(NOW + 600);
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
    held.hook_deadline = Some(NOW + 600);
    let api = fake(steady(2.0, 2.0), vec![held]);
    api.fail(
        "CompleteLifecycleAction",
        ApiError::Throttled {
            service: "autoscaling",
            op: "CompleteLifecycleAction",
            message: "slow down".into(),
        },
    );
    let r = handle_event(&api, Ok(config()), &json!({}), NOW, false).await;
    assert_eq!(
        r.error.as_ref().unwrap().kind,
        "throttled",
        "{}",
        r.to_line()
    );
    let mark = |api: &FakeApi| api.instance("arn-od").hook_deadline;
    assert!(mark(&api).is_some(), "kept");
    api.heal();
    let r = handle_event(&api, Ok(config()), &json!({}), NOW + 60, false).await;
    assert!(r.error.is_none(), "{}", r.to_line());
    assert!(mark(&api).is_none(), "removed once completed");
    assert!(api.lifecycle_actions.lock().unwrap().is_empty());
}
