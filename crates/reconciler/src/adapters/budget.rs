//! A run's time budget over every AWS call: [`Budgeted`] wraps the adapters so that no
//! call outlives the budget, whatever the SDK's own timeouts and retries do, and the run
//! keeps time to log and answer ([`spotcover_reconciler_core::contract::settings::call_budget_ms`]).

use std::future::Future;
use std::time::{Duration, Instant};

use spotcover_reconciler_core::EpochSeconds;
use spotcover_reconciler_core::ecs::ContainerInstance;
use spotcover_reconciler_core::policy::demand::FleetState;
use spotcover_reconciler_core::policy::rule_2017::Observation;

use super::fallback::{FallbackGroup, TaskView};
use super::{AutoScaling, Completion, Ec2, Ecs, FleetMetrics, GroupView, ServiceView, SetOutcome};
use crate::error::ApiError;
use spotcover_reconciler_core::policy::fallback::Activity;

/// The adapters `inner`, with every call cut off at `deadline`.
#[derive(Debug, Clone)]
pub struct Budgeted<'a, A> {
    inner: &'a A,
    deadline: Instant,
}

impl<'a, A> Budgeted<'a, A> {
    /// Calls through `inner` may run until `budget` from now.
    pub fn new(inner: &'a A, budget: Duration) -> Self {
        Self {
            inner,
            deadline: Instant::now() + budget,
        }
    }

    /// Time left for calls.
    pub fn left(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }

    async fn within<T>(
        &self,
        service: &'static str,
        op: &'static str,
        call: impl Future<Output = Result<T, ApiError>>,
    ) -> Result<T, ApiError> {
        let left = self.left();
        if left.is_zero() {
            return Err(ApiError::Transport {
                service,
                op,
                message: "not called: the run's time budget is spent".into(),
            });
        }
        match tokio::time::timeout(left, call).await {
            Ok(r) => r,
            Err(_) => Err(ApiError::Transport {
                service,
                op,
                message: "cut off: the run's time budget ran out during the call".into(),
            }),
        }
    }
}

impl<A: FleetMetrics> FleetMetrics for Budgeted<'_, A> {
    async fn observe_fleet(
        &self,
        fleet_id: &str,
        start: EpochSeconds,
        end: EpochSeconds,
    ) -> Result<Observation, ApiError> {
        self.within(
            "cloudwatch",
            "GetMetricData",
            self.inner.observe_fleet(fleet_id, start, end),
        )
        .await
    }
}

impl<A: AutoScaling> AutoScaling for Budgeted<'_, A> {
    async fn describe_group(&self, name: &str) -> Result<GroupView, ApiError> {
        self.within(
            "autoscaling",
            "DescribeAutoScalingGroups",
            self.inner.describe_group(name),
        )
        .await
    }

    async fn set_desired(
        &self,
        name: &str,
        desired: u32,
        honor_cooldown: bool,
    ) -> Result<SetOutcome, ApiError> {
        self.within(
            "autoscaling",
            "SetDesiredCapacity",
            self.inner.set_desired(name, desired, honor_cooldown),
        )
        .await
    }

    async fn complete_lifecycle_action(
        &self,
        group: &str,
        hook: &str,
        instance_id: &str,
    ) -> Result<Completion, ApiError> {
        self.within(
            "autoscaling",
            "CompleteLifecycleAction",
            self.inner
                .complete_lifecycle_action(group, hook, instance_id),
        )
        .await
    }

    async fn record_lifecycle_heartbeat(
        &self,
        group: &str,
        hook: &str,
        instance_id: &str,
    ) -> Result<Completion, ApiError> {
        self.within(
            "autoscaling",
            "RecordLifecycleActionHeartbeat",
            self.inner
                .record_lifecycle_heartbeat(group, hook, instance_id),
        )
        .await
    }

    async fn put_group_tag(&self, group: &str, key: &str, value: &str) -> Result<(), ApiError> {
        self.within(
            "autoscaling",
            "CreateOrUpdateTags",
            self.inner.put_group_tag(group, key, value),
        )
        .await
    }

    async fn describe_fallback_group(&self, name: &str) -> Result<FallbackGroup, ApiError> {
        self.within(
            "autoscaling",
            "DescribeAutoScalingGroups",
            self.inner.describe_fallback_group(name),
        )
        .await
    }

    async fn describe_scaling_activities(&self, name: &str) -> Result<Vec<Activity>, ApiError> {
        self.within(
            "autoscaling",
            "DescribeScalingActivities",
            self.inner.describe_scaling_activities(name),
        )
        .await
    }

    async fn set_on_demand_base(&self, name: &str, base: u32) -> Result<(), ApiError> {
        self.within(
            "autoscaling",
            "UpdateAutoScalingGroup",
            self.inner.set_on_demand_base(name, base),
        )
        .await
    }

    async fn terminate_in_group(&self, instance_id: &str) -> Result<(), ApiError> {
        self.within(
            "autoscaling",
            "TerminateInstanceInAutoScalingGroup",
            self.inner.terminate_in_group(instance_id),
        )
        .await
    }

    async fn release_group(&self, name: &str) -> Result<(), ApiError> {
        self.within(
            "autoscaling",
            "UpdateAutoScalingGroup",
            self.inner.release_group(name),
        )
        .await
    }

    async fn set_instance_protection(
        &self,
        name: &str,
        ids: &[String],
        protected: bool,
    ) -> Result<(), ApiError> {
        self.within(
            "autoscaling",
            "SetInstanceProtection",
            self.inner.set_instance_protection(name, ids, protected),
        )
        .await
    }
}

impl<A: Ecs> Ecs for Budgeted<'_, A> {
    async fn list_container_instances(
        &self,
        cluster: &str,
        ec2_instance_id: Option<&str>,
    ) -> Result<Vec<String>, ApiError> {
        self.within(
            "ecs",
            "ListContainerInstances",
            self.inner
                .list_container_instances(cluster, ec2_instance_id),
        )
        .await
    }

    async fn describe_container_instances(
        &self,
        cluster: &str,
        arns: &[String],
    ) -> Result<Vec<ContainerInstance>, ApiError> {
        self.within(
            "ecs",
            "DescribeContainerInstances",
            self.inner.describe_container_instances(cluster, arns),
        )
        .await
    }

    async fn set_status(
        &self,
        cluster: &str,
        arn: &str,
        draining: bool,
    ) -> Result<Option<ContainerInstance>, ApiError> {
        self.within(
            "ecs",
            "UpdateContainerInstancesState",
            self.inner.set_status(cluster, arn, draining),
        )
        .await
    }

    async fn put_attribute(
        &self,
        cluster: &str,
        arn: &str,
        name: &str,
        value: &str,
    ) -> Result<(), ApiError> {
        self.within(
            "ecs",
            "PutAttributes",
            self.inner.put_attribute(cluster, arn, name, value),
        )
        .await
    }

    async fn delete_attribute(&self, cluster: &str, arn: &str, name: &str) -> Result<(), ApiError> {
        self.within(
            "ecs",
            "DeleteAttributes",
            self.inner.delete_attribute(cluster, arn, name),
        )
        .await
    }

    async fn list_services(&self, cluster: &str) -> Result<Vec<String>, ApiError> {
        self.within("ecs", "ListServices", self.inner.list_services(cluster))
            .await
    }

    async fn describe_services(
        &self,
        cluster: &str,
        arns: &[String],
    ) -> Result<Vec<ServiceView>, ApiError> {
        self.within(
            "ecs",
            "DescribeServices",
            self.inner.describe_services(cluster, arns),
        )
        .await
    }

    async fn list_tasks(
        &self,
        cluster: &str,
        desired_status: &str,
    ) -> Result<Vec<String>, ApiError> {
        self.within(
            "ecs",
            "ListTasks",
            self.inner.list_tasks(cluster, desired_status),
        )
        .await
    }

    async fn describe_tasks(
        &self,
        cluster: &str,
        arns: &[String],
    ) -> Result<Vec<TaskView>, ApiError> {
        self.within(
            "ecs",
            "DescribeTasks",
            self.inner.describe_tasks(cluster, arns),
        )
        .await
    }
}

impl<A: Ec2> Ec2 for Budgeted<'_, A> {
    async fn terminate_instance(&self, instance_id: &str) -> Result<(), ApiError> {
        self.within(
            "ec2",
            "TerminateInstances",
            self.inner.terminate_instance(instance_id),
        )
        .await
    }

    async fn describe_spot_fleet(&self, fleet_id: &str) -> Result<FleetState, ApiError> {
        self.within(
            "ec2",
            "DescribeSpotFleetRequests",
            self.inner.describe_spot_fleet(fleet_id),
        )
        .await
    }

    async fn modify_spot_fleet_target(&self, fleet_id: &str, target: u32) -> Result<(), ApiError> {
        self.within(
            "ec2",
            "ModifySpotFleetRequest",
            self.inner.modify_spot_fleet_target(fleet_id, target),
        )
        .await
    }
}
