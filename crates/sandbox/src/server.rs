//! The listener every fake runs on: 127.0.0.1 only, one hyper HTTP/1 connection per task.
//!
//! axum's own `serve` would do, except for one fault: [`crate::FaultKind::ConnectionReset`]
//! must reset the TCP connection (what a crashed proxy does), and that needs the socket.
//! So each connection gets a [`ConnKill`] in its requests' extensions; when the fault
//! middleware notifies it, the task sets `SO_LINGER` to zero and drops the socket, which
//! makes the kernel send RST instead of FIN.
//!
//! Dropping the [`Server`] stops the accept loop and every open connection.

use std::net::{Ipv4Addr, SocketAddr};
use std::os::fd::{AsRawFd, BorrowedFd};
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};
use tower::ServiceExt;

use crate::record::ConnKill;

pub(crate) struct Server {
    addr: SocketAddr,
    shutdown: watch::Sender<bool>,
}

impl Server {
    /// Binds 127.0.0.1:`port` (0 = any free port) and serves `router` there.
    pub(crate) async fn start(router: Router, port: u16) -> std::io::Result<Self> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, port)).await?;
        let addr = listener.local_addr()?;
        let (shutdown, rx) = watch::channel(false);
        tokio::spawn(accept_loop(listener, router, rx));
        Ok(Self { addr, shutdown })
    }

    pub(crate) fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

async fn accept_loop(listener: TcpListener, router: Router, mut shutdown: watch::Receiver<bool>) {
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = shutdown.changed() => return,
        };
        let Ok((stream, _peer)) = accepted else { continue };
        let _ = stream.set_nodelay(true);
        tokio::spawn(serve_connection(stream, router.clone(), shutdown.clone()));
    }
}

async fn serve_connection(stream: tokio::net::TcpStream, router: Router, mut shutdown: watch::Receiver<bool>) {
    let kill = Arc::new(Notify::new());
    let fd = stream.as_raw_fd();
    let conn_kill = ConnKill(kill.clone());
    let service = hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
        req.extensions_mut().insert(conn_kill.clone());
        router.clone().oneshot(req.map(Body::new))
    });
    let conn = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    let mut conn = std::pin::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => return,
        _ = shutdown.changed() => return,
        _ = kill.notified() => {}
    }
    // SAFETY: `conn` still owns the TcpStream, so `fd` is open for the whole borrow.
    let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
    let _ = socket2::SockRef::from(&borrowed).set_linger(Some(std::time::Duration::ZERO));
    // Returning drops the pinned connection and with it the socket: the kernel sends RST.
}
