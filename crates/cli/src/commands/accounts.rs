//! `latch accounts`: the list, soonest expiry first.

use crate::env::Env;
use crate::exit::Failure;
use crate::output::{account_json, expires_in, provider_name, status, write_table};
use std::io::Write;

pub fn run(env: &mut Env) -> Result<(), Failure> {
    let accounts = env.latch.accounts()?;
    let now = latch_core::time::now();
    if env.json {
        let rows: Vec<_> = accounts.iter().map(|a| account_json(a, now)).collect();
        return env.print_json(&rows);
    }
    if accounts.is_empty() {
        writeln!(
            env.stderr,
            "No accounts yet: add one with `latch add <provider>`, or try `latch sandbox`."
        )?;
        return Ok(());
    }
    let rows: Vec<[String; 5]> = accounts
        .iter()
        .map(|a| {
            let left = match status(a, now) {
                "valid" | "expired" => expires_in(a.token.as_ref().and_then(|t| t.expires_at), now),
                _ => String::new(),
            };
            [
                a.id.to_string(),
                a.label.clone(),
                provider_name(a),
                status(a, now).to_owned(),
                left,
            ]
        })
        .collect();
    let header = ["ID", "LABEL", "PROVIDER", "STATUS", "EXPIRES IN"];
    write_table(&mut env.stdout, &header, &rows)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::run;
    use crate::env::testing::{Home, add_demo, env, fixed_urls};
    use latch_core::model::Grant;
    use latch_sandbox::harness::SCHEME_REDIRECT;
    use latch_sandbox::{DemoCredentials, demo};

    #[test]
    fn an_empty_list_says_how_to_add_an_account_on_stderr_and_prints_nothing() {
        let home = Home::new();
        for (json, stdout, stderr) in [
            (
                false,
                "",
                "No accounts yet: add one with `latch add <provider>`, or try `latch sandbox`.\n",
            ),
            (true, "[]\n", ""),
        ] {
            let (mut env, out) = env(&home.latch, json, "", false);
            run(&mut env).unwrap();
            assert_eq!(out.stdout.text(), stdout, "--json {json}");
            assert_eq!(out.stderr.text(), stderr, "--json {json}");
        }
    }

    #[test]
    fn the_list_is_a_table_with_aligned_columns_and_no_trailing_spaces() {
        let home = Home::new();
        let (urls, d) = (fixed_urls(), DemoCredentials::default());
        add_demo(
            &home.latch,
            demo::wazzup(&urls, &d, SCHEME_REDIRECT, Grant::AuthorizationCode),
            "wazzup-main",
        );
        add_demo(&home.latch, demo::green_api(&urls, &d), "green");
        let (mut env, out) = env(&home.latch, false, "", false);
        run(&mut env).unwrap();
        let mut lines: Vec<String> = out.stdout.text().lines().map(str::to_owned).collect();
        let header = lines.remove(0);
        assert_eq!(
            header,
            "ID           LABEL               PROVIDER   STATUS         EXPIRES IN"
        );
        lines.sort();
        assert_eq!(
            lines,
            [
                "green        WhatsApp (sandbox)  GREEN-API  not-connected",
                "wazzup-main  Wazzup (sandbox)    Wazzup     not-connected",
            ]
        );
        assert_eq!(out.stderr.text(), "");
    }
}
