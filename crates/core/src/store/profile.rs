//! The profile of a data directory: which keyring entries are its own.
//!
//! The platform's default data directory is the default profile; any other
//! (`LATCH_HOME`, a test's temporary directory) gets a random id kept in
//! `<home>/profile`, and its keyring entries carry it, so two data
//! directories never read or overwrite each other's secrets.

use crate::error::Error;

/// The profile id of a data directory other than the platform's default
/// one: a random id kept in `<home>/profile`, made on first use. Keyring
/// entries of that profile carry it, so profiles never share secrets.
pub fn profile_of(home: &std::path::Path) -> Result<Option<String>, Error> {
    let default = dirs::data_dir().map(|d| d.join("latch"));
    if default.as_deref() == Some(home) {
        return Ok(None);
    }
    // Before anything in it is read: a profile id someone else chose would
    // point this data directory at another one's keyring entries.
    super::private::open_home(home).map_err(|e| Error::Storage(e.to_string()))?;
    let path = home.join("profile");
    if let Some(kept) = read_id(&path)? {
        return Ok(Some(kept));
    }
    let mut bytes = [0u8; 6];
    getrandom::fill(&mut bytes).map_err(|e| Error::Storage(format!("no random source for a profile id: {e}")))?;
    let id: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let fail = |e: std::io::Error| Error::Storage(format!("cannot write {}: {e}", path.display()));
    // Written once and atomically: two processes starting together agree on one id.
    let tmp = tempfile::NamedTempFile::new_in(home).map_err(fail)?;
    std::fs::write(tmp.path(), &id).map_err(fail)?;
    match tmp.persist_noclobber(&path) {
        Ok(_) => Ok(Some(id)),
        // Another process wrote it first: its id is the one.
        Err(_) => read_id(&path),
    }
}

/// The id kept in `path`, `None` when there is no such file. A file that
/// holds anything but an id was not written by Latch: it is refused rather
/// than used (it names keyring entries) or replaced (that would orphan the
/// entries of the id it once held).
fn read_id(path: &std::path::Path) -> Result<Option<String>, Error> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::Storage(format!("cannot read {}: {e}", path.display()))),
    };
    let id = text.trim();
    if !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(Some(id.to_owned()));
    }
    Err(Error::Storage(format!(
        "{} does not hold a profile id (Latch writes 12 hexadecimal digits there); restore it from a backup, or \
         delete it if this data directory has never held an account.",
        path.display()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn private_dir() -> tempfile::TempDir {
        tempfile::tempdir().unwrap()
    }

    #[test]
    fn the_platforms_own_data_directory_is_the_default_profile() {
        let data = private_dir();
        // nextest runs each test in a process of its own: the variable is this test's.
        unsafe { std::env::set_var("XDG_DATA_HOME", data.path()) };
        let home = data.path().join("latch");
        assert_eq!(profile_of(&home).unwrap(), None);
        assert!(!home.join("profile").exists());
    }

    #[test]
    fn another_directory_gets_an_id_of_its_own_and_keeps_it() {
        let (a, b) = (private_dir(), private_dir());
        let id = profile_of(a.path()).unwrap().expect("a profile id");
        assert_eq!(id.len(), 12);
        assert!(id.bytes().all(|c| c.is_ascii_hexdigit()), "{id}");
        assert_eq!(std::fs::read_to_string(a.path().join("profile")).unwrap(), id);
        assert_eq!(
            profile_of(a.path()).unwrap(),
            Some(id.clone()),
            "the same id the next time"
        );
        assert_ne!(profile_of(b.path()).unwrap(), Some(id), "another directory, another id");
    }

    #[test]
    fn a_kept_id_is_read_as_written_and_anything_else_is_refused() {
        let home = private_dir();
        std::fs::write(home.path().join("profile"), "00c0ffee0123\n").unwrap();
        assert_eq!(profile_of(home.path()).unwrap().as_deref(), Some("00c0ffee0123"));
        for junk in ["", "  \n", "../other", "00c0ffee012z", &"a".repeat(65)] {
            std::fs::write(home.path().join("profile"), junk).unwrap();
            let e = profile_of(home.path()).unwrap_err();
            assert!(e.to_string().contains("does not hold a profile id"), "{junk:?}: {e}");
            assert_eq!(
                std::fs::read_to_string(home.path().join("profile")).unwrap(),
                junk,
                "left as it was"
            );
        }
    }
}
