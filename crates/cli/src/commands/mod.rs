//! One module per verb.

pub mod accounts;
pub mod add;
pub mod completions;
pub mod connect;
pub mod link;
pub mod remove;
pub mod revoke;
pub mod sandbox;
pub mod token;
pub mod window;

use crate::exit::Failure;
use std::io::{BufRead, IsTerminal};

/// Reads one line from stdin, without its line ending.
pub fn read_line() -> Result<String, Failure> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

/// Asks "… [y/N]" on a terminal; refuses to guess when stdin is not one.
pub fn confirm(question: &str, yes: bool) -> Result<bool, Failure> {
    if yes {
        return Ok(true);
    }
    if !std::io::stdin().is_terminal() {
        return Err(Failure::usage(format!(
            "{question} Add --yes to confirm when stdin is not a terminal."
        )));
    }
    eprint!("{question} [y/N] ");
    Ok(matches!(read_line()?.trim(), "y" | "Y" | "yes"))
}
