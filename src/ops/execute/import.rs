//! A snapshot's configuration put back into a VMS, journaled before and after:
//! restore and rollback share it.
//!
//! One full import when the product takes an export that large; otherwise, when
//! the driver can, ordered per-object operations (creates, updates with
//! `If-Match`, deletes), each journaled like an apply's. The path taken is in the
//! `restore` entries and in what the caller reports.

use super::objects::{restore_objects, ObjectsFailed};
use crate::audit::detail::{to_map, RestoreDetail};
use crate::audit::{Action, AuditError, EntryResult, Journal, NewEntry};
use crate::driver::OpContext;
use crate::driver::{DriverError, Vms};
use crate::ops::blocking::blocking;
use crate::ops::clock::Clock;

/// How a snapshot was put back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestoreMethod {
    /// One full import.
    Import,
    /// Per-object operations, because the export is larger than the product imports.
    PerObject {
        /// Operations sent.
        operations: usize,
        /// The export's size, in bytes.
        export_bytes: u64,
        /// The product's import limit, in bytes.
        limit: u64,
    },
}

impl std::fmt::Display for RestoreMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RestoreMethod::Import => write!(f, "one full import"),
            RestoreMethod::PerObject {
                operations,
                export_bytes,
                limit,
            } => write!(
                f,
                "{operations} per-object operation(s): the export ({export_bytes} bytes) is larger than the VMS imports at once ({limit} bytes)"
            ),
        }
    }
}

/// Why the configuration could not be put back.
#[derive(Debug, thiserror::Error)]
pub enum RestoreFailure {
    /// The VMS refused or could not be reached.
    #[error(transparent)]
    Driver(#[from] DriverError),
    /// Some per-object operations failed.
    #[error(transparent)]
    Objects(#[from] ObjectsFailed),
    /// A signal stopped the per-object operations: those in flight ended and were journaled, no other was sent.
    #[error("interrupted: {sent} of {total} per-object operation(s) sent, the VMS is partly restored; restore the snapshot again to finish")]
    Interrupted {
        /// Operations sent (each journaled as started and ended).
        sent: usize,
        /// Operations planned.
        total: usize,
    },
}

/// What a restore sends, and on whose behalf.
pub(crate) struct ImportJob<'a> {
    /// The VMS.
    pub vms: &'a dyn Vms,
    /// Where it is journaled.
    pub journal: &'a Journal,
    /// The snapshot's export.
    pub export: &'a serde_json::Value,
    /// The site, operator, commit and snapshot id of every entry.
    pub base: &'a NewEntry,
    /// The operator.
    pub operator: &'a str,
    /// The run's clock.
    pub clock: &'a Clock,
    /// Set by SIGINT / SIGTERM: no new per-object operation starts. `None`: runs to its end.
    pub interrupted: Option<&'a std::sync::atomic::AtomicBool>,
}

/// The export's size as it would be sent, counted without building it.
fn encoded_len(export: &serde_json::Value) -> u64 {
    struct Count(u64);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len() as u64;
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    // Counting cannot fail, nor can serialising a JSON value.
    let _ = serde_json::to_writer(&mut count, export);
    count.0
}

/// The per-object path, when the export is over the product's limit and the driver can take it.
pub(crate) async fn over_limit(vms: &dyn Vms, export: &serde_json::Value) -> Option<(u64, u64)> {
    let limit = match vms.import_limit().await {
        Ok(l) => l?,
        Err(e) => {
            // Unknown limit: the full import is tried, and its answer journaled.
            tracing::warn!(error = %crate::error_chain(&e), "the VMS's import limit could not be read");
            return None;
        }
    };
    let size = encoded_len(export);
    (size > limit).then_some((size, limit))
}

/// Puts `job.export` back, journaled as `restore` before and after.
///
/// `detail` carries the agent and why. A restore that fails is journaled and
/// returned as `Ok(Err(..))`: the journal is intact.
pub(crate) async fn journaled_import(
    job: &ImportJob<'_>,
    mut detail: RestoreDetail,
) -> Result<Result<RestoreMethod, RestoreFailure>, AuditError> {
    let entry = |result, detail: &RestoreDetail| NewEntry {
        at: job.clock.now(),
        action: Action::Restore,
        result,
        detail: Some(to_map(detail)),
        ..job.base.clone()
    };
    let per_object = match over_limit(job.vms, job.export).await {
        Some((size, limit)) => job
            .vms
            .config_of_export(job.export)
            .map(|c| (c, size, limit)),
        None => None,
    };
    let result = match per_object {
        Some((target, export_bytes, limit)) => {
            detail.method = Some("per-object");
            blocking(|| job.journal.append(entry(EntryResult::Started, &detail)))?;
            match target {
                Err(e) => Err(RestoreFailure::Driver(e)),
                Ok(target) => {
                    restore_objects(job, &target, detail.agent)
                        .await?
                        .map(|operations| RestoreMethod::PerObject {
                            operations,
                            export_bytes,
                            limit,
                        })
                }
            }
        }
        None => {
            let request_id = uuid::Uuid::new_v4().to_string();
            detail.request_id = Some(request_id.clone());
            blocking(|| job.journal.append(entry(EntryResult::Started, &detail)))?;
            let ctx = OpContext {
                request_id,
                operator: job.operator.to_string(),
            };
            job.vms
                .import(job.export, &ctx)
                .await
                .map(|()| RestoreMethod::Import)
                .map_err(RestoreFailure::Driver)
        }
    };
    let outcome = match &result {
        Ok(method) => {
            if let RestoreMethod::PerObject { operations, .. } = method {
                detail.operations = Some(*operations);
            }
            EntryResult::Success
        }
        Err(e) => {
            detail.error = Some(crate::error_chain(e));
            EntryResult::Failure
        }
    };
    blocking(|| job.journal.append(entry(outcome, &detail)))?;
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_size_counted_is_the_size_sent() {
        let v = serde_json::json!({"format": "x", "cameras": [{"id": "é", "n": 1}]});
        assert_eq!(
            encoded_len(&v),
            serde_json::to_vec(&v).expect("json").len() as u64
        );
    }
}
