//! Two handlers of one interruption notice that overlap cover once: the
//! interleavings `tokio::join!` does not produce, replayed over the recording
//! fake (see the claim in the reconciler's apply steps).

mod common;

use common::fake::{Call, FakeApi};
use serde_json::json;
use spotcover_reconciler::config::Config;
use spotcover_reconciler::{Outcome, handle_event};
use spotcover_reconciler_core::GroupState;
use spotcover_reconciler_core::contract::attributes::COVERED as COVERED_ATTRIBUTE;
use spotcover_reconciler_core::contract::settings::parse_weights;
use spotcover_reconciler_core::ecs::{ContainerInstance, CoverMark, InstanceStatus};
use spotcover_reconciler_core::interruption::InterruptionPolicy;
use spotcover_reconciler_core::policy::rule_2017::{self, Observation};

const NOW: i64 = 1_800_000_000;
const ARN: &str = "arn:aws:ecs:us-east-1:123456789012:container-instance/c/abc";

/// Group `od` at `desired` (max 10); `i-spot` (m6i.xlarge: weight 4, two
/// on-demand instances at weight 2) DRAINING with `covered` as given.
fn fake(desired: u32, covered: &str) -> FakeApi {
    let api = FakeApi::new(
        Observation::default(),
        Some(GroupState {
            desired,
            min: 0,
            max: 10,
        }),
    );
    let mut ci = ContainerInstance {
        status: InstanceStatus::Draining,
        instance_type: Some("m6i.xlarge".into()),
        ..ContainerInstance::new(ARN, Some("i-spot".into()))
    };
    ci.set_attribute(COVERED_ATTRIBUTE, Some(covered));
    api.add_instance("c", ci);
    api
}

fn config() -> Config {
    Config {
        fleet_id: None,
        group_name: "od".into(),
        policy: rule_2017::Settings::new(2).unwrap(),
        cluster: Some("c".into()),
        interruption: InterruptionPolicy {
            spot_weights: parse_weights("m6i.xlarge=4").unwrap().into_iter().collect(),
            drain_on_rebalance: false,
        },
        drain: Default::default(),
        need: None,
    }
}

fn warning() -> serde_json::Value {
    json!({"detail-type": "EC2 Spot Instance Interruption Warning", "source": "aws.ec2",
        "detail": {"instance-id": "i-spot", "instance-action": "terminate"}})
}

fn sets(api: &FakeApi) -> Vec<u32> {
    api.calls()
        .into_iter()
        .filter_map(|c| match c {
            Call::SetDesired { desired, .. } => Some(desired),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn a_handler_that_reads_the_group_after_another_raised_it_does_not_add_again() {
    // The other handler claimed from 1 and raised to 3; it has not marked yet.
    let api = fake(3, "claim-1");
    let r = handle_event(&api, Ok(config()), &warning(), NOW, false).await;
    assert!(r.error.is_none(), "{}", r.to_line());
    assert_eq!(api.desired(), 3);
    assert!(sets(&api).is_empty(), "already at 1 + 2: {:?}", api.calls());
    // It completes the cover: the final mark.
    assert_eq!(api.instance(ARN).cover, CoverMark::Covered);
    assert!(api.writes().contains(&Call::PutAttribute {
        arn: ARN.into(),
        name: COVERED_ATTRIBUTE.into(),
        value: NOW.to_string(),
    }));
    assert_eq!(r.result, Outcome::Applied);
}

#[tokio::test]
async fn a_claim_whose_handler_failed_before_the_raise_is_completed_from_its_base() {
    let api = fake(1, "claim-1");
    let r = handle_event(&api, Ok(config()), &warning(), NOW, false).await;
    assert!(r.error.is_none(), "{}", r.to_line());
    assert_eq!(sets(&api), [3]);
    // No second claim.
    let claims = api
        .calls()
        .into_iter()
        .filter(|c| matches!(c, Call::PutAttribute { value, .. } if value.starts_with("claim-")))
        .count();
    assert_eq!(claims, 0);
}

#[tokio::test]
async fn a_final_mark_means_covered() {
    let api = fake(3, &NOW.to_string());
    let r = handle_event(&api, Ok(config()), &warning(), NOW + 5, false).await;
    assert_eq!(
        (r.result, r.api_calls),
        (Outcome::NoAction, 2),
        "{}",
        r.to_line()
    );
    assert!(sets(&api).is_empty());
}
