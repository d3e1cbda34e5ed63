//! A harness for driving the real window: it starts `tauri-driver` (which
//! starts WebKitWebDriver, which starts `latch-desktop`) on free ports, opens
//! a WebDriver session, and gives each test a private `LATCH_HOME`.
//!
//! It needs what the test command sets up: a display (Xvfb), a private D-Bus
//! session (single-instance and the keyring live there), `tauri-driver` on the
//! PATH and Debian's WebKitWebDriver. Tests of the window run one at a time
//! (see .config/nextest.toml): single-instance would hand a second window's
//! launch to the first.

#![allow(dead_code)]

pub mod axe;
pub mod desktop;

use fantoccini::{Client, ClientBuilder, Locator, elements::Element};
use latch_sandbox::harness::{self, free_port};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const WAIT: Duration = Duration::from_secs(20);

pub struct Window {
    pub client: Client,
    driver: Driver,
    pub home: tempfile::TempDir,
}

/// How to start the window.
#[derive(Default)]
pub struct Launch<'a> {
    pub env: &'a [(&'a str, &'a str)],
    /// Arguments for latch-desktop (a callback URL, as the desktop passes it).
    pub args: Vec<String>,
    /// Reuse a LATCH_HOME (a second start on the same data).
    pub home: Option<tempfile::TempDir>,
    /// Where the window's stderr (its only log) goes; the test's own stderr if `None`.
    pub stderr: Option<std::fs::File>,
    /// The opener the window's browser goes through; without one the
    /// window opens no browser (`LATCH_NO_BROWSER`).
    pub opener: Option<&'a harness::FakeOpener>,
}

/// Runs latch-desktop once more, as the desktop does to hand it a URL, and
/// waits for that second process to end.
pub fn launch_again_with(home: &std::path::Path, url: &str) -> std::process::ExitStatus {
    let mut child = Command::new(env!("CARGO_BIN_EXE_latch-desktop"))
        .arg(url)
        .env("LATCH_HOME", home)
        .env("LATCH_NO_SCHEME_REGISTRATION", "1")
        .env("LATCH_NO_BROWSER", "1")
        .spawn()
        .expect("a second latch-desktop");
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the second latch-desktop did not hand over its URL and exit");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// tauri-driver in a process group of its own, with WebKitWebDriver and the
/// window under it: the whole group goes however a test ends — and so does
/// any latch-desktop still running on this test's LATCH_HOME (a window that
/// outlived its session would take over the next test's launch through
/// single-instance).
struct Driver(Child, PathBuf);

impl Drop for Driver {
    fn drop(&mut self) {
        // SAFETY: kill(2) on our own child's process group; no memory involved.
        unsafe { libc::kill(-(self.0.id() as i32), libc::SIGKILL) };
        let _ = self.0.wait();
        kill_windows_on(&self.1);
    }
}

/// Kills the latch-desktop processes whose environment names `home`.
fn kill_windows_on(home: &std::path::Path) {
    for pid in windows_on(home) {
        // SAFETY: kill(2) on a process of this test; no memory involved.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
}

/// The latch-desktop processes whose environment names `home`.
pub fn windows_on(home: &std::path::Path) -> Vec<i32> {
    let needle = format!("LATCH_HOME={}", home.display());
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for entry in procs.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|p| p.parse::<i32>().ok()) else {
            continue;
        };
        let is_window = std::fs::read_link(entry.path().join("exe"))
            .is_ok_and(|exe| exe.file_name().is_some_and(|n| n == "latch-desktop"));
        let ours = std::fs::read(entry.path().join("environ"))
            .is_ok_and(|env| env.split(|b| *b == 0).any(|var| var == needle.as_bytes()));
        if is_window && ours {
            found.push(pid);
        }
    }
    found
}

impl Window {
    /// Starts the built `latch-desktop` and waits for its WebDriver session.
    pub async fn launch() -> Window {
        Self::launch_with(&[]).await
    }

    /// The same, with extra environment for the app (it inherits tauri-driver's).
    pub async fn launch_with(env: &[(&str, &str)]) -> Window {
        Self::start(Launch {
            env,
            ..Launch::default()
        })
        .await
    }

    pub async fn start(launch: Launch<'_>) -> Window {
        let env = launch.env;
        require_env(
            "DISPLAY",
            "run the window tests under Xvfb (the test command does: scripts/test)",
        );
        require_env(
            "DBUS_SESSION_BUS_ADDRESS",
            "run the window tests in a private D-Bus session (scripts/test)",
        );
        let home = launch
            .home
            .unwrap_or_else(|| tempfile::tempdir().expect("temporary LATCH_HOME"));
        let home_path = home.path().to_owned();
        // A port `free_port` found free can be taken by another test before
        // the driver binds it (WebKitWebDriver then says "Unable to listen",
        // and the session request reaches the other test's server): that
        // start is tried again on other ports, twice at most.
        let mut failures = Vec::new();
        for _ in 0..3 {
            let port = free_port();
            let native_port = free_port();
            let mut command = Command::new(tauri_driver());
            match launch.opener {
                Some(opener) => command.env("PATH", opener.path_var()),
                None => command.env("LATCH_NO_BROWSER", "1"),
            };
            let stderr = match &launch.stderr {
                Some(file) => Stdio::from(file.try_clone().expect("the window's log file")),
                None => Stdio::inherit(),
            };
            let driver = Driver(command
                .args(["--port", &port.to_string(), "--native-port", &native_port.to_string()])
                .env("LATCH_HOME", home.path())
                .env("LATCH_NO_SCHEME_REGISTRATION", "1")
                .envs(env.iter().copied())
                .stdout(Stdio::null())
                .stderr(stderr)
                .process_group(0)
                .spawn()
                .expect("tauri-driver could not start: install it with `cargo install tauri-driver --locked` (scripts/setup does)"), home_path.clone());
            wait_for_port(port);
            wait_for_port(native_port);
            let mut caps = serde_json::Map::new();
            caps.insert(
                "tauri:options".into(),
                serde_json::json!({ "application": env!("CARGO_BIN_EXE_latch-desktop"), "args": launch.args }),
            );
            caps.insert("browserName".into(), "wry".into());
            let mut builder = ClientBuilder::rustls().expect("TLS roots");
            builder.capabilities(caps);
            let address = format!("http://127.0.0.1:{port}");
            match tokio::time::timeout(WAIT, builder.connect(&address))
                .await
                .expect("no WebDriver session within 20 s: is another latch-desktop running on this D-Bus session?")
            {
                Ok(client) => return Window { client, driver, home },
                Err(e) => failures.push(format!("ports {port} and {native_port}: {e}")),
            }
        }
        panic!("no WebDriver session with latch-desktop: {}", failures.join("; "));
    }

    /// Waits until an element matching `css` is on the page.
    pub async fn wait_for(&self, css: &str) -> Element {
        self.client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("`{css}` never appeared: {e}"))
    }

    pub async fn text(&self, css: &str) -> String {
        self.wait_for(css).await.text().await.expect("element text")
    }

    pub async fn click(&self, css: &str) {
        let element = self.wait_for(css).await;
        // Into the middle of the view, and clicked only once it is what
        // lies there two frames later. WebKit's WebDriver clicks at a point
        // worked out before the page settles: a dialog just closed gives
        // focus back to a row further down, WebKit scrolls back to it a
        // frame later, and the click went to the list's sticky search bar
        // where the bar's Export… had been.
        let arg = serde_json::to_value(&element).expect("an element as a script argument");
        let deadline = Instant::now() + WAIT;
        loop {
            let clear = self
                .client
                .execute_async(
                    r#"const [element, done] = arguments;
                    element.scrollIntoView({ block: "center", inline: "nearest" });
                    requestAnimationFrame(() => requestAnimationFrame(() => {
                      const r = element.getBoundingClientRect();
                      const at = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
                      done(at !== null && (at === element || element.contains(at)));
                    }));"#,
                    vec![arg.clone()],
                )
                .await
                .unwrap_or_else(|e| panic!("could not scroll to `{css}`: {e}"));
            if clear == serde_json::Value::Bool(true) {
                break;
            }
            assert!(Instant::now() < deadline, "`{css}` stays covered by another element");
        }
        element
            .click()
            .await
            .unwrap_or_else(|e| panic!("could not click `{css}`: {e}"));
    }

    /// Saves a PNG of the window under `target/screenshots/` (the README's
    /// pictures come from here) and returns its path.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.expect("screenshot");
        assert!(png.starts_with(b"\x89PNG"), "the screenshot is not a PNG");
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).expect("screenshot directory");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("write screenshot");
        path
    }

    /// Types into an input after clearing what it held.
    pub async fn fill(&self, css: &str, text: &str) {
        let input = self.wait_for(css).await;
        input
            .clear()
            .await
            .unwrap_or_else(|e| panic!("could not clear `{css}`: {e}"));
        input
            .send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("could not type into `{css}`: {e}"));
    }

    /// Waits until `css`'s text satisfies `ok`, and returns it.
    pub async fn wait_text(&self, css: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Ok(element) = self.client.find(Locator::Css(css)).await
                && let Ok(text) = element.text().await
            {
                if ok(&text) {
                    return text;
                }
                assert!(Instant::now() < deadline, "`{css}` still reads {text:?}");
            }
            assert!(Instant::now() < deadline, "`{css}` never appeared");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Presses `keys` (WebDriver key codes: "\u{E004}" Tab, "\u{E007}"
    /// Enter, "\u{E00C}" Escape) on whatever has focus, as a keyboard does.
    pub async fn press(&self, keys: &str) {
        let focused = self.client.active_element().await.expect("the focused element");
        focused
            .send_keys(keys)
            .await
            .unwrap_or_else(|e| panic!("could not press {keys:?}: {e}"));
    }

    /// Whether the focused element matches `css`.
    pub async fn focus_is(&self, css: &str) -> bool {
        self.client
            .execute(
                "return document.activeElement !== null && document.activeElement.matches(arguments[0])",
                vec![css.into()],
            )
            .await
            .expect("read the focused element")
            .as_bool()
            .unwrap_or(false)
    }

    /// Presses Tab until `css` has focus (40 presses at most), as a person
    /// without a mouse reaches a control.
    pub async fn tab_to(&self, css: &str) {
        for _ in 0..40 {
            if self.focus_is(css).await {
                return;
            }
            self.press("\u{E004}").await;
        }
        panic!("Tab never reached `{css}`");
    }

    /// Waits until nothing on the page matches `css` (a dialog closed).
    pub async fn wait_gone(&self, css: &str) {
        let deadline = Instant::now() + WAIT;
        while !self
            .client
            .find_all(Locator::Css(css))
            .await
            .expect("find elements")
            .is_empty()
        {
            assert!(Instant::now() < deadline, "`{css}` is still there");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Ends the session (the window closes) and gives back its home, for a
    /// later launch on the same data.
    ///
    /// It returns once no latch-desktop runs on that home any more: a launch
    /// that follows must not find the old process still on the bus, half
    /// gone, and try to hand it its arguments (single-instance; seen failing
    /// so under load).
    pub async fn close(self) -> tempfile::TempDir {
        let Window { client, driver, home } = self;
        let _ = client.close().await;
        drop(driver); // the driver's process group, and any window on `home`
        let deadline = Instant::now() + WAIT;
        while !windows_on(home.path()).is_empty() {
            assert!(Instant::now() < deadline, "latch-desktop outlived SIGKILL");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        home
    }
}

fn screenshot_dir() -> PathBuf {
    std::env::var_os("LATCH_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots"))
}

fn tauri_driver() -> PathBuf {
    std::env::var_os("TAURI_DRIVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| "tauri-driver".into())
}

fn require_env(name: &str, why: &str) {
    if std::env::var_os(name).is_none() {
        panic!("{name} is not set: {why}");
    }
}

fn wait_for_port(port: u16) {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = Instant::now() + WAIT;
    while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
        assert!(
            Instant::now() < deadline,
            "nothing listened on port {port} within {WAIT:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

// Fake providers and the steps of connecting through them.

use latch_sandbox::{DemoCredentials, Sandbox};

pub const SCHEME_REDIRECT: &str = harness::SCHEME_REDIRECT;
/// The address the connect form gives the account `wazzup-main` by default
/// (each account has its own), registered at the fakes as a person registers it.
pub const WAZZUP_MAIN_REDIRECT: &str = "app.latch.desktop:/oauth/callback/wazzup-main";

/// The fakes, with only the window's redirect registered.
pub async fn sandbox() -> Sandbox {
    harness::sandbox_with_redirects(&[SCHEME_REDIRECT, WAZZUP_MAIN_REDIRECT]).await
}

/// Fills the Wazzup dialog and presses Connect; returns the sign-in URL shown.
pub async fn start_wazzup_connect(window: &Window, sandbox: &Sandbox) -> String {
    let demo = DemoCredentials::default();
    window.click("[data-testid=connect-account]").await;
    window.click("button[data-provider=wazzup]").await;
    window.fill("#f-label", "Wazzup main").await;
    window.fill("#f-client_id", &demo.wazzup_client_id).await;
    window.fill("#f-email", &demo.wazzup_email).await;
    window.fill("#f-secret", &demo.wazzup_password).await;
    window.fill("#f-base_url", &sandbox.wazzup().base_url()).await;
    assert_eq!(
        window.text("[data-testid=connect-submit]").await,
        "Connect Wazzup account"
    );
    window.screenshot("connect-dialog").await;
    window.click("[data-testid=connect-submit]").await;
    let waiting = window.wait_for("[data-testid=waiting]").await;
    assert_eq!(waiting.attr("data-via").await.unwrap().as_deref(), Some("deep-link"));
    let url = window
        .wait_for("[data-testid=authorize-url]")
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap();
    assert!(url.contains("/v2/oauth/authorize?"), "{url}");
    url
}

/// Opens the Other OAuth 2.0 dialog, discovers the fake from its issuer,
/// chooses the device grant, fills the client and presses Connect; returns
/// the user code the window shows. `picker` opens the provider picker.
pub async fn connect_by_device(window: &Window, sandbox: &Sandbox, picker: &str) -> String {
    let base = sandbox.oauth2().base_url();
    let demo = DemoCredentials::default();
    window.click(picker).await;
    window.click("button[data-provider=oauth2]").await;
    window.fill("#discover-issuer", &base).await;
    window.click("[data-testid=discover-button]").await;
    let facts = discovered_facts(window).await;
    let fact = |term: &str| {
        facts
            .iter()
            .find(|(t, _)| t == term)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("no {term:?} among {facts:?}"))
    };
    assert_eq!(fact("Token endpoint"), format!("{base}/token"));
    assert_eq!(
        fact("Device authorization endpoint"),
        format!("{base}/device_authorization")
    );
    assert_eq!(fact("PKCE methods"), "S256, plain");
    assert_eq!(
        fact("Client authentication"),
        "client_secret_basic, client_secret_post, client_secret_jwt, private_key_jwt, none"
    );
    assert!(
        fact("Grants offered").ends_with(", urn:ietf:params:oauth:grant-type:device_code"),
        "{facts:?}"
    );
    assert_eq!(fact("Issuer (iss) required on sign-in"), "no");
    assert_eq!(field_value(window, "#f-token_url").await, format!("{base}/token"));
    assert_eq!(field_value(window, "#f-revoke_url").await, format!("{base}/revoke"));
    window
        .wait_for("#f-grant")
        .await
        .select_by_value("device_code")
        .await
        .unwrap();
    // Filled while it was hidden (the code grant was chosen), shown now.
    assert_eq!(
        field_value(window, "#f-device_authorization_url").await,
        format!("{base}/device_authorization")
    );
    window.fill("#f-label", "Device").await;
    window.fill("#f-client_id", &demo.oauth2_client_id).await;
    window.fill("#f-secret", &demo.oauth2_client_secret).await;
    window.click("[data-testid=connect-submit]").await;
    let code = window.text("[data-testid=user-code]").await;
    // RFC 8628 §6.1's shape, which the fake gives: eight letters, two groups.
    let (left, right) = code.split_once('-').unwrap_or_else(|| panic!("{code:?}"));
    assert!(
        [left, right]
            .iter()
            .all(|g| g.len() == 4 && g.chars().all(|c| c.is_ascii_uppercase())),
        "{code:?}"
    );
    assert_eq!(
        field_value(window, "[data-testid=verification-uri]").await,
        format!("{base}/device")
    );
    code
}

/// What the dialog says discovery found, as (term, value) pairs.
pub async fn discovered_facts(window: &Window) -> Vec<(String, String)> {
    let list = "[data-testid=discovered-facts]";
    window.wait_for(list).await;
    let mut columns = Vec::new();
    for css in ["dt", "dd"] {
        let mut column = Vec::new();
        for element in window
            .client
            .find_all(Locator::Css(&format!("{list} > {css}")))
            .await
            .unwrap()
        {
            column.push(element.text().await.unwrap());
        }
        columns.push(column);
    }
    let (terms, values) = (columns.remove(0), columns.remove(0));
    assert_eq!(terms.len(), values.len(), "{terms:?} {values:?}");
    terms.into_iter().zip(values).collect()
}

pub async fn field_value(window: &Window, css: &str) -> String {
    window
        .wait_for(css)
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default()
}

/// What the browser does: the fake consents and redirects to Latch's scheme.
pub async fn sign_in(url: &str) -> String {
    let location = harness::follow_consent(url).await;
    assert!(location.starts_with(SCHEME_REDIRECT), "{location}");
    location
}

/// Fills the Wordapp dialog for the client credentials grant (the demo app)
/// and presses Connect; `picker` opens the provider picker.
pub async fn connect_wordapp_robot(window: &Window, sandbox: &Sandbox, picker: &str) {
    let demo = DemoCredentials::default();
    window.click(picker).await;
    window.click("button[data-provider=wordapp]").await;
    window.fill("#f-label", "Wordapp robot").await;
    window
        .wait_for("#f-grant")
        .await
        .select_by_value("client_credentials")
        .await
        .unwrap();
    window.fill("#f-client_id", &demo.wordapp_client_id).await;
    window.fill("#f-secret", &demo.wordapp_client_secret).await;
    window.fill("#f-base_url", &sandbox.wordapp().base_url()).await;
    window.click("[data-testid=connect-submit]").await;
}

/// Fills the GREEN-API dialog for the demo instance and a phone number, and
/// presses Connect; `picker` opens the provider picker.
pub async fn add_green_api_sales(window: &Window, sandbox: &Sandbox, picker: &str) {
    let demo = DemoCredentials::default();
    window.click(picker).await;
    window.click("button[data-provider=green-api]").await;
    window.fill("#f-label", "WhatsApp sales").await;
    window.fill("#f-api_url", &sandbox.green_api().base_url()).await;
    window
        .fill("#f-id_instance", &demo.green_api_id_instance.to_string())
        .await;
    window.fill("#f-secret", &demo.green_api_token).await;
    window.fill("#f-phone", "+44 1234-567890").await;
    window.click("[data-testid=connect-submit]").await;
}

/// The X clipboard as another program sees it.
pub fn clipboard() -> String {
    let out = std::process::Command::new("xclip")
        .args(["-selection", "clipboard", "-o"])
        .output()
        .expect("xclip");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The forms (X selection targets) the clipboard's owner offers, as a
/// clipboard manager asks for them.
pub fn clipboard_targets() -> Vec<String> {
    let out = std::process::Command::new("xclip")
        .args(["-selection", "clipboard", "-t", "TARGETS", "-o"])
        .output()
        .expect("xclip");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

/// The Details panel of `row` as (term, value) pairs, in order.
pub async fn details(window: &Window, row: &str) -> Vec<(String, String)> {
    let panel = format!("{row} [data-testid=details-panel]");
    window.wait_for(&panel).await;
    let mut texts = Vec::new();
    for css in ["dt", "dd"] {
        let mut column = Vec::new();
        for element in window
            .client
            .find_all(Locator::Css(&format!("{panel} > {css}")))
            .await
            .expect("the panel's terms")
        {
            column.push(element.text().await.expect("text"));
        }
        texts.push(column);
    }
    let (terms, values) = (texts.remove(0), texts.remove(0));
    assert_eq!(terms.len(), values.len(), "{terms:?} {values:?}");
    terms.into_iter().zip(values).collect()
}

/// The value shown for `term` in a Details panel.
pub fn detail<'a>(details: &'a [(String, String)], term: &str) -> &'a str {
    details
        .iter()
        .find(|(t, _)| t == term)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no {term:?} in the details: {details:?}"))
}

/// `unix` seconds as the window's page writes a time (its locale and zone).
pub async fn page_time(window: &Window, unix: i64) -> String {
    window
        .client
        .execute(
            // lib/dates.ts's `when`: the date and time in the medium style.
            "return new Date(arguments[0] * 1000).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });",
            vec![serde_json::json!(unix)],
        )
        .await
        .expect("the page formats a time")
        .as_str()
        .expect("a string")
        .to_owned()
}

/// The token set the window stored for `id`, read from the keyring as the CLI would.
pub fn stored_tokens(home: &std::path::Path, id: &str) -> latch_core::TokenSet {
    let latch = latch_core::Latch::open(Some(home.to_owned())).expect("the window's store");
    let account = latch.find(id).expect("the account");
    latch
        .secrets(&account)
        .expect("its secrets")
        .tokens
        .expect("a token set")
}

/// The `latch` binary the workspace build made beside this test.
pub fn latch_cli() -> PathBuf {
    let dir = std::env::current_exe()
        .unwrap()
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .to_owned();
    let cli = dir.join("latch");
    assert!(
        cli.exists(),
        "{} is missing: build the workspace first (scripts/test does)",
        cli.display()
    );
    cli
}

/// Runs `latch ARGS` on `home` with `stdin`, which must succeed, and gives
/// what it printed.
pub fn latch(home: &std::path::Path, args: &[&str], stdin: &str) -> String {
    use std::io::Write;
    let mut child = Command::new(latch_cli())
        .args(args)
        .env("LATCH_HOME", home)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "latch {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("latch prints UTF-8")
}

/// `dbus-monitor` on the test's own session bus, printing every desktop
/// notification Latch sends (`Notify` calls; no notification daemon needed).
pub fn notification_monitor() -> std::process::Child {
    Command::new("dbus-monitor")
        .args([
            "--session",
            "type='method_call',interface='org.freedesktop.Notifications',member='Notify'",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("dbus-monitor")
}

/// `latch add wordapp` for the demo app's client credentials grant, under
/// `label`, against the Wordapp fake at `base_url`.
pub fn add_wordapp_robot(home: &std::path::Path, label: &str, base_url: &str) {
    latch(
        home,
        &[
            "add",
            "wordapp",
            "--label",
            label,
            "--grant",
            "client-credentials",
            "--client-id",
            "demo-wordapp-client",
            "--base-url",
            base_url,
            "--secret-stdin",
        ],
        "demo-wordapp-secret\n",
    );
}
