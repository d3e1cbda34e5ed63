//! Latch's core: everything that is not a window.
//!
//! The flows, the provider profiles, the store and the scheduler live here so
//! that the `latch` command line and the tests use them without a webview, and
//! the Tauri layer (`src-tauri/`) stays a thin shell of commands and events.

pub mod model;
pub mod secret;
pub mod store;

pub use model::{Account, AccountId, AccountSecrets, AccountStatus, ProviderKind, TokenSet};
