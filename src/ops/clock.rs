//! The one clock of a run: the system's, or a pinned instant for tests and replays.
//!
//! Every time an operation writes (journal entries, snapshots, applied
//! records, baselines) comes from the same clock, so that a pinned clock pins
//! them all and they can never disagree.

use jiff::Timestamp;

/// Where a run reads the time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Clock {
    pinned: Option<Timestamp>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock { pinned: None }
    }

    /// A clock that always reads `at`.
    pub fn pinned(at: Timestamp) -> Clock {
        Clock { pinned: Some(at) }
    }

    /// A clock pinned at `at` when there is one, else the system's.
    pub fn pinned_or_system(at: Option<Timestamp>) -> Clock {
        Clock { pinned: at }
    }

    /// The time now, by this clock.
    pub fn now(&self) -> Timestamp {
        self.pinned.unwrap_or_else(Timestamp::now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pinned_clock_never_moves() {
        let at: Timestamp = "2025-04-08T01:00:00Z".parse().unwrap();
        let c = Clock::pinned(at);
        assert_eq!((c.now(), c.now()), (at, at));
        assert!(Clock::system().now() > at);
    }
}
