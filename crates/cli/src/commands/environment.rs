//! `latch env ACCOUNT[=VAR]… [--format sh|dotenv|json]`: the variables
//! `latch exec` sets, printed for `eval "$(latch env ID)"` or a file. They
//! are secrets: on a terminal a warning says so (on stderr, so it never
//! lands in the file).

use super::exec::{specs, variables};
use crate::cli::{EnvArgs, EnvFormat};
use crate::env::Env;
use crate::exit::Failure;
use std::io::Write;

pub async fn run(env: &mut Env<'_>, args: EnvArgs) -> Result<(), Failure> {
    let specs = specs(env.latch, &args.accounts)?;
    let vars = variables(env.latch, &specs, args.min_valid).await?;
    for spec in &specs {
        env.record_handout(&spec.account, latch_core::handouts::Verb::Env);
    }
    let format = if env.json { EnvFormat::Json } else { args.format };
    if std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        writeln!(
            env.stderr,
            "latch: these are live credentials; prefer `latch exec ACCOUNT -- COMMAND`, which keeps them out of files and shells."
        )?;
    }
    match format {
        EnvFormat::Json => {
            let map: serde_json::Map<String, serde_json::Value> = vars
                .into_iter()
                .map(|(n, v)| (n, serde_json::Value::String(v)))
                .collect();
            env.print_json(&map)?;
        }
        EnvFormat::Sh => {
            for (name, value) in vars {
                writeln!(env.stdout, "export {name}={}", sh_quote(&value))?;
            }
        }
        EnvFormat::Dotenv => {
            for (name, value) in vars {
                writeln!(env.stdout, "{name}={}", dotenv_quote(&value))?;
            }
        }
    }
    Ok(())
}

/// `'value'`, with `'` written as `'\''`: nothing inside is expanded.
fn sh_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

/// `"value"` with `\`, `"`, `$` and line breaks escaped, as dotenv readers
/// (python-dotenv, godotenv, docker compose) take it.
fn dotenv_quote(value: &str) -> String {
    let mut out = String::from("\"");
    for c in value.chars() {
        match c {
            '\\' => out.push_str(r"\\"),
            '"' => out.push_str("\\\""),
            '$' => out.push_str("\\$"),
            '\n' => out.push_str(r"\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_values_come_back_as_they_were() {
        let value = "a'b\"c$HOME\\d";
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("printf %s {}", sh_quote(value)))
            .output()
            .unwrap();
        assert_eq!(String::from_utf8(out.stdout).unwrap(), value);
        assert_eq!(dotenv_quote("x\"$y\n"), r#""x\"\$y\n""#);
    }
}
