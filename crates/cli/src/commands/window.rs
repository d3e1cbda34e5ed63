//! `latch` with no command opens the window: `latch-desktop` next to this
//! binary, or on the PATH.

use crate::exit::Failure;
use std::process::ExitCode;

pub fn start() -> Result<ExitCode, Failure> {
    let beside = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(|d| d.join("latch-desktop")));
    let program = beside.filter(|p| p.exists()).unwrap_or_else(|| "latch-desktop".into());
    std::process::Command::new(&program).spawn().map_err(|e| Failure {
        status: 1,
        message: format!(
            "could not start the window ({}): {e}; `latch --help` lists the commands",
            program.display()
        ),
    })?;
    Ok(ExitCode::SUCCESS)
}
