//! The file-system abstraction every engine file access goes through.
//!
//! Engine code never calls `std::fs` directly: it holds an
//! `Arc<dyn FileSystem>`. Production uses [`StdFs`]; tests wrap it in
//! [`FaultyFs`] to inject ENOSPC, EIO, short writes and latency, and to count
//! calls, or use [`PowerLossFs`] to cut the power and drop what was not durable. The traits are deliberately small: only what a log-structured engine
//! needs (append-only writes, positional reads, atomic rename, directory fsync).
//!
//! Durability contract: nothing written through a [`WritableFile`] is durable
//! until [`WritableFile::sync_data`] returned `Ok`; a newly created, renamed or
//! removed directory entry is durable only after [`FileSystem::sync_dir`] on
//! its directory. [`FileSystem::truncate`] is durable when it returns.

mod faulty;
mod fs;
mod lock;
mod power_loss;
mod std_fs;

pub use faulty::{FaultStats, FaultyFs};
pub use fs::{FileSystem, ReadableFile, WritableFile, read_all};
pub use lock::FileLock;
pub use power_loss::PowerLossFs;
pub use std_fs::StdFs;
