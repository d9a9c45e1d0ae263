use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    spotcover::cli::run(spotcover::cli::Cli::parse())
}
