//! `latch accounts`: the list, soonest expiry first.

use crate::env::Env;
use crate::exit::Failure;
use crate::output::{Column, account_json, expires_in, provider_name, status, status_color, write_table};
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
    let columns = [
        Column::fixed("ID"),
        Column::shrinks("LABEL"),
        Column::shrinks("PROVIDER"),
        Column::fixed("STATUS"),
        Column::fixed("EXPIRES IN"),
    ];
    write_table(&mut env.stdout, env.terminal, &columns, &rows, |column, cell| {
        (column == 3).then(|| status_color(cell)).flatten()
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::run;
    use crate::env::testing::{Home, add_demo, env, fixed_urls};
    use crate::output::Terminal;
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
        env.terminal = Some(Terminal {
            width: None,
            color: false,
        });
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

    fn listed(home: &Home, terminal: Option<Terminal>) -> String {
        let (mut env, out) = env(&home.latch, false, "", false);
        env.terminal = terminal;
        run(&mut env).unwrap();
        out.stdout.text()
    }

    fn two_accounts() -> Home {
        let home = Home::new();
        let (urls, d) = (fixed_urls(), DemoCredentials::default());
        let mut wazzup = demo::wazzup(&urls, &d, SCHEME_REDIRECT, Grant::AuthorizationCode);
        wazzup.set("label", "Wazzup: the shop's production channels in Europe");
        add_demo(&home.latch, wazzup, "wazzup-main");
        add_demo(&home.latch, demo::green_api(&urls, &d), "green");
        home
    }

    /// Issue 19: the table ignored the terminal's width.
    #[test]
    fn on_a_60_column_terminal_every_line_fits_and_only_names_are_cut() {
        let home = two_accounts();
        let text = listed(
            &home,
            Some(Terminal {
                width: Some(60),
                color: false,
            }),
        );
        for line in text.lines() {
            assert!(line.chars().count() <= 60, "{line:?} is {} wide", line.chars().count());
        }
        let wazzup = text.lines().find(|l| l.starts_with("wazzup-main")).unwrap();
        assert!(wazzup.contains('…'), "the long label is cut: {wazzup:?}");
        assert!(wazzup.contains("not-connected"), "the status is whole: {wazzup:?}");
    }

    #[test]
    fn on_a_200_column_terminal_nothing_is_cut() {
        let home = two_accounts();
        let text = listed(
            &home,
            Some(Terminal {
                width: Some(200),
                color: false,
            }),
        );
        assert!(!text.contains('…'), "{text}");
        assert!(
            text.contains("Wazzup: the shop's production channels in Europe"),
            "{text}"
        );
        let at: Vec<usize> = text
            .lines()
            .map(|l| l.find("STATUS").or_else(|| l.find("not-connected")).unwrap())
            .collect();
        assert!(
            at.windows(2).all(|w| w[0] == w[1]),
            "the status column is aligned: {text}"
        );
    }

    #[test]
    fn piped_the_list_is_tab_separated_without_a_header() {
        let home = two_accounts();
        let mut lines: Vec<String> = listed(&home, None).lines().map(str::to_owned).collect();
        lines.sort();
        assert_eq!(
            lines,
            [
                "green\tWhatsApp (sandbox)\tGREEN-API\tnot-connected\t",
                "wazzup-main\tWazzup: the shop's production channels in Europe\tWazzup\tnot-connected\t",
            ]
        );
    }
}
