//! The `spotcover` command: flags, and the glue from files to the stack crate and back.

pub mod asset;
pub mod cli;
pub mod history;
pub mod input;
// Shared with build.rs, which uses all of it.
#[allow(dead_code)]
mod lambda_build;
pub mod synth;
pub mod tune;
