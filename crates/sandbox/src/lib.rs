//! Faithful fake providers on 127.0.0.1: Wazzup, PayU, Wordapp, GREEN-API and a generic
//! RFC 6749 / 7636 / 7009 OAuth 2.0 server.
//!
//! They serve Latch's integration tests and `latch sandbox`, where a new user tries
//! every flow with no credentials. Each fake is a real HTTP server (axum on hyper) on
//! its own loopback port, implements its provider's documents (`shared/seeds/`) error
//! for error, and adds what tests need:
//!
//! - a request log ([`RecordedRequest`]) with named routes (`"wazzup.token"`), bounded
//!   (the newest [`LOG_LIMIT`] requests, bodies cut at [`LOGGED_BODY_LIMIT`]) so a long-running
//!   sandbox does not grow,
//! - fault switches ([`Fault`], [`FaultKind`]) for the next matching request(s),
//! - a clock that can be moved forward (`advance`) to expire codes and tokens,
//! - run-time settings (`settings()`) for every behaviour the documents leave open;
//!   each such default is marked *assumption* on its field.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let sandbox = latch_sandbox::Sandbox::start(latch_sandbox::SandboxConfig::demo()).await?;
//! for (name, url) in sandbox.describe() {
//!     println!("{name:<10} {url}");
//! }
//! # Ok(()) }
//! ```
//!
//! # Routes
//!
//! | fake | routes (route names for `count`/`inject` in brackets) |
//! |---|---|
//! | Wazzup | `GET /v2/oauth/authorize` [wazzup.authorize], `POST /v2/oauth/token` [wazzup.token], `GET /v2/channels` [wazzup.channels] |
//! | PayU | `GET /app/account/signup` [payu.signup], `POST /oauth/token` [payu.token], `POST /oauth/revoke` [payu.revoke], `POST /api/v1/merchants/auth_code` [payu.auth_code], `GET /api/me` [payu.me] |
//! | Wordapp | `GET /oauth/authorize` [wordapp.authorize], `POST /oauth/token` [wordapp.token], `POST /oauth/revoke` [wordapp.revoke], `GET /api/me` [wordapp.me] |
//! | GREEN-API | `/…/waInstance{id}/{method}/{token}[/{receiptId}]` [green_api.getStateInstance, .getAuthorizationCode, .logout, .reboot, .qr, .getWaSettings, .receiveNotification, .deleteNotification] |
//! | OAuth2 | `GET /authorize` [oauth2.authorize], `POST /token` [oauth2.token], `POST /revoke` [oauth2.revoke], `GET /userinfo` [oauth2.userinfo] |
//!
//! Anything else is recorded as `<fake>.unknown` and answered 404.
//!
//! # Demo credentials
//!
//! [`SandboxConfig::demo`] seeds every fake with the same well-known values
//! ([`DemoCredentials::default`]); they are fake and printed on purpose:
//!
//! | fake | credentials |
//! |---|---|
//! | all | registered redirect URIs `app.latch.desktop:/oauth/callback` and `http://127.0.0.1:8976/callback` |
//! | Wazzup | partner `partner@demo.latch` / `demo-partner-password`, client_id `demo-wazzup-client`, account `12345678`, scopes `transport`, `crm` |
//! | PayU | client_id `demo-payu-client`, client_secret `demo-payu-secret`, reseller_id `demo-reseller`, merchantId `8012345`; password grant `reseller@demo.latch` / `demo-reseller-password` |
//! | Wordapp | client_id `demo-wordapp-client`, client_secret `demo-wordapp-secret`, user `demo` (`demo@demo.latch`) / `demo-password` |
//! | GREEN-API | idInstance `1101000001`, apiTokenInstance `demo0green0api0token0000000000000000000000000000`, phone `441234567890` |
//! | OAuth2 | client_id `demo-oauth2-client`, client_secret `demo-oauth2-secret`, user `demo` / `demo-password` |

mod clock;
pub mod demo;
mod grants;
pub mod green_api;
#[cfg(feature = "harness")]
pub mod harness;
pub mod jwt;
pub mod oauth2;
pub mod payu;
mod record;
mod server;
mod util;
pub mod wazzup;
pub mod wordapp;

use std::time::Duration;

pub use green_api::FakeGreenApi;
pub use oauth2::FakeOAuth2;
pub use payu::FakePayu;
pub use record::{Fault, FaultKind, LOG_LIMIT, LOGGED_BODY_LIMIT, MAX_BODY, RecordedRequest};
pub use wazzup::FakeWazzup;
pub use wordapp::FakeWordapp;

/// What the user does on a fake's consent screen (where the provider has one to refuse).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Consent {
    #[default]
    Approve,
    Deny,
}

/// Fixed ports for the fakes; 0 means "any free port".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ports {
    pub wazzup: u16,
    pub payu: u16,
    pub wordapp: u16,
    pub green_api: u16,
    pub oauth2: u16,
}

impl Ports {
    /// The ports `latch sandbox` tries first, so that the README's examples
    /// work as written ([`Sandbox::start_preferring`]). The window's "Try the
    /// sandbox" never uses them: what listens on a well-known port may be
    /// another program (see [`demo`]).
    pub const FIXED: Ports = Ports {
        wazzup: 8971,
        payu: 8972,
        wordapp: 8973,
        green_api: 8974,
        oauth2: 8975,
    };
}

/// The identities every fake is seeded with. See the crate docs for the values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoCredentials {
    /// Registered with every fake (PayU, which keeps one per client, takes the first).
    pub redirect_uris: Vec<String>,
    pub wazzup_email: String,
    pub wazzup_password: String,
    pub wazzup_client_id: String,
    /// The end-customer account the Wazzup consent page "logs into" (8 digits).
    pub wazzup_account_id: String,
    pub payu_client_id: String,
    pub payu_client_secret: String,
    pub payu_reseller_id: String,
    pub payu_merchant_id: String,
    pub payu_username: String,
    pub payu_password: String,
    pub wordapp_client_id: String,
    pub wordapp_client_secret: String,
    pub wordapp_username: String,
    pub wordapp_email: String,
    pub wordapp_password: String,
    pub green_api_id_instance: u64,
    pub green_api_token: String,
    /// International format, digits only, as GREEN-API wants it.
    pub green_api_phone: u64,
    pub oauth2_client_id: String,
    pub oauth2_client_secret: String,
    pub oauth2_username: String,
    pub oauth2_password: String,
}

impl Default for DemoCredentials {
    fn default() -> Self {
        Self {
            redirect_uris: vec![
                "app.latch.desktop:/oauth/callback".into(),
                "http://127.0.0.1:8976/callback".into(),
            ],
            wazzup_email: "partner@demo.latch".into(),
            wazzup_password: "demo-partner-password".into(),
            wazzup_client_id: "demo-wazzup-client".into(),
            wazzup_account_id: "12345678".into(),
            payu_client_id: "demo-payu-client".into(),
            payu_client_secret: "demo-payu-secret".into(),
            payu_reseller_id: "demo-reseller".into(),
            payu_merchant_id: "8012345".into(),
            payu_username: "reseller@demo.latch".into(),
            payu_password: "demo-reseller-password".into(),
            wordapp_client_id: "demo-wordapp-client".into(),
            wordapp_client_secret: "demo-wordapp-secret".into(),
            wordapp_username: "demo".into(),
            wordapp_email: "demo@demo.latch".into(),
            wordapp_password: "demo-password".into(),
            green_api_id_instance: 1101000001,
            green_api_token: "demo0green0api0token0000000000000000000000000000".into(),
            green_api_phone: 441234567890,
            oauth2_client_id: "demo-oauth2-client".into(),
            oauth2_client_secret: "demo-oauth2-secret".into(),
            oauth2_username: "demo".into(),
            oauth2_password: "demo-password".into(),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SandboxConfig {
    /// `None`: every fake on an OS-assigned port.
    pub ports: Option<Ports>,
    pub demo: DemoCredentials,
}

impl SandboxConfig {
    /// OS-assigned ports and the well-known demo credentials.
    pub fn demo() -> Self {
        Self::default()
    }
}

/// Owns the five fakes; dropping it stops them.
pub struct Sandbox {
    wazzup: FakeWazzup,
    payu: FakePayu,
    wordapp: FakeWordapp,
    green_api: FakeGreenApi,
    oauth2: FakeOAuth2,
}

impl Sandbox {
    /// Starts every fake on 127.0.0.1, each on its own OS-assigned port (or `config.ports` if given).
    ///
    /// The servers run as tasks on the calling Tokio runtime (current-thread is fine) and
    /// stop when the `Sandbox` is dropped or that runtime shuts down.
    pub async fn start(config: SandboxConfig) -> std::io::Result<Sandbox> {
        let ports = config.ports.unwrap_or_default();
        let demo = &config.demo;
        Ok(Sandbox {
            wazzup: wazzup::start(demo, ports.wazzup).await?,
            payu: payu::start(demo, ports.payu).await?,
            wordapp: wordapp::start(demo, ports.wordapp).await?,
            green_api: green_api::start(demo, ports.green_api).await?,
            oauth2: oauth2::start(demo, ports.oauth2).await?,
        })
    }

    /// Starts every fake on its port in `preferred` or, where another program
    /// already listens there, on a port the OS chooses. What listens on a
    /// taken port is never taken for a fake: [`Sandbox::describe`] names only
    /// addresses this sandbox serves, and [`Sandbox::moved`] the fakes that
    /// are not where they were wanted.
    pub async fn start_preferring(demo: &DemoCredentials, preferred: Ports) -> std::io::Result<Sandbox> {
        Ok(Sandbox {
            wazzup: or_any_port(preferred.wazzup, |p| wazzup::start(demo, p)).await?,
            payu: or_any_port(preferred.payu, |p| payu::start(demo, p)).await?,
            wordapp: or_any_port(preferred.wordapp, |p| wordapp::start(demo, p)).await?,
            green_api: or_any_port(preferred.green_api, |p| green_api::start(demo, p)).await?,
            oauth2: or_any_port(preferred.oauth2, |p| oauth2::start(demo, p)).await?,
        })
    }

    /// The fakes whose port is not the one in `wanted`: (name, wanted port, address).
    pub fn moved(&self, wanted: Ports) -> Vec<(&'static str, u16, String)> {
        let wanted = [
            wanted.wazzup,
            wanted.payu,
            wanted.wordapp,
            wanted.green_api,
            wanted.oauth2,
        ];
        self.describe()
            .into_iter()
            .zip(wanted)
            .filter(|((_, url), port)| *port != 0 && !url.ends_with(&format!(":{port}")))
            .map(|((name, url), port)| (name, port, url))
            .collect()
    }

    pub fn wazzup(&self) -> &FakeWazzup {
        &self.wazzup
    }
    pub fn payu(&self) -> &FakePayu {
        &self.payu
    }
    pub fn wordapp(&self) -> &FakeWordapp {
        &self.wordapp
    }
    pub fn green_api(&self) -> &FakeGreenApi {
        &self.green_api
    }
    pub fn oauth2(&self) -> &FakeOAuth2 {
        &self.oauth2
    }

    /// Moves every fake's clock forward.
    pub fn advance_all(&self, d: Duration) {
        self.wazzup.advance(d);
        self.payu.advance(d);
        self.wordapp.advance(d);
        self.green_api.advance(d);
        self.oauth2.advance(d);
    }

    /// One line per fake: name and base URL (what `latch sandbox` prints).
    pub fn describe(&self) -> Vec<(&'static str, String)> {
        vec![
            ("wazzup", self.wazzup.base_url()),
            ("payu", self.payu.base_url()),
            ("wordapp", self.wordapp.base_url()),
            ("green-api", self.green_api.base_url()),
            ("oauth2", self.oauth2.base_url()),
        ]
    }
}

/// Runs `start` on `port`, or on a port the OS chooses if `port` is taken.
async fn or_any_port<T, F>(port: u16, start: impl Fn(u16) -> F) -> std::io::Result<T>
where
    F: std::future::Future<Output = std::io::Result<T>>,
{
    match start(port).await {
        Err(e) if port != 0 && e.kind() == std::io::ErrorKind::AddrInUse => start(0).await,
        started => started,
    }
}

/// The methods every fake shares: base URL, request log, faults, clock.
macro_rules! fake_common {
    ($ty:ty) => {
        impl $ty {
            /// `http://127.0.0.1:<port>`.
            pub fn base_url(&self) -> String {
                self.server.base_url()
            }
            /// The newest requests received ([`crate::LOG_LIMIT`] at most), in order.
            pub fn requests(&self) -> Vec<$crate::RecordedRequest> {
                self.core.recorder.requests()
            }
            /// How many requests hit `route` (e.g. `"wazzup.token"`).
            pub fn count(&self, route: &str) -> usize {
                self.core.recorder.count(route)
            }
            /// Applies `fault` to the next matching request(s); route `"*"` matches all.
            pub fn inject(&self, route: &str, fault: $crate::Fault) {
                self.core.recorder.inject(route, fault)
            }
            pub fn clear_faults(&self) {
                self.core.recorder.clear_faults()
            }
            /// The most requests this fake has had in flight at once (until its answer was sent
            /// or the connection dropped).
            pub fn peak_in_flight(&self) -> usize {
                self.core.recorder.peak_in_flight()
            }
            /// Moves this fake's "now" forward (real time keeps flowing too).
            pub fn advance(&self, d: std::time::Duration) {
                self.core.clock.advance(d)
            }
        }
    };
}
pub(crate) use fake_common;

/// Builds a fake's router stack: its routes, a 404 fallback unless it has its own, and the
/// record/fault layer over both (so unknown paths are logged too).
pub(crate) fn with_recording(
    router: axum::Router,
    core: std::sync::Arc<record::FakeCore>,
    classify: record::Classifier,
) -> axum::Router {
    let router = if router.has_routes() {
        router.fallback(|| async { util::text(axum::http::StatusCode::NOT_FOUND, "not found") })
    } else {
        router
    };
    router.layer(axum::middleware::from_fn_with_state(
        record::RecordLayer { core, classify },
        record::record_and_fault,
    ))
}

pub(crate) fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
