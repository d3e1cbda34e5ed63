//! The window's connect forms are the core's catalogue: for every provider
//! in the registry, the dialog shows the catalogue's fields for the default
//! grant, in its order, with its labels and defaults, and follows a change
//! of grant; what the dialog refuses is what the core's rules refuse.

mod support;

use fantoccini::Locator;
use latch_core::providers::catalogue::FieldKind;
use latch_core::providers::{AccountDraft, registry};
use support::Window;

/// The `name`s of the dialog's form controls, in page order.
async fn shown_fields(window: &Window) -> Vec<String> {
    let mut names = Vec::new();
    for control in window
        .client
        .find_all(Locator::Css("[data-testid=connect-dialog] form [name]"))
        .await
        .expect("the form's controls")
    {
        names.push(control.attr("name").await.unwrap().unwrap_or_default());
    }
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_providers_connect_form_is_the_catalogues() {
    let window = Window::launch().await;
    for kind in registry::ALL {
        let info = registry::entry(kind);
        window.click("[data-testid=connect-account]").await;
        window.click(&format!("button[data-provider={}]", info.id)).await;
        window.wait_for("[data-testid=connect-dialog] form").await;
        let grant = AccountDraft::new(kind).grant();
        let expected: Vec<&str> = info
            .fields
            .iter()
            .filter(|f| f.shown.holds(grant) || f.required.holds(grant))
            .map(|f| f.name)
            .collect();
        assert_eq!(shown_fields(&window).await, expected, "{}", info.id);
        for field in info.fields.iter().filter(|f| expected.contains(&f.name)) {
            if field.kind == FieldKind::Checkbox {
                continue;
            }
            let label = window.text(&format!("label[for=f-{}]", field.name)).await;
            assert_eq!(label, field.label, "{}.{}", info.id, field.name);
            let control = window.wait_for(&format!("#f-{}", field.name)).await;
            let value = control.prop("value").await.unwrap().unwrap_or_default();
            assert_eq!(
                value,
                field.default.unwrap_or(""),
                "{}.{}: the catalogue's default",
                info.id,
                field.name
            );
            let kind = control.attr("type").await.unwrap();
            if field.kind == FieldKind::Secret {
                assert_eq!(
                    kind.as_deref(),
                    Some("password"),
                    "{}.{} is typed unseen",
                    info.id,
                    field.name
                );
            }
        }
        // Escape closes the dialog, as a person would (the long forms put Cancel below the fold).
        window.wait_for("#f-label").await.send_keys("\u{e00c}").await.unwrap();
        let deadline = std::time::Instant::now() + support::WAIT;
        while window
            .client
            .find(Locator::Css("[data-testid=connect-dialog]"))
            .await
            .is_ok()
        {
            assert!(
                std::time::Instant::now() < deadline,
                "{}: the dialog never closed",
                info.id
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
    let _ = window.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dialog_follows_the_grant_and_refuses_with_the_cores_words() {
    let window = Window::launch().await;
    window.click("[data-testid=connect-account]").await;
    window.click("button[data-provider=wordapp]").await;
    let wordapp = registry::entry(latch_core::model::ProviderKind::Wordapp);
    let select = window.wait_for("#f-grant").await;
    select
        .select_by_value("password")
        .await
        .expect("the password grant can be chosen");
    let mut draft = AccountDraft::new(wordapp.kind);
    draft.set("grant", "password");
    let expected: Vec<&str> = wordapp
        .fields
        .iter()
        .filter(|f| f.shown.holds(draft.grant()) || f.required.holds(draft.grant()))
        .map(|f| f.name)
        .collect();
    let deadline = std::time::Instant::now() + support::WAIT;
    while shown_fields(&window).await != expected {
        assert!(
            std::time::Instant::now() < deadline,
            "the form never followed the password grant"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // Submitting with only a name: the core names the username as missing.
    window.fill("#f-label", "Wordapp me").await;
    window.click("[data-testid=connect-submit]").await;
    draft.set("label", "Wordapp me");
    let problem = draft.problems().into_iter().next().unwrap();
    assert_eq!(problem.field, "username");
    window.wait_text("#h-username", |t| t == problem.message).await;
    assert_eq!(
        window
            .client
            .find_all(Locator::Css("[data-account]"))
            .await
            .unwrap()
            .len(),
        0,
        "nothing was added"
    );
    let _ = window.close().await;
}
