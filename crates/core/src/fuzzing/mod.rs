//! The fuzz harnesses: one function per cargo-fuzz target in `fuzz/`.
//!
//! Each takes the fuzzer's bytes to one of the parsers that meet the outside
//! world — a callback URL or a loopback request, a provider's answer, the
//! index file, a JWT, a typed phone number — and checks what must hold
//! whatever comes in, beyond "does not panic": an accepted callback carries
//! exactly what the URL said, no error repeats a token from the answer, an
//! index that loads saves and loads back the same. A failed check panics,
//! which is how libFuzzer learns of it.
//!
//! They live in the library rather than in `fuzz/` so that
//! `tests/fuzz_corpus.rs` replays the committed corpus through the very same
//! checks on stable: CI catches a regression without running the fuzzer.
//! Not part of Latch's API.

mod answers;
mod callback;
mod index;
mod typed;

pub use answers::{green_api_answer, token_answer};
pub use callback::callback_url;
pub use index::index_file;
pub use typed::{jwt, phone};

/// A harness: the fuzzer's bytes in, a panic when a check fails.
pub type Harness = fn(&[u8]);

/// Every target by the name of its folder in `fuzz/corpus/` and its file in
/// `fuzz/fuzz_targets/`.
pub const TARGETS: [(&str, Harness); 6] = [
    ("callback_url", callback_url),
    ("token_answer", token_answer),
    ("green_api_answer", green_api_answer),
    ("index_file", index_file),
    ("jwt", jwt),
    ("phone", phone),
];

/// Words that look like a token or a code: at least 8 characters of
/// `[A-Za-z0-9_~+/-]` with a letter and a digit. Latch's own sentences hold
/// none, so one of these in a message came from the input.
fn token_like_words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || "_~+/-".contains(c)))
        .filter(|w| w.len() >= 8)
        .filter(|w| w.bytes().any(|b| b.is_ascii_digit()) && w.bytes().any(|b| b.is_ascii_alphabetic()))
}

/// What every message a person reads must be: one line, of a sane length,
/// ending with a period.
fn assert_readable(message: &str) {
    assert!(
        !message.chars().any(char::is_control),
        "a message with control characters: {message:?}"
    );
    assert!(
        message.chars().count() <= 1000,
        "a message of {} characters",
        message.chars().count()
    );
    assert!(message.ends_with('.'), "a message that is not a sentence: {message:?}");
}
