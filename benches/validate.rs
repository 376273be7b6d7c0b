//! `validate` of a generated site: 10,000 cameras in 20 files, read from a git commit.
//!
//! Run with `cargo bench --bench validate`. Prints min / median time of
//! open + load + validate and the process's peak resident memory.
//! Target: under 300 ms and 100 MB.

use std::time::{Duration, Instant};

use vmsops::desired::{self, validate::validate, Tree};

const CAMERAS: usize = 10_000;
const FILES: usize = 20;

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let repo = git2::Repository::init(dir.path()).expect("git init");
    let site = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/sites/paris-hq/site.yaml"
    ))
    .expect("example site");
    let root = dir.path().join("sites/bench");
    std::fs::create_dir_all(root.join("cameras")).expect("mkdir");
    std::fs::write(
        root.join("site.yaml"),
        site.replace("name: paris-hq", "name: bench"),
    )
    .expect("write");
    std::fs::create_dir_all(dir.path().join("policy")).expect("mkdir");
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/policy/allowed_signers"
        ),
        dir.path().join("policy/allowed_signers"),
    )
    .expect("copy signers");
    for f in 0..FILES {
        let mut text = String::from("apiVersion: vmsops/v1\nkind: Cameras\ncameras:\n");
        for i in 0..CAMERAS / FILES {
            let id = f * (CAMERAS / FILES) + i;
            text.push_str(&format!(
                "  - id: cam-{id:05}\n    name: \"Caméra {id}\"\n    vendor: Axis\n    model: P3265-LVE\n    firmware: \"11.9.60\"\n    stream_url: rtsp://cam-{id:05}.cams.example/axis-media/media.amp\n    profile: {}\n{}",
                if id.is_multiple_of(3) { "after-hours" } else { "standard" },
                if id.is_multiple_of(5) { "    recording: { fps: 25 }\n" } else { "" },
            ));
        }
        std::fs::write(root.join(format!("cameras/zone-{f:02}.yaml")), text).expect("write");
    }
    let mut index = repo.index().expect("index");
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .expect("add");
    let tree = repo
        .find_tree(index.write_tree().expect("tree"))
        .expect("tree");
    let sig = git2::Signature::now("Bench", "bench@x.example").expect("sig");
    repo.commit(Some("HEAD"), &sig, &sig, "bench", &tree, &[])
        .expect("commit");

    let today = jiff::civil::date(2026, 11, 27);
    let mut times: Vec<Duration> = Vec::new();
    for _ in 0..15 {
        let start = Instant::now();
        let tree = Tree::open(dir.path(), "HEAD").expect("open");
        let loaded = desired::load(&tree, "HEAD", None).expect("load");
        let diags = validate(&loaded, today);
        times.push(start.elapsed());
        assert_eq!(loaded.sites[0].cameras.len(), CAMERAS);
        assert!(diags.iter().all(|d| !d.is_error()), "{diags:?}");
    }
    times.sort();
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let hwm = status
        .lines()
        .find(|l| l.starts_with("VmHWM"))
        .unwrap_or("VmHWM: ?");
    println!(
        "validate {CAMERAS} cameras in {FILES} files: min {:.1} ms, median {:.1} ms; peak memory {}",
        times[0].as_secs_f64() * 1e3,
        times[times.len() / 2].as_secs_f64() * 1e3,
        hwm.trim_start_matches("VmHWM:").trim()
    );
}
