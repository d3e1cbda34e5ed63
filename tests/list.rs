//! Issue 19, item 4, in the real window: a list of 40 accounts of every
//! kind, made with `latch` against the fake providers, shows in groups by
//! what they need from a person (most urgent first, with their counts);
//! Ctrl+F, Ctrl+K and "/" reach the search; a search that finds nothing
//! says so; a provider's filter keeps only its accounts. The README's
//! pictures of the list come from here.

mod support;

use latch_core::AccountStatus;
use latch_sandbox::{Fault, FaultKind};
use std::collections::BTreeMap;
use std::path::Path;
use support::{Launch, Window, axe, field_value, latch, sandbox};

const CTRL: &str = "\u{E009}";
const ESCAPE: &str = "\u{E00C}";
/// WebDriver's "release every modifier" key, after a Ctrl+… chord.
const NULL: &str = "\u{E000}";

/// The groups as the list shows them, in order, and the accounts each holds.
const GROUPS: [&str; 4] = ["needs-attention", "expiring-soon", "valid", "not-connected"];

/// One account made for the list: its id, provider and expected group.
struct Made {
    id: String,
    provider: &'static str,
    group: &'static str,
}

fn wordapp(home: &Path, id: &str, label: &str, base: &str) {
    latch(
        home,
        &[
            "add",
            "wordapp",
            "--id",
            id,
            "--label",
            label,
            "--grant",
            "client-credentials",
            "--client-id",
            "demo-wordapp-client",
            "--base-url",
            base,
            "--secret-stdin",
        ],
        "demo-wordapp-secret\n",
    );
}

fn oauth2(home: &Path, id: &str, label: &str, base: &str) {
    latch(
        home,
        &[
            "add",
            "oauth2",
            "--id",
            id,
            "--label",
            label,
            "--grant",
            "client-credentials",
            "--token-url",
            &format!("{base}/token"),
            "--client-id",
            "demo-oauth2-client",
            "--secret-stdin",
        ],
        "demo-oauth2-secret\n",
    );
}

fn wazzup(home: &Path, id: &str, label: &str, base: &str) {
    latch(
        home,
        &[
            "add",
            "wazzup",
            "--id",
            id,
            "--label",
            label,
            "--grant",
            "client-credentials",
            "--client-id",
            "demo-wazzup-client",
            "--email",
            "partner@demo.latch",
            "--base-url",
            base,
            "--secret-stdin",
        ],
        "demo-partner-password\n",
    );
}

fn green_api(home: &Path, id: &str, label: &str, base: &str, instance: u64) {
    latch(
        home,
        &[
            "add",
            "green-api",
            "--id",
            id,
            "--label",
            label,
            "--api-url",
            base,
            "--instance",
            &instance.to_string(),
            "--secret-stdin",
        ],
        "demo0green0api0token0000000000000000000000000000\n",
    );
}

/// `latch refresh id`, which the provider refuses: it must fail.
fn refused_refresh(home: &Path, id: &str) {
    let out = std::process::Command::new(support::latch_cli())
        .args(["refresh", id])
        .env("LATCH_HOME", home)
        .output()
        .unwrap();
    assert!(!out.status.success(), "the refused refresh of {id} succeeded");
}

/// The 40 accounts, made through `latch` before the window starts.
/// `live` answers with long-lived tokens, `short` with 4-minute ones (the
/// window's "expiring soon" is under five minutes; its scheduler renews
/// them, for another four minutes, so they stay there).
async fn forty_accounts(home: &Path) -> (Vec<Made>, latch_sandbox::Sandbox, latch_sandbox::Sandbox) {
    let live = sandbox().await;
    let short = sandbox().await;
    short.wordapp().settings().expires_in = 240;
    short.oauth2().settings().expires_in = 240;
    let mut made = Vec::new();
    let mut add = |id: String, provider, group| made.push(Made { id, provider, group });

    let connect = |id: &str| latch(home, &["connect", id], "");
    for n in 1..=8 {
        let id = format!("wordapp-robot-{n:02}");
        wordapp(home, &id, &format!("Wordapp robot {n:02}"), &live.wordapp().base_url());
        connect(&id);
        add(id, "wordapp", "valid");
    }
    for n in 1..=6 {
        let id = format!("analytics-{n}");
        oauth2(home, &id, &format!("Analytics API {n}"), &live.oauth2().base_url());
        connect(&id);
        add(id, "oauth2", "valid");
    }
    for n in 1..=4 {
        let id = format!("wazzup-partner-{n}");
        wazzup(home, &id, &format!("Wazzup partner {n}"), &live.wazzup().base_url());
        connect(&id);
        add(id, "wazzup", "valid");
    }
    for n in 1..=3 {
        let id = format!("staging-robot-{n}");
        wordapp(home, &id, &format!("Staging robot {n}"), &short.wordapp().base_url());
        connect(&id);
        add(id, "wordapp", "expiring-soon");
    }
    let id = "staging-analytics".to_owned();
    oauth2(home, &id, "Staging analytics", &short.oauth2().base_url());
    connect(&id);
    add(id, "oauth2", "expiring-soon");

    // Needs attention: one whose refresh token Wazzup no longer takes, two revoked.
    let id = "wazzup-lapsed".to_owned();
    wazzup(home, &id, "Wazzup lapsed", &live.wazzup().base_url());
    connect(&id);
    live.wazzup().inject(
        "wazzup.token",
        Fault::once(FaultKind::json_status(
            401,
            serde_json::json!({"error": "OAUTH_REFRESH_TOKEN_INVALID", "description": "Invalid or expired refresh_token"}),
        )),
    );
    refused_refresh(home, &id);
    add(id, "wazzup", "needs-attention");
    for (id, label) in [("old-robot", "Old robot"), ("old-analytics", "Old analytics")] {
        if id == "old-robot" {
            wordapp(home, id, label, &live.wordapp().base_url());
        } else {
            oauth2(home, id, label, &live.oauth2().base_url());
        }
        connect(id);
        latch(home, &["revoke", id, "--yes"], "");
        add(
            id.to_owned(),
            if id == "old-robot" { "wordapp" } else { "oauth2" },
            "needs-attention",
        );
    }

    // Not connected: GREEN-API instances with no number linked, and robots never connected.
    for n in 1..=6 {
        let id = format!("whatsapp-{n}");
        green_api(
            home,
            &id,
            &format!("WhatsApp line {n}"),
            &live.green_api().base_url(),
            1101000000 + n,
        );
        add(id, "green-api", "not-connected");
    }
    for n in 1..=5 {
        let id = format!("new-robot-{n}");
        wordapp(home, &id, &format!("New robot {n}"), &live.wordapp().base_url());
        add(id, "wordapp", "not-connected");
    }
    for n in 1..=4 {
        let id = format!("new-api-{n}");
        oauth2(home, &id, &format!("New API {n}"), &live.oauth2().base_url());
        add(id, "oauth2", "not-connected");
    }
    assert_eq!(made.len(), 40);

    // What the core says, before the window shows it.
    let latch = latch_core::Latch::open(Some(home.to_owned())).unwrap();
    assert!(
        matches!(
            latch.find("wazzup-lapsed").unwrap().status,
            AccountStatus::NeedsReconnect { .. }
        ),
        "{:?}",
        latch.find("wazzup-lapsed").unwrap().status
    );
    assert_eq!(latch.find("old-robot").unwrap().status, AccountStatus::Revoked);
    (made, live, short)
}

/// Each row the window shows, in order: (id, provider, group).
async fn rows(window: &Window) -> Vec<(String, String, String)> {
    let rows = window
        .client
        .execute(
            r#"return [...document.querySelectorAll("[data-testid=accounts] [data-account]")].map((r) => [
                 r.dataset.account,
                 r.querySelector(".badge").dataset.provider,
                 r.closest("section.group").dataset.testid.replace(/^group-/, ""),
               ]);"#,
            vec![],
        )
        .await
        .expect("read the rows");
    serde_json::from_value(rows).expect("rows as [id, provider, group]")
}

/// Waits until the window shows `n` rows, and returns them.
async fn wait_rows(window: &Window, n: usize) -> Vec<(String, String, String)> {
    let deadline = std::time::Instant::now() + support::WAIT;
    loop {
        let shown = rows(window).await;
        if shown.len() == n {
            return shown;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{} rows, not {n}: {shown:?}",
            shown.len()
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// The groups shown, in order, with the count each heading says.
async fn group_counts(window: &Window) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    for section in window
        .client
        .find_all(fantoccini::Locator::Css("[data-testid=accounts] > section.group"))
        .await
        .unwrap()
    {
        let group = section.attr("data-testid").await.unwrap().unwrap();
        let group = group.strip_prefix("group-").unwrap().to_owned();
        let count = section
            .find(fantoccini::Locator::Css(&format!("[data-testid=group-count-{group}]")))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        out.push((group, count.parse().unwrap()));
    }
    out
}

/// What `made` should look like in the list, filtered to `keep`: the groups
/// in order, each with its count.
fn expected_groups(made: &[Made], keep: impl Fn(&Made) -> bool) -> Vec<(String, usize)> {
    let mut n = BTreeMap::new();
    for m in made.iter().filter(|m| keep(m)) {
        *n.entry(m.group).or_insert(0) += 1;
    }
    GROUPS
        .iter()
        .filter_map(|g| n.get(g).map(|c| (g.to_string(), *c)))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forty_accounts_in_groups_searched_and_filtered_from_the_keyboard() {
    let home = tempfile::tempdir().unwrap();
    let (made, _live, _short) = forty_accounts(home.path()).await;
    let window = Window::start(Launch {
        home: Some(home),
        ..Launch::default()
    })
    .await;
    // The whole screen (Xvfb's 1280×800), for pictures of a long list.
    window
        .client
        .set_window_size(1280, 800)
        .await
        .expect("resize the window");
    let deadline = std::time::Instant::now() + support::WAIT;
    while window
        .client
        .execute("return innerWidth;", vec![])
        .await
        .unwrap()
        .as_u64()
        != Some(1280)
    {
        assert!(std::time::Instant::now() < deadline, "the window is not 1280 wide");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    // In groups, most urgent first, each row in the group its state puts it in.
    let shown = wait_rows(&window, 40).await;
    let everything = expected_groups(&made, |_| true);
    assert_eq!(
        everything.iter().map(|(g, _)| g.as_str()).collect::<Vec<_>>(),
        GROUPS,
        "every group has accounts"
    );
    assert_eq!(group_counts(&window).await, everything);
    for (id, provider, group) in &shown {
        let m = made
            .iter()
            .find(|m| &m.id == id)
            .unwrap_or_else(|| panic!("a row for {id}"));
        assert_eq!((provider.as_str(), group.as_str()), (m.provider, m.group), "{id}");
    }
    assert_eq!(
        window.text("[data-testid=group-needs-attention] h2").await,
        "Needs attention · 3"
    );
    assert_eq!(
        window.text("[data-account=wazzup-lapsed] [data-testid=status]").await,
        "Needs reconnect"
    );
    // Within a group, by label: the valid ones read Analytics, Wazzup, Wordapp.
    let valid: Vec<&str> = shown
        .iter()
        .filter(|(_, _, g)| g == "valid")
        .map(|(id, _, _)| id.as_str())
        .collect();
    assert_eq!(valid.first(), Some(&"analytics-1"));
    assert_eq!(valid.last(), Some(&"wordapp-robot-08"));
    axe::assert_accessible(&window, "the list of 40 accounts").await;
    // The README's picture: compact, one line for each account, so that
    // every group is in it.
    window.click("[data-testid=density]").await;
    window.wait_for("[data-testid=accounts].compact").await;
    axe::assert_accessible(&window, "the compact list of 40 accounts").await;
    window.screenshot("account-list-40").await;
    window.click("[data-testid=density]").await;
    window.wait_gone("[data-testid=accounts].compact").await;

    // Ctrl+F, Ctrl+K and "/" reach the search from wherever focus is.
    let search = "[data-testid=search]";
    window.tab_to("[data-account=old-analytics] [data-testid=edit]").await;
    window.press(&format!("{CTRL}f{NULL}")).await;
    assert!(window.focus_is(search).await, "Ctrl+F did not reach the search");
    window.tab_to("[data-testid=filter-status-valid]").await;
    window.press(&format!("{CTRL}k{NULL}")).await;
    assert!(window.focus_is(search).await, "Ctrl+K did not reach the search");
    window.tab_to("[data-testid=density]").await;
    window.press("/").await;
    assert!(window.focus_is(search).await, "\"/\" did not reach the search");
    assert_eq!(
        field_value(&window, search).await,
        "",
        "the \"/\" was not typed into it"
    );
    // In the search, "/" is text.
    window.press("/").await;
    assert_eq!(field_value(&window, search).await, "/");

    // A search that matches nothing says so, and Clear search brings them back.
    window.fill(search, "no-such-account").await;
    window
        .wait_text("[data-testid=no-match]", |t| {
            t.contains("No account matches “no-such-account”.")
        })
        .await;
    assert!(
        rows(&window).await.is_empty(),
        "rows shown for a search that matches nothing"
    );
    window.click("[data-testid=clear-search]").await;
    wait_rows(&window, 40).await;
    assert!(window.focus_is(search).await, "Clear search leaves focus in the search");

    // Escape in the search empties it.
    window.press("robot").await;
    let robots = made.iter().filter(|m| m.id.contains("robot")).count();
    wait_rows(&window, robots).await;
    window.press(ESCAPE).await;
    wait_rows(&window, 40).await;

    // A provider's chip keeps only its accounts, in the same groups.
    let chip = "[data-testid=filter-provider-wordapp]";
    assert_eq!(
        window
            .wait_for(chip)
            .await
            .attr("aria-pressed")
            .await
            .unwrap()
            .as_deref(),
        Some("false")
    );
    window.click(chip).await;
    let wordapp = made.iter().filter(|m| m.provider == "wordapp").count();
    let shown = wait_rows(&window, wordapp).await;
    assert!(shown.iter().all(|(_, p, _)| p == "wordapp"), "{shown:?}");
    assert_eq!(
        group_counts(&window).await,
        expected_groups(&made, |m| m.provider == "wordapp")
    );
    assert_eq!(
        window
            .wait_for(chip)
            .await
            .attr("aria-pressed")
            .await
            .unwrap()
            .as_deref(),
        Some("true")
    );
    window.screenshot("account-list-filtered").await;

    // The filter and a search of another provider's: no row, and Clear
    // filters brings back what the search finds.
    window.fill(search, "WhatsApp").await;
    window
        .wait_text("[data-testid=no-match]", |t| {
            t.contains("No account matches “WhatsApp” with the filters Wordapp.")
        })
        .await;
    window.click("[data-testid=clear-filters]").await;
    let shown = wait_rows(&window, 6).await;
    assert!(shown.iter().all(|(_, p, _)| p == "green-api"), "{shown:?}");
    window.click(search).await;
    window.press(ESCAPE).await;
    wait_rows(&window, 40).await;

    // The Edit dialog, for the README.
    window.click("[data-account=wazzup-partner-1] [data-testid=edit]").await;
    window
        .wait_text("[data-testid=edit-dialog] h2", |t| t == "Edit Wazzup partner 1")
        .await;
    let label = window.wait_for("#e-label").await;
    assert_eq!(label.prop("value").await.unwrap().as_deref(), Some("Wazzup partner 1"));
    window.screenshot("edit-dialog").await;
    window.press(ESCAPE).await;
    window.wait_gone("[data-testid=edit-dialog]").await;
    let _ = window.close().await;
}
