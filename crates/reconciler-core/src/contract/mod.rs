//! Everything the template and the reconciler Lambda must agree on, written once: the
//! stack composes from these items, the Lambda reads with them, and a stack test
//! (`crates/stack/tests/event_contract.rs`) feeds every composed rule, input, alarm and
//! environment of the examples through the Lambda's own parsers.
//!
//! - [`settings`]: the environment variables and their (de)serialisation, for the
//!   fleet engine's policies and ([`settings::fallback`]) `engine: asg`'s fallback;
//! - [`events`]: event sources and detail-types, the schedule's input, the alarm's
//!   dimension, the lifecycle transition, and [`events::parse`];
//! - [`attributes`]: ECS attribute names and values on container instances;
//! - [`tags`]: the groups' state tags and the instances' tags;
//! - [`metrics`]: the run's metric names, dimensions and unit;
//! - [`teardown`]: the teardown custom resource's properties;
//! - [`ids`]: the form of the AWS ids passed between them;
//! - [`names`]: a reason's name, from its enum's serde derive.
//!
//! A policy's defaults belong to the policy ([`crate::policy`]), not here.

pub mod attributes;
pub mod events;
pub mod ids;
pub mod metrics;
pub mod names;
pub mod settings;
pub mod tags;
pub mod teardown;
