//! WhatsApp phone numbers as people type them.
//!
//! GREEN-API wants the number in international format, digits only, without
//! `+` or `00`, sent as a JSON number (document 002). People type
//! `+44 1234 567890`, `0044 1234-567890`, `(44) 1234 567890`: separators
//! (spaces, dashes, dots, parentheses) are dropped, a leading `+` or `00` is
//! the international prefix. What cannot be right is refused here, before any
//! request, with a sentence that says how to fix it: letters, a local number
//! (a single leading `0`, which means the country code is missing), and a
//! length outside E.164's (8 to 15 digits once normalized; the ITU allows at
//! most 15, and no country's full numbers are shorter than 8).

use crate::error::Error;
use std::fmt;

/// Fewest digits accepted (country code included).
pub const MIN_DIGITS: usize = 8;
/// Most digits E.164 allows (country code included).
pub const MAX_DIGITS: usize = 15;

/// A phone number in international format: country code and number, digits only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PhoneNumber(u64);

impl PhoneNumber {
    /// Reads a number as a person typed it, or says in one sentence what is wrong.
    pub fn parse(input: &str) -> Result<Self, Error> {
        let typed = input.trim();
        if typed.is_empty() {
            return Err(refuse(
                "The phone number is empty; enter the WhatsApp number with its country code, for example +44 1234 567890.",
            ));
        }
        let (plus, rest) = match typed.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, typed),
        };
        let mut digits = String::new();
        for c in rest.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' | '.' | '(' | ')' | '\u{a0}' => {}
                '+' => {
                    return Err(refuse(&format!(
                        "The phone number \"{}\" has a + that is not at its start; write it once, before the country code, for example +44 1234 567890.",
                        shown(typed)
                    )));
                }
                _ => {
                    return Err(refuse(&format!(
                        "The phone number \"{}\" contains something other than digits, spaces, dashes, dots and parentheses; type only the number, for example +44 1234 567890.",
                        shown(typed)
                    )));
                }
            }
        }
        let international = if plus {
            digits.as_str()
        } else if let Some(after) = digits.strip_prefix("00") {
            after
        } else if digits.starts_with('0') {
            return Err(refuse(&format!(
                "The phone number \"{}\" looks like a local number (it starts with 0); include the country code instead of the 0, for example +44 7911 123456.",
                shown(typed)
            )));
        } else {
            digits.as_str()
        };
        if international.starts_with('0') {
            return Err(refuse(&format!(
                "The phone number \"{}\" has no country code (no country code starts with 0); write it as + and the country code, for example +44 1234 567890.",
                shown(typed)
            )));
        }
        let n = international.len();
        if !(MIN_DIGITS..=MAX_DIGITS).contains(&n) {
            let how = if n < MIN_DIGITS { "too few" } else { "too many" };
            return Err(refuse(&format!(
                "The phone number \"{}\" has {how} digits ({n}; a full international number has {MIN_DIGITS} to {MAX_DIGITS}); check it and include the country code.",
                shown(typed)
            )));
        }
        // At most 15 ASCII digits: always fits in a u64.
        Ok(Self(international.parse().expect("at most 15 digits")))
    }

    /// The number as GREEN-API wants it: `441234567890`.
    pub fn digits(&self) -> u64 {
        self.0
    }
}

/// `+441234567890`.
impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "+{}", self.0)
    }
}

fn refuse(sentence: &str) -> Error {
    Error::InvalidInput(sentence.to_owned())
}

/// The input, short and printable, for quoting in a message.
fn shown(typed: &str) -> String {
    typed.chars().filter(|c| !c.is_control()).take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_typed_the_usual_ways_become_international_digits() {
        for typed in [
            "+44 1234 567890",
            "0044 1234-567890",
            "(44) 1234 567890",
            "44.1234.567890",
            "+44 (1234) 567-890",
            "  441234567890  ",
            "+441234567890",
        ] {
            assert_eq!(PhoneNumber::parse(typed).unwrap().digits(), 441234567890, "{typed}");
        }
        assert_eq!(
            PhoneNumber::parse("0044 1234-567890").unwrap().to_string(),
            "+441234567890"
        );
    }

    #[test]
    fn a_local_number_asks_for_the_country_code() {
        let e = PhoneNumber::parse("07911 123456").unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::InvalidInput);
        assert!(e.to_string().contains("include the country code"), "{e}");
    }

    #[test]
    fn numbers_that_cannot_be_right_are_refused_with_a_sentence() {
        for (typed, says) in [
            ("", "is empty"),
            ("   ", "is empty"),
            ("+44 1234 CALLME", "something other than digits"),
            ("44-1234-567890 ext 2", "something other than digits"),
            ("+44 +1234567890", "+ that is not at its start"),
            ("+1234567", "too few digits (7;"),
            ("+1234 5678 9012 3456", "too many digits (16;"),
            ("+0 1234 567890", "no country code"),
            ("000441234567890", "no country code"),
            ("+٤٤١٢٣٤٥٦٧٨٩٠", "something other than digits"),
        ] {
            let e = PhoneNumber::parse(typed).unwrap_err();
            let text = e.to_string();
            assert!(text.contains(says), "{typed:?}: {text}");
            assert!(
                text.ends_with('.') && text.contains("; "),
                "one sentence with advice: {text}"
            );
        }
    }

    #[test]
    fn the_longest_and_shortest_allowed_numbers_fit() {
        assert_eq!(
            PhoneNumber::parse("+123456789012345").unwrap().digits(),
            123456789012345
        );
        assert_eq!(PhoneNumber::parse("+12345678").unwrap().digits(), 12345678);
    }
}
