//! What a command runs in, as one value: the opened [`Latch`], stdin, stdout
//! and stderr, whether stdin is a terminal, and how to open a browser (gh's
//! `IOStreams` and options pattern). The binary hands each verb the process's
//! own ([`Env::system`]); a test hands it bytes, buffers and a browser of its
//! own, and runs the verb in-process against the real core.

use crate::exit::Failure;
use latch_core::Latch;
use serde::Serialize;
use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

pub struct Env<'a> {
    pub latch: &'a Latch,
    /// `--json`: machine-readable output.
    pub json: bool,
    pub stdin: Box<dyn BufRead + 'a>,
    pub stdout: Box<dyn Write + 'a>,
    pub stderr: Box<dyn Write + 'a>,
    /// A terminal may be asked a question; a pipe may not (`--yes`).
    pub stdin_is_terminal: bool,
    /// A terminal's line may be redrawn (`latch link`'s countdown); a log's may not.
    pub stderr_is_terminal: bool,
    /// stdout's terminal (its width, whether to colour), `None` for a pipe:
    /// tables are aligned and cut to fit on one, tab-separated on the other.
    pub terminal: Option<crate::output::Terminal>,
    pub browser: Browser<'a>,
}

/// Opens a page (a file) in the person's browser; `Err` when there is none.
pub type Browser<'a> = Box<dyn Fn(&Path) -> std::io::Result<()> + 'a>;

impl<'a> Env<'a> {
    /// The process's own streams and the system browser.
    pub fn system(latch: &'a Latch, json: bool) -> Self {
        Self {
            latch,
            json,
            stdin: Box::new(std::io::stdin().lock()),
            stdout: Box::new(std::io::stdout()),
            stderr: Box::new(std::io::stderr()),
            stdin_is_terminal: std::io::stdin().is_terminal(),
            stderr_is_terminal: std::io::stderr().is_terminal(),
            terminal: crate::output::Terminal::of_stdout(),
            browser: Box::new(system_browser),
        }
    }

    /// Reads one line from stdin, without its line ending.
    pub fn read_line(&mut self) -> Result<String, Failure> {
        let mut line = String::new();
        self.stdin.read_line(&mut line)?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    }

    /// Asks for a line: the prompt on stderr when stdin is a terminal, and
    /// one line of stdin either way.
    pub fn ask(&mut self, prompt: &str) -> Result<String, Failure> {
        if self.stdin_is_terminal {
            write!(self.stderr, "{prompt}")?;
            self.stderr.flush()?;
        }
        self.read_line()
    }

    /// Asks for a secret: typed without echo on the terminal (which it
    /// reads itself), else one line of stdin.
    pub fn ask_secret(&mut self, prompt: &str) -> Result<String, Failure> {
        if self.stdin_is_terminal {
            Ok(rpassword::prompt_password(prompt)?)
        } else {
            self.read_line()
        }
    }

    /// Asks "… [y/N]" on a terminal; refuses to guess when stdin is not one.
    pub fn confirm(&mut self, question: &str, yes: bool) -> Result<bool, Failure> {
        if yes {
            return Ok(true);
        }
        if !self.stdin_is_terminal {
            return Err(Failure::usage(format!(
                "{question} Add --yes to confirm when stdin is not a terminal."
            )));
        }
        write!(self.stderr, "{question} [y/N] ")?;
        self.stderr.flush()?;
        Ok(matches!(self.read_line()?.trim(), "y" | "Y" | "yes"))
    }

    /// `value` as pretty JSON on stdout, one line ending after it.
    pub fn print_json(&mut self, value: &impl Serialize) -> Result<(), Failure> {
        Ok(crate::output::write_json(&mut self.stdout, value)?)
    }

    /// Notes a hand-out of `account`'s credential in the hand-out log. A log
    /// that cannot be written does not keep the person's own credential from
    /// them: it is one warning line on stderr, saying why and what to do.
    pub fn record_handout(&mut self, account: &latch_core::Account, verb: latch_core::handouts::Verb) {
        if let Err(e) = self.latch.record_handout(account, verb) {
            let _ = writeln!(self.stderr, "latch: warning: this hand-out is not in the log: {e}");
        }
    }
}

/// The desktop's opener (`xdg-open`, `open`, `explorer`), found on the PATH,
/// given the page's path.
fn system_browser(page: &Path) -> std::io::Result<()> {
    let program = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    };
    let status = std::process::Command::new(program)
        .arg(page)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()?;
    if status.success() {
        Ok(())
    } else {
        Err(std::io::Error::other("no browser"))
    }
}

/// Running a verb in-process: a Latch on a temporary home, an [`Env`] over
/// byte buffers, and what the verb wrote.
#[cfg(test)]
pub mod testing {
    use super::Env;
    use latch_core::store::MemoryStore;
    use latch_core::{EngineConfig, Latch};
    use std::cell::RefCell;
    use std::io::Write;
    use std::rc::Rc;
    use std::sync::Arc;

    /// A Latch whose index is in a temporary directory and whose secrets
    /// are in the core's [`MemoryStore`] (no keyring needed).
    pub struct Home {
        pub latch: Latch,
        pub secrets: Arc<MemoryStore>,
        _dir: tempfile::TempDir,
    }

    impl Home {
        pub fn new() -> Self {
            let dir = tempfile::tempdir().expect("a temporary LATCH_HOME");
            let secrets = Arc::new(MemoryStore::new());
            let latch = Latch::with_secrets(Some(dir.path().to_owned()), secrets.clone(), EngineConfig::default())
                .expect("a Latch on the temporary home");
            Self {
                latch,
                secrets,
                _dir: dir,
            }
        }
    }

    /// A writer a test reads back after the verb has run.
    #[derive(Clone, Default)]
    pub struct Captured(Rc<RefCell<Vec<u8>>>);

    impl Captured {
        pub fn text(&self) -> String {
            String::from_utf8(self.0.borrow().clone()).expect("UTF-8 output")
        }
    }

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    pub struct Streams {
        pub stdout: Captured,
        pub stderr: Captured,
    }

    /// An Env over `stdin`'s bytes, with no browser (`--no-browser`'s path).
    pub fn env<'a>(latch: &'a Latch, json: bool, stdin: &'a str, terminal: bool) -> (Env<'a>, Streams) {
        with_stdin(latch, json, Box::new(stdin.as_bytes()), terminal)
    }

    pub fn with_stdin<'a>(
        latch: &'a Latch,
        json: bool,
        stdin: Box<dyn std::io::BufRead + 'a>,
        terminal: bool,
    ) -> (Env<'a>, Streams) {
        let streams = Streams {
            stdout: Captured::default(),
            stderr: Captured::default(),
        };
        let env = Env {
            latch,
            json,
            stdin,
            stdout: Box::new(streams.stdout.clone()),
            stderr: Box::new(streams.stderr.clone()),
            stdin_is_terminal: terminal,
            stderr_is_terminal: false,
            terminal: None,
            browser: Box::new(|_| Err(std::io::Error::other("no browser in this test"))),
        };
        (env, streams)
    }

    /// A demo account (`latch_sandbox::demo`) pointed at the fixed sandbox
    /// ports, added under `id`; no fake needs to run for verbs that do not
    /// call the provider.
    pub fn add_demo(latch: &Latch, draft: latch_core::providers::AccountDraft, id: &str) -> latch_core::Account {
        let (account, secrets) = latch_sandbox::harness::account(draft, id);
        latch.add(account, secrets).expect("the demo account is added")
    }

    pub fn fixed_urls() -> latch_sandbox::demo::BaseUrls {
        latch_sandbox::demo::BaseUrls::of_ports(latch_sandbox::Ports::FIXED)
    }

    /// The sandbox's Wordapp robot (client credentials), at the fixed ports.
    pub fn wordapp_robot() -> latch_core::providers::AccountDraft {
        latch_sandbox::demo::wordapp(
            &fixed_urls(),
            &latch_sandbox::DemoCredentials::default(),
            latch_sandbox::harness::SCHEME_REDIRECT,
            latch_core::model::Grant::ClientCredentials,
        )
    }

    /// `latch WORDS…` parsed as `latch` parses it, and the arguments of its
    /// `Command::$verb` taken out: `parsed!(Revoke, &["revoke", "robot"])`.
    macro_rules! parsed {
        ($verb:ident, $words:expr) => {
            match $crate::env::testing::parse($words) {
                $crate::cli::Command::$verb(args) => args,
                other => panic!("parsed as {other:?}"),
            }
        };
    }
    pub(crate) use parsed;

    /// The command line's parse, as `latch` would do it.
    pub fn parse(args: &[&str]) -> crate::cli::Command {
        use clap::Parser;
        let cli = crate::cli::Cli::try_parse_from(std::iter::once("latch").chain(args.iter().copied()))
            .unwrap_or_else(|e| panic!("latch {args:?} does not parse: {e}"));
        cli.command.expect("a command")
    }
}
