//! The sign-in page: how the browser is sent to the provider's consent page
//! without the address appearing in any process's command line.
//!
//! Why: an opener's arguments (`xdg-open URL`, and the browser it starts)
//! are in `/proc/PID/cmdline`, which every local user can read. The
//! authorization URL carries the `state`, the PKCE challenge and the
//! loopback port: all another user needs to answer a loopback sign-in with
//! a code of their own account (issue 15, item 4). So Latch never hands the
//! URL to an opener. It writes a page that sends the browser on (a meta
//! refresh, and a link for a browser that does not follow one) to a file
//! only this user can read, and hands the opener the file's path, which
//! carries nothing secret.
//!
//! Where: `$XDG_RUNTIME_DIR/latch/` when the desktop sets it (a directory
//! private to the user by the XDG spec, emptied at logout), else `pages/`
//! in Latch's data directory. The directory is created 0700 and refused
//! when someone else owns it or others may read or write it; the file is a
//! new one (never an existing file or link), 0600, under a random name.
//!
//! How long: a page lives as long as its sign-in. Dropping the
//! [`SignInPage`] deletes the file, and a front end drops it when the flow
//! ends or reaches its deadline. A page left behind by a crash is deleted
//! by the next page written after its deadline, which is in its name.

use crate::Latch;
use crate::error::Error;
use crate::model::UnixTime;
use std::fs::{DirBuilder, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use url::Url;

const PREFIX: &str = "sign-in-";
const SUFFIX: &str = ".html";

/// A page on disk that sends the browser to one authorization URL. The file
/// is deleted when this is dropped.
#[derive(Debug)]
pub struct SignInPage {
    path: PathBuf,
}

impl SignInPage {
    /// Writes the page for `url` into `dir` (created private if missing);
    /// `deadline` is the sign-in's, after which the page may be swept.
    pub fn write(dir: &Path, url: &Url, deadline: UnixTime) -> std::io::Result<Self> {
        private_dir(dir)?;
        sweep(dir, crate::time::now());
        let path = dir.join(format!("{PREFIX}{deadline}-{}{SUFFIX}", random_name()?));
        let mut file = new_private_file(&path)?;
        // Owned before it is written: a failed write deletes the file too.
        let page = Self { path };
        file.write_all(html(url).as_bytes())?;
        Ok(page)
    }

    /// What to hand the opener: a path that tells no one anything.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for SignInPage {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

impl Latch {
    /// Writes the page that opens `url` in the browser, in this user's
    /// private directory ([`page_dir`]), to be kept until the sign-in ends.
    pub fn sign_in_page(&self, url: &Url) -> Result<SignInPage, Error> {
        let dir = page_dir(std::env::var_os("XDG_RUNTIME_DIR"), self.store().home());
        let deadline = crate::time::now() + self.engine().config().pending_ttl.as_secs() as UnixTime;
        SignInPage::write(&dir, url, deadline).map_err(|e| {
            Error::Storage(format!(
                "Latch could not write the sign-in page in {} ({e}); open the address by hand.",
                dir.display()
            ))
        })
    }
}

/// `$XDG_RUNTIME_DIR/latch` when the runtime directory is set (and an
/// absolute path, as the spec requires), else `pages` in the data directory.
pub fn page_dir(runtime_dir: Option<std::ffi::OsString>, home: &Path) -> PathBuf {
    match runtime_dir.map(PathBuf::from) {
        Some(runtime) if runtime.is_absolute() => runtime.join("latch"),
        _ => home.join("pages"),
    }
}

/// The page: a refresh to `url` and a link to it, nothing else (no script,
/// nothing fetched).
fn html(url: &Url) -> String {
    let url = escape_attribute(url.as_str());
    format!(
        "<!doctype html><meta charset=utf-8><meta http-equiv=refresh content=\"0;url={url}\">\
         <title>Latch: sign in</title><p><a href=\"{url}\">Continue to the sign-in page</a></p>\n"
    )
}

fn escape_attribute(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// 128 random bits, in hex: nobody can guess or pre-create the name.
fn random_name() -> std::io::Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Creates `dir` 0700 if missing and refuses one that is not private to
/// this user (a link, someone else's, or open to group or others), saying
/// how to fix it, as ssh does.
fn private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)?;
    check_private(dir)
}

#[cfg(unix)]
fn check_private(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::symlink_metadata(dir)?;
    // SAFETY: geteuid(2) has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    let refuse = |why: String| Err(std::io::Error::new(std::io::ErrorKind::PermissionDenied, why));
    if !meta.is_dir() {
        return refuse(format!(
            "{} is not a directory of its own (a link or a file); remove it",
            dir.display()
        ));
    }
    if meta.uid() != me {
        return refuse(format!(
            "{} belongs to another user (uid {}); remove it",
            dir.display(),
            meta.uid()
        ));
    }
    if meta.mode() & 0o077 != 0 {
        return refuse(format!(
            "{} may be read by other users (mode {:o}); run `chmod 700 {}`",
            dir.display(),
            meta.mode() & 0o777,
            dir.display()
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_dir: &Path) -> std::io::Result<()> {
    // The user's own profile directories are private by their ACLs.
    Ok(())
}

/// A file that did not exist (never an existing file or a link), 0600.
fn new_private_file(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// Deletes the pages in `dir` whose deadline has passed (left behind by a
/// Latch that did not end cleanly).
fn sweep(dir: &Path, now: UnixTime) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if page_deadline(&name.to_string_lossy()).is_some_and(|deadline| deadline < now) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// The deadline in a page's file name (`sign-in-DEADLINE-RANDOM.html`).
fn page_deadline(name: &str) -> Option<UnixTime> {
    let rest = name.strip_prefix(PREFIX)?.strip_suffix(SUFFIX)?;
    rest.split_once('-')?.0.parse().ok()
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn url() -> Url {
        Url::parse("https://provider.example/authorize?client_id=c&state=s3cr3t&code_challenge=ch\"al").unwrap()
    }

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn the_page_is_private_leads_to_the_url_and_goes_when_dropped() {
        let home = tempfile::tempdir().unwrap();
        let dir = home.path().join("pages");
        let page = SignInPage::write(&dir, &url(), crate::time::now() + 600).unwrap();
        let name = page.path().file_name().unwrap().to_string_lossy().into_owned();
        assert!(!name.contains("s3cr3t") && !name.contains("challenge"), "{name}");
        assert_eq!(page.path().parent(), Some(dir.as_path()));
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(page.path()), 0o600);
        let html = std::fs::read_to_string(page.path()).unwrap();
        let href = "https://provider.example/authorize?client_id=c&amp;state=s3cr3t&amp;code_challenge=ch%22al";
        assert_eq!(
            html,
            format!(
                "<!doctype html><meta charset=utf-8><meta http-equiv=refresh content=\"0;url={href}\">\
                 <title>Latch: sign in</title><p><a href=\"{href}\">Continue to the sign-in page</a></p>\n"
            )
        );
        let path = page.path().to_owned();
        drop(page);
        assert!(!path.exists(), "the page is deleted with its sign-in");
    }

    /// The page Latch writes for a sign-in is named with the sign-in's own
    /// deadline (now + the pending flow's lifetime), so a later sweep keeps
    /// it for exactly as long as the sign-in may still come back.
    #[test]
    fn a_sign_in_page_carries_the_sign_ins_deadline() {
        let home = tempfile::tempdir().unwrap();
        let latch = Latch::with_secrets(
            Some(home.path().to_owned()),
            std::sync::Arc::new(crate::store::MemoryStore::new()),
            crate::EngineConfig::default(),
        )
        .unwrap();
        let before = crate::time::now();
        let page = latch.sign_in_page(&url()).unwrap();
        let after = crate::time::now();
        let name = page.path().file_name().unwrap().to_string_lossy().into_owned();
        let deadline = page_deadline(&name).unwrap();
        let ttl = crate::flows::PENDING_FLOW_TTL.as_secs() as UnixTime;
        assert!(
            (before + ttl..=after + ttl).contains(&deadline),
            "{name}: the deadline is not now + {ttl} s"
        );
    }

    #[test]
    fn pages_past_their_deadline_are_swept_and_others_kept() {
        let home = tempfile::tempdir().unwrap();
        let dir = home.path().join("pages");
        let now = crate::time::now();
        let live = SignInPage::write(&dir, &url(), now + 600).unwrap();
        let stale = dir.join(format!("{PREFIX}{}-abc{SUFFIX}", now - 1));
        let other = dir.join("notes.txt");
        std::fs::write(&stale, "old").unwrap();
        std::fs::write(&other, "not a page").unwrap();
        let next = SignInPage::write(&dir, &url(), now + 600).unwrap();
        assert!(!stale.exists(), "a page past its deadline is swept");
        assert!(live.path().exists() && next.path().exists() && other.exists());
        assert_ne!(live.path(), next.path(), "every page has a name of its own");
    }

    /// A flow is still good at its deadline (`PendingFlow::is_expired_at`
    /// is `now > deadline`), so its page is too: swept only after it.
    #[test]
    fn a_page_at_its_deadline_is_kept_and_swept_a_second_later() {
        let home = tempfile::tempdir().unwrap();
        let dir = home.path().join("pages");
        let at = 1_700_000_000;
        let page = SignInPage::write(&dir, &url(), at).unwrap();
        sweep(&dir, at);
        assert!(page.path().exists(), "swept at its deadline");
        sweep(&dir, at + 1);
        assert!(!page.path().exists(), "kept past its deadline");
    }

    #[test]
    fn a_directory_open_to_others_is_refused_with_the_fix() {
        let home = tempfile::tempdir().unwrap();
        let dir = home.path().join("pages");
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let e = SignInPage::write(&dir, &url(), crate::time::now() + 600).unwrap_err();
        assert!(
            e.to_string().contains(&format!("run `chmod 700 {}`", dir.display())),
            "{e}"
        );
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0, "nothing was written");

        let link = home.path().join("link");
        std::os::unix::fs::symlink(home.path(), &link).unwrap();
        let e = SignInPage::write(&link, &url(), crate::time::now() + 600).unwrap_err();
        assert!(e.to_string().contains("is not a directory of its own"), "{e}");
    }

    #[test]
    fn the_runtime_directory_is_preferred_when_it_is_an_absolute_path() {
        let home = Path::new("/home/u/.local/share/latch");
        assert_eq!(
            page_dir(Some("/run/user/1000".into()), home),
            Path::new("/run/user/1000/latch")
        );
        assert_eq!(page_dir(None, home), home.join("pages"));
        assert_eq!(page_dir(Some("relative".into()), home), home.join("pages"));
        assert_eq!(page_dir(Some("".into()), home), home.join("pages"));
    }

    #[test]
    fn only_latchs_page_names_have_a_deadline() {
        assert_eq!(page_deadline("sign-in-1700000000-ab12.html"), Some(1_700_000_000));
        assert_eq!(page_deadline("sign-in-x-ab12.html"), None);
        assert_eq!(page_deadline("notes.html"), None);
        assert_eq!(page_deadline("sign-in-1700000000-ab12.txt"), None);
    }
}
