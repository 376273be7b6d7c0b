//! The one retry policy (backon): exponential backoff with jitter, for the
//! requests that are safe to send again — a driver's reads and idempotent
//! calls, a webhook's post.

use std::time::Duration;

use backon::ExponentialBuilder;

/// Longest wait between two tries.
const MAX_DELAY: Duration = Duration::from_secs(30);

/// `attempts` tries in all (at least one): after the first failure wait `first`,
/// then twice as long each time (at most [`MAX_DELAY`]), each wait stretched by a
/// random part of itself so that clients failing together do not retry together.
pub fn policy(first: Duration, attempts: u32) -> ExponentialBuilder {
    ExponentialBuilder::default()
        .with_min_delay(first)
        .with_max_delay(MAX_DELAY)
        .with_factor(2.0)
        .with_max_times(attempts.max(1) as usize - 1)
        .with_jitter()
}

#[cfg(test)]
mod tests {
    use backon::BackoffBuilder;

    use super::*;

    #[test]
    fn waits_double_with_jitter_between_the_tries() {
        let first = Duration::from_millis(200);
        let waits: Vec<Duration> = policy(first, 4).build().collect();
        assert_eq!(waits.len(), 3, "3 waits between 4 tries");
        for (i, w) in waits.iter().enumerate() {
            let d = first * (1 << i);
            assert!(*w >= d && *w <= d * 2, "wait {i}: {w:?}");
        }
        assert_eq!(policy(first, 1).build().count(), 0, "one try, no wait");
        assert_eq!(policy(first, 0).build().count(), 0, "at least one try");
    }
}
