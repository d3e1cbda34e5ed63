//! Exit statuses: what kind of failure it was, for scripts. Documented in the
//! README; keep the numbers stable.

use latch_core::ErrorKind;
use std::process::ExitCode;

/// The command line was wrong (clap uses 2 as well).
pub const USAGE: u8 = 2;
/// No such account.
pub const NOT_FOUND: u8 = 3;
/// The account must be connected again (refresh token refused, revoked, or
/// its server changed and the change is not confirmed yet).
pub const NEEDS_RECONNECT: u8 = 4;
/// The provider refused the request, or sent an answer Latch cannot read.
pub const PROVIDER: u8 = 5;
/// The provider could not be reached or did not answer in time.
pub const NETWORK: u8 = 6;
/// The keyring or the data directory failed.
pub const STORAGE: u8 = 7;
/// The sign-in callback was rejected, expired or cancelled.
pub const CALLBACK: u8 = 8;
/// `latch api`: the API answered with an HTTP error (4xx or 5xx); its body
/// is printed all the same, as curl's `--fail-with-body` does.
pub const HTTP_ERROR: u8 = 9;
/// `latch link`: the link code expired before it was typed (same number as
/// CALLBACK: a sign-in that did not complete in time).
pub const LINK_EXPIRED: u8 = CALLBACK;
/// `latch doctor`: at least one check failed (warnings alone exit 0).
pub const DOCTOR: u8 = 10;

pub fn for_kind(kind: ErrorKind) -> u8 {
    match kind {
        ErrorKind::Network | ErrorKind::Timeout => NETWORK,
        ErrorKind::ProviderRefused | ErrorKind::InvalidAnswer => PROVIDER,
        ErrorKind::NeedsReconnect | ErrorKind::ServerChanged => NEEDS_RECONNECT,
        ErrorKind::Storage => STORAGE,
        ErrorKind::InvalidInput => USAGE,
        ErrorKind::CallbackRejected => CALLBACK,
        ErrorKind::NotFound => NOT_FOUND,
    }
}

/// A failure of a command: one line on stderr and its exit status.
#[derive(Debug)]
pub struct Failure {
    pub status: u8,
    pub message: String,
}

impl Failure {
    pub fn usage(message: impl Into<String>) -> Self {
        Self {
            status: USAGE,
            message: message.into(),
        }
    }

    /// An empty message says nothing (`latch exec` passing its command's
    /// status on).
    pub fn exit(&self) -> ExitCode {
        if !self.message.is_empty() {
            eprintln!("latch: {}", self.message);
        }
        ExitCode::from(self.status)
    }
}

impl From<latch_core::Error> for Failure {
    fn from(e: latch_core::Error) -> Self {
        Self {
            status: for_kind(e.kind()),
            message: e.to_string(),
        }
    }
}

impl From<latch_core::store::StoreError> for Failure {
    fn from(e: latch_core::store::StoreError) -> Self {
        latch_core::Error::from(e).into()
    }
}

impl From<latch_core::store::SecretStoreError> for Failure {
    fn from(e: latch_core::store::SecretStoreError) -> Self {
        latch_core::Error::from(e).into()
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Self {
            status: 1,
            message: e.to_string(),
        }
    }
}
