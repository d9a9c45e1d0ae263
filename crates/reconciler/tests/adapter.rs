//! The SDK adapter against moto (Auto Scaling) and moto behind the CBOR shim
//! (CloudWatch), over real HTTP. Needs SPOTCOVER_TEST_MOTO and
//! SPOTCOVER_TEST_CLOUDWATCH (see tests/common).

mod common;

use common::*;
use spotcover_reconciler::ApiError;
use spotcover_reconciler::adapters::{AutoScaling, Ecs, FleetMetrics, SetOutcome};
use spotcover_reconciler::config::{Config, ConfigError};
use spotcover_reconciler::{Outcome, handle_event, reconcile};
use spotcover_reconciler_core::interruption::{InterruptionPolicy, InterruptionReason};
use spotcover_reconciler_core::policy::rule_2017::{self, Reason};
use spotcover_reconciler_core::{Action, GroupState};

#[tokio::test]
async fn describe_and_set_desired_both_modes() {
    let api = moto_api().await;
    let g = create_group(0, 0, 200).await;
    assert_eq!(
        api.describe_group(&g).await.unwrap().state,
        GroupState {
            desired: 0,
            min: 0,
            max: 200
        }
    );
    assert_eq!(
        api.set_desired(&g, 4, false).await.unwrap(),
        SetOutcome::Applied
    );
    assert_eq!(api.describe_group(&g).await.unwrap().state.desired, 4);
    // moto emulates no cooldown, so an honoured cooldown still applies here.
    assert_eq!(
        api.set_desired(&g, 1, true).await.unwrap(),
        SetOutcome::Applied
    );
    assert_eq!(desired_of(&g).await, 1);
}

#[tokio::test]
async fn unknown_group_is_a_typed_error() {
    let api = moto_api().await;
    let name = unique("no-such-group");
    assert_eq!(
        api.describe_group(&name).await,
        Err(ApiError::GroupNotFound(name.clone()))
    );
}

#[tokio::test]
async fn observe_fleet_reads_both_series() {
    let api = moto_api().await;
    let fleet = unique_fleet();
    put_fleet(&fleet, &[(120, 20.0, 11.0), (60, 24.0, 12.5)]).await;
    let now = now();
    let obs = api
        .observe_fleet(&fleet, now - 1200, now + 60)
        .await
        .unwrap();
    let mut t: Vec<_> = obs.target.iter().map(|p| (now - p.at, p.value)).collect();
    let mut f: Vec<_> = obs
        .fulfilled
        .iter()
        .map(|p| (now - p.at, p.value))
        .collect();
    t.sort_by_key(|p| p.0);
    f.sort_by_key(|p| p.0);
    // Allow a few seconds between putting and reading.
    assert_eq!(t.len(), 2, "{obs:?}");
    assert!(
        (60..70).contains(&t[0].0) && (120..130).contains(&t[1].0),
        "{t:?}"
    );
    assert_eq!((t[0].1, t[1].1), (24.0, 20.0));
    assert_eq!((f[0].1, f[1].1), (12.5, 11.0));
    // Another fleet's data does not leak in.
    let other = api
        .observe_fleet(&unique_fleet(), now - 1200, now + 60)
        .await
        .unwrap();
    assert!(
        other.target.is_empty() && other.fulfilled.is_empty(),
        "{other:?}"
    );
}

#[tokio::test]
async fn reconcile_scales_out_then_in_against_moto() {
    let api = moto_api().await;
    let g = create_group(0, 0, 200).await;
    let fleet = unique_fleet();
    put_steady_fleet(&fleet, 20.0, 11.0).await;
    let p = rule_2017::Settings::new(4).unwrap();
    let r = reconcile(&api, &fleet, &g, &p, now(), false).await;
    assert_eq!(r.result, Outcome::Applied, "{}", r.to_line());
    assert_eq!(r.api_calls, 3);
    let d = r.decision.unwrap();
    assert_eq!(
        d.action,
        Action::SetDesired {
            desired: 3,
            honor_cooldown: false
        }
    );
    assert_eq!(desired_of(&g).await, 3);
    // Same observation again: steady, two calls.
    let r = reconcile(&api, &fleet, &g, &p, now(), false).await;
    assert_eq!(
        (r.result, r.api_calls),
        (Outcome::NoAction, 2),
        "{}",
        r.to_line()
    );
    assert_eq!(r.decision.unwrap().reason, Reason::Steady);
    // The fleet catches up: release the cover, honouring the cooldown.
    put_fleet(&fleet, &[(0, 20.0, 20.0)]).await;
    let r = reconcile(&api, &fleet, &g, &p, now(), false).await;
    assert_eq!(r.result, Outcome::Applied, "{}", r.to_line());
    let d = r.decision.unwrap();
    assert_eq!(
        d.action,
        Action::SetDesired {
            desired: 0,
            honor_cooldown: true
        }
    );
    assert_eq!(d.reason, Reason::ReleaseCover);
    assert_eq!(desired_of(&g).await, 0);
    api.set_desired(&g, 3, false).await.unwrap();
    // An unknown fleet has no metrics: no scale-in.
    let r = reconcile(&api, &unique_fleet(), &g, &p, now(), false).await;
    assert_eq!(r.result, Outcome::NoAction);
    assert_eq!(r.decision.unwrap().reason, Reason::FleetMetricsMissing);
    assert_eq!(desired_of(&g).await, 3);
}

#[tokio::test]
async fn server_errors_and_throttling_are_typed() {
    let g5 = failing_endpoint(500, "InternalFailure");
    let thr = failing_endpoint(400, "Throttling");
    let api = api(&g5, &g5).await;
    assert!(
        matches!(
            api.describe_group("g").await,
            Err(ApiError::ServerError { status: 500, .. })
        ),
        "{:?}",
        api.describe_group("g").await
    );
    let r = api.observe_fleet("sfr-x", 0, 60).await;
    assert!(
        matches!(r, Err(ApiError::ServerError { status: 500, .. })),
        "{r:?}"
    );
    let r = api.set_desired("g", 0, true).await;
    assert!(matches!(r, Err(ApiError::ServerError { .. })), "{r:?}");

    let api = common::api(&thr, &thr).await;
    let r = api.describe_group("g").await;
    assert!(
        matches!(
            r,
            Err(ApiError::Throttled {
                service: "autoscaling",
                ..
            })
        ),
        "{r:?}"
    );
    let r = api.observe_fleet("sfr-x", 0, 60).await;
    assert!(
        matches!(
            r,
            Err(ApiError::Throttled {
                service: "cloudwatch",
                ..
            })
        ),
        "{r:?}"
    );
    let r = api.set_desired("g", 0, true).await;
    assert!(matches!(r, Err(ApiError::Throttled { .. })), "{r:?}");

    // Nothing listening: a transport error.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let r = common::api(&dead, &dead).await.describe_group("g").await;
    assert!(matches!(r, Err(ApiError::Transport { .. })), "{r:?}");
}

#[tokio::test]
async fn failing_cloudwatch_never_scales_in() {
    // The group holds 5 on-demand instances; CloudWatch fails.
    let g = create_group(5, 0, 200).await;
    let p = rule_2017::Settings::new(1).unwrap();
    for (status, code, kind) in [
        (500, "InternalFailure", "server_error"),
        (400, "Throttling", "throttled"),
    ] {
        let cw = failing_endpoint(status, code);
        let api = api(&moto(), &cw).await;
        let r = reconcile(&api, &unique_fleet(), &g, &p, now(), false).await;
        assert_eq!(r.result, Outcome::Error, "{}", r.to_line());
        assert_eq!(r.error.as_ref().unwrap().kind, kind);
        assert!(r.decision.is_none());
        assert_eq!(r.api_calls, 2);
        assert_eq!(desired_of(&g).await, 5);
    }
}

/// A fake Auto Scaling endpoint: describes group "g" with `desired` (0..=200);
/// SetDesiredCapacity with HonorCooldown=true answers ScalingActivityInProgress,
/// without it Throttling.
fn scripted_autoscaling(desired: u32) -> String {
    let addr = common::serve(move |req| {
        let body = String::from_utf8_lossy(&req.body).to_string();
        if body.contains("Action=DescribeAutoScalingGroups") {
            let xml = format!(
                "<DescribeAutoScalingGroupsResponse xmlns=\"http://autoscaling.amazonaws.com/doc/2011-01-01/\">\
                 <DescribeAutoScalingGroupsResult><AutoScalingGroups><member>\
                 <AutoScalingGroupName>g</AutoScalingGroupName><MinSize>0</MinSize><MaxSize>200</MaxSize>\
                 <DesiredCapacity>{desired}</DesiredCapacity></member></AutoScalingGroups>\
                 </DescribeAutoScalingGroupsResult><ResponseMetadata><RequestId>r</RequestId>\
                 </ResponseMetadata></DescribeAutoScalingGroupsResponse>"
            );
            Response::new(200, "text/xml", xml)
        } else if body.contains("HonorCooldown=true") {
            Response::new(
                400,
                "text/xml",
                query_error("ScalingActivityInProgress", "cooldown"),
            )
        } else {
            Response::new(400, "text/xml", query_error("Throttling", "Rate exceeded"))
        }
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn cooldown_refusal_is_not_an_error() {
    let api = api(&scripted_autoscaling(3), &shim()).await;
    assert_eq!(api.describe_group("g").await.unwrap().state.desired, 3);
    assert_eq!(
        api.set_desired("g", 0, true).await,
        Ok(SetOutcome::InCooldown)
    );
    let r = api.set_desired("g", 5, false).await;
    assert!(matches!(r, Err(ApiError::Throttled { .. })), "{r:?}");
    // Fleet fully fulfilled, 3 on-demand instances: release them, inside the cooldown.
    let fleet = unique_fleet();
    put_steady_fleet(&fleet, 20.0, 20.0).await;
    let r = reconcile(
        &api,
        &fleet,
        "g",
        &rule_2017::Settings::new(4).unwrap(),
        now(),
        false,
    )
    .await;
    assert_eq!(r.result, Outcome::InCooldown, "{}", r.to_line());
    assert!(r.error.is_none());
    assert_eq!(r.decision.as_ref().unwrap().reason, Reason::ReleaseCover);
    assert!(r.to_line().contains(r#""result":"in_cooldown""#));
}

#[tokio::test]
async fn failing_set_desired_is_an_error_result() {
    // Real CloudWatch data (through the shim) asks for a scale-out; the set
    // call is throttled.
    let fleet = unique_fleet();
    put_steady_fleet(&fleet, 10.0, 0.0).await;
    let api = api(&scripted_autoscaling(0), &shim()).await;
    let r = reconcile(
        &api,
        &fleet,
        "g",
        &rule_2017::Settings::new(4).unwrap(),
        now(),
        false,
    )
    .await;
    assert_eq!(r.result, Outcome::Error, "{}", r.to_line());
    assert_eq!(r.error.unwrap().kind, "throttled");
    assert_eq!(r.api_calls, 3);
    assert_eq!(
        r.decision.unwrap().action,
        Action::SetDesired {
            desired: 3,
            honor_cooldown: false
        }
    );
}

fn notice_config(
    group: &str,
    cluster: &str,
    weight: u32,
    rebalance: bool,
) -> Result<Config, ConfigError> {
    Ok(Config {
        fleet_id: None,
        group_name: group.to_owned(),
        policy: rule_2017::Settings::new(weight).unwrap(),
        cluster: Some(cluster.to_owned()),
        interruption: InterruptionPolicy {
            spot_weights: spotcover_reconciler_core::contract::settings::parse_weights(
                "m6i.large=2,m5.large=2,m6i.xlarge=4",
            )
            .unwrap()
            .into_iter()
            .collect(),
            drain_on_rebalance: rebalance,
        },
        drain: Default::default(),
        need: None,
    })
}

#[tokio::test]
async fn ecs_adapter_against_moto() {
    let api = moto_api().await;
    let cluster = create_cluster().await;
    let (i1, i2) = (run_instance("m6i.xlarge"), run_instance("m5.large"));
    let a1 = register_instance(&cluster, &i1).await;
    let a2 = register_instance(&cluster, &i2).await;
    // moto ignores the ec2InstanceId filter (it answers every instance of the
    // cluster); AWS answers only the match. Either way the wanted one is in it.
    let listed = api
        .list_container_instances(&cluster, Some(&i1))
        .await
        .unwrap();
    assert!(listed.contains(&a1), "{listed:?}");
    let mut all = api
        .describe_container_instances(&cluster, &[a1.clone(), a2.clone()])
        .await
        .unwrap();
    all.sort_by_key(|c| c.arn != a1);
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].ec2_instance_id.as_deref(), Some(i1.as_str()));
    assert_eq!(
        all[0].status,
        spotcover_reconciler_core::ecs::InstanceStatus::Active
    );
    assert_eq!(all[0].instance_type.as_deref(), Some("m6i.xlarge"));
    assert_eq!(
        all[0].cover,
        spotcover_reconciler_core::ecs::CoverMark::None
    );
    assert_eq!(all[1].instance_type.as_deref(), Some("m5.large"));
    api.set_status(&cluster, &a1, true).await.unwrap();
    api.put_attribute(&cluster, &a1, "spotcover.covered", "1800000000")
        .await
        .unwrap();
    let (status, attrs) = container_instance(&cluster, &a1).await;
    assert_eq!(status, "DRAINING");
    assert_eq!(
        attrs.get("spotcover.covered").map(String::as_str),
        Some("1800000000")
    );
    assert_eq!(container_instance(&cluster, &a2).await.0, "ACTIVE");
    // An unknown cluster: moto lists nothing; AWS refuses (ClusterNotFoundException).
    let r = api
        .list_container_instances(&unique("no-such-cluster"), Some(&i1))
        .await;
    assert!(
        matches!(&r, Ok(v) if v.is_empty())
            || matches!(r, Err(ApiError::Refused { service: "ecs", .. })),
        "{r:?}"
    );
}

#[tokio::test]
async fn interruption_warning_drains_and_covers_once_against_moto() {
    let api = moto_api().await;
    let group = create_group(1, 0, 200).await;
    let cluster = create_cluster().await;
    let (spot, other) = (run_instance("m6i.xlarge"), run_instance("m6i.large"));
    let arn = register_instance(&cluster, &spot).await;
    let other_arn = register_instance(&cluster, &other).await;
    let cfg = || notice_config(&group, &cluster, 2, false);

    // Weight 4 at on-demand weight 2: two more on-demand instances, at once.
    let r = handle_event(&api, cfg(), &warning_event(&spot), now(), false).await;
    assert_eq!(r.result, Outcome::Applied, "{}", r.to_line());
    // List, describe, group, describe again (another handler's claim), drain,
    // the drain read back, claim, the claim read back, raise, mark.
    assert_eq!(r.api_calls, 10, "{}", r.to_line());
    let ir = r.interruption.as_ref().unwrap();
    assert!(ir.drained && ir.raised && ir.marked, "{}", r.to_line());
    let d = ir.decision.as_ref().unwrap();
    assert_eq!(d.reason, InterruptionReason::DrainAndCover);
    assert_eq!((d.instance_weight, d.cover), (Some(4), Some(2)));
    assert_eq!(desired_of(&group).await, 3);
    let (status, attrs) = container_instance(&cluster, &arn).await;
    assert_eq!(status, "DRAINING");
    assert!(attrs.contains_key("spotcover.covered"), "{attrs:?}");
    // The other instance of the cluster is untouched.
    assert_eq!(container_instance(&cluster, &other_arn).await.0, "ACTIVE");

    // The same warning again: already covered, nothing changes.
    let r = handle_event(&api, cfg(), &warning_event(&spot), now(), false).await;
    assert_eq!(r.result, Outcome::NoAction, "{}", r.to_line());
    let ir = r.interruption.as_ref().unwrap();
    assert_eq!(
        ir.decision.as_ref().unwrap().reason,
        InterruptionReason::AlreadyCovered
    );
    assert!(!ir.drained && !ir.raised && !ir.marked);
    assert_eq!(r.api_calls, 2);
    assert_eq!(desired_of(&group).await, 3);

    // An instance of another cluster (another fleet's): ignored, not an error.
    let foreign_cluster = create_cluster().await;
    let foreign = run_instance("m6i.large");
    let foreign_arn = register_instance(&foreign_cluster, &foreign).await;
    let r = handle_event(&api, cfg(), &warning_event(&foreign), now(), false).await;
    assert_eq!(r.result, Outcome::NoAction, "{}", r.to_line());
    assert!(r.error.is_none());
    let ir = r.interruption.as_ref().unwrap();
    assert_eq!(
        ir.decision.as_ref().unwrap().reason,
        InterruptionReason::NotThisCluster
    );
    assert!(ir.container_instance.is_none());
    assert_eq!(desired_of(&group).await, 3);
    assert_eq!(
        container_instance(&foreign_cluster, &foreign_arn).await.0,
        "ACTIVE"
    );
    assert_eq!(container_instance(&cluster, &other_arn).await.0, "ACTIVE");
    // An instance id no cluster knows: the same.
    let r = handle_event(
        &api,
        cfg(),
        &warning_event("i-0123456789abcdef0"),
        now(),
        false,
    )
    .await;
    assert_eq!(r.result, Outcome::NoAction, "{}", r.to_line());
    assert_eq!(desired_of(&group).await, 3);
}

#[tokio::test]
async fn agent_drained_instance_is_covered_and_rebalance_is_configurable() {
    let api = moto_api().await;
    let group = create_group(0, 0, 3).await;
    let cluster = create_cluster().await;
    let spot = run_instance("m6i.large");
    let arn = register_instance(&cluster, &spot).await;
    let rebalance = serde_json::json!({
        "detail-type": "EC2 Instance Rebalance Recommendation", "source": "aws.ec2",
        "detail": {"instance-id": spot}
    });
    // Not configured: logged, nothing looked up or changed.
    let r = handle_event(
        &api,
        notice_config(&group, &cluster, 1, false),
        &rebalance,
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
    assert_eq!(container_instance(&cluster, &arn).await.0, "ACTIVE");
    // The ECS agent's own spot draining got there first: still covered.
    api.set_status(&cluster, &arn, true).await.unwrap();
    let r = handle_event(
        &api,
        notice_config(&group, &cluster, 1, true),
        &rebalance,
        now(),
        false,
    )
    .await;
    assert_eq!(r.result, Outcome::Applied, "{}", r.to_line());
    let ir = r.interruption.as_ref().unwrap();
    assert_eq!(
        ir.decision.as_ref().unwrap().reason,
        InterruptionReason::CoverDraining
    );
    assert!(!ir.drained && ir.raised && ir.marked);
    assert_eq!(desired_of(&group).await, 2);
    // The warning that follows the recommendation: already covered.
    let r = handle_event(
        &api,
        notice_config(&group, &cluster, 1, true),
        &warning_event(&spot),
        now(),
        false,
    )
    .await;
    assert_eq!(r.result, Outcome::NoAction, "{}", r.to_line());
    assert_eq!(desired_of(&group).await, 2);
}
