//! The data directory is the person's own, as ssh wants `~/.ssh` to be.
//!
//! The index decides which accounts exist and where their requests go, and
//! the locks keep two refreshes apart, so anyone who can write them can
//! steer Latch. Latch makes the directory and `locks/` with mode 0700 (the
//! index is written 0600), and before it uses an existing one it refuses,
//! with the command that fixes it, a directory, index or `locks/` that
//! belongs to another user or that its group or other users may write. Only
//! the owner and the write bits are checked: a directory others may read is
//! a privacy matter for the person, and secrets never live there anyway.
//!
//! `latch doctor` asks the same questions through [`state`], which makes
//! nothing, and shows [`NotPrivate`]'s two halves (what is wrong, what to run).
//!
//! The hand-out log (`crate::handouts`) is checked the same way each time it
//! is opened: entries someone else wrote would lie about who took a token.

use super::StoreError;
use std::path::{Path, PathBuf};

/// Creates `dir` (and its parents) with mode 0700 where missing.
pub(crate) fn create_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Makes the data directory if it is missing, then checks that it, its
/// index and its `locks/` are the person's own (see the module docs).
pub(crate) fn open_home(home: &Path) -> Result<(), StoreError> {
    create_dir(home).map_err(|source| StoreError::Home {
        path: home.into(),
        source,
    })?;
    for (kind, path) in Kind::all(home) {
        check(&path, kind)?;
    }
    Ok(())
}

/// Checks one file of the data directory that Latch opens later than the
/// directory itself (the hand-out log): the same rules, its own sentences.
pub(crate) fn check_file(path: &Path, kind: Kind) -> Result<(), StoreError> {
    check(path, kind)
}

/// The parts of a data directory that must be the person's own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    DataDirectory,
    Index,
    Locks,
    Handouts,
}

impl Kind {
    /// Each part's path in the data directory `home`, as opening it checks
    /// them. Not the hand-out log: a bad one must not keep a token from its
    /// owner, so it is checked when it is written or read (`check_file`).
    pub(crate) fn all(home: &Path) -> [(Kind, PathBuf); 3] {
        [
            (Kind::DataDirectory, home.to_owned()),
            (Kind::Index, home.join(super::index::FILE_NAME)),
            (Kind::Locks, home.join("locks")),
        ]
    }

    fn name(self) -> &'static str {
        match self {
            Kind::DataDirectory => "The data directory",
            Kind::Index => "The account index",
            Kind::Locks => "The lock directory",
            Kind::Handouts => "The hand-out log",
        }
    }

    /// What the person runs to make `path` private again.
    fn chmod(self, path: &Path) -> String {
        let mode = if matches!(self, Kind::Index | Kind::Handouts) {
            600
        } else {
            700
        };
        let fix = format!("run `chmod {mode} {}`", path.display());
        match self {
            Kind::DataDirectory => format!("{fix} or set LATCH_HOME to a private directory"),
            _ => fix,
        }
    }

    /// What the person does when `path` belongs to someone else.
    fn take_back(self, path: &Path) -> String {
        let p = path.display();
        match self {
            Kind::DataDirectory => {
                "set LATCH_HOME to a directory of your own (for example `mkdir -m 700 ~/.latch`)".into()
            }
            Kind::Index => {
                format!("check its content, then make a copy of your own (`cp {p} {p}.mine && mv {p}.mine {p}`)")
            }
            Kind::Locks | Kind::Handouts => format!("move it away (`mv {p} {p}.old`); Latch makes a new one"),
        }
    }
}

/// How one part of the data directory is now.
#[derive(Debug)]
pub(crate) enum State {
    /// Not made yet: Latch makes it private.
    Missing,
    /// The person's own; `mode` is its permission bits.
    Private {
        mode: u32,
    },
    NotPrivate(NotPrivate),
}

/// A part of the data directory that is not the person's own, and why.
#[derive(Debug)]
pub(crate) struct NotPrivate {
    kind: Kind,
    path: PathBuf,
    why: Why,
}

#[derive(Debug)]
enum Why {
    Owner(u32),
    Writable { writers: &'static str, mode: u32 },
}

impl NotPrivate {
    /// What is wrong, as a sentence without its full stop.
    pub(crate) fn found(&self) -> String {
        let (what, shown) = (self.kind.name(), self.path.display());
        match self.why {
            Why::Owner(uid) => {
                format!("{what} {shown} belongs to another user (uid {uid}), who could change what Latch does")
            }
            Why::Writable { writers, mode } => format!("{what} {shown} is writable by {writers} (mode {mode:04o})"),
        }
    }

    /// What to run, starting in lower case.
    pub(crate) fn fix(&self) -> String {
        match self.why {
            Why::Owner(_) => self.kind.take_back(&self.path),
            Why::Writable { .. } => self.kind.chmod(&self.path),
        }
    }
}

impl std::fmt::Display for NotPrivate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}; {}.", self.found(), self.fix())
    }
}

fn check(path: &Path, kind: Kind) -> Result<(), StoreError> {
    let home_error = |source| StoreError::Home {
        path: path.into(),
        source,
    };
    match state(path, kind).map_err(home_error)? {
        State::Private { .. } => Ok(()),
        // The data directory was made just before; not finding it is an error.
        State::Missing if matches!(kind, Kind::DataDirectory) => Err(home_error(std::io::ErrorKind::NotFound.into())),
        State::Missing => Ok(()),
        State::NotPrivate(problem) => Err(StoreError::NotPrivate(problem.to_string())),
    }
}

/// The owner and write bits of `path` against the rules (module docs).
#[cfg(unix)]
pub(crate) fn state(path: &Path, kind: Kind) -> std::io::Result<State> {
    use std::os::unix::fs::MetadataExt;
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(State::Missing),
        Err(e) => return Err(e),
    };
    let not_private = |why| {
        State::NotPrivate(NotPrivate {
            kind,
            path: path.into(),
            why,
        })
    };
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if meta.uid() != me {
        return Ok(not_private(Why::Owner(meta.uid())));
    }
    let mode = meta.mode() & 0o7777;
    let writers = match (mode & 0o020 != 0, mode & 0o002 != 0) {
        (_, true) => "other users",
        (true, false) => "its group",
        (false, false) => return Ok(State::Private { mode }),
    };
    Ok(not_private(Why::Writable { writers, mode }))
}

#[cfg(not(unix))]
pub(crate) fn state(path: &Path, _kind: Kind) -> std::io::Result<State> {
    match std::fs::metadata(path) {
        Ok(_) => Ok(State::Private { mode: 0o700 }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(State::Missing),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_data_directory_path_is_refused_not_taken_for_the_current_directory() {
        // Making the empty path succeeds without making anything (std's
        // recursive create counts it as done), so only the check that the
        // data directory then exists keeps Latch from checking, and then
        // writing, `index.json` and `locks/` in the current directory.
        match open_home(Path::new("")) {
            Err(StoreError::Home { path, source }) => {
                assert_eq!(path, PathBuf::new());
                assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
            }
            other => panic!("an empty data directory path was taken: {other:?}"),
        }
    }
}
