//! The GREEN-API methods the fake answers, one function each. Authentication, method
//! routing and HTTP verbs are checked by the dispatcher before these run.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use serde_json::{Value, json};

use super::instance::{GreenState, InstanceState, LinkCode, with_instance};
use super::{GreenApiSettings, WhenAuthorized};
use crate::lock;
use crate::record::query_map;
use crate::util::{json, random_bytes, text};

const NOT_AUTHORIZED: &str = "instance account not authorized";
const STARTING: &str = "instance in starting process try later";
const BAD_REQUEST: &str = "bad request data";
/// A 1×1 PNG: the fake's QR code.
const QR_PNG_BASE64: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=";

pub(super) fn gone() -> Response {
    text(StatusCode::FORBIDDEN, "Forbidden")
}

pub(super) fn get_state(st: &GreenState, id: u64) -> Response {
    match with_instance(st, id, |r| r.config.state) {
        None => gone(),
        Some(None) => json(StatusCode::OK, Value::Null),
        Some(Some(state)) => json(StatusCode::OK, json!({ "stateInstance": state })),
    }
}

pub(super) async fn get_authorization_code(st: &GreenState, s: &GreenApiSettings, id: u64, body: &Bytes) -> Response {
    // `phoneNumber` must be a JSON integer; the documented Python sample sends no Content-Type.
    let phone = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("phoneNumber").and_then(Value::as_u64));
    let Some(phone) = phone else {
        return text(StatusCode::BAD_REQUEST, BAD_REQUEST);
    };
    let Some(state) = with_instance(st, id, |r| r.config.state) else {
        return gone();
    };
    match state {
        None | Some(InstanceState::Starting) => return text(StatusCode::BAD_REQUEST, STARTING),
        Some(InstanceState::NotAuthorized) => {}
        Some(_) => {
            return match s.when_authorized {
                WhenAuthorized::StatusFalse => json(StatusCode::OK, json!({ "status": false, "code": "" })),
                WhenAuthorized::BadRequest => text(StatusCode::BAD_REQUEST, BAD_REQUEST),
            };
        }
    }
    if !s.code_delay.is_zero() {
        tokio::time::sleep(s.code_delay).await;
    }
    let s = lock(&st.settings).clone();
    let now = st.core.clock.now();
    let answer = with_instance(st, id, |rec| {
        if s.code_status_false || rec.codes_broken {
            return json!({ "status": false, "code": "" });
        }
        let code = link_code();
        rec.link_code = Some(LinkCode {
            code: code.clone(),
            phone,
            expires_at: now + s.code_ttl,
        });
        json!({ "status": true, "code": code })
    });
    answer.map(|a| json(StatusCode::OK, a)).unwrap_or_else(gone)
}

/// Eight characters of `A-Z` and `2-9`, like WhatsApp's link codes (e.g. `GAPI2015`).
fn link_code() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    random_bytes(8)
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect()
}

pub(super) fn logout(st: &GreenState, id: u64) -> Response {
    let done = with_instance(st, id, |rec| match rec.config.state {
        None | Some(InstanceState::Starting) => false,
        Some(_) => {
            rec.link_code = None;
            st.set_state(rec, Some(InstanceState::NotAuthorized));
            true
        }
    });
    match done {
        None => gone(),
        Some(false) => text(StatusCode::BAD_REQUEST, STARTING),
        Some(true) => json(StatusCode::OK, json!({ "isLogout": true })),
    }
}

pub(super) fn reboot(st: &Arc<GreenState>, s: &GreenApiSettings, id: u64) -> Response {
    let previous = with_instance(st, id, |rec| {
        let previous = rec.config.state;
        rec.codes_broken = false;
        if previous != Some(InstanceState::Starting) {
            st.set_state(rec, Some(InstanceState::Starting));
        }
        previous
    });
    let Some(previous) = previous else { return gone() };
    // A reboot of an instance stuck in `starting` brings it back as notAuthorized.
    let back = match previous {
        Some(InstanceState::Starting) | None => Some(InstanceState::NotAuthorized),
        other => other,
    };
    if s.reboot_delay.is_zero() {
        finish_reboot(st, id, back);
    } else {
        // Answer at once and come back later, as GREEN-API does; a stopped fake stays stopped.
        let (delay, weak) = (s.reboot_delay, Arc::downgrade(st));
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            if let Some(st) = weak.upgrade() {
                finish_reboot(&st, id, back);
            }
        });
    }
    json(StatusCode::OK, json!({ "isReboot": true }))
}

fn finish_reboot(st: &GreenState, id: u64, back: Option<InstanceState>) {
    with_instance(st, id, |rec| {
        if rec.config.state == Some(InstanceState::Starting) {
            st.set_state(rec, back);
        }
    });
}

pub(super) fn qr(st: &GreenState, s: &GreenApiSettings, id: u64) -> Response {
    let Some(state) = with_instance(st, id, |r| r.config.state) else {
        return gone();
    };
    let (kind, message) = match state {
        _ if s.qr_error => ("error", "Instance has auth. You need to make log out"),
        Some(InstanceState::NotAuthorized) => ("qrCode", QR_PNG_BASE64),
        Some(InstanceState::Starting) | None => ("error", STARTING),
        Some(_) => ("alreadyLogged", "instance account already authorized"),
    };
    json(StatusCode::OK, json!({ "type": kind, "message": message }))
}

pub(super) fn wa_settings(st: &GreenState, id: u64) -> Response {
    let Some((state, phone)) = with_instance(st, id, |r| (r.config.state, r.config.phone)) else {
        return gone();
    };
    match state {
        Some(InstanceState::Authorized) => json(
            StatusCode::OK,
            json!({ "avatar": "", "phone": phone.map(|p| p.to_string()).unwrap_or_default(), "stateInstance": state, "deviceId": "sandbox" }),
        ),
        Some(InstanceState::Starting) | None => text(StatusCode::BAD_REQUEST, STARTING),
        _ => text(StatusCode::BAD_REQUEST, NOT_AUTHORIZED),
    }
}

/// `POST sendMessage` `{chatId, message}`: an authorized instance answers
/// `{idMessage}` (https://green-api.com/en/docs/api/sending/SendMessage/).
pub(super) fn send_message(st: &GreenState, id: u64, body: &[u8]) -> Response {
    let Some(state) = with_instance(st, id, |r| r.config.state) else {
        return gone();
    };
    if state != Some(InstanceState::Authorized) {
        return text(StatusCode::BAD_REQUEST, NOT_AUTHORIZED);
    }
    let body: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let valid = body
        .get("chatId")
        .and_then(Value::as_str)
        .is_some_and(|c| c.ends_with("@c.us") || c.ends_with("@g.us"))
        && body
            .get("message")
            .and_then(Value::as_str)
            .is_some_and(|m| !m.is_empty());
    if !valid {
        return json(
            StatusCode::BAD_REQUEST,
            json!({ "message": "Validation failed. Details: 'chatId' and 'message' are required" }),
        );
    }
    json(
        StatusCode::OK,
        json!({ "idMessage": format!("BAE5{:012X}", st.core.clock.unix()) }),
    )
}

pub(super) async fn receive(st: &GreenState, s: &GreenApiSettings, id: u64, uri: &Uri) -> Response {
    let timeout = query_map(uri)
        .get("receiveTimeout")
        .and_then(|t| t.parse::<u64>().ok())
        .unwrap_or(5)
        .clamp(5, 60);
    let mut wait = Duration::from_secs(timeout);
    if let Some(cap) = s.max_receive_wait {
        wait = wait.min(cap);
    }
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        // Register for a wake-up before looking, so a push in between is not missed.
        let woken = st.queued.notified();
        let mut woken = std::pin::pin!(woken);
        woken.as_mut().enable();
        let now = st.core.clock.now();
        let head = with_instance(st, id, |rec| {
            rec.queue
                .retain(|n| now.duration_since(n.queued_at).unwrap_or_default() < s.notification_ttl);
            rec.queue
                .front()
                .map(|n| json!({ "receiptId": n.receipt_id, "body": n.body }))
        });
        match head {
            None => return gone(),
            Some(Some(n)) => return json(StatusCode::OK, n),
            Some(None) => {}
        }
        if tokio::time::timeout_at(deadline, woken).await.is_err() {
            return json(StatusCode::OK, Value::Null);
        }
    }
}

pub(super) fn delete_notification(st: &GreenState, id: u64, receipt: Option<&str>) -> Response {
    let Some(receipt) = receipt.and_then(|r| r.parse::<u64>().ok()) else {
        return text(StatusCode::BAD_REQUEST, "Parameter receiptId must be a Number");
    };
    let removed = with_instance(st, id, |rec| {
        let before = rec.queue.len();
        rec.queue.retain(|n| n.receipt_id != receipt);
        rec.queue.len() != before
    });
    match removed {
        None => gone(),
        Some(true) => json(StatusCode::OK, json!({ "result": true, "reason": "" })),
        Some(false) => json(
            StatusCode::OK,
            json!({ "result": false, "reason": "notification not found" }),
        ),
    }
}
