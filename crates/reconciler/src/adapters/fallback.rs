//! The calls `engine: asg`'s fallback and its teardown custom resource make, beyond
//! the fleet engine's: the capacity provider's group with its on-demand base and its
//! instances' protection, its scaling activities, the cluster's tasks, and the PUT of
//! a custom resource's answer. The traits' methods are in [`super::AutoScaling`] and
//! [`super::Ecs`]; their SDK implementations are here, and [`super::sdk`] calls them.

use aws_sdk_autoscaling as asg;
use aws_sdk_cloudwatch::error::ProvideErrorMetadata;
use aws_sdk_ecs as ecs;
use aws_smithy_runtime_api::client::http::HttpConnector;
use aws_smithy_runtime_api::http::Request;
use aws_smithy_types::body::SdkBody;
use spotcover_reconciler_core::contract::tags::FALLBACK_STATE_TAG as STATE_TAG;
use spotcover_reconciler_core::policy::fallback::Activity;

use super::sdk::{SdkApi, classify, ecs_failures};
use crate::error::ApiError;

/// The most instance ids one `SetInstanceProtection` call takes ("You can specify up
/// to 50 instances", Auto Scaling API reference).
pub const PROTECTION_BATCH: usize = 50;

/// The most tasks one `DescribeTasks` call takes (ECS API reference: "up to 100").
pub const DESCRIBE_TASKS_BATCH: usize = 100;

pub use super::fallback_views::{FallbackGroup, GroupInstance, TaskView};

/// Where a custom resource's answer goes: a PUT of the body to the presigned URL.
#[allow(async_fn_in_trait)]
pub trait Respond {
    /// PUTs `body` to `url` with an empty content type; an error unless 2xx.
    async fn put(&self, url: &str, body: &str) -> Result<(), String>;
}

/// [`Respond`] over the SDK's own HTTP connector (hyper and rustls, already in the
/// build: no new crate in the Lambda zip).
#[derive(Clone)]
pub struct HttpRespond {
    connector: std::sync::Arc<aws_smithy_http_client::Connector>,
}

impl std::fmt::Debug for HttpRespond {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpRespond").finish_non_exhaustive()
    }
}

impl Default for HttpRespond {
    fn default() -> Self {
        Self {
            connector: super::ec2::connector(),
        }
    }
}

impl Respond for HttpRespond {
    /// The presigned S3 URL is signed for an empty `content-type`, so the request
    /// sends exactly that (CloudFormation user guide, custom resources: the provider
    /// "sends the JSON file to the presigned URL"; S3 presigned-URL uploads).
    async fn put(&self, url: &str, body: &str) -> Result<(), String> {
        let mut req = Request::new(SdkBody::from(body.to_owned()));
        req.set_method("PUT").map_err(|e| e.to_string())?;
        req.set_uri(url).map_err(|e| e.to_string())?;
        req.headers_mut().insert("content-type", "");
        req.headers_mut()
            .insert("content-length", body.len().to_string());
        let call = self.connector.call(req);
        let resp = tokio::time::timeout(super::sdk::ATTEMPT_TIMEOUT, call)
            .await
            .map_err(|_| {
                format!(
                    "no answer within {} s",
                    super::sdk::ATTEMPT_TIMEOUT.as_secs()
                )
            })?
            .map_err(|e| aws_smithy_types::error::display::DisplayErrorContext(&e).to_string())?;
        let status = resp.status().as_u16();
        if (200..300).contains(&status) {
            Ok(())
        } else {
            Err(format!("the response URL answered HTTP {status}"))
        }
    }
}

fn count(n: Option<i32>) -> u32 {
    n.and_then(|n| u32::try_from(n).ok()).unwrap_or(0)
}

fn invalid(service: &'static str, op: &'static str, message: String) -> ApiError {
    ApiError::InvalidResponse {
        service,
        op,
        message,
    }
}

impl SdkApi {
    pub(crate) async fn fallback_group(&self, name: &str) -> Result<FallbackGroup, ApiError> {
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
        let base = g
            .mixed_instances_policy()
            .and_then(|p| p.instances_distribution())
            .and_then(|d| d.on_demand_base_capacity());
        Ok(FallbackGroup {
            desired: count(g.desired_capacity()),
            min: count(g.min_size()),
            max: count(g.max_size()),
            base: count(base),
            new_instances_protected: g.new_instances_protected_from_scale_in() == Some(true),
            instances: g
                .instances()
                .iter()
                .filter_map(|i| {
                    Some(GroupInstance {
                        id: i.instance_id()?.to_owned(),
                        lifecycle_state: i
                            .lifecycle_state()
                            .map(|s| s.as_str().to_owned())
                            .unwrap_or_default(),
                        protected: i.protected_from_scale_in() == Some(true),
                    })
                })
                .collect(),
            state_tag: g
                .tags()
                .iter()
                .find(|t| t.key() == Some(STATE_TAG))
                .and_then(|t| t.value().map(str::to_owned)),
        })
    }

    /// One page (the latest 100 activities are plenty: a failure older than the
    /// fallback's hold no longer matters).
    pub(crate) async fn fallback_activities(&self, name: &str) -> Result<Vec<Activity>, ApiError> {
        const OP: &str = "DescribeScalingActivities";
        let out = self
            .autoscaling
            .describe_scaling_activities()
            .auto_scaling_group_name(name)
            .max_records(100)
            .send()
            .await
            .map_err(|e| classify("autoscaling", OP, &e))?;
        // An activity without a start time cannot be dated: left out.
        Ok(out
            .activities()
            .iter()
            .filter_map(|a| {
                Some(Activity {
                    status_code: a.status_code()?.as_str().to_owned(),
                    status_message: a.status_message().unwrap_or_default().to_owned(),
                    start: a.start_time()?.secs(),
                })
            })
            .collect())
    }

    /// `UpdateAutoScalingGroup` with `MixedInstancesPolicy.InstancesDistribution.
    /// OnDemandBaseCapacity` only: "Any parameters that you don't specify are not
    /// changed by this update request", and the launch template "is not required when
    /// updating the group" (Auto Scaling API reference, `UpdateAutoScalingGroup`,
    /// `MixedInstancesPolicy`).
    pub(crate) async fn fallback_set_base(&self, name: &str, base: u32) -> Result<(), ApiError> {
        const OP: &str = "UpdateAutoScalingGroup";
        let base = i32::try_from(base)
            .map_err(|_| invalid("autoscaling", OP, format!("base {base} out of range")))?;
        let policy = asg::types::MixedInstancesPolicy::builder()
            .instances_distribution(
                asg::types::InstancesDistribution::builder()
                    .on_demand_base_capacity(base)
                    .build(),
            )
            .build();
        self.autoscaling
            .update_auto_scaling_group()
            .auto_scaling_group_name(name)
            .mixed_instances_policy(policy)
            .send()
            .await
            .map_err(|e| classify("autoscaling", OP, &e))?;
        Ok(())
    }

    /// `TerminateInstanceInAutoScalingGroup` without decrementing the desired capacity
    /// (ECS's managed scaling owns it). An instance Auto Scaling no longer knows counts
    /// as terminated.
    pub(crate) async fn fallback_terminate(&self, instance_id: &str) -> Result<(), ApiError> {
        const OP: &str = "TerminateInstanceInAutoScalingGroup";
        match self
            .autoscaling
            .terminate_instance_in_auto_scaling_group()
            .instance_id(instance_id)
            .should_decrement_desired_capacity(false)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e)
                if e.code() == Some("ValidationError")
                    && e.message().is_some_and(|m| m.contains("not found")) =>
            {
                Ok(())
            }
            Err(e) => Err(classify("autoscaling", OP, &e)),
        }
    }

    /// `UpdateAutoScalingGroup`: min, max and desired 0, new instances not protected.
    pub(crate) async fn fallback_release(&self, name: &str) -> Result<(), ApiError> {
        const OP: &str = "UpdateAutoScalingGroup";
        self.autoscaling
            .update_auto_scaling_group()
            .auto_scaling_group_name(name)
            .min_size(0)
            .max_size(0)
            .desired_capacity(0)
            .new_instances_protected_from_scale_in(false)
            .send()
            .await
            .map_err(|e| classify("autoscaling", OP, &e))?;
        Ok(())
    }

    /// `SetInstanceProtection` for at most [`PROTECTION_BATCH`] instances.
    pub(crate) async fn fallback_protect(
        &self,
        name: &str,
        ids: &[String],
        protected: bool,
    ) -> Result<(), ApiError> {
        const OP: &str = "SetInstanceProtection";
        if ids.len() > PROTECTION_BATCH {
            return Err(invalid(
                "autoscaling",
                OP,
                format!("{} instances, at most {PROTECTION_BATCH}", ids.len()),
            ));
        }
        self.autoscaling
            .set_instance_protection()
            .auto_scaling_group_name(name)
            .set_instance_ids(Some(ids.to_vec()))
            .protected_from_scale_in(protected)
            .send()
            .await
            .map_err(|e| classify("autoscaling", OP, &e))?;
        Ok(())
    }

    /// `ListTasks` of the cluster with `desiredStatus` (all pages).
    pub(crate) async fn fallback_list_tasks(
        &self,
        cluster: &str,
        desired_status: &str,
    ) -> Result<Vec<String>, ApiError> {
        const OP: &str = "ListTasks";
        let mut arns = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let out = self
                .ecs
                .list_tasks()
                .cluster(cluster)
                .desired_status(ecs::types::DesiredStatus::from(desired_status))
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| classify("ecs", OP, &e))?;
            arns.extend(out.task_arns().iter().cloned());
            match out.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_owned()),
                _ => return Ok(arns),
            }
        }
    }

    /// `DescribeTasks`, [`DESCRIBE_TASKS_BATCH`] at a time. Tasks gone since the list
    /// call are left out.
    pub(crate) async fn fallback_describe_tasks(
        &self,
        cluster: &str,
        arns: &[String],
    ) -> Result<Vec<TaskView>, ApiError> {
        const OP: &str = "DescribeTasks";
        let mut found = Vec::new();
        for chunk in arns.chunks(DESCRIBE_TASKS_BATCH) {
            let out = self
                .ecs
                .describe_tasks()
                .cluster(cluster)
                .set_tasks(Some(chunk.to_vec()))
                .send()
                .await
                .map_err(|e| classify("ecs", OP, &e))?;
            // "MISSING" failures are tasks gone since the list call; others are errors.
            let real: Vec<_> = out
                .failures()
                .iter()
                .filter(|f| f.reason() != Some("MISSING"))
                .cloned()
                .collect();
            ecs_failures(OP, &real)?;
            found.extend(out.tasks().iter().map(|t| TaskView {
                arn: t.task_arn().unwrap_or_default().to_owned(),
                last_status: t.last_status().unwrap_or_default().to_owned(),
                capacity_provider: t.capacity_provider_name().map(str::to_owned),
                launch_type: t.launch_type().map(|l| l.as_str().to_owned()),
            }));
        }
        Ok(found)
    }
}
