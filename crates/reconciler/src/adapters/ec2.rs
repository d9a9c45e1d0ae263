//! EC2 `TerminateInstances`, the one EC2 call the reconciler makes, as a
//! signed Query request over the SDK's own HTTP connector and SigV4 signer.
//!
//! Why not `aws-sdk-ec2`: it is one of the largest SDK crates; measured on
//! this project (see `crates/reconciler/FIGURES.md`) it adds minutes to every
//! clean build and size to the Lambda zip, for one operation. The crates used
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

use crate::error::ApiError;

const SERVICE: &str = "ec2";
const OP: &str = "TerminateInstances";
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

fn connector() -> std::sync::Arc<aws_smithy_http_client::Connector> {
    use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
    use aws_smithy_runtime_api::client::http::HttpConnectorSettings;
    // The SDK clients' connect and read timeouts; the whole call is bounded by the
    // operation timeout in `terminate_instance`.
    let settings = HttpConnectorSettings::builder()
        .connect_timeout(super::sdk::CONNECT_TIMEOUT)
        .read_timeout(super::sdk::READ_TIMEOUT)
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

    fn err(message: impl Into<String>) -> ApiError {
        ApiError::InvalidResponse {
            service: SERVICE,
            op: OP,
            message: message.into(),
        }
    }

    /// `TerminateInstances` for one instance, within the SDK clients' attempt timeout
    /// (one attempt: the next run retries). An instance EC2 no longer knows
    /// (`InvalidInstanceID.NotFound`) counts as terminated.
    pub async fn terminate_instance(&self, instance_id: &str) -> Result<(), ApiError> {
        match tokio::time::timeout(
            super::sdk::ATTEMPT_TIMEOUT,
            self.terminate_once(instance_id),
        )
        .await
        {
            Ok(r) => r,
            Err(_) => Err(ApiError::Transport {
                service: SERVICE,
                op: OP,
                message: format!(
                    "no answer within {} s",
                    super::sdk::ATTEMPT_TIMEOUT.as_secs()
                ),
            }),
        }
    }

    async fn terminate_once(&self, instance_id: &str) -> Result<(), ApiError> {
        let region = self
            .region
            .clone()
            .ok_or_else(|| Self::err("no region configured"))?;
        let provider = self
            .credentials
            .as_ref()
            .ok_or_else(|| Self::err("no credentials configured"))?;
        let creds = provider
            .provide_credentials()
            .await
            .map_err(|e| Self::err(format!("credentials: {e}")))?;
        let url = format!("{}/", self.endpoint(&region));
        let body = format!(
            "Action={OP}&Version={API_VERSION}&InstanceId.1={}",
            form_escape(instance_id)
        );
        let content_type = "application/x-www-form-urlencoded; charset=utf-8";
        let identity: Identity = creds.into();
        let params = aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&identity)
            .region(&region)
            .name(SERVICE)
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| Self::err(format!("signing: {e}")))?
            .into();
        let headers = [("content-type", content_type)];
        let signable = SignableRequest::new(
            "POST",
            &url,
            headers.iter().copied(),
            SignableBody::Bytes(body.as_bytes()),
        )
        .map_err(|e| Self::err(format!("signing: {e}")))?;
        let (instructions, _) = sign(signable, &params)
            .map_err(|e| Self::err(format!("signing: {e}")))?
            .into_parts();
        let mut req = Request::new(SdkBody::from(body));
        req.set_method("POST")
            .map_err(|e| Self::err(e.to_string()))?;
        req.set_uri(url.as_str())
            .map_err(|e| Self::err(e.to_string()))?;
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
                op: OP,
                message: aws_smithy_types::error::display::DisplayErrorContext(&e).to_string(),
            })?;
        let status = resp.status().as_u16();
        let bytes = ByteStream::new(resp.into_body())
            .collect()
            .await
            .map_err(|e| ApiError::Transport {
                service: SERVICE,
                op: OP,
                message: e.to_string(),
            })?
            .into_bytes();
        let text = String::from_utf8_lossy(&bytes);
        classify(status, &text)
    }
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

/// Maps EC2's answer: 200 with a `TerminateInstancesResponse` is success; an
/// error document (`<Response><Errors><Error><Code>`) is classified like the
/// SDK errors.
pub fn classify(status: u16, xml: &str) -> Result<(), ApiError> {
    if (200..300).contains(&status) {
        return if xml.contains("TerminateInstancesResponse") {
            Ok(())
        } else {
            Err(ApiError::InvalidResponse {
                service: SERVICE,
                op: OP,
                message: format!("HTTP {status} without a TerminateInstancesResponse"),
            })
        };
    }
    let code = tag(xml, "Code").unwrap_or_default().to_owned();
    let message = tag(xml, "Message").unwrap_or(xml).to_owned();
    if code == "InvalidInstanceID.NotFound" {
        return Ok(());
    }
    if status == 429 || code == "RequestLimitExceeded" || code.contains("Throttl") {
        Err(ApiError::Throttled {
            service: SERVICE,
            op: OP,
            message,
        })
    } else if status >= 500 {
        Err(ApiError::ServerError {
            service: SERVICE,
            op: OP,
            status,
            message,
        })
    } else {
        Err(ApiError::Refused {
            service: SERVICE,
            op: OP,
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
        // Gone already: terminated.
        assert_eq!(classify(400, &err("InvalidInstanceID.NotFound")), Ok(()));
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

    #[test]
    fn form_values_are_escaped() {
        assert_eq!(form_escape("i-0abc"), "i-0abc");
        assert_eq!(form_escape("a b&c"), "a%20b%26c");
    }
}
