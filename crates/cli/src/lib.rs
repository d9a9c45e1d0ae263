//! The `spotcover` command: flags, and the glue from files to the stack crate and back.

pub mod asset;
pub mod cli;
pub mod input;
pub mod synth;
