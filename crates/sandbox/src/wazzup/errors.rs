//! Wazzup's error vocabulary: the `OAUTH_*` codes of document 000, the full names
//! chosen for the ones the document cuts off, and the HTTP status each one gets.

use std::collections::HashMap;

use axum::response::Response;
use serde_json::json;

use crate::util::{json, status};

/// Full names for the codes document 000 cuts off. *Assumption*: the names are guesses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErrorCodes {
    pub redirect_uri_mismatch: String,
    pub authorization_code_invalid: String,
    pub authorization_header_invalid: String,
    pub code_challenge_method_unsupported: String,
    pub requested_subject_mismatch: String,
    pub subject_token_type_invalid: String,
    pub refresh_token_invalid: String,
    pub partner_token_invalid: String,
    pub token_invalid_or_expired: String,
    pub token_unknown_or_revoked: String,
    pub client_not_of_partner: String,
}

impl Default for ErrorCodes {
    fn default() -> Self {
        Self {
            redirect_uri_mismatch: "OAUTH_REDIRECT_URI_MISMATCH".into(),
            authorization_code_invalid: "OAUTH_AUTHORIZATION_CODE_INVALID".into(),
            authorization_header_invalid: "OAUTH_AUTHORIZATION_HEADER_INVALID".into(),
            code_challenge_method_unsupported: "OAUTH_CODE_CHALLENGE_METHOD_UNSUPPORTED".into(),
            requested_subject_mismatch: "OAUTH_REQUESTED_SUBJECT_MISMATCH".into(),
            subject_token_type_invalid: "OAUTH_SUBJECT_TOKEN_TYPE_INVALID".into(),
            refresh_token_invalid: "OAUTH_REFRESH_TOKEN_INVALID".into(),
            partner_token_invalid: "OAUTH_INVALID_PARTNER_TOKEN".into(),
            token_invalid_or_expired: "OAUTH_TOKEN_INVALID_OR_EXPIRED".into(),
            token_unknown_or_revoked: "OAUTH_TOKEN_UNKNOWN_OR_REVOKED".into(),
            client_not_of_partner: "OAUTH_CLIENT_NOT_BELONGS_TO_PARTNER".into(),
        }
    }
}

/// The document's error families, named by [`ErrorCodes`] where the document cut the name.
#[derive(Clone, Copy, Debug)]
pub(crate) enum E {
    Validation,
    InvalidGrantType,
    RedirectMismatch,
    CodeInvalid,
    ChallengeMethod,
    CodeVerifier,
    RequestedSubject,
    SubjectTokenType,
    ClientIdMismatch,
    RefreshInvalid,
    AuthHeader,
    PartnerToken,
    TokenInvalid,
    TokenUnknown,
    PartnerNotFound,
    PartnerNotActive,
    ClientNotOfPartner,
    ScopeForbidden,
}

impl E {
    pub(crate) fn code(self, c: &ErrorCodes) -> String {
        match self {
            E::Validation => "VALIDATION_FAILED".into(),
            E::InvalidGrantType => "OAUTH_INVALID_GRANT_TYPE".into(),
            E::RedirectMismatch => c.redirect_uri_mismatch.clone(),
            E::CodeInvalid => c.authorization_code_invalid.clone(),
            E::ChallengeMethod => c.code_challenge_method_unsupported.clone(),
            E::CodeVerifier => "OAUTH_CODE_VERIFIER".into(),
            E::RequestedSubject => c.requested_subject_mismatch.clone(),
            E::SubjectTokenType => c.subject_token_type_invalid.clone(),
            E::ClientIdMismatch => "OAUTH_CLIENT_ID_MISMATCH".into(),
            E::RefreshInvalid => c.refresh_token_invalid.clone(),
            E::AuthHeader => c.authorization_header_invalid.clone(),
            E::PartnerToken => c.partner_token_invalid.clone(),
            E::TokenInvalid => c.token_invalid_or_expired.clone(),
            E::TokenUnknown => c.token_unknown_or_revoked.clone(),
            E::PartnerNotFound => "OAUTH_PARTNER_NOT_FOUND".into(),
            E::PartnerNotActive => "OAUTH_PARTNER_NOT_ACTIVE".into(),
            E::ClientNotOfPartner => c.client_not_of_partner.clone(),
            E::ScopeForbidden => "OAUTH_SCOPE_FORBIDDEN".into(),
        }
    }

    /// The "When it occurs" column of document 000.
    pub(crate) fn description(self) -> &'static str {
        match self {
            E::Validation => "Input data validation error",
            E::InvalidGrantType => "Invalid grant type specified",
            E::RedirectMismatch => "Incorrect redirect_uri specified",
            E::CodeInvalid => "Invalid authorization code",
            E::ChallengeMethod => "Unknown PKCE method (code_challenge_method)",
            E::CodeVerifier => "Invalid or missing code_verifier",
            E::RequestedSubject => "Requested subject doesn't match the expected value",
            E::SubjectTokenType => "Mismatched subject_token_type",
            E::ClientIdMismatch => "client_id mismatch",
            E::RefreshInvalid => "Invalid or expired refresh_token",
            E::AuthHeader => "Invalid authorization header",
            E::PartnerToken => "Invalid or expired partner_token",
            E::TokenInvalid => "Token is invalid or expired",
            E::TokenUnknown => "Token is unknown or has been revoked",
            E::PartnerNotFound => "Partner not found",
            E::PartnerNotActive => "Partner is inactive",
            E::ClientNotOfPartner => "The end-customer does not belong to this partner",
            E::ScopeForbidden => "Requested scope is not permitted",
        }
    }

    /// *Assumption*: 400 validation, 401 auth/token, 403 partner/scope.
    fn default_status(self) -> u16 {
        match self {
            E::Validation | E::InvalidGrantType | E::RedirectMismatch | E::ChallengeMethod | E::SubjectTokenType => 400,
            E::PartnerNotFound | E::PartnerNotActive | E::ClientNotOfPartner | E::ScopeForbidden => 403,
            _ => 401,
        }
    }
}

/// `{error, description}` with the configured (or default) status.
pub(crate) fn error_response(codes: &ErrorCodes, statuses: &HashMap<String, u16>, e: E) -> Response {
    let code = e.code(codes);
    let st = statuses.get(&code).copied().unwrap_or_else(|| e.default_status());
    json(status(st), json!({ "error": code, "description": e.description() }))
}
