//! Fake GREEN-API against document 002 and providers.md §6.2.

use std::time::{Duration, Instant};

use latch_sandbox::green_api::{InstanceState, WrongCode};
use serde_json::{Value, json};

use crate::harness::{Harness, start, status_json, status_text};

const ID: u64 = 1101000001;
const TOKEN: &str = "demo0green0api0token0000000000000000000000000000";
const PHONE: u64 = 441234567890;

fn url(h: &Harness, method: &str) -> String {
    format!("{}/waInstance{ID}/{method}/{TOKEN}", h.sb.green_api().base_url())
}

async fn get(h: &Harness, method: &str) -> (u16, Value) {
    status_json(h.http.get(url(h, method)).send().await.unwrap()).await
}

async fn ask_code(h: &Harness, body: Value) -> (u16, Value) {
    status_json(
        h.http
            .post(url(h, "getAuthorizationCode"))
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn state(h: &Harness) -> Value {
    get(h, "getStateInstance").await.1["stateInstance"].clone()
}

#[tokio::test]
async fn green_api_link_by_phone_code_authorizes_the_instance() {
    let h = start().await;
    assert_eq!(state(&h).await, "notAuthorized");
    let (status, body) = ask_code(&h, json!({ "phoneNumber": PHONE })).await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], true);
    let code = body["code"].as_str().unwrap();
    assert_eq!(code.len(), 8);

    assert!(!h.sb.green_api().enter_code(ID, "WRONG123"));
    assert_eq!(state(&h).await, "notAuthorized");
    assert!(h.sb.green_api().enter_code(ID, code));
    assert_eq!(state(&h).await, "authorized");
    assert_eq!(h.sb.green_api().wid(ID).as_deref(), Some("441234567890@c.us"));
    assert!(!h.sb.green_api().enter_code(ID, code), "a code links once");

    // The stateInstanceChanged notification, exactly as §2.4 shows it.
    let (status, n) = get(&h, "receiveNotification").await;
    assert_eq!(status, 200);
    let receipt = n["receiptId"].as_u64().unwrap();
    let body = &n["body"];
    assert_eq!(body["typeWebhook"], "stateInstanceChanged");
    assert_eq!(
        body["instanceData"],
        json!({ "idInstance": ID, "wid": "441234567890@c.us", "typeInstance": "whatsapp" })
    );
    assert_eq!(body["stateInstance"], "authorized");
    assert!(body["timestamp"].as_u64().is_some());

    // The same head comes back until deleted.
    assert_eq!(get(&h, "receiveNotification").await.1["receiptId"], receipt);
    let del = format!(
        "{}/waInstance{ID}/deleteNotification/{TOKEN}/{receipt}",
        h.sb.green_api().base_url()
    );
    assert_eq!(
        status_json(h.http.delete(&del).send().await.unwrap()).await,
        (200, json!({ "result": true, "reason": "" }))
    );
    let (_, again) = status_json(h.http.delete(&del).send().await.unwrap()).await;
    assert_eq!(again["result"], false);
}

#[tokio::test]
async fn green_api_phone_number_must_be_a_json_number() {
    let h = start().await;
    for body in [
        json!({ "phoneNumber": "441234567890" }),
        json!({}),
        json!({ "phoneNumber": 4.5 }),
    ] {
        let resp = h
            .http
            .post(url(&h, "getAuthorizationCode"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(status_text(resp).await, (400, "bad request data".to_owned()), "{body}");
    }
    let resp = h
        .http
        .post(url(&h, "getAuthorizationCode"))
        .body("phoneNumber=441234567890")
        .send()
        .await
        .unwrap();
    assert_eq!(status_text(resp).await.0, 400);
    // No Content-Type, as in the document's Python sample: still fine.
    let resp = h
        .http
        .post(url(&h, "getAuthorizationCode"))
        .body(format!("{{\"phoneNumber\": {PHONE}}}"))
        .send();
    assert_eq!(status_json(resp.await.unwrap()).await.1["status"], true);
}

#[tokio::test]
async fn green_api_code_expires_after_150_seconds_on_the_fake_clock() {
    let h = start().await;
    let (_, body) = ask_code(&h, json!({ "phoneNumber": PHONE })).await;
    let code = body["code"].as_str().unwrap().to_owned();
    h.sb.green_api().advance(Duration::from_secs(150));
    assert!(!h.sb.green_api().enter_code(ID, &code));
    assert_eq!(state(&h).await, "notAuthorized");
    let (_, body) = ask_code(&h, json!({ "phoneNumber": PHONE })).await;
    h.sb.green_api().advance(Duration::from_secs(149));
    assert!(h.sb.green_api().enter_code(ID, body["code"].as_str().unwrap()));
}

#[tokio::test]
async fn green_api_code_answer_can_be_slow() {
    let h = start().await;
    h.sb.green_api().settings().code_delay = Duration::from_millis(300);
    let started = Instant::now();
    let (status, body) = ask_code(&h, json!({ "phoneNumber": PHONE })).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!((status, body["status"].clone()), (200, json!(true)));
}

#[tokio::test]
async fn green_api_code_status_false_and_instance_states() {
    let h = start().await;
    h.sb.green_api().settings().code_status_false = true;
    assert_eq!(ask_code(&h, json!({ "phoneNumber": PHONE })).await.1["status"], false);
    h.sb.green_api().settings().code_status_false = false;

    h.sb.green_api().set_state(ID, Some(InstanceState::Starting));
    let resp = h
        .http
        .post(url(&h, "getAuthorizationCode"))
        .json(&json!({ "phoneNumber": PHONE }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        status_text(resp).await,
        (400, "instance in starting process try later".to_owned())
    );

    h.sb.green_api().set_state(ID, Some(InstanceState::Authorized));
    assert_eq!(
        ask_code(&h, json!({ "phoneNumber": PHONE })).await,
        (200, json!({ "status": false, "code": "" }))
    );

    h.sb.green_api().set_state(ID, None);
    assert_eq!(
        get(&h, "getStateInstance").await,
        (200, Value::Null),
        "null while the instance is being created"
    );
}

#[tokio::test]
async fn green_api_rejects_wrong_token_and_unknown_instance() {
    let h = start().await;
    let base = h.sb.green_api().base_url();
    let wrong_token = h
        .http
        .get(format!("{base}/waInstance{ID}/getStateInstance/nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(status_text(wrong_token).await, (401, "Unauthorized".to_owned()));
    let unknown = h
        .http
        .get(format!("{base}/waInstance999/getStateInstance/{TOKEN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(status_text(unknown).await, (403, "Forbidden".to_owned()));
}

#[tokio::test]
async fn green_api_method_names_are_case_insensitive_and_paths_may_have_a_prefix() {
    let h = start().await;
    for method in ["GetStateInstance", "GETSTATEINSTANCE", "getstateinstance"] {
        assert_eq!(get(&h, method).await.1["stateInstance"], "notAuthorized", "{method}");
    }
    let prefixed = format!(
        "{}/v1/waInstance{ID}/getStateInstance/{TOKEN}",
        h.sb.green_api().base_url()
    );
    assert_eq!(h.http.get(prefixed).send().await.unwrap().status(), 200);
    assert_eq!(h.sb.green_api().count("green_api.getStateInstance"), 4);
}

#[tokio::test]
async fn green_api_request_log_never_shows_the_token() {
    let h = start().await;
    let _ = get(&h, "getStateInstance").await;
    let req = h.sb.green_api().requests().pop().unwrap();
    assert_eq!(req.path, format!("/waInstance{ID}/getStateInstance/{TOKEN}"));
    assert_eq!(req.redacted_path(), format!("/waInstance{ID}/getStateInstance/***"));
    assert!(!format!("{req:?}").contains(TOKEN));
}

#[tokio::test]
async fn green_api_logout_reboot_and_qr() {
    let h = start().await;
    assert_eq!(get(&h, "qr").await.1["type"], "qrCode");
    let (_, body) = ask_code(&h, json!({ "phoneNumber": PHONE })).await;
    assert!(h.sb.green_api().enter_code(ID, body["code"].as_str().unwrap()));
    assert_eq!(
        get(&h, "qr").await.1,
        json!({ "type": "alreadyLogged", "message": "instance account already authorized" })
    );
    assert_eq!(get(&h, "getWaSettings").await.1["phone"], "441234567890");

    assert_eq!(get(&h, "reboot").await, (200, json!({ "isReboot": true })));
    assert_eq!(state(&h).await, "authorized");
    assert_eq!(get(&h, "logout").await, (200, json!({ "isLogout": true })));
    assert_eq!(state(&h).await, "notAuthorized");
    let resp = h.http.get(url(&h, "getWaSettings")).send().await.unwrap();
    assert_eq!(
        status_text(resp).await,
        (400, "instance account not authorized".to_owned())
    );

    h.sb.green_api().settings().qr_error = true;
    assert_eq!(
        get(&h, "qr").await.1["message"],
        "Instance has auth. You need to make log out"
    );

    let states: Vec<Value> =
        h.sb.green_api()
            .notifications(ID)
            .iter()
            .map(|n| n["stateInstance"].clone())
            .collect();
    assert_eq!(
        states,
        ["authorized", "starting", "authorized", "notAuthorized"].map(Value::from)
    );
}

#[tokio::test]
async fn green_api_reboot_with_delay_passes_through_starting() {
    let h = start().await;
    h.sb.green_api().settings().reboot_delay = Duration::from_millis(100);
    assert_eq!(get(&h, "reboot").await.1["isReboot"], true);
    assert_eq!(state(&h).await, "starting");
    let deadline = Instant::now() + Duration::from_secs(5);
    while state(&h).await != "notAuthorized" {
        assert!(Instant::now() < deadline, "instance never came back from reboot");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn green_api_wrong_code_can_break_codes_until_reboot() {
    let h = start().await;
    h.sb.green_api().settings().wrong_code = WrongCode::StatusFalseUntilReboot;
    let _ = ask_code(&h, json!({ "phoneNumber": PHONE })).await;
    assert!(!h.sb.green_api().enter_code(ID, "BADCODE1"));
    assert_eq!(ask_code(&h, json!({ "phoneNumber": PHONE })).await.1["status"], false);
    let _ = get(&h, "reboot").await;
    assert_eq!(ask_code(&h, json!({ "phoneNumber": PHONE })).await.1["status"], true);

    h.sb.green_api().settings().wrong_code = WrongCode::StuckStarting;
    assert!(!h.sb.green_api().enter_code(ID, "BADCODE1"));
    assert_eq!(state(&h).await, "starting");
}

#[tokio::test]
async fn green_api_notifications_queue_rules() {
    let h = start().await;
    h.sb.green_api().settings().max_receive_wait = Some(Duration::from_millis(50));
    let (status, body) = get(&h, "receiveNotification").await;
    assert_eq!((status, body), (200, Value::Null), "an empty queue answers null");

    let base = h.sb.green_api().base_url();
    let wrong_verb = h
        .http
        .get(format!("{base}/waInstance{ID}/deleteNotification/{TOKEN}/1"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_verb.status(), 405);
    let not_number = h
        .http
        .delete(format!("{base}/waInstance{ID}/deleteNotification/{TOKEN}/abc"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        status_text(not_number).await,
        (400, "Parameter receiptId must be a Number".to_owned())
    );

    // A long poll wakes up when a notification arrives.
    h.sb.green_api().settings().max_receive_wait = None;
    let poll = h
        .http
        .get(format!("{}?receiveTimeout=5", url(&h, "receiveNotification")))
        .send();
    let push = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        h.sb.green_api().push_notification(
            ID,
            json!({ "typeWebhook": "statusInstanceChanged", "statusInstance": "online" }),
        );
    };
    let started = Instant::now();
    let (resp, ()) = tokio::join!(poll, push);
    let (_, n) = status_json(resp.unwrap()).await;
    assert_eq!(n["body"]["statusInstance"], "online");
    assert!(started.elapsed() < Duration::from_secs(4));

    // Unhandled notifications vanish after 24 h.
    h.sb.green_api().advance(Duration::from_secs(24 * 3600));
    h.sb.green_api().settings().max_receive_wait = Some(Duration::from_millis(10));
    assert_eq!(get(&h, "receiveNotification").await.1, Value::Null);
}

#[tokio::test]
async fn green_api_can_answer_with_non_json_pages() {
    let h = start().await;
    h.sb.green_api().settings().non_json_answers = true;
    let resp = h.http.get(url(&h, "getStateInstance")).send().await.unwrap();
    assert_eq!(resp.headers()["content-type"], "text/html; charset=utf-8");
    let (status, text) = status_text(resp).await;
    assert_eq!(status, 200);
    assert!(serde_json::from_str::<Value>(&text).is_err());
}

#[tokio::test]
async fn green_api_rate_limits_answer_429_when_switched_on() {
    let h = start().await;
    h.sb.green_api().settings().rate_limits = true;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(
            h.http
                .get(url(&h, "getStateInstance"))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16(),
        );
    }
    assert_eq!(statuses[0], 200);
    assert!(statuses.contains(&429), "{statuses:?}");
}
