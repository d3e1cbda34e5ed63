fn main() {
    // Declaring the app's commands makes Tauri generate an `allow-<command>`
    // permission for each, so a command is reachable from the window only if
    // capabilities/main.json grants it.
    let commands = &[
        "list_accounts",
        "keyring_problem",
        "check_draft",
        "add_account",
        "revoke_consequence",
        "list_stores",
        "edit_values",
        "edit_account",
        "connect_account",
        "submit_callback",
        "cancel_connect",
        "copy_sign_in",
        "open_sign_in",
        "connect_with_password",
        "discover_issuer",
        "device_copy",
        "device_open",
        "link_state",
        "link_logout",
        "link_request_code",
        "link_copy_code",
        "link_cancel",
        "copy_token",
        "refresh_account",
        "check_account",
        "revoke_account",
        "remove_account",
        "account_details",
        "try_sandbox",
        "sandbox_running",
        "start_sandbox",
        "stop_sandbox",
        "sandbox_phone",
        "window_ready",
        "window_filtered",
        "start_at_login",
        "set_start_at_login",
        "quit",
    ];
    tauri_build::try_build(
        tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(commands)),
    )
    .expect("tauri-build failed");
}
