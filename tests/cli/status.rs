//! `vmsops status` against a real `vmsops sim`: each camera's health from its
//! emulated stream, the exit codes, the JSON document.

use crate::fixture::{vmsops, GitRepo};
use crate::support::{camera, SimProcess, TOKEN};

fn status(repo: &GitRepo, extra: &[&str]) -> (i32, String, String) {
    let out = vmsops()
        .env("VMSOPS_TOKEN", TOKEN)
        .args(["status", "--repo", &repo.arg()])
        .args(extra)
        .output()
        .expect("vmsops runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn healthy_degraded_and_progressing_cameras_and_their_exit_codes() {
    // Long enough that a loaded machine still reads the streams while they connect.
    let sim = SimProcess::start(&[
        "--connect-ms",
        "2000",
        "--unreachable-host",
        "dead-01.cams.example",
    ]);
    tokio::runtime::Runtime::new().expect("runtime").block_on(
        sim.http()
            .import_cameras(vec![camera("hall-01"), camera("dead-01")]),
    );
    let repo = GitRepo::example_at(&sim.url);

    // Just imported: every stream is connecting.
    let (code, out, err) = status(&repo, &[]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(out.contains("progressing hall-01"), "{out}");

    std::thread::sleep(std::time::Duration::from_millis(2200));
    let (code, out, err) = status(&repo, &[]);
    assert_eq!(code, 2, "a degraded camera: {out}{err}");
    assert!(
        out.contains("healthy     hall-01 15 fps, recording"),
        "{out}"
    );
    assert!(out.contains("degraded    dead-01"), "{out}");
    assert!(out.contains("disconnected"), "{out}");
    assert!(out.contains("(1 healthy, 1 degraded)"), "{out}");

    let (code, out, _) = status(&repo, &["--format", "json"]);
    assert_eq!(code, 2);
    let v = crate::support::schema::parse_valid("status", &out);
    assert_eq!(v["format_version"], 1);
    let cams = v["sites"][0]["cameras"].as_array().expect("cameras");
    let keys: Vec<&str> = cams[0]
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        ["id", "health", "state", "fps", "recording", "reason"]
    );
    assert_eq!(v["sites"][0]["site"], "paris-hq");
    assert_eq!(
        (
            cams[0]["id"].as_str(),
            cams[0]["health"].as_str(),
            cams[0]["state"].as_str()
        ),
        (Some("dead-01"), Some("degraded"), Some("disconnected"))
    );
    assert_eq!(
        (
            cams[1]["health"].as_str(),
            cams[1]["fps"].as_f64(),
            cams[1]["recording"].as_bool()
        ),
        (Some("healthy"), Some(15.0), Some(true))
    );
}

fn all_healthy_exits_0_and_an_unreachable_vms_exits_1() {
    let sim = SimProcess::start(&["--connect-ms", "0"]);
    tokio::runtime::Runtime::new()
        .expect("runtime")
        .block_on(sim.http().import_cameras(vec![camera("hall-01")]));
    let repo = GitRepo::example_at(&sim.url);
    let (code, out, err) = status(&repo, &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("(1 healthy)"), "{out}");

    let gone = GitRepo::example_at("http://127.0.0.1:9");
    let (code, out, err) = status(&gone, &[]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("paris-hq: error:"), "{out}");
}

crate::trials! {
    fn healthy_degraded_and_progressing_cameras_and_their_exit_codes,
    fn all_healthy_exits_0_and_an_unreachable_vms_exits_1,
}
