//! Reading the claims of an access token that is a JWT (Wazzup's look like
//! one). For showing only: nothing is verified, and nothing in Latch relies on
//! the claims (expiry always comes from `expires_in`).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The payload of a `header.payload.signature` token, if it is one.
pub fn claims(token: &str) -> Option<serde_json::Value> {
    let mut parts = token.split('.');
    let (_header, payload, _signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    value.is_object().then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_jwt_payload_and_refuses_anything_else() {
        let payload = URL_SAFE_NO_PAD.encode(br#"{"sub":"12345678","exp":1759568000}"#);
        let token = format!("eyJhbGciOiJIUzI1NiJ9.{payload}.c2ln");
        assert_eq!(claims(&token).unwrap()["sub"], "12345678");
        assert!(claims("e6ff7e34b704be2b14c8ae3c0e776597").is_none());
        assert!(claims("a.b.c.d").is_none());
        assert!(claims("a.!!!.c").is_none());
    }
}
