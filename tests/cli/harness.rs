//! The test harness of this binary (libtest-mimic): every module lists its tests
//! with [`trials!`](crate::trials), `main` gathers them, and a test that needs a
//! server or a tool this machine lacks is reported as ignored, with the reason,
//! rather than passing after an early return.
//!
//! With the matching `*_REQUIRED` variable set (CI) such a test runs anyway and
//! fails on the missing server or tool, as the test itself asserts.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

use libtest_mimic::{Arguments, Completion, Trial};

/// An `async fn` test's body, run to completion on a current-thread runtime as
/// `#[tokio::test]` would.
pub type AsyncBody = fn() -> Pin<Box<dyn Future<Output = ()>>>;

/// What a test runs.
pub enum Body {
    /// A plain function.
    Sync(fn()),
    /// An `async fn`.
    Async(AsyncBody),
}

/// Something outside the build that a test needs.
#[derive(Clone, Copy)]
pub enum Need {
    /// A PostgreSQL server: `VMSOPS_TEST_PG_URL` (or `VMSOPS_PG_REQUIRED`).
    Postgres,
    /// A ZoneMinder: `VMSOPS_ZM_URL`, `VMSOPS_ZM_USER`, `VMSOPS_ZM_PASSWORD` (or `VMSOPS_ZM_REQUIRED`).
    ZoneMinder,
    /// `promtool` on PATH (or `VMSOPS_PROMTOOL_REQUIRED`).
    Promtool,
    /// A recipe validator on PATH (or `VMSOPS_RECIPES_REQUIRED=1`).
    Recipe(&'static str),
}

fn set(var: &str) -> bool {
    std::env::var_os(var).is_some_and(|v| !v.is_empty())
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join(program).is_file()))
}

impl Need {
    /// The group it is counted in at the end of a run.
    fn group(self) -> &'static str {
        match self {
            Need::Postgres => "PostgreSQL not configured (set VMSOPS_TEST_PG_URL)",
            Need::ZoneMinder => "ZoneMinder not configured (set VMSOPS_ZM_URL)",
            Need::Promtool => "promtool not on PATH",
            Need::Recipe(_) => "recipe validators not on PATH",
        }
    }

    /// Why a test that needs it is ignored here, or None when it runs: present, or
    /// required (then the test fails without it).
    fn missing(self) -> Option<String> {
        let (present, required) = match self {
            Need::Postgres => (set("VMSOPS_TEST_PG_URL"), set("VMSOPS_PG_REQUIRED")),
            Need::ZoneMinder => (
                set("VMSOPS_ZM_URL") && set("VMSOPS_ZM_USER") && set("VMSOPS_ZM_PASSWORD"),
                set("VMSOPS_ZM_REQUIRED"),
            ),
            Need::Promtool => (on_path("promtool"), set("VMSOPS_PROMTOOL_REQUIRED")),
            Need::Recipe(program) => (
                on_path(program),
                std::env::var("VMSOPS_RECIPES_REQUIRED").is_ok_and(|v| v == "1"),
            ),
        };
        if present || required {
            return None;
        }
        Some(match self {
            Need::Postgres => {
                "PostgreSQL not configured: set VMSOPS_TEST_PG_URL (scripts/postgres.sh start)"
                    .into()
            }
            Need::ZoneMinder => "ZoneMinder not configured: set VMSOPS_ZM_URL, VMSOPS_ZM_USER \
                                 and VMSOPS_ZM_PASSWORD (scripts/zoneminder.sh start)"
                .into(),
            Need::Promtool => "promtool not on PATH (Debian package prometheus)".into(),
            Need::Recipe(program) => format!("{program} not on PATH (.ci/run installs it)"),
        })
    }
}

/// One test: its libtest name, its body and what it needs.
pub struct Test {
    name: String,
    body: Body,
    need: Option<Need>,
}

impl Test {
    /// `function` of the module at `module_path` (as `module_path!()` says it),
    /// named as libtest names it: the path without the crate, then the function.
    pub fn new(module_path: &str, function: &str, body: Body) -> Test {
        let module = module_path.split_once("::").map_or("", |(_, m)| m);
        let name = if module.is_empty() {
            function.to_string()
        } else {
            format!("{module}::{function}")
        };
        Test {
            name,
            body,
            need: None,
        }
    }

    /// The same test, needing `need`.
    pub fn needs(self, need: Need) -> Test {
        Test {
            need: Some(need),
            ..self
        }
    }
}

fn run_body(body: Body) {
    match body {
        Body::Sync(f) => f(),
        Body::Async(f) => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime for the test")
            .block_on(f()),
    }
}

/// Runs `tests` as libtest would with this process's arguments, then says how many
/// were ignored for want of what; the process's exit code.
pub fn main(mut tests: Vec<Test>) -> std::process::ExitCode {
    let (args, filters) = arguments();
    tests.sort_by(|a, b| a.name.cmp(&b.name));
    if !filters.is_empty() {
        tests.retain(|t| {
            filters.iter().any(|f| {
                if args.exact {
                    t.name == *f
                } else {
                    t.name.contains(f.as_str())
                }
            })
        });
    }
    // `--ignored` / `--include-ignored` run them anyway (they then return early, or
    // fail under `*_REQUIRED`); otherwise they are reported ignored with the reason.
    let run_ignored = args.ignored || args.include_ignored;
    let mut ignored: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut trials = Vec::with_capacity(tests.len());
    for test in tests {
        let missing = test.need.and_then(|n| n.missing().map(|why| (n, why)));
        let Test { name, body, .. } = test;
        let trial = match missing {
            None => Trial::test(name, move || {
                run_body(body);
                Ok(())
            }),
            Some(_) if run_ignored => Trial::test(name, move || {
                run_body(body);
                Ok(())
            })
            .with_ignored_flag(true),
            Some((need, why)) => {
                let trial = Trial::ignorable_test(name, move || Ok(Completion::ignored_with(why)));
                if !args.is_filtered_out(&trial) {
                    *ignored.entry(need.group()).or_default() += 1;
                }
                trial
            }
        };
        trials.push(trial);
    }
    let conclusion = libtest_mimic::run(&args, trials);
    let total: usize = ignored.values().sum();
    let json = matches!(args.format, Some(libtest_mimic::FormatSetting::Json));
    if !args.list && !args.bench && !json && total > 0 {
        let groups: Vec<String> = ignored.iter().map(|(g, n)| format!("{g} {n}")).collect();
        println!(
            "note: {total} tests ignored: {} (the *_REQUIRED variables make them fail instead)\n",
            groups.join(", ")
        );
    }
    conclusion.exit_code()
}

/// The arguments, and the filters when there are several (libtest runs a test that
/// matches any of them; libtest-mimic takes one, so several are applied here).
fn arguments() -> (Arguments, Vec<String>) {
    const TAKES_A_VALUE: [&str; 6] = [
        "-Z",
        "--test-threads",
        "--logfile",
        "--skip",
        "--color",
        "--format",
    ];
    let mut args = std::env::args();
    let mut rest: Vec<String> = args.next().into_iter().collect();
    let mut filters = Vec::new();
    while let Some(arg) = args.next() {
        if TAKES_A_VALUE.contains(&arg.as_str()) {
            rest.push(arg);
            rest.extend(args.next());
        } else if arg.starts_with('-') {
            rest.push(arg);
        } else {
            filters.push(arg);
        }
    }
    if filters.len() == 1 {
        rest.append(&mut filters);
    }
    (Arguments::from_iter(rest), filters)
}

/// Lists a module's tests as `fn trials()`: `fn NAME`, `async fn NAME`, either
/// followed by `needs NEED` (a [`Need`](crate::harness::Need)), and `mod CHILD`
/// for a child module's own list; entries end with a comma.
#[macro_export]
macro_rules! trials {
    (@ $all:ident) => {};
    (@ $all:ident mod $child:ident, $($rest:tt)*) => {
        $all.extend($child::trials());
        $crate::trials!(@ $all $($rest)*);
    };
    (@ $all:ident async fn $f:ident $(needs $need:ident $(($arg:literal))?)?, $($rest:tt)*) => {
        $all.push(
            $crate::harness::Test::new(
                module_path!(),
                stringify!($f),
                $crate::harness::Body::Async(|| Box::pin($f())),
            )
            $(.needs($crate::harness::Need::$need $(($arg))?))?,
        );
        $crate::trials!(@ $all $($rest)*);
    };
    (@ $all:ident fn $f:ident $(needs $need:ident $(($arg:literal))?)?, $($rest:tt)*) => {
        $all.push(
            $crate::harness::Test::new(module_path!(), stringify!($f), $crate::harness::Body::Sync($f))
            $(.needs($crate::harness::Need::$need $(($arg))?))?,
        );
        $crate::trials!(@ $all $($rest)*);
    };
    ($($entry:tt)*) => {
        /// This module's tests and its children's.
        #[allow(
            unused_mut,
            clippy::vec_init_then_push,
            reason = "entries are pushed one by one, and a module may list only children"
        )]
        pub(crate) fn trials() -> Vec<$crate::harness::Test> {
            let mut all = Vec::new();
            $crate::trials!(@ all $($entry)*);
            all
        }
    };
}
