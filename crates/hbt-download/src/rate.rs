//! [`RateCheck`]: the deadline and minimum-rate checks of one download in progress.

use std::time::Instant;

use crate::limits::{DEADLINE_VAR, MIN_RATE_VAR};
use crate::DownloadLimits;

/// The deadline and minimum-rate checks of one download, fed with the bytes of each read.
#[derive(Debug, Clone)]
pub struct RateCheck {
    limits: DownloadLimits,
    started: Instant,
    window_started: Instant,
    window_bytes: u64,
}

impl RateCheck {
    /// Checks for a download that starts now.
    pub fn start(limits: DownloadLimits) -> Self {
        let now = Instant::now();
        RateCheck {
            limits,
            started: now,
            window_started: now,
            window_bytes: 0,
        }
    }

    /// The limits checked.
    pub fn limits(&self) -> &DownloadLimits {
        &self.limits
    }

    /// Counts `bytes` more (`total` so far); the message of a broken limit as the error.
    ///
    /// # Errors
    /// The one-line message of [`RateCheck::stalled`] when a limit is broken.
    pub fn after(&mut self, bytes: u64, total: u64) -> Result<(), String> {
        self.window_bytes += bytes;
        if let Some(message) = self.stalled(total) {
            return Err(message);
        }
        if self.window_started.elapsed() >= self.limits.rate_window {
            self.window_started = Instant::now();
            self.window_bytes = 0;
        }
        Ok(())
    }

    /// Which limit is broken now, after `total` bytes, if any: the deadline is passed, or a
    /// whole rate window went by below the minimum rate. Also used to explain a client's own
    /// timeouts.
    pub fn stalled(&self, total: u64) -> Option<String> {
        let limits = &self.limits;
        if self.started.elapsed() >= limits.deadline {
            return Some(format!(
                "download abandoned after {total} bytes: over its deadline of {} s ({DEADLINE_VAR})",
                limits.deadline.as_secs()
            ));
        }
        let window = self.window_started.elapsed();
        let rate = self.window_bytes as f64 / window.as_secs_f64();
        (window >= limits.rate_window && rate < limits.min_rate as f64).then(|| {
            format!(
                "download abandoned after {total} bytes: {rate:.1} bytes/s over the last {:.0} s, below the minimum of {} bytes/s ({MIN_RATE_VAR})",
                window.as_secs_f64(),
                limits.min_rate
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn limits(deadline_ms: u64, min_rate: u64, window_ms: u64) -> DownloadLimits {
        DownloadLimits {
            deadline: Duration::from_millis(deadline_ms),
            min_rate,
            rate_window: Duration::from_millis(window_ms),
        }
    }

    #[test]
    fn a_fast_enough_download_passes_and_a_slow_window_is_named() {
        let mut check = RateCheck::start(limits(60_000, 100, 20));
        assert_eq!(check.after(10_000, 10_000), Ok(()));
        // 20,000 bytes in the first window: fast enough, and a new window starts.
        std::thread::sleep(Duration::from_millis(30));
        assert_eq!(check.after(10_000, 20_000), Ok(()));
        // One byte in the next: about 33 bytes/s.
        std::thread::sleep(Duration::from_millis(30));
        let message = check.after(1, 20_001).unwrap_err();
        assert!(
            message.contains("below the minimum of 100 bytes/s (HBT_DOWNLOAD_MIN_RATE)"),
            "{message}"
        );
    }

    #[test]
    fn the_deadline_is_named_even_at_a_good_rate() {
        let mut check = RateCheck::start(limits(10, 1, 60_000));
        std::thread::sleep(Duration::from_millis(15));
        let message = check.after(1 << 20, 1 << 20).unwrap_err();
        assert!(
            message.contains("over its deadline of 0 s (HBT_DOWNLOAD_DEADLINE)"),
            "{message}"
        );
    }

    #[test]
    fn nothing_is_stalled_before_a_whole_window_went_by() {
        let check = RateCheck::start(limits(60_000, 1 << 30, 60_000));
        assert_eq!(check.stalled(0), None);
    }
}
