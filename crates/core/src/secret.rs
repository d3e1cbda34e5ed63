//! Secrets as their own types.
//!
//! A token, a client secret, a PKCE verifier or a `state` value is never a bare
//! `String`: its `Debug` and `Display` print `[redacted]`, the value comes out
//! only through an explicit `.secret()` at the place where it is sent, it is
//! wiped from memory on drop, and two of them compare in constant time.
//! (The pattern is oauth2-rs's.) They serialize as plain strings because the
//! only place they are serialized to is the keyring entry of their account.

use serde::{Deserialize, Serialize};
use std::fmt;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

macro_rules! secret_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            /// The raw value. Call it only where the value is sent or stored.
            pub fn secret(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "([redacted])"))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("[redacted]")
            }
        }

        /// Constant time, so that comparing a received value with an expected
        /// one does not leak how many leading bytes matched.
        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
            }
        }

        impl Eq for $name {}
    };
}

secret_type!(
    /// An OAuth 2.0 access token (RFC 6749 §1.4).
    AccessToken
);
secret_type!(
    /// An OAuth 2.0 refresh token (RFC 6749 §1.5).
    RefreshToken
);
secret_type!(
    /// A client secret issued with a client_id (RFC 6749 §2.3.1).
    ClientSecret
);
secret_type!(
    /// A password: a Wazzup partner's login password, or a Wordapp user's
    /// password for the password grant (used once and never stored).
    Password
);
secret_type!(
    /// GREEN-API's apiTokenInstance. It travels in every request's path.
    ApiToken
);
secret_type!(
    /// The one secret typed into a new account's form, until the provider
    /// routes it to its place (client secret, partner password, apiTokenInstance).
    DraftSecret
);
secret_type!(
    /// A PKCE code verifier (RFC 7636 §4.1).
    PkceVerifier
);
secret_type!(
    /// A device code (RFC 8628 §3.2): whoever holds it collects the tokens
    /// the person approves, so it is never printed or logged.
    DeviceCode
);
secret_type!(
    /// An OpenID Connect id_token: a signed statement of who signed in, and
    /// for some APIs the bearer credential itself.
    IdToken
);
secret_type!(
    /// The `nonce` of an OpenID Connect authorization request: the id_token
    /// that comes back must carry it, which ties the token to this sign-in.
    Nonce
);
secret_type!(
    /// A client's private key for `private_key_jwt` (RFC 7523), as a PEM.
    /// Kept in the keyring; only its public half (a JWK) is ever shown.
    PrivateKey
);
secret_type!(
    /// A signed client assertion (RFC 7523 §2.2): a bearer credential for
    /// its minute of life, sent only to the server it names.
    ClientAssertion
);
secret_type!(
    /// An OpenBao / Vault token (`X-Vault-Token`): whoever holds it reads
    /// every account kept in that Vault store.
    VaultToken
);
secret_type!(
    /// The secret half of an OpenBao / Vault AppRole login (the role id is
    /// the other half): it buys a [`VaultToken`].
    VaultSecretId
);
secret_type!(
    /// The `state` value of an authorization request (RFC 6749 §10.12).
    State
);
secret_type!(
    /// An authorization code received on a redirect (RFC 6749 §4.1.2).
    AuthorizationCode
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_never_show_the_value() {
        let token = AccessToken::new("eyJhbGciOi-very-secret");
        assert_eq!(format!("{token}"), "[redacted]");
        assert_eq!(format!("{token:?}"), "AccessToken([redacted])");
        assert!(!format!("{:?}", Some(&token)).contains("very-secret"));
        assert_eq!(token.secret(), "eyJhbGciOi-very-secret");
    }

    #[test]
    fn equality_compares_the_whole_value() {
        assert_eq!(State::new("abc"), State::new("abc"));
        assert_ne!(State::new("abc"), State::new("abd"));
        assert_ne!(State::new("abc"), State::new("ABC"));
        assert_ne!(State::new("abc"), State::new("abcd"));
    }

    #[test]
    fn serializes_as_a_plain_string_for_the_keyring() {
        let json = serde_json::to_string(&RefreshToken::new("r1")).unwrap();
        assert_eq!(json, "\"r1\"");
        let back: RefreshToken = serde_json::from_str(&json).unwrap();
        assert_eq!(back.secret(), "r1");
    }
}
