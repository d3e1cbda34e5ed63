//! A Secret Service of the test's own on a [`PrivateBus`], for the one way
//! of failing no real keyring can be made to show: giving back other bytes
//! than it was given. It speaks the protocol's encrypted session as a client
//! expects (`dh-ietf1024-sha256-aes128-cbc-pkcs7`) without knowing its key:
//! it keeps the client's initialization vector and ciphertext as they came,
//! and a [`Answers::OtherBytes`] service flips one bit of the vector when it
//! hands them back, which flips the same bit of the first decrypted byte and
//! leaves the padding whole. It holds one item, enough for one client's
//! write, read and delete.

use super::PrivateBus;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use zbus::zvariant::{OwnedObjectPath, OwnedValue, Value};

const NAME: &str = "org.freedesktop.secrets";
const SERVICE: &str = "/org/freedesktop/secrets";
const COLLECTION: &str = "/org/freedesktop/secrets/collection/login";
const ITEM: &str = "/org/freedesktop/secrets/collection/login/1";
const ATTRIBUTES: &str = "org.freedesktop.Secret.Item.Attributes";

/// What the service gives back for the secret it keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answers {
    /// The bytes it was given.
    Faithfully,
    /// The bytes it was given with the first bit of the first one flipped.
    OtherBytes,
}

/// The service, on the bus until dropped.
pub struct FakeSecretService {
    _connection: zbus::blocking::Connection,
}

/// A secret as the protocol carries it: session, parameters (the IV),
/// value (the ciphertext), content type.
type Secret = (OwnedObjectPath, Vec<u8>, Vec<u8>, String);

#[derive(Default)]
struct Kept {
    attributes: HashMap<String, String>,
    secret: Option<Secret>,
}

type Shared = Arc<Mutex<Kept>>;

impl PrivateBus {
    /// Starts a [`FakeSecretService`] on this bus, and waits until it owns
    /// the Secret Service's name.
    pub fn start_fake_secret_service(&self, answers: Answers) -> FakeSecretService {
        let kept = Shared::default();
        let connection = zbus::blocking::connection::Builder::address(self.address.as_str())
            .and_then(|b| b.serve_at(SERVICE, Service { kept: kept.clone() }))
            .and_then(|b| b.serve_at(COLLECTION, Collection { kept: kept.clone() }))
            .and_then(|b| b.serve_at(ITEM, Item { kept, answers }))
            .and_then(|b| b.name(NAME))
            .and_then(|b| b.build())
            .expect("the fake Secret Service should start on the private bus");
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.has_secret_service() {
            assert!(
                Instant::now() < deadline,
                "the fake Secret Service did not own its name within 10 s"
            );
            std::thread::sleep(Duration::from_millis(2));
        }
        FakeSecretService {
            _connection: connection,
        }
    }
}

fn path(p: &str) -> OwnedObjectPath {
    OwnedObjectPath::try_from(p).expect("a valid object path")
}

fn no_such(what: &str) -> zbus::fdo::Error {
    zbus::fdo::Error::Failed(format!("no such {what}"))
}

struct Service {
    kept: Shared,
}

#[zbus::interface(name = "org.freedesktop.Secret.Service")]
impl Service {
    fn open_session(&self, algorithm: &str, _input: Value<'_>) -> zbus::fdo::Result<(OwnedValue, OwnedObjectPath)> {
        let output = match algorithm {
            "plain" => OwnedValue::try_from(Value::from("")),
            // The server's public key: the generator, 2 (a private key of 1).
            // The client derives its AES key from it; this service never
            // needs the key, since it never decrypts.
            "dh-ietf1024-sha256-aes128-cbc-pkcs7" => OwnedValue::try_from(Value::from(vec![2u8])),
            other => return Err(zbus::fdo::Error::NotSupported(other.into())),
        }
        .map_err(|e| zbus::fdo::Error::Failed(e.to_string()))?;
        Ok((output, path("/org/freedesktop/secrets/session/1")))
    }

    fn search_items(&self, attributes: HashMap<String, String>) -> (Vec<OwnedObjectPath>, Vec<OwnedObjectPath>) {
        let kept = self.kept.lock().unwrap();
        let found = kept.secret.is_some() && attributes.iter().all(|(k, v)| kept.attributes.get(k) == Some(v));
        (if found { vec![path(ITEM)] } else { vec![] }, vec![])
    }

    fn read_alias(&self, name: &str) -> OwnedObjectPath {
        path(if name == "default" { COLLECTION } else { "/" })
    }

    fn unlock(&self, objects: Vec<OwnedObjectPath>) -> (Vec<OwnedObjectPath>, OwnedObjectPath) {
        (objects, path("/"))
    }

    #[zbus(property)]
    fn collections(&self) -> Vec<OwnedObjectPath> {
        vec![path(COLLECTION)]
    }
}

struct Collection {
    kept: Shared,
}

#[zbus::interface(name = "org.freedesktop.Secret.Collection")]
impl Collection {
    fn create_item(
        &self,
        properties: HashMap<String, OwnedValue>,
        secret: Secret,
        _replace: bool,
    ) -> zbus::fdo::Result<(OwnedObjectPath, OwnedObjectPath)> {
        let attributes = match properties.get(ATTRIBUTES) {
            Some(value) => HashMap::<String, String>::try_from(
                value.try_clone().map_err(|e| zbus::fdo::Error::Failed(e.to_string()))?,
            )
            .map_err(|e| zbus::fdo::Error::InvalidArgs(e.to_string()))?,
            None => HashMap::new(),
        };
        let mut kept = self.kept.lock().unwrap();
        if kept.secret.is_some() {
            return Err(zbus::fdo::Error::Failed("this fake keeps one item".into()));
        }
        *kept = Kept {
            attributes,
            secret: Some(secret),
        };
        Ok((path(ITEM), path("/")))
    }

    #[zbus(property)]
    fn locked(&self) -> bool {
        false
    }

    #[zbus(property)]
    fn label(&self) -> String {
        "Login".into()
    }
}

struct Item {
    kept: Shared,
    answers: Answers,
}

#[zbus::interface(name = "org.freedesktop.Secret.Item")]
impl Item {
    fn get_secret(&self, _session: OwnedObjectPath) -> zbus::fdo::Result<Secret> {
        let kept = self.kept.lock().unwrap();
        let (session, mut iv, value, content_type) = kept.secret.clone().ok_or_else(|| no_such("item"))?;
        if self.answers == Answers::OtherBytes {
            let first = iv.first_mut().ok_or_else(|| no_such("initialization vector"))?;
            *first ^= 1;
        }
        Ok((session, iv, value, content_type))
    }

    fn delete(&self) -> zbus::fdo::Result<OwnedObjectPath> {
        let mut kept = self.kept.lock().unwrap();
        kept.secret.take().ok_or_else(|| no_such("item"))?;
        Ok(path("/"))
    }

    #[zbus(property)]
    fn locked(&self) -> bool {
        false
    }

    #[zbus(property)]
    fn attributes(&self) -> HashMap<String, String> {
        self.kept.lock().unwrap().attributes.clone()
    }

    #[zbus(property)]
    fn label(&self) -> String {
        "Latch".into()
    }
}
