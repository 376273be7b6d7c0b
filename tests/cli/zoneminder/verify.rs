//! `apply --verify` and `status` against a real ZoneMinder capturing real video:
//! one monitor reads ffmpeg's stream on loopback, one a closed port. The
//! verification tells them apart, and `--auto-rollback` restores the snapshot in
//! ZoneMinder when a change breaks the working stream.

use std::time::{Duration, Instant};

use super::feed::{closed_port, Feed};
use super::*;

const SITE: &str = "apiVersion: vmsops/v1
kind: Site
name: zm-live
vms:
  driver: zoneminder
  url: URL
  username_env: ZM_USER
  password_env: ZM_PASSWORD
policy:
  approvers: [rs@client.example]
  generic_identities: [admin, root, administrator]
  require_ticket: true
  approved_models:
    - { vendor: Axis, model: P3265-LVE, min_firmware: \"11.9.60\" }
  retention: { min_days: 7, max_days: 30 }
  regulatory_retention_days: 7
  snapshot_retention_days: 183
  approval_signatures: ssh
  allowed_signers: policy/allowed_signers
maintenance_windows:
  - { name: tuesday-night, days: [tue], start: \"02:00\", end: \"05:00\", timezone: Europe/Paris }
recording_profiles:
  live:
    resolution: 320x240
    fps: 5
    retention_days: 7
    schedule:
      - { days: [mon, tue, wed, thu, fri, sat, sun], from: \"00:00\", to: \"24:00\" }
settings:
  session_timeout_minutes: 15
";

fn camera(id: &str, url: &str) -> String {
    format!(
        "  - id: {id}\n    name: \"{id}\"\n    vendor: Axis\n    model: P3265-LVE\n    firmware: \"11.9.60\"\n    stream_url: \"{url}\"\n    profile: live\n"
    )
}

fn write_cameras(repo: &Path, cameras: &[String]) {
    let dir = repo.join("sites/zm-live/cameras");
    std::fs::create_dir_all(&dir).expect("cameras dir");
    let list = if cameras.is_empty() {
        "cameras: []\n".to_string()
    } else {
        format!("cameras:\n{}", cameras.concat())
    };
    std::fs::write(
        dir.join("cameras.yaml"),
        format!("apiVersion: vmsops/v1\nkind: Cameras\n{list}"),
    )
    .expect("cameras.yaml");
}

/// `vmsops status --format json`: exit code and each camera's health, by id.
fn status(run: &Run) -> (i32, Vec<(String, String, String)>) {
    let (code, out, _) = run.vmsops(&[], &["status", "--repo", ".", "--format", "json"]);
    let v = crate::support::schema::parse_valid("status", &out);
    let cameras = v["sites"][0]["cameras"]
        .as_array()
        .expect("cameras")
        .iter()
        .map(|c| {
            let s = |k: &str| c[k].as_str().unwrap_or_default().to_string();
            (s("id"), s("health"), s("reason"))
        })
        .collect();
    (code, cameras)
}

fn health_of<'a>(cameras: &'a [(String, String, String)], id: &str) -> &'a str {
    &cameras
        .iter()
        .find(|c| c.0 == id)
        .unwrap_or_else(|| panic!("{id} in {cameras:?}"))
        .1
}

fn verified_apply_tells_real_video_from_a_dead_source_and_rolls_back_in_zoneminder() {
    let Some(zm) = instance() else { return };
    let _zoneminder = exclusive();
    let Some(feed) = Feed::start() else { return };
    let dead = format!("http://127.0.0.1:{}/camera.ts", closed_port());
    let api = Api::new(&zm);
    api.clear();
    sql("DELETE FROM Filters WHERE Name LIKE 'vmsops-retention-%'");

    let (dir, state) = (scratch(), scratch());
    let run = Run::new(&zm, &dir, &state);
    let repo = run.repo;
    std::fs::create_dir_all(repo.join("sites/zm-live")).expect("site dir");
    std::fs::write(
        repo.join("sites/zm-live/site.yaml"),
        SITE.replace("URL", &zm.url),
    )
    .expect("site.yaml");
    write_cameras(repo, &[]);
    let key = approver_key(repo);
    let base = commit_and_approve(repo, &key, "zm-live under vmsops", "init");

    // Two new cameras: one reads ffmpeg's stream, one a port nothing listens on.
    write_cameras(
        repo,
        &[camera("lobby-01", &feed.url), camera("dock-09", &dead)],
    );
    commit_and_approve(repo, &key, "Lobby and dock cameras", "ops-10");
    let (code, out, err) = run.apply(&base, "OPS-10", &["--verify", "--verify-timeout", "40s"]);
    assert_eq!(code, 1, "a camera is degraded:\n{out}{err}");
    assert!(out.contains("verify: lobby-01 healthy"), "{out}{err}");
    assert!(out.contains("verify: dock-09 degraded"), "{out}{err}");
    assert!(
        out.contains("Connection refused"),
        "ZoneMinder's own reason: {out}{err}"
    );
    assert!(
        api.monitor("dock-09").is_some(),
        "without --auto-rollback the change stays"
    );

    // `status` sees the same, and says why.
    let (code, cameras) = status(&run);
    assert_eq!(code, 2, "{cameras:?}");
    assert_eq!(health_of(&cameras, "lobby-01"), "healthy", "{cameras:?}");
    assert_eq!(health_of(&cameras, "dock-09"), "degraded", "{cameras:?}");

    // Break the working stream: verification sees lobby-01 go down and the
    // snapshot taken before the change is restored in ZoneMinder.
    let applied = git(repo, APPROVER, &["rev-parse", "HEAD"]);
    write_cameras(repo, &[camera("lobby-01", &dead), camera("dock-09", &dead)]);
    commit_and_approve(repo, &key, "lobby-01 on the new encoder", "ops-11");
    let (code, out, err) = run.apply(
        &applied,
        "OPS-11",
        &["--verify", "--verify-timeout", "20s", "--auto-rollback"],
    );
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("verify: lobby-01 degraded"), "{out}{err}");
    assert!(out.contains("rolled back: lobby-01 degraded"), "{out}{err}");
    // ZoneMinder keeps no versions: the rollback is the full import, and says so.
    assert!(
        out.contains("rolled back by one full import of the snapshot"),
        "{out}{err}"
    );
    let lobby = api.monitor("lobby-01").expect("lobby-01");
    assert_eq!(
        lobby["Path"],
        feed.url.as_str(),
        "the snapshot's stream is back"
    );

    // …and ZoneMinder captures it again.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (_, cameras) = status(&run);
        if health_of(&cameras, "lobby-01") == "healthy" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "lobby-01 not healthy after the rollback: {cameras:?}"
        );
        std::thread::sleep(Duration::from_secs(1));
    }
    api.clear();
}

crate::trials! {
    fn verified_apply_tells_real_video_from_a_dead_source_and_rolls_back_in_zoneminder needs ZoneMinder,
}
