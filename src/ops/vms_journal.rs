//! Gathering what the monthly review needs from a VMS: its own journal since the site's baseline.
//!
//! Talks to the VMS through the driver and never decides anything: the
//! review does. A failure is returned as [`VmsJournal::Unavailable`], so one
//! unreachable site never hides the others.

use crate::audit::review::{product_name, VmsJournal};
use crate::driver::{Vms, VmsJournalEntry};
use crate::state::Baseline;

/// Longest run of journal pages read in one go (a guard against a VMS that never ends its journal).
const MAX_JOURNAL_PAGES: usize = 10_000;

/// The VMS journal of a site since its baseline, or why it cannot be had.
pub async fn vms_journal(
    driver: &dyn Vms,
    driver_name: &str,
    baseline: Option<&Baseline>,
) -> VmsJournal {
    let caps = driver.capabilities();
    if !caps.has_admin_journal {
        return VmsJournal::NotKept {
            product: product_name(driver_name),
        };
    }
    let Some(baseline) = baseline else {
        return VmsJournal::NoBaseline;
    };
    match entries_since(driver, baseline.review_cursor()).await {
        Ok(entries) => VmsJournal::Read {
            entries,
            request_ids: caps.sends_request_ids,
        },
        Err(e) => VmsJournal::Unavailable {
            reason: crate::error_chain(&e),
        },
    }
}

/// Every VMS journal entry after `cursor`, reading page after page until the end.
pub async fn entries_since(
    driver: &dyn Vms,
    mut cursor: Option<String>,
) -> Result<Vec<VmsJournalEntry>, crate::driver::DriverError> {
    let mut entries = Vec::new();
    for _ in 0..MAX_JOURNAL_PAGES {
        let page = driver.journal_since(cursor.as_deref()).await?;
        let done = page.entries.is_empty() || cursor.as_deref() == Some(page.next_cursor.as_str());
        entries.extend(page.entries);
        cursor = Some(page.next_cursor);
        if done {
            break;
        }
    }
    Ok(entries)
}
