//! `latch show`: one account as the window's Details show it — the same
//! [`latch_core::details::Details`], made by the core — with its settings
//! (the form's fields, as `latch edit --set` names them). Times read as
//! dates, the claims of its tokens decoded; never a token or a secret.

use crate::cli::AccountArg;
use crate::env::Env;
use crate::exit::Failure;
use crate::output::{account_json, ago, expires_in, provider_name, status};
use latch_core::details::Details;
use latch_core::model::UnixTime;
use latch_core::providers::edit::editable;
use latch_core::time::local;
use std::io::Write;

pub fn run(env: &mut Env, args: AccountArg) -> Result<(), Failure> {
    let latch = env.latch;
    let account = latch.find(&args.account)?;
    let details = latch.details(&account)?;
    let settings = editable(&account);
    let now = latch_core::time::now();
    let refreshed = details.last_refresh.clone();
    if env.json {
        let settings: serde_json::Map<String, serde_json::Value> =
            settings.into_iter().map(|(k, v)| (k, v.into())).collect();
        return env.print_json(&serde_json::json!({
            "account": account_json(&account, now),
            "settings": settings,
            "details": details,
            "shared": account.store.as_ref().map(|store| serde_json::json!({ "store": store, "last_refresh": refreshed })),
        }));
    }
    let out = &mut env.stdout;
    writeln!(out, "{} ({})", account.label, account.id)?;
    let mut state = status(&account, now).to_owned();
    if matches!(state.as_str(), "valid" | "expired") {
        state = format!("{state}, {}", when_expires(details.expires_at, now));
    }
    let mut head = vec![("provider", provider_name(&account)), ("status", state)];
    if let latch_core::model::AccountStatus::NeedsReconnect { reason } = &account.status {
        head.push(("why", reason.clone()));
    }
    if let Some(store) = &account.store {
        head.push((
            "shared",
            format!("through the store `{store}`: other machines use it too"),
        ));
        if let Some(r) = &refreshed {
            head.push((
                "last refresh",
                format!("{} on {}, {} ({})", r.by, r.machine, local(r.at), ago(r.at, now)),
            ));
        }
    }
    section(out, "", &head)?;
    let fields: Vec<(&str, String)> = settings
        .iter()
        .filter(|(name, _)| name != "label")
        .map(|(name, value)| (name.as_str(), value.clone()))
        .collect();
    section(out, "Settings", &fields)?;
    if account.token.is_some() {
        let mut token = Vec::new();
        if let Some(kind) = &details.token_type {
            token.push(("type", kind.clone()));
        }
        if let Some(scope) = &details.scope {
            token.push(("scope", scope.clone()));
        }
        if let Some(at) = details.obtained_at {
            token.push(("obtained", format!("{} ({})", local(at), ago(at, now))));
        }
        token.push(("expires", when_expires(details.expires_at, now)));
        let refresh = if details.has_refresh_token { "yes" } else { "no" };
        token.push(("refresh token", refresh.to_owned()));
        for (name, value) in &details.extras {
            // A provider's own times (`created_at`) read as dates too.
            let value = match value.parse::<UnixTime>() {
                Ok(at) if name.ends_with("_at") && at > 946_684_800 => format!("{} ({})", local(at), ago(at, now)),
                _ => value.clone(),
            };
            token.push((name, value));
        }
        section(out, "Token", &token)?;
    }
    claims(out, "Access token claims", details.claims.as_ref(), now)?;
    claims(out, "ID token claims", details.id_token_claims.as_ref(), now)?;
    if let Some(jwk) = &details.public_key {
        writeln!(
            out,
            "\nPublic key (register it with the server; `latch key {}`):",
            account.id
        )?;
        writeln!(out, "  {jwk}")?;
    }
    last_used(out, &details, now)?;
    Ok(())
}

fn when_expires(at: Option<UnixTime>, now: UnixTime) -> String {
    match at {
        Some(at) if at > now => format!("in {} (at {})", expires_in(Some(at), now), local(at)),
        Some(at) => format!("{} (at {})", expires_in(Some(at), now), local(at)),
        None => "no expiry".into(),
    }
}

/// A heading and its lines, names aligned.
fn section(out: &mut dyn Write, heading: &str, lines: &[(&str, String)]) -> std::io::Result<()> {
    if lines.is_empty() {
        return Ok(());
    }
    if !heading.is_empty() {
        writeln!(out, "\n{heading}:")?;
    }
    let width = lines.iter().map(|(name, _)| name.chars().count()).max().unwrap_or(0);
    for (name, value) in lines {
        let value = if value.is_empty() { "—" } else { value };
        writeln!(out, "  {name:<width$}  {value}")?;
    }
    Ok(())
}

/// The claims JWT times carry (`exp`, `iat`, `nbf`, `auth_time`) as dates.
const TIMES: [&str; 5] = ["exp", "iat", "nbf", "auth_time", "updated_at"];

fn claims(
    out: &mut dyn Write,
    heading: &str,
    claims: Option<&serde_json::Value>,
    now: UnixTime,
) -> std::io::Result<()> {
    let Some(serde_json::Value::Object(claims)) = claims else {
        return Ok(());
    };
    let lines: Vec<(&str, String)> = claims
        .iter()
        .map(|(name, value)| {
            let shown = match (value.as_i64(), TIMES.contains(&name.as_str())) {
                (Some(at), true) if at > now => format!("{} (in {})", local(at), expires_in(Some(at), now)),
                (Some(at), true) => format!("{} ({})", local(at), ago(at, now)),
                _ => match value {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                },
            };
            (name.as_str(), shown)
        })
        .collect();
    section(out, heading, &lines)
}

fn last_used(out: &mut dyn Write, details: &Details, now: UnixTime) -> std::io::Result<()> {
    if let Some(problem) = &details.last_used_problem {
        return writeln!(out, "\nLast used: unknown ({problem})");
    }
    match &details.last_used {
        Some(last) => {
            let by = last
                .by
                .as_deref()
                .unwrap_or("a process whose command line could not be read");
            writeln!(
                out,
                "\nLast used: {} ({}), {:?} by `{by}` (pid {})",
                local(last.at),
                ago(last.at, now),
                last.verb,
                last.pid
            )
        }
        None => writeln!(out, "\nLast used: never"),
    }
}

#[cfg(test)]
mod tests {
    use super::run;
    use crate::env::testing::{Home, env, fixed_urls, parsed};
    use latch_core::model::{AccountStatus, Grant, TokenSet};
    use latch_core::secret::AccessToken;
    use latch_sandbox::harness::{self, SCHEME_REDIRECT};
    use latch_sandbox::{DemoCredentials, demo};

    /// A JWT whose payload is `claims` (unsigned: Details only decode it).
    fn jwt(claims: serde_json::Value) -> String {
        use base64::Engine;
        let part = |v: &serde_json::Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
        format!("{}.{}.sig", part(&serde_json::json!({"alg": "none"})), part(&claims))
    }

    #[test]
    fn show_reads_like_the_details_with_dates_not_unix_seconds_and_no_token() {
        let home = Home::new();
        let (urls, d) = (fixed_urls(), DemoCredentials::default());
        let draft = demo::wazzup(&urls, &d, SCHEME_REDIRECT, Grant::AuthorizationCode);
        let (mut account, mut secrets) = harness::account(draft, "wazzup-main");
        let now = latch_core::time::now();
        let token = jwt(serde_json::json!({"sub": "shop-42", "exp": now + 3600, "iat": now - 60}));
        let tokens = TokenSet {
            access_token: AccessToken::new(&token),
            refresh_token: None,
            token_type: "Bearer".into(),
            scope: Some("transport crm".into()),
            obtained_at: now - 60,
            expires_at: Some(now + 3600),
            refresh_expires_at: None,
            extras: Default::default(),
            id_token: None,
        };
        account.token = Some(tokens.meta());
        account.status = AccountStatus::Connected;
        secrets.tokens = Some(tokens);
        let account = home.latch.add(account, secrets).unwrap();

        let (mut text_env, out) = env(&home.latch, false, "", false);
        run(&mut text_env, parsed!(Show, &["show", "wazzup-main"])).unwrap();
        let text = out.stdout.text();
        assert!(text.starts_with("Wazzup (sandbox) (wazzup-main)\n"), "{text}");
        for wanted in [
            "status    valid, in 1 h 0 m (at ",
            "scope          transport crm",
            "sub  shop-42",
            "Last used: never",
        ] {
            assert!(text.contains(wanted), "{wanted:?} in:\n{text}");
        }
        assert!(
            text.contains(&format!("exp  {} (in 1 h 0 m)", latch_core::time::local(now + 3600))),
            "{text}"
        );
        assert!(!text.contains(&(now + 3600).to_string()), "no Unix seconds:\n{text}");
        assert!(!text.contains(&token), "never the token:\n{text}");

        let (mut env, out) = env(&home.latch, true, "", false);
        run(&mut env, parsed!(Show, &["show", "wazzup-main"])).unwrap();
        let json: serde_json::Value = serde_json::from_str(&out.stdout.text()).unwrap();
        assert_eq!(json["details"]["claims"]["sub"], "shop-42");
        assert_eq!(json["settings"]["client_id"], account_client_id(&home));
        assert_eq!(json["account"]["id"], account.id.as_str());
        assert!(!out.stdout.text().contains(&token));
    }

    fn account_client_id(home: &Home) -> String {
        latch_core::providers::edit::editable(&home.latch.find("wazzup-main").unwrap())
            .into_iter()
            .find(|(k, _)| k == "client_id")
            .map(|(_, v)| v)
            .unwrap()
    }
}
