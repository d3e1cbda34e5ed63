//! `latch`: the command line over Latch's core.
//!
//! It links only the core (no GTK, no WebKit) so that `latch token` answers
//! about as fast as the keyring does. With no command it starts the window.
//! Each verb lives in its own module under `commands/`; this file parses the
//! command line, runs the verb, and turns a failure into one line on stderr
//! and an exit status (see `exit.rs`).

mod cli;
mod commands;
mod env;
mod exit;
mod output;

use clap::Parser;
use cli::{Cli, Command};
use env::Env;
use exit::Failure;
use std::process::ExitCode;

fn main() -> ExitCode {
    // A shell asking what to complete (see commands/completions.rs) is
    // answered here, and nothing else runs.
    clap_complete::env::CompleteEnv::with_factory(<Cli as clap::CommandFactory>::command)
        .var(commands::completions::VAR)
        .complete();
    if let Some(mut help) = provider_help() {
        let _ = help.print_help();
        return ExitCode::SUCCESS;
    }
    let cli = Cli::parse();
    let Some(command) = cli.command else {
        return commands::window::start().unwrap_or_else(|f| f.exit());
    };
    match run(command, cli.json) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.exit(),
    }
}

fn run(command: Command, json: bool) -> Result<(), Failure> {
    match command {
        Command::Completions { shell } => Ok(commands::completions::print(shell)?),
        Command::Sandbox { any_port, add_accounts } => {
            let latch = if add_accounts { Some(open()?) } else { None };
            commands::sandbox::run(any_port, latch.as_ref(), json)
        }
        Command::Doctor(args) => commands::doctor::run(json, args.sandbox_ports),
        Command::Accounts => commands::accounts::run(&mut Env::system(&open()?, json)),
        Command::Add(args) => block_on(commands::add::run(&mut Env::system(&open()?, json), *args)),
        Command::Discover(args) => block_on(commands::discover::run(&mut Env::system(&open()?, json), args)),
        Command::Remove(args) => commands::remove::run(&mut Env::system(&open()?, json), args),
        Command::Store(command) => commands::store::run(&mut Env::system(&open()?, json), command),
        Command::Show(args) => commands::show::run(&mut Env::system(&open()?, json), args),
        Command::Rename(args) => commands::edit::rename(&mut Env::system(&open()?, json), args),
        Command::Export(args) => commands::transfer::export(&mut Env::system(&open()?, json), args),
        Command::Import(args) => commands::transfer::import(&mut Env::system(&open()?, json), args),
        Command::Edit(args) => commands::edit::run(&mut Env::system(&open()?, json), args),
        Command::Key(args) => commands::key::run(&mut Env::system(&open()?, json), args),
        Command::Connect(args) => block_on(commands::connect::run(&mut Env::system(&open()?, json), args)),
        Command::Link(args) => block_on(commands::link::run(&mut Env::system(&open()?, json), args)),
        Command::Token(args) => block_on(commands::token::token(&mut Env::system(&open()?, json), &args)),
        Command::Header(args) => block_on(commands::token::header(&mut Env::system(&open()?, json), &args)),
        Command::Api(args) => block_on(commands::api::run(&mut Env::system(&open()?, json), args)),
        Command::Exec(args) => block_on(commands::exec::run(&open()?, args)),
        Command::Env(args) => block_on(commands::environment::run(&mut Env::system(&open()?, json), args)),
        Command::Status(args) => block_on(commands::status::run(&mut Env::system(&open()?, json), args)),
        Command::Refresh(args) => block_on(commands::token::refresh(
            &mut Env::system(&open()?, json),
            &args.account,
        )),
        Command::Log(args) => commands::log::run(&mut Env::system(&open()?, json), args),
        Command::Revoke(args) => block_on(commands::revoke::run(&mut Env::system(&open()?, json), args)),
    }
}

/// `latch add <provider> --help` (or `-h`): that provider's flags only.
fn provider_help() -> Option<clap::Command> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let words: Vec<&str> = args.iter().map(String::as_str).filter(|a| *a != "--json").collect();
    match words.as_slice() {
        ["add", provider, rest @ ..] if rest.iter().any(|a| *a == "--help" || *a == "-h") => {
            cli::add_help_for(provider)
        }
        _ => None,
    }
}

fn open() -> Result<latch_core::Latch, Failure> {
    Ok(latch_core::Latch::open(None)?)
}

/// One thread is plenty for one command, and starts fastest.
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a Tokio runtime")
        .block_on(future)
}
