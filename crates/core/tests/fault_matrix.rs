//! The fault matrix (issue 10, "faults lose nothing and let nobody in").
//!
//! Rows are every call Latch makes to a provider: each grant's token
//! request, each refresh and revoke, and GREEN-API's link code, state and
//! logout. Columns are the ways a server fails them: 500, a 502 HTML page,
//! 429 with and without Retry-After, a reset connection, a timeout, an
//! answer that trickles for a minute, a 10 MiB body, and — for token calls —
//! answers of the wrong shape (token missing, wrong types, a token_type
//! other than Bearer, `expires_in` missing, zero, negative or absurd), or
//! GREEN-API's analogues. A "fine" column proves each row's setup works.
//!
//! Every case runs against its own sandbox through the [`Latch`] service
//! (index in a temporary directory, secrets in a [`MemoryStore`]) and checks:
//! the call returns within a bound; the error kind; a message that names
//! the provider and says what happened in the words asserted, with no secret
//! of the account in it; the number of requests at the fake (one: nothing is
//! retried inside a call); and the stored secrets and index row, byte for
//! byte as before. Cases run a few at a time; failures are collected so one
//! run lists them all.

mod flows_support;

use flows_support::{browse, connect, demo, green_api, oauth2, payu, wazzup, wordapp};
use latch_core::Latch;
use latch_core::flows::{CallbackParams, LinkOutcome, LinkWatch, RevokeOutcome};
use latch_core::http::HttpConfig;
use latch_core::model::{Account, AccountId, AccountSecrets, AccountStatus, ClientAuth, Grant};
use latch_core::phone::PhoneNumber;
use latch_core::providers::green_api::{InstanceState, LinkCode};
use latch_core::secret::Password;
use latch_core::store::{MemoryStore, SecretStore};
use latch_core::{Engine, EngineConfig, Error, ErrorKind, TokenSet};
use latch_sandbox::green_api::InstanceState as FakeState;
use latch_sandbox::{Fault, FaultKind, Sandbox};
use serde_json::{Map, Value, json};
use std::ops::RangeInclusive;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The whole-call timeout of the engine under test (and of getAuthorizationCode).
const TIMEOUT: Duration = Duration::from_secs(1);
/// Every case's call returns within this, however the server misbehaves:
/// the timeout plus room for a loaded two-core CI machine.
const BOUND: Duration = Duration::from_secs(5);
/// Cases in flight at once.
const PARALLEL: usize = 16;
/// The tokens the wrong-shape answers carry (so a success can be recognised).
const ANSWER_ACCESS: &str = "fault-matrix-access-token";
const ANSWER_REFRESH: &str = "fault-matrix-refresh-token";
const PHONE: &str = "+44 1234 567890";

// ---------------------------------------------------------------- rows

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Call {
    WazzupCode,
    WazzupMachineToken,
    WazzupRefresh,
    PayuCode,
    PayuRefresh,
    PayuRevoke,
    WordappCode,
    WordappPassword,
    WordappClientCredentials,
    WordappRefresh,
    WordappRevoke,
    OAuth2Code,
    OAuth2Refresh,
    OAuth2Revoke,
    GreenApiLinkCode,
    GreenApiState,
    GreenApiLogout,
}

const CALLS: [Call; 17] = [
    Call::WazzupCode,
    Call::WazzupMachineToken,
    Call::WazzupRefresh,
    Call::PayuCode,
    Call::PayuRefresh,
    Call::PayuRevoke,
    Call::WordappCode,
    Call::WordappPassword,
    Call::WordappClientCredentials,
    Call::WordappRefresh,
    Call::WordappRevoke,
    Call::OAuth2Code,
    Call::OAuth2Refresh,
    Call::OAuth2Revoke,
    Call::GreenApiLinkCode,
    Call::GreenApiState,
    Call::GreenApiLogout,
];

/// What a call's answer is, which decides the shape faults that apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    /// An RFC 6749 token answer; Wazzup's is wrapped in `{data, meta}`.
    Token {
        wrapped: bool,
    },
    /// Revocation: only the status is read.
    Revoke,
    LinkCode,
    State,
    Logout,
}

impl Call {
    /// The provider as every message must name it.
    fn provider(self) -> &'static str {
        use Call::*;
        match self {
            WazzupCode | WazzupMachineToken | WazzupRefresh => "Wazzup",
            PayuCode | PayuRefresh | PayuRevoke => "PayU",
            WordappCode | WordappPassword | WordappClientCredentials | WordappRefresh | WordappRevoke => "Wordapp",
            // A server Latch knows by its address is named by it.
            OAuth2Code | OAuth2Refresh | OAuth2Revoke => "127.0.0.1:",
            GreenApiLinkCode => "GREEN-API (getAuthorizationCode)",
            GreenApiState => "GREEN-API (getStateInstance)",
            GreenApiLogout => "GREEN-API (logout)",
        }
    }

    /// The fake's route the fault is aimed at.
    fn route(self) -> &'static str {
        use Call::*;
        match self {
            WazzupCode | WazzupMachineToken | WazzupRefresh => "wazzup.token",
            PayuCode | PayuRefresh => "payu.token",
            PayuRevoke => "payu.revoke",
            WordappCode | WordappPassword | WordappClientCredentials | WordappRefresh => "wordapp.token",
            WordappRevoke => "wordapp.revoke",
            OAuth2Code | OAuth2Refresh => "oauth2.token",
            OAuth2Revoke => "oauth2.revoke",
            GreenApiLinkCode => "green_api.getAuthorizationCode",
            GreenApiState => "green_api.getStateInstance",
            GreenApiLogout => "green_api.logout",
        }
    }

    fn shape(self) -> Shape {
        use Call::*;
        match self {
            WazzupCode | WazzupMachineToken | WazzupRefresh => Shape::Token { wrapped: true },
            PayuCode
            | PayuRefresh
            | WordappCode
            | WordappPassword
            | WordappClientCredentials
            | WordappRefresh
            | OAuth2Code
            | OAuth2Refresh => Shape::Token { wrapped: false },
            PayuRevoke | WordappRevoke | OAuth2Revoke => Shape::Revoke,
            GreenApiLinkCode => Shape::LinkCode,
            GreenApiState => Shape::State,
            GreenApiLogout => Shape::Logout,
        }
    }

    fn is_green_api(self) -> bool {
        matches!(self.shape(), Shape::LinkCode | Shape::State | Shape::Logout)
    }

    /// Requests the call makes when nothing goes wrong (PayU and RFC 7009
    /// revoke the refresh token, then the access token).
    fn requests_when_fine(self) -> usize {
        match self {
            Call::PayuRevoke | Call::OAuth2Revoke => 2,
            _ => 1,
        }
    }
}

// ---------------------------------------------------------------- columns

/// The answer a wrong-shape column sends.
#[derive(Clone, Debug)]
enum Body {
    /// A well-formed token answer with these fields replaced (`None` removes one).
    Token(Vec<(&'static str, Option<Value>)>),
    /// This JSON as it is (also not wrapped for Wazzup).
    Raw(Value),
}

#[derive(Clone, Debug)]
enum Expect {
    /// The call succeeds. For a token answer of the matrix's own, the
    /// expiry is `None` or `obtained_at + seconds`; for GREEN-API's state, the state read.
    Works {
        expires_in: Option<Option<i64>>,
        state: Option<InstanceState>,
    },
    Fails {
        kind: ErrorKind,
        says: Vec<&'static str>,
        /// Seconds `Error::retry_after` must report (`0..=0` for none).
        retry_after: Option<RangeInclusive<u64>>,
    },
}

fn fails(kind: ErrorKind, says: &[&'static str]) -> Expect {
    Expect::Fails {
        kind,
        says: says.to_vec(),
        retry_after: None,
    }
}

fn works() -> Expect {
    Expect::Works {
        expires_in: None,
        state: None,
    }
}

fn works_expiring(expires_in: Option<i64>) -> Expect {
    Expect::Works {
        expires_in: Some(expires_in),
        state: None,
    }
}

#[derive(Clone, Debug)]
enum Inject {
    Nothing,
    Fault(FaultKind),
    /// A 429 whose Retry-After is an HTTP-date this far ahead (made when injected).
    TooManyUntil(Duration),
    Answer(Body),
}

#[derive(Clone, Debug)]
struct Case {
    call: Call,
    column: &'static str,
    inject: Inject,
    expect: Expect,
}

fn status(status: u16, content_type: &str, body: &str, headers: &[(&str, &str)]) -> FaultKind {
    FaultKind::Status {
        status,
        body: body.into(),
        content_type: content_type.into(),
        headers: headers.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect(),
    }
}

/// The transport columns, which apply to every call.
fn transport_columns(call: Call) -> Vec<(&'static str, Inject, Expect)> {
    let green = call.is_green_api();
    let too_many = |says: &'static str, retry_after: RangeInclusive<u64>| Expect::Fails {
        kind: ErrorKind::ProviderRefused,
        says: vec![
            "turned the request away because too many requests were sent (HTTP 429)",
            says,
        ],
        retry_after: Some(retry_after),
    };
    vec![
        ("fine", Inject::Nothing, works()),
        (
            "500",
            Inject::Fault(status(500, "text/plain", "", &[])),
            if green {
                fails(
                    ErrorKind::ProviderRefused,
                    &["GREEN-API had a problem, HTTP 500", "try again in a few minutes"],
                )
            } else {
                fails(
                    ErrorKind::ProviderRefused,
                    &["(HTTP 500: the server had a problem)", "try again later"],
                )
            },
        ),
        (
            "502 with an HTML page",
            Inject::Fault(FaultKind::html_status(
                502,
                "<html><body><h1>502 Bad Gateway</h1><p>nginx</p></body></html>",
            )),
            if green {
                fails(
                    ErrorKind::ProviderRefused,
                    &["GREEN-API had a problem, HTTP 502", "try again in a few minutes"],
                )
            } else {
                fails(
                    ErrorKind::InvalidAnswer,
                    &["an HTML page with HTTP status 502 instead of JSON", "try again later"],
                )
            },
        ),
        (
            "429 with Retry-After in seconds",
            Inject::Fault(status(
                429,
                "application/json",
                r#"{"error":"slow_down"}"#,
                &[("Retry-After", "7")],
            )),
            too_many("try again in 7 seconds", 7..=7),
        ),
        (
            "429 with Retry-After as a date",
            Inject::TooManyUntil(Duration::from_secs(30)),
            too_many("try again in", 27..=31),
        ),
        (
            "429 without Retry-After",
            Inject::Fault(status(429, "text/html", "<html>Too Many Requests</html>", &[])),
            too_many("try again in a minute", 0..=0),
        ),
        (
            "connection reset",
            Inject::Fault(FaultKind::ConnectionReset),
            fails(
                ErrorKind::Network,
                &[
                    "(the connection broke before an answer arrived)",
                    "check the internet connection",
                ],
            ),
        ),
        (
            "timeout",
            Inject::Fault(FaultKind::Delay(TIMEOUT + Duration::from_secs(3))),
            fails(ErrorKind::Timeout, &["did not answer within 1 second; try again later"]),
        ),
        (
            "answer trickling for a minute",
            Inject::Fault(FaultKind::Trickle {
                bytes_per_sec: 20,
                total: 1200,
            }),
            fails(ErrorKind::Timeout, &["did not answer within 1 second; try again later"]),
        ),
        (
            "10 MiB body",
            Inject::Fault(FaultKind::HugeBody(10 << 20)),
            fails(
                ErrorKind::InvalidAnswer,
                &["an answer larger than 1 MiB, with HTTP status 200"],
            ),
        ),
        (
            // No Content-Length: the cap is met while reading, not announced.
            "10 MiB body streamed without a length",
            Inject::Fault(FaultKind::Trickle {
                bytes_per_sec: 40 << 20,
                total: 10 << 20,
            }),
            fails(
                ErrorKind::InvalidAnswer,
                &["an answer larger than 1 MiB, with HTTP status 200"],
            ),
        ),
    ]
}

/// The wrong-shape columns of a token answer.
fn token_columns() -> Vec<(&'static str, Body, Expect)> {
    let bad = |says: &'static str| fails(ErrorKind::InvalidAnswer, &[says]);
    let set = |field: &'static str, value: Value| Body::Token(vec![(field, Some(value))]);
    let remove = |field: &'static str| Body::Token(vec![(field, None)]);
    vec![
        (
            "the answer as it should be",
            Body::Token(vec![]),
            works_expiring(Some(3600)),
        ),
        (
            "access_token missing",
            remove("access_token"),
            bad("a token answer without an access_token"),
        ),
        (
            "access_token null",
            set("access_token", Value::Null),
            bad("without an access_token"),
        ),
        (
            "access_token empty",
            set("access_token", json!("")),
            bad("an empty access_token"),
        ),
        (
            "access_token a number",
            set("access_token", json!(12345)),
            bad("an access_token that is not text"),
        ),
        (
            "access_token an object",
            set("access_token", json!({"value": "x"})),
            bad("an access_token that is not text"),
        ),
        (
            "refresh_token a number",
            set("refresh_token", json!(42)),
            bad("a refresh_token that is not text"),
        ),
        (
            "refresh_token a list",
            set("refresh_token", json!(["x"])),
            bad("a refresh_token that is not text"),
        ),
        (
            "scope a number",
            set("scope", json!(7)),
            bad("a scope that is not text"),
        ),
        (
            "scope a list of numbers",
            set("scope", json!([1, 2])),
            bad("a scope list with entries that are not text"),
        ),
        (
            "expires_in true",
            set("expires_in", json!(true)),
            bad("an expires_in that is not a number of seconds"),
        ),
        (
            "expires_in text",
            set("expires_in", json!("soon")),
            bad("an expires_in that is not a number of seconds"),
        ),
        (
            "expires_in \"NaN\"",
            set("expires_in", json!("NaN")),
            bad("an expires_in that is not a number of seconds"),
        ),
        (
            "token_type a number",
            set("token_type", json!(1)),
            bad("a token_type that is not text"),
        ),
        (
            "token_type mac",
            set("token_type", json!("mac")),
            bad("(a token of type \"mac\", but Latch only hands out Bearer tokens)"),
        ),
        (
            "token_type very long",
            set("token_type", json!(format!("DPoP{}", "x".repeat(300)))),
            bad("a token of another type, but Latch only hands out Bearer"),
        ),
        (
            "token_type lower case bearer",
            set("token_type", json!("bearer")),
            works_expiring(Some(3600)),
        ),
        ("token_type missing", remove("token_type"), works_expiring(Some(3600))),
        ("expires_in missing", remove("expires_in"), works_expiring(None)),
        ("expires_in null", set("expires_in", Value::Null), works_expiring(None)),
        (
            "expires_in as text",
            set("expires_in", json!("7200")),
            works_expiring(Some(7200)),
        ),
        (
            "expires_in zero",
            set("expires_in", json!(0)),
            bad("(a token that expires the moment it is issued (expires_in 0))"),
        ),
        (
            "expires_in negative",
            set("expires_in", json!(-3600)),
            bad("(a token that had expired before it was issued (expires_in -3600))"),
        ),
        (
            "expires_in absurd (1e300)",
            set("expires_in", json!(1e300)),
            works_expiring(None),
        ),
        (
            "expires_in absurd (u64::MAX)",
            set("expires_in", json!(u64::MAX)),
            works_expiring(None),
        ),
        (
            "expires_in absurd (-1e300)",
            set("expires_in", json!(-1e300)),
            bad("had expired before it was issued"),
        ),
        (
            "a list, not an object",
            Body::Raw(json!([])),
            bad("a JSON answer that is not an object"),
        ),
        (
            "JSON null",
            Body::Raw(Value::Null),
            bad("a JSON answer that is not an object"),
        ),
    ]
}

/// GREEN-API's analogues of the wrong-shape token answers.
fn green_api_columns(shape: Shape) -> Vec<(&'static str, Value, Expect)> {
    let bad = |says: &'static str| fails(ErrorKind::InvalidAnswer, &[says]);
    match shape {
        Shape::LinkCode => vec![
            (
                "code missing",
                json!({"status": true}),
                bad("(status true without a code)"),
            ),
            (
                "code null",
                json!({"status": true, "code": null}),
                bad("(status true without a code)"),
            ),
            (
                "code a number",
                json!({"status": true, "code": 12345678}),
                bad("(a code that is not text)"),
            ),
            (
                "code that cannot be typed",
                json!({"status": true, "code": "<script>alert(1)</script>"}),
                bad("(a code that cannot be typed into WhatsApp)"),
            ),
            (
                "status as text",
                json!({"status": "true", "code": "ABCD1234"}),
                bad("(a status that is not true or false)"),
            ),
            (
                "status missing",
                json!({"code": "ABCD1234"}),
                bad("(an answer without a status)"),
            ),
            (
                "status false",
                json!({"status": false, "code": ""}),
                fails(
                    ErrorKind::ProviderRefused,
                    &["(status: false: no link code this time)", "try again"],
                ),
            ),
            (
                "a list, not an object",
                json!([]),
                bad("(an answer that is not a JSON object)"),
            ),
        ],
        Shape::State => vec![
            (
                "stateInstance missing",
                json!({}),
                bad("(an answer without stateInstance)"),
            ),
            (
                "stateInstance a number",
                json!({"stateInstance": 5}),
                bad("(a stateInstance that is not text)"),
            ),
            (
                "a list, not an object",
                json!([]),
                bad("(an answer that is not a JSON object)"),
            ),
            (
                "JSON null (documented: still being created)",
                Value::Null,
                Expect::Works {
                    expires_in: None,
                    state: Some(InstanceState::Creating),
                },
            ),
            (
                "an unknown state with control characters",
                json!({"stateInstance": format!("weird\n{}", "s".repeat(100))}),
                Expect::Works {
                    expires_in: None,
                    state: Some(InstanceState::Unknown(format!("weird{}", "s".repeat(35)))),
                },
            ),
        ],
        Shape::Logout => vec![
            ("isLogout missing", json!({}), bad("(an answer without isLogout)")),
            (
                "isLogout as text",
                json!({"isLogout": "true"}),
                bad("(an isLogout that is not true or false)"),
            ),
            (
                "isLogout false",
                json!({"isLogout": false}),
                fails(
                    ErrorKind::ProviderRefused,
                    &["(isLogout: false: the instance was not logged out)"],
                ),
            ),
            ("a list, not an object", json!([]), bad("(an answer without isLogout)")),
        ],
        Shape::Token { .. } | Shape::Revoke => vec![],
    }
}

fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for call in CALLS {
        for (column, inject, expect) in transport_columns(call) {
            cases.push(Case {
                call,
                column,
                inject,
                expect,
            });
        }
        match call.shape() {
            Shape::Token { .. } => {
                for (column, body, expect) in token_columns() {
                    cases.push(Case {
                        call,
                        column,
                        inject: Inject::Answer(body),
                        expect,
                    });
                }
            }
            Shape::Revoke => {}
            shape => {
                for (column, body, expect) in green_api_columns(shape) {
                    cases.push(Case {
                        call,
                        column,
                        inject: Inject::Answer(Body::Raw(body)),
                        expect,
                    });
                }
            }
        }
    }
    cases
}

// ---------------------------------------------------------------- one case

/// What the cases of one row share: a Latch over a memory keyring (each
/// case has its own account in it), and a patient engine for the setup.
/// Building an HTTP client costs tens of milliseconds in a debug build, so
/// cases do not each build their own.
struct Row {
    latch: Latch,
    secrets: Arc<MemoryStore>,
    patient: Arc<Engine>,
    _home: tempfile::TempDir,
}

fn row(patient: Arc<Engine>) -> Row {
    // The index's fsyncs are not under test here and would queue the cases
    // behind the disk: a RAM disk where there is one.
    let home = match std::path::Path::new("/dev/shm") {
        shm if shm.is_dir() => tempfile::tempdir_in(shm).or_else(|_| tempfile::tempdir()),
        _ => tempfile::tempdir(),
    }
    .unwrap();
    let secrets = Arc::new(MemoryStore::new());
    let config = EngineConfig {
        http: HttpConfig {
            connect_timeout: Duration::from_secs(2),
            timeout: TIMEOUT,
            ..Default::default()
        },
        link_code_timeout: TIMEOUT,
        ..Default::default()
    };
    let latch = Latch::with_secrets(Some(home.path().to_owned()), secrets.clone(), config).unwrap();
    Row {
        latch,
        secrets,
        patient,
        _home: home,
    }
}

/// One case's world: its own sandbox, and its own account in the row's Latch.
struct World {
    sb: Sandbox,
    row: Arc<Row>,
    account: Account,
    /// Every secret the account holds or the flow handled: none may appear in a message.
    known_secrets: Vec<String>,
}

impl World {
    fn count(&self, route: &str) -> usize {
        match route.split('.').next().unwrap() {
            "wazzup" => self.sb.wazzup().count(route),
            "payu" => self.sb.payu().count(route),
            "wordapp" => self.sb.wordapp().count(route),
            "oauth2" => self.sb.oauth2().count(route),
            "green_api" => self.sb.green_api().count(route),
            other => panic!("no fake {other}"),
        }
    }

    fn inject(&self, route: &str, fault: Fault) {
        match route.split('.').next().unwrap() {
            "wazzup" => self.sb.wazzup().inject(route, fault),
            "payu" => self.sb.payu().inject(route, fault),
            "wordapp" => self.sb.wordapp().inject(route, fault),
            "oauth2" => self.sb.oauth2().inject(route, fault),
            "green_api" => self.sb.green_api().inject(route, fault),
            other => panic!("no fake {other}"),
        }
    }

    /// The keyring entry and the index row, as bytes.
    fn snapshot(&self) -> (Vec<u8>, Vec<u8>) {
        let secrets = self.row.secrets.get(&self.account.id).unwrap();
        let row = self.row.latch.find(self.account.id.as_str()).unwrap();
        (serde_json::to_vec(&secrets).unwrap(), serde_json::to_vec(&row).unwrap())
    }

    /// The demo instance's state at the fake GREEN-API.
    fn fake_state(&self) -> Option<FakeState> {
        self.sb
            .green_api()
            .instance(demo().green_api_id_instance)
            .expect("the demo instance")
            .state
    }

    fn stored_tokens(&self) -> Option<TokenSet> {
        self.row.secrets.get(&self.account.id).unwrap().and_then(|s| s.tokens)
    }
}

fn secrets_of(secrets: &AccountSecrets) -> Vec<String> {
    let mut all = Vec::new();
    if let Some(s) = &secrets.client_secret {
        all.push(s.secret().to_owned());
    }
    if let Some(login) = &secrets.partner_login {
        all.push(login.password.secret().to_owned());
    }
    if let Some(t) = &secrets.api_token {
        all.push(t.secret().to_owned());
    }
    if let Some(tokens) = &secrets.tokens {
        all.push(tokens.access_token.secret().to_owned());
        all.extend(tokens.refresh_token.as_ref().map(|r| r.secret().to_owned()));
    }
    all
}

/// The sandbox, and the account connected (or, for GREEN-API, added) the
/// way a person would have done before the faulty call. Setup uses a
/// patient engine; the call under test uses the Latch's short timeouts.
async fn world(call: Call, row: Arc<Row>, number: usize) -> World {
    let sb = flows_support::sandbox().await;
    let patient = &row.patient;
    use Call::*;
    let (mut account, mut account_secrets) = match call {
        WazzupCode | WazzupRefresh => wazzup(&sb, Grant::AuthorizationCode),
        WazzupMachineToken => wazzup(&sb, Grant::ClientCredentials),
        PayuCode | PayuRefresh | PayuRevoke => payu(&sb),
        WordappCode => wordapp(&sb, Grant::AuthorizationCode),
        WordappPassword | WordappRefresh | WordappRevoke => wordapp(&sb, Grant::Password),
        WordappClientCredentials => wordapp(&sb, Grant::ClientCredentials),
        OAuth2Code | OAuth2Refresh | OAuth2Revoke => oauth2(&sb, ClientAuth::Basic, true, Grant::AuthorizationCode),
        GreenApiLinkCode | GreenApiState | GreenApiLogout => green_api(&sb),
    };
    account.id = AccountId::parse(&format!("case-{number}")).unwrap();
    let tokens = match call {
        WazzupMachineToken | WordappClientCredentials => {
            Some(patient.client_credentials(&account, &account_secrets).await.unwrap())
        }
        WordappPassword | WordappRefresh | WordappRevoke => Some(
            patient
                .password(&account, &account_secrets, "", Password::new(demo().wordapp_password))
                .await
                .unwrap(),
        ),
        GreenApiLinkCode | GreenApiState | GreenApiLogout => None,
        _ => Some(connect(patient, &account, &account_secrets).await),
    };
    match tokens {
        Some(tokens) => {
            account.token = Some(tokens.meta());
            account.status = AccountStatus::Connected;
            account_secrets.tokens = Some(tokens);
        }
        None if call == GreenApiLogout => {
            sb.green_api()
                .set_state(demo().green_api_id_instance, Some(FakeState::Authorized));
            account.status = AccountStatus::Linked;
        }
        None => {}
    }
    let account = row.latch.add(account, account_secrets.clone()).unwrap();
    let mut known_secrets = secrets_of(&account_secrets);
    let d = demo();
    known_secrets.extend([
        d.wazzup_password,
        d.payu_client_secret,
        d.wordapp_client_secret,
        d.wordapp_password,
        d.oauth2_client_secret,
        d.green_api_token,
        ANSWER_ACCESS.into(),
        ANSWER_REFRESH.into(),
    ]);
    World {
        sb,
        row,
        account,
        known_secrets,
    }
}

/// The fake's instance state as Latch names it.
fn core_state(fake: Option<FakeState>) -> InstanceState {
    match fake {
        None => InstanceState::Creating,
        Some(FakeState::NotAuthorized) => InstanceState::NotAuthorized,
        Some(FakeState::Authorized) => InstanceState::Authorized,
        Some(FakeState::Blocked) => InstanceState::Blocked,
        Some(FakeState::SleepMode) => InstanceState::SleepMode,
        Some(FakeState::Starting) => InstanceState::Starting,
        Some(FakeState::YellowCard) => InstanceState::YellowCard,
    }
}

/// What the call returned, reduced to what the checks need.
enum Outcome {
    Tokens(TokenSet),
    Revoked(RevokeOutcome),
    LinkCode(LinkCode),
    State(InstanceState),
}

/// The answer body a wrong-shape column sends for this call.
fn answer_body(call: Call, body: &Body) -> Value {
    match body {
        Body::Raw(value) => value.clone(),
        Body::Token(patch) => {
            let mut fields: Map<String, Value> = json!({
                "access_token": ANSWER_ACCESS,
                "refresh_token": ANSWER_REFRESH,
                "token_type": "Bearer",
                "expires_in": 3600,
                "scope": "read write",
            })
            .as_object()
            .unwrap()
            .clone();
            for (field, value) in patch {
                match value {
                    Some(v) => fields.insert((*field).to_owned(), v.clone()),
                    None => fields.remove(*field),
                };
            }
            match call.shape() {
                Shape::Token { wrapped: true } => json!({"data": fields, "meta": {"timestamp": 1759481570}}),
                _ => Value::Object(fields),
            }
        }
    }
}

/// Runs one case; `Err` lists what was wrong.
async fn run(case: Case, row: Arc<Row>, number: usize) -> Result<Duration, String> {
    let call = case.call;
    let w = world(call, row, number).await;
    // An exchange needs a fresh consent first (the browser's part is not under test).
    let pending = match call {
        Call::WazzupCode | Call::PayuCode | Call::WordappCode | Call::OAuth2Code => {
            let (url, pending) = w.row.latch.start_authorization(&w.account, None).unwrap();
            let callback = CallbackParams::from_url(&browse(&url).await).unwrap();
            Some((pending, callback))
        }
        _ => None,
    };
    let mut known_secrets = w.known_secrets.clone();
    if let Some((_, callback)) = &pending {
        known_secrets.extend(callback.code.as_ref().map(|c| c.secret().to_owned()));
    }
    let before = w.snapshot();
    let tokens_before = w.stored_tokens();
    let requests_before = w.count(call.route());
    match &case.inject {
        Inject::Nothing => {}
        Inject::Fault(kind) => w.inject(call.route(), Fault::once(kind.clone())),
        Inject::TooManyUntil(ahead) => {
            let date = httpdate_in(*ahead);
            w.inject(
                call.route(),
                Fault::once(status(429, "text/plain", "", &[("Retry-After", &date)])),
            )
        }
        Inject::Answer(body) => w.inject(call.route(), Fault::once(FaultKind::Json(answer_body(call, body)))),
    }

    let started = Instant::now();
    let latch = &w.row.latch;
    let account = &w.account;
    let result = tokio::time::timeout(BOUND, async {
        match call {
            Call::WazzupCode | Call::PayuCode | Call::WordappCode | Call::OAuth2Code => {
                let (pending, callback) = pending.unwrap();
                latch
                    .complete_authorization(account, pending, callback)
                    .await
                    .map(Outcome::Tokens)
            }
            Call::WazzupMachineToken | Call::WordappClientCredentials => latch
                .connect_with_client_credentials(account)
                .await
                .map(Outcome::Tokens),
            Call::WordappPassword => latch
                .connect_with_password(account, "", Password::new(demo().wordapp_password))
                .await
                .map(Outcome::Tokens),
            Call::WazzupRefresh | Call::PayuRefresh | Call::WordappRefresh | Call::OAuth2Refresh => {
                latch.refresh(account).await.map(Outcome::Tokens)
            }
            Call::PayuRevoke | Call::WordappRevoke | Call::OAuth2Revoke | Call::GreenApiLogout => {
                latch.revoke(account).await.map(Outcome::Revoked)
            }
            Call::GreenApiLinkCode => latch.request_link_code(account, PHONE).await.map(Outcome::LinkCode),
            Call::GreenApiState => latch.instance_state(account).await.map(Outcome::State),
        }
    })
    .await;
    let elapsed = started.elapsed();
    let Ok(result) = result else {
        return Err(format!("no answer within {BOUND:?}: the wait is not bounded"));
    };

    let mut wrong = Vec::new();
    let requests = w.count(call.route()) - requests_before;
    match (&case.expect, result) {
        (
            Expect::Fails {
                kind,
                says,
                retry_after,
            },
            Err(e),
        ) => {
            let message = e.to_string();
            if e.kind() != *kind {
                wrong.push(format!("kind {:?}, expected {kind:?}: {message}", e.kind()));
            }
            if !message.contains(call.provider()) {
                wrong.push(format!("the message does not name {}: {message}", call.provider()));
            }
            for phrase in says {
                if !message.contains(phrase) {
                    wrong.push(format!("the message does not say {phrase:?}: {message}"));
                }
            }
            if !(message.ends_with('.') && message.contains("; ")) {
                wrong.push(format!("not one sentence that says what to do: {message}"));
            }
            let shown = [message.clone(), format!("{e:?}"), serde_json::to_string(&e).unwrap()];
            for secret in &known_secrets {
                if shown.iter().any(|text| text.contains(secret.as_str())) {
                    wrong.push(format!("a secret of the account is in the error: {message}"));
                }
            }
            if shown.iter().any(|text| text.contains("waInstance")) {
                wrong.push(format!("a GREEN-API URL (with its token) is in the error: {message}"));
            }
            if let Some(range) = retry_after {
                let got = e.retry_after().map(|d| d.as_secs());
                let right = match got {
                    None => *range == (0..=0),
                    Some(seconds) => range.contains(&seconds),
                };
                if !right {
                    wrong.push(format!("retry_after {got:?} s, expected {range:?}"));
                }
            }
            if requests != 1 {
                wrong.push(format!(
                    "{requests} requests at {}: a failed call is never retried",
                    call.route()
                ));
            }
            if w.snapshot() != before {
                wrong.push("the stored secrets or the index row changed".into());
            }
            check_no_loss(&w, call, &e, &mut wrong);
        }
        (Expect::Fails { .. }, Ok(_)) => wrong.push("succeeded, expected a failure".into()),
        (Expect::Works { .. }, Err(e)) => wrong.push(format!("failed, expected success: {e}")),
        (Expect::Works { expires_in, state }, Ok(outcome)) => {
            let expected = if matches!(case.inject, Inject::Nothing) {
                call.requests_when_fine()
            } else {
                1
            };
            if requests != expected {
                wrong.push(format!("{requests} requests at {}, expected {expected}", call.route()));
            }
            match outcome {
                Outcome::Tokens(tokens) => {
                    let stored = w.stored_tokens();
                    if stored.as_ref() != Some(&tokens) {
                        wrong.push("the new token set is not what is stored".into());
                    }
                    if stored == tokens_before {
                        wrong.push("the stored token set did not change".into());
                    }
                    let row = w.row.latch.find(w.account.id.as_str()).unwrap();
                    if row.token != Some(tokens.meta()) || row.status != AccountStatus::Connected {
                        wrong.push(format!("the index does not follow the new set: {row:?}"));
                    }
                    if let Some(expires_in) = expires_in {
                        if tokens.access_token.secret() != ANSWER_ACCESS {
                            wrong.push("the access token is not the one answered".into());
                        }
                        let expected = expires_in.map(|s| tokens.obtained_at + s);
                        if tokens.expires_at != expected {
                            wrong.push(format!("expires_at {:?}, expected {expected:?}", tokens.expires_at));
                        }
                    }
                }
                Outcome::Revoked(outcome) => {
                    if outcome != RevokeOutcome::Revoked {
                        wrong.push(format!("revoke outcome {outcome:?}"));
                    }
                    if w.row.secrets.get(&w.account.id).unwrap().is_some() {
                        wrong.push("revoked, but the local secrets are still there".into());
                    }
                    if call == Call::GreenApiLogout && w.fake_state() != Some(FakeState::NotAuthorized) {
                        wrong.push(format!("logged out, but the fake's instance is {:?}", w.fake_state()));
                    }
                }
                Outcome::LinkCode(code) => {
                    // The code is the one the fake issued for the number asked
                    // for: typed on the phone, it links that number.
                    if code.phone != PhoneNumber::parse(PHONE).unwrap() {
                        wrong.push(format!("a code for {:?}, asked for {PHONE}", code.phone));
                    }
                    let instance = demo().green_api_id_instance;
                    if !w.sb.green_api().enter_code(instance, &code.code) {
                        wrong.push(format!("the fake does not take the code {:?}", code.code));
                    } else if w.sb.green_api().wid(instance).as_deref() != Some("441234567890@c.us") {
                        wrong.push(format!("the code linked {:?}", w.sb.green_api().wid(instance)));
                    }
                    if w.snapshot() != before {
                        wrong.push("asking for a link code changed the stored secrets or the index row".into());
                    }
                }
                Outcome::State(read) => {
                    // Without a state of the column's own, the one the fake holds.
                    let expected = state.clone().unwrap_or_else(|| core_state(w.fake_state()));
                    if read != expected {
                        wrong.push(format!("state {read:?}, expected {expected:?}"));
                    }
                }
            }
        }
    }
    if elapsed > TIMEOUT + Duration::from_secs(3) {
        wrong.push(format!("took {elapsed:?}"));
    }
    if wrong.is_empty() {
        Ok(elapsed)
    } else {
        Err(wrong.join("\n      "))
    }
}

/// Beyond the bytes: a failed refresh leaves the account connected (only a
/// refusal of the grant may turn it to "needs reconnect", and no fault here is one).
fn check_no_loss(w: &World, call: Call, e: &Error, wrong: &mut Vec<String>) {
    let row = w.row.latch.find(w.account.id.as_str()).unwrap();
    let expected = if call.is_green_api() {
        w.account.status.clone()
    } else {
        AccountStatus::Connected
    };
    if row.status != expected {
        wrong.push(format!("the account turned {:?} after: {e}", row.status));
    }
}

/// An HTTP-date `ahead` from now, as a Retry-After header carries it.
fn httpdate_in(ahead: Duration) -> String {
    httpdate::fmt_http_date(std::time::SystemTime::now() + ahead)
}

// ---------------------------------------------------------------- the matrix

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_call_survives_every_fault_without_losing_anything() {
    let cases = cases();
    let total = cases.len();
    assert!(total >= 300, "the matrix shrank to {total} cases");
    let started = Instant::now();
    let gate = Arc::new(tokio::sync::Semaphore::new(PARALLEL));
    let patient = Arc::new(flows_support::engine());
    let rows: Vec<(Call, Arc<Row>)> = CALLS.iter().map(|&c| (c, Arc::new(row(patient.clone())))).collect();
    let mut running = tokio::task::JoinSet::new();
    for (number, case) in cases.into_iter().enumerate() {
        let gate = gate.clone();
        let row = rows.iter().find(|(c, _)| *c == case.call).unwrap().1.clone();
        running.spawn(async move {
            let _turn = gate.acquire_owned().await.unwrap();
            let name = format!("{:?} × {}", case.call, case.column);
            (name, run(case, row, number).await)
        });
    }
    let mut failures = Vec::new();
    let mut slowest = Duration::ZERO;
    while let Some(done) = running.join_next().await {
        let (name, result) = done.expect("a case panicked");
        match result {
            Ok(elapsed) => slowest = slowest.max(elapsed),
            Err(why) => failures.push(format!("{name}:\n      {why}")),
        }
    }
    failures.sort();
    println!(
        "fault matrix: {total} cases ({} calls), {} failed, in {:.1?} (slowest call {slowest:.1?})",
        CALLS.len(),
        failures.len(),
        started.elapsed()
    );
    assert!(
        failures.is_empty(),
        "{} of {total} cases failed:\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}

/// Watching a link code repeats getStateInstance — a GET, safe to repeat —
/// through every passing fault, and still sees the number linked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watching_a_link_code_reads_the_state_again_through_passing_faults() {
    let row = Arc::new(row(Arc::new(flows_support::engine())));
    let w = world(Call::GreenApiLinkCode, row, 0).await;
    let code = w.row.latch.request_link_code(&w.account, PHONE).await.unwrap();
    let route = Call::GreenApiState.route();
    let faults: Vec<FaultKind> = transport_columns(Call::GreenApiState)
        .into_iter()
        .filter_map(|(_, inject, _)| match inject {
            Inject::Fault(kind) => Some(kind),
            _ => None,
        })
        .chain([FaultKind::Json(json!({})), FaultKind::Json(json!({"stateInstance": 5}))])
        .collect();
    for fault in &faults {
        w.inject(route, Fault::once(fault.clone()));
    }
    let before = w.count(route);
    let watch = LinkWatch {
        lifetime: Duration::from_secs(30),
        interval: Duration::from_millis(50),
    };
    let type_code = async {
        // The person types the code once every fault has been met.
        while w.count(route) < before + faults.len() + 1 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(
            w.sb.green_api()
                .enter_code(demo().green_api_id_instance, &code.grouped())
        );
    };
    let (outcome, ()) = tokio::time::timeout(Duration::from_secs(25), async {
        tokio::join!(w.row.latch.wait_until_linked(&w.account, &code, watch), type_code)
    })
    .await
    .expect("the watch ends");
    assert_eq!(outcome.unwrap(), LinkOutcome::Linked);
    assert_eq!(
        w.row.latch.find(w.account.id.as_str()).unwrap().status,
        AccountStatus::Linked
    );
}
