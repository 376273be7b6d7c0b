//! A snapshot's configuration imported into a VMS, journaled before and after: restore and rollback share it.

use crate::audit::detail::{to_map, RestoreDetail};
use crate::audit::{AuditError, Journal, NewEntry, Outcome};
use crate::driver::OpContext;
use crate::driver::{DriverError, Vms};
use crate::ops::blocking::blocking;
use crate::ops::clock::Clock;

/// Imports a snapshot's `export` into the VMS, journaled as `restore` before and after.
///
/// `base` carries the site, operator, commit and snapshot id; `detail` the agent and why.
/// An import that fails is journaled and returned as `Ok(Err(..))`: the journal is intact.
pub(crate) async fn journaled_import(
    vms: &dyn Vms,
    journal: &Journal,
    export: &serde_json::Value,
    base: &NewEntry,
    mut detail: RestoreDetail,
    operator: &str,
    clock: &Clock,
) -> Result<Result<(), DriverError>, AuditError> {
    let request_id = uuid::Uuid::new_v4().to_string();
    detail.request_id = Some(request_id.clone());
    let entry = |result, detail: &RestoreDetail| NewEntry {
        at: clock.now(),
        action: "restore".into(),
        result,
        detail: Some(to_map(detail)),
        ..base.clone()
    };
    blocking(|| journal.append(entry(Outcome::Started, &detail)))?;
    let ctx = OpContext {
        request_id,
        operator: operator.to_string(),
    };
    let result = vms.import(export, &ctx).await;
    if let Err(e) = &result {
        detail.error = Some(crate::error_chain(e));
    }
    let outcome = if result.is_ok() {
        Outcome::Success
    } else {
        Outcome::Failure
    };
    blocking(|| journal.append(entry(outcome, &detail)))?;
    Ok(result)
}
