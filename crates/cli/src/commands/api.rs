//! `latch api ACCOUNT [METHOD] PATH_OR_URL`: a request to the account's API,
//! authenticated by the provider's own code (see `latch_core::api`).
//!
//! The answer's body goes to stdout as it came; `--include` puts the status
//! line and the headers before it, like curl's `-i`. The exit status is
//! curl's `--fail-with-body`: 0 for 1xx–3xx, [`exit::HTTP_ERROR`] for 4xx
//! and 5xx (the body is still printed), and the usual statuses when no
//! answer came (4 when the account needs a person). A redirect is printed,
//! never followed: the token would go with it. Nothing printed holds a
//! secret: GREEN-API's address is shown with its token masked.

use crate::cli::ApiArgs;
use crate::env::Env;
use crate::exit::{self, Failure};
use latch_core::api::{ApiRequest, ApiResponse, looks_like_method, parse_header};
use std::io::{Read, Write};

pub async fn run(env: &mut Env<'_>, args: ApiArgs) -> Result<(), Failure> {
    let account = env.latch.find(&args.account)?;
    let request = request(env, &args)?;
    let answer = env.latch.api(&account, &request).await?;
    env.record_handout(&account, latch_core::handouts::Verb::Api);
    if env.json {
        env.print_json(&json(&answer))?;
    } else {
        if args.include {
            write!(env.stdout, "{}", head(&answer))?;
        }
        env.stdout.write_all(&answer.body)?;
        env.stdout.flush()?;
    }
    if (300..400).contains(&answer.status) {
        let to = location(&answer).unwrap_or("another address");
        writeln!(
            env.stderr,
            "latch: {} answered HTTP {} to {to}; Latch does not follow redirects, so the token stays with the account's servers.",
            answer.shown_url, answer.status
        )?;
    }
    if answer.status >= 400 {
        return Err(Failure {
            status: exit::HTTP_ERROR,
            message: format!("{} answered HTTP {}.", answer.shown_url, answer.status),
        });
    }
    Ok(())
}

/// The request the arguments describe; the body is read here (a file or
/// stdin), before anything is sent.
fn request(env: &mut Env<'_>, args: &ApiArgs) -> Result<ApiRequest, Failure> {
    let (method, target) = match args.request.as_slice() {
        [target] => (None, target.clone()),
        [method, target] if looks_like_method(&method.to_ascii_uppercase()) => (Some(method.clone()), target.clone()),
        [method, _] => {
            return Err(Failure::usage(format!(
                "`{method}` is not an HTTP method: write `latch api ACCOUNT [GET|POST|PUT|PATCH|DELETE] PATH`."
            )));
        }
        _ => {
            return Err(Failure::usage(
                "Give the path to call: `latch api ACCOUNT [METHOD] PATH`.",
            ));
        }
    };
    let body = match args.data.as_deref() {
        None => None,
        Some("@-") => {
            let mut body = Vec::new();
            env.stdin.read_to_end(&mut body)?;
            Some(body)
        }
        Some(data) => match data.strip_prefix('@') {
            Some(path) => Some(std::fs::read(path).map_err(|e| Failure::usage(format!("Cannot read {path}: {e}.")))?),
            None => Some(data.as_bytes().to_vec()),
        },
    };
    let method = method.unwrap_or_else(|| if body.is_some() { "POST" } else { "GET" }.into());
    let headers = args
        .headers
        .iter()
        .map(|h| parse_header(h))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ApiRequest {
        method,
        target,
        headers,
        body,
        min_validity: args.min_valid,
    })
}

/// `HTTP 200` and the headers, as `curl -i` shows them.
fn head(answer: &ApiResponse) -> String {
    let mut head = format!("HTTP {}\r\n", answer.status);
    for (name, value) in &answer.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    head
}

fn location(answer: &ApiResponse) -> Option<&str> {
    answer
        .headers
        .iter()
        .find(|(name, _)| name == "location")
        .map(|(_, value)| value.as_str())
}

/// `{status, url, headers, body}`: the body as JSON when it is JSON, else as text.
fn json(answer: &ApiResponse) -> serde_json::Value {
    let body = serde_json::from_slice::<serde_json::Value>(&answer.body)
        .unwrap_or_else(|_| serde_json::Value::String(String::from_utf8_lossy(&answer.body).into_owned()));
    let headers: serde_json::Map<String, serde_json::Value> = answer
        .headers
        .iter()
        .map(|(n, v)| (n.clone(), serde_json::Value::String(v.clone())))
        .collect();
    serde_json::json!({
        "status": answer.status,
        "url": answer.shown_url,
        "retried": answer.retried,
        "headers": headers,
        "body": body,
    })
}
