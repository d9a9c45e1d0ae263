//! Pure decision logic of the spotcover reconciler.
//!
//! The reconciler Lambda keeps an on-demand Auto Scaling group ("the group") just
//! large enough to cover what spot capacity cannot deliver, gives it back when spot
//! returns, and never kills a running task. This crate holds every decision it makes,
//! as pure functions of (settings, observations, state, now): no I/O, no clock, no AWS
//! types.
//!
//! # Policies
//!
//! The template chooses one policy (`SPOTCOVER_POLICY`, [`contract::settings`]); each is
//! one module under [`policy`], named alike: `Settings`, `Observation`, `Decision`,
//! `Reason`, `State` (what survives between runs, kept in a tag of the group) and a
//! pure `decide`.
//!
//! - [`policy::demand`], the default: the fleet's target and the on-demand cover from
//!   what the cluster needs now, as the ECS API shows it.
//! - [`policy::rule_2017`], `policy: 2017`, kept for comparison: the cover follows the
//!   fleet's pending capacity in CloudWatch's `AWS/EC2Spot` metrics.
//! - [`policy::fallback`], for `engine: asg`: spot on an Auto Scaling group, and the
//!   group's on-demand base raised while spot fails.
//!
//! Decisions several policies share are modules of their own: [`interruption`] (a spot
//! interruption warning or rebalance recommendation), [`drain`] (scale-in: the lifecycle
//! hook and the fleet's surplus) and [`ecs`] (the one model of a container instance).
//!
//! # Contracts
//!
//! Everything the template and the Lambda must agree on (environment variables, event
//! sources and detail-types, schedule inputs, ECS attributes, tags, metrics, the teardown
//! custom resource's properties, id formats) is written once under [`contract`]; the
//! stack composes from it and the Lambda parses with it.
//!
//! The crate root keeps only the primitives every policy shares: [`EpochSeconds`],
//! [`GroupState`] (with its one clamp to the group's bounds), [`Action`], [`Bound`], and
//! the rounding and epoch helpers.

// No I/O here (ARCHITECTURE.md): printing, and the file-system, environment and process
// calls in clippy.toml, do not compile.
#![deny(
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::disallowed_methods,
    clippy::disallowed_types
)]

pub mod contract;
pub mod custom_resource;
pub mod drain;
pub mod ecs;
pub mod interruption;
pub mod launch_failure;
pub mod policy;

pub mod group;
pub mod time;

pub use group::{Action, Bound, GroupState};
pub use time::EpochSeconds;
