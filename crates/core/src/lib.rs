//! Latch's core: everything that is not a window.
//!
//! The flows, the provider profiles, the store and the scheduler live here so
//! that the `latch` command line and the tests use them without a webview, and
//! the Tauri layer (`src-tauri/`) stays a thin shell of commands and events.

pub mod api;
pub mod binding;
pub mod checker;
pub mod details;
pub mod doctor;
pub mod error;
pub mod flows;
#[doc(hidden)]
pub mod fuzzing;
pub mod handoff;
pub mod handouts;
pub mod http;
pub mod jose;
pub mod jwt;
pub mod latch;
pub mod model;
pub mod phone;
pub mod pkce;
pub mod providers;
pub mod redirect;
pub mod scheduler;
pub mod secret;
pub mod signin;
pub mod store;
pub mod time;
pub mod transfer;

pub use error::{Error, ErrorKind};
pub use flows::{CallbackParams, CrossProcessLock, Engine, EngineConfig, PendingFlow, RevokeOutcome};
pub use latch::Latch;
pub use model::{Account, AccountId, AccountSecrets, AccountStatus, ProviderKind, TokenSet};
