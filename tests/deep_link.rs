//! The README's run command makes the deep link work (issue 17, item 6):
//! `scripts/run` registers the built window as the handler of
//! `app.latch.desktop:` links with `scripts/register-scheme`, and then the
//! desktop's own opener, `xdg-open`, hands a sign-in's callback to the
//! running window. These tests run that script exactly as `scripts/run`
//! does, on XDG directories of their own (never the real ones), and open the
//! link with the real `xdg-open` in its generic mode (no desktop environment:
//! the mode that reads only the files the script wrote).

mod support;

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;
use support::{Launch, WAIT, Window, sandbox, sign_in, start_wazzup_connect, windows_on};

const MIME: &str = "x-scheme-handler/app.latch.desktop";

/// A user's XDG data and config directories, as a desktop has them (both
/// there, `applications/` too), empty until a test fills them.
struct Desktop {
    root: tempfile::TempDir,
}

impl Desktop {
    fn new() -> Desktop {
        let root = tempfile::tempdir().expect("temporary XDG directories");
        std::fs::create_dir_all(root.path().join("data/applications")).unwrap();
        std::fs::create_dir_all(root.path().join("config")).unwrap();
        Desktop { root }
    }

    fn data(&self) -> PathBuf {
        self.root.path().join("data")
    }

    fn config(&self) -> PathBuf {
        self.root.path().join("config")
    }

    fn entry(&self) -> PathBuf {
        self.data().join("applications/latch.desktop")
    }

    fn xdg_env(&self) -> [(&'static str, String); 2] {
        [
            ("XDG_DATA_HOME", self.data().display().to_string()),
            ("XDG_CONFIG_HOME", self.config().display().to_string()),
        ]
    }

    /// `program` with these directories and no desktop environment, so the
    /// xdg-utils take their generic path (which reads only the files).
    fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut command = Command::new(program);
        command.envs(self.xdg_env());
        for var in [
            "BROWSER",
            "XDG_CURRENT_DESKTOP",
            "DESKTOP_SESSION",
            "KDE_FULL_SESSION",
            "GNOME_DESKTOP_SESSION_ID",
            "MATE_DESKTOP_SESSION_ID",
            "XDG_MENU_PREFIX",
        ] {
            command.env_remove(var);
        }
        command
    }

    /// `scripts/register-scheme ARGS`, as `scripts/run` runs it.
    fn register_scheme(&self, args: &[&str]) -> Output {
        let out = self
            .command(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/register-scheme"))
            .args(args)
            .output()
            .expect("scripts/register-scheme runs");
        assert!(
            out.status.success(),
            "scripts/register-scheme {args:?}: {}\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// What `xdg-open` asks first: the desktop entry that opens the scheme.
    fn default_handler(&self) -> String {
        let out = self
            .command("xdg-mime")
            .args(["query", "default", MIME])
            .output()
            .expect("xdg-mime (xdg-utils, which scripts/setup installs)");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// Every file and directory the registration may touch — `applications/`
    /// and the config directory (the window keeps its own data in the data
    /// directory beside them) — with the files' text.
    fn snapshot(&self) -> BTreeMap<PathBuf, Option<String>> {
        fn walk(root: &Path, dir: &Path, into: &mut BTreeMap<PathBuf, Option<String>>) {
            for entry in std::fs::read_dir(dir).unwrap().map(Result::unwrap) {
                let path = entry.path();
                let name = path.strip_prefix(root).unwrap().to_owned();
                if entry.file_type().unwrap().is_dir() {
                    into.insert(name, None);
                    walk(root, &path, into);
                } else {
                    into.insert(name, Some(std::fs::read_to_string(&path).unwrap()));
                }
            }
        }
        let mut found = BTreeMap::new();
        for dir in [self.data().join("applications"), self.config()] {
            walk(self.root.path(), &dir, &mut found);
        }
        found
    }
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_the_run_commands_registration_xdg_open_hands_the_callback_to_the_running_window() {
    let desktop = Desktop::new();
    let before = desktop.snapshot();
    let window_program = env!("CARGO_BIN_EXE_latch-desktop");
    let said = desktop.register_scheme(&[window_program]);
    assert!(
        stdout(&said).contains("scripts/register-scheme --undo"),
        "it says how to undo it: {}",
        stdout(&said)
    );

    assert_eq!(desktop.default_handler(), "latch.desktop");
    let entry = std::fs::read_to_string(desktop.entry()).unwrap();
    assert!(
        entry.lines().any(|l| l == format!("Exec={window_program} %u")),
        "{entry}"
    );
    let valid = Command::new("desktop-file-validate")
        .arg(desktop.entry())
        .output()
        .expect("desktop-file-validate (desktop-file-utils, which scripts/setup installs)");
    assert!(
        valid.status.success() && valid.stdout.is_empty(),
        "the entry keeps the desktop entry spec: {}",
        stdout(&valid)
    );

    let xdg = desktop.xdg_env();
    let env: Vec<(&str, &str)> = xdg.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let sandbox = sandbox().await;
    let window = Window::start(Launch {
        env: &env,
        ..Launch::default()
    })
    .await;
    let url = start_wazzup_connect(&window, &sandbox).await;
    let callback = sign_in(&url).await;

    // The desktop's opener, as a browser calls it for a link it cannot open
    // itself. Had it found no handler, it would fall back to $BROWSER: here
    // a program that only notes it was asked.
    let elsewhere = tempfile::tempdir().unwrap();
    let browser = elsewhere.path().join("browser");
    let asked = elsewhere.path().join("browser-was-asked");
    std::fs::write(
        &browser,
        format!("#!/bin/sh\necho \"$@\" >'{}'\nexit 1\n", asked.display()),
    )
    .unwrap();
    std::fs::set_permissions(&browser, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut opener = desktop
        .command("xdg-open")
        .arg(&callback)
        .env("BROWSER", &browser)
        // What the second latch-desktop needs to find the running one: the same
        // store (and the same private D-Bus session, inherited). As the harness's
        // windows, it does not register itself (it would replace the entry).
        .env("LATCH_HOME", window.home.path())
        .env("LATCH_NO_SCHEME_REGISTRATION", "1")
        .env("LATCH_NO_BROWSER", "1")
        .spawn()
        .expect("xdg-open (xdg-utils, which scripts/setup installs)");
    let deadline = Instant::now() + WAIT;
    let opened = loop {
        if let Some(status) = opener.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = opener.kill();
            panic!("xdg-open did not end: the latch-desktop it started did not hand over the link and exit");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert!(
        !asked.exists(),
        "xdg-open found no handler and asked the browser: {:?}",
        std::fs::read_to_string(&asked)
    );
    assert!(opened.success(), "xdg-open: {opened}");
    // xdg-open waits for the program it starts: that one has handed the
    // link over and gone, and the window is the one latch-desktop left.
    assert_eq!(
        windows_on(window.home.path()).len(),
        1,
        "only the running window is left"
    );

    window
        .wait_text("[data-account=wazzup-main] [data-testid=status]", |t| t == "Valid")
        .await;
    assert_eq!(sandbox.wazzup().count("wazzup.token"), 1);
    let tokens = support::stored_tokens(window.home.path(), "wazzup-main");
    assert!(
        tokens.expires_at.is_some(),
        "a token set with its expiry is in the keyring"
    );
    let _ = window.close().await;

    // And the undo takes away what the registration wrote, and only that.
    let said = desktop.register_scheme(&["--undo"]);
    assert!(
        stdout(&said).starts_with("Latch no longer opens app.latch.desktop: links"),
        "{}",
        stdout(&said)
    );
    assert_eq!(desktop.default_handler(), "");
    assert_eq!(desktop.snapshot(), before, "the XDG directories are as they were");
}

/// `scripts/run` registers on every run; `--undo` then takes away exactly
/// what the registration wrote — the entry, the default (putting back the
/// one it replaced), the MIME cache's line — and leaves the user's own
/// defaults, associations and entries byte for byte; a second undo finds
/// nothing to do.
#[test]
fn undo_removes_exactly_what_the_registration_added() {
    let desktop = Desktop::new();
    let applications = desktop.data().join("applications");
    // A person's own settings, and a development build's registration.
    std::fs::write(
        desktop.config().join("mimeapps.list"),
        "[Added Associations]\ntext/html=firefox.desktop;\n\n[Default Applications]\n\
         text/html=firefox.desktop\nx-scheme-handler/app.latch.desktop=latch-desktop-handler.desktop\n\n\
         [Removed Associations]\nimage/png=gimp.desktop;\n",
    )
    .unwrap();
    std::fs::write(
        applications.join("latch-desktop-handler.desktop"),
        format!(
            "[Desktop Entry]\nType=Application\nName=Latch\nExec=\"{}\" %u\nTerminal=false\n\
             MimeType={MIME}\nNoDisplay=true\n",
            env!("CARGO_BIN_EXE_latch-desktop")
        ),
    )
    .unwrap();
    let refreshed = Command::new("update-desktop-database")
        .arg(&applications)
        .status()
        .expect("update-desktop-database (desktop-file-utils, which scripts/setup installs)");
    assert!(refreshed.success());
    let before = desktop.snapshot();

    for _ in 0..2 {
        desktop.register_scheme(&[env!("CARGO_BIN_EXE_latch-desktop")]);
        assert_eq!(desktop.default_handler(), "latch.desktop");
    }
    let after = desktop.snapshot();
    let changed: Vec<&PathBuf> = after
        .iter()
        .filter(|(path, bytes)| before.get(*path) != Some(bytes))
        .map(|(path, _)| path)
        .collect();
    assert_eq!(
        changed,
        [
            Path::new("config/mimeapps.list"),
            Path::new("data/applications/latch.desktop"),
            Path::new("data/applications/mimeinfo.cache"),
        ],
        "the registration writes its entry, the default and the cache, nothing else"
    );

    let said = desktop.register_scheme(&["--undo"]);
    assert!(
        stdout(&said).contains("(back to latch-desktop-handler.desktop)"),
        "{}",
        stdout(&said)
    );
    assert_eq!(desktop.snapshot(), before, "the XDG directories are as they were");
    assert_eq!(desktop.default_handler(), "latch-desktop-handler.desktop");

    let said = desktop.register_scheme(&["--undo"]);
    assert!(stdout(&said).starts_with("Nothing to undo"), "{}", stdout(&said));
    assert_eq!(desktop.snapshot(), before);
}

/// A default someone set after the registration (another Latch, another
/// program) is theirs: the undo takes its own entry and leaves that default.
#[test]
fn undo_leaves_a_default_that_no_longer_names_its_entry() {
    let desktop = Desktop::new();
    desktop.register_scheme(&[env!("CARGO_BIN_EXE_latch-desktop")]);
    let set = desktop
        .command("xdg-mime")
        .args(["default", "other.desktop", MIME])
        .status()
        .unwrap();
    assert!(set.success());
    let mimeapps = std::fs::read(desktop.config().join("mimeapps.list")).unwrap();

    desktop.register_scheme(&["--undo"]);
    assert!(!desktop.entry().exists());
    assert_eq!(std::fs::read(desktop.config().join("mimeapps.list")).unwrap(), mimeapps);
}

/// What is missing is said, and nothing is written.
#[test]
fn register_scheme_says_what_is_missing() {
    let desktop = Desktop::new();
    let before = desktop.snapshot();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/register-scheme");

    let missing = desktop.root.path().join("nowhere/latch-desktop");
    let out = desktop.command(&script).arg(&missing).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains(&format!("no latch-desktop program at {}", missing.display())),
        "{said}"
    );

    // A PATH with what the script needs before it asks for xdg-mime, and no xdg-mime.
    let bin = desktop.root.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    for tool in ["bash", "dirname"] {
        let found = String::from_utf8(
            Command::new("sh")
                .args(["-c", &format!("command -v {tool}")])
                .output()
                .unwrap()
                .stdout,
        )
        .unwrap();
        std::os::unix::fs::symlink(found.trim(), bin.join(tool)).unwrap();
    }
    let out = desktop
        .command(&script)
        .arg(env!("CARGO_BIN_EXE_latch-desktop"))
        .env("PATH", &bin)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("xdg-mime is missing") && said.contains("install xdg-utils"),
        "{said}"
    );

    std::fs::remove_dir_all(&bin).unwrap();
    assert_eq!(desktop.snapshot(), before, "nothing was written");
}
