//! The loopback redirect (RFC 8252 §7.3): a one-callback HTTP listener on
//! 127.0.0.1.
//!
//! It binds `127.0.0.1` only — never `localhost`, which may resolve to `::1`
//! or be hijacked by a hosts file (RFC 8252 §8.3), and never a wildcard
//! address. The port is the OS's choice unless the provider registered one
//! exactly.
//!
//! A listener serves exactly one *accepted* callback and then closes. Every
//! request is shown to a judge (the one validation path of the redirect
//! capture): a request it rejects — a forged `state`, another path, garbage —
//! gets an error page and the listener keeps waiting, so a local process
//! cannot end a pending flow by sending it junk; a request it accepts, or one
//! that ends the flow for good (`error=access_denied`), closes it. The socket
//! is also closed on timeout and on cancel, because the listener is consumed
//! by [`LoopbackListener::serve`] and dropped when it returns.

use std::future::Future;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The largest request head we read: a callback URL over 8 KiB is refused
/// by the validation path anyway.
pub const MAX_REQUEST_HEAD: usize = 16 * 1024;
/// How long one connection may take to send its request head.
const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// What the judge says of one callback request.
pub enum Verdict<T, E> {
    /// The callback is the one we waited for: answer "return to Latch", close.
    Accept(T),
    /// The callback ends the flow with an error (the person denied access).
    Fail(E),
    /// Not ours (forged state, wrong path, malformed): answer with `message`
    /// and keep waiting for the real one.
    Reject(String),
}

/// Why [`LoopbackListener::serve`] returned without a callback.
#[derive(Debug, thiserror::Error)]
pub enum LoopbackError<E> {
    #[error("no answer came back from the browser within {0:?}; start the connection again")]
    TimedOut(Duration),
    #[error("the connection was cancelled")]
    Cancelled,
    #[error("{0}")]
    Failed(E),
    #[error("the loopback listener failed: {0}")]
    Io(#[from] std::io::Error),
}

/// A redirect_uri that Latch can listen on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoopbackRedirect {
    /// `None`: any port (the OS assigns one and the redirect_uri carries it).
    pub port: Option<u16>,
    pub path: String,
}

impl LoopbackRedirect {
    /// Reads an `http://127.0.0.1[:port]/path` redirect_uri. Returns `None`
    /// for anything that is not a loopback redirect (a custom scheme, an
    /// https website), and an error for loopback forms Latch will not serve.
    pub fn parse(redirect_uri: &str) -> Result<Option<Self>, String> {
        let Ok(url) = url::Url::parse(redirect_uri) else {
            return Ok(None);
        };
        if url.scheme() != "http" {
            return Ok(None);
        }
        match url.host() {
            Some(url::Host::Ipv4(ip)) if ip == std::net::Ipv4Addr::LOCALHOST => {}
            Some(url::Host::Domain("localhost")) => {
                return Err(format!(
                    "the redirect_uri {redirect_uri} uses `localhost`; register http://127.0.0.1{}{} instead \
                     (RFC 8252 §8.3: `localhost` can resolve elsewhere)",
                    url.port().map(|p| format!(":{p}")).unwrap_or_default(),
                    url.path()
                ));
            }
            Some(url::Host::Ipv6(ip)) if ip.is_loopback() => {
                return Err(format!(
                    "the redirect_uri {redirect_uri} uses [::1]; Latch listens on 127.0.0.1 only: register \
                     http://127.0.0.1{}{} instead",
                    url.port().map(|p| format!(":{p}")).unwrap_or_default(),
                    url.path()
                ));
            }
            _ => return Ok(None),
        }
        Ok(Some(Self {
            port: url.port(),
            path: url.path().to_owned(),
        }))
    }
}

/// A bound, not yet serving, loopback listener.
pub struct LoopbackListener {
    listener: TcpListener,
    path: String,
}

impl LoopbackListener {
    /// Binds 127.0.0.1 on the redirect's port (or one the OS picks).
    pub async fn bind(redirect: &LoopbackRedirect) -> std::io::Result<Self> {
        let listener = TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, redirect.port.unwrap_or(0))).await?;
        Ok(Self {
            listener,
            path: redirect.path.clone(),
        })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// The redirect_uri to send in the authorization request.
    pub fn redirect_uri(&self) -> String {
        format!("http://127.0.0.1:{}{}", self.port(), self.path)
    }

    /// Serves until `judge` accepts a callback or fails the flow, `timeout`
    /// passes, or `cancel` completes. `judge` receives the callback's full
    /// URL (`http://127.0.0.1:PORT/path?query`).
    pub async fn serve<T, E>(
        self,
        timeout: Duration,
        cancel: impl Future<Output = ()>,
        mut judge: impl FnMut(&str) -> Verdict<T, E>,
    ) -> Result<T, LoopbackError<E>> {
        let serving = async {
            loop {
                let (stream, _) = self.listener.accept().await?;
                match self.answer(stream, &mut judge).await {
                    Some(Ok(value)) => return Ok(value),
                    Some(Err(e)) => return Err(LoopbackError::Failed(e)),
                    None => continue,
                }
            }
        };
        tokio::select! {
            result = serving => result,
            _ = tokio::time::sleep(timeout) => Err(LoopbackError::TimedOut(timeout)),
            _ = cancel => Err(LoopbackError::Cancelled),
        }
    }

    /// Reads one request and answers it. `None`: keep waiting.
    async fn answer<T, E>(
        &self,
        mut stream: TcpStream,
        judge: &mut impl FnMut(&str) -> Verdict<T, E>,
    ) -> Option<Result<T, E>> {
        let target = match tokio::time::timeout(READ_TIMEOUT, read_request_target(&mut stream)).await {
            Ok(Ok(target)) => target,
            Ok(Err(RequestError::TooLarge)) => {
                respond(
                    &mut stream,
                    414,
                    PAGE_REJECTED,
                    "That address is too long to be a callback.",
                )
                .await;
                return None;
            }
            _ => {
                respond(&mut stream, 400, PAGE_REJECTED, "That was not a browser's request.").await;
                return None;
            }
        };
        let Some(url) = callback_url(self.port(), &self.path, &target) else {
            // Browsers also ask for /favicon.ico; it is not the callback.
            respond(&mut stream, 404, PAGE_REJECTED, "Nothing here.").await;
            return None;
        };
        match judge(&url) {
            Verdict::Accept(value) => {
                respond(&mut stream, 200, PAGE_DONE, "").await;
                Some(Ok(value))
            }
            Verdict::Fail(error) => {
                respond(&mut stream, 200, PAGE_FAILED, "").await;
                Some(Err(error))
            }
            Verdict::Reject(message) => {
                respond(&mut stream, 400, PAGE_REJECTED, &message).await;
                None
            }
        }
    }
}

pub(crate) enum RequestError {
    TooLarge,
    Malformed,
}

/// Reads the request head and returns the request target of a `GET`.
async fn read_request_target(stream: &mut TcpStream) -> Result<String, RequestError> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 2048];
    loop {
        let n = stream.read(&mut chunk).await.map_err(|_| RequestError::Malformed)?;
        if n == 0 {
            return Err(RequestError::Malformed);
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(target) = request_target(&buf)? {
            return Ok(target);
        }
    }
}

/// The request target of a `GET` whose head is all in `head`; `None` while
/// the head is incomplete and shorter than [`MAX_REQUEST_HEAD`].
pub(crate) fn request_target(head: &[u8]) -> Result<Option<String>, RequestError> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut request = httparse::Request::new(&mut headers);
    match request.parse(head) {
        Ok(httparse::Status::Complete(_)) => match (request.method, request.path) {
            (Some("GET"), Some(path)) => Ok(Some(path.to_owned())),
            _ => Err(RequestError::Malformed),
        },
        Ok(httparse::Status::Partial) if head.len() < MAX_REQUEST_HEAD => Ok(None),
        Ok(httparse::Status::Partial) => Err(RequestError::TooLarge),
        Err(_) => Err(RequestError::Malformed),
    }
}

/// The full callback URL the judge sees for a request target, or `None`
/// when the target is not the listener's path.
pub(crate) fn callback_url(port: u16, path: &str, target: &str) -> Option<String> {
    let target_path = target.split('?').next().unwrap_or_default();
    (target_path == path).then(|| format!("http://127.0.0.1:{port}{target}"))
}

const PAGE_DONE: &str = "Latch has the answer. You can close this tab and return to Latch.";
const PAGE_FAILED: &str = "The provider did not grant access. Return to Latch to see why.";
const PAGE_REJECTED: &str = "Latch did not accept this request.";

async fn respond(stream: &mut TcpStream, status: u16, title: &str, detail: &str) {
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        414 => "URI Too Long",
        _ => "Bad Request",
    };
    let body = format!(
        "<!doctype html><meta charset=utf-8><title>Latch</title>\
         <body style=\"font:16px system-ui,sans-serif;max-width:32rem;margin:20vh auto;text-align:center\">\
         <h1 style=\"font-size:1.3rem\">{}</h1><p>{}</p></body>",
        escape_html(title),
        escape_html(detail)
    );
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nReferrer-Policy: no-referrer\r\n\
         Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(body.as_bytes()).await;
    let _ = stream.shutdown().await;
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_127_0_0_1_is_a_loopback_redirect() {
        let r = LoopbackRedirect::parse("http://127.0.0.1:8976/callback")
            .unwrap()
            .unwrap();
        assert_eq!((r.port, r.path.as_str()), (Some(8976), "/callback"));
        let any = LoopbackRedirect::parse("http://127.0.0.1/cb").unwrap().unwrap();
        assert_eq!(any.port, None);
        assert!(
            LoopbackRedirect::parse("app.latch.desktop:/oauth/callback")
                .unwrap()
                .is_none()
        );
        assert!(
            LoopbackRedirect::parse("https://partner.example/callback")
                .unwrap()
                .is_none()
        );
        let err = LoopbackRedirect::parse("http://localhost:8976/cb").unwrap_err();
        assert!(err.contains("http://127.0.0.1:8976/cb"), "{err}");
        assert!(LoopbackRedirect::parse("http://[::1]:8976/cb").is_err());
    }

    #[test]
    fn other_addresses_are_not_loopback_redirects() {
        // Another IPv4 or IPv6 address is a website to Latch, not a port it
        // could listen on.
        for uri in [
            "http://10.0.0.1:8976/cb",
            "http://192.168.1.20/cb",
            "http://127.0.0.2:8976/cb",
            "http://[2001:db8::1]:8976/cb",
        ] {
            assert_eq!(LoopbackRedirect::parse(uri), Ok(None), "{uri}");
        }
    }

    #[test]
    fn a_request_head_is_awaited_up_to_16_kib_and_refused_beyond() {
        let incomplete = |len: usize| {
            let mut head = b"GET /cb HTTP/1.1\r\nCookie: ".to_vec();
            head.resize(len, b'c');
            head
        };
        // Long cookies make a head of several KiB; it is waited for.
        assert!(matches!(request_target(&incomplete(10_000)), Ok(None)));
        assert!(matches!(request_target(&incomplete(MAX_REQUEST_HEAD - 1)), Ok(None)));
        assert!(matches!(
            request_target(&incomplete(MAX_REQUEST_HEAD)),
            Err(RequestError::TooLarge)
        ));
        assert!(matches!(
            request_target(b"GET /cb?code=c HTTP/1.1\r\nHost: x\r\n\r\n"),
            Ok(Some(target)) if target == "/cb?code=c"
        ));
    }
}
