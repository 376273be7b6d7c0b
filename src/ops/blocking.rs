//! Blocking work (fsync, file writes, git2) run from async code without stalling the runtime.

use tokio::runtime::{Handle, RuntimeFlavor};

/// Runs `f`, telling a multi-threaded runtime that this worker blocks so its other tasks move on.
///
/// On a current-thread runtime (or none) there is no other worker to hand
/// tasks to, and `f` simply runs.
pub fn blocking<R>(f: impl FnOnce() -> R) -> R {
    match Handle::try_current() {
        Ok(h) if h.runtime_flavor() == RuntimeFlavor::MultiThread => tokio::task::block_in_place(f),
        _ => f(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn runs_on_a_multi_threaded_runtime() {
        assert_eq!(blocking(|| 7), 7);
    }

    #[tokio::test]
    async fn runs_on_a_current_thread_runtime_without_panicking() {
        assert_eq!(blocking(|| 7), 7);
    }

    #[test]
    fn runs_outside_any_runtime() {
        assert_eq!(blocking(|| 7), 7);
    }
}
