//! The registry: the one place that maps a provider kind to its
//! implementation. No other code in Latch matches on the kind.
//!
//! Adding a provider is a module under `providers/` that implements
//! [`Provider`] on its settings type and a [`ProviderInfo`] for the
//! catalogue, plus one line in each table below (see ARCHITECTURE.md,
//! "Adding a provider"). "Other OAuth 2.0" is listed last: it is the
//! generic one, the choice when no named provider fits.

use super::catalogue::ProviderInfo;
use super::provider::Provider;
use super::{green_api, oauth2, payu, wazzup, wordapp};
use crate::model::{GreenApiSettings, ProviderKind, ProviderSettings};

/// Every provider, in the order a person is offered them.
pub const ALL: [ProviderKind; 5] = [
    ProviderKind::Wazzup,
    ProviderKind::Payu,
    ProviderKind::GreenApi,
    ProviderKind::Wordapp,
    ProviderKind::Oauth2,
];

/// What the catalogue says of a kind: names, fields, grants, revoke.
pub fn entry(kind: ProviderKind) -> &'static ProviderInfo {
    match kind {
        ProviderKind::Wazzup => &wazzup::INFO,
        ProviderKind::Payu => &payu::INFO,
        ProviderKind::GreenApi => &green_api::INFO,
        ProviderKind::Wordapp => &wordapp::INFO,
        ProviderKind::Oauth2 => &oauth2::INFO,
    }
}

impl ProviderSettings {
    /// The account's provider, bound to its settings.
    pub fn provider(&self) -> &dyn Provider {
        match self {
            Self::Wazzup(s) => s,
            Self::Payu(s) => s,
            Self::GreenApi(s) => s,
            Self::Wordapp(s) => s,
            Self::Oauth2(s) => s,
        }
    }

    pub fn provider_mut(&mut self) -> &mut dyn Provider {
        match self {
            Self::Wazzup(s) => s,
            Self::Payu(s) => s,
            Self::GreenApi(s) => s,
            Self::Wordapp(s) => s,
            Self::Oauth2(s) => s,
        }
    }

    /// GREEN-API's settings, for its own operations (linking a number),
    /// which no other provider has.
    pub fn green_api(&self) -> Option<&GreenApiSettings> {
        match self {
            Self::GreenApi(s) => Some(s),
            _ => None,
        }
    }

    pub fn green_api_mut(&mut self) -> Option<&mut GreenApiSettings> {
        match self {
            Self::GreenApi(s) => Some(s),
            _ => None,
        }
    }
}
