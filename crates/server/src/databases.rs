//! Databases: named namespaces, each its own engine over its own directory, as each InfluxDB
//! 1.x database has its own shards, WAL and cache. The default database (named
//! [`DEFAULT_DATABASE`]) is the data directory itself, so data written before databases
//! existed belongs to it; every other database lives in `<data_dir>/databases/<name>/`, its
//! name percent-encoded where a byte is not `[A-Za-z0-9_-]` (any name InfluxDB takes works,
//! and no name can climb out of the folder).
//!
//! A database is created by `CREATE DATABASE` or by its first write; `DROP DATABASE` renames
//! its directory out of sight at once (`databases/.dropped-*`: the name is free again and no
//! reader finds it), closes its engine once the requests using it are done, and deletes the
//! files. A drop interrupted by a crash is finished at the next start.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::RwLock;
use strata_engine::{Engine, EngineOptions};

use crate::error::ServerError;
use crate::series_cache::SeriesCache;

/// The database of requests that name none.
pub const DEFAULT_DATABASE: &str = "default";

/// The folder of the non-default databases, below the data directory.
const DATABASES_DIR: &str = "databases";

/// The prefix of a dropped database's directory while its files are deleted.
const DROPPED_PREFIX: &str = ".dropped-";

/// Bytes each series cache (remote write, line protocol) of a database may hold (about
/// 100,000 series of Prometheus-sized label sets).
const SERIES_CACHE_BYTES: usize = 64 << 20;

/// Longest database name.
const MAX_NAME_BYTES: usize = 255;

/// One database: its engine and the ingest caches of series already turned into handles
/// (a handle remembers an id of its own engine's catalog, so the caches are per database).
#[derive(Debug)]
pub struct Database {
    name: String,
    engine: Arc<Engine>,
    rw_series: SeriesCache,
    lp_series: SeriesCache,
}

impl Database {
    fn new(name: String, engine: Engine) -> Database {
        Database::shared(name, Arc::new(engine))
    }

    fn shared(name: String, engine: Arc<Engine>) -> Database {
        Database {
            name,
            engine,
            rw_series: SeriesCache::new(SERIES_CACHE_BYTES),
            lp_series: SeriesCache::new(SERIES_CACHE_BYTES),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    /// Remote-write label sets already turned into series.
    pub fn rw_series(&self) -> &SeriesCache {
        &self.rw_series
    }

    /// Line-protocol series texts already turned into series.
    pub fn lp_series(&self) -> &SeriesCache {
        &self.lp_series
    }
}

/// Every database of the server.
#[derive(Debug)]
pub struct Databases {
    /// The options every engine opens with (`data_dir` replaced per database).
    template: EngineOptions,
    default: Arc<Database>,
    /// The others, by name.
    others: RwLock<BTreeMap<String, Arc<Database>>>,
    /// Serialises creations and drops (opening an engine takes a while; two requests creating
    /// the same database must not both open it).
    changes: parking_lot::Mutex<()>,
    /// Run on every database, open now or created later (the cold tier installs its reader).
    on_open: RwLock<Option<OnOpen>>,
}

/// See [`Databases::set_on_open`].
#[derive(Clone)]
pub struct OnOpen(Arc<dyn Fn(&Database) + Send + Sync>);

impl std::fmt::Debug for OnOpen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OnOpen")
    }
}

impl Databases {
    /// Opens the default database at `template.data_dir` and every database below it;
    /// finishes drops a crash interrupted.
    pub fn open(template: EngineOptions) -> Result<Databases, ServerError> {
        let default = Database::new(
            DEFAULT_DATABASE.to_string(),
            Engine::open(template.clone())?,
        );
        let dbs = Databases {
            template,
            default: Arc::new(default),
            others: RwLock::new(BTreeMap::new()),
            changes: parking_lot::Mutex::new(()),
            on_open: RwLock::new(None),
        };
        let dir = dbs.root();
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(dbs),
            Err(e) => return Err(io_error(&dir, "list", e)),
        };
        let mut others = BTreeMap::new();
        for entry in entries {
            let entry = entry.map_err(|e| io_error(&dir, "list", e))?;
            let file = entry.file_name();
            let Some(file) = file.to_str() else { continue };
            let path = entry.path();
            if file.starts_with(DROPPED_PREFIX) {
                remove_dir(&path);
                continue;
            }
            let Some(name) = decode_name(file) else {
                tracing::warn!(dir = %path.display(), "ignoring a folder that names no database");
                continue;
            };
            tracing::info!(database = %name, "opening database");
            let engine = Engine::open(dbs.options_for(&path))?;
            others.insert(name.clone(), Arc::new(Database::new(name, engine)));
        }
        *dbs.others.write() = others;
        Ok(dbs)
    }

    /// Databases over an engine already open as the default one (tests that inject faults,
    /// embedders); other databases are created below `template.data_dir` as usual.
    pub fn over(default: Arc<Engine>, template: EngineOptions) -> Databases {
        Databases {
            template,
            default: Arc::new(Database::shared(DEFAULT_DATABASE.to_string(), default)),
            others: RwLock::new(BTreeMap::new()),
            changes: parking_lot::Mutex::new(()),
            on_open: RwLock::new(None),
        }
    }

    /// Runs `hook` on every database now, and on each created from now on before any
    /// request sees it.
    pub fn set_on_open(&self, hook: impl Fn(&Database) + Send + Sync + 'static) {
        let _changing = self.changes.lock();
        let hook = OnOpen(Arc::new(hook));
        for db in self.all() {
            (hook.0)(&db);
        }
        *self.on_open.write() = Some(hook);
    }

    fn root(&self) -> PathBuf {
        self.template.data_dir.join(DATABASES_DIR)
    }

    fn options_for(&self, dir: &Path) -> EngineOptions {
        EngineOptions {
            data_dir: dir.to_path_buf(),
            ..self.template.clone()
        }
    }

    /// The retention every database has.
    pub fn retention(&self) -> Option<std::time::Duration> {
        self.template.retention
    }

    /// The default database.
    pub fn default_database(&self) -> &Arc<Database> {
        &self.default
    }

    /// The database `name` (the default one for `None` or an empty name), or a 404.
    pub fn get(&self, name: Option<&str>) -> Result<Arc<Database>, ServerError> {
        self.find(name)
            .ok_or_else(|| ServerError::DatabaseNotFound(name.unwrap_or_default().to_string()))
    }

    /// The database `name` if it exists.
    pub fn find(&self, name: Option<&str>) -> Option<Arc<Database>> {
        match name {
            None | Some("") | Some(DEFAULT_DATABASE) => Some(self.default.clone()),
            Some(n) => self.others.read().get(n).cloned(),
        }
    }

    /// The database `name`, created if it does not exist (a write's first sight of it, or
    /// `CREATE DATABASE`).
    pub fn get_or_create(&self, name: Option<&str>) -> Result<Arc<Database>, ServerError> {
        if let Some(db) = self.find(name) {
            return Ok(db);
        }
        let name = name.unwrap_or_default();
        check_name(name)?;
        let _changing = self.changes.lock();
        if let Some(db) = self.find(Some(name)) {
            return Ok(db);
        }
        let dir = database_dir(&self.template.data_dir, name);
        tracing::info!(database = %name, "creating database");
        let engine = Engine::open(self.options_for(&dir))?;
        let db = Arc::new(Database::new(name.to_string(), engine));
        if let Some(hook) = self.on_open.read().clone() {
            (hook.0)(&db);
        }
        self.others.write().insert(name.to_string(), db.clone());
        Ok(db)
    }

    /// Drops database `name` and deletes its data; `false` if it did not exist. The default
    /// database cannot be dropped (its directory is the data directory).
    pub fn drop_database(&self, name: &str) -> Result<bool, ServerError> {
        if name.is_empty() || name == DEFAULT_DATABASE {
            return Err(ServerError::bad(
                "invalid_database",
                format!("the default database {DEFAULT_DATABASE:?} cannot be dropped"),
            ));
        }
        let _changing = self.changes.lock();
        let Some(db) = self.others.read().get(name).cloned() else {
            return Ok(false);
        };
        let dir = database_dir(&self.template.data_dir, name);
        let gone = self.root().join(format!(
            "{DROPPED_PREFIX}{}-{}",
            encode_name(name),
            strata_engine::now_ns()
        ));
        std::fs::rename(&dir, &gone).map_err(|e| io_error(&dir, "rename", e))?;
        self.others.write().remove(name);
        // Requests still holding the database finish on the renamed directory; the engine
        // closes and its files go once the last of them lets go.
        std::thread::Builder::new()
            .name("strata-drop-db".into())
            .spawn(move || {
                let mut db = db;
                loop {
                    match Arc::try_unwrap(db) {
                        Ok(only) => {
                            if let Err(e) = only.engine.close() {
                                tracing::warn!(error = %e, "closing a dropped database");
                            }
                            break;
                        }
                        Err(shared) => {
                            db = shared;
                            std::thread::sleep(std::time::Duration::from_millis(50));
                        }
                    }
                }
                remove_dir(&gone);
            })
            .map_err(|e| ServerError::Internal(format!("cannot start the drop thread: {e}")))?;
        Ok(true)
    }

    /// Every database, the default first, then the others by name.
    pub fn all(&self) -> Vec<Arc<Database>> {
        let mut v = vec![self.default.clone()];
        v.extend(self.others.read().values().cloned());
        v
    }

    /// Closes every engine (flushing their MemTables); the first failure is returned after
    /// all were tried.
    pub fn close(&self) -> Result<(), ServerError> {
        let mut first = None;
        for db in self.all() {
            if let Err(e) = db.engine.close() {
                tracing::error!(database = %db.name, error = %e, "closing the database failed");
                first.get_or_insert(e);
            }
        }
        match first {
            Some(e) => Err(e.into()),
            None => Ok(()),
        }
    }
}

fn io_error(path: &Path, op: &str, e: std::io::Error) -> ServerError {
    ServerError::Internal(format!("cannot {op} {}: {e}", path.display()))
}

fn remove_dir(path: &Path) {
    if let Err(e) = std::fs::remove_dir_all(path) {
        tracing::warn!(dir = %path.display(), error = %e, "cannot delete a dropped database");
    }
}

/// A name a database may have: not empty, at most 255 bytes, no control characters.
pub fn check_name(name: &str) -> Result<(), ServerError> {
    if name.is_empty() || name.len() > MAX_NAME_BYTES || name.chars().any(char::is_control) {
        return Err(ServerError::bad(
            "invalid_database",
            format!(
                "invalid database name {name:?}: 1 to {MAX_NAME_BYTES} bytes, no control characters"
            ),
        ));
    }
    Ok(())
}

/// The data directory of database `name` under the server's `data_dir` (what `strata
/// restore` rebuilds): the directory itself for the default database.
pub fn database_dir(data_dir: &Path, name: &str) -> PathBuf {
    if name == DEFAULT_DATABASE {
        data_dir.to_path_buf()
    } else {
        data_dir.join(DATABASES_DIR).join(encode_name(name))
    }
}

/// The directory name of database `name`: bytes outside `[A-Za-z0-9_-]` as `%XX`.
fn encode_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The database a directory name is the [`encode_name`] of.
fn decode_name(file: &str) -> Option<String> {
    let bytes = file.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    let name = String::from_utf8(out).ok()?;
    (encode_name(&name) == file).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_directory_names() {
        for name in ["telegraf", "my db", "a/b", "..", "ünï", "x%41"] {
            let file = encode_name(name);
            assert!(
                file.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'%')
            );
            assert_eq!(decode_name(&file).as_deref(), Some(name));
        }
        assert_eq!(decode_name("%4"), None);
        assert_eq!(decode_name(".dropped-x"), None);
    }

    #[test]
    fn create_write_reopen_and_drop() {
        let dir = tempfile::tempdir().unwrap();
        let opts = EngineOptions::manual(dir.path());
        let dbs = Databases::open(opts.clone()).unwrap();
        assert!(dbs.find(Some("app")).is_none());
        let app = dbs.get_or_create(Some("app")).unwrap();
        app.engine()
            .write(&[strata_engine::Point {
                series: strata_engine::SeriesKey::new("m", vec![]),
                fields: vec![("v".into(), strata_engine::FieldValue::Float(1.0))],
                timestamp: 1,
            }])
            .unwrap();
        assert_eq!(
            dbs.default_database()
                .engine()
                .catalog()
                .measurements()
                .len(),
            0
        );
        drop(app);
        dbs.close().unwrap();
        drop(dbs);

        let dbs = Databases::open(opts.clone()).unwrap();
        let names: Vec<String> = dbs.all().iter().map(|d| d.name().to_string()).collect();
        assert_eq!(names, ["default", "app"]);
        let app = dbs.get(Some("app")).unwrap();
        assert_eq!(app.engine().catalog().measurements(), ["m"]);
        assert!(dbs.drop_database("app").unwrap());
        assert!(!dbs.drop_database("app").unwrap());
        assert!(dbs.drop_database("default").is_err());
        drop(app);
        let root = dir.path().join(DATABASES_DIR);
        for _ in 0..100 {
            if std::fs::read_dir(&root).unwrap().count() == 0 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        assert_eq!(
            std::fs::read_dir(&root).unwrap().count(),
            0,
            "files deleted"
        );
        let again = dbs.get_or_create(Some("app")).unwrap();
        assert!(again.engine().catalog().measurements().is_empty());
    }
}
