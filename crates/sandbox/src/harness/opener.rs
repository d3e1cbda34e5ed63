//! A stand-in for the desktop's opener: an `xdg-open` in a directory of its
//! own, put first on a child's PATH (the CLI runs `xdg-open`; the window's
//! opener tries `xdg-open` first). It records what any local user could see
//! of it — its command line — and, while the file it was given still
//! exists, that file's mode and content. It opens nothing.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub struct FakeOpener {
    dir: tempfile::TempDir,
}

/// What the opener was run with.
#[derive(Debug)]
pub struct Opened {
    /// Its arguments, program name excluded: what `ps` shows everyone.
    pub args: Vec<String>,
    /// The mode bits of the file named by the first argument, in octal
    /// (`600`), or `none` when it is not a file.
    pub mode: String,
    /// That file's content when the opener ran.
    pub page: String,
}

const SCRIPT: &str = r#"#!/bin/sh
# Records its command line and the file it was given, then succeeds
# (a failure would send the caller on to the next opener, a real one).
here=$(dirname "$0")
: > "$here/args.tmp"
for arg in "$@"; do printf '%s\n' "$arg" >> "$here/args.tmp"; done
if [ -f "$1" ]; then stat -c %a "$1" > "$here/mode"; cat "$1" > "$here/page"; else echo none > "$here/mode"; : > "$here/page"; fi
mv "$here/args.tmp" "$here/args"
exit 0
"#;

impl FakeOpener {
    pub fn new() -> Self {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("a directory for the fake opener");
        let script = dir.path().join("xdg-open");
        std::fs::write(&script, SCRIPT).expect("the fake opener's script");
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o700)).expect("an executable script");
        Self { dir }
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// A PATH with the fake opener first.
    pub fn path_var(&self) -> String {
        let rest = std::env::var("PATH").unwrap_or_default();
        format!("{}:{rest}", self.dir.path().display())
    }

    /// Waits (up to 20 s) for the opener to have run, and says how.
    pub fn wait(&self) -> Opened {
        let args = self.dir.path().join("args");
        let deadline = Instant::now() + Duration::from_secs(20);
        while !args.exists() {
            assert!(Instant::now() < deadline, "the opener was not run within 20 s");
            std::thread::sleep(Duration::from_millis(20));
        }
        let read = |name: &str| std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default();
        Opened {
            args: read("args").lines().map(str::to_owned).collect(),
            mode: read("mode").trim().to_owned(),
            page: read("page"),
        }
    }
}

impl Default for FakeOpener {
    fn default() -> Self {
        Self::new()
    }
}

impl Opened {
    /// The one argument, as a path.
    pub fn file(&self) -> PathBuf {
        assert_eq!(self.args.len(), 1, "the opener was given {:?}", self.args);
        PathBuf::from(&self.args[0])
    }
}
