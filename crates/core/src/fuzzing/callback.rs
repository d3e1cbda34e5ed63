//! The redirect back from the provider: a callback URL (deep link, pasted,
//! or built from a loopback request) and the loopback request head itself.

use crate::flows::{MAX_CALLBACK_LEN, PendingFlows};
use crate::model::{AccountId, ProviderKind};
use crate::redirect::loopback::{self, MAX_REQUEST_HEAD};
use crate::secret::State;
use crate::{CallbackParams, PendingFlow};

/// The state of the one sign-in waiting while a callback arrives.
const FLOW_STATE: &str = "st4te-Of-The-Real-Flow";
/// The loopback listener the request heads are sent to.
const PORT: u16 = 8976;
const PATH: &str = "/callback";

/// Each input is read twice: as a callback URL, and as the request head a
/// browser sends to the loopback listener (whose target then becomes one).
pub fn callback_url(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        check_callback(text);
    }
    check_loopback_request(data);
}

fn pending_flow() -> PendingFlow {
    PendingFlow {
        account_id: AccountId::parse("fuzz").expect("a valid id"),
        provider: ProviderKind::Oauth2,
        state: State::new(FLOW_STATE),
        verifier: None,
        nonce: None,
        redirect_uri: format!("http://127.0.0.1:{PORT}{PATH}"),
        deadline: crate::time::now() + 600,
        iss: Default::default(),
    }
}

fn check_callback(input: &str) {
    let parsed = CallbackParams::from_url(input);
    match &parsed {
        Ok(params) => check_params(input, params),
        Err(e) => check_rejection(input, &e.to_string()),
    }
    let flows = PendingFlows::new();
    flows.insert(pending_flow());
    match flows.accept(input) {
        Ok((flow, params)) => {
            assert!(parsed.is_ok(), "accepted what from_url refused: {input:?}");
            assert_eq!(flow.state.secret(), FLOW_STATE);
            assert_eq!(params.state.as_ref().map(State::secret), Some(FLOW_STATE));
            assert!(flows.is_empty(), "an accepted flow stays pending");
        }
        Err(e) => {
            // Junk or a forgery must not cancel the real sign-in.
            assert_eq!(flows.len(), 1, "a rejected callback took the flow: {input:?}");
            check_rejection(input, &e.to_string());
        }
    }
}

/// What `from_url` kept is exactly what the URL's query says, read by the
/// `url` crate's (lenient) form decoder, and no callback key came twice.
fn check_params(input: &str, params: &CallbackParams) {
    let input = input.trim();
    assert!(
        input.len() <= MAX_CALLBACK_LEN,
        "a {} byte callback accepted",
        input.len()
    );
    let query = match url::Url::parse(input) {
        Ok(url) => url.query().unwrap_or_default().to_owned(),
        Err(_) => input.strip_prefix('?').unwrap_or(input).to_owned(),
    };
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes()).into_owned().collect();
    let first = |keys: &[&str]| {
        pairs
            .iter()
            .find(|(k, _)| keys.contains(&k.as_str()))
            .map(|(_, v)| v.as_str())
    };
    let count = |keys: &[&str]| pairs.iter().filter(|(k, _)| keys.contains(&k.as_str())).count();
    for keys in [
        &["code", "auth_code"][..],
        &["state"],
        &["error"],
        &["error_description"],
        &["merchantId"],
    ] {
        assert!(count(keys) <= 1, "{keys:?} more than once in an accepted {input:?}");
    }
    let code = params.code.as_ref().map(|c| c.secret());
    assert_eq!(code, first(&["code", "auth_code"]), "code of {input:?}");
    let state = params.state.as_ref().map(State::secret);
    assert_eq!(state, first(&["state"]), "state of {input:?}");
    assert_eq!(params.error.as_deref(), first(&["error"]), "error of {input:?}");
    assert_eq!(
        params.error_description.as_deref(),
        first(&["error_description", "description"]),
        "error_description of {input:?}"
    );
    assert_eq!(
        params.merchant_id.as_deref(),
        first(&["merchantId"]),
        "merchantId of {input:?}"
    );
    if let Some(base) = &params.redirect_base {
        assert!(!base.contains(['?', '#']), "a redirect base with a query: {base:?}");
    }
}

/// A refusal names no part of the callback: no code, no state.
fn check_rejection(input: &str, message: &str) {
    super::assert_readable(message);
    assert!(!message.contains(FLOW_STATE), "the flow's state in {message:?}");
    for word in super::token_like_words(input) {
        assert!(!message.contains(word), "{word:?} of the callback in {message:?}");
    }
}

fn check_loopback_request(head: &[u8]) {
    let target = match loopback::request_target(head) {
        Ok(Some(target)) => target,
        Ok(None) => {
            assert!(
                head.len() < MAX_REQUEST_HEAD,
                "waits for more than {MAX_REQUEST_HEAD} bytes"
            );
            return;
        }
        Err(_) => return,
    };
    assert!(
        head.windows(target.len()).any(|w| w == target.as_bytes()),
        "a target that is not in the request: {target:?}"
    );
    // httparse lets UTF-8 through (U+0080–U+009F are controls), never ASCII controls or spaces.
    assert!(
        !target.is_empty() && !target.bytes().any(|b| b.is_ascii_whitespace() || b.is_ascii_control()),
        "target {target:?}"
    );
    let Some(url) = loopback::callback_url(PORT, PATH, &target) else {
        return;
    };
    let expected_base = format!("http://127.0.0.1:{PORT}{PATH}");
    assert!(url.starts_with(&expected_base), "{url:?}");
    check_callback(&url);
    if let Ok(params) = CallbackParams::from_url(&url) {
        assert_eq!(
            params.redirect_base.as_deref(),
            Some(expected_base.as_str()),
            "a loopback callback that seems to arrive elsewhere: {url:?}"
        );
    }
}
