//! A null HTTP server (reads each body, answers `204`): the ceiling of the load generator
//! itself, measured on the same runtime and cores that a real run uses.

use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Empty};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::runtime::Runtime;

use crate::error::{BenchError, Result};

/// Starts the sink on a free loopback port of `rt`; returns its address. It runs until the
/// runtime is dropped.
pub fn start(rt: &Runtime) -> Result<SocketAddr> {
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| BenchError::io("binding the null server", e))?;
        let addr = listener
            .local_addr()
            .map_err(|e| BenchError::io("null server address", e))?;
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let _ = stream.set_nodelay(true);
                tokio::spawn(async move {
                    let service = service_fn(|req: Request<hyper::body::Incoming>| async move {
                        let _ = req.into_body().collect().await;
                        let mut resp = Response::new(Empty::<Bytes>::new());
                        *resp.status_mut() = StatusCode::NO_CONTENT;
                        Ok::<_, hyper::Error>(resp)
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(addr)
    })
}
