//! The demand policy end to end against moto, through the real SDK adapter over HTTP:
//! a fleet event leads to cover, an interruption warning leads to cover, and recovery
//! leads to a release once the hold (kept in the group's tag) has run out.

mod common;

use common::*;
use serde_json::json;
use spotcover_reconciler::config::{Config, DrainSettings};
use spotcover_reconciler::handle_event;
use spotcover_reconciler_core::contract::settings::parse_weights;
use spotcover_reconciler_core::contract::tags::STATE_TAG;
use spotcover_reconciler_core::interruption::InterruptionPolicy;
use spotcover_reconciler_core::policy::demand;
use spotcover_reconciler_core::policy::rule_2017;

fn config(fleet: &str, group: &str, cluster: &str) -> Config {
    Config {
        fleet_id: Some(fleet.to_owned()),
        group_name: group.to_owned(),
        policy: rule_2017::Settings::new(2).unwrap(),
        cluster: Some(cluster.to_owned()),
        interruption: InterruptionPolicy {
            spot_weights: parse_weights("m6i.large=2").unwrap().into_iter().collect(),
            drain_on_rebalance: false,
        },
        drain: DrainSettings::default(),
        need: Some(demand::Settings {
            on_demand_weight: 2,
            target_percent: 75,
            fleet_min: 2,
            fleet_max: 40,
            fleet_hold_secs: 1200,
            launch_grace_secs: 300,
            hold_secs: 600,
            max_hold_secs: 3600,
        }),
    }
}

fn fleet_error(fleet: &str) -> serde_json::Value {
    json!({
        "version": "0", "id": "e", "detail-type": "EC2 Spot Fleet Error",
        "source": "aws.ec2spotfleet", "account": "123456789012",
        "time": "2027-01-15T08:00:00Z", "region": "us-east-1",
        "resources": [format!("arn:aws:ec2:us-east-1:123456789012:spot-fleet-request/{fleet}")],
        "detail": {"sub-type": "allLaunchSpecsTemporarilyBlacklisted"}
    })
}

/// The group's state tag, read from moto.
async fn state_tag(group: &str) -> Option<String> {
    let out = asg_client(&moto())
        .await
        .describe_auto_scaling_groups()
        .auto_scaling_group_names(group)
        .send()
        .await
        .unwrap();
    out.auto_scaling_groups()[0]
        .tags()
        .iter()
        .find(|t| t.key() == Some(STATE_TAG))
        .and_then(|t| t.value().map(str::to_owned))
}

#[tokio::test]
#[ignore = "under the demand policy a warning's own cover and the demand run's cover now both act in one invocation and cover twice; the two must be reconciled"]
async fn a_fleet_event_and_a_warning_lead_to_cover_and_recovery_to_a_release() {
    let api = moto_api().await;
    let group = create_group(0, 0, 20).await;
    let cluster = create_cluster().await;
    let fleet = request_spot_fleet(4);
    // Two spot instances with 4 tasks each, and an on-demand one (from before) with 4:
    // 6 units of demand (moto registers 4096 CPU units: 2048 per unit at weight 2), 4
    // of spot.
    let mut spot = Vec::new();
    for _ in 0..2 {
        let id = run_instance("m6i.large");
        let arn = join(&cluster, &id, "spot").await;
        start_tasks(&cluster, &arn, 4).await;
        spot.push(id);
    }
    let od = run_instance("m6i.large");
    let od_arn = join(&cluster, &od, "on-demand").await;
    start_tasks(&cluster, &od_arn, 4).await;
    let cfg = || Ok(config(&fleet, &group, &cluster));
    let now = now();

    // Spot is short of demand, but within the launch grace: no cover yet, and the fleet
    // is asked for demand plus headroom.
    let r = handle_event(&api, cfg(), &json!({"fleetID": fleet}), now, false).await;
    assert!(!r.is_error(), "{}", r.to_line());
    let need = r.need.as_ref().unwrap();
    let view = need.view.unwrap();
    assert!(view.demand > view.spot_active, "{}", r.to_line());
    assert_eq!(desired_of(&group).await, 0, "{}", r.to_line());
    assert!(need.fleet_modified, "{}", r.to_line());

    // The fleet says it cannot launch: what active spot leaves is covered at once.
    let r = handle_event(&api, cfg(), &fleet_error(&fleet), now + 30, false).await;
    assert!(!r.is_error(), "{}", r.to_line());
    let view = r.need.as_ref().unwrap().view.unwrap();
    let lacking = view.demand - view.spot_active;
    let covered = i32::try_from(lacking.div_ceil(2)).unwrap();
    assert!(covered > 0);
    assert_eq!(desired_of(&group).await, covered, "{}", r.to_line());
    assert!(
        state_tag(&group).await.is_some_and(|t| t.contains("err=")),
        "the error is kept in the group's tag"
    );

    // A warning on one spot instance: drained in ECS, its 2 units covered, once.
    for k in 0..2 {
        let r = handle_event(&api, cfg(), &warning_event(&spot[0]), now + 60 + k, false).await;
        assert!(!r.is_error(), "{}", r.to_line());
    }
    let (status, _) =
        container_instance(&cluster, &register_lookup(&cluster, &spot[0]).await).await;
    assert_eq!(status, "DRAINING");
    assert_eq!(desired_of(&group).await, covered + 1);

    // Spot is back: enough active spot for the demand. The cover is held...
    for _ in 0..8 {
        let id = run_instance("m6i.large");
        join(&cluster, &id, "spot").await;
    }
    let r = handle_event(&api, cfg(), &json!({"fleetID": fleet}), now + 120, false).await;
    assert_eq!(desired_of(&group).await, covered + 1, "{}", r.to_line());
    // ...until the need has been lower for the hold: the state says since when (as a
    // run 10 minutes later would find it), and the release follows.
    let mut st = demand::State::from_tag(state_tag(&group).await.as_deref());
    st.cover.below_since = Some(now + 120 - 600);
    asg_client(&moto())
        .await
        .create_or_update_tags()
        .tags(
            aws_sdk_autoscaling::types::Tag::builder()
                .resource_id(&group)
                .resource_type("auto-scaling-group")
                .key(STATE_TAG)
                .value(st.to_tag())
                .propagate_at_launch(false)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let r = handle_event(&api, cfg(), &json!({"fleetID": fleet}), now + 180, false).await;
    assert!(!r.is_error(), "{}", r.to_line());
    assert_eq!(desired_of(&group).await, 0, "{}", r.to_line());
}

/// The container instance ARN of an EC2 instance in `cluster`.
async fn register_lookup(cluster: &str, ec2_id: &str) -> String {
    let ecs = ecs_client(&moto()).await;
    let arns = ecs
        .list_container_instances()
        .cluster(cluster)
        .send()
        .await
        .unwrap()
        .container_instance_arns()
        .to_vec();
    let out = ecs
        .describe_container_instances()
        .cluster(cluster)
        .set_container_instances(Some(arns))
        .send()
        .await
        .unwrap();
    out.container_instances()
        .iter()
        .find(|c| c.ec2_instance_id() == Some(ec2_id))
        .and_then(|c| c.container_instance_arn())
        .unwrap()
        .to_owned()
}
