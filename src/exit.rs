//! Exit codes of every command (docs/exit-codes.md), in one place.

/// What a command's exit status means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Success; for plan and drift: no difference.
    Success = 0,
    /// Bad input, unreachable VMS, stale plan, failed operation.
    Error = 1,
    /// Differences exist (plan --detailed-exitcode, drift), or anomalies (audit review).
    Differences = 2,
    /// apply / restore refused by the gate: nothing was changed.
    Refused = 3,
}

impl Exit {
    /// The process exit status.
    pub fn code(self) -> u8 {
        self as u8
    }
}
