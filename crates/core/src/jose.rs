//! JOSE, as far as Latch needs it: the private key of a `private_key_jwt`
//! client (made here, or a PEM the person brings), its public half as a JWK
//! to register with the server, and the client assertions (RFC 7523 §2.2)
//! that authenticate the client with it or with the client secret
//! (`client_secret_jwt`).
//!
//! It also verifies an OpenID Connect id_token ([`verify_id_token`]):
//! its signature against the server's JWKS, `iss`, `aud`, `exp` and `nonce`.
//!
//! The JWS itself (signing, verification, JWKs) is `jsonwebtoken`'s; making
//! and reading key pairs is `ring`'s (the TLS stack already brings it). What
//! is Latch's own is the choice of claims and the words for a key that will
//! not do.

use crate::error::Error;
use crate::secret::{ClientAssertion, ClientSecret, IdToken, Nonce, PrivateKey};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _, RsaKeyPair};
use serde_json::{Value, json};

/// RFC 7521 §4.2's `client_assertion_type` for a JWT.
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// How long an assertion is good for. Short: it is sent at once, and a
/// copy seen on the way is worth little a minute later (its `jti` makes it
/// single-use at a server that keeps them).
pub const ASSERTION_LIFETIME_SECS: i64 = 60;

/// What to say about a key that cannot be used, and how to get one that can.
const KEY_FORMS: &str = "Latch reads an unencrypted PEM private key: EC P-256 in PKCS#8 (BEGIN PRIVATE KEY) or RSA of 2048 bits or more (BEGIN PRIVATE KEY or BEGIN RSA PRIVATE KEY); `openssl pkcs8 -topk8 -nocrypt -in KEY` converts one; or leave the key out and Latch makes one.";

/// A private key read and ready to sign, with its public half.
pub struct SigningKey {
    algorithm: Algorithm,
    encoding: EncodingKey,
    jwk: Value,
}

impl SigningKey {
    /// Reads a PEM private key (see [`KEY_FORMS`]).
    pub fn read(key: &PrivateKey) -> Result<Self, Error> {
        let unusable = |why: &str| Error::InvalidInput(format!("The private key cannot be used: {why}. {KEY_FORMS}"));
        let block = pem::parse(normalized_pem(key.secret())).map_err(|_| unusable("it is not a PEM block"))?;
        let der = block.contents();
        match block.tag() {
            "PRIVATE KEY" => {
                if let Ok(pair) = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der, &rng()) {
                    return Ok(Self::ec(&pair, der));
                }
                let pair = RsaKeyPair::from_pkcs8(der)
                    .map_err(|_| unusable("it is neither an EC P-256 key nor an RSA key of 2048 bits or more"))?;
                Self::rsa(&pair, key)
            }
            "RSA PRIVATE KEY" => {
                let pair =
                    RsaKeyPair::from_der(der).map_err(|_| unusable("it is not an RSA key of 2048 bits or more"))?;
                Self::rsa(&pair, key)
            }
            "EC PRIVATE KEY" => Err(unusable("it is in the SEC1 form (BEGIN EC PRIVATE KEY), not PKCS#8")),
            "ENCRYPTED PRIVATE KEY" => Err(unusable("it is encrypted")),
            other => Err(unusable(&format!("a PEM block of `{other}` is not a private key"))),
        }
    }

    fn ec(pair: &EcdsaKeyPair, pkcs8: &[u8]) -> Self {
        // The public key is the uncompressed point: 0x04, x, y.
        let point = pair.public_key().as_ref();
        let (x, y) = point[1..].split_at(32);
        Self {
            algorithm: Algorithm::ES256,
            encoding: EncodingKey::from_ec_der(pkcs8),
            jwk: with_kid(json!({
                "kty": "EC",
                "crv": "P-256",
                "x": URL_SAFE_NO_PAD.encode(x),
                "y": URL_SAFE_NO_PAD.encode(y),
            })),
        }
    }

    fn rsa(pair: &RsaKeyPair, key: &PrivateKey) -> Result<Self, Error> {
        let public = ring::rsa::PublicKeyComponents::<Vec<u8>>::from(pair.public());
        let encoding = EncodingKey::from_rsa_pem(normalized_pem(key.secret()).as_bytes())
            .map_err(|e| Error::InvalidInput(format!("The private key cannot be used: {e}. {KEY_FORMS}")))?;
        Ok(Self {
            algorithm: Algorithm::RS256,
            encoding,
            jwk: with_kid(json!({
                "kty": "RSA",
                "n": URL_SAFE_NO_PAD.encode(&public.n),
                "e": URL_SAFE_NO_PAD.encode(&public.e),
            })),
        })
    }

    /// The public key as a JWK (RFC 7517) with `kid` (its RFC 7638
    /// thumbprint), `use` and `alg`: what the server is given.
    pub fn public_jwk(&self) -> &Value {
        &self.jwk
    }

    /// `ES256` or `RS256`.
    pub fn algorithm(&self) -> &'static str {
        match self.algorithm {
            Algorithm::ES256 => "ES256",
            _ => "RS256",
        }
    }
}

/// A new EC P-256 private key, as a PKCS#8 PEM.
pub fn generate_key() -> Result<PrivateKey, Error> {
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng()).map_err(|_| {
        Error::InvalidInput(
            "the operating system's secure random source failed, so no key pair could be made; try again".into(),
        )
    })?;
    let block = pem::Pem::new("PRIVATE KEY", pkcs8.as_ref().to_vec());
    let lf = pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF);
    Ok(PrivateKey::new(pem::encode_config(&block, lf)))
}

/// What signs a client assertion.
pub enum AssertionKey<'a> {
    /// `client_secret_jwt`: HS256 with the client secret (RFC 7523 §3).
    Secret(&'a ClientSecret),
    /// `private_key_jwt`: the client's private key.
    Private(&'a SigningKey),
}

/// A client assertion (RFC 7523 §2.2, §3) for `audience` (the token
/// endpoint): `iss` and `sub` are the client id, it lives
/// [`ASSERTION_LIFETIME_SECS`] from `now`, and its `jti` is new each time.
pub fn client_assertion(
    client_id: &str,
    audience: &str,
    key: AssertionKey<'_>,
    now: crate::model::UnixTime,
) -> Result<ClientAssertion, Error> {
    let claims = json!({
        "iss": client_id,
        "sub": client_id,
        "aud": audience,
        "jti": crate::pkce::random_base64url(18)?,
        "iat": now,
        "exp": now + ASSERTION_LIFETIME_SECS,
    });
    let (header, encoding) = match key {
        AssertionKey::Secret(secret) => (
            Header::new(Algorithm::HS256),
            EncodingKey::from_secret(secret.secret().as_bytes()),
        ),
        AssertionKey::Private(key) => {
            let mut header = Header::new(key.algorithm);
            header.kid = key.jwk["kid"].as_str().map(str::to_owned);
            (header, key.encoding.clone())
        }
    };
    let jwt = jsonwebtoken::encode(&header, &claims, &encoding)
        .map_err(|e| Error::InvalidInput(format!("The client assertion could not be signed: {e}.")))?;
    Ok(ClientAssertion::new(jwt))
}

/// The PEM with its lines as PEM has them, whatever a paste did to them: a
/// password field drops the line breaks, some turn them into spaces.
/// Text that has no BEGIN and END lines is returned as it is.
fn normalized_pem(text: &str) -> String {
    let text = text.trim();
    let Some(rest) = text.strip_prefix("-----BEGIN ") else {
        return text.to_owned();
    };
    let Some((label, rest)) = rest.split_once("-----") else {
        return text.to_owned();
    };
    let end = format!("-----END {label}-----");
    let Some(body) = rest.strip_suffix(end.as_str()) else {
        return text.to_owned();
    };
    let body: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    let mut lines = String::new();
    for chunk in body.as_bytes().chunks(64) {
        lines.push_str(std::str::from_utf8(chunk).expect("ASCII after the filter"));
        lines.push('\n');
    }
    format!("-----BEGIN {label}-----\n{lines}{end}\n")
}

/// What an id_token must say to be this account's (OpenID Connect Core
/// §3.1.3.7): who issued it, for which client, for which sign-in.
pub struct IdTokenRules<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    /// The nonce the authorization request sent; `None` on a refresh or a
    /// grant without one.
    pub nonce: Option<&'a Nonce>,
    /// For an HS256 id_token, which is signed with the client secret (§10.1).
    pub client_secret: Option<&'a ClientSecret>,
}

/// How far a server's clock may be ahead or behind, in seconds.
pub const CLOCK_SKEW_SECS: u64 = 60;

/// Verifies an id_token against the server's JWKS (`jwks`, the document
/// at its `jwks_uri`) and `rules`; returns its claims, or why it is not
/// to be trusted, as a phrase ("its signature does not verify").
pub fn verify_id_token(token: &IdToken, jwks: &Value, rules: &IdTokenRules<'_>) -> Result<Value, String> {
    use jsonwebtoken::jwk::JwkSet;
    use jsonwebtoken::{DecodingKey, Validation};
    let header = jsonwebtoken::decode_header(token.secret())
        .map_err(|_| "it is not a signed JWT (or names an algorithm Latch does not accept)".to_owned())?;
    let keys: Vec<DecodingKey> = match header.alg {
        Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => match rules.client_secret {
            Some(secret) => vec![DecodingKey::from_secret(secret.secret().as_bytes())],
            None => return Err("it is signed with a client secret, and this account has none".into()),
        },
        _ => {
            let set: JwkSet = serde_json::from_value(jwks.clone())
                .map_err(|_| "the server's JWKS is not a JWK Set Latch can read".to_owned())?;
            set.keys
                .iter()
                .filter(|key| header.kid.is_none() || key.common.key_id == header.kid)
                .filter_map(|key| DecodingKey::from_jwk(key).ok())
                .collect()
        }
    };
    if keys.is_empty() {
        return Err(match &header.kid {
            Some(kid) => format!("the server's JWKS has no key `{}` to verify it with", short(kid)),
            None => "the server's JWKS has no key to verify it with".into(),
        });
    }
    let mut validation = Validation::new(header.alg);
    validation.leeway = CLOCK_SKEW_SECS;
    validation.set_issuer(&[rules.issuer]);
    validation.set_audience(&[rules.client_id]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    let mut last = None;
    for key in &keys {
        match jsonwebtoken::decode::<Value>(token.secret(), key, &validation) {
            Ok(data) => return check_claims(data.claims, rules),
            Err(e) => last = Some(e),
        }
    }
    use jsonwebtoken::errors::ErrorKind as K;
    Err(match last.expect("at least one key was tried").kind() {
        K::InvalidSignature => "its signature does not verify with the server's keys".into(),
        K::ExpiredSignature => "it has expired".into(),
        K::InvalidIssuer => format!("it was issued by another server than `{}`", rules.issuer),
        K::InvalidAudience => format!("it is not for this client (`{}`)", rules.client_id),
        K::ImmatureSignature => "it is not valid yet".into(),
        K::MissingRequiredClaim(claim) => format!("it has no `{claim}`"),
        _ => "it does not verify".into(),
    })
}

/// The checks `jsonwebtoken` does not make: `azp` when there are several
/// audiences (§3.1.3.7 items 4–5) and the `nonce` (item 11).
fn check_claims(claims: Value, rules: &IdTokenRules<'_>) -> Result<Value, String> {
    if claims["aud"].as_array().is_some_and(|a| a.len() > 1) && claims["azp"].as_str() != Some(rules.client_id) {
        return Err(format!(
            "it has several audiences and its `azp` is not this client (`{}`)",
            rules.client_id
        ));
    }
    if let Some(expected) = rules.nonce {
        let got = claims["nonce"].as_str().map(Nonce::new);
        if got.as_ref() != Some(expected) {
            return Err("its nonce is not the one this sign-in sent (a token from another sign-in)".into());
        }
    }
    Ok(claims)
}

/// A value from a hostile document, short enough to quote.
fn short(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).take(40).collect()
}

fn rng() -> ring::rand::SystemRandom {
    ring::rand::SystemRandom::new()
}

/// The JWK with its RFC 7638 thumbprint as `kid`, and `use`/`alg` said.
fn with_kid(mut jwk: Value) -> Value {
    // RFC 7638 §3.2: the required members only, in lexicographic order,
    // no whitespace; serde_json's map keeps keys sorted.
    let canonical = serde_json::to_string(&jwk).expect("a JWK serializes");
    let thumbprint = {
        use sha2::Digest as _;
        URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(canonical.as_bytes()))
    };
    let alg = if jwk["kty"] == "EC" { "ES256" } else { "RS256" };
    let object = jwk.as_object_mut().expect("a JWK is an object");
    object.insert("kid".into(), thumbprint.into());
    object.insert("use".into(), "sig".into());
    object.insert("alg".into(), alg.into());
    jwk
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::jwk::Jwk;
    use jsonwebtoken::{DecodingKey, Validation};

    fn verify(assertion: &ClientAssertion, key: &DecodingKey, alg: Algorithm, aud: &str) -> Value {
        let mut validation = Validation::new(alg);
        validation.set_audience(&[aud]);
        validation.set_required_spec_claims(&["exp", "aud", "iss", "sub"]);
        jsonwebtoken::decode::<Value>(assertion.secret(), key, &validation)
            .expect("the assertion verifies")
            .claims
    }

    #[test]
    fn a_made_key_signs_assertions_its_public_jwk_verifies() {
        let key = SigningKey::read(&generate_key().unwrap()).unwrap();
        let jwk: Jwk = serde_json::from_value(key.public_jwk().clone()).unwrap();
        let a = client_assertion(
            "cli",
            "https://as.example/token",
            AssertionKey::Private(&key),
            crate::time::now(),
        )
        .unwrap();
        let claims = verify(
            &a,
            &DecodingKey::from_jwk(&jwk).unwrap(),
            Algorithm::ES256,
            "https://as.example/token",
        );
        assert_eq!(
            (claims["iss"].as_str(), claims["sub"].as_str()),
            (Some("cli"), Some("cli"))
        );
        assert_eq!(claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(), 60);
        let header = jsonwebtoken::decode_header(a.secret()).unwrap();
        assert_eq!(header.kid.as_deref(), key.public_jwk()["kid"].as_str());
        assert!(key.public_jwk().get("d").is_none(), "no private part in the JWK");
    }

    #[test]
    fn an_rsa_key_in_either_pem_form_signs_rs256_its_jwk_verifies() {
        // A throwaway test key (openssl genpkey), in PKCS#8 and PKCS#1.
        let pkcs8 = SigningKey::read(&PrivateKey::new(include_str!("testdata/rsa-2048.pem"))).unwrap();
        let pkcs1 = SigningKey::read(&PrivateKey::new(include_str!("testdata/rsa-2048-pkcs1.pem"))).unwrap();
        assert_eq!(pkcs8.public_jwk(), pkcs1.public_jwk(), "the same key either way");
        assert_eq!(
            (pkcs8.algorithm(), pkcs8.public_jwk()["e"].as_str()),
            ("RS256", Some("AQAB"))
        );
        let jwk: Jwk = serde_json::from_value(pkcs1.public_jwk().clone()).unwrap();
        let a = client_assertion("cli", "aud", AssertionKey::Private(&pkcs1), crate::time::now()).unwrap();
        verify(&a, &DecodingKey::from_jwk(&jwk).unwrap(), Algorithm::RS256, "aud");
    }

    #[test]
    fn a_pasted_key_whose_line_breaks_were_lost_still_reads() {
        let key = generate_key().unwrap();
        let flat = key.secret().replace('\n', "");
        let spaced = key.secret().replace('\n', " ");
        let want = SigningKey::read(&key).unwrap().public_jwk().clone();
        for pasted in [flat, spaced] {
            assert_eq!(SigningKey::read(&PrivateKey::new(pasted)).unwrap().public_jwk(), &want);
        }
    }

    #[test]
    fn every_assertion_has_its_own_jti() {
        let secret = ClientSecret::new("s3cret-s3cret-s3cret-s3cret-s3cret");
        let jti = |a: ClientAssertion| crate::jwt::claims(a.secret()).unwrap()["jti"].clone();
        let one = client_assertion("cli", "aud", AssertionKey::Secret(&secret), 1).unwrap();
        let two = client_assertion("cli", "aud", AssertionKey::Secret(&secret), 1).unwrap();
        assert_ne!(jti(one), jti(two));
    }

    #[test]
    fn a_secret_jwt_verifies_with_the_secret_and_not_another() {
        let secret = ClientSecret::new("s3cret-s3cret-s3cret-s3cret-s3cret");
        let a = client_assertion("cli", "aud", AssertionKey::Secret(&secret), crate::time::now()).unwrap();
        verify(
            &a,
            &DecodingKey::from_secret(secret.secret().as_bytes()),
            Algorithm::HS256,
            "aud",
        );
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&["aud"]);
        assert!(jsonwebtoken::decode::<Value>(a.secret(), &DecodingKey::from_secret(b"other"), &validation).is_err());
    }

    #[test]
    fn the_thumbprint_is_rfc_7638s() {
        // RFC 7638 §3.1's example key and thumbprint.
        let jwk = with_kid(json!({
            "kty": "RSA",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
            "e": "AQAB",
        }));
        assert_eq!(jwk["kid"], "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    }

    /// An id_token signed by `key` with `claims` over the standard ones.
    fn id_token(key: &SigningKey, claims: Value) -> IdToken {
        let mut all = json!({
            "iss": "https://as.example",
            "sub": "alice",
            "aud": "cli",
            "iat": crate::time::now(),
            "exp": crate::time::now() + 300,
            "nonce": "n-1",
        });
        for (k, v) in claims.as_object().unwrap() {
            all[k] = v.clone();
        }
        let mut header = Header::new(key.algorithm);
        header.kid = key.jwk["kid"].as_str().map(str::to_owned);
        IdToken::new(jsonwebtoken::encode(&header, &all, &key.encoding).unwrap())
    }

    #[test]
    fn an_id_token_verifies_only_when_everything_it_says_is_right() {
        let key = SigningKey::read(&generate_key().unwrap()).unwrap();
        let jwks = json!({ "keys": [key.public_jwk()] });
        let nonce = Nonce::new("n-1");
        let rules = IdTokenRules {
            issuer: "https://as.example",
            client_id: "cli",
            nonce: Some(&nonce),
            client_secret: None,
        };
        let claims = verify_id_token(&id_token(&key, json!({})), &jwks, &rules).unwrap();
        assert_eq!(claims["sub"], "alice");

        let other = SigningKey::read(&generate_key().unwrap()).unwrap();
        let forged = {
            // Signed by another key under the server's kid.
            let mut t = id_token(&other, json!({})).secret().to_owned();
            let header = URL_SAFE_NO_PAD
                .encode(json!({"alg": "ES256", "typ": "JWT", "kid": key.public_jwk()["kid"]}).to_string());
            t.replace_range(..t.find('.').unwrap(), &header);
            IdToken::new(t)
        };
        let tampered = {
            let t = id_token(&key, json!({})).secret().to_owned();
            let parts: Vec<&str> = t.split('.').collect();
            let payload = URL_SAFE_NO_PAD.encode(
                json!({"iss": "https://as.example", "sub": "mallory", "aud": "cli",
                       "exp": crate::time::now() + 300, "nonce": "n-1"})
                .to_string(),
            );
            IdToken::new(format!("{}.{payload}.{}", parts[0], parts[2]))
        };
        let now = crate::time::now();
        for (token, says) in [
            (forged, "signature does not verify"),
            (tampered, "signature does not verify"),
            (
                id_token(&key, json!({"iss": "https://evil.example"})),
                "issued by another server",
            ),
            (id_token(&key, json!({"aud": "someone-else"})), "not for this client"),
            (id_token(&key, json!({"exp": now - 600})), "expired"),
            (id_token(&key, json!({"nonce": "n-2"})), "nonce is not the one"),
            (id_token(&key, json!({"aud": ["cli", "api"], "azp": "api"})), "`azp`"),
            (IdToken::new("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."), "not a signed JWT"),
        ] {
            let why = verify_id_token(&token, &jwks, &rules).unwrap_err();
            assert!(why.contains(says), "{says}: {why}");
        }
        let no_nonce = IdTokenRules { nonce: None, ..rules };
        assert!(verify_id_token(&id_token(&key, json!({"nonce": "whatever"})), &jwks, &no_nonce).is_ok());
        let wrong_keys = json!({ "keys": [other.public_jwk()] });
        let why = verify_id_token(&id_token(&key, json!({})), &wrong_keys, &no_nonce).unwrap_err();
        assert!(why.contains("has no key"), "{why}");
    }

    #[test]
    fn keys_that_will_not_do_are_refused_in_words() {
        for (pem, says) in [
            ("not a key", "not a PEM block"),
            (
                "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n",
                "SEC1",
            ),
            (
                "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n",
                "encrypted",
            ),
            (
                "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
                "not a private key",
            ),
            (
                "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
                "neither an EC P-256",
            ),
        ] {
            let e = SigningKey::read(&PrivateKey::new(pem))
                .err()
                .expect("refused")
                .to_string();
            assert!(e.contains(says) && e.contains("openssl pkcs8"), "{pem}: {e}");
        }
    }
}
