//! The teardown custom resource over the recording fake and a recording responder:
//! every request is answered, on success and on every failure tried.
//!
//! Response object: CloudFormation user guide, "Custom resource response objects"
//! (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-responses.html).
//! `SetInstanceProtection` takes "up to 50 instances" (Auto Scaling API reference).

mod common;

use std::sync::Mutex;
use std::time::Duration;

use common::fake::{Call, FakeApi, Fault, throttled};
use serde_json::{Value, json};
use spotcover_reconciler::adapters::budget::Budgeted;
use spotcover_reconciler::adapters::fallback::{FallbackGroup, GroupInstance, Respond};
use spotcover_reconciler::handlers::teardown;
use spotcover_reconciler_core::custom_resource::{self, physical_id};

const NOW: i64 = 1_800_000_000;

/// Records each PUT; fails the first `fail` of them.
#[derive(Default)]
struct Recorder {
    puts: Mutex<Vec<(String, Value)>>,
    fail: Mutex<u32>,
}

impl Respond for Recorder {
    async fn put(&self, url: &str, body: &str) -> Result<(), String> {
        assert!(body.len() <= 4096);
        self.puts
            .lock()
            .unwrap()
            .push((url.to_owned(), serde_json::from_str(body).unwrap()));
        let mut f = self.fail.lock().unwrap();
        if *f > 0 {
            *f -= 1;
            return Err("connection reset".into());
        }
        Ok(())
    }
}

fn request(kind: &str) -> custom_resource::Request {
    let mut v = json!({
        "RequestType": kind,
        "ResponseURL": "https://example.invalid/response?X-Amz-Signature=1",
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/s/guid",
        "RequestId": format!("req-{kind}"),
        "ResourceType": "AWS::CloudFormation::CustomResource",
        "LogicalResourceId": "GroupTeardown",
        "ResourceProperties": {"ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:f",
            "GroupName": "cap", "Cluster": "c"}
    });
    if kind != "Create" {
        v["PhysicalResourceId"] = json!(physical_id("cap"));
    }
    custom_resource::parse(&v).unwrap()
}

fn group(instances: usize) -> FakeApi {
    let api = FakeApi::new(Default::default(), None);
    *api.fallback_group.lock().unwrap() = Some(FallbackGroup {
        desired: u32::try_from(instances).unwrap(),
        min: 0,
        max: 200,
        base: 0,
        new_instances_protected: true,
        instances: (0..instances)
            .map(|n| GroupInstance {
                id: format!("i-{n:05}"),
                lifecycle_state: "InService".into(),
                protected: true,
            })
            .collect(),
        state_tag: None,
    });
    api
}

async fn answer(api: &FakeApi, kind: &str, r: &Recorder) -> spotcover_reconciler::Report {
    let api = Budgeted::new(api, Duration::from_secs(5));
    teardown::handle(&api, r, &request(kind), NOW).await
}

fn last(r: &Recorder) -> Value {
    r.puts.lock().unwrap().last().unwrap().1.clone()
}

#[tokio::test]
async fn create_and_update_answer_success_with_one_stable_physical_id_and_touch_nothing() {
    let api = group(3);
    let r = Recorder::default();
    for kind in ["Create", "Update", "Create"] {
        answer(&api, kind, &r).await;
        let v = last(&r);
        assert_eq!(v["Status"], "SUCCESS", "{kind}");
        assert_eq!(v["PhysicalResourceId"], physical_id("cap"));
        assert_eq!(v["RequestId"], format!("req-{kind}"));
        assert_eq!(v["LogicalResourceId"], "GroupTeardown");
    }
    assert!(api.writes().is_empty());
}

#[tokio::test]
async fn delete_zeroes_the_group_unprotects_every_instance_in_batches_of_50_then_answers() {
    let api = group(120);
    let r = Recorder::default();
    let report = answer(&api, "Delete", &r).await;
    assert_eq!(last(&r)["Status"], "SUCCESS", "{}", report.to_line());
    let g = api.fallback_group.lock().unwrap().clone().unwrap();
    assert_eq!((g.min, g.max, g.desired), (0, 0, 0));
    assert!(!g.new_instances_protected);
    assert!(g.instances.iter().all(|i| !i.protected));
    let batches: Vec<usize> = api
        .writes()
        .iter()
        .filter_map(|c| match c {
            Call::SetProtection { ids, protected } => {
                assert!(!protected);
                Some(ids.len())
            }
            _ => None,
        })
        .collect();
    assert_eq!(batches, [50, 50, 20]);
    // New instances are unprotected before the instances are listed.
    assert!(matches!(api.writes()[0], Call::ReleaseGroup(_)));
    assert_eq!(report.teardown.unwrap().unprotected, 120);
}

#[tokio::test]
async fn a_failed_call_answers_failed_with_the_reason() {
    for op in [
        "UpdateAutoScalingGroup",
        "DescribeAutoScalingGroups",
        "SetInstanceProtection",
    ] {
        let api = group(3);
        api.fail(op, throttled(op));
        let r = Recorder::default();
        let report = answer(&api, "Delete", &r).await;
        let v = last(&r);
        assert_eq!(v["Status"], "FAILED", "{op}");
        assert!(v["Reason"].as_str().unwrap().contains(op), "{op}: {v}");
        assert!(
            !report.is_error(),
            "answered: the invocation itself succeeded"
        );
    }
}

#[tokio::test]
async fn a_hanging_call_still_answers_failed_before_the_budget_ends() {
    let api = group(3);
    api.fault("SetInstanceProtection", Fault::hang(None));
    let r = Recorder::default();
    let budgeted = Budgeted::new(&api, Duration::from_millis(300));
    let started = std::time::Instant::now();
    teardown::handle(&budgeted, &r, &request("Delete"), NOW).await;
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(last(&r)["Status"], "FAILED");
}

#[tokio::test]
async fn a_redelivered_delete_gets_the_same_answer() {
    let api = group(3);
    let r = Recorder::default();
    answer(&api, "Delete", &r).await;
    answer(&api, "Delete", &r).await;
    let puts = r.puts.lock().unwrap();
    assert_eq!(puts[0].1, puts[1].1);
}

#[tokio::test]
async fn a_delete_of_a_group_already_gone_succeeds() {
    let api = FakeApi::new(Default::default(), None);
    let r = Recorder::default();
    answer(&api, "Delete", &r).await;
    assert_eq!(last(&r)["Status"], "SUCCESS");
}

#[tokio::test]
async fn a_request_without_a_group_is_answered_failed_not_left_waiting() {
    let api = group(1);
    let mut v = json!({
        "RequestType": "Create", "ResponseURL": "https://example.invalid/r",
        "StackId": "s", "RequestId": "q", "LogicalResourceId": "GroupTeardown",
        "ResourceProperties": {}
    });
    let r = Recorder::default();
    let req = custom_resource::parse(&v).unwrap();
    teardown::handle(&api, &r, &req, NOW).await;
    assert_eq!(last(&r)["Status"], "FAILED");
    assert!(!last(&r)["PhysicalResourceId"].as_str().unwrap().is_empty());
    v["RequestType"] = json!("Upsert");
    let req = custom_resource::parse(&v).unwrap();
    teardown::handle(&api, &r, &req, NOW).await;
    assert_eq!(last(&r)["Status"], "FAILED");
}

#[tokio::test]
async fn an_answer_that_does_not_arrive_fails_the_invocation_so_lambda_retries() {
    let api = group(1);
    let r = Recorder {
        fail: Mutex::new(1),
        ..Recorder::default()
    };
    let report = answer(&api, "Delete", &r).await;
    assert!(report.is_error());
    assert!(!report.teardown.unwrap().answered);
    // The retry answers the same.
    let report = answer(&api, "Delete", &r).await;
    assert!(!report.is_error());
    let puts = r.puts.lock().unwrap();
    assert_eq!(puts[0].1, puts[1].1);
}
