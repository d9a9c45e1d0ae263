//! The invocation handler over the recording in-memory fake: no AWS at all.

mod common;

use common::fake::{Call, FakeApi};
use serde_json::json;
use spotcover_reconciler::ApiError;
use spotcover_reconciler::config::{Config, ConfigError};
use spotcover_reconciler::{Outcome, handle_event};
use spotcover_reconciler_core::GroupState;
use spotcover_reconciler_core::policy::rule_2017::{self, Datapoint, Observation, Reason};

const NOW: i64 = 1_800_000_000;

fn steady(t: f64, f: f64) -> Observation {
    let pts = |v| (1..=15).map(|m| Datapoint::new(NOW - m * 60, v)).collect();
    Observation {
        target: pts(t),
        fulfilled: pts(f),
    }
}

fn config(fleet: Option<&str>) -> Result<Config, ConfigError> {
    Ok(Config {
        fleet_id: fleet.map(str::to_owned),
        group_name: "od".into(),
        policy: rule_2017::Settings::new(4).unwrap(),
        cluster: None,
        interruption: Default::default(),
        drain: Default::default(),
        need: None,
    })
}

fn group(desired: u32) -> Option<GroupState> {
    Some(GroupState {
        desired,
        min: 0,
        max: 200,
    })
}

fn sets(api: &FakeApi) -> Vec<Call> {
    api.calls()
        .into_iter()
        .filter(|c| matches!(c, Call::SetDesired { .. }))
        .collect()
}

#[tokio::test]
async fn scheduled_event_scales_out_with_three_calls() {
    let api = FakeApi::new(steady(20.0, 11.0), group(0));
    let r = handle_event(
        &api,
        config(Some("sfr-env")),
        &json!({"fleetID": "sfr-event"}),
        NOW,
        false,
    )
    .await;
    assert_eq!(r.result, Outcome::Applied);
    assert_eq!(
        r.fleet_id.as_deref(),
        Some("sfr-event"),
        "the event's fleet id wins"
    );
    assert_eq!(r.api_calls, 3);
    let calls = api.calls();
    assert_eq!(calls.len(), 3);
    assert_eq!(
        calls[0],
        Call::ObserveFleet {
            fleet_id: "sfr-event".into(),
            start: NOW - 900 - 300,
            end: NOW + 60
        }
    );
    assert_eq!(calls[1], Call::DescribeGroup("od".into()));
    assert_eq!(
        calls[2],
        Call::SetDesired {
            name: "od".into(),
            desired: 3,
            honor_cooldown: false
        }
    );
    // Steady afterwards: two calls, no set.
    let r = handle_event(
        &api,
        config(None),
        &json!({"fleetID": "sfr-event"}),
        NOW,
        false,
    )
    .await;
    assert_eq!((r.result, r.api_calls), (Outcome::NoAction, 2));
    assert_eq!(sets(&api).len(), 1);
}

#[tokio::test]
async fn direct_invocation_uses_configured_fleet() {
    let api = FakeApi::new(steady(20.0, 20.0), group(2));
    let r = handle_event(&api, config(Some("sfr-env")), &json!({}), NOW, false).await;
    assert_eq!(r.fleet_id.as_deref(), Some("sfr-env"));
    assert_eq!(r.result, Outcome::Applied);
    assert_eq!(
        sets(&api),
        vec![Call::SetDesired {
            name: "od".into(),
            desired: 0,
            honor_cooldown: true
        }]
    );
}

#[tokio::test]
async fn sns_alarm_names_the_fleet() {
    let api = FakeApi::new(steady(8.0, 0.0), group(0));
    let alarm = json!({"AlarmName": "a", "Trigger": {"Dimensions": [{"name": "FleetRequestId", "value": "sfr-alarm"}]}});
    let ev =
        json!({"Records": [{"EventSource": "aws:sns", "Sns": {"Message": alarm.to_string()}}]});
    let r = handle_event(&api, config(None), &ev, NOW, false).await;
    assert_eq!(r.fleet_id.as_deref(), Some("sfr-alarm"));
    assert_eq!(r.decision.unwrap().wanted, Some(2));
}

#[tokio::test]
async fn errors_before_any_call() {
    let api = FakeApi::new(steady(20.0, 0.0), group(5));
    for (cfg, ev, kind) in [
        (config(None), json!({"fleetID": 3}), "malformed_event"),
        (config(None), json!([1]), "malformed_event"),
        (config(None), json!({}), "no_fleet_id"),
        (
            Err(ConfigError::Missing("SPOTCOVER_GROUP_NAME")),
            json!({"fleetID": "sfr-1"}),
            "config",
        ),
    ] {
        let r = handle_event(&api, cfg, &ev, NOW, false).await;
        assert_eq!(r.result, Outcome::Error);
        assert_eq!(r.error.as_ref().unwrap().kind, kind, "{}", r.to_line());
        assert_eq!(r.api_calls, 0);
    }
    assert!(api.calls().is_empty());
}

#[tokio::test]
async fn api_errors_never_scale_in() {
    // Unknown group.
    let api = FakeApi::new(steady(20.0, 20.0), None);
    let r = handle_event(&api, config(Some("sfr-1")), &json!({}), NOW, false).await;
    assert_eq!(r.error.unwrap().kind, "group_not_found");
    assert!(sets(&api).is_empty());
    // Throttled metrics while the group holds 5.
    let api = FakeApi::new(Observation::default(), group(5));
    *api.observation.lock().unwrap() = Err(ApiError::Throttled {
        service: "cloudwatch",
        op: "GetMetricData",
        message: "slow down".into(),
    });
    let r = handle_event(&api, config(Some("sfr-1")), &json!({}), NOW, false).await;
    assert_eq!(r.error.as_ref().unwrap().kind, "throttled");
    assert_eq!(r.observed.unwrap().group, group(5));
    assert!(sets(&api).is_empty());
    // Missing metrics: no action, not an error.
    let api = FakeApi::new(Observation::default(), group(5));
    let r = handle_event(&api, config(Some("sfr-1")), &json!({}), NOW, false).await;
    assert_eq!(r.result, Outcome::NoAction);
    assert_eq!(r.decision.unwrap().reason, Reason::FleetMetricsMissing);
}

#[tokio::test]
async fn cooldown_set_error_and_dry_run() {
    let api = FakeApi::new(steady(20.0, 20.0), group(3));
    *api.in_cooldown.lock().unwrap() = true;
    let r = handle_event(&api, config(Some("sfr-1")), &json!({}), NOW, false).await;
    assert_eq!(r.result, Outcome::InCooldown);
    assert!(r.error.is_none());

    let api = FakeApi::new(steady(20.0, 0.0), group(0));
    api.fail(
        "SetDesiredCapacity",
        ApiError::ServerError {
            service: "autoscaling",
            op: "SetDesiredCapacity",
            status: 503,
            message: "x".into(),
        },
    );
    let r = handle_event(&api, config(Some("sfr-1")), &json!({}), NOW, false).await;
    assert_eq!(r.error.unwrap().kind, "server_error");

    let api = FakeApi::new(steady(20.0, 0.0), group(0));
    let r = handle_event(&api, config(Some("sfr-1")), &json!({}), NOW, true).await;
    assert_eq!((r.result, r.api_calls), (Outcome::DryRun, 2));
    assert!(sets(&api).is_empty());
    assert_eq!(api.group.lock().unwrap().unwrap().desired, 0);
}

#[test]
fn log_line_shape() {
    let api = FakeApi::new(steady(20.0, 11.0), group(0));
    let r = futures_lite_block_on(handle_event(
        &api,
        config(Some("sfr-1")),
        &json!({}),
        NOW,
        false,
    ));
    let v: serde_json::Value = serde_json::from_str(&r.to_line()).unwrap();
    let mut keys: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    let mut want = [
        "log",
        "fleet_id",
        "group",
        "now",
        "dry_run",
        "observed",
        "decision",
        "result",
        "error",
        "api_calls",
    ];
    want.sort();
    assert_eq!(keys, want);
    assert_eq!(v["log"], "spotcover.reconcile");
    assert_eq!(v["result"], "applied");
    assert_eq!(
        v["observed"]["target_latest"],
        json!({"at": NOW - 60, "value": 20.0})
    );
    assert_eq!(
        v["observed"]["group"],
        json!({"desired": 0, "min": 0, "max": 200})
    );
    assert_eq!(v["decision"]["reason"], "cover_shortfall");
    assert!(!r.to_line().contains('\n'));
}

fn futures_lite_block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(f)
}
