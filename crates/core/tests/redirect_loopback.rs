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
    assert_eq!(favicon, "HTTP/1.1 404 Not Found");
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
    assert!(oversized.starts_with("HTTP/1.1 414 URI Too Long\r\n"), "{oversized}");
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
async fn loopback_pages_tell_the_person_what_happened_and_escape_the_judges_words() {
    // The judge's reason can quote what the request carried: on the page it
    // is text, never markup.
    let judge = |url: &str| -> Verdict<String, String> {
        if url.contains("state=good") {
            Verdict::Accept(url.to_owned())
        } else if url.contains("error=") {
            Verdict::Fail("denied".into())
        } else {
            Verdict::Reject("state <script>\"x\" & more</script>".into())
        }
    };
    let listener = LoopbackListener::bind(&any_port()).await.unwrap();
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
        forged.contains("<h1 style=\"font-size:1.3rem\">Latch did not accept this request.</h1>"),
        "{forged}"
    );
    assert!(
        forged.contains("<p>state &lt;script&gt;&quot;x&quot; &amp; more&lt;/script&gt;</p>"),
        "{forged}"
    );
    assert!(!forged.contains("<script>"), "{forged}");
    assert!(
        good.contains(
            "<h1 style=\"font-size:1.3rem\">Latch has the answer. You can close this tab and return to Latch.</h1>"
        ),
        "{good}"
    );
    serving.await.unwrap().unwrap();

    let listener = LoopbackListener::bind(&any_port()).await.unwrap();
    let port = listener.port();
    let serving = tokio::spawn(listener.serve(Duration::from_secs(30), std::future::pending(), judge));
    let denied = tokio::task::spawn_blocking(move || get_page(port, "/callback?error=access_denied"))
        .await
        .unwrap();
    assert!(
        denied.contains(
            "<h1 style=\"font-size:1.3rem\">The provider did not grant access. Return to Latch to see why.</h1>"
        ),
        "{denied}"
    );
    assert!(serving.await.unwrap().is_err());
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
