//! `vmsops sim --seed DIR`: a fresh VMS that already holds a site folder's cameras.

use crate::fixture::{project_root, run, vmsops};
use crate::support::{SimArgs, SimProcess, TOKEN};

fn example_site() -> String {
    project_root()
        .join("examples/sites/paris-hq")
        .display()
        .to_string()
}

async fn a_seeded_sim_holds_the_sites_cameras_journaled_and_import_reads_them_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("vms.json").display().to_string();
    let mut sim = SimProcess::start(&["--state", &state, "--seed", &example_site()]);
    let http = sim.http();
    let cameras = http.get("/api/v1/cameras?limit=1000").await.json;
    let items = cameras["items"].as_array().expect("items");
    assert_eq!(items.len(), 10, "{cameras}");
    let hall = http.get("/api/v1/cameras/hall-01").await.json;
    // The profile `standard` (15 fps) with entrance.yaml's override.
    assert_eq!(hall["recording"]["fps"], 25, "{hall}");
    let journal = http.journal().await;
    assert!(journal
        .iter()
        .all(|e| e["user"] == "seed" && e["action"] == "camera.create"));

    // What import writes from it validates, and the first plan only asks for the session timeout.
    let out = dir.path().join("sites");
    let (code, stdout, stderr) = {
        let o = vmsops()
            .env("VMSOPS_TOKEN", TOKEN)
            .env("VMSOPS_STATE", dir.path().join("state"))
            .args(["import", "--site", "hq", "--url", &sim.url, "--out"])
            .arg(&out)
            .output()
            .expect("import");
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("imported 10 cameras"), "{stdout}");
    let (code, stdout, stderr) = run(&[
        "validate",
        "--repo",
        &out.display().to_string(),
        "--rev",
        "WORKTREE",
    ]);
    assert_eq!(code, 0, "{stdout}{stderr}");

    // A restart with the same state and --seed again is refused: nothing is merged.
    sim.kill();
    let (status, _, stderr) = SimArgs::default()
        .args(["--state", &state, "--seed", &example_site()])
        .run_to_exit();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("the state already holds 10 camera(s)"),
        "{stderr}"
    );
}

fn a_folder_that_is_not_a_site_is_refused_with_what_to_do() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (status, _, stderr) = SimArgs::default()
        .args(["--seed", &dir.path().display().to_string()])
        .run_to_exit();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("no site found"), "{stderr}");
}

crate::trials! {
    async fn a_seeded_sim_holds_the_sites_cameras_journaled_and_import_reads_them_back,
    fn a_folder_that_is_not_a_site_is_refused_with_what_to_do,
}
