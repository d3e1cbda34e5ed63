//! How accounts read on a terminal and in `--json` (a stable shape,
//! documented in the README).

use latch_core::model::{Account, AccountStatus, TokenSet, UnixTime};
use latch_core::secret::AccessToken;
use serde::Serialize;

#[derive(Serialize)]
pub struct AccountJson<'a> {
    pub id: &'a str,
    pub label: &'a str,
    pub provider: &'static str,
    /// not-connected, valid, expired, needs-reconnect, revoked, linked
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<UnixTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<&'a str>,
    /// A demo account of the sandbox (its servers are fakes): only `true` is written.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub sandbox: bool,
    /// The shared store (OpenBao / Vault) that keeps its secrets, where one does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store: Option<&'a str>,
}

pub fn account_json(account: &Account, now: UnixTime) -> AccountJson<'_> {
    let expires_at = account.token.as_ref().and_then(|t| t.expires_at);
    AccountJson {
        id: account.id.as_str(),
        label: &account.label,
        provider: account.provider().id(),
        status: status(account, now),
        reason: match &account.status {
            AccountStatus::NeedsReconnect { reason } => Some(reason),
            _ => None,
        },
        expires_at,
        expires_in: expires_at.map(|at| at - now),
        scope: account.token.as_ref().and_then(|t| t.scope.as_deref()),
        sandbox: account.sandbox,
        store: account.store.as_deref(),
    }
}

/// The provider's name (for Other OAuth 2.0 its server's host, as in
/// every message), and for a demo account that its server is the sandbox's
/// fake.
/// An account in a shared store says so: `Wordapp (shared: team)`.
pub fn provider_name(account: &Account) -> String {
    if account.sandbox {
        format!("{} (sandbox)", account.provider().display_name())
    } else if let Some(store) = &account.store {
        format!("{} (shared: {store})", latch_core::Latch::provider_name(account))
    } else {
        latch_core::Latch::provider_name(account).to_owned()
    }
}

pub fn status(account: &Account, now: UnixTime) -> &'static str {
    match &account.status {
        AccountStatus::NotConnected => "not-connected",
        AccountStatus::NeedsReconnect { .. } => "needs-reconnect",
        AccountStatus::Revoked => "revoked",
        AccountStatus::Linked => "linked",
        AccountStatus::Connected => match account.token.as_ref().and_then(|t| t.expires_at) {
            Some(at) if at <= now => "expired",
            _ => "valid",
        },
    }
}

/// How a table may be drawn: on a terminal of some width, perhaps in
/// colour; `None` for a pipe or a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Terminal {
    /// Columns; `None` when the terminal does not say.
    pub width: Option<usize>,
    pub color: bool,
}

impl Terminal {
    /// stdout's terminal, if it is one: its width (`COLUMNS` wins, as for
    /// other tools), and colour unless `NO_COLOR` is set (no-color.org) or
    /// the terminal is `dumb`.
    pub fn of_stdout() -> Option<Self> {
        use std::io::IsTerminal;
        if !std::io::stdout().is_terminal() {
            return None;
        }
        let width = std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.trim().parse().ok())
            .or_else(|| terminal_size::terminal_size().map(|(w, _)| usize::from(w.0)));
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let dumb = std::env::var("TERM").is_ok_and(|t| t == "dumb");
        Some(Self {
            width,
            color: !no_color && !dumb,
        })
    }
}

/// How a status reads in colour: attention red, soon yellow, fine green.
pub fn status_color(status: &str) -> Option<&'static str> {
    match status {
        "needs-reconnect" | "expired" | "revoked" => Some("31"),
        "not-connected" => Some("33"),
        "valid" | "linked" => Some("32"),
        _ => None,
    }
}

/// A table's column: its heading, and whether it may be cut short when the
/// terminal is narrow (labels and names may; a status may not).
pub struct Column {
    pub heading: &'static str,
    pub shrinks: bool,
}

impl Column {
    pub const fn fixed(heading: &'static str) -> Self {
        Self {
            heading,
            shrinks: false,
        }
    }
    pub const fn shrinks(heading: &'static str) -> Self {
        Self { heading, shrinks: true }
    }
}

/// A table as gh draws one. On a terminal: a header, columns aligned, the
/// widest shrinkable cells cut with `…` until a line fits the width, and
/// `color(column, cell)` colouring a cell. On a pipe: no header, cells
/// separated by tabs, nothing cut, no colour, so `cut -f2` and `awk -F'\t'`
/// read it.
pub fn write_table<const N: usize>(
    out: &mut dyn std::io::Write,
    terminal: Option<Terminal>,
    columns: &[Column; N],
    rows: &[[String; N]],
    color: impl Fn(usize, &str) -> Option<&'static str>,
) -> std::io::Result<()> {
    let Some(terminal) = terminal else {
        for row in rows {
            let cells: Vec<&str> = row.iter().map(|c| c.as_str()).collect();
            writeln!(out, "{}", cells.join("\t"))?;
        }
        return Ok(());
    };
    let header: [String; N] = std::array::from_fn(|i| columns[i].heading.to_owned());
    let mut widths = [0usize; N];
    for row in std::iter::once(&header).chain(rows) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    if let Some(limit) = terminal.width {
        fit(&mut widths, columns, limit);
    }
    let draw = |row: &[String; N], heading: bool| -> String {
        let mut line = String::new();
        for (i, (cell, width)) in row.iter().zip(widths).enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            let cell = cut(cell, width);
            let pad = width - cell.chars().count();
            let code = if !terminal.color {
                None
            } else if heading {
                Some("1")
            } else {
                color(i, &cell)
            };
            match code {
                Some(code) => line.push_str(&format!("\x1b[{code}m{cell}\x1b[0m")),
                None => line.push_str(&cell),
            }
            if i + 1 < N {
                line.push_str(&" ".repeat(pad));
            }
        }
        line.trim_end().to_owned()
    };
    writeln!(out, "{}", draw(&header, true))?;
    for row in rows {
        writeln!(out, "{}", draw(row, false))?;
    }
    Ok(())
}

/// Narrows the widest shrinkable column, one character at a time, until a
/// line fits `limit` or every shrinkable column is down to a few characters.
fn fit<const N: usize>(widths: &mut [usize; N], columns: &[Column; N], limit: usize) {
    const NARROWEST: usize = 6;
    let total = |w: &[usize; N]| w.iter().sum::<usize>() + 2 * N.saturating_sub(1);
    while total(widths) > limit {
        let widest = (0..N)
            .filter(|&i| columns[i].shrinks && widths[i] > NARROWEST)
            .max_by_key(|&i| (widths[i], std::cmp::Reverse(i)));
        match widest {
            Some(i) => widths[i] -= 1,
            None => break,
        }
    }
}

/// `cell` in at most `width` characters, ending in `…` when cut.
fn cut(cell: &str, width: usize) -> String {
    if cell.chars().count() <= width {
        return cell.to_owned();
    }
    let mut kept: String = cell.chars().take(width.saturating_sub(1)).collect();
    kept.push('…');
    kept
}

/// `3 m ago`, `2 h 5 m ago`, `just now`.
pub fn ago(at: UnixTime, now: UnixTime) -> String {
    match now - at {
        s if s < 5 => "just now".into(),
        s => format!("{} ago", span(s)),
    }
}

/// `1 h 12 m`, `23 h 59 m`, `45 s`, `expired 3 m ago`.
pub fn expires_in(expires_at: Option<UnixTime>, now: UnixTime) -> String {
    let Some(at) = expires_at else {
        return "no expiry".into();
    };
    let left = at - now;
    if left <= 0 {
        return format!("expired {} ago", span(-left));
    }
    span(left)
}

/// A span of time as the window says it too (`ui/src/lib/durations.json`
/// is the table both are tested against).
fn span(seconds: i64) -> String {
    match seconds {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} m {} s", s / 60, s % 60),
        s if s < 86400 => format!("{} h {} m", s / 3600, (s % 3600) / 60),
        s => format!("{} d {} h", s / 86400, (s % 86400) / 3600),
    }
}

/// `latch token --json`: the credential the account hands out, under its
/// own name (`access_token`, or `id_token` for an account that hands that
/// out), never both.
#[derive(Serialize)]
pub struct TokenJson<'a> {
    pub account: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_token: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<&'a str>,
    pub token_type: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<UnixTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<&'a str>,
}

pub fn token_json<'a>(account: &'a Account, tokens: &'a TokenSet, credential: &'a AccessToken) -> TokenJson<'a> {
    let is_access_token = *credential == tokens.access_token;
    TokenJson {
        account: account.id.as_str(),
        access_token: is_access_token.then(|| credential.secret()),
        id_token: (!is_access_token).then(|| credential.secret()),
        token_type: &tokens.token_type,
        expires_at: tokens.expires_at,
        scope: tokens.scope.as_deref(),
    }
}

pub fn print_json(value: &impl Serialize) {
    println!("{}", serde_json::to_string_pretty(value).expect("JSON of plain data"));
}

/// What [`print_json`] prints, to `out`.
pub fn write_json(out: &mut dyn std::io::Write, value: &impl Serialize) -> std::io::Result<()> {
    writeln!(
        out,
        "{}",
        serde_json::to_string_pretty(value).expect("JSON of plain data")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_left_reads_like_a_person_writes_it() {
        assert_eq!(expires_in(Some(100 + 4320), 100), "1 h 12 m");
        assert_eq!(expires_in(Some(86399), 0), "23 h 59 m");
        assert_eq!(expires_in(Some(45), 0), "45 s");
        assert_eq!(expires_in(Some(0), 180), "expired 3 m 0 s ago");
        assert_eq!(expires_in(None, 0), "no expiry");
    }

    /// Issue 19: "1 d 0 h" here and "24 h 0 m" in the window; now both
    /// read the same table.
    #[test]
    fn spans_read_as_the_window_says_them() {
        let table: serde_json::Value =
            serde_json::from_str(include_str!("../../../ui/src/lib/durations.json")).unwrap();
        for pair in table["spans"].as_array().unwrap() {
            let (seconds, text) = (pair[0].as_i64().unwrap(), pair[1].as_str().unwrap());
            assert_eq!(span(seconds), text, "{seconds} s");
        }
    }

    fn drawn(terminal: Option<Terminal>) -> String {
        let columns = [Column::fixed("ID"), Column::shrinks("LABEL"), Column::fixed("STATUS")];
        let rows = [
            [
                "shop".to_owned(),
                "The shop's production account".to_owned(),
                "valid".to_owned(),
            ],
            ["crm".to_owned(), "CRM".to_owned(), "needs-reconnect".to_owned()],
        ];
        let mut out = Vec::new();
        write_table(&mut out, terminal, &columns, &rows, |column, cell| {
            (column == 2).then(|| status_color(cell)).flatten()
        })
        .unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_wide_terminal_gets_every_cell_whole_and_aligned() {
        let wide = Some(Terminal {
            width: Some(200),
            color: false,
        });
        assert_eq!(
            drawn(wide),
            "ID    LABEL                          STATUS\n\
             shop  The shop's production account  valid\n\
             crm   CRM                            needs-reconnect\n"
        );
        assert_eq!(
            drawn(Some(Terminal {
                width: None,
                color: false
            })),
            drawn(wide)
        );
    }

    #[test]
    fn a_narrow_terminal_cuts_the_label_and_never_the_status() {
        let text = drawn(Some(Terminal {
            width: Some(32),
            color: false,
        }));
        for line in text.lines() {
            assert!(line.chars().count() <= 32, "{line:?} is wider than 32");
        }
        assert_eq!(
            text,
            "ID    LABEL      STATUS\n\
             shop  The shop…  valid\n\
             crm   CRM        needs-reconnect\n"
        );
    }

    #[test]
    fn colour_marks_the_status_and_keeps_the_columns_aligned() {
        let text = drawn(Some(Terminal {
            width: Some(200),
            color: true,
        }));
        assert_eq!(
            text.lines().nth(1).unwrap(),
            "shop  The shop's production account  \x1b[32mvalid\x1b[0m"
        );
        assert_eq!(
            text.lines().nth(2).unwrap(),
            "crm   CRM                            \x1b[31mneeds-reconnect\x1b[0m"
        );
        assert!(text.starts_with("\x1b[1mID\x1b[0m    \x1b[1mLABEL\x1b[0m"));
    }

    #[test]
    fn a_pipe_gets_tab_separated_rows_without_header_or_colour() {
        assert_eq!(
            drawn(None),
            "shop\tThe shop's production account\tvalid\ncrm\tCRM\tneeds-reconnect\n"
        );
    }
}
