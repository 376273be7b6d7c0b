//! `validate` of a generated site: 10,000 and 100,000 cameras in 20 files, read from a git commit.
//!
//! Run with `cargo bench --bench validate [-- --sizes 10000,100000]`. For each
//! size prints min / median time of open + load + validate (15 runs up to
//! 20,000 cameras, 5 above) and the peak resident memory while that size runs
//! (`VmHWM`, reset before each size through `/proc/self/clear_refs`); then the
//! ratio of the median times of the largest and the smallest size.
//! Targets: 10,000 cameras under 300 ms and 100 MB; t(100,000) / t(10,000) at
//! most 12 (linear is 10), i.e. 1.2 × the ratio of the sizes.

use std::path::Path;
use std::time::{Duration, Instant};

use vmsops::desired::{self, validate::validate, Tree};

const FILES: usize = 20;
/// Allowed growth of the time over the growth of the size (12 for 10 times the cameras).
const SLACK: f64 = 1.2;

/// A repository with one site of `cameras` cameras in `FILES` files, committed.
fn write_repo(dir: &Path, cameras: usize) {
    let repo = git2::Repository::init(dir).expect("git init");
    let site = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/sites/paris-hq/site.yaml"
    ))
    .expect("example site");
    let root = dir.join("sites/bench");
    std::fs::create_dir_all(root.join("cameras")).expect("mkdir");
    std::fs::write(
        root.join("site.yaml"),
        site.replace("name: paris-hq", "name: bench"),
    )
    .expect("write");
    std::fs::create_dir_all(dir.join("policy")).expect("mkdir");
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/policy/allowed_signers"
        ),
        dir.join("policy/allowed_signers"),
    )
    .expect("copy signers");
    let per = cameras.div_ceil(FILES);
    for f in 0..FILES {
        let mut text = String::from("apiVersion: vmsops/v1\nkind: Cameras\ncameras:\n");
        for id in (f * per)..((f + 1) * per).min(cameras) {
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
}

/// The process's peak resident memory (`VmHWM`), as the kernel writes it.
fn peak_memory() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM"))
        .unwrap_or("VmHWM: ?")
        .trim_start_matches("VmHWM:")
        .trim()
        .to_string()
}

struct Row {
    cameras: usize,
    runs: usize,
    min: Duration,
    median: Duration,
    peak: String,
}

/// Open + load + validate of a site of `cameras` cameras, `runs` times.
fn measure(cameras: usize) -> Row {
    let dir = tempfile::tempdir().expect("temp dir");
    write_repo(dir.path(), cameras);
    let runs = if cameras <= 20_000 { 15 } else { 5 };
    // Peak memory from here on: what this size needs, not what a larger one before it took.
    let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let today = jiff::civil::date(2026, 11, 27);
    let mut times: Vec<Duration> = Vec::new();
    for _ in 0..runs {
        let start = Instant::now();
        let tree = Tree::open(dir.path(), "HEAD").expect("open");
        let loaded = desired::load(&tree, "HEAD", None).expect("load");
        let diags = validate(&loaded, today);
        times.push(start.elapsed());
        assert_eq!(loaded.sites[0].cameras.len(), cameras);
        assert!(diags.iter().all(|d| !d.is_error()), "{diags:?}");
    }
    times.sort();
    Row {
        cameras,
        runs,
        min: times[0],
        median: times[times.len() / 2],
        peak: if reset {
            peak_memory()
        } else {
            format!("{} (process)", peak_memory())
        },
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mut sizes: Vec<usize> = args
        .iter()
        .position(|a| a == "--sizes")
        .and_then(|i| args.get(i + 1))
        .map(|s| s.split(',').filter_map(|x| x.parse().ok()).collect())
        .unwrap_or_else(|| vec![10_000, 100_000]);
    sizes.sort_unstable();
    sizes.dedup();
    assert!(!sizes.is_empty(), "--sizes N,M…: camera counts");
    println!(
        "validate: open + load + validate of one site, cameras in {FILES} files, from a git commit"
    );
    println!(
        "{:>8} {:>5} {:>12} {:>12} {:>12}",
        "cameras", "runs", "min", "median", "peak memory"
    );
    let rows: Vec<Row> = sizes.iter().map(|&n| measure(n)).collect();
    for r in &rows {
        println!(
            "{:>8} {:>5} {:>9.1} ms {:>9.1} ms {:>12}",
            r.cameras,
            r.runs,
            r.min.as_secs_f64() * 1e3,
            r.median.as_secs_f64() * 1e3,
            r.peak
        );
    }
    if let [small, .., large] = rows.as_slice() {
        let ratio = large.median.as_secs_f64() / small.median.as_secs_f64();
        let growth = large.cameras as f64 / small.cameras as f64;
        let target = SLACK * growth;
        println!(
            "t({})/t({}) = {ratio:.2} for {growth:.0}× the cameras (median times); target ≤ {target:.0}: {}",
            large.cameras,
            small.cameras,
            if ratio <= target { "met" } else { "NOT met" }
        );
    }
}
