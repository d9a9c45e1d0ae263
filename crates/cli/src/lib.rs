//! The `spotcover` command: flags, and the glue from files to the stack crate and back.
//!
//! spotcover writes a CloudFormation template for ECS on a Spot Fleet whose target follows
//! the cluster's demand (what its services need, read from the ECS API by the reconciler),
//! with an on-demand Auto Scaling group the reconciler sizes to cover what spot cannot
//! deliver; the reconciler's zips are embedded in this binary (`build.rs`). `cli::run` is
//! the entry point: it runs each subcommand through `spotcover-stack` (load, compose,
//! diff, graph) and `spotcover-simulate`.

pub mod asset;
pub mod cli;
pub mod config_file;
pub mod history;
pub mod input;
// Shared with build.rs, which uses all of it.
#[allow(dead_code)]
mod lambda_build;
pub mod synth;
pub mod tune;
