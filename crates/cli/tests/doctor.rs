//! `latch doctor` as a person runs it: on a machine where everything works,
//! and on each way of not working — no session bus, no Secret Service, a
//! keyring never unlocked, a data directory others may write, a URL scheme
//! nobody registered, a sandbox port another program holds. Real parts
//! throughout: the built `latch`, real D-Bus daemons and gnome-keyrings,
//! the real `xdg-mime` over XDG directories of the test's own, real sockets.

#![cfg(target_os = "linux")]

mod support;

use latch_sandbox::harness::{self, PrivateBus};
use serde_json::Value;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Command, Output};

const CHECKS: [&str; 5] = ["keyring", "data-directory", "url-scheme", "sandbox-ports", "clock"];

/// A machine of the test's own: a data directory, the XDG directories the
/// desktop reads (empty until [`Machine::register_scheme`]), and free ports
/// for the sandbox check, on the test command's keyring unless told otherwise.
struct Machine {
    root: tempfile::TempDir,
    bus: String,
    ports: Vec<u16>,
}

impl Machine {
    fn new() -> Self {
        let root = tempfile::tempdir().unwrap();
        for dir in ["home", "data", "system-data", "config", "system-config"] {
            std::fs::create_dir(root.path().join(dir)).unwrap();
        }
        Machine {
            root,
            bus: harness::keyring_bus(),
            ports: (0..5).map(|_| harness::free_port()).collect(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.root.path().join(name)
    }

    fn home(&self) -> PathBuf {
        self.path("home")
    }

    /// What the window's package installs (`src-tauri/latch.desktop`, the
    /// program by its path here) and the default `xdg-mime default` records.
    fn register_scheme(&self, exec: &str) {
        let applications = self.path("data/applications");
        std::fs::create_dir_all(&applications).unwrap();
        std::fs::write(
            applications.join("latch.desktop"),
            format!(
                "[Desktop Entry]\nType=Application\nName=Latch\nExec={exec}\nTerminal=false\n\
                 MimeType=x-scheme-handler/app.latch.desktop;\n"
            ),
        )
        .unwrap();
        std::fs::write(
            self.path("config/mimeapps.list"),
            "[Default Applications]\nx-scheme-handler/app.latch.desktop=latch.desktop\n",
        )
        .unwrap();
    }

    /// A program for the desktop entry to start (it is never run).
    fn window_program(&self) -> PathBuf {
        let program = self.path("latch-desktop");
        std::fs::write(&program, "#!/bin/sh\nexit 0\n").unwrap();
        std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
        program
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let ports: Vec<String> = self.ports.iter().map(u16::to_string).collect();
        let mut cmd = self.desktop(env!("CARGO_BIN_EXE_latch"));
        cmd.args(args)
            .arg(format!("--sandbox-ports={}", ports.join(",")))
            .env("LATCH_HOME", self.home())
            .env("DBUS_SESSION_BUS_ADDRESS", &self.bus);
        cmd
    }

    /// `program` on this machine's desktop: its home and XDG directories.
    fn desktop(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = Command::new(program);
        cmd.env("HOME", self.root.path())
            .env("XDG_DATA_HOME", self.path("data"))
            .env("XDG_DATA_DIRS", self.path("system-data"))
            .env("XDG_CONFIG_HOME", self.path("config"))
            .env("XDG_CONFIG_DIRS", self.path("system-config"));
        // No desktop environment: xdg-mime answers from the files alone.
        for var in [
            "XDG_CURRENT_DESKTOP",
            "XDG_MENU_PREFIX",
            "DESKTOP_SESSION",
            "KDE_FULL_SESSION",
            "GNOME_DESKTOP_SESSION_ID",
            "MATE_DESKTOP_SESSION_ID",
            "DISPLAY",
        ] {
            cmd.env_remove(var);
        }
        cmd
    }

    fn run(&self, cmd: &mut Command) -> Output {
        support::wait(
            cmd.stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap(),
        )
    }

    /// `latch doctor --json`: its exit status and its checks by name.
    fn doctor(&self) -> (Option<i32>, Vec<Value>) {
        self.doctor_with(&mut self.cmd(&["--json", "doctor"]))
    }

    fn doctor_with(&self, cmd: &mut Command) -> (Option<i32>, Vec<Value>) {
        let out = self.run(cmd);
        let checks: Vec<Value> = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)));
        let names: Vec<&str> = checks.iter().map(|c| c["check"].as_str().unwrap()).collect();
        assert_eq!(names, CHECKS, "every check, in order");
        (out.status.code(), checks)
    }
}

fn check<'a>(checks: &'a [Value], name: &str) -> &'a Value {
    checks.iter().find(|c| c["check"] == name).unwrap()
}

fn text(value: &Value, key: &str) -> String {
    value[key].as_str().unwrap_or_default().to_owned()
}

/// Only `failed` failed (with a fix), and every other check passed.
fn assert_only_failed(checks: &[Value], failed: &str) {
    for c in checks {
        let name = c["check"].as_str().unwrap();
        if name == failed {
            assert_eq!(c["status"], "fail", "{c}");
            assert!(!text(c, "fix").is_empty(), "a failure says what to do: {c}");
        } else {
            assert_eq!(c["status"], "ok", "{c}");
        }
    }
}

#[test]
fn on_a_working_machine_every_check_passes_and_the_exit_status_is_0() {
    let machine = Machine::new();
    let program = machine.window_program();
    machine.register_scheme(&format!("{} %u", program.display()));

    let (status, checks) = machine.doctor();
    assert_eq!(status, Some(0), "{checks:#?}");
    for c in &checks {
        assert_eq!(c["status"], "ok", "{c}");
        assert_eq!(c["fix"], Value::Null, "nothing to do: {c}");
        let mut keys: Vec<&String> = c.as_object().unwrap().keys().collect();
        keys.sort();
        assert_eq!(keys, ["check", "fix", "found", "status"]);
    }
    let home = machine.home().display().to_string();
    assert!(text(check(&checks, "data-directory"), "found").starts_with(&home));
    assert!(
        text(check(&checks, "url-scheme"), "found").contains(&program.display().to_string()),
        "the program the desktop starts is named"
    );
    assert!(text(check(&checks, "clock"), "found").starts_with("The clock says "));

    // The same as lines a person reads: one per check, nothing on stderr.
    let out = machine.run(&mut machine.cmd(&["doctor"]));
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), CHECKS.len(), "{stdout}");
    for (line, name) in lines.iter().zip(CHECKS) {
        assert!(line.starts_with("ok    ") && line.contains(name), "{line}");
    }
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

#[test]
fn a_data_directory_not_made_yet_is_fine_and_the_doctor_does_not_make_it() {
    let machine = Machine::new();
    machine.register_scheme(&format!("{} %u", machine.window_program().display()));
    let later = machine.path("home/not-yet");
    let (status, checks) = machine.doctor_with(machine.cmd(&["--json", "doctor"]).env("LATCH_HOME", &later));
    assert_eq!(status, Some(0), "{checks:#?}");
    let home = check(&checks, "data-directory");
    assert_eq!(home["status"], "ok");
    assert!(
        text(home, "found").ends_with("does not exist yet; Latch creates it (mode 0700) on first use"),
        "{home}"
    );
    assert!(!later.exists(), "the doctor makes nothing");
}

/// The test entry the keyring check writes is gone afterwards: on a keyring
/// no other test writes to, nothing of Latch's is left.
#[test]
fn the_keyring_check_leaves_nothing_in_the_keyring() {
    let bus = PrivateBus::start();
    let _keyring = bus.start_unlocked_keyring();
    let mut machine = Machine::new();
    machine.bus = bus.address.clone();
    let (_, checks) = machine.doctor();
    assert_eq!(check(&checks, "keyring")["status"], "ok", "{checks:#?}");

    let left = Command::new("secret-tool")
        .args(["search", "--all", "service", "latch"])
        .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
        .output()
        .unwrap();
    assert_eq!(
        format!(
            "{}{}",
            String::from_utf8_lossy(&left.stdout),
            String::from_utf8_lossy(&left.stderr)
        ),
        "",
        "the doctor's test entry stayed in the keyring"
    );
}

#[test]
fn no_session_bus_fails_the_keyring_check_and_says_what_to_run() {
    let machine = Machine::new();
    machine.register_scheme(&format!("{} %u", machine.window_program().display()));
    let dead = format!("unix:path={}", machine.path("no-bus-here").display());
    let (status, checks) = machine.doctor_with(
        machine
            .cmd(&["--json", "doctor"])
            .env("DBUS_SESSION_BUS_ADDRESS", &dead),
    );
    assert_eq!(status, Some(10));
    assert_only_failed(&checks, "keyring");
    let keyring = check(&checks, "keyring");
    assert!(
        text(keyring, "found").starts_with("There is no D-Bus session"),
        "{keyring}"
    );
    assert!(text(keyring, "fix").contains("dbus-run-session"), "{keyring}");
}

#[test]
fn a_bus_without_a_secret_service_fails_and_says_how_to_get_one() {
    let bus = PrivateBus::start();
    let mut machine = Machine::new();
    machine.bus = bus.address.clone();
    machine.register_scheme(&format!("{} %u", machine.window_program().display()));
    let (status, checks) = machine.doctor();
    assert_eq!(status, Some(10));
    assert_only_failed(&checks, "keyring");
    let keyring = check(&checks, "keyring");
    assert!(
        text(keyring, "found").starts_with("No keyring service (Secret Service)"),
        "{keyring}"
    );
    assert!(text(keyring, "fix").contains("apt install gnome-keyring"), "{keyring}");
}

#[test]
fn a_keyring_never_unlocked_fails_as_locked() {
    let bus = PrivateBus::start();
    let _keyring = bus.start_locked_keyring();
    let mut machine = Machine::new();
    machine.bus = bus.address.clone();
    machine.register_scheme(&format!("{} %u", machine.window_program().display()));
    let (status, checks) = machine.doctor();
    assert_eq!(status, Some(10));
    assert_only_failed(&checks, "keyring");
    let keyring = check(&checks, "keyring");
    assert!(text(keyring, "found").contains("is locked"), "{keyring}");
    assert!(text(keyring, "fix").starts_with("unlock it"), "{keyring}");
}

#[test]
fn a_data_directory_others_may_write_fails_with_the_chmod_that_fixes_it() {
    let machine = Machine::new();
    machine.register_scheme(&format!("{} %u", machine.window_program().display()));
    let home = machine.home();
    std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o777)).unwrap();
    let index = home.join("index.json");
    std::fs::write(&index, "{}").unwrap();
    std::fs::set_permissions(&index, std::fs::Permissions::from_mode(0o660)).unwrap();

    let (status, checks) = machine.doctor();
    assert_eq!(status, Some(10), "a failed check is exit status 10");
    assert_only_failed(&checks, "data-directory");
    let found = text(check(&checks, "data-directory"), "found");
    let fix = text(check(&checks, "data-directory"), "fix");
    assert!(
        found.contains(&format!("{} is writable by other users (mode 0777)", home.display())),
        "{found}"
    );
    assert!(
        found.contains(&format!("{} is writable by its group (mode 0660)", index.display())),
        "{found}"
    );
    assert!(fix.contains(&format!("run `chmod 700 {}`", home.display())), "{fix}");
    assert!(fix.contains(&format!("run `chmod 600 {}`", index.display())), "{fix}");

    let out = machine.run(&mut machine.cmd(&["doctor"]));
    assert_eq!(out.status.code(), Some(10));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let line = stdout.lines().find(|l| l.contains("data-directory")).unwrap();
    assert!(line.starts_with("FAIL") && line.contains("chmod 700"), "{line}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        stderr,
        "latch: 1 of 5 checks failed (data-directory); each line above says what to do\n"
    );
    assert_eq!(
        std::fs::metadata(&home).unwrap().permissions().mode() & 0o777,
        0o777,
        "the doctor changes nothing"
    );
}

#[test]
fn a_scheme_nobody_registered_fails_and_says_how_to_register_it() {
    let machine = Machine::new();
    let (status, checks) = machine.doctor();
    assert_eq!(status, Some(10));
    assert_only_failed(&checks, "url-scheme");
    let scheme = check(&checks, "url-scheme");
    assert!(
        text(scheme, "found").starts_with("No program is registered for app.latch.desktop: links"),
        "{scheme}"
    );
    assert!(
        text(scheme, "fix").contains("run `scripts/register-scheme` in the clone (`scripts/run` does)"),
        "{scheme}"
    );
}

/// What `scripts/run` registers for a build from source
/// (`scripts/register-scheme`, issue 17 item 6) is what this check asks
/// for, and its `--undo` leaves the scheme unregistered again.
#[test]
fn the_run_commands_registration_passes_the_scheme_check_and_its_undo_undoes_it() {
    let machine = Machine::new();
    let program = machine.window_program();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/register-scheme");
    let register = |arg: &std::ffi::OsStr| {
        let out = machine.run(machine.desktop(&script).arg(arg));
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    };

    register(program.as_os_str());
    let (status, checks) = machine.doctor();
    assert_eq!(status, Some(0), "{checks:#?}");
    let found = text(check(&checks, "url-scheme"), "found");
    assert_eq!(
        found,
        format!(
            "app.latch.desktop: links open {}, which hands them to {}",
            machine.path("data/applications/latch.desktop").display(),
            program.display()
        )
    );

    register("--undo".as_ref());
    let (status, checks) = machine.doctor();
    assert_eq!(status, Some(10));
    assert_only_failed(&checks, "url-scheme");
}

#[test]
fn a_scheme_registered_to_a_program_that_is_gone_fails_and_names_it() {
    let machine = Machine::new();
    let gone = machine.path("moved-away/latch-desktop");
    machine.register_scheme(&format!("\"{}\" %u", gone.display()));
    let (status, checks) = machine.doctor();
    assert_eq!(status, Some(10));
    assert_only_failed(&checks, "url-scheme");
    let found = text(check(&checks, "url-scheme"), "found");
    assert!(
        found.contains(&format!("with {}, which does not exist", gone.display())),
        "{found}"
    );
}

/// A stale MIME cache (an entry deleted, `update-desktop-database` not run
/// again) still names a desktop entry that is no longer there.
#[test]
fn a_registration_naming_a_desktop_entry_that_is_gone_fails() {
    let machine = Machine::new();
    let applications = machine.path("data/applications");
    std::fs::create_dir_all(&applications).unwrap();
    std::fs::write(
        applications.join("mimeinfo.cache"),
        "[MIME Cache]\nx-scheme-handler/app.latch.desktop=latch-old.desktop;\n",
    )
    .unwrap();
    let (status, checks) = machine.doctor();
    assert_eq!(status, Some(10));
    assert_only_failed(&checks, "url-scheme");
    let found = text(check(&checks, "url-scheme"), "found");
    assert!(
        found.starts_with(
            "app.latch.desktop: links are registered to latch-old.desktop, but no latch-old.desktop is in "
        ),
        "{found}"
    );
    assert!(
        found.contains(&applications.display().to_string()),
        "the places searched are named: {found}"
    );
}

#[test]
fn a_desktop_entry_that_drops_the_link_fails() {
    let machine = Machine::new();
    machine.register_scheme(&machine.window_program().display().to_string());
    let (status, checks) = machine.doctor();
    assert_eq!(status, Some(10));
    assert_only_failed(&checks, "url-scheme");
    let scheme = check(&checks, "url-scheme");
    assert!(text(scheme, "found").contains("its Exec has no %u"), "{scheme}");
    assert!(
        text(scheme, "fix").starts_with("add ` %u` at the end of the Exec line"),
        "{scheme}"
    );
}

#[test]
fn without_xdg_mime_the_scheme_is_a_warning_that_says_what_to_install() {
    let machine = Machine::new();
    let empty_path = machine.path("no-programs");
    std::fs::create_dir(&empty_path).unwrap();
    let (status, checks) = machine.doctor_with(machine.cmd(&["--json", "doctor"]).env("PATH", &empty_path));
    assert_eq!(status, Some(0), "a warning alone passes: {checks:#?}");
    let scheme = check(&checks, "url-scheme");
    assert_eq!(scheme["status"], "warn", "{scheme}");
    assert!(
        text(scheme, "found").starts_with("xdg-mime is not installed"),
        "{scheme}"
    );
    assert!(text(scheme, "fix").contains("apt install xdg-utils"), "{scheme}");
}

#[test]
fn a_sandbox_port_another_program_holds_is_a_warning_that_names_it() {
    let mut machine = Machine::new();
    machine.register_scheme(&format!("{} %u", machine.window_program().display()));
    let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = held.local_addr().unwrap().port();
    machine.ports[1] = port;

    let (status, checks) = machine.doctor();
    assert_eq!(status, Some(0), "a taken port is a warning: {checks:#?}");
    let ports = check(&checks, "sandbox-ports");
    assert_eq!(ports["status"], "warn", "{ports}");
    let (found, fix) = (text(ports, "found"), text(ports, "fix"));
    assert!(found.starts_with(&format!("Port {port} (PayU) is taken")), "{found}");
    for (i, other) in machine.ports.iter().enumerate() {
        assert_eq!(
            found.contains(&other.to_string()),
            i == 1,
            "only the held port is named: {found}"
        );
    }
    assert!(fix.contains(&format!("`ss -ltnp 'sport = :{port}'`")), "{fix}");
    assert!(fix.contains("`latch sandbox --any-port`"), "{fix}");
    drop(held);
}
