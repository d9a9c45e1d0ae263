//! The teardown custom resource's contract. Request and response fields: CloudFormation
//! user guide, "Custom resource request objects" and "Custom resource response objects"
//! (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-responses.html).

use super::*;
use serde_json::json;

fn request(kind: &str) -> Value {
    json!({
        "RequestType": kind,
        "ResponseURL": "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x?sig=1",
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/s/guid",
        "RequestId": "req-1",
        "ResourceType": "AWS::CloudFormation::CustomResource",
        "LogicalResourceId": "GroupTeardown",
        "ResourceProperties": {"ServiceToken": "arn:aws:lambda:...", "GroupName": "g", "Cluster": "c"}
    })
}

#[test]
fn only_events_with_a_response_url_are_requests() {
    assert!(parse(&request("Create")).is_some());
    assert!(parse(&json!({"fleetID": "sfr-1"})).is_none());
    assert!(parse(&json!({"RequestType": "Create"})).is_none());
}

#[test]
fn create_and_update_of_one_group_answer_the_same_physical_id() {
    let c = parse(&request("Create")).unwrap();
    let mut u = request("Update");
    u["PhysicalResourceId"] = json!(physical_id("g"));
    let u = parse(&u).unwrap();
    assert_eq!(c.answer_id(), physical_id("g"));
    assert_eq!(u.answer_id(), c.answer_id());
}

#[test]
fn an_update_to_another_group_answers_a_new_id_so_the_old_group_is_torn_down() {
    // "If the value returned is different, CloudFormation recognizes the update as a
    // replacement and sends a delete request to the old resource."
    let mut u = request("Update");
    u["PhysicalResourceId"] = json!(physical_id("old"));
    assert_eq!(parse(&u).unwrap().answer_id(), physical_id("g"));
}

#[test]
fn a_delete_answers_the_id_it_was_sent() {
    let mut d = request("Delete");
    d["PhysicalResourceId"] = json!("whatever-a-failed-create-answered");
    assert_eq!(
        parse(&d).unwrap().answer_id(),
        "whatever-a-failed-create-answered"
    );
}

#[test]
fn an_unknown_request_type_or_missing_group_is_a_problem_but_a_bare_delete_is_not() {
    assert!(parse(&request("Upsert")).unwrap().problem().is_some());
    let mut c = request("Create");
    c["ResourceProperties"] = json!({});
    let c = parse(&c).unwrap();
    assert!(c.problem().unwrap().contains("GroupName"));
    assert!(
        !c.answer_id().is_empty(),
        "PhysicalResourceId must be non-empty"
    );
    let mut d = request("Delete");
    d["ResourceProperties"] = json!({});
    assert_eq!(parse(&d).unwrap().problem(), None);
}

#[test]
fn the_response_has_the_documented_fields_copied_from_the_request() {
    let r = parse(&request("Create")).unwrap();
    let v: Value = serde_json::from_str(&r.respond(Ok(())).body()).unwrap();
    assert_eq!(
        v,
        json!({
            "Status": "SUCCESS",
            "PhysicalResourceId": physical_id("g"),
            "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/s/guid",
            "RequestId": "req-1",
            "LogicalResourceId": "GroupTeardown",
            "NoEcho": false
        })
    );
    let v: Value = serde_json::from_str(&r.respond(Err("no".into())).body()).unwrap();
    assert_eq!(
        (v["Status"].as_str(), v["Reason"].as_str()),
        (Some("FAILED"), Some("no"))
    );
}

#[test]
fn a_response_never_exceeds_4096_bytes() {
    // "The total size of the response body can't exceed 4096 bytes."
    let r = parse(&request("Delete")).unwrap();
    for reason in ["x".repeat(10_000), "\"é\u{1}".repeat(3_000)] {
        let body = r.respond(Err(reason)).body();
        assert!(body.len() <= MAX_RESPONSE_BYTES, "{}", body.len());
        let v: Value = serde_json::from_str(&body).unwrap();
        assert!(v["Reason"].as_str().unwrap().ends_with("..."));
    }
}

#[test]
fn the_service_timeout_is_within_cloudformations_bounds_and_a_few_minutes() {
    // AWS::CloudFormation::CustomResource, ServiceTimeout: "an integer from 1 to 3600.
    // The default value is 3600 seconds (1 hour)." Room for the first attempt and
    // Lambda's two retries of an async invocation, and no more than ten minutes.
    const {
        assert!(SERVICE_TIMEOUT_SECS >= 1 && SERVICE_TIMEOUT_SECS <= 600);
        assert!(SERVICE_TIMEOUT_SECS >= 3 * crate::contract::settings::FUNCTION_TIMEOUT_SECS + 180);
    }
}
