//! The tray icon: every account with its state and when its token ends,
//! Copy token and Copy header per account (copied in Rust and cleared, as
//! the window copies), Refresh all, Open Latch and Quit. Its first line (and
//! its tooltip, where the desktop has tooltips) names the account that needs
//! a person or expires soonest; its icon carries a mark while one needs a
//! person.
//!
//! The menu is built again only when something changed (the accounts, or a
//! token reaching its end): times are written as clock times ("until
//! 14:05"), so nothing ticks while Latch sits in the tray.

use crate::state::AppState;
use latch_core::model::{Account, AccountStatus, UnixTime};
use std::time::Duration;
use tauri::image::Image;
use tauri::menu::{Menu, MenuBuilder, MenuItemBuilder, SubmenuBuilder};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager};

pub const ID: &str = "latch";

const ICON: &[u8] = include_bytes!("../icons/128x128.png");

/// What the tray's items are called (their dbusmenu ids and the test's words).
const OPEN: &str = "open";
const REFRESH_ALL: &str = "refresh-all";
const QUIT: &str = "quit";
const COPY_TOKEN: &str = "copy-token:";
const COPY_HEADER: &str = "copy-header:";

/// Builds the tray icon, if the desktop's tray library is there (without
/// it there is nothing to show; closing the window then quits).
pub fn install(app: &AppHandle) -> tauri::Result<()> {
    let keep = app.clone();
    tauri::async_runtime::spawn(async move { keep_current(keep).await });
    if !crate::shell::tray_library_loads() {
        eprintln!("latch-desktop: libayatana-appindicator is not installed, so Latch shows no tray icon");
        return Ok(());
    }
    let view = View::of(app);
    let icon = icon(view.attention);
    let mut tray = TrayIconBuilder::with_id(ID)
        .icon(icon)
        .tooltip(&view.summary)
        .menu(&menu(app, &view)?)
        .show_menu_on_left_click(true)
        .on_menu_event(|app, event| chosen(app, event.id().as_ref()));
    // The icon is written to a file for the desktop's panel to read: into
    // the private data directory, not a shared /tmp (where another user
    // could have put a link in its place).
    let state = app.state::<AppState>();
    if let Ok(latch) = state.latch() {
        let dir = latch.store().home().join("tray");
        let mut private = std::fs::DirBuilder::new();
        std::os::unix::fs::DirBuilderExt::mode(&mut private, 0o700);
        if private.create(&dir).is_ok() || dir.is_dir() {
            tray = tray.temp_dir_path(dir);
        }
    }
    tray.build(app)?;
    Ok(())
}

/// Builds the menu again whenever the accounts change, and when the next
/// token reaches its end (its line turns from "until" to "expired") or an
/// account's sign-in nears its end; the first time an account's does, a
/// notification says so (tray or not).
async fn keep_current(app: AppHandle) {
    let mut warned: std::collections::HashSet<(String, UnixTime)> = Default::default();
    let changed = std::sync::Arc::new(tokio::sync::Notify::new());
    {
        use tauri::Listener;
        let changed = changed.clone();
        app.listen(crate::callback::ACCOUNTS_CHANGED, move |_| changed.notify_one());
    }
    let mut shown: Option<View> = None;
    loop {
        let view = View::of(&app);
        // Built again only when it reads differently: a panel that has the
        // menu open keeps its items.
        if shown.as_ref() != Some(&view)
            && let Some(tray) = app.tray_by_id(ID)
        {
            match menu(&app, &view) {
                Ok(menu) => {
                    let _ = tray.set_menu(Some(menu));
                }
                Err(e) => eprintln!("latch-desktop: the tray's menu could not be built ({e})"),
            }
            let _ = tray.set_tooltip(Some(&view.summary));
            let _ = tray.set_icon(Some(icon(view.attention)));
        }
        for row in &view.rows {
            if let Some((label, end)) = &row.sign_in_ends
                && warned.insert((row.id.clone(), *end))
            {
                crate::shell::notify(
                    &app,
                    &format!("{label}: its sign-in ends {}", at_time(*end, latch_core::time::now())),
                    "After that Latch cannot refresh its token. Open Latch and press Reconnect before then.",
                );
            }
        }
        let next_change = view.next_change;
        shown = Some(view);
        match next_change {
            Some(at) => {
                let wait = Duration::from_secs(u64::try_from(at - latch_core::time::now()).unwrap_or(0));
                let _ = tokio::time::timeout(wait, changed.notified()).await;
            }
            None => changed.notified().await,
        }
    }
}

/// The tray's picture of the accounts.
#[derive(PartialEq)]
struct View {
    rows: Vec<Row>,
    summary: String,
    /// An account needs a person: the icon carries a mark.
    attention: bool,
    /// When a line changes by itself (the soonest end of a token still valid).
    next_change: Option<UnixTime>,
}

#[derive(PartialEq)]
struct Row {
    id: String,
    line: String,
    /// The account's label and its refresh token's end, once that is near.
    sign_in_ends: Option<(String, UnixTime)>,
    /// Copy token / Copy header can work (a token is held, or can be had).
    copyable: bool,
}

impl View {
    fn of(app: &AppHandle) -> View {
        let state = app.state::<AppState>();
        let accounts = state.latch().and_then(|latch| latch.accounts());
        let failing: Vec<String> = state.failing.lock().unwrap().keys().map(|id| id.to_string()).collect();
        match accounts {
            Ok(accounts) => View::from_accounts(&accounts, &failing, latch_core::time::now()),
            Err(e) => View {
                rows: Vec::new(),
                summary: format!("Latch cannot read its accounts: {e}"),
                attention: true,
                next_change: None,
            },
        }
    }

    /// `failing`: the accounts whose refresh keeps failing.
    fn from_accounts(accounts: &[Account], failing: &[String], now: UnixTime) -> View {
        let failing = |a: &Account| failing.iter().any(|f| f == a.id.as_str());
        let mut accounts: Vec<&Account> = accounts.iter().collect();
        // Soonest end first, as the window sorts; accounts without one after.
        accounts.sort_by_key(|a| (expiry(a).unwrap_or(i64::MAX), a.label.clone()));
        let rows = accounts
            .iter()
            .map(|a| Row {
                id: a.id.to_string(),
                line: match (failing(a), sign_in_ending(a, now)) {
                    (true, _) => format!("{}: {}, refresh failing", a.label, state(a, now)),
                    (false, Some(end)) => format!("{}: {}, sign-in ends {}", a.label, state(a, now), at_time(end, now)),
                    (false, None) => format!("{}: {}", a.label, state(a, now)),
                },
                sign_in_ends: sign_in_ending(a, now).map(|end| (a.label.clone(), end)),
                copyable: matches!(a.status, AccountStatus::Connected)
                    && a.token
                        .as_ref()
                        .is_some_and(|t| t.has_refresh_token || expiry(a).is_none_or(|e| e > now)),
            })
            .collect();
        let needing = accounts
            .iter()
            .find(|a| needs_person(a, now) || failing(a) || sign_in_ending(a, now).is_some());
        let soonest = accounts
            .iter()
            .filter(|a| matches!(a.status, AccountStatus::Connected))
            .find(|a| expiry(a).is_some_and(|e| e > now));
        let summary = match (needing, soonest) {
            (Some(a), _) if failing(a) => format!("refreshing {} keeps failing ({})", a.label, state(a, now)),
            (Some(a), _) if sign_in_ending(a, now).is_some() => format!(
                "the sign-in of {} ends {}; reconnect it before then",
                a.label,
                at_time(sign_in_ending(a, now).expect("matched"), now)
            ),
            (Some(a), _) => format!("{} needs you: {}", a.label, state(a, now)),
            (None, Some(a)) => format!(
                "{} expires soonest, {}",
                a.label,
                at_time(expiry(a).expect("filtered on an expiry"), now)
            ),
            (None, None) if accounts.is_empty() => "No accounts yet".to_owned(),
            (None, None) => "No token expires".to_owned(),
        };
        View {
            rows,
            summary: format!("Latch: {summary}"),
            attention: needing.is_some(),
            next_change: accounts
                .iter()
                .filter(|a| matches!(a.status, AccountStatus::Connected))
                .flat_map(|a| {
                    let t = a.token.as_ref();
                    [
                        expiry(a),
                        t.and_then(latch_core::scheduler::refresh_warning_at),
                        t.and_then(|t| t.refresh_expires_at),
                    ]
                })
                .flatten()
                .filter(|&at| at > now)
                .min(),
        }
    }
}

fn expiry(a: &Account) -> Option<UnixTime> {
    a.token.as_ref().and_then(|t| t.expires_at)
}

/// When a connected account's refresh token ends, once that is near
/// (`latch_core::scheduler::refresh_warning_at`) and not yet past.
fn sign_in_ending(a: &Account, now: UnixTime) -> Option<UnixTime> {
    let t = a.token.as_ref()?;
    let end = t.refresh_expires_at?;
    let warn = latch_core::scheduler::refresh_warning_at(t)?;
    (matches!(a.status, AccountStatus::Connected) && t.has_refresh_token && warn <= now && now < end).then_some(end)
}

/// Needs a person: reconnecting, or a token that ended and cannot be renewed.
fn needs_person(a: &Account, now: UnixTime) -> bool {
    match a.status {
        AccountStatus::NeedsReconnect { .. } => true,
        AccountStatus::Connected => {
            a.token.as_ref().is_some_and(|t| !t.has_refresh_token) && expiry(a).is_some_and(|e| e <= now)
        }
        _ => false,
    }
}

/// How an account's line reads after its name.
fn state(a: &Account, now: UnixTime) -> String {
    match &a.status {
        AccountStatus::NotConnected => "not connected".into(),
        AccountStatus::NeedsReconnect { .. } => "needs reconnect".into(),
        AccountStatus::Revoked => "revoked".into(),
        AccountStatus::Linked => "WhatsApp linked".into(),
        AccountStatus::Connected => match expiry(a) {
            None => "valid".into(),
            Some(e) if e > now => format!("valid {}", until(e, now)),
            Some(e) => format!("expired {}", at_time(e, now)),
        },
    }
}

/// "until 14:05", "until Thu 09:12", "until 3 Jan 2027" (the local zone).
fn until(at: UnixTime, now: UnixTime) -> String {
    format!("until {}", clock(at, now))
}

/// "at 14:05", as `until`.
fn at_time(at: UnixTime, now: UnixTime) -> String {
    format!("at {}", clock(at, now))
}

fn clock(at: UnixTime, now: UnixTime) -> String {
    let tz = jiff::tz::TimeZone::system();
    let (Ok(at), Ok(now)) = (jiff::Timestamp::from_second(at), jiff::Timestamp::from_second(now)) else {
        return "at an unknown time".into();
    };
    let (at, now) = (at.to_zoned(tz.clone()), now.to_zoned(tz));
    let days = (at.date() - now.date()).get_days();
    if at.date() == now.date() {
        at.strftime("%H:%M").to_string()
    } else if (-6..=6).contains(&days) {
        at.strftime("%a %H:%M").to_string()
    } else {
        at.strftime("%-d %b %Y").to_string()
    }
}

fn menu(app: &AppHandle, view: &View) -> tauri::Result<Menu<tauri::Wry>> {
    let mut menu = MenuBuilder::new(app)
        .item(
            &MenuItemBuilder::with_id("summary", &view.summary)
                .enabled(false)
                .build(app)?,
        )
        .separator();
    for row in &view.rows {
        let account = SubmenuBuilder::with_id(app, format!("account:{}", row.id), &row.line)
            .item(
                &MenuItemBuilder::with_id(format!("{COPY_TOKEN}{}", row.id), "Copy token")
                    .enabled(row.copyable)
                    .build(app)?,
            )
            .item(
                &MenuItemBuilder::with_id(format!("{COPY_HEADER}{}", row.id), "Copy header")
                    .enabled(row.copyable)
                    .build(app)?,
            )
            .build()?;
        menu = menu.item(&account);
    }
    if !view.rows.is_empty() {
        menu = menu.separator().text(REFRESH_ALL, "Refresh all");
    }
    menu.text(OPEN, "Open Latch")
        .separator()
        .text(QUIT, "Quit Latch")
        .build()
}

/// The app's icon; with a mark in its corner while an account needs a person.
fn icon(attention: bool) -> Image<'static> {
    let base = Image::from_bytes(ICON)
        .expect("the tray icon is a valid PNG")
        .to_owned();
    if !attention {
        return base;
    }
    let (w, h) = (base.width(), base.height());
    let mut rgba = base.rgba().to_vec();
    let r = w.min(h) as f32 * 0.22;
    let (cx, cy) = (w as f32 - r - 1.0, h as f32 - r - 1.0);
    for y in 0..h {
        for x in 0..w {
            let d = ((x as f32 - cx).powi(2) + (y as f32 - cy).powi(2)).sqrt();
            if d <= r {
                let i = ((y * w + x) * 4) as usize;
                // Amber inside, a dark ring so it reads on light and dark panels.
                let px = if d > r - 2.0 {
                    [40, 20, 0, 255]
                } else {
                    [245, 158, 11, 255]
                };
                rgba[i..i + 4].copy_from_slice(&px);
            }
        }
    }
    Image::new_owned(rgba, w, h)
}

fn chosen(app: &AppHandle, id: &str) {
    let app = app.clone();
    match id {
        OPEN => {
            if let Err(e) = crate::shell::open_window(&app) {
                eprintln!("latch-desktop: the window could not open ({e})");
            }
        }
        QUIT => app.exit(0),
        REFRESH_ALL => {
            tauri::async_runtime::spawn(async move { refresh_all(&app).await });
        }
        _ => {
            let (header, account) = if let Some(account) = id.strip_prefix(COPY_TOKEN) {
                (false, account.to_owned())
            } else if let Some(account) = id.strip_prefix(COPY_HEADER) {
                (true, account.to_owned())
            } else {
                return;
            };
            tauri::async_runtime::spawn(async move {
                match crate::commands::copy_token(app.clone(), account, header).await {
                    Ok(message) => eprintln!("latch-desktop: {message}"),
                    Err(e) => crate::shell::notify(&app, "Latch could not copy the token", &e.to_string()),
                }
            });
        }
    }
}

/// Refreshes every account that can be refreshed; says what failed.
async fn refresh_all(app: &AppHandle) {
    let state = app.state::<AppState>();
    let Ok(latch) = state.latch() else {
        return;
    };
    let Ok(accounts) = latch.accounts() else { return };
    let mut failed = Vec::new();
    for account in accounts.iter().filter(|a| {
        matches!(a.status, AccountStatus::Connected) && a.token.as_ref().is_some_and(|t| t.has_refresh_token)
    }) {
        if let Err(e) = crate::commands::refresh_account(app.clone(), account.id.to_string()).await {
            failed.push(format!("{}: {e}", account.label));
        }
    }
    if !failed.is_empty() {
        crate::shell::notify(app, "Latch could not refresh every account", &failed.join("\n"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use latch_core::model::{AccountId, Grant, ProviderSettings, TokenMeta, WordappSettings};

    fn account(label: &str, status: AccountStatus, expires_at: Option<UnixTime>, refresh: bool) -> Account {
        let mut a = Account {
            id: AccountId::parse(&label.to_lowercase()).expect("a plain label"),
            label: label.into(),
            settings: ProviderSettings::Wordapp(WordappSettings {
                base_url: "https://app.wordapp.com".into(),
                grant: Grant::ClientCredentials,
                client_id: Some("c".into()),
                redirect_uri: None,
                username: None,
                api_version: None,
            }),
            status: AccountStatus::Connected,
            token: None,
            created_at: 0,
            sandbox: false,
            store: None,
        };
        a.status = status;
        a.token = Some(TokenMeta {
            token_type: "Bearer".into(),
            expires_at,
            has_refresh_token: refresh,
            ..TokenMeta::default()
        });
        a
    }

    #[test]
    fn the_summary_names_who_needs_a_person_before_who_expires_soonest() {
        let now = 1_800_000_000;
        let soon = account("Soon", AccountStatus::Connected, Some(now + 600), true);
        let later = account("Later", AccountStatus::Connected, Some(now + 7200), true);
        let view = View::from_accounts(&[later.clone(), soon.clone()], &[], now);
        assert!(
            view.summary.starts_with("Latch: Soon expires soonest, at "),
            "{}",
            view.summary
        );
        assert!(!view.attention);
        assert_eq!(view.next_change, Some(now + 600));
        assert!(
            view.rows[0].line.starts_with("Soon: valid until "),
            "{}",
            view.rows[0].line
        );
        assert!(view.rows.iter().all(|r| r.copyable));

        let broken = account(
            "Broken",
            AccountStatus::NeedsReconnect {
                reason: "refused".into(),
            },
            Some(now + 60),
            true,
        );
        let view = View::from_accounts(&[later.clone(), soon.clone(), broken], &[], now);
        assert_eq!(view.summary, "Latch: Broken needs you: needs reconnect");
        assert!(view.attention);
        assert!(!view.rows.iter().find(|r| r.id == "broken").unwrap().copyable);

        let view = View::from_accounts(&[later, soon], &["later".into()], now);
        assert!(view.attention, "a refresh that keeps failing needs a person");
        assert!(
            view.summary
                .starts_with("Latch: refreshing Later keeps failing (valid until "),
            "{}",
            view.summary
        );
        let line = &view.rows.iter().find(|r| r.id == "later").unwrap().line;
        assert!(line.ends_with(", refresh failing"), "{line}");
    }

    #[test]
    fn a_token_that_ended_without_a_refresh_token_needs_a_person() {
        let now = 1_800_000_000;
        let ended = account("Ended", AccountStatus::Connected, Some(now - 60), false);
        let renewable = account("Renewable", AccountStatus::Connected, Some(now - 60), true);
        let view = View::from_accounts(&[ended, renewable], &[], now);
        assert!(view.attention);
        assert!(
            view.summary.starts_with("Latch: Ended needs you: expired at "),
            "{}",
            view.summary
        );
        let line = |id: &str| view.rows.iter().find(|r| r.id == id).unwrap();
        assert!(!line("ended").copyable, "nothing to copy, and nothing to refresh with");
        assert!(line("renewable").copyable, "a copy refreshes it first");
        assert_eq!(
            view.next_change, None,
            "nothing is still valid, so nothing changes by itself"
        );
    }

    #[test]
    fn a_sign_in_near_its_end_is_named_ahead_of_it() {
        let now = 1_800_000_000;
        let mut kept = account("Kept", AccountStatus::Connected, Some(now + 300), true);
        // Obtained now, its refresh token lives 30 min: warned of at 24 min.
        kept.token.as_mut().unwrap().obtained_at = now;
        kept.token.as_mut().unwrap().refresh_expires_at = Some(now + 1800);
        let view = View::from_accounts(std::slice::from_ref(&kept), &[], now);
        assert!(!view.attention, "not yet near");
        assert!(view.rows[0].sign_in_ends.is_none());
        assert_eq!(view.next_change, Some(now + 300), "the token's expiry comes first");

        let later = now + 1500;
        kept.token.as_mut().unwrap().expires_at = Some(later + 300);
        let view = View::from_accounts(std::slice::from_ref(&kept), &[], later);
        assert!(view.attention);
        assert_eq!(view.rows[0].sign_in_ends, Some(("Kept".into(), now + 1800)));
        assert!(
            view.rows[0].line.contains(", sign-in ends at "),
            "{}",
            view.rows[0].line
        );
        assert!(
            view.summary.starts_with("Latch: the sign-in of Kept ends at "),
            "{}",
            view.summary
        );
        assert_eq!(
            view.next_change,
            Some(now + 1800),
            "the end itself, before the token's expiry"
        );
    }

    #[test]
    fn the_mark_changes_the_icon() {
        let (plain, marked) = (icon(false), icon(true));
        assert_eq!((plain.width(), plain.height()), (marked.width(), marked.height()));
        assert_ne!(plain.rgba(), marked.rgba());
    }
}
