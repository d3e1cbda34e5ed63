//! Issue 19, item 11: accessibility checked, not hoped for. axe-core (the
//! version ui/package-lock.json pins) runs in the real window on the list,
//! every dialog and every step of connecting, and finds nothing serious or
//! critical; and it does find a button without a name or an image without
//! a text when one is put in the page, so a clean report means something.

mod support;

use latch_sandbox::DemoCredentials;
use support::axe::{self, assert_accessible};
use support::{Window, add_green_api_sales, connect_by_device, sandbox, start_wazzup_connect};

const ESCAPE: &str = "\u{E00C}";

/// The checker can fail: a button with no name, an image with no text and
/// a field with no label, put in the window's page, are each reported as
/// serious or critical, on those elements, in a report that names them;
/// taken out again, the same page checks clean.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_checker_reports_a_nameless_button_an_image_without_alt_and_an_unlabelled_field() {
    let window = Window::launch().await;
    window.wait_for("#empty-title").await;
    let version = axe::inject(&window).await;
    assert!(version.starts_with("4."), "axe-core {version}");
    assert_accessible(&window, "the empty window").await;

    window
        .client
        .execute(
            r#"
            const broken = document.createElement("div");
            broken.id = "broken";
            broken.innerHTML =
              '<button type="button" data-testid="broken-button"></button>' +
              '<img data-testid="broken-img" width="16" height="16" src="data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==">' +
              '<input type="text" data-testid="broken-input">';
            document.querySelector("main").append(broken);
            "#,
            vec![],
        )
        .await
        .expect("put broken elements in the page");

    let found = axe::serious(&window).await;
    let rule = |id: &str, testid: &str| {
        let v = found
            .iter()
            .find(|v| v.id == id)
            .unwrap_or_else(|| panic!("axe-core did not report {id}: {found:#?}"));
        assert_eq!(v.impact.as_deref(), Some("critical"), "{v}");
        assert!(
            v.names(&format!("data-testid=\"{testid}\"")),
            "{id} is not on {testid}: {v}"
        );
    };
    rule("button-name", "broken-button");
    rule("image-alt", "broken-img");
    rule("label", "broken-input");

    let report = axe::check(&window, "the page with broken elements")
        .await
        .expect_err("the check passed a page with a nameless button");
    for said in [
        "button-name",
        "Buttons must have discernible text",
        "image-alt",
        "Images must have alternative text",
        "data-testid=\"broken-button\"",
        "data-testid=\"broken-img\"",
    ] {
        assert!(report.contains(said), "the report does not say {said:?}:\n{report}");
    }

    window
        .client
        .execute("document.getElementById('broken').remove();", vec![])
        .await
        .unwrap();
    assert_accessible(&window, "the empty window, mended").await;
    let _ = window.close().await;
}

/// The window in the light or the dark scheme, as the desktop asks for it
/// (WebKitGTK follows the GTK theme's variant); checked, not assumed.
async fn launch_in(scheme: Scheme) -> Window {
    let window = match scheme {
        Scheme::Light => Window::launch_with(&[("GTK_THEME", "Adwaita")]).await,
        Scheme::Dark => Window::launch_with(&[("GTK_THEME", "Adwaita:dark")]).await,
    };
    window.wait_for("#empty-title").await;
    let dark = window
        .client
        .execute("return matchMedia('(prefers-color-scheme: dark)').matches;", vec![])
        .await
        .unwrap();
    assert_eq!(
        dark.as_bool(),
        Some(scheme == Scheme::Dark),
        "the page is not in the {scheme:?} scheme"
    );
    window
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Scheme {
    Light,
    Dark,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_list_and_what_opens_from_its_rows_have_no_serious_violations() {
    the_list_and_what_opens_from_its_rows(Scheme::Light).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_list_and_what_opens_from_its_rows_have_no_serious_violations_in_the_dark() {
    the_list_and_what_opens_from_its_rows(Scheme::Dark).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_picker_every_connect_form_and_every_step_have_no_serious_violations() {
    the_picker_every_connect_form_and_every_step(Scheme::Light).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_picker_every_connect_form_and_every_step_have_no_serious_violations_in_the_dark() {
    the_picker_every_connect_form_and_every_step(Scheme::Dark).await;
}

/// The list with an account of every provider (the sandbox's demo
/// accounts: two connected, three not), filtered, searched to nothing, in
/// its compact density; and what opens from a row: Details, the Revoke
/// question, the Remove dialog, the Edit dialog.
async fn the_list_and_what_opens_from_its_rows(scheme: Scheme) {
    let window = launch_in(scheme).await;
    window.click("[data-testid=try-sandbox]").await;
    window
        .wait_text("[data-testid=notice]", |t| t.contains("demo account"))
        .await;
    for id in ["sandbox-wordapp", "sandbox-oauth2"] {
        window
            .wait_text(&format!("[data-account={id}] [data-testid=status]"), |t| t == "Valid")
            .await;
    }
    for id in ["sandbox-wazzup", "sandbox-payu", "sandbox-green-api"] {
        window
            .wait_text(&format!("[data-account={id}] [data-testid=status]"), |t| {
                t == "Not connected"
            })
            .await;
    }
    assert_accessible(&window, "the list with an account of every provider").await;

    window.click("[data-testid=filter-provider-wordapp]").await;
    window.wait_gone("[data-account=sandbox-wazzup]").await;
    window.click("[data-testid=filter-status-valid]").await;
    assert_accessible(&window, "the list filtered by provider and status").await;
    window.click("[data-testid=filter-provider-wordapp]").await;
    window.click("[data-testid=filter-status-valid]").await;
    window.wait_for("[data-account=sandbox-wazzup]").await;

    window.fill("[data-testid=search]", "nothing-is-called-this").await;
    window.wait_for("[data-testid=no-match]").await;
    assert_accessible(&window, "the list searched to nothing").await;
    window.click("[data-testid=clear-search]").await;
    window.wait_for("[data-account=sandbox-wazzup]").await;

    window.click("[data-testid=density]").await;
    window.wait_for(".accounts.compact").await;
    assert_accessible(&window, "the compact list").await;
    window.click("[data-testid=density]").await;
    window.wait_gone(".accounts.compact").await;

    let wordapp = "[data-account=sandbox-wordapp]";
    window.click(&format!("{wordapp} [data-testid=details]")).await;
    window.wait_for(&format!("{wordapp} [data-testid=details-panel]")).await;
    assert_accessible(&window, "the Details panel").await;
    window.click(&format!("{wordapp} [data-testid=details]")).await;
    window
        .wait_gone(&format!("{wordapp} [data-testid=details-panel]"))
        .await;

    window.click(&format!("{wordapp} [data-testid=revoke]")).await;
    window
        .wait_for(&format!("{wordapp} [data-testid=confirm-revoke]"))
        .await;
    assert_accessible(&window, "the Revoke question").await;
    window
        .click(&format!("{wordapp} [data-testid=confirm-revoke] button:not(.danger)"))
        .await;
    window
        .wait_gone(&format!("{wordapp} [data-testid=confirm-revoke]"))
        .await;

    let payu = "[data-account=sandbox-payu]";
    window.click(&format!("{payu} [data-testid=remove]")).await;
    window.wait_for("[data-testid=confirm-remove]").await;
    assert_accessible(&window, "the Remove dialog").await;
    window.click("[data-testid=confirm-remove-no]").await;
    window.wait_gone("[data-testid=confirm-remove]").await;

    window.click("[data-account=sandbox-wazzup] [data-testid=edit]").await;
    window.wait_for("[data-testid=edit-dialog] #e-label").await;
    assert_accessible(&window, "the Edit dialog").await;
    window.press(ESCAPE).await;
    window.wait_gone("[data-testid=edit-dialog]").await;

    // Export… with two accounts ticked, and Import… of that file under other
    // ids: its first step, and the accounts it would add with their
    // secrets asked, before and after an import refused for a missing one.
    window.click("[data-testid=open-export]").await;
    for id in ["sandbox-wordapp", "sandbox-oauth2"] {
        window
            .click(&format!("[data-testid=export-choose][data-id={id}]"))
            .await;
    }
    let deadline = std::time::Instant::now() + support::WAIT;
    let file = loop {
        let text = support::field_value(&window, "[data-testid=export-text]").await;
        if text.contains("sandbox-oauth2") {
            break text.replace("\"sandbox-", "\"team-");
        }
        assert!(std::time::Instant::now() < deadline, "the Export dialog shows {text:?}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_accessible(&window, "the Export dialog").await;
    window.press(ESCAPE).await;
    window.wait_gone("[data-testid=export-text]").await;
    window.click("[data-testid=open-import]").await;
    window.wait_for("[data-testid=import-paste]").await;
    assert_accessible(&window, "the Import dialog").await;
    window.fill("[data-testid=import-paste]", &file).await;
    window.click("[data-testid=import-read]").await;
    window.wait_for("[data-testid=import-field]").await;
    assert_accessible(&window, "the accounts an import adds").await;
    window.click("[data-testid=import-submit]").await;
    window.wait_for("[data-testid=import-field-problem]").await;
    assert_accessible(&window, "an import refused for a missing secret").await;
    window.press(ESCAPE).await;
    window.wait_gone("[data-testid=import-field]").await;
    assert_accessible(&window, "the list after its dialogs").await;
    let _ = window.close().await;
}

/// The provider picker, the connect form of every provider (as it opens,
/// and with its errors shown), discovery's findings, and every step after
/// Connect: waiting for the browser (and a pasted address refused), the
/// device code, the password, GREEN-API's link panel, its code and the
/// number linked, and the list with it.
async fn the_picker_every_connect_form_and_every_step(scheme: Scheme) {
    let sandbox = sandbox().await;
    let demo = DemoCredentials::default();
    let window = launch_in(scheme).await;

    for provider in ["wazzup", "payu", "green-api", "wordapp", "oauth2"] {
        window.click("[data-testid=connect-account]").await;
        window.wait_for("[data-testid=provider-picker]").await;
        if provider == "wazzup" {
            assert_accessible(&window, "the provider picker").await;
        }
        window.click(&format!("button[data-provider={provider}]")).await;
        window.wait_for("[data-testid=connect-dialog] form #f-label").await;
        assert_accessible(&window, &format!("the {provider} connect form")).await;

        window
            .wait_for("#f-label")
            .await
            .clear()
            .await
            .expect("empty the label");
        window.click("[data-testid=connect-submit]").await;
        window
            .wait_for("[data-testid=connect-dialog] #f-label[aria-invalid=true]")
            .await;
        assert_accessible(&window, &format!("the {provider} connect form with its errors")).await;

        if provider == "oauth2" {
            window.fill("#discover-issuer", &sandbox.oauth2().base_url()).await;
            window.click("[data-testid=discover-button]").await;
            window.wait_for("[data-testid=discovered-facts]").await;
            assert_accessible(&window, "the oauth2 connect form with what discovery found").await;
        }
        window.click("[data-testid=connect-cancel]").await;
        window.wait_gone("[data-testid=connect-dialog]").await;
    }

    // Waiting for the browser; then an address pasted that is not the answer.
    start_wazzup_connect(&window, &sandbox).await;
    assert_accessible(&window, "the waiting step").await;
    window.fill("[data-testid=paste-field]", "not an address").await;
    window
        .click("[data-testid=waiting] form.paste button[type=submit]")
        .await;
    window
        .wait_for("[data-testid=waiting] [data-testid=connect-problem]")
        .await;
    assert_accessible(&window, "the waiting step with a pasted address refused").await;
    window.click("[data-testid=waiting] [data-testid=cancel-connect]").await;
    window.wait_gone("[data-testid=connect-dialog]").await;

    connect_by_device(&window, &sandbox, "[data-testid=connect-another]").await;
    assert_accessible(&window, "the device code step").await;
    window
        .click("[data-testid=device-panel] [data-testid=cancel-connect]")
        .await;
    window.wait_gone("[data-testid=connect-dialog]").await;

    window.click("[data-testid=connect-another]").await;
    window.click("button[data-provider=wordapp]").await;
    window.fill("#f-label", "Wordapp person").await;
    window
        .wait_for("#f-grant")
        .await
        .select_by_value("password")
        .await
        .unwrap();
    window.fill("#f-client_id", &demo.wordapp_client_id).await;
    window.fill("#f-secret", &demo.wordapp_client_secret).await;
    window.fill("#f-username", &demo.wordapp_username).await;
    window.fill("#f-base_url", &sandbox.wordapp().base_url()).await;
    window.click("[data-testid=connect-submit]").await;
    window.wait_for("[data-testid=password]").await;
    assert_accessible(&window, "the password step").await;
    window.press(ESCAPE).await;
    window.wait_gone("[data-testid=connect-dialog]").await;

    add_green_api_sales(&window, &sandbox, "[data-testid=connect-another]").await;
    window.wait_for("[data-testid=link-phone]").await;
    assert_accessible(&window, "the GREEN-API link panel").await;
    window.click("[data-testid=get-code]").await;
    let code = window.text("[data-testid=link-code]").await;
    window.wait_for("[data-testid=countdown]").await;
    assert_accessible(&window, "the GREEN-API link code").await;
    // The phone's owner types the code in WhatsApp.
    assert!(sandbox.green_api().enter_code(demo.green_api_id_instance, &code));
    window
        .wait_text("[data-testid=linked]", |t| t.contains("WhatsApp linked"))
        .await;
    assert_accessible(&window, "the GREEN-API link panel, linked").await;
    window.click("[data-testid=link-panel] button.primary").await;
    window.wait_gone("[data-testid=connect-dialog]").await;
    window
        .wait_text("[data-account=whatsapp-sales] [data-testid=status]", |t| {
            t == "WhatsApp linked"
        })
        .await;
    assert_accessible(
        &window,
        "the list with a number linked, a device code, a password and a browser waited for",
    )
    .await;
    let _ = window.close().await;
}

/// The window without a keyring: the empty state under the banner that says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_window_without_a_keyring_has_no_serious_violations() {
    let window = Window::launch_with(&[("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/latch-test-bus")]).await;
    window.wait_for("[data-testid=keyring-problem]").await;
    window.wait_for("#empty-title").await;
    assert_accessible(&window, "the window without a keyring").await;
    let _ = window.close().await;
}
