//! [`DownloadLimits`]: the configured deadline and minimum rate.

use std::fmt;
use std::time::Duration;

/// Environment variable: longest time, in seconds, one file may take.
pub const DEADLINE_VAR: &str = "HBT_DOWNLOAD_DEADLINE";
/// Environment variable: fewest bytes per second a download may average over a window.
pub const MIN_RATE_VAR: &str = "HBT_DOWNLOAD_MIN_RATE";

/// Time limits of a download, so that a stalled or trickling server is abandoned with an error
/// instead of holding hbt forever.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DownloadLimits {
    /// Longest time one file may take from request to last byte.
    pub deadline: Duration,
    /// Fewest bytes per second, averaged over each [`DownloadLimits::rate_window`].
    pub min_rate: u64,
    /// Span over which the rate is measured (also the longest wait for any single read).
    pub rate_window: Duration,
}

impl Default for DownloadLimits {
    /// One hour per file, at least 1 KiB/s over every 30 seconds.
    fn default() -> Self {
        DownloadLimits {
            deadline: Duration::from_secs(3600),
            min_rate: 1024,
            rate_window: Duration::from_secs(30),
        }
    }
}

/// A limit variable whose value is not a positive whole number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitsError {
    /// The variable's name.
    pub variable: &'static str,
    /// Its value as given.
    pub value: String,
}

impl fmt::Display for LimitsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}=`{}`: expected a positive whole number",
            self.variable, self.value
        )
    }
}

impl std::error::Error for LimitsError {}

impl DownloadLimits {
    /// The defaults, with [`DEADLINE_VAR`] (seconds per file) and [`MIN_RATE_VAR`] (bytes per
    /// second) of the process environment applied when set.
    ///
    /// # Errors
    /// [`LimitsError`] naming the variable when a value is not a positive whole number.
    pub fn from_env() -> Result<DownloadLimits, LimitsError> {
        DownloadLimits::from_vars(|name| std::env::var(name).ok())
    }

    /// The defaults, with the limit variables that `get` gives applied (an empty value counts
    /// as unset).
    ///
    /// # Errors
    /// [`LimitsError`] naming the variable when a value is not a positive whole number.
    pub fn from_vars(get: impl Fn(&str) -> Option<String>) -> Result<DownloadLimits, LimitsError> {
        let read = |variable: &'static str| -> Result<Option<u64>, LimitsError> {
            match get(variable) {
                Some(text) if !text.trim().is_empty() => text
                    .trim()
                    .parse::<u64>()
                    .ok()
                    .filter(|&v| v > 0)
                    .map(Some)
                    .ok_or(LimitsError {
                        variable,
                        value: text,
                    }),
                _ => Ok(None),
            }
        };
        let mut limits = DownloadLimits::default();
        if let Some(seconds) = read(DEADLINE_VAR)? {
            limits.deadline = Duration::from_secs(seconds);
        }
        if let Some(rate) = read(MIN_RATE_VAR)? {
            limits.min_rate = rate;
        }
        Ok(limits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        }
    }

    #[test]
    fn variables_override_the_defaults_and_empty_ones_do_not() {
        let limits =
            DownloadLimits::from_vars(vars(&[(DEADLINE_VAR, "90"), (MIN_RATE_VAR, " 5 ")]))
                .unwrap();
        assert_eq!(limits.deadline, Duration::from_secs(90));
        assert_eq!(limits.min_rate, 5);
        let defaults = DownloadLimits::from_vars(vars(&[(DEADLINE_VAR, "")])).unwrap();
        assert_eq!(defaults, DownloadLimits::default());
    }

    #[test]
    fn a_bad_value_is_named_with_its_variable() {
        for bad in ["0", "-3", "1.5", "soon"] {
            let err = DownloadLimits::from_vars(vars(&[(MIN_RATE_VAR, bad)])).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("HBT_DOWNLOAD_MIN_RATE=`{bad}`: expected a positive whole number")
            );
        }
    }
}
