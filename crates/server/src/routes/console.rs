//! The web console: `GET /` is its page and `GET /console/<asset>` its scripts, styles and
//! the chart library, all embedded in the binary (`strata-console`). Every answer carries the
//! console's strict Content-Security-Policy and an `ETag` (a matching `If-None-Match` is a
//! `304`). The assets hold no data, so they are served without the auth token; the page asks
//! for it before it calls the API.

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use strata_console::Asset;

use crate::error::ServerError;

/// True for the paths the console's assets live at (exempt from authentication).
pub fn is_console_path(path: &str) -> bool {
    path == "/" || path.starts_with("/console/")
}

/// `GET /`: the console's page.
pub async fn index(headers: HeaderMap) -> Response {
    serve(strata_console::index(), &headers)
}

/// `GET /console/{*name}`: one asset, or the JSON 404.
pub async fn asset(Path(name): Path<String>, headers: HeaderMap) -> Result<Response, ServerError> {
    strata_console::get(&name)
        .map(|a| serve(a, &headers))
        .ok_or_else(|| ServerError::NotFound(format!("no console asset {name:?}")))
}

fn serve(asset: &'static Asset, headers: &HeaderMap) -> Response {
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == asset.etag));
    let mut resp = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static(asset.content_type),
            )],
            asset.bytes,
        )
            .into_response()
    };
    let h = resp.headers_mut();
    h.insert(header::ETAG, HeaderValue::from_static(asset.etag));
    // Revalidate on every load, so an upgraded server is never shown with old scripts.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(strata_console::CONTENT_SECURITY_POLICY),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    resp
}
