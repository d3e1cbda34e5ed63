//! White Label ("simplified") authorization: the partner's machine token from
//! `client_credentials`, exchanged for an end customer's tokens (auth-simplified page,
//! providers.md §1.3). The exchange's request shape was not recoverable; its names come
//! from [`super::TokenExchange`].

use axum::response::Response;
use serde_json::Value;

use super::errors::E;
use super::{WazzupPartner, WazzupSettings, WazzupState, error, field, issue};
use crate::grants::{Grant, TokenCheck};
use crate::lock;

pub(super) fn client_credentials(
    st: &WazzupState,
    s: &WazzupSettings,
    partner: &WazzupPartner,
    body: &Value,
) -> Response {
    let Some(scope) = body.get("client_credentials_data").and_then(|d| field(d, "scope")) else {
        return error(s, E::Validation);
    };
    let scopes: Vec<&str> = scope.split(',').map(str::trim).collect();
    if scopes.iter().any(|sc| sc.is_empty()) {
        return error(s, E::Validation);
    }
    if scopes.iter().any(|sc| !partner.allowed_scopes.iter().any(|a| a == sc)) {
        return error(s, E::ScopeForbidden);
    }
    let grant = Grant {
        client_id: partner.client_id.clone(),
        subject: None,
        scope: scopes.join(","),
    };
    issue(st, s, grant, s.machine_token_has_refresh_token)
}

pub(super) fn exchange(st: &WazzupState, s: &WazzupSettings, partner: &WazzupPartner, body: &Value) -> Response {
    let Some(data) = body.get(&s.token_exchange.data_field).filter(|d| d.is_object()) else {
        return error(s, E::Validation);
    };
    let account = data.get("account_id").and_then(|v| {
        v.as_str()
            .map(str::to_owned)
            .or_else(|| v.as_u64().map(|n| n.to_string()))
    });
    let (Some(subject_token), Some(subject_token_type), Some(account)) =
        (field(data, "subject_token"), field(data, "subject_token_type"), account)
    else {
        return error(s, E::Validation);
    };
    let machine = match lock(&st.tokens).check_access(subject_token, st.core.clock.now()) {
        TokenCheck::Valid(g) if g.subject.is_none() => g,
        _ => return error(s, E::PartnerToken),
    };
    if subject_token_type != s.token_exchange.subject_token_type {
        return error(s, E::SubjectTokenType);
    }
    if machine.client_id != partner.client_id {
        return error(s, E::RequestedSubject);
    }
    if !s
        .accounts
        .iter()
        .any(|a| a.account_id == account && a.partner_client_id == partner.client_id)
    {
        return error(s, E::ClientNotOfPartner);
    }
    let grant = Grant {
        client_id: partner.client_id.clone(),
        subject: Some(account),
        scope: machine.scope,
    };
    issue(st, s, grant, true)
}
