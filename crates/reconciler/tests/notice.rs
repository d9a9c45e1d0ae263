//! EC2 instance notices (spot interruption warnings, rebalance
//! recommendations) through the handler, over the recording fake: no AWS.

mod common;

use common::fake::{Call, FakeApi};
use serde_json::{Value, json};
use spotcover_reconciler::ApiError;
use spotcover_reconciler::config::{Config, ConfigError};
use spotcover_reconciler::{Outcome, Report, handle_event};
use spotcover_reconciler_core::GroupState;
use spotcover_reconciler_core::contract::attributes::COVERED as COVERED_ATTRIBUTE;
use spotcover_reconciler_core::contract::settings::parse_weights;
use spotcover_reconciler_core::ecs::{ContainerInstance, InstanceStatus};
use spotcover_reconciler_core::interruption::{InterruptionPolicy, InterruptionReason};
use spotcover_reconciler_core::policy::rule_2017::{self, Observation};

const NOW: i64 = 1_800_000_000;
const CLUSTER: &str = "spotcover-test";
const ARN: &str = "arn:aws:ecs:us-east-1:123456789012:container-instance/spotcover-test/abc";

fn config(cluster: Option<&str>, rebalance: bool) -> Result<Config, ConfigError> {
    Ok(Config {
        fleet_id: Some("sfr-env".into()),
        group_name: "od".into(),
        policy: rule_2017::Settings::new(2).unwrap(),
        cluster: cluster.map(str::to_owned),
        interruption: InterruptionPolicy {
            spot_weights: parse_weights("m6i.large=2,m5.large=2,m6i.xlarge=4")
                .unwrap()
                .into_iter()
                .collect(),
            drain_on_rebalance: rebalance,
        },
        drain: Default::default(),
        need: None,
    })
}

fn warning(id: &str) -> Value {
    json!({"version": "0", "detail-type": "EC2 Spot Instance Interruption Warning",
        "source": "aws.ec2", "region": "us-east-1",
        "detail": {"instance-id": id, "instance-action": "terminate"}})
}

fn rebalance(id: &str) -> Value {
    json!({"detail-type": "EC2 Instance Rebalance Recommendation", "source": "aws.ec2",
        "detail": {"instance-id": id}})
}

/// A fake with group `od` at `desired` (max 10) and one container instance
/// `i-spot` of `ty` in `CLUSTER`, plus one `i-other` in another cluster.
fn fake(desired: u32, status: &str, ty: &str) -> FakeApi {
    let api = FakeApi::new(
        Observation::default(),
        Some(GroupState {
            desired,
            min: 0,
            max: 10,
        }),
    );
    let ci = |arn: &str, id: &str| ContainerInstance {
        status: InstanceStatus::parse(status),
        instance_type: Some(ty.into()),
        ..ContainerInstance::new(arn, Some(id.into()))
    };
    api.add_instance(CLUSTER, ci(ARN, "i-spot"));
    api.add_instance("other", ci("arn:other", "i-other"));
    api
}

fn desired(api: &FakeApi) -> u32 {
    api.desired()
}

fn status(api: &FakeApi) -> String {
    serde_json::to_value(api.instance(ARN).status)
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned()
}

fn reason(r: &Report) -> InterruptionReason {
    r.interruption
        .as_ref()
        .and_then(|i| i.decision.as_ref())
        .map(|d| d.reason)
        .unwrap_or_else(|| panic!("no decision: {}", r.to_line()))
}

async fn handle(api: &FakeApi, cfg: Result<Config, ConfigError>, ev: &Value, dry: bool) -> Report {
    handle_event(api, cfg, ev, NOW, dry).await
}

/// The common case: a spot interruption warning for `i-spot`, cluster set, rebalance off.
async fn warn(api: &FakeApi) -> Report {
    handle(api, config(Some(CLUSTER), false), &warning("i-spot"), false).await
}

#[tokio::test]
async fn warning_drains_covers_and_marks_then_repeats_are_no_ops() {
    let api = fake(1, "ACTIVE", "m6i.xlarge");
    let r = warn(&api).await;
    assert_eq!(r.result, Outcome::Applied, "{}", r.to_line());
    assert_eq!(reason(&r), InterruptionReason::DrainAndCover);
    // ... and the drain read back before the final mark.
    assert_eq!(r.api_calls, 10);
    let cluster = CLUSTER.to_owned();
    assert_eq!(
        api.calls(),
        vec![
            Call::List {
                cluster: cluster.clone(),
                ec2_instance_id: Some("i-spot".into())
            },
            Call::Describe {
                cluster: cluster.clone(),
                arns: vec![ARN.into()]
            },
            Call::DescribeGroup("od".into()),
            // Another handler's claim, read after the group.
            Call::Describe {
                cluster: cluster.clone(),
                arns: vec![ARN.into()]
            },
            Call::SetStatus {
                arn: ARN.into(),
                draining: true
            },
            // The drain read back: DRAINING in ECS before the final mark may follow.
            Call::Describe {
                cluster: cluster.clone(),
                arns: vec![ARN.into()]
            },
            // The claim: covered from desired 1, before the raise, and read back.
            Call::PutAttribute {
                arn: ARN.into(),
                name: COVERED_ATTRIBUTE.into(),
                value: "claim-1".into()
            },
            Call::Describe {
                cluster: cluster.clone(),
                arns: vec![ARN.into()]
            },
            Call::SetDesired {
                name: "od".into(),
                desired: 3,
                honor_cooldown: false
            },
            Call::PutAttribute {
                arn: ARN.into(),
                name: COVERED_ATTRIBUTE.into(),
                value: NOW.to_string()
            },
        ]
    );
    assert_eq!((desired(&api), status(&api)), (3, "DRAINING".into()));

    // The log line: the existing keys, plus `interruption`.
    let v: Value = serde_json::from_str(&r.to_line()).unwrap();
    assert_eq!(v["log"], "spotcover.reconcile");
    assert_eq!(v["result"], "applied");
    assert_eq!(v["group"], "od");
    assert_eq!(v["fleet_id"], Value::Null);
    assert_eq!(v["api_calls"], 10);
    let i = &v["interruption"];
    assert_eq!(i["notice"], "interruption_warning");
    assert_eq!(i["instance_id"], "i-spot");
    assert_eq!(i["instance_action"], "terminate");
    assert_eq!(i["cluster"], CLUSTER);
    assert_eq!(i["container_instance"]["status"], "ACTIVE");
    assert_eq!(i["container_instance"]["instance_type"], "m6i.xlarge");
    assert_eq!(i["group_state"], json!({"desired": 1, "min": 0, "max": 10}));
    assert_eq!(i["decision"]["reason"], "drain_and_cover");
    assert_eq!(i["decision"]["instance_weight"], 4);
    assert_eq!(i["decision"]["weight_source"], "fleet");
    assert_eq!(i["decision"]["cover"], 2);
    assert_eq!(
        i["decision"]["action"],
        json!({"kind": "set_desired", "desired": 3, "honor_cooldown": false})
    );
    assert_eq!(
        (&i["drained"], &i["raised"], &i["marked"]),
        (&json!(true), &json!(true), &json!(true))
    );

    // Again (EventBridge delivers at least once): covered, two reads, nothing else.
    for ev in [warning("i-spot"), rebalance("i-spot")] {
        let before = api.calls().len();
        let r = handle(&api, config(Some(CLUSTER), true), &ev, false).await;
        assert_eq!(r.result, Outcome::NoAction, "{}", r.to_line());
        assert_eq!(reason(&r), InterruptionReason::AlreadyCovered);
        assert_eq!(r.api_calls, 2);
        assert_eq!(api.calls().len(), before + 2);
    }
    assert_eq!(desired(&api), 3);
}

#[tokio::test]
async fn other_clusters_instances_and_ignored_rebalances_change_nothing() {
    let api = fake(1, "ACTIVE", "m6i.large");
    for id in ["i-other", "i-0123456789abcdef0"] {
        let r = handle(&api, config(Some(CLUSTER), true), &warning(id), false).await;
        assert_eq!(r.result, Outcome::NoAction, "{}", r.to_line());
        assert!(r.error.is_none());
        assert_eq!(reason(&r), InterruptionReason::NotThisCluster);
        assert_eq!(r.api_calls, 1, "only the list call");
        assert!(r.to_line().contains(r#""reason":"not_this_cluster""#));
    }
    let r = handle(
        &api,
        config(Some(CLUSTER), false),
        &rebalance("i-spot"),
        false,
    )
    .await;
    assert_eq!((r.result, r.api_calls), (Outcome::NoAction, 0));
    assert_eq!(reason(&r), InterruptionReason::RebalanceIgnored);
    // Not configured: not even the cluster is needed.
    let r = handle(&api, config(None, false), &rebalance("i-spot"), false).await;
    assert_eq!(reason(&r), InterruptionReason::RebalanceIgnored);
    assert!(r.error.is_none());
    assert_eq!(api.calls().len(), 2);
    assert_eq!((desired(&api), status(&api)), (1, "ACTIVE".into()));
    // Configured: drain and cover.
    let r = handle(
        &api,
        config(Some(CLUSTER), true),
        &rebalance("i-spot"),
        false,
    )
    .await;
    assert_eq!(r.result, Outcome::Applied, "{}", r.to_line());
    assert_eq!((desired(&api), status(&api)), (2, "DRAINING".into()));
}

#[tokio::test]
async fn a_notice_without_a_cluster_configured_is_an_error_and_calls_nothing() {
    // No cluster configured: an error, no call.
    let api = fake(0, "ACTIVE", "m5.large");
    let r = handle(&api, config(None, false), &warning("i-spot"), false).await;
    assert_eq!(
        r.error.as_ref().unwrap().kind,
        "no_cluster",
        "{}",
        r.to_line()
    );
    assert!(
        r.error
            .as_ref()
            .unwrap()
            .message
            .contains("SPOTCOVER_CLUSTER")
    );
    assert!(api.calls().is_empty());
}

#[tokio::test]
async fn a_malformed_notice_is_an_error_and_calls_nothing() {
    // A malformed notice: an error, no call.
    let api = fake(0, "ACTIVE", "m5.large");
    let bad = json!({"detail-type": "EC2 Spot Instance Interruption Warning", "detail": {}});
    let r = handle(&api, config(Some(CLUSTER), false), &bad, false).await;
    assert_eq!(r.error.as_ref().unwrap().kind, "malformed_event");
    assert!(api.calls().is_empty());
}

#[tokio::test]
async fn a_dry_run_only_reads() {
    // Dry run: reads only.
    let api = fake(0, "ACTIVE", "m5.large");
    let r = handle(&api, config(Some(CLUSTER), false), &warning("i-spot"), true).await;
    assert_eq!(
        (r.result, r.api_calls),
        (Outcome::DryRun, 4),
        "{}",
        r.to_line()
    );
    assert_eq!((desired(&api), status(&api)), (0, "ACTIVE".into()));
}

#[tokio::test]
async fn a_retry_after_a_failed_raise_covers_exactly_once() {
    // The raise fails after the drain: an error; the retry covers exactly once.
    let api = fake(0, "ACTIVE", "m5.large");
    api.fail(
        "SetDesiredCapacity",
        ApiError::Throttled {
            service: "autoscaling",
            op: "SetDesiredCapacity",
            message: "slow down".into(),
        },
    );
    let r = warn(&api).await;
    assert_eq!(r.result, Outcome::Error);
    assert_eq!(r.error.as_ref().unwrap().kind, "throttled");
    let ir = r.interruption.as_ref().unwrap();
    assert!(ir.drained && !ir.raised && !ir.marked, "{}", r.to_line());
    assert_eq!((desired(&api), status(&api)), (0, "DRAINING".into()));
    api.heal();
    let r = warn(&api).await;
    assert_eq!(r.result, Outcome::Applied, "{}", r.to_line());
    assert_eq!(reason(&r), InterruptionReason::CoverDraining);
    assert_eq!(desired(&api), 1);
    let r = warn(&api).await;
    assert_eq!(reason(&r), InterruptionReason::AlreadyCovered);
    assert_eq!(desired(&api), 1);
}

#[tokio::test]
async fn an_unreadable_group_still_drains_then_reports_the_error() {
    // The group cannot be read: still drain, then report the error.
    let api = fake(0, "ACTIVE", "m5.large");
    *api.group.lock().unwrap() = None;
    let r = warn(&api).await;
    assert_eq!(r.error.as_ref().unwrap().kind, "group_not_found");
    assert_eq!(reason(&r), InterruptionReason::GroupUnknown);
    assert!(r.interruption.as_ref().unwrap().drained);
    assert_eq!(status(&api), "DRAINING");
    assert!(
        !api.calls()
            .iter()
            .any(|c| matches!(c, Call::PutAttribute { .. }))
    );
}

#[tokio::test]
async fn a_failing_ecs_call_is_an_error_and_changes_nothing() {
    // ECS fails: an error, nothing changed.
    let api = fake(0, "ACTIVE", "m5.large");
    api.fail_ecs(ApiError::ServerError {
        service: "ecs",
        op: "ListContainerInstances",
        status: 503,
        message: "x".into(),
    });
    let r = warn(&api).await;
    assert_eq!(r.error.as_ref().unwrap().kind, "server_error");
    assert_eq!(r.api_calls, 1);
    assert_eq!((desired(&api), status(&api)), (0, "ACTIVE".into()));
}

#[tokio::test]
async fn unknown_instance_type_is_covered_as_the_largest_weight() {
    let api = fake(0, "ACTIVE", "c7i.48xlarge");
    let r = warn(&api).await;
    let d = r.interruption.as_ref().unwrap().decision.clone().unwrap();
    assert_eq!(
        serde_json::to_value(d.weight_source).unwrap(),
        "largest_fleet_weight"
    );
    assert_eq!(desired(&api), 2, "weight 4 at on-demand weight 2");
}
