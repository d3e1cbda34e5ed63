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
//!
//! Connections are served side by side, up to [`MAX_CONNECTIONS`] at once
//! (more wait in the OS's queue), and each has [`HEAD_TIMEOUT`] to send its
//! request head: a few idle sockets cannot hold the browser's callback back.
//!
//! Only a browser's navigation to this very address reaches the judge. A
//! request whose `Host` is not `127.0.0.1:PORT` (a DNS-rebinding page: the
//! browser sends the attacker's name) or whose `Sec-Fetch-Mode` is present
//! and not `navigate` (a web page's `fetch`, image or script) is refused
//! first. Every refusal gets the same answer, byte for byte, so a page that
//! probes the listener learns nothing from it; the reason stays in Latch.
//!
//! What the listener cannot tell is *who* sends the callback: any local user
//! can connect to 127.0.0.1. What keeps another user out is that the `state`
//! never leaves this user: the browser is opened through a private page
//! ([`super::page`]), not with the address in a command line. Where the
//! provider allows a custom scheme, the deep link is the stronger way back:
//! the desktop delivers it into this user's session only.

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use std::future::Future;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The largest request head we read: a callback URL over 8 KiB is refused
/// by the validation path anyway.
pub const MAX_REQUEST_HEAD: usize = 16 * 1024;
/// How many connections are served at once; further ones wait to be
/// accepted until one of these ends.
pub const MAX_CONNECTIONS: usize = 16;
/// How long one connection may take to send its request head. A browser
/// sends it at once; a socket left idle is closed after this.
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(2);

/// What the judge says of one callback request.
pub enum Verdict<T, E> {
    /// The callback is the one we waited for: answer "return to Latch", close.
    Accept(T),
    /// The callback ends the flow with an error (the person denied access).
    Fail(E),
    /// Not ours (forged state, wrong path, malformed): refuse it with the
    /// generic page and keep waiting for the real one. The reason is for
    /// Latch's own reporting; it is never sent to the requester.
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
    head_timeout: Duration,
    /// Who the browser signed in to, named on the answer page.
    provider: Option<String>,
}

impl LoopbackListener {
    /// Binds 127.0.0.1 on the redirect's port (or one the OS picks).
    pub async fn bind(redirect: &LoopbackRedirect) -> std::io::Result<Self> {
        let listener = TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, redirect.port.unwrap_or(0))).await?;
        Ok(Self {
            listener,
            path: redirect.path.clone(),
            head_timeout: HEAD_TIMEOUT,
            provider: None,
        })
    }

    /// Names the provider on the browser's answer page ("Signed in to
    /// Wazzup. You can close this tab.").
    pub fn for_provider(mut self, name: &str) -> Self {
        self.provider = Some(name.to_owned());
        self
    }

    /// Gives each connection `timeout` instead of [`HEAD_TIMEOUT`] to send
    /// its request head (a test that must not depend on the machine's speed).
    pub fn with_head_timeout(mut self, timeout: Duration) -> Self {
        self.head_timeout = timeout;
        self
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
        judge: impl FnMut(&str) -> Verdict<T, E>,
    ) -> Result<T, LoopbackError<E>> {
        // Every connection runs in this one task and takes the judge only
        // to call it, never across an await (a Mutex, not a RefCell, so
        // that the serving future can move between threads).
        let judge = Mutex::new(judge);
        let serving = async {
            let mut connections = FuturesUnordered::new();
            loop {
                tokio::select! {
                    accepted = self.listener.accept(), if connections.len() < MAX_CONNECTIONS => {
                        let (stream, _) = accepted?;
                        connections.push(self.answer(stream, &judge));
                    }
                    Some(outcome) = connections.next() => match outcome {
                        Some(Ok(value)) => return Ok(value),
                        Some(Err(e)) => return Err(LoopbackError::Failed(e)),
                        None => continue,
                    },
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
        judge: &Mutex<impl FnMut(&str) -> Verdict<T, E>>,
    ) -> Option<Result<T, E>> {
        let head = tokio::time::timeout(self.head_timeout, read_request_head(&mut stream)).await;
        let Some(url) = head.ok().and_then(Result::ok).and_then(|head| self.callback_of(&head)) else {
            self.respond(&mut stream, Answer::Refused).await;
            return None;
        };
        let verdict = (judge.lock().unwrap_or_else(PoisonError::into_inner))(&url);
        match verdict {
            Verdict::Accept(value) => {
                self.respond(&mut stream, Answer::Done).await;
                Some(Ok(value))
            }
            Verdict::Fail(error) => {
                self.respond(&mut stream, Answer::Failed).await;
                Some(Err(error))
            }
            Verdict::Reject(_) => {
                self.respond(&mut stream, Answer::Refused).await;
                None
            }
        }
    }

    /// The callback URL of a browser's navigation to this listener's own
    /// address and path; `None` for anything else (another `Host`, a
    /// fetch, another path such as /favicon.ico).
    fn callback_of(&self, head: &RequestHead) -> Option<String> {
        let port = self.port();
        let navigation = head.fetch_mode.as_deref().is_none_or(|mode| mode == "navigate");
        (host_is_ours(head.host.as_deref(), port) && navigation)
            .then(|| callback_url(port, &self.path, &head.target))
            .flatten()
    }

    /// Writes the answer; a client that does not take it within the head
    /// timeout is left.
    async fn respond(&self, stream: &mut TcpStream, answer: Answer) {
        let text = page_text(answer, self.provider.as_deref());
        let _ = tokio::time::timeout(self.head_timeout, write_answer(stream, answer, &text)).await;
    }
}

/// What a request carries that the listener looks at.
pub(crate) struct RequestHead {
    /// The request target of a `GET` (`/path?query`).
    pub target: String,
    /// `Host`, when exactly one was sent.
    pub host: Option<String>,
    /// `Sec-Fetch-Mode`, when sent (the last one, if several).
    pub fetch_mode: Option<String>,
}

pub(crate) enum RequestError {
    TooLarge,
    Malformed,
}

/// Reads the request head of a `GET`.
async fn read_request_head(stream: &mut TcpStream) -> Result<RequestHead, RequestError> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 2048];
    loop {
        let n = stream.read(&mut chunk).await.map_err(|_| RequestError::Malformed)?;
        if n == 0 {
            return Err(RequestError::Malformed);
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(head) = request_head(&buf)? {
            return Ok(head);
        }
    }
}

/// The head of a `GET` whose head is all in `head`; `None` while the head
/// is incomplete and shorter than [`MAX_REQUEST_HEAD`].
pub(crate) fn request_head(head: &[u8]) -> Result<Option<RequestHead>, RequestError> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut request = httparse::Request::new(&mut headers);
    match request.parse(head) {
        Ok(httparse::Status::Complete(_)) => match (request.method, request.path) {
            (Some("GET"), Some(path)) => Ok(Some(RequestHead {
                target: path.to_owned(),
                host: single_header(request.headers, "host"),
                fetch_mode: request
                    .headers
                    .iter()
                    .rev()
                    .find(|h| h.name.eq_ignore_ascii_case("sec-fetch-mode"))
                    .map(|h| String::from_utf8_lossy(h.value).trim().to_ascii_lowercase()),
            })),
            _ => Err(RequestError::Malformed),
        },
        Ok(httparse::Status::Partial) if head.len() < MAX_REQUEST_HEAD => Ok(None),
        Ok(httparse::Status::Partial) => Err(RequestError::TooLarge),
        Err(_) => Err(RequestError::Malformed),
    }
}

/// The request target of a `GET` whose head is all in `head` (see
/// [`request_head`]).
pub(crate) fn request_target(head: &[u8]) -> Result<Option<String>, RequestError> {
    Ok(request_head(head)?.map(|head| head.target))
}

/// The value of a header sent exactly once; `None` when missing or doubled
/// (two `Host`s are a request smuggler's, not a browser's).
fn single_header(headers: &[httparse::Header], name: &str) -> Option<String> {
    let mut found = headers.iter().filter(|h| h.name.eq_ignore_ascii_case(name));
    match (found.next(), found.next()) {
        (Some(one), None) => std::str::from_utf8(one.value).ok().map(|v| v.trim().to_owned()),
        _ => None,
    }
}

/// A browser that navigates to `http://127.0.0.1:PORT/…` sends exactly
/// `Host: 127.0.0.1:PORT` (without the port only for port 80).
pub(crate) fn host_is_ours(host: Option<&str>, port: u16) -> bool {
    match host {
        Some(host) => host == format!("127.0.0.1:{port}") || (port == 80 && host == "127.0.0.1"),
        None => false,
    }
}

/// The full callback URL the judge sees for a request target, or `None`
/// when the target is not the listener's path.
pub(crate) fn callback_url(port: u16, path: &str, target: &str) -> Option<String> {
    let target_path = target.split('?').next().unwrap_or_default();
    (target_path == path).then(|| format!("http://127.0.0.1:{port}{target}"))
}

/// The three answers the listener gives.
#[derive(Clone, Copy)]
enum Answer {
    Done,
    Failed,
    /// Every refusal, whatever its reason: one status, one page.
    Refused,
}

const PAGE_REFUSED: &str = "Latch did not accept this request. If you are signing in, return to Latch.";

/// What the page says: what happened, with whom, and what to do now. A
/// refusal says the same to everyone (it may be a web page probing).
fn page_text(answer: Answer, provider: Option<&str>) -> String {
    let escaped = provider.map(|p| p.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;"));
    let provider = escaped.as_deref().unwrap_or("the provider");
    match answer {
        Answer::Done => format!("Signed in to {provider}. You can close this tab and return to Latch."),
        Answer::Failed => {
            let mut said = format!("{provider} did not grant access. Return to Latch to see why.");
            if let Some(first) = said.get_mut(0..1) {
                first.make_ascii_uppercase();
            }
            said
        }
        Answer::Refused => PAGE_REFUSED.to_owned(),
    }
}

async fn write_answer(stream: &mut TcpStream, answer: Answer, text: &str) {
    let status = match answer {
        Answer::Done | Answer::Failed => "200 OK",
        Answer::Refused => "400 Bad Request",
    };
    let body = format!(
        "<!doctype html><meta charset=utf-8><title>Latch</title>\
         <body style=\"font:16px system-ui,sans-serif;max-width:32rem;margin:20vh auto;text-align:center\">\
         <h1 style=\"font-size:1.3rem\">{text}</h1></body>"
    );
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nReferrer-Policy: no-referrer\r\n\
         Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(body.as_bytes()).await;
    let _ = stream.shutdown().await;
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
    fn only_the_listeners_own_address_is_its_host() {
        assert!(host_is_ours(Some("127.0.0.1:8976"), 8976));
        for other in [
            "127.0.0.1:8977",
            "127.0.0.1",
            "localhost:8976",
            "evil.example:8976",
            "[::1]:8976",
            "",
        ] {
            assert!(!host_is_ours(Some(other), 8976), "{other}");
        }
        assert!(!host_is_ours(None, 8976));
        // A browser leaves out the default port.
        assert!(host_is_ours(Some("127.0.0.1"), 80));
        assert!(host_is_ours(Some("127.0.0.1:80"), 80));
    }

    #[test]
    fn a_head_with_two_hosts_has_none_and_the_fetch_mode_is_read() {
        let read = |head: &str| match request_head(head.as_bytes()) {
            Ok(Some(head)) => (head.host, head.fetch_mode),
            _ => panic!("{head:?} is a complete GET"),
        };
        assert_eq!(
            read("GET /cb HTTP/1.1\r\nHost: 127.0.0.1:9\r\nSec-Fetch-Mode: Navigate\r\n\r\n"),
            (Some("127.0.0.1:9".into()), Some("navigate".into()))
        );
        assert_eq!(
            read("GET /cb HTTP/1.1\r\nHost: 127.0.0.1:9\r\nhost: evil.example\r\n\r\n"),
            (None, None)
        );
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
