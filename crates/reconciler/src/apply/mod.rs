//! The apply steps the handlers share: carrying out the core's decisions through the
//! adapters, in an order that is safe to repeat and to race, each recorded in the report.
//!
//! - [`drain`]: the lifecycle hook's steps and a fleet surplus plan;
//! - [`cover`]: the claim that makes an interruption's cover happen once.

pub(crate) mod cover;
pub(crate) mod drain;
