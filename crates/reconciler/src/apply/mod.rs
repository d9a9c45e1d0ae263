//! The apply steps the handlers and policies share: carrying out the core's decisions through the
//! adapters, in an order that is safe to repeat and to race, each recorded in the report.
//!
//! - [`drain`]: the lifecycle hook's steps and a fleet surplus plan;
//! - [`drain_pass`]: the pass over the cluster's instances every fleet-engine policy's
//!   run ends with (the hook's instances, claimed covers, the fleet's surplus);
//! - [`cover`]: the claim that makes an interruption's cover happen once.

pub(crate) mod cover;
pub(crate) mod drain;
pub(crate) mod drain_pass;
