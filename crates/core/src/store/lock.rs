//! Locks that every Latch process honours: one per account, one for the index.
//!
//! A lock is an OS advisory lock (`flock` on Unix, `LockFileEx` on Windows,
//! through `fs4`) on a small file in `<home>/locks/`. The OS drops it when the
//! holder exits or is killed, so a crashed process never leaves an account
//! locked. The lock files themselves are left in place: deleting a lock file
//! while another process waits on it would let two holders in.
//!
//! Waiting is a poll of a non-blocking attempt with a short back-off, because
//! a blocking `flock` cannot time out. A GUI task and a CLI run that both want
//! to refresh the same account thus queue: the second gets the lock when the
//! first is done, re-reads the account, and finds the fresh token.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long [`crate::store::Store::lock_account`] waits by default: longer
/// than a refresh takes with the HTTP client's timeouts.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(60);

/// Why a lock was not obtained.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "another Latch process held {what} for more than {} s (lock file {path}); it is released when that \
         process finishes or exits",
        waited.as_secs_f32().ceil()
    )]
    Timeout {
        what: String,
        path: PathBuf,
        waited: Duration,
    },
    #[error("cannot lock {what} (lock file {path}): {source}")]
    Io {
        what: String,
        path: PathBuf,
        source: std::io::Error,
    },
}

/// A held lock. Dropping it releases the lock.
#[derive(Debug)]
pub struct FileLock {
    file: File,
    path: PathBuf,
}

impl FileLock {
    /// Waits up to `timeout` for the exclusive lock on `path`, creating the
    /// file (and its directory) if needed. `what` names the lock in errors.
    pub fn acquire(path: &Path, what: &str, timeout: Duration) -> Result<Self, LockError> {
        let io_err = |source| LockError::Io {
            what: what.into(),
            path: path.into(),
            source,
        };
        if let Some(dir) = path.parent() {
            super::private::create_dir(dir).map_err(io_err)?;
        }
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(path)
            .map_err(io_err)?;
        let started = Instant::now();
        let mut pause = Duration::from_millis(1);
        loop {
            // Fully qualified: std's own `File::try_lock` is newer than our MSRV.
            match fs4::FileExt::try_lock(&file) {
                Ok(()) => {
                    return Ok(Self {
                        file,
                        path: path.into(),
                    });
                }
                Err(fs4::TryLockError::WouldBlock) => {}
                Err(fs4::TryLockError::Error(e)) => return Err(io_err(e)),
            }
            let waited = started.elapsed();
            if waited >= timeout {
                return Err(LockError::Timeout {
                    what: what.into(),
                    path: path.into(),
                    waited,
                });
            }
            std::thread::sleep(pause.min(timeout - waited));
            pause = (pause * 2).min(Duration::from_millis(20));
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for FileLock {
    fn drop(&mut self) {
        // Closing the file releases the lock too; unlocking first makes the
        // release immediate even if the descriptor was inherited by a child.
        let _ = fs4::FileExt::unlock(&self.file);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_lock_makes_the_next_one_wait_then_time_out() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("locks/a.lock");
        let held = FileLock::acquire(&path, "account a", Duration::from_secs(1)).unwrap();
        let err = FileLock::acquire(&path, "account a", Duration::from_millis(50)).unwrap_err();
        assert!(matches!(err, LockError::Timeout { .. }), "{err}");
        assert!(err.to_string().contains("account a"), "{err}");
        drop(held);
        FileLock::acquire(&path, "account a", Duration::from_millis(50)).expect("free after release");
    }
}
