//! The plan path is linear in the number of cameras, checked without timing anything.
//!
//! A counting global allocator counts the Rust allocation calls (libgit2
//! allocates on its own) while the in-process plan path runs for N and 4N
//! cameras: open the revision, load and validate the desired state, plan the
//! site against a live configuration and run the gate (`ops::gated_plan`,
//! against a trusted base), then render the plan as JSON.
//! Linear work allocates about 4 times as often at 4N; quadratic work, 16
//! times. The check allows 6 (room for constant costs and `n log n` sorting),
//! in two scenarios: every camera differs from the VMS, and nothing differs.
//! A deliberately quadratic toy function shows the same check fails.
//!
//! Run: `cargo test --test scaling`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use serde_json::{json, Value};
use vmsops::desired::{self, validate::validate, Tree};
use vmsops::gate::Mode;
use vmsops::model::{Capabilities, LiveConfig};
use vmsops::ops::context::Bases;
use vmsops::ops::gated_plan::{gated_plan, GatedPlanInput};
use vmsops::plan::document::PlanDocument;

/// Allocation calls (alloc, alloc_zeroed, realloc) since the process started.
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

/// The system allocator, counting its calls.
struct Counting;

// SAFETY: every call is forwarded unchanged to the system allocator; only a counter is added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, passed on as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: `ptr` and `layout` come from this allocator, i.e. from `System`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` and `layout` come from this allocator, i.e. from `System`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// One test at a time: the counter is process-wide (it also sees threads the path would
/// start), so another test's setup must not run while one measures.
static ONE_TEST_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Held for a whole test.
fn exclusive() -> MutexGuard<'static, ()> {
    ONE_TEST_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The smaller size; the larger is 4 times as many.
const N: usize = 2_000;
/// Allowed growth of the allocation count when the input grows 4 times.
const MAX_RATIO: u64 = 6;
/// Camera files per site, as a large site splits them.
const FILES: usize = 20;

/// The allocation calls made while `f` runs (call within [`exclusive`]), and what it returns.
fn allocations<T>(f: impl FnOnce() -> T) -> (u64, T) {
    let before = ALLOCATIONS.load(Ordering::SeqCst);
    let out = f();
    let after = ALLOCATIONS.load(Ordering::SeqCst);
    (after - before, out)
}

/// `Err` (saying both counts) when `large` (at 4 × `n`) exceeds [`MAX_RATIO`] × `small` (at `n`).
fn linear(what: &str, n: usize, small: u64, large: u64) -> Result<(), String> {
    if large <= MAX_RATIO * small {
        Ok(())
    } else {
        Err(format!(
            "{what}: {large} allocations at {} against {small} at {n} ({:.2}×; linear is about 4×, at most {MAX_RATIO}×)",
            4 * n,
            large as f64 / small.max(1) as f64
        ))
    }
}

/// A repository with one site of `n` cameras, committed: (folder, commit).
fn write_repo(n: usize) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let manifest = env!("CARGO_MANIFEST_DIR");
    let site = std::fs::read_to_string(format!("{manifest}/examples/sites/paris-hq/site.yaml"))
        .expect("the example site");
    let root = dir.path().join("sites/scale");
    std::fs::create_dir_all(root.join("cameras")).expect("mkdir");
    std::fs::write(
        root.join("site.yaml"),
        site.replace("name: paris-hq", "name: scale"),
    )
    .expect("write");
    std::fs::create_dir_all(dir.path().join("policy")).expect("mkdir");
    std::fs::copy(
        format!("{manifest}/examples/policy/allowed_signers"),
        dir.path().join("policy/allowed_signers"),
    )
    .expect("copy signers");
    let per = n.div_ceil(FILES);
    for f in 0..FILES {
        let mut text = String::from("apiVersion: vmsops/v1\nkind: Cameras\ncameras:\n");
        for id in (f * per)..((f + 1) * per).min(n) {
            text.push_str(&format!(
                "  - id: cam-{id:05}\n    name: \"Caméra {id}\"\n    vendor: Axis\n    model: P3265-LVE\n    firmware: \"11.9.60\"\n    stream_url: rtsp://cam-{id:05}.cams.example/axis-media/media.amp\n    profile: standard\n"
            ));
        }
        std::fs::write(root.join(format!("cameras/zone-{f:02}.yaml")), text).expect("write");
    }
    let repo = git2::Repository::init(dir.path()).expect("git init");
    let mut index = repo.index().expect("index");
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .expect("add");
    let tree = repo
        .find_tree(index.write_tree().expect("tree"))
        .expect("tree");
    let sig = git2::Signature::now("Scale", "scale@x.example").expect("signature");
    let commit = repo
        .commit(
            Some("HEAD"),
            &sig,
            &sig,
            "Scale site\n\nTicket: SCALE-1",
            &tree,
            &[],
        )
        .expect("commit");
    (dir, commit.to_string())
}

/// The VMS holding the site's alert rules and settings as desired, and `n` cameras at `fps`
/// (the `standard` profile records at 15).
fn live_config(n: usize, fps: u32) -> LiveConfig {
    let manifest = env!("CARGO_MANIFEST_DIR");
    let tree = Tree::open(Path::new(manifest).join("examples").as_path(), "WORKTREE")
        .expect("the examples");
    let example = desired::load(&tree, "WORKTREE", None).expect("load the examples");
    let site = example.sites[0].site.clone().expect("the example site");
    let alert_rules: Vec<Value> = site
        .alerts
        .expect("alert rules")
        .rules
        .iter()
        .map(|r| {
            let mut v = serde_json::to_value(r).expect("rule");
            v["version"] = json!("1");
            v
        })
        .collect();
    let cameras: Vec<Value> = (0..n)
        .map(|id| {
            json!({
                "id": format!("cam-{id:05}"), "name": format!("Caméra {id}"), "vendor": "Axis",
                "model": "P3265-LVE", "firmware": "11.9.60",
                "stream_url": format!("rtsp://cam-{id:05}.cams.example/axis-media/media.amp"),
                "enabled": true, "version": "1",
                "recording": {"resolution": "1920x1080", "fps": fps, "retention_days": 30,
                    "schedule": [{"days": ["mon","tue","wed","thu","fri","sat","sun"], "from": "00:00", "to": "24:00"}]}
            })
        })
        .collect();
    serde_json::from_value(json!({
        "cameras": cameras, "alert_rules": alert_rules,
        "settings": {"session_timeout_minutes": 15, "version": "1"},
    }))
    .expect("a live configuration")
}

/// What the reference driver reports it can do.
fn reference_capabilities() -> Capabilities {
    Capabilities {
        deletes_recordings_with_camera: false,
        has_admin_journal: true,
        sends_request_ids: true,
        manages_alerts: true,
        manages_settings: true,
        unmanaged: Vec::new(),
    }
}

/// The plan path over the repository at `dir` (committed as `commit`) against `live`:
/// open, load, validate, gated plan, JSON. Returns the number of operations planned.
fn plan_path(dir: &Path, commit: &str, live: &LiveConfig, caps: &Capabilities) -> usize {
    let today = jiff::civil::date(2026, 11, 27);
    let now: jiff::Timestamp = "2026-11-27T10:00:00Z".parse().expect("timestamp");
    let tree = Tree::open(dir, "HEAD").expect("open the revision");
    let repo = desired::load(&tree, "HEAD", None).expect("load");
    let errors: Vec<String> = repo
        .diagnostics
        .iter()
        .chain(&validate(&repo, today))
        .filter(|d| d.is_error())
        .map(|d| d.to_string())
        .collect();
    assert!(
        errors.is_empty(),
        "the generated site is invalid: {errors:?}"
    );
    let doc = &repo.sites[0];
    let site = doc.site.as_ref().expect("the site");
    let gated = gated_plan(
        &GatedPlanInput {
            mode: Mode::Plan,
            repo_dir: dir,
            tree: &tree,
            doc,
            site,
            desired_commit: repo.commit.clone(),
            rev: commit,
            base: Some(commit),
            live,
            caps,
            recordings: &[],
            now,
            today,
            operator: None,
            ticket: None,
            emergency: None,
        },
        &mut Bases::default(),
    )
    .expect("gated plan");
    let operations = gated.plan.operations.len();
    let document = PlanDocument::new(vec![gated.plan]);
    serde_json::to_writer(std::io::sink(), &document).expect("render");
    operations
}

/// Counts the plan path's allocations at N and 4N cameras, the VMS recording at `fps`.
fn check_plan_path(scenario: &str, fps: u32, every_camera_planned: bool) {
    let _alone = exclusive();
    let caps = reference_capabilities();
    // Once unmeasured on a small site, so that what is set up once per process is not counted at N only.
    let (dir, commit) = write_repo(FILES);
    plan_path(dir.path(), &commit, &live_config(FILES, fps), &caps);
    let mut counts = Vec::new();
    for n in [N, 4 * N] {
        let (dir, commit) = write_repo(n);
        let live = live_config(n, fps);
        let (count, operations) = allocations(|| plan_path(dir.path(), &commit, &live, &caps));
        assert_eq!(
            operations,
            if every_camera_planned { n } else { 0 },
            "{scenario} at {n} cameras: operations planned"
        );
        counts.push(count);
    }
    eprintln!(
        "plan path, {scenario}: {} allocations at {N} cameras, {} at {} ({:.2}×)",
        counts[0],
        counts[1],
        4 * N,
        counts[1] as f64 / counts[0] as f64
    );
    if let Err(e) = linear(&format!("plan path, {scenario}"), N, counts[0], counts[1]) {
        panic!("{e}");
    }
}

#[test]
fn plan_path_is_linear_when_every_camera_differs() {
    check_plan_path("every camera different", 25, true);
}

#[test]
fn plan_path_is_linear_when_nothing_differs() {
    check_plan_path("no difference", 15, false);
}

/// A linear toy: one string per element.
fn one_string_each(items: &[u32]) -> usize {
    items.iter().map(|i| i.to_string().len()).sum()
}

/// A quadratic toy: for each element, a vector of every element as a string.
fn all_strings_for_each(items: &[u32]) -> usize {
    items
        .iter()
        .map(|_| {
            items
                .iter()
                .map(|j| j.to_string())
                .collect::<Vec<_>>()
                .len()
        })
        .sum()
}

#[test]
fn the_ratio_check_tells_quadratic_work_from_linear_work() {
    let _alone = exclusive();
    let n = 200;
    let small: Vec<u32> = (0..n as u32).collect();
    let large: Vec<u32> = (0..4 * n as u32).collect();
    let (a, _) = allocations(|| one_string_each(&small));
    let (b, _) = allocations(|| one_string_each(&large));
    assert_eq!(linear("linear toy", n, a, b), Ok(()));
    let (a, _) = allocations(|| all_strings_for_each(&small));
    let (b, _) = allocations(|| all_strings_for_each(&large));
    let verdict = linear("quadratic toy", n, a, b);
    assert!(
        verdict
            .as_ref()
            .is_err_and(|e| e.contains(&a.to_string()) && e.contains(&b.to_string())),
        "a quadratic function passed the check: {a} allocations at {n}, {b} at {}",
        4 * n
    );
}
