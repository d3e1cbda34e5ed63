//! What a person types or pastes: a JWT access token shown for reading, a
//! phone number for GREEN-API.

use crate::phone::{MAX_DIGITS, MIN_DIGITS, PhoneNumber};

/// `jwt::claims`: only a three-part token with an object payload has claims.
pub fn jwt(data: &[u8]) {
    let Ok(token) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(claims) = crate::jwt::claims(token) {
        assert!(claims.is_object(), "claims that are not an object");
        assert_eq!(
            token.split('.').count(),
            3,
            "claims from a token that is not three parts"
        );
    }
}

/// `PhoneNumber::parse`: a number it accepts has 8 to 15 digits and reads
/// back the same from its display; a refusal is one sentence with advice.
pub fn phone(data: &[u8]) {
    let Ok(typed) = std::str::from_utf8(data) else {
        return;
    };
    match PhoneNumber::parse(typed) {
        Ok(number) => {
            let digits = number.digits().to_string();
            assert!(
                (MIN_DIGITS..=MAX_DIGITS).contains(&digits.len()),
                "{typed:?} became {digits}"
            );
            let again = PhoneNumber::parse(&number.to_string()).expect("its own display reads back");
            assert_eq!(again, number);
            assert!(
                digits.chars().all(|c| typed.contains(c)),
                "{typed:?} became {digits}: digits from nowhere"
            );
        }
        Err(e) => {
            assert_eq!(e.kind(), crate::ErrorKind::InvalidInput);
            let message = e.to_string();
            super::assert_readable(&message);
            assert!(message.contains("; "), "no advice in {message:?}");
        }
    }
}
