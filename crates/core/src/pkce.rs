//! PKCE (RFC 7636) and the `state` value (RFC 6749 §10.12).
//!
//! Both come straight from the operating system's secure random source
//! (`getrandom`), never from a seeded generator. A verifier is 64 characters
//! of the unreserved set (RFC 7636 §4.1 allows 43–128): we draw 48 random
//! bytes and base64url-encode them without padding, which yields exactly the
//! unreserved alphabet `A–Z a–z 0–9 - _`. A state carries 256 bits the same
//! way. Comparing a returned state with the expected one goes through
//! [`State`]'s constant-time equality.

use crate::error::Error;
use crate::secret::{PkceVerifier, State};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// Random bytes behind a verifier: 48 bytes → 64 base64url characters.
const VERIFIER_BYTES: usize = 48;
/// Random bytes behind a state: 32 bytes = 256 bits (RFC 6749 asks for ≥128).
const STATE_BYTES: usize = 32;

/// How the challenge is derived from the verifier (RFC 7636 §4.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChallengeMethod {
    /// `BASE64URL(SHA256(verifier))`: what every server should get.
    S256,
    /// The verifier itself, for servers that support nothing else.
    Plain,
}

impl ChallengeMethod {
    /// The value of `code_challenge_method`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::S256 => "S256",
            Self::Plain => "plain",
        }
    }
}

/// A verifier and the challenge sent in its place.
#[derive(Clone, Debug)]
pub struct Pkce {
    pub verifier: PkceVerifier,
    pub challenge: String,
    pub method: ChallengeMethod,
}

impl Pkce {
    /// A fresh verifier from the OS's random source and its S256 challenge.
    pub fn new_s256() -> Result<Self, Error> {
        let verifier = new_verifier()?;
        Ok(Self::from_verifier(verifier, ChallengeMethod::S256))
    }

    pub fn from_verifier(verifier: PkceVerifier, method: ChallengeMethod) -> Self {
        let challenge = challenge(&verifier, method);
        Self {
            verifier,
            challenge,
            method,
        }
    }
}

/// A new code verifier (RFC 7636 §4.1).
pub fn new_verifier() -> Result<PkceVerifier, Error> {
    Ok(PkceVerifier::new(random_base64url(VERIFIER_BYTES)?))
}

/// A new `state` value of 256 bits.
pub fn new_state() -> Result<State, Error> {
    Ok(State::new(random_base64url(STATE_BYTES)?))
}

/// The `code_challenge` for a verifier (RFC 7636 §4.2).
pub fn challenge(verifier: &PkceVerifier, method: ChallengeMethod) -> String {
    match method {
        ChallengeMethod::S256 => URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.secret().as_bytes())),
        ChallengeMethod::Plain => verifier.secret().to_owned(),
    }
}

/// Whether a string is a verifier RFC 7636 §4.1 allows: 43–128 characters of
/// `A–Z a–z 0–9 - . _ ~`.
pub fn is_valid_verifier(value: &str) -> bool {
    (43..=128).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

pub(crate) fn random_base64url(len: usize) -> Result<String, Error> {
    let mut bytes = vec![0u8; len];
    getrandom::fill(&mut bytes).map_err(|e| {
        Error::InvalidInput(format!(
            "the operating system's secure random source failed ({e}), so no safe authorization can be started; \
             restart Latch and try again"
        ))
    })?;
    let out = URL_SAFE_NO_PAD.encode(&bytes);
    zeroize::Zeroize::zeroize(&mut bytes);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7636_appendix_b_vector() {
        let verifier = PkceVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
        assert_eq!(
            challenge(&verifier, ChallengeMethod::S256),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn plain_challenge_is_the_verifier() {
        let verifier = PkceVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
        assert_eq!(challenge(&verifier, ChallengeMethod::Plain), verifier.secret());
    }

    #[test]
    fn verifiers_are_in_the_unreserved_set_and_long_enough() {
        for _ in 0..50 {
            let v = new_verifier().unwrap();
            assert!(is_valid_verifier(v.secret()), "{} chars", v.secret().len());
            assert_eq!(v.secret().len(), 64);
        }
    }

    #[test]
    fn verifiers_and_states_do_not_repeat() {
        let a = new_verifier().unwrap();
        let b = new_verifier().unwrap();
        assert_ne!(a, b);
        let s1 = new_state().unwrap();
        let s2 = new_state().unwrap();
        assert_ne!(s1, s2);
        // 32 bytes → 43 base64url characters: 256 bits, above RFC 6749's 128.
        assert_eq!(s1.secret().len(), 43);
    }

    #[test]
    fn verifier_rules_match_rfc7636() {
        assert!(is_valid_verifier(&"a".repeat(43)));
        assert!(is_valid_verifier(&"~._-".repeat(32)));
        assert!(!is_valid_verifier(&"a".repeat(42)));
        assert!(!is_valid_verifier(&"a".repeat(129)));
        assert!(!is_valid_verifier(&format!("{}+", "a".repeat(43))));
    }
}
