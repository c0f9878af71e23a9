//! Online backups on the server side: a backup session pins one consistent view of every
//! database ([`strata_engine::BackupView`]: MemTables flushed, the version's SSTables kept on
//! disk whatever compaction does) until the client releases it, or until it has been idle
//! for [`SESSION_IDLE`] (a client killed mid-backup does not pin files for ever).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use strata_engine::BackupView;

/// A session nobody has read from for this long is released.
pub const SESSION_IDLE: Duration = Duration::from_secs(3600);

/// One backup in progress.
#[derive(Debug)]
pub struct Session {
    pub created_ns: i64,
    /// (database name, its pinned view), the default database first.
    pub views: Vec<(String, Arc<BackupView>)>,
    last_used: Mutex<Instant>,
}

impl Session {
    /// The view of `database`.
    pub fn view(&self, database: &str) -> Option<&Arc<BackupView>> {
        *self.last_used.lock() = Instant::now();
        self.views
            .iter()
            .find(|(n, _)| n == database)
            .map(|(_, v)| v)
    }
}

/// The sessions of a server.
#[derive(Debug, Default)]
pub struct Backups {
    sessions: Mutex<HashMap<String, Arc<Session>>>,
}

impl Backups {
    /// Registers a session; returns its id.
    pub fn start(&self, created_ns: i64, views: Vec<(String, Arc<BackupView>)>) -> String {
        let id = format!("{created_ns:020}");
        let session = Arc::new(Session {
            created_ns,
            views,
            last_used: Mutex::new(Instant::now()),
        });
        let mut s = self.sessions.lock();
        s.retain(|_, v| v.last_used.lock().elapsed() < SESSION_IDLE);
        s.insert(id.clone(), session);
        id
    }

    pub fn get(&self, id: &str) -> Option<Arc<Session>> {
        self.sessions.lock().get(id).cloned()
    }

    /// Releases a session (its files may then be deleted); false if there was none.
    pub fn finish(&self, id: &str) -> bool {
        self.sessions.lock().remove(id).is_some()
    }
}
