//! The contract of `engine: asg`'s teardown custom resource, written once: the
//! properties the template passes, the request CloudFormation sends the reconciler, and
//! the response the reconciler PUTs to the request's presigned `ResponseURL`.
//!
//! CloudFormation waits for that response up to the resource's `ServiceTimeout`
//! ([`SERVICE_TIMEOUT_SECS`]), so every request gets one: [`parse`] accepts anything
//! with a `ResponseURL`, and a request it cannot act on is answered FAILED with the
//! reason ([`Request::problem`]).
//!
//! Request and response objects: CloudFormation user guide, "Custom resource request
//! objects" and "Custom resource response objects".

use serde::Serialize;
use serde_json::Value;

/// The custom resource's `ServiceTimeout`, seconds: how long CloudFormation waits for an
/// answer (1 to 3600, default 3600). The function's timeout is 30 s and Lambda retries
/// a failed asynchronous invocation twice (after about 1 and 2 minutes), so every
/// attempt has ended well within 5 minutes.
pub const SERVICE_TIMEOUT_SECS: u32 = 300;

/// The response body's limit, bytes ("The total size of the response body can't
/// exceed 4096 bytes").
pub const MAX_RESPONSE_BYTES: usize = 4096;

/// The custom resource's properties the reconciler reads (`ResourceProperties`).
pub mod properties {
    /// The capacity provider's Auto Scaling group.
    pub const GROUP_NAME: &str = "GroupName";
    /// The ECS cluster.
    pub const CLUSTER: &str = "Cluster";
}

/// What CloudFormation asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestType {
    Create,
    Update,
    Delete,
    /// Anything else: answered FAILED.
    Other(String),
}

/// A custom resource request, as far as it can be read. Fields CloudFormation always
/// sends but that are missing here are empty strings: the answer still goes out, FAILED.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub request_type: RequestType,
    pub response_url: String,
    pub stack_id: String,
    pub request_id: String,
    pub logical_resource_id: String,
    /// Sent with Update and Delete.
    pub physical_resource_id: Option<String>,
    /// [`properties::GROUP_NAME`] of `ResourceProperties`.
    pub group_name: Option<String>,
    /// [`properties::CLUSTER`] of `ResourceProperties`.
    pub cluster: Option<String>,
}

impl Request {
    /// Why this request cannot be acted on, if it cannot: the answer is then FAILED.
    pub fn problem(&self) -> Option<String> {
        if let RequestType::Other(t) = &self.request_type {
            return Some(format!("RequestType {t:?} is not Create, Update or Delete"));
        }
        for (name, v) in [
            ("StackId", &self.stack_id),
            ("RequestId", &self.request_id),
            ("LogicalResourceId", &self.logical_resource_id),
        ] {
            if v.is_empty() {
                return Some(format!("the request has no {name}"));
            }
        }
        match &self.group_name {
            Some(g) if !g.is_empty() => None,
            // A Delete without a group has nothing to tear down (see the handler).
            _ if self.request_type == RequestType::Delete => None,
            _ => Some(format!(
                "ResourceProperties.{} is missing or empty",
                properties::GROUP_NAME
            )),
        }
    }

    /// The `PhysicalResourceId` of the answer: for a group, always the same one
    /// ([`physical_id`]), so a re-delivered request is answered alike and an Update
    /// that keeps the group is a normal update (a new id would make CloudFormation
    /// send Delete for the old one, which tears that group down: only right when the
    /// group itself was replaced). Without a group, the request's own id, else the
    /// logical id (never empty).
    pub fn answer_id(&self) -> String {
        match (
            &self.request_type,
            &self.group_name,
            &self.physical_resource_id,
        ) {
            // A Delete answers with the id it was sent.
            (RequestType::Delete, _, Some(p)) if !p.is_empty() => p.clone(),
            (_, Some(g), _) if !g.is_empty() => physical_id(g),
            (_, _, Some(p)) if !p.is_empty() => p.clone(),
            _ if !self.logical_resource_id.is_empty() => self.logical_resource_id.clone(),
            _ => "spotcover-teardown".to_owned(),
        }
    }

    /// The response to this request.
    pub fn respond(&self, outcome: Result<(), String>) -> Response {
        let (status, reason) = match outcome {
            Ok(()) => (Status::Success, None),
            Err(r) => (Status::Failed, Some(r)),
        };
        Response {
            status,
            reason,
            physical_resource_id: self.answer_id(),
            stack_id: self.stack_id.clone(),
            request_id: self.request_id.clone(),
            logical_resource_id: self.logical_resource_id.clone(),
            no_echo: false,
        }
    }
}

/// The stable `PhysicalResourceId` of the teardown of `group`.
pub fn physical_id(group: &str) -> String {
    format!("spotcover-teardown:{group}")
}

/// A custom resource request, if `event` is one: an object with a string `ResponseURL`.
/// `None` for every other event.
pub fn parse(event: &Value) -> Option<Request> {
    let obj = event.as_object()?;
    let response_url = obj.get("ResponseURL")?.as_str()?.to_owned();
    let text = |k: &str| {
        obj.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let props = obj.get("ResourceProperties").and_then(Value::as_object);
    let prop = |k: &str| {
        props
            .and_then(|p| p.get(k))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let request_type = match text("RequestType").as_str() {
        "Create" => RequestType::Create,
        "Update" => RequestType::Update,
        "Delete" => RequestType::Delete,
        other => RequestType::Other(other.to_owned()),
    };
    Some(Request {
        request_type,
        response_url,
        stack_id: text("StackId"),
        request_id: text("RequestId"),
        logical_resource_id: text("LogicalResourceId"),
        physical_resource_id: obj
            .get("PhysicalResourceId")
            .and_then(Value::as_str)
            .map(str::to_owned),
        group_name: prop(properties::GROUP_NAME),
        cluster: prop(properties::CLUSTER),
    })
}

/// `SUCCESS` or `FAILED`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Status {
    #[serde(rename = "SUCCESS")]
    Success,
    #[serde(rename = "FAILED")]
    Failed,
}

/// The response object (CloudFormation user guide, "Custom resource response objects").
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Response {
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub physical_resource_id: String,
    pub stack_id: String,
    pub request_id: String,
    pub logical_resource_id: String,
    pub no_echo: bool,
}

impl Response {
    /// The JSON body, at most [`MAX_RESPONSE_BYTES`]: a long reason is cut (at a
    /// character boundary) and ends in `...`.
    pub fn body(&self) -> String {
        let full = serde_json::to_string(self).unwrap_or_default();
        if full.len() <= MAX_RESPONSE_BYTES {
            return full;
        }
        let mut cut = self.clone();
        let reason = cut.reason.take().unwrap_or_default();
        let room = MAX_RESPONSE_BYTES
            .saturating_sub(serde_json::to_string(&cut).unwrap_or_default().len())
            // `,"Reason":"..."` and escaping headroom.
            .saturating_sub(64);
        let mut end = room.min(reason.len());
        while !reason.is_char_boundary(end) {
            end -= 1;
        }
        // Escaping can grow the text; shrink until it fits.
        loop {
            cut.reason = Some(format!("{}...", &reason[..end]));
            let body = serde_json::to_string(&cut).unwrap_or_default();
            if body.len() <= MAX_RESPONSE_BYTES || end == 0 {
                return body;
            }
            end = end.saturating_sub(64);
            while !reason.is_char_boundary(end) {
                end -= 1;
            }
        }
    }
}

#[cfg(test)]
mod tests;
