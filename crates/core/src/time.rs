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

/// `at` as a person reads it on this computer: `2026-04-05 14:03:12` in the
/// local time zone (the C library's, so `TZ` is honoured), or with ` UTC`
/// after it where the local zone cannot be had.
pub fn local(at: UnixTime) -> String {
    match local_parts(at) {
        Some((date, clock)) => format!("{date} {clock}"),
        None => {
            let (date, clock) = utc_parts(at);
            format!("{date} {clock} UTC")
        }
    }
}

#[cfg(unix)]
fn local_parts(at: UnixTime) -> Option<(String, String)> {
    #[allow(clippy::useless_conversion)] // `time_t` is 32 bits on some systems
    let t: libc::time_t = at.try_into().ok()?;
    // SAFETY: `tm` is plain data that localtime_r fills; both pointers are valid for the call.
    let tm = unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&t, &mut tm).is_null() {
            return None;
        }
        tm
    };
    Some((
        format!("{:04}-{:02}-{:02}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday),
        format!("{:02}:{:02}:{:02}", tm.tm_hour, tm.tm_min, tm.tm_sec),
    ))
}

#[cfg(not(unix))]
fn local_parts(_at: UnixTime) -> Option<(String, String)> {
    None
}

/// The civil date and time of `at` in UTC (Howard Hinnant's days-to-civil).
fn utc_parts(at: UnixTime) -> (String, String) {
    let (days, secs) = (at.div_euclid(86_400), at.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (
        format!("{year:04}-{month:02}-{day:02}"),
        format!("{:02}:{:02}:{:02}", secs / 3600, secs % 3600 / 60, secs % 60),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates_are_the_calendars() {
        assert_eq!(utc_parts(0), ("1970-01-01".into(), "00:00:00".into()));
        assert_eq!(utc_parts(951_782_400), ("2000-02-29".into(), "00:00:00".into()));
        assert_eq!(utc_parts(1_775_397_792), ("2026-04-05".into(), "14:03:12".into()));
        assert_eq!(utc_parts(-1), ("1969-12-31".into(), "23:59:59".into()));
    }

    #[test]
    fn local_time_follows_tz() {
        // nextest runs each test in a process of its own: the variable is this test's.
        unsafe { std::env::set_var("TZ", "UTC") };
        assert_eq!(local(1_775_397_792), "2026-04-05 14:03:12");
    }
}
