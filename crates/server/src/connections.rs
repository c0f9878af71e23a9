//! Client connections: the accept loop and the life of each connection, with the limits a
//! server facing slow or hostile clients needs (what `axum::serve` does not offer).
//!
//! - At most `max_connections` are open; past that the loop stops accepting (clients wait in
//!   the kernel's listen backlog), as Go's `netutil.LimitListener` does.
//! - A connection that is not inside a request is watched: a client must send a request's
//!   headers within `header_timeout` of connecting, or of the first byte it sends after an
//!   idle wait; an idle keep-alive connection is closed after `idle_timeout`. The request
//!   body has `body_timeout` (enforced where it is read, a 408).
//! - On shutdown the loop stops accepting; connections between requests (idle, or sending
//!   headers slowly) are closed at once, and those inside a request finish it and close.
//!   [`serve`] returns when every connection is gone; the caller bounds the wait.
//!
//! Each connection is HTTP/1.1 served by hyper; a request goes to the axum router as is.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, Semaphore, watch};
use tower::ServiceExt;

/// The connection limits (from `[limits]`).
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    pub header_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_connections: usize,
}

/// "No time": an unset instant in [`Activity`]'s millisecond fields.
const NEVER: u64 = u64::MAX;

/// What a connection is doing, as the watchdog sees it. Times are milliseconds since the
/// connection was accepted.
#[derive(Debug)]
struct Activity {
    opened: Instant,
    /// Requests being handled (more than one only with pipelining).
    in_request: AtomicUsize,
    /// Requests handled so far.
    served: AtomicU64,
    /// When the connection last became idle (accept, or a response handed to hyper).
    idle_since: AtomicU64,
    /// When the first byte arrived after it became idle ([`NEVER`] if none yet).
    first_byte: AtomicU64,
    /// Wakes the watchdog when any of the above changes.
    changed: Notify,
}

impl Activity {
    fn new() -> Self {
        Activity {
            opened: Instant::now(),
            in_request: AtomicUsize::new(0),
            served: AtomicU64::new(0),
            idle_since: AtomicU64::new(0),
            first_byte: AtomicU64::new(NEVER),
            changed: Notify::new(),
        }
    }

    fn now(&self) -> u64 {
        self.opened.elapsed().as_millis() as u64
    }

    fn begin(&self) {
        self.in_request.fetch_add(1, Ordering::SeqCst);
        self.first_byte.store(NEVER, Ordering::SeqCst);
        self.changed.notify_one();
    }

    fn end(&self) {
        self.served.fetch_add(1, Ordering::SeqCst);
        self.idle_since.store(self.now(), Ordering::SeqCst);
        self.first_byte.store(NEVER, Ordering::SeqCst);
        self.in_request.fetch_sub(1, Ordering::SeqCst);
        self.changed.notify_one();
    }

    fn bytes_read(&self) {
        if self.in_request.load(Ordering::SeqCst) == 0
            && self.first_byte.load(Ordering::SeqCst) == NEVER
        {
            self.first_byte.store(self.now(), Ordering::SeqCst);
            self.changed.notify_one();
        }
    }

    fn between_requests(&self) -> bool {
        self.in_request.load(Ordering::SeqCst) == 0
    }

    /// When the connection must be closed if nothing changes (ms), `None` while a request
    /// is being handled.
    fn deadline(&self, limits: &ConnectionLimits) -> Option<u64> {
        if !self.between_requests() {
            return None;
        }
        let ms = |d: Duration| d.as_millis() as u64;
        let first_byte = self.first_byte.load(Ordering::SeqCst);
        Some(if first_byte != NEVER {
            first_byte.saturating_add(ms(limits.header_timeout))
        } else if self.served.load(Ordering::SeqCst) == 0 {
            // A new connection owes its first request's headers.
            ms(limits.header_timeout)
        } else {
            self.idle_since
                .load(Ordering::SeqCst)
                .saturating_add(ms(limits.idle_timeout))
        })
    }
}

/// The socket, telling [`Activity`] when bytes arrive.
struct WatchedStream {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for WatchedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.bytes_read();
        }
        r
    }
}

impl AsyncWrite for WatchedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// Serves `router` on `listener` until `shutdown` turns true and every connection has
/// closed (see the module documentation).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    mut shutdown: watch::Receiver<bool>,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    loop {
        let permit = tokio::select! {
            p = slots.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            _ = shutdown.wait_for(|stop| *stop) => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // EMFILE and the like: the listener is fine, retry shortly.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = shutdown.wait_for(|stop| *stop) => break,
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let stop = shutdown.clone();
        tokio::spawn(async move {
            connection(stream, router, limits, stop).await;
            tracing::trace!(%peer, "connection closed");
            drop(permit);
        });
    }
    drop(listener);
    // Every connection holds a slot until it ends.
    let _all = slots
        .acquire_many(u32::try_from(limits.max_connections).unwrap_or(u32::MAX))
        .await;
}

/// One connection, until the client or a limit ends it.
async fn connection(
    stream: TcpStream,
    router: Router,
    limits: ConnectionLimits,
    mut shutdown: watch::Receiver<bool>,
) {
    let activity = Arc::new(Activity::new());
    let io = TokioIo::new(WatchedStream {
        inner: stream,
        activity: activity.clone(),
    });
    let service = {
        let activity = activity.clone();
        hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
            let activity = activity.clone();
            let router = router.clone();
            activity.begin();
            async move {
                let resp = router.oneshot(req.map(axum::body::Body::new)).await;
                activity.end();
                resp
            }
        })
    };
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        // The watchdog below enforces the header and idle timeouts.
        .header_read_timeout(None)
        .keep_alive(true)
        .serve_connection(io, service);
    let mut conn = std::pin::pin!(conn);
    let mut stopping = false;
    loop {
        let deadline = activity.deadline(&limits);
        let sleep = async {
            match deadline {
                Some(at) => {
                    let wait = at.saturating_sub(activity.now());
                    tokio::time::sleep(Duration::from_millis(wait)).await;
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            r = conn.as_mut() => {
                if let Err(e) = r {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                return;
            }
            () = activity.changed.notified() => {}
            () = sleep => {
                if activity.deadline(&limits).is_some_and(|at| activity.now() >= at) {
                    tracing::debug!("closing a connection that timed out between requests");
                    return;
                }
            }
            _ = shutdown.wait_for(|stop| *stop), if !stopping => {
                stopping = true;
                if activity.between_requests() {
                    return;
                }
                // Finish the request in flight, then close.
                conn.as_mut().graceful_shutdown();
            }
        }
        if stopping && activity.between_requests() {
            // The request in flight is answered; hyper closes after writing it.
            let _ = tokio::time::timeout(Duration::from_secs(5), conn.as_mut()).await;
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> ConnectionLimits {
        ConnectionLimits {
            header_timeout: Duration::from_millis(100),
            idle_timeout: Duration::from_millis(1000),
            max_connections: 4,
        }
    }

    #[test]
    fn deadlines_follow_the_connection_state() {
        let a = Activity::new();
        let l = limits();
        assert_eq!(
            a.deadline(&l),
            Some(100),
            "a new connection owes its headers"
        );
        a.begin();
        assert_eq!(a.deadline(&l), None, "no deadline inside a request");
        a.bytes_read();
        assert_eq!(
            a.first_byte.load(Ordering::SeqCst),
            NEVER,
            "body bytes do not count"
        );
        a.end();
        let idle = a.idle_since.load(Ordering::SeqCst);
        assert_eq!(a.deadline(&l), Some(idle + 1000), "idle keep-alive");
        a.bytes_read();
        let first = a.first_byte.load(Ordering::SeqCst);
        assert_eq!(
            a.deadline(&l),
            Some(first + 100),
            "headers of the next request"
        );
    }
}
