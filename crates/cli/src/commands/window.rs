//! `latch` with no command opens the window: `latch-desktop` next to this
//! binary, or on the PATH.

use crate::exit::Failure;
use std::process::ExitCode;

pub fn start() -> Result<ExitCode, Failure> {
    let beside = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(|d| d.join("latch-desktop")));
    let program = beside.filter(|p| p.exists()).unwrap_or_else(|| "latch-desktop".into());
    std::process::Command::new(&program).spawn().map_err(|e| {
        // Issue 19: a `latch` without its window exited 1, the code of a bug.
        let why = match e.kind() {
            std::io::ErrorKind::NotFound => {
                "the window, latch-desktop, is not installed beside latch or on the PATH".to_owned()
            }
            _ => format!("could not start the window ({}): {e}", program.display()),
        };
        Failure::usage(format!(
            "{why}. Every command works without it: `latch accounts`, `latch add`, `latch connect`, \
             `latch token`; `latch --help` lists them all."
        ))
    })?;
    Ok(ExitCode::SUCCESS)
}
