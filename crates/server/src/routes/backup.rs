//! Online backup (extensions of API.md, what `strata backup` calls):
//! - `POST /api/v1/admin/backup` pins a consistent view of every database (MemTables flushed
//!   first) and answers its contents: `{"backup": ID, "created_ns": N, "databases": [{"name",
//!   "tables": [{"id", "level", "partition", "min_ts", "max_ts", "max_seq", "size",
//!   "points"}], "tombstones": [{"series", "start", "end", "seq"}], "next_file_id",
//!   "last_seq"}]}`;
//! - `GET /api/v1/admin/backup/{id}/{database}/{table}` streams one of its SSTables;
//! - `DELETE /api/v1/admin/backup/{id}` releases the view (idle views are released after an
//!   hour).

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use strata_cold::backup::{DatabaseBackup, PinnedView};
use tokio_util::io::ReaderStream;

use crate::error::ServerError;
use crate::routes::blocking;
use crate::state::AppState;

/// `POST /api/v1/admin/backup`.
pub async fn start(State(state): State<AppState>) -> Result<Json<PinnedView>, ServerError> {
    let st = state.clone();
    blocking(move || {
        let created_ns = strata_engine::now_ns();
        let mut views = Vec::new();
        for db in st.databases().all() {
            views.push((
                db.name().to_string(),
                std::sync::Arc::new(db.engine().backup_view()?),
            ));
        }
        let databases = views
            .iter()
            .map(|(name, v)| DatabaseBackup::of(name, &v.contents))
            .collect();
        let backup = st.backups().start(created_ns, views);
        tracing::info!(backup = %backup, "backup view pinned");
        Ok(Json(PinnedView {
            backup,
            created_ns,
            databases,
        }))
    })
    .await
}

/// `GET /api/v1/admin/backup/{id}/{database}/{table}`.
pub async fn table(
    State(state): State<AppState>,
    Path((id, database, table)): Path<(String, String, u64)>,
) -> Result<Response, ServerError> {
    let session = state
        .backups()
        .get(&id)
        .ok_or_else(|| ServerError::NotFound(format!("no backup {id:?} (finished or expired)")))?;
    let path = session
        .view(&database)
        .and_then(|v| v.table_path(table))
        .ok_or_else(|| {
            ServerError::NotFound(format!(
                "backup {id} has no table {table} of database {database:?}"
            ))
        })?;
    let file = tokio::fs::File::open(&path)
        .await
        .map_err(|e| ServerError::Engine(strata_engine::Error::io("open", &path, e)))?;
    let mut resp = Body::from_stream(ReaderStream::with_capacity(file, 1 << 20)).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    Ok(resp)
}

/// `DELETE /api/v1/admin/backup/{id}`.
pub async fn finish(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ServerError> {
    if !state.backups().finish(&id) {
        return Err(ServerError::NotFound(format!(
            "no backup {id:?} (finished or expired)"
        )));
    }
    Ok(Json(json!({"backup": id, "released": true})))
}
