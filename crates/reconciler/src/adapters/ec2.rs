//! The EC2 calls the reconciler makes (`TerminateInstances` for the fleet's drained
//! surplus; `DescribeSpotFleetRequests` and `ModifySpotFleetRequest` for the demand
//! policy), as signed Query requests over the SDK's own HTTP connector and SigV4 signer.
//!
//! Why not `aws-sdk-ec2`: it is one of the largest SDK crates; measured on
//! this project (see `crates/reconciler/FIGURES.md`) it adds minutes to every
//! clean build and size to the Lambda zip, for three operations. The crates used
//! here (`aws-sigv4`, `aws-smithy-http-client`, `aws-smithy-runtime-api`,
//! `aws-smithy-types`, `aws-credential-types`) are already in the build.
//!
//! Endpoint: `AWS_ENDPOINT_URL_EC2`, else the config's endpoint URL
//! (`AWS_ENDPOINT_URL`), else `https://ec2.{region}.amazonaws.com`
//! (`.amazonaws.com.cn` in China regions).

use std::time::SystemTime;

use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_smithy_runtime_api::client::http::HttpConnector;
use aws_smithy_runtime_api::client::identity::Identity;
use aws_smithy_runtime_api::http::Request;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::byte_stream::ByteStream;

use spotcover_reconciler_core::policy::demand::FleetState;

use crate::error::ApiError;

const SERVICE: &str = "ec2";
const TERMINATE: &str = "TerminateInstances";
const DESCRIBE_FLEET: &str = "DescribeSpotFleetRequests";
const MODIFY_FLEET: &str = "ModifySpotFleetRequest";
/// The EC2 Query API version.
pub const API_VERSION: &str = "2016-11-15";

/// A minimal EC2 Query client.
#[derive(Clone)]
pub struct Ec2Query {
    connector: std::sync::Arc<aws_smithy_http_client::Connector>,
    credentials: Option<SharedCredentialsProvider>,
    region: Option<String>,
    endpoint: Option<String>,
}

impl std::fmt::Debug for Ec2Query {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ec2Query")
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

pub(crate) fn connector() -> std::sync::Arc<aws_smithy_http_client::Connector> {
    use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
    use aws_smithy_runtime_api::client::http::HttpConnectorSettings;
    // The SDK clients' connect and read timeouts; the whole call is bounded by the
    // operation timeout in `terminate_instance`.
    let settings = HttpConnectorSettings::builder()
        .connect_timeout(super::timeouts::CONNECT_TIMEOUT)
        .read_timeout(super::timeouts::READ_TIMEOUT)
        .build();
    aws_smithy_http_client::Connector::builder()
        .connector_settings(settings)
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build()
        .into()
}

impl Ec2Query {
    /// From the shared config (region, credentials, endpoint override).
    pub fn from_conf(conf: &aws_config::SdkConfig) -> Self {
        let endpoint = std::env::var("AWS_ENDPOINT_URL_EC2")
            .ok()
            .filter(|s| !s.is_empty())
            .or_else(|| conf.endpoint_url().map(str::to_owned));
        Self {
            connector: connector(),
            credentials: conf.credentials_provider(),
            region: conf.region().map(|r| r.to_string()),
            endpoint,
        }
    }

    /// The same, with another endpoint (tests).
    pub fn with_endpoint(mut self, endpoint: &str) -> Self {
        self.endpoint = Some(endpoint.to_owned());
        self
    }

    fn endpoint(&self, region: &str) -> String {
        match &self.endpoint {
            Some(e) => e.trim_end_matches('/').to_owned(),
            None if region.starts_with("cn-") => {
                format!("https://ec2.{region}.amazonaws.com.cn")
            }
            None => format!("https://ec2.{region}.amazonaws.com"),
        }
    }

    fn err(op: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::InvalidResponse {
            service: SERVICE,
            op,
            message: message.into(),
        }
    }

    /// `TerminateInstances` for one instance. An instance EC2 no longer knows
    /// (`InvalidInstanceID.NotFound`) counts as terminated.
    pub async fn terminate_instance(&self, instance_id: &str) -> Result<(), ApiError> {
        let (status, xml) = self
            .call(TERMINATE, &[("InstanceId.1", instance_id.to_owned())])
            .await?;
        classify(TERMINATE, status, &xml, "TerminateInstancesResponse").or_else(|e| match e {
            ApiError::Refused { code, .. } if code == "InvalidInstanceID.NotFound" => Ok(()),
            e => Err(e),
        })
    }

    /// `DescribeSpotFleetRequests` for one fleet: its target and fulfilled capacity.
    pub async fn describe_spot_fleet(&self, fleet_id: &str) -> Result<FleetState, ApiError> {
        let (status, xml) = self
            .call(
                DESCRIBE_FLEET,
                &[("SpotFleetRequestId.1", fleet_id.to_owned())],
            )
            .await?;
        classify(
            DESCRIBE_FLEET,
            status,
            &xml,
            "DescribeSpotFleetRequestsResponse",
        )?;
        parse_fleet(&xml).ok_or_else(|| {
            Self::err(
                DESCRIBE_FLEET,
                format!("no targetCapacity and fulfilledCapacity for {fleet_id}"),
            )
        })
    }

    /// `ModifySpotFleetRequest` to `target`, with `ExcessCapacityTerminationPolicy`
    /// `noTermination`: a lower target terminates nothing; the reconciler drains the
    /// surplus first (EC2 API reference, `ModifySpotFleetRequest`).
    pub async fn modify_spot_fleet_target(
        &self,
        fleet_id: &str,
        target: u32,
    ) -> Result<(), ApiError> {
        let (status, xml) = self
            .call(MODIFY_FLEET, &modify_params(fleet_id, target))
            .await?;
        classify(MODIFY_FLEET, status, &xml, "ModifySpotFleetRequestResponse")?;
        match tag(&xml, "return") {
            Some("true") => Ok(()),
            other => Err(Self::err(
                MODIFY_FLEET,
                format!("answered return={other:?}, not true"),
            )),
        }
    }

    /// One signed Query call within the SDK clients' attempt timeout (one attempt: the
    /// next run retries); the answer's status and body.
    async fn call(
        &self,
        op: &'static str,
        params: &[(&str, String)],
    ) -> Result<(u16, String), ApiError> {
        match tokio::time::timeout(super::timeouts::ATTEMPT_TIMEOUT, self.call_once(op, params))
            .await
        {
            Ok(r) => r,
            Err(_) => Err(ApiError::Transport {
                service: SERVICE,
                op,
                message: format!(
                    "no answer within {} s",
                    super::timeouts::ATTEMPT_TIMEOUT.as_secs()
                ),
            }),
        }
    }

    async fn call_once(
        &self,
        op: &'static str,
        params: &[(&str, String)],
    ) -> Result<(u16, String), ApiError> {
        let region = self
            .region
            .clone()
            .ok_or_else(|| Self::err(op, "no region configured"))?;
        let provider = self
            .credentials
            .as_ref()
            .ok_or_else(|| Self::err(op, "no credentials configured"))?;
        let creds = provider
            .provide_credentials()
            .await
            .map_err(|e| Self::err(op, format!("credentials: {e}")))?;
        let url = format!("{}/", self.endpoint(&region));
        let body = query_body(op, params);
        let content_type = "application/x-www-form-urlencoded; charset=utf-8";
        let identity: Identity = creds.into();
        let signing = aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&identity)
            .region(&region)
            .name(SERVICE)
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| Self::err(op, format!("signing: {e}")))?
            .into();
        let headers = [("content-type", content_type)];
        let signable = SignableRequest::new(
            "POST",
            &url,
            headers.iter().copied(),
            SignableBody::Bytes(body.as_bytes()),
        )
        .map_err(|e| Self::err(op, format!("signing: {e}")))?;
        let (instructions, _) = sign(signable, &signing)
            .map_err(|e| Self::err(op, format!("signing: {e}")))?
            .into_parts();
        let mut req = Request::new(SdkBody::from(body));
        req.set_method("POST")
            .map_err(|e| Self::err(op, e.to_string()))?;
        req.set_uri(url.as_str())
            .map_err(|e| Self::err(op, e.to_string()))?;
        req.headers_mut().insert("content-type", content_type);
        for (k, v) in instructions.headers() {
            req.headers_mut().insert(k.to_owned(), v.to_owned());
        }
        let resp = self
            .connector
            .call(req)
            .await
            .map_err(|e| ApiError::Transport {
                service: SERVICE,
                op,
                message: aws_smithy_types::error::display::DisplayErrorContext(&e).to_string(),
            })?;
        let status = resp.status().as_u16();
        let bytes = ByteStream::new(resp.into_body())
            .collect()
            .await
            .map_err(|e| ApiError::Transport {
                service: SERVICE,
                op,
                message: e.to_string(),
            })?
            .into_bytes();
        Ok((status, String::from_utf8_lossy(&bytes).into_owned()))
    }
}

/// The form body of a Query call: action, version, then the parameters in order.
fn query_body(op: &str, params: &[(&str, String)]) -> String {
    let mut body = format!("Action={op}&Version={API_VERSION}");
    for (k, v) in params {
        body.push('&');
        body.push_str(k);
        body.push('=');
        body.push_str(&form_escape(v));
    }
    body
}

/// `ModifySpotFleetRequest`'s parameters (EC2 API reference): the id, the new
/// `TargetCapacity`, and `ExcessCapacityTerminationPolicy=noTermination`.
pub fn modify_params(fleet_id: &str, target: u32) -> Vec<(&'static str, String)> {
    vec![
        ("SpotFleetRequestId", fleet_id.to_owned()),
        ("TargetCapacity", target.to_string()),
        (
            "ExcessCapacityTerminationPolicy",
            "noTermination".to_owned(),
        ),
    ]
}

/// The fleet's `targetCapacity` and `fulfilledCapacity` in a
/// `DescribeSpotFleetRequests` answer (`spotFleetRequestConfigSet` / `item` /
/// `spotFleetRequestConfig`; EC2 API reference, `SpotFleetRequestConfigData`).
/// `onDemandTargetCapacity` and `onDemandFulfilledCapacity` are other elements.
pub fn parse_fleet(xml: &str) -> Option<FleetState> {
    let target: f64 = tag(xml, "targetCapacity")?.trim().parse().ok()?;
    let fulfilled: f64 = tag(xml, "fulfilledCapacity")?.trim().parse().ok()?;
    (target.is_finite() && target >= 0.0 && fulfilled.is_finite()).then_some(FleetState {
        target: target as u32,
        fulfilled,
    })
}
/// `application/x-www-form-urlencoded` escaping of a value.
fn form_escape(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn tag<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let end = start + xml[start..].find(&format!("</{name}>"))?;
    Some(&xml[start..end])
}

/// Maps EC2's answer to `op`: 2xx with the `expect` element is success; an error
/// document (`<Response><Errors><Error><Code>`) is classified like the SDK errors.
pub fn classify(op: &'static str, status: u16, xml: &str, expect: &str) -> Result<(), ApiError> {
    if (200..300).contains(&status) {
        return if xml.contains(expect) {
            Ok(())
        } else {
            Err(ApiError::InvalidResponse {
                service: SERVICE,
                op,
                message: format!("HTTP {status} without a {expect}"),
            })
        };
    }
    let code = tag(xml, "Code").unwrap_or_default().to_owned();
    let message = tag(xml, "Message").unwrap_or(xml).to_owned();
    if status == 429 || code == "RequestLimitExceeded" || code.contains("Throttl") {
        Err(ApiError::Throttled {
            service: SERVICE,
            op,
            message,
        })
    } else if status >= 500 {
        Err(ApiError::ServerError {
            service: SERVICE,
            op,
            status,
            message,
        })
    } else {
        Err(ApiError::Refused {
            service: SERVICE,
            op,
            code,
            message,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_classified() {
        let classify =
            |status, xml: &str| classify(TERMINATE, status, xml, "TerminateInstancesResponse");
        let ok = r#"<?xml version="1.0"?><TerminateInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId><instancesSet/></TerminateInstancesResponse>"#;
        assert_eq!(classify(200, ok), Ok(()));
        assert!(matches!(
            classify(200, "<html/>"),
            Err(ApiError::InvalidResponse { .. })
        ));
        let err = |code: &str| {
            format!(
                "<Response><Errors><Error><Code>{code}</Code><Message>m</Message></Error></Errors><RequestID>r</RequestID></Response>"
            )
        };
        assert!(matches!(
            classify(400, &err("InvalidInstanceID.NotFound")),
            Err(ApiError::Refused { .. })
        ));
        assert!(matches!(
            classify(503, &err("RequestLimitExceeded")),
            Err(ApiError::Throttled { .. })
        ));
        assert!(matches!(
            classify(500, &err("InternalError")),
            Err(ApiError::ServerError { status: 500, .. })
        ));
        assert_eq!(
            classify(403, &err("UnauthorizedOperation")),
            Err(ApiError::Refused {
                service: "ec2",
                op: "TerminateInstances",
                code: "UnauthorizedOperation".into(),
                message: "m".into()
            })
        );
    }

    // EC2 API reference, DescribeSpotFleetRequests / SpotFleetRequestConfigData: the
    // answer nests the config data in `spotFleetRequestConfigSet/item`.
    #[test]
    fn a_fleets_target_and_fulfilled_capacity_are_read_from_its_description() {
        let xml = r#"<DescribeSpotFleetRequestsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId><spotFleetRequestConfigSet><item><spotFleetRequestId>sfr-1</spotFleetRequestId><spotFleetRequestState>active</spotFleetRequestState><spotFleetRequestConfig><onDemandTargetCapacity>0</onDemandTargetCapacity><targetCapacity>12</targetCapacity><onDemandFulfilledCapacity>0.0</onDemandFulfilledCapacity><fulfilledCapacity>9.0</fulfilledCapacity></spotFleetRequestConfig></item></spotFleetRequestConfigSet></DescribeSpotFleetRequestsResponse>"#;
        assert_eq!(
            parse_fleet(xml),
            Some(FleetState {
                target: 12,
                fulfilled: 9.0
            })
        );
        assert_eq!(parse_fleet("<spotFleetRequestConfigSet/>"), None);
    }

    // EC2 API reference, ModifySpotFleetRequest: `ExcessCapacityTerminationPolicy`
    // `noTermination` keeps the fleet's instances when the target falls.
    #[test]
    fn a_lower_fleet_target_never_asks_ec2_to_terminate() {
        assert_eq!(
            query_body(MODIFY_FLEET, &modify_params("sfr-1", 7)),
            "Action=ModifySpotFleetRequest&Version=2016-11-15&SpotFleetRequestId=sfr-1&TargetCapacity=7&ExcessCapacityTerminationPolicy=noTermination"
        );
    }

    #[test]
    fn form_values_are_escaped() {
        assert_eq!(form_escape("i-0abc"), "i-0abc");
        assert_eq!(form_escape("a b&c"), "a%20b%26c");
    }
}
