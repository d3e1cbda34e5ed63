//! `latch sandbox`: the fake providers, for trying Latch with no credentials.
//!
//! It tries the README's ports (8971–8975) first; a fake whose port another
//! program holds gets one the OS chooses, and stderr says so. Whatever is
//! printed, and whatever `--add-accounts` points the demo accounts at, is an
//! address this process serves: a listener that was there first is never
//! taken for a fake (`latch_sandbox::demo` says why).

use crate::exit::Failure;
use crate::output::print_json;
use latch_core::Latch;
use latch_sandbox::demo;
use latch_sandbox::{Ports, Sandbox, SandboxConfig};

/// `add_accounts`: the demo accounts the window's "Try the sandbox" adds,
/// pointed at these fakes (they come back to the window by deep link; the
/// Wordapp robot is connected at once).
pub fn run(any_port: bool, add_accounts: Option<&Latch>, json: bool) -> Result<(), Failure> {
    let config = SandboxConfig::demo();
    crate::block_on(async {
        let started = if any_port {
            Sandbox::start(config).await
        } else {
            Sandbox::start_preferring(&config.demo, Ports::FIXED).await
        };
        let sandbox = started.map_err(|e| Failure {
            status: 1,
            message: format!("could not start the sandbox on 127.0.0.1: {e}"),
        })?;
        for (name, port, url) in sandbox.moved(if any_port { Ports::default() } else { Ports::FIXED }) {
            eprintln!(
                "Port {port} is taken by another program, so the {name} fake is on {url} instead \
                 (the README's examples use {port}: change it in them)."
            );
        }
        if let Some(latch) = add_accounts {
            let redirect = format!("{}:/oauth/callback", latch_core::signin::SCHEME);
            for account in demo::add_accounts(latch, &sandbox.base_urls(), &redirect).await? {
                eprintln!("Added the demo account {} ({}).", account.id, account.label);
            }
        }
        let servers = sandbox.describe();
        if json {
            let map: serde_json::Map<String, serde_json::Value> = servers
                .iter()
                .map(|(name, url)| (name.to_string(), url.clone().into()))
                .collect();
            print_json(&map);
        } else {
            println!("Latch sandbox: fake providers on 127.0.0.1 (Ctrl-C stops them)");
            for (name, url) in &servers {
                println!("  {name:<10} {url}");
            }
            println!("Demo credentials and `latch add` examples: see the README, section \"Try it: the sandbox\".");
        }
        use std::io::Write;
        let _ = std::io::stdout().flush();
        let _ = tokio::signal::ctrl_c().await;
        drop(sandbox);
        Ok(())
    })
}
