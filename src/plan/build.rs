//! Assembles one site's plan from what the caller gathered. Pure.

use jiff::civil::Date;

use super::comparable::ComparableConfig;
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
    let desired = ComparableConfig::from_desired(input.site, input.cameras.iter().copied());
    let mut live = ComparableConfig::from_live(input.live, input.caps);
    // A live id that cannot be one path segment as it is would send a request elsewhere:
    // it is reported and left out of every operation.
    let unsafe_ids: Vec<String> = live
        .cameras
        .keys()
        .filter(|id| !crate::model::is_path_safe(id))
        .cloned()
        .collect();
    for id in &unsafe_ids {
        live.cameras.remove(id);
    }
    let (mut operations, mut findings) = diff(&desired, &live);
    findings.extend(unsafe_ids.into_iter().map(|id| Finding {
        kind: "unsafe-id".into(),
        message: format!(
            "the VMS holds a camera whose id ({}) cannot be addressed safely in a request: vmsops leaves it alone; rename it in the VMS",
            id.escape_debug()
        ),
        target: id,
    }));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Camera, Recording, Settings};

    // Regression: a live camera with id `..` made the driver request another URL.
    #[test]
    fn a_live_id_that_is_not_path_safe_is_a_finding_and_never_an_operation() {
        let site: Site = serde_norway::from_str(
            "apiVersion: vmsops/v1\nkind: Site\nname: s\nvms: {driver: reference, url: 'http://x', token_env: T}\n\
             policy: {retention: {min_days: 1, max_days: 30}, regulatory_retention_days: 30}\n",
        )
        .expect("site");
        let camera = |id: &str| Camera {
            id: id.into(),
            name: "n".into(),
            vendor: "v".into(),
            model: "m".into(),
            firmware: "1".into(),
            stream_url: "rtsp://x".into(),
            enabled: true,
            recording: Recording {
                resolution: "1920x1080".into(),
                fps: 15,
                retention_days: 7,
                schedule: Vec::new(),
            },
            version: "1".into(),
        };
        let live = LiveConfig {
            cameras: vec![camera(".."), camera("ok-1"), camera("a\nb")],
            alert_rules: Vec::new(),
            settings: Settings {
                session_timeout_minutes: 15,
                version: "1".into(),
            },
        };
        let caps = Capabilities {
            deletes_recordings_with_camera: false,
            has_admin_journal: true,
            sends_request_ids: true,
            manages_alerts: false,
            manages_settings: false,
            unmanaged: Vec::new(),
        };
        let plan = site_plan(&SiteInput {
            site: &site,
            cameras: Vec::new(),
            signers: None,
            desired_commit: None,
            live: &live,
            caps: &caps,
            today: "2026-12-02".parse().expect("date"),
            base: None,
        });
        let targets: Vec<&str> = plan.operations.iter().map(|o| o.target.as_str()).collect();
        assert_eq!(targets, ["ok-1"], "only the safe id is deleted");
        let unsafe_findings: Vec<&str> = plan
            .findings
            .iter()
            .filter(|f| f.kind == "unsafe-id")
            .map(|f| f.target.as_str())
            .collect();
        assert_eq!(unsafe_findings, ["..", "a\nb"]);
        assert!(plan.findings.iter().all(|f| !f.message.contains('\n')));
    }
}
