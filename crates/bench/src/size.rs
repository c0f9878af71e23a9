//! Bytes on disk: `du` of a directory (allocated blocks, and the apparent size), with a
//! breakdown by top-level entry, and bytes per field value and per series.

use std::os::unix::fs::MetadataExt as _;
use std::path::Path;

use crate::error::{BenchError, Result};
use crate::stats::fmt_bytes;

/// Size of a directory tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DiskUsage {
    /// Allocated bytes (`st_blocks * 512`), what `du` prints.
    pub allocated: u64,
    /// Sum of file lengths (`du --apparent-size`).
    pub apparent: u64,
    /// Regular files.
    pub files: u64,
}

impl std::ops::AddAssign for DiskUsage {
    fn add_assign(&mut self, o: DiskUsage) {
        self.allocated += o.allocated;
        self.apparent += o.apparent;
        self.files += o.files;
    }
}

/// Walks `path` (not following symlinks).
pub fn du(path: &Path) -> Result<DiskUsage> {
    let meta = std::fs::symlink_metadata(path)
        .map_err(|e| BenchError::io(format!("stat {}", path.display()), e))?;
    let mut total = DiskUsage::default();
    if meta.is_dir() {
        let entries = std::fs::read_dir(path)
            .map_err(|e| BenchError::io(format!("listing {}", path.display()), e))?;
        for entry in entries {
            let entry =
                entry.map_err(|e| BenchError::io(format!("listing {}", path.display()), e))?;
            // A file removed while we walk (compaction) is skipped, not an error.
            match du(&entry.path()) {
                Ok(u) => total += u,
                Err(BenchError::Io { source, .. })
                    if source.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
    } else if meta.is_file() {
        total.allocated = meta.blocks() * 512;
        total.apparent = meta.len();
        total.files = 1;
    }
    Ok(total)
}

/// `du` of each top-level entry of `dir`, largest first, plus the total.
pub fn breakdown(dir: &Path) -> Result<(DiskUsage, Vec<(String, DiskUsage)>)> {
    let mut parts = Vec::new();
    let mut total = DiskUsage::default();
    let entries = std::fs::read_dir(dir)
        .map_err(|e| BenchError::io(format!("listing {}", dir.display()), e))?;
    for entry in entries.flatten() {
        if let Ok(u) = du(&entry.path()) {
            total += u;
            parts.push((entry.file_name().to_string_lossy().into_owned(), u));
        }
    }
    parts.sort_by_key(|p| std::cmp::Reverse(p.1.allocated));
    Ok((total, parts))
}

/// A one-line-per-entry description of a [`breakdown`]; entries under 1% are summed.
pub fn describe(
    total: &DiskUsage,
    parts: &[(String, DiskUsage)],
    values: u64,
    series: u64,
) -> String {
    let mut s = format!(
        "{} allocated ({} apparent) in {} files: {:.3} bytes per field value, {} per series\n",
        fmt_bytes(total.allocated),
        fmt_bytes(total.apparent),
        total.files,
        total.allocated as f64 / values.max(1) as f64,
        fmt_bytes(total.allocated / series.max(1)),
    );
    let mut small = DiskUsage::default();
    let mut small_n = 0;
    for (name, u) in parts {
        if u.allocated * 100 >= total.allocated.max(1) {
            s.push_str(&format!(
                "    {:<28} {:>12}  ({} files)\n",
                name,
                fmt_bytes(u.allocated),
                u.files
            ));
        } else {
            small += *u;
            small_n += 1;
        }
    }
    if small_n > 0 {
        s.push_str(&format!(
            "    {:<28} {:>12}  ({} files)\n",
            format!("{small_n} smaller entries"),
            fmt_bytes(small.allocated),
            small.files
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_a_tree() {
        let dir = std::env::temp_dir().join(format!("strata-bench-du-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("a/b")).unwrap();
        std::fs::write(dir.join("a/b/f1"), vec![1u8; 10_000]).unwrap();
        std::fs::write(dir.join("f2"), vec![2u8; 100]).unwrap();
        let u = du(&dir).unwrap();
        assert_eq!((u.apparent, u.files), (10_100, 2));
        assert!(u.allocated >= 8192);
        let (total, parts) = breakdown(&dir).unwrap();
        assert_eq!(total, u);
        assert_eq!(parts[0].0, "a");
        assert!(describe(&total, &parts, 100, 10).contains("bytes per field value"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
