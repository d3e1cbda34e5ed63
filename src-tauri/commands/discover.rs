//! "Discover from issuer" in the Other OAuth 2.0 connect dialog: the core
//! reads the server's metadata (`Engine::discover`: RFC 8414, then OpenID
//! Connect; the issuer checked exactly, every endpoint https or loopback)
//! and fills the form's empty fields the way `latch add oauth2 --issuer`
//! fills its draft (`ServerMetadata::fill`). Nothing is saved here: the
//! dialog shows what was found and the person edits or saves it.
//!
//! The metadata is public, and the form's values cross without the secret
//! (the command has no place for one).

use crate::state::AppState;
use latch_core::Error;
use latch_core::model::ProviderKind;
use latch_core::providers::AccountDraft;
use latch_core::providers::discovery::ServerMetadata;
use serde::Serialize;
use std::collections::BTreeMap;
use tauri::State;

/// What the dialog shows after Discover.
#[derive(Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Discovered {
    pub issuer: String,
    /// The document it was read from.
    pub source: String,
    /// The form's values with its empty fields filled: field name → value.
    pub values: BTreeMap<String, String>,
    /// The fields discovery filled, in the form's order.
    pub filled: Vec<String>,
    /// The fields the person had set to something else than the server
    /// says: theirs are kept.
    pub kept: Vec<String>,
    /// Each endpoint the server has, as (what it is, its URL), in the order
    /// a flow meets them.
    pub endpoints: Vec<(String, String)>,
    /// `code_challenge_methods_supported`; empty when the server says nothing.
    pub pkce_methods: Vec<String>,
    /// `token_endpoint_auth_methods_supported`.
    pub client_auth_methods: Vec<String>,
    /// `grant_types_supported`.
    pub grants: Vec<String>,
    /// The server names itself (`iss`) on authorization responses, so an
    /// answer without it will be refused (RFC 9207).
    pub requires_iss: bool,
    /// What else the person should know, a sentence each.
    pub notes: Vec<String>,
}

/// Reads the metadata of `issuer` and fills the empty fields among `values`
/// (the form's, field name → value; the ones the person left at their
/// default count as empty, the page leaves them out).
#[tauri::command]
pub async fn discover_issuer(
    state: State<'_, AppState>,
    issuer: String,
    values: BTreeMap<String, String>,
) -> Result<Discovered, Error> {
    let latch = state.latch()?;
    let metadata = latch.engine().discover(&issuer).await?;
    let mut draft = AccountDraft::new(ProviderKind::Oauth2);
    draft.values = values;
    let filled = metadata.fill(&mut draft)?;
    let kept = metadata
        .fields()
        .into_iter()
        .filter(|f| !filled.contains(f) && draft.values.get(f.field).map(|v| v.trim()) != Some(f.value.as_str()))
        .map(|f| f.field.to_owned())
        .collect();
    Ok(Discovered {
        issuer: metadata.issuer.clone(),
        source: metadata.source.clone(),
        filled: filled.iter().map(|f| f.field.to_owned()).collect(),
        kept,
        values: draft.values,
        endpoints: endpoints(&metadata),
        pkce_methods: metadata.code_challenge_methods_supported.clone(),
        client_auth_methods: metadata.token_endpoint_auth_methods_supported.clone(),
        grants: metadata.grant_types_supported.clone(),
        requires_iss: metadata.authorization_response_iss_parameter_supported,
        notes: metadata.notes(),
    })
}

/// The endpoints the metadata names, as `latch discover` lists them, each
/// name starting with a capital as the dialog shows it.
fn endpoints(metadata: &ServerMetadata) -> Vec<(String, String)> {
    metadata
        .endpoints()
        .into_iter()
        .map(|(name, url, _)| {
            let mut shown = name.to_owned();
            shown[..1].make_ascii_uppercase();
            (shown, url.to_owned())
        })
        .collect()
}
