//! What the window's commands share: Latch's core, opened once.

use latch_core::accounts::Latch;

pub struct AppState {
    /// Opening can fail (an unwritable data directory); the window still
    /// starts and every command answers with the reason.
    latch: Result<Latch, String>,
}

impl AppState {
    pub fn open() -> Self {
        Self {
            latch: Latch::open(None).map_err(|e| e.to_string()),
        }
    }

    pub fn latch(&self) -> Result<&Latch, String> {
        self.latch.as_ref().map_err(Clone::clone)
    }
}
