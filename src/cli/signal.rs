//! Shutdown on SIGTERM or SIGINT, for the long-running commands and for apply.

use std::io::Write as _;

/// For apply: the first SIGINT/SIGTERM sets `flag` (nothing new starts, what is in flight
/// finishes and is journaled, the summary is printed, the lock released); a second one
/// exits at once, and the next run recovers from the journal.
pub async fn interrupt_twice(flag: std::sync::Arc<std::sync::atomic::AtomicBool>) {
    shutdown().await;
    flag.store(true, std::sync::atomic::Ordering::SeqCst);
    let _ = writeln!(
        std::io::stderr(),
        "interrupted: finishing the operations in flight; interrupt again to exit at once"
    );
    shutdown().await;
    let _ = writeln!(std::io::stderr(), "interrupted twice: exiting now");
    std::process::exit(130);
}

/// Completes on SIGTERM or SIGINT (Ctrl-C).
pub async fn shutdown() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = interrupt => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = interrupt.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}
