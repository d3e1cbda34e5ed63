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

use super::StoreError;
use std::path::Path;

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
    check(home, Kind::DataDirectory)?;
    check(&home.join(super::index::FILE_NAME), Kind::Index)?;
    check(&home.join("locks"), Kind::Locks)
}

#[derive(Clone, Copy)]
enum Kind {
    DataDirectory,
    Index,
    Locks,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::DataDirectory => "The data directory",
            Kind::Index => "The account index",
            Kind::Locks => "The lock directory",
        }
    }

    /// What the person runs to make `path` private again.
    fn chmod(self, path: &Path) -> String {
        let mode = if matches!(self, Kind::Index) { 600 } else { 700 };
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
            Kind::Locks => format!("move it away (`mv {p} {p}.old`); Latch makes a new one"),
        }
    }
}

#[cfg(unix)]
fn check(path: &Path, kind: Kind) -> Result<(), StoreError> {
    use std::os::unix::fs::MetadataExt;
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        // Not made yet: Latch makes it private.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !matches!(kind, Kind::DataDirectory) => return Ok(()),
        Err(source) => {
            return Err(StoreError::Home {
                path: path.into(),
                source,
            });
        }
    };
    let what = kind.name();
    let shown = path.display();
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if meta.uid() != me {
        return Err(StoreError::NotPrivate(format!(
            "{what} {shown} belongs to another user (uid {}), who could change what Latch does; {}.",
            meta.uid(),
            kind.take_back(path)
        )));
    }
    let mode = meta.mode() & 0o7777;
    let writers = match (mode & 0o020 != 0, mode & 0o002 != 0) {
        (_, true) => "other users",
        (true, false) => "its group",
        (false, false) => return Ok(()),
    };
    Err(StoreError::NotPrivate(format!(
        "{what} {shown} is writable by {writers} (mode {mode:04o}); {}.",
        kind.chmod(path)
    )))
}

#[cfg(not(unix))]
fn check(_path: &Path, _kind: Kind) -> Result<(), StoreError> {
    Ok(())
}
