//! `latch completions <shell>`: clap's generator.

use clap::CommandFactory;

pub fn print(shell: clap_complete::Shell) {
    clap_complete::generate(shell, &mut crate::cli::Cli::command(), "latch", &mut std::io::stdout());
}
