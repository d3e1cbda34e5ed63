//! The clock: Latch decides by the system clock when a token expires
//! (`time.rs`), so a wrong clock hands out dead tokens or refreshes live ones.
//!
//! Nothing here knows the true time; it knows two bounds. The program was
//! built at a known moment (the front end embeds it), so a clock before it
//! is certainly behind, by at least the difference; a clock decades after it
//! is almost certainly wrong too. Within the bounds, `timedatectl` (where
//! there is one) says whether network time keeps the clock right; when it
//! does not, that is only a warning. The judgement is [`judge`], a pure
//! function of the times, so its tests choose them.

use super::Check;
use crate::model::UnixTime;

const CHECK: &str = "clock";
const DAY: i64 = 86_400;
/// Past this much after the build, the clock is taken to be wrong.
const FAR: i64 = 10 * 365 * DAY;
const WHY: &str = "Latch decides by this clock when a token expires";
const SET_IT: &str =
    "set the system clock to the right time (`sudo timedatectl set-ntp true` keeps it right from the network)";

/// Whether network time keeps the clock right, as `timedatectl` says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ntp {
    Synchronized,
    NotSynchronized,
    /// No `timedatectl`, or it could not tell (no systemd, a container).
    Unknown,
}

pub(super) fn check(built_at: UnixTime) -> Check {
    judge(crate::time::now(), built_at, ntp())
}

/// The clock's verdict at `now`, for a program built at `built_at`.
pub fn judge(now: UnixTime, built_at: UnixTime, ntp: Ntp) -> Check {
    let (shown, built) = (utc(now), day(built_at));
    if now < built_at {
        return Check::fail(
            CHECK,
            format!(
                "The clock says {shown}, before this Latch was built ({built}), so it is at least {} behind; {WHY}",
                span(built_at - now)
            ),
            SET_IT,
        );
    }
    if now - built_at > FAR {
        return Check::fail(
            CHECK,
            format!(
                "The clock says {shown}, {} years after this Latch was built ({built}), which cannot be right; {WHY}",
                (now - built_at) / (365 * DAY)
            ),
            SET_IT,
        );
    }
    match ntp {
        Ntp::NotSynchronized => Check::warn(
            CHECK,
            format!("The clock says {shown} and network time (NTP) does not keep it right, so it may drift; {WHY}"),
            "turn network time on: `sudo timedatectl set-ntp true`",
        ),
        Ntp::Synchronized => Check::ok(
            CHECK,
            format!("The clock says {shown}, after this Latch was built ({built}); network time (NTP) keeps it right"),
        ),
        Ntp::Unknown => Check::ok(
            CHECK,
            format!(
                "The clock says {shown}, after this Latch was built ({built}); timedatectl cannot tell here \
                 whether network time (NTP) keeps it right"
            ),
        ),
    }
}

/// `timedatectl show --property=NTPSynchronized --value`: `yes` or `no`.
fn ntp() -> Ntp {
    let answer = super::run_helper(std::process::Command::new("timedatectl").args([
        "show",
        "--property=NTPSynchronized",
        "--value",
    ]));
    match answer {
        Ok(out) if out.status.success() => match String::from_utf8_lossy(&out.stdout).trim() {
            "yes" => Ntp::Synchronized,
            "no" => Ntp::NotSynchronized,
            _ => Ntp::Unknown,
        },
        _ => Ntp::Unknown,
    }
}

/// `2025-06-01 14:03 UTC`.
fn utc(t: UnixTime) -> String {
    let secs = t.rem_euclid(DAY);
    format!("{} {:02}:{:02} UTC", day(t), secs / 3600, secs % 3600 / 60)
}

/// `2025-06-01`: the civil date of a Unix time (Howard Hinnant's
/// `civil_from_days`, valid for every date this clock can hold).
fn day(t: UnixTime) -> String {
    let z = t.div_euclid(DAY) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// `3 d 4 h`, `2 h 5 m`, `40 s`.
fn span(seconds: i64) -> String {
    match seconds {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} m", s / 60),
        s if s < DAY => format!("{} h {} m", s / 3600, s % 3600 / 60),
        s => format!("{} d {} h", s / DAY, s % DAY / 3600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::Status;

    /// 2025-03-01 12:00 UTC.
    const BUILT: UnixTime = 1_740_830_400;

    #[test]
    fn dates_read_as_the_calendar_has_them() {
        assert_eq!(utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc(BUILT), "2025-03-01 12:00 UTC");
        assert_eq!(day(951_782_400), "2000-02-29", "a leap day of a century's leap year");
        assert_eq!(day(4_107_542_399), "2100-02-28", "2100 is not a leap year");
        assert_eq!(day(-1), "1969-12-31");
    }

    #[test]
    fn each_clock_gets_its_verdict() {
        use Ntp::*;
        let cases: &[(&str, UnixTime, Ntp, Status, &str)] = &[
            (
                "right after the build",
                BUILT + 60,
                Unknown,
                Status::Ok,
                "after this Latch was built",
            ),
            (
                "a year on, synchronized",
                BUILT + 365 * DAY,
                Synchronized,
                Status::Ok,
                "network time (NTP) keeps it right",
            ),
            (
                "the very moment of the build",
                BUILT,
                Unknown,
                Status::Ok,
                "2025-03-01 12:00 UTC",
            ),
            (
                "one second before the build",
                BUILT - 1,
                Synchronized,
                Status::Fail,
                "at least 1 s behind",
            ),
            (
                "three days before",
                BUILT - 3 * DAY - 4 * 3600,
                Unknown,
                Status::Fail,
                "at least 3 d 4 h behind",
            ),
            (
                "in 1970",
                0,
                Unknown,
                Status::Fail,
                "The clock says 1970-01-01 00:00 UTC, before this Latch was built (2025-03-01)",
            ),
            (
                "nine years on",
                BUILT + 9 * 365 * DAY,
                Unknown,
                Status::Ok,
                "after this Latch was built",
            ),
            (
                "eleven years on",
                BUILT + 11 * 365 * DAY,
                Synchronized,
                Status::Fail,
                "11 years after this Latch was built",
            ),
            (
                "not synchronized",
                BUILT + DAY,
                NotSynchronized,
                Status::Warn,
                "does not keep it right",
            ),
        ];
        for &(story, now, ntp, status, says) in cases {
            let check = judge(now, BUILT, ntp);
            assert_eq!(check.check, "clock");
            assert_eq!(check.status, status, "{story}: {check:?}");
            assert!(
                check.found.contains(says),
                "{story}: {:?} should say {says:?}",
                check.found
            );
            match status {
                Status::Ok => assert_eq!(check.fix, None, "{story}"),
                Status::Fail => {
                    assert!(
                        check.found.contains("when a token expires"),
                        "{story}: say why it matters"
                    );
                    assert!(
                        check.fix.as_deref().unwrap().contains("set the system clock"),
                        "{story}"
                    );
                }
                Status::Warn => {
                    assert_eq!(
                        check.fix.as_deref(),
                        Some("turn network time on: `sudo timedatectl set-ntp true`")
                    )
                }
            }
        }
    }
}
