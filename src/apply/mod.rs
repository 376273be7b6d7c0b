//! Apply: lock, snapshot, execute the plan's operations, journal each one.

pub mod context;
pub mod executor;
pub mod lock;
pub mod restore;
pub mod site;

use crate::audit::{AuditError, Journal, NewEntry, Outcome};
use crate::driver::OpContext;
use crate::driver::{DriverError, Vms};

/// The entry, dated now: entries carry when they were written, in order.
pub(crate) fn stamped(mut e: NewEntry) -> NewEntry {
    e.at = jiff::Timestamp::now();
    e
}

/// Imports a snapshot's `export` into the VMS, journaled as `restore` before and after.
///
/// `base` carries the site, operator, commit and snapshot id; `detail` the agent and why.
/// An import that fails is journaled and returned as `Ok(Err(..))`: the journal is intact.
pub(crate) async fn journaled_import(
    vms: &dyn Vms,
    journal: &Journal,
    export: &serde_json::Value,
    base: &NewEntry,
    mut detail: serde_json::Map<String, serde_json::Value>,
    operator: &str,
) -> Result<Result<(), DriverError>, AuditError> {
    let request_id = uuid::Uuid::new_v4().to_string();
    detail.insert("request_id".into(), serde_json::json!(request_id));
    let entry = |result, detail| {
        stamped(NewEntry {
            action: "restore".into(),
            result,
            detail: Some(detail),
            ..base.clone()
        })
    };
    journal.append(entry(Outcome::Started, detail.clone()))?;
    let ctx = OpContext {
        request_id,
        operator: operator.to_string(),
    };
    let result = vms.import(export, &ctx).await;
    if let Err(e) = &result {
        detail.insert("error".into(), serde_json::json!(crate::error_chain(e)));
    }
    let outcome = if result.is_ok() {
        Outcome::Success
    } else {
        Outcome::Failure
    };
    journal.append(entry(outcome, detail))?;
    Ok(result)
}
