//! The spotcover reconciler: the imperative shell around the pure decisions of
//! [`spotcover_reconciler_core`].
//!
//! # Layering
//!
//! Modules depend in one direction only, top to bottom:
//!
//! 1. [`handlers`]: one module per trigger (schedule, interruption notice, lifecycle
//!    hook, Spot Fleet event), each answering one [`Report`]. [`handle_event`]
//!    dispatches on the core's event parser.
//! 2. [`policies`]: the seam a handler hands its reads to, one module per policy
//!    (`demand`, the default; the `2017` rule), each doing observe -> the core's
//!    decision -> apply for its policy.
//! 3. `apply`: the apply steps the policies share (the drain's and the cover's calls,
//!    in an order that is safe to repeat and to race; the drain pass every run ends
//!    with).
//! 4. [`adapters`]: one trait per AWS service ([`adapters::FleetMetrics`],
//!    [`adapters::AutoScaling`], [`adapters::Ecs`], [`adapters::Ec2`]) and their one SDK
//!    implementation ([`adapters::sdk::SdkApi`]); no decision is made there.
//! 5. [`report`], [`error`], [`config`]: data (the log line, the errors, the settings read
//!    from the environment).
//! 6. The core crate: every decision, the container-instance model
//!    ([`spotcover_reconciler_core::ecs::ContainerInstance`]) and the event contract
//!    ([`spotcover_reconciler_core::contract::events`]).
//!
//! Tests drive the handlers through an in-memory fake of the adapters' traits, kept in
//! the tests (`tests/common`), not in this library.
//!
//! # AWS calls per run
//!
//! - Scheduled run: `GetMetricData` and `DescribeAutoScalingGroups` (concurrently),
//!   `SetDesiredCapacity` when the decision says so; with a cluster, the drain pass adds
//!   `ListContainerInstances` + `DescribeContainerInstances` when nothing drains (one
//!   call only for an empty cluster), and one or two calls per instance it acts on.
//! - Interruption notice: at most 9 (see [`handlers::notice`]).
//! - Lifecycle hook event: 2 to find the instance, then 1 to 3 (see
//!   [`handlers::lifecycle`]).

pub mod adapters;
mod apply;
pub mod config;
pub mod error;
pub mod fallback_run;
pub mod handlers;
pub mod metrics;
pub mod policies;
pub mod report;

use spotcover_reconciler_core::EpochSeconds;

pub use config::{Config, ConfigError};
pub use error::{ApiError, Error};
pub use handlers::handle_event;
pub use policies::rule_2017::reconcile;
pub use report::{Outcome, Report};

/// Seconds since the epoch, now.
pub fn now() -> EpochSeconds {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as EpochSeconds)
        .unwrap_or(0)
}
