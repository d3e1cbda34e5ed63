//! Who took which token: a local, append-only log of every hand-out.
//!
//! Each time Latch hands a credential to someone (`latch token`, `header`,
//! `api`, `exec`, `env`, the window's Copy; a refresh hands nothing out),
//! one JSON object goes on a line of `<home>/handouts.jsonl`: the account,
//! the verb, the time, and the process that handed it out and its parent,
//! with their command lines as `ps` shows them. No secret is in it: Latch
//! never puts one in an argv, and a `Bearer` value someone else did is
//! masked (see [`shown`]).
//!
//! Many `latch` processes write at once, so:
//! - a line is appended with one `write(2)` on an `O_APPEND` descriptor, which
//!   the kernel puts at the end of the file whole: lines never interleave or
//!   overwrite each other;
//! - the file is bounded: past [`MAX_BYTES`] the oldest half is dropped by
//!   writing the newest half to a temporary file and renaming it over. An
//!   append and a rename must not cross (a line written to the file just
//!   renamed away would be lost), so appenders hold an `flock` on the log
//!   shared and the trimmer holds it exclusive; an appender whose file was
//!   renamed away while it waited opens the new one. Two trimmers queue on the
//!   same lock, and the second finds the file short already.
//!
//! Reading is lenient: a line that does not parse (edited by hand, cut short
//! by a crash, a verb of a newer Latch) is skipped, never fatal. The file is
//! made 0600 and checked like the index (`store::private`) each time it is
//! opened: entries someone else could write would lie about who took what.
//!
//! A log that cannot be written never keeps a credential from its owner:
//! [`HandoutLog::append`] fails with a sentence that says why and what to
//! do, and the front end says it (the CLI as one warning line on stderr).

use crate::error::Error;
use crate::model::{AccountId, UnixTime};
use crate::store::private::{self, Kind};
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The log's file name inside the data directory.
pub const FILE_NAME: &str = "handouts.jsonl";
/// Past this size the oldest half of the log is dropped: some thousands of hand-outs.
pub const MAX_BYTES: u64 = 512 * 1024;
/// A command line is kept to this many characters (and `…`).
pub const COMMAND_CAP: usize = 400;
/// How long an append waits for a trim in progress (milliseconds in practice).
const APPEND_WAIT: Duration = Duration::from_secs(5);
/// How long a trim waits for appends in progress before leaving it to the next append.
const TRIM_WAIT: Duration = Duration::from_secs(1);
const TEMP_PREFIX: &str = ".handouts.jsonl.";
const TEMP_SUFFIX: &str = ".tmp";

/// How a credential was handed out. A new way is a new variant here and its
/// name in [`Verb::as_str`]; the log's format takes it as it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum Verb {
    /// `latch token`: the access token printed.
    Token,
    /// `latch header`: the `Authorization` header printed.
    Header,
    /// `latch api`: a request Latch made with it.
    Api,
    /// `latch exec`: put in a command's environment.
    Exec,
    /// `latch env`: printed as variables.
    Env,
    /// The window's Copy token / Copy header.
    WindowCopy,
}

impl Verb {
    /// The name in the log, `latch log` and the window.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Token => "token",
            Self::Header => "header",
            Self::Api => "api",
            Self::Exec => "exec",
            Self::Env => "env",
            Self::WindowCopy => "window-copy",
        }
    }
}

/// A process as the log keeps it: its pid and its command line (`None` when
/// it could not be read, e.g. another user's process).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Process {
    pub pid: u32,
    pub command: Option<String>,
}

/// One hand-out: one line of the log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handout {
    /// When, in Unix seconds.
    pub at: UnixTime,
    pub account: AccountId,
    pub verb: Verb,
    /// The process that handed the credential out (`latch`, or the window).
    pub process: Process,
    /// Its parent: for `latch`, the shell or program that ran it.
    pub parent: Option<Process>,
}

impl Handout {
    /// A hand-out by this process, now.
    pub fn now(account: AccountId, verb: Verb) -> Self {
        Self {
            at: crate::time::now(),
            account,
            verb,
            process: Process {
                pid: std::process::id(),
                command: own_command_line(),
            },
            parent: parent(),
        }
    }

    /// Who asked for the credential: the program that ran `latch` (its
    /// parent), or for the window's Copy the window itself.
    pub fn asked_by(&self) -> &Process {
        match (self.verb, &self.parent) {
            (Verb::WindowCopy, _) | (_, None) => &self.process,
            (_, Some(parent)) => parent,
        }
    }
}

/// The log of one data directory.
#[derive(Clone, Debug)]
pub struct HandoutLog {
    path: PathBuf,
    limit: u64,
}

/// How an opened log is held.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Hold {
    /// By an append: many at once.
    Shared,
    /// By a trim: alone.
    Alone,
}

impl HandoutLog {
    /// `<home>/handouts.jsonl`, bounded by [`MAX_BYTES`].
    pub fn in_home(home: &Path) -> Self {
        Self::with_limit(home.join(FILE_NAME), MAX_BYTES)
    }

    /// A log at `path` trimmed past `limit` bytes (tests use small ones).
    pub fn with_limit(path: PathBuf, limit: u64) -> Self {
        Self { path, limit }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one line, then trims the log if it grew past its bound.
    pub fn append(&self, handout: &Handout) -> Result<(), Error> {
        let mut line = serde_json::to_vec(handout).map_err(|e| self.failed("encode an entry for", e.into()))?;
        line.push(b'\n');
        let mut file = self.held(Hold::Shared)?;
        if ends_mid_line(&file) {
            // Half a line at the end: an edit or a crash, or another append
            // under way. Alone with the file it is certain which: only the
            // first is ended, so that this entry is not read as its tail.
            drop(file);
            file = self.held(Hold::Alone)?;
            if ends_mid_line(&file) {
                line.insert(0, b'\n');
            }
        }
        // One write, never a retry of the rest: a second write could land
        // after another process's line and split this one.
        let written = (&file).write(&line).map_err(|e| self.failed("write to", e))?;
        if written != line.len() {
            return Err(self.failed("write to", io::Error::other("the disk took only part of the entry")));
        }
        let len = file.metadata().map_err(|e| self.failed("read", e))?.len();
        drop(file); // the hold, which the trim below must not meet
        if len > self.limit {
            self.trim()?;
        }
        Ok(())
    }

    /// The log held as `hold` for an append, waiting up to [`APPEND_WAIT`].
    fn held(&self, hold: Hold) -> Result<File, Error> {
        self.open(hold, APPEND_WAIT)?.ok_or_else(|| {
            self.failed(
                "wait for",
                io::Error::other("another Latch process has been holding it for too long"),
            )
        })
    }

    /// Every readable entry, oldest first. A missing log is an empty one.
    pub fn read(&self) -> Result<Vec<Handout>, Error> {
        self.check_private()?;
        match std::fs::read(&self.path) {
            Ok(bytes) => Ok(parse(&bytes)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(self.failed("read", e)),
        }
    }

    /// Drops the oldest half: the newest lines that fit in half the bound go
    /// to a temporary file, which is renamed over the log. Left to the next
    /// append when appends keep the log busy for [`TRIM_WAIT`].
    fn trim(&self) -> Result<(), Error> {
        let Some(mut file) = self.open(Hold::Alone, TRIM_WAIT)? else {
            return Ok(());
        };
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(|e| self.failed("read", e))?;
        if bytes.len() as u64 <= self.limit {
            return Ok(()); // another process trimmed it while this one waited
        }
        let kept = newest(&bytes, (self.limit / 2) as usize);
        let dir = self.path.parent().unwrap_or(Path::new("."));
        remove_stale_temp_files(dir);
        let fail = |e| self.failed("trim", e);
        let mut tmp = tempfile::Builder::new()
            .prefix(TEMP_PREFIX)
            .suffix(TEMP_SUFFIX)
            .tempfile_in(dir)
            .map_err(fail)?;
        tmp.write_all(kept).map_err(fail)?;
        tmp.as_file().sync_all().map_err(fail)?;
        tmp.persist(&self.path).map_err(|e| fail(e.error))?;
        Ok(()) // `file` is dropped last: the exclusive hold ends after the rename
    }

    /// The log opened for appending, created 0600, held as `hold` and still
    /// the file at `path` (not one a trim renamed away while this waited).
    /// `None` when the hold could not be had within `wait`.
    fn open(&self, hold: Hold, wait: Duration) -> Result<Option<File>, Error> {
        self.check_private()?;
        let started = Instant::now();
        loop {
            let file = create_private(&self.path).map_err(|e| self.failed("open", e))?;
            let left = wait.saturating_sub(started.elapsed());
            if !take(&file, hold, left).map_err(|e| self.failed("lock", e))? {
                return Ok(None);
            }
            if is_at(&file, &self.path).map_err(|e| self.failed("open", e))? {
                return Ok(Some(file));
            }
            if started.elapsed() >= wait {
                return Ok(None); // renamed away again and again: someone else's doing
            }
        }
    }

    fn check_private(&self) -> Result<(), Error> {
        private::check_file(&self.path, Kind::Handouts).map_err(|e| Error::Storage(e.to_string()))
    }

    /// The sentence for a failure: what could not be done, and what to do.
    fn failed(&self, action: &str, e: io::Error) -> Error {
        let p = self.path.display();
        Error::Storage(format!(
            "Latch could not {action} the hand-out log {p} ({e}); check that the data directory is yours and \
             writable, or move the file away (`mv {p} {p}.old`) and Latch starts a new one."
        ))
    }
}

/// The entries in a log's bytes, oldest first. Lines that do not read as an
/// entry are skipped, and so is a last line without its line ending: it is
/// being written, or a crash cut it.
pub fn parse(bytes: &[u8]) -> Vec<Handout> {
    bytes
        .split_inclusive(|b| *b == b'\n')
        .filter(|line| line.ends_with(b"\n"))
        .filter_map(|line| serde_json::from_slice(line).ok())
        .collect()
}

/// The last whole lines of `bytes` that fit in `budget` bytes.
fn newest(bytes: &[u8], budget: usize) -> &[u8] {
    let from = bytes.len().saturating_sub(budget);
    if from == 0 || bytes[from - 1] == b'\n' {
        return &bytes[from..];
    }
    match bytes[from..].iter().position(|b| *b == b'\n') {
        Some(end) => &bytes[from + end + 1..],
        None => &[],
    }
}

/// Whether the file's last byte is not a line ending. While other appends
/// run it may be one of theirs half written: only a hold alone makes it sure.
fn ends_mid_line(file: &File) -> bool {
    let Ok(len) = file.metadata().map(|m| m.len()) else {
        return false;
    };
    if len == 0 {
        return false;
    }
    let mut last = [0u8];
    #[cfg(unix)]
    let read = std::os::unix::fs::FileExt::read_at(file, &mut last, len - 1);
    #[cfg(windows)]
    let read = std::os::windows::fs::FileExt::seek_read(file, &mut last, len - 1);
    matches!(read, Ok(1)) && last[0] != b'\n'
}

fn create_private(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true).append(true).create(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// Takes `hold` on `file` within `wait`; `false` when it stayed taken.
/// A poll, like `store::lock`: a blocking `flock` cannot time out.
fn take(file: &File, hold: Hold, wait: Duration) -> io::Result<bool> {
    let started = Instant::now();
    let mut pause = Duration::from_millis(1);
    loop {
        let attempt = match hold {
            Hold::Shared => fs4::FileExt::try_lock_shared(file),
            Hold::Alone => fs4::FileExt::try_lock(file),
        };
        match attempt {
            Ok(()) => return Ok(true),
            Err(fs4::TryLockError::WouldBlock) => {}
            Err(fs4::TryLockError::Error(e)) => return Err(e),
        }
        let waited = started.elapsed();
        if waited >= wait {
            return Ok(false);
        }
        std::thread::sleep(pause.min(wait - waited));
        pause = (pause * 2).min(Duration::from_millis(20));
    }
}

/// Whether `file` is still the file at `path`.
#[cfg(unix)]
fn is_at(file: &File, path: &Path) -> io::Result<bool> {
    use std::os::unix::fs::MetadataExt;
    let (open, named) = (file.metadata()?, std::fs::metadata(path));
    match named {
        Ok(named) => Ok(open.dev() == named.dev() && open.ino() == named.ino()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

/// Windows cannot rename over an open file, so the file is always the one at `path`.
#[cfg(not(unix))]
fn is_at(_file: &File, _path: &Path) -> io::Result<bool> {
    Ok(true)
}

/// Temporary files of a trim that was killed half way. Only called with the
/// log held alone, so no trim is writing one.
fn remove_stale_temp_files(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(TEMP_PREFIX) && name.ends_with(TEMP_SUFFIX) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// This process's command line.
fn own_command_line() -> Option<String> {
    #[cfg(target_os = "linux")]
    if let Some(line) = command_line_of(std::process::id()) {
        return Some(line);
    }
    let args: Vec<Vec<u8>> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned().into_bytes())
        .collect();
    Some(shown(args.iter().map(Vec::as_slice)))
}

/// The parent process: its pid everywhere but Windows, its command line
/// where `/proc` shows it (Linux).
fn parent() -> Option<Process> {
    #[cfg(unix)]
    {
        // SAFETY: getppid has no preconditions and cannot fail.
        let pid = unsafe { libc::getppid() } as u32;
        #[cfg(target_os = "linux")]
        let command = command_line_of(pid);
        #[cfg(not(target_os = "linux"))]
        let command = None;
        Some(Process { pid, command })
    }
    #[cfg(not(unix))]
    None
}

/// `/proc/<pid>/cmdline`, as [`shown`] writes it; `None` when it cannot be
/// read or is empty (a kernel thread, a process that has exited).
#[cfg(target_os = "linux")]
fn command_line_of(pid: u32) -> Option<String> {
    let bytes = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let bytes = bytes.strip_suffix(b"\0").unwrap_or(&bytes);
    if bytes.is_empty() {
        return None;
    }
    Some(shown(bytes.split(|b| *b == 0)))
}

/// Arguments as one line a person reads and the log may keep: joined with
/// spaces, control characters escaped (`\n`, `\u{1b}`: a command line cannot
/// break the log's lines or a terminal), the word after one ending in
/// `bearer` masked (`Authorization: Bearer …`, curl's `--oauth2-bearer …`),
/// and at most [`COMMAND_CAP`] characters.
pub fn shown<'a>(args: impl Iterator<Item = &'a [u8]>) -> String {
    let words: Vec<String> = args.map(|a| String::from_utf8_lossy(a).into_owned()).collect();
    let joined = mask_bearer(&words.join(" "));
    let mut out = String::new();
    for (n, c) in joined.chars().enumerate() {
        if n == COMMAND_CAP {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// `… Bearer abc.def …` → `… Bearer [hidden] …`, for any word that ends in
/// `bearer` (any case) and is followed by another.
fn mask_bearer(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut hide_next = false;
    for piece in line.split_inclusive(char::is_whitespace) {
        let word = piece.trim_end_matches(char::is_whitespace);
        if hide_next && !word.is_empty() {
            out.push_str("[hidden]");
            out.push_str(&piece[word.len()..]);
        } else {
            out.push_str(piece);
        }
        if !word.is_empty() {
            hide_next = word
                .to_ascii_lowercase()
                .trim_end_matches(['"', '\''])
                .ends_with("bearer");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(account: &str, verb: Verb, at: UnixTime) -> Handout {
        Handout {
            at,
            account: AccountId::parse(account).unwrap(),
            verb,
            process: Process {
                pid: 4242,
                command: Some("latch token wazzup-main".into()),
            },
            parent: Some(Process {
                pid: 4200,
                command: Some("sh -c latch token wazzup-main; : marker".into()),
            }),
        }
    }

    fn log_in(dir: &tempfile::TempDir, limit: u64) -> HandoutLog {
        HandoutLog::with_limit(dir.path().join(FILE_NAME), limit)
    }

    #[test]
    fn an_entry_reads_back_as_it_was_written_one_json_object_a_line() {
        let dir = tempfile::tempdir().unwrap();
        let log = log_in(&dir, MAX_BYTES);
        assert_eq!(log.read().unwrap(), [], "no log yet is an empty one");
        let written = [
            entry("wazzup-main", Verb::Token, 1_775_397_792),
            entry("robot", Verb::WindowCopy, 1_775_397_793),
            Handout {
                parent: None,
                ..entry("robot", Verb::Header, 1_775_397_794)
            },
        ];
        for handout in &written {
            log.append(handout).unwrap();
        }
        assert_eq!(log.read().unwrap(), written);
        let text = std::fs::read_to_string(log.path()).unwrap();
        let first = text.lines().next().unwrap();
        assert_eq!(
            first,
            r#"{"at":1775397792,"account":"wazzup-main","verb":"token","process":{"pid":4242,"command":"latch token wazzup-main"},"parent":{"pid":4200,"command":"sh -c latch token wazzup-main; : marker"}}"#
        );
        assert_eq!(text.lines().count(), 3);
        for verb in [
            Verb::Token,
            Verb::Header,
            Verb::Api,
            Verb::Exec,
            Verb::Env,
            Verb::WindowCopy,
        ] {
            assert_eq!(
                serde_json::to_value(verb).unwrap(),
                verb.as_str(),
                "one name for {verb:?}"
            );
        }
    }

    #[test]
    fn damaged_lines_are_skipped_and_the_rest_is_read() {
        let good = serde_json::to_string(&entry("robot", Verb::Token, 10)).unwrap();
        let later = serde_json::to_string(&entry("robot", Verb::Exec, 11)).unwrap();
        let text = [
            good.as_str(),
            "not json at all",
            "",
            r#"{"at":1,"account":"../escape","verb":"token","process":{"pid":1,"command":null},"parent":null}"#,
            r#"{"at":1,"account":"robot","verb":"teleport","process":{"pid":1,"command":null},"parent":null}"#,
            &good[..good.len() / 2],
            "\u{feff}\u{0}\u{1b}[31m",
            later.as_str(),
        ]
        .join("\n");
        let mut bytes = format!("{text}\n").into_bytes();
        bytes.extend_from_slice(b"\xff\xfe not utf-8\n");
        bytes.extend_from_slice(&good.as_bytes()[..20]); // a write in progress: no line ending yet
        let read = parse(&bytes);
        assert_eq!(read, [entry("robot", Verb::Token, 10), entry("robot", Verb::Exec, 11)]);

        let dir = tempfile::tempdir().unwrap();
        let log = log_in(&dir, MAX_BYTES);
        std::fs::write(log.path(), &bytes).unwrap();
        log.append(&entry("robot", Verb::Api, 12)).unwrap();
        assert_eq!(
            log.read().unwrap(),
            [
                entry("robot", Verb::Token, 10),
                entry("robot", Verb::Exec, 11),
                entry("robot", Verb::Api, 12)
            ],
            "the next entry is not swallowed by the cut line before it"
        );
    }

    #[test]
    fn past_the_bound_the_oldest_half_goes_and_the_newest_entries_stay() {
        let dir = tempfile::tempdir().unwrap();
        let limit = 4096;
        let log = log_in(&dir, limit);
        let line_len = serde_json::to_vec(&entry("robot", Verb::Token, 1_000_000))
            .unwrap()
            .len() as u64
            + 1;
        let mut trims = 0;
        let mut last_len = 0;
        for at in 1_000_000..1_000_300 {
            log.append(&entry("robot", Verb::Token, at)).unwrap();
            let len = std::fs::metadata(log.path()).unwrap().len();
            assert!(len <= limit, "{len} bytes after an append: over the bound of {limit}");
            if len < last_len {
                trims += 1;
                assert!(len <= limit / 2 + line_len, "a trim kept {len} bytes, more than half");
            }
            last_len = len;
        }
        assert!(trims >= 5, "the log was trimmed {trims} times");
        let kept = log.read().unwrap();
        assert!(!kept.is_empty());
        let times: Vec<UnixTime> = kept.iter().map(|h| h.at).collect();
        let newest: Vec<UnixTime> = (1_000_300 - times.len() as i64..1_000_300).collect();
        assert_eq!(times, newest, "the newest entries, in order, none lost in the middle");
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(leftovers, [FILE_NAME], "no temporary file left");
    }

    #[test]
    fn appends_from_many_threads_at_once_lose_nothing_while_trims_run() {
        let dir = tempfile::tempdir().unwrap();
        let limit = 64 * 1024;
        let log = log_in(&dir, limit);
        let (threads, each) = (8, 200);
        std::thread::scope(|s| {
            for t in 0..threads {
                let log = &log;
                s.spawn(move || {
                    for n in 0..each {
                        log.append(&entry(&format!("account-{t}"), Verb::Token, n)).unwrap();
                    }
                });
            }
        });
        let bytes = std::fs::read(log.path()).unwrap();
        assert!(bytes.len() as u64 <= limit, "{} bytes", bytes.len());
        let kept = parse(&bytes);
        assert_eq!(
            kept.len(),
            bytes.iter().filter(|b| **b == b'\n').count(),
            "every line whole"
        );
        // Each thread's entries that survived are its newest, in order, with no gap.
        for t in 0..threads {
            let id = format!("account-{t}");
            let mine: Vec<UnixTime> = kept.iter().filter(|h| h.account.as_str() == id).map(|h| h.at).collect();
            let from = each - mine.len() as i64;
            assert_eq!(mine, (from..each).collect::<Vec<_>>(), "{id}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn the_log_is_made_0600_and_one_others_may_write_is_refused_with_the_fix() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let log = log_in(&dir, MAX_BYTES);
        // SAFETY: umask has no preconditions; nextest runs this test in a process of its own.
        unsafe { libc::umask(0) };
        log.append(&entry("robot", Verb::Token, 1)).unwrap();
        let mode = std::fs::metadata(log.path()).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "mode {mode:o}");

        std::fs::set_permissions(log.path(), std::fs::Permissions::from_mode(0o620)).unwrap();
        let before = std::fs::read(log.path()).unwrap();
        for e in [
            log.append(&entry("robot", Verb::Token, 2)).unwrap_err(),
            log.read().unwrap_err(),
        ] {
            let text = e.to_string();
            assert!(text.contains("The hand-out log"), "{text}");
            assert!(text.contains("writable by its group"), "{text}");
            assert!(text.contains(&format!("chmod 600 {}", log.path().display())), "{text}");
        }
        assert_eq!(std::fs::read(log.path()).unwrap(), before, "nothing written to it");
    }

    #[test]
    fn a_log_that_cannot_be_opened_says_where_and_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let log = log_in(&dir, MAX_BYTES);
        std::fs::create_dir(log.path()).unwrap(); // a directory where the file should be
        let e = log.append(&entry("robot", Verb::Token, 1)).unwrap_err();
        let text = e.to_string();
        assert!(text.starts_with("Latch could not open the hand-out log"), "{text}");
        assert!(
            text.contains(&format!("mv {0} {0}.old", log.path().display())),
            "{text}"
        );
    }

    #[test]
    fn command_lines_are_escaped_masked_and_capped() {
        let shown_of = |args: &[&str]| shown(args.iter().map(|a| a.as_bytes()));
        assert_eq!(shown_of(&["latch", "token", "wazzup-main"]), "latch token wazzup-main");
        assert_eq!(shown_of(&["sh", "-c", "a\nb\t\u{1b}[2J"]), r"sh -c a\nb\t\u{1b}[2J");
        assert_eq!(
            shown_of(&["curl", "-H", "Authorization: Bearer abc.def-123", "https://x"]),
            "curl -H Authorization: Bearer [hidden] https://x"
        );
        assert_eq!(
            shown_of(&["curl", "--oauth2-bearer", "abc", "-H", "authorization: bearer  xyz"]),
            "curl --oauth2-bearer [hidden] -H authorization: bearer  [hidden]"
        );
        assert_eq!(shown_of(&["echo", "bearer"]), "echo bearer", "nothing after it to hide");
        let long = "x".repeat(COMMAND_CAP + 50);
        let capped = shown_of(&["cat", &long]);
        assert_eq!(capped.chars().count(), COMMAND_CAP + 1);
        assert!(capped.ends_with('…') && capped.starts_with("cat xxx"), "{capped}");
        assert_eq!(shown(std::iter::once(&b"\xffok"[..])), "\u{fffd}ok");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_hand_out_names_this_process_and_its_parent_as_proc_shows_them() {
        let handout = Handout::now(AccountId::parse("robot").unwrap(), Verb::Token);
        assert_eq!(handout.process.pid, std::process::id());
        let exe = std::env::current_exe().unwrap();
        let name = exe.file_name().unwrap().to_string_lossy();
        let command = handout.process.command.as_deref().unwrap();
        assert!(command.contains(&*name), "{command} does not name {name}");
        let parent = handout.parent.as_ref().expect("a parent");
        // SAFETY: getppid has no preconditions.
        assert_eq!(parent.pid, unsafe { libc::getppid() } as u32);
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", std::process::id())).unwrap();
        let ppid = stat.rsplit_once(')').unwrap().1.split_whitespace().nth(1).unwrap();
        assert_eq!(parent.pid.to_string(), ppid);
        assert_eq!(handout.asked_by(), parent, "the parent asked for a CLI hand-out");
        let copy = Handout::now(AccountId::parse("robot").unwrap(), Verb::WindowCopy);
        assert_eq!(copy.asked_by(), &copy.process, "the window asked for its own copy");
    }

    #[test]
    fn trimming_keeps_whole_lines() {
        assert_eq!(newest(b"aa\nbb\ncc\n", 6), b"bb\ncc\n");
        assert_eq!(newest(b"aa\nbb\ncc\n", 5), b"cc\n");
        assert_eq!(newest(b"aa\nbb\ncc\n", 100), b"aa\nbb\ncc\n");
        assert_eq!(newest(b"aaaaaaaa\n", 4), b"");
    }
}
