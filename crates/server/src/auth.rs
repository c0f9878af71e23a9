//! Optional bearer-token authentication. When a token is configured, every route but
//! `/health`, `/ping` (InfluxDB's unauthenticated liveness check) and the console's assets
//! (`/`, `/console/*`: no data; the page asks for the token) needs
//! `Authorization: Bearer <token>` or `Authorization: Token <token>` (the InfluxDB 2.x form,
//! so its client libraries work unchanged); anything else is a 401 (with `Connection: close`
//! when the refused request has a body, which is left unread). The comparison takes the same
//! time whatever the bytes of the offered token are.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ServerError;
use crate::state::AppState;

/// Compares `offered` with `expected` without an early exit on the first differing byte.
/// (The lengths are compared too; their difference is not secret.)
pub fn constant_time_eq(expected: &[u8], offered: &[u8]) -> bool {
    let diff = offered.iter().enumerate().fold(0u8, |acc, (i, &b)| {
        acc | (b ^ expected.get(i).copied().unwrap_or(!b))
    });
    (diff == 0) & (expected.len() == offered.len())
}

/// Checks the `Authorization` header against `token`.
pub fn check(headers: &HeaderMap, token: &str) -> Result<(), ServerError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(ServerError::Unauthorized(
            "missing Authorization header: send \"Authorization: Bearer <token>\"",
        ));
    };
    let value = value.to_str().unwrap_or_default().trim();
    let (scheme, offered) = value.split_once(' ').unwrap_or((value, ""));
    if !(scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("token")) {
        return Err(ServerError::Unauthorized(
            "unsupported Authorization scheme: use \"Bearer <token>\" or \"Token <token>\"",
        ));
    }
    if constant_time_eq(token.as_bytes(), offered.trim().as_bytes()) {
        Ok(())
    } else {
        Err(ServerError::Unauthorized("invalid token"))
    }
}

/// Middleware: enforces the token (if any) on every route but `/health`, `/ping` and the
/// console's assets.
pub async fn require_token(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if let Some(token) = state.auth_token() {
        let path = req.uri().path();
        if !matches!(path, "/health" | "/ping") && !crate::routes::console::is_console_path(path) {
            if let Err(e) = check(req.headers(), token) {
                return refuse(e, req.headers());
            }
        }
    }
    next.run(req).await
}

/// The 401 for a refused request. A body the client sent is left unread, so the connection
/// cannot carry another request: the answer says `Connection: close`, and a client does not
/// put it back in its pool to fail on its next request.
fn refuse(e: ServerError, headers: &HeaderMap) -> Response {
    let mut response = e.into_response();
    let has_body = headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get(header::CONTENT_LENGTH)
            .is_some_and(|v| v.as_bytes() != b"0");
    if has_body {
        response.headers_mut().insert(
            header::CONNECTION,
            axum::http::HeaderValue::from_static("close"),
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn comparison() {
        assert!(constant_time_eq(b"secret", b"secret"));
        assert!(!constant_time_eq(b"secret", b"secreT"));
        assert!(!constant_time_eq(b"secret", b"secre"));
        assert!(!constant_time_eq(b"secret", b"secrets"));
        assert!(!constant_time_eq(b"secret", b""));
        assert!(!constant_time_eq(b"", b"x"));
        assert!(constant_time_eq(b"", b""));
        // A byte equal to the complement of itself cannot exist, so a missing expected byte
        // never compares equal.
        assert!(!constant_time_eq(b"a", b"a\0"));
    }

    #[test]
    fn header_forms() {
        let mut h = HeaderMap::new();
        assert!(check(&h, "t0k").is_err());
        for (v, ok) in [
            ("Bearer t0k", true),
            ("bearer t0k", true),
            ("Token t0k", true),
            ("Bearer  t0k ", true),
            ("Bearer t0K", false),
            ("Basic t0k", false),
            ("t0k", false),
            ("Bearer", false),
        ] {
            h.insert(header::AUTHORIZATION, HeaderValue::from_static(v));
            assert_eq!(check(&h, "t0k").is_ok(), ok, "{v}");
        }
    }
}
