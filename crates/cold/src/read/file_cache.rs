//! The local disk cache of cold files (`--cold-cache-bytes`): whole Parquet objects fetched
//! from the store, kept under `<data-dir>/cold-cache/` up to a byte budget, least recently
//! used out first. A cached file is memory-mapped when opened. The cache is an optimisation
//! only: a file too large for it, a full disk or a failed write leave the file read from the
//! store for that query (logged), never an error; every file is checked against the
//! manifest's size and CRC-32C whether it came from the store or from here.

use std::fs;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use parking_lot::Mutex;

use super::lru::ByteLru;

/// See the module documentation.
#[derive(Debug)]
pub struct FileCache {
    dir: PathBuf,
    lru: Mutex<ByteLru<String, ()>>,
}

impl FileCache {
    /// The cache in `dir` (created if missing) holding at most `capacity` bytes; the files
    /// already there are kept, oldest first out, down to the budget.
    pub fn open(dir: &Path, capacity: u64) -> std::io::Result<FileCache> {
        fs::create_dir_all(dir)?;
        let mut found: Vec<(std::time::SystemTime, String, u64)> = Vec::new();
        for entry in fs::read_dir(dir)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let meta = entry.metadata()?;
            if !name.ends_with(".parquet") || !meta.is_file() {
                // Leftovers of an interrupted write.
                let _ = fs::remove_file(entry.path());
                continue;
            }
            let used = meta.modified().unwrap_or(std::time::UNIX_EPOCH);
            found.push((used, name, meta.len()));
        }
        found.sort();
        let cache = FileCache {
            dir: dir.to_path_buf(),
            lru: Mutex::new(ByteLru::new(capacity)),
        };
        for (_, name, size) in found {
            cache.admit(name, size);
        }
        Ok(cache)
    }

    /// The cached file `name`, mapped; `None` when it is not cached.
    pub fn load(&self, name: &str) -> Option<Bytes> {
        self.lru.lock().get(&name.to_string())?;
        let path = self.dir.join(name);
        let file = fs::File::open(&path).ok()?;
        // SAFETY: cache files are written whole under a temporary name and renamed into
        // place, never modified afterwards; an eviction unlinks the file, which leaves an
        // existing mapping intact.
        match unsafe { memmap2::Mmap::map(&file) } {
            Ok(map) => Some(Bytes::from_owner(map)),
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "cannot map a cached cold file");
                self.lru.lock().remove(&name.to_string());
                None
            }
        }
    }

    /// Keeps `bytes` as `name` if they fit the budget (evicting older files).
    pub fn keep(&self, name: &str, bytes: &[u8]) {
        if !self.lru.lock().fits(bytes.len() as u64) {
            return;
        }
        let path = self.dir.join(name);
        let tmp = self.dir.join(format!("{name}.tmp"));
        let written = fs::write(&tmp, bytes).and_then(|()| fs::rename(&tmp, &path));
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            tracing::warn!(path = %path.display(), error = %e, "cannot keep a cold file in the local cache; it is read from the object store");
            return;
        }
        self.admit(name.to_string(), bytes.len() as u64);
    }

    /// Drops `name` (found damaged).
    pub fn forget(&self, name: &str) {
        self.lru.lock().remove(&name.to_string());
        let _ = fs::remove_file(self.dir.join(name));
    }

    fn admit(&self, name: String, size: u64) {
        let (kept, evicted) = self.lru.lock().insert(name.clone(), (), size);
        for (old, ()) in evicted {
            if old != name {
                let _ = fs::remove_file(self.dir.join(&old));
            }
        }
        if !kept {
            let _ = fs::remove_file(self.dir.join(&name));
        }
    }

    /// Bytes and files held.
    pub fn usage(&self) -> (u64, usize) {
        let lru = self.lru.lock();
        (lru.bytes(), lru.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_files_within_the_budget_across_restarts() {
        let dir = tempfile::tempdir().unwrap();
        let cache = FileCache::open(dir.path(), 10).unwrap();
        cache.keep("a.parquet", b"aaaa");
        cache.keep("b.parquet", b"bbbb");
        assert_eq!(&cache.load("a.parquet").unwrap()[..], b"aaaa");
        cache.keep("c.parquet", b"cccc"); // b goes
        assert!(cache.load("b.parquet").is_none());
        assert!(!dir.path().join("b.parquet").exists());
        cache.keep("big.parquet", &[0; 11]); // never fits
        assert!(cache.load("big.parquet").is_none());
        assert_eq!(cache.usage(), (8, 2));
        drop(cache);
        std::fs::write(dir.path().join("x.parquet.tmp"), b"partial").unwrap();
        let again = FileCache::open(dir.path(), 4).unwrap();
        assert_eq!(again.usage(), (4, 1), "down to the new budget");
        assert!(!dir.path().join("x.parquet.tmp").exists());
    }
}
