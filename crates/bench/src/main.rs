//! The `strata-bench` binary: parses the command line and runs the command.

use std::process::ExitCode;

use clap::Parser as _;
use strata_bench::cli::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match strata_bench::commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
