//! A certified OpenID Provider for the interop tests: panva's `oidc-provider`,
//! pinned in `tests/interop/package-lock.json` and configured by
//! `tests/interop/server.js`, run with Node on 127.0.0.1 on a free port.
//!
//! [`OidcServer::start`] spawns it and waits for its "listening" line;
//! dropping it kills it. [`OidcServer::sign_in`] is the person at the
//! browser: it follows the server's redirects and submits the sign-in and
//! consent forms the server itself serves (its development interactions),
//! keeping the server's cookies, until the server redirects back to the
//! client. [`OidcServer::introspect`] asks the server (RFC 7662) what it
//! thinks of a token, the way a resource server would.

use latch_sandbox::harness;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const INTEROP: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/interop");

/// The clients `server.js` registers: (client_id, client_secret).
pub const BASIC: (&str, &str) = ("latch-basic", "latch-basic-secret");
pub const POST: (&str, &str) = ("latch-post", "latch-post-secret");
pub const PUBLIC: &str = "latch-public";
pub const DEVICE: (&str, &str) = ("latch-device", "latch-device-secret");
pub const SECRET_JWT: (&str, &str) = ("latch-secret-jwt", "latch-secret-jwt-secret-long-enough-for-hs256");

pub struct OidcServer {
    child: Child,
    pub issuer: String,
}

impl OidcServer {
    /// Starts the server; panics, saying how to install it, when it cannot.
    /// A port another process took between `free_port` and node's bind is
    /// tried again with another, twice at most.
    pub fn start() -> OidcServer {
        Self::start_with(&[])
    }

    /// [`OidcServer::start`] with variables `server.js` reads
    /// (`LATCH_INTEROP_DEVICE_CODE_TTL`: how many seconds a device code lives).
    pub fn start_with(vars: &[(&str, &str)]) -> OidcServer {
        assert!(
            std::path::Path::new(INTEROP)
                .join("node_modules/oidc-provider")
                .is_dir(),
            "the interop server is not installed: run scripts/setup --test (it runs npm ci in tests/interop)"
        );
        let mut failures = Vec::new();
        for _ in 0..3 {
            let port = harness::free_port();
            match Self::start_on(port, vars) {
                Ok(server) => return server,
                Err(why) => failures.push(format!("port {port}: {why}")),
            }
        }
        panic!("the interop server did not start: {}", failures.join("; "));
    }

    fn start_on(port: u16, vars: &[(&str, &str)]) -> Result<OidcServer, String> {
        let mut child = Command::new("node")
            .envs(vars.iter().copied())
            .arg("server.js")
            .arg(port.to_string())
            .current_dir(INTEROP)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            // Its warnings and errors go with the test's own output.
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node runs (scripts/setup installs it)");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let (tx, rx) = std::sync::mpsc::channel();
        // Reads on after the first line, to its end: the server writes
        // notices on stdout later, and a closed pipe would kill it.
        std::thread::spawn(move || {
            let first = lines.find_map(|line| line.ok().filter(|l| l.starts_with("listening")));
            let _ = tx.send(first);
            lines.for_each(drop);
        });
        match rx.recv_timeout(Duration::from_secs(20)) {
            Ok(Some(_)) => Ok(OidcServer {
                child,
                issuer: format!("http://127.0.0.1:{port}"),
            }),
            other => {
                let _ = child.kill();
                let _ = child.wait();
                Err(match other {
                    Ok(_) => "it exited before listening".to_owned(),
                    Err(_) => "it did not listen within 20 s".to_owned(),
                })
            }
        }
    }

    /// Plays the person: from the client's authorization URL, signs in as
    /// `login` and consents through the server's own pages, and returns
    /// where the server sends the browser back (the client's redirect URI
    /// with `code`, `state` and `iss`), without following it.
    pub async fn sign_in(&self, authorize_url: &str, login: &str) -> String {
        let mut jar = BTreeMap::new();
        let mut next = (
            reqwest::Method::GET,
            authorize_url.to_owned(),
            None::<Vec<(&str, String)>>,
        );
        for _ in 0..12 {
            let (method, url, form) = next;
            let mut request = harness::browser().request(method, &url).header("cookie", cookies(&jar));
            if let Some(form) = &form {
                request = request.form(form);
            }
            let answer = request.send().await.expect("the interop server answers");
            for value in answer.headers().get_all("set-cookie") {
                let pair = value.to_str().unwrap().split(';').next().unwrap();
                if let Some((name, value)) = pair.split_once('=') {
                    jar.insert(name.trim().to_owned(), value.to_owned());
                }
            }
            if answer.status().is_redirection() {
                let location = answer.headers()["location"].to_str().unwrap();
                let location = url::Url::parse(&url).unwrap().join(location).unwrap().to_string();
                if !location.starts_with(&self.issuer) {
                    return location;
                }
                next = (reqwest::Method::GET, location, None);
                continue;
            }
            let status = answer.status();
            let page = answer.text().await.unwrap();
            assert!(status.is_success(), "the server answered {status}: {page}");
            let action = between(&page, "action=\"", "\"");
            let action = url::Url::parse(&url).unwrap().join(&action).unwrap().to_string();
            let prompt = between(&page, "name=\"prompt\" value=\"", "\"");
            let mut fields = vec![("prompt", prompt.clone())];
            if prompt == "login" {
                fields.push(("login", login.to_owned()));
                fields.push(("password", "any password".to_owned()));
            }
            next = (reqwest::Method::POST, action, Some(fields));
        }
        panic!("the sign-in did not come back to the client within 12 steps");
    }

    /// Plays the person at the server's device pages (RFC 8628 §3.3): opens
    /// `verification_uri`, types `user_code` into its form, confirms it (or
    /// aborts, when `approve` is false), signs in as `login` and consents,
    /// and returns the last page the server showed.
    pub async fn approve_device(&self, verification_uri: &str, user_code: &str, login: &str, approve: bool) -> String {
        let mut jar = BTreeMap::new();
        let mut next = (reqwest::Method::GET, verification_uri.to_owned(), None);
        // After an abort the server shows its code form again, with the refusal.
        let mut aborted = false;
        for _ in 0..16 {
            let (method, url, form): (_, String, Option<Vec<(String, String)>>) = next;
            let mut request = harness::browser().request(method, &url).header("cookie", cookies(&jar));
            if let Some(form) = &form {
                request = request.form(form);
            }
            let answer = request.send().await.expect("the interop server answers");
            for value in answer.headers().get_all("set-cookie") {
                let pair = value.to_str().unwrap().split(';').next().unwrap();
                if let Some((name, value)) = pair.split_once('=') {
                    jar.insert(name.trim().to_owned(), value.to_owned());
                }
            }
            if answer.status().is_redirection() {
                let location = answer.headers()["location"].to_str().unwrap();
                let location = url::Url::parse(&url).unwrap().join(location).unwrap().to_string();
                next = (reqwest::Method::GET, location, None);
                continue;
            }
            let page = answer.text().await.unwrap();
            if !page.contains("<form") || aborted {
                return page;
            }
            let action = between(&page, "action=\"", "\"");
            let action = url::Url::parse(&url).unwrap().join(&action).unwrap().to_string();
            let mut fields = hidden_inputs(&page);
            if page.contains("type=\"text\" name=\"user_code\"") {
                fields.push(("user_code".into(), user_code.to_owned()));
            }
            if let Some((_, prompt)) = fields.iter().find(|(k, _)| k == "prompt").cloned() {
                if prompt == "login" {
                    fields.push(("login".into(), login.to_owned()));
                    fields.push(("password".into(), "any password".into()));
                }
            } else if fields.iter().any(|(k, _)| k == "confirm") && !approve {
                fields.retain(|(k, _)| k != "confirm");
                fields.push(("abort".into(), "yes".into()));
                aborted = true;
            }
            next = (reqwest::Method::POST, action, Some(fields));
        }
        panic!("the device sign-in did not end within 16 steps");
    }

    /// RFC 7662: the server's view of `token`, asked as `client`.
    pub async fn introspect(&self, client: (&str, &str), token: &str) -> serde_json::Value {
        let answer = harness::browser()
            .post(format!("{}/token/introspection", self.issuer))
            .basic_auth(client.0, Some(client.1))
            .form(&[("token", token)])
            .send()
            .await
            .expect("the introspection endpoint answers");
        assert!(
            answer.status().is_success(),
            "introspection answered {}",
            answer.status()
        );
        answer.json().await.unwrap()
    }

    /// RFC 7591: registers a client with `metadata` (a private_key_jwt
    /// client's public keys, as its administrator would enter them) and
    /// returns the `client_id` the server gave it.
    pub async fn register(&self, metadata: serde_json::Value) -> String {
        let answer = harness::browser()
            .post(format!("{}/reg", self.issuer))
            .json(&metadata)
            .send()
            .await
            .expect("the registration endpoint answers");
        let status = answer.status();
        let body: serde_json::Value = answer.json().await.unwrap();
        assert!(status.is_success(), "registration answered {status}: {body}");
        body["client_id"].as_str().expect("a client_id").to_owned()
    }

    /// RFC 7009: revokes `token` at the server, as `client`, behind Latch's back.
    pub async fn revoke(&self, client: (&str, &str), token: &str) {
        let answer = harness::browser()
            .post(format!("{}/token/revocation", self.issuer))
            .basic_auth(client.0, Some(client.1))
            .form(&[("token", token)])
            .send()
            .await
            .expect("the revocation endpoint answers");
        assert!(answer.status().is_success(), "revocation answered {}", answer.status());
    }

    /// The token endpoint's answer to a refresh with `refresh_token`, sent
    /// as `client` would: (status, body).
    pub async fn refresh(&self, client: (&str, &str), refresh_token: &str) -> (u16, serde_json::Value) {
        let answer = harness::browser()
            .post(format!("{}/token", self.issuer))
            .basic_auth(client.0, Some(client.1))
            .form(&[("grant_type", "refresh_token"), ("refresh_token", refresh_token)])
            .send()
            .await
            .expect("the token endpoint answers");
        (answer.status().as_u16(), answer.json().await.unwrap())
    }
}

impl Drop for OidcServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn cookies(jar: &BTreeMap<String, String>) -> String {
    jar.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The hidden inputs of a page's form: (name, value).
fn hidden_inputs(page: &str) -> Vec<(String, String)> {
    page.split("<input")
        .skip(1)
        .filter(|input| input.contains("type=\"hidden\""))
        .filter_map(|input| {
            let tag = &input[..input.find('>')?];
            let name = between(tag, "name=\"", "\"");
            let value = if tag.contains("value=\"") {
                between(tag, "value=\"", "\"")
            } else {
                String::new()
            };
            Some((name, value))
        })
        .collect()
}

fn between(text: &str, start: &str, end: &str) -> String {
    let from = text
        .find(start)
        .unwrap_or_else(|| panic!("no `{start}` in the page: {text}"))
        + start.len();
    let len = text[from..].find(end).expect("a closed attribute");
    text[from..from + len].replace("&amp;", "&")
}
