//! Why a call or an invocation failed: [`ApiError`] (one AWS call) and [`Error`] (the
//! invocation). Neither ever leads to an action.

use spotcover_reconciler_core::contract::events::EventError;

use crate::config::{self, ConfigError};

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

/// Why an invocation failed. None of these leads to any action.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("configuration: {0}")]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Event(#[from] EventError),
    #[error(
        "no fleet id: the event names none and {} is not set",
        config::ENV_FLEET_ID
    )]
    NoFleetId,
    #[error(
        "an EC2 instance notice needs the stack's ECS cluster, and {} is not set",
        config::ENV_CLUSTER
    )]
    NoCluster,
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The cover's claim did not read back after its write: the group is not raised.
    #[error("the cover's claim did not read back (found {0}); not raising the group")]
    ClaimLost(String),
    /// `UpdateContainerInstancesState` DRAINING answered, and ECS read again still does not
    /// show the instance DRAINING (the write was lost).
    #[error("the instance is not DRAINING after its drain was acknowledged; drain again")]
    DrainLost,
    /// `engine: asg`: the fallback's settings, its state tag, or a step it refuses.
    #[error("{message}")]
    Fallback { kind: &'static str, message: String },
}

impl Error {
    /// A snake_case name for the log line and the Lambda error type.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Config(_) => "config",
            Error::Event(_) => "malformed_event",
            Error::NoFleetId => "no_fleet_id",
            Error::NoCluster => "no_cluster",
            Error::Api(e) => e.kind(),
            Error::ClaimLost(_) => "claim_lost",
            Error::DrainLost => "drain_lost",
            Error::Fallback { kind, .. } => kind,
        }
    }
}
