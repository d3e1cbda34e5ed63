//! The commands the window may call, grouped by what they act on. Each is
//! granted to the window by name in `capabilities/main.json`. Every command
//! that can fail answers with the core's [`latch_core::Error`], which reaches
//! the page as an `ErrorReport` (ui/src/lib/bindings/ErrorReport.ts); the
//! few failures of the shell's own are written as core errors too.

mod account;
mod accounts;
mod connect;
mod device;
mod discover;
mod link;
mod sandbox;
mod tokens;
mod transfer;
mod window;

pub use accounts::*;
pub use connect::*;
pub use device::*;
pub use discover::*;
pub use link::*;
pub use sandbox::*;
pub use tokens::*;
pub use transfer::*;
pub use window::*;

/// The system clipboard refused a write.
fn clipboard_failed(e: impl std::fmt::Display) -> latch_core::Error {
    latch_core::Error::InvalidInput(format!(
        "Latch could not put it on the clipboard ({e}); try again, and check that a clipboard is running."
    ))
}
