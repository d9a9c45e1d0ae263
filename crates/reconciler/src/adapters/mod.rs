//! The AWS calls the reconciler makes, one trait per service, and their one SDK
//! implementation ([`sdk::SdkApi`]; EC2's one call is hand-signed, [`ec2`]).
//!
//! A trait method is one AWS operation (ECS list and describe: one per page or chunk of
//! 100). Each answers in the core's types ([`ContainerInstance`], [`GroupState`],
//! [`Observation`]) or an [`ApiError`]; no decision is made here. [`Aws`] is all four,
//! what the handlers take. Every call has connect, read, attempt and operation timeouts
//! ([`sdk::timeout_config`]), and a run's calls together a time budget
//! ([`budget::Budgeted`]).

pub mod budget;
pub mod ec2;
pub mod fallback;
pub mod fallback_views;
pub mod sdk;
pub mod timeouts;

use serde::Serialize;
use spotcover_reconciler_core::ecs::ContainerInstance;
use spotcover_reconciler_core::policy::demand::FleetState;
use spotcover_reconciler_core::policy::demand::units::ServiceNeed;
use spotcover_reconciler_core::policy::rule_2017::Observation;
use spotcover_reconciler_core::{EpochSeconds, GroupState};

use crate::error::ApiError;
use fallback::{FallbackGroup, TaskView};
use spotcover_reconciler_core::policy::fallback::Activity;

/// What a `SetDesiredCapacity` call achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SetOutcome {
    Applied,
    /// Refused with `ScalingActivityInProgress` while honouring the cooldown:
    /// expected, the next run retries.
    InCooldown,
}

/// What a `CompleteLifecycleAction` call achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Completion {
    /// Auto Scaling accepted it: the instance goes on terminating.
    Completed,
    /// Refused with "No active Lifecycle Action found": someone (another run,
    /// the hook's timeout) already completed it. Not an error.
    NoActiveAction,
}

/// The on-demand group as `DescribeAutoScalingGroups` answers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupView {
    pub state: GroupState,
    /// EC2 ids of its instances in `Terminating:Wait` (held by a terminating lifecycle
    /// hook), in the answer's order.
    pub terminating_wait: Vec<String>,
    /// The value of the group's [`spotcover_reconciler_core::contract::tags::STATE_TAG`] tag: the
    /// demand policy's state between runs.
    pub state_tag: Option<String>,
}

impl From<GroupState> for GroupView {
    fn from(state: GroupState) -> Self {
        Self {
            state,
            terminating_wait: Vec::new(),
            state_tag: None,
        }
    }
}

/// A service as `DescribeServices` answers it: its task counts and task definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceView {
    pub arn: String,
    /// Desired, running and pending counts; `task` is left `None` here.
    pub need: ServiceNeed,
    pub task_definition: Option<String>,
    /// `launchType`, when the service names one instead of a capacity provider
    /// strategy: its tasks never scale a capacity provider's group.
    pub launch_type: Option<String>,
}

/// CloudWatch: the fleet's metrics.
#[allow(async_fn_in_trait)]
pub trait FleetMetrics {
    /// `AWS/EC2Spot` TargetCapacity and FulfilledCapacity of the fleet over `[start, end)`.
    async fn observe_fleet(
        &self,
        fleet_id: &str,
        start: EpochSeconds,
        end: EpochSeconds,
    ) -> Result<Observation, ApiError>;
}

/// Auto Scaling: the on-demand group and its lifecycle hook.
#[allow(async_fn_in_trait)]
pub trait AutoScaling {
    /// Desired, min and max of the group, and its instances in `Terminating:Wait`.
    async fn describe_group(&self, name: &str) -> Result<GroupView, ApiError>;
    /// `SetDesiredCapacity`.
    async fn set_desired(
        &self,
        name: &str,
        desired: u32,
        honor_cooldown: bool,
    ) -> Result<SetOutcome, ApiError>;
    /// `CompleteLifecycleAction` with `CONTINUE`, by instance id (no token:
    /// the scheduled run has none).
    async fn complete_lifecycle_action(
        &self,
        group: &str,
        hook: &str,
        instance_id: &str,
    ) -> Result<Completion, ApiError>;
    /// `RecordLifecycleActionHeartbeat`, by instance id: restarts the hook's heartbeat
    /// timeout. `NoActiveAction` when the action is no longer pending.
    async fn record_lifecycle_heartbeat(
        &self,
        group: &str,
        hook: &str,
        instance_id: &str,
    ) -> Result<Completion, ApiError>;
    /// `CreateOrUpdateTags`: one tag of the group, not propagated at launch.
    async fn put_group_tag(&self, group: &str, key: &str, value: &str) -> Result<(), ApiError>;

    // `engine: asg`: the capacity provider's group (see [`fallback`]).

    /// The group, its on-demand base, instances with their protection, and the
    /// fallback's state tag.
    async fn describe_fallback_group(&self, name: &str) -> Result<FallbackGroup, ApiError>;
    /// `DescribeScalingActivities`: the latest activities.
    async fn describe_scaling_activities(&self, name: &str) -> Result<Vec<Activity>, ApiError>;
    /// `UpdateAutoScalingGroup`: the on-demand base only.
    async fn set_on_demand_base(&self, name: &str, base: u32) -> Result<(), ApiError>;
    /// `TerminateInstanceInAutoScalingGroup`, keeping the desired capacity.
    async fn terminate_in_group(&self, instance_id: &str) -> Result<(), ApiError>;
    /// `UpdateAutoScalingGroup`: sizes 0, new instances unprotected (stack deletion).
    async fn release_group(&self, name: &str) -> Result<(), ApiError>;
    /// `SetInstanceProtection` for at most [`fallback::PROTECTION_BATCH`] instances.
    async fn set_instance_protection(
        &self,
        name: &str,
        ids: &[String],
        protected: bool,
    ) -> Result<(), ApiError>;
}

/// ECS: the cluster's container instances. `cluster` is the cluster's name (or ARN).
#[allow(async_fn_in_trait)]
pub trait Ecs {
    /// `ListContainerInstances` (all pages), with the filter `ec2InstanceId == {id}` when
    /// an instance id is given. moto ignores the filter: callers match on
    /// [`ContainerInstance::ec2_instance_id`] (see [`find_instance`]).
    async fn list_container_instances(
        &self,
        cluster: &str,
        ec2_instance_id: Option<&str>,
    ) -> Result<Vec<String>, ApiError>;
    /// `DescribeContainerInstances` (chunks of 100), with attributes. Instances gone
    /// since the list call are left out.
    async fn describe_container_instances(
        &self,
        cluster: &str,
        arns: &[String],
    ) -> Result<Vec<ContainerInstance>, ApiError>;
    /// `UpdateContainerInstancesState` to DRAINING (`draining`) or ACTIVE; the container
    /// instance as ECS answers after the change, if it does.
    async fn set_status(
        &self,
        cluster: &str,
        arn: &str,
        draining: bool,
    ) -> Result<Option<ContainerInstance>, ApiError>;
    /// `PutAttributes`: one custom attribute on the container instance.
    async fn put_attribute(
        &self,
        cluster: &str,
        arn: &str,
        name: &str,
        value: &str,
    ) -> Result<(), ApiError>;
    /// `DeleteAttributes`: one custom attribute of the container instance.
    async fn delete_attribute(&self, cluster: &str, arn: &str, name: &str) -> Result<(), ApiError>;
    /// `ListServices` (all pages, 100 a page).
    async fn list_services(&self, cluster: &str) -> Result<Vec<String>, ApiError>;
    /// `DescribeServices` (chunks of 10, the most it takes).
    async fn describe_services(
        &self,
        cluster: &str,
        arns: &[String],
    ) -> Result<Vec<ServiceView>, ApiError>;

    // `engine: asg`: the tasks waiting for the capacity provider.

    /// `ListTasks` of the cluster with this `desiredStatus` (all pages).
    async fn list_tasks(
        &self,
        cluster: &str,
        desired_status: &str,
    ) -> Result<Vec<String>, ApiError>;
    /// `DescribeTasks` (chunks of 100).
    async fn describe_tasks(
        &self,
        cluster: &str,
        arns: &[String],
    ) -> Result<Vec<TaskView>, ApiError>;
}

/// EC2: terminating a drained spot instance; the Spot Fleet's target.
#[allow(async_fn_in_trait)]
pub trait Ec2 {
    /// `TerminateInstances` for one instance (idempotent in AWS).
    async fn terminate_instance(&self, instance_id: &str) -> Result<(), ApiError>;
    /// `DescribeSpotFleetRequests`: the fleet's target and fulfilled capacity.
    async fn describe_spot_fleet(&self, fleet_id: &str) -> Result<FleetState, ApiError>;
    /// `ModifySpotFleetRequest`: a new target, terminating nothing.
    async fn modify_spot_fleet_target(&self, fleet_id: &str, target: u32) -> Result<(), ApiError>;
}

/// Every service the reconciler calls.
pub trait Aws: FleetMetrics + AutoScaling + Ecs + Ec2 {}

impl<T: FleetMetrics + AutoScaling + Ecs + Ec2> Aws for T {}

/// The container instance of one EC2 instance in `cluster`, if any: the filtered list,
/// then one describe when it names any. Returns it and the calls made (1 or 2).
pub async fn find_instance<A: Ecs>(
    api: &A,
    cluster: &str,
    ec2_instance_id: &str,
) -> (u32, Result<Option<ContainerInstance>, ApiError>) {
    let arns = match api
        .list_container_instances(cluster, Some(ec2_instance_id))
        .await
    {
        Ok(a) => a,
        Err(e) => return (1, Err(e)),
    };
    if arns.is_empty() {
        return (1, Ok(None));
    }
    let found = api
        .describe_container_instances(cluster, &arns)
        .await
        .map(|all| {
            // Match on the EC2 id: moto ignores the list filter.
            all.into_iter()
                .find(|ci| ci.ec2_instance_id.as_deref() == Some(ec2_instance_id))
        });
    (2, found)
}

/// Every container instance of `cluster`: the list, then one describe per 100 (none when
/// the list is empty). Returns them and the calls made.
pub async fn cluster_instances<A: Ecs>(
    api: &A,
    cluster: &str,
) -> (u32, Result<Vec<ContainerInstance>, ApiError>) {
    match api.list_container_instances(cluster, None).await {
        Ok(arns) if arns.is_empty() => (1, Ok(Vec::new())),
        Ok(arns) => (2, api.describe_container_instances(cluster, &arns).await),
        Err(e) => (1, Err(e)),
    }
}

/// Every service of `cluster`: the list, then one describe per 10 (none when the list
/// is empty). Returns them and the calls made.
pub async fn cluster_services<A: Ecs>(
    api: &A,
    cluster: &str,
) -> (u32, Result<Vec<ServiceView>, ApiError>) {
    match api.list_services(cluster).await {
        Ok(arns) if arns.is_empty() => (1, Ok(Vec::new())),
        Ok(arns) => (
            1 + u32::try_from(arns.len().div_ceil(10)).unwrap_or(u32::MAX),
            api.describe_services(cluster, &arns).await,
        ),
        Err(e) => (1, Err(e)),
    }
}
