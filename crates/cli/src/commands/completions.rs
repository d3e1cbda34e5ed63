//! `latch completions <shell>`: the shell's registration of clap's dynamic
//! completion. The shell then asks `latch` itself (`COMPLETE=<shell> latch --
//! <words>`, answered in `main` before anything else runs) what may come next,
//! so the account ids of this computer complete as commands and flags do.

use clap_complete::env::Shells;
use std::io::Write;

/// The variable that turns a run of `latch` into a completion request.
pub const VAR: &str = "COMPLETE";

pub fn print(shell: clap_complete::Shell) -> std::io::Result<()> {
    let name = shell.to_string();
    let shells = Shells::builtins();
    let completer = shells
        .completer(&name)
        .expect("clap_complete's shells are its builtins");
    let mut out = Vec::new();
    completer.write_registration(VAR, "latch", "latch", "latch", &mut out)?;
    std::io::stdout().write_all(&out)
}
