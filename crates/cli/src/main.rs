//! The `strata` command: runs the server and the operator tools.

mod codec_report;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Strata: a time-series database.
#[derive(Debug, Parser)]
#[command(name = "strata", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print bytes per point of every codec scheme on a file of points (CSV
    /// `series,timestamp,value` with ms timestamps, or line protocol with ns timestamps).
    CodecReport {
        /// The file to read.
        file: PathBuf,
        /// Points per block, as the SSTable writer cuts them.
        #[arg(long, default_value_t = strata_codec::DEFAULT_BLOCK_POINTS)]
        block_points: usize,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::CodecReport { file, block_points } => match codec_report::run(&file, block_points) {
            Ok(text) => {
                print!("{text}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        },
    }
}
