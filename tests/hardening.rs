//! The window lets nobody in and leaks nothing (issue 10).
//!
//! - The CSP blocks inline script, inline handlers, eval and every remote
//!   load (script, image, style, fetch): a listener on 127.0.0.1 sees no
//!   connection.
//! - The window's capabilities allow Latch's own commands and nothing else:
//!   plugin commands, events it may not emit and unknown commands are refused.
//!   Three lists must agree: the commands declared in build.rs, the ones
//!   registered in lib.rs and the ones granted in capabilities/main.json.
//! - A secrets audit over a run of every kind of flow in the window: no
//!   token, refresh token, client secret, password, API token, device code or
//!   authorization code appears in any answer or event the webview got (its
//!   IPC traffic, logged by a test build), in the window's stderr (its only
//!   log), in the command line or environment of the window and its WebKit
//!   processes, in the data directory, or on the clipboard after its clear
//!   time.

mod support;

use latch_core::Latch;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use support::{
    Launch, Window, add_green_api_sales, clipboard, connect_by_device, connect_wordapp_robot, launch_again_with,
    sandbox, sign_in, start_wazzup_connect, windows_on,
};

/// A TCP listener that counts the connections it gets: what "remote" means here.
async fn counting_listener() -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let count = Arc::new(AtomicUsize::new(0));
    let counted = count.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            drop(stream);
        }
    });
    (url, count)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_csp_blocks_inline_script_eval_and_remote_loads() {
    let (remote, connections) = counting_listener().await;
    let window = Window::launch().await;
    window.wait_for("#empty-title").await;
    let report = window
        .client
        .execute_async(
            r#"
            const [remote, done] = [arguments[0], arguments[arguments.length - 1]];
            const r = {};
            const inline = document.createElement("script");
            inline.textContent = "window.__inlineRan = true";
            document.head.appendChild(inline);
            r.inline = window.__inlineRan === true;
            const div = document.createElement("div");
            div.setAttribute("onclick", "window.__handlerRan = true");
            document.body.appendChild(div);
            div.click();
            r.handler = window.__handlerRan === true;
            try { r.eval = eval("6 * 7") === 42; } catch (e) { r.eval = false; }
            try { r.func = new Function("return 42")() === 42; } catch (e) { r.func = false; }
            const settle = (el) => new Promise((res) => { el.onload = () => res("loaded"); el.onerror = () => res("blocked"); });
            const script = document.createElement("script");
            script.src = remote + "/evil.js";
            const s = settle(script);
            document.head.appendChild(script);
            const img = new Image();
            const i = settle(img);
            img.src = remote + "/pixel.png";
            const css = document.createElement("link");
            css.rel = "stylesheet";
            css.href = remote + "/evil.css";
            const c = settle(css);
            document.head.appendChild(css);
            const f = fetch(remote + "/data").then(() => "loaded", () => "blocked");
            Promise.all([s, i, c, f]).then(([script, image, style, fetched]) => {
                Object.assign(r, { script, image, style, fetched });
                done(r);
            });
            "#,
            vec![remote.clone().into()],
        )
        .await
        .expect("the probe script ran");
    let expected = serde_json::json!({
        "inline": false, "handler": false, "eval": false, "func": false,
        "script": "blocked", "image": "blocked", "style": "blocked", "fetched": "blocked",
    });
    assert_eq!(report, expected);
    assert_eq!(
        connections.load(Ordering::SeqCst),
        0,
        "a remote load reached the network"
    );
    let _ = window.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_window_may_call_latchs_commands_and_nothing_else() {
    let window = Window::launch().await;
    window.wait_for("#empty-title").await;
    let results = window
        .client
        .execute_async(
            r#"
            const done = arguments[arguments.length - 1];
            const calls = [
                ["plugin:clipboard-manager|read_text", {}],
                ["plugin:clipboard-manager|write_text", { text: "planted" }],
                ["plugin:opener|open_url", { url: "https://example.com" }],
                ["plugin:notification|notify", { options: { title: "x" } }],
                ["plugin:deep-link|get_current", {}],
                ["plugin:event|emit", { event: "accounts-changed", payload: null }],
                ["plugin:window|close", {}],
                ["plugin:webview|print", {}],
                ["plugin:app|version", {}],
                ["plugin:path|resolve_directory", { directory: 8 }],
                ["plugin:dialog|open", { options: {} }],
                ["plugin:dialog|save", { options: {} }],
                ["dump_secrets", {}],
            ];
            Promise.all(calls.map(([call, args]) =>
                window.__TAURI_INTERNALS__.invoke(call, args).then(
                    (v) => [call, "allowed", JSON.stringify(v ?? null)],
                    (e) => [call, "refused", String(e)])))
              .then(done);
            "#,
            vec![],
        )
        .await
        .expect("the probe script ran");
    let results = results.as_array().expect("a list");
    assert_eq!(results.len(), 13);
    for result in results {
        assert_eq!(result[1], "refused", "the window was allowed {result}");
    }
    // And what it may call still works.
    let own = window
        .client
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
               window.__TAURI_INTERNALS__.invoke("list_accounts", {}).then((v) => done(v.length), (e) => done(String(e)));"#,
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(own, 0);
    let _ = window.close().await;
}

/// The commands named in `build.rs`, registered in `lib.rs` and granted in
/// `capabilities/main.json` are the same, and the capability grants no
/// plugin permission but listening to events.
#[test]
fn declared_registered_and_granted_commands_are_the_same_list() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let read = |path: &str| std::fs::read_to_string(root.join(path)).unwrap();
    let quoted = |text: &str| -> BTreeSet<String> {
        text.split('"')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .filter(|s| s.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
            .collect()
    };
    let build = read("src-tauri/build.rs");
    let declared = quoted(&build[build.find("let commands").unwrap()..build.find("];").unwrap()]);
    let lib = read("src-tauri/lib.rs");
    let handler = &lib[lib.find("generate_handler![").unwrap()..];
    let registered: BTreeSet<String> = handler[..handler.find(']').unwrap()]
        .split("commands::")
        .skip(1)
        .map(|s| s.split(',').next().unwrap().trim().to_owned())
        .collect();
    let capability: serde_json::Value = serde_json::from_str(&read("capabilities/main.json")).unwrap();
    let mut granted = BTreeSet::new();
    for permission in capability["permissions"].as_array().unwrap() {
        let permission = permission.as_str().expect("plain permission names only");
        match permission.strip_prefix("allow-") {
            Some(command) => {
                granted.insert(command.replace('-', "_"));
            }
            None => assert!(
                ["core:event:allow-listen", "core:event:allow-unlisten"].contains(&permission),
                "the window is granted {permission}"
            ),
        }
    }
    assert!(declared.len() >= 18, "{declared:?}");
    assert_eq!(declared, registered, "build.rs vs lib.rs");
    assert_eq!(declared, granted, "build.rs vs capabilities/main.json");
    assert_eq!(capability["windows"], serde_json::json!(["main"]));
}

/// Every secret this account holds now, as strings.
fn secrets_of(latch: &Latch, id: &str) -> Vec<String> {
    let account = latch.find(id).expect("the account");
    let secrets = latch.secrets(&account).expect("its secrets");
    let mut found = Vec::new();
    if let Some(tokens) = &secrets.tokens {
        found.push(tokens.access_token.secret().to_owned());
        if let Some(refresh) = &tokens.refresh_token {
            found.push(refresh.secret().to_owned());
        }
    }
    if let Some(secret) = &secrets.client_secret {
        found.push(secret.secret().to_owned());
    }
    if let Some(token) = &secrets.api_token {
        found.push(token.secret().to_owned());
    }
    if let Some(login) = &secrets.partner_login {
        found.push(login.password.secret().to_owned());
    }
    found
}

fn processes_under(root: i32) -> Vec<i32> {
    let mut tree = vec![root];
    let mut i = 0;
    while i < tree.len() {
        let parent = tree[i];
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            let Some(pid) = entry.file_name().to_str().and_then(|p| p.parse::<i32>().ok()) else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
                continue;
            };
            let ppid = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1));
            if ppid == Some(&parent.to_string()) && !tree.contains(&pid) {
                tree.push(pid);
            }
        }
        i += 1;
    }
    tree
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_reaches_the_webview_the_log_the_process_table_or_the_disk() {
    let sandbox = sandbox().await;
    let demo = latch_sandbox::SandboxConfig::demo().demo;
    let stderr_file = tempfile::NamedTempFile::new().unwrap();
    let window = Window::start(Launch {
        env: &[("LATCH_IPC_LOG", "1"), ("LATCH_CLIPBOARD_CLEAR_SECS", "3")],
        stderr: Some(stderr_file.reopen().unwrap()),
        ..Launch::default()
    })
    .await;
    let latch = Latch::open(Some(window.home.path().to_owned())).unwrap();
    let mut secrets: BTreeSet<String> = [
        demo.wazzup_password.clone(),
        demo.wordapp_client_secret.clone(),
        demo.green_api_token.clone(),
        demo.oauth2_client_secret.clone(),
    ]
    .into();

    // Wazzup: authorization code with PKCE, through the browser and the deep link.
    let url = start_wazzup_connect(&window, &sandbox).await;
    let callback = sign_in(&url).await;
    let code = url::Url::parse(&callback)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    secrets.insert(code);
    assert!(launch_again_with(window.home.path(), &callback).success());
    let wazzup = "[data-account=wazzup-main]";
    window
        .wait_text(&format!("{wazzup} [data-testid=status]"), |t| {
            t == "Valid" || t == "Expiring soon"
        })
        .await;
    secrets.extend(secrets_of(&latch, "wazzup-main"));
    window.click(&format!("{wazzup} [data-testid=copy-token]")).await;
    window
        .wait_text("[data-testid=notice]", |t| t.contains("Token copied"))
        .await;
    let copied = clipboard();
    assert!(secrets.contains(&copied), "the token was copied");
    window.click(&format!("{wazzup} [data-testid=refresh]")).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while secrets_of(&latch, "wazzup-main").iter().all(|s| secrets.contains(s)) {
        assert!(Instant::now() < deadline, "the refresh did not store a new token");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    secrets.extend(secrets_of(&latch, "wazzup-main"));
    window.click(&format!("{wazzup} [data-testid=details]")).await;
    window.wait_for(&format!("{wazzup} [data-testid=details-panel]")).await;

    // Wordapp: client credentials typed into the dialog, then revoke and remove.
    connect_wordapp_robot(&window, &sandbox, "[data-testid=connect-another]").await;
    let wordapp = "[data-account=wordapp-robot]";
    window
        .wait_text(&format!("{wordapp} [data-testid=status]"), |t| t == "Valid")
        .await;
    secrets.extend(secrets_of(&latch, "wordapp-robot"));
    window.click(&format!("{wordapp} [data-testid=revoke]")).await;
    window
        .click(&format!("{wordapp} [data-testid=confirm-revoke-yes]"))
        .await;
    window
        .wait_text(&format!("{wordapp} [data-testid=status]"), |t| t == "Revoked")
        .await;
    window.click(&format!("{wordapp} [data-testid=remove]")).await;
    window
        .click(&format!("{wordapp} [data-testid=confirm-remove-yes]"))
        .await;

    // Other OAuth 2.0: discovered from its issuer, then the device code
    // approved at the server; the device code it was polled with is a secret.
    sandbox.oauth2().settings().device_interval = Some(1);
    let user_code = connect_by_device(&window, &sandbox, "[data-testid=connect-another]").await;
    assert!(
        sandbox
            .oauth2()
            .decide_device(&user_code, latch_sandbox::oauth2::DeviceDecision::Approved)
    );
    window
        .wait_text("[data-account=device] [data-testid=status]", |t| t == "Valid")
        .await;
    secrets.extend(secrets_of(&latch, "device"));
    let polled = sandbox.oauth2().requests();
    let device_code = polled
        .iter()
        .filter(|r| r.route == "oauth2.token")
        .flat_map(|r| r.form())
        .find(|(k, _)| k == "device_code")
        .expect("polled with the device code")
        .1;
    secrets.insert(device_code);

    // GREEN-API: the instance token typed in, a link code, the phone links.
    add_green_api_sales(&window, &sandbox, "[data-testid=connect-another]").await;
    window.click("[data-testid=get-code]").await;
    let code = window.text("[data-testid=link-code]").await;
    assert!(sandbox.green_api().enter_code(demo.green_api_id_instance, &code));
    window
        .wait_text("[data-testid=linked]", |t| t.contains("WhatsApp linked"))
        .await;

    // The IPC traffic: the answers and events must hold no secret at all, and
    // tokens may not appear even among the calls (only what the person typed may).
    let log = window
        .client
        .execute("return JSON.stringify(window.__LATCH_IPC_LOG__ || null);", vec![])
        .await
        .unwrap();
    let log: Vec<serde_json::Value> = serde_json::from_str(log.as_str().unwrap()).unwrap();
    let first_list = window
        .client
        .execute("return JSON.stringify(window.__LATCH_ACCOUNTS__ ?? null);", vec![])
        .await
        .unwrap();
    for secret in &secrets {
        assert!(
            !first_list.as_str().unwrap().contains(secret.as_str()),
            "a secret in the first list"
        );
    }
    let called: BTreeSet<&str> = log.iter().filter_map(|c| c["call"].as_str()).collect();
    for expected in [
        "list_accounts",
        "check_draft",
        "add_account",
        "connect_account",
        "copy_token",
        "refresh_account",
        "account_details",
        "revoke_account",
        "remove_account",
        "link_request_code",
        "discover_issuer",
    ] {
        assert!(called.contains(expected), "the log has no {expected} call: {called:?}");
    }
    assert!(log.iter().any(|c| c["event"].is_string()), "the log has events");
    let typed = [
        demo.wazzup_password.as_str(),
        demo.wordapp_client_secret.as_str(),
        demo.green_api_token.as_str(),
        demo.oauth2_client_secret.as_str(),
    ];
    for crossing in &log {
        let from_rust = serde_json::json!([&crossing["answer"], &crossing["error"], &crossing["payload"]]).to_string();
        let to_rust = crossing["args"].to_string();
        for secret in &secrets {
            assert!(
                !from_rust.contains(secret.as_str()),
                "a secret came back to the webview in {}",
                crossing["call"]
            );
            if !typed.contains(&secret.as_str()) {
                assert!(!to_rust.contains(secret.as_str()), "the webview held a token");
            } else if crossing["call"] != "add_account" {
                // What the person typed goes to Rust once, to be stored; the
                // form's checks as they type are told only that it is there.
                assert!(
                    !to_rust.contains(secret.as_str()),
                    "a typed secret crossed with {}",
                    crossing["call"]
                );
            }
        }
    }

    // The window's and WebKit's command lines and environments.
    let pids = windows_on(window.home.path());
    assert_eq!(pids.len(), 1, "one window");
    let processes = processes_under(pids[0]);
    assert!(processes.len() >= 2, "the window and its WebKit processes");
    for pid in &processes {
        for file in ["cmdline", "environ"] {
            let bytes = std::fs::read(format!("/proc/{pid}/{file}")).unwrap_or_default();
            let text = String::from_utf8_lossy(&bytes);
            for secret in &secrets {
                assert!(!text.contains(secret.as_str()), "a secret in /proc/{pid}/{file}");
            }
        }
    }

    // The clipboard, once its clear time has passed.
    let deadline = Instant::now() + Duration::from_secs(15);
    while clipboard() == copied {
        assert!(Instant::now() < deadline, "the clipboard was not cleared");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let home = window.close().await;

    // The data directory, every file in it.
    let mut files = 0;
    let mut dirs = vec![home.path().to_owned()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            if entry.file_type().unwrap().is_dir() {
                dirs.push(entry.path());
                continue;
            }
            files += 1;
            let text = String::from_utf8_lossy(&std::fs::read(entry.path()).unwrap()).into_owned();
            for secret in &secrets {
                assert!(
                    !text.contains(secret.as_str()),
                    "a secret in {}",
                    entry.path().display()
                );
            }
        }
    }
    assert!(files > 0, "the data directory has files");

    // The window's stderr, its only log.
    let log = std::fs::read_to_string(stderr_file.path()).unwrap();
    for secret in &secrets {
        assert!(!log.contains(secret.as_str()), "a secret in the window's stderr");
    }
    assert!(secrets.len() >= 13, "the audit looked for {} secrets", secrets.len());
}
