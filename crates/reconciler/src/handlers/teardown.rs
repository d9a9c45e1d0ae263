//! The teardown custom resource (`GroupTeardown`): every request is answered, by a PUT
//! of the response object to the request's presigned `ResponseURL`, before the
//! function's deadline.
//!
//! - Create and Update: SUCCESS, with the group's stable `PhysicalResourceId`
//!   ([`spotcover_reconciler_core::custom_resource::physical_id`]).
//! - Delete: `UpdateAutoScalingGroup` (sizes 0, new instances not protected from
//!   scale-in), then `DescribeAutoScalingGroups` and `SetInstanceProtection` off for
//!   every protected instance, 50 a call; a group that is already gone is SUCCESS. The
//!   group's own deletion then terminates its instances instead of waiting on protected
//!   ones.
//! - Anything that fails, or a request that cannot be acted on: FAILED with the reason.
//!
//! Every step is safe to repeat, so a re-delivered request gets the same answer. The
//! AWS calls share a budget that ends [`ANSWER_TIME`] before the function's deadline
//! (the caller builds it), so the PUT always has time; a PUT that fails makes the
//! invocation fail, and Lambda's retry of the asynchronous invocation answers again.

use std::time::Duration;

use spotcover_reconciler_core::EpochSeconds;
use spotcover_reconciler_core::custom_resource::{Request, RequestType, Status};

use crate::adapters::AutoScaling;
use crate::adapters::fallback::{PROTECTION_BATCH, Respond};
use crate::error::{ApiError, Error};
use crate::report::{Report, TeardownReport};

/// What the PUT of the answer may take, kept out of the AWS calls' budget: the HTTP
/// attempt's timeout and a margin.
pub const ANSWER_TIME: Duration = Duration::from_secs(7);

/// Whether the error says the group does not exist (any more).
fn gone(e: &ApiError) -> bool {
    match e {
        ApiError::GroupNotFound(_) => true,
        ApiError::Refused { code, message, .. } => {
            code == "ValidationError" && message.to_ascii_lowercase().contains("not found")
        }
        _ => false,
    }
}

/// Delete: release the group and clear every instance's protection. The instances
/// unprotected.
async fn release<A: AutoScaling>(api: &A, group: &str, calls: &mut u32) -> Result<u32, ApiError> {
    *calls += 1;
    match api.release_group(group).await {
        Err(e) if gone(&e) => return Ok(0),
        r => r?,
    }
    *calls += 1;
    let g = match api.describe_fallback_group(group).await {
        Err(e) if gone(&e) => return Ok(0),
        r => r?,
    };
    let protected: Vec<String> = g
        .instances
        .iter()
        .filter(|i| i.protected)
        .map(|i| i.id.clone())
        .collect();
    for batch in protected.chunks(PROTECTION_BATCH) {
        *calls += 1;
        match api.set_instance_protection(group, batch, false).await {
            Err(e) if gone(&e) => return Ok(0),
            r => r?,
        }
    }
    Ok(u32::try_from(protected.len()).unwrap_or(u32::MAX))
}

/// Handles one custom resource request: acts, then answers.
pub async fn handle<A: AutoScaling, R: Respond>(
    api: &A,
    respond: &R,
    req: &Request,
    now: EpochSeconds,
) -> Report {
    let mut r = Report::new(now, false);
    r.group = req.group_name.clone();
    let mut tr = TeardownReport {
        request_type: match &req.request_type {
            RequestType::Create => "Create".into(),
            RequestType::Update => "Update".into(),
            RequestType::Delete => "Delete".into(),
            RequestType::Other(t) => t.clone(),
        },
        request_id: req.request_id.clone(),
        group: req.group_name.clone(),
        ..TeardownReport::default()
    };
    let outcome = match (req.problem(), &req.request_type, req.group_name.as_deref()) {
        (Some(p), _, _) => Err(p),
        (None, RequestType::Delete, Some(group)) if !group.is_empty() => {
            match release(api, group, &mut r.api_calls).await {
                Ok(n) => {
                    tr.unprotected = n;
                    Ok(())
                }
                Err(e) => Err(format!("tearing down {group} failed: {e}")),
            }
        }
        // Create, Update, and a Delete that names no group: nothing to do.
        (None, _, _) => Ok(()),
    };
    let response = req.respond(outcome);
    tr.status = match response.status {
        Status::Success => "SUCCESS",
        Status::Failed => "FAILED",
    };
    tr.reason = response.reason.clone();
    let put = respond.put(&req.response_url, &response.body()).await;
    tr.answered = put.is_ok();
    r.teardown = Some(tr);
    match put {
        Ok(()) => r,
        Err(e) => r.fail(&Error::Fallback {
            kind: "unanswered",
            message: format!("the custom resource's answer did not reach its ResponseURL: {e}"),
        }),
    }
}
