//! Wazzup-looking access tokens: `eyJ…` strings of three base64url segments.
//!
//! Wazzup's examples start with `eyJhbGciOi` (`{"alg":`), so the fake issues an
//! HS256-shaped JWT whose payload carries `exp`; the signature is random bytes,
//! since nothing is meant to verify it. A client must treat the token as opaque,
//! and the fake can be switched to plain opaque tokens to prove it does.

use serde_json::json;

use crate::util::{b64url, random_bytes};

/// An unsigned-in-spirit JWT with `sub`, `client_id`, `scope`, `iat`, `exp` and a random `jti`.
pub(crate) fn access_token(subject: &str, client_id: &str, scope: &str, iat: u64, exp: u64) -> String {
    let header = json!({ "alg": "HS256", "typ": "JWT" });
    let claims = json!({
        "sub": subject,
        "client_id": client_id,
        "scope": scope,
        "iat": iat,
        "exp": exp,
        "jti": b64url(&random_bytes(12)),
    });
    format!(
        "{}.{}.{}",
        b64url(header.to_string().as_bytes()),
        b64url(claims.to_string().as_bytes()),
        b64url(&random_bytes(32))
    )
}

/// Reads the claims of a Wazzup fake access token (for tests and hooks); `None` for opaque tokens.
pub fn claims(token: &str) -> Option<serde_json::Value> {
    use base64::Engine;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).ok()?;
    serde_json::from_slice(&bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_looks_like_wazzups_and_carries_exp() {
        let t = access_token("12345678", "client", "transport,crm", 100, 86500);
        assert!(t.starts_with("eyJhbGciOi"));
        assert_eq!(t.split('.').count(), 3);
        assert_eq!(claims(&t).unwrap()["exp"], 86500);
    }
}
