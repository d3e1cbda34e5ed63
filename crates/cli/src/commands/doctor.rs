//! `latch doctor`: the core's checks (`latch_core::doctor`), one line each,
//! or `--json`. Runs without opening a Latch: a data directory that is not
//! private, or no keyring, is what it is there to report, not a reason to stop.

use crate::exit::{self, Failure};
use latch_core::doctor::{self, Check, Setup, Status};
use std::io::Write;

/// The ports `latch sandbox` tries first, named as the README's table names the fakes.
pub fn sandbox_ports() -> Vec<(&'static str, u16)> {
    let fixed = latch_sandbox::Ports::FIXED;
    vec![
        ("Wazzup", fixed.wazzup),
        ("PayU", fixed.payu),
        ("Wordapp", fixed.wordapp),
        ("GREEN-API", fixed.green_api),
        ("OAuth 2.0", fixed.oauth2),
    ]
}

/// `ports`: checked instead of the sandbox's own, in the fakes' order (tests
/// hold ports of their choosing).
pub fn run(json: bool, ports: Option<Vec<u16>>) -> Result<(), Failure> {
    let sandbox_ports = match ports {
        Some(ports) => sandbox_ports()
            .into_iter()
            .zip(ports)
            .map(|((name, _), port)| (name, port))
            .collect(),
        None => sandbox_ports(),
    };
    let setup = Setup {
        home: None,
        sandbox_ports,
        built_at: env!("LATCH_BUILT_AT").parse().expect("build.rs writes a number"),
    };
    let checks = doctor::run(&setup);
    let mut out = std::io::stdout().lock();
    if json {
        crate::output::write_json(&mut out, &checks)?;
    } else {
        print(&mut out, &checks)?;
    }
    verdict(&checks)
}

/// One line per check: its status, its name, what was found and what to do.
pub fn print(out: &mut dyn Write, checks: &[Check]) -> std::io::Result<()> {
    let width = checks.iter().map(|c| c.check.len()).max().unwrap_or(0);
    for check in checks {
        let status = match check.status {
            Status::Ok => "ok",
            Status::Warn => "warn",
            Status::Fail => "FAIL",
        };
        let said = match &check.fix {
            Some(fix) => format!("{}; {fix}.", check.found),
            None => format!("{}.", check.found),
        };
        writeln!(out, "{status:<4}  {:<width$}  {said}", check.check)?;
    }
    Ok(())
}

/// Exit status 0 with warnings only; [`exit::DOCTOR`] when a check failed.
fn verdict(checks: &[Check]) -> Result<(), Failure> {
    let failed: Vec<&str> = checks
        .iter()
        .filter(|c| c.status == Status::Fail)
        .map(|c| c.check)
        .collect();
    if failed.is_empty() {
        return Ok(());
    }
    Err(Failure {
        status: exit::DOCTOR,
        message: format!(
            "{} of {} checks failed ({}); each line above says what to do",
            failed.len(),
            checks.len(),
            failed.join(", ")
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(name: &'static str, status: Status, found: &str, fix: Option<&str>) -> Check {
        Check {
            check: name,
            status,
            found: found.into(),
            fix: fix.map(Into::into),
        }
    }

    #[test]
    fn each_check_is_one_aligned_line_with_its_fix() {
        let checks = [
            check("keyring", Status::Ok, "The keyring answers", None),
            check("url-scheme", Status::Fail, "Nothing opens links", Some("run `x`")),
            check("clock", Status::Warn, "The clock drifts", Some("turn NTP on")),
        ];
        let mut out = Vec::new();
        print(&mut out, &checks).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "ok    keyring     The keyring answers.\n\
             FAIL  url-scheme  Nothing opens links; run `x`.\n\
             warn  clock       The clock drifts; turn NTP on.\n"
        );
    }

    #[test]
    fn warnings_pass_and_a_failure_names_the_failed_checks() {
        let warned = [check("clock", Status::Warn, "drifts", Some("fix"))];
        assert!(verdict(&warned).is_ok());
        let failed = [
            check("keyring", Status::Fail, "locked", Some("unlock it")),
            check("clock", Status::Warn, "drifts", Some("fix")),
        ];
        let failure = verdict(&failed).unwrap_err();
        assert_eq!(failure.status, exit::DOCTOR);
        assert_eq!(
            failure.message,
            "1 of 2 checks failed (keyring); each line above says what to do"
        );
    }

    #[test]
    fn the_ports_checked_are_the_ones_latch_sandbox_tries_first() {
        let ports: Vec<u16> = sandbox_ports().iter().map(|&(_, p)| p).collect();
        assert_eq!(ports, [8971, 8972, 8973, 8974, 8975]);
    }
}
