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
    if let Ok(id) = std::fs::read_to_string(&path) {
        let id = id.trim();
        if !id.is_empty() && id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(Some(id.to_owned()));
        }
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
        Err(_) => Ok(std::fs::read_to_string(&path)
            .ok()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())),
    }
}
