//! `latch`: the command line over Latch's core.
//!
//! It links only the core (no GTK, no WebKit) so that `latch token` answers
//! about as fast as the keyring does. With no command it starts the window.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        None => start_window(),
        Some("--version" | "-V") => {
            println!("latch {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Some(other) => {
            eprintln!("latch: unknown command `{other}`; the command line is being built (see `latch --version`)");
            ExitCode::from(2)
        }
    }
}

/// `latch` with no command opens the window: `latch-desktop` next to this
/// binary, or on the PATH.
fn start_window() -> ExitCode {
    let beside = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(|d| d.join("latch-desktop")));
    let program = beside.filter(|p| p.exists()).unwrap_or_else(|| "latch-desktop".into());
    match std::process::Command::new(&program).spawn() {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!(
                "latch: could not start the window ({}): {e}; run `latch <command>` for the command line",
                program.display()
            );
            ExitCode::from(1)
        }
    }
}
