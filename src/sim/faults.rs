//! Fault injection for tests: latency, random 503s, and 500s after N successes.
//!
//! Faults are decided per process (counters start at zero on each start) and
//! before a mutation does anything, so an injected failure never changes state.

use std::time::Duration;

use super::error::SimError;

/// `--fail-after N` or `--fail-after N:M`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailAfter {
    /// Successful mutations let through first.
    pub successes: u64,
    /// How many mutations then fail; None: all of them.
    pub failures: Option<u64>,
}

impl std::str::FromStr for FailAfter {
    type Err = SimError;

    fn from_str(s: &str) -> Result<Self, SimError> {
        let bad = || SimError::Flag {
            flag: "--fail-after",
            reason: format!("`{s}` is not N or N:M (whole numbers)"),
        };
        let (n, m) = match s.split_once(':') {
            Some((n, m)) => (n, Some(m)),
            None => (s, None),
        };
        Ok(FailAfter {
            successes: n.parse().map_err(|_| bad())?,
            failures: m.map(|m| m.parse().map_err(|_| bad())).transpose()?,
        })
    }
}

/// The faults to inject.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FaultConfig {
    /// Delay before every request is handled.
    pub latency: Duration,
    /// Fraction (0..=1) of mutations answered 503.
    pub fail_rate: f64,
    /// Mutations answered 500 after some successes.
    pub fail_after: Option<FailAfter>,
}

impl FaultConfig {
    /// Checks the ranges.
    pub fn validate(&self) -> Result<(), SimError> {
        if !(0.0..=1.0).contains(&self.fail_rate) {
            return Err(SimError::Flag {
                flag: "--fail-rate",
                reason: format!("{} is not a fraction from 0 to 1", self.fail_rate),
            });
        }
        Ok(())
    }
}

/// An injected failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Answer 503 (`--fail-rate`).
    Unavailable,
    /// Answer 500 (`--fail-after`).
    Internal,
}

/// Fault state of a running server.
#[derive(Debug, Default)]
pub struct Faults {
    config: FaultConfig,
    successes: u64,
    injected: u64,
}

impl Faults {
    /// Faults as configured, counters at zero.
    pub fn new(config: FaultConfig) -> Self {
        Faults {
            config,
            successes: 0,
            injected: 0,
        }
    }

    /// Whether the next mutation must fail, and how.
    pub fn decide(&mut self) -> Option<Fault> {
        if let Some(fa) = self.config.fail_after {
            if self.successes >= fa.successes && fa.failures.is_none_or(|m| self.injected < m) {
                self.injected += 1;
                return Some(Fault::Internal);
            }
        }
        if self.config.fail_rate > 0.0 && fastrand::f64() < self.config.fail_rate {
            return Some(Fault::Unavailable);
        }
        None
    }

    /// Counts a mutation that succeeded.
    pub fn succeeded(&mut self) {
        self.successes += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(faults: &mut Faults, n: usize) -> String {
        (0..n)
            .map(|_| match faults.decide() {
                Some(Fault::Internal) => 'F',
                Some(Fault::Unavailable) => 'U',
                None => {
                    faults.succeeded();
                    '.'
                }
            })
            .collect()
    }

    /// Faults as `--fail-after N[:M]` sets them.
    fn failing_after(spec: &str) -> Faults {
        let fa: FailAfter = spec.parse().expect("valid");
        Faults::new(FaultConfig {
            fail_after: Some(fa),
            ..FaultConfig::default()
        })
    }

    #[test]
    fn fail_after_n_fails_everything_after() {
        assert_eq!(run(&mut failing_after("2"), 5), "..FFF");
    }

    #[test]
    fn fail_after_n_m_fails_a_window() {
        assert_eq!(run(&mut failing_after("2:2"), 6), "..FF..");
    }

    #[test]
    fn fail_rate_one_always_fails_and_zero_never() {
        let mut f = Faults::new(FaultConfig {
            fail_rate: 1.0,
            ..FaultConfig::default()
        });
        assert_eq!(run(&mut f, 3), "UUU");
        let mut f = Faults::new(FaultConfig::default());
        assert_eq!(run(&mut f, 3), "...");
    }

    #[test]
    fn flags_are_checked() {
        for bad in ["", "x", "1:", ":1", "-1", "1:2:3"] {
            assert!(bad.parse::<FailAfter>().is_err(), "{bad}");
        }
        let rate = FaultConfig {
            fail_rate: 1.5,
            ..FaultConfig::default()
        };
        assert!(rate.validate().is_err());
    }
}
