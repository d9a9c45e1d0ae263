//! The three AWS calls the reconciler needs, behind a small trait.

use serde::Serialize;
use spotcover_reconciler_core::{EpochSeconds, GroupState, Observation};
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
    pub calls: Mutex<Vec<Call>>,
}

impl FakeApi {
    pub fn new(observation: Observation, group: Option<GroupState>) -> Self {
        Self {
            observation: Mutex::new(Ok(observation)),
            group: Mutex::new(group),
            set_error: Mutex::new(None),
            in_cooldown: Mutex::new(false),
            calls: Mutex::new(Vec::new()),
        }
    }

    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }

    fn record(&self, c: Call) {
        self.calls.lock().unwrap().push(c);
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
