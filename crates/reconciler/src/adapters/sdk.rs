//! The adapters' traits over the real AWS SDK clients (CloudWatch, Auto Scaling, ECS) and
//! [`super::ec2`] (EC2's three calls).

use aws_sdk_autoscaling as asg;
use aws_sdk_cloudwatch as cw;
use aws_sdk_cloudwatch::config::http::HttpResponse;
use aws_sdk_cloudwatch::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat};
use aws_sdk_ecs as ecs;
use spotcover_reconciler_core::ecs::{ContainerInstance, InstanceStatus, Resources};
use spotcover_reconciler_core::policy::rule_2017::{Datapoint, Observation};
use spotcover_reconciler_core::{EpochSeconds, GroupState};

use spotcover_reconciler_core::policy::demand::FleetState;
use spotcover_reconciler_core::policy::demand::units::ServiceNeed;

use super::fallback_views::{FallbackGroup, TaskView};
pub use super::timeouts::{ATTEMPT_TIMEOUT, CONNECT_TIMEOUT, OPERATION_TIMEOUT, READ_TIMEOUT};
use super::{AutoScaling, Completion, Ec2, Ecs, FleetMetrics, GroupView, ServiceView, SetOutcome};
use crate::error::ApiError;
use spotcover_reconciler_core::policy::fallback::Activity;

/// Metric period asked of CloudWatch, seconds.
pub const PERIOD_SECS: i32 = 60;
const NAMESPACE: &str = "AWS/EC2Spot";

/// The SDK-backed API. Makes exactly one call per trait method (ECS list and
/// describe: one per page or chunk of 100, in practice one).
#[derive(Debug, Clone)]
pub struct SdkApi {
    pub autoscaling: asg::Client,
    pub cloudwatch: cw::Client,
    pub ecs: ecs::Client,
    /// EC2 `TerminateInstances` (fleet surplus), without `aws-sdk-ec2`.
    pub ec2: super::ec2::Ec2Query,
}

/// The SDK clients' timeouts: [`CONNECT_TIMEOUT`], [`READ_TIMEOUT`], [`ATTEMPT_TIMEOUT`],
/// [`OPERATION_TIMEOUT`] (from [`super::timeouts`]).
pub fn timeout_config() -> aws_config::timeout::TimeoutConfig {
    aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .read_timeout(READ_TIMEOUT)
        .operation_attempt_timeout(ATTEMPT_TIMEOUT)
        .operation_timeout(OPERATION_TIMEOUT)
        .build()
}

/// The HTTP(S) client: hyper + rustls on ring (smaller than aws-lc).
pub fn https_client() -> aws_sdk_cloudwatch::config::SharedHttpClient {
    use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https()
}

/// The standard config chain (env, profile, ...: region, credentials,
/// `AWS_ENDPOINT_URL*`, `AWS_MAX_ATTEMPTS`) with [`https_client`] and [`timeout_config`].
pub fn config_loader() -> aws_config::ConfigLoader {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(https_client())
        .timeout_config(timeout_config())
}

/// A non-empty environment variable.
fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The Lambda's config, from the environment only: `AWS_REGION` (or `AWS_DEFAULT_REGION`),
/// the role's credentials as Lambda sets them (`AWS_ACCESS_KEY_ID`,
/// `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), `AWS_ENDPOINT_URL` and
/// `AWS_MAX_ATTEMPTS`, with [`https_client`] and [`timeout_config`]. Not [`config_loader`]: aws-config's default
/// chain (profiles, SSO, web identity, IMDS) links `aws-sdk-sts` into the zip for
/// providers a Lambda never uses, and the zip has a 2,000,000-byte budget.
pub fn lambda_config() -> aws_config::SdkConfig {
    use aws_config::environment::credentials::EnvironmentVariableCredentialsProvider;
    use aws_credential_types::provider::SharedCredentialsProvider;
    let attempts = env("AWS_MAX_ATTEMPTS")
        .and_then(|n| n.parse().ok())
        .unwrap_or(3);
    let mut b = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .credentials_provider(SharedCredentialsProvider::new(
            EnvironmentVariableCredentialsProvider::new(),
        ))
        .http_client(https_client())
        .timeout_config(timeout_config())
        .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(attempts));
    if let Some(region) = env("AWS_REGION").or_else(|| env("AWS_DEFAULT_REGION")) {
        b = b.region(aws_config::Region::new(region));
    }
    if let Some(url) = env("AWS_ENDPOINT_URL") {
        b = b.endpoint_url(url);
    }
    b.build()
}

impl SdkApi {
    /// Clients from a shared config, each with its service's `AWS_ENDPOINT_URL_<SERVICE>`
    /// when set (aws-config's loader puts these in the config; [`lambda_config`] does not).
    pub fn from_conf(conf: &aws_config::SdkConfig) -> Self {
        let autoscaling = match env("AWS_ENDPOINT_URL_AUTO_SCALING") {
            Some(url) => asg::config::Builder::from(conf).endpoint_url(url).build(),
            None => asg::config::Builder::from(conf).build(),
        };
        let cloudwatch = match env("AWS_ENDPOINT_URL_CLOUDWATCH") {
            Some(url) => cw::config::Builder::from(conf).endpoint_url(url).build(),
            None => cw::config::Builder::from(conf).build(),
        };
        let ecs = match env("AWS_ENDPOINT_URL_ECS") {
            Some(url) => ecs::config::Builder::from(conf).endpoint_url(url).build(),
            None => ecs::config::Builder::from(conf).build(),
        };
        Self {
            autoscaling: asg::Client::from_conf(autoscaling),
            cloudwatch: cw::Client::from_conf(cloudwatch),
            ecs: ecs::Client::from_conf(ecs),
            ec2: super::ec2::Ec2Query::from_conf(conf),
        }
    }
}

const THROTTLING: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottled",
    "RequestThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "SlowDown",
];

/// Maps an SDK error to an [`ApiError`]; `code` is the service error code, if any.
pub(crate) fn classify<E>(
    service: &'static str,
    op: &'static str,
    e: &SdkError<E, HttpResponse>,
) -> ApiError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let message = match e {
        SdkError::ServiceError(s) => s.err().message().unwrap_or_default().to_owned(),
        _ => aws_sdk_cloudwatch::error::DisplayErrorContext(e).to_string(),
    };
    match e {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => {
            return ApiError::Transport {
                service,
                op,
                message,
            };
        }
        SdkError::ConstructionFailure(_) => {
            return ApiError::InvalidResponse {
                service,
                op,
                message,
            };
        }
        _ => {}
    }
    let status = e.raw_response().map(|r| r.status().as_u16()).unwrap_or(0);
    let code = e.code().unwrap_or_default().to_owned();
    if status == 429 || THROTTLING.contains(&code.as_str()) {
        ApiError::Throttled {
            service,
            op,
            message,
        }
    } else if status >= 500 {
        ApiError::ServerError {
            service,
            op,
            status,
            message,
        }
    } else if matches!(e, SdkError::ServiceError(_)) || !code.is_empty() {
        ApiError::Refused {
            service,
            op,
            code,
            message,
        }
    } else {
        ApiError::InvalidResponse {
            service,
            op,
            message,
        }
    }
}

fn query(id: &str, name: &str, stat: &str, fleet_id: &str) -> MetricDataQuery {
    let metric = Metric::builder()
        .namespace(NAMESPACE)
        .metric_name(name)
        .dimensions(
            Dimension::builder()
                .name("FleetRequestId")
                .value(fleet_id)
                .build(),
        )
        .build();
    MetricDataQuery::builder()
        .id(id)
        .return_data(true)
        .metric_stat(
            MetricStat::builder()
                .metric(metric)
                .period(PERIOD_SECS)
                .stat(stat)
                .build(),
        )
        .build()
}

fn to_i32(
    service: &'static str,
    op: &'static str,
    what: &str,
    v: Option<i32>,
) -> Result<u32, ApiError> {
    v.and_then(|v| u32::try_from(v).ok())
        .ok_or_else(|| ApiError::InvalidResponse {
            service,
            op,
            message: format!("{what} missing or negative: {v:?}"),
        })
}

impl FleetMetrics for SdkApi {
    /// One `GetMetricData` call: TargetCapacity (Maximum) and
    /// FulfilledCapacity (Minimum) per 60 s; both statistics err towards
    /// covering a shortfall.
    async fn observe_fleet(
        &self,
        fleet_id: &str,
        start: EpochSeconds,
        end: EpochSeconds,
    ) -> Result<Observation, ApiError> {
        const OP: &str = "GetMetricData";
        let out = self
            .cloudwatch
            .get_metric_data()
            .metric_data_queries(query("target", "TargetCapacity", "Maximum", fleet_id))
            .metric_data_queries(query("fulfilled", "FulfilledCapacity", "Minimum", fleet_id))
            .start_time(DateTime::from_secs(start))
            .end_time(DateTime::from_secs(end))
            .send()
            .await
            .map_err(|e| classify("cloudwatch", OP, &e))?;
        let mut obs = Observation::default();
        for r in out.metric_data_results() {
            let series = match r.id() {
                Some("target") => &mut obs.target,
                Some("fulfilled") => &mut obs.fulfilled,
                other => {
                    return Err(ApiError::InvalidResponse {
                        service: "cloudwatch",
                        op: OP,
                        message: format!("unexpected result id {other:?}"),
                    });
                }
            };
            if r.timestamps().len() != r.values().len() {
                return Err(ApiError::InvalidResponse {
                    service: "cloudwatch",
                    op: OP,
                    message: "timestamps and values differ in length".into(),
                });
            }
            series.extend(
                r.timestamps()
                    .iter()
                    .zip(r.values())
                    .map(|(t, v)| Datapoint::new(t.secs(), *v)),
            );
        }
        Ok(obs)
    }
}

impl AutoScaling for SdkApi {
    async fn describe_group(&self, name: &str) -> Result<GroupView, ApiError> {
        const OP: &str = "DescribeAutoScalingGroups";
        let out = self
            .autoscaling
            .describe_auto_scaling_groups()
            .auto_scaling_group_names(name)
            .send()
            .await
            .map_err(|e| classify("autoscaling", OP, &e))?;
        let g = out
            .auto_scaling_groups()
            .iter()
            .find(|g| g.auto_scaling_group_name() == Some(name))
            .ok_or_else(|| ApiError::GroupNotFound(name.to_owned()))?;
        let state = GroupState {
            desired: to_i32("autoscaling", OP, "DesiredCapacity", g.desired_capacity())?,
            min: to_i32("autoscaling", OP, "MinSize", g.min_size())?,
            max: to_i32("autoscaling", OP, "MaxSize", g.max_size())?,
        };
        let terminating_wait = g
            .instances()
            .iter()
            .filter(|i| i.lifecycle_state() == Some(&asg::types::LifecycleState::TerminatingWait))
            .filter_map(|i| i.instance_id().map(str::to_owned))
            .collect();
        let state_tag = g
            .tags()
            .iter()
            .find(|t| t.key() == Some(spotcover_reconciler_core::contract::tags::STATE_TAG))
            .and_then(|t| t.value().map(str::to_owned));
        Ok(GroupView {
            state,
            terminating_wait,
            state_tag,
        })
    }

    async fn put_group_tag(&self, group: &str, key: &str, value: &str) -> Result<(), ApiError> {
        const OP: &str = "CreateOrUpdateTags";
        let tag = asg::types::Tag::builder()
            .resource_id(group)
            .resource_type("auto-scaling-group")
            .key(key)
            .value(value)
            .propagate_at_launch(false)
            .build();
        self.autoscaling
            .create_or_update_tags()
            .tags(tag)
            .send()
            .await
            .map_err(|e| classify("autoscaling", OP, &e))?;
        Ok(())
    }

    async fn set_desired(
        &self,
        name: &str,
        desired: u32,
        honor_cooldown: bool,
    ) -> Result<SetOutcome, ApiError> {
        const OP: &str = "SetDesiredCapacity";
        let desired = i32::try_from(desired).map_err(|_| ApiError::InvalidResponse {
            service: "autoscaling",
            op: OP,
            message: format!("desired capacity {desired} out of range"),
        })?;
        match self
            .autoscaling
            .set_desired_capacity()
            .auto_scaling_group_name(name)
            .desired_capacity(desired)
            .honor_cooldown(honor_cooldown)
            .send()
            .await
        {
            Ok(_) => Ok(SetOutcome::Applied),
            Err(e) if honor_cooldown && e.code() == Some("ScalingActivityInProgress") => {
                Ok(SetOutcome::InCooldown)
            }
            Err(e) => Err(classify("autoscaling", OP, &e)),
        }
    }

    async fn complete_lifecycle_action(
        &self,
        group: &str,
        hook: &str,
        instance_id: &str,
    ) -> Result<Completion, ApiError> {
        const OP: &str = "CompleteLifecycleAction";
        match self
            .autoscaling
            .complete_lifecycle_action()
            .auto_scaling_group_name(group)
            .lifecycle_hook_name(hook)
            .instance_id(instance_id)
            .lifecycle_action_result("CONTINUE")
            .send()
            .await
        {
            Ok(_) => Ok(Completion::Completed),
            Err(e) if no_active_action(e.code(), e.message()) => Ok(Completion::NoActiveAction),
            Err(e) => Err(classify("autoscaling", OP, &e)),
        }
    }

    async fn record_lifecycle_heartbeat(
        &self,
        group: &str,
        hook: &str,
        instance_id: &str,
    ) -> Result<Completion, ApiError> {
        const OP: &str = "RecordLifecycleActionHeartbeat";
        match self
            .autoscaling
            .record_lifecycle_action_heartbeat()
            .auto_scaling_group_name(group)
            .lifecycle_hook_name(hook)
            .instance_id(instance_id)
            .send()
            .await
        {
            Ok(_) => Ok(Completion::Completed),
            Err(e) if no_active_action(e.code(), e.message()) => Ok(Completion::NoActiveAction),
            Err(e) => Err(classify("autoscaling", OP, &e)),
        }
    }

    async fn describe_fallback_group(&self, name: &str) -> Result<FallbackGroup, ApiError> {
        self.fallback_group(name).await
    }

    async fn describe_scaling_activities(&self, name: &str) -> Result<Vec<Activity>, ApiError> {
        self.fallback_activities(name).await
    }

    async fn set_on_demand_base(&self, name: &str, base: u32) -> Result<(), ApiError> {
        self.fallback_set_base(name, base).await
    }

    async fn terminate_in_group(&self, instance_id: &str) -> Result<(), ApiError> {
        self.fallback_terminate(instance_id).await
    }

    async fn release_group(&self, name: &str) -> Result<(), ApiError> {
        self.fallback_release(name).await
    }

    async fn set_instance_protection(
        &self,
        name: &str,
        ids: &[String],
        protected: bool,
    ) -> Result<(), ApiError> {
        self.fallback_protect(name, ids, protected).await
    }
}

/// ECS `Failure`s (per-instance refusals of a batch call) as an error, if any.
pub(crate) fn ecs_failures(
    op: &'static str,
    failures: &[ecs::types::Failure],
) -> Result<(), ApiError> {
    match failures.first() {
        None => Ok(()),
        Some(f) => Err(ApiError::Refused {
            service: "ecs",
            op,
            code: f.reason().unwrap_or("failure").to_owned(),
            message: format!(
                "{} {}",
                f.arn().unwrap_or_default(),
                f.detail().unwrap_or_default()
            )
            .trim()
            .to_owned(),
        }),
    }
}

/// True iff Auto Scaling's refusal says the lifecycle action is no longer
/// pending (completed by another run, or timed out).
pub fn no_active_action(code: Option<&str>, message: Option<&str>) -> bool {
    code == Some("ValidationError")
        && message.is_some_and(|m| m.contains("No active Lifecycle Action found"))
}

/// A container instance as ECS describes it, in the core's model.
pub fn container_instance(ci: &ecs::types::ContainerInstance) -> ContainerInstance {
    let count = |n: i32| u32::try_from(n).unwrap_or(0);
    let resources = |list: &[ecs::types::Resource]| {
        let int = |name: &str| {
            list.iter()
                .find(|r| r.name() == Some(name))
                .map_or(0, |r| count(r.integer_value()))
        };
        Resources {
            cpu_units: int("CPU"),
            memory_mib: int("MEMORY"),
        }
    };
    let mut out = ContainerInstance {
        arn: ci.container_instance_arn().unwrap_or_default().to_owned(),
        ec2_instance_id: ci.ec2_instance_id().map(str::to_owned),
        status: InstanceStatus::parse(ci.status().unwrap_or_default()),
        running_tasks: count(ci.running_tasks_count()),
        pending_tasks: count(ci.pending_tasks_count()),
        registered: resources(ci.registered_resources()),
        remaining: resources(ci.remaining_resources()),
        registered_at: ci.registered_at().map(|t| t.secs()),
        ..ContainerInstance::default()
    };
    for a in ci.attributes() {
        out.set_attribute(a.name(), Some(a.value().unwrap_or_default()));
    }
    out
}

fn attribute(
    op: &'static str,
    name: &str,
    value: Option<&str>,
    arn: &str,
) -> Result<ecs::types::Attribute, ApiError> {
    ecs::types::Attribute::builder()
        .name(name)
        .set_value(value.map(str::to_owned))
        .target_id(arn)
        .build()
        .map_err(|e| ApiError::InvalidResponse {
            service: "ecs",
            op,
            message: e.to_string(),
        })
}

impl Ecs for SdkApi {
    /// The one pagination loop of `ListContainerInstances`.
    async fn list_container_instances(
        &self,
        cluster: &str,
        ec2_instance_id: Option<&str>,
    ) -> Result<Vec<String>, ApiError> {
        const OP: &str = "ListContainerInstances";
        let mut arns = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let out = self
                .ecs
                .list_container_instances()
                .cluster(cluster)
                .set_filter(ec2_instance_id.map(|id| format!("ec2InstanceId == {id}")))
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| classify("ecs", OP, &e))?;
            arns.extend(out.container_instance_arns().iter().cloned());
            match out.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_owned()),
                _ => return Ok(arns),
            }
        }
    }

    /// The one `DescribeContainerInstances` loop.
    async fn describe_container_instances(
        &self,
        cluster: &str,
        arns: &[String],
    ) -> Result<Vec<ContainerInstance>, ApiError> {
        const OP: &str = "DescribeContainerInstances";
        let mut found = Vec::new();
        for chunk in arns.chunks(100) {
            let out = self
                .ecs
                .describe_container_instances()
                .cluster(cluster)
                .set_container_instances(Some(chunk.to_vec()))
                .send()
                .await
                .map_err(|e| classify("ecs", OP, &e))?;
            // Failures here are instances gone since the list call.
            found.extend(out.container_instances().iter().map(container_instance));
        }
        Ok(found)
    }

    async fn set_status(
        &self,
        cluster: &str,
        arn: &str,
        draining: bool,
    ) -> Result<Option<ContainerInstance>, ApiError> {
        const OP: &str = "UpdateContainerInstancesState";
        let status = if draining {
            ecs::types::ContainerInstanceStatus::Draining
        } else {
            ecs::types::ContainerInstanceStatus::Active
        };
        let out = self
            .ecs
            .update_container_instances_state()
            .cluster(cluster)
            .container_instances(arn)
            .status(status)
            .send()
            .await
            .map_err(|e| classify("ecs", OP, &e))?;
        ecs_failures(OP, out.failures())?;
        Ok(out.container_instances().first().map(container_instance))
    }

    async fn put_attribute(
        &self,
        cluster: &str,
        arn: &str,
        name: &str,
        value: &str,
    ) -> Result<(), ApiError> {
        const OP: &str = "PutAttributes";
        self.ecs
            .put_attributes()
            .cluster(cluster)
            .attributes(attribute(OP, name, Some(value), arn)?)
            .send()
            .await
            .map_err(|e| classify("ecs", OP, &e))?;
        Ok(())
    }

    async fn delete_attribute(&self, cluster: &str, arn: &str, name: &str) -> Result<(), ApiError> {
        const OP: &str = "DeleteAttributes";
        self.ecs
            .delete_attributes()
            .cluster(cluster)
            .attributes(attribute(OP, name, None, arn)?)
            .send()
            .await
            .map_err(|e| classify("ecs", OP, &e))?;
        Ok(())
    }

    async fn list_services(&self, cluster: &str) -> Result<Vec<String>, ApiError> {
        const OP: &str = "ListServices";
        let mut arns = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let out = self
                .ecs
                .list_services()
                .cluster(cluster)
                .max_results(100)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| classify("ecs", OP, &e))?;
            arns.extend(out.service_arns().iter().cloned());
            match out.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_owned()),
                _ => return Ok(arns),
            }
        }
    }

    async fn describe_services(
        &self,
        cluster: &str,
        arns: &[String],
    ) -> Result<Vec<ServiceView>, ApiError> {
        const OP: &str = "DescribeServices";
        let count = |n: i32| u32::try_from(n).unwrap_or(0);
        let mut found = Vec::new();
        for chunk in arns.chunks(10) {
            let out = self
                .ecs
                .describe_services()
                .cluster(cluster)
                .set_services(Some(chunk.to_vec()))
                .send()
                .await
                .map_err(|e| classify("ecs", OP, &e))?;
            // Failures are services deleted since the list call.
            found.extend(
                out.services()
                    .iter()
                    .filter(|s| s.status() != Some("INACTIVE"))
                    .map(|s| ServiceView {
                        arn: s.service_arn().unwrap_or_default().to_owned(),
                        need: ServiceNeed {
                            desired: count(s.desired_count()),
                            running: count(s.running_count()),
                            pending: count(s.pending_count()),
                            task: None,
                        },
                        task_definition: s.task_definition().map(str::to_owned),
                        launch_type: s.launch_type().map(|l| l.as_str().to_owned()),
                    }),
            );
        }
        Ok(found)
    }

    async fn list_tasks(
        &self,
        cluster: &str,
        desired_status: &str,
    ) -> Result<Vec<String>, ApiError> {
        self.fallback_list_tasks(cluster, desired_status).await
    }

    async fn describe_tasks(
        &self,
        cluster: &str,
        arns: &[String],
    ) -> Result<Vec<TaskView>, ApiError> {
        self.fallback_describe_tasks(cluster, arns).await
    }
}

impl Ec2 for SdkApi {
    async fn terminate_instance(&self, instance_id: &str) -> Result<(), ApiError> {
        self.ec2.terminate_instance(instance_id).await
    }

    async fn describe_spot_fleet(&self, fleet_id: &str) -> Result<FleetState, ApiError> {
        self.ec2.describe_spot_fleet(fleet_id).await
    }

    async fn modify_spot_fleet_target(&self, fleet_id: &str, target: u32) -> Result<(), ApiError> {
        self.ec2.modify_spot_fleet_target(fleet_id, target).await
    }
}
