//! `latch discover ISSUER`: what a server's metadata says, and what
//! `latch add oauth2 --issuer` would take from it, without adding anything.
//! The metadata is public: nothing secret is sent or printed.

use crate::cli::DiscoverArgs;
use crate::env::Env;
use crate::exit::Failure;
use latch_core::providers::discovery::ServerMetadata;
use std::io::Write;

pub async fn run(env: &mut Env<'_>, args: DiscoverArgs) -> Result<(), Failure> {
    let metadata = env.latch.engine().discover(&args.issuer).await?;
    if env.json {
        let fields: serde_json::Map<String, serde_json::Value> = metadata
            .fields()
            .into_iter()
            .map(|f| (f.field.to_owned(), f.value.into()))
            .collect();
        return env.print_json(&serde_json::json!({
            "metadata": metadata,
            "fields": fields,
            "notes": metadata.notes(),
        }));
    }
    let out = &mut env.stdout;
    writeln!(out, "issuer: {}", metadata.issuer)?;
    writeln!(out, "read from: {}", metadata.source)?;
    for line in endpoint_lines(&metadata) {
        writeln!(out, "{line}")?;
    }
    let list = |items: &[String]| {
        if items.is_empty() {
            "none said".to_owned()
        } else {
            items.join(", ")
        }
    };
    writeln!(
        out,
        "PKCE methods: {}",
        list(&metadata.code_challenge_methods_supported)
    )?;
    writeln!(
        out,
        "client authentication: {}",
        list(&metadata.token_endpoint_auth_methods_supported)
    )?;
    writeln!(out, "grants: {}", list(&metadata.grant_types_supported))?;
    writeln!(
        out,
        "names itself on authorization responses (iss): {}",
        if metadata.authorization_response_iss_parameter_supported {
            "yes"
        } else {
            "no"
        }
    )?;
    let fields: Vec<String> = metadata
        .fields()
        .iter()
        .map(|f| format!("{}={}", f.field, f.value))
        .collect();
    writeln!(out, "latch add oauth2 --issuer would set: {}", fields.join(" "))?;
    for note in metadata.notes() {
        writeln!(env.stderr, "{note}")?;
    }
    Ok(())
}

/// One line per endpoint the server has, in the order a flow meets them;
/// the ones no flow of Latch's uses yet say so.
pub fn endpoint_lines(metadata: &ServerMetadata) -> Vec<String> {
    metadata
        .endpoints()
        .into_iter()
        .map(|(name, url, used)| format!("{name}: {url}{}", if used { "" } else { " (not used yet)" }))
        .collect()
}
