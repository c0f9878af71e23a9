//! The LSM tree's maintenance, from MemTable to disk and down the levels: the [`manifest`]
//! records the live files as atomic edits, a [`version`] is the immutable set a reader holds,
//! [`tables`] commits changes to it, and the jobs that make them: [`flush`] (MemTable -> L0
//! per [`partition`]), [`compaction`] (a partition's files -> one L1 file, merged with the
//! [`column_walk`]), [`rollup`] (old partitions -> L2 summaries), [`retention`] (expired
//! partitions dropped), [`tombstones`] (deletes no data needs any more) and [`offload`]
//! (an exported partition's local copy -> a cold listing). Each job but flush is a pure
//! `plan(&Version, ..)` and a `run` that carries one task out; none of them knows the engine
//! that schedules them.

pub mod column_walk;
pub mod compaction;
pub mod flush;
pub mod manifest;
pub mod offload;
pub mod partition;
pub mod retention;
pub mod rollup;
pub mod table_output;
pub mod tables;
pub mod tombstones;
pub mod version;
