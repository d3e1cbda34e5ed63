//! The loopback listener as a browser (and a hostile local process) meets it.

use latch_core::redirect::loopback::{LoopbackError, LoopbackListener, LoopbackRedirect, Verdict};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

fn any_port() -> LoopbackRedirect {
    LoopbackRedirect::parse("http://127.0.0.1/callback").unwrap().unwrap()
}

/// A raw GET, as a browser (or anything else) would send it; returns the status line.
fn get(port: u16, target: &str) -> String {
    let answer = get_page(port, target);
    answer.lines().next().unwrap_or_default().to_owned()
}

/// The same GET; returns the whole answer, head and page.
fn get_page(port: u16, target: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(stream, "GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n").unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

fn judge(url: &str) -> Verdict<String, String> {
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or_default();
    if query.contains("error=access_denied") {
        Verdict::Fail("denied".into())
    } else if query.contains("state=good") {
        Verdict::Accept(url.to_owned())
    } else {
        Verdict::Reject("unknown state".into())
    }
}

#[tokio::test]
async fn loopback_listens_on_127_0_0_1_only_and_closes_after_the_callback() {
    let listener = LoopbackListener::bind(&any_port()).await.unwrap();
    let port = listener.port();
    assert_ne!(port, 0);
    assert_eq!(listener.redirect_uri(), format!("http://127.0.0.1:{port}/callback"));
    let serving = tokio::spawn(listener.serve(Duration::from_secs(30), std::future::pending(), judge));

    let browser = tokio::task::spawn_blocking(move || {
        (
            get(port, "/favicon.ico"),
            get(port, "/callback?code=c&state=forged"),
            get(port, "/callback?code=c&state=good"),
        )
    });
    let (favicon, forged, good) = browser.await.unwrap();
    assert_eq!(favicon, "HTTP/1.1 400 Bad Request", "not the callback's path");
    assert_eq!(forged, "HTTP/1.1 400 Bad Request", "a forged callback is refused");
    assert_eq!(good, "HTTP/1.1 200 OK");

    let url = serving.await.unwrap().unwrap();
    assert_eq!(url, format!("http://127.0.0.1:{port}/callback?code=c&state=good"));
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "the port must be closed after the callback"
    );
}

#[tokio::test]
async fn loopback_garbage_and_oversized_requests_do_not_end_the_flow() {
    let listener = LoopbackListener::bind(&any_port()).await.unwrap();
    let port = listener.port();
    let serving = tokio::spawn(listener.serve(Duration::from_secs(30), std::future::pending(), judge));
    let answers = tokio::task::spawn_blocking(move || {
        let mut garbage = TcpStream::connect(("127.0.0.1", port)).unwrap();
        garbage.write_all(b"\x16\x03\x01 not http at all\r\n\r\n").unwrap();
        let mut first = String::new();
        garbage.read_to_string(&mut first).unwrap();
        let huge = format!("/callback?state={}", "x".repeat(20_000));
        let mut big = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let _ = write!(big, "GET {huge} HTTP/1.1\r\nHost: x\r\n\r\n");
        let mut second = String::new();
        let _ = big.read_to_string(&mut second);
        (first, second, get(port, "/callback?code=c&state=good"))
    });
    let (garbage, oversized, good) = answers.await.unwrap();
    assert!(garbage.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{garbage}");
    assert!(oversized.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{oversized}");
    assert_eq!(good, "HTTP/1.1 200 OK");
    assert!(serving.await.unwrap().is_ok());
}

#[tokio::test]
async fn loopback_waits_for_a_long_request_head_that_arrives_in_pieces() {
    // A browser with many cookies for 127.0.0.1 sends a head of several KiB,
    // and TCP may deliver it in more than one read: well under the 16 KiB
    // limit, it is read to its end and judged like any other.
    let listener = LoopbackListener::bind(&any_port()).await.unwrap();
    let port = listener.port();
    let serving = tokio::spawn(listener.serve(Duration::from_secs(30), std::future::pending(), judge));
    let status = tokio::task::spawn_blocking(move || {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let cookie = "c".repeat(10_000);
        write!(stream, "GET /callback?code=c&state=good HTTP/1.1\r\nCookie: {cookie}").unwrap();
        stream.flush().unwrap();
        std::thread::sleep(Duration::from_millis(100));
        write!(stream, "\r\nHost: 127.0.0.1:{port}\r\n\r\n").unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        answer.lines().next().unwrap_or_default().to_owned()
    });
    assert_eq!(status.await.unwrap(), "HTTP/1.1 200 OK");
    assert!(serving.await.unwrap().is_ok());
}

#[tokio::test]
async fn loopback_pages_tell_the_person_what_happened_and_never_the_judges_reason() {
    // The judge's reason can quote what the request carried; it stays in
    // Latch and the page says only that the request was refused.
    let judge = |url: &str| -> Verdict<String, String> {
        if url.contains("state=good") {
            Verdict::Accept(url.to_owned())
        } else if url.contains("error=") {
            Verdict::Fail("denied".into())
        } else {
            Verdict::Reject("state <script>\"x\" & more</script>".into())
        }
    };
    let listener = LoopbackListener::bind(&any_port())
        .await
        .unwrap()
        .for_provider("Wazzup");
    let port = listener.port();
    let serving = tokio::spawn(listener.serve(Duration::from_secs(30), std::future::pending(), judge));
    let (forged, good) = tokio::task::spawn_blocking(move || {
        (
            get_page(port, "/callback?state=forged"),
            get_page(port, "/callback?code=c&state=good"),
        )
    })
    .await
    .unwrap();
    assert!(
        forged.contains(
            "<h1 style=\"font-size:1.3rem\">Latch did not accept this request. If you are signing in, return to \
             Latch.</h1>"
        ),
        "{forged}"
    );
    assert!(!forged.contains("script") && !forged.contains("more"), "{forged}");
    assert!(
        good.contains(
            "<h1 style=\"font-size:1.3rem\">Signed in to Wazzup. You can close this tab and return to Latch.</h1>"
        ),
        "{good}"
    );
    serving.await.unwrap().unwrap();

    let listener = LoopbackListener::bind(&any_port())
        .await
        .unwrap()
        .for_provider("<b>auth.acme.example");
    let port = listener.port();
    let serving = tokio::spawn(listener.serve(Duration::from_secs(30), std::future::pending(), judge));
    let denied = tokio::task::spawn_blocking(move || get_page(port, "/callback?error=access_denied"))
        .await
        .unwrap();
    assert!(
        denied.contains(
            "<h1 style=\"font-size:1.3rem\">&lt;b&gt;auth.acme.example did not grant access. Return to Latch to see why.</h1>"
        ),
        "{denied}"
    );
    assert!(serving.await.unwrap().is_err());
}

/// An unfinished head of exactly the 16 KiB the listener reads: refused as
/// too large, with nothing left unread (which could reset the connection).
fn oversized_head() -> String {
    let start = "GET /callback?state=";
    format!(
        "{start}{}",
        "x".repeat(latch_core::redirect::loopback::MAX_REQUEST_HEAD - start.len())
    )
}

/// Sends `head` on a fresh connection and returns the whole answer (or why
/// there is none: a listener that took an earlier request as the callback
/// has closed).
fn send(port: u16, head: &str) -> String {
    let mut stream = match TcpStream::connect(("127.0.0.1", port)) {
        Ok(stream) => stream,
        Err(e) => return format!("(no listener: {e})"),
    };
    let mut answer = String::new();
    if let Err(e) = stream
        .write_all(head.as_bytes())
        .and_then(|()| stream.read_to_string(&mut answer))
    {
        answer.push_str(&format!("(cut off: {e})"));
    }
    answer
}

/// Issue 15, item 12: a DNS-rebinding page makes the browser send its own
/// name as `Host`, and a web page's `fetch` or `<img>` says so in
/// `Sec-Fetch-Mode`; neither reaches the judge, even with the right state,
/// and the real navigation is still accepted afterwards.
#[tokio::test]
async fn loopback_refuses_another_host_and_non_navigation_fetches_then_takes_the_callback() {
    let judged = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let seen = judged.clone();
    let judge = move |url: &str| {
        seen.lock().unwrap().push(url.to_owned());
        judge(url)
    };
    let listener = LoopbackListener::bind(&any_port()).await.unwrap();
    let port = listener.port();
    let serving = tokio::spawn(listener.serve(Duration::from_secs(30), std::future::pending(), judge));
    let answers = tokio::task::spawn_blocking(move || {
        let target = "/callback?code=c&state=good";
        [
            format!("GET {target} HTTP/1.1\r\nHost: evil.example:{port}\r\n\r\n"),
            format!("GET {target} HTTP/1.1\r\nHost: localhost:{port}\r\n\r\n"),
            format!("GET {target} HTTP/1.1\r\n\r\n"),
            format!("GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nHost: evil.example\r\n\r\n"),
            format!("GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nSec-Fetch-Mode: cors\r\n\r\n"),
            format!("GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nSec-Fetch-Mode: no-cors\r\n\r\n"),
            format!(
                "GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nSec-Fetch-Mode: navigate\r\n\
                 Sec-Fetch-Site: none\r\n\r\n"
            ),
        ]
        .map(|head| send(port, &head))
    });
    let [evil, localhost, no_host, two_hosts, cors, no_cors, navigation] = answers.await.unwrap();
    for (what, answer) in [
        ("Host: evil.example", &evil),
        ("Host: localhost", &localhost),
        ("no Host", &no_host),
        ("two Hosts", &two_hosts),
        ("Sec-Fetch-Mode: cors", &cors),
        ("Sec-Fetch-Mode: no-cors", &no_cors),
    ] {
        assert!(answer.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{what}: {answer}");
    }
    assert!(navigation.starts_with("HTTP/1.1 200 OK\r\n"), "{navigation}");
    let url = serving.await.unwrap().unwrap();
    assert_eq!(url, format!("http://127.0.0.1:{port}/callback?code=c&state=good"));
    assert_eq!(
        *judged.lock().unwrap(),
        [url],
        "only the browser's navigation reached the judge"
    );
}

/// Issue 15, item 12: every refusal is the same answer, byte for byte, so a
/// page probing the listener cannot tell a wrong path from a wrong state,
/// a wrong Host, garbage or a slow socket.
#[tokio::test]
async fn loopback_gives_every_refusal_the_same_answer() {
    let listener = LoopbackListener::bind(&any_port()).await.unwrap();
    let port = listener.port();
    let serving = tokio::spawn(listener.serve(Duration::from_secs(30), std::future::pending(), judge));
    let answers = tokio::task::spawn_blocking(move || {
        let host = format!("Host: 127.0.0.1:{port}");
        let answers = vec![
            (
                "a forged state",
                send(port, &format!("GET /callback?state=forged HTTP/1.1\r\n{host}\r\n\r\n")),
            ),
            (
                "another path",
                send(port, &format!("GET /favicon.ico HTTP/1.1\r\n{host}\r\n\r\n")),
            ),
            (
                "another Host",
                send(
                    port,
                    &format!("GET /callback?state=good HTTP/1.1\r\nHost: evil.example:{port}\r\n\r\n"),
                ),
            ),
            (
                "a fetch",
                send(
                    port,
                    &format!("GET /callback?state=good HTTP/1.1\r\n{host}\r\nSec-Fetch-Mode: cors\r\n\r\n"),
                ),
            ),
            (
                "a POST",
                send(port, &format!("POST /callback?state=good HTTP/1.1\r\n{host}\r\n\r\n")),
            ),
            ("garbage", send(port, "\x16\x03\x01 not http\r\n\r\n")),
            ("an oversized head", send(port, &oversized_head())),
        ];
        (answers, get(port, "/callback?code=c&state=good"))
    });
    let (mut answers, callback) = answers.await.unwrap();
    assert_eq!(callback, "HTTP/1.1 200 OK");
    serving.await.unwrap().unwrap();

    // A socket that never finishes its head is refused when its time is up.
    let listener = LoopbackListener::bind(&any_port())
        .await
        .unwrap()
        .with_head_timeout(Duration::from_millis(100));
    let port = listener.port();
    let serving = tokio::spawn(listener.serve(Duration::from_secs(30), std::future::pending(), judge));
    let silent = tokio::task::spawn_blocking(move || send(port, "GET /callback?state=good HTTP/1.1\r\n"));
    answers.push(("a silent socket", silent.await.unwrap()));
    serving.abort();

    let (first, refused) = &answers[0];
    assert!(
        refused.starts_with("HTTP/1.1 400 Bad Request\r\n"),
        "{first}: {refused}"
    );
    for (what, answer) in &answers[1..] {
        assert_eq!(answer, refused, "{what} is answered unlike {first}");
    }
}

/// Issue 15, item 7: connections are served side by side, so sockets that
/// connect and send nothing do not hold back the browser's callback. The
/// proof is the order, not a clock: the idle sockets' head timeout is a
/// minute, yet the callback is answered and the listener ends while every
/// idle socket is still unanswered (each then reads only the close, no
/// page). Served one at a time, the first idle socket would be answered
/// first.
#[tokio::test]
async fn loopback_answers_the_callback_while_idle_sockets_wait() {
    let listener = LoopbackListener::bind(&any_port())
        .await
        .unwrap()
        .with_head_timeout(Duration::from_secs(60));
    let port = listener.port();
    let serving = tokio::spawn(listener.serve(Duration::from_secs(120), std::future::pending(), judge));
    let idle: Vec<TcpStream> = (0..5)
        .map(|_| TcpStream::connect(("127.0.0.1", port)).unwrap())
        .collect();
    let callback = tokio::task::spawn_blocking(move || get(port, "/callback?code=c&state=good"));
    assert_eq!(callback.await.unwrap(), "HTTP/1.1 200 OK");
    serving.await.unwrap().unwrap();
    for (n, mut socket) in idle.into_iter().enumerate() {
        let mut answer = Vec::new();
        socket.read_to_end(&mut answer).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&answer),
            "",
            "idle socket {n} was answered before the callback"
        );
    }
}

/// Issue 15, item 7: at most 16 connections are served at once; the next
/// waits in the OS's queue, unanswered, and is served as soon as one of the
/// 16 ends. (That it is unanswered while the 16 are held is checked at one
/// moment: a listener without the bound would usually have answered it.)
#[tokio::test]
async fn loopback_serves_at_most_sixteen_connections_and_then_the_next_in_line() {
    use latch_core::redirect::loopback::MAX_CONNECTIONS;
    assert_eq!(MAX_CONNECTIONS, 16);
    let listener = LoopbackListener::bind(&any_port())
        .await
        .unwrap()
        .with_head_timeout(Duration::from_secs(60));
    let port = listener.port();
    let serving = tokio::spawn(listener.serve(Duration::from_secs(120), std::future::pending(), judge));
    let answer = tokio::task::spawn_blocking(move || {
        let mut idle: Vec<TcpStream> = (0..MAX_CONNECTIONS)
            .map(|_| TcpStream::connect(("127.0.0.1", port)).unwrap())
            .collect();
        // The 16th is being served once a request on it is answered.
        let mut last = idle.pop().unwrap();
        write!(last, "GET /favicon.ico HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n").unwrap();
        let mut answer = String::new();
        last.read_to_string(&mut answer).unwrap();
        assert!(answer.starts_with("HTTP/1.1 400 "), "{answer}");
        // Its place is taken by the next idle socket; now the callback is 17th.
        idle.push(TcpStream::connect(("127.0.0.1", port)).unwrap());
        let mut callback = TcpStream::connect(("127.0.0.1", port)).unwrap();
        write!(
            callback,
            "GET /callback?code=c&state=good HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n"
        )
        .unwrap();
        callback.set_nonblocking(true).unwrap();
        let mut byte = [0u8; 1];
        assert_eq!(
            callback.read(&mut byte).map_err(|e| e.kind()),
            Err(std::io::ErrorKind::WouldBlock),
            "the 17th connection was answered while 16 were served"
        );
        // One idle socket goes: the callback is served.
        drop(idle.remove(0));
        callback.set_nonblocking(false).unwrap();
        let mut answer = String::new();
        callback.read_to_string(&mut answer).unwrap();
        answer
    });
    let answer = answer.await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    serving.await.unwrap().unwrap();
}

#[tokio::test]
async fn loopback_denied_access_ends_the_flow_with_the_error() {
    let listener = LoopbackListener::bind(&any_port()).await.unwrap();
    let port = listener.port();
    let serving = tokio::spawn(listener.serve(Duration::from_secs(30), std::future::pending(), judge));
    let status = tokio::task::spawn_blocking(move || get(port, "/callback?error=access_denied&state=good"));
    assert!(status.await.unwrap().contains(" 200 "));
    assert!(matches!(serving.await.unwrap(), Err(LoopbackError::Failed(e)) if e == "denied"));
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err());
}

#[tokio::test]
async fn loopback_port_is_closed_on_timeout_and_on_cancel() {
    let listener = LoopbackListener::bind(&any_port()).await.unwrap();
    let port = listener.port();
    let result = listener
        .serve(Duration::from_millis(50), std::future::pending(), judge)
        .await;
    assert!(matches!(result, Err(LoopbackError::TimedOut(_))));
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "closed after the timeout"
    );

    let listener = LoopbackListener::bind(&any_port()).await.unwrap();
    let port = listener.port();
    let (cancel, cancelled) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(listener.serve(
        Duration::from_secs(30),
        async {
            cancelled.await.ok();
        },
        judge,
    ));
    cancel.send(()).unwrap();
    assert!(matches!(serving.await.unwrap(), Err(LoopbackError::Cancelled)));
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err(), "closed after Cancel");
}

#[tokio::test]
async fn loopback_fixed_port_is_honoured() {
    let free = latch_sandbox::harness::free_port();
    let redirect = LoopbackRedirect::parse(&format!("http://127.0.0.1:{free}/cb"))
        .unwrap()
        .unwrap();
    let listener = LoopbackListener::bind(&redirect).await.unwrap();
    assert_eq!(listener.port(), free);
    assert_eq!(listener.redirect_uri(), format!("http://127.0.0.1:{free}/cb"));
}
