//! Fault injection, the request log, body caps and the sandbox's own life cycle.

use std::time::{Duration, Instant};

use latch_sandbox::{Fault, FaultKind, Ports, Sandbox, SandboxConfig};
use serde_json::json;

use crate::harness::{start, status_json, status_text};

fn channels(h: &crate::harness::Harness) -> String {
    format!("{}/v2/channels", h.sb.wazzup().base_url())
}

#[tokio::test]
async fn delay_fault_slows_the_answer_then_answers_normally() {
    let h = start().await;
    h.sb.payu()
        .inject("payu.me", Fault::once(FaultKind::Delay(Duration::from_millis(300))));
    // Queued behind the delay: it answers only once the delay is used up.
    h.sb.payu()
        .inject("payu.me", Fault::once(FaultKind::json_status(418, json!({}))));
    let url = format!("{}/api/me", h.sb.payu().base_url());
    let started = Instant::now();
    let resp = h.http.get(&url).send().await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(resp.status(), 401, "then the real handler answers");
    let resp = h.http.get(&url).send().await.unwrap();
    assert_eq!(
        resp.status(),
        418,
        "a once-fault fires once: the next fault in line answers"
    );
    let resp = h.http.get(&url).send().await.unwrap();
    assert_eq!(resp.status(), 401, "and then nothing is injected any more");
    assert_eq!(h.sb.payu().count("payu.me"), 3);
}

#[tokio::test]
async fn status_fault_answers_with_the_given_status_body_and_headers() {
    let h = start().await;
    h.sb.wazzup().inject(
        "wazzup.channels",
        Fault::times(
            2,
            FaultKind::Status {
                status: 429,
                body: "<html>slow down</html>".into(),
                content_type: "text/html".into(),
                headers: vec![("Retry-After".into(), "7".into())],
            },
        ),
    );
    for _ in 0..2 {
        let resp = h.http.get(channels(&h)).send().await.unwrap();
        assert_eq!(resp.headers()["retry-after"], "7");
        assert_eq!(resp.headers()["content-type"], "text/html");
        assert_eq!(status_text(resp).await, (429, "<html>slow down</html>".to_owned()));
    }
    assert_eq!(h.http.get(channels(&h)).send().await.unwrap().status(), 401);
    assert_eq!(
        h.sb.wazzup().count("wazzup.channels"),
        3,
        "faulted requests are recorded too"
    );
}

#[tokio::test]
async fn connection_reset_fault_drops_the_connection() {
    let h = start().await;
    h.sb.wordapp()
        .inject("wordapp.token", Fault::once(FaultKind::ConnectionReset));
    let url = format!("{}/oauth/token", h.sb.wordapp().base_url());
    let err = h
        .http
        .post(&url)
        .form(&[("grant_type", "password")])
        .send()
        .await
        .expect_err("connection reset");
    assert!(!err.is_timeout(), "{err}");
    assert!(err.status().is_none(), "no HTTP answer at all");
    let resp = h
        .http
        .post(&url)
        .form(&[("grant_type", "password")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400, "the next connection works");
}

#[tokio::test]
async fn trickle_fault_sends_the_body_slowly() {
    let h = start().await;
    h.sb.oauth2().inject(
        "oauth2.token",
        Fault::once(FaultKind::Trickle {
            bytes_per_sec: 100,
            total: 50,
        }),
    );
    let started = Instant::now();
    let resp = h.http.post(h.sb.oauth2().token_url()).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let body = resp.bytes().await.unwrap();
    assert_eq!(body.len(), 50);
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn huge_body_fault_sends_that_many_bytes() {
    let h = start().await;
    h.sb.green_api()
        .inject("*", Fault::once(FaultKind::HugeBody(3_000_000)));
    let url = format!(
        "{}/waInstance1101000001/getStateInstance/whatever",
        h.sb.green_api().base_url()
    );
    let resp = h.http.get(url).send().await.unwrap();
    assert_eq!(resp.content_length(), Some(3_000_000));
    let body = resp.bytes().await.unwrap();
    assert_eq!(body.len(), 3_000_000);
    assert!(body.starts_with(b"{\"padding\":\"xxx"));
}

#[tokio::test]
async fn json_fault_answers_200_with_the_given_body_until_cleared() {
    let h = start().await;
    h.sb.wazzup()
        .inject("wazzup.token", Fault::always(FaultKind::Json(json!({ "data": null }))));
    let url = format!("{}/v2/oauth/token", h.sb.wazzup().base_url());
    for _ in 0..3 {
        assert_eq!(
            status_json(h.http.post(&url).send().await.unwrap()).await,
            (200, json!({ "data": null }))
        );
    }
    h.sb.wazzup().clear_faults();
    let (status, body) = status_json(h.http.post(&url).send().await.unwrap()).await;
    assert_eq!(
        (status, body["error"].as_str().unwrap()),
        (401, "OAUTH_AUTHORIZATION_HEADER_INVALID")
    );
}

#[tokio::test]
async fn faults_only_hit_their_route() {
    let h = start().await;
    h.sb.payu().inject(
        "payu.revoke",
        Fault::always(FaultKind::json_status(500, json!({ "error": "boom" }))),
    );
    let resp = h
        .http
        .get(format!("{}/api/me", h.sb.payu().base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
}

#[tokio::test]
async fn request_log_keeps_method_path_query_headers_and_body() {
    let h = start().await;
    let url = format!("{}/oauth/token?trace=1", h.sb.payu().base_url());
    h.http
        .post(url)
        .header("X-Custom", "Yes")
        .form(&[("grant_type", "refresh_token")])
        .send()
        .await
        .unwrap();
    let req = h.sb.payu().requests().pop().unwrap();
    assert_eq!(
        (req.route, req.method.as_str(), req.path.as_str()),
        ("payu.token", "POST", "/oauth/token")
    );
    assert_eq!(req.query_param("trace"), Some("1"));
    assert_eq!(req.header("x-custom"), Some("Yes"));
    assert!(req.headers.iter().all(|(k, _)| *k == k.to_ascii_lowercase()));
    assert_eq!(req.body, b"grant_type=refresh_token");
    assert_eq!(req.form(), vec![("grant_type".to_owned(), "refresh_token".to_owned())]);
    let _ = h
        .http
        .get(format!("{}/nowhere", h.sb.payu().base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(h.sb.payu().count("payu.unknown"), 1);
}

#[tokio::test]
async fn request_bodies_over_64_kib_are_refused() {
    let h = start().await;
    let resp = h
        .http
        .post(h.sb.oauth2().token_url())
        .body(vec![b'a'; latch_sandbox::MAX_BODY + 1])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);
    assert_eq!(h.sb.oauth2().count("oauth2.token"), 1);
}

/// Issue 15, item 8: the log of a long-running sandbox (the window's "Try the
/// sandbox") does not grow without bound: it keeps the newest requests, the
/// head of each body, and exact counts.
#[tokio::test]
async fn the_request_log_keeps_the_newest_requests_and_the_head_of_each_body() {
    use latch_sandbox::{LOG_LIMIT, LOGGED_BODY_LIMIT};
    let h = start().await;
    let sent = LOG_LIMIT + 40;
    for n in 0..sent {
        // Every other body is over the log's cap (and under the fake's own limit).
        let size = if n % 2 == 0 { LOGGED_BODY_LIMIT * 3 } else { 10 };
        let mut body = format!("n={n:04}&pad=").into_bytes();
        body.resize(size, b'x');
        h.http.post(h.sb.oauth2().token_url()).body(body).send().await.unwrap();
    }
    let log = h.sb.oauth2().requests();
    assert_eq!(log.len(), LOG_LIMIT, "the log keeps the newest {LOG_LIMIT}");
    assert!(
        log[0]
            .body
            .starts_with(format!("n={:04}&", sent - LOG_LIMIT).as_bytes())
    );
    assert!(
        log[LOG_LIMIT - 1]
            .body
            .starts_with(format!("n={:04}&", sent - 1).as_bytes())
    );
    assert_eq!(
        h.sb.oauth2().count("oauth2.token"),
        sent,
        "counts are exact all the same"
    );
    for r in &log {
        assert!(r.body.len() <= LOGGED_BODY_LIMIT, "{} bytes kept", r.body.len());
        let big = r.body_len == LOGGED_BODY_LIMIT * 3;
        assert!(big || r.body_len == 10, "{r:?}");
        assert_eq!(r.body_truncated(), big, "{r:?}");
        assert_eq!(r.body.len(), r.body_len.min(LOGGED_BODY_LIMIT));
    }
}

#[tokio::test]
async fn describe_lists_every_fake_on_loopback() {
    let h = start().await;
    let names: Vec<&str> = h.sb.describe().iter().map(|(n, _)| *n).collect();
    assert_eq!(names, ["wazzup", "payu", "wordapp", "green-api", "oauth2"]);
    for (_, url) in h.sb.describe() {
        assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    }
}

#[tokio::test]
async fn fixed_ports_are_honoured_and_dropping_the_sandbox_stops_the_servers() {
    let free = latch_sandbox::harness::free_port();
    let config = SandboxConfig {
        ports: Some(Ports {
            payu: free,
            ..Ports::default()
        }),
        ..SandboxConfig::demo()
    };
    let sb = Sandbox::start(config).await.unwrap();
    let url = sb.payu().base_url();
    assert_eq!(url, format!("http://127.0.0.1:{free}"));
    let http = reqwest::Client::new();
    assert_eq!(http.get(format!("{url}/api/me")).send().await.unwrap().status(), 401);
    drop(sb);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        // A fresh client each time: no pooled keep-alive connection.
        let gone = reqwest::Client::new()
            .get(format!("{url}/api/me"))
            .send()
            .await
            .is_err();
        if gone {
            break;
        }
        assert!(Instant::now() < deadline, "server still answering after drop");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
