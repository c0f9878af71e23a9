//! The `strata` command: runs the server and the operator tools.

mod backup;
mod client;
mod codec_report;
mod import;
mod inspect;
mod query;
mod restore;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// mimalloc rather than the system allocator: the server's resident memory after a
/// high-cardinality ingest is about a third lower with it (freed pages go back to the
/// system; glibc's arenas keep the holes the MemTables' vectors leave).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Strata: a time-series database.
#[derive(Debug, Parser)]
#[command(name = "strata", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the HTTP server (API.md) on a data directory. Every option can come from a TOML
    /// file (--config), a STRATA_* environment variable or a flag (that order of precedence,
    /// lowest first). Logs go to stderr (filter with RUST_LOG); `listening on ADDR` goes to
    /// stdout once the port is bound. SIGINT/SIGTERM drain requests and close the engine.
    Serve(Box<strata_server::ServeArgs>),
    /// Send a file of points (line protocol, or CSV `series,timestamp,value` with ms
    /// timestamps) to a running server, in batches.
    Import(import::ImportArgs),
    /// Query a running server (POST /query) and print a table or the JSON answer.
    Query(query::QueryArgs),
    /// List the partitions, levels and SSTables of a data directory (stop the server first);
    /// --verify checks every block checksum.
    Inspect(inspect::InspectArgs),
    /// Back up a running server (every database) to an object store or a directory: online,
    /// consistent, incremental (tables already in the destination are not sent again).
    Backup(backup::BackupArgs),
    /// Rebuild a data directory from a backup (the newest snapshot unless --snapshot).
    Restore(restore::RestoreArgs),
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
        Command::Serve(args) => serve(&args),
        Command::Import(args) => report(import::run(&args)),
        Command::Query(args) => report(query::run(&args)),
        Command::Inspect(args) => inspect::run(&args),
        Command::Backup(args) => report(backup::run(&args)),
        Command::Restore(args) => report(restore::run(&args)),
        Command::CodecReport { file, block_points } => match codec_report::run(&file, block_points)
        {
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

fn serve(args: &strata_server::ServeArgs) -> ExitCode {
    strata_server::logging::init();
    let config = match args.load() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(strata_server::serve(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn report(result: Result<(), client::CliError>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
