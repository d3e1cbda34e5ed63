//! The data directory: its owner and mode, and its index's and `locks/`'s,
//! by `store::private`'s rules and in its words. One that does not exist yet
//! is fine: Latch makes it private on first use, and the doctor makes nothing.

use super::Check;
use crate::store::Store;
use crate::store::private::{Kind, State};
use std::path::{Path, PathBuf};

const CHECK: &str = "data-directory";

pub(super) fn check(home: Option<PathBuf>) -> Check {
    let home = match home.map_or_else(Store::default_home, Ok) {
        Ok(home) => home,
        Err(e) => return Check::fail(CHECK, e.to_string(), "set LATCH_HOME to a directory of your own"),
    };
    match std::fs::metadata(&home) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Check::ok(
                CHECK,
                format!(
                    "{} does not exist yet; Latch creates it (mode 0700) on first use",
                    home.display()
                ),
            );
        }
        Ok(meta) if !meta.is_dir() => {
            return Check::fail(
                CHECK,
                format!("{} is not a directory", home.display()),
                "set LATCH_HOME to a directory of your own (for example `mkdir -m 700 ~/.latch`)",
            );
        }
        _ => {}
    }
    survey(&home)
}

/// Every part's state: all the problems at once, so one run lists every fix.
fn survey(home: &Path) -> Check {
    let (mut found, mut fixes, mut modes) = (Vec::new(), Vec::new(), Vec::new());
    for (kind, path) in Kind::all(home) {
        match crate::store::private::state(&path, kind) {
            Ok(State::Private { mode }) => modes.push(format!("{} {mode:04o}", part(kind))),
            Ok(State::Missing) => {}
            Ok(State::NotPrivate(problem)) => {
                found.push(problem.found());
                fixes.push(problem.fix());
            }
            Err(e) => {
                found.push(format!("Latch cannot read {} ({e})", path.display()));
                fixes.push(format!("check the permissions of {}", path.display()));
            }
        }
    }
    if found.is_empty() {
        return Check::ok(
            CHECK,
            format!(
                "{} is yours and only you may write to it ({})",
                home.display(),
                modes.join(", ")
            ),
        );
    }
    Check::fail(CHECK, found.join("; "), fixes.join(", then "))
}

fn part(kind: Kind) -> &'static str {
    match kind {
        Kind::DataDirectory => "mode",
        Kind::Index => "index.json",
        Kind::Locks => "locks/",
        Kind::Handouts => "handouts.jsonl",
    }
}
