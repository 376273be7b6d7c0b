//! Assembles one site's plan from what the caller gathered. Pure.

use jiff::civil::Date;

use super::comparable::ConfigState;
use super::diff::diff;
use super::document::{GitChanges, SitePlan};
use super::fingerprint::fingerprint;
use super::policy::policy_change;
use super::Finding;
use crate::desired::model::Site;
use crate::model::{Capabilities, LiveConfig};

/// The trusted base a plan is compared with (for `policy.change` and the commit list).
#[derive(Debug, Clone)]
pub struct Base<'a> {
    /// The site as it was at the base.
    pub site: &'a Site,
    /// Its allowed signers file at the base.
    pub signers: Option<&'a str>,
    /// Commits base..rev.
    pub git: GitChanges,
}

/// Everything one site's plan is computed from.
#[derive(Debug, Clone)]
pub struct SiteInput<'a> {
    /// The desired site.
    pub site: &'a Site,
    /// Its cameras.
    pub cameras: Vec<&'a crate::desired::model::Camera>,
    /// Its allowed signers file at the revision.
    pub signers: Option<&'a str>,
    /// The commit read (`None` for the work tree).
    pub desired_commit: Option<String>,
    /// The live configuration.
    pub live: &'a LiveConfig,
    /// What the driver can manage.
    pub caps: &'a Capabilities,
    /// Today, for the alert review.
    pub today: Date,
    /// The base, when there is one.
    pub base: Option<Base<'a>>,
}

/// The site's plan (without gate verdicts).
pub fn site_plan(input: &SiteInput<'_>) -> SitePlan {
    let desired = ConfigState::from_desired(input.site, input.cameras.iter().copied());
    let live = ConfigState::from_live(input.live, input.caps);
    let (mut operations, mut findings) = diff(&desired, &live);
    if let Some(base) = &input.base {
        if let Some(op) = policy_change(
            &input.site.name,
            base.site,
            base.signers,
            input.site,
            input.signers,
        ) {
            operations.insert(0, op);
        }
    }
    findings.extend(review_finding(input.site, input.today));
    let mut unmanaged = input.caps.unmanaged.clone();
    if !input.caps.manages_alerts {
        unmanaged.push(crate::model::Unmanaged {
            field: "alerts".into(),
            reason: "this driver cannot manage alert rules".into(),
        });
    }
    if !input.caps.manages_settings {
        unmanaged.push(crate::model::Unmanaged {
            field: "settings".into(),
            reason: "this driver cannot manage settings".into(),
        });
    }
    SitePlan {
        site: input.site.name.clone(),
        desired_commit: input.desired_commit.clone(),
        live_fingerprint: Some(fingerprint(input.live)),
        driver: input.site.vms.driver.clone(),
        url: input.site.vms.url.clone(),
        operations,
        findings,
        unmanaged,
        git: input.base.as_ref().map(|b| b.git.clone()),
        notes: Vec::new(),
        error: None,
        status: None,
        drift: Vec::new(),
    }
}

/// `alert-review`: alert rules not reviewed within `alert_review_max_age_days`.
pub fn review_finding(site: &Site, today: Date) -> Option<Finding> {
    let alerts = site.alerts.as_ref()?;
    let reviewed: Date = alerts.reviewed_on.parse().ok()?;
    let age = (today - reviewed).get_days();
    let max = i64::from(site.policy.alert_review_max_age_days);
    (i64::from(age) > max).then(|| Finding {
        kind: "alert-review".into(),
        target: "alerts".into(),
        message: format!(
            "alert rules last reviewed on {reviewed}, {age} days ago (the policy allows {max}): review them with the Responsable Sécurité and update `reviewed_on`"
        ),
    })
}
