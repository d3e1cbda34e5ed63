//! The request log and the fault switches, applied to every fake by one axum middleware.
//!
//! Each fake names its routes ("wazzup.token", "green_api.getStateInstance") with a
//! small classifier, so a test can count calls and aim a fault at one route without
//! knowing paths. The middleware reads the whole request body first (capped at
//! [`MAX_BODY`]), records it, then either answers with the injected fault or hands
//! the request, body restored, to the fake's handler.
//!
//! A fault applies to the next matching request(s) and counts itself down; faults are
//! checked in the order they were injected, and route `"*"` matches every route.
//!
//! The log is bounded, because the same fakes run for as long as a person keeps the
//! window's sandbox open: it keeps the newest [`LOG_LIMIT`] requests and the first
//! [`LOGGED_BODY_LIMIT`] bytes of each body (the handlers still get the whole body).
//! The count of each route is kept apart and never dropped, so `count` stays exact
//! however many requests came.

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::Notify;

use crate::clock::Clock;

/// Largest request body a fake reads; a bigger one gets 413.
pub const MAX_BODY: usize = 64 * 1024;

/// How many requests a fake's log keeps: the newest, older ones are let go.
pub const LOG_LIMIT: usize = 256;

/// How many bytes of a request body the log keeps ([`RecordedRequest::body_truncated`]).
pub const LOGGED_BODY_LIMIT: usize = 16 * 1024;

/// One request as a fake received it.
#[derive(Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// The route name, e.g. `"wazzup.token"`; `"<fake>.unknown"` when nothing matched.
    pub route: &'static str,
    pub method: String,
    /// The raw path. GREEN-API paths carry the instance token: use [`RecordedRequest::redacted_path`] to print.
    pub path: String,
    /// Decoded query pairs, in order.
    pub query: Vec<(String, String)>,
    /// Lower-case header names (as HTTP/1 gives them, folded by the `http` crate).
    pub headers: Vec<(String, String)>,
    /// The body's first [`LOGGED_BODY_LIMIT`] bytes.
    pub body: Vec<u8>,
    /// The body's length as it arrived (bodies over [`MAX_BODY`] are not read: 0).
    pub body_len: usize,
    redacted: String,
}

impl RecordedRequest {
    /// The first value of a header (name in any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers.iter().find(|(k, _)| *k == name).map(|(_, v)| v.as_str())
    }

    /// The first value of a query parameter.
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON, if it is JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// The body parsed as `application/x-www-form-urlencoded` pairs.
    pub fn form(&self) -> Vec<(String, String)> {
        url::form_urlencoded::parse(&self.body).into_owned().collect()
    }

    /// The path with secrets in it (GREEN-API's token) replaced by `***`.
    pub fn redacted_path(&self) -> &str {
        &self.redacted
    }

    /// Whether the log kept only the first [`LOGGED_BODY_LIMIT`] bytes of the body.
    pub fn body_truncated(&self) -> bool {
        self.body.len() < self.body_len
    }
}

/// Debug never shows header values or bodies: they hold secrets.
impl std::fmt::Debug for RecordedRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordedRequest")
            .field("route", &self.route)
            .field("method", &self.method)
            .field("path", &self.redacted)
            .field(
                "headers",
                &self.headers.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
            )
            .field("body_len", &self.body_len)
            .field("body_truncated", &self.body_truncated())
            .finish()
    }
}

/// A fault switch: what to do instead of (or before) answering normally.
#[derive(Clone, Debug)]
pub struct Fault {
    /// How many matching requests it applies to; `None` = every one until cleared.
    pub times: Option<usize>,
    pub kind: FaultKind,
}

impl Fault {
    pub fn once(kind: FaultKind) -> Self {
        Self { times: Some(1), kind }
    }
    pub fn times(n: usize, kind: FaultKind) -> Self {
        Self { times: Some(n), kind }
    }
    pub fn always(kind: FaultKind) -> Self {
        Self { times: None, kind }
    }
}

#[derive(Clone, Debug)]
pub enum FaultKind {
    /// Wait (real time), then answer normally.
    Delay(Duration),
    /// Answer with this status, body, content type and extra headers.
    Status {
        status: u16,
        body: String,
        content_type: String,
        headers: Vec<(String, String)>,
    },
    /// Close the TCP connection with a reset, before any byte of the answer.
    ConnectionReset,
    /// 200 whose body of `total` bytes arrives at `bytes_per_sec`.
    Trickle { bytes_per_sec: usize, total: usize },
    /// 200 `application/json` whose body is this many bytes (streamed, never JSON-complete).
    HugeBody(usize),
    /// 200 with this JSON body.
    Json(serde_json::Value),
}

impl FaultKind {
    /// A status answer with a JSON body.
    pub fn json_status(status: u16, body: serde_json::Value) -> Self {
        Self::Status {
            status,
            body: body.to_string(),
            content_type: "application/json".into(),
            headers: Vec::new(),
        }
    }

    /// A status answer with an HTML body, as a proxy or load balancer would give.
    pub fn html_status(status: u16, html: &str) -> Self {
        Self::Status {
            status,
            body: html.into(),
            content_type: "text/html".into(),
            headers: Vec::new(),
        }
    }
}

/// A fake's log and fault list.
#[derive(Default)]
pub(crate) struct Recorder {
    log: Mutex<Log>,
    faults: Mutex<Vec<(String, Fault)>>,
    in_flight: AtomicUsize,
    peak_in_flight: AtomicUsize,
}

/// The newest requests, and how many each route has had since the start.
#[derive(Default)]
struct Log {
    newest: VecDeque<RecordedRequest>,
    counts: HashMap<&'static str, usize>,
}

/// Counts a request as in flight until dropped.
struct InFlight<'a>(&'a Recorder);

impl<'a> InFlight<'a> {
    fn enter(recorder: &'a Recorder) -> Self {
        let now = recorder.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        recorder.peak_in_flight.fetch_max(now, Ordering::SeqCst);
        Self(recorder)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Recorder {
    pub(crate) fn requests(&self) -> Vec<RecordedRequest> {
        let log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        log.newest.iter().cloned().collect()
    }

    pub(crate) fn count(&self, route: &str) -> usize {
        let log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        log.counts.get(route).copied().unwrap_or(0)
    }

    pub(crate) fn inject(&self, route: &str, fault: Fault) {
        self.faults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((route.to_owned(), fault));
    }

    /// The most requests this fake has had in flight at once.
    pub(crate) fn peak_in_flight(&self) -> usize {
        self.peak_in_flight.load(Ordering::SeqCst)
    }

    pub(crate) fn clear_faults(&self) {
        self.faults.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    fn push(&self, r: RecordedRequest) {
        let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        *log.counts.entry(r.route).or_default() += 1;
        if log.newest.len() == LOG_LIMIT {
            log.newest.pop_front();
        }
        log.newest.push_back(r);
    }

    /// Takes the first fault aimed at `route`, counting it down.
    fn take_fault(&self, route: &str) -> Option<FaultKind> {
        let mut faults = self.faults.lock().unwrap_or_else(|e| e.into_inner());
        let i = faults.iter().position(|(r, _)| r == route || r == "*")?;
        let kind = faults[i].1.kind.clone();
        match &mut faults[i].1.times {
            None => {}
            Some(n) if *n <= 1 => {
                faults.remove(i);
            }
            Some(n) => *n -= 1,
        }
        Some(kind)
    }
}

/// What every fake shares: its name, log, faults and clock.
pub(crate) struct FakeCore {
    pub(crate) name: &'static str,
    pub(crate) recorder: Recorder,
    pub(crate) clock: Clock,
}

impl FakeCore {
    pub(crate) fn new(name: &'static str) -> Arc<Self> {
        Arc::new(Self {
            name,
            recorder: Recorder::default(),
            clock: Clock::default(),
        })
    }
}

/// Names a request's route; returns `(route, redacted path)`.
pub(crate) type Classifier = fn(&axum::http::Method, &str) -> (&'static str, String);

#[derive(Clone)]
pub(crate) struct RecordLayer {
    pub(crate) core: Arc<FakeCore>,
    pub(crate) classify: Classifier,
}

/// Put into each request's extensions by the server: notifying it resets the connection.
#[derive(Clone)]
pub(crate) struct ConnKill(pub(crate) Arc<Notify>);

pub(crate) async fn record_and_fault(State(layer): State<RecordLayer>, req: Request, next: Next) -> Response {
    let _in_flight = InFlight::enter(&layer.core.recorder);
    let (parts, body) = req.into_parts();
    let (route, redacted) = (layer.classify)(&parts.method, parts.uri.path());
    let body = axum::body::to_bytes(body, MAX_BODY).await.ok();
    let query = parts
        .uri
        .query()
        .map(|q| url::form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    layer.core.recorder.push(RecordedRequest {
        route,
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query,
        headers: header_pairs(&parts.headers),
        body: body
            .as_ref()
            .map(|b| b[..b.len().min(LOGGED_BODY_LIMIT)].to_vec())
            .unwrap_or_default(),
        body_len: body.as_ref().map_or(0, Bytes::len),
        redacted: redacted.clone(),
    });
    tracing::debug!(fake = layer.core.name, route, method = %parts.method, path = %redacted, "request");
    let Some(body) = body else {
        return (StatusCode::PAYLOAD_TOO_LARGE, "request body too large").into_response();
    };
    if let Some(kind) = layer.core.recorder.take_fault(route) {
        match kind {
            FaultKind::Delay(d) => tokio::time::sleep(d).await,
            FaultKind::Status {
                status,
                body,
                content_type,
                headers,
            } => {
                return status_answer(status, body, &content_type, &headers);
            }
            FaultKind::ConnectionReset => {
                if let Some(kill) = parts.extensions.get::<ConnKill>() {
                    kill.0.notify_one();
                }
                // The server drops this future together with the connection.
                std::future::pending::<()>().await;
            }
            FaultKind::Trickle { bytes_per_sec, total } => return trickle(bytes_per_sec, total),
            FaultKind::HugeBody(n) => return huge_body(n),
            FaultKind::Json(v) => return axum::Json(v).into_response(),
        }
    }
    next.run(Request::from_parts(parts, Body::from(body))).await
}

fn header_pairs(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

fn status_answer(status: u16, body: String, content_type: &str, headers: &[(String, String)]) -> Response {
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(v) = HeaderValue::from_str(content_type) {
        resp.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    for (k, v) in headers {
        if let (Ok(k), Ok(v)) = (HeaderName::from_bytes(k.as_bytes()), HeaderValue::from_str(v)) {
            resp.headers_mut().append(k, v);
        }
    }
    resp
}

fn trickle(bytes_per_sec: usize, total: usize) -> Response {
    // Ten chunks a second, so a client's read timeout sees steady progress.
    let chunk = (bytes_per_sec / 10).max(1);
    let stream = futures_util::stream::unfold(total, move |left| async move {
        if left == 0 {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        let n = chunk.min(left);
        Some((Ok::<_, Infallible>(Bytes::from(vec![b' '; n])), left - n))
    });
    let mut resp = Response::new(Body::from_stream(stream));
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp
}

fn huge_body(n: usize) -> Response {
    const CHUNK: usize = 64 * 1024;
    let head = Bytes::from_static(b"{\"padding\":\"");
    let first = head.len().min(n);
    let stream = futures_util::stream::unfold((n, true), move |(left, first_chunk)| {
        let head = head.clone();
        async move {
            if left == 0 {
                return None;
            }
            if first_chunk {
                return Some((Ok::<_, Infallible>(head.slice(..first)), (left - first, false)));
            }
            let k = CHUNK.min(left);
            Some((Ok(Bytes::from(vec![b'x'; k])), (left - k, false)))
        }
    });
    let mut resp = Response::new(Body::from_stream(stream));
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp.headers_mut().insert(header::CONTENT_LENGTH, HeaderValue::from(n));
    resp
}

/// A request's decoded query as a map (a repeated name keeps its last value).
pub(crate) fn query_map(uri: &axum::http::Uri) -> HashMap<String, String> {
    uri.query()
        .map(|q| url::form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default()
}
