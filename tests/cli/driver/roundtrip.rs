//! Every driver call against the sim.

use vmsops::desired::model::{AlertKind, Escalation};
use vmsops::driver::{self, AlertRule, DriverError, Settings, Vms};
use vmsops::model::VmsEndpoint;

use super::{camera, ctx};
use crate::support::{SimProcess, TOKEN};

fn site_vms(url: &str) -> VmsEndpoint {
    VmsEndpoint {
        driver: "reference".into(),
        url: url.into(),
        token_env: Some("SITE_VMS_TOKEN".into()),
        username_env: None,
        password_env: None,
        ca_cert: None,
    }
}

async fn the_driver_does_everything_the_trait_promises() {
    let sim = SimProcess::start(&[]);
    let env = |k: &str| (k == "SITE_VMS_TOKEN").then(|| TOKEN.to_string());
    let vms: Box<dyn Vms> = driver::connect(&site_vms(&sim.url), &env).expect("connect");
    let caps = vms.capabilities();
    assert!(
        !caps.deletes_recordings_with_camera && caps.has_admin_journal && caps.sends_request_ids
    );

    let live = vms.read_live().await.expect("read_live");
    assert!(live.cameras.is_empty() && live.alert_rules.is_empty());
    assert_eq!(live.settings.session_timeout_minutes, 30);
    let baseline = vms
        .journal_position()
        .await
        .expect("position")
        .expect("has a journal");

    let op = ctx("jdoe");
    let created = vms
        .create_camera(&camera("hall-01"), &op)
        .await
        .expect("create");
    assert!(!created.version.is_empty());
    let e = vms
        .create_camera(&camera("hall-01"), &ctx("jdoe"))
        .await
        .expect_err("dup");
    assert!(matches!(e, DriverError::Conflict { .. }), "{e}");

    let mut changed = created.clone();
    changed.recording.fps = 25;
    let updated = vms
        .update_camera(&changed, &created.version, &ctx("jdoe"))
        .await
        .expect("update");
    assert_eq!(updated.recording.fps, 25);
    assert_ne!(updated.version, created.version);
    let e = vms
        .update_camera(&changed, &created.version, &ctx("jdoe"))
        .await
        .expect_err("stale");
    assert!(matches!(e, DriverError::VersionMismatch { .. }), "{e}");
    assert!(e.to_string().contains("re-plan"), "{e}");
    let mut firmware = updated.clone();
    firmware.firmware = "12.0.0".into();
    let e = vms
        .update_camera(&firmware, &updated.version, &ctx("jdoe"))
        .await
        .expect_err("read-only");
    assert!(matches!(e, DriverError::Rejected { .. }), "{e}");
    assert!(e.to_string().contains("firmware"), "{e}");

    let rule = AlertRule {
        kind: AlertKind::SignalLoss,
        threshold: 30,
        recipients: vec!["noc@client.example".into()],
        escalation: vec![Escalation {
            after_minutes: 15,
            recipients: vec!["oncall@client.example".into()],
        }],
        version: String::new(),
    };
    let r1 = vms
        .put_alert_rule(&rule, None, &ctx("jdoe"))
        .await
        .expect("create rule");
    let e = vms
        .put_alert_rule(&rule, None, &ctx("jdoe"))
        .await
        .expect_err("exists");
    assert!(matches!(e, DriverError::VersionMismatch { .. }), "{e}");
    let r2 = vms
        .put_alert_rule(
            &AlertRule {
                threshold: 60,
                ..rule.clone()
            },
            Some(&r1.version),
            &ctx("jdoe"),
        )
        .await
        .expect("update rule");
    assert_eq!(r2.threshold, 60);

    let live = vms.read_live().await.expect("read_live");
    let s = vms
        .update_settings(
            &Settings {
                session_timeout_minutes: 15,
                version: String::new(),
            },
            &live.settings.version,
            &ctx("jdoe"),
        )
        .await
        .expect("settings");
    assert_eq!(s.session_timeout_minutes, 15);

    let live = vms.read_live().await.expect("read_live");
    assert_eq!(live.cameras, vec![updated.clone()]);
    assert_eq!(live.alert_rules, vec![r2.clone()]);
    assert_eq!(live.settings, s);

    let snapshot = vms.export().await.expect("export");
    vms.delete_camera("hall-01", &updated.version, &ctx("jdoe"))
        .await
        .expect("delete");
    vms.delete_alert_rule(AlertKind::SignalLoss, &r2.version, &ctx("jdoe"))
        .await
        .expect("delete rule");
    let e = vms
        .delete_camera("hall-01", &updated.version, &ctx("jdoe"))
        .await
        .expect_err("gone");
    assert!(matches!(e, DriverError::NotFound { .. }), "{e}");
    let rec = vms
        .recordings("hall-01")
        .await
        .expect("recordings")
        .expect("kept after delete");
    assert_eq!(rec.camera_id, "hall-01");
    assert!(rec.oldest.is_some());
    assert_eq!(
        vms.recordings("never-existed").await.expect("recordings"),
        None
    );

    vms.import(&snapshot, &ctx("jdoe")).await.expect("import");
    let restored = vms.read_live().await.expect("read_live");
    assert_eq!(restored.cameras.len(), 1);
    assert_eq!(restored.cameras[0].recording.fps, 25);
    assert_eq!(restored.alert_rules[0].threshold, 60);

    let page = vms.journal_since(Some(&baseline)).await.expect("journal");
    assert_eq!(page.entries.first().map(|e| e.seq), Some(1));
    let first = &page.entries[0];
    assert_eq!(first.request_id.as_deref(), Some(op.request_id.as_str()));
    assert_eq!(first.on_behalf_of.as_deref(), Some("jdoe"));
    assert_eq!(
        (first.action.as_str(), first.result.as_str()),
        ("camera.create", "success")
    );
    assert!(page.entries.iter().any(|e| e.result == "failure"));
    let again = vms
        .journal_since(Some(&page.next_cursor))
        .await
        .expect("journal");
    assert!(again.entries.is_empty());
    assert_eq!(again.next_cursor, page.next_cursor);
    assert_eq!(
        vms.journal_position().await.expect("position"),
        Some(page.next_cursor)
    );
}

async fn the_journal_is_read_across_pages() {
    let sim = SimProcess::start(&["--fail-rate", "1"]);
    let vms = sim.driver_with(vmsops::driver::reference::Options {
        attempts: 1,
        ..Default::default()
    });
    let http = sim.http();
    let body = crate::support::camera("x").to_string().into_bytes();
    for _ in 0..1205 {
        http.send("POST", "/api/v1/cameras", Some(body.clone()), &[])
            .await;
    }
    let page = vms.journal_since(None).await.expect("journal");
    assert_eq!(page.entries.len(), 1205);
    assert_eq!(page.next_cursor, "1206");
    let tail = vms.journal_since(Some("1200")).await.expect("journal");
    assert_eq!(
        tail.entries.iter().map(|e| e.seq).collect::<Vec<_>>(),
        [1200, 1201, 1202, 1203, 1204, 1205]
    );
}

crate::trials! {
    async fn the_driver_does_everything_the_trait_promises,
    async fn the_journal_is_read_across_pages,
}
