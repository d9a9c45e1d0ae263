//! The AWS calls the reconciler needs, behind two small traits: [`CapacityApi`]
//! (CloudWatch, Auto Scaling) and [`ClusterApi`] (ECS, for interruption notices).

use serde::Serialize;
use spotcover_reconciler_core::{EpochSeconds, GroupState, Observation};

pub use crate::drain::api::{Completion, DrainApi, DrainCall, FakeDrain};
use std::sync::Mutex;

/// An AWS call that failed. None of these ever leads to a scale-in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// The service throttled the call (HTTP 429 or a throttling error code).
    #[error("{service} {op} throttled: {message}")]
    Throttled {
        service: &'static str,
        op: &'static str,
        message: String,
    },
    /// The service answered 5xx.
    #[error("{service} {op} failed with HTTP {status}: {message}")]
    ServerError {
        service: &'static str,
        op: &'static str,
        status: u16,
        message: String,
    },
    /// `DescribeAutoScalingGroups` does not know the group.
    #[error("auto scaling group {0:?} not found")]
    GroupNotFound(String),
    /// The service refused the call (4xx other than throttling).
    #[error("{service} {op} refused ({code}): {message}")]
    Refused {
        service: &'static str,
        op: &'static str,
        code: String,
        message: String,
    },
    /// The call did not get an answer (connection, timeout).
    #[error("{service} {op} unreachable: {message}")]
    Transport {
        service: &'static str,
        op: &'static str,
        message: String,
    },
    /// An answer that cannot be used.
    #[error("{service} {op} answered unusably: {message}")]
    InvalidResponse {
        service: &'static str,
        op: &'static str,
        message: String,
    },
}

impl ApiError {
    /// A snake_case name for the log line.
    pub fn kind(&self) -> &'static str {
        match self {
            ApiError::Throttled { .. } => "throttled",
            ApiError::ServerError { .. } => "server_error",
            ApiError::GroupNotFound(_) => "group_not_found",
            ApiError::Refused { .. } => "refused",
            ApiError::Transport { .. } => "transport",
            ApiError::InvalidResponse { .. } => "invalid_response",
        }
    }
}

/// What a `SetDesiredCapacity` call achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SetOutcome {
    Applied,
    /// Refused with `ScalingActivityInProgress` while honouring the cooldown:
    /// expected, the next run retries.
    InCooldown,
}

/// The reconciler's view of AWS.
#[allow(async_fn_in_trait)]
pub trait CapacityApi {
    /// `AWS/EC2Spot` TargetCapacity and FulfilledCapacity of the fleet over `[start, end)`.
    async fn observe_fleet(
        &self,
        fleet_id: &str,
        start: EpochSeconds,
        end: EpochSeconds,
    ) -> Result<Observation, ApiError>;
    /// Desired, min and max of the group.
    async fn describe_group(&self, name: &str) -> Result<GroupState, ApiError>;
    /// `SetDesiredCapacity`.
    async fn set_desired(
        &self,
        name: &str,
        desired: u32,
        honor_cooldown: bool,
    ) -> Result<SetOutcome, ApiError>;
}

/// A container instance as ECS describes it (the fields the reconciler reads).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContainerInstanceInfo {
    pub arn: String,
    pub ec2_instance_id: Option<String>,
    /// ECS status: `ACTIVE`, `DRAINING`, `REGISTERING`, `DEREGISTERING`, `INACTIVE`, ...
    pub status: String,
    /// The `ecs.instance-type` attribute.
    pub instance_type: Option<String>,
    /// The `spotcover.covered` attribute's value, when present.
    pub covered: Option<String>,
}

/// The reconciler's view of ECS, for interruption notices. `cluster` is the
/// cluster's name (or ARN).
#[allow(async_fn_in_trait)]
pub trait ClusterApi {
    /// `ListContainerInstances` with the filter `ec2InstanceId == {ec2_instance_id}`
    /// (all pages; with the filter AWS answers at most one). moto ignores the
    /// filter, so callers must check `ec2_instance_id` of what they describe.
    async fn list_container_instances(
        &self,
        cluster: &str,
        ec2_instance_id: &str,
    ) -> Result<Vec<String>, ApiError>;
    /// `DescribeContainerInstances` (in chunks of 100), with attributes.
    async fn describe_container_instances(
        &self,
        cluster: &str,
        arns: &[String],
    ) -> Result<Vec<ContainerInstanceInfo>, ApiError>;
    /// `UpdateContainerInstancesState` to DRAINING.
    async fn drain(&self, cluster: &str, arn: &str) -> Result<(), ApiError>;
    /// `PutAttributes`: the `spotcover.covered` attribute with `value` on the
    /// container instance.
    async fn mark_covered(&self, cluster: &str, arn: &str, value: &str) -> Result<(), ApiError>;
}

/// One call recorded by [`FakeApi`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    ObserveFleet {
        fleet_id: String,
        start: EpochSeconds,
        end: EpochSeconds,
    },
    DescribeGroup(String),
    SetDesired {
        name: String,
        desired: u32,
        honor_cooldown: bool,
    },
    ListContainerInstances {
        cluster: String,
        ec2_instance_id: String,
    },
    DescribeContainerInstances {
        cluster: String,
        arns: Vec<String>,
    },
    Drain {
        cluster: String,
        arn: String,
    },
    MarkCovered {
        cluster: String,
        arn: String,
        value: String,
    },
    /// A [`DrainApi`] call (scale-in drain).
    ScaleIn(DrainCall),
}

/// An in-memory [`CapacityApi`] that records its calls, for tests.
#[derive(Debug)]
pub struct FakeApi {
    pub observation: Mutex<Result<Observation, ApiError>>,
    /// `None`: the group is unknown.
    pub group: Mutex<Option<GroupState>>,
    /// When set, `set_desired` fails with this error.
    pub set_error: Mutex<Option<ApiError>>,
    /// When true, `set_desired` with the cooldown honoured answers `InCooldown`.
    pub in_cooldown: Mutex<bool>,
    /// Container instances by cluster name.
    pub container_instances: Mutex<Vec<(String, ContainerInstanceInfo)>>,
    /// When set, ECS calls fail with this error.
    pub ecs_error: Mutex<Option<ApiError>>,
    pub calls: Mutex<Vec<Call>>,
    /// [`DrainApi`] state: container instances, lifecycle actions, EC2.
    pub drain: Mutex<FakeDrain>,
}

impl FakeApi {
    pub fn new(observation: Observation, group: Option<GroupState>) -> Self {
        Self {
            observation: Mutex::new(Ok(observation)),
            group: Mutex::new(group),
            set_error: Mutex::new(None),
            in_cooldown: Mutex::new(false),
            container_instances: Mutex::new(Vec::new()),
            ecs_error: Mutex::new(None),
            calls: Mutex::new(Vec::new()),
            drain: Mutex::new(FakeDrain::default()),
        }
    }

    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }

    fn record(&self, c: Call) {
        self.calls.lock().unwrap().push(c);
    }

    /// The container instances of `cluster` that `keep` selects.
    fn instances_in(
        &self,
        cluster: &str,
        keep: impl Fn(&ContainerInstanceInfo) -> bool,
    ) -> Vec<ContainerInstanceInfo> {
        self.container_instances
            .lock()
            .unwrap()
            .iter()
            .filter(|(c, ci)| c == cluster && keep(ci))
            .map(|(_, ci)| ci.clone())
            .collect()
    }
}

impl CapacityApi for FakeApi {
    async fn observe_fleet(
        &self,
        fleet_id: &str,
        start: EpochSeconds,
        end: EpochSeconds,
    ) -> Result<Observation, ApiError> {
        self.record(Call::ObserveFleet {
            fleet_id: fleet_id.to_owned(),
            start,
            end,
        });
        self.observation.lock().unwrap().clone()
    }

    async fn describe_group(&self, name: &str) -> Result<GroupState, ApiError> {
        self.record(Call::DescribeGroup(name.to_owned()));
        self.group
            .lock()
            .unwrap()
            .ok_or_else(|| ApiError::GroupNotFound(name.to_owned()))
    }

    async fn set_desired(
        &self,
        name: &str,
        desired: u32,
        honor_cooldown: bool,
    ) -> Result<SetOutcome, ApiError> {
        self.record(Call::SetDesired {
            name: name.to_owned(),
            desired,
            honor_cooldown,
        });
        if let Some(e) = self.set_error.lock().unwrap().clone() {
            return Err(e);
        }
        if honor_cooldown && *self.in_cooldown.lock().unwrap() {
            return Ok(SetOutcome::InCooldown);
        }
        let mut g = self.group.lock().unwrap();
        match g.as_mut() {
            Some(g) => {
                g.desired = desired;
                Ok(SetOutcome::Applied)
            }
            None => Err(ApiError::GroupNotFound(name.to_owned())),
        }
    }
}

impl FakeApi {
    fn ecs_result(&self) -> Result<(), ApiError> {
        match self.ecs_error.lock().unwrap().clone() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    fn with_instance<T>(
        &self,
        cluster: &str,
        arn: &str,
        f: impl FnOnce(&mut ContainerInstanceInfo) -> T,
    ) -> Result<T, ApiError> {
        let mut all = self.container_instances.lock().unwrap();
        all.iter_mut()
            .find(|(c, ci)| c == cluster && ci.arn == arn)
            .map(|(_, ci)| f(ci))
            .ok_or_else(|| ApiError::Refused {
                service: "ecs",
                op: "UpdateContainerInstancesState",
                code: "MISSING".into(),
                message: arn.to_owned(),
            })
    }
}

impl ClusterApi for FakeApi {
    async fn list_container_instances(
        &self,
        cluster: &str,
        ec2_instance_id: &str,
    ) -> Result<Vec<String>, ApiError> {
        self.record(Call::ListContainerInstances {
            cluster: cluster.to_owned(),
            ec2_instance_id: ec2_instance_id.to_owned(),
        });
        self.ecs_result()?;
        Ok(self
            .instances_in(cluster, |ci| {
                ci.ec2_instance_id.as_deref() == Some(ec2_instance_id)
            })
            .into_iter()
            .map(|ci| ci.arn)
            .collect())
    }

    async fn describe_container_instances(
        &self,
        cluster: &str,
        arns: &[String],
    ) -> Result<Vec<ContainerInstanceInfo>, ApiError> {
        self.record(Call::DescribeContainerInstances {
            cluster: cluster.to_owned(),
            arns: arns.to_vec(),
        });
        self.ecs_result()?;
        Ok(self.instances_in(cluster, |ci| arns.contains(&ci.arn)))
    }

    async fn drain(&self, cluster: &str, arn: &str) -> Result<(), ApiError> {
        self.record(Call::Drain {
            cluster: cluster.to_owned(),
            arn: arn.to_owned(),
        });
        self.ecs_result()?;
        self.with_instance(cluster, arn, |ci| ci.status = "DRAINING".into())
    }

    async fn mark_covered(&self, cluster: &str, arn: &str, value: &str) -> Result<(), ApiError> {
        self.record(Call::MarkCovered {
            cluster: cluster.to_owned(),
            arn: arn.to_owned(),
            value: value.to_owned(),
        });
        self.ecs_result()?;
        self.with_instance(cluster, arn, |ci| ci.covered = Some(value.to_owned()))
    }
}
