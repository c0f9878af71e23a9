//! Reading the cold tier back: queries of exported partitions (see [`reader`]), through a
//! local disk cache of whole files ([`file_cache`]), opened files with their series index
//! and decoded row groups ([`cold_file`]), all bounded by [`lru`].

pub mod cold_file;
pub mod file_cache;
pub mod lru;
pub mod reader;

pub use reader::{CacheStats, ColdCaches, ColdReader};
