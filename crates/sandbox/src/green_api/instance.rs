//! An instance's state machine and its notification queue.
//!
//! Every state change goes through [`GreenState::set_state`], which queues the
//! `stateInstanceChanged` notification of providers.md §2.4 when the instance has
//! `stateWebhook` on, and wakes long-polling `receiveNotification` calls.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime};

use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::Notify;

use super::GreenApiSettings;
use crate::lock;
use crate::record::FakeCore;

/// `stateInstance` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum InstanceState {
    NotAuthorized,
    Authorized,
    Blocked,
    SleepMode,
    Starting,
    YellowCard,
}

/// An instance as configured: its credentials, state and linked phone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Instance {
    pub id_instance: u64,
    pub api_token_instance: String,
    /// `None` while the instance is being created (getStateInstance answers `null`).
    pub state: Option<InstanceState>,
    /// The WhatsApp number linked (or being linked), digits only.
    pub phone: Option<u64>,
    /// Emit `stateInstanceChanged` notifications (console setting `stateWebhook`).
    pub state_webhook: bool,
}

pub(super) struct LinkCode {
    pub(super) code: String,
    pub(super) phone: u64,
    pub(super) expires_at: SystemTime,
}

pub(super) struct Notification {
    pub(super) receipt_id: u64,
    pub(super) body: Value,
    pub(super) queued_at: SystemTime,
}

pub(super) struct InstanceRec {
    pub(super) config: Instance,
    pub(super) wid: String,
    pub(super) link_code: Option<LinkCode>,
    /// Set by a wrong code in [`WrongCode::StatusFalseUntilReboot`] mode.
    pub(super) codes_broken: bool,
    pub(super) queue: VecDeque<Notification>,
    pub(super) next_receipt: u64,
}

impl InstanceRec {
    pub(super) fn new(config: Instance) -> Self {
        let wid = match (config.state, config.phone) {
            (Some(InstanceState::Authorized), Some(p)) => format!("{p}@c.us"),
            _ => String::new(),
        };
        Self {
            config,
            wid,
            link_code: None,
            codes_broken: false,
            queue: VecDeque::new(),
            next_receipt: 1,
        }
    }
}

/// Start of an (instance, route)'s current one-second window and the requests in it.
type RateWindow = (Instant, u32);

pub(super) struct GreenState {
    pub(super) core: Arc<FakeCore>,
    pub(super) settings: Mutex<GreenApiSettings>,
    pub(super) instances: Mutex<HashMap<u64, InstanceRec>>,
    /// Wakes long-polling receiveNotification calls.
    pub(super) queued: Notify,
    pub(super) rate: Mutex<HashMap<(u64, &'static str), RateWindow>>,
}

impl GreenState {
    /// Changes an instance's state and queues `stateInstanceChanged` if it has `stateWebhook`.
    pub(super) fn set_state(&self, rec: &mut InstanceRec, state: Option<InstanceState>) {
        rec.config.state = state;
        if state != Some(InstanceState::Authorized) {
            rec.wid.clear();
        }
        if let (true, Some(state)) = (rec.config.state_webhook, state) {
            let body = json!({
                "typeWebhook": "stateInstanceChanged",
                "instanceData": { "idInstance": rec.config.id_instance, "wid": rec.wid, "typeInstance": "whatsapp" },
                "timestamp": self.core.clock.unix(),
                "stateInstance": state,
            });
            self.push(rec, body);
        }
    }

    pub(super) fn push(&self, rec: &mut InstanceRec, body: Value) {
        let receipt_id = rec.next_receipt;
        rec.next_receipt += 1;
        rec.queue.push_back(Notification {
            receipt_id,
            body,
            queued_at: self.core.clock.now(),
        });
        self.queued.notify_waiters();
    }
}

impl GreenState {
    /// Counts a request against providers.md §2.6's per-instance limits; false when over.
    pub(super) fn within_rate_limit(&self, id: u64, route: &'static str) -> bool {
        let limit = match route {
            "green_api.getStateInstance" | "green_api.reboot" | "green_api.logout" => 1,
            "green_api.qr" => 3,
            "green_api.receiveNotification" | "green_api.deleteNotification" => 100,
            _ => return true,
        };
        let now = Instant::now();
        let mut rate = lock(&self.rate);
        let window = rate.entry((id, route)).or_insert((now, 0));
        if now.duration_since(window.0).as_secs() >= 1 {
            *window = (now, 0);
        }
        window.1 += 1;
        window.1 <= limit
    }
}

pub(super) fn with_instance<T>(st: &GreenState, id: u64, f: impl FnOnce(&mut InstanceRec) -> T) -> Option<T> {
    lock(&st.instances).get_mut(&id).map(f)
}
