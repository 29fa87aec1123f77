//! The accept loop: one task per TCP connection, served by hyper's HTTP/1
//! connection driver (keep-alive on), with a per-connection cancellation
//! token so a handler can make the connection vanish without a response.
//! Each request's host segment is taken off before routing (`hosts::split`),
//! because the router's own middleware only runs once a route is chosen.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::{Service, service_fn};
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use super::hosts;
use super::shared::Shared;

/// Put into every request's extensions; lets the pipeline drop the connection
/// the request arrived on.
#[derive(Debug, Clone)]
pub(crate) struct ConnectionHandle(CancellationToken);

impl ConnectionHandle {
    /// Closes the TCP connection without sending anything more on it.
    pub(crate) fn drop_connection(&self) {
        self.0.cancel();
    }
}

/// Accepts connections until `shutdown` is cancelled; each connection is
/// also closed on shutdown.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    shared: Arc<Shared>,
    shutdown: CancellationToken,
) {
    loop {
        let accepted = tokio::select! {
            _ = shutdown.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _peer)) => stream,
            Err(e) => {
                // Typically EMFILE; back off briefly instead of spinning.
                tracing::warn!(error = %e, "simulator: accept failed");
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        shared.connections.fetch_add(1, Ordering::SeqCst);
        let _ = stream.set_nodelay(true);
        tokio::spawn(serve_connection(
            stream,
            router.clone(),
            shutdown.child_token(),
        ));
    }
}

async fn serve_connection(stream: tokio::net::TcpStream, router: Router, token: CancellationToken) {
    let handle = ConnectionHandle(token.clone());
    let tower = TowerToHyperService::new(router);
    let service = service_fn(move |mut req: hyper::Request<Incoming>| {
        req.extensions_mut().insert(handle.clone());
        hosts::split(&mut req);
        tower.call(req)
    });
    let conn = http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        biased;
        // Dropping `conn` closes the socket; no further bytes are written.
        _ = token.cancelled() => {}
        result = conn => {
            if let Err(e) = result {
                tracing::debug!(error = %e, "simulator: connection ended with an error");
            }
        }
    }
}
