//! Secrets in the real OS keyring (gnome-keyring over a private D-Bus session).
//!
//! The tests of a working keyring use the test command's private D-Bus
//! session with an unlocked gnome-keyring (`LATCH_TEST_KEYRING=1`), or start
//! one of their own (`latch_sandbox::harness::keyring_bus`); when neither can be had they fail
//! and say how to run them. None passes without a keyring.
//!
//! The no-keyring cases run `latch-store-probe` in a process of its own with
//! a broken environment (a dead socket, a bus without a Secret Service, a
//! keyring never unlocked), and read what a person would read.

#![cfg(target_os = "linux")]

use latch_sandbox::harness::{Answers, PrivateBus, keyring_bus};
mod support;

use latch_core::store::{KeyringStore, SecretStore};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// An account id no other test (or test run) uses.
fn unique(name: &str) -> String {
    format!("kr-{}-{name}", std::process::id())
}

/// `secret-tool search --all service latch`, as blocks of `key = value`
/// lines (it prints the label and secret on stdout, the attributes on stderr).
fn secret_tool_items() -> Vec<Vec<(String, String)>> {
    secret_tool_items_on(None)
}

/// The same on the D-Bus session at `bus` (the test's own) if given.
fn secret_tool_items_on(bus: Option<&str>) -> Vec<Vec<(String, String)>> {
    let mut command = Command::new("secret-tool");
    if let Some(bus) = bus {
        command.env("DBUS_SESSION_BUS_ADDRESS", bus);
    }
    let out = command.args(["search", "--all", "service", "latch"]).output().unwrap();
    assert!(
        out.status.success(),
        "secret-tool failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut items: Vec<Vec<(String, String)>> = Vec::new();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // stdout and stderr come apart, so attach attribute lines to the item
    // whose username they name: group by item path order on each stream.
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    let stdout_items = split_items(&stdout);
    let stderr_items = split_attribute_runs(&stderr);
    assert_eq!(
        stdout_items.len(),
        stderr_items.len(),
        "cannot pair secret-tool output:\n{text}"
    );
    for (mut main, attrs) in stdout_items.into_iter().zip(stderr_items) {
        main.extend(attrs);
        items.push(main);
    }
    items
}

fn key_value(line: &str) -> Option<(String, String)> {
    let (k, v) = line.split_once(" = ")?;
    Some((k.trim().to_string(), v.to_string()))
}

fn split_items(stdout: &str) -> Vec<Vec<(String, String)>> {
    let mut items = Vec::new();
    for line in stdout.lines() {
        if line.starts_with('[') {
            items.push(Vec::new());
        } else if let (Some(item), Some(kv)) = (items.last_mut(), key_value(line)) {
            item.push(kv);
        }
    }
    items
}

/// Attribute lines of consecutive items: a new item starts when a key repeats.
fn split_attribute_runs(stderr: &str) -> Vec<Vec<(String, String)>> {
    let mut items: Vec<Vec<(String, String)>> = Vec::new();
    for kv in stderr.lines().filter_map(key_value) {
        match items.last_mut() {
            Some(item) if !item.iter().any(|(k, _)| k == &kv.0) => item.push(kv),
            _ => items.push(vec![kv]),
        }
    }
    items
}

fn field<'a>(item: &'a [(String, String)], key: &str) -> Option<&'a str> {
    item.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

#[test]
fn keyring_round_trip_create_read_update_delete() {
    keyring_bus();
    let keyring = KeyringStore::connect().expect("the test keyring should be usable");
    keyring.check().unwrap();
    let id = support::id(&unique("roundtrip"));
    assert!(keyring.get(&id).unwrap().is_none(), "a fresh account has no entry");

    let first = support::secrets("RT", 1, 1000);
    keyring.put(&id, &first).unwrap();
    assert_eq!(keyring.get(&id).unwrap(), Some(first));

    let refreshed = support::secrets("RT", 2, 2000);
    keyring.put(&id, &refreshed).unwrap();
    assert_eq!(keyring.get(&id).unwrap(), Some(refreshed));
    let entries = secret_tool_items()
        .into_iter()
        .filter(|i| field(i, "attribute.username") == Some(id.as_str()));
    assert_eq!(entries.count(), 1, "an update must replace the entry, not add one");

    keyring.delete(&id).unwrap();
    assert!(keyring.get(&id).unwrap().is_none());
    keyring.delete(&id).expect("deleting a missing entry is not an error");
}

#[test]
fn an_entry_latch_did_not_write_is_reported_as_not_latch_format() {
    keyring_bus();
    let id = support::id(&unique("foreign"));
    let mut store = Command::new("secret-tool")
        .args(["store", "--label=foreign", "service", "latch", "username", id.as_str()])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    store
        .stdin
        .take()
        .unwrap()
        .write_all(b"FOREIGNSECRET not json")
        .unwrap();
    assert!(store.wait().unwrap().success());

    let keyring = KeyringStore::connect().unwrap();
    let err = keyring.get(&id).unwrap_err();
    let message = err.to_string();
    assert!(
        matches!(err, latch_core::store::SecretStoreError::Corrupt(_)),
        "{message}"
    );
    assert!(
        message.contains(id.as_str()) && !message.contains("FOREIGNSECRET"),
        "{message}"
    );
    keyring.delete(&id).unwrap();
}

#[test]
fn secret_tool_lists_latch_entries_with_secrets_only_in_the_secret() {
    keyring_bus();
    let keyring = KeyringStore::connect().unwrap();
    let ids = [support::id(&unique("list-a")), support::id(&unique("list-b"))];
    for (n, id) in ids.iter().enumerate() {
        keyring
            .put(id, &support::secrets(&format!("LISTSECRET{n}"), 1, 1000))
            .unwrap();
    }

    let items = secret_tool_items();
    for id in &ids {
        let item = items
            .iter()
            .find(|i| field(i, "attribute.username") == Some(id.as_str()))
            .unwrap_or_else(|| panic!("secret-tool does not show {id}: {items:#?}"));
        assert_eq!(field(item, "attribute.service"), Some("latch"));
        assert_eq!(field(item, "label"), Some(format!("Latch: {id}").as_str()));
        assert!(
            field(item, "secret").unwrap().contains("LISTSECRET"),
            "the value is the secrets' JSON"
        );
        for (key, value) in item {
            if key.starts_with("attribute.") {
                assert!(
                    ["attribute.service", "attribute.username", "attribute.xdg:schema"].contains(&key.as_str()),
                    "unexpected attribute {key} on {id}"
                );
            }
            if key != "secret" {
                assert!(!value.contains("LISTSECRET"), "a secret leaked into {key} of {id}");
            }
        }
    }
    for id in &ids {
        keyring.delete(id).unwrap();
    }
    let left = secret_tool_items();
    assert!(
        !left
            .iter()
            .any(|i| ids.iter().any(|id| field(i, "attribute.username") == Some(id.as_str())))
    );
}

#[test]
fn connecting_and_refreshing_leaves_no_secret_on_disk_or_in_output() {
    keyring_bus();
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let account = unique("story");
    let prefix = format!("STORYSECRET{}", std::process::id());
    let mut child = Command::new(env!("CARGO_BIN_EXE_latch-store-probe"))
        .arg("story")
        .arg(&home)
        .arg(&account)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(prefix.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(
        out.status.success() && stdout.ends_with("ok\n"),
        "story failed:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("[redacted]"),
        "the story should print its secrets' Debug form:\n{stdout}"
    );
    assert!(
        !stdout.contains(&prefix) && !stderr.contains(&prefix),
        "a secret reached the output"
    );
    for file in walk(&home) {
        let text = String::from_utf8_lossy(&std::fs::read(&file).unwrap()).into_owned();
        assert!(!text.contains(&prefix), "a secret reached {}", file.display());
    }
    assert!(
        home.join("index.json").exists(),
        "the story should have written the index"
    );
    // Removing the account removed its keyring entry.
    let items = secret_tool_items();
    assert!(
        !items
            .iter()
            .any(|i| field(i, "attribute.username") == Some(account.as_str()))
    );
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path))
        } else {
            files.push(path)
        }
    }
    files
}

/// Runs the probe with `op` on the given D-Bus address.
fn probe(op: &str, bus: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_latch-store-probe"))
        .arg(op)
        .env("DBUS_SESSION_BUS_ADDRESS", bus)
        .output()
        .unwrap()
}

fn assert_unavailable(out: &Output, must_say: &[&str]) {
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(2),
        "expected Unavailable, got:\n{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.starts_with("unavailable: "), "{stdout}");
    for phrase in must_say {
        assert!(stdout.contains(phrase), "the message should say {phrase:?}:\n{stdout}");
    }
    assert!(stdout.contains("never stores secrets anywhere else"), "{stdout}");
}

#[test]
fn no_session_bus_says_so_plainly() {
    let dir = tempfile::tempdir().unwrap();
    let dead = format!("unix:path={}", dir.path().join("no-bus-here").display());
    for op in ["get", "put", "check"] {
        assert_unavailable(&probe(op, &dead), &["no D-Bus session", "gnome-keyring", "KeePassXC"]);
    }
}

#[test]
fn a_bus_without_a_secret_service_says_how_to_get_one() {
    let bus = PrivateBus::start();
    for op in ["get", "put", "check"] {
        assert_unavailable(
            &probe(op, &bus.address),
            &["No keyring service", "gnome-keyring", "KeePassXC"],
        );
    }
}

/// gnome-keyring started but never unlocked: reads would find "nothing" and
/// writes fail. Both, and `check` (which reads and writes nothing), must say
/// the keyring is locked.
#[test]
fn a_keyring_never_unlocked_is_reported_as_locked_for_reads_and_writes() {
    let bus = PrivateBus::start();
    let _keyring = bus.start_locked_keyring();
    for op in ["get", "put", "check"] {
        assert_unavailable(&probe(op, &bus.address), &["locked", "Unlock it"]);
    }
}

/// `latch doctor`'s keyring question (`KeyringStore::diagnose`) in the
/// probe, on the bus at `bus`: its exit code and what it printed.
fn diagnose(bus: &str) -> (Option<i32>, String) {
    let out = probe("diagnose", bus);
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
}

/// What `diagnose` prints for a trouble, the platform's words aside.
fn trouble_lines(kind: &str, found: &str, fix: &str) -> String {
    format!("trouble: {kind}\nfound: {found}\nfix: {fix}\ndetail: ")
}

#[test]
fn doctor_s_question_on_a_working_keyring_writes_reads_and_removes_its_test_entry() {
    // A keyring of the test's own, so that "no entry left" is exact.
    let bus = PrivateBus::start();
    let _keyring = bus.start_unlocked_keyring();
    assert!(secret_tool_items_on(Some(&bus.address)).is_empty());
    assert_eq!(diagnose(&bus.address), (Some(0), "ok\n".into()));
    let left = secret_tool_items_on(Some(&bus.address));
    assert!(left.is_empty(), "the doctor's test entry outlived the check: {left:#?}");
}

#[test]
fn doctor_s_question_says_what_is_missing_and_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let dead = format!("unix:path={}", dir.path().join("no-bus-here").display());
    let (code, out) = diagnose(&dead);
    assert_eq!(code, Some(4), "{out}");
    let expected = trouble_lines(
        "NoSession",
        "There is no D-Bus session",
        "run Latch in a desktop session (or under `dbus-run-session`) with gnome-keyring or KeePassXC's \
         Secret Service running and unlocked",
    );
    assert!(out.starts_with(&expected), "{out}");

    let bus = PrivateBus::start();
    let (code, out) = diagnose(&bus.address);
    assert_eq!(code, Some(4), "{out}");
    let expected = trouble_lines(
        "NoService",
        "No keyring service (Secret Service) answers on this D-Bus session",
        "install and start gnome-keyring (`apt install gnome-keyring`), or enable the Secret Service \
         integration in KeePassXC",
    );
    assert!(out.starts_with(&expected), "{out}");

    let _keyring = bus.start_locked_keyring();
    let (code, out) = diagnose(&bus.address);
    assert_eq!(code, Some(4), "{out}");
    let expected = trouble_lines(
        "Locked",
        "The system keyring is locked (or was never set up)",
        "unlock it (log in to the desktop session, or unlock the login keyring in Passwords and Keys, \
         or the database in KeePassXC)",
    );
    assert_eq!(
        out,
        format!("{expected}the default collection is missing or locked\n"),
        "{out}"
    );
}

#[test]
fn a_keyring_that_keeps_the_doctor_s_test_entry_is_told_and_the_entry_named() {
    // A working keyring on a bus whose policy refuses deletes, as a
    // sandbox's might: the test entry is written and read back, then stays.
    let bus = PrivateBus::start_refusing("org.freedesktop.Secret.Item", "Delete");
    let _keyring = bus.start_unlocked_keyring();
    let (code, out) = diagnose(&bus.address);
    assert_eq!(code, Some(4), "{out}");
    let left = secret_tool_items_on(Some(&bus.address));
    let [entry] = left.as_slice() else {
        panic!("the test entry should be left, alone: {left:#?}")
    };
    let user = field(entry, "attribute.username").unwrap();
    let hex = user.strip_prefix("doctor:").unwrap_or_else(|| panic!("{user}"));
    assert!(hex.len() == 12 && hex.chars().all(|c| c.is_ascii_hexdigit()), "{user}");
    let expected = trouble_lines(
        "Failed",
        "The system keyring kept a test entry Latch asked it to delete",
        &format!(
            "remove it with `secret-tool clear service latch username {user}`, and check that the keyring \
             lets Latch delete entries"
        ),
    );
    assert!(out.starts_with(&expected), "{out}");
    assert!(out.contains("AccessDenied"), "the bus's own words: {out}");
}

/// The sentence of `diagnose` for a keyring that gave back other bytes.
fn other_bytes_trouble() -> String {
    trouble_lines(
        "Failed",
        "The system keyring gave back something else than the test entry Latch wrote",
        "check that gnome-keyring or KeePassXC's Secret Service integration is running and unlocked",
    ) + "the keyring returned other bytes than were stored\n"
}

#[test]
fn a_keyring_that_gives_back_other_bytes_than_the_doctor_s_test_entry_is_told() {
    // No real keyring can be made to do it: a Secret Service of the test's
    // own, which hands back the entry with its first bit flipped.
    let bus = PrivateBus::start();
    let _service = bus.start_fake_secret_service(Answers::OtherBytes);
    assert_eq!(diagnose(&bus.address), (Some(4), other_bytes_trouble()));

    // The same service giving back what it was given passes: what failed
    // above is the bytes, not how the service speaks.
    let bus = PrivateBus::start();
    let _service = bus.start_fake_secret_service(Answers::Faithfully);
    assert_eq!(diagnose(&bus.address), (Some(0), "ok\n".into()));
}
