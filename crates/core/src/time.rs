//! The wall clock, in the store's unit (Unix seconds).
//!
//! Expiry is computed once, when an answer arrives, from this clock plus the
//! answer's `expires_in` — never from a provider's own timestamps, which may
//! be in another unit or another time zone's idea of "now".

use crate::model::UnixTime;
use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch; a clock set before 1970 reads as 0.
pub fn now() -> UnixTime {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as UnixTime)
        .unwrap_or(0)
}
