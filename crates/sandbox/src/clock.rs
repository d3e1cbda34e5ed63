//! The fakes' notion of "now".
//!
//! Real time keeps flowing; [`Clock::advance`] only adds an offset. That lets a
//! test expire a 150-second GREEN-API link code or a 24-hour Wazzup token in a
//! millisecond, while delays that must be felt on the wire (a slow token
//! endpoint) still use real time through `tokio::time`.

use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[derive(Debug, Default)]
pub(crate) struct Clock {
    offset: Mutex<Duration>,
}

impl Clock {
    pub(crate) fn advance(&self, d: Duration) {
        let mut offset = self.offset.lock().unwrap_or_else(|e| e.into_inner());
        *offset += d;
    }

    pub(crate) fn now(&self) -> SystemTime {
        SystemTime::now() + *self.offset.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Seconds since the Unix epoch on the fake clock.
    pub(crate) fn unix(&self) -> u64 {
        self.now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
    }

    pub(crate) fn unix_millis(&self) -> u64 {
        self.now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advance_moves_now_forward() {
        let clock = Clock::default();
        let before = clock.unix();
        clock.advance(Duration::from_secs(3600));
        assert!(clock.unix() >= before + 3600);
    }
}
