//! Fake GREEN-API: WhatsApp instances linked by phone code (providers.md §2, §6.2; document 002).
//!
//! Every call is `/{anything}/waInstance{id}/{method}/{token}[/{receiptId}]`; the method
//! name is matched case-insensitively and the token lives in the path, so the request
//! log's printable form ([`crate::RecordedRequest::redacted_path`]) replaces it with
//! `***`. There is no OAuth: "authorized" is the instance's state, reached when the
//! phone's owner types the link code, which [`FakeGreenApi::enter_code`] plays.
//!
//! Errors are plain-text identifiers with the statuses of GREEN-API's common error
//! table (400 `bad request data`, 401, 403, …); their exact body format is not
//! documented.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use tokio::sync::Notify;

use crate::record::FakeCore;
use crate::server::Server;
use crate::util::{ct_eq, text};
use crate::{DemoCredentials, fake_common, lock, with_recording};

mod instance;
mod methods;

use instance::{GreenState, InstanceRec};
pub use instance::{Instance, InstanceState};

/// getAuthorizationCode on an authorized instance: not documented.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WhenAuthorized {
    /// 200 `{"status":false,"code":""}` (*assumption*, default).
    StatusFalse,
    /// 400 `bad request data`.
    BadRequest,
}

/// What typing a wrong code does to the instance (known defects, providers.md §2.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WrongCode {
    /// Nothing; ask again (the behaviour after the Feb 2026 fix). Default.
    Harmless,
    /// getAuthorizationCode answers `status:false` until `reboot` (issue #821).
    StatusFalseUntilReboot,
    /// The instance is stuck in `starting` (forum #381).
    StuckStarting,
}

/// GREEN-API behaviour, changeable at run time.
#[derive(Clone, Debug)]
pub struct GreenApiSettings {
    /// How long getAuthorizationCode takes (document 002: up to 30 s). Default 0.
    pub code_delay: Duration,
    /// Link-code lifetime on the fake clock (document 002: about 2.5 min).
    pub code_ttl: Duration,
    /// getAuthorizationCode answers `{"status":false}` ("try again").
    pub code_status_false: bool,
    pub when_authorized: WhenAuthorized,
    pub wrong_code: WrongCode,
    /// Every answer is an HTML page with status 200, as a misconfigured proxy would send.
    pub non_json_answers: bool,
    /// Bodies of the 401 (wrong token) and 403 (wrong instance) answers. *Assumption*: plain text.
    pub unauthorized_body: String,
    pub forbidden_body: String,
    /// How long `reboot` stays in `starting` before returning to the previous state.
    pub reboot_delay: Duration,
    /// Caps receiveNotification's long poll (real GREEN-API: receiveTimeout 5–60 s).
    pub max_receive_wait: Option<Duration>,
    /// `qr` answers `{"type":"error","message":"Instance has auth. You need to make log out"}`.
    pub qr_error: bool,
    /// Notifications not deleted within this time vanish (GREEN-API: 24 h).
    pub notification_ttl: Duration,
    /// Enforce the per-instance requests-per-second limits of providers.md §2.6 (429). Default off,
    /// so tests that poll are not throttled.
    pub rate_limits: bool,
}

impl Default for GreenApiSettings {
    fn default() -> Self {
        Self {
            code_delay: Duration::ZERO,
            code_ttl: Duration::from_secs(150),
            code_status_false: false,
            when_authorized: WhenAuthorized::StatusFalse,
            wrong_code: WrongCode::Harmless,
            non_json_answers: false,
            unauthorized_body: "Unauthorized".into(),
            forbidden_body: "Forbidden".into(),
            reboot_delay: Duration::ZERO,
            max_receive_wait: None,
            qr_error: false,
            notification_ttl: Duration::from_secs(24 * 3600),
            rate_limits: false,
        }
    }
}

/// The fake GREEN-API server.
pub struct FakeGreenApi {
    core: Arc<FakeCore>,
    state: Arc<GreenState>,
    server: Server,
}

fake_common!(FakeGreenApi);

impl FakeGreenApi {
    pub fn settings(&self) -> MutexGuard<'_, GreenApiSettings> {
        lock(&self.state.settings)
    }

    /// Adds (or replaces) an instance.
    pub fn add_instance(&self, instance: Instance) {
        lock(&self.state.instances).insert(instance.id_instance, InstanceRec::new(instance));
    }

    /// The instance as it is now.
    pub fn instance(&self, id_instance: u64) -> Option<Instance> {
        lock(&self.state.instances).get(&id_instance).map(|r| r.config.clone())
    }

    /// `<phone>@c.us` when authorized, else empty.
    pub fn wid(&self, id_instance: u64) -> Option<String> {
        lock(&self.state.instances).get(&id_instance).map(|r| r.wid.clone())
    }

    /// Sets an instance's state (`None` = being created), queuing a notification.
    pub fn set_state(&self, id_instance: u64, state: Option<InstanceState>) -> bool {
        let mut instances = lock(&self.state.instances);
        let Some(rec) = instances.get_mut(&id_instance) else {
            return false;
        };
        self.state.set_state(rec, state);
        true
    }

    /// Plays the phone's owner typing `code` in WhatsApp → Linked devices. A valid,
    /// unexpired code authorizes the instance (wid `<phone>@c.us`); returns whether it did.
    pub fn enter_code(&self, id_instance: u64, code: &str) -> bool {
        let wrong_code = lock(&self.state.settings).wrong_code;
        let now = self.core.clock.now();
        let mut instances = lock(&self.state.instances);
        let Some(rec) = instances.get_mut(&id_instance) else {
            return false;
        };
        let typed: String = code.chars().filter(|c| *c != '-' && !c.is_whitespace()).collect();
        let valid = rec.config.state == Some(InstanceState::NotAuthorized)
            && rec
                .link_code
                .as_ref()
                .is_some_and(|l| l.code.eq_ignore_ascii_case(&typed) && now < l.expires_at);
        if valid {
            let phone = rec.link_code.take().map(|l| l.phone);
            rec.config.phone = phone;
            rec.wid = phone.map(|p| format!("{p}@c.us")).unwrap_or_default();
            self.state.set_state(rec, Some(InstanceState::Authorized));
            return true;
        }
        match wrong_code {
            WrongCode::Harmless => {}
            WrongCode::StatusFalseUntilReboot => rec.codes_broken = true,
            WrongCode::StuckStarting => self.state.set_state(rec, Some(InstanceState::Starting)),
        }
        false
    }

    /// Queues a notification of any shape (e.g. `statusInstanceChanged`).
    pub fn push_notification(&self, id_instance: u64, body: Value) -> bool {
        let mut instances = lock(&self.state.instances);
        let Some(rec) = instances.get_mut(&id_instance) else {
            return false;
        };
        self.state.push(rec, body);
        true
    }

    /// Bodies of the notifications waiting in an instance's queue, oldest first.
    pub fn notifications(&self, id_instance: u64) -> Vec<Value> {
        lock(&self.state.instances)
            .get(&id_instance)
            .map(|r| r.queue.iter().map(|n| n.body.clone()).collect())
            .unwrap_or_default()
    }
}

pub(crate) async fn start(demo: &DemoCredentials, port: u16) -> std::io::Result<FakeGreenApi> {
    let core = FakeCore::new("green_api");
    let demo_instance = Instance {
        id_instance: demo.green_api_id_instance,
        api_token_instance: demo.green_api_token.clone(),
        state: Some(InstanceState::NotAuthorized),
        phone: None,
        state_webhook: true,
    };
    let state = Arc::new(GreenState {
        core: core.clone(),
        settings: Mutex::default(),
        instances: Mutex::new(HashMap::from([(
            demo_instance.id_instance,
            InstanceRec::new(demo_instance),
        )])),
        queued: Notify::new(),
        rate: Mutex::default(),
    });
    let router = Router::new().fallback(dispatch).with_state(state.clone());
    let server = Server::start(with_recording(router, core.clone(), classify), port).await?;
    Ok(FakeGreenApi { core, state, server })
}

/// A parsed `…/waInstance{id}/{method}/{token}[/{extra}]` path.
struct Call<'a> {
    id: &'a str,
    method: &'a str,
    token: &'a str,
    extra: Option<&'a str>,
    /// Index of the token segment, for redaction.
    token_index: usize,
}

fn parse(path: &str) -> Option<Call<'_>> {
    let segments: Vec<&str> = path.split('/').collect();
    const PREFIX: &str = "waInstance";
    // `get` rather than slicing: a segment may be non-ASCII and byte 10 not a char boundary.
    let is_instance =
        |s: &&str| s.len() > PREFIX.len() && s.get(..PREFIX.len()).is_some_and(|p| p.eq_ignore_ascii_case(PREFIX));
    let i = segments.iter().position(is_instance)?;
    Some(Call {
        id: segments[i].get(PREFIX.len()..)?,
        method: segments.get(i + 1).filter(|s| !s.is_empty())?,
        token: segments.get(i + 2).filter(|s| !s.is_empty())?,
        extra: segments.get(i + 3).copied().filter(|s| !s.is_empty()),
        token_index: i + 2,
    })
}

/// Known methods: lower-case name → route name (the documented spelling).
fn method_route(method: &str) -> &'static str {
    match method.to_ascii_lowercase().as_str() {
        "getstateinstance" => "green_api.getStateInstance",
        "getauthorizationcode" => "green_api.getAuthorizationCode",
        "logout" => "green_api.logout",
        "reboot" => "green_api.reboot",
        "qr" => "green_api.qr",
        "receivenotification" => "green_api.receiveNotification",
        "deletenotification" => "green_api.deleteNotification",
        "getwasettings" => "green_api.getWaSettings",
        "sendmessage" => "green_api.sendMessage",
        _ => "green_api.unknown",
    }
}

fn classify(_method: &Method, path: &str) -> (&'static str, String) {
    let Some(call) = parse(path) else {
        return ("green_api.unknown", path.to_owned());
    };
    let redacted = path
        .split('/')
        .enumerate()
        .map(|(i, s)| if i == call.token_index { "***" } else { s })
        .collect::<Vec<_>>()
        .join("/");
    (method_route(call.method), redacted)
}

async fn dispatch(State(st): State<Arc<GreenState>>, method: Method, uri: Uri, body: Bytes) -> Response {
    let Some(call) = parse(uri.path()) else {
        return text(StatusCode::NOT_FOUND, "Not Found");
    };
    let Ok(id) = call.id.parse::<u64>() else {
        return text(StatusCode::BAD_REQUEST, "Parameter idInstance not an integer");
    };
    let s = lock(&st.settings).clone();
    {
        let instances = lock(&st.instances);
        let Some(rec) = instances.get(&id) else {
            return text(StatusCode::FORBIDDEN, &s.forbidden_body);
        };
        if !ct_eq(&rec.config.api_token_instance, call.token) {
            return text(StatusCode::UNAUTHORIZED, &s.unauthorized_body);
        }
    }
    if s.non_json_answers {
        return (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            "<html><body><h1>Service temporarily unavailable</h1></body></html>",
        )
            .into_response();
    }
    let route = method_route(call.method);
    let allowed = match route {
        "green_api.getAuthorizationCode" | "green_api.sendMessage" => method == Method::POST,
        "green_api.deleteNotification" => method == Method::DELETE,
        "green_api.unknown" => return text(StatusCode::NOT_FOUND, "Not Found"),
        _ => method == Method::GET,
    };
    if !allowed {
        return text(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed");
    }
    if s.rate_limits && !st.within_rate_limit(id, route) {
        return text(StatusCode::TOO_MANY_REQUESTS, "Too Many Requests");
    }
    match route {
        "green_api.getStateInstance" => methods::get_state(&st, id),
        "green_api.getAuthorizationCode" => methods::get_authorization_code(&st, &s, id, &body).await,
        "green_api.logout" => methods::logout(&st, id),
        "green_api.reboot" => methods::reboot(&st, &s, id),
        "green_api.qr" => methods::qr(&st, &s, id),
        "green_api.getWaSettings" => methods::wa_settings(&st, id),
        "green_api.sendMessage" => methods::send_message(&st, id, &body),
        "green_api.receiveNotification" => methods::receive(&st, &s, id, &uri).await,
        _ => methods::delete_notification(&st, id, call.extra),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_parse_with_any_prefix_and_odd_segments_never_panic() {
        let call = parse("/v1/WAINSTANCE42/getStateInstance/tok/7").unwrap();
        assert_eq!(
            (call.id, call.method, call.token, call.extra),
            ("42", "getStateInstance", "tok", Some("7"))
        );
        assert!(parse("/aéééééééé/x/y").is_none());
        assert!(parse("/waInstance42/getStateInstance").is_none(), "no token");
        assert_eq!(parse("/waInstanceé/m/t").unwrap().id, "é");
    }

    #[test]
    fn classify_redacts_the_token() {
        let (route, redacted) = classify(&Method::GET, "/waInstance1/qr/secret-token");
        assert_eq!((route, redacted.as_str()), ("green_api.qr", "/waInstance1/qr/***"));
    }
}
