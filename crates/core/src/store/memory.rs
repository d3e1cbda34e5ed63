//! An in-memory [`SecretStore`] for unit tests.

use super::{SecretStore, SecretStoreError, VaultCredential};
use crate::model::{AccountId, AccountSecrets};
use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Default)]
pub struct MemoryStore {
    entries: Mutex<HashMap<AccountId, AccountSecrets>>,
    credentials: Mutex<HashMap<String, VaultCredential>>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.entries.lock().unwrap().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl SecretStore for MemoryStore {
    fn get(&self, id: &AccountId) -> Result<Option<AccountSecrets>, SecretStoreError> {
        Ok(self.entries.lock().unwrap().get(id).cloned())
    }

    fn put(&self, id: &AccountId, secrets: &AccountSecrets) -> Result<(), SecretStoreError> {
        self.entries.lock().unwrap().insert(id.clone(), secrets.clone());
        Ok(())
    }

    fn delete(&self, id: &AccountId) -> Result<(), SecretStoreError> {
        self.entries.lock().unwrap().remove(id);
        Ok(())
    }

    fn vault_credential(&self, store: &str) -> Result<Option<VaultCredential>, SecretStoreError> {
        Ok(self.credentials.lock().unwrap().get(store).cloned())
    }

    fn put_vault_credential(&self, store: &str, credential: &VaultCredential) -> Result<(), SecretStoreError> {
        self.credentials
            .lock()
            .unwrap()
            .insert(store.into(), credential.clone());
        Ok(())
    }

    fn delete_vault_credential(&self, store: &str) -> Result<(), SecretStoreError> {
        self.credentials.lock().unwrap().remove(store);
        Ok(())
    }
}
