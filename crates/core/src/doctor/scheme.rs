//! The URL scheme: a sign-in whose redirect is `app.latch.desktop:/…` comes
//! back only if the desktop opens such links with Latch. The check asks the
//! desktop's own question — `xdg-mime query default`, which `xdg-open` asks
//! before it opens a link — then finds the desktop entry it names in the XDG
//! data directories, as the desktop does, and checks that its `Exec` names a
//! program that exists and passes the link on (`%u`; without it the link's
//! address is lost, see `src-tauri/latch.desktop`).
//!
//! The window's package installs that entry; for a build from source,
//! `scripts/register-scheme` (which `scripts/run` runs) writes
//! `latch.desktop`, and a development build registers itself when its window
//! starts (`src-tauri/lib.rs`, the deep-link plugin's `register_all`, which
//! writes `latch-desktop-handler.desktop`).

use super::Check;
use crate::signin::SCHEME;

const CHECK: &str = "url-scheme";

/// What to do when nothing (or nothing that works) opens the scheme.
const REGISTER: &str = "install Latch's package, whose desktop entry registers it, or, for a build from source, \
                        run `scripts/register-scheme` in the clone (`scripts/run` does)";

#[cfg(target_os = "linux")]
pub(super) fn check() -> Check {
    linux::check()
}

#[cfg(not(target_os = "linux"))]
pub(super) fn check() -> Check {
    Check::ok(
        CHECK,
        format!("Not checked on this system: the window's installer registers {SCHEME}: links"),
    )
}

#[cfg(target_os = "linux")]
mod linux {
    use super::*;
    use std::path::{Path, PathBuf};
    use std::process::Command;

    pub(super) fn check() -> Check {
        let mime = format!("x-scheme-handler/{SCHEME}");
        let answer = match super::super::run_helper(Command::new("xdg-mime").args(["query", "default", &mime])) {
            Ok(answer) => answer,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Check::warn(
                    CHECK,
                    format!(
                        "xdg-mime is not installed, so Latch cannot ask which program opens {SCHEME}: links \
                         (sign-ins that come back by deep link need one)"
                    ),
                    "install xdg-utils (`sudo apt install xdg-utils`) and run `latch doctor` again",
                );
            }
            Err(e) => return cannot_ask(&e.to_string()),
        };
        let named = String::from_utf8_lossy(&answer.stdout)
            .lines()
            .next()
            .map(str::trim)
            .unwrap_or_default()
            .to_owned();
        // xdg-utils answers 4 ("action failed") or nothing when no program is registered.
        if answer.status.code() == Some(4) || (answer.status.success() && named.is_empty()) {
            return not_registered();
        }
        if !answer.status.success() {
            let said = String::from_utf8_lossy(&answer.stderr);
            return cannot_ask(&format!("{}: {}", answer.status, said.lines().next().unwrap_or("")));
        }
        entry(&named, &data_dirs())
    }

    fn cannot_ask(why: &str) -> Check {
        Check::warn(
            CHECK,
            format!(
                "`xdg-mime query default x-scheme-handler/{SCHEME}` failed ({why}), so Latch cannot tell which program opens {SCHEME}: links"
            ),
            "check that xdg-utils works, then run `latch doctor` again",
        )
    }

    fn not_registered() -> Check {
        Check::fail(
            CHECK,
            format!(
                "No program is registered for {SCHEME}: links, so a sign-in that comes back to \
                 {SCHEME}:/oauth/callback/… cannot reach Latch"
            ),
            REGISTER,
        )
    }

    /// The data directories in the XDG order: `$XDG_DATA_HOME` (or
    /// `~/.local/share`), then `$XDG_DATA_DIRS` (or `/usr/local/share:/usr/share`).
    fn data_dirs() -> Vec<PathBuf> {
        let var = |name| std::env::var_os(name).filter(|v| !v.is_empty());
        let home = var("XDG_DATA_HOME")
            .map(PathBuf::from)
            .or_else(|| var("HOME").map(|h| PathBuf::from(h).join(".local/share")));
        let system = var("XDG_DATA_DIRS").unwrap_or_else(|| "/usr/local/share:/usr/share".into());
        home.into_iter().chain(std::env::split_paths(&system)).collect()
    }

    /// Where desktop entry `id` lives: `applications/<id>`, or for an id
    /// with a dash, `applications/<vendor>/<rest>` (the spec's subdirectories).
    fn locate(id: &str, dirs: &[PathBuf]) -> Option<PathBuf> {
        dirs.iter().find_map(|dir| {
            let apps = dir.join("applications");
            let nested = id
                .match_indices('-')
                .map(|(at, _)| apps.join(&id[..at]).join(&id[at + 1..]));
            std::iter::once(apps.join(id)).chain(nested).find(|p| p.is_file())
        })
    }

    /// The entry xdg-mime named: found, its program there, the link passed on.
    fn entry(id: &str, dirs: &[PathBuf]) -> Check {
        let Some(path) = locate(id, dirs) else {
            let searched: Vec<String> = dirs
                .iter()
                .map(|d| d.join("applications").display().to_string())
                .collect();
            return Check::fail(
                CHECK,
                format!(
                    "{SCHEME}: links are registered to {id}, but no {id} is in {}",
                    searched.join(", ")
                ),
                REGISTER,
            );
        };
        let shown = path.display();
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let Some(exec) = key(&text, "Exec") else {
            return Check::fail(
                CHECK,
                format!("{shown} opens {SCHEME}: links but has no Exec line"),
                REGISTER,
            );
        };
        let Some(program) = program(&exec) else {
            return Check::fail(
                CHECK,
                format!("{shown} has an Exec line Latch cannot read ({exec})"),
                REGISTER,
            );
        };
        let Some(found) = find_program(&program) else {
            return Check::fail(
                CHECK,
                format!("{shown} opens {SCHEME}: links with {program}, which does not exist (moved or deleted?)"),
                REGISTER,
            );
        };
        if !exec.contains("%u") && !exec.contains("%U") {
            return Check::fail(
                CHECK,
                format!(
                    "{shown} starts {program} without the link (its Exec has no %u), so a sign-in's answer is lost"
                ),
                format!("add ` %u` at the end of the Exec line in {shown}, or {REGISTER}"),
            );
        }
        Check::ok(
            CHECK,
            format!("{SCHEME}: links open {shown}, which hands them to {}", found.display()),
        )
    }

    /// The value of `key` in the `[Desktop Entry]` group (not a localized `key[xx]`).
    pub(super) fn key(text: &str, key: &str) -> Option<String> {
        let mut in_entry = false;
        for line in text.lines().map(str::trim) {
            if line.starts_with('[') {
                in_entry = line == "[Desktop Entry]";
            } else if in_entry
                && let Some((k, v)) = line.split_once('=')
                && k.trim() == key
            {
                return Some(v.trim().to_owned());
            }
        }
        None
    }

    /// The program of an `Exec` value: its first word, unquoted as the
    /// desktop entry spec quotes it (`"…"` with `\` escapes).
    pub(super) fn program(exec: &str) -> Option<String> {
        let exec = exec.trim_start();
        let Some(quoted) = exec.strip_prefix('"') else {
            return exec.split_whitespace().next().map(str::to_owned);
        };
        let mut out = String::new();
        let mut chars = quoted.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => out.push(chars.next()?),
                '"' => return Some(out),
                c => out.push(c),
            }
        }
        None
    }

    /// A path as it is, a bare name on the PATH; an executable file, or `None`.
    fn find_program(program: &str) -> Option<PathBuf> {
        if program.contains('/') {
            return executable(Path::new(program)).then(|| program.into());
        }
        let path = std::env::var_os("PATH")?;
        std::env::split_paths(&path)
            .map(|dir| dir.join(program))
            .find(|p| executable(p))
    }

    fn executable(path: &Path) -> bool {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::linux::{key, program};

    #[test]
    fn the_program_of_an_exec_line_is_its_first_word_unquoted() {
        for (exec, want) in [
            ("latch-desktop %u", Some("latch-desktop")),
            // What the deep-link plugin writes for a build from source.
            (
                r#""/home/me/src/latch/target/debug/latch-desktop" %u"#,
                Some("/home/me/src/latch/target/debug/latch-desktop"),
            ),
            (r#""/opt/My Apps/latch-desktop" %u"#, Some("/opt/My Apps/latch-desktop")),
            (r#""/opt/a \"b\"/latch" %u"#, Some(r#"/opt/a "b"/latch"#)),
            (r#""/opt/unterminated %u"#, None),
            ("", None),
        ] {
            assert_eq!(program(exec).as_deref(), want, "{exec:?}");
        }
    }

    #[test]
    fn keys_come_from_the_desktop_entry_group_only() {
        let text = "[Desktop Action New]\nExec=other %u\n[Desktop Entry]\nName=Latch\nExec[de]=lokal\nExec = latch-desktop %u\n";
        assert_eq!(key(text, "Exec").as_deref(), Some("latch-desktop %u"));
        assert_eq!(key(text, "MimeType"), None);
    }
}
