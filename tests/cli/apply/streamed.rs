//! Apply without a terminal (a CI log): one line per operation as it ends, the summary last.

use std::io::{BufRead, BufReader};
use std::time::{Duration, Instant};

use super::FIRST_APPLY_OPERATIONS;
use crate::apply::approved::{Approved, Operator};
use crate::support::SimProcess;

/// Regression: without a terminal the whole output appeared at once when apply ended.
fn each_operation_s_line_comes_as_it_ends_and_the_summary_last() {
    for log_format in ["text", "json"] {
        // Slow enough that the apply is still running when its first line is read.
        let sim = SimProcess::start(&["--latency-ms", "100"]);
        let repo = Approved::at(&sim.url);
        let op = Operator::new();
        let mut apply = op.spawn_apply(
            &repo,
            &[
                "--base",
                "HEAD",
                "--parallelism",
                "1",
                "--log-format",
                log_format,
            ],
        );
        let mut lines = BufReader::new(apply.stdout.take().expect("piped")).lines();
        let first = lines
            .by_ref()
            .map(|l| l.expect("a line"))
            .find(|l| l.contains('✓'))
            .expect("an operation's line");
        let first_at = Instant::now();
        let rest: Vec<String> = lines.map(|l| l.expect("a line")).collect();
        // 13 more operations at 100 ms each came after the first line, not with it.
        assert!(
            first_at.elapsed() > Duration::from_millis(600),
            "{log_format}: every line came at once: {rest:?}"
        );
        assert!(apply.wait().expect("apply ends").success(), "{rest:?}");
        let steps = std::iter::once(&first)
            .chain(&rest)
            .filter(|l| l.contains('✓'))
            .count();
        assert_eq!(steps, FIRST_APPLY_OPERATIONS, "each once: {rest:?}");
        let last = rest.last().expect("a summary");
        assert!(
            last.ends_with(&format!("applied: {FIRST_APPLY_OPERATIONS} succeeded.")),
            "{log_format}: {rest:?}"
        );
        // With --log-format json each operation's line starts with when it ended.
        let stamped = first
            .split_whitespace()
            .next()
            .is_some_and(|w| w.parse::<jiff::Timestamp>().is_ok());
        assert_eq!(stamped, log_format == "json", "{first}");
    }
}

crate::trials! {
    fn each_operation_s_line_comes_as_it_ends_and_the_summary_last,
}
